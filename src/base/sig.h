/*
 * sig.h - SIGINT, SIGTERM and SIGHUP, and SIGCHLD, turned into something a
 * poll() loop can wait for.  The handlers only record the signal and write
 * a byte to a pipe (the self-pipe); what to do about it is decided by the
 * code that polls: relay.c stops the stream and conn.c tells the peer,
 * local.c reaps, cmd_listen.c's supervisor stops its children.
 *
 * Only the first of SIGINT, SIGTERM and SIGHUP is recorded: it is the one
 * the process ends by (main() re-raises it once everything is cleaned up,
 * so a shell sees status 128 + n).  Signals that were ignored when
 * sig_catch() was called stay ignored (nohup, a background job's SIGINT).
 */
#ifndef SEALCAT_SIG_H
#define SEALCAT_SIG_H

#include <signal.h>

/*
 * Starts catching SIGINT, SIGTERM, SIGHUP and SIGCHLD.  SIGINT, SIGTERM
 * and SIGHUP interrupt blocking system calls (EINTR), so a write that
 * waits for a paused terminal returns; SIGCHLD does not.  Returns 0, or -1
 * after reporting.  Calling it again while catching does nothing.
 */
int sig_catch(void);

/*
 * Puts back the dispositions sig_catch() found and closes its pipe.  A
 * signal already recorded stays recorded (sig_caught()).  Safe without
 * sig_catch(), and in a child between fork() and exec(): it only calls
 * async-signal-safe functions.
 */
void sig_release(void);

/*
 * The read end of the self-pipe, for poll() with POLLIN: readable once a
 * signal was caught, until sig_drain().  -1 when not catching (poll()
 * ignores a negative descriptor).
 */
int sig_fd(void);

/* Empties the self-pipe after poll() said it was readable; sig_caught()
 * and waitpid() then say what happened. */
void sig_drain(void);

/* The first SIGINT, SIGTERM or SIGHUP caught, or 0. */
int sig_caught(void);

/* 128 + sig_caught(): what a shell shows for a process the signal ended,
 * and what a command returns to main() when it was interrupted. */
int sig_exit_status(void);

/* Blocks the signals sig_catch() handles, saving the old mask in old
 * (around fork(), so a child can reset the handlers first). */
void sig_block(sigset_t *old);

/* "SIGINT", "SIGTERM", "SIGHUP", or "a signal". */
const char *sig_name(int signo);

/*
 * Called by main() last: if a signal was caught, ends the process by that
 * signal, the way it would have ended without a handler.  Returns only
 * when nothing was caught (or the signal could not end us).
 */
void sig_end(void);

#endif
