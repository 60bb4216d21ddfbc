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
	bool in_blocking;	/* blocking: read only after poll() says so */
	bool out_blocking;	/* blocking: write only after poll() says so,
				 * PIPE_BUF bytes at most */
	bool in_dontwait;	/* a shared socket: recv(MSG_DONTWAIT) */
	bool out_dontwait;	/* a shared socket: send(MSG_DONTWAIT) */
	bool in_is_tty;		/* the ending rule for terminals applies */
	bool is_stdio;		/* standard input and output (in_fd and out_fd
				 * may be private descriptors of them) */
	bool keep_output;	/* listen -k on stdio: never close stdout */
	bool output_closed;
	bool is_socket;		/* --forward: in_fd == out_fd, a TCP socket */
	pid_t pid;		/* the --exec child, or -1 */
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
 * Standard input and output, for reading and writing without blocking and
 * without changing their file status flags, which we share with the shell
 * and others (how: see local.c).  Nothing shared is changed, so no exit
 * path, a signal included, has anything to put back.  keep_output keeps
 * stdout open after the peer's stream ends (listen -k).  With no_input
 * (--recv-only) stdin is left alone and in_fd is -1; with no_output
 * (--send-only) stdout is left alone and out_fd is -1.
 */
void local_stdio(struct local *l, bool keep_output, bool no_input,
    bool no_output);

/*
 * read() and write() on in_fd and out_fd as the flags above say.  Both
 * return what read() and write() return; -1 with EAGAIN means "poll
 * first" (a local_write() may write less than len).
 */
ssize_t local_read(const struct local *l, void *buf, size_t len);
ssize_t local_write(const struct local *l, const void *buf, size_t len);

/*
 * Runs /bin/sh -c cmd in a process group of its own, with its stdin and
 * stdout on pipes to us, its stderr ours, SIGPIPE at its default and
 * SEALCAT_PEER / SEALCAT_PEER_ADDR in its environment.  Call sig_catch()
 * first, so that local_finish() is woken when it exits.  Returns 0, or -1
 * after reporting.
 */
int local_exec(struct local *l, const char *cmd, const char *peer_token,
    const char *peer_addr);

/*
 * Connects to the --forward target host:port within deadline; port NULL:
 * host is the path of a Unix socket.  Returns 0, or -1 after reporting.
 */
int local_forward(struct local *l, const char *host, const char *port,
    int family, long long deadline);

/*
 * The peer's stream has ended and everything was written: signal EOF to
 * whoever reads our output (close the pipe, shut down the socket's write
 * side, close stdout), unless keep_output.  Returns 0, or -1 with errno
 * when the close() or shutdown() failed (a file system reporting a failed
 * write at close(): the stream is not delivered); nothing reported.
 * Either way the output is closed, once.
 */
int local_close_output(struct local *l);

/*
 * Closes what local_* opened (of standard input and output, only private
 * descriptors) and reaps the --exec child (reporting a failure of it with
 * -v).  With failed (the stream did not end with the peer's CLOSE, or we
 * were interrupted), the end is made abnormal so it cannot pass for a
 * complete stream: the --exec command's process group gets SIGTERM before
 * its input is closed, and the --forward connection is reset.  Otherwise
 * the command gets a few seconds to exit after its end of file, then
 * SIGTERM; SIGKILL follows if SIGTERM did not end it within as long again
 * (see reap() for the numbers).  Accepts a struct that was never set up
 * (pid -1, fds -1).  Safe to call twice.
 */
void local_finish(struct local *l, bool failed);

/* A struct local that owns nothing, for local_finish() on error paths. */
void local_init(struct local *l);

#endif
