/*
 * keyfile.c - private key files, .pub files and public key tokens
 * (PROTOCOL.md §4 for the token format).
 *
 * A private key file is three lines of text, all of them required:
 *
 *     sealcat private key v1 x25519
 *     <base64 of the 32-byte secret>
 *     public x25519:<base64 of the public key>
 *
 * The first says what the file is, the last lets `cat` tell a user which
 * key they hold; loading recomputes the public key and refuses a file whose
 * third line disagrees (identity_check(), which connect runs later, while
 * it waits for the listener).  Only printable ASCII and newlines are
 * accepted, and only the final newline may be missing.  Which keys to
 * trust is trust.c's.
 */
#include "keys/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/keyseal.h"
#include "base/log.h"
#include "keys/passphrase.h"
#include "base/util.h"

#define HEADER "sealcat private key v1 "
#define HEADER_ANY "sealcat private key "
#define PUBLIC "public "
#define KEYFILE_LINES 3

/* What to do about a key file that is not what it should be. */
#define FIX_DAMAGED "restore it from a backup or create a new key with " \
	"'sealcat keygen'"
#define FIX_TOKEN "copy the whole token as 'sealcat pubkey' prints it"

static const char *const default_suites[] = { "x25519", "p256" };

int
identity_generate(const struct suite *suite, struct identity *id)
{
	identity_clear(id);
	id->suite = suite;
	if (suite->keypair(id->priv, id->pub) == -1) {
		identity_clear(id);
		log_error("cannot generate a %s key: the random number source "
		    "failed — check /dev/urandom and getrandom()", suite->name);
		return -1;
	}
	return 0;
}

void
identity_clear(struct identity *id)
{
	if (id == NULL)
		return;
	wipe(id->priv, sizeof(id->priv));
	wipe(id->pub, sizeof(id->pub));
	id->suite = NULL;
}

int
keyfile_default_path(const struct suite *suite, bool create_dir, char *out,
    size_t out_cap)
{
	const char *env = getenv("SEALCAT_IDENTITY");
	char name[64];
	int n;

	if (env != NULL && env[0] != '\0') {
		n = snprintf(out, out_cap, "%s", env);
		if (n < 0 || (size_t)n >= out_cap) {
			log_error("SEALCAT_IDENTITY is too long — use a "
			    "shorter path");
			return -1;
		}
		return 0;
	}
	n = snprintf(name, sizeof(name), "id_%s", suite->name);
	if (n < 0 || (size_t)n >= sizeof(name))
		return -1;
	return config_path(name, create_dir, out, out_cap);
}

int
keyfile_find_default(const struct suite *suite, char *out, size_t out_cap)
{
	const char *env = getenv("SEALCAT_IDENTITY");
	struct stat st;
	char dir[PATH_MAX];

	if (suite != NULL || (env != NULL && env[0] != '\0'))
		return keyfile_default_path(suite != NULL ? suite :
		    suite_default(), false, out, out_cap);
	for (size_t i = 0; i < ARRAY_LEN(default_suites); i++) {
		const struct suite *s = suite_by_name(default_suites[i]);

		if (s == NULL)
			continue;
		if (keyfile_default_path(s, false, out, out_cap) == -1)
			return -1;
		if (lstat(out, &st) == 0)
			return 0;
	}
	if (config_path("", false, dir, sizeof(dir)) == -1)
		return -1;
	log_error("no identity key in %s (looked for id_x25519 and id_p256) — "
	    "create one with 'sealcat keygen' or name one with -i FILE", dir);
	return -1;
}

int
token_format(const struct suite *suite, const uint8_t *pub, char *out,
    size_t out_cap)
{
	size_t name_len = strlen(suite->name);

	if (out_cap < name_len + 1)
		return -1;
	memcpy(out, suite->name, name_len);
	out[name_len] = ':';
	return base64_encode(pub, suite->pub_len, out + name_len + 1,
	    out_cap - name_len - 1);
}

/*
 * Decodes text (text_len characters) into out if it is the canonical
 * base64 of exactly want bytes (at most SUITE_PUB_MAX).  Returns 0, or -1
 * with a phrase for the message in why.
 */
static int
decode_exact(const char *text, size_t text_len, uint8_t *out, size_t want,
    const char *what, char *why, size_t why_cap)
{
	/* 4 characters are 3 bytes: room for whatever the text holds. */
	uint8_t buf[BASE64_LEN(SUITE_PUB_MAX) / 4 * 3];
	size_t len = 0;
	int rc = -1;

	if (text_len != BASE64_LEN(want))
		snprintf(why, why_cap, "expected %zu base64 characters, got "
		    "%zu", (size_t)BASE64_LEN(want), text_len);
	else if (base64_decode(text, text_len, buf, sizeof(buf), &len) == -1)
		snprintf(why, why_cap, "not canonical base64: only A-Z a-z 0-9 "
		    "+ / with '=' padding, and no bits set past the last byte");
	else if (len != want)
		snprintf(why, why_cap, "it holds %zu bytes, a %s has %zu", len,
		    what, want);
	else {
		memcpy(out, buf, want);
		rc = 0;
	}
	wipe(buf, sizeof(buf));
	return rc;
}

int
token_parse(const char *token, const struct suite **suite, uint8_t *pub,
    const char *what)
{
	const char *colon = strchr(token, ':');
	const struct suite *s;
	uint8_t key[SUITE_PUB_MAX];
	const char *problem;
	char why[128];
	char key_name[32];

	if (colon == NULL) {
		if (what != NULL)
			log_error("%s: not a public key token (expected "
			    "SUITE:BASE64, e.g. x25519:...) — " FIX_TOKEN,
			    what);
		return -1;
	}
	if ((s = suite_by_token(token)) == NULL) {
		if (what != NULL)
			log_error("%s: unknown key suite '%.*s' — use a token "
			    "starting with one of: %s", what,
			    (int)((size_t)(colon - token) > 32 ? 32 :
			    colon - token), token, suite_names());
		return -1;
	}
	snprintf(key_name, sizeof(key_name), "%s key", s->name);
	if (decode_exact(colon + 1, strlen(colon + 1), key, s->pub_len,
	    key_name, why, sizeof(why)) == -1) {
		if (what != NULL)
			log_error("%s: malformed %s key (%s) — " FIX_TOKEN,
			    what, s->name, why);
		return -1;
	}
	/* One key, one token: an alias would let two tokens (and two lines
	 * of a trust file) name the same key. */
	if ((problem = s->pub_problem(key)) != NULL) {
		if (what != NULL)
			log_error("%s: the %s key is %s — " FIX_TOKEN, what,
			    s->name, problem);
		return -1;
	}
	memcpy(pub, key, s->pub_len);
	*suite = s;
	return 0;
}

int
keyfile_format(const struct identity *id, char *out, size_t out_cap,
    size_t *out_len)
{
	char secret[BASE64_LEN(SUITE_PRIV_LEN) + 1];
	char token[TOKEN_MAX];
	int n = -1;

	if (base64_encode(id->priv, sizeof(id->priv), secret,
	    sizeof(secret)) == 0 &&
	    token_format(id->suite, id->pub, token, sizeof(token)) == 0)
		n = snprintf(out, out_cap, HEADER "%s\n%s\n" PUBLIC "%s\n",
		    id->suite->name, secret, token);
	wipe(secret, sizeof(secret));
	if (n < 0 || (size_t)n >= out_cap) {
		wipe(out, out_cap);
		return -1;
	}
	*out_len = (size_t)n;
	return 0;
}

/*
 * Splits text into at most KEYFILE_LINES lines (the last newline may be
 * missing) and checks every byte is printable ASCII.  Returns the number of
 * lines (at least 1), or -1 after reporting.
 */
static int
split_lines(const char *text, size_t text_len, const char *name,
    const char *line[KEYFILE_LINES], size_t line_len[KEYFILE_LINES])
{
	size_t start = 0;
	size_t count = 0;

	if (text_len == 0) {
		log_error("%s: the key file is empty — " FIX_DAMAGED, name);
		return -1;
	}
	if (text_len > KEYFILE_MAX) {
		log_error("%s: too large to be a sealcat key file (more than "
		    "%d bytes) — check the file name", name, KEYFILE_MAX);
		return -1;
	}
	for (size_t i = 0; i < text_len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c != '\n' && (c < 0x20 || c > 0x7e)) {
			log_error("%s: not a sealcat key file (binary data or "
			    "control characters) — check the file name", name);
			return -1;
		}
		if (c != '\n' && i + 1 < text_len)
			continue;
		if (count == KEYFILE_LINES) {
			log_error("%s: unexpected text after line %d — "
			    FIX_DAMAGED, name, KEYFILE_LINES);
			return -1;
		}
		line[count] = text + start;
		line_len[count] = i - start + (c == '\n' ? 0 : 1);
		count++;
		start = i + 1;
	}
	return (int)count;
}

static bool
starts_with(const char *s, size_t s_len, const char *prefix)
{
	size_t n = strlen(prefix);

	return s_len >= n && memcmp(s, prefix, n) == 0;
}

/* True if line (not NUL-terminated) starts like a token: "x25519:". */
static bool
looks_like_token(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	char prefix[32];
	size_t n;

	if (colon == NULL || (n = (size_t)(colon - line)) + 2 > sizeof(prefix))
		return false;
	memcpy(prefix, line, n + 1);
	prefix[n + 1] = '\0';
	return suite_by_token(prefix) != NULL;
}

/* Line 1: "sealcat private key v1 SUITE".  Returns the suite, or NULL after
 * reporting. */
static const struct suite *
parse_header(const char *line, size_t len, const char *name)
{
	char suite_name[32];
	const struct suite *s;
	size_t n = strlen(HEADER);

	if (!starts_with(line, len, HEADER)) {
		if (starts_with(line, len, HEADER_ANY))
			log_error("%s: unsupported key file version "
			    "('%.*s') — use the sealcat version that created "
			    "it, or create a new key", name,
			    (int)(len > 40 ? 40 : len), line);
		else if (looks_like_token(line, len))
			log_error("%s: this is a public key (.pub), not a "
			    "private key file — give the file without .pub",
			    name);
		else
			log_error("%s: not a sealcat private key file (line 1 "
			    "should be '" HEADER "SUITE') — check the file "
			    "name", name);
		return NULL;
	}
	if (len - n >= sizeof(suite_name) || len == n) {
		log_error("%s: line 1 names no known suite — " FIX_DAMAGED,
		    name);
		return NULL;
	}
	memcpy(suite_name, line + n, len - n);
	suite_name[len - n] = '\0';
	if ((s = suite_by_name(suite_name)) == NULL) {
		log_error("%s: unknown key suite '%s' on line 1 — this sealcat "
		    "knows: %s", name, suite_name, suite_names());
		return NULL;
	}
	return s;
}

/* The message for a public key line that disagrees with the secret. */
static void
report_mismatch(const char *name)
{
	log_error("%s: the public key on line 3 does not match the secret key "
	    "on line 2 (the file was damaged or edited) — " FIX_DAMAGED, name);
}

/* Line 2: the secret (identity_check() tells whether it is a valid
 * scalar).  Returns 0, or -1 after reporting. */
static int
parse_secret(const char *line, size_t len, const char *name,
    struct identity *id)
{
	char why[128];

	if (decode_exact(line, len, id->priv, SUITE_PRIV_LEN, "secret key",
	    why, sizeof(why)) == -1) {
		log_error("%s: line 2 is not a %s secret key (%s) — "
		    FIX_DAMAGED, name, id->suite->name, why);
		return -1;
	}
	return 0;
}

/* Line 3: "public TOKEN" of id's suite, into id->pub (identity_check()
 * compares it with the secret's).  Returns 0, or -1 after reporting. */
static int
parse_public(const char *line, size_t len, const char *name,
    struct identity *id)
{
	char token[TOKEN_MAX];
	uint8_t pub[SUITE_PUB_MAX];
	const struct suite *s = NULL;
	size_t n = strlen(PUBLIC);

	if (!starts_with(line, len, PUBLIC) || len - n >= sizeof(token)) {
		log_error("%s: line 3 should be 'public TOKEN' — "
		    FIX_DAMAGED, name);
		return -1;
	}
	memcpy(token, line + n, len - n);
	token[len - n] = '\0';
	if (token_parse(token, &s, pub, NULL) == -1) {
		log_error("%s: line 3 does not hold a valid public key token "
		    "— " FIX_DAMAGED, name);
		return -1;
	}
	if (s != id->suite) {
		report_mismatch(name);
		return -1;
	}
	memcpy(id->pub, pub, s->pub_len);
	return 0;
}

/* keyfile_parse() without identity_check(). */
static int
parse_text(const char *text, size_t text_len, const char *name,
    struct identity *id)
{
	const char *line[KEYFILE_LINES];
	size_t line_len[KEYFILE_LINES];
	int count;

	identity_clear(id);
	if ((count = split_lines(text, text_len, name, line, line_len)) == -1)
		goto fail;
	/* The header first: it tells a .pub or an alien file from a
	 * truncated key file. */
	if ((id->suite = parse_header(line[0], line_len[0], name)) == NULL)
		goto fail;
	if (count < KEYFILE_LINES) {
		log_error("%s: the key file is truncated (%d of %d lines) — "
		    FIX_DAMAGED, name, count, KEYFILE_LINES);
		goto fail;
	}
	if (parse_secret(line[1], line_len[1], name, id) == -1)
		goto fail;
	if (parse_public(line[2], line_len[2], name, id) == -1)
		goto fail;
	return 0;
fail:
	identity_clear(id);
	return -1;
}

int
identity_check(const struct identity *id, const char *name)
{
	uint8_t pub[SUITE_PUB_MAX];
	int rc = -1;

	if (id->suite->pubkey(pub, id->priv) == -1) {
		log_error("%s: line 2 is not a valid %s private key — "
		    FIX_DAMAGED, name, id->suite->name);
		goto out;
	}
	if (!ct_equal(pub, id->pub, id->suite->pub_len)) {
		report_mismatch(name);
		goto out;
	}
	rc = 0;
out:
	wipe(pub, sizeof(pub));
	return rc;
}

int
keyfile_parse(const char *text, size_t text_len, const char *name,
    struct identity *id)
{
	if (parse_text(text, text_len, name, id) == -1)
		return -1;
	if (identity_check(id, name) == -1) {
		identity_clear(id);
		return -1;
	}
	return 0;
}

/* Opens a key file for reading and checks what it is before reading a
 * byte.  Returns the descriptor and sets *mode, or -1 after reporting. */
static int
open_private(const char *path, mode_t *mode)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO planted at the path must not hang us. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			log_error("%s: no such key file — create it with "
			    "'sealcat keygen' or name another with -i", path);
		else if (errno == ELOOP)
			log_error("%s: is a symbolic link — name the key file "
			    "itself", path);
		else
			log_error("%s: cannot open the key file: %s — check "
			    "the path and its permissions", path,
			    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_error("%s: cannot stat the key file: %s — check the path",
		    path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file — name the key file itself",
		    path);
		goto fail;
	}
	if (st.st_size > KEYFILE_MAX) {
		log_error("%s: too large to be a sealcat key file (more than "
		    "%d bytes) — check the file name", path, KEYFILE_MAX);
		goto fail;
	}
	*mode = st.st_mode;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Reads the key file at path into text (text_cap bytes at most).  Returns
 * 0 and sets *text_len, or -1 after reporting. */
static int
read_private(const char *path, char *text, size_t text_cap, size_t *text_len,
    mode_t *mode)
{
	size_t len = 0;
	int fd;
	int rc = -1;

	if ((fd = open_private(path, mode)) == -1)
		return -1;
	while (len < text_cap) {
		ssize_t n = read(fd, text + len, text_cap - len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_error("%s: cannot read the key file: %s — check "
			    "the file", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*text_len = len;
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * Like ssh: a secret others can read (or replace) is no longer ours alone.
 * Checked after parsing, so a wrong file (a .pub, say) is named as such
 * rather than sent to chmod, and before any passphrase is asked for.
 * Returns true after reporting if mode is too open.
 */
static bool
too_open(const char *path, mode_t mode)
{
	if ((mode & 077) == 0)
		return false;
	log_error("%s: permissions %04o are too open (others can access the "
	    "private key) — run chmod 600 %s", path, (unsigned)(mode & 07777),
	    path);
	return true;
}

/*
 * Unlocks the parsed protected file ks (from path) with a passphrase from
 * passphrase_unlock(), which is wiped as soon as the seal is open.
 * Returns 0, -1 or KEYFILE_RUNTIME after reporting.
 */
static int
unlock(const char *path, const struct keyseal *ks,
    const char *passphrase_file, struct identity *id)
{
	struct passphrase *pass;
	int rc;

	if ((pass = secret_alloc(sizeof(*pass))) == NULL)
		return -1;
	rc = passphrase_unlock(passphrase_file, path, pass);
	if (rc == 0)
		rc = keyseal_open(ks, pass->bytes, pass->len, path, id);
	else if (rc == PASSPHRASE_RUNTIME)
		rc = KEYFILE_RUNTIME;
	secret_free(pass, sizeof(*pass));
	return rc;
}

/* What load() is to do with the file. */
enum load_mode {
	LOAD_CHECKED,		/* keyfile_open() with check */
	LOAD_UNCHECKED,		/* keyfile_open() without */
	LOAD_PUBLIC		/* keyfile_load_public() */
};

static int
load(const char *path, const char *passphrase_file, enum load_mode how,
    bool *sealed, struct identity *id)
{
	/* One spare byte tells a file that grew past KEYFILE_MAX. */
	const size_t text_cap = KEYFILE_MAX + 1;
	struct keyseal ks;
	bool is_sealed;
	char *text;
	size_t text_len = 0;
	mode_t mode = 0;
	int rc = -1;

	memset(&ks, 0, sizeof(ks));
	identity_clear(id);
	if ((text = secret_alloc(text_cap)) == NULL)
		return -1;
	if (read_private(path, text, text_cap, &text_len, &mode) == -1)
		goto out;
	is_sealed = keyseal_is_sealed(text, text_len);
	if (sealed != NULL)
		*sealed = is_sealed;
	if (is_sealed ? keyseal_parse(text, text_len, path, &ks) == -1 :
	    parse_text(text, text_len, path, id) == -1)
		goto out;
	if (too_open(path, mode))
		goto out;
	if (is_sealed && how == LOAD_PUBLIC) {
		/* The public line as it stands: the seal binds it to the
		 * secret, which unlocking checks. */
		id->suite = ks.suite;
		memcpy(id->pub, ks.pub, sizeof(id->pub));
		rc = 0;
		goto out;
	}
	if (is_sealed && (rc = unlock(path, &ks, passphrase_file, id)) != 0)
		goto out;
	rc = -1;
	if (how != LOAD_UNCHECKED && identity_check(id, path) == -1)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		identity_clear(id);
	secret_free(text, text_cap);
	return rc;
}

int
keyfile_open(const char *path, const char *passphrase_file, bool check,
    bool *sealed, struct identity *id)
{
	return load(path, passphrase_file, check ? LOAD_CHECKED :
	    LOAD_UNCHECKED, sealed, id);
}

int
keyfile_load(const char *path, struct identity *id)
{
	return load(path, NULL, LOAD_CHECKED, NULL, id) == 0 ? 0 : -1;
}

int
keyfile_load_unchecked(const char *path, struct identity *id)
{
	return load(path, NULL, LOAD_UNCHECKED, NULL, id) == 0 ? 0 : -1;
}

int
keyfile_load_public(const char *path, struct identity *id)
{
	return load(path, NULL, LOAD_PUBLIC, NULL, id) == 0 ? 0 : -1;
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* Refuses early (before anything is written) when either file exists. */
static bool
targets_free(const char *path, const char *pub_path)
{
	const char *const paths[] = { path, pub_path };
	struct stat st;

	for (size_t i = 0; i < ARRAY_LEN(paths); i++)
		if (lstat(paths[i], &st) == 0) {
			log_error("%s: already exists — use --force to "
			    "replace it, or choose another name with -o",
			    paths[i]);
			return false;
		}
	return true;
}

/*
 * Puts the prepared key and .pub in place, in the order that leaves a
 * usable pair behind at every step (keyfile.h):
 *
 *   1. (done by the caller) both new files are written in full beside
 *      their targets and synced: a failure there changes nothing;
 *   2. the new .pub replaces the old one, which keeps a spare name;
 *   3. the new key replaces the old key: the new pair is in place.  If this
 *      fails, the old .pub is put back: the old pair is in place;
 *   4. the spare name goes and the directory is synced.
 *
 * The key goes last because it is the identity: until step 3 the old key
 * is there, whole.  A crash between 2 and 3 leaves the old key with the new
 * .pub; the key file names its own public key (line 3), which is what
 * pubkey prints, so no sealcat command is misled.
 */
static int
commit_pair(struct atomic_file *key, struct atomic_file *pub, bool force)
{
	if (atomic_file_commit(pub, force ? ATOMIC_REPLACE_UNDO :
	    ATOMIC_CREATE) == -1)
		return -1;
	if (atomic_file_commit(key, force ? ATOMIC_REPLACE : ATOMIC_CREATE) ==
	    -1) {
		(void)atomic_file_undo(pub);
		return -1;
	}
	return 0;
}

/* The private key file's text for id, plain or under lock, into text
 * (KEYFILE_MAX).  Returns 0, -1 or KEYFILE_RUNTIME after reporting. */
static int
format_text(const char *path, const struct identity *id,
    const struct keyfile_lock *lock, char *text, size_t *text_len)
{
	if (lock != NULL)
		return keyseal_format(id, lock->pass, lock->pass_len,
		    &lock->kdf, path, text, KEYFILE_MAX, text_len);
	if (keyfile_format(id, text, KEYFILE_MAX, text_len) == -1) {
		log_error("%s: cannot format the key — this is a bug", path);
		return -1;
	}
	return 0;
}

/* path.pub into out (PATH_MAX).  Returns 0, or -1 after reporting. */
static int
pub_path_of(const char *path, char *out, size_t out_cap)
{
	int n = snprintf(out, out_cap, "%s.pub", path);

	if (n < 0 || (size_t)n >= out_cap) {
		log_error("%s: path too long — choose a shorter name", path);
		return -1;
	}
	return 0;
}

int
keyfile_check_new(const char *path)
{
	char pub_path[PATH_MAX];

	if (pub_path_of(path, pub_path, sizeof(pub_path)) == -1)
		return -1;
	return targets_free(path, pub_path) ? 0 : -1;
}

int
keyfile_write(const char *path, const struct identity *id,
    const char *comment, bool force)
{
	return keyfile_write_locked(path, id, comment, force, NULL) == 0 ? 0 :
	    -1;
}

int
keyfile_write_locked(const char *path, const struct identity *id,
    const char *comment, bool force, const struct keyfile_lock *lock)
{
	struct atomic_file key_file, pub_file;
	char *text = NULL;
	char pub_path[PATH_MAX];
	char pub_line[TOKEN_MAX + 260];
	char token[TOKEN_MAX];
	size_t text_len = 0;
	int rc = -1;
	int n;

	key_file.path[0] = pub_file.path[0] = '\0';
	if (comment != NULL && (!printable(comment) || strlen(comment) > 255)) {
		log_error("--comment: must be one line of printable ASCII, "
		    "at most 255 characters — shorten or simplify it");
		goto out;
	}
	if (pub_path_of(path, pub_path, sizeof(pub_path)) == -1)
		goto out;
	/* Before the key derivation, which takes a while. */
	if (!force && !targets_free(path, pub_path))
		goto out;
	if (token_format(id->suite, id->pub, token, sizeof(token)) == -1) {
		log_error("%s: cannot format the key — this is a bug", path);
		goto out;
	}
	n = snprintf(pub_line, sizeof(pub_line), "%s%s%s\n", token,
	    comment != NULL && comment[0] != '\0' ? " " : "",
	    comment != NULL ? comment : "");
	if (n < 0 || (size_t)n >= sizeof(pub_line))
		goto out;
	if ((text = secret_alloc(KEYFILE_MAX)) == NULL)
		goto out;
	if ((rc = format_text(path, id, lock, text, &text_len)) != 0)
		goto out;
	rc = -1;
	/* Replacing a service's key as root leaves it the service's. */
	if (atomic_file_prepare(&key_file, path, text, text_len, 0600,
	    force ? path : NULL) == -1 ||
	    atomic_file_prepare(&pub_file, pub_path, pub_line, (size_t)n, 0644,
	    force ? pub_path : NULL) == -1)
		goto out;
	if (commit_pair(&key_file, &pub_file, force) == -1)
		goto out;
	rc = 0;
out:
	/* Both, even after a failure: temporary files go either way. */
	if (key_file.path[0] != '\0' && atomic_file_done(&key_file) == -1)
		rc = -1;
	if (pub_file.path[0] != '\0' && atomic_file_done(&pub_file) == -1)
		rc = -1;
	secret_free(text, KEYFILE_MAX);
	return rc;
}

int
keyfile_rewrite(const char *path, const struct identity *id,
    const struct keyfile_lock *lock)
{
	struct stat st;
	char *text = NULL;
	size_t text_len = 0;
	int rc = -1;

	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_error("%s: is no longer a regular file — nothing was "
		    "changed; check the path", path);
		return -1;
	}
	if ((text = secret_alloc(KEYFILE_MAX)) == NULL)
		return -1;
	if ((rc = format_text(path, id, lock, text, &text_len)) != 0)
		goto out;
	/* Temporary file, fsync, rename, directory fsync: a crash leaves
	 * the old file or the new one.  Same mode, owner and group. */
	rc = atomic_write_file(path, text, text_len, st.st_mode & 07777, path);
out:
	secret_free(text, KEYFILE_MAX);
	return rc;
}
