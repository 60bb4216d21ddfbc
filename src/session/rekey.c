/*
 * rekey.c - fresh Diffie-Hellman rounds, PROTOCOL.md §3.5; see rekey.h.
 *
 * The DH of a round runs as soon as both public keys are known, which is
 * always while taking the peer's REKEY: either our key pair exists already
 * (we started the round), or we make it then to answer.  So an invalid
 * peer key is found at its REKEY for both suites (x25519: an all-zero
 * output; p256: a point off the curve), and our ephemeral private key and
 * the DH output never outlive that call.
 */
#include "session/rekey.h"

#include <string.h>

#include "base/util.h"

int
rekey_init(struct rekey *r, const struct suite *suite, enum role role,
    const uint8_t *rk, unsigned interval_s, long long now_ms)
{
	memset(r, 0, sizeof(*r));
	if (suite->hash_len > sizeof(r->rk) || suite->pub_len > SUITE_PUB_MAX)
		return -1;
	r->suite = suite;
	r->role = role;
	memcpy(r->rk, rk, suite->hash_len);
	r->interval_ms = (long long)interval_s * 1000;
	r->round_mark_ms = now_ms;
	return 0;
}

int
rekey_set_ephemeral(struct rekey *r, const uint8_t priv[SUITE_PRIV_LEN])
{
	uint8_t pub[SUITE_PUB_MAX];

	if (r->suite->pubkey(pub, priv) != 0)
		return -1;
	memcpy(r->fixed_priv, priv, SUITE_PRIV_LEN);
	r->fixed_e = true;
	return 0;
}

void
rekey_count(struct rekey *r, size_t data_len)
{
	if (data_len > UINT64_MAX - r->bytes_sent)
		r->bytes_sent = UINT64_MAX;
	else
		r->bytes_sent += data_len;
}

bool
rekey_due(const struct rekey *r, long long now_ms)
{
	if (r->in_round || r->quiet)
		return false;
	if (r->bytes_sent >= REKEY_BYTE_LIMIT)
		return true;
	return r->interval_ms > 0 &&
	    now_ms - r->round_mark_ms >= r->interval_ms;
}

long long
rekey_deadline(const struct rekey *r)
{
	if (r->in_round || r->interval_ms == 0)
		return -1;
	return r->round_mark_ms + r->interval_ms;
}

/* A round begins: the clock and the byte count start again from here. */
static void
begin_round(struct rekey *r, long long now_ms)
{
	r->in_round = true;
	r->round_mark_ms = now_ms;
	r->bytes_sent = 0;
}

/* Both SWITCHes are done: forget the round. */
static void
finish_round(struct rekey *r)
{
	r->in_round = false;
	r->made_e = false;
	r->sent_rekey = false;
	r->got_rekey = false;
	r->keys_ready = false;
	r->sent_switch = false;
	r->got_switch = false;
	wipe(r->e_priv, sizeof(r->e_priv));
	wipe(r->e_pub, sizeof(r->e_pub));
	wipe(r->send_k, sizeof(r->send_k));
	wipe(r->recv_k, sizeof(r->recv_k));
	r->rounds++;
}

static int
make_ephemeral(struct rekey *r)
{
	if (r->fixed_e) {
		memcpy(r->e_priv, r->fixed_priv, SUITE_PRIV_LEN);
		wipe(r->fixed_priv, sizeof(r->fixed_priv));
		r->fixed_e = false;
		if (r->suite->pubkey(r->e_pub, r->e_priv) != 0)
			goto fail;
	} else if (r->suite->keypair(r->e_priv, r->e_pub) != 0)
		goto fail;
	r->made_e = true;
	return 0;
fail:
	wipe(r->e_priv, sizeof(r->e_priv));
	return -1;
}

int
rekey_start(struct rekey *r, long long now_ms)
{
	if (r->in_round || make_ephemeral(r) != 0)
		return -1;
	begin_round(r, now_ms);
	return 0;
}

bool
rekey_owes(const struct rekey *r, enum frame_type *type)
{
	if (r->quiet)
		return false;
	if (r->made_e && !r->sent_rekey) {
		*type = FRAME_REKEY;
		return true;
	}
	if (r->keys_ready && r->sent_rekey && !r->sent_switch) {
		*type = FRAME_SWITCH;
		return true;
	}
	return false;
}

int
rekey_write(const struct rekey *r, uint8_t *body, size_t body_cap,
    size_t *body_len)
{
	enum frame_type owed;

	if (!rekey_owes(r, &owed) || owed != FRAME_REKEY ||
	    body_cap < r->suite->pub_len)
		return -1;
	memcpy(body, r->e_pub, r->suite->pub_len);
	*body_len = r->suite->pub_len;
	return 0;
}

/* Replaces cs's key; n keeps counting (PROTOCOL.md §3.5). */
static void
install(struct cipher_state *cs, uint8_t k[SUITE_KEY_LEN])
{
	memcpy(cs->k, k, SUITE_KEY_LEN);
	wipe(k, SUITE_KEY_LEN);
}

int
rekey_sent(struct rekey *r, enum frame_type type, struct cipher_state *send)
{
	enum frame_type owed;

	if (!rekey_owes(r, &owed) || owed != type || send->suite != r->suite ||
	    !send->has_key)
		return -1;
	if (type == FRAME_REKEY) {
		r->sent_rekey = true;
		return 0;
	}
	install(send, r->send_k);
	r->sent_switch = true;
	if (r->got_switch)
		finish_round(r);
	return 0;
}

/*
 * (rk, k_i2r, k_r2i) = HKDF(rk, DH(e, re), 3); the keys are the first 32
 * bytes of their outputs.  Returns -1 if the DH fails (an invalid re).
 */
static int
derive(struct rekey *r, const uint8_t *re)
{
	size_t hash_len = r->suite->hash_len;
	uint8_t out[3 * SUITE_HASH_MAX];
	uint8_t dh[SUITE_DH_LEN];
	const uint8_t *k_i2r = out + hash_len, *k_r2i = out + 2 * hash_len;
	int rc = -1;

	if (r->suite->dh(dh, r->e_priv, re) != 0)
		goto out;
	noise_hkdf(r->suite, r->rk, hash_len, dh, sizeof(dh), 3, out);
	memcpy(r->rk, out, hash_len);
	memcpy(r->send_k, r->role == ROLE_INITIATOR ? k_i2r : k_r2i,
	    SUITE_KEY_LEN);
	memcpy(r->recv_k, r->role == ROLE_INITIATOR ? k_r2i : k_i2r,
	    SUITE_KEY_LEN);
	r->keys_ready = true;
	rc = 0;
out:
	/* The ephemeral has had its one DH, whatever its result. */
	wipe(r->e_priv, sizeof(r->e_priv));
	wipe(dh, sizeof(dh));
	wipe(out, sizeof(out));
	return rc;
}

static enum rekey_verdict
verdict(enum rekey_verdict v, const char **why, const char *what)
{
	*why = what;
	return v;
}

static enum rekey_verdict
take_rekey(struct rekey *r, const uint8_t *body, size_t body_len,
    bool may_answer, long long now_ms, const char **why)
{
	if (!may_answer)
		r->quiet = true;
	if (r->got_rekey)
		return verdict(REKEY_PROTOCOL_ERROR, why,
		    "second REKEY in one round");
	if (body_len != r->suite->pub_len)
		return verdict(REKEY_PROTOCOL_ERROR, why,
		    "REKEY frame with a key of the wrong length");
	if (!r->made_e && !may_answer) {
		/* Not answered, so no DH will check the key: check it
		 * here. */
		if (!r->suite->pub_valid(body))
			return verdict(REKEY_PROTOCOL_ERROR, why,
			    "invalid REKEY key");
		if (!r->in_round)
			begin_round(r, now_ms);
		r->got_rekey = true;
		return REKEY_OK;
	}
	if (!r->made_e && make_ephemeral(r) != 0)
		return verdict(REKEY_LOCAL_ERROR, why,
		    "cannot make an ephemeral key pair");
	if (derive(r, body) != 0)
		return verdict(REKEY_PROTOCOL_ERROR, why, "invalid REKEY key");
	if (!r->in_round)
		begin_round(r, now_ms);
	r->got_rekey = true;
	return REKEY_OK;
}

static enum rekey_verdict
take_switch(struct rekey *r, size_t body_len, struct cipher_state *recv,
    const char **why)
{
	if (body_len != 0)
		return verdict(REKEY_PROTOCOL_ERROR, why,
		    "SWITCH frame with a body");
	if (!r->got_rekey)
		return verdict(REKEY_PROTOCOL_ERROR, why,
		    "SWITCH before REKEY");
	if (r->got_switch)
		return verdict(REKEY_PROTOCOL_ERROR, why, "second SWITCH");
	/* The peer switches only after reading our REKEY. */
	if (!r->sent_rekey || !r->keys_ready)
		return verdict(REKEY_PROTOCOL_ERROR, why,
		    "SWITCH before our REKEY");
	install(recv, r->recv_k);
	r->got_switch = true;
	if (r->sent_switch)
		finish_round(r);
	return REKEY_OK;
}

enum rekey_verdict
rekey_received(struct rekey *r, enum frame_type type, const uint8_t *body,
    size_t body_len, struct cipher_state *recv, bool may_answer,
    long long now_ms, const char **why)
{
	if (recv->suite != r->suite || !recv->has_key)
		return verdict(REKEY_LOCAL_ERROR, why,
		    "cipher state of another suite");
	switch (type) {
	case FRAME_REKEY:
		return take_rekey(r, body, body_len, may_answer, now_ms, why);
	case FRAME_SWITCH:
		return take_switch(r, body_len, recv, why);
	default:
		return verdict(REKEY_PROTOCOL_ERROR, why,
		    "not a rekey frame");
	}
}

bool
rekey_in_round(const struct rekey *r)
{
	return r->in_round;
}

unsigned long
rekey_rounds(const struct rekey *r)
{
	return r->rounds;
}

void
rekey_clear(struct rekey *r)
{
	if (r != NULL)
		wipe(r, sizeof(*r));
}
