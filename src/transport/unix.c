/*
 * unix.c - the Unix-socket transport, see unix.h.  Moving bytes is io.c's;
 * what runs over the stream is the session's.
 */
#include "transport/unix.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "transport/addr.h"

/* Pending connections the kernel may queue while children are busy. */
#define UNIX_BACKLOG 128

_Static_assert(sizeof(((struct unix_owned *)0)->path) ==
    sizeof(((struct sockaddr_un *)0)->sun_path),
    "struct unix_owned holds any socket path");

const char *
unix_path(const char *arg)
{
	if (arg == NULL || strncmp(arg, UNIX_PREFIX, strlen(UNIX_PREFIX)) != 0)
		return NULL;
	return arg + strlen(UNIX_PREFIX);
}

/* Fills sun from path.  Returns 0, or -1 after reporting. */
static int
make_address(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (path[0] == '\0') {
		log_error("unix: wants a path — write unix:PATH");
		return -1;
	}
	if (strlen(path) >= sizeof(sun->sun_path)) {
		log_error("socket path too long: %s — use one of at most %zu "
		    "bytes", path, sizeof(sun->sun_path) - 1);
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

static void
name_stream(const char *path, struct stream *st)
{
	/* addr is for messages, and may be cut short; name is whole. */
	snprintf(st->addr, sizeof(st->addr), UNIX_PREFIX "%s", path);
	snprintf(st->name, sizeof(st->name), UNIX_PREFIX "%s", path);
}

int
unix_listen(const char *path, mode_t mode, struct unix_owned *owned)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old_mask;
	int fd = -1;
	int rc;

	memset(owned, 0, sizeof(*owned));
	if (make_address(path, &sun) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		log_errno("cannot make a Unix socket");
		return -1;
	}
	/* The umask narrows the socket as bind() creates it, so it is
	 * never wider than mode, not even for a moment. */
	old_mask = umask((mode_t)~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc == -1) {
		if (errno == EADDRINUSE)
			log_error("cannot listen on " UNIX_PREFIX "%s: the "
			    "file exists — remove it if no listener uses it, "
			    "or pick another path", path);
		else
			log_errno("cannot listen on " UNIX_PREFIX "%s", path);
		close(fd);
		return -1;
	}
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		snprintf(owned->path, sizeof(owned->path), "%s", path);
		owned->dev = st.st_dev;
		owned->ino = st.st_ino;
		owned->made = true;
	}
	if (!owned->made || chmod(path, mode) == -1 ||
	    listen(fd, UNIX_BACKLOG) == -1) {
		log_errno("cannot listen on " UNIX_PREFIX "%s", path);
		unix_remove(owned);
		close(fd);
		return -1;
	}
	log_verbose("listening on " UNIX_PREFIX "%s", path);
	return fd;
}

void
unix_remove(struct unix_owned *owned)
{
	struct stat st;

	if (owned == NULL || !owned->made)
		return;
	owned->made = false;
	if (lstat(owned->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == owned->dev && st.st_ino == owned->ino)
		(void)unlink(owned->path);
}

bool
unix_is_unix(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}

int
unix_accept(int listen_fd, struct stream *st)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int fd;

	stream_init(st);
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    len <= offsetof(struct sockaddr_un, sun_path))
		sun.sun_path[0] = '\0';
	sun.sun_path[sizeof(sun.sun_path) - 1] = '\0';
	name_stream(sun.sun_path, st);
	st->fd = fd;
	return 0;
}

int
unix_connect(const char *path, const char *what, struct stream *st)
{
	return unix_connect_try(path, what, st, NULL);
}

int
unix_connect_try(const char *path, const char *what, struct stream *st,
    bool *again)
{
	struct sockaddr_un sun;
	int fd;

	stream_init(st);
	if (again != NULL)
		*again = false;
	if (make_address(path, &sun) == -1)
		return -1;
	name_stream(path, st);
	if (what == NULL)
		what = st->name;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_errno("cannot make a Unix socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (again != NULL && (errno == ENOENT ||
		    errno == ECONNREFUSED)) {
			*again = true;
			close(fd);
			return -1;
		}
		if (errno == ENOENT || errno == ECONNREFUSED)
			log_error("cannot connect to %s: %s — %s", what,
			    errno == ENOENT ? "no such socket" :
			    "connection refused", addr_refused_fix(what));
		else
			log_errno("cannot connect to %s", what);
		close(fd);
		return -1;
	}
	st->fd = fd;
	return 0;
}
