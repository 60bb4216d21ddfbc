/*
 * peers.c - `sealcat peers`: list and edit authorized_peers and known_peers
 * (peers.h).  A file is read whole under trust_lock_file()'s exclusive
 * lock, changed line by line in memory (every other line kept byte for
 * byte, bad ones too), and written back by renaming a new file over the
 * old one with its mode, owner and group, before the lock goes.  Tokens
 * are keyfile.c's; a token has one spelling, so lines are compared as
 * text.
 */
#include "keys/peers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/keyfile.h"
#include "keys/trust.h"
#include "base/log.h"
#include "base/util.h"

/* A trust file is small text; a larger one is not ours to rewrite. */
#define PEERS_FILE_MAX (1024 * 1024)
/* trust.c's longest line. */
#define PEERS_LINE_MAX 1024
/* A HOST:PORT or NAME: what fits trust.h's host_port. */
#define PEERS_KEY_MAX 299

/* One trust file, read whole under its lock. */
struct tfile {
	const char *path;	/* as named, for messages */
	char resolved[PATH_MAX];
	int fd;			/* locked; -1: the file does not exist */
	mode_t mode;
	char *text;		/* len bytes, NUL-terminated */
	size_t len;
};

/* One line of a tfile: its bytes, without the newline. */
struct tline {
	const char *start;
	size_t len;
	size_t no;		/* 1-based */
	bool has_nl;
};

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool
printable_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static bool
is_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s > 0x7e || *s == '#' || *s == ':')
			return false;
	return true;
}

/* "host:9000", "[::1]:9000": a port 1-65535 after the last ':', a host
 * before it, brackets around a host that has ':'s. */
static bool
is_host_port(const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *p;
	unsigned long port = 0;
	size_t host_len;

	if (colon == NULL || colon == s || colon[1] == '\0' ||
	    strlen(s) > PEERS_KEY_MAX)
		return false;
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return false;
	host_len = (size_t)(colon - s);
	for (p = s; p < colon; p++)
		if (*p <= 0x20 || *p > 0x7e || *p == '#')
			return false;
	if (memchr(s, ':', host_len) != NULL)
		return s[0] == '[' && colon[-1] == ']' && host_len > 2;
	return s[0] != '[';
}

enum peers_key
peers_key_kind(const char *arg)
{
	const struct suite *suite;
	uint8_t pub[SUITE_PUB_MAX];

	if (token_parse(arg, &suite, pub, NULL) == 0)
		return PEERS_KEY_TOKEN;
	if (is_host_port(arg))
		return PEERS_KEY_HOST_PORT;
	if (is_word(arg) && strlen(arg) <= PEERS_KEY_MAX)
		return PEERS_KEY_NAME;
	return PEERS_KEY_BAD;
}

/* Opens, locks and reads f->path.  Returns 0 (f->fd -1 if it does not
 * exist and not create), or -1 after reporting. */
static int
tfile_open(struct tfile *f, const char *path, bool create)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = trust_lock_file(path, create, TRUST_LOCK_WAIT_MS, f->resolved);
	if (f->fd == -1)
		return -1;
	if (f->fd == -2) {
		f->fd = -1;
		return 0;
	}
	if (fstat(f->fd, &st) == -1 || st.st_size > PEERS_FILE_MAX) {
		log_error("%s: larger than %d bytes — this is not a trust file",
		    path, PEERS_FILE_MAX);
		goto fail;
	}
	f->mode = st.st_mode & 07777;
	if ((f->text = malloc((size_t)st.st_size + 1)) == NULL) {
		log_error("out of memory for %s — free some memory", path);
		goto fail;
	}
	while (done < (size_t)st.st_size) {
		n = pread(f->fd, f->text + done, (size_t)st.st_size - done,
		    (off_t)done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("%s: cannot read: %s — check the file", path,
			    n == 0 ? "file shrank" : strerror(errno));
			goto fail;
		}
		done += (size_t)n;
	}
	f->len = done;
	f->text[done] = '\0';
	if (memchr(f->text, '\0', done) != NULL) {
		log_error("%s: binary data — this is not a trust file", path);
		goto fail;
	}
	return 0;
fail:
	free(f->text);
	f->text = NULL;
	close(f->fd);
	f->fd = -1;
	return -1;
}

static void
tfile_close(struct tfile *f)
{
	free(f->text);
	f->text = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* The next line after *pos.  Returns false at the end. */
static bool
tfile_line(const struct tfile *f, size_t *pos, struct tline *l)
{
	const char *nl;

	if (f->text == NULL || *pos >= f->len)
		return false;
	l->start = f->text + *pos;
	nl = memchr(l->start, '\n', f->len - *pos);
	l->len = nl != NULL ? (size_t)(nl - l->start) : f->len - *pos;
	l->has_nl = nl != NULL;
	l->no++;
	*pos += l->len + (nl != NULL);
	return true;
}

/*
 * Splits a copy of l (in out, room for PEERS_LINE_MAX + 1) into its first
 * two fields (*a, *b, "" if missing) and what follows (*rest), without
 * the blanks around them.  Returns false for a blank line or a '#'
 * comment.
 */
static bool
fields(const struct tline *l, char *out, char **a, char **b, char **rest)
{
	size_t len = l->len > PEERS_LINE_MAX ? PEERS_LINE_MAX : l->len;
	char *p, *end;
	char **field[2] = { a, b };

	memcpy(out, l->start, len);
	out[len] = '\0';
	for (end = out + len; end > out && is_blank(end[-1]); end--)
		;
	*end = '\0';
	for (p = out; is_blank(*p); p++)
		;
	if (*p == '\0' || *p == '#')
		return false;
	for (int i = 0; i < 2; i++) {
		*field[i] = p;
		while (*p != '\0' && !is_blank(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
		while (is_blank(*p))
			p++;
	}
	*rest = p;
	return true;
}

/* A line of authorized_peers: *token and *comment (all that follows the
 * token).  Returns 1, 0 for a blank or comment line, -1 for a bad line
 * (reported if report). */
static int
auth_entry(const struct tfile *f, const struct tline *l, char *buf,
    char **token, char **comment, bool report)
{
	const struct suite *suite;
	uint8_t pub[SUITE_PUB_MAX];
	char what[PATH_MAX + 32];
	char *b, *rest, *p;
	size_t len = l->len > PEERS_LINE_MAX ? PEERS_LINE_MAX : l->len;

	if (!fields(l, buf, token, &b, &rest))
		return 0;
	/* The comment as written, from a second copy. */
	p = buf + PEERS_LINE_MAX + 1;
	memcpy(p, l->start, len);
	p[len] = '\0';
	while (is_blank(*p))
		p++;
	p += strlen(*token);
	while (is_blank(*p))
		p++;
	for (char *e = p + strlen(p); e > p && is_blank(e[-1]); e--)
		e[-1] = '\0';
	*comment = p;
	snprintf(what, sizeof(what), "%s:%zu", f->path, l->no);
	if (l->len > PEERS_LINE_MAX) {
		if (report)
			log_error("%s: line longer than %d characters — "
			    "shorten it", what, PEERS_LINE_MAX);
		return -1;
	}
	if (token_parse(*token, &suite, pub, report ? what : NULL) == -1)
		return -1;
	return 1;
}

/* A line of known_peers: *key and *token.  Returns 1, 0, or -1 as
 * auth_entry(). */
static int
known_entry(const struct tfile *f, const struct tline *l, char *buf,
    char **key, char **token, bool report)
{
	const struct suite *suite;
	uint8_t pub[SUITE_PUB_MAX];
	char what[PATH_MAX + 32];
	char *rest;

	if (!fields(l, buf, key, token, &rest))
		return 0;
	snprintf(what, sizeof(what), "%s:%zu", f->path, l->no);
	if (l->len > PEERS_LINE_MAX || **token == '\0' || *rest != '\0') {
		if (report)
			log_error("%s: expected 'HOST:PORT TOKEN' or 'NAME "
			    "TOKEN' — fix or remove the line", what);
		return -1;
	}
	if (token_parse(*token, &suite, pub, report ? what : NULL) == -1)
		return -1;
	return 1;
}

/*
 * Writes text (len bytes) over f, keeping its mode (a new file: 0600),
 * owner and group.  Returns 0, or PEERS_RUNTIME after reporting.
 */
static int
tfile_write(const struct tfile *f, const char *text, size_t len)
{
	mode_t mode = f->mode != 0 ? f->mode : 0600;

	if (atomic_write_file(f->resolved, text, len, mode, f->resolved) == -1)
		return PEERS_RUNTIME;
	return 0;
}

/* A growing buffer for a new file. */
struct out {
	char *data;
	size_t len, cap;
	bool failed;
};

static void
out_add(struct out *o, const char *s, size_t len)
{
	if (o->failed)
		return;
	if (o->len + len + 1 > o->cap) {
		size_t cap = (o->len + len + 1) * 2;
		char *data = realloc(o->data, cap);

		if (data == NULL) {
			o->failed = true;
			return;
		}
		o->data = data;
		o->cap = cap;
	}
	memcpy(o->data + o->len, s, len);
	o->len += len;
	o->data[o->len] = '\0';
}

/* Copies line l as it was, with a newline. */
static void
out_line(struct out *o, const struct tline *l)
{
	out_add(o, l->start, l->len);
	out_add(o, "\n", 1);
}

static int
out_done(struct out *o, const struct tfile *f)
{
	int rc;

	if (o->failed) {
		log_error("out of memory for %s — free some memory", f->path);
		free(o->data);
		return PEERS_RUNTIME;
	}
	rc = tfile_write(f, o->data != NULL ? o->data : "", o->len);
	free(o->data);
	return rc;
}

int
peers_list(const struct peers_files *f, FILE *out)
{
	char buf[2 * PEERS_LINE_MAX + 2];
	struct tfile t;
	struct tline l;
	size_t pos;
	int rc = 0;

	if (tfile_open(&t, f->authorized, false) == -1)
		rc = -1;
	else {
		memset(&l, 0, sizeof(l));
		pos = 0;
		while (tfile_line(&t, &pos, &l)) {
			char *token, *comment;
			int e = auth_entry(&t, &l, buf, &token, &comment,
			    true);

			if (e == -1)
				rc = -1;
			if (e == 1)
				fprintf(out, "%s:%zu %s%s%s\n", t.path, l.no,
				    token, *comment != '\0' ? " " : "",
				    comment);
		}
		tfile_close(&t);
	}
	if (tfile_open(&t, f->known, false) == -1)
		rc = -1;
	else {
		memset(&l, 0, sizeof(l));
		pos = 0;
		while (tfile_line(&t, &pos, &l)) {
			char *key, *token;
			int e = known_entry(&t, &l, buf, &key, &token, true);

			if (e == -1)
				rc = -1;
			if (e == 1)
				fprintf(out, "%s:%zu %s %s\n", t.path, l.no,
				    key, token);
		}
		tfile_close(&t);
	}
	if (fflush(out) == EOF || ferror(out)) {
		log_errno("cannot write the list to stdout");
		return PEERS_RUNTIME;
	}
	return rc;
}

/*
 * The token and comment arg names: a token, "TOKEN comment" (a .pub
 * line), or a file holding one.  token has room for TOKEN_MAX, comment
 * for PEERS_LINE_MAX + 1.  Returns 0, or -1 after reporting.
 */
static int
resolve_token(const char *what, const char *arg, char *token,
    char *comment)
{
	const struct suite *suite;
	uint8_t pub[SUITE_PUB_MAX];
	char line[PEERS_LINE_MAX + 2];
	const char *text = arg;
	const char *p;
	size_t tok_len;
	FILE *fp = NULL;

	comment[0] = '\0';
	if (strchr(arg, ':') == NULL || access(arg, F_OK) == 0) {
		if ((fp = fopen(arg, "r")) == NULL) {
			log_error("%s: '%s' is neither a public key token nor "
			    "a .pub file — give TOKEN (x25519:...) or "
			    "FILE.pub", what, arg);
			return -1;
		}
		if (fgets(line, sizeof(line), fp) == NULL) {
			log_error("%s: %s is empty — give a .pub file", what,
			    arg);
			fclose(fp);
			return -1;
		}
		fclose(fp);
		line[strcspn(line, "\r\n")] = '\0';
		text = line;
	}
	for (p = text; is_blank(*p); p++)
		;
	tok_len = strcspn(p, " \t\r");
	if (tok_len >= TOKEN_MAX) {
		log_error("%s: '%.40s...' is not a public key token — give "
		    "TOKEN (x25519:...) or FILE.pub", what, p);
		return -1;
	}
	memcpy(token, p, tok_len);
	token[tok_len] = '\0';
	if (token_parse(token, &suite, pub, what) == -1)
		return -1;
	for (p += tok_len; is_blank(*p); p++)
		;
	snprintf(comment, PEERS_LINE_MAX + 1, "%s", p);
	for (size_t n = strlen(comment); n > 0 && is_blank(comment[n - 1]);
	    n--)
		comment[n - 1] = '\0';
	return 0;
}

int
peers_allow(const struct peers_files *f, const char *arg,
    const char *comment)
{
	char token[TOKEN_MAX];
	char pub_comment[PEERS_LINE_MAX + 1];
	char buf[2 * PEERS_LINE_MAX + 2];
	char line[PEERS_LINE_MAX + 2];
	struct tfile t;
	struct tline l;
	struct out o = { 0 };
	size_t pos = 0;
	int n, rc;

	if (resolve_token("peers allow", arg, token, pub_comment) == -1)
		return -1;
	if (comment == NULL)
		comment = pub_comment;
	if (!printable_text(comment)) {
		log_error("peers allow: the comment has control characters — "
		    "use printable text");
		return -1;
	}
	n = snprintf(line, sizeof(line), "%s%s%s\n", token,
	    *comment != '\0' ? " " : "", comment);
	if (n < 0 || (size_t)n > PEERS_LINE_MAX) {
		log_error("peers allow: the line would be longer than %d "
		    "characters — use a shorter comment", PEERS_LINE_MAX);
		return -1;
	}
	if (tfile_open(&t, f->authorized, true) == -1)
		return -1;
	memset(&l, 0, sizeof(l));
	while (tfile_line(&t, &pos, &l)) {
		char *tok, *com;

		if (auth_entry(&t, &l, buf, &tok, &com, false) == 1 &&
		    strcmp(tok, token) == 0) {
			log_info("%s is already in %s:%zu — nothing to do",
			    token, t.path, l.no);
			tfile_close(&t);
			return 0;
		}
		out_line(&o, &l);
	}
	out_add(&o, line, (size_t)n);
	if ((rc = out_done(&o, &t)) == 0)
		log_info("added %s to %s:%zu", token, t.path, l.no + 1);
	tfile_close(&t);
	return rc;
}

int
peers_trust(const struct peers_files *f, const char *key, const char *arg)
{
	char token[TOKEN_MAX];
	char comment[PEERS_LINE_MAX + 1];
	char buf[2 * PEERS_LINE_MAX + 2];
	char line[PEERS_LINE_MAX + 2];
	struct tfile t;
	struct tline l;
	struct out o = { 0 };
	size_t pos = 0, replaced = 0, kept_no = 0;
	enum peers_key kind = peers_key_kind(key);
	int n, rc;

	if (kind != PEERS_KEY_HOST_PORT && kind != PEERS_KEY_NAME) {
		log_error("peers trust: '%s' is neither HOST:PORT nor a NAME "
		    "— give host:9000, [::1]:9000 or a name without ':'",
		    key);
		return -1;
	}
	if (resolve_token("peers trust", arg, token, comment) == -1)
		return -1;
	n = snprintf(line, sizeof(line), "%s %s\n", key, token);
	if (n < 0 || (size_t)n > PEERS_LINE_MAX)
		return -1;
	if (tfile_open(&t, f->known, true) == -1)
		return -1;
	memset(&l, 0, sizeof(l));
	while (tfile_line(&t, &pos, &l)) {
		char *k, *tok;

		if (known_entry(&t, &l, buf, &k, &tok, false) == 1 &&
		    strcmp(k, key) == 0) {
			if (strcmp(tok, token) == 0 && kept_no == 0) {
				kept_no = l.no;
				out_line(&o, &l);
				continue;
			}
			log_info("replacing %s:%zu %s %s", t.path, l.no, k,
			    tok);
			replaced++;
			continue;
		}
		out_line(&o, &l);
	}
	if (kept_no != 0 && replaced == 0) {
		log_info("%s %s is already in %s:%zu — nothing to do", key,
		    token, t.path, kept_no);
		free(o.data);
		tfile_close(&t);
		return 0;
	}
	if (kept_no == 0)
		out_add(&o, line, (size_t)n);
	if ((rc = out_done(&o, &t)) == 0 && kept_no == 0)
		log_info("added %s %s to %s", key, token, t.path);
	tfile_close(&t);
	return rc;
}

/* Removes the lines of t that match arg.  *removed counts them. */
static int
forget_in(struct tfile *t, bool known, enum peers_key kind, const char *arg,
    size_t *removed)
{
	char buf[2 * PEERS_LINE_MAX + 2];
	struct tline l;
	struct out o = { 0 };
	size_t pos = 0, count = 0;
	int rc;

	memset(&l, 0, sizeof(l));
	while (tfile_line(t, &pos, &l)) {
		char *a, *b;
		bool match = false;
		int e = known ? known_entry(t, &l, buf, &a, &b, false) :
		    auth_entry(t, &l, buf, &a, &b, false);

		/* A bad line still goes by its first field. */
		if (e != 0) {
			if (known)
				match = kind == PEERS_KEY_TOKEN ?
				    strcmp(b, arg) == 0 : strcmp(a, arg) == 0;
			else
				match = kind == PEERS_KEY_TOKEN &&
				    strcmp(a, arg) == 0;
		}
		if (!match) {
			out_line(&o, &l);
			continue;
		}
		log_info("removed %s:%zu %.*s", t->path, l.no, (int)l.len,
		    l.start);
		count++;
	}
	*removed += count;
	if (count == 0) {
		free(o.data);
		return 0;
	}
	rc = out_done(&o, t);
	return rc;
}

int
peers_forget(const struct peers_files *f, const char *arg)
{
	enum peers_key kind = peers_key_kind(arg);
	struct tfile t;
	size_t removed = 0;
	int rc;

	if (kind == PEERS_KEY_BAD) {
		log_error("peers forget: '%s' is not HOST:PORT, a NAME or a "
		    "public key token — see sealcat peers list", arg);
		return -1;
	}
	if (kind == PEERS_KEY_TOKEN) {
		if (tfile_open(&t, f->authorized, false) == -1)
			return -1;
		rc = forget_in(&t, false, kind, arg, &removed);
		tfile_close(&t);
		if (rc != 0)
			return rc;
	}
	if (tfile_open(&t, f->known, false) == -1)
		return -1;
	rc = forget_in(&t, true, kind, arg, &removed);
	tfile_close(&t);
	if (rc != 0)
		return rc;
	if (removed == 0) {
		log_error("peers forget: no entry for %s in %s%s%s — see "
		    "sealcat peers list", arg,
		    kind == PEERS_KEY_TOKEN ? f->authorized : "",
		    kind == PEERS_KEY_TOKEN ? " or " : "", f->known);
		return PEERS_NONE;
	}
	return 0;
}
