/*
 * trust.c - whom we talk to (PROTOCOL.md §2 says when it is asked): a list
 * of keys from --allow/--peer and authorized_peers files, any key with
 * --allow-any, or the known_peers file on the connecting side.
 *
 * Both files are text, one entry a line, '#' comments and blank lines
 * allowed: authorized_peers lines are "TOKEN [comment]", known_peers lines
 * "HOST:PORT TOKEN".  Whoever can change a trust file, or put another in
 * its place, chooses whom we trust, so both are held to one rule, ssh's
 * StrictModes, wherever they are read or written:
 *
 *   - the file is a regular file owned by us or root, and neither its
 *     group nor others may write it;
 *   - so is every directory above it, up to and including $HOME when the
 *     file is under $HOME, else up to /.  A directory others may write is
 *     allowed only if it is sticky, like /tmp: there, no one else can
 *     remove or rename our entries;
 *   - a symbolic link is resolved (realpath) and the rule applied to its
 *     target and to the directories above the link itself, which must not
 *     be replaceable either.  The target is what is read and written.
 *
 * Links in the middle of a path are resolved but their own directories
 * are not checked, as with sshd.  Tokens are keyfile.c's.
 */
#include "keys/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/fingerprint.h"
#include "keys/keyfile.h"
#include "base/log.h"
#include "base/util.h"

/* Longer lines are not ours: a token is under 100 characters. */
#define TRUST_LINE_MAX 1024
/* How often a locked known_peers is tried again. */
#define TRUST_LOCK_POLL_MS 10

struct reader {
	FILE *fp;
	const char *path;
	size_t line_no;
	int last;		/* last byte read; '\n' before the first */
	bool eof;
	/*
	 * known_peers: a binary or overlong line is a warning and skipped
	 * (unless quiet, when it has been reported already), not the end
	 * of the file.  authorized_peers fails closed on one.
	 */
	bool lenient;
	bool quiet;
	char line[TRUST_LINE_MAX + 1];
};

static bool
owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Our user name, for the chown command in a message; else our uid. */
static void
own_name(char *out, size_t out_cap)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL)
		snprintf(out, out_cap, "%s", pw->pw_name);
	else
		snprintf(out, out_cap, "%u", (unsigned)geteuid());
}

/* One directory above the trust file named file. */
static int
check_dir(const char *file, const char *dir)
{
	char me[64];
	struct stat st;

	if (stat(dir, &st) == -1) {
		log_error("%s: cannot check directory %s: %s — check the path",
		    file, dir, strerror(errno));
		return -1;
	}
	if (!owner_ok(st.st_uid)) {
		own_name(me, sizeof(me));
		log_error("%s: directory %s is owned by uid %u, who could "
		    "replace the file and make sealcat trust any key — run "
		    "chown %s %s, or move the file", file, dir,
		    (unsigned)st.st_uid, me, dir);
		return -1;
	}
	if ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0) {
		log_error("%s: directory %s is writable by others, who could "
		    "replace the file and make sealcat trust any key — run "
		    "chmod go-w %s", file, dir, dir);
		return -1;
	}
	return 0;
}

/*
 * The directories above resolved (absolute, no links), from its own up to
 * $HOME if it is under $HOME, else up to /.
 */
static int
check_dirs(const char *file, const char *resolved)
{
	char dir[PATH_MAX];
	char home[PATH_MAX];
	const char *home_env = getenv("HOME");
	bool have_home;
	char *slash;

	have_home = home_env != NULL && home_env[0] != '\0' &&
	    realpath(home_env, home) != NULL;
	snprintf(dir, sizeof(dir), "%s", resolved);
	while ((slash = strrchr(dir, '/')) != NULL) {
		/* "/x" -> "/", "/a/b" -> "/a" */
		slash[slash == dir ? 1 : 0] = '\0';
		if (check_dir(file, dir) == -1)
			return -1;
		if (strcmp(dir, "/") == 0 ||
		    (have_home && strcmp(dir, home) == 0))
			break;
	}
	return 0;
}

/*
 * Resolves path's directory and appends its last component: where path
 * itself sits, link or not.  out has room for PATH_MAX.
 */
static int
resolve_parent(const char *path, char *out)
{
	char dir[PATH_MAX];
	char real[PATH_MAX];
	const char *base;
	char *slash;
	int n;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		base = path;
		snprintf(dir, sizeof(dir), ".");
	} else {
		base = path + (slash - dir) + 1;
		slash[slash == dir ? 1 : 0] = '\0';
	}
	if (realpath(dir, real) == NULL) {
		log_error("%s: cannot open: %s — check the path", path,
		    strerror(errno));
		return -1;
	}
	n = snprintf(out, PATH_MAX, "%s/%s", strcmp(real, "/") == 0 ? "" :
	    real, base);
	if (n < 0 || n >= PATH_MAX) {
		log_error("%s: path too long — use a shorter one", path);
		return -1;
	}
	return 0;
}

/*
 * Resolves path into out (room for PATH_MAX) and applies the rule to the
 * directories above the target and above the link, if path is one.  With
 * for_create, a missing file resolves to where it is to be created, and a
 * link to a missing file is refused.  Returns 1 if the file exists, 0 if
 * not, or -1 after reporting.
 */
static int
resolve(const char *path, char *out, bool for_create)
{
	char link_at[PATH_MAX];
	struct stat st;
	bool is_link = lstat(path, &st) == 0 && S_ISLNK(st.st_mode);

	if (realpath(path, out) == NULL) {
		if (errno != ENOENT) {
			log_error("%s: cannot open: %s — check the path", path,
			    strerror(errno));
			return -1;
		}
		if (!for_create)
			return 0;
		if (is_link) {
			log_error("%s: a symbolic link to a missing file — "
			    "create the file it names, or remove the link",
			    path);
			return -1;
		}
		if (resolve_parent(path, out) == -1 ||
		    check_dirs(path, out) == -1)
			return -1;
		return 0;
	}
	if (check_dirs(path, out) == -1)
		return -1;
	if (is_link && (resolve_parent(path, link_at) == -1 ||
	    check_dirs(path, link_at) == -1))
		return -1;
	return 1;
}

/* The rule for the trust file itself, open on fd. */
static int
check_file(const char *path, int fd)
{
	struct stat st;
	char me[64];

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file — name a text file", path);
		return -1;
	}
	if (!owner_ok(st.st_uid)) {
		own_name(me, sizeof(me));
		log_error("%s: owned by uid %u, who could make sealcat trust "
		    "any key — run chown %s %s, or use a copy of your own",
		    path, (unsigned)st.st_uid, me, path);
		return -1;
	}
	if ((st.st_mode & 022) != 0) {
		log_error("%s: writable by others, who could make sealcat "
		    "trust any key — run chmod go-w %s", path, path);
		return -1;
	}
	return 0;
}

/*
 * Opens the trust file path by the rule, with flags: O_RDONLY, or O_RDWR |
 * O_APPEND | O_CREAT to record in it (created 0600).  resolved (room for
 * PATH_MAX) gets the file's real path, *created whether it was missing.
 * Returns the descriptor, -2 when the file does not exist and flags do not
 * create it, or -1 after reporting.
 */
static int
trust_open(const char *path, int flags, char *resolved, bool *created)
{
	bool create = (flags & O_CREAT) != 0;
	int fd, rc;

	if ((rc = resolve(path, resolved, create)) == -1)
		return -1;
	*created = rc == 0;
	if (rc == 0 && !create)
		return -2;
	/* O_NONBLOCK: a FIFO at the path must not hang us.  O_NOFOLLOW:
	 * the checked target, not a link put there since. */
	fd = open(resolved, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == ENOENT && !create)
			return -2;
		log_error("%s: cannot open%s: %s — check the path", path,
		    create ? " for writing" : "", strerror(errno));
		return -1;
	}
	if (check_file(path, fd) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads the trust file path from fd, which it now owns.  Returns 0, or -1
 * after reporting. */
static int
reader_attach(struct reader *r, const char *path, int fd)
{
	r->path = path;
	r->line_no = 0;
	r->last = '\n';
	r->eof = false;
	r->lenient = false;
	r->quiet = false;
	if ((r->fp = fdopen(fd, "r")) == NULL) {
		log_error("%s: cannot read: %s — check the file", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

/*
 * Opens a trust file.  Returns 1, 0 when it does not exist and missing_ok,
 * or -1 after reporting.
 */
static int
reader_open(struct reader *r, const char *path, bool missing_ok)
{
	char resolved[PATH_MAX];
	bool created;
	int fd;

	r->fp = NULL;
	if ((fd = trust_open(path, O_RDONLY, resolved, &created)) == -1)
		return -1;
	if (fd == -2) {
		if (missing_ok)
			return 0;
		log_error("%s: cannot open: %s — check the path", path,
		    strerror(ENOENT));
		return -1;
	}
	return reader_attach(r, path, fd) == -1 ? -1 : 1;
}

static void
reader_close(struct reader *r)
{
	if (r->fp != NULL)
		fclose(r->fp);
	r->fp = NULL;
}

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * A line that is not text (binary, or overlong): the end of an
 * authorized_peers file (-1 after reporting), or for r->lenient a
 * warning, and the rest of the line is read and dropped (0).
 */
static int
reader_bad(struct reader *r, bool overlong)
{
	char why[64];
	int c;

	if (overlong)
		snprintf(why, sizeof(why), "line longer than %d characters",
		    TRUST_LINE_MAX);
	else
		snprintf(why, sizeof(why), "binary data or control characters");
	if (!r->lenient) {
		log_error("%s:%zu: %s — %s", r->path, r->line_no, why,
		    overlong ? "shorten it" : "this is not a trust file");
		return -1;
	}
	if (!r->quiet)
		log_warn("%s:%zu: %s — line ignored, so the server it names "
		    "counts as unknown; fix or remove the line", r->path,
		    r->line_no, why);
	while ((c = getc(r->fp)) != EOF && c != '\n')
		r->last = c;
	return 0;
}

/*
 * Reads one line into r->line (len bytes, at most TRUST_LINE_MAX) up to
 * its newline or the end of the file.  Returns 1, 0 for a line dropped by
 * reader_bad(), or -1 after reporting.
 */
static int
reader_line(struct reader *r, size_t *len)
{
	int c;

	*len = 0;
	while ((c = getc(r->fp)) != EOF && c != '\n') {
		r->last = c;
		if (!is_blank(c) && (c < 0x20 || c > 0x7e))
			return reader_bad(r, false);
		if (*len == TRUST_LINE_MAX)
			return reader_bad(r, true);
		r->line[(*len)++] = (char)c;
	}
	return 1;
}

/*
 * Reads the next line that is neither blank nor a comment, without its
 * surrounding blanks, into r->line.  Returns 1, 0 at the end, or -1 after
 * reporting "FILE:LINE: ..." (or a read error).
 */
static int
reader_next(struct reader *r)
{
	while (!r->eof) {
		size_t len, start = 0;
		int rc;

		r->line_no++;
		rc = reader_line(r, &len);
		if (rc == -1)
			return -1;
		if (ferror(r->fp)) {
			log_error("%s: cannot read: %s — check the file",
			    r->path, strerror(errno));
			return -1;
		}
		if (feof(r->fp))
			r->eof = true;
		else
			r->last = '\n';
		if (rc == 0)
			continue;
		while (len > 0 && is_blank(r->line[len - 1]))
			len--;
		while (start < len && is_blank(r->line[start]))
			start++;
		r->line[len] = '\0';
		if (start < len && r->line[start] != '#') {
			memmove(r->line, r->line + start, len - start + 1);
			return 1;
		}
	}
	return 0;
}

/*
 * Splits r->line at its first blank: *first is the first field and *rest
 * what follows the blanks after it ("" if nothing).
 */
static void
split_field(char *line, char **first, char **rest)
{
	char *p = line;

	*first = line;
	while (*p != '\0' && !is_blank(*p))
		p++;
	if (*p == '\0') {
		*rest = p;
		return;
	}
	*p++ = '\0';
	while (is_blank(*p))
		p++;
	*rest = p;
}

void
trust_init(struct trust *t)
{
	memset(t, 0, sizeof(*t));
	t->mode = TRUST_LIST;
	t->lock_wait_ms = TRUST_LOCK_WAIT_MS;
}

void
trust_clear(struct trust *t)
{
	if (t == NULL)
		return;
	free(t->keys);
	trust_init(t);
}

int
trust_add_token(struct trust *t, const char *token, const char *what)
{
	struct trusted_key key;

	memset(&key, 0, sizeof(key));
	if (token_parse(token, &key.suite, key.pub, what) == -1)
		return -1;
	if (t->count == t->cap) {
		size_t cap = t->cap == 0 ? 8 : t->cap * 2;
		struct trusted_key *keys;

		if (cap > SIZE_MAX / sizeof(*keys) ||
		    (keys = realloc(t->keys, cap * sizeof(*keys))) == NULL) {
			log_error("out of memory for trusted keys — trust "
			    "fewer keys");
			return -1;
		}
		t->keys = keys;
		t->cap = cap;
	}
	t->keys[t->count++] = key;
	return 0;
}

int
trust_load_file(struct trust *t, const char *path, bool missing_ok)
{
	struct reader r;
	char what[PATH_MAX + 32];
	char *token, *comment;
	int rc;

	if ((rc = reader_open(&r, path, missing_ok)) != 1)
		return rc;
	while ((rc = reader_next(&r)) == 1) {
		split_field(r.line, &token, &comment);
		snprintf(what, sizeof(what), "%s:%zu", path, r.line_no);
		if (trust_add_token(t, token, what) == -1) {
			rc = -1;
			break;
		}
		/* The comment names the client in logs and --exec. */
		snprintf(t->keys[t->count - 1].name, TRUST_NAME_MAX, "%s",
		    comment);
	}
	reader_close(&r);
	return rc;
}

int
trust_use_file(struct trust *t, const char *path, bool missing_ok)
{
	int n;

	n = snprintf(t->authorized_path, sizeof(t->authorized_path), "%s",
	    path);
	if (n < 0 || (size_t)n >= sizeof(t->authorized_path)) {
		log_error("%s: path too long — use a shorter one", path);
		t->authorized_path[0] = '\0';
		return -1;
	}
	t->authorized_missing_ok = missing_ok;
	t->fixed_count = t->count;
	return trust_load_file(t, path, missing_ok);
}

/* The peer's token, for messages; "?" if it cannot be formatted. */
static void
peer_token(const struct suite *suite, const uint8_t *pub, char *out,
    size_t out_cap)
{
	if (token_format(suite, pub, out, out_cap) == -1)
		snprintf(out, out_cap, "?");
}

static bool
same_key(const struct suite *a_suite, const uint8_t *a,
    const struct suite *b_suite, const uint8_t *b)
{
	return a_suite == b_suite && ct_equal(a, b, a_suite->pub_len);
}

static bool
list_allows(struct trust *t, const struct suite *suite,
    const uint8_t *pub)
{
	char token[TOKEN_MAX];
	char fp[FINGERPRINT_MAX];
	bool found = false;

	/* The file as it is now: a removed line is a revoked key.  A file
	 * that cannot be read trusts no one in it (fail closed). */
	if (t->authorized_path[0] != '\0') {
		t->count = t->fixed_count;
		if (trust_load_file(t, t->authorized_path,
		    t->authorized_missing_ok) == -1) {
			t->count = t->fixed_count;
			peer_token(suite, pub, token, sizeof(token));
			log_error("client key %s refused: cannot read the keys "
			    "in %s — fix the file", token, t->authorized_path);
			return false;
		}
	}
	t->peer_name[0] = '\0';
	for (size_t i = 0; i < t->count; i++)
		if (same_key(t->keys[i].suite, t->keys[i].pub, suite, pub))
			found = true;
	/* The first named line for the key, if any names it. */
	for (size_t i = 0; found && i < t->count; i++)
		if (t->keys[i].name[0] != '\0' &&
		    same_key(t->keys[i].suite, t->keys[i].pub, suite, pub)) {
			snprintf(t->peer_name, sizeof(t->peer_name), "%s",
			    t->keys[i].name);
			break;
		}
	if (found)
		return true;
	peer_token(suite, pub, token, sizeof(token));
	fingerprint_format(suite, pub, fp);
	/* The connecting side names the server it meant to reach. */
	if (t->host_port[0] != '\0')
		log_error("server %s presented key %s (fingerprint %s), which "
		    "is not the --peer key — check the host and the token you "
		    "were given", t->host_port, token, fp);
	else
		log_error("client key %s (fingerprint %s) is not authorized — "
		    "to accept it, add --allow %s or put it in "
		    "authorized_peers", token, fp, token);
	return false;
}

/* host_port goes into known_peers as a field: one word of printable text. */
static bool
host_port_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s > 0x7e || *s == '#')
			return false;
	return true;
}

/* Creates the missing directories above path, mode 0700. */
static int
make_parents(const char *path)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s", path);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return -1;
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			log_error("cannot create directory %s: %s — create it "
			    "yourself", dir, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/*
 * Takes flock() op on the open trust file path, waiting up to wait_ms for
 * another process to let go.  Returns 0, or -1 after reporting.
 */
static int
lock_file(const char *path, int wait_ms, int fd, int op)
{
	int waited = 0;

	while (flock(fd, op | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			log_error("%s: cannot lock: %s — check the file system",
			    path, strerror(errno));
			return -1;
		}
		if (waited >= wait_ms) {
			log_error("%s: still locked by another process after "
			    "%d ms — try again, or find it with fuser %s",
			    path, waited, path);
			return -1;
		}
		poll(NULL, 0, TRUST_LOCK_POLL_MS);
		waited += TRUST_LOCK_POLL_MS;
	}
	return 0;
}

/* True if fd is still the file at resolved: `sealcat peers` replaces a
 * trust file by renaming a new one over it (peers.c). */
static bool
still_in_place(int fd, const char *resolved)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(resolved, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * trust_open() and lock_file(): opens the trust file path with flags and
 * locks it (op), and if the file was replaced while we waited for the
 * lock, opens the new one.  Returns the descriptor, -2 when there is no
 * file and flags do not create it, or -1 after reporting.
 */
static int
open_locked(const char *path, int flags, int op, int wait_ms,
    char *resolved, bool *created)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd = trust_open(path, flags, resolved, created);

		if (fd < 0)
			return fd;
		if (lock_file(path, wait_ms, fd, op) == -1) {
			close(fd);
			return -1;
		}
		if (still_in_place(fd, resolved))
			return fd;
		close(fd);
	}
	log_error("%s: replaced again and again while we waited — try again",
	    path);
	return -1;
}

/* Makes a new file's directory entry durable; at worst it is lost in a
 * crash, and the server is unknown again. */
static void
sync_parent(const char *resolved)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", resolved);
	if ((slash = strrchr(dir, '/')) == NULL)
		return;
	slash[slash == dir ? 1 : 0] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

int
trust_lock_file(const char *path, bool create, int wait_ms, char *resolved)
{
	bool created;
	int fd;

	if (create && make_parents(path) == -1)
		return -1;
	fd = open_locked(path, create ? O_RDWR | O_CREAT : O_RDWR, LOCK_EX,
	    wait_ms, resolved, &created);
	if (fd >= 0 && created)
		sync_parent(resolved);
	return fd;
}

/*
 * Appends line to known_peers, open on fd under an exclusive lock: all of
 * it, on disk, or nothing (a partial line would make every later lookup
 * fail).  Returns 0, or -1 after reporting.
 */
static int
append_line(const struct trust *t, int fd, const char *line, size_t len)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;
	int err;

	if (fstat(fd, &st) == -1) {
		log_error("%s: cannot record the server key: %s — check the "
		    "file", t->known_path, strerror(errno));
		return -1;
	}
	while (done < len) {
		n = write(fd, line + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	if (fsync(fd) == 0)
		return 0;
fail:
	err = errno;
	if (ftruncate(fd, st.st_size) == -1) {
		log_error("%s: cannot record the server key: %s, nor remove "
		    "the part written: %s — delete the file's last line",
		    t->known_path, strerror(err), strerror(errno));
		return -1;
	}
	log_error("%s: cannot record the server key: %s — check the disk",
	    t->known_path, strerror(err));
	return -1;
}

/*
 * Appends "HOST:PORT TOKEN" to known_peers, open on fd under an exclusive
 * lock.  after_partial says the file's last line has no newline yet.
 */
static int
record_peer(const struct trust *t, int fd, const char *token,
    bool after_partial)
{
	char line[sizeof(t->host_port) + TOKEN_MAX + 4];
	int n;

	n = snprintf(line, sizeof(line), "%s%s %s\n", after_partial ? "\n" :
	    "", t->host_port, token);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return append_line(t, fd, line, (size_t)n);
}

/* Reports an unknown server with the command that trusts it. */
static void
report_unknown(const struct trust *t, const char *token, const char *fp)
{
	const char *colon = strrchr(t->host_port, ':');
	const char *host = t->host_port;
	const char *port = "PORT";
	int host_len = (int)strlen(host);

	if (colon != NULL) {
		host_len = (int)(colon - host);
		port = colon + 1;
	}
	/* "[::1]:9000" was typed as "::1 9000". */
	if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	log_error("unknown server %s with key %s (fingerprint %s) — if that "
	    "is the right key, run: sealcat connect --peer %s %.*s %s (or add "
	    "--trust-new to record it in %s)", t->host_port, token, fp, token,
	    host_len, host, port, t->known_path);
}

/*
 * Opens known_peers and locks it: shared to look a server up, exclusive
 * with trust_new (creating the file and its directories), so that the
 * lookup and the append are one step to any other sealcat.  Returns the
 * descriptor, -2 when there is no file, or -1 after reporting.
 */
static int
known_open(const struct trust *t)
{
	char resolved[PATH_MAX];
	bool created;
	int fd;

	if (t->trust_new && make_parents(t->known_path) == -1)
		return -1;
	fd = open_locked(t->known_path, t->trust_new ? O_RDWR | O_APPEND |
	    O_CREAT : O_RDONLY, t->trust_new ? LOCK_EX : LOCK_SH,
	    t->lock_wait_ms, resolved, &created);
	if (fd < 0)
		return fd;
	if (created)
		sync_parent(resolved);
	return fd;
}

/* known_peers, read entry by entry (known_next()). */
struct known_iter {
	struct reader r;
	char what[PATH_MAX + 32];	/* "FILE:LINE" of the entry */
	char *host;			/* the entry's HOST:PORT */
	char *token;			/* its token as written */
	struct trusted_key key;		/* and parsed */
};

/* Reads the known_peers file of t from fd, which it now owns.  Returns 0,
 * or -1 after reporting. */
static int
known_iter_attach(struct known_iter *it, const struct trust *t, int fd)
{
	if (reader_attach(&it->r, t->known_path, fd) == -1)
		return -1;
	it->r.lenient = true;
	it->r.quiet = t->known_checked;
	return 0;
}

/*
 * The next good "HOST:PORT TOKEN" line of known_peers.  A line that is not
 * one is reported (unless trust_check_known() has already) and skipped, so
 * that one mistake does not refuse every server; the server it meant is
 * then unknown.  Returns 1 with it->host, token, key and what set, 0 at the
 * end, or -1 after reporting a file that cannot be read.
 */
static int
known_next(struct known_iter *it)
{
	int rc;

	while ((rc = reader_next(&it->r)) == 1) {
		char *rest, *extra;

		split_field(it->r.line, &it->host, &rest);
		split_field(rest, &it->token, &extra);
		snprintf(it->what, sizeof(it->what), "%s:%zu", it->r.path,
		    it->r.line_no);
		if (*it->token != '\0' && *extra == '\0' &&
		    token_parse(it->token, &it->key.suite, it->key.pub,
		    NULL) == 0)
			return 1;
		if (!it->r.quiet)
			log_warn("%s: not 'HOST:PORT TOKEN' with a valid token "
			    "— line ignored, so %s counts as unknown; fix it, "
			    "or remove it with: sealcat peers forget %s",
			    it->what, it->host, it->host);
	}
	return rc;
}

/*
 * Looks t->host_port up in known_peers, open on fd.  Returns 1 if pub is
 * its key, 0 if the host is not there (*partial: the last line has no
 * newline), or -1 after reporting a file that cannot be read or another
 * key for the host.
 */
static int
known_lookup(const struct trust *t, int fd, const struct suite *suite,
    const uint8_t *pub, const char *token, bool *partial)
{
	struct known_iter it;
	char old[TOKEN_MAX] = "";
	size_t old_line = 0;
	bool found = false;
	int rfd, rc;

	if ((rfd = dup(fd)) == -1) {
		log_error("%s: cannot read: %s — check the file",
		    t->known_path, strerror(errno));
		return -1;
	}
	if (known_iter_attach(&it, t, rfd) == -1)
		return -1;
	while ((rc = known_next(&it)) == 1) {
		if (strcmp(it.host, t->host_port) != 0)
			continue;
		if (same_key(it.key.suite, it.key.pub, suite, pub))
			found = true;
		else if (old_line == 0) {
			old_line = it.r.line_no;
			snprintf(old, sizeof(old), "%s", it.token);
		}
	}
	*partial = it.r.last != '\n';
	reader_close(&it.r);
	if (rc == -1)
		return -1;
	if (found)
		return 1;
	if (old_line != 0) {
		char fp[FINGERPRINT_MAX];

		fingerprint_format(suite, pub, fp);
		log_error("WARNING: server %s presented key %s (fingerprint "
		    "%s) but %s:%zu says its key is %s — someone may be "
		    "intercepting the connection; if the server's key really "
		    "changed, remove that line", t->host_port, token, fp,
		    t->known_path, old_line, old);
		return -1;
	}
	return 0;
}

static bool
known_peers_allow(struct trust *t, const struct suite *suite,
    const uint8_t *pub)
{
	char token[TOKEN_MAX];
	char fp[FINGERPRINT_MAX];
	bool partial = false;
	bool allowed = false;
	int fd, rc;

	if (!host_port_ok(t->host_port)) {
		log_error("cannot look up '%s' in known_peers: not a "
		    "HOST:PORT — use --peer TOKEN instead", t->host_port);
		return false;
	}
	peer_token(suite, pub, token, sizeof(token));
	fingerprint_format(suite, pub, fp);
	if ((fd = known_open(t)) == -1)
		return false;
	rc = fd == -2 ? 0 : known_lookup(t, fd, suite, pub, token, &partial);
	if (rc == 1) {
		log_verbose("server %s key %s is in %s", t->host_port, token,
		    t->known_path);
		allowed = true;
	} else if (rc == 0 && !t->trust_new)
		report_unknown(t, token, fp);
	else if (rc == 0 && record_peer(t, fd, token, partial) == 0) {
		log_warn("trusting new server %s with key %s (fingerprint %s, "
		    "recorded in %s)", t->host_port, token, fp, t->known_path);
		allowed = true;
	}
	if (fd >= 0)
		close(fd);
	return allowed;
}

int
trust_known_find(const char *path, const char *name,
    const struct suite **suite, uint8_t *pub)
{
	struct trust t;
	struct reader r;
	char what[PATH_MAX + 32];
	int fd, rfd, rc, found = 0;

	trust_init(&t);
	snprintf(t.known_path, sizeof(t.known_path), "%s", path);
	if ((fd = known_open(&t)) == -2) {
		trust_clear(&t);
		return 0;
	}
	if (fd == -1) {
		trust_clear(&t);
		return -1;
	}
	if ((rfd = dup(fd)) == -1)
		log_error("%s: cannot read: %s — check the file", path,
		    strerror(errno));
	if (rfd == -1 || reader_attach(&r, path, rfd) == -1) {
		close(fd);
		trust_clear(&t);
		return -1;
	}
	/* A binary or overlong line is skipped, as known_next() does; the
	 * caller has had trust_check_known() report it. */
	r.lenient = true;
	r.quiet = true;
	rc = 0;
	while (found == 0 && (rc = reader_next(&r)) == 1) {
		char *host, *rest, *field, *extra;

		split_field(r.line, &host, &rest);
		split_field(rest, &field, &extra);
		if (strcmp(host, name) != 0)
			continue;
		snprintf(what, sizeof(what), "%s:%zu", path, r.line_no);
		if (*field == '\0' || *extra != '\0') {
			log_error("%s: expected 'NAME TOKEN' — fix or remove "
			    "the line", what);
			found = -1;
		} else if (token_parse(field, suite, pub, what) == -1)
			found = -1;
		else
			found = 1;
	}
	if (found == 0 && rc == -1)
		found = -1;
	reader_close(&r);
	close(fd);
	trust_clear(&t);
	return found;
}

bool
trust_allows(struct trust *t, const struct suite *suite, const uint8_t *pub)
{
	switch (t->mode) {
	case TRUST_ANY:
		return true;
	case TRUST_LIST:
		return list_allows(t, suite, pub);
	case TRUST_KNOWN_PEERS:
		return known_peers_allow(t, suite, pub);
	}
	return false;
}

int
trust_record_client(const char *path, const char *token, const char *comment)
{
	struct trust t;
	char resolved[PATH_MAX];
	char line[TOKEN_MAX + 256];
	struct stat st;
	bool created, partial = false;
	char last;
	int fd, n, rc = -1;

	trust_init(&t);
	snprintf(t.known_path, sizeof(t.known_path), "%s", path);
	if (make_parents(path) == -1)
		return -1;
	fd = open_locked(path, O_RDWR | O_APPEND | O_CREAT, LOCK_EX,
	    t.lock_wait_ms, resolved, &created);
	if (fd < 0)
		return -1;
	if (created)
		sync_parent(resolved);
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    pread(fd, &last, 1, st.st_size - 1) == 1)
		partial = last != '\n';
	n = snprintf(line, sizeof(line), "%s%s %s\n", partial ? "\n" : "",
	    token, comment);
	if (n < 0 || (size_t)n >= sizeof(line))
		goto out;
	rc = append_line(&t, fd, line, (size_t)n);
out:
	close(fd);
	trust_clear(&t);
	return rc;
}

int
trust_check_known(struct trust *t)
{
	char resolved[PATH_MAX];
	struct known_iter it;
	bool created;
	int fd, rc;

	fd = open_locked(t->known_path, O_RDONLY, LOCK_SH, t->lock_wait_ms,
	    resolved, &created);
	if (fd == -2)
		return 0;
	if (fd == -1 || known_iter_attach(&it, t, fd) == -1)
		return -1;
	while ((rc = known_next(&it)) == 1)
		;
	reader_close(&it.r);
	if (rc == 0)
		t->known_checked = true;
	return rc;
}
