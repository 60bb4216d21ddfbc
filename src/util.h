/*
 * util.h - small helpers any layer may use: wiping and comparing secrets,
 * wire byte order, base64, number parsing, configuration paths, and the
 * process hardening done once at start.
 */
#ifndef SEALCAT_UTIL_H
#define SEALCAT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * Disables core dumps and makes the process non-dumpable, so key material
 * cannot leave through a crash.  Called once from main().
 */
void harden_process(void);

/* Locks secret memory against swapping where the system allows; silent. */
void lock_secret(void *p, size_t len);

/* Undoes lock_secret() after wiping the memory. */
void unlock_secret(void *p, size_t len);

/*
 * A buffer of len bytes for secrets that arrive a little at a time (the
 * relay's frames): its own private mapping, locked against swapping page
 * by page as pages are first touched (mlock2 MLOCK_ONFAULT; where the
 * kernel lacks it, all of it at once), and left out of core dumps.  An
 * untouched page costs nothing, so a short connection does not pay for
 * 64 KiB it never uses.  Returns NULL when memory is short; a lock the
 * system refuses is silently skipped, as in lock_secret().
 */
void *secret_map(size_t len);

/* Wipes every page of a secret_map() buffer that was touched (mincore();
 * all of them if that fails), leaving untouched pages untouched. */
void secret_wipe(void *p, size_t len);

/* secret_wipe(), then unmaps the buffer.  Accepts NULL. */
void secret_unmap(void *p, size_t len);

#endif
