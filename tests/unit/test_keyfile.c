/*
 * test_keyfile.c - public key tokens, the private key file format (every
 * malformed class, and every single-byte corruption), loading checks on the
 * file itself, and writing key files without ever writing through an
 * existing file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "helpers.h"
#include "keys/fingerprint.h"
#include "keys/keyfile.h"
#include "crypto/suite.h"
#include "base/util.h"

/* Suites this build has; p256 joins when its backend is in the table. */
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

static void
test_token_round_trip(const struct suite *s)
{
	struct identity id;
	const struct suite *got = NULL;
	uint8_t pub[SUITE_PUB_MAX];
	char token[TOKEN_MAX];
	char small[TOKEN_MAX];
	size_t want_len = strlen(s->name) + 1 + BASE64_LEN(s->pub_len);

	identity_generate(s, &id);
	ok(token_format(s, id.pub, token, sizeof(token)) == 0 &&
	    strlen(token) == want_len, "%s: token is %zu characters",
	    s->name, want_len);
	ok(strncmp(token, s->name, strlen(s->name)) == 0 &&
	    token[strlen(s->name)] == ':', "%s: token starts with '%s:'",
	    s->name, s->name);
	memset(pub, 0xee, sizeof(pub));
	ok(token_parse(token, &got, pub, NULL) == 0 && got == s,
	    "%s: token parses back to its suite", s->name);
	is_bytes(pub, id.pub, s->pub_len, "%s: token parses back to its key",
	    s->name);
	ok(token_format(s, id.pub, small, want_len) == -1,
	    "%s: token_format refuses a buffer one byte short", s->name);
	ok(token_format(s, id.pub, small, want_len + 1) == 0 &&
	    strcmp(small, token) == 0, "%s: token_format fits exactly",
	    s->name);
	identity_clear(&id);
}

/* token_parse(bad) fails, reports one line naming what and expect. */
static void
check_bad_token(const char *token, const char *expect, const char *label)
{
	const struct suite *s = NULL;
	uint8_t pub[SUITE_PUB_MAX];
	int rc;

	rc = token_parse(token, &s, pub, NULL);
	ok(rc == -1, "token refused (silently): %s", label);
	capture_begin();
	rc = token_parse(token, &s, pub, "--peer");
	capture_end();
	ok(rc == -1 && captured_line_has("--peer: ", expect, " — ", NULL),
	    "token refused with one line mentioning '%s': %s", expect, label);
}

static void
test_bad_tokens(void)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct identity id;
	char token[TOKEN_MAX];
	char bad[TOKEN_MAX + 8];
	const char *b64;
	const struct suite *s = NULL;
	uint8_t pub[SUITE_PUB_MAX];
	size_t len;

	identity_generate(&suite_x25519, &id);
	token_format(&suite_x25519, id.pub, token, sizeof(token));
	b64 = token + strlen("x25519:");
	len = strlen(token);

	check_bad_token("", "not a public key token", "empty");
	check_bad_token(b64, "not a public key token", "missing prefix");
	snprintf(bad, sizeof(bad), "ed25519:%s", b64);
	check_bad_token(bad, "unknown key suite 'ed25519'", "unknown suite");
	snprintf(bad, sizeof(bad), "X25519:%s", b64);
	check_bad_token(bad, "unknown key suite 'X25519'", "prefix case");
	snprintf(bad, sizeof(bad), ":%s", b64);
	check_bad_token(bad, "unknown key suite ''", "empty prefix");
	snprintf(bad, sizeof(bad), " %s", token);
	check_bad_token(bad, "unknown key suite", "leading space");
	check_bad_token("x25519:", "malformed x25519 key", "no key");
	snprintf(bad, sizeof(bad), "%sA", token);
	check_bad_token(bad, "got 45", "one character too long");
	snprintf(bad, sizeof(bad), "%.*s", (int)(len - 1), token);
	check_bad_token(bad, "got 43", "one character too short");
	snprintf(bad, sizeof(bad), "%s ", token);
	check_bad_token(bad, "malformed x25519 key", "trailing space");
	snprintf(bad, sizeof(bad), "%s\n", token);
	check_bad_token(bad, "malformed x25519 key", "trailing newline");
	snprintf(bad, sizeof(bad), "%s", token);
	bad[10] = '*';
	check_bad_token(bad, "malformed x25519 key (not canonical base64",
	    "character outside base64");
	snprintf(bad, sizeof(bad), "%s", token);
	bad[len - 2] = '=';
	check_bad_token(bad, "malformed x25519 key", "'==' padding (31 bytes)");
	snprintf(bad, sizeof(bad), "%s", token);
	bad[len - 1] = 'A';
	check_bad_token(bad, "malformed x25519 key (it holds 33 bytes",
	    "no padding (33 bytes)");
	/* 32 bytes leave 2 spare bits in the last character; canonical
	 * base64 has them zero. */
	snprintf(bad, sizeof(bad), "%s", token);
	bad[len - 2] = alphabet[(strchr(alphabet, bad[len - 2]) - alphabet) |
	    1];
	ok(token_parse(bad, &s, pub, NULL) == -1,
	    "token with non-zero trailing bits refused (%s)", bad);
	check_bad_token(bad, "malformed x25519 key (not canonical base64",
	    "non-zero trailing bits");
	snprintf(bad, sizeof(bad), "x25519:x25519:%s", b64);
	check_bad_token(bad, "malformed x25519 key", "prefix twice");
	identity_clear(&id);
}

static void
test_format_round_trip(const struct suite *s)
{
	struct identity id, back;
	char text[KEYFILE_MAX];
	char token[TOKEN_MAX];
	char expect[64];
	size_t len = 0;

	identity_generate(s, &id);
	ok(keyfile_format(&id, text, sizeof(text), &len) == 0 &&
	    len == strlen(text), "%s: keyfile_format", s->name);
	snprintf(expect, sizeof(expect), "sealcat private key v1 %s\n",
	    s->name);
	ok(strncmp(text, expect, strlen(expect)) == 0,
	    "%s: line 1 says what the file is and its suite", s->name);
	token_format(s, id.pub, token, sizeof(token));
	ok(strstr(text, token) != NULL && strstr(text, "\npublic ") != NULL &&
	    text[len - 1] == '\n', "%s: line 3 is 'public TOKEN'", s->name);
	ok(keyfile_parse(text, len, "k", &back) == 0 &&
	    same_identity(&id, &back), "%s: format then parse round-trips",
	    s->name);
	ok(keyfile_parse(text, len - 1, "k", &back) == 0 &&
	    same_identity(&id, &back),
	    "%s: the final newline may be missing", s->name);
	ok(keyfile_format(&id, text, len, &len) == -1,
	    "%s: keyfile_format refuses a buffer without room for NUL",
	    s->name);
	identity_clear(&id);
	identity_clear(&back);
}

/*
 * Every bit flipped and every truncation (except dropping the final
 * newline) must be refused: the format leaves no slack.  The one exception
 * is the suite's own: X25519 clamps the scalar, so a flip in a bit it
 * ignores changes the text of line 2 but not the key, and may load; it
 * must then give exactly the original public key.
 */
static void
test_every_corruption(const struct suite *s)
{
	struct identity id, back;
	char text[KEYFILE_MAX];
	size_t len = 0;
	size_t line2_start, line2_end;
	size_t accepted_flips = 0;
	size_t harmful_flips = 0;
	size_t accepted_cuts = 0;

	identity_generate(s, &id);
	keyfile_format(&id, text, sizeof(text), &len);
	line2_start = (size_t)(strchr(text, '\n') - text) + 1;
	line2_end = (size_t)(strchr(text + line2_start, '\n') - text);
	capture_begin();
	for (size_t i = 0; i < len; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			text[i] ^= (char)(1u << bit);
			if (keyfile_parse(text, len, "k", &back) == 0) {
				accepted_flips++;
				if (i < line2_start || i >= line2_end ||
				    memcmp(back.pub, id.pub, s->pub_len) != 0)
					harmful_flips++;
			}
			text[i] ^= (char)(1u << bit);
		}
	for (size_t cut = 0; cut + 1 < len; cut++)
		if (keyfile_parse(text, cut, "k", &back) == 0)
			accepted_cuts++;
	capture_end();
	ok(harmful_flips == 0, "%s: of %zu single-bit flips, none loads as a "
	    "different key (%zu loaded, all clamped scalar bits)", s->name,
	    len * 8, accepted_flips);
	if (s != &suite_x25519)
		ok(accepted_flips == 0, "%s: every single-bit flip refused",
		    s->name);
	ok(accepted_cuts == 0, "%s: all %zu truncations refused (%zu "
	    "accepted)", s->name, len - 1, accepted_cuts);
	ok(back.suite == NULL, "%s: a refused parse leaves the identity "
	    "cleared", s->name);
	identity_clear(&id);
}

static const char b64_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* keyfile_parse(text) fails with one line naming the file and expect. */
static void
check_bad_file(const char *text, size_t len, const char *expect,
    const char *label)
{
	struct identity id;
	int rc;

	capture_begin();
	rc = keyfile_parse(text, len, "FILE", &id);
	capture_end();
	ok(rc == -1 && captured_line_has("sealcat: FILE: ", expect, " — ",
	    NULL), "key file refused (%s): %s", expect, label);
}

static void
test_bad_files(void)
{
	struct identity id, other;
	char good[KEYFILE_MAX];
	char text[KEYFILE_MAX + 64];
	char big[KEYFILE_MAX + 1];
	char secret[BASE64_LEN(SUITE_PRIV_LEN) + 1];
	char token[TOKEN_MAX];
	char other_token[TOKEN_MAX];
	char long_secret[BASE64_LEN(33) + 1];
	uint8_t raw[33];
	size_t len = 0;

	identity_generate(&suite_x25519, &id);
	identity_generate(&suite_x25519, &other);
	keyfile_format(&id, good, sizeof(good), &len);
	base64_encode(id.priv, sizeof(id.priv), secret, sizeof(secret));
	token_format(&suite_x25519, id.pub, token, sizeof(token));
	token_format(&suite_x25519, other.pub, other_token,
	    sizeof(other_token));
#define BAD(label, expect, ...) do { \
		int n_ = snprintf(text, sizeof(text), __VA_ARGS__); \
		check_bad_file(text, (size_t)n_, expect, label); \
	} while (0)

	check_bad_file("", 0, "empty", "empty file");
	BAD("header only", "truncated (1 of 3 lines)",
	    "sealcat private key v1 x25519\n");
	BAD("header and secret", "truncated (2 of 3 lines)",
	    "sealcat private key v1 x25519\n%s\n", secret);
	BAD("blank line after", "unexpected text after line 3", "%s\n", good);
	BAD("comment after", "unexpected text after line 3", "%s# hi\n",
	    good);
	BAD("CRLF line ends", "control characters",
	    "sealcat private key v1 x25519\r\n%s\r\npublic %s\r\n", secret,
	    token);
	BAD("tab in header", "control characters",
	    "sealcat private key v1\tx25519\n%s\npublic %s\n", secret, token);
	BAD("UTF-8 text", "control characters", "%s# caf\xc3\xa9\n", good);
	memcpy(text, good, len);
	text[40] = '\0';
	check_bad_file(text, len, "binary data", "NUL byte");
	memset(big, 'A', sizeof(big));
	check_bad_file(big, sizeof(big), "too large", "KEYFILE_MAX + 1 bytes");
	BAD("other program's key", "not a sealcat private key file",
	    "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END\n");
	BAD("a .pub file", "this is a public key (.pub)", "%s me@host\n",
	    token);
	BAD("leading space", "not a sealcat private key file",
	    " sealcat private key v1 x25519\n%s\npublic %s\n", secret, token);
	BAD("future version", "unsupported key file version",
	    "sealcat private key v2 x25519\n%s\npublic %s\n", secret, token);
	BAD("unknown suite", "unknown key suite 'ed25519' on line 1",
	    "sealcat private key v1 ed25519\n%s\npublic %s\n", secret, token);
	BAD("no suite", "line 1 names no known suite",
	    "sealcat private key v1 \n%s\npublic %s\n", secret, token);
	BAD("secret one char short", "line 2 is not a x25519 secret key",
	    "sealcat private key v1 x25519\n%.43s\npublic %s\n", secret,
	    token);
	BAD("secret one char long", "line 2 is not a x25519 secret key",
	    "sealcat private key v1 x25519\n%sA\npublic %s\n", secret, token);
	BAD("secret with a space", "line 2 is not a x25519 secret key",
	    "sealcat private key v1 x25519\n %.43s\npublic %s\n", secret,
	    token);
	memset(raw, 7, sizeof(raw));
	base64_encode(raw, sizeof(raw), long_secret, sizeof(long_secret));
	BAD("33-byte secret", "line 2 is not a x25519 secret key (it holds "
	    "33 bytes, a secret key has 32)",
	    "sealcat private key v1 x25519\n%s\npublic %s\n", long_secret,
	    token);
	BAD("secret not base64", "line 2 is not a x25519 secret key (not "
	    "canonical base64",
	    "sealcat private key v1 x25519\n%.42s!=\npublic %s\n", secret,
	    token);
	/* 44 characters, but bits set past the last byte: not the one
	 * spelling of any 32 bytes. */
	secret[42] = b64_digits[(strchr(b64_digits, secret[42]) - b64_digits) |
	    1];
	BAD("secret with stray bits", "line 2 is not a x25519 secret key (not "
	    "canonical base64",
	    "sealcat private key v1 x25519\n%s\npublic %s\n", secret, token);
	base64_encode(id.priv, sizeof(id.priv), secret, sizeof(secret));
	BAD("no 'public ' label", "line 3 should be 'public TOKEN'",
	    "sealcat private key v1 x25519\n%s\n%s\n", secret, token);
	BAD("'public' twice spaced", "line 3 does not hold a valid public key",
	    "sealcat private key v1 x25519\n%s\npublic  %s\n", secret, token);
	BAD("bad public token", "line 3 does not hold a valid public key",
	    "sealcat private key v1 x25519\n%s\npublic x25519:AAAA\n",
	    secret);
	BAD("somebody else's public key", "does not match the secret",
	    "sealcat private key v1 x25519\n%s\npublic %s\n", secret,
	    other_token);
	BAD("public line empty", "line 3 does not hold a valid public key",
	    "sealcat private key v1 x25519\n%s\npublic \n", secret);
#undef BAD
	wipe(secret, sizeof(secret));
	wipe(good, sizeof(good));
	identity_clear(&id);
	identity_clear(&other);
}

/* A p256 token of raw bytes (any length), for points that are not valid. */
static void
p256_token(const uint8_t *raw, size_t raw_len, char *out, size_t out_cap)
{
	int n = snprintf(out, out_cap, "p256:");

	base64_encode(raw, raw_len, out + n, out_cap - (size_t)n);
}

static void
test_bad_p256_tokens(void)
{
	struct identity id;
	uint8_t point[SUITE_PUB_MAX + 1];
	char token[TOKEN_MAX + 8];
	const struct suite *s = NULL;
	uint8_t pub[SUITE_PUB_MAX];
	size_t len;

	identity_generate(&suite_p256, &id);
	memcpy(point, id.pub, 65);
	ok(point[0] == 0x04, "p256: public keys are uncompressed points");
	p256_token(point, 65, token, sizeof(token));
	ok(token_parse(token, &s, pub, NULL) == 0 && s == &suite_p256,
	    "p256: a valid point parses");
	len = strlen(token);

	point[64] ^= 0x01;
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not a valid public key", "p256 point off "
	    "the curve (last bit of y flipped)");
	point[64] ^= 0x01;
	point[0] = 0x02;
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not a valid public key", "p256 0x02 prefix "
	    "on 65 bytes");
	point[0] = 0x04;
	memset(point + 1, 0, 64);
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not a valid public key", "p256 point (0, 0)");
	memset(point, 0, 65);
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not a valid public key", "p256 all zeros");
	/* 33 bytes: a compressed point, valid elsewhere, not here. */
	memcpy(point, id.pub, 33);
	point[0] = 0x02 | (id.pub[64] & 1);
	p256_token(point, 33, token, sizeof(token));
	check_bad_token(token, "malformed p256 key", "p256 compressed point");
	/* 64 bytes have the same base64 length as 65 ("==" padding). */
	p256_token(id.pub + 1, 64, token, sizeof(token));
	ok(strlen(token) == len, "p256: 64-byte token has the 65-byte length");
	check_bad_token(token, "malformed p256 key", "p256 64 bytes (x||y "
	    "without 0x04)");
	memcpy(point, id.pub, 65);
	point[65] = 0;
	p256_token(point, 66, token, sizeof(token));
	check_bad_token(token, "malformed p256 key", "p256 66 bytes");
	token_format(&suite_p256, id.pub, token, sizeof(token));
	token[len - 1] = '\0';
	check_bad_token(token, "got 87", "p256 one character too short");
	token_format(&suite_p256, id.pub, token, sizeof(token));
	token[len] = 'A';
	token[len + 1] = '\0';
	check_bad_token(token, "got 89", "p256 one character too long");
	/* An x25519 key under a p256 prefix and the other way round. */
	identity_clear(&id);
	identity_generate(&suite_x25519, &id);
	p256_token(id.pub, 32, token, sizeof(token));
	check_bad_token(token, "malformed p256 key", "x25519 key as p256");
	identity_clear(&id);
	identity_generate(&suite_p256, &id);
	snprintf(token, sizeof(token), "x25519:");
	base64_encode(id.pub, 65, token + 7, sizeof(token) - 7);
	check_bad_token(token, "malformed x25519 key", "p256 key as x25519");
	identity_clear(&id);
}

/* An x25519 token of 32 raw bytes, canonical or not. */
static void
x25519_token(const uint8_t raw[32], char *out, size_t out_cap)
{
	int n = snprintf(out, out_cap, "x25519:");

	base64_encode(raw, 32, out + n, out_cap - (size_t)n);
}

/* u = 2^255 - 19 + add, little-endian (add < 19 + 2^255 - p fits). */
static void
x25519_p_plus(uint8_t raw[32], unsigned add)
{
	memset(raw, 0xff, 32);
	raw[31] = 0x7f;
	raw[0] = (uint8_t)(0xed + add);
}

/*
 * A token is a key's one name (PROTOCOL.md §4): the aliases X25519 would
 * accept as the same key (top bit set, u >= p) are refused, saying why.
 */
static void
test_noncanonical_x25519(void)
{
	struct identity id;
	char token[TOKEN_MAX], again[TOKEN_MAX];
	const struct suite *s = NULL;
	uint8_t raw[32], pub[SUITE_PUB_MAX];
	size_t accepted = 0, refused = 0, wrong = 0;

	identity_generate(&suite_x25519, &id);
	memcpy(raw, id.pub, 32);
	raw[31] |= 0x80;
	x25519_token(raw, token, sizeof(token));
	check_bad_token(token, "not canonical: the top bit is set",
	    "x25519 key with the top bit set (an alias of the key)");
	x25519_p_plus(raw, 0);
	x25519_token(raw, token, sizeof(token));
	check_bad_token(token, "not canonical: u is not reduced mod "
	    "2^255-19", "x25519 u = p (an alias of 0)");
	x25519_p_plus(raw, 1);
	x25519_token(raw, token, sizeof(token));
	check_bad_token(token, "not canonical: u is not reduced",
	    "x25519 u = p + 1 (an alias of 1)");
	x25519_p_plus(raw, 18);
	x25519_token(raw, token, sizeof(token));
	check_bad_token(token, "not canonical: u is not reduced",
	    "x25519 u = 2^255 - 1");
	memset(raw, 0xff, sizeof(raw));
	x25519_token(raw, token, sizeof(token));
	check_bad_token(token, "not canonical: the top bit is set",
	    "x25519 u = 2^256 - 1");
	x25519_p_plus(raw, 0);
	raw[0] = 0xec;
	x25519_token(raw, token, sizeof(token));
	ok(token_parse(token, &s, pub, NULL) == 0 && s == &suite_x25519,
	    "x25519 u = p - 1 is canonical and accepted");
	memset(raw, 0, sizeof(raw));
	x25519_token(raw, token, sizeof(token));
	ok(token_parse(token, &s, pub, NULL) == 0,
	    "x25519 u = 0 is canonical (dh() refuses low-order points)");

	/* Random strings: accepted exactly when canonical, and an accepted
	 * token formats back to itself. */
	for (int i = 0; i < 2000; i++) {
		randombytes_buf(raw, sizeof(raw));
		x25519_token(raw, token, sizeof(token));
		if (token_parse(token, &s, pub, NULL) == 0) {
			accepted++;
			if ((raw[31] & 0x80) != 0 ||
			    token_format(s, pub, again, sizeof(again)) != 0 ||
			    strcmp(again, token) != 0)
				wrong++;
		} else {
			refused++;
			if ((raw[31] & 0x80) == 0)
				wrong++;
		}
	}
	ok(wrong == 0 && accepted > 0 && refused > 0, "x25519: of 2000 random "
	    "keys, those with the top bit clear are accepted and format back "
	    "to the same token, the others refused (%zu accepted, %zu "
	    "refused, %zu wrong)", accepted, refused, wrong);
	identity_clear(&id);
}

/* 0x04 || x || y from big-endian hex, for p256 points. */
static void
p256_point(uint8_t out[65], const char *x_hex, const char *y_hex)
{
	out[0] = 0x04;
	for (int i = 0; i < 32; i++) {
		sscanf(x_hex + 2 * i, "%2hhx", &out[1 + i]);
		sscanf(y_hex + 2 * i, "%2hhx", &out[33 + i]);
	}
}

/* p and p + 5, the two points (0, Y0) and (5, Y5) on P-256. */
#define P256_P_HEX \
	"ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"
#define P256_P5_HEX \
	"ffffffff00000001000000000000000000000001000000000000000000000004"
#define P256_ZERO_HEX \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define P256_FIVE_HEX \
	"0000000000000000000000000000000000000000000000000000000000000005"
#define P256_MAX_HEX \
	"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define P256_Y0_HEX \
	"66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf856a174f93f4"
#define P256_Y5_HEX \
	"459243b9aa581806fe913bce99817ade11ca503c64d9a3c533415c083248fbcc"

/* The p256 equivalents: unreduced coordinates and the hybrid form. */
static void
test_noncanonical_p256(void)
{
	struct identity id;
	uint8_t point[65], pub[SUITE_PUB_MAX];
	char token[TOKEN_MAX];
	const struct suite *s = NULL;

	p256_point(point, P256_ZERO_HEX, P256_Y0_HEX);
	p256_token(point, 65, token, sizeof(token));
	ok(token_parse(token, &s, pub, NULL) == 0 && s == &suite_p256,
	    "p256 (0, y0) is a point, and accepted");
	p256_point(point, P256_FIVE_HEX, P256_Y5_HEX);
	p256_token(point, 65, token, sizeof(token));
	ok(token_parse(token, &s, pub, NULL) == 0,
	    "p256 (5, y5) is a point, and accepted");
	p256_point(point, P256_P_HEX, P256_Y0_HEX);
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not canonical: x is not reduced mod p",
	    "p256 x = p (an alias of (0, y0))");
	p256_point(point, P256_P5_HEX, P256_Y5_HEX);
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not canonical: x is not reduced mod p",
	    "p256 x = p + 5 (an alias of (5, y5))");
	p256_point(point, P256_MAX_HEX, P256_Y0_HEX);
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not canonical: x is not reduced mod p",
	    "p256 x = 2^256 - 1");
	p256_point(point, P256_ZERO_HEX, P256_P_HEX);
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not canonical: y is not reduced mod p",
	    "p256 y = p");
	p256_point(point, P256_ZERO_HEX, P256_MAX_HEX);
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not canonical: y is not reduced mod p",
	    "p256 y = 2^256 - 1");
	identity_generate(&suite_p256, &id);
	memcpy(point, id.pub, 65);
	point[0] = (uint8_t)(0x06 | (point[64] & 1));
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not canonical: the hybrid form",
	    "p256 hybrid encoding 0x06/0x07 of a fresh key");
	point[0] ^= 1;
	p256_token(point, 65, token, sizeof(token));
	check_bad_token(token, "not a valid public key",
	    "p256 hybrid prefix with the wrong parity");
	identity_clear(&id);
}

/* p256 private scalars must be in [1, n-1]: the file is refused
 * otherwise, before its public line is looked at. */
static void
test_bad_p256_files(void)
{
	/* n, the order of the P-256 group. */
	static const uint8_t order[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
		0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
	};
	struct {
		uint8_t scalar[32];
		const char *label;
		bool valid;
	} cases[5];
	struct identity id, x;
	char text[KEYFILE_MAX];
	char secret[BASE64_LEN(32) + 1];
	char token[TOKEN_MAX];
	size_t n = 0;

	memset(cases, 0, sizeof(cases));
	cases[n++].label = "zero scalar";
	memcpy(cases[n].scalar, order, 32);
	cases[n++].label = "scalar = n";
	memcpy(cases[n].scalar, order, 32);
	cases[n].scalar[31]++;
	cases[n++].label = "scalar = n + 1";
	memset(cases[n].scalar, 0xff, 32);
	cases[n++].label = "scalar = 2^256 - 1";
	memcpy(cases[n].scalar, order, 32);
	cases[n].scalar[31]--;
	cases[n].valid = true;
	cases[n++].label = "scalar = n - 1";

	identity_generate(&suite_p256, &id);
	token_format(&suite_p256, id.pub, token, sizeof(token));
	for (size_t i = 0; i < n; i++) {
		int len;

		base64_encode(cases[i].scalar, 32, secret, sizeof(secret));
		len = snprintf(text, sizeof(text), "sealcat private key v1 "
		    "p256\n%s\npublic %s\n", secret, token);
		if (cases[i].valid) {
			capture_begin();
			keyfile_parse(text, (size_t)len, "FILE", &x);
			capture_end();
			ok(captured_line_has("does not match the secret", NULL),
			    "p256 %s: a valid scalar (checked against line 3)",
			    cases[i].label);
		} else
			check_bad_file(text, (size_t)len,
			    "line 2 is not a valid p256 private key",
			    cases[i].label);
	}

	/* Suites must agree across the three lines. */
	identity_generate(&suite_x25519, &x);
	base64_encode(id.priv, 32, secret, sizeof(secret));
	token_format(&suite_x25519, x.pub, token, sizeof(token));
	n = (size_t)snprintf(text, sizeof(text), "sealcat private key v1 p256"
	    "\n%s\npublic %s\n", secret, token);
	check_bad_file(text, n, "does not match the secret",
	    "p256 file with an x25519 public line");
	keyfile_format(&id, text, sizeof(text), &n);
	memcpy(text + strlen("sealcat private key v1 "), "x255", 4);
	check_bad_file(text, n, "unknown key suite 'x255'", "p256 file with "
	    "the header edited");
	wipe(secret, sizeof(secret));
	wipe(text, sizeof(text));
	identity_clear(&id);
	identity_clear(&x);
}

/* keyfile_load(path) fails with one line naming path and expect. */
static void
check_bad_load(const char *path, const char *expect, const char *label)
{
	struct identity id;
	int rc;

	capture_begin();
	rc = keyfile_load(path, &id);
	capture_end();
	ok(rc == -1 && captured_line_has(path, expect, NULL) &&
	    id.suite == NULL, "load refused (%s): %s", expect, label);
}

static void
test_load(void)
{
	struct identity id, back;
	char text[KEYFILE_MAX];
	char fix[800];
	size_t len = 0;
	const char *path;
	char big[KEYFILE_MAX + 1];

	identity_generate(&suite_x25519, &id);
	keyfile_format(&id, text, sizeof(text), &len);
	path = test_write_file("good", text, len, 0600);
	ok(keyfile_load(path, &back) == 0 && same_identity(&id, &back),
	    "load: a 0600 key file loads");
	path = test_write_file("owner-only", text, len, 0400);
	ok(keyfile_load(path, &back) == 0, "load: a 0400 key file loads");
	for (size_t i = 0; i < 4; i++) {
		static const mode_t lax[] = { 0640, 0604, 0660, 0601 };

		path = test_write_file("lax", text, len, lax[i]);
		snprintf(fix, sizeof(fix), "— run chmod 600 %s", path);
		check_bad_load(path, fix, "group/other-accessible mode");
	}
	path = test_write_file("lax-pub", "x25519:AAAA\n", 12, 0644);
	check_bad_load(path, "this is a public key (.pub)",
	    "a wrong file is named as such before its mode");
	check_bad_load(test_path("missing"), "no such key file",
	    "missing file");
	if (symlink("good", test_path("link")) == 0)
		check_bad_load(test_path("link"), "symbolic link",
		    "symlink to a good key");
	if (mkfifo(test_path("fifo"), 0600) == 0)
		check_bad_load(test_path("fifo"), "not a regular file",
		    "FIFO (must not block)");
	check_bad_load(test_dir, "not a regular file", "directory");
	memset(big, '#', sizeof(big));
	path = test_write_file("big", big, sizeof(big), 0600);
	check_bad_load(path, "too large", "KEYFILE_MAX + 1 bytes");
	path = test_write_file("max", big, KEYFILE_MAX, 0600);
	check_bad_load(path, "not a sealcat private key file",
	    "KEYFILE_MAX bytes are read and parsed");
	identity_clear(&id);
	identity_clear(&back);
}

/* identity_check(id) fails with one line naming "FILE" and expect. */
static void
check_bad_identity(const struct identity *id, const char *expect,
    const char *label)
{
	int rc;

	capture_begin();
	rc = identity_check(id, "FILE");
	capture_end();
	ok(rc == -1 && captured_line_has("FILE", expect, NULL),
	    "identity_check refused (%s): %s", expect, label);
}

/*
 * keyfile_load_unchecked() takes line 3 as it is and checks everything
 * else; identity_check() then finds what keyfile_load() would have.
 */
static void
test_load_unchecked(const struct suite *s)
{
	struct identity id, other, back;
	char text[KEYFILE_MAX], other_text[KEYFILE_MAX];
	size_t len = 0, other_len = 0, cut;
	const char *path, *line3;

	identity_generate(s, &id);
	identity_generate(s, &other);
	keyfile_format(&id, text, sizeof(text), &len);
	path = test_write_file("unchecked", text, len, 0600);
	ok(keyfile_load_unchecked(path, &back) == 0 &&
	    same_identity(&id, &back) && identity_check(&back, path) == 0,
	    "%s: a good file loads unchecked, the same identity, and passes "
	    "identity_check", s->name);

	/* Line 3 of another key: the load takes it, the check does not. */
	keyfile_format(&other, other_text, sizeof(other_text), &other_len);
	line3 = strstr(other_text, "public ");
	cut = (size_t)(strstr(text, "public ") - text);
	memcpy(text + cut, line3, other_len - (size_t)(line3 - other_text));
	len = cut + other_len - (size_t)(line3 - other_text);
	path = test_write_file("unchecked-mixed", text, len, 0600);
	check_bad_load(path, "does not match the secret",
	    "keyfile_load of a file with another key's line 3");
	ok(keyfile_load_unchecked(path, &back) == 0 &&
	    memcmp(back.priv, id.priv, sizeof(id.priv)) == 0 &&
	    memcmp(back.pub, other.pub, s->pub_len) == 0,
	    "%s: unchecked, line 3 is taken as it stands", s->name);
	check_bad_identity(&back, "the public key on line 3 does not match "
	    "the secret key on line 2", "another key's line 3");

	/* Everything but the comparison is still checked at load. */
	path = test_write_file("unchecked-trunc", text, cut, 0600);
	capture_begin();
	ok(keyfile_load_unchecked(path, &back) == -1 && back.suite == NULL,
	    "%s: unchecked, a truncated file is still refused", s->name);
	capture_end();
	path = test_write_file("unchecked-lax", text, len, 0644);
	capture_begin();
	ok(keyfile_load_unchecked(path, &back) == -1,
	    "%s: unchecked, a lax mode is still refused", s->name);
	capture_end();
	identity_clear(&id);
	identity_clear(&other);
	identity_clear(&back);
}

/* A p256 secret that is no valid scalar loads unchecked (nothing derives
 * from it) and identity_check() says what keyfile_load() says. */
static void
test_unchecked_p256_scalar(void)
{
	struct identity id, back;
	char text[KEYFILE_MAX], secret[64], token[TOKEN_MAX];
	uint8_t zero[32] = { 0 };
	const char *path;
	int len;

	identity_generate(&suite_p256, &id);
	base64_encode(zero, sizeof(zero), secret, sizeof(secret));
	token_format(&suite_p256, id.pub, token, sizeof(token));
	len = snprintf(text, sizeof(text), "sealcat private key v1 p256\n%s\n"
	    "public %s\n", secret, token);
	path = test_write_file("unchecked-zero", text, (size_t)len, 0600);
	ok(keyfile_load_unchecked(path, &back) == 0,
	    "p256: unchecked, a zero scalar loads");
	check_bad_identity(&back, "line 2 is not a valid p256 private key",
	    "p256 zero scalar");
	identity_clear(&id);
	identity_clear(&back);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void
test_write(void)
{
	struct identity id, back;
	char token[TOKEN_MAX];
	char want[TOKEN_MAX + 32];
	const char *key = test_path("w");
	const char *pub = test_path("w.pub");
	int rc;

	identity_generate(&suite_x25519, &id);
	token_format(&suite_x25519, id.pub, token, sizeof(token));
	ok(keyfile_write(key, &id, "me@host", false) == 0,
	    "write: new key file");
	ok(mode_of(key) == 0600, "write: key file mode is 0600");
	ok(keyfile_load(key, &back) == 0 && same_identity(&id, &back),
	    "write: the key file loads back");
	snprintf(want, sizeof(want), "%s me@host\n", token);
	ok(strcmp(test_read_file(pub), want) == 0,
	    "write: .pub holds 'TOKEN comment'");

	capture_begin();
	rc = keyfile_write(key, &id, NULL, false);
	capture_end();
	ok(rc == -1 && captured_line_has(key, "already exists", "--force",
	    NULL), "write: an existing key file is refused without force");
	unlink(key);
	capture_begin();
	rc = keyfile_write(key, &id, NULL, false);
	capture_end();
	ok(rc == -1 && captured_line_has(pub, "already exists", NULL) &&
	    mode_of(key) == (mode_t)-1,
	    "write: an existing .pub is refused, no key file left behind");
	ok(keyfile_write(key, &id, NULL, true) == 0 &&
	    strcmp(test_read_file(pub), token) > 0 &&
	    strlen(test_read_file(pub)) == strlen(token) + 1,
	    "write: force replaces the .pub; no comment gives 'TOKEN\\n'");

	/* A symlink at the target: refused, and with force replaced by a
	 * file while the symlink's target stays untouched. */
	test_write_file("victim", "precious\n", 9, 0644);
	unlink(key);
	unlink(pub);
	symlink(test_path("victim"), key);
	capture_begin();
	rc = keyfile_write(key, &id, NULL, false);
	capture_end();
	ok(rc == -1 && captured_line_has("already exists", NULL),
	    "write: a symlink at the key path is refused");
	ok(keyfile_write(key, &id, NULL, true) == 0 && mode_of(key) == 0600 &&
	    strcmp(test_read_file(test_path("victim")), "precious\n") == 0,
	    "write: force replaces the symlink, not its target");

	capture_begin();
	rc = keyfile_write(test_path("c"), &id, "two\nlines", false);
	capture_end();
	ok(rc == -1 && captured_line_has("--comment", NULL) &&
	    mode_of(test_path("c")) == (mode_t)-1,
	    "write: a comment with a newline is refused, nothing written");
	capture_begin();
	rc = keyfile_write(test_path("no/such/dir/k"), &id, NULL, false);
	capture_end();
	ok(rc == -1 && captured_line_has("cannot create", NULL),
	    "write: a missing directory is reported");
	identity_clear(&id);
	identity_clear(&back);
}

static void
test_default_path(void)
{
	char path[4096];
	char want[4096];

	setenv("XDG_CONFIG_HOME", test_path("cfg"), 1);
	unsetenv("SEALCAT_IDENTITY");
	snprintf(want, sizeof(want), "%s/cfg/sealcat/id_x25519", test_dir);
	ok(keyfile_default_path(&suite_x25519, true, path, sizeof(path)) ==
	    0 && strcmp(path, want) == 0, "default path under XDG_CONFIG_HOME");
	snprintf(want, sizeof(want), "%s/cfg/sealcat", test_dir);
	ok(mode_of(want) == 0700, "default directory created with mode 0700");
	capture_begin();
	ok(keyfile_find_default(NULL, path, sizeof(path)) == -1 &&
	    capture_end() && captured_line_has("no identity key",
	    "sealcat keygen", NULL),
	    "find_default: no key file is reported");
	setenv("SEALCAT_IDENTITY", "/some/where", 1);
	ok(keyfile_default_path(&suite_x25519, false, path, sizeof(path)) ==
	    0 && strcmp(path, "/some/where") == 0,
	    "SEALCAT_IDENTITY overrides the default path");
	ok(keyfile_find_default(NULL, path, sizeof(path)) == 0 &&
	    strcmp(path, "/some/where") == 0,
	    "SEALCAT_IDENTITY overrides find_default");
	unsetenv("SEALCAT_IDENTITY");
}

/* PROTOCOL.md §4.1's known answer (the README's example token). */
static void
test_fingerprint_known_answer(void)
{
	const struct suite *suite;
	uint8_t pub[SUITE_PUB_MAX];
	char fp[FINGERPRINT_MAX];

	ok(token_parse("x25519:j/ptTt+nNTIBVBFXJaHIHxfNUd3BAdT500uKTAwmmWk=",
	    &suite, pub, NULL) == 0, "fingerprint: the documented token "
	    "parses");
	fingerprint_format(suite, pub, fp);
	ok(strcmp(fp, "ceon-u5cx-s6lh-quhd") == 0, "fingerprint: PROTOCOL.md "
	    "4.1's known answer (%s)", fp);
}

int
main(void)
{
	if (suite_init() == -1)
		return 99;
	test_fingerprint_known_answer();
	find_suites();
	test_dir_create();
	for (size_t i = 0; i < suite_count; i++) {
		test_token_round_trip(suites[i]);
		test_format_round_trip(suites[i]);
		test_every_corruption(suites[i]);
	}
	test_bad_tokens();
	test_noncanonical_x25519();
	test_bad_files();
	if (suite_by_name("p256") != NULL) {
		test_bad_p256_tokens();
		test_noncanonical_p256();
		test_bad_p256_files();
	}
	test_load();
	for (size_t i = 0; i < suite_count; i++)
		test_load_unchecked(suites[i]);
	if (suite_by_name("p256") != NULL)
		test_unchecked_p256_scalar();
	test_write();
	test_default_path();
	test_dir_remove();
	return tap_done();
}
