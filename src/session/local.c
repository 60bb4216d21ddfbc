/*
 * local.c - the plaintext side of a connection, see local.h.  The stream
 * itself is moved by relay.c; this file opens, closes and reaps, and says
 * how each descriptor is read and written without blocking.
 */
#include "session/local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport/io.h"
#include "base/log.h"
#include "base/sig.h"
#include "transport/tcp.h"
#include "transport/unix.h"

/* How long an --exec command gets to exit on its own once its stream has
 * ended, and to exit after SIGTERM, before its process group is killed
 * (documented in sealcat(1)). */
#define EXEC_GRACE_MS 5000

void
local_init(struct local *l)
{
	memset(l, 0, sizeof(*l));
	l->in_fd = -1;
	l->out_fd = -1;
	l->pid = -1;
	l->in_name = "input";
	l->out_name = "output";
}

int
local_guard_stdio(const char *stdout_fix)
{
	int fd;

	/* Checked before anything is opened: a closed stdout must not be
	 * papered over, or the stream would silently go to /dev/null. */
	if (stdout_fix != NULL && fcntl(STDOUT_FILENO, F_GETFD) == -1 &&
	    errno == EBADF) {
		log_error("standard output is closed — %s", stdout_fix);
		return -1;
	}
	for (int want = 0; want <= 2; want++) {
		if (fcntl(want, F_GETFD) != -1)
			continue;
		fd = open("/dev/null", O_RDWR);
		if (fd == -1)
			return 0;
		if (fd != want) {
			dup2(fd, want);
			close(fd);
		}
	}
	return 0;
}

/*
 * Standard input and output are open file descriptions we share with the
 * shell, with whoever else holds the pipe, and with standard error under
 * 2>&1.  O_NONBLOCK belongs to the description, so setting it on them
 * would make the shell's (and our own stderr's) writes fail with EAGAIN,
 * and a signal would leave it set.  It is never touched.  Instead, each
 * of them is used in the first way that fits:
 *
 *  - a socket: recv() and send() with MSG_DONTWAIT, per call;
 *  - a regular file or block device: as it is; it never makes us wait
 *    for another process;
 *  - a pipe, FIFO or terminal: opened again through /proc/self/fd, which
 *    gives a new open file description of the same pipe or terminal, and
 *    that one, ours alone, is made non-blocking.  A terminal paused with
 *    Ctrl-S then stalls only the direction that writes to it;
 *  - anything else (another device; a pipe or terminal we cannot open
 *    again: no /proc, or another user's terminal after su): the shared
 *    descriptor, blocking, read and written only after poll() says so,
 *    and written PIPE_BUF bytes at a time, which a pipe reported writable
 *    takes without blocking.  (A terminal may still block a write there:
 *    the cost of having no thread and no shared flags.)
 *
 * A pty master is not opened again: that would make a new pty.
 */
static int
open_private(int fd, int mode, const struct stat *st)
{
	char path[sizeof("/proc/self/fd/") + 12];
	struct stat got;
	int ptn, priv;

	if (isatty(fd) && ioctl(fd, TIOCGPTN, &ptn) == 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* O_NONBLOCK also keeps the open of a FIFO from waiting for the
	 * other end; O_NOCTTY keeps a terminal from becoming ours. */
	priv = open(path, mode | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (priv == -1)
		return -1;
	if (fstat(priv, &got) == -1 || got.st_dev != st->st_dev ||
	    got.st_ino != st->st_ino) {
		close(priv);
		return -1;
	}
	return priv;
}

enum stdio_kind {
	STDIO_AS_IS,		/* a file: never waits for another process */
	STDIO_SOCKET,		/* shared socket: MSG_DONTWAIT */
	STDIO_PRIVATE,		/* *use is our own non-blocking descriptor */
	STDIO_DEVICE,		/* another device: poll() before reading */
	STDIO_SHARED		/* pipe or terminal, shared and blocking */
};

/* Sets *use to the descriptor to use for fd; says how to use it. */
static enum stdio_kind
stdio_open(int fd, int mode, int *use)
{
	struct stat st;

	*use = fd;
	if (fstat(fd, &st) == -1)
		return STDIO_SHARED;
	if (S_ISSOCK(st.st_mode))
		return STDIO_SOCKET;
	if (S_ISFIFO(st.st_mode) || isatty(fd)) {
		if ((*use = open_private(fd, mode, &st)) != -1)
			return STDIO_PRIVATE;
		*use = fd;
		return STDIO_SHARED;
	}
	if (S_ISCHR(st.st_mode))
		return STDIO_DEVICE;
	return STDIO_AS_IS;
}

void
local_stdio(struct local *l, bool keep_output, bool no_input,
    bool no_output)
{
	enum stdio_kind kind;

	local_init(l);
	l->is_stdio = true;
	l->keep_output = keep_output;
	l->in_name = "standard input";
	l->out_name = "standard output";
	if (!no_input) {
		l->in_is_tty = isatty(STDIN_FILENO);
		kind = stdio_open(STDIN_FILENO, O_RDONLY, &l->in_fd);
		l->in_blocking = kind == STDIO_DEVICE || kind == STDIO_SHARED;
		l->in_dontwait = kind == STDIO_SOCKET;
	}
	if (!no_output) {
		/* Devices (/dev/null, ...) take whole writes at once. */
		kind = stdio_open(STDOUT_FILENO, O_WRONLY, &l->out_fd);
		l->out_blocking = kind == STDIO_SHARED;
		l->out_dontwait = kind == STDIO_SOCKET;
	}
}

ssize_t
local_read(const struct local *l, void *buf, size_t len)
{
	if (l->in_dontwait)
		return recv(l->in_fd, buf, len, MSG_DONTWAIT);
	return read(l->in_fd, buf, len);
}

ssize_t
local_write(const struct local *l, const void *buf, size_t len)
{
	if (l->out_dontwait)
		return send(l->out_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (l->out_blocking && len > PIPE_BUF)
		len = PIPE_BUF;
	return write(l->out_fd, buf, len);
}

/* In the child, between fork() and exec: only async-signal-safe calls,
 * apart from setenv() (this program has one thread). */
static void
exec_child(int to_child[2], int from_child[2], const char *cmd,
    const char *peer_token, const char *peer_addr)
{
	static const char msg[] = "sealcat: cannot run /bin/sh for --exec\n";
	sigset_t none;

	/* A process group of its own, so that stopping the command stops
	 * all of it: both ends of "a | b", and its background jobs. */
	(void)setpgid(0, 0);
	/* Our handlers would write to our self-pipe; main() ignores SIGPIPE
	 * and the signals are blocked around fork(): none of it may reach
	 * the command. */
	sig_release();
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(to_child[0], STDIN_FILENO) == -1 ||
	    dup2(from_child[1], STDOUT_FILENO) == -1)
		_exit(127);
	if (setenv("SEALCAT_PEER", peer_token, 1) == -1 ||
	    setenv("SEALCAT_PEER_ADDR", peer_addr, 1) == -1)
		_exit(127);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(127);
}

int
local_exec(struct local *l, const char *cmd, const char *peer_token,
    const char *peer_addr)
{
	int to_child[2] = { -1, -1 };
	int from_child[2] = { -1, -1 };
	sigset_t old_mask;
	pid_t pid;

	local_init(l);
	if (pipe2(to_child, O_CLOEXEC) == -1 ||
	    pipe2(from_child, O_CLOEXEC) == -1) {
		log_errno("cannot create pipes for --exec");
		goto fail;
	}
	sig_block(&old_mask);
	if ((pid = fork()) == -1) {
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		log_errno("cannot start --exec command");
		goto fail;
	}
	if (pid == 0)
		exec_child(to_child, from_child, cmd, peer_token, peer_addr);
	/* Also here, so the group exists before we might signal it. */
	(void)setpgid(pid, pid);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(to_child[0]);
	close(from_child[1]);
	l->pid = pid;
	l->in_fd = from_child[0];
	l->out_fd = to_child[1];
	(void)io_set_nonblock(l->in_fd, true);
	(void)io_set_nonblock(l->out_fd, true);
	l->in_name = "the --exec command's output";
	l->out_name = "the --exec command's input";
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (to_child[i] != -1)
			close(to_child[i]);
		if (from_child[i] != -1)
			close(from_child[i]);
	}
	return -1;
}

int
local_forward(struct local *l, const char *host, const char *port,
    int family, long long deadline)
{
	char what[ADDR_MAX + 300];
	struct stream target;

	local_init(l);
	if (port == NULL) {
		snprintf(what, sizeof(what), "--forward target unix:%s", host);
		if (unix_connect(host, what, &target) == -1)
			return -1;
	} else {
		snprintf(what, sizeof(what), "--forward target %s:%s", host,
		    port);
		if (tcp_connect(host, port, family, deadline, what,
		    &target) == -1)
			return -1;
	}
	log_verbose("forwarding to %s", target.addr);
	(void)io_set_nonblock(target.fd, true);
	l->in_fd = target.fd;
	l->out_fd = target.fd;
	l->is_socket = true;
	l->in_name = "the --forward target";
	l->out_name = "the --forward target";
	return 0;
}

int
local_close_output(struct local *l)
{
	struct stat st;
	int null_fd, rc = 0;

	if (l->keep_output || l->output_closed || l->out_fd == -1)
		return 0;
	l->output_closed = true;
	if (fstat(l->out_fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    shutdown(l->out_fd, SHUT_WR) == -1)
		rc = -1;
	if (l->out_fd == l->in_fd)
		return rc;	/* one socket: its read side lives on */
	if (!l->is_stdio || l->out_fd > STDERR_FILENO) {
		/* close() is where a file system may report a failed write
		 * (NFS): the stream was not delivered then. */
		if (close(l->out_fd) == -1 && errno != EINTR)
			rc = -1;
	}
	if (l->is_stdio) {
		/* Our reader sees the end once every descriptor of ours on
		 * it is gone: the private one and descriptor 1, which stays
		 * taken (on /dev/null) so nothing else lands on it.  When
		 * descriptor 1 is the one we wrote, it is closed on its own
		 * first, so that a failure close() reports is seen. */
		if (l->out_fd == STDOUT_FILENO && rc == 0 &&
		    close(STDOUT_FILENO) == -1 && errno != EINTR)
			rc = -1;
		null_fd = open("/dev/null", O_WRONLY);
		if (null_fd != -1 && null_fd != STDOUT_FILENO) {
			dup2(null_fd, STDOUT_FILENO);
			close(null_fd);
		} else if (null_fd == -1)
			close(STDOUT_FILENO);
	}
	l->out_fd = -1;
	return rc;
}

/* Sends signo to the --exec command's process group (to the shell alone
 * if the group could not be made). */
static void
signal_group(pid_t group, int signo)
{
	if (kill(-group, signo) == -1 && errno == ESRCH)
		(void)kill(group, signo);
}

static void
report_exit(int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_verbose("the --exec command exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_verbose("the --exec command was killed by signal %d",
		    WTERMSIG(status));
}

/*
 * Waits until the --exec command's shell has exited and reaps it (true),
 * or until deadline passes (false).  With stop_on_signal, a SIGINT, SIGTERM
 * or SIGHUP also ends the wait (false).  SIGCHLD wakes us through the
 * self-pipe; without one (sig_catch() not called) we look every 10 ms.
 */
static bool
wait_exit(struct local *l, long long deadline, bool stop_on_signal)
{
	struct pollfd pfd = { .fd = sig_fd(), .events = POLLIN };
	int status, left;
	pid_t got;

	for (;;) {
		got = waitpid(l->pid, &status, WNOHANG);
		if (got == l->pid) {
			report_exit(status);
			l->pid = -1;
			return true;
		}
		if (got == -1 && errno != EINTR) {
			l->pid = -1;	/* not ours to wait for (ECHILD) */
			return true;
		}
		if (stop_on_signal && sig_caught() != 0)
			return false;
		if ((left = io_remaining_ms(deadline)) == 0)
			return false;
		if (pfd.fd == -1)
			(void)poll(NULL, 0, left > 0 && left < 10 ? left : 10);
		else if (poll(&pfd, 1, left) > 0)
			sig_drain();
	}
}

/*
 * Stops and reaps the --exec command.  After a complete stream it gets
 * EXEC_GRACE_MS to exit by itself (a signal to us cuts that short); a
 * command whose stream failed gets SIGTERM at once.  Either way, SIGTERM
 * goes to its whole process group, and SIGKILL follows EXEC_GRACE_MS
 * later: a command that ignores both its end of file and SIGTERM must not
 * hold its process (and a --max-conns slot) forever.
 */
static void
reap(struct local *l, bool failed)
{
	pid_t group = l->pid;

	if (!failed && wait_exit(l, io_now_ms() + EXEC_GRACE_MS, true))
		return;
	if (!failed) {
		log_verbose("the --exec command is still running — stopping "
		    "it");
		signal_group(group, SIGTERM);
	}
	if (wait_exit(l, io_now_ms() + EXEC_GRACE_MS, false))
		return;
	log_verbose("the --exec command ignored SIGTERM for %d s — killing "
	    "it", EXEC_GRACE_MS / 1000);
	signal_group(group, SIGKILL);
	(void)wait_exit(l, IO_NO_DEADLINE, false);
}

void
local_finish(struct local *l, bool failed)
{
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };

	/* A truncated stream must not look finished to whoever consumes
	 * it: "cat > f && mv f backup" must never reach the mv, and neither
	 * may "cat | (cat > f && mv f backup)".  So the whole group is
	 * stopped, before its input is closed. */
	if (failed && l->pid > 0)
		signal_group(l->pid, SIGTERM);
	if (failed && l->is_socket && l->in_fd != -1)
		(void)setsockopt(l->in_fd, SOL_SOCKET, SO_LINGER, &reset,
		    sizeof(reset));

	/* Of standard input and output only our private descriptors. */
	if (l->in_fd != -1 && (!l->is_stdio || l->in_fd > STDERR_FILENO))
		close(l->in_fd);
	if (l->out_fd != -1 && l->out_fd != l->in_fd &&
	    (!l->is_stdio || l->out_fd > STDERR_FILENO))
		close(l->out_fd);
	l->in_fd = -1;
	l->out_fd = -1;
	if (l->pid > 0)
		reap(l, failed);
}
