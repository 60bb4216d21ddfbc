/*
 * test_sig.c - the self-pipe (sig.c): what wakes it, what is recorded,
 * that ignored signals stay ignored, that a stop signal interrupts a
 * blocking call, that sig_release() puts everything back and that
 * sig_end() ends a process by the signal it caught.  The order matters:
 * the first stop signal stays recorded for the rest of the program.
 */
#include "base/sig.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

/* True if the self-pipe becomes readable within ms. */
static bool
woken(int ms)
{
	struct pollfd pfd = { .fd = sig_fd(), .events = POLLIN };
	int n;

	/* The handler runs first, and interrupts a poll() under way. */
	while ((n = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
		continue;
	return pfd.fd != -1 && n == 1;
}

/* True if signo's handler is want (SIG_DFL, SIG_IGN). */
static bool
handled_by(int signo, void (*want)(int))
{
	struct sigaction sa;

	if (sigaction(signo, NULL, &sa) == -1)
		abort();
	return sa.sa_handler == want;
}

static void
test_child_wakes(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(0);
	ok(woken(5000), "a child's exit (SIGCHLD) wakes the pipe");
	ok(sig_caught() == 0, "SIGCHLD is not a stop signal");
	sig_drain();
	ok(!woken(0), "sig_drain() empties the pipe");
	ok(waitpid(pid, &status, 0) == pid, "the child is still ours to reap");
}

/* A helper process that sends signo to us after a moment. */
static pid_t
signal_us_soon(int signo)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		usleep(100 * 1000);
		kill(parent, signo);
		_exit(0);
	}
	return pid;
}

static void
test_interrupts_blocking_read(void)
{
	int fds[2];
	char c;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) == -1)
		abort();
	pid = signal_us_soon(SIGINT);
	n = read(fds[0], &c, 1);	/* nobody writes: blocks */
	ok(n == -1 && errno == EINTR, "a stop signal interrupts a blocking "
	    "read (no SA_RESTART)");
	waitpid(pid, NULL, 0);
	sig_drain();
	close(fds[0]);
	close(fds[1]);
}

/* sig_end() in a child: how did the child end? */
static int
end_in_child(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		sig_end();
		_exit(7);	/* sig_end() returned */
	}
	if (waitpid(pid, &status, 0) != pid)
		abort();
	return status;
}

int
main(void)
{
	int status;

	ok(sig_fd() == -1 && sig_caught() == 0, "nothing before sig_catch()");
	status = end_in_child();
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 7, "sig_end() with "
	    "nothing caught returns");
	signal(SIGHUP, SIG_IGN);
	ok(sig_catch() == 0 && sig_fd() != -1, "sig_catch() makes the pipe");
	ok(handled_by(SIGHUP, SIG_IGN), "an ignored SIGHUP stays "
	    "ignored (nohup)");
	raise(SIGHUP);
	ok(sig_caught() == 0 && !woken(0), "so raising it records nothing");
	ok(!handled_by(SIGTERM, SIG_DFL) &&
	    !handled_by(SIGINT, SIG_DFL), "SIGTERM and SIGINT are "
	    "caught");
	test_child_wakes();
	raise(SIGTERM);
	ok(sig_caught() == SIGTERM && woken(0), "SIGTERM is recorded and "
	    "wakes the pipe");
	ok(sig_exit_status() == 143, "status 128 + 15: %d", sig_exit_status());
	sig_drain();
	test_interrupts_blocking_read();
	ok(sig_caught() == SIGTERM, "the first stop signal is the one kept");
	ok(strcmp(sig_name(SIGTERM), "SIGTERM") == 0 &&
	    strcmp(sig_name(SIGINT), "SIGINT") == 0 &&
	    strcmp(sig_name(SIGHUP), "SIGHUP") == 0, "sig_name()");
	sig_release();
	ok(sig_fd() == -1 && handled_by(SIGTERM, SIG_DFL) &&
	    handled_by(SIGHUP, SIG_IGN) &&
	    handled_by(SIGCHLD, SIG_DFL), "sig_release() puts back "
	    "what it found");
	ok(sig_caught() == SIGTERM, "and the signal stays recorded");
	status = end_in_child();
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "sig_end() "
	    "ends the process by the signal caught");
	return tap_done();
}
