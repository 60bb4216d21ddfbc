/*
 * test_noise.c - the Noise XX state machine for both suites: handshake
 * between two in-memory states, message sizes, transport round trips,
 * Rekey, nonce exhaustion, bad public keys; and the published
 * Noise_XX_25519_* vectors (cacophony, snow) byte for byte.
 *
 * The vectors use X25519 with four cipher/hash pairs.  Besides the real
 * x25519 suite, test-only suites mix X25519 with the p256 suite's AES-GCM
 * and/or SHA-256, so the p256 suite's AEAD, hash, HMAC and the HKDF over
 * them are checked against published handshakes too.  BLAKE2s and SHA-512
 * are in no sealcat suite; those vectors are skipped (a "#" line says so).
 * There are no published P-256 Noise vectors; sealcat/noise_xx_p256.json
 * was computed from PROTOCOL.md by an independent Python implementation,
 * with known answers for Rekey() (frames at nonces 65535..131072 through
 * noise_encrypt() and frame_seal(), and a fixed key rekeyed three times)
 * and for HKDF with three outputs.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "noise.h"
#include "pair.h"
#include "suite.h"
#include "tap.h"
#include "util.h"
#include "vectors.h"

static const struct suite *const suites[] = { &suite_x25519, &suite_p256 };

static void
test_handshake(const struct suite *s, const size_t want_len[3])
{
	struct pair p;
	bool done = pair_handshake(s, &p);

	ok(done, "%s: XX handshake between two states completes", s->name);
	for (int i = 0; i < 3; i++)
		ok(p.msg_len[i] == want_len[i] &&
		    noise_message_len(s, i) == want_len[i],
		    "%s: message %d is %zu bytes (got %zu, noise_message_len "
		    "%zu)", s->name, i + 1, want_len[i], p.msg_len[i],
		    noise_message_len(s, i));
	ok(done && memcmp(p.i_h, p.r_h, s->hash_len) == 0,
	    "%s: both sides end with the same handshake hash", s->name);
	ok(done && memcmp(p.i_send.k, p.r_recv.k, SUITE_KEY_LEN) == 0 &&
	    memcmp(p.r_send.k, p.i_recv.k, SUITE_KEY_LEN) == 0 &&
	    memcmp(p.i_send.k, p.i_recv.k, SUITE_KEY_LEN) != 0,
	    "%s: split gives matching, distinct keys per direction", s->name);
}

/* Seals msg with one side's cipher state and opens it with the other's. */
static bool
round_trip(struct cipher_state *send, struct cipher_state *recv,
    const uint8_t *msg, size_t msg_len)
{
	uint8_t ct[256 + SUITE_TAG_LEN], pt[256];
	size_t ct_len, pt_len;

	if (noise_encrypt(send, NULL, 0, msg, msg_len, ct, sizeof(ct),
	    &ct_len) != 0 || ct_len != msg_len + SUITE_TAG_LEN)
		return false;
	if (noise_decrypt(recv, NULL, 0, ct, ct_len, pt, sizeof(pt),
	    &pt_len) != 0)
		return false;
	return pt_len == msg_len && memcmp(pt, msg, msg_len) == 0;
}

static void
test_transport(const struct suite *s)
{
	static const uint8_t hello[] = "hello, responder";
	static const uint8_t reply[] = "hello, initiator";
	uint8_t buf[64];
	size_t len, len2;
	struct pair p;
	bool good;

	if (!pair_handshake(s, &p)) {
		ok(false, "%s: transport: handshake failed", s->name);
		return;
	}
	good = true;
	for (int i = 0; i < 5; i++)
		good = good && round_trip(&p.i_send, &p.r_recv, hello,
		    sizeof(hello)) && round_trip(&p.r_send, &p.i_recv, reply,
		    sizeof(reply));
	ok(good && p.i_send.n == 5 && p.r_recv.n == 5,
	    "%s: transport round trips both ways, nonces in step", s->name);

	/* In-place encryption and decryption (the frame layer relies on
	 * it). */
	memcpy(buf, hello, sizeof(hello));
	good = noise_encrypt(&p.i_send, NULL, 0, buf, sizeof(hello), buf,
	    sizeof(buf), &len) == 0 &&
	    noise_decrypt(&p.r_recv, NULL, 0, buf, len, buf, sizeof(buf),
	    &len2) == 0 && len2 == sizeof(hello) &&
	    memcmp(buf, hello, sizeof(hello)) == 0;
	ok(good, "%s: in-place encrypt and decrypt", s->name);

	/* A wrong nonce: the receiver skips one, so the tag fails, the
	 * output is wiped and n does not advance. */
	noise_encrypt(&p.i_send, NULL, 0, hello, sizeof(hello), buf,
	    sizeof(buf), &len);
	p.r_recv.n++;
	memset(buf + len, 0xcc, sizeof(buf) - len);
	good = noise_decrypt(&p.r_recv, NULL, 0, buf, len, buf, sizeof(buf),
	    &len2) == -1 && p.r_recv.n == 7;
	for (size_t i = 0; i < len - SUITE_TAG_LEN; i++)
		good = good && buf[i] == 0;
	ok(good, "%s: wrong nonce fails, plaintext wiped, n unchanged",
	    s->name);

	/* Rekey on both sides keeps them in step; one side alone does
	 * not. */
	p.r_recv.n = p.i_send.n;
	noise_rekey(&p.i_send);
	noise_rekey(&p.r_recv);
	ok(round_trip(&p.i_send, &p.r_recv, hello, sizeof(hello)),
	    "%s: Rekey on both sides: still in step", s->name);
	noise_rekey(&p.i_send);
	ok(!round_trip(&p.i_send, &p.r_recv, hello, sizeof(hello)),
	    "%s: Rekey on the sender only: receiver cannot open", s->name);

	/* Nonce 2^64-1 is reserved: 2^64-2 is the last usable one. */
	p.i_send.n = UINT64_MAX - 1;
	ok(noise_encrypt(&p.i_send, NULL, 0, hello, sizeof(hello), buf,
	    sizeof(buf), &len) == 0,
	    "%s: encrypt with nonce 2^64-2 works", s->name);
	ok(noise_encrypt(&p.i_send, NULL, 0, hello, sizeof(hello), buf,
	    sizeof(buf), &len) == -1 && p.i_send.n == UINT64_MAX,
	    "%s: encrypt with nonce 2^64-1 is refused", s->name);
	p.r_recv.n = UINT64_MAX;
	ok(noise_decrypt(&p.r_recv, NULL, 0, buf, sizeof(hello) +
	    SUITE_TAG_LEN, buf, sizeof(buf), &len) == -1,
	    "%s: decrypt with nonce 2^64-1 is refused", s->name);
	ok(noise_encrypt(&p.r_send, NULL, 0, hello, sizeof(hello), buf,
	    sizeof(hello) + SUITE_TAG_LEN - 1, &len) == -1,
	    "%s: encrypt refuses an output one byte too small", s->name);
	cipher_state_clear(&p.i_send);
	cipher_state_clear(&p.i_recv);
	cipher_state_clear(&p.r_send);
	cipher_state_clear(&p.r_recv);
}

/*
 * Runs a handshake but replaces the public key at offset off of message
 * msg_index (0-based) with bad (pub_len bytes).  Returns the message index
 * at which a call failed (write or read), or 3 if none did.
 */
static int
handshake_with_bad_key(const struct suite *s, int msg_index, size_t off,
    const uint8_t *bad)
{
	static const uint8_t prologue[] = "p";
	uint8_t i_priv[SUITE_PRIV_LEN], i_pub[SUITE_PUB_MAX];
	uint8_t r_priv[SUITE_PRIV_LEN], r_pub[SUITE_PUB_MAX];
	struct handshake_state ini, res;
	uint8_t msg[1024];
	size_t len;
	int i;

	s->keypair(i_priv, i_pub);
	s->keypair(r_priv, r_pub);
	noise_init(&ini, s, ROLE_INITIATOR, prologue, 1, i_priv, i_pub);
	noise_init(&res, s, ROLE_RESPONDER, prologue, 1, r_priv, r_pub);
	for (i = 0; i < 3; i++) {
		struct handshake_state *w = i % 2 == 0 ? &ini : &res;
		struct handshake_state *r = i % 2 == 0 ? &res : &ini;

		if (noise_write_message(w, NULL, 0, msg, sizeof(msg),
		    &len) != 0)
			break;
		if (i == msg_index)
			memcpy(msg + off, bad, s->pub_len);
		if (noise_read_message(r, msg, len, NULL, 0, NULL) != 0) {
			/* The failed state must be cleared and dead. */
			if (r->suite != NULL ||
			    noise_read_message(r, msg, len, NULL, 0,
			    NULL) != -1)
				i = 100;
			break;
		}
	}
	handshake_clear(&ini);
	handshake_clear(&res);
	return i;
}

/*
 * Runs a handshake in which one side (ROLE_INITIATOR: message 3,
 * ROLE_RESPONDER: message 2) announces bad as its static key.  Returns the
 * message index at which a call failed, or 3 if none did; 100 if the
 * reader that failed still offers a remote static key.
 */
static int
handshake_with_bad_static(const struct suite *s, enum role liar,
    const uint8_t *bad)
{
	static const uint8_t prologue[] = "p";
	uint8_t i_priv[SUITE_PRIV_LEN], i_pub[SUITE_PUB_MAX];
	uint8_t r_priv[SUITE_PRIV_LEN], r_pub[SUITE_PUB_MAX];
	struct handshake_state ini, res;
	uint8_t msg[1024];
	size_t len;
	int i;

	s->keypair(i_priv, i_pub);
	s->keypair(r_priv, r_pub);
	noise_init(&ini, s, ROLE_INITIATOR, prologue, 1, i_priv,
	    liar == ROLE_INITIATOR ? bad : i_pub);
	noise_init(&res, s, ROLE_RESPONDER, prologue, 1, r_priv,
	    liar == ROLE_RESPONDER ? bad : r_pub);
	for (i = 0; i < 3; i++) {
		struct handshake_state *w = i % 2 == 0 ? &ini : &res;
		struct handshake_state *r = i % 2 == 0 ? &res : &ini;

		if (noise_write_message(w, NULL, 0, msg, sizeof(msg),
		    &len) != 0)
			break;
		if (noise_read_message(r, msg, len, NULL, 0, NULL) != 0) {
			if (noise_remote_static(r) != NULL)
				i = 100;
			break;
		}
	}
	handshake_clear(&ini);
	handshake_clear(&res);
	return i;
}

static void
test_bad_keys_x25519(void)
{
	const struct suite *s = &suite_x25519;
	/* Low-order points of Curve25519 (u = 0, u = 1, and one of order
	 * 8): X25519 with them gives all zeros. */
	static const uint8_t low_order[][32] = {
		{ 0 },
		{ 1 },
		{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56,
		  0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb,
		  0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
		  0xb8, 0x00 },
	};

	for (size_t k = 0; k < ARRAY_LEN(low_order); k++) {
		int bad_s = handshake_with_bad_static(s, ROLE_RESPONDER,
		    low_order[k]);

		ok(bad_s == 1, "x25519: low-order s #%zu in message 2 is "
		    "refused by the read of message 2 (at %d)", k, bad_s + 1);
		bad_s = handshake_with_bad_static(s, ROLE_INITIATOR,
		    low_order[k]);
		ok(bad_s == 2, "x25519: low-order s #%zu in message 3 is "
		    "refused by the read of message 3 (at %d)", k, bad_s + 1);
	}
	for (size_t k = 0; k < ARRAY_LEN(low_order); k++) {
		/* A bad e in message 1 is caught by the responder's ee
		 * when it writes message 2. */
		int at = handshake_with_bad_key(s, 0, 0, low_order[k]);

		ok(at == 1, "x25519: low-order e #%zu in message 1 aborts "
		    "the handshake (at message %d)", k, at + 1);
		at = handshake_with_bad_key(s, 1, 0, low_order[k]);
		ok(at == 1, "x25519: low-order e #%zu in message 2 aborts "
		    "the handshake (at message %d)", k, at + 1);
	}
}

static void
test_bad_keys_p256(void)
{
	const struct suite *s = &suite_p256;
	uint8_t priv[SUITE_PRIV_LEN], pub[SUITE_PUB_MAX], bad[SUITE_PUB_MAX];
	static const uint8_t prefixes[] = { 0x00, 0x02, 0x03, 0x05, 0x06,
	    0x07 };

	s->keypair(priv, pub);
	ok(s->pub_valid(pub), "p256: a fresh public key is valid");
	for (size_t k = 0; k < ARRAY_LEN(prefixes); k++) {
		int at;

		memcpy(bad, pub, sizeof(bad));
		bad[0] = prefixes[k];
		ok(!s->pub_valid(bad), "p256: prefix 0x%02x refused",
		    prefixes[k]);
		at = handshake_with_bad_key(s, 0, 0, bad);
		ok(at == 0, "p256: e with prefix 0x%02x in message 1 aborts "
		    "at message 1 (at %d)", prefixes[k], at + 1);
	}
	memcpy(bad, pub, sizeof(bad));
	bad[64] ^= 0x01;	/* off the curve */
	ok(!s->pub_valid(bad), "p256: a point off the curve is refused");
	ok(handshake_with_bad_key(s, 1, 0, bad) == 1,
	    "p256: off-curve e in message 2 aborts at message 2");
	ok(handshake_with_bad_static(s, ROLE_RESPONDER, bad) == 1,
	    "p256: off-curve s in message 2 is refused by its read");
	ok(handshake_with_bad_static(s, ROLE_INITIATOR, bad) == 2,
	    "p256: off-curve s in message 3 is refused by its read");
	memset(bad, 0, sizeof(bad));
	bad[0] = 0x04;
	ok(!s->pub_valid(bad), "p256: 04||0||0 (no point) is refused");
	ok(handshake_with_bad_key(s, 0, 0, bad) == 0,
	    "p256: 04||0||0 as e in message 1 aborts at message 1");
}

static void
test_misuse(const struct suite *s)
{
	uint8_t priv[SUITE_PRIV_LEN], pub[SUITE_PUB_MAX], msg[512];
	struct handshake_state hs, hs2;
	struct cipher_state a, b;
	size_t len;

	s->keypair(priv, pub);
	noise_init(&hs, s, ROLE_RESPONDER, NULL, 0, priv, pub);
	ok(noise_write_message(&hs, NULL, 0, msg, sizeof(msg), &len) == -1,
	    "%s: a responder cannot write first", s->name);
	noise_init(&hs, s, ROLE_INITIATOR, NULL, 0, priv, pub);
	ok(noise_split(&hs, &a, &b, NULL) == -1,
	    "%s: split before the handshake is done fails", s->name);
	ok(noise_write_message(&hs, NULL, 0, msg, noise_message_len(s, 0) - 1,
	    &len) == -1, "%s: write refuses a buffer one byte short",
	    s->name);
	noise_init(&hs, s, ROLE_INITIATOR, NULL, 0, priv, pub);
	noise_init(&hs2, s, ROLE_RESPONDER, NULL, 0, priv, pub);
	noise_write_message(&hs, NULL, 0, msg, sizeof(msg), &len);
	ok(noise_read_message(&hs2, msg, len - 1, NULL, 0, NULL) == -1,
	    "%s: a truncated message 1 is refused", s->name);
	noise_init(&hs, s, ROLE_INITIATOR, NULL, 0, priv, pub);
	noise_init(&hs2, s, ROLE_RESPONDER, (const uint8_t *)"x", 1, priv,
	    pub);
	noise_write_message(&hs, NULL, 0, msg, sizeof(msg), &len);
	noise_read_message(&hs2, msg, len, NULL, 0, NULL);
	noise_write_message(&hs2, NULL, 0, msg, sizeof(msg), &len);
	ok(noise_read_message(&hs, msg, len, NULL, 0, NULL) == -1,
	    "%s: different prologues make message 2 fail", s->name);
	handshake_clear(&hs);
	handshake_clear(&hs2);
}

/* A responder given a key pair made ahead (what a waiting listener does)
 * sends that public key in message 2 and completes the handshake. */
static void
test_prepared_ephemeral(const struct suite *s)
{
	uint8_t i_priv[SUITE_PRIV_LEN], i_pub[SUITE_PUB_MAX];
	uint8_t r_priv[SUITE_PRIV_LEN], r_pub[SUITE_PUB_MAX];
	uint8_t e_priv[SUITE_PRIV_LEN], e_pub[SUITE_PUB_MAX], msg[512];
	struct handshake_state hi, hr;
	struct cipher_state is, ir, rs, rr;
	size_t len;
	bool done;

	s->keypair(i_priv, i_pub);
	s->keypair(r_priv, r_pub);
	s->keypair(e_priv, e_pub);
	noise_init(&hi, s, ROLE_INITIATOR, NULL, 0, i_priv, i_pub);
	noise_init(&hr, s, ROLE_RESPONDER, NULL, 0, r_priv, r_pub);
	ok(noise_use_ephemeral(&hr, e_priv, e_pub) == 0,
	    "%s: a responder takes a prepared ephemeral pair", s->name);
	ok(noise_use_ephemeral(&hr, e_priv, e_pub) == -1,
	    "%s: ... but only one", s->name);
	done = noise_write_message(&hi, NULL, 0, msg, sizeof(msg), &len) == 0 &&
	    noise_read_message(&hr, msg, len, NULL, 0, NULL) == 0 &&
	    noise_write_message(&hr, NULL, 0, msg, sizeof(msg), &len) == 0;
	ok(done && memcmp(msg, e_pub, s->pub_len) == 0,
	    "%s: message 2 carries the prepared public key", s->name);
	done = done && noise_read_message(&hi, msg, len, NULL, 0, NULL) == 0 &&
	    noise_write_message(&hi, NULL, 0, msg, sizeof(msg), &len) == 0 &&
	    noise_read_message(&hr, msg, len, NULL, 0, NULL) == 0 &&
	    noise_split(&hi, &is, &ir, NULL) == 0 &&
	    noise_split(&hr, &rs, &rr, NULL) == 0;
	ok(done && memcmp(is.k, rr.k, SUITE_KEY_LEN) == 0 &&
	    memcmp(rs.k, ir.k, SUITE_KEY_LEN) == 0,
	    "%s: the handshake with it completes with matching keys", s->name);
	noise_init(&hi, s, ROLE_INITIATOR, NULL, 0, i_priv, i_pub);
	noise_write_message(&hi, NULL, 0, msg, sizeof(msg), &len);
	ok(noise_use_ephemeral(&hi, e_priv, e_pub) == -1,
	    "%s: no ephemeral pair once a message has gone", s->name);
	handshake_clear(&hi);
	handshake_clear(&hr);
}

static struct suite x25519_aesgcm_sha256;
static struct suite x25519_chachapoly_sha256;
static struct suite x25519_aesgcm_blake2b;

/* Test suite = DH of one suite, AEAD of another, hash of a third. */
static void
mix_suite(struct suite *t, const char *protocol, const struct suite *dh,
    const struct suite *cipher, const struct suite *hash)
{
	*t = *dh;
	t->name = protocol;
	t->protocol = protocol;
	t->seal = cipher->seal;
	t->open = cipher->open;
	t->hash_len = hash->hash_len;
	t->block_len = hash->block_len;
	t->hash = hash->hash;
	t->hmac = hash->hmac;
}

static const struct suite *
vector_suite(const char *protocol)
{
	static const struct suite *const known[] = {
		&suite_x25519, &suite_p256, &x25519_aesgcm_sha256,
		&x25519_chachapoly_sha256, &x25519_aesgcm_blake2b,
	};

	for (size_t i = 0; i < ARRAY_LEN(known); i++)
		if (strcmp(known[i]->protocol, protocol) == 0)
			return known[i];
	return NULL;
}

struct vector_sides {
	struct handshake_state ini, res;
	struct cipher_state i_send, i_recv, r_send, r_recv;
};

static bool
setup_side(struct handshake_state *hs, const struct suite *s,
    enum role role, const json_t *v, const char *prefix)
{
	char name[32];
	uint8_t *prologue, *st, *eph;
	uint8_t pub[SUITE_PUB_MAX];
	size_t prologue_len = 0, st_len = 0, eph_len = 0;
	bool good;

	snprintf(name, sizeof(name), "%s_prologue", prefix);
	prologue = vectors_hex(v, name, &prologue_len);
	snprintf(name, sizeof(name), "%s_static", prefix);
	st = vectors_hex(v, name, &st_len);
	snprintf(name, sizeof(name), "%s_ephemeral", prefix);
	eph = vectors_hex(v, name, &eph_len);
	good = prologue != NULL && st != NULL && eph != NULL &&
	    st_len == SUITE_PRIV_LEN && eph_len == SUITE_PRIV_LEN &&
	    s->pubkey(pub, st) == 0 &&
	    noise_init(hs, s, role, prologue, prologue_len, st, pub) == 0 &&
	    noise_set_ephemeral(hs, eph) == 0;
	free(prologue);
	free(st);
	free(eph);
	return good;
}

/* Handshake message i: write, compare with the vector, read back. */
static void
vector_handshake_message(struct vector_sides *vs, int i, const uint8_t *pl,
    size_t pl_len, const uint8_t *ct, size_t ct_len, const char *id)
{
	static const char *const tokens[] = { "-> e", "<- e, ee, s, es",
	    "-> s, se" };
	static uint8_t out[NOISE_MSG_MAX], back[NOISE_MSG_MAX];
	struct handshake_state *w = i % 2 == 0 ? &vs->ini : &vs->res;
	struct handshake_state *r = i % 2 == 0 ? &vs->res : &vs->ini;
	size_t out_len = 0, back_len = 0;
	bool wrote, read;

	wrote = noise_write_message(w, pl, pl_len, out, sizeof(out),
	    &out_len) == 0 && out_len == ct_len &&
	    memcmp(out, ct, ct_len) == 0;
	read = noise_read_message(r, ct, ct_len, back, sizeof(back),
	    &back_len) == 0 && back_len == pl_len &&
	    memcmp(back, pl, pl_len) == 0;
	ok(wrote && read, "%s: message %d (%s) written byte for byte, "
	    "read back", id, i + 1, tokens[i]);
	if (!wrote) {
		tap_diag_hex("got ", out, out_len);
		tap_diag_hex("want", ct, ct_len);
	}
}

/* Transport message m (>= 3): responder and initiator alternate,
 * responder first, each with its sending cipher state. */
static void
vector_transport_message(struct vector_sides *vs, int m, const uint8_t *pl,
    size_t pl_len, const uint8_t *ct, size_t ct_len, const char *id)
{
	static uint8_t out[NOISE_MSG_MAX], back[NOISE_MSG_MAX];
	bool responder = (m - 3) % 2 == 0;
	struct cipher_state *send = responder ? &vs->r_send : &vs->i_send;
	struct cipher_state *recv = responder ? &vs->i_recv : &vs->r_recv;
	size_t out_len = 0, back_len = 0;
	bool sealed, opened;

	sealed = noise_encrypt(send, NULL, 0, pl, pl_len, out, sizeof(out),
	    &out_len) == 0 && out_len == ct_len &&
	    memcmp(out, ct, ct_len) == 0;
	opened = noise_decrypt(recv, NULL, 0, ct, ct_len, back, sizeof(back),
	    &back_len) == 0 && back_len == pl_len &&
	    memcmp(back, pl, pl_len) == 0;
	ok(sealed && opened, "%s: transport message %d (%s, nonce %d) "
	    "sealed byte for byte, opened", id, m + 1,
	    responder ? "responder c2" : "initiator c1", (m - 3) / 2);
	if (!sealed) {
		tap_diag_hex("got ", out, out_len);
		tap_diag_hex("want", ct, ct_len);
	}
}

/* A copy of cs with its nonce set to n after rekeys Rekey() calls. */
static struct cipher_state
at_nonce(const struct cipher_state *cs, uint64_t n, long long rekeys)
{
	struct cipher_state c = *cs;

	for (long long i = 0; i < rekeys; i++)
		noise_rekey(&c);
	c.n = n;
	return c;
}

/* One frame sealed at nonce n by noise_encrypt() after the Rekey() calls
 * the vector names, opened by the receiver the same way; then by
 * frame_seal() and frame_open(), which must make the last Rekey()
 * themselves when n is a multiple of FRAME_REKEY_INTERVAL. */
static bool
rekey_message(struct cipher_state *send, struct cipher_state *recv,
    uint64_t n, long long rekeys, const uint8_t *pl, size_t pl_len,
    const uint8_t *ct, size_t ct_len)
{
	static uint8_t out[FRAME_BUF_LEN];
	long long by_frame = n % FRAME_REKEY_INTERVAL == 0 ? 1 : 0;
	struct cipher_state c;
	enum frame_type type;
	size_t out_len = 0, body_len = 0;
	const char *why;
	bool good;

	if (pl_len < 1 || ct_len > FRAME_MAX_LEN || pl[0] != FRAME_DATA)
		return false;
	c = at_nonce(send, n, rekeys);
	good = noise_encrypt(&c, NULL, 0, pl, pl_len, out, sizeof(out),
	    &out_len) == 0 && out_len == ct_len &&
	    memcmp(out, ct, ct_len) == 0;
	c = at_nonce(recv, n, rekeys);
	good = good && noise_decrypt(&c, NULL, 0, ct, ct_len, out,
	    sizeof(out), &out_len) == 0 && out_len == pl_len &&
	    memcmp(out, pl, pl_len) == 0;
	c = at_nonce(send, n, rekeys - by_frame);
	memcpy(out + FRAME_BODY_OFFSET, pl + 1, pl_len - 1);
	good = good && frame_seal(&c, FRAME_DATA, out, sizeof(out),
	    pl_len - 1, &out_len) == 0 && out_len == FRAME_HEADER_LEN +
	    ct_len && get_be16(out) == ct_len &&
	    memcmp(out + FRAME_HEADER_LEN, ct, ct_len) == 0;
	c = at_nonce(recv, n, rekeys - by_frame);
	memcpy(out, ct, ct_len);
	good = good && frame_open(&c, out, ct_len, &type, &body_len,
	    &why) == 0 && type == FRAME_DATA && body_len == pl_len - 1 &&
	    memcmp(out + 1, pl + 1, body_len) == 0 && c.n == n + 1;
	cipher_state_clear(&c);
	return good;
}

/* Frames across Rekey() (gen_noise_xx_p256.py): the split keys of the
 * vector, at nonces on both sides of 65536 and 131072. */
static void
vector_rekey_messages(struct vector_sides *vs, const json_t *list,
    const char *id)
{
	size_t i;
	json_t *m;

	json_array_foreach(list, i, m) {
		bool initiator = strcmp(vectors_str(m, "sender"),
		    "initiator") == 0;
		long long n = vectors_int(m, "nonce");
		long long rekeys = vectors_int(m, "rekeys");
		size_t pl_len = 0, ct_len = 0;
		uint8_t *pl = vectors_hex(m, "payload", &pl_len);
		uint8_t *ct = vectors_hex(m, "ciphertext", &ct_len);

		ok(pl != NULL && ct != NULL && n >= 0 && rekeys >= 0 &&
		    rekey_message(initiator ? &vs->i_send : &vs->r_send,
		    initiator ? &vs->r_recv : &vs->i_recv, (uint64_t)n,
		    rekeys, pl, pl_len, ct, ct_len),
		    "%s: %s frame at nonce %lld after %lld Rekey(): sealed "
		    "and opened byte for byte, by noise_encrypt() and by "
		    "frame_seal()", id, vectors_str(m, "sender"), n, rekeys);
		free(pl);
		free(ct);
	}
}

/* Rekey() of a fixed key, applied three times in a row. */
static void
test_rekey_kat(const json_t *list)
{
	size_t i;
	json_t *v;

	ok(json_array_size(list) == 2, "sealcat/noise_xx_p256.json: %zu "
	    "Rekey() cases (AESGCM, ChaChaPoly)", json_array_size(list));
	json_array_foreach(list, i, v) {
		const char *cipher = vectors_str(v, "cipher");
		const json_t *chain = json_object_get(v, "rekeyed");
		const struct suite *s = strcmp(cipher, "AESGCM") == 0 ?
		    &suite_p256 : &suite_x25519;
		struct cipher_state cs = { .suite = s, .has_key = true };
		size_t k_len = 0, j;
		uint8_t *k = vectors_hex(v, "k", &k_len);
		bool good = k != NULL && k_len == SUITE_KEY_LEN &&
		    json_array_size(chain) == 3;
		json_t *want;

		if (good)
			memcpy(cs.k, k, SUITE_KEY_LEN);
		json_array_foreach(chain, j, want) {
			size_t w_len = 0;
			uint8_t *w = hex_decode(json_string_value(want) != NULL ?
			    json_string_value(want) : "x", &w_len);

			cs.n = j;
			noise_rekey(&cs);
			good = good && w != NULL && w_len == SUITE_KEY_LEN &&
			    memcmp(cs.k, w, SUITE_KEY_LEN) == 0 && cs.n == j;
			free(w);
		}
		ok(good, "%s: Rekey() once, twice, three times gives the "
		    "known keys, n unchanged", cipher);
		free(k);
		cipher_state_clear(&cs);
	}
}

/* HKDF(ck, ikm, 3), as MixKeyAndHash() uses it, for both hashes. */
static void
test_hkdf_kat(const json_t *list)
{
	size_t i;
	json_t *v;

	ok(json_array_size(list) == 4, "sealcat/noise_xx_p256.json: %zu "
	    "HKDF cases", json_array_size(list));
	json_array_foreach(list, i, v) {
		const char *hash = vectors_str(v, "hash");
		const struct suite *s = strcmp(hash, "SHA256") == 0 ?
		    &suite_p256 : &suite_x25519;
		const json_t *outs = json_object_get(v, "outputs");
		uint8_t out[3 * SUITE_HASH_MAX];
		size_t ck_len = 0, ikm_len = 0, j;
		uint8_t *ck = vectors_hex(v, "ck", &ck_len);
		uint8_t *ikm = vectors_hex(v, "ikm", &ikm_len);
		bool good = ck != NULL && ikm != NULL &&
		    ck_len == s->hash_len && json_array_size(outs) == 3;
		json_t *want;

		memset(out, 0xcc, sizeof(out));
		if (good)
			noise_hkdf(s, ck, ck_len, ikm, ikm_len, 3, out);
		json_array_foreach(outs, j, want) {
			size_t w_len = 0;
			uint8_t *w = hex_decode(json_string_value(want) != NULL ?
			    json_string_value(want) : "x", &w_len);

			good = good && w != NULL && w_len == s->hash_len &&
			    memcmp(out + j * s->hash_len, w, w_len) == 0;
			free(w);
		}
		for (j = 3 * s->hash_len; j < sizeof(out); j++)
			good = good && out[j] == 0xcc;
		ok(good, "%s: HKDF(ck, %zu-byte ikm, 3) gives the known three "
		    "outputs, nothing written past them", hash, ikm_len);
		free(ck);
		free(ikm);
	}
}

static void
run_vector(const char *file, size_t index, const json_t *v)
{
	const char *protocol = vectors_str(v, "protocol_name");
	const struct suite *s = vector_suite(protocol);
	const json_t *messages = json_object_get(v, "messages");
	static struct vector_sides vs;
	uint8_t i_h[SUITE_HASH_MAX], r_h[SUITE_HASH_MAX];
	uint8_t *want_h;
	size_t want_h_len = 0;
	char id[128];

	snprintf(id, sizeof(id), "%s #%zu %s", file, index, protocol);
	if (s == NULL) {
		printf("# skip %s: no sealcat suite has its cipher and hash\n",
		    id);
		return;
	}
	memset(&vs, 0, sizeof(vs));
	if (!ok(setup_side(&vs.ini, s, ROLE_INITIATOR, v, "init") &&
	    setup_side(&vs.res, s, ROLE_RESPONDER, v, "resp") &&
	    json_array_size(messages) >= 3,
	    "%s: set up both sides from the vector", id))
		return;
	for (size_t m = 0; m < json_array_size(messages); m++) {
		const json_t *msg = json_array_get(messages, m);
		size_t pl_len = 0, ct_len = 0;
		uint8_t *pl = vectors_hex(msg, "payload", &pl_len);
		uint8_t *ct = vectors_hex(msg, "ciphertext", &ct_len);

		if (pl == NULL || ct == NULL)
			ok(false, "%s: message %zu: bad hex", id, m + 1);
		else if (m < 3)
			vector_handshake_message(&vs, (int)m, pl, pl_len, ct,
			    ct_len, id);
		else
			vector_transport_message(&vs, (int)m, pl, pl_len, ct,
			    ct_len, id);
		free(pl);
		free(ct);
		if (m != 2)
			continue;
		ok(noise_split(&vs.ini, &vs.i_send, &vs.i_recv, i_h) == 0 &&
		    noise_split(&vs.res, &vs.r_send, &vs.r_recv, r_h) == 0 &&
		    memcmp(i_h, r_h, s->hash_len) == 0,
		    "%s: both sides split with equal handshake hashes", id);
		want_h = vectors_hex(v, "handshake_hash", &want_h_len);
		if (want_h != NULL)
			is_bytes(i_h, want_h, want_h_len == s->hash_len ?
			    s->hash_len : 0, "%s: handshake hash matches", id);
		free(want_h);
	}
	vector_rekey_messages(&vs, json_object_get(v, "rekey_messages"), id);
	handshake_clear(&vs.ini);
	handshake_clear(&vs.res);
	cipher_state_clear(&vs.i_send);
	cipher_state_clear(&vs.i_recv);
	cipher_state_clear(&vs.r_send);
	cipher_state_clear(&vs.r_recv);
}

static void
test_vectors(const char *file)
{
	json_t *root = vectors_load(file);
	const json_t *list = json_object_get(root, "vectors");
	size_t i;
	json_t *v;

	if (root == NULL)
		return;
	ok(json_array_size(list) > 0, "%s: %zu vectors", file,
	    json_array_size(list));
	json_array_foreach(list, i, v)
		run_vector(file, i, v);
	if (json_object_get(root, "rekey") != NULL) {
		test_rekey_kat(json_object_get(root, "rekey"));
		test_hkdf_kat(json_object_get(root, "hkdf"));
	}
	json_decref(root);
}

int
main(void)
{
	static const size_t x25519_len[3] = { 32, 96, 64 };
	static const size_t p256_len[3] = { 65, 162, 97 };

	if (suite_init() != 0)
		return 1;
	test_handshake(&suite_x25519, x25519_len);
	test_handshake(&suite_p256, p256_len);
	for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
		test_transport(suites[i]);
		test_misuse(suites[i]);
		test_prepared_ephemeral(suites[i]);
	}
	test_bad_keys_x25519();
	test_bad_keys_p256();

	mix_suite(&x25519_aesgcm_sha256, "Noise_XX_25519_AESGCM_SHA256",
	    &suite_x25519, &suite_p256, &suite_p256);
	mix_suite(&x25519_chachapoly_sha256, "Noise_XX_25519_ChaChaPoly_SHA256",
	    &suite_x25519, &suite_x25519, &suite_p256);
	mix_suite(&x25519_aesgcm_blake2b, "Noise_XX_25519_AESGCM_BLAKE2b",
	    &suite_x25519, &suite_p256, &suite_x25519);
	test_vectors("noise/noise_xx_25519_cacophony.json");
	test_vectors("noise/noise_xx_25519_snow.json");
	test_vectors("sealcat/noise_xx_p256.json");
	return tap_done();
}
