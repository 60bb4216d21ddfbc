/*
 * test_keyseal.c - passphrase-protected key files (keyseal.c) and where
 * their passphrase comes from (passphrase.c, all but the terminal prompt,
 * which tests/cli/passphrase.bats drives through a pseudo-terminal):
 * Argon2id known answers and whole files written by an independent
 * implementation (tests/vectors/sealcat/keyfile_v2.json), the round trip
 * for both suites, every single-byte change and every truncation refused
 * as damage, the seal binding the header, the cost limits, and the
 * passphrase sources.  Costs are the smallest Argon2id allows, except for
 * one known answer with sealcat's default cost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "helpers.h"
#include "vectors.h"
#include "keys/keyfile.h"
#include "keys/keyseal.h"
#include "keys/passphrase.h"
#include "crypto/suite.h"
#include "base/util.h"

static const struct keyseal_kdf cheap = { KEYSEAL_MEM_MIN_KIB, 1 };
static const uint8_t pass[] = "correct horse";
#define PASS_LEN (sizeof(pass) - 1)

static const struct suite *suites[2];
static size_t suite_count;

static void
find_suites(void)
{
	const char *names[] = { "x25519", "p256" };

	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (suite_by_name(names[i]) != NULL)
			suites[suite_count++] = suite_by_name(names[i]);
}

static bool
same_identity(const struct identity *a, const struct identity *b)
{
	return a->suite == b->suite &&
	    memcmp(a->priv, b->priv, sizeof(a->priv)) == 0 &&
	    memcmp(a->pub, b->pub, a->suite->pub_len) == 0;
}

static bool
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* Seals a new identity of s with pass at the cheap cost into text. */
static void
make_sealed(const struct suite *s, struct identity *id, char *text,
    size_t *len)
{
	identity_generate(s, id);
	if (keyseal_format(id, pass, PASS_LEN, &cheap, "k", text, KEYFILE_MAX,
	    len) != 0) {
		printf("Bail out! keyseal_format failed\n");
		exit(99);
	}
}

/* Parses and opens text with pass; returns what went wrong: 0 (opened),
 * 1 (refused by the parser), 2 (the seal did not open). */
static int
try_open(const char *text, size_t len, const uint8_t *p, size_t p_len,
    struct identity *out)
{
	struct keyseal ks;

	if (keyseal_parse(text, len, "k", &ks) == -1)
		return 1;
	return keyseal_open(&ks, p, p_len, "k", out) == 0 ? 0 : 2;
}

/* Replaces line 6 of text (len bytes, room for KEYFILE_MAX) with the
 * checksum of what precedes it, as an editor who knows the format would. */
static void
recheck(char *text, size_t *len)
{
	char *line6 = strstr(text, "\ncheck ");
	uint8_t sum[KEYSEAL_CHECK_LEN];
	char b64[BASE64_LEN(KEYSEAL_CHECK_LEN) + 1];

	line6++;
	crypto_generichash(sum, sizeof(sum), (const uint8_t *)text,
	    (size_t)(line6 - text), NULL, 0);
	base64_encode(sum, sizeof(sum), b64, sizeof(b64));
	*len = (size_t)(line6 - text) + (size_t)snprintf(line6,
	    (size_t)(text + KEYFILE_MAX - line6), "check %s\n", b64);
}

/* Replaces the first occurrence of from with to in text and rechecks. */
static void
edit(char *text, size_t *len, const char *from, const char *to)
{
	char rest[KEYFILE_MAX];
	char *at = strstr(text, from);

	if (at == NULL) {
		printf("Bail out! '%s' not in the file\n", from);
		exit(99);
	}
	snprintf(rest, sizeof(rest), "%s", at + strlen(from));
	snprintf(at, (size_t)(text + KEYFILE_MAX - at), "%s%s", to, rest);
	*len = strlen(text);
	recheck(text, len);
}

static void
test_argon2id_vectors(void)
{
	json_t *root = vectors_load("sealcat/keyfile_v2.json");
	const json_t *tests = json_object_get(root, "argon2id");
	size_t i, count = 0;
	json_t *t;

	if (root == NULL)
		return;
	json_array_foreach(tests, i, t) {
		struct keyseal_kdf kdf = {
			(uint32_t)vectors_int(t, "m"),
			(uint32_t)vectors_int(t, "t"),
		};
		uint8_t key[KEYSEAL_KEY_LEN];
		size_t p_len = 0, salt_len = 0, key_len = 0;
		uint8_t *p = vectors_hex(t, "passphrase", &p_len);
		uint8_t *salt = vectors_hex(t, "salt", &salt_len);
		uint8_t *want = vectors_hex(t, "key", &key_len);

		memset(key, 0xee, sizeof(key));
		if (p == NULL || salt == NULL || want == NULL ||
		    salt_len != KEYSEAL_SALT_LEN || key_len != sizeof(key))
			ok(false, "argon2id '%s': malformed vector",
			    vectors_str(t, "name"));
		else if (keyseal_kdf(key, p, p_len, salt, &kdf) == -1)
			ok(false, "argon2id '%s': keyseal_kdf failed",
			    vectors_str(t, "name"));
		else
			is_bytes(key, want, sizeof(key), "argon2id '%s' (m=%u "
			    "t=%u, %zu-byte passphrase): libargon2's answer",
			    vectors_str(t, "name"), (unsigned)kdf.mem_kib,
			    (unsigned)kdf.passes, p_len);
		free(p);
		free(salt);
		free(want);
		count++;
	}
	ok(count >= 7, "argon2id: %zu known answers", count);
	json_decref(root);
}

/* A key file written by the independent implementation opens with its
 * passphrase to its secret and token, and not with another. */
static void
test_keyfile_vector(const json_t *t)
{
	const char *name = vectors_str(t, "name");
	const char *text = vectors_str(t, "text");
	const struct suite *s = suite_by_name(vectors_str(t, "suite"));
	struct identity id;
	char token[TOKEN_MAX];
	size_t p_len = 0, secret_len = 0;
	uint8_t *p = vectors_hex(t, "passphrase", &p_len);
	uint8_t *secret = vectors_hex(t, "secret", &secret_len);
	int rc;

	if (s == NULL || p == NULL || secret == NULL ||
	    secret_len != SUITE_PRIV_LEN) {
		ok(false, "keyfile '%s': malformed vector or unknown suite",
		    name);
		goto out;
	}
	rc = try_open(text, strlen(text), p, p_len, &id);
	ok(rc == 0 && id.suite == s, "keyfile '%s': opens with its "
	    "passphrase", name);
	if (rc == 0) {
		is_bytes(id.priv, secret, SUITE_PRIV_LEN, "keyfile '%s': the "
		    "secret key", name);
		token_format(s, id.pub, token, sizeof(token));
		ok(strcmp(token, vectors_str(t, "token")) == 0 &&
		    identity_check(&id, "k") == 0, "keyfile '%s': the public "
		    "key, which matches the secret", name);
	}
	p[p_len - 1] ^= 1;
	capture_begin();
	rc = try_open(text, strlen(text), p, p_len, &id);
	capture_end();
	ok(rc == 2 && id.suite == NULL && all_zero(id.priv, sizeof(id.priv)) &&
	    captured_line_has("k: wrong passphrase", NULL),
	    "keyfile '%s': a passphrase one bit off is 'wrong passphrase', "
	    "and the identity is left cleared", name);
out:
	identity_clear(&id);
	free(p);
	free(secret);
}

static void
test_keyfile_vectors(void)
{
	json_t *root = vectors_load("sealcat/keyfile_v2.json");
	size_t i;
	json_t *t;

	if (root == NULL)
		return;
	json_array_foreach(json_object_get(root, "keyfiles"), i, t)
		test_keyfile_vector(t);
	json_decref(root);
}

static void
test_round_trip(const struct suite *s)
{
	struct identity id, back;
	char text[KEYFILE_MAX], again[KEYFILE_MAX];
	char token[TOKEN_MAX], line4[TOKEN_MAX + 16];
	size_t len = 0, again_len = 0;

	make_sealed(s, &id, text, &len);
	ok(len == strlen(text) && keyseal_is_sealed(text, len) &&
	    strncmp(text, "sealcat private key v2 ", 23) == 0 &&
	    strncmp(text + 23, s->name, strlen(s->name)) == 0,
	    "%s: line 1 is 'sealcat private key v2 %s'", s->name, s->name);
	token_format(s, id.pub, token, sizeof(token));
	snprintf(line4, sizeof(line4), "\npublic %s\n", token);
	ok(strstr(text, line4) != NULL, "%s: the public line is readable",
	    s->name);
	ok(strstr(text, "\nkdf argon2id v=19 m=8 t=1 p=1 salt=") != NULL &&
	    strstr(text, "\naead xchacha20poly1305 nonce=") != NULL,
	    "%s: the cost and the cipher are on lines 2 and 3", s->name);
	ok(try_open(text, len, pass, PASS_LEN, &back) == 0 &&
	    same_identity(&id, &back) && identity_check(&back, "k") == 0,
	    "%s: format, parse and open round-trip", s->name);
	ok(keyseal_format(&id, pass, PASS_LEN, &cheap, "k", again,
	    sizeof(again), &again_len) == 0 && again_len == len &&
	    memcmp(again, text, len) != 0, "%s: sealing again gives another "
	    "salt and nonce", s->name);
	capture_begin();
	ok(keyseal_format(&id, pass, PASS_LEN, &cheap, "k", again, len,
	    &again_len) == -1 && all_zero(again, len),
	    "%s: keyseal_format refuses a buffer without room for the NUL and "
	    "wipes it", s->name);
	capture_end();
	identity_clear(&id);
	identity_clear(&back);
}

/*
 * Every byte of the file replaced by each of the 255 other values, and
 * every truncation and extension, must be refused; and refused as damage,
 * by the parser or the checksum, before any key derivation: never as a
 * wrong passphrase, never opened.
 */
static void
test_every_corruption(const struct suite *s)
{
	struct identity id, back;
	char text[KEYFILE_MAX];
	size_t len = 0;
	size_t opened = 0, sealed_refused = 0, changes = 0;
	size_t cut_opened = 0, cut_not_damage = 0;
	const char *const tails[] = { "\n", "x", "x\n", "check\n" };
	size_t tail_refused = 0;
	int rc;

	make_sealed(s, &id, text, &len);
	capture_begin();
	for (size_t i = 0; i < len; i++) {
		char orig = text[i];

		for (int v = 0; v < 256; v++) {
			if ((char)v == orig)
				continue;
			text[i] = (char)v;
			rc = try_open(text, len, pass, PASS_LEN, &back);
			opened += rc == 0;
			sealed_refused += rc == 2;
			changes++;
		}
		text[i] = orig;
	}
	for (size_t cut = 0; cut < len; cut++) {
		rc = try_open(text, cut, pass, PASS_LEN, &back);
		cut_opened += rc == 0;
		cut_not_damage += rc != 1;
	}
	for (size_t i = 0; i < ARRAY_LEN(tails); i++) {
		char longer[KEYFILE_MAX + 8];

		snprintf(longer, sizeof(longer), "%s%s", text, tails[i]);
		tail_refused += try_open(longer, strlen(longer), pass, PASS_LEN,
		    &back) == 1;
	}
	capture_end();
	ok(opened == 0, "%s: none of %zu single-byte changes opens", s->name,
	    changes);
	ok(sealed_refused == 0, "%s: every one of them is refused as damage "
	    "before the key derivation (%zu got as far as the seal)", s->name,
	    sealed_refused);
	ok(cut_opened == 0 && cut_not_damage == 0, "%s: all %zu truncations "
	    "refused as damage, the final newline's included", s->name, len);
	ok(tail_refused == ARRAY_LEN(tails), "%s: text after line 6 refused",
	    s->name);
	ok(try_open(text, len, pass, PASS_LEN, &back) == 0 &&
	    same_identity(&id, &back), "%s: the file itself still opens",
	    s->name);
	identity_clear(&id);
	identity_clear(&back);
}

/*
 * With the checksum redone (an editor who knows the format), a change to
 * the header gets past the parser but not the seal, whose associated data
 * is lines 1-4.
 */
static void
test_header_bound(const struct suite *s)
{
	struct identity id, other, back;
	char text[KEYFILE_MAX], orig[KEYFILE_MAX];
	char token[TOKEN_MAX], other_token[TOKEN_MAX];
	size_t len = 0, orig_len;
	int rc;

	make_sealed(s, &id, orig, &orig_len);
	identity_generate(s, &other);
	token_format(s, id.pub, token, sizeof(token));
	token_format(s, other.pub, other_token, sizeof(other_token));

	memcpy(text, orig, orig_len + 1);
	edit(text, &len, token, other_token);
	capture_begin();
	rc = try_open(text, len, pass, PASS_LEN, &back);
	capture_end();
	ok(rc == 2 && captured_line_has("wrong passphrase", NULL),
	    "%s: another public key on line 4 (checksum redone) does not "
	    "open", s->name);

	memcpy(text, orig, orig_len + 1);
	edit(text, &len, " t=1 ", " t=2 ");
	capture_begin();
	rc = try_open(text, len, pass, PASS_LEN, &back);
	capture_end();
	ok(rc == 2, "%s: another cost on line 2 (checksum redone) does not "
	    "open", s->name);

	memcpy(text, orig, orig_len + 1);
	edit(text, &len, "nonce=", "nonce=");
	ok(len == orig_len && memcmp(text, orig, len) == 0,
	    "%s: redoing the checksum of an unchanged file changes nothing",
	    s->name);
	identity_clear(&id);
	identity_clear(&other);
	identity_clear(&back);
}

/* keyseal_parse(text) is refused with one line containing expect. */
static void
check_refused(const char *text, size_t len, const char *expect,
    const char *label)
{
	struct keyseal ks;
	int rc;

	capture_begin();
	rc = keyseal_parse(text, len, "FILE", &ks);
	capture_end();
	ok(rc == -1 && captured_line_has("FILE: ", expect, NULL),
	    "refused: %s", label);
}

static void
test_cost_limits(void)
{
	static const struct {
		const char *from, *to, *expect, *label;
	} cases[] = {
		{ " m=8 ", " m=7 ", "less memory than Argon2's minimum",
		    "m=7, below Argon2's minimum" },
		{ " m=8 ", " m=1048577 ", "more memory than the 1 GiB",
		    "m=1048577, past 1 GiB" },
		{ " t=1 ", " t=0 ", "no passes", "t=0" },
		{ " t=1 ", " t=17 ", "more than the 16 passes", "t=17" },
		{ " m=8 t=1 ", " m=1048576 t=5 ",
		    "more work than sealcat allows",
		    "m=1048576 t=5, past 4 GiB of work" },
		{ " m=8 t=1 ", " m=4294967295 t=4294967295 ", "more memory",
		    "m and t at 2^32-1" },
		{ " v=19 ", " v=16 ", "Argon2 version 16", "v=16" },
		{ " p=1 ", " p=4 ", "with 4 lanes is not supported", "p=4" },
	};
	const struct {
		struct keyseal_kdf kdf;
		bool fine;
	} bounds[] = {
		{ { 8, 1 }, true },
		{ { 7, 1 }, false },
		{ { 1048576, 4 }, true },	/* exactly 4 GiB of work */
		{ { 1048576, 5 }, false },
		{ { 262144, 16 }, true },	/* exactly 4 GiB again */
		{ { 262144, 17 }, false },
		{ { 262145, 16 }, false },
		{ { 1048577, 1 }, false },
		{ { 8, 0 }, false },
		{ { KEYSEAL_MEM_DEFAULT_KIB, KEYSEAL_PASSES_DEFAULT }, true },
		{ { 1024 * 1024, KEYSEAL_PASSES_DEFAULT }, true },
	};
	struct identity id;
	char orig[KEYFILE_MAX], text[KEYFILE_MAX];
	size_t orig_len = 0, len;
	uint8_t key[KEYSEAL_KEY_LEN], salt[KEYSEAL_SALT_LEN] = { 0 };

	make_sealed(suites[0], &id, orig, &orig_len);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		memcpy(text, orig, orig_len + 1);
		edit(text, &len, cases[i].from, cases[i].to);
		check_refused(text, len, cases[i].expect, cases[i].label);
	}
	for (size_t i = 0; i < ARRAY_LEN(bounds); i++)
		ok((keyseal_kdf_problem(&bounds[i].kdf) == NULL) ==
		    bounds[i].fine, "limits: m=%u t=%u is %s",
		    (unsigned)bounds[i].kdf.mem_kib,
		    (unsigned)bounds[i].kdf.passes,
		    bounds[i].fine ? "allowed" : "refused");
	ok(keyseal_kdf(key, pass, PASS_LEN, salt, &bounds[3].kdf) == -1,
	    "limits: keyseal_kdf itself refuses a cost past them");
	capture_begin();
	ok(keyseal_format(&id, pass, PASS_LEN, &bounds[3].kdf, "k", text,
	    sizeof(text), &len) == KEYSEAL_RUNTIME,
	    "limits: keyseal_format refuses to write a cost past them");
	capture_end();
	identity_clear(&id);
}

static void
test_bad_lines(void)
{
	struct identity id;
	char orig[KEYFILE_MAX], text[KEYFILE_MAX];
	size_t orig_len = 0, len;
	char *secret;

	make_sealed(suites[0], &id, orig, &orig_len);
	memcpy(text, orig, orig_len + 1);
	edit(text, &len, "kdf argon2id ", "kdf scrypt ");
	check_refused(text, len, "other than argon2id", "another KDF");
	memcpy(text, orig, orig_len + 1);
	edit(text, &len, "aead xchacha20poly1305 ", "aead aes256gcm ");
	check_refused(text, len, "other than xchacha20poly1305",
	    "another cipher");
	memcpy(text, orig, orig_len + 1);
	edit(text, &len, " m=8 ", " m=08 ");
	check_refused(text, len, "line 2 is not", "a leading zero");
	memcpy(text, orig, orig_len + 1);
	edit(text, &len, " t=1 ", "  t=1 ");
	check_refused(text, len, "line 2 is not", "two spaces");
	memcpy(text, orig, orig_len + 1);
	edit(text, &len, "v2 x25519", "v2 x448");
	check_refused(text, len, "unknown key suite 'x448'", "unknown suite");
	if (suite_by_name("p256") != NULL) {
		memcpy(text, orig, orig_len + 1);
		edit(text, &len, "v2 x25519", "v2 p256");
		check_refused(text, len, "line 4 is not the public p256 key",
		    "a suite that disagrees with the public key");
	}
	memcpy(text, orig, orig_len + 1);
	secret = strstr(text, "\nsecret ") + 8;
	secret[0] = secret[0] == 'A' ? 'B' : 'A';
	len = strlen(text);
	check_refused(text, len, "checksum on line 6 does not match",
	    "a changed secret: the checksum names the damage");
	memcpy(text, orig, orig_len + 1);
	text[orig_len - 1] = '\0';
	check_refused(text, orig_len - 1, "line 6 of 6 is incomplete",
	    "the final newline missing");
	check_refused(orig, 100, "ends early", "half a file");
	identity_clear(&id);
}

/* Writes a passphrase file name with contents and mode; returns its path. */
static const char *
pass_file(const char *name, const char *contents, mode_t mode)
{
	return test_write_file(name, contents, strlen(contents), mode);
}

static bool
is_pass(const struct passphrase *p, const char *want)
{
	return p->len == strlen(want) && memcmp(p->bytes, want, p->len) == 0;
}

static void
test_passphrase_files(struct passphrase *p)
{
	char big[PASSPHRASE_MAX + 2];
	const char *path;
	int rc;

	ok(passphrase_from_file(pass_file("p1", "secret\n", 0600), "f", p) ==
	    0 && is_pass(p, "secret"), "file: one final newline stripped");
	ok(passphrase_from_file(pass_file("p2", "sec ret\n\n", 0400), "f",
	    p) == 0 && is_pass(p, "sec ret\n"), "file: only one newline "
	    "stripped; mode 0400 is fine");
	ok(passphrase_from_file(pass_file("p3", "no newline", 0600), "f", p) ==
	    0 && is_pass(p, "no newline"), "file: no final newline needed");
	memset(big, 'a', PASSPHRASE_MAX);
	big[PASSPHRASE_MAX] = '\0';
	ok(passphrase_from_file(pass_file("p4", big, 0600), "f", p) == 0 &&
	    p->len == PASSPHRASE_MAX, "file: %d bytes accepted",
	    PASSPHRASE_MAX);
	big[PASSPHRASE_MAX] = 'a';
	big[PASSPHRASE_MAX + 1] = '\0';
	capture_begin();
	rc = passphrase_from_file(pass_file("p5", big, 0600), "f", p);
	capture_end();
	ok(rc == -1 && captured_line_has("longer than 1024 bytes", NULL) &&
	    all_zero(p, sizeof(*p)), "file: %d bytes refused, not cut, and "
	    "the buffer wiped", PASSPHRASE_MAX + 1);
	capture_begin();
	rc = passphrase_from_file(pass_file("p6", "secret\n", 0640), "f", p);
	capture_end();
	ok(rc == -1 && captured_line_has("permissions 0640 are too open",
	    "chmod 600", NULL), "file: group-readable refused");
	capture_begin();
	rc = passphrase_from_file(pass_file("p7", "\n", 0600), "f", p);
	capture_end();
	ok(rc == -1 && captured_line_has("is empty", NULL),
	    "file: a lone newline is an empty passphrase, refused");
	path = test_path("p8");
	(void)unlink(path);
	if (symlink(test_path("p1"), path) == 0) {
		capture_begin();
		rc = passphrase_from_file(path, "f", p);
		capture_end();
		ok(rc == -1 && captured_line_has("symbolic link", NULL),
		    "file: a symbolic link refused");
	} else
		ok(false, "file: cannot make a symbolic link: %s",
		    strerror(errno));
	capture_begin();
	rc = passphrase_from_file(test_dir, "f", p);
	capture_end();
	ok(rc == -1 && captured_line_has("not a regular file", NULL),
	    "file: a directory refused");
}

/* A pipe holding text, its read end as the descriptor for SEALCAT_
 * PASSPHRASE_FD. */
static int
pipe_with(const char *text)
{
	int fds[2];

	if (pipe(fds) == -1 || write(fds[1], text, strlen(text)) !=
	    (ssize_t)strlen(text)) {
		printf("Bail out! pipe\n");
		exit(99);
	}
	close(fds[1]);
	return fds[0];
}

static void
test_passphrase_sources(struct passphrase *p)
{
	char value[16];
	int fd, rc;

	fd = pipe_with("from the fd\n");
	snprintf(value, sizeof(value), "%d", fd);
	setenv(PASSPHRASE_FD_ENV, value, 1);
	ok(passphrase_unlock(NULL, "k", p) == 0 && is_pass(p, "from the fd"),
	    "unlock: " PASSPHRASE_FD_ENV " is read");
	ok(getenv(PASSPHRASE_FD_ENV) == NULL && fcntl(fd, F_GETFD) == -1,
	    "unlock: the descriptor is closed and the variable removed, so "
	    "no child inherits either");

	fd = pipe_with("from the fd\n");
	snprintf(value, sizeof(value), "%d", fd);
	setenv(PASSPHRASE_FD_ENV, value, 1);
	ok(passphrase_unlock(test_path("p1"), "k", p) == 0 &&
	    is_pass(p, "secret"), "unlock: --passphrase-file comes first");
	close(fd);

	setenv(PASSPHRASE_FD_ENV, "1", 1);
	capture_begin();
	rc = passphrase_unlock(NULL, "k", p);
	capture_end();
	ok(rc == -1 && captured_line_has("3 or more", NULL),
	    "unlock: descriptors 0-2 (the data channel) refused");
	setenv(PASSPHRASE_FD_ENV, "999", 1);
	capture_begin();
	rc = passphrase_unlock(NULL, "k", p);
	capture_end();
	ok(rc == -1 && captured_line_has("no such open descriptor", NULL),
	    "unlock: a descriptor that is not open refused");
	unsetenv(PASSPHRASE_FD_ENV);

	pass_file(PASSPHRASE_CREDENTIAL, "from systemd\n", 0400);
	setenv("CREDENTIALS_DIRECTORY", test_dir, 1);
	ok(passphrase_unlock(NULL, "k", p) == 0 &&
	    is_pass(p, "from systemd"), "unlock: the systemd credential "
	    PASSPHRASE_CREDENTIAL " is read");
	fd = pipe_with("from the fd\n");
	snprintf(value, sizeof(value), "%d", fd);
	setenv(PASSPHRASE_FD_ENV, value, 1);
	ok(passphrase_unlock(NULL, "k", p) == 0 && is_pass(p, "from the fd"),
	    "unlock: " PASSPHRASE_FD_ENV " comes before the credential");
	pass_file(PASSPHRASE_CREDENTIAL, "from systemd\n", 0444);
	capture_begin();
	rc = passphrase_unlock(NULL, "k", p);
	capture_end();
	ok(rc == -1 && captured_line_has("permissions 0444 are too open",
	    NULL), "unlock: a credential others can read refused");
	unsetenv("CREDENTIALS_DIRECTORY");
}

/* keyfile.c with a protected file: write, load with a passphrase file,
 * the public key without one, a wrong passphrase, a rewrite. */
static void
test_keyfile_level(const struct suite *s)
{
	struct keyfile_lock lock = { pass, PASS_LEN, { 8, 1 } };
	struct identity id, back;
	char key[700], pub_path[710], good[700], bad[700];
	struct stat st;
	bool sealed = false;
	int rc;

	/* test_path() reuses its buffers: keep copies. */
	snprintf(key, sizeof(key), "%s", test_path("sealed"));
	snprintf(pub_path, sizeof(pub_path), "%s.pub", key);
	snprintf(good, sizeof(good), "%s", pass_file("good",
	    (const char *)pass, 0600));
	snprintf(bad, sizeof(bad), "%s", pass_file("bad", "incorrect horse",
	    0600));
	(void)unlink(key);
	(void)unlink(pub_path);
	identity_generate(s, &id);
	ok(keyfile_write_locked(key, &id, NULL, false, &lock) == 0 &&
	    stat(key, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "%s: keyfile_write_locked writes a 0600 file", s->name);
	ok(keyfile_open(key, good, true, &sealed, &back) == 0 &&
	    sealed && same_identity(&id, &back), "%s: keyfile_open unlocks it "
	    "with --passphrase-file", s->name);
	ok(keyfile_load_public(key, &back) == 0 && back.suite == s &&
	    memcmp(back.pub, id.pub, s->pub_len) == 0 &&
	    all_zero(back.priv, sizeof(back.priv)), "%s: keyfile_load_public "
	    "reads the public key, and only that, without a passphrase",
	    s->name);
	capture_begin();
	rc = keyfile_open(key, bad, true, NULL, &back);
	capture_end();
	ok(rc == KEYFILE_RUNTIME && back.suite == NULL &&
	    captured_line_has("wrong passphrase", NULL), "%s: a wrong "
	    "passphrase is KEYFILE_RUNTIME (exit 1)", s->name);
	capture_begin();
	rc = keyfile_load(key, &back);
	capture_end();
	ok(rc == -1, "%s: keyfile_load() turns every failure into -1",
	    s->name);
	chmod(key, 0640);
	capture_begin();
	rc = keyfile_open(key, good, true, NULL, &back);
	capture_end();
	ok(rc == -1 && captured_line_has("too open", NULL),
	    "%s: a protected file others can read is refused before any "
	    "passphrase is asked for", s->name);
	chmod(key, 0400);
	ok(keyfile_rewrite(key, &id, NULL) == 0 &&
	    keyfile_open(key, NULL, true, &sealed, &back) == 0 && !sealed &&
	    same_identity(&id, &back) && stat(key, &st) == 0 &&
	    (st.st_mode & 0777) == 0400, "%s: keyfile_rewrite to the plain "
	    "format keeps the key and the mode 0400", s->name);
	ok(keyfile_rewrite(key, &id, &lock) == 0 &&
	    keyfile_open(key, good, true, &sealed, &back) == 0 &&
	    sealed && same_identity(&id, &back), "%s: and back to protected",
	    s->name);
	identity_clear(&id);
	identity_clear(&back);
}

int
main(void)
{
	struct passphrase *p;

	if (suite_init() == -1)
		return 99;
	find_suites();
	test_dir_create();
	test_argon2id_vectors();
	test_keyfile_vectors();
	for (size_t i = 0; i < suite_count; i++) {
		test_round_trip(suites[i]);
		test_every_corruption(suites[i]);
		test_header_bound(suites[i]);
	}
	test_cost_limits();
	test_bad_lines();
	if ((p = secret_alloc(sizeof(*p))) == NULL)
		return 99;
	test_passphrase_files(p);
	test_passphrase_sources(p);
	secret_free(p, sizeof(*p));
	for (size_t i = 0; i < suite_count; i++)
		test_keyfile_level(suites[i]);
	test_dir_remove();
	return tap_done();
}
