/*
 * frame.c - transport frames, PROTOCOL.md §3: the type byte and its body
 * rules, sealing and opening in place, and the Rekey() schedule.  No I/O:
 * the relay reads and writes the bytes; the cipher states come from
 * noise_split() and get new keys from rekey.c.  The order rules (what may
 * follow CLOSE, DONE, REKEY, SWITCH) are in ending.c and rekey.c.
 */
#include "session/frame.h"

#include <string.h>

#include "base/util.h"

bool
frame_len_ok(size_t len)
{
	return len >= FRAME_MIN_LEN && len <= FRAME_MAX_LEN;
}

/*
 * The body rules of PROTOCOL.md §3.2, for sealing and opening alike: NULL
 * when type may carry body_len bytes, else why not.  A REKEY carries one
 * public key of the suite (DHLEN bytes: 32 for x25519, 65 for p256).
 */
static const char *
check_body(const struct suite *suite, unsigned type, size_t body_len)
{
	switch (type) {
	case FRAME_DATA:
		if (body_len == 0)
			return "empty DATA frame";
		return body_len > FRAME_BODY_MAX ? "DATA frame too long" : NULL;
	case FRAME_CLOSE:
		return body_len != 0 ? "CLOSE frame with a body" : NULL;
	case FRAME_PING:
		return body_len > FRAME_BODY_MAX ? "PING frame too long" : NULL;
	case FRAME_ERROR:
		return body_len > FRAME_ERROR_MAX ?
		    "ERROR reason too long" : NULL;
	case FRAME_DONE:
		return body_len != 0 ? "DONE frame with a body" : NULL;
	case FRAME_REKEY:
		return body_len != suite->pub_len ?
		    "REKEY frame with a key of the wrong length" : NULL;
	case FRAME_SWITCH:
		return body_len != 0 ? "SWITCH frame with a body" : NULL;
	default:
		return "unknown frame type";
	}
}

/* Frame n of a direction is sealed or opened after Rekey() when n is a
 * non-zero multiple of FRAME_REKEY_INTERVAL; the nonce keeps counting. */
static bool
nonce_calls_for_rekey(const struct cipher_state *cs)
{
	return cs->n != 0 && cs->n % FRAME_REKEY_INTERVAL == 0;
}

int
frame_seal(struct cipher_state *cs, enum frame_type type, uint8_t *frame,
    size_t frame_cap, size_t body_len, size_t *frame_len)
{
	size_t plain_len = 1 + body_len;
	size_t ct_len;

	/* Every check comes before Rekey(), so a refused call changes
	 * nothing. */
	if (!cs->has_key ||
	    check_body(cs->suite, (unsigned)type, body_len) != NULL)
		return -1;
	if (frame_cap < FRAME_BODY_OFFSET + body_len + SUITE_TAG_LEN)
		return -1;
	if (cs->n == UINT64_MAX)
		return -1;
	if (nonce_calls_for_rekey(cs))
		noise_rekey(cs);
	frame[FRAME_HEADER_LEN] = (uint8_t)type;
	if (noise_encrypt(cs, NULL, 0, frame + FRAME_HEADER_LEN, plain_len,
	    frame + FRAME_HEADER_LEN, frame_cap - FRAME_HEADER_LEN,
	    &ct_len) != 0)
		return -1;
	put_be16(frame, (uint16_t)ct_len);
	*frame_len = FRAME_HEADER_LEN + ct_len;
	return 0;
}

int
frame_open(struct cipher_state *cs, uint8_t *ct, size_t ct_len,
    enum frame_type *type, size_t *body_len, const char **why)
{
	struct cipher_state next;
	size_t plain_len;

	if (!frame_len_ok(ct_len)) {
		/* Nothing was decrypted; ct_len may exceed the buffer, so
		 * only a plausible length is wiped. */
		if (ct_len <= FRAME_MAX_LEN)
			wipe(ct, ct_len);
		*why = "bad frame length";
		return -1;
	}
	/* Work on a copy so a frame that fails leaves cs as it was. */
	next = *cs;
	if (nonce_calls_for_rekey(&next))
		noise_rekey(&next);
	if (noise_decrypt(&next, NULL, 0, ct, ct_len, ct, ct_len,
	    &plain_len) != 0) {
		wipe(&next, sizeof(next));
		wipe(ct, ct_len);
		*why = "frame failed authentication";
		return -1;
	}
	*cs = next;
	wipe(&next, sizeof(next));
	/* The frame is authentic, so its nonce is spent even if its
	 * content breaks the rules below. */
	if ((*why = check_body(cs->suite, ct[0], plain_len - 1)) != NULL) {
		wipe(ct, ct_len);
		return -1;
	}
	*type = (enum frame_type)ct[0];
	*body_len = plain_len - 1;
	return 0;
}
