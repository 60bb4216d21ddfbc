/*
 * suite_sodium.c - the x25519 suite, Noise_XX_25519_ChaChaPoly_BLAKE2b, on
 * libsodium only (PROTOCOL.md §2): X25519, ChaCha20-Poly1305 (IETF, nonce =
 * 4 zero bytes || 64-bit little-endian counter), BLAKE2b-512, and HMAC over
 * BLAKE2b per RFC 2104 with a 128-byte block.
 */
#include "crypto/suite.h"

#include <string.h>

#include <sodium.h>

#include "base/util.h"

#define BLAKE2B_LEN 64
#define BLAKE2B_BLOCK 128

static int
x25519_pubkey(uint8_t *pub, const uint8_t priv[SUITE_PRIV_LEN])
{
	return crypto_scalarmult_curve25519_base(pub, priv) == 0 ? 0 : -1;
}

static int
x25519_keypair(uint8_t priv[SUITE_PRIV_LEN], uint8_t *pub)
{
	randombytes_buf(priv, SUITE_PRIV_LEN);
	return x25519_pubkey(pub, priv);
}

static bool
x25519_pub_valid(const uint8_t *pub)
{
	/* Every 32-byte string is a u-coordinate X25519 accepts; the
	 * low-order ones are rejected by x25519_dh(). */
	(void)pub;
	return true;
}

static const char *
x25519_pub_problem(const uint8_t *pub)
{
	bool below_p = false;

	/* RFC 7748 §5: X25519 ignores the top bit and reduces u mod p, so
	 * these name a key that has a shorter spelling. */
	if ((pub[31] & 0x80) != 0)
		return "not canonical: the top bit is set, which X25519 "
		    "ignores, so the token is a second name for another key";
	/* u < p = 2^255 - 19 unless u is 0x7fff...ff and pub[0] >= 0xed. */
	if (pub[31] != 0x7f || pub[0] < 0xed)
		below_p = true;
	for (int i = 1; i < 31 && !below_p; i++)
		if (pub[i] != 0xff)
			below_p = true;
	if (!below_p)
		return "not canonical: u is not reduced mod 2^255-19, so the "
		    "token is a second name for another key";
	return NULL;
}

static int
x25519_dh(uint8_t out[SUITE_DH_LEN], const uint8_t priv[SUITE_PRIV_LEN],
    const uint8_t *pub)
{
	/* libsodium returns -1 when the result is all zeros (a low-order
	 * point), which Noise tells us to reject. */
	if (crypto_scalarmult_curve25519(out, priv, pub) != 0) {
		wipe(out, SUITE_DH_LEN);
		return -1;
	}
	return 0;
}

static void
chacha_nonce(uint8_t nonce[12], uint64_t n)
{
	memset(nonce, 0, 4);
	put_le64(nonce + 4, n);
}

static void
chacha_seal(const uint8_t k[SUITE_KEY_LEN], uint64_t n, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

	chacha_nonce(nonce, n);
	/* Detached, so the tag lands after the ciphertext even in place. */
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + in_len,
	    NULL, in, in_len, ad, ad_len, NULL, nonce, k);
}

static int
chacha_open(const uint8_t k[SUITE_KEY_LEN], uint64_t n, const uint8_t *ad,
    size_t ad_len, const uint8_t *in, size_t in_len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	size_t ct_len;

	if (in_len < SUITE_TAG_LEN)
		return -1;
	ct_len = in_len - SUITE_TAG_LEN;
	chacha_nonce(nonce, n);
	/* libsodium checks the tag (in constant time) before decrypting. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, NULL, in,
	    ct_len, in + ct_len, ad, ad_len, nonce, k) != 0) {
		wipe(out, ct_len);
		return -1;
	}
	return 0;
}

static void
blake2b_hash(uint8_t *out, const uint8_t *a, size_t a_len, const uint8_t *b,
    size_t b_len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, BLAKE2B_LEN);
	crypto_generichash_update(&st, a, a_len);
	if (b_len > 0)
		crypto_generichash_update(&st, b, b_len);
	crypto_generichash_final(&st, out, BLAKE2B_LEN);
	wipe(&st, sizeof(st));
}

static void
blake2b_hmac(uint8_t *out, const uint8_t *key, size_t key_len,
    const uint8_t *data, size_t data_len)
{
	uint8_t k[BLAKE2B_BLOCK] = { 0 };
	uint8_t pad[BLAKE2B_BLOCK];
	uint8_t inner[BLAKE2B_LEN];

	/* RFC 2104: a key longer than the block is hashed first. */
	if (key_len > sizeof(k))
		blake2b_hash(k, key, key_len, NULL, 0);
	else
		memcpy(k, key, key_len);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	blake2b_hash(inner, pad, sizeof(pad), data, data_len);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	blake2b_hash(out, pad, sizeof(pad), inner, sizeof(inner));
	wipe(k, sizeof(k));
	wipe(pad, sizeof(pad));
	wipe(inner, sizeof(inner));
}

const struct suite suite_x25519 = {
	.name = "x25519",
	.protocol = "Noise_XX_25519_ChaChaPoly_BLAKE2b",
	.algorithms = "25519_ChaChaPoly_BLAKE2b",
	.pub_len = crypto_scalarmult_curve25519_BYTES,
	.hash_len = BLAKE2B_LEN,
	.block_len = BLAKE2B_BLOCK,
	.keypair = x25519_keypair,
	.pubkey = x25519_pubkey,
	.pub_valid = x25519_pub_valid,
	.pub_problem = x25519_pub_problem,
	.dh = x25519_dh,
	.seal = chacha_seal,
	.open = chacha_open,
	.hash = blake2b_hash,
	.hmac = blake2b_hmac,
};
