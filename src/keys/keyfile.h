/*
 * keyfile.h - identities: private key files, plain or protected by a
 * passphrase (PROTOCOL.md, Key files; the protected format is keyseal.h's),
 * .pub files and public key tokens (PROTOCOL.md §4).  Errors are reported
 * here (naming the file) and are configuration errors, callers exit 2,
 * except KEYFILE_RUNTIME.
 */
#ifndef SEALCAT_KEYFILE_H
#define SEALCAT_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys/keyseal.h"
#include "crypto/suite.h"

/* "p256:" + base64 of 65 bytes (88 chars) + NUL, with room to spare. */
#define TOKEN_MAX 128
/* A private key file is small text; anything larger is not one of ours. */
#define KEYFILE_MAX 1024

/* Returned besides 0 and -1 where a passphrase may be involved: a failure
 * at run time (the wrong passphrase, none typed, no memory for the key
 * derivation), already reported; callers exit 1. */
#define KEYFILE_RUNTIME KEYSEAL_RUNTIME

/* How to protect a key file being written: the passphrase (pass_len >= 1
 * bytes) and the Argon2id cost. */
struct keyfile_lock {
	const uint8_t *pass;
	size_t pass_len;
	struct keyseal_kdf kdf;
};

struct identity {
	const struct suite *suite;
	uint8_t priv[SUITE_PRIV_LEN];
	uint8_t pub[SUITE_PUB_MAX];
};

/* A new random identity for suite.  Returns 0, or -1 after reporting. */
int identity_generate(const struct suite *suite, struct identity *id);

/* Wipe; accepts NULL. */
void identity_clear(struct identity *id);

/*
 * Default identity path: $SEALCAT_IDENTITY if set, else
 * ${XDG_CONFIG_HOME:-$HOME/.config}/sealcat/id_<suite>.  With create_dir the
 * directory is created (mode 0700).  Returns 0, or -1 after reporting.
 */
int keyfile_default_path(const struct suite *suite, bool create_dir,
    char *out, size_t out_cap);

/*
 * The identity to use when none is named: $SEALCAT_IDENTITY if set; else,
 * with a suite, its default file (which need not exist yet); else, with
 * suite NULL, the first of id_x25519 and id_p256 that exists.  Returns 0, or
 * -1 after reporting (suite NULL and neither file exists).
 */
int keyfile_find_default(const struct suite *suite, char *out,
    size_t out_cap);

/*
 * Writes the text of a private key file for id to out (KEYFILE_MAX is
 * enough), NUL-terminated; *out_len excludes the NUL.  The text is secret:
 * wipe it.  Returns 0, or -1 if out_cap is too small.
 */
int keyfile_format(const struct identity *id, char *out, size_t out_cap,
    size_t *out_len);

/*
 * Writes the private key file at path (mode 0600) and path.pub ("TOKEN[
 * comment]\n", 0644), each through a temporary file that is renamed into
 * place (util.h: atomic_file_*), never writing through an existing file or
 * symlink.  Without force, an existing file of either name is refused.
 * With force both are replaced, keeping the owner and group of the files
 * they replace; a failure at any step leaves the old pair as it was, and
 * once the key is renamed (the last step) the new pair is complete.
 * Returns 0, or -1 after reporting.
 */
int keyfile_write(const char *path, const struct identity *id,
    const char *comment, bool force);

/* keyfile_write() with lock (NULL: the plain format, exactly as
 * keyfile_write()).  Returns 0, -1 or KEYFILE_RUNTIME after reporting. */
int keyfile_write_locked(const char *path, const struct identity *id,
    const char *comment, bool force, const struct keyfile_lock *lock);

/* Refuses (-1 after reporting) when path or path.pub exists, as
 * keyfile_write() without force would; 0 when both names are free. */
int keyfile_check_new(const char *path);

/*
 * Replaces the existing private key file at path with id, plain (lock
 * NULL) or under lock, in one atomic step (util.h: atomic_write_file(),
 * which syncs the new file and the directory): a crash leaves the old file
 * or the new one.  The new file keeps the old one's mode, owner and group;
 * path.pub is not touched.  Returns 0, -1 or KEYFILE_RUNTIME after
 * reporting.
 */
int keyfile_rewrite(const char *path, const struct identity *id,
    const struct keyfile_lock *lock);

/*
 * Loads a private key file in either format.  Refuses group/other-
 * accessible files, anything but the exact format, and (with check) a
 * public key that does not match the secret; without check the caller must
 * call identity_check(), as after keyfile_load_unchecked().  A protected
 * file is unlocked with a passphrase from passphrase_unlock(
 * passphrase_file, path) (passphrase.h), asked for only once the file has
 * passed every other check.  *sealed (unless NULL) tells whether the file
 * was protected.  Returns 0, or -1 or KEYFILE_RUNTIME after reporting
 * (naming path); id is cleared on failure.
 */
int keyfile_open(const char *path, const char *passphrase_file, bool check,
    bool *sealed, struct identity *id);

/* keyfile_open(path, NULL, true, NULL, id) with every failure as -1. */
int keyfile_load(const char *path, struct identity *id);

/*
 * keyfile_load(), except that the public key is taken from line 3 without
 * recomputing it from the secret, which costs a scalar multiplication
 * (for p256, most of a millisecond).  The caller must call
 * identity_check() before the secret is used or the public key is shown
 * to anyone.  Returns 0, or -1 after reporting.
 */
int keyfile_load_unchecked(const char *path, struct identity *id);

/*
 * The public key of a private key file, without a passphrase: sets only
 * id->suite and id->pub.  A plain file is loaded and checked as by
 * keyfile_load(); a protected one gets every check but the seal (which
 * binds its public line to the secret and is checked when it is
 * unlocked).  Returns 0, or -1 after reporting.
 */
int keyfile_load_public(const char *path, struct identity *id);

/*
 * Recomputes id's public key from its secret and compares it with id->pub
 * in constant time; name (the key file) is used in messages, which are
 * keyfile_load()'s.  Returns 0, or -1 after reporting.
 */
int identity_check(const struct identity *id, const char *name);

/*
 * Parses the text of a private key file (text_len bytes, need not be
 * NUL-terminated).  name is used in messages.  Returns 0, or -1 after
 * reporting.  Exposed for the fuzzer.
 */
int keyfile_parse(const char *text, size_t text_len, const char *name,
    struct identity *id);

/* Writes "<suite>:<base64 pub>" to out.  Returns 0, or -1 if out_cap is too
 * small. */
int token_format(const struct suite *suite, const uint8_t *pub, char *out,
    size_t out_cap);

/*
 * Parses a public key token.  Sets *suite and pub (suite->pub_len bytes).
 * p256 points must be 65-byte uncompressed points on the curve.  Returns 0,
 * or -1; with a non-NULL what (e.g. "--peer", "authorized_peers line 3")
 * the error is reported naming it, otherwise nothing is printed.
 */
int token_parse(const char *token, const struct suite **suite, uint8_t *pub,
    const char *what);

#endif
