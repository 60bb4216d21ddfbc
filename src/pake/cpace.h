/*
 * cpace.h - CPace, the balanced PAKE of draft-irtf-cfrg-cpace, with the
 * suite CPACE-RISTR255-SHA512, as sealcat's code mode runs it before Noise
 * XXpsk0 (PROTOCOL.md, "Code mode").  No I/O and no logging: every failure
 * is a -1 that the caller words.
 *
 * Two layers.  The draft's functions (prepend_len, lv_cat, transcript_ir,
 * generator_string, calculate_generator, scalar_mult, scalar_mult_vfy and
 * the ISK) take every input, so the draft's own vectors run through them.
 * Above them, struct cpace runs one exchange with sealcat's inputs: PRS is
 * the canonical code (code.h), CI = lv_cat(CPACE_LINE, "connect",
 * "listen"), sid comes from message A, and ADa = ADb = empty.
 *
 *   connect (initiator, party A)        listen (responder, party B)
 *   cpace_start()      -- A = sid || Ya -->
 *                                        cpace_respond()  (K, ISK)
 *                      <-- B = Yb ------
 *   cpace_finish()     (K, ISK)
 *   cpace_prologue(), cpace_psk() on both sides, then Noise XXpsk0.
 */
#ifndef SEALCAT_CPACE_H
#define SEALCAT_CPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "noise/noise.h"

/*
 * The preamble line of code mode (PROTOCOL.md, "Code mode"): the first
 * bytes on the wire, the first lv field of CI and the start of the Noise
 * prologue.
 */
#define CPACE_LINE "SEALCAT/2 CPace+Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b\n"
#define CPACE_LINE_LEN (sizeof(CPACE_LINE) - 1)	/* 54 */
#define CPACE_PATTERN "XXpsk0"	/* the Noise pattern that follows */

#define CPACE_DSI "CPaceRistretto255"	/* G_Ristretto255.DSI */
#define CPACE_HASH_BLOCK 128	/* H.s_in_bytes of SHA-512 */
#define CPACE_POINT_LEN 32	/* an encoded ristretto255 element */
#define CPACE_SCALAR_LEN 32
#define CPACE_ISK_LEN 64	/* SHA-512 */
#define CPACE_SID_LEN 16	/* sealcat's sid: fresh random bytes */
#define CPACE_CI_LEN (1 + CPACE_LINE_LEN + 1 + 7 + 1 + 6)	/* 70 */

/* The messages' bodies; on the wire each is uint16 BE length || body. */
#define CPACE_MSG_A_LEN (CPACE_SID_LEN + CPACE_POINT_LEN)	/* sid || Ya */
#define CPACE_MSG_B_LEN CPACE_POINT_LEN				/* Yb */

/* Noise prologue: L || be16(48) || A || be16(32) || B. */
#define CPACE_PROLOGUE_LEN (CPACE_LINE_LEN + 2 + CPACE_MSG_A_LEN + 2 + \
	CPACE_MSG_B_LEN)

/* psk = BLAKE2b-256(key = ISK, message = CPACE_PSK_LABEL). */
#define CPACE_PSK_LABEL "sealcat/1 code psk"

/* ---- the draft's functions ---- */

/* A byte string for lv_cat(): p may be NULL when len is 0. */
struct cpace_bytes {
	const uint8_t *p;
	size_t len;
};

/*
 * prepend_len(data): the LEB128 encoding of data_len, then data, into out.
 * Returns 0 and sets *out_len, or -1 if out_cap is too small.
 */
int cpace_prepend_len(const uint8_t *data, size_t data_len, uint8_t *out,
    size_t out_cap, size_t *out_len);

/* lv_cat(items[0], ..., items[count - 1]) into out; as prepend_len. */
int cpace_lv_cat(const struct cpace_bytes *items, size_t count, uint8_t *out,
    size_t out_cap, size_t *out_len);

/* transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb). */
int cpace_transcript_ir(struct cpace_bytes ya, struct cpace_bytes ada,
    struct cpace_bytes yb, struct cpace_bytes adb, uint8_t *out,
    size_t out_cap, size_t *out_len);

/*
 * generator_string(G.DSI, PRS, CI, sid, H.s_in_bytes) for the suite:
 * lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid).  As prepend_len.
 */
int cpace_generator_string(struct cpace_bytes prs, struct cpace_bytes ci,
    struct cpace_bytes sid, uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * G.calculate_generator(H, PRS, CI, sid): the element derivation of RFC
 * 9496 applied to SHA-512(generator_string), written as its encoding to
 * g.  g is as secret as PRS (it lets one test guesses offline): wipe it.
 * The generator string is hashed as it is produced, so no copy of PRS is
 * left behind.
 */
void cpace_calculate_generator(uint8_t g[CPACE_POINT_LEN],
    struct cpace_bytes prs, struct cpace_bytes ci, struct cpace_bytes sid);

/*
 * G.scalar_mult(y, g): the encoding of y * g, for a generator g from
 * cpace_calculate_generator().  Returns -1 if the result is the identity
 * (y = 0 mod the group order) or g is not a valid encoding; out is then
 * the identity's encoding (all zeros).
 */
int cpace_scalar_mult(uint8_t out[CPACE_POINT_LEN],
    const uint8_t y[CPACE_SCALAR_LEN], const uint8_t g[CPACE_POINT_LEN]);

/*
 * G.scalar_mult_vfy(y, X) for an X received from the peer: if X does not
 * decode (a non-canonical encoding, not a point) or y * X is the identity,
 * out is G.I (all zeros) and the result is -1, which means abort; else out
 * is the encoding of y * X and the result is 0.
 */
int cpace_scalar_mult_vfy(uint8_t out[CPACE_POINT_LEN],
    const uint8_t y[CPACE_SCALAR_LEN], const uint8_t x[CPACE_POINT_LEN]);

/*
 * ISK = H.hash(lv_cat(G.DSI || "_ISK", sid, K) || transcript_ir(Ya, ADa,
 * Yb, ADb)), the initiator-responder ISK of the draft, hashed as it is
 * produced.  K is the output of scalar_mult_vfy.
 */
void cpace_isk_ir(uint8_t isk[CPACE_ISK_LEN], struct cpace_bytes sid,
    const uint8_t k[CPACE_POINT_LEN], struct cpace_bytes ya,
    struct cpace_bytes ada, struct cpace_bytes yb, struct cpace_bytes adb);

/* sealcat's CI = lv_cat(CPACE_LINE, "connect", "listen"), CPACE_CI_LEN
 * bytes; as prepend_len. */
int cpace_channel_id(uint8_t *out, size_t out_cap, size_t *out_len);

/* psk = crypto_generichash(32, CPACE_PSK_LABEL, key = isk (64 bytes)). */
void cpace_derive_psk(uint8_t psk[NOISE_PSK_LEN],
    const uint8_t isk[CPACE_ISK_LEN]);

/* ---- the messages ---- */

/*
 * Message A's body: sid || Ya, exactly CPACE_MSG_A_LEN bytes.  build
 * returns -1 if out_cap is too small; parse returns -1 unless msg_len is
 * exactly CPACE_MSG_A_LEN (Ya is not checked here: scalar_mult_vfy does).
 */
int cpace_msg_a_build(const uint8_t sid[CPACE_SID_LEN],
    const uint8_t ya[CPACE_POINT_LEN], uint8_t *out, size_t out_cap,
    size_t *out_len);
int cpace_msg_a_parse(const uint8_t *msg, size_t msg_len,
    uint8_t sid[CPACE_SID_LEN], uint8_t ya[CPACE_POINT_LEN]);

/* Message B's body: Yb, exactly CPACE_MSG_B_LEN bytes; as message A. */
int cpace_msg_b_build(const uint8_t yb[CPACE_POINT_LEN], uint8_t *out,
    size_t out_cap, size_t *out_len);
int cpace_msg_b_parse(const uint8_t *msg, size_t msg_len,
    uint8_t yb[CPACE_POINT_LEN]);

/* ---- one exchange with sealcat's inputs ---- */

enum cpace_step {
	CPACE_CLEARED = 0,	/* cleared (after a failure too): dead */
	CPACE_NEW,		/* after cpace_init() */
	CPACE_SENT_A,		/* initiator: waiting for B */
	CPACE_DONE		/* ISK known: prologue and psk may be taken */
};

struct cpace {
	enum role role;		/* ROLE_INITIATOR = connect = party A */
	enum cpace_step step;
	uint8_t sid[CPACE_SID_LEN];
	uint8_t y[CPACE_SCALAR_LEN];	/* our scalar: secret */
	uint8_t ya[CPACE_POINT_LEN];	/* the shares as sent or received */
	uint8_t yb[CPACE_POINT_LEN];
	uint8_t isk[CPACE_ISK_LEN];	/* secret; wiped by cpace_psk() */
	bool has_isk;
	bool has_y;		/* y set (injected by cpace_set_scalar()) */
	bool has_sid;		/* sid injected by cpace_set_sid() */
};

/* Starts an exchange for role.  Nothing secret yet. */
void cpace_init(struct cpace *c, enum role role);

/*
 * Test hooks for known answers: use y as our scalar (a canonical, non-zero
 * scalar) and, initiator only, sid as the session id, instead of fresh
 * random ones.  Call after cpace_init(), before the first message.
 * Returns -1 if the value is refused or it is too late.
 */
int cpace_set_scalar(struct cpace *c, const uint8_t y[CPACE_SCALAR_LEN]);
int cpace_set_sid(struct cpace *c, const uint8_t sid[CPACE_SID_LEN]);

/*
 * Initiator: picks sid and ya, computes the generator from prs (the
 * canonical code, prs_len bytes) and writes message A's body to out.
 * Returns 0 and sets *out_len (CPACE_MSG_A_LEN), or -1 if this is not the
 * initiator's first step or out_cap is too small; c is then cleared.
 */
int cpace_start(struct cpace *c, const char *prs, size_t prs_len,
    uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Responder: reads message A's body (msg_a, msg_a_len bytes), computes the
 * generator from prs and sid, picks yb, K = scalar_mult_vfy(yb, Ya) and
 * the ISK, then writes message B's body to out.  Returns 0 and sets
 * *out_len (CPACE_MSG_B_LEN), or -1 when A has the wrong length, Ya is
 * invalid or the identity (the draft's abort: send no B), it is not our
 * turn, or out_cap is too small; c is then cleared.
 */
int cpace_respond(struct cpace *c, const char *prs, size_t prs_len,
    const uint8_t *msg_a, size_t msg_a_len, uint8_t *out, size_t out_cap,
    size_t *out_len);

/*
 * Initiator: reads message B's body, K = scalar_mult_vfy(ya, Yb), and the
 * ISK.  Returns 0, or -1 when B has the wrong length, Yb is invalid or
 * the identity, or it is not our turn; c is then cleared.
 */
int cpace_finish(struct cpace *c, const uint8_t *msg_b, size_t msg_b_len);

/*
 * The Noise prologue after the exchange: CPACE_LINE, then messages A and B
 * as they travel, each with its uint16 BE length (PROTOCOL.md, "Code
 * mode").  Returns 0 and sets *out_len (CPACE_PROLOGUE_LEN), or -1 before
 * CPACE_DONE or if out_cap is too small.
 */
int cpace_prologue(const struct cpace *c, uint8_t *out, size_t out_cap,
    size_t *out_len);

/*
 * The Noise psk from the ISK (cpace_derive_psk()), which is then wiped:
 * call it once.  (Our scalar and K are wiped as soon as the ISK is known;
 * the public shares stay for cpace_prologue().)  Returns -1 before
 * CPACE_DONE or once the ISK is gone.
 */
int cpace_psk(struct cpace *c, uint8_t psk[NOISE_PSK_LEN]);

/* Wipes everything (step CPACE_CLEARED: every later call fails); accepts
 * NULL. */
void cpace_clear(struct cpace *c);

#endif
