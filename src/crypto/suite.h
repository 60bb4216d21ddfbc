/*
 * suite.h - the interface a crypto backend fills in (PROTOCOL.md §2, §4).
 *
 * A backend knows nothing about Noise: it supplies DH, an AEAD keyed with a
 * 32-byte key and a 64-bit counter nonce, a hash and HMAC.  It owns what
 * differs between libraries: nonce byte order, point validation, rejecting
 * an all-zero DH result, and mapping the library's return convention to
 * ours (0 ok, -1 failed).  HKDF, MixKey, MixHash and Rekey are in noise.c.
 */
#ifndef SEALCAT_SUITE_H
#define SEALCAT_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SUITE_PRIV_LEN 32	/* private scalar, both suites */
#define SUITE_DH_LEN 32		/* DH output fed to MixKey, both suites */
#define SUITE_PUB_MAX 65	/* p256: uncompressed SEC1 point */
#define SUITE_HASH_MAX 64	/* x25519: BLAKE2b-512 */
#define SUITE_KEY_LEN 32	/* AEAD key */
#define SUITE_TAG_LEN 16	/* AEAD tag */

struct suite {
	const char *name;	/* "x25519", "p256": --suite and token prefix */
	const char *protocol;	/* Noise protocol name, in the preamble */
	const char *algorithms;	/* its DH, cipher and hash name sections
				 * (Noise §8.2): "25519_ChaChaPoly_BLAKE2b" */
	size_t pub_len;		/* public key in messages: 32 or 65 */
	size_t hash_len;	/* HASHLEN: 64 or 32 */
	size_t block_len;	/* hash block size for HMAC: 128 or 64 */

	/* New random key pair.  Returns 0, or -1 if randomness failed. */
	int (*keypair)(uint8_t priv[SUITE_PRIV_LEN], uint8_t *pub);

	/*
	 * Public key of priv (pub_len bytes).  Returns -1 if priv is not a
	 * valid private key for the suite (p256: zero or >= the group order).
	 */
	int (*pubkey)(uint8_t *pub, const uint8_t priv[SUITE_PRIV_LEN]);

	/*
	 * True if pub (pub_len bytes) is an acceptable public key: for p256 a
	 * 65-byte uncompressed point on the curve; for x25519 any 32 bytes
	 * (a low-order point is caught by dh()).  Used on handshake messages.
	 */
	bool (*pub_valid)(const uint8_t *pub);

	/*
	 * For tokens (PROTOCOL.md §4), where a key must have exactly one
	 * spelling: NULL if pub is the canonical encoding of a valid public
	 * key, else why not, as a phrase that starts "not canonical: " (an
	 * alias of a key, e.g. x25519 with the top bit set) or "not a valid
	 * public key".  Stricter than pub_valid() for x25519.
	 */
	const char *(*pub_problem)(const uint8_t *pub);

	/*
	 * DH(priv, pub) into out.  pub is pub_len bytes as received.  Returns
	 * -1 for an invalid public key or private key, or (x25519) an all-zero
	 * result; out is then wiped.  (p256: X = 0 comes from a genuine point
	 * and is accepted.)
	 */
	int (*dh)(uint8_t out[SUITE_DH_LEN], const uint8_t priv[SUITE_PRIV_LEN],
	    const uint8_t *pub);

	/*
	 * AEAD encrypt: out = ciphertext (in_len bytes) || 16-byte tag.  in and
	 * out may be the same buffer; otherwise they must not overlap.
	 */
	void (*seal)(const uint8_t k[SUITE_KEY_LEN], uint64_t n,
	    const uint8_t *ad, size_t ad_len, const uint8_t *in, size_t in_len,
	    uint8_t *out);

	/*
	 * AEAD decrypt of in (in_len >= 16, tag last) into out (in_len - 16
	 * bytes); in and out may be the same buffer.  Returns -1 when the tag
	 * does not verify; out is then wiped.
	 */
	int (*open)(const uint8_t k[SUITE_KEY_LEN], uint64_t n,
	    const uint8_t *ad, size_t ad_len, const uint8_t *in, size_t in_len,
	    uint8_t *out);

	/* out = HASH(a || b); b may be NULL with b_len 0. */
	void (*hash)(uint8_t *out, const uint8_t *a, size_t a_len,
	    const uint8_t *b, size_t b_len);

	/* out = HMAC-HASH(key, data), hash_len bytes (RFC 2104). */
	void (*hmac)(uint8_t *out, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len);
};

extern const struct suite suite_x25519;	/* suite_sodium.c */
extern const struct suite suite_p256;	/* suite_bearssl.c */

/*
 * Initialises the crypto libraries (sodium_init(), run-time CPU feature
 * selection for BearSSL).  Call once before anything else here.  Returns 0,
 * or -1 after reporting.
 */
int suite_init(void);

/* The default suite: x25519. */
const struct suite *suite_default(void);

/* Lookup by name ("x25519"), Noise protocol name, or the prefix of a token
 * ("x25519:..."; everything up to the ':' is compared).  NULL if unknown. */
const struct suite *suite_by_name(const char *name);
const struct suite *suite_by_protocol(const char *protocol, size_t len);
const struct suite *suite_by_token(const char *token);

/* A comma-separated list of suite names, for messages and --help. */
const char *suite_names(void);

#endif
