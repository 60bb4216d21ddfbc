/*
 * keyseal.h - passphrase-protected private key files, the text format
 * "sealcat private key v2" (PROTOCOL.md, Key files): Argon2id (libsodium's
 * crypto_pwhash) turns the passphrase into a key, XChaCha20-Poly1305 seals
 * the 32-byte secret with the file's header as associated data, and a
 * BLAKE2b checksum tells a damaged file from a wrong passphrase.  No I/O
 * and no prompts: keyfile.c reads and writes the files, passphrase.c asks.
 * Errors are reported here, naming the file.
 */
#ifndef SEALCAT_KEYSEAL_H
#define SEALCAT_KEYSEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

struct identity;

#define KEYSEAL_SALT_LEN 16	/* crypto_pwhash_SALTBYTES */
#define KEYSEAL_NONCE_LEN 24	/* XChaCha20-Poly1305 */
#define KEYSEAL_KEY_LEN 32	/* the derived key */
#define KEYSEAL_TAG_LEN 16
#define KEYSEAL_SEALED_LEN (SUITE_PRIV_LEN + KEYSEAL_TAG_LEN)
#define KEYSEAL_CHECK_LEN 32	/* BLAKE2b-256 */

/* Returned besides 0 and -1: a failure at run time (the wrong passphrase,
 * no memory for the key derivation), already reported; callers exit 1. */
#define KEYSEAL_RUNTIME (-2)

/*
 * Argon2id cost (PROTOCOL.md, Key files).  The default, libsodium's
 * "moderate" cost, takes about half a second on a 2020s x86 core.  A file
 * asking for more than the limits is refused before any work, so a planted
 * file cannot make sealcat stall or exhaust memory: at most 1 GiB, at most
 * 16 passes, and memory times passes at most 4 GiB (a little over five
 * times the default work).
 */
#define KEYSEAL_MEM_DEFAULT_KIB (256u * 1024)
#define KEYSEAL_PASSES_DEFAULT 3u
#define KEYSEAL_MEM_MIN_KIB 8u			/* Argon2's minimum, p = 1 */
#define KEYSEAL_MEM_MAX_KIB (1024u * 1024)
#define KEYSEAL_PASSES_MAX 16u
#define KEYSEAL_WORK_MAX_KIB (4ull * 1024 * 1024)

/* The Argon2id cost of a file; the lanes (p) are always 1, the only
 * value crypto_pwhash computes. */
struct keyseal_kdf {
	uint32_t mem_kib;	/* m, in KiB */
	uint32_t passes;	/* t */
};

/* A parsed v2 file: everything but the secret, which needs the passphrase.
 * Nothing here is secret. */
struct keyseal {
	const struct suite *suite;
	uint8_t pub[SUITE_PUB_MAX];	/* line 4, not yet checked */
	struct keyseal_kdf kdf;
	uint8_t salt[KEYSEAL_SALT_LEN];
	uint8_t nonce[KEYSEAL_NONCE_LEN];
	uint8_t sealed[KEYSEAL_SEALED_LEN];
	const char *ad;			/* lines 1-4 in the caller's text */
	size_t ad_len;
};

/* True if text starts like a v2 file (line 1 "sealcat private key v2 "),
 * whatever follows. */
bool keyseal_is_sealed(const char *text, size_t text_len);

/*
 * Returns NULL if kdf is within the limits above, else a phrase saying
 * which limit it breaks (for a message).
 */
const char *keyseal_kdf_problem(const struct keyseal_kdf *kdf);

/*
 * Argon2id version 0x13, one lane, as PROTOCOL.md (Key files) uses it: the
 * KEYSEAL_KEY_LEN-byte key for pass (pass_len bytes) and salt, into key.
 * kdf must be within the limits.  Returns 0, or -1 (nothing reported:
 * libsodium gives no reason, which is almost always memory).
 */
int keyseal_kdf(uint8_t key[KEYSEAL_KEY_LEN], const uint8_t *pass,
    size_t pass_len, const uint8_t salt[KEYSEAL_SALT_LEN],
    const struct keyseal_kdf *kdf);

/*
 * Writes the v2 text of id sealed under pass (pass_len >= 1 bytes) with a
 * fresh random salt and nonce, NUL-terminated, to out; *out_len excludes
 * the NUL.  The passphrase is run through Argon2id with kdf, which must be
 * within the limits.  name is used in messages.  Returns 0, -1 after
 * reporting (out too small), or KEYSEAL_RUNTIME after reporting (the key
 * derivation failed: memory).
 */
int keyseal_format(const struct identity *id, const uint8_t *pass,
    size_t pass_len, const struct keyseal_kdf *kdf, const char *name,
    char *out, size_t out_cap, size_t *out_len);

/*
 * Parses the v2 text (text_len bytes) into ks without the passphrase:
 * every line exactly as PROTOCOL.md (Key files) says, then the checksum,
 * then the cost limits.  ks->ad points into text, which must outlive ks.
 * name is used in messages.  Returns 0, or -1 after reporting.
 */
int keyseal_parse(const char *text, size_t text_len, const char *name,
    struct keyseal *ks);

/*
 * Opens a parsed file with pass: derives the key, opens the secret into
 * id->priv and sets id->suite and id->pub from the file (the caller runs
 * identity_check()).  The derived key lives in the secret arena and is
 * wiped before this returns.  Returns 0, -1 after reporting (no memory
 * for secrets), or KEYSEAL_RUNTIME after reporting "wrong passphrase" or a
 * failed key derivation; id is cleared on failure.
 */
int keyseal_open(const struct keyseal *ks, const uint8_t *pass,
    size_t pass_len, const char *name, struct identity *id);

#endif
