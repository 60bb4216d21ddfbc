/*
 * local.h - the plaintext side of a connection: standard input and output,
 * an --exec child's pipes, or a --forward TCP connection.  The relay reads
 * what to send from in_fd and writes what arrives to out_fd.
 */
#ifndef SEALCAT_LOCAL_H
#define SEALCAT_LOCAL_H

#include <stdbool.h>
#include <sys/types.h>

struct local {
	int in_fd;		/* plaintext to send is read here */
	int out_fd;		/* plaintext received is written here */
	bool in_blocking;	/* a terminal: read only after poll() */
	bool in_is_tty;		/* the ending rule for terminals applies */
	bool keep_output;	/* listen -k on stdio: never close stdout */
	bool output_closed;
	bool is_socket;		/* --forward: in_fd == out_fd, a TCP socket */
	pid_t pid;		/* the --exec child, or -1 */
	int in_flags;		/* stdio: file status flags to restore, or -1 */
	int out_flags;
	const char *in_name;	/* for messages: "standard input", ... */
	const char *out_name;
};

/*
 * Makes sure descriptors 0, 1 and 2 are open (on /dev/null if they were
 * not), so no socket or file we open can land on them.  Call before
 * opening any.  When stdout carries our output (the stream, a token),
 * pass what the user can do about a closed one: then a closed stdout is
 * reported as "standard output is closed — <stdout_fix>" and -1 returned
 * (exit 2).  With NULL, a closed stdout is put on /dev/null like the
 * others.  Returns 0 otherwise.
 */
int local_guard_stdio(const char *stdout_fix);

/*
 * Standard input and output.  Pipes and sockets are made non-blocking for
 * the relay (and restored by local_finish()); a terminal stays blocking.
 * keep_output keeps stdout open after the peer's stream ends (listen -k).
 * With no_input (--recv-only) stdin is left alone and in_fd is -1; with
 * no_output (--send-only) stdout is left alone and out_fd is -1.
 */
void local_stdio(struct local *l, bool keep_output, bool no_input,
    bool no_output);

/*
 * Runs /bin/sh -c cmd with its stdin and stdout on pipes to us, its stderr
 * ours, SIGPIPE at its default and SEALCAT_PEER / SEALCAT_PEER_ADDR in its
 * environment.  Returns 0, or -1 after reporting.
 */
int local_exec(struct local *l, const char *cmd, const char *peer_token,
    const char *peer_addr);

/*
 * Connects to the --forward target host:port within deadline.  Returns 0,
 * or -1 after reporting.
 */
int local_forward(struct local *l, const char *host, const char *port,
    int family, long long deadline);

/*
 * The peer's stream has ended and everything was written: signal EOF to
 * whoever reads our output (close the pipe, shut down the socket's write
 * side, close stdout), unless keep_output.
 */
void local_close_output(struct local *l);

/*
 * Closes what local_* opened, restores stdio flags and waits for the
 * --exec child (reporting a failure of it with -v).  With failed (the
 * stream did not end with the peer's CLOSE), the end is made abnormal so
 * it cannot pass for a complete stream: the --exec command gets SIGTERM
 * and the --forward connection is reset.  Accepts a struct that was never
 * set up (pid -1, fds -1).  Safe to call twice.
 */
void local_finish(struct local *l, bool failed);

/* A struct local that owns nothing, for local_finish() on error paths. */
void local_init(struct local *l);

#endif
