/*
 * unix.h - the Unix-socket transport: listen on a path we create, accept,
 * connect, and remove the socket again, but only while it is still the one
 * we created.  A connection comes out as a struct stream (stream.h) named
 * "unix:PATH", the name known_peers and the logs use.
 */
#ifndef SEALCAT_UNIX_H
#define SEALCAT_UNIX_H

#include <stdbool.h>
#include <sys/types.h>

#include "transport/stream.h"

/* The prefix that marks an endpoint as a Unix socket path: "unix:PATH". */
#define UNIX_PREFIX "unix:"

/* Who may connect to a socket we create without --unix-mode: us. */
#define UNIX_MODE_DEFAULT 0600

/* A socket file we created: its path and identity, for unix_remove(). */
struct unix_owned {
	char path[108];		/* sizeof(sun_path) on Linux */
	dev_t dev;
	ino_t ino;
	bool made;
};

/* The path in "unix:PATH", or NULL if arg does not start with "unix:". */
const char *unix_path(const char *arg);

/*
 * Creates a listening Unix stream socket at path with the permission bits
 * mode (the umask is not applied), non-blocking and close-on-exec, and
 * records it in owned.  An existing file at path is left alone and
 * refused.  Prints "listening on unix:PATH" with -v.  Returns the
 * descriptor, or -1 after reporting.
 */
int unix_listen(const char *path, mode_t mode, struct unix_owned *owned);

/*
 * Removes the socket owned names if the file there is still that socket
 * (same device and inode): a file someone put there since is not ours.
 * Does nothing when owned is NULL or nothing was made; never reports.
 */
void unix_remove(struct unix_owned *owned);

/* True if fd is a Unix-domain socket. */
bool unix_is_unix(int fd);

/*
 * Accepts one connection on a listening Unix socket into st: blocking and
 * close-on-exec, addr and name "unix:PATH" of the listening socket (the
 * client's end has no name).  Returns 0, or -1 with errno set and nothing
 * reported.
 */
int unix_accept(int listen_fd, struct stream *st);

/*
 * Connects to the Unix socket at path into st: blocking, close-on-exec,
 * addr and name "unix:PATH".  what names the target in messages; NULL:
 * the name.  Returns 0, or -1 after reporting.
 */
int unix_connect(const char *path, const char *what, struct stream *st);

/* As unix_connect(), but no socket yet or a refusal (ENOENT,
 * ECONNREFUSED) is not reported and sets *again, as tcp_connect_try(). */
int unix_connect_try(const char *path, const char *what, struct stream *st,
    bool *again);

#endif
