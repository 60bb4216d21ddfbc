/*
 * activate.c - inherited listening sockets and connections, see
 * activate.h.  What runs on them is serve.c's and conn.c's.
 */
#include "transport/activate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport/addr.h"
#include "transport/io.h"
#include "base/log.h"
#include "transport/tcp.h"
#include "base/util.h"

/* True if fd is a listening stream socket. */
static bool
is_listening_stream(int fd)
{
	int type = 0, listening = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM)
		return false;
	len = sizeof(listening);
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
	    &len) == 0 && listening != 0;
}

/* Writes the local address of fd ("ADDR:PORT" or "unix:PATH") to out. */
static void
local_addr(int fd, char *out, size_t out_cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		snprintf(out, out_cap, "?");
	else if (ss.ss_family == AF_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		int n;

		sun->sun_path[sizeof(sun->sun_path) - 1] = '\0';
		/* Cut short if it must: this is for messages. */
		n = snprintf(out, out_cap, "unix:%s", sun->sun_path);
		(void)n;
	} else
		addr_format((struct sockaddr *)&ss, len, out, out_cap);
}

int
activate_listen_fds(int *fds, size_t fds_cap, size_t *count)
{
	const char *pid_text = getenv("LISTEN_PID");
	const char *fds_text = getenv("LISTEN_FDS");
	unsigned long pid, n;
	char shown[ADDR_MAX + 120];
	int fd;

	*count = 0;
	if (pid_text == NULL || fds_text == NULL)
		return 0;
	/* Meant for another process (a parent that did not clean up). */
	if (parse_number(pid_text, 1, (unsigned long)-1, &pid) == -1 ||
	    pid != (unsigned long)getpid())
		return 0;
	if (parse_number(fds_text, 0, fds_cap, &n) == -1) {
		log_error("LISTEN_FDS is '%s', not a count from 0 to %zu — "
		    "check the socket unit", fds_text, fds_cap);
		return -1;
	}
	for (unsigned long i = 0; i < n; i++) {
		fd = ACTIVATE_FD_START + (int)i;
		if (!is_listening_stream(fd)) {
			log_error("descriptor %d from systemd is not a "
			    "listening stream socket — use ListenStream= and "
			    "Accept=no, or --inetd with Accept=yes", fd);
			return -1;
		}
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
		    io_set_nonblock(fd, true) == -1) {
			log_errno("cannot set up descriptor %d from systemd",
			    fd);
			return -1;
		}
		local_addr(fd, shown, sizeof(shown));
		log_verbose("listening on %s (from systemd)", shown);
		fds[i] = fd;
	}
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	*count = n;
	return 0;
}

/* True if a and b are open on the same file. */
static bool
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
activate_inetd(struct stream *st)
{
	struct stat sb;
	int null_fd = -1;
	int fd = -1;
	bool err_too;

	stream_init(st);
	if (fstat(STDIN_FILENO, &sb) == -1 || !S_ISSOCK(sb.st_mode) ||
	    !same_file(STDIN_FILENO, STDOUT_FILENO)) {
		log_error("--inetd wants a connected socket on both stdin and "
		    "stdout — run it from inetd, a systemd socket with "
		    "Accept=yes, or socat's EXEC:");
		return -1;
	}
	err_too = same_file(STDIN_FILENO, STDERR_FILENO);
	if ((fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    dup2(null_fd, STDIN_FILENO) == -1 ||
	    dup2(null_fd, STDOUT_FILENO) == -1 ||
	    (err_too && dup2(null_fd, STDERR_FILENO) == -1)) {
		log_errno("cannot take the connection from stdin");
		if (fd != -1)
			close(fd);
		if (null_fd != -1)
			close(null_fd);
		return -1;
	}
	close(null_fd);
	if (io_set_nonblock(fd, false) == -1) {
		log_errno("cannot set up the connection from stdin");
		close(fd);
		return -1;
	}
	tcp_peer_addr(fd, st->addr, sizeof(st->addr));
	/* A Unix peer has no name: show the socket's, or "stdin" for a
	 * socket pair (socat's EXEC:). */
	if (st->addr[0] == '?')
		local_addr(fd, st->addr, sizeof(st->addr));
	if (strcmp(st->addr, "unix:") == 0)
		snprintf(st->addr, sizeof(st->addr), "stdin");
	st->fd = fd;
	return 0;
}
