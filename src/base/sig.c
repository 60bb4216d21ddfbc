/*
 * sig.c - the self-pipe for SIGINT, SIGTERM, SIGHUP and SIGCHLD, see
 * sig.h.  The handler records the signal and writes one byte; everything
 * else happens in the loops that poll sig_fd().
 */
#include "base/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

/* The signals that end sealcat, and the one that wakes a reaper. */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static volatile sig_atomic_t caught;
/* The self-pipe; the handler reads the write end, so it is volatile. */
static int read_fd = -1;
static volatile sig_atomic_t write_fd = -1;
static bool catching;
/* What sig_catch() found, for sig_release(); installed[i]: we replaced
 * it.  Index 3 is SIGCHLD. */
static struct sigaction saved[4];
static bool installed[4];

static void
on_signal(int signo)
{
	int saved_errno = errno;

	if (signo != SIGCHLD && caught == 0)
		caught = signo;
	/* Non-blocking: a full pipe already says "look". */
	if (write_fd != -1)
		(void)!write(write_fd, "", 1);
	errno = saved_errno;
}

/* Installs on_signal for signo unless it was ignored; slot indexes saved
 * and installed. */
static int
install(int signo, int flags, size_t slot)
{
	struct sigaction sa;

	if (sigaction(signo, NULL, &saved[slot]) == -1)
		return -1;
	if (signo != SIGCHLD && saved[slot].sa_handler == SIG_IGN)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;
	if (sigaction(signo, &sa, NULL) == -1)
		return -1;
	installed[slot] = true;
	return 0;
}

int
sig_catch(void)
{
	int fds[2];

	if (catching)
		return 0;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_errno("cannot set up signal handling");
		return -1;
	}
	read_fd = fds[0];
	write_fd = fds[1];
	catching = true;
	/* No SA_RESTART: a blocked write to a paused terminal must return
	 * so the relay can see the signal. */
	for (size_t i = 0; i < 3; i++)
		if (install(stop_signals[i], 0, i) == -1)
			goto fail;
	if (install(SIGCHLD, SA_RESTART | SA_NOCLDSTOP, 3) == -1)
		goto fail;
	return 0;
fail:
	log_errno("cannot set up signal handling");
	sig_release();
	return -1;
}

void
sig_release(void)
{
	for (size_t i = 0; i < 4; i++) {
		if (installed[i])
			(void)sigaction(i < 3 ? stop_signals[i] : SIGCHLD,
			    &saved[i], NULL);
		installed[i] = false;
	}
	if (write_fd != -1)
		close(write_fd);
	if (read_fd != -1)
		close(read_fd);
	write_fd = -1;
	read_fd = -1;
	catching = false;
}

int
sig_fd(void)
{
	return read_fd;
}

void
sig_drain(void)
{
	char sink[64];

	if (read_fd == -1)
		return;
	while (read(read_fd, sink, sizeof(sink)) > 0)
		continue;
}

int
sig_caught(void)
{
	return caught;
}

int
sig_exit_status(void)
{
	return 128 + caught;
}

void
sig_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < 3; i++)
		sigaddset(&set, stop_signals[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, old);
}

const char *
sig_name(int signo)
{
	switch (signo) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "a signal";
	}
}

void
sig_end(void)
{
	sigset_t set;
	int signo = caught;

	if (signo == 0)
		return;
	sig_release();
	signal(signo, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, signo);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(signo);
}
