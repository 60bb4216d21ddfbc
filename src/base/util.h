/*
 * util.h - small helpers any layer may use: wiping and comparing secrets,
 * wire byte order, base64, number parsing, configuration paths, files
 * replaced atomically, secret memory and the process hardening done once
 * at start.
 */
#ifndef SEALCAT_UTIL_H
#define SEALCAT_UTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Overwrites len bytes at p with zeros in a way the compiler keeps. */
void wipe(void *p, size_t len);

/* Compares len bytes in time independent of their contents. */
bool ct_equal(const void *a, const void *b, size_t len);

void put_be16(uint8_t *p, uint16_t v);
uint16_t get_be16(const uint8_t *p);
void put_be64(uint8_t *p, uint64_t v);
uint64_t get_be64(const uint8_t *p);
void put_le64(uint8_t *p, uint64_t v);

/* Length of the base64 text (with '=' padding, without NUL) of n bytes. */
#define BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/*
 * Writes the standard-alphabet, padded base64 of in[0..in_len) to out as a
 * NUL-terminated string.  Returns 0, or -1 if out_cap is too small.
 */
int base64_encode(const uint8_t *in, size_t in_len, char *out, size_t out_cap);

/*
 * Decodes exactly in_len characters of padded standard base64 into out.
 * Strict: no whitespace, no missing or extra padding, no non-zero trailing
 * bits, nothing after the padding.  Returns 0 and sets *out_len, or -1
 * (nothing reported) when the text is not canonical base64 or does not fit.
 */
int base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len);

/*
 * Copies text received from a peer into out (out_cap >= 1) so that it is
 * safe to show on a terminal: well-formed UTF-8 passes, while control
 * characters (C0, DEL and the C1 range U+0080..U+009F), malformed,
 * overlong or surrogate sequences each become '?'.  out is NUL-terminated
 * and truncated at a character boundary.  Returns the length written.
 */
size_t text_for_terminal(const uint8_t *in, size_t in_len, char *out,
    size_t out_cap);

/*
 * Parses a decimal number in [min, max] with no sign, spaces or trailing
 * garbage.  Returns 0 and sets *out, or -1 (nothing reported).
 */
int parse_number(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

/*
 * Writes "${XDG_CONFIG_HOME:-$HOME/.config}/sealcat/<name>" to out.  A
 * relative XDG_CONFIG_HOME is ignored, as the XDG specification says, with
 * a warning (once).  With create_dir, creates the sealcat directory (and
 * its parent) with mode 0700 when missing.  Returns 0, or -1 after
 * reporting why.
 */
int config_path(const char *name, bool create_dir, char *out, size_t out_cap);

/* True if config_path() has a directory to work with: an absolute
 * XDG_CONFIG_HOME, or HOME.  Reports nothing. */
bool config_dir_known(void);

/*
 * Files written in full or not at all.  The new contents go to a temporary
 * file beside the target (".NAME.XXXXXX" in the same directory, created
 * with O_CREAT | O_EXCL | O_NOFOLLOW and the given mode), are synced, and
 * the temporary file is then renamed over the target, so that a reader
 * sees the old file or the new one, never a part; the directory is synced
 * last.  A symlink at the target is replaced, never followed.  Errors are
 * reported naming the target; a failure before the rename leaves the
 * target as it was and no temporary file behind.
 */
struct atomic_file {
	char path[PATH_MAX];	/* the target */
	char tmp[PATH_MAX];	/* the new contents until committed, or "" */
	char old[PATH_MAX];	/* the old target's spare name, or "" */
	bool undoable;		/* committed, and atomic_file_undo() can */
	bool changed;		/* the directory needs a sync */
};

enum atomic_commit {
	ATOMIC_CREATE,		/* refuse (EEXIST) if the target exists */
	ATOMIC_REPLACE,		/* replace the target */
	ATOMIC_REPLACE_UNDO,	/* replace, keeping the old file under a
				 * spare name until atomic_file_done() */
};

/*
 * Writes len bytes of data to a new temporary file for path, with mode.
 * With keep_owner_of naming an existing regular file (usually path itself),
 * the new file gets that file's owner and group, so that root replacing a
 * service's file leaves it the service's; if that is not permitted the
 * write is refused.  The target is not touched yet.  Returns 0, or -1 after
 * reporting.
 */
int atomic_file_prepare(struct atomic_file *f, const char *path,
    const void *data, size_t len, mode_t mode, const char *keep_owner_of);

/* Puts the prepared file in place.  Returns 0, or -1 after reporting (the
 * target is then untouched and the temporary file still there). */
int atomic_file_commit(struct atomic_file *f, enum atomic_commit how);

/*
 * After a commit with ATOMIC_REPLACE_UNDO or ATOMIC_CREATE: puts the old
 * file back (or removes the new one if there was none), atomically.
 * Returns 0, or -1 after reporting.
 */
int atomic_file_undo(struct atomic_file *f);

/* Removes what is left (an uncommitted temporary file, the old file's
 * spare name) and syncs the directory.  Returns 0, or -1 after reporting a
 * failed sync.  Accepts a struct that was never prepared (zeroed). */
int atomic_file_done(struct atomic_file *f);

/* prepare, commit (ATOMIC_REPLACE) and done in one call. */
int atomic_write_file(const char *path, const void *data, size_t len,
    mode_t mode, const char *keep_owner_of);

/*
 * Disables core dumps and makes the process non-dumpable, so key material
 * cannot leave through a crash.  Called once from main().
 */
void harden_process(void);

/*
 * Secret memory.  One mechanism, by region: a secret is either in memory
 * that holds nothing but secrets and is locked for as long as it is mapped,
 * or it is not locked at all.
 *
 * - Every secret that outlives the function that made it (the identity, the
 *   prepared ephemeral key, a connection's handshake and cipher states) and
 *   the text of a key file while it is read or written come from
 *   secret_alloc(): one arena of SECRET_ARENA_LEN bytes, mapped on first use,
 *   locked against swapping as a whole, left out of core dumps and named
 *   "sealcat-secrets" (a memfd, so /proc/PID/smaps shows it as
 *   /memfd:sealcat-secrets).  The arena is never unlocked while mapped, so
 *   there are no lock counts to keep: freeing one secret cannot release the
 *   lock of another that shares its page.
 * - Frame buffers, large and filled a frame at a time, are mappings of their
 *   own from secret_map(), on the same terms.
 * - Secrets that live and die inside one function (a DH output, the base64
 *   of a key being formatted) stay on the stack: they are not locked (a
 *   stack page is shared with whatever else lives there, which is why a lock
 *   per stack buffer cannot work) and are wiped before the function returns.
 *
 * A lock the system refuses (RLIMIT_MEMLOCK, AddressSanitizer) is skipped
 * silently: the secrets are then only wiped.
 */
#define SECRET_ARENA_LEN 8192

/*
 * len zeroed bytes from the arena, aligned for any type.  Free them with
 * secret_free() and the same len.  Returns NULL after reporting when the
 * arena cannot be mapped or has no room (a bug: sealcat's secrets are few
 * and of fixed size).
 */
void *secret_alloc(size_t len);

/* Wipes the len bytes at p (from secret_alloc()) and gives them back to the
 * arena.  Accepts NULL. */
void secret_free(void *p, size_t len);

/* Locks the arena again in the child after fork(), which does not inherit
 * memory locks. */
void secret_relock(void);

/*
 * A buffer of len bytes for secrets that arrive a little at a time (the
 * relay's frames): its own private mapping, locked against swapping page
 * by page as pages are first touched (mlock2 MLOCK_ONFAULT; where the
 * kernel lacks it, all of it at once), and left out of core dumps.  An
 * untouched page costs nothing, so a short connection does not pay for
 * 64 KiB it never uses.  Returns NULL when memory is short; a lock the
 * system refuses is silently skipped, as in the arena.
 */
void *secret_map(size_t len);

/* Wipes every page of a secret_map() buffer that was touched (mincore();
 * all of them if that fails), leaving untouched pages untouched. */
void secret_wipe(void *p, size_t len);

/* secret_wipe(), then unmaps the buffer.  Accepts NULL. */
void secret_unmap(void *p, size_t len);

#endif
