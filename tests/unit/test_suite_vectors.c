/*
 * test_suite_vectors.c - the primitives behind both suites against the
 * Wycheproof vectors, one TAP line per case, named by its tcId.
 *
 * How each file maps onto sealcat, including the "acceptable" cases:
 * - x25519_test.json: through suite_x25519.dh().  Every case whose shared
 *   secret is all zeros (low-order public keys) must be rejected, as Noise
 *   requires; every other case, valid or acceptable (twist points,
 *   non-canonical u), must give exactly the shared secret.
 * - chacha20_poly1305_test.json: libsodium's IETF ChaCha20-Poly1305 called
 *   directly (the suite only takes counter nonces; the Noise vectors cover
 *   that wrapper).  Only the 96-bit-IV group applies; the other IV sizes
 *   cannot be expressed in the API and are counted as out of scope.
 * - aes_gcm_test.json: the p256 backend's AES-GCM with an explicit IV
 *   (p256_gcm_seal/open), once with AES-NI/PCLMULQDQ where the CPU has them
 *   and once with BearSSL's portable constant-time code.  Only 256-bit key,
 *   96-bit IV, 128-bit tag cases apply.  Seal is out of place, open is in
 *   place, so both buffer modes are covered.
 * - ecdh_secp256r1_ecpoint_test.json: through suite_p256.dh() and
 *   pub_valid().  A handshake carries a 65-byte field, so a shorter public
 *   key is zero-padded to 65 bytes, exactly what the backend would see.
 *   Only valid cases with a 65-byte 0x04 point must succeed; the acceptable
 *   tcId 2 (compressed point) must be rejected.  For every valid case the
 *   hybrid encodings 0x06/0x07 of the same point must be rejected too.
 * - hkdf_sha256_test.json: through noise_hkdf() with the p256 suite.  Noise
 *   HKDF is RFC 5869 with salt = ck and empty info, giving 1..3 blocks, so
 *   the cases with empty info and size <= 96 apply (an empty salt is the
 *   RFC's default of zeros, which HMAC treats the same way); the rest,
 *   including the three "invalid" size-too-large cases, are out of scope.
 * - hmac_sha256_test.json: suite_p256.hmac(), every group, the tag
 *   truncated to the group's tagSize; valid must match, invalid must not.
 */
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>
#include <sodium.h>

#include "noise/noise.h"
#include "crypto/suite.h"
#include "crypto/suite_bearssl.h"
#include "tap.h"
#include "base/util.h"
#include "vectors.h"

#define FOR_EACH_TEST(root, gi, group, ti, test)			\
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) \
		json_array_foreach(json_object_get(group, "tests"), ti, test)

static bool
all_zero(const uint8_t *p, size_t len)
{
	uint8_t any = 0;

	for (size_t i = 0; i < len; i++)
		any |= p[i];
	return any == 0;
}

static void
test_x25519(void)
{
	json_t *root = vectors_load("wycheproof/x25519_test.json");
	size_t gi, ti;
	json_t *group, *test;

	if (root == NULL)
		return;
	FOR_EACH_TEST(root, gi, group, ti, test) {
		long long id = vectors_int(test, "tcId");
		const char *result = vectors_str(test, "result");
		size_t pub_len = 0, priv_len = 0, shared_len = 0;
		uint8_t *pub = vectors_hex(test, "public", &pub_len);
		uint8_t *priv = vectors_hex(test, "private", &priv_len);
		uint8_t *shared = vectors_hex(test, "shared", &shared_len);
		uint8_t out[SUITE_DH_LEN];

		if (pub == NULL || priv == NULL || shared == NULL ||
		    pub_len != 32 || priv_len != 32 || shared_len != 32)
			ok(false, "wycheproof x25519 tcId %lld: bad field", id);
		else if (all_zero(shared, shared_len))
			ok(suite_x25519.dh(out, priv, pub) == -1 &&
			    all_zero(out, sizeof(out)),
			    "wycheproof x25519 tcId %lld (%s, all-zero shared "
			    "secret): rejected", id, result);
		else
			ok(suite_x25519.dh(out, priv, pub) == 0 &&
			    memcmp(out, shared, sizeof(out)) == 0,
			    "wycheproof x25519 tcId %lld (%s): shared secret "
			    "matches", id, result);
		free(pub);
		free(priv);
		free(shared);
	}
	json_decref(root);
}

struct aead {
	const char *name;
	void (*seal)(const uint8_t *k, const uint8_t *iv, const uint8_t *ad,
	    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out);
	int (*open)(const uint8_t *k, const uint8_t *iv, const uint8_t *ad,
	    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out);
};

static void
chacha_seal(const uint8_t *k, const uint8_t *iv, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + in_len,
	    NULL, in, in_len, ad, ad_len, NULL, iv, k);
}

static int
chacha_open(const uint8_t *k, const uint8_t *iv, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	size_t ct_len = in_len - SUITE_TAG_LEN;

	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, NULL, in,
	    ct_len, in + ct_len, ad, ad_len, iv, k) != 0) {
		wipe(out, ct_len);
		return -1;
	}
	return 0;
}

static void
gcm_seal(const uint8_t *k, const uint8_t *iv, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	p256_gcm_seal(k, iv, ad, ad_len, in, in_len, out);
}

static int
gcm_open(const uint8_t *k, const uint8_t *iv, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	return p256_gcm_open(k, iv, ad, ad_len, in, in_len, out);
}

/* One AEAD case: valid = seal matches ct||tag and open gives msg back;
 * invalid = open fails and leaves nothing behind. */
static bool
aead_case(const struct aead *a, const json_t *test, bool valid)
{
	size_t key_len = 0, iv_len = 0, aad_len = 0, msg_len = 0;
	size_t ct_len = 0, tag_len = 0;
	uint8_t *key = vectors_hex(test, "key", &key_len);
	uint8_t *iv = vectors_hex(test, "iv", &iv_len);
	uint8_t *aad = vectors_hex(test, "aad", &aad_len);
	uint8_t *msg = vectors_hex(test, "msg", &msg_len);
	uint8_t *ct = vectors_hex(test, "ct", &ct_len);
	uint8_t *tag = vectors_hex(test, "tag", &tag_len);
	uint8_t *sealed = NULL, *buf = NULL;
	bool good = false;

	if (key == NULL || iv == NULL || aad == NULL || msg == NULL ||
	    ct == NULL || tag == NULL || key_len != SUITE_KEY_LEN ||
	    iv_len != 12 || tag_len != SUITE_TAG_LEN)
		goto out;
	sealed = malloc(msg_len + SUITE_TAG_LEN);
	buf = malloc(ct_len + SUITE_TAG_LEN);
	if (sealed == NULL || buf == NULL)
		goto out;
	memcpy(buf, ct, ct_len);
	memcpy(buf + ct_len, tag, tag_len);
	if (valid) {
		a->seal(key, iv, aad, aad_len, msg, msg_len, sealed);
		good = ct_len == msg_len &&
		    memcmp(sealed, ct, ct_len) == 0 &&
		    memcmp(sealed + ct_len, tag, tag_len) == 0 &&
		    a->open(key, iv, aad, aad_len, buf, ct_len + tag_len,
		    buf) == 0 && memcmp(buf, msg, msg_len) == 0;
	} else {
		good = a->open(key, iv, aad, aad_len, buf, ct_len + tag_len,
		    buf) == -1 && all_zero(buf, ct_len);
	}
out:
	free(key);
	free(iv);
	free(aad);
	free(msg);
	free(ct);
	free(tag);
	free(sealed);
	free(buf);
	return good;
}

static void
test_aead(const char *file, const struct aead *a)
{
	json_t *root = vectors_load(file);
	size_t gi, ti, skipped = 0;
	json_t *group, *test;

	if (root == NULL)
		return;
	FOR_EACH_TEST(root, gi, group, ti, test) {
		long long id = vectors_int(test, "tcId");
		const char *result = vectors_str(test, "result");
		bool valid = strcmp(result, "valid") == 0;

		if (vectors_int(group, "keySize") != 256 ||
		    vectors_int(group, "ivSize") != 96 ||
		    vectors_int(group, "tagSize") != 128) {
			skipped++;
			continue;
		}
		ok((valid || strcmp(result, "invalid") == 0) &&
		    aead_case(a, test, valid),
		    "wycheproof %s tcId %lld (%s): %s", a->name, id, result,
		    valid ? "seal matches, opens" : "rejected, output wiped");
	}
	printf("# %s: %zu cases with other key/IV/tag sizes are out of "
	    "scope\n", a->name, skipped);
	json_decref(root);
}

/* Scalar from Wycheproof: big-endian, maybe with a leading 00, maybe
 * shorter than 32 bytes. */
static bool
p256_scalar(const uint8_t *in, size_t len, uint8_t out[SUITE_PRIV_LEN])
{
	while (len > SUITE_PRIV_LEN && in[0] == 0) {
		in++;
		len--;
	}
	if (len > SUITE_PRIV_LEN)
		return false;
	memset(out, 0, SUITE_PRIV_LEN);
	memcpy(out + SUITE_PRIV_LEN - len, in, len);
	return true;
}

/* The hybrid forms of a valid uncompressed point: 0x06 (y even) or 0x07
 * (y odd), both the correct and the wrong parity.  All must fail. */
static bool
hybrid_rejected(const uint8_t priv[SUITE_PRIV_LEN], const uint8_t *point)
{
	uint8_t field[65], out[SUITE_DH_LEN];
	bool rejected = true;

	for (uint8_t prefix = 0x06; prefix <= 0x07; prefix++) {
		memcpy(field, point, sizeof(field));
		field[0] = prefix;
		if (suite_p256.dh(out, priv, field) != -1 ||
		    suite_p256.pub_valid(field) || !all_zero(out, sizeof(out)))
			rejected = false;
	}
	return rejected;
}

static void
test_p256(void)
{
	json_t *root = vectors_load("wycheproof/ecdh_secp256r1_ecpoint_test.json");
	size_t gi, ti;
	json_t *group, *test;

	if (root == NULL)
		return;
	FOR_EACH_TEST(root, gi, group, ti, test) {
		long long id = vectors_int(test, "tcId");
		const char *result = vectors_str(test, "result");
		size_t pub_len = 0, priv_len = 0, shared_len = 0;
		uint8_t *pub = vectors_hex(test, "public", &pub_len);
		uint8_t *priv = vectors_hex(test, "private", &priv_len);
		uint8_t *shared = vectors_hex(test, "shared", &shared_len);
		uint8_t scalar[SUITE_PRIV_LEN], field[65] = { 0 };
		uint8_t out[SUITE_DH_LEN];
		bool accept, good;
		int rc;

		if (pub == NULL || priv == NULL || shared == NULL ||
		    !p256_scalar(priv, priv_len, scalar)) {
			ok(false, "wycheproof p256 tcId %lld: bad field", id);
			goto next;
		}
		memcpy(field, pub, pub_len < sizeof(field) ? pub_len :
		    sizeof(field));
		accept = strcmp(result, "valid") == 0 &&
		    pub_len == sizeof(field) && pub[0] == 0x04;
		rc = suite_p256.dh(out, scalar, field);
		if (accept) {
			good = rc == 0 && shared_len == sizeof(out) &&
			    memcmp(out, shared, sizeof(out)) == 0 &&
			    suite_p256.pub_valid(field) &&
			    hybrid_rejected(scalar, field);
			ok(good, "wycheproof p256 tcId %lld (%s): shared secret "
			    "matches; 0x06/0x07 forms rejected", id, result);
		} else {
			good = rc == -1 && all_zero(out, sizeof(out)) &&
			    !suite_p256.pub_valid(field);
			ok(good, "wycheproof p256 tcId %lld (%s, %zu-byte "
			    "key%s): rejected", id, result, pub_len,
			    pub_len > 0 ? "" : ", empty");
		}
next:
		free(pub);
		free(priv);
		free(shared);
	}
	json_decref(root);
}

/*
 * Not in Wycheproof: x = 0 is on P-256, so 04 || 0 || y is a valid point
 * and 04 || p || y encodes the same point with an unreduced coordinate.
 * sealcat takes only the reduced form.
 */
static void
test_p256_unreduced(void)
{
	static const char y_hex[] =
	    "66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf856a174f93f4";
	static const char p_hex[] =
	    "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
	uint8_t point[65] = { 0x04 };
	uint8_t priv[SUITE_PRIV_LEN], pub[65], out[SUITE_DH_LEN];
	uint8_t *y, *p;
	size_t len;

	y = hex_decode(y_hex, &len);
	p = hex_decode(p_hex, &len);
	if (y == NULL || p == NULL) {
		ok(false, "decode constants");
		goto out;
	}
	memcpy(point + 33, y, 32);
	suite_p256.keypair(priv, pub);
	ok(suite_p256.pub_valid(point) &&
	    suite_p256.dh(out, priv, point) == 0,
	    "p256: the point (0, y) is accepted");
	memcpy(point + 1, p, 32);
	ok(!suite_p256.pub_valid(point) &&
	    suite_p256.dh(out, priv, point) == -1,
	    "p256: the same point written with x = p (unreduced) is rejected");
	/* For the record: what BearSSL alone does with such encodings. */
	{
		const br_ec_impl *ec = br_ec_get_default();
		uint8_t g[65];
		static const uint8_t one[1] = { 1 };

		uint8_t prefix = (uint8_t)(0x06 | (pub[64] & 1));
		uint32_t took;

		memcpy(g, point, sizeof(g));
		took = ec->mul(g, sizeof(g), one, 1, BR_EC_secp256r1);
		printf("# BearSSL's mul() on x = p: %s\n",
		    took ? "accepted" : "rejected");
		memcpy(g, pub, sizeof(g));
		g[0] = prefix;
		took = ec->mul(g, sizeof(g), one, 1, BR_EC_secp256r1);
		printf("# BearSSL's mul() on a hybrid 0x%02x point: %s\n",
		    prefix, took ? "accepted" : "rejected");
	}
out:
	free(y);
	free(p);
}

static void
test_p256_scalars(void)
{
	uint8_t priv[SUITE_PRIV_LEN], pub[65];
	const uint8_t *order;
	size_t order_len;

	memset(priv, 0, sizeof(priv));
	ok(suite_p256.pubkey(pub, priv) == -1, "p256: private key 0 refused");
	order = br_ec_get_default()->order(BR_EC_secp256r1, &order_len);
	memcpy(priv, order, sizeof(priv));
	ok(suite_p256.pubkey(pub, priv) == -1, "p256: private key n refused");
	priv[31]--;
	ok(suite_p256.pubkey(pub, priv) == 0, "p256: private key n-1 works");
	memset(priv, 0xff, sizeof(priv));
	ok(suite_p256.pubkey(pub, priv) == -1,
	    "p256: private key 2^256-1 refused");
}

static void
test_hkdf(void)
{
	json_t *root = vectors_load("wycheproof/hkdf_sha256_test.json");
	size_t gi, ti, skipped = 0;
	json_t *group, *test;

	if (root == NULL)
		return;
	FOR_EACH_TEST(root, gi, group, ti, test) {
		long long id = vectors_int(test, "tcId");
		long long size = vectors_int(test, "size");
		const char *result = vectors_str(test, "result");
		size_t ikm_len = 0, salt_len = 0, okm_len = 0;
		uint8_t *ikm, *salt, *okm;
		uint8_t out[3 * 32];

		if (strcmp(vectors_str(test, "info"), "") != 0 || size < 1 ||
		    size > (long long)sizeof(out)) {
			skipped++;
			continue;
		}
		ikm = vectors_hex(test, "ikm", &ikm_len);
		salt = vectors_hex(test, "salt", &salt_len);
		okm = vectors_hex(test, "okm", &okm_len);
		if (ikm != NULL && salt != NULL && okm != NULL)
			noise_hkdf(&suite_p256, salt, salt_len, ikm, ikm_len,
			    (int)((size + 31) / 32), out);
		ok(ikm != NULL && salt != NULL && okm != NULL &&
		    strcmp(result, "valid") == 0 &&
		    okm_len == (size_t)size &&
		    memcmp(out, okm, okm_len) == 0,
		    "wycheproof hkdf_sha256 tcId %lld (%s, salt %zu bytes, "
		    "%lld bytes out): Noise HKDF matches", id, result,
		    salt_len, size);
		free(ikm);
		free(salt);
		free(okm);
	}
	printf("# hkdf_sha256: %zu cases with info or more than 96 bytes "
	    "are out of scope\n", skipped);
	json_decref(root);
}

static void
test_hmac(void)
{
	json_t *root = vectors_load("wycheproof/hmac_sha256_test.json");
	size_t gi, ti;
	json_t *group, *test;

	if (root == NULL)
		return;
	FOR_EACH_TEST(root, gi, group, ti, test) {
		long long id = vectors_int(test, "tcId");
		long long tag_size = vectors_int(group, "tagSize") / 8;
		const char *result = vectors_str(test, "result");
		bool valid = strcmp(result, "valid") == 0;
		size_t key_len = 0, msg_len = 0, tag_len = 0;
		uint8_t *key = vectors_hex(test, "key", &key_len);
		uint8_t *msg = vectors_hex(test, "msg", &msg_len);
		uint8_t *tag = vectors_hex(test, "tag", &tag_len);
		uint8_t out[32];
		bool match = false;

		if (key != NULL && msg != NULL && tag != NULL &&
		    tag_size > 0 && tag_size <= 32) {
			suite_p256.hmac(out, key, key_len, msg, msg_len);
			match = tag_len == (size_t)tag_size &&
			    ct_equal(out, tag, tag_len);
		}
		ok(key != NULL && (valid ? match : !match),
		    "wycheproof hmac_sha256 tcId %lld (%s, %lld-byte tag): %s",
		    id, result, tag_size, valid ? "matches" : "rejected");
		free(key);
		free(msg);
		free(tag);
	}
	json_decref(root);
}

int
main(void)
{
	static const struct aead chacha = { "chacha20_poly1305",
	    chacha_seal, chacha_open };
	static const struct aead gcm_hw = { "aes_gcm (AES-NI/PCLMUL)",
	    gcm_seal, gcm_open };
	static const struct aead gcm_ct = { "aes_gcm (ct64/ctmul64)",
	    gcm_seal, gcm_open };

	if (suite_init() != 0)
		return 1;
	test_x25519();
	test_aead("wycheproof/chacha20_poly1305_test.json", &chacha);
	suite_bearssl_select(true);
	if (!suite_bearssl_uses_hw())
		printf("# no AES-NI/PCLMULQDQ here: both AES-GCM passes run "
		    "the portable code\n");
	test_aead("wycheproof/aes_gcm_test.json", &gcm_hw);
	suite_bearssl_select(false);
	test_aead("wycheproof/aes_gcm_test.json", &gcm_ct);
	suite_bearssl_select(true);
	test_p256();
	test_p256_unreduced();
	test_p256_scalars();
	test_hkdf();
	test_hmac();
	return tap_done();
}
