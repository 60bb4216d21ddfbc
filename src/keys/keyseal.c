/*
 * keyseal.c - passphrase-protected private key files (PROTOCOL.md, Key
 * files).  Six lines, each ending in a newline:
 *
 *     sealcat private key v2 x25519
 *     kdf argon2id v=19 m=262144 t=3 p=1 salt=<base64 of 16 bytes>
 *     aead xchacha20poly1305 nonce=<base64 of 24 bytes>
 *     public x25519:<base64 of the public key>
 *     secret <base64 of the sealed 32-byte secret and its 16-byte tag>
 *     check <base64 of BLAKE2b-256 of lines 1-5>
 *
 * The associated data of the seal is lines 1-4 as they are in the file, so
 * a changed suite, cost, salt, nonce or public key fails to open like a
 * wrong passphrase would.  The checksum is no protection (anyone can
 * recompute it); it only lets a damaged file be called damaged, before any
 * key derivation runs, instead of "wrong passphrase".  Everything it
 * covers is public, so that early answer tells nothing about the
 * passphrase; the one step that depends on it, the tag check, takes the
 * same time whatever the cause of a failure.  All primitives are
 * libsodium's.
 */
#include "keys/keyseal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "keys/keyfile.h"
#include "base/log.h"
#include "base/util.h"

#define HEADER "sealcat private key v2 "
#define KDF_PREFIX "kdf "
#define KDF_NAME "argon2id"
#define KDF_VERSION 19		/* Argon2 version 0x13 */
#define KDF_LANES 1
#define AEAD_PREFIX "aead "
#define AEAD_NAME "xchacha20poly1305"
#define PUBLIC "public "
#define SECRET "secret "
#define CHECK "check "
#define SEALED_LINES 6

#define FIX_DAMAGED "restore it from a backup (a protected key cannot be " \
	"repaired)"
#define FIX_ORIGIN "this file was not written by sealcat: check where it " \
	"came from"

/* A read position in one line. */
struct cursor {
	const char *p;
	const char *end;
};

bool
keyseal_is_sealed(const char *text, size_t text_len)
{
	size_t n = strlen(HEADER);

	return text_len >= n && memcmp(text, HEADER, n) == 0;
}

const char *
keyseal_kdf_problem(const struct keyseal_kdf *kdf)
{
	if (kdf->mem_kib < KEYSEAL_MEM_MIN_KIB)
		return "less memory than Argon2's minimum of 8 KiB";
	if (kdf->mem_kib > KEYSEAL_MEM_MAX_KIB)
		return "more memory than the 1 GiB sealcat allows";
	if (kdf->passes < 1)
		return "no passes, Argon2 needs at least one";
	if (kdf->passes > KEYSEAL_PASSES_MAX)
		return "more than the 16 passes sealcat allows";
	if ((uint64_t)kdf->mem_kib * kdf->passes > KEYSEAL_WORK_MAX_KIB)
		return "more work than sealcat allows (memory times passes "
		    "at most 4 GiB)";
	return NULL;
}

int
keyseal_kdf(uint8_t key[KEYSEAL_KEY_LEN], const uint8_t *pass,
    size_t pass_len, const uint8_t salt[KEYSEAL_SALT_LEN],
    const struct keyseal_kdf *kdf)
{
	if (keyseal_kdf_problem(kdf) != NULL)
		return -1;
	/* crypto_pwhash takes the memory in bytes and always uses one
	 * lane: Argon2id with m = memlimit / 1024 KiB, t = opslimit, p = 1. */
	if (crypto_pwhash(key, KEYSEAL_KEY_LEN, (const char *)pass,
	    (unsigned long long)pass_len, salt, kdf->passes,
	    (size_t)kdf->mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		wipe(key, KEYSEAL_KEY_LEN);
		return -1;
	}
	return 0;
}

static void
report_kdf_failure(const char *name, const struct keyseal_kdf *kdf)
{
	log_error("%s: cannot derive the key from the passphrase (Argon2id "
	    "with %u KiB of memory): out of memory — free some memory and "
	    "try again", name, (unsigned)kdf->mem_kib);
}

/*
 * Derives the key into a buffer from the secret arena.  Returns it (free
 * with secret_free(p, KEYSEAL_KEY_LEN)), or NULL after reporting; *rc is
 * then -1 or KEYSEAL_RUNTIME.
 */
static uint8_t *
derive(const uint8_t *pass, size_t pass_len,
    const uint8_t salt[KEYSEAL_SALT_LEN], const struct keyseal_kdf *kdf,
    const char *name, int *rc)
{
	uint8_t *key;

	*rc = -1;
	if ((key = secret_alloc(KEYSEAL_KEY_LEN)) == NULL)
		return NULL;
	if (keyseal_kdf(key, pass, pass_len, salt, kdf) == -1) {
		report_kdf_failure(name, kdf);
		secret_free(key, KEYSEAL_KEY_LEN);
		*rc = KEYSEAL_RUNTIME;
		return NULL;
	}
	return key;
}

/* Appends "<prefix><base64 of in>\n" to out at *used.  Returns 0, or -1
 * if it does not fit. */
static int
append_base64_line(char *out, size_t out_cap, size_t *used,
    const char *prefix, const uint8_t *in, size_t in_len)
{
	char b64[BASE64_LEN(KEYSEAL_SEALED_LEN) + 1];
	int n = -1;

	if (base64_encode(in, in_len, b64, sizeof(b64)) == 0)
		n = snprintf(out + *used, out_cap - *used, "%s%s\n", prefix,
		    b64);
	if (n < 0 || (size_t)n >= out_cap - *used)
		return -1;
	*used += (size_t)n;
	return 0;
}

/* Lines 1-4, the associated data, into out.  Returns 0, or -1 if they do
 * not fit. */
static int
format_header(const struct identity *id, const struct keyseal_kdf *kdf,
    const uint8_t *salt, const uint8_t *nonce, char *out, size_t out_cap,
    size_t *used)
{
	char salt_b64[BASE64_LEN(KEYSEAL_SALT_LEN) + 1];
	char nonce_b64[BASE64_LEN(KEYSEAL_NONCE_LEN) + 1];
	char token[TOKEN_MAX];
	int n;

	if (base64_encode(salt, KEYSEAL_SALT_LEN, salt_b64,
	    sizeof(salt_b64)) == -1 ||
	    base64_encode(nonce, KEYSEAL_NONCE_LEN, nonce_b64,
	    sizeof(nonce_b64)) == -1 ||
	    token_format(id->suite, id->pub, token, sizeof(token)) == -1)
		return -1;
	n = snprintf(out, out_cap, HEADER "%s\n"
	    KDF_PREFIX KDF_NAME " v=%d m=%u t=%u p=%d salt=%s\n"
	    AEAD_PREFIX AEAD_NAME " nonce=%s\n"
	    PUBLIC "%s\n", id->suite->name, KDF_VERSION,
	    (unsigned)kdf->mem_kib, (unsigned)kdf->passes, KDF_LANES,
	    salt_b64, nonce_b64, token);
	if (n < 0 || (size_t)n >= out_cap)
		return -1;
	*used = (size_t)n;
	return 0;
}

int
keyseal_format(const struct identity *id, const uint8_t *pass,
    size_t pass_len, const struct keyseal_kdf *kdf, const char *name,
    char *out, size_t out_cap, size_t *out_len)
{
	uint8_t salt[KEYSEAL_SALT_LEN], nonce[KEYSEAL_NONCE_LEN];
	uint8_t sealed[KEYSEAL_SEALED_LEN];
	uint8_t check[KEYSEAL_CHECK_LEN];
	unsigned long long sealed_len = 0;
	uint8_t *key = NULL;
	size_t used = 0;
	int rc = -1;

	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if (format_header(id, kdf, salt, nonce, out, out_cap, &used) == -1) {
		log_error("%s: cannot format the key — this is a bug", name);
		goto out;
	}
	if ((key = derive(pass, pass_len, salt, kdf, name, &rc)) == NULL)
		goto out;
	rc = -1;
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, &sealed_len,
	    id->priv, SUITE_PRIV_LEN, (const uint8_t *)out, used, NULL, nonce,
	    key);
	if (sealed_len != sizeof(sealed) ||
	    append_base64_line(out, out_cap, &used, SECRET, sealed,
	    sizeof(sealed)) == -1) {
		log_error("%s: cannot format the key — this is a bug", name);
		goto out;
	}
	crypto_generichash(check, sizeof(check), (const uint8_t *)out, used,
	    NULL, 0);
	if (append_base64_line(out, out_cap, &used, CHECK, check,
	    sizeof(check)) == -1) {
		log_error("%s: cannot format the key — this is a bug", name);
		goto out;
	}
	*out_len = used;
	rc = 0;
out:
	secret_free(key, KEYSEAL_KEY_LEN);
	if (rc != 0)
		wipe(out, out_cap);
	return rc;
}

/*
 * Splits text into its SEALED_LINES lines, each with its newline, and
 * checks every byte is printable ASCII.  Returns 0, or -1 after reporting.
 */
static int
split_lines(const char *text, size_t text_len, const char *name,
    struct cursor line[SEALED_LINES])
{
	size_t start = 0;
	size_t count = 0;

	if (text_len > KEYFILE_MAX) {
		log_error("%s: too large to be a sealcat key file (more than "
		    "%d bytes) — check the file name", name, KEYFILE_MAX);
		return -1;
	}
	for (size_t i = 0; i < text_len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c != '\n' && (c < 0x20 || c > 0x7e)) {
			log_error("%s: the protected key file has binary data "
			    "or control characters in line %zu — " FIX_DAMAGED,
			    name, count + 1);
			return -1;
		}
		if (c != '\n')
			continue;
		if (count == SEALED_LINES) {
			log_error("%s: unexpected text after line %d — "
			    FIX_DAMAGED, name, SEALED_LINES);
			return -1;
		}
		line[count].p = text + start;
		line[count].end = text + i;
		count++;
		start = i + 1;
	}
	if (start < text_len && count == SEALED_LINES) {
		log_error("%s: unexpected text after line %d — " FIX_DAMAGED,
		    name, SEALED_LINES);
		return -1;
	}
	if (count < SEALED_LINES) {
		log_error("%s: the protected key file ends early: line %zu of "
		    "%d is %s — the file was cut short; " FIX_DAMAGED, name,
		    count + 1, SEALED_LINES, start < text_len ? "incomplete" :
		    "missing");
		return -1;
	}
	return 0;
}

/* Takes the literal s. */
static bool
take(struct cursor *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Takes a decimal number in its one spelling: digits, no leading zero,
 * below 2^32. */
static bool
take_number(struct cursor *c, uint32_t *out)
{
	uint64_t v = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (uint64_t)(*c->p - '0');
		if (v > UINT32_MAX)
			return false;
		c->p++;
	}
	if (c->p == start || (c->p - start > 1 && *start == '0'))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Takes the canonical base64 of exactly want bytes, up to the next space
 * or the end of the line. */
static bool
take_base64(struct cursor *c, uint8_t *out, size_t want)
{
	/* The largest field is the sealed secret; 3 spare for padding. */
	uint8_t buf[KEYSEAL_SEALED_LEN + 3];
	const char *space = memchr(c->p, ' ', (size_t)(c->end - c->p));
	size_t len = (size_t)((space != NULL ? space : c->end) - c->p);
	size_t got = 0;
	bool ok = false;

	if (want <= sizeof(buf) - 3 && len == BASE64_LEN(want) &&
	    base64_decode(c->p, len, buf, sizeof(buf), &got) == 0 &&
	    got == want) {
		memcpy(out, buf, want);
		c->p += len;
		ok = true;
	}
	wipe(buf, sizeof(buf));
	return ok;
}

static bool
at_end(const struct cursor *c)
{
	return c->p == c->end;
}

/* Line 1.  Returns the suite, or NULL after reporting. */
static const struct suite *
parse_header(struct cursor c, const char *name)
{
	char suite_name[32];
	size_t len;
	const struct suite *s;

	if (!take(&c, HEADER)) {
		log_error("%s: not a protected sealcat key file (line 1 should "
		    "be '" HEADER "SUITE') — check the file name", name);
		return NULL;
	}
	len = (size_t)(c.end - c.p);
	if (len == 0 || len >= sizeof(suite_name)) {
		log_error("%s: line 1 names no known suite — " FIX_DAMAGED,
		    name);
		return NULL;
	}
	memcpy(suite_name, c.p, len);
	suite_name[len] = '\0';
	if ((s = suite_by_name(suite_name)) == NULL) {
		log_error("%s: unknown key suite '%s' on line 1 — this sealcat "
		    "knows: %s", name, suite_name, suite_names());
		return NULL;
	}
	return s;
}

/* Line 2: "kdf argon2id v=19 m=KIB t=PASSES p=1 salt=BASE64".  The
 * version and lanes are checked later, after the checksum. */
static int
parse_kdf(struct cursor c, const char *name, struct keyseal *ks,
    uint32_t *version, uint32_t *lanes)
{
	if (take(&c, KDF_PREFIX) && !take(&c, KDF_NAME " ")) {
		log_error("%s: line 2 names a key derivation other than "
		    KDF_NAME " — use the sealcat version that wrote it", name);
		return -1;
	}
	if (!take(&c, "v=") || !take_number(&c, version) ||
	    !take(&c, " m=") || !take_number(&c, &ks->kdf.mem_kib) ||
	    !take(&c, " t=") || !take_number(&c, &ks->kdf.passes) ||
	    !take(&c, " p=") || !take_number(&c, lanes) ||
	    !take(&c, " salt=") ||
	    !take_base64(&c, ks->salt, sizeof(ks->salt)) || !at_end(&c)) {
		log_error("%s: line 2 is not '" KDF_PREFIX KDF_NAME " v=19 "
		    "m=KIB t=PASSES p=1 salt=BASE64' (a 16-byte salt) — "
		    FIX_DAMAGED, name);
		return -1;
	}
	return 0;
}

/* Line 3: "aead xchacha20poly1305 nonce=BASE64". */
static int
parse_aead(struct cursor c, const char *name, struct keyseal *ks)
{
	if (take(&c, AEAD_PREFIX) && !take(&c, AEAD_NAME " ")) {
		log_error("%s: line 3 names a cipher other than " AEAD_NAME
		    " — use the sealcat version that wrote it", name);
		return -1;
	}
	if (!take(&c, "nonce=") ||
	    !take_base64(&c, ks->nonce, sizeof(ks->nonce)) || !at_end(&c)) {
		log_error("%s: line 3 is not '" AEAD_PREFIX AEAD_NAME
		    " nonce=BASE64' (a 24-byte nonce) — " FIX_DAMAGED, name);
		return -1;
	}
	return 0;
}

/* Line 4: "public TOKEN", a key of the suite of line 1. */
static int
parse_public(struct cursor c, const char *name, struct keyseal *ks)
{
	char token[TOKEN_MAX];
	const struct suite *s = NULL;
	size_t len;

	if (!take(&c, PUBLIC) || (len = (size_t)(c.end - c.p)) == 0 ||
	    len >= sizeof(token)) {
		log_error("%s: line 4 is not 'public TOKEN' — " FIX_DAMAGED,
		    name);
		return -1;
	}
	memcpy(token, c.p, len);
	token[len] = '\0';
	if (token_parse(token, &s, ks->pub, NULL) == -1 || s != ks->suite) {
		log_error("%s: line 4 is not the public %s key of this file "
		    "— " FIX_DAMAGED, name, ks->suite->name);
		return -1;
	}
	return 0;
}

/* Line 5 ("secret BASE64") and line 6 ("check BASE64"), whose checksum of
 * lines 1-5 (text up to line 6) must match. */
static int
parse_secret_check(struct cursor secret, struct cursor check,
    const char *text, const char *name, struct keyseal *ks)
{
	uint8_t want[KEYSEAL_CHECK_LEN], got[KEYSEAL_CHECK_LEN];
	const char *line6 = check.p;

	if (!take(&secret, SECRET) ||
	    !take_base64(&secret, ks->sealed, sizeof(ks->sealed)) ||
	    !at_end(&secret)) {
		log_error("%s: line 5 is not 'secret BASE64' (a sealed %d-byte "
		    "key) — " FIX_DAMAGED, name, KEYSEAL_SEALED_LEN);
		return -1;
	}
	if (!take(&check, CHECK) || !take_base64(&check, want, sizeof(want)) ||
	    !at_end(&check)) {
		log_error("%s: line 6 is not 'check BASE64' (a %d-byte "
		    "checksum) — " FIX_DAMAGED, name, KEYSEAL_CHECK_LEN);
		return -1;
	}
	crypto_generichash(got, sizeof(got), (const uint8_t *)text,
	    (size_t)(line6 - text), NULL, 0);
	if (!ct_equal(got, want, sizeof(got))) {
		log_error("%s: the file is damaged: the checksum on line 6 "
		    "does not match lines 1-5 — " FIX_DAMAGED, name);
		return -1;
	}
	return 0;
}

int
keyseal_parse(const char *text, size_t text_len, const char *name,
    struct keyseal *ks)
{
	struct cursor line[SEALED_LINES];
	uint32_t version = 0, lanes = 0;
	const char *problem;

	memset(ks, 0, sizeof(*ks));
	if (split_lines(text, text_len, name, line) == -1 ||
	    (ks->suite = parse_header(line[0], name)) == NULL ||
	    parse_kdf(line[1], name, ks, &version, &lanes) == -1 ||
	    parse_aead(line[2], name, ks) == -1 ||
	    parse_public(line[3], name, ks) == -1 ||
	    parse_secret_check(line[4], line[5], text, name, ks) == -1)
		goto fail;
	if (version != KDF_VERSION || lanes != KDF_LANES) {
		log_error("%s: Argon2 version %u with %u lanes is not "
		    "supported (only v=%d p=%d) — " FIX_ORIGIN, name, (unsigned)version,
		    (unsigned)lanes, KDF_VERSION, KDF_LANES);
		goto fail;
	}
	/* Refused before any work: a planted file must not make us
	 * allocate gigabytes or compute for minutes. */
	if ((problem = keyseal_kdf_problem(&ks->kdf)) != NULL) {
		log_error("%s: the key derivation asks for m=%u KiB t=%u, %s — "
		    FIX_ORIGIN, name, (unsigned)ks->kdf.mem_kib,
		    (unsigned)ks->kdf.passes, problem);
		goto fail;
	}
	ks->ad = text;
	ks->ad_len = (size_t)(line[4].p - text);
	return 0;
fail:
	memset(ks, 0, sizeof(*ks));
	return -1;
}

int
keyseal_open(const struct keyseal *ks, const uint8_t *pass,
    size_t pass_len, const char *name, struct identity *id)
{
	unsigned long long len = 0;
	uint8_t *key;
	int rc;

	identity_clear(id);
	if ((key = derive(pass, pass_len, ks->salt, &ks->kdf, name,
	    &rc)) == NULL)
		return rc;
	/* libsodium checks the tag before it decrypts a byte, in constant
	 * time, and zeroes the output when the tag is wrong. */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(id->priv, &len, NULL,
	    ks->sealed, sizeof(ks->sealed), (const uint8_t *)ks->ad,
	    ks->ad_len, ks->nonce, key) != 0 || len != SUITE_PRIV_LEN) {
		identity_clear(id);
		log_error("%s: wrong passphrase — check it and try again",
		    name);
		rc = KEYSEAL_RUNTIME;
		goto out;
	}
	id->suite = ks->suite;
	memcpy(id->pub, ks->pub, sizeof(id->pub));
	rc = 0;
out:
	secret_free(key, KEYSEAL_KEY_LEN);
	return rc;
}
