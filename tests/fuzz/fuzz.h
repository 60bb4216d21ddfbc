/*
 * fuzz.h - shared by the libFuzzer targets, the replay driver and the seed
 * generator: fixed keys so every run is deterministic, a handshake state
 * set up as conn.c will set it up, the input format, and assertions that
 * abort (libFuzzer reports an abort as a crash).  Header-only.
 *
 * Every target reads the same shape of input:
 *
 *   flags (1 byte) || the rest
 *
 * with FUZZ_P256 choosing the suite.  The handshake, frame and cpace
 * targets cut the rest into records  uint16 BE length || that many bytes,
 * the way handshake messages and frames travel on the wire.
 */
#ifndef SEALCAT_FUZZ_H
#define SEALCAT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pake/cpace.h"
#include "noise/noise.h"
#include "session/preamble.h"
#include "crypto/suite.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Set by each target: true when the input went all the way (the preamble
 * was ours, the handshake completed and split, every frame opened).  The
 * replay driver checks it against the seed's name (ok-* / bad-*).
 */
extern bool fuzz_accepted;

#define FUZZ_P256 0x01		/* suite p256, else x25519 */
#define FUZZ_PAYLOAD 0x02	/* handshake: offer a payload buffer */
#define FUZZ_R2I 0x02		/* frame: responder -> initiator direction */
#define FUZZ_NEAR_REKEY 0x04	/* frame: first nonce 65534 */
#define FUZZ_RULES 0x08		/* frame: apply the v2 order rules (ending.c,
				 * rekey.c) as the relay does */
#define FUZZ_CLOSED 0x10	/* frame, with FUZZ_RULES: we sent our CLOSE
				 * before the first frame */
#define FUZZ_TOKEN 0x02		/* keyfile: a token, else a key file */
#define FUZZ_CPACE_B 0x02	/* cpace: connect reads B, not listen A */
#define FUZZ_RELAY_REPLY 0x02	/* relay_line: a relay's reply, else a
				 * client's request */
#define FUZZ_PROXY_HTTP 0x02	/* proxy: an HTTP proxy's response, else a
				 * SOCKS5 reply */

/* The key seeds: private key byte i is seed + i, valid for both suites. */
#define FUZZ_I_STATIC 0x11
#define FUZZ_I_EPHEMERAL 0x31
#define FUZZ_R_STATIC 0x51
#define FUZZ_R_EPHEMERAL 0x71
#define FUZZ_I_REKEY 0x91	/* every rekey round's ephemeral, per role */
#define FUZZ_R_REKEY 0xb1
/* Code mode: the code both sides hold, the sid (byte i is FUZZ_SID + i) and
 * the CPace scalars' seeds. */
#define FUZZ_CODE "7-sapphire-clock"
#define FUZZ_SID 0x91
#define FUZZ_I_SCALAR 0xa1
#define FUZZ_R_SCALAR 0xc1

#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: assertion failed: %s\n", \
			    __FILE__, __LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

static inline void
fuzz_setup(void)
{
	static bool done;

	if (!done) {
		FUZZ_ASSERT(suite_init() == 0);
		done = true;
	}
}

static inline const struct suite *
fuzz_suite(uint8_t flags)
{
	return (flags & FUZZ_P256) ? &suite_p256 : &suite_x25519;
}

static inline void
fuzz_key(uint8_t seed, uint8_t priv[SUITE_PRIV_LEN])
{
	for (size_t i = 0; i < SUITE_PRIV_LEN; i++)
		priv[i] = (uint8_t)(seed + i);
}

/*
 * A handshake state for role with the fixed static and ephemeral keys of
 * that role, and our preamble line as the prologue (PROTOCOL.md §2).
 */
static inline void
fuzz_handshake_init(struct handshake_state *hs, const struct suite *suite,
    enum role role)
{
	bool initiator = role == ROLE_INITIATOR;
	uint8_t s_priv[SUITE_PRIV_LEN], e_priv[SUITE_PRIV_LEN];
	uint8_t s_pub[SUITE_PUB_MAX];
	char line[PREAMBLE_MAX + 1];
	size_t line_len;

	fuzz_setup();
	fuzz_key(initiator ? FUZZ_I_STATIC : FUZZ_R_STATIC, s_priv);
	fuzz_key(initiator ? FUZZ_I_EPHEMERAL : FUZZ_R_EPHEMERAL, e_priv);
	FUZZ_ASSERT(suite->pubkey(s_pub, s_priv) == 0);
	line_len = preamble_build(suite, line, sizeof(line));
	FUZZ_ASSERT(line_len > 0);
	FUZZ_ASSERT(noise_init(hs, suite, role, (const uint8_t *)line,
	    line_len, s_priv, s_pub) == 0);
	FUZZ_ASSERT(noise_set_ephemeral(hs, e_priv) == 0);
	wipe(s_priv, sizeof(s_priv));
	wipe(e_priv, sizeof(e_priv));
}

/* A CPace scalar from a seed: fuzz_key(), cut below 2^252 (so below the
 * group order, and not zero). */
static inline void
fuzz_scalar(uint8_t seed, uint8_t y[CPACE_SCALAR_LEN])
{
	fuzz_key(seed, y);
	y[CPACE_SCALAR_LEN - 1] &= 0x0f;
}

/* A CPace state for role with that role's fixed scalar, and for the
 * initiator the fixed sid. */
static inline void
fuzz_cpace_init(struct cpace *c, enum role role)
{
	uint8_t y[CPACE_SCALAR_LEN], sid[CPACE_SID_LEN];

	fuzz_setup();
	cpace_init(c, role);
	fuzz_scalar(role == ROLE_INITIATOR ? FUZZ_I_SCALAR : FUZZ_R_SCALAR, y);
	FUZZ_ASSERT(cpace_set_scalar(c, y) == 0);
	if (role == ROLE_INITIATOR) {
		for (size_t i = 0; i < sizeof(sid); i++)
			sid[i] = (uint8_t)(FUZZ_SID + i);
		FUZZ_ASSERT(cpace_set_sid(c, sid) == 0);
	}
	wipe(y, sizeof(y));
}

/*
 * After the CPace exchange c: the Noise XXpsk0 state of code mode for role
 * (x25519 suite), with c's prologue and psk (c's ISK is used up) and the
 * fixed static and ephemeral keys of that role.
 */
static inline void
fuzz_code_handshake_init(struct handshake_state *hs, enum role role,
    struct cpace *c)
{
	bool initiator = role == ROLE_INITIATOR;
	uint8_t s_priv[SUITE_PRIV_LEN], e_priv[SUITE_PRIV_LEN];
	uint8_t s_pub[SUITE_PUB_MAX], psk[NOISE_PSK_LEN];
	uint8_t prologue[CPACE_PROLOGUE_LEN];
	struct noise_pattern pattern;
	struct noise_keys keys = { .s_priv = s_priv, .s_pub = s_pub,
		.psk = psk, .psk_count = 1 };
	size_t len;

	FUZZ_ASSERT(noise_pattern_find(CPACE_PATTERN, &pattern) == 0);
	FUZZ_ASSERT(cpace_prologue(c, prologue, sizeof(prologue), &len) == 0);
	FUZZ_ASSERT(cpace_psk(c, psk) == 0);
	fuzz_key(initiator ? FUZZ_I_STATIC : FUZZ_R_STATIC, s_priv);
	fuzz_key(initiator ? FUZZ_I_EPHEMERAL : FUZZ_R_EPHEMERAL, e_priv);
	FUZZ_ASSERT(suite_x25519.pubkey(s_pub, s_priv) == 0);
	FUZZ_ASSERT(noise_init_pattern(hs, &pattern, &suite_x25519, role,
	    prologue, len, &keys) == 0);
	FUZZ_ASSERT(noise_set_ephemeral(hs, e_priv) == 0);
	wipe(s_priv, sizeof(s_priv));
	wipe(e_priv, sizeof(e_priv));
	wipe(psk, sizeof(psk));
}

/* True if all len bytes at p are zero. */
static inline bool
fuzz_all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/*
 * For the targets whose input is one message after the flags byte: calls
 * with_flag (if the flags byte has flag) or without_flag on a copy of the
 * rest in a buffer of its exact size, so that ASan sees a read one byte
 * too far.  An empty input does nothing.
 */
static inline void
fuzz_split_copy(const uint8_t *data, size_t size, uint8_t flag,
    void (*with_flag)(const uint8_t *p, size_t len),
    void (*without_flag)(const uint8_t *p, size_t len))
{
	uint8_t *copy;

	if (size < 1)
		return;
	/* malloc(0) may return NULL: keep one byte, use none of it. */
	copy = malloc(size - 1 > 0 ? size - 1 : 1);
	FUZZ_ASSERT(copy != NULL);
	memcpy(copy, data + 1, size - 1);
	if (data[0] & flag)
		with_flag(copy, size - 1);
	else
		without_flag(copy, size - 1);
	free(copy);
}

/*
 * Takes the next record (uint16 BE length, then that many bytes) from
 * data[*pos..size).  False when fewer than two bytes are left; a record
 * cut short by the end of the input is returned short, as a peer that
 * closes mid-message would leave it.
 */
static inline bool
fuzz_next_record(const uint8_t *data, size_t size, size_t *pos,
    const uint8_t **rec, size_t *rec_len, size_t *declared_len)
{
	size_t left;

	if (*pos > size || size - *pos < 2)
		return false;
	*declared_len = get_be16(data + *pos);
	*pos += 2;
	left = size - *pos;
	*rec = data + *pos;
	*rec_len = *declared_len < left ? *declared_len : left;
	*pos += *rec_len;
	return true;
}

/*
 * Both sides' transport cipher states and rekey secrets after a complete
 * handshake between the fixed keys; the same every time.
 */
struct fuzz_transport {
	struct cipher_state i_send, i_recv;
	struct cipher_state r_send, r_recv;
	uint8_t i_rk[SUITE_HASH_MAX], r_rk[SUITE_HASH_MAX];
};

static inline void
fuzz_transport(const struct suite *suite, struct fuzz_transport *t)
{
	struct handshake_state ini, res;
	uint8_t msg[NOISE_MSG_MAX];
	size_t len;

	fuzz_handshake_init(&ini, suite, ROLE_INITIATOR);
	fuzz_handshake_init(&res, suite, ROLE_RESPONDER);
	for (int i = 0; i < 3; i++) {
		struct handshake_state *w = i % 2 == 0 ? &ini : &res;
		struct handshake_state *r = i % 2 == 0 ? &res : &ini;

		FUZZ_ASSERT(noise_write_message(w, NULL, 0, msg, sizeof(msg),
		    &len) == 0);
		FUZZ_ASSERT(noise_read_message(r, msg, len, NULL, 0, NULL)
		    == 0);
	}
	FUZZ_ASSERT(noise_rekey_secret(&ini, t->i_rk) == 0);
	FUZZ_ASSERT(noise_rekey_secret(&res, t->r_rk) == 0);
	FUZZ_ASSERT(noise_split(&ini, &t->i_send, &t->i_recv, NULL) == 0);
	FUZZ_ASSERT(noise_split(&res, &t->r_send, &t->r_recv, NULL) == 0);
}

#endif
