/*
 * passphrase.h - where the passphrase of a protected key file comes from:
 * a prompt on the controlling terminal (never stdin, which may be data), a
 * file, the systemd credential sealcat-passphrase, or a descriptor named by
 * SEALCAT_PASSPHRASE_FD.  Never an option value or an environment variable
 * holding the passphrase itself: both show in ps and reach children.  The
 * passphrase goes straight into a buffer from the secret arena.  What to do
 * with it is keyseal.c's.
 */
#ifndef SEALCAT_PASSPHRASE_H
#define SEALCAT_PASSPHRASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longer input is refused rather than cut: a cut passphrase would unlock
 * with only its first part. */
#define PASSPHRASE_MAX 1024

/* The environment variable naming a descriptor to read the passphrase
 * from, and the name of the systemd credential. */
#define PASSPHRASE_FD_ENV "SEALCAT_PASSPHRASE_FD"
#define PASSPHRASE_CREDENTIAL "sealcat-passphrase"

/* Returned besides 0 and -1: a failure of the person at the terminal or
 * of the run (nothing typed, two different passphrases, an interrupted
 * prompt), already reported; callers exit 1.  -1 is a configuration error
 * (no terminal and no source, a bad passphrase file); callers exit 2. */
#define PASSPHRASE_RUNTIME (-2)

/* A passphrase: from secret_alloc(sizeof(struct passphrase)), freed with
 * secret_free(), which wipes it. */
struct passphrase {
	size_t len;
	uint8_t bytes[PASSPHRASE_MAX];
};

/*
 * The passphrase to unlock key_path, from the first of: file (the
 * --passphrase-file option; NULL if not given), the descriptor in
 * $SEALCAT_PASSPHRASE_FD (read to its end and closed, and the variable
 * removed from the environment so no child inherits it),
 * $CREDENTIALS_DIRECTORY/sealcat-passphrase when that file exists, a
 * prompt on /dev/tty.  Without any of them, fails at once with a message
 * naming them.  Files must be regular files only their owner can access;
 * a file or descriptor gives its whole contents less one final newline.
 * Returns 0, -1 or PASSPHRASE_RUNTIME after reporting.
 */
int passphrase_unlock(const char *file, const char *key_path,
    struct passphrase *out);

/*
 * For a key that turned out to need no passphrase: closes the descriptor
 * named by $SEALCAT_PASSPHRASE_FD (if it names one of 3 or more) and
 * removes the variable, as passphrase_unlock() does after reading it, so
 * that no --exec child inherits either.
 */
void passphrase_forget_fd(void);

/*
 * Reads the passphrase file at path (what names it in messages, e.g.
 * "--passphrase-file"): a regular file, not a symbolic link, that group
 * and others cannot access, not empty.  Returns 0, or -1 after reporting.
 */
int passphrase_from_file(const char *path, const char *what,
    struct passphrase *out);

/*
 * Asks for a new passphrase for key_path on /dev/tty, twice.  With
 * allow_empty an empty answer is accepted (out->len 0, asked once).
 * Returns 0, -1 after reporting (no terminal), or PASSPHRASE_RUNTIME after
 * reporting (the two differ, empty where not allowed, input ended).
 */
int passphrase_new(const char *key_path, bool allow_empty,
    struct passphrase *out);

/*
 * Asks question on /dev/tty and reads a line with echo on.  Returns 1 for
 * "y" or "yes" (any case), 0 for anything else, or -1 after reporting (no
 * terminal).
 */
int passphrase_confirm(const char *question);

#endif
