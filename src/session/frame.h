/*
 * frame.h - transport frames (PROTOCOL.md §3): seal and open in place, the
 * type byte and its body rules, and the Rekey() schedule.  No I/O.  Which
 * frame may come when (the ending, the rekey rounds) is ending.h's and
 * rekey.h's business; this file only knows what each type may carry.
 *
 * On the wire a frame is  L (uint16 BE, 17..65535) || L bytes of AEAD
 * ciphertext of  type (1 byte) || body,  with empty AD and a 16-byte tag.
 * Frame i of a direction uses nonce i; before the frame whose nonce is a
 * non-zero multiple of 65536 that direction applies Rekey().
 *
 * Buffer layout used by both calls (one buffer of FRAME_BUF_LEN per
 * direction, allocated once):
 *
 *   [0..2)  L         [2]  type         [3..3+body_len)  body     then tag
 */
#ifndef SEALCAT_FRAME_H
#define SEALCAT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "noise/noise.h"

#define FRAME_HEADER_LEN 2	/* the uint16 length */
#define FRAME_MIN_LEN 17	/* type byte + tag */
#define FRAME_MAX_LEN 65535
#define FRAME_BODY_OFFSET 3	/* header + type byte */
#define FRAME_BODY_MAX (FRAME_MAX_LEN - 1 - SUITE_TAG_LEN)	/* 65518 */
#define FRAME_ERROR_MAX 256	/* ERROR reason bytes */
#define FRAME_BUF_LEN (FRAME_HEADER_LEN + FRAME_MAX_LEN)
#define FRAME_REKEY_INTERVAL 65536

enum frame_type {
	FRAME_DATA = 0x00,
	FRAME_CLOSE = 0x01,
	FRAME_PING = 0x02,
	FRAME_ERROR = 0x03,
	FRAME_DONE = 0x04,	/* v2: "I delivered your whole stream" */
	FRAME_REKEY = 0x05,	/* v2: a fresh ephemeral public key */
	FRAME_SWITCH = 0x06	/* v2: later frames use the new key */
};

/* True if a received length field L is in [17, 65535]. */
bool frame_len_ok(size_t len);

/*
 * Seals the body_len bytes already at frame + FRAME_BODY_OFFSET into a whole
 * frame in place (header, type, ciphertext, tag).  Rekeys first when the
 * nonce calls for it.  Returns 0 and sets *frame_len (bytes to send), or -1
 * if body_len is not allowed for the type (DATA 1..65518, CLOSE 0, PING
 * 0..65518, ERROR 0..256, DONE 0, REKEY exactly the pub_len of cs's suite,
 * SWITCH 0), cs has no key, frame_cap is too small, or the nonce is used up.
 */
int frame_seal(struct cipher_state *cs, enum frame_type type, uint8_t *frame,
    size_t frame_cap, size_t body_len, size_t *frame_len);

/*
 * Opens the L = ct_len bytes at ct (the frame after its length field) in
 * place.  On success returns 0 and sets *type and *body_len; the body is at
 * ct + 1.  On failure returns -1, wipes ct, and sets *why to a constant
 * string ("frame failed authentication", "unknown frame type", "empty DATA
 * frame", "CLOSE frame with a body", "ERROR reason too long", "DONE frame
 * with a body", "REKEY frame with a key of the wrong length", "SWITCH frame
 * with a body", "bad frame length").  The REKEY length is the pub_len of
 * cs's suite; whether the key is a valid point is rekey.c's check.  Rekeys
 * first when the nonce calls for it.  A frame that authenticated spends its
 * nonce even when its body breaks a rule; one that did not leaves cs alone.
 */
int frame_open(struct cipher_state *cs, uint8_t *ct, size_t ct_len,
    enum frame_type *type, size_t *body_len, const char **why);

#endif
