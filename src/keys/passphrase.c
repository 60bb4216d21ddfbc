/*
 * passphrase.c - see passphrase.h.  The prompt turns echo off on /dev/tty
 * itself, like readpassphrase(3): stdin and stdout are the data channel and
 * are never touched.  A signal that would end us while echo is off first
 * gets the terminal back to how we found it, then ends us as it would have.
 */
#include "keys/passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

/* What a prompt read: a line, end of input, or too much. */
enum line_result { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_ERROR };

#define TTY_PATH "/dev/tty"
#define HOW_TO_GIVE "give it with --passphrase-file FILE, the systemd " \
	"credential " PASSPHRASE_CREDENTIAL " or " PASSPHRASE_FD_ENV "=N"

/* The signals that end a process by default and can reach one waiting at
 * a prompt. */
static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static volatile sig_atomic_t prompt_caught;

static void
on_prompt_signal(int sig)
{
	prompt_caught = sig;
}

/*
 * Reads from fd until end of input or PASSPHRASE_MAX + 1 bytes: one more
 * than fits tells a passphrase that is too long.  The last byte is read
 * into a wiped stack byte.  Returns 0, or -1 after reporting (what names
 * the source).
 */
static int
read_all(int fd, const char *what, struct passphrase *out)
{
	uint8_t extra = 0;
	ssize_t n;
	int rc = -1;

	out->len = 0;
	for (;;) {
		if (out->len < sizeof(out->bytes))
			n = read(fd, out->bytes + out->len,
			    sizeof(out->bytes) - out->len);
		else
			n = read(fd, &extra, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_error("%s: cannot read the passphrase: %s — check "
			    "the file or descriptor", what, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (out->len == sizeof(out->bytes)) {
			log_error("%s: the passphrase is longer than %d bytes "
			    "— use a shorter one", what, PASSPHRASE_MAX);
			goto out;
		}
		out->len += (size_t)n;
	}
	if (out->len > 0 && out->bytes[out->len - 1] == '\n')
		out->bytes[--out->len] = 0;
	if (out->len == 0) {
		log_error("%s: the passphrase is empty — put the passphrase "
		    "in it", what);
		goto out;
	}
	rc = 0;
out:
	wipe(&extra, sizeof(extra));
	if (rc == -1)
		wipe(out, sizeof(*out));
	return rc;
}

/*
 * True if a passphrase file with st may be read: only its owner can, as
 * for key files.  A systemd credential for a service that does not run as
 * root is root's file, mode 0400, with a POSIX ACL that lets the service's
 * user read it; stat() shows the ACL's mask in the group bits (0440).  So
 * for a credential, group read is accepted on a file root owns: the
 * credentials directory is systemd's, private to the unit and read-only.
 */
static bool
private_enough(const struct stat *st, bool credential)
{
	if ((st->st_mode & 077) == 0)
		return true;
	return credential && (st->st_mode & 037) == 0 && st->st_uid == 0;
}

/* passphrase_from_file(), relaxed for a systemd credential. */
static int
from_file(const char *path, const char *what, bool credential,
    struct passphrase *out)
{
	struct stat st;
	int fd;
	int rc = -1;

	/* The rules of key files: O_NONBLOCK so a planted FIFO cannot hang
	 * us, no symbolic links, a regular file that only its owner can
	 * read. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		log_error("%s %s: cannot open: %s — check the path and its "
		    "permissions", what, path, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_error("%s %s: cannot stat: %s — check the file", what,
		    path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s %s: not a regular file — put the passphrase in "
		    "a file, or pass a pipe with " PASSPHRASE_FD_ENV, what,
		    path);
		goto out;
	}
	if (!private_enough(&st, credential)) {
		log_error("%s %s: permissions %04o are too open (others can "
		    "read the passphrase) — run chmod 600 %s", what, path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	rc = read_all(fd, path, out);
out:
	close(fd);
	return rc;
}

int
passphrase_from_file(const char *path, const char *what,
    struct passphrase *out)
{
	return from_file(path, what, false, out);
}

/* The descriptor named by $SEALCAT_PASSPHRASE_FD (value env).  Returns 0,
 * or -1 after reporting. */
static int
from_fd(const char *env, struct passphrase *out)
{
	char what[64];
	unsigned long v;
	struct stat st;
	int fd;
	int rc;

	/* 0-2 are the data channel; closing one would let the next socket
	 * take its number. */
	if (parse_number(env, 3, INT_MAX, &v) == -1) {
		log_error(PASSPHRASE_FD_ENV "='%.20s': not a descriptor "
		    "number of 3 or more — set it to a descriptor opened for "
		    "sealcat (e.g. 3<FILE)", env);
		return -1;
	}
	fd = (int)v;
	snprintf(what, sizeof(what), PASSPHRASE_FD_ENV "=%d", fd);
	if (fstat(fd, &st) == -1) {
		log_error("%s: no such open descriptor — open it for sealcat "
		    "(e.g. %d<FILE)", what, fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
		log_error("%s: the file has permissions %04o, too open "
		    "(others can read the passphrase) — chmod 600 it",
		    what, (unsigned)(st.st_mode & 07777));
		rc = -1;
	} else
		rc = read_all(fd, what, out);
	/* Used once: no child inherits the descriptor or its number. */
	close(fd);
	unsetenv(PASSPHRASE_FD_ENV);
	return rc;
}

void
passphrase_forget_fd(void)
{
	const char *env = getenv(PASSPHRASE_FD_ENV);
	unsigned long v;

	if (env == NULL)
		return;
	if (parse_number(env, 3, INT_MAX, &v) == 0)
		(void)close((int)v);
	unsetenv(PASSPHRASE_FD_ENV);
}

/* Reads one line from the terminal fd into out (without the newline). */
static enum line_result
read_line(int fd, struct passphrase *out)
{
	enum line_result result = LINE_OK;
	uint8_t c = 0;
	ssize_t n;

	out->len = 0;
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR && prompt_caught == 0)
			continue;
		if (n == -1) {
			result = LINE_ERROR;
			break;
		}
		if (n == 0) {
			/* ^D on an empty line, or the terminal went away. */
			if (out->len == 0)
				result = LINE_EOF;
			break;
		}
		if (c == '\n')
			break;
		if (out->len == sizeof(out->bytes))
			result = LINE_TOO_LONG;	/* read on to the newline */
		else
			out->bytes[out->len++] = c;
	}
	wipe(&c, sizeof(c));
	if (result != LINE_OK)
		wipe(out, sizeof(*out));
	return result;
}

/*
 * Opens the controlling terminal.  Returns the descriptor, or -1 (nothing
 * reported) when there is none.
 */
static int
open_tty(struct termios *saved)
{
	int fd = open(TTY_PATH, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (tcgetattr(fd, saved) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
tty_puts(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/*
 * Prints prompt on the terminal and reads a line, with echo off unless
 * echo.  Returns the result; *no_tty is set when there is no terminal.
 */
static enum line_result
prompt_line(const char *prompt, bool echo, struct passphrase *out,
    bool *no_tty)
{
	struct sigaction sa, old[ARRAY_LEN(prompt_signals)];
	struct termios saved, quiet;
	enum line_result result;
	int fd;

	*no_tty = false;
	if ((fd = open_tty(&saved)) == -1) {
		*no_tty = true;
		return LINE_ERROR;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prompt_signal;
	sigemptyset(&sa.sa_mask);
	prompt_caught = 0;
	/* No SA_RESTART: the signal must end the read. */
	for (size_t i = 0; i < ARRAY_LEN(prompt_signals); i++)
		sigaction(prompt_signals[i], &sa, &old[i]);
	quiet = saved;
	if (!echo) {
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
		quiet.c_lflag |= ECHONL;
	}
	/* Echo goes off before the prompt shows, so nothing typed after it
	 * is echoed; TCSAFLUSH drops what was typed before it. */
	(void)tcsetattr(fd, TCSAFLUSH, &quiet);
	tty_puts(fd, prompt);
	result = read_line(fd, out);
	if (!echo && result != LINE_OK)
		tty_puts(fd, "\n");
	(void)tcsetattr(fd, TCSAFLUSH, &saved);
	close(fd);
	for (size_t i = 0; i < ARRAY_LEN(prompt_signals); i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	if (prompt_caught != 0) {
		wipe(out, sizeof(*out));
		raise(prompt_caught);	/* ends us unless it is ignored */
		return LINE_ERROR;
	}
	return result;
}

/* prompt_line() with the messages.  Returns 0, -1 (no terminal; reported
 * by the caller, who knows what to suggest) or PASSPHRASE_RUNTIME after
 * reporting. */
static int
ask(const char *prompt, struct passphrase *out)
{
	bool no_tty;

	switch (prompt_line(prompt, false, out, &no_tty)) {
	case LINE_OK:
		return 0;
	case LINE_EOF:
		log_error("no passphrase given — type it at the prompt");
		return PASSPHRASE_RUNTIME;
	case LINE_TOO_LONG:
		log_error("the passphrase is longer than %d bytes — use a "
		    "shorter one", PASSPHRASE_MAX);
		return PASSPHRASE_RUNTIME;
	default:
		if (no_tty)
			return -1;
		log_error("cannot read the passphrase from " TTY_PATH "%s",
		    prompt_caught != 0 ? ": interrupted" : "");
		return PASSPHRASE_RUNTIME;
	}
}

int
passphrase_unlock(const char *file, const char *key_path,
    struct passphrase *out)
{
	const char *fd_env = getenv(PASSPHRASE_FD_ENV);
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char path[PATH_MAX];
	char prompt[PATH_MAX + 32];
	struct stat st;
	int rc;
	int n;

	if (file != NULL)
		return passphrase_from_file(file, "--passphrase-file", out);
	if (fd_env != NULL && fd_env[0] != '\0')
		return from_fd(fd_env, out);
	if (creds != NULL && creds[0] != '\0') {
		n = snprintf(path, sizeof(path), "%s/" PASSPHRASE_CREDENTIAL,
		    creds);
		if (n > 0 && (size_t)n < sizeof(path) && lstat(path, &st) == 0)
			return from_file(path, "credential", true, out);
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", key_path);
	if ((rc = ask(prompt, out)) == -1)
		log_error("%s is protected by a passphrase and there is no "
		    "terminal to ask for it — " HOW_TO_GIVE, key_path);
	return rc;
}

int
passphrase_new(const char *key_path, bool allow_empty,
    struct passphrase *out)
{
	struct passphrase *again = NULL;
	char prompt[PATH_MAX + 48];
	int rc;

	snprintf(prompt, sizeof(prompt), "New passphrase for %s%s: ",
	    key_path, allow_empty ? " (empty for none)" : "");
	if ((rc = ask(prompt, out)) == -1) {
		log_error("no terminal to ask for the new passphrase of %s — "
		    "run this in a terminal%s", key_path, allow_empty ? "" :
		    ", or give it with --passphrase-file FILE");
		goto out;
	}
	if (rc != 0)
		goto out;
	if (out->len == 0) {
		if (!allow_empty) {
			log_error("the passphrase is empty — type one, or "
			    "leave out --passphrase for a key without one");
			rc = PASSPHRASE_RUNTIME;
		}
		goto out;
	}
	if ((again = secret_alloc(sizeof(*again))) == NULL) {
		rc = PASSPHRASE_RUNTIME;
		goto out;
	}
	if ((rc = ask("Repeat the new passphrase: ", again)) != 0) {
		if (rc == -1) {
			log_error("the terminal went away — run this in a "
			    "terminal");
			rc = PASSPHRASE_RUNTIME;
		}
		goto out;
	}
	if (again->len != out->len ||
	    !ct_equal(again->bytes, out->bytes, out->len)) {
		log_error("the two passphrases differ — nothing was changed; "
		    "try again");
		rc = PASSPHRASE_RUNTIME;
	}
out:
	secret_free(again, sizeof(*again));
	if (rc != 0)
		wipe(out, sizeof(*out));
	return rc;
}

int
passphrase_confirm(const char *question)
{
	struct passphrase *answer;
	bool no_tty;
	int rc = 0;

	if ((answer = secret_alloc(sizeof(*answer))) == NULL)
		return -1;
	if (prompt_line(question, true, answer, &no_tty) == LINE_OK) {
		answer->bytes[answer->len < sizeof(answer->bytes) ?
		    answer->len : sizeof(answer->bytes) - 1] = 0;
		rc = strcasecmp((const char *)answer->bytes, "y") == 0 ||
		    strcasecmp((const char *)answer->bytes, "yes") == 0;
	} else if (no_tty) {
		log_error("no terminal to confirm on — run this in a "
		    "terminal");
		rc = -1;
	}
	secret_free(answer, sizeof(*answer));
	return rc;
}
