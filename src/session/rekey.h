/*
 * rekey.h - fresh Diffie-Hellman rounds for long sessions (PROTOCOL.md
 * §3.5): when to start one, the order of REKEY and SWITCH both ways, the
 * derivation of new keys from the rekey secret rk, and installing them in
 * the cipher states while the nonces keep counting.  No I/O and no clock
 * of its own: the caller passes the time in milliseconds (any monotonic
 * clock) and seals and opens the frames with frame.c.
 *
 * A round, for one side:
 *
 *   start, or the peer's REKEY   we make an ephemeral key pair
 *   we seal REKEY(e.public)      body from rekey_write()
 *   both REKEYs known            (rk, k_i2r, k_r2i) = HKDF(rk, DH(e, re), 3);
 *                                e and the DH output are wiped
 *   we seal SWITCH               under the old key; every later frame
 *                                under the new sending key
 *   we open the peer's SWITCH    every later frame opens with the new
 *                                receiving key
 *   both SWITCHes done           the round is finished
 */
#ifndef SEALCAT_REKEY_H
#define SEALCAT_REKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/frame.h"
#include "noise/noise.h"
#include "crypto/suite.h"

/* A round starts after this much DATA payload sent since the last one:
 * 2^34 bytes, 16 GiB (PROTOCOL.md §3.5). */
#define REKEY_BYTE_LIMIT ((uint64_t)1 << 34)
#define REKEY_INTERVAL_DEFAULT 3600	/* --rekey-interval, seconds */

struct rekey {
	const struct suite *suite;
	enum role role;
	uint8_t rk[SUITE_HASH_MAX];	/* the rekey secret, hash_len bytes */

	/* The round in progress. */
	bool in_round;
	bool made_e;		/* our ephemeral of this round exists */
	bool sent_rekey;
	bool got_rekey;
	bool keys_ready;	/* send_k and recv_k derived */
	bool sent_switch;
	bool got_switch;
	bool quiet;		/* we send nothing more: answer no round */
	uint8_t e_priv[SUITE_PRIV_LEN];	/* wiped after its one DH */
	uint8_t e_pub[SUITE_PUB_MAX];
	uint8_t send_k[SUITE_KEY_LEN];	/* until our SWITCH is sealed */
	uint8_t recv_k[SUITE_KEY_LEN];	/* until the peer's SWITCH opens */

	/* Test hook: the next ephemeral private key, instead of a fresh one. */
	bool fixed_e;
	uint8_t fixed_priv[SUITE_PRIV_LEN];

	/* When to start the next round. */
	long long interval_ms;	/* 0: no timer */
	long long round_mark_ms;	/* Split, or the last round's start */
	uint64_t bytes_sent;	/* DATA payload sealed since then */
	unsigned long rounds;	/* rounds finished */
};

/* What rekey_received() found. */
enum rekey_verdict {
	REKEY_OK,
	REKEY_PROTOCOL_ERROR,	/* the peer broke a rule; *why says which */
	REKEY_LOCAL_ERROR	/* we could not make a key pair; *why */
};

/*
 * Sets up r right after Split, with rk from noise_rekey_secret() (hash_len
 * bytes of suite, copied; the caller wipes its copy), the interval in
 * seconds (0: no timer; the byte limit always applies) and the time of
 * Split.  Returns -1 if suite's hash does not fit.
 */
int rekey_init(struct rekey *r, const struct suite *suite, enum role role,
    const uint8_t *rk, unsigned interval_s, long long now_ms);

/*
 * Test hook for known-answer vectors: the next ephemeral key pair made
 * (by rekey_start() or on the peer's REKEY) uses priv.  Returns -1 if priv
 * is not a valid private key of the suite.
 */
int rekey_set_ephemeral(struct rekey *r, const uint8_t priv[SUITE_PRIV_LEN]);

/* Counts DATA payload we sealed, for the byte limit. */
void rekey_count(struct rekey *r, size_t data_len);

/*
 * True if we should start a round now: none is in progress, and the
 * interval has passed since Split or the start of the last round, or
 * REKEY_BYTE_LIMIT bytes were sent since.  The caller also asks
 * ending_may_start_round(): a side never starts a round after its CLOSE.
 */
bool rekey_due(const struct rekey *r, long long now_ms);

/*
 * When rekey_due() turns true by the clock, in the caller's milliseconds,
 * for the poll timeout; -1 if not by the clock (no timer, or a round is in
 * progress).
 */
long long rekey_deadline(const struct rekey *r);

/*
 * Starts a round: makes our ephemeral key pair; REKEY becomes owed.
 * Returns -1 if a round is in progress (one at a time) or no key pair
 * could be made; nothing is reported.
 */
int rekey_start(struct rekey *r, long long now_ms);

/*
 * The rekey frame we owe next: REKEY (once our key pair is made), then
 * SWITCH (once both REKEYs are known).  False when none is owed, and for
 * good once rekey_received() was told we may not answer.  These go before
 * any frame ending_owes() names, and only while ending_may_send() allows
 * them.
 */
bool rekey_owes(const struct rekey *r, enum frame_type *type);

/*
 * Writes the owed REKEY's body (our ephemeral public key, pub_len bytes)
 * to body and sets *body_len.  Returns -1 if no REKEY is owed or body_cap
 * is too small.
 */
int rekey_write(const struct rekey *r, uint8_t *body, size_t body_cap,
    size_t *body_len);

/*
 * Records that we sealed the owed REKEY or SWITCH with send.  After a
 * SWITCH, send's key is the new sending key (its nonce unchanged) and the
 * old one is gone.  Returns -1, changing nothing, if type is not what
 * rekey_owes() named or send is not of r's suite.
 */
int rekey_sent(struct rekey *r, enum frame_type type,
    struct cipher_state *send);

/*
 * Takes a REKEY or SWITCH that opened with recv (body_len bytes at body).
 * A REKEY starts the round if none is in progress, makes our key pair if
 * we have none and may_answer, and derives the new keys if our key pair
 * exists.  may_answer is false once we have sent both CLOSE and DONE: the
 * round is then processed (a later SWITCH still switches recv) but never
 * answered, and rekey_owes() stays false from then on.  A SWITCH installs
 * the new receiving key in recv (its nonce unchanged), so the next frame
 * opens with it.  Returns REKEY_OK; REKEY_PROTOCOL_ERROR with *why
 * ("second REKEY in one round", "invalid REKEY key", "SWITCH before
 * REKEY", "SWITCH before our REKEY", "second SWITCH", and the body checks
 * frame_open() has made already, "REKEY frame with a key of the wrong
 * length", "SWITCH frame with a body", "not a rekey frame"); or
 * REKEY_LOCAL_ERROR with *why when our key pair could not be made or recv
 * is not of r's suite.  Nothing is reported.
 */
enum rekey_verdict rekey_received(struct rekey *r, enum frame_type type,
    const uint8_t *body, size_t body_len, struct cipher_state *recv,
    bool may_answer, long long now_ms, const char **why);

/* True while a round is in progress (started and not yet finished). */
bool rekey_in_round(const struct rekey *r);

/* Rounds finished so far, for -v. */
unsigned long rekey_rounds(const struct rekey *r);

/* Wipes r (rk, keys, ephemerals); accepts NULL. */
void rekey_clear(struct rekey *r);

#endif
