/*
 * local.c - the plaintext side of a connection, see local.h.  The stream
 * itself is moved by relay.c; this file only opens, closes and reaps.
 */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

void
local_init(struct local *l)
{
	memset(l, 0, sizeof(*l));
	l->in_fd = -1;
	l->out_fd = -1;
	l->pid = -1;
	l->in_flags = -1;
	l->out_flags = -1;
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

/* Non-blocking unless a terminal (which is shared with the shell and
 * must be left as we found it).  Returns the flags to restore, or -1. */
static int
stdio_nonblock(int fd)
{
	if (isatty(fd))
		return -1;
	return net_set_nonblock(fd, true);
}

void
local_stdio(struct local *l, bool keep_output, bool no_input,
    bool no_output)
{
	local_init(l);
	l->keep_output = keep_output;
	l->in_name = "standard input";
	l->out_name = "standard output";
	if (!no_input) {
		l->in_fd = STDIN_FILENO;
		l->in_is_tty = isatty(STDIN_FILENO);
		l->in_flags = stdio_nonblock(STDIN_FILENO);
		l->in_blocking = l->in_flags == -1;
	}
	if (!no_output) {
		l->out_fd = STDOUT_FILENO;
		l->out_flags = stdio_nonblock(STDOUT_FILENO);
	}
}

/* In the child, between fork() and exec: only async-signal-safe calls,
 * apart from setenv() (this program has one thread). */
static void
exec_child(int to_child[2], int from_child[2], const char *cmd,
    const char *peer_token, const char *peer_addr)
{
	static const char msg[] = "sealcat: cannot run /bin/sh for --exec\n";
	sigset_t none;

	/* main() ignores SIGPIPE and listen blocks SIGCHLD; both would be
	 * inherited across exec and surprise the command. */
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
	pid_t pid;

	local_init(l);
	if (pipe2(to_child, O_CLOEXEC) == -1 ||
	    pipe2(from_child, O_CLOEXEC) == -1) {
		log_errno("cannot create pipes for --exec");
		goto fail;
	}
	if ((pid = fork()) == -1) {
		log_errno("cannot start --exec command");
		goto fail;
	}
	if (pid == 0)
		exec_child(to_child, from_child, cmd, peer_token, peer_addr);
	close(to_child[0]);
	close(from_child[1]);
	l->pid = pid;
	l->in_fd = from_child[0];
	l->out_fd = to_child[1];
	(void)net_set_nonblock(l->in_fd, true);
	(void)net_set_nonblock(l->out_fd, true);
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
	char what[NET_ADDR_MAX + 300];
	char shown[NET_ADDR_MAX];
	int fd;

	local_init(l);
	snprintf(what, sizeof(what), "--forward target %s:%s", host, port);
	fd = net_connect(host, port, family, deadline, what, shown,
	    sizeof(shown));
	if (fd == -1)
		return -1;
	log_verbose("forwarding to %s", shown);
	(void)net_set_nonblock(fd, true);
	l->in_fd = fd;
	l->out_fd = fd;
	l->is_socket = true;
	l->in_name = "the --forward target";
	l->out_name = "the --forward target";
	return 0;
}

void
local_close_output(struct local *l)
{
	struct stat st;
	int null_fd;

	if (l->keep_output || l->output_closed || l->out_fd == -1)
		return;
	l->output_closed = true;
	if (fstat(l->out_fd, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)shutdown(l->out_fd, SHUT_WR);
	if (l->out_fd == l->in_fd)
		return;		/* one socket: its read side lives on */
	if (l->out_fd == STDOUT_FILENO) {
		/* Keep descriptor 1 taken so nothing else lands on it. */
		if (l->out_flags != -1)
			(void)fcntl(STDOUT_FILENO, F_SETFL, l->out_flags);
		l->out_flags = -1;
		null_fd = open("/dev/null", O_WRONLY);
		if (null_fd != -1) {
			dup2(null_fd, STDOUT_FILENO);
			close(null_fd);
		} else
			close(STDOUT_FILENO);
	} else
		close(l->out_fd);
	l->out_fd = -1;
}

static void
reap(struct local *l)
{
	int status;
	pid_t got;

	do
		got = waitpid(l->pid, &status, 0);
	while (got == -1 && errno == EINTR);
	if (got == l->pid) {
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			log_verbose("the --exec command exited with status %d",
			    WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			log_verbose("the --exec command was killed by signal "
			    "%d", WTERMSIG(status));
	}
	l->pid = -1;
}

void
local_finish(struct local *l, bool failed)
{
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	bool is_stdio = l->in_fd == STDIN_FILENO ||
	    l->out_fd == STDOUT_FILENO;

	/* A truncated stream must not look finished to whoever consumes
	 * it: "cat > f && mv f backup" must never reach the mv. */
	if (failed && l->pid > 0)
		(void)kill(l->pid, SIGTERM);
	if (failed && l->is_socket && l->in_fd != -1)
		(void)setsockopt(l->in_fd, SOL_SOCKET, SO_LINGER, &reset,
		    sizeof(reset));

	if (l->in_flags != -1)
		(void)fcntl(STDIN_FILENO, F_SETFL, l->in_flags);
	if (l->out_flags != -1)
		(void)fcntl(STDOUT_FILENO, F_SETFL, l->out_flags);
	l->in_flags = -1;
	l->out_flags = -1;
	if (!is_stdio) {
		if (l->in_fd != -1)
			close(l->in_fd);
		if (l->out_fd != -1 && l->out_fd != l->in_fd)
			close(l->out_fd);
	}
	l->in_fd = -1;
	l->out_fd = -1;
	if (l->pid > 0)
		reap(l);
}
