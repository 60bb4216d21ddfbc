/*
 * pair.h - test helper: run a whole XX handshake between two in-memory
 * handshake states with fresh static keys, and hand back both sides'
 * cipher states and rekey secrets.  Header-only, for test_noise.c,
 * test_frame.c and test_relay.c.
 */
#ifndef SEALCAT_TEST_PAIR_H
#define SEALCAT_TEST_PAIR_H

#include <stdbool.h>
#include <string.h>

#include "noise/noise.h"
#include "crypto/suite.h"

struct pair {
	struct cipher_state i_send, i_recv;	/* initiator */
	struct cipher_state r_send, r_recv;	/* responder */
	uint8_t i_h[SUITE_HASH_MAX], r_h[SUITE_HASH_MAX];
	uint8_t i_rk[SUITE_HASH_MAX], r_rk[SUITE_HASH_MAX];	/* rk */
	size_t msg_len[3];
};

/* Returns true when every step succeeded and both sides learned the other's
 * static key. */
static inline bool
pair_handshake(const struct suite *suite, struct pair *p)
{
	static const uint8_t prologue[] = "SEALCAT/2 test\n";
	uint8_t i_priv[SUITE_PRIV_LEN], i_pub[SUITE_PUB_MAX];
	uint8_t r_priv[SUITE_PRIV_LEN], r_pub[SUITE_PUB_MAX];
	struct handshake_state ini, res;
	uint8_t msg[NOISE_MSG_MAX];
	size_t payload_len;
	bool good = true;

	memset(p, 0, sizeof(*p));
	if (suite->keypair(i_priv, i_pub) != 0 ||
	    suite->keypair(r_priv, r_pub) != 0)
		return false;
	if (noise_init(&ini, suite, ROLE_INITIATOR, prologue,
	    sizeof(prologue) - 1, i_priv, i_pub) != 0 ||
	    noise_init(&res, suite, ROLE_RESPONDER, prologue,
	    sizeof(prologue) - 1, r_priv, r_pub) != 0)
		return false;
	for (int i = 0; i < 3 && good; i++) {
		struct handshake_state *w = i % 2 == 0 ? &ini : &res;
		struct handshake_state *r = i % 2 == 0 ? &res : &ini;

		good = noise_write_message(w, NULL, 0, msg, sizeof(msg),
		    &p->msg_len[i]) == 0 &&
		    noise_read_message(r, msg, p->msg_len[i], NULL, 0,
		    &payload_len) == 0 && payload_len == 0;
	}
	good = good && noise_remote_static(&ini) != NULL &&
	    memcmp(noise_remote_static(&ini), r_pub, suite->pub_len) == 0 &&
	    noise_remote_static(&res) != NULL &&
	    memcmp(noise_remote_static(&res), i_pub, suite->pub_len) == 0;
	good = good && noise_rekey_secret(&ini, p->i_rk) == 0 &&
	    noise_rekey_secret(&res, p->r_rk) == 0 &&
	    noise_split(&ini, &p->i_send, &p->i_recv, p->i_h) == 0 &&
	    noise_split(&res, &p->r_send, &p->r_recv, p->r_h) == 0;
	handshake_clear(&ini);
	handshake_clear(&res);
	return good;
}

#endif
