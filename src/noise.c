/*
 * noise.c - Noise XX (specification revision 34) for sealcat, PROTOCOL.md
 * §2: CipherState, SymmetricState and HandshakeState, HKDF, Split and
 * Rekey, written once on top of struct suite.  No I/O and no logging: every
 * failure is a -1 that the caller turns into a message.
 *
 * Names are the specification's, so the two can be read side by side:
 * ck (chaining key), h (handshake hash), k and n (cipher key and nonce),
 * e and s (our ephemeral and static key pairs), re and rs (the peer's
 * ephemeral and static public keys).
 *
 * XX, with the DH each token means for each role:
 *   -> e
 *   <- e, ee, s, es     ee = DH(e, re); es = DH(e, rs) / DH(s, re)
 *   -> s, se            se = DH(s, re) / DH(e, rs)
 */
#include "noise.h"

#include <string.h>

#include "util.h"

#define NONCE_MAX UINT64_MAX	/* 2^64-1: reserved for Rekey() */
#define HKDF_MAX_OUTPUTS 3

static const uint8_t empty[1];	/* a valid pointer for zero-length input */

static void
initialize_key(struct cipher_state *cs, const struct suite *suite,
    const uint8_t *k)
{
	cs->suite = suite;
	memcpy(cs->k, k, SUITE_KEY_LEN);
	cs->n = 0;
	cs->has_key = true;
}

static int
copy_plain(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	if (in_len > out_cap)
		return -1;
	if (out != in && in_len > 0)
		memmove(out, in, in_len);
	*out_len = in_len;
	return 0;
}

int
noise_encrypt(struct cipher_state *cs, const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	if (!cs->has_key)
		return copy_plain(in, in_len, out, out_cap, out_len);
	/* 2^64-1 is never used for a message: Rekey() owns it. */
	if (cs->n == NONCE_MAX)
		return -1;
	if (out_cap < SUITE_TAG_LEN || in_len > out_cap - SUITE_TAG_LEN)
		return -1;
	cs->suite->seal(cs->k, cs->n, ad, ad_len, in, in_len, out);
	cs->n++;
	*out_len = in_len + SUITE_TAG_LEN;
	return 0;
}

int
noise_decrypt(struct cipher_state *cs, const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	size_t plain_len;

	if (!cs->has_key)
		return copy_plain(in, in_len, out, out_cap, out_len);
	if (cs->n == NONCE_MAX || in_len < SUITE_TAG_LEN)
		return -1;
	plain_len = in_len - SUITE_TAG_LEN;
	if (plain_len > out_cap)
		return -1;
	/* The backend wipes out when the tag does not verify. */
	if (cs->suite->open(cs->k, cs->n, ad, ad_len, in, in_len, out) != 0)
		return -1;
	cs->n++;
	*out_len = plain_len;
	return 0;
}

void
noise_rekey(struct cipher_state *cs)
{
	uint8_t block[SUITE_KEY_LEN + SUITE_TAG_LEN] = { 0 };

	if (!cs->has_key)
		return;
	cs->suite->seal(cs->k, NONCE_MAX, empty, 0, block, SUITE_KEY_LEN,
	    block);
	memcpy(cs->k, block, SUITE_KEY_LEN);
	wipe(block, sizeof(block));
}

void
noise_hkdf(const struct suite *suite, const uint8_t *ck, size_t ck_len,
    const uint8_t *ikm, size_t ikm_len, int num_outputs, uint8_t *out)
{
	uint8_t temp_key[SUITE_HASH_MAX];
	uint8_t input[SUITE_HASH_MAX + 1];
	size_t hash_len = suite->hash_len;

	if (num_outputs > HKDF_MAX_OUTPUTS)
		num_outputs = HKDF_MAX_OUTPUTS;
	suite->hmac(temp_key, ck, ck_len, ikm_len > 0 ? ikm : empty, ikm_len);
	/* output_i = HMAC(temp_key, output_{i-1} || byte(i)) */
	for (int i = 0; i < num_outputs; i++) {
		size_t input_len = 0;

		if (i > 0) {
			memcpy(input, out + (size_t)(i - 1) * hash_len,
			    hash_len);
			input_len = hash_len;
		}
		input[input_len++] = (uint8_t)(i + 1);
		suite->hmac(out + (size_t)i * hash_len, temp_key, hash_len,
		    input, input_len);
	}
	wipe(temp_key, sizeof(temp_key));
	wipe(input, sizeof(input));
}

static void
mix_hash(struct handshake_state *hs, const uint8_t *data, size_t len)
{
	uint8_t h[SUITE_HASH_MAX];

	hs->suite->hash(h, hs->ss.h, hs->suite->hash_len,
	    len > 0 ? data : empty, len);
	memcpy(hs->ss.h, h, hs->suite->hash_len);
}

static void
mix_key(struct handshake_state *hs, const uint8_t *ikm, size_t ikm_len)
{
	size_t hash_len = hs->suite->hash_len;
	uint8_t out[2 * SUITE_HASH_MAX];

	noise_hkdf(hs->suite, hs->ss.ck, hash_len, ikm, ikm_len, 2, out);
	memcpy(hs->ss.ck, out, hash_len);
	/* With a 64-byte hash, the key is the first 32 bytes of temp_k. */
	initialize_key(&hs->ss.cs, hs->suite, out + hash_len);
	wipe(out, sizeof(out));
}

static int
encrypt_and_hash(struct handshake_state *hs, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (noise_encrypt(&hs->ss.cs, hs->ss.h, hs->suite->hash_len, in,
	    in_len, out, out_cap, out_len) != 0)
		return -1;
	mix_hash(hs, out, *out_len);
	return 0;
}

/* in and out must not overlap: h absorbs the ciphertext afterwards. */
static int
decrypt_and_hash(struct handshake_state *hs, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (noise_decrypt(&hs->ss.cs, hs->ss.h, hs->suite->hash_len, in,
	    in_len, out, out_cap, out_len) != 0)
		return -1;
	mix_hash(hs, in, in_len);
	return 0;
}

/* MixKey(DH(priv, pub)); the DH output never outlives the call. */
static int
mix_dh(struct handshake_state *hs, const uint8_t *priv, const uint8_t *pub)
{
	uint8_t dh[SUITE_DH_LEN];

	if (hs->suite->dh(dh, priv, pub) != 0)
		return -1;
	mix_key(hs, dh, sizeof(dh));
	wipe(dh, sizeof(dh));
	return 0;
}

int
noise_init(struct handshake_state *hs, const struct suite *suite,
    enum role role, const uint8_t *prologue, size_t prologue_len,
    const uint8_t s_priv[SUITE_PRIV_LEN], const uint8_t *s_pub)
{
	size_t name_len = strlen(suite->protocol);

	memset(hs, 0, sizeof(*hs));
	if (suite->hash_len > SUITE_HASH_MAX || suite->pub_len > SUITE_PUB_MAX)
		return -1;
	hs->suite = suite;
	hs->role = role;
	/* h = protocol name, zero-padded to HASHLEN, or HASH(name) if it is
	 * longer; ck = h.  k is empty until the first MixKey. */
	if (name_len <= suite->hash_len)
		memcpy(hs->ss.h, suite->protocol, name_len);
	else
		suite->hash(hs->ss.h, (const uint8_t *)suite->protocol,
		    name_len, empty, 0);
	memcpy(hs->ss.ck, hs->ss.h, suite->hash_len);
	hs->ss.cs.suite = suite;
	mix_hash(hs, prologue, prologue_len);
	memcpy(hs->s_priv, s_priv, SUITE_PRIV_LEN);
	memcpy(hs->s_pub, s_pub, suite->pub_len);
	return 0;
}

int
noise_set_ephemeral(struct handshake_state *hs,
    const uint8_t priv[SUITE_PRIV_LEN])
{
	if (hs->suite == NULL || hs->msg_index != 0 || hs->has_e)
		return -1;
	if (hs->suite->pubkey(hs->e_pub, priv) != 0) {
		wipe(hs->e_pub, sizeof(hs->e_pub));
		return -1;
	}
	memcpy(hs->e_priv, priv, SUITE_PRIV_LEN);
	hs->has_e = true;
	return 0;
}

int
noise_use_ephemeral(struct handshake_state *hs,
    const uint8_t priv[SUITE_PRIV_LEN], const uint8_t *pub)
{
	if (hs->suite == NULL || hs->msg_index != 0 || hs->has_e)
		return -1;
	memcpy(hs->e_priv, priv, SUITE_PRIV_LEN);
	memcpy(hs->e_pub, pub, hs->suite->pub_len);
	hs->has_e = true;
	return 0;
}

size_t
noise_message_len(const struct suite *suite, int i)
{
	switch (i) {
	case 0:		/* e, payload in clear */
		return suite->pub_len;
	case 1:		/* e, encrypted s, payload tag */
		return suite->pub_len + suite->pub_len + 2 * SUITE_TAG_LEN;
	case 2:		/* encrypted s, payload tag */
		return suite->pub_len + 2 * SUITE_TAG_LEN;
	default:
		return 0;
	}
}

const uint8_t *
noise_remote_static(const struct handshake_state *hs)
{
	return hs->suite != NULL && hs->has_rs ? hs->rs : NULL;
}

static bool
our_turn_to_write(const struct handshake_state *hs)
{
	bool initiator_writes = hs->msg_index % 2 == 0;

	return hs->suite != NULL && hs->msg_index < 3 &&
	    initiator_writes == (hs->role == ROLE_INITIATOR);
}

/* A handshake that failed once is dead: clear it so secrets go at once
 * and every later call fails. */
static int
fail(struct handshake_state *hs)
{
	handshake_clear(hs);
	return -1;
}

static int
write_e(struct handshake_state *hs, uint8_t *out, size_t *len)
{
	size_t pub_len = hs->suite->pub_len;

	if (!hs->has_e) {
		if (hs->suite->keypair(hs->e_priv, hs->e_pub) != 0)
			return -1;
		hs->has_e = true;
	}
	memcpy(out + *len, hs->e_pub, pub_len);
	mix_hash(hs, hs->e_pub, pub_len);
	*len += pub_len;
	return 0;
}

static int
write_s(struct handshake_state *hs, uint8_t *out, size_t out_cap,
    size_t *len)
{
	size_t n;

	if (encrypt_and_hash(hs, hs->s_pub, hs->suite->pub_len, out + *len,
	    out_cap - *len, &n) != 0)
		return -1;
	*len += n;
	return 0;
}

int
noise_write_message(struct handshake_state *hs, const uint8_t *payload,
    size_t payload_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	size_t len = 0;
	size_t n;

	if (!our_turn_to_write(hs) || payload_len > NOISE_MSG_MAX)
		return fail(hs);
	n = noise_message_len(hs->suite, hs->msg_index) + payload_len;
	if (n > out_cap || n > NOISE_MSG_MAX)
		return fail(hs);
	switch (hs->msg_index) {
	case 0:		/* -> e */
		if (write_e(hs, out, &len) != 0)
			return fail(hs);
		break;
	case 1:		/* <- e, ee, s, es */
		if (write_e(hs, out, &len) != 0 ||
		    mix_dh(hs, hs->e_priv, hs->re) != 0 ||
		    write_s(hs, out, out_cap, &len) != 0 ||
		    mix_dh(hs, hs->s_priv, hs->re) != 0)
			return fail(hs);
		break;
	case 2:		/* -> s, se */
		if (write_s(hs, out, out_cap, &len) != 0 ||
		    mix_dh(hs, hs->s_priv, hs->re) != 0)
			return fail(hs);
		break;
	}
	if (encrypt_and_hash(hs, payload_len > 0 ? payload : empty,
	    payload_len, out + len, out_cap - len, &n) != 0)
		return fail(hs);
	*out_len = len + n;
	hs->msg_index++;
	return 0;
}

static int
read_e(struct handshake_state *hs, const uint8_t *msg, size_t *pos)
{
	size_t pub_len = hs->suite->pub_len;

	memcpy(hs->re, msg + *pos, pub_len);
	*pos += pub_len;
	/* Message 1 has no DH, so refuse a bad point now; in message 2 the
	 * ee DH that follows before the read returns checks re itself
	 * (suite.h: dh() fails on an invalid key), and pub_valid() would
	 * cost p256 one more point multiplication. */
	if (hs->msg_index == 0 && !hs->suite->pub_valid(hs->re))
		return -1;
	mix_hash(hs, hs->re, pub_len);
	return 0;
}

static int
read_s(struct handshake_state *hs, const uint8_t *msg, size_t *pos)
{
	size_t ct_len = hs->suite->pub_len + SUITE_TAG_LEN;
	size_t n;

	if (decrypt_and_hash(hs, msg + *pos, ct_len, hs->rs, sizeof(hs->rs),
	    &n) != 0)
		return -1;
	*pos += ct_len;
	/* No pub_valid() here: both callers run a DH with rs before the
	 * read returns, and a failed DH clears hs, so an invalid rs never
	 * reaches noise_remote_static(). */
	hs->has_rs = true;
	return 0;
}

int
noise_read_message(struct handshake_state *hs, const uint8_t *msg,
    size_t msg_len, uint8_t *payload, size_t payload_cap,
    size_t *payload_len)
{
	uint8_t no_payload[1];
	size_t pos = 0;
	size_t n;

	if (hs->suite == NULL || hs->msg_index >= 3 || our_turn_to_write(hs))
		return fail(hs);
	/* Every fixed-size field is present: the token reads below need no
	 * further length checks. */
	if (msg_len < noise_message_len(hs->suite, hs->msg_index) ||
	    msg_len > NOISE_MSG_MAX)
		return fail(hs);
	switch (hs->msg_index) {
	case 0:		/* -> e */
		if (read_e(hs, msg, &pos) != 0)
			return fail(hs);
		break;
	case 1:		/* <- e, ee, s, es */
		if (read_e(hs, msg, &pos) != 0 ||
		    mix_dh(hs, hs->e_priv, hs->re) != 0 ||
		    read_s(hs, msg, &pos) != 0 ||
		    mix_dh(hs, hs->e_priv, hs->rs) != 0)
			return fail(hs);
		break;
	case 2:		/* -> s, se */
		if (read_s(hs, msg, &pos) != 0 ||
		    mix_dh(hs, hs->e_priv, hs->rs) != 0)
			return fail(hs);
		break;
	}
	if (payload == NULL) {
		payload = no_payload;
		payload_cap = 0;
	}
	if (decrypt_and_hash(hs, msg + pos, msg_len - pos, payload,
	    payload_cap, &n) != 0)
		return fail(hs);
	if (payload_len != NULL)
		*payload_len = n;
	/* Our ephemeral key has done its last DH once we have read the
	 * peer's second message (initiator: message 2, responder: 3). */
	if (hs->msg_index >= 1) {
		wipe(hs->e_priv, sizeof(hs->e_priv));
	}
	hs->msg_index++;
	return 0;
}

int
noise_split(struct handshake_state *hs, struct cipher_state *send,
    struct cipher_state *recv, uint8_t *h_out)
{
	const struct suite *suite = hs->suite;
	uint8_t temp_k[2 * SUITE_HASH_MAX];
	struct cipher_state *c1, *c2;

	if (suite == NULL || hs->msg_index != 3)
		return -1;
	noise_hkdf(suite, hs->ss.ck, suite->hash_len, empty, 0, 2, temp_k);
	/* c1 carries initiator -> responder, c2 the other way. */
	c1 = hs->role == ROLE_INITIATOR ? send : recv;
	c2 = hs->role == ROLE_INITIATOR ? recv : send;
	initialize_key(c1, suite, temp_k);
	initialize_key(c2, suite, temp_k + suite->hash_len);
	if (h_out != NULL)
		memcpy(h_out, hs->ss.h, suite->hash_len);
	wipe(temp_k, sizeof(temp_k));
	handshake_clear(hs);
	return 0;
}

int
noise_rekey_secret(const struct handshake_state *hs, uint8_t *rk)
{
	const struct suite *suite = hs->suite;
	uint8_t out[3 * SUITE_HASH_MAX];

	if (suite == NULL || hs->msg_index != 3)
		return -1;
	noise_hkdf(suite, hs->ss.ck, suite->hash_len, empty, 0, 3, out);
	memcpy(rk, out + 2 * suite->hash_len, suite->hash_len);
	wipe(out, sizeof(out));
	return 0;
}

void
cipher_state_clear(struct cipher_state *cs)
{
	if (cs != NULL)
		wipe(cs, sizeof(*cs));
}

void
handshake_clear(struct handshake_state *hs)
{
	if (hs != NULL)
		wipe(hs, sizeof(*hs));
}
