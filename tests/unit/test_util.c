/*
 * test_util.c - byte order, constant-time compare, strict base64, number
 * parsing, configuration paths and files replaced atomically.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "helpers.h"
#include "base/util.h"

static void
test_byte_order(void)
{
	uint8_t b[8];

	put_be16(b, 0x1234);
	ok(b[0] == 0x12 && b[1] == 0x34, "put_be16 writes big-endian");
	ok(get_be16((const uint8_t *)"\xff\x01") == 0xff01,
	    "get_be16 reads big-endian");
	put_be64(b, 0x0102030405060708ULL);
	is_bytes(b, (const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08", 8,
	    "put_be64 writes big-endian");
	ok(get_be64(b) == 0x0102030405060708ULL, "get_be64 round-trips");
	put_le64(b, 0x0102030405060708ULL);
	is_bytes(b, (const uint8_t *)"\x08\x07\x06\x05\x04\x03\x02\x01", 8,
	    "put_le64 writes little-endian");
}

static void
test_ct_equal(void)
{
	uint8_t a[32], b[32];

	memset(a, 0xa5, sizeof(a));
	memcpy(b, a, sizeof(b));
	ok(ct_equal(a, b, sizeof(a)), "ct_equal: equal buffers");
	b[31] ^= 0x01;
	ok(!ct_equal(a, b, sizeof(a)), "ct_equal: last bit differs");
	b[31] ^= 0x01;
	b[0] ^= 0x80;
	ok(!ct_equal(a, b, sizeof(a)), "ct_equal: first bit differs");
	ok(ct_equal(a, b, 0), "ct_equal: zero length is equal");
}

static void
test_base64(void)
{
	static const struct {
		const char *text;
		const char *bin;
		size_t bin_len;
	} good[] = {
		{ "Zg==", "f", 1 },
		{ "Zm8=", "fo", 2 },
		{ "Zm9v", "foo", 3 },
		{ "Zm9vYmFy", "foobar", 6 },
	};
	static const char *const bad[] = {
		"Zg", "Zg=", "Zg===", "Zh==", "Zm9", "Zm9v\n", " Zm9v",
		"Zm9v====", "Zm-v", "Zm_v", "Z===", "Zm9v Zm9v", "",
	};
	uint8_t out[16];
	char text[16];
	size_t n;
	int c;

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		ok(base64_encode((const uint8_t *)good[i].bin, good[i].bin_len,
		    text, sizeof(text)) == 0 &&
		    strcmp(text, good[i].text) == 0,
		    "base64_encode \"%s\"", good[i].text);
		ok(base64_decode(good[i].text, strlen(good[i].text), out,
		    sizeof(out), &n) == 0 && n == good[i].bin_len &&
		    memcmp(out, good[i].bin, n) == 0,
		    "base64_decode \"%s\"", good[i].text);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ok(base64_decode(bad[i], strlen(bad[i]), out, sizeof(out),
		    &n) == -1, "base64_decode rejects \"%s\"", bad[i]);
	/* libsodium 1.0.18 takes any byte >= 0x80 for a digit. */
	for (c = 0x80; c <= 0xff; c++) {
		char alias[] = "Zm9v";

		alias[2] = (char)c;
		if (base64_decode(alias, 4, out, sizeof(out), &n) != -1)
			break;
	}
	if (!ok(c == 0x100, "base64_decode rejects \"Zm\" + byte + \"v\" "
	    "for every byte 0x80..0xff"))
		printf("# accepted: \"Zm\\x%02xv\"\n", c);
	ok(base64_decode("Zm9vYmFy", 8, out, 5, &n) == -1,
	    "base64_decode refuses output larger than its buffer");
	ok(base64_encode((const uint8_t *)"foobar", 6, text, 8) == -1,
	    "base64_encode refuses a buffer without room for the NUL");
}

static void
test_text_for_terminal(void)
{
	static const struct {
		const char *in;
		size_t in_len;
		const char *want;
		const char *what;
	} cases[] = {
		{ "not authorized", 14, "not authorized", "plain ASCII" },
		{ "a\nb\tc\x1b[2J", 9, "a?b?c?[2J", "C0 controls" },
		{ "del\x7f", 4, "del?", "DEL" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9", "two-byte UTF-8" },
		{ "\xe2\x82\xac 5", 5, "\xe2\x82\xac 5", "three-byte UTF-8" },
		{ "\xf0\x9f\x94\x92", 4, "\xf0\x9f\x94\x92", "four-byte UTF-8" },
		{ "\xc2\x9b" "2J", 4, "??2J", "C1 CSI as UTF-8" },
		{ "\x9b" "2J", 3, "?2J", "raw C1 byte" },
		{ "\xc0\xaf", 2, "??", "overlong '/'" },
		{ "\xed\xa0\x80", 3, "???", "surrogate" },
		{ "\xf4\x90\x80\x80", 4, "????", "past U+10FFFF" },
		{ "ab\xe2\x82", 4, "ab??", "truncated sequence" },
		{ "", 0, "", "empty" },
	};
	char out[32];
	char small[4];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		size_t n = text_for_terminal((const uint8_t *)cases[i].in,
		    cases[i].in_len, out, sizeof(out));

		ok(n == strlen(cases[i].want) &&
		    strcmp(out, cases[i].want) == 0,
		    "text_for_terminal: %s", cases[i].what);
	}
	ok(text_for_terminal((const uint8_t *)"abcdef", 6, small,
	    sizeof(small)) == 3 && strcmp(small, "abc") == 0,
	    "text_for_terminal truncates to fit, NUL-terminated");
	ok(text_for_terminal((const uint8_t *)"ab\xe2\x82\xac", 5, small,
	    sizeof(small)) == 2 && strcmp(small, "ab") == 0,
	    "text_for_terminal never cuts a character in half");
}

static void
test_parse_number(void)
{
	unsigned long v = 0;

	ok(parse_number("0", 0, 65535, &v) == 0 && v == 0, "parse 0");
	ok(parse_number("65535", 0, 65535, &v) == 0 && v == 65535,
	    "parse 65535");
	ok(parse_number("65536", 0, 65535, &v) == -1, "reject 65536");
	ok(parse_number("-1", 0, 65535, &v) == -1, "reject -1");
	ok(parse_number("+1", 0, 65535, &v) == -1, "reject +1");
	ok(parse_number("12x", 0, 65535, &v) == -1, "reject trailing x");
	ok(parse_number(" 12", 0, 65535, &v) == -1, "reject leading space");
	ok(parse_number("", 0, 65535, &v) == -1, "reject empty");
	ok(parse_number("99999999999999999999999", 0, (unsigned long)-1,
	    &v) == -1, "reject overflow");
	ok(parse_number("5", 10, 20, &v) == -1, "reject below min");
}

static void
test_config_path(void)
{
	char path[4096];

	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	ok(config_path("known_peers", false, path, sizeof(path)) == 0 &&
	    strcmp(path, "/xdg/sealcat/known_peers") == 0,
	    "config_path uses XDG_CONFIG_HOME");
	setenv("XDG_CONFIG_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	ok(config_path("id_x25519", false, path, sizeof(path)) == 0 &&
	    strcmp(path, "/home/u/.config/sealcat/id_x25519") == 0,
	    "config_path ignores a relative XDG_CONFIG_HOME");
	unsetenv("XDG_CONFIG_HOME");
	ok(config_path("id_x25519", false, path, sizeof(path)) == 0 &&
	    strcmp(path, "/home/u/.config/sealcat/id_x25519") == 0,
	    "config_path falls back to HOME/.config");
	ok(config_path("id_x25519", false, path, 10) == -1,
	    "config_path refuses a short buffer");
}

/* The number of entries in test_dir (not counting . and ..). */
static int
entries(void)
{
	DIR *d = opendir(test_dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static bool
owned_by(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	return lstat(path, &st) == 0 && st.st_uid == uid && st.st_gid == gid;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void
test_atomic_write(void)
{
	char f[sizeof(test_dir) + 8];
	struct atomic_file af;
	int rc;

	snprintf(f, sizeof(f), "%s/f", test_dir);
	umask(022);
	ok(atomic_write_file(f, "one\n", 4, 0600, f) == 0 &&
	    strcmp(test_read_file(f), "one\n") == 0 && mode_of(f) == 0600 &&
	    entries() == 1, "atomic_write_file() creates a file, mode 0600, "
	    "and leaves no temporary file");
	ok(atomic_write_file(f, "two\n", 4, 0644, f) == 0 &&
	    strcmp(test_read_file(f), "two\n") == 0 && mode_of(f) == 0644 &&
	    entries() == 1, "atomic_write_file() replaces it");

	/* A symlink at the target is replaced, its target left alone. */
	test_write_file("victim", "precious\n", 9, 0644);
	unlink(f);
	symlink(test_path("victim"), f);
	ok(atomic_write_file(f, "new\n", 4, 0600, f) == 0 &&
	    mode_of(f) == 0600 &&
	    strcmp(test_read_file(test_path("victim")), "precious\n") == 0,
	    "atomic_write_file() replaces a symlink, not its target");
	unlink(test_path("victim"));

	mkdir(test_path("dir"), 0700);
	capture_begin();
	rc = atomic_write_file(test_path("dir"), "x", 1, 0600, NULL);
	capture_end();
	ok(rc == -1 && captured_line_has("dir: is a directory", NULL) &&
	    entries() == 2, "a directory at the target is refused, nothing "
	    "left behind");
	rmdir(test_path("dir"));
	capture_begin();
	rc = atomic_write_file(test_path("no/such/f"), "x", 1, 0600, NULL);
	capture_end();
	ok(rc == -1 && captured_line_has("no/such/f: cannot create",
	    "No such file", NULL), "a missing directory is reported");

	/* Create: never over an existing file. */
	ok(atomic_file_prepare(&af, f, "three\n", 6, 0600, NULL) == 0 &&
	    entries() == 2, "prepare writes a temporary file beside the "
	    "target");
	capture_begin();
	rc = atomic_file_commit(&af, ATOMIC_CREATE);
	capture_end();
	ok(rc == -1 && captured_line_has("already exists", NULL) &&
	    strcmp(test_read_file(f), "new\n") == 0,
	    "ATOMIC_CREATE refuses an existing target and leaves it alone");
	ok(atomic_file_done(&af) == 0 && entries() == 1,
	    "done removes the uncommitted temporary file");

	/* Replace, then undo: the old file is back. */
	ok(atomic_file_prepare(&af, f, "four\n", 5, 0600, NULL) == 0 &&
	    atomic_file_commit(&af, ATOMIC_REPLACE_UNDO) == 0 &&
	    strcmp(test_read_file(f), "four\n") == 0,
	    "ATOMIC_REPLACE_UNDO replaces the target");
	ok(atomic_file_undo(&af) == 0 &&
	    strcmp(test_read_file(f), "new\n") == 0,
	    "undo puts the old file back");
	ok(atomic_file_done(&af) == 0 && entries() == 1,
	    "done leaves nothing else behind");
	unlink(f);
	ok(atomic_file_prepare(&af, f, "five\n", 5, 0600, NULL) == 0 &&
	    atomic_file_commit(&af, ATOMIC_REPLACE_UNDO) == 0 &&
	    atomic_file_undo(&af) == 0 && mode_of(f) == (mode_t)-1 &&
	    atomic_file_done(&af) == 0 && entries() == 0,
	    "undo with no old file removes the new one");

	if (geteuid() != 0) {
		ok(true, "keeps the old owner # SKIP only root can give files "
		    "away");
		return;
	}
	test_write_file("f", "old\n", 4, 0600);
	chown(f, 65534, 65534);
	ok(atomic_write_file(f, "new\n", 4, 0600, f) == 0 &&
	    owned_by(f, 65534, 65534) && mode_of(f) == 0600,
	    "root replacing a file of uid/gid 65534 keeps its owner and group");
	ok(atomic_write_file(test_path("g"), "x", 1, 0600, test_path("g")) ==
	    0 && owned_by(test_path("g"), 0, 0),
	    "a file that replaces nothing is its creator's");
	unlink(test_path("g"));
	unlink(f);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_byte_order();
	test_ct_equal();
	test_base64();
	test_text_for_terminal();
	test_parse_number();
	test_config_path();
	test_dir_create();
	test_atomic_write();
	test_dir_remove();
	return tap_done();
}
