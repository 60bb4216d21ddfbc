/*
 * test_trust.c - trust lists from --allow tokens and authorized_peers
 * files (line numbers in errors), --allow-any, and known_peers: a match, an
 * unknown server, a changed key, and --trust-new recording it.  The rule
 * for trust files (owner, modes of the file and the directories above it,
 * symbolic links) is checked for both files, reading and writing; records
 * in known_peers are locked and whole; authorized_peers is read again for
 * every decision.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "helpers.h"
#include "keys/keyfile.h"
#include "crypto/suite.h"
#include "keys/trust.h"
#include "base/util.h"

/* Three x25519 keys and their tokens. */
static uint8_t key[3][32];
static char tok[3][TOKEN_MAX];

static void
make_keys(void)
{
	struct identity id;

	for (size_t i = 0; i < 3; i++) {
		identity_generate(&suite_x25519, &id);
		memcpy(key[i], id.pub, 32);
		token_format(&suite_x25519, id.pub, tok[i], sizeof(tok[i]));
		identity_clear(&id);
	}
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* A directory test_dir/name with exactly mode; returns its path. */
static const char *
test_mkdir(const char *name, mode_t mode)
{
	const char *path = test_path(name);

	if ((mkdir(path, 0700) == -1 && errno != EEXIST) ||
	    chmod(path, mode) == -1) {
		perror(path);
		exit(99);
	}
	return path;
}

/* test_dir/name as a symbolic link to target. */
static const char *
test_symlink(const char *target, const char *name)
{
	const char *path = test_path(name);

	(void)unlink(path);
	if (symlink(target, path) == -1) {
		perror(path);
		exit(99);
	}
	return path;
}

/* A TAP line for a check this run cannot make (not root). */
static void
skip(const char *why)
{
	tap_count++;
	printf("ok %d # SKIP %s\n", tap_count, why);
}

static bool
is_symlink(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static void
test_tokens(void)
{
	struct trust t;
	bool allowed;
	int rc;

	trust_init(&t);
	ok(t.mode == TRUST_LIST && t.count == 0, "init: empty list");
	ok(trust_add_token(&t, tok[0], "--allow") == 0 && t.count == 1,
	    "--allow token added");
	capture_begin();
	rc = trust_add_token(&t, "x25519:nope", "--allow");
	capture_end();
	ok(rc == -1 && t.count == 1 && captured_line_has("--allow: ",
	    "malformed x25519 key", NULL), "bad --allow token refused");
	ok(trust_allows(&t, &suite_x25519, key[0]), "listed key allowed");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	ok(!allowed && captured_line_has("client key ", tok[1],
	    "not authorized", "--allow ", NULL),
	    "unlisted key refused, with its token and the fix");
	snprintf(t.host_port, sizeof(t.host_port), "example.net:9000");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	ok(!allowed && captured_line_has("example.net:9000", tok[1],
	    "not the --peer key", NULL),
	    "connect side: a server that is not --peer is refused");
	for (size_t i = 0; i < 100; i++)
		trust_add_token(&t, tok[2], "--allow");
	ok(t.count == 101 && trust_allows(&t, &suite_x25519, key[2]),
	    "the list grows");
	trust_clear(&t);
	ok(t.count == 0 && t.keys == NULL, "clear empties the list");
	trust_clear(NULL);
	t.mode = TRUST_ANY;
	ok(trust_allows(&t, &suite_x25519, key[1]), "--allow-any allows any "
	    "key");
}

/* Loads text as an authorized_peers file; returns trust_load_file's
 * result, the count in *count. */
static int
load_text(const char *text, mode_t mode, size_t *count)
{
	struct trust t;
	int rc;

	trust_init(&t);
	rc = trust_load_file(&t, test_write_file("authorized_peers", text,
	    strlen(text), mode), false);
	*count = t.count;
	if (rc == 0 && t.count > 0 &&
	    !trust_allows(&t, &suite_x25519, key[0]))
		rc = -2;
	trust_clear(&t);
	return rc;
}

static void
check_bad_file(const char *text, size_t line, const char *expect,
    const char *label)
{
	char where[800];
	size_t count;
	int rc;

	snprintf(where, sizeof(where), "%s:%zu: ",
	    test_path("authorized_peers"), line);
	capture_begin();
	rc = load_text(text, 0644, &count);
	capture_end();
	ok(rc == -1 && captured_line_has(where, expect, " — ", NULL),
	    "authorized_peers refused at line %zu (%s): %s", line, expect,
	    label);
}

static void
test_authorized_file(void)
{
	char text[2048];
	size_t count = 0;
	struct trust t;
	int rc;

	snprintf(text, sizeof(text),
	    "# who may connect\n"
	    "\n"
	    "%s laptop\n"
	    "   %s\t  phone with spaces  \n"
	    "\t# indented comment\n"
	    "%s\r\n"
	    "   \n"
	    "%s no final newline", tok[0], tok[1], tok[2], tok[0]);
	ok(load_text(text, 0644, &count) == 0 && count == 4,
	    "authorized_peers: comments, blanks, indentation, CRLF, trailing "
	    "comment text, no final newline (%zu keys)", count);
	ok(load_text("", 0600, &count) == 0 && count == 0,
	    "authorized_peers: an empty file adds nothing");

	snprintf(text, sizeof(text), "# ok\n%s\nx25519:AAAA bad\n", tok[0]);
	check_bad_file(text, 3, "malformed x25519 key", "short key");
	snprintf(text, sizeof(text), "\n\n\n\n%s\nssh-ed25519 AAAA\n", tok[0]);
	check_bad_file(text, 6, "not a public key token", "ssh key");
	snprintf(text, sizeof(text), "%s\nrsa:AAAA\n", tok[0]);
	check_bad_file(text, 2, "unknown key suite 'rsa'", "unknown suite");
	snprintf(text, sizeof(text), "%s\n%.40s\n", tok[0], tok[1]);
	check_bad_file(text, 2, "malformed x25519 key", "truncated token");
	snprintf(text, sizeof(text), "%s\n\n%s\x01\n", tok[0], tok[1]);
	check_bad_file(text, 3, "binary data", "control character");
	memset(text, 'a', 1500);
	text[1500] = '\0';
	check_bad_file(text, 1, "line longer than", "overlong line");

	capture_begin();
	rc = load_text(tok[0], 0664, &count);
	capture_end();
	ok(rc == -1 && captured_line_has("writable by others",
	    "chmod go-w", NULL), "authorized_peers: group-writable refused");
	capture_begin();
	rc = load_text(tok[0], 0646, &count);
	capture_end();
	ok(rc == -1 && captured_line_has("writable by others", NULL),
	    "authorized_peers: world-writable refused");

	trust_init(&t);
	ok(trust_load_file(&t, test_path("nope"), true) == 0 && t.count == 0,
	    "authorized_peers: missing file is fine with missing_ok");
	capture_begin();
	rc = trust_load_file(&t, test_path("nope"), false);
	capture_end();
	ok(rc == -1 && captured_line_has("nope: cannot open", NULL),
	    "authorized_peers: missing file reported without missing_ok");
	capture_begin();
	rc = trust_load_file(&t, test_dir, false);
	capture_end();
	ok(rc == -1 && captured_line_has("not a regular file", NULL),
	    "authorized_peers: a directory is refused");
	trust_clear(&t);
}

/* A TRUST_KNOWN_PEERS trust for host_port and the file "known". */
static void
known_setup(struct trust *t, const char *host_port, const char *file)
{
	trust_init(t);
	t->mode = TRUST_KNOWN_PEERS;
	snprintf(t->known_path, sizeof(t->known_path), "%s",
	    test_path(file));
	snprintf(t->host_port, sizeof(t->host_port), "%s", host_port);
}

static void
test_known_peers(void)
{
	struct trust t;
	char text[1024];
	char want[1024];
	bool allowed;

	snprintf(text, sizeof(text),
	    "# known servers\n"
	    "other.example:22 %s\n"
	    "\n"
	    "127.0.0.1:9000 %s\n"
	    "[::1]:9000 %s\n", tok[2], tok[0], tok[1]);
	test_write_file("known", text, strlen(text), 0600);

	known_setup(&t, "127.0.0.1:9000", "known");
	ok(trust_allows(&t, &suite_x25519, key[0]), "known_peers: match");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	snprintf(want, sizeof(want), "%s:4", test_path("known"));
	ok(!allowed && captured_line_has("WARNING", "127.0.0.1:9000", tok[1],
	    tok[0], want, NULL),
	    "known_peers: a changed key is refused naming both keys and the "
	    "line");
	ok(strcmp(test_read_file(test_path("known")), text) == 0,
	    "known_peers: a changed key is not recorded");
	t.trust_new = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	ok(!allowed && strstr(captured, "WARNING") != NULL,
	    "known_peers: --trust-new does not override a changed key");

	known_setup(&t, "127.0.0.1:9001", "known");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	snprintf(want, sizeof(want), "sealcat connect --peer %s 127.0.0.1 "
	    "9001", tok[0]);
	ok(!allowed && captured_line_has("unknown server 127.0.0.1:9001",
	    want, "--trust-new", NULL),
	    "known_peers: an unknown server is refused with the commands "
	    "that trust it");
	ok(strcmp(test_read_file(test_path("known")), text) == 0,
	    "known_peers: an unknown server is not recorded without "
	    "--trust-new");

	known_setup(&t, "[::1]:7", "known");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	snprintf(want, sizeof(want), "--peer %s ::1 7 ", tok[1]);
	ok(!allowed && captured_line_has(want, NULL),
	    "known_peers: the command for an IPv6 server drops the brackets");

	known_setup(&t, "[::1]:9000", "known");
	ok(trust_allows(&t, &suite_x25519, key[1]),
	    "known_peers: IPv6 entry matches");

	known_setup(&t, "new.example:443", "known");
	t.trust_new = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[2]);
	capture_end();
	snprintf(want, sizeof(want), "%snew.example:443 %s\n", text, tok[2]);
	ok(allowed && captured_line_has("warning: trusting new server "
	    "new.example:443", tok[2], NULL),
	    "known_peers: --trust-new accepts an unknown server and says so");
	ok(strcmp(test_read_file(test_path("known")), want) == 0,
	    "known_peers: --trust-new appends 'HOST:PORT TOKEN'");
	t.trust_new = false;
	ok(trust_allows(&t, &suite_x25519, key[2]),
	    "known_peers: the recorded server is known afterwards");

	/* No file, no directory yet: created 0700 / 0600. */
	known_setup(&t, "h:1", "sub/dir/known_peers");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && captured_line_has("unknown server h:1", NULL),
	    "known_peers: a missing file means every server is unknown");
	t.trust_new = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	snprintf(want, sizeof(want), "h:1 %s\n", tok[0]);
	ok(allowed && strcmp(test_read_file(t.known_path), want) == 0,
	    "known_peers: --trust-new creates the file");
	ok(mode_of(t.known_path) == 0600 &&
	    mode_of(test_path("sub")) == 0700 &&
	    mode_of(test_path("sub/dir")) == 0700,
	    "known_peers: file created 0600, directories 0700");

	/* A last line without a newline stays a line of its own. */
	snprintf(text, sizeof(text), "a:1 %s", tok[0]);
	test_write_file("partial", text, strlen(text), 0600);
	known_setup(&t, "b:2", "partial");
	t.trust_new = true;
	capture_begin();
	trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	snprintf(want, sizeof(want), "a:1 %s\nb:2 %s\n", tok[0], tok[1]);
	ok(strcmp(test_read_file(t.known_path), want) == 0,
	    "known_peers: appending after a partial last line adds a newline");

	snprintf(text, sizeof(text), "a:1 %s\nb:2\n", tok[0]);
	test_write_file("badline", text, strlen(text), 0600);
	known_setup(&t, "a:1", "badline");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	snprintf(want, sizeof(want), "warning: %s:2: not 'HOST:PORT TOKEN' "
	    "with a valid token — line ignored, so b:2 counts as unknown",
	    test_path("badline"));
	ok(allowed && captured_line_has(want, NULL),
	    "known_peers: a malformed line is reported with its number and "
	    "skipped; the other servers are still known");
	snprintf(text, sizeof(text), "a:1 %s extra\n", tok[0]);
	test_write_file("badline", text, strlen(text), 0600);
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && strstr(captured, ":1: not 'HOST:PORT TOKEN'") != NULL &&
	    strstr(captured, "\nsealcat: unknown server a:1 ") != NULL,
	    "known_peers: with a third field the server is unknown");
	snprintf(text, sizeof(text), "a:1 x25519:AAAA\n");
	test_write_file("badline", text, strlen(text), 0600);
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && strstr(captured, ":1: not 'HOST:PORT TOKEN'") != NULL &&
	    strstr(captured, "\nsealcat: unknown server a:1 ") != NULL,
	    "known_peers: with a bad token the server is unknown");

	snprintf(text, sizeof(text), "a:1 %s\n", tok[0]);
	test_write_file("lax", text, strlen(text), 0666);
	known_setup(&t, "a:1", "lax");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && captured_line_has("writable by others", NULL),
	    "known_peers: a world-writable file is refused");

	known_setup(&t, "evil:1\nx:2", "known");
	t.trust_new = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && strstr(test_read_file(t.known_path), "evil") == NULL,
	    "known_peers: a HOST:PORT with a newline is never recorded");
}


/* trust_load_file() on path: 0 and the key allowed, or -1. */
static int
load_path(const char *path)
{
	struct trust t;
	int rc;

	trust_init(&t);
	rc = trust_load_file(&t, path, false);
	if (rc == 0 && !trust_allows(&t, &suite_x25519, key[0]))
		rc = -2;
	trust_clear(&t);
	return rc;
}

/* Loads path and checks it is refused with one line holding want. */
static void
check_refused(const char *path, const char *want, const char *want2,
    const char *label)
{
	int rc;

	capture_begin();
	rc = load_path(path);
	capture_end();
	ok(rc == -1 && captured_line_has(want, want2, " — ", NULL),
	    "trust file rule: %s", label);
}

/* Files owned by another user: only root can make one. */
static void
test_owners(void)
{
	char text[256];
	char want[800];
	const char *path, *dir;
	struct trust t;
	bool allowed;

	if (geteuid() != 0) {
		skip("not root: cannot make a file owned by another user");
		skip("not root: cannot make a file owned by another user");
		skip("not root: cannot make a directory owned by another "
		    "user");
		return;
	}
	snprintf(text, sizeof(text), "%s\n", tok[0]);
	path = test_write_file("theirs", text, strlen(text), 0644);
	if (chown(path, 65534, 65534) == -1) {
		perror(path);
		exit(99);
	}
	snprintf(want, sizeof(want), "%s: owned by uid 65534", path);
	check_refused(path, want, "chown root ",
	    "an authorized_peers owned by another user is refused");

	snprintf(text, sizeof(text), "a:1 %s\n", tok[0]);
	path = test_write_file("theirs_known", text, strlen(text), 0644);
	if (chown(path, 65534, 65534) == -1) {
		perror(path);
		exit(99);
	}
	known_setup(&t, "a:1", "theirs_known");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && captured_line_has("owned by uid 65534", NULL),
	    "trust file rule: a known_peers owned by another user is "
	    "refused");

	dir = test_mkdir("theirs_dir", 0755);
	if (chown(dir, 65534, 65534) == -1) {
		perror(dir);
		exit(99);
	}
	snprintf(text, sizeof(text), "%s\n", tok[0]);
	path = test_write_file("theirs_dir/peers", text, strlen(text), 0644);
	snprintf(want, sizeof(want), "directory %s is owned by uid 65534",
	    dir);
	check_refused(path, want, "chown root ", "a file in a directory "
	    "owned by another user is refused");
}

static void
test_directories(void)
{
	char text[256];
	char want[800];
	const char *path, *dir;
	const char *home = getenv("HOME");
	char saved_home[512] = "";

	snprintf(text, sizeof(text), "%s\n", tok[0]);
	dir = test_mkdir("gw", 0775);
	path = test_write_file("gw/peers", text, strlen(text), 0644);
	snprintf(want, sizeof(want), "directory %s is writable by others",
	    dir);
	check_refused(path, want, "chmod go-w ",
	    "a file in a group-writable directory is refused");
	snprintf(want, sizeof(want), "chmod go-w %s", dir);
	check_refused(path, want, NULL, "the message names the directory to "
	    "fix");

	dir = test_mkdir("ww", 0757);
	path = test_write_file("ww/peers", text, strlen(text), 0644);
	check_refused(path, "writable by others", "chmod go-w ",
	    "a file in a world-writable directory is refused");

	test_mkdir("up", 0775);
	dir = test_mkdir("up/down", 0700);
	path = test_write_file("up/down/peers", text, strlen(text), 0644);
	snprintf(want, sizeof(want), "directory %s is writable",
	    test_path("up"));
	check_refused(path, want, NULL, "a group-writable directory two "
	    "levels up is refused");

	/* Sticky, like /tmp: others cannot replace our entries in it. */
	test_mkdir("sticky", 01777);
	path = test_write_file("sticky/peers", text, strlen(text), 0644);
	ok(load_path(path) == 0, "trust file rule: a sticky "
	    "world-writable directory (like /tmp) is accepted");

	/* The walk stops at $HOME, as sshd's does. */
	if (home != NULL)
		snprintf(saved_home, sizeof(saved_home), "%s", home);
	test_mkdir("gwhome", 0775);
	dir = test_mkdir("gwhome/home", 0700);
	path = test_write_file("gwhome/home/peers", text, strlen(text), 0644);
	setenv("HOME", dir, 1);
	ok(load_path(path) == 0, "trust file rule: directories above $HOME "
	    "are not checked for a file under $HOME");
	path = test_write_file("gwhome/peers", text, strlen(text), 0644);
	check_refused(path, "writable by others", NULL,
	    "a file beside $HOME is checked up to /");
	chmod(dir, 0770);
	path = test_path("gwhome/home/peers");
	check_refused(path, "writable by others", NULL,
	    "a group-writable $HOME itself is refused");
	chmod(dir, 0700);
	if (saved_home[0] != '\0')
		setenv("HOME", saved_home, 1);
	else
		unsetenv("HOME");

	path = test_write_file("peers_mode", text, strlen(text), 0620);
	check_refused(path, "writable by others", "chmod go-w ",
	    "a group-writable file is still refused");
}

static void
test_symlinks(void)
{
	char text[512];
	char want[1024];
	const char *target, *link;
	struct trust t;
	bool allowed;

	/* A symlinked known_peers, read and written through the link. */
	test_mkdir("real", 0700);
	snprintf(text, sizeof(text), "a:1 %s\n", tok[0]);
	target = test_write_file("real/known", text, strlen(text), 0600);
	link = test_symlink("real/known", "known_link");
	known_setup(&t, "a:1", "known_link");
	ok(trust_allows(&t, &suite_x25519, key[0]),
	    "symlinked known_peers: read through the link");
	known_setup(&t, "b:2", "known_link");
	t.trust_new = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	snprintf(want, sizeof(want), "a:1 %s\nb:2 %s\n", tok[0], tok[1]);
	ok(allowed && strcmp(test_read_file(target), want) == 0,
	    "symlinked known_peers: --trust-new appends to the target");
	ok(is_symlink(link), "symlinked known_peers: the link stays a link");
	t.trust_new = false;
	ok(trust_allows(&t, &suite_x25519, key[1]),
	    "symlinked known_peers: what was written is read back");

	/* A symlinked authorized_peers. */
	snprintf(text, sizeof(text), "%s\n", tok[0]);
	test_write_file("real/peers", text, strlen(text), 0644);
	link = test_symlink("real/peers", "peers_link");
	ok(load_path(link) == 0, "symlinked authorized_peers: read through "
	    "the link");

	/* Links into a directory others can write are refused. */
	test_mkdir("gw", 0775);
	test_write_file("gw/peers", text, strlen(text), 0644);
	link = test_symlink("gw/peers", "gw_peers_link");
	snprintf(want, sizeof(want), "directory %s is writable",
	    test_path("gw"));
	check_refused(link, want, NULL, "a symlink into a group-writable "
	    "directory is refused");
	snprintf(text, sizeof(text), "a:1 %s\n", tok[0]);
	target = test_write_file("gw/known", text, strlen(text), 0600);
	test_symlink("gw/known", "gw_known_link");
	known_setup(&t, "a:1", "gw_known_link");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && captured_line_has(want, NULL), "a known_peers symlink "
	    "into a group-writable directory is refused (reading)");
	known_setup(&t, "c:3", "gw_known_link");
	t.trust_new = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[2]);
	capture_end();
	ok(!allowed && captured_line_has(want, NULL) &&
	    strcmp(test_read_file(target), text) == 0,
	    "a known_peers symlink into a group-writable directory is "
	    "refused (writing) and not written");

	/* A link that others could replace: its own directory counts too. */
	snprintf(text, sizeof(text), "%s\n", tok[0]);
	test_symlink("../real/peers", "gw/link_to_real");
	snprintf(want, sizeof(want), "directory %s is writable",
	    test_path("gw"));
	check_refused(test_path("gw/link_to_real"), want, NULL,
	    "a symlink in a group-writable directory is refused");

	/* A dangling link: nothing to read; not created through. */
	test_symlink("real/nothing", "dangling");
	known_setup(&t, "d:4", "dangling");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && captured_line_has("unknown server d:4", NULL),
	    "a dangling known_peers link reads as no file");
	t.trust_new = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && captured_line_has("symbolic link to a missing file",
	    NULL) && access(test_path("real/nothing"), F_OK) == -1,
	    "--trust-new refuses to create a file through a dangling link");
}

/* Rounds of the concurrent --trust-new test. */
#define RACE_ROUNDS 30

/* The lines of path that start with prefix. */
static size_t
count_lines(const char *path, const char *prefix)
{
	char line[512];
	size_t n = 0;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	fclose(fp);
	return n;
}

/*
 * In a child: --trust-new of key k for host_port in file, with stderr to
 * err (if not NULL), once the parent has closed the write end of the
 * barrier pipe (if not NULL).  The child closes the parent's descriptor
 * parent_fd (if not -1), which would hold the parent's lock.  Exits 10 if
 * trusted, 20 if not.
 */
static pid_t
spawn_trust_new(const char *file, const char *host_port, size_t k,
    const char *err, const int *barrier, int parent_fd)
{
	struct trust t;
	char c;
	pid_t pid;
	int fd;

	fflush(stdout);
	if ((pid = fork()) != 0)
		return pid;
	if (parent_fd != -1)
		close(parent_fd);
	fd = open(err != NULL ? err : "/dev/null", O_WRONLY | O_CREAT |
	    O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	if (barrier != NULL) {
		close(barrier[1]);
		(void)read(barrier[0], &c, 1);
	}
	known_setup(&t, host_port, file);
	t.trust_new = true;
	_exit(trust_allows(&t, &suite_x25519, key[k]) ? 10 : 20);
}

/* Waits up to ms for pid to exit; true (and *status) if it did. */
static bool
exited_within(pid_t pid, int ms, int *status)
{
	for (int waited = 0; waited < ms; waited += 10) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		poll(NULL, 0, 10);
	}
	return false;
}

static void
test_known_peers_writes(void)
{
	char text[2048];
	char want[2048];
	const char *path;
	struct rlimit saved, small;
	struct trust t;
	pid_t pids[3];
	size_t trusted = 0, recorded = 0;
	bool allowed;
	int status, fd, barrier[2], round;

	/* A write cut short (here by RLIMIT_FSIZE) leaves no broken line. */
	snprintf(text, sizeof(text), "a:1 %s\n", tok[0]);
	while (strlen(text) < 1000)
		strcat(text, "# padding, so the limit leaves room for stderr\n");
	path = test_write_file("short", text, strlen(text), 0600);
	known_setup(&t, "big.example:1", "short");
	t.trust_new = true;
	getrlimit(RLIMIT_FSIZE, &saved);
	small = saved;
	small.rlim_cur = strlen(text) + 10;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_DFL);
	ok(!allowed && captured_line_has("short: cannot record the server "
	    "key", NULL), "known_peers: a write cut short is reported");
	ok(strcmp(test_read_file(path), text) == 0,
	    "known_peers: a write cut short leaves the file as it was");
	t.trust_new = false;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	ok(!allowed && captured_line_has("unknown server big.example:1",
	    NULL), "known_peers: after a failed write, lookups still work");

	/*
	 * Another writer holds the lock and records a key for the host we
	 * are about to record: we wait, look again, and find its key.
	 */
	snprintf(text, sizeof(text), "x:1 %s\n", tok[0]);
	path = test_write_file("locked", text, strlen(text), 0600);
	if ((fd = open(path, O_RDWR | O_APPEND)) == -1 ||
	    flock(fd, LOCK_EX) == -1) {
		perror(path);
		exit(99);
	}
	pids[0] = spawn_trust_new("locked", "h:5", 1, test_path("locked.err"),
	    NULL, fd);
	ok(!exited_within(pids[0], 500, &status),
	    "known_peers: --trust-new waits while another holds the lock");
	snprintf(want, sizeof(want), "h:5 %s\n", tok[0]);
	if (write(fd, want, strlen(want)) != (ssize_t)strlen(want)) {
		perror(path);
		exit(99);
	}
	close(fd);
	waitpid(pids[0], &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 20 &&
	    strstr(test_read_file(test_path("locked.err")), "WARNING") != NULL,
	    "known_peers: looked up again under the lock, the other writer's "
	    "key for the host makes ours a mismatch");
	snprintf(want, sizeof(want), "x:1 %s\nh:5 %s\n", tok[0], tok[0]);
	ok(strcmp(test_read_file(path), want) == 0,
	    "known_peers: and ours is not appended");

	/* A lock that is never let go: a bounded wait, then a refusal. */
	if ((fd = open(path, O_RDONLY)) == -1 || flock(fd, LOCK_EX) == -1) {
		perror(path);
		exit(99);
	}
	known_setup(&t, "x:1", "locked");
	t.lock_wait_ms = 100;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && captured_line_has("locked: still locked by another "
	    "process after ", NULL), "known_peers: a lookup waits for a "
	    "writer's lock, within lock_wait_ms");
	t.trust_new = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[2]);
	capture_end();
	ok(!allowed && captured_line_has("still locked", NULL) &&
	    strcmp(test_read_file(path), want) == 0,
	    "known_peers: so does --trust-new, recording nothing");
	close(fd);

	/*
	 * Three first contacts with three keys for one host at once, in
	 * rounds: without the lock, two of them now and then both find the
	 * host unknown and both record their key.
	 */
	for (round = 1; round <= RACE_ROUNDS; round++) {
		snprintf(text, sizeof(text), "x:1 %s\n", tok[0]);
		path = test_write_file("race", text, strlen(text), 0600);
		if (pipe(barrier) == -1) {
			perror("pipe");
			exit(99);
		}
		for (size_t i = 0; i < 3; i++)
			pids[i] = spawn_trust_new("race", "race:1", i, NULL,
			    barrier, -1);
		close(barrier[0]);
		close(barrier[1]);
		trusted = 0;
		for (size_t i = 0; i < 3; i++) {
			waitpid(pids[i], &status, 0);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
				trusted++;
		}
		recorded = count_lines(path, "race:1 ");
		if (trusted != 1 || recorded != 1)
			break;
	}
	ok(trusted == 1 && recorded == 1,
	    "known_peers: of three concurrent --trust-new with different "
	    "keys, exactly one is trusted and recorded (%d rounds; in round "
	    "%d, %zu trusted, %zu recorded)", RACE_ROUNDS,
	    round > RACE_ROUNDS ? RACE_ROUNDS : round, trusted, recorded);
}

/* authorized_peers read again for every decision (trust_use_file()). */
static void
test_reload(void)
{
	char text[512];
	const char *path;
	struct trust t;
	bool allowed;
	int rc;

	snprintf(text, sizeof(text), "%s zero\n", tok[0]);
	path = test_write_file("live", text, strlen(text), 0644);
	trust_init(&t);
	trust_add_token(&t, tok[2], "--allow");
	rc = trust_use_file(&t, path, false);
	ok(rc == 0 && t.count == 2 && trust_allows(&t, &suite_x25519, key[0]),
	    "trust_use_file: loads the file like trust_load_file");

	snprintf(text, sizeof(text), "%s one\n", tok[1]);
	test_write_file("live", text, strlen(text), 0644);
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[0]);
	capture_end();
	ok(!allowed && captured_line_has("client key ", tok[0],
	    "not authorized", NULL),
	    "trust_use_file: a line removed is refused at the next decision");
	ok(trust_allows(&t, &suite_x25519, key[1]),
	    "trust_use_file: a line added is allowed at the next decision");
	ok(trust_allows(&t, &suite_x25519, key[2]),
	    "trust_use_file: --allow tokens stay");
	for (int i = 0; i < 50; i++)
		trust_allows(&t, &suite_x25519, key[1]);
	ok(t.count == 2, "trust_use_file: reading again does not pile up "
	    "keys (%zu)", t.count);

	snprintf(text, sizeof(text), "%s one\nnonsense\n", tok[1]);
	test_write_file("live", text, strlen(text), 0644);
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	ok(!allowed && strstr(captured, "live:2: not a public key token") !=
	    NULL && strstr(captured, "refused: cannot read the keys in ") !=
	    NULL, "trust_use_file: a file gone bad refuses, saying why");
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[2]);
	capture_end();
	ok(!allowed, "trust_use_file: a file gone bad refuses everyone (fail "
	    "closed)");

	snprintf(text, sizeof(text), "%s one\n", tok[1]);
	test_write_file("live", text, strlen(text), 0664);
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	ok(!allowed && strstr(captured, "writable by others") != NULL,
	    "trust_use_file: the rule is applied at every reading");

	unlink(path);
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	ok(!allowed && strstr(captured, "cannot open") != NULL,
	    "trust_use_file: a file given by name and removed refuses");
	t.authorized_missing_ok = true;
	capture_begin();
	allowed = trust_allows(&t, &suite_x25519, key[1]);
	capture_end();
	ok(!allowed && trust_allows(&t, &suite_x25519, key[2]),
	    "trust_use_file: the default file removed leaves --allow tokens");
	trust_clear(&t);
}

/* Relay targets: "NAME TOKEN" lines, found by name before connecting. */
static void
test_known_names(void)
{
	const struct suite *suite = NULL;
	uint8_t pub[SUITE_PUB_MAX];
	struct trust t;
	char text[1024];
	int rc;

	snprintf(text, sizeof(text),
	    "# relay targets beside servers\n"
	    "127.0.0.1:9000 %s\n"
	    "alice %s\n"
	    "alice %s\n"
	    "bob\n", tok[0], tok[1], tok[2]);
	test_write_file("names", text, strlen(text), 0600);
	rc = trust_known_find(test_path("names"), "alice", &suite, pub);
	ok(rc == 1 && suite == &suite_x25519 && memcmp(pub, key[1], 32) == 0,
	    "known_peers NAME: the first line for the name gives its key");
	rc = trust_known_find(test_path("names"), "127.0.0.1:9000", &suite,
	    pub);
	ok(rc == 1 && memcmp(pub, key[0], 32) == 0,
	    "known_peers NAME: a HOST:PORT line is found the same way");
	ok(trust_known_find(test_path("names"), "carol", &suite, pub) == 0,
	    "known_peers NAME: an unknown name is 0");
	ok(trust_known_find(test_path("no-such-file"), "alice", &suite,
	    pub) == 0, "known_peers NAME: a missing file is 0");
	capture_begin();
	rc = trust_known_find(test_path("names"), "bob", &suite, pub);
	capture_end();
	ok(rc == -1 && captured_line_has(":5: expected 'NAME TOKEN'", NULL),
	    "known_peers NAME: a name without a token is refused with its "
	    "line");
	snprintf(text, sizeof(text), "alice %s\n", tok[1]);
	test_write_file("names_ok", text, strlen(text), 0600);
	known_setup(&t, "alice", "names_ok");
	ok(trust_allows(&t, &suite_x25519, key[1]),
	    "known_peers NAME: the handshake's key is checked under the name");
	trust_clear(&t);
	test_write_file("lax_names", text, strlen(text), 0666);
	capture_begin();
	rc = trust_known_find(test_path("lax_names"), "alice", &suite, pub);
	capture_end();
	ok(rc == -1 && captured_line_has("writable by others", NULL),
	    "known_peers NAME: a world-writable file is refused");
}

int
main(void)
{
	if (suite_init() == -1)
		return 99;
	test_dir_create();
	make_keys();
	test_tokens();
	test_authorized_file();
	test_known_peers();
	test_known_names();
	test_owners();
	test_directories();
	test_symlinks();
	test_known_peers_writes();
	test_reload();
	test_dir_remove();
	return tap_done();
}
