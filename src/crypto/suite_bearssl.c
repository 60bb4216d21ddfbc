/*
 * suite_bearssl.c - the p256 suite, Noise_XX_P256_AESGCM_SHA256, on BearSSL
 * only (PROTOCOL.md §2): ECDH over NIST P-256 with 65-byte uncompressed
 * points and the 32-byte X coordinate as the DH output, AES-256-GCM (nonce =
 * 4 zero bytes || 64-bit big-endian counter), SHA-256 and HMAC-SHA-256.
 *
 * Randomness: private scalars come from libsodium's randombytes_buf(), the
 * same source the x25519 suite uses (getrandom() underneath on Linux), so
 * the program has exactly one random number generator.
 */
#include "crypto/suite.h"
#include "crypto/suite_bearssl.h"

#include <string.h>

#include <bearssl.h>
#include <sodium.h>

#include "base/util.h"

#define P256_PUB_LEN 65		/* 0x04 || X || Y */
#define P256_COORD_LEN 32
#define SHA256_LEN 32
#define SHA256_BLOCK 64

/* The field prime p of P-256, big-endian (SEC 2, §2.4.2). */
static const uint8_t p256_p[P256_COORD_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static const br_block_ctr_class *aes_ctr;
static br_ghash ghash;

union aes_ctr_keys {
	const br_block_ctr_class *vtable;
	br_aes_x86ni_ctr_keys ni;
	br_aes_ct64_ctr_keys ct64;
};

void
suite_bearssl_select(bool allow_hw)
{
	/* Both getters return NULL / 0 when the CPU (or the build of
	 * BearSSL) lacks the instructions. */
	aes_ctr = allow_hw ? br_aes_x86ni_ctr_get_vtable() : NULL;
	ghash = allow_hw ? br_ghash_pclmul_get() : 0;
	if (aes_ctr == NULL)
		aes_ctr = &br_aes_ct64_ctr_vtable;
	if (ghash == 0)
		ghash = br_ghash_ctmul64;
}

bool
suite_bearssl_uses_hw(void)
{
	if (aes_ctr == NULL)
		suite_bearssl_select(true);
	return aes_ctr != NULL && aes_ctr != &br_aes_ct64_ctr_vtable &&
	    ghash != br_ghash_ctmul64;
}

/*
 * True if the 32-byte big-endian a is less than b.  Runs in time
 * independent of the values: it is used on private scalars.
 */
static bool
less_than(const uint8_t a[32], const uint8_t b[32])
{
	uint32_t borrow = 0;

	for (int i = 31; i >= 0; i--)
		borrow = ((uint32_t)a[i] - b[i] - borrow) >> 31;
	return borrow == 1;
}

/* A private key must be a scalar in [1, n-1]. */
static bool
scalar_ok(const uint8_t priv[SUITE_PRIV_LEN])
{
	const br_ec_impl *ec = br_ec_get_default();
	const uint8_t *order;
	size_t order_len;
	uint8_t any = 0;

	order = ec->order(BR_EC_secp256r1, &order_len);
	if (order_len != SUITE_PRIV_LEN)
		return false;
	for (size_t i = 0; i < SUITE_PRIV_LEN; i++)
		any |= priv[i];
	return any != 0 && less_than(priv, order);
}

/*
 * Only 0x04 || X || Y with both coordinates reduced mod p.  BearSSL checks
 * the curve equation itself (in mul()), which also rules out the point at
 * infinity, since it has no 65-byte encoding; it is not documented to
 * refuse the hybrid forms 0x06/0x07 or unreduced coordinates, so we do.
 */
static bool
encoding_ok(const uint8_t *pub)
{
	return pub[0] == 0x04 &&
	    less_than(pub + 1, p256_p) &&
	    less_than(pub + 1 + P256_COORD_LEN, p256_p);
}

static int
p256_pubkey(uint8_t *pub, const uint8_t priv[SUITE_PRIV_LEN])
{
	const br_ec_impl *ec = br_ec_get_default();

	if (!scalar_ok(priv))
		return -1;
	if (ec->mulgen(pub, priv, SUITE_PRIV_LEN, BR_EC_secp256r1) !=
	    P256_PUB_LEN)
		return -1;
	return 0;
}

static int
p256_keypair(uint8_t priv[SUITE_PRIV_LEN], uint8_t *pub)
{
	/* Rejection sampling: a uniform scalar in [1, n-1].  n is close to
	 * 2^256, so a retry happens about once in 2^32 draws. */
	do
		randombytes_buf(priv, SUITE_PRIV_LEN);
	while (!scalar_ok(priv));
	return p256_pubkey(pub, priv);
}

static bool
p256_pub_valid(const uint8_t *pub)
{
	const br_ec_impl *ec = br_ec_get_default();
	uint8_t point[P256_PUB_LEN];
	static const uint8_t one[1] = { 1 };
	bool valid;

	if (!encoding_ok(pub))
		return false;
	/* mul() decodes the point and fails when it is not on the curve. */
	memcpy(point, pub, sizeof(point));
	valid = ec->mul(point, sizeof(point), one, sizeof(one),
	    BR_EC_secp256r1) == 1;
	wipe(point, sizeof(point));
	return valid;
}

static const char *
p256_pub_problem(const uint8_t *pub)
{
	uint8_t point[P256_PUB_LEN];

	if (pub[0] == 0x06 || pub[0] == 0x07) {
		/* SEC 1's hybrid form: a point again, with the parity of y
		 * in the prefix. */
		memcpy(point, pub, sizeof(point));
		point[0] = 0x04;
		if ((pub[0] & 1) == (pub[P256_PUB_LEN - 1] & 1) &&
		    p256_pub_valid(point))
			return "not canonical: the hybrid form (0x06/0x07) of "
			    "a point, whose one token is its uncompressed "
			    "form (0x04)";
	}
	if (pub[0] != 0x04)
		return "not a valid public key (a 65-byte point starts with "
		    "0x04)";
	if (!less_than(pub + 1, p256_p))
		return "not canonical: x is not reduced mod p, and a point "
		    "has one spelling, with coordinates below p";
	if (!less_than(pub + 1 + P256_COORD_LEN, p256_p))
		return "not canonical: y is not reduced mod p, and a point "
		    "has one spelling, with coordinates below p";
	if (!p256_pub_valid(pub))
		return "not a valid public key (not a point on the curve)";
	return NULL;
}

static int
p256_dh(uint8_t out[SUITE_DH_LEN], const uint8_t priv[SUITE_PRIV_LEN],
    const uint8_t *pub)
{
	const br_ec_impl *ec = br_ec_get_default();
	uint8_t point[P256_PUB_LEN];
	size_t x_len;
	size_t x_off;
	int rc = -1;

	wipe(out, SUITE_DH_LEN);
	if (!scalar_ok(priv) || !encoding_ok(pub))
		goto out;
	memcpy(point, pub, sizeof(point));
	if (ec->mul(point, sizeof(point), priv, SUITE_PRIV_LEN,
	    BR_EC_secp256r1) != 1)
		goto out;
	x_off = ec->xoff(BR_EC_secp256r1, &x_len);
	if (x_len != SUITE_DH_LEN)
		goto out;
	/* An X of zero is not rejected: (0, y) is an ordinary point of this
	 * prime-order group (Wycheproof tcId 3), unlike X25519's all-zero
	 * output, which only low-order points produce. */
	memcpy(out, point + x_off, SUITE_DH_LEN);
	rc = 0;
out:
	if (rc != 0)
		wipe(out, SUITE_DH_LEN);
	wipe(point, sizeof(point));
	return rc;
}

static void
gcm_start(br_gcm_context *gc, union aes_ctr_keys *keys,
    const uint8_t k[SUITE_KEY_LEN], const uint8_t iv[P256_GCM_IV_LEN],
    const uint8_t *ad, size_t ad_len)
{
	if (aes_ctr == NULL)
		suite_bearssl_select(true);
	aes_ctr->init(&keys->vtable, k, SUITE_KEY_LEN);
	br_gcm_init(gc, &keys->vtable, ghash);
	br_gcm_reset(gc, iv, P256_GCM_IV_LEN);
	if (ad_len > 0)
		br_gcm_aad_inject(gc, ad, ad_len);
	br_gcm_flip(gc);
}

void
p256_gcm_seal(const uint8_t k[SUITE_KEY_LEN],
    const uint8_t iv[P256_GCM_IV_LEN], const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out)
{
	union aes_ctr_keys keys;
	br_gcm_context gc;

	/* br_gcm_run() works in place, so the plaintext moves first. */
	if (out != in && in_len > 0)
		memmove(out, in, in_len);
	gcm_start(&gc, &keys, k, iv, ad, ad_len);
	br_gcm_run(&gc, 1, out, in_len);
	br_gcm_get_tag(&gc, out + in_len);
	wipe(&gc, sizeof(gc));
	wipe(&keys, sizeof(keys));
}

int
p256_gcm_open(const uint8_t k[SUITE_KEY_LEN],
    const uint8_t iv[P256_GCM_IV_LEN], const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out)
{
	union aes_ctr_keys keys;
	br_gcm_context gc;
	size_t ct_len;
	uint32_t tag_ok;

	if (in_len < SUITE_TAG_LEN)
		return -1;
	ct_len = in_len - SUITE_TAG_LEN;
	if (out != in && ct_len > 0)
		memmove(out, in, ct_len);
	gcm_start(&gc, &keys, k, iv, ad, ad_len);
	br_gcm_run(&gc, 0, out, ct_len);
	/* The tag at in + ct_len is intact even in place: only ct_len bytes
	 * were decrypted.  br_gcm_check_tag() compares in constant time. */
	tag_ok = br_gcm_check_tag(&gc, in + ct_len);
	wipe(&gc, sizeof(gc));
	wipe(&keys, sizeof(keys));
	if (tag_ok != 1) {
		wipe(out, ct_len);
		return -1;
	}
	return 0;
}

static void
gcm_nonce(uint8_t iv[P256_GCM_IV_LEN], uint64_t n)
{
	memset(iv, 0, 4);
	put_be64(iv + 4, n);
}

static void
aesgcm_seal(const uint8_t k[SUITE_KEY_LEN], uint64_t n, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	uint8_t iv[P256_GCM_IV_LEN];

	gcm_nonce(iv, n);
	p256_gcm_seal(k, iv, ad, ad_len, in, in_len, out);
}

static int
aesgcm_open(const uint8_t k[SUITE_KEY_LEN], uint64_t n, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	uint8_t iv[P256_GCM_IV_LEN];

	gcm_nonce(iv, n);
	return p256_gcm_open(k, iv, ad, ad_len, in, in_len, out);
}

static void
sha256_hash(uint8_t *out, const uint8_t *a, size_t a_len, const uint8_t *b,
    size_t b_len)
{
	br_sha256_context sc;

	br_sha256_init(&sc);
	br_sha256_update(&sc, a, a_len);
	if (b_len > 0)
		br_sha256_update(&sc, b, b_len);
	br_sha256_out(&sc, out);
	wipe(&sc, sizeof(sc));
}

static void
sha256_hmac(uint8_t *out, const uint8_t *key, size_t key_len,
    const uint8_t *data, size_t data_len)
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, key_len);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, data, data_len);
	br_hmac_out(&hc, out);
	wipe(&hc, sizeof(hc));
	wipe(&kc, sizeof(kc));
}

const struct suite suite_p256 = {
	.name = "p256",
	.protocol = "Noise_XX_P256_AESGCM_SHA256",
	.algorithms = "P256_AESGCM_SHA256",
	.pub_len = P256_PUB_LEN,
	.hash_len = SHA256_LEN,
	.block_len = SHA256_BLOCK,
	.keypair = p256_keypair,
	.pubkey = p256_pubkey,
	.pub_valid = p256_pub_valid,
	.pub_problem = p256_pub_problem,
	.dh = p256_dh,
	.seal = aesgcm_seal,
	.open = aesgcm_open,
	.hash = sha256_hash,
	.hmac = sha256_hmac,
};
