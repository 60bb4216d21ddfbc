/*
 * tcp.c - the TCP transport, see tcp.h: name resolution, listening
 * sockets, accept, connect with a deadline, and socket tuning.  Moving
 * bytes is io.c's; printing addresses is addr.c's.
 */
#include "transport/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport/addr.h"
#include "transport/io.h"
#include "base/log.h"
#include "base/util.h"

/* Pending connections the kernel may queue while children are busy. */
#define LISTEN_BACKLOG 128
/* Congestion control for loopback connections, see tcp_tune(). */
#define LOOPBACK_CONGESTION "reno"

void
tcp_tune(int fd, bool loopback)
{
	int one = 1;

	/*
	 * No SO_SNDBUF or SO_RCVBUF: setting either turns off the kernel's
	 * autotuning of that buffer for the life of the socket, which caps
	 * a long path at about buffer / RTT (1 MiB gave 14 MB/s at 100 ms,
	 * where autotuning fills 1 Gbit/s: tests/bench/longpath.py), and
	 * gains nothing on loopback or a LAN.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/*
	 * Loopback has no path to congest.  A pacing congestion control
	 * (BBR, a common system default) still paces there, cutting a bulk
	 * stream into small timed bursts that cost the sender ~40% more
	 * kernel time; Reno does not pace and every kernel lets an
	 * unprivileged process pick it.  Other connections keep the
	 * system's choice.
	 */
	if (loopback)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION,
		    LOOPBACK_CONGESTION, strlen(LOOPBACK_CONGESTION));
}

static void
set_port(struct sockaddr *sa, unsigned port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)(void *)sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)sa)->sin6_port = htons(port);
}

static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/*
 * One listening socket for one address.  v6only says whether an IPv6
 * socket should refuse IPv4 peers (false for the dual-stack wildcard).
 */
static int
listen_one(struct sockaddr *sa, socklen_t sa_len, bool v6only, char *shown,
    size_t shown_cap)
{
	int one = 1;
	int v6 = v6only;
	int fd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6)) == -1)
		goto fail;
	if (bind(fd, sa, sa_len) == -1 || listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	set_port(sa, bound_port(fd));
	addr_format(sa, sa_len, shown, shown_cap);
	return fd;
fail:
	{
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

/*
 * The wildcard: one dual-stack IPv6 socket serves both families; a system
 * without IPv6 gets the IPv4 wildcard instead.
 */
static int
listen_wildcard(unsigned port, int family, int *fds, size_t *count)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	char shown[ADDR_MAX];
	int fd = -1;

	if (family != AF_INET) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		sin6.sin6_port = htons(port);
		fd = listen_one((struct sockaddr *)&sin6, sizeof(sin6),
		    family == AF_INET6, shown, sizeof(shown));
		if (fd == -1 && (family == AF_INET6 ||
		    (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL))) {
			log_errno("cannot listen on port %u", port);
			return -1;
		}
	}
	if (fd == -1) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_port = htons(port);
		fd = listen_one((struct sockaddr *)&sin, sizeof(sin), false,
		    shown, sizeof(shown));
		if (fd == -1) {
			log_errno("cannot listen on port %u", port);
			return -1;
		}
	}
	log_verbose("listening on %s", shown);
	fds[0] = fd;
	*count = 1;
	return 0;
}

int
tcp_listen(const char *host, const char *port, int family, int *fds,
    size_t fds_cap, size_t *count)
{
	struct addrinfo hints, *res = NULL, *ai;
	char shown[ADDR_MAX];
	unsigned long want_port;
	size_t n = 0;
	int err, fd;

	*count = 0;
	if (parse_number(port, 0, 65535, &want_port) == -1) {
		log_error("'%s' is not a port number — use 0 to 65535", port);
		return -1;
	}
	if (host == NULL)
		return listen_wildcard((unsigned)want_port, family, fds,
		    count);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((err = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_error("cannot resolve %s: %s — check the address", host,
		    gai_strerror(err));
		return -1;
	}
	for (ai = res; ai != NULL && n < fds_cap; ai = ai->ai_next) {
		/* Port 0: the kernel picks one for the first socket; the
		 * others follow it so one port number serves them all. */
		if (want_port == 0 && n > 0)
			set_port(ai->ai_addr, bound_port(fds[0]));
		fd = listen_one(ai->ai_addr, ai->ai_addrlen, true, shown,
		    sizeof(shown));
		if (fd == -1) {
			addr_format(ai->ai_addr, ai->ai_addrlen, shown,
			    sizeof(shown));
			log_errno("cannot listen on %s", shown);
			goto fail;
		}
		log_verbose("listening on %s", shown);
		fds[n++] = fd;
	}
	freeaddrinfo(res);
	*count = n;
	return 0;
fail:
	freeaddrinfo(res);
	while (n > 0)
		close(fds[--n]);
	return -1;
}

int
tcp_accept(int listen_fd, struct stream *st)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	stream_init(st);
	fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd == -1)
		return -1;
	addr_format((struct sockaddr *)&ss, len, st->addr, sizeof(st->addr));
	tcp_tune(fd, addr_is_loopback((struct sockaddr *)&ss, len));
	st->fd = fd;
	return 0;
}

/* Waits for a non-blocking connect() to finish.  Returns 0, or -1 with
 * errno set. */
static int
connect_wait(int fd, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;
	int n;

	for (;;) {
		n = poll(&pfd, 1, io_remaining_ms(deadline));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* The message for the last failed attempt (errno value saved). */
static void
report_connect(const char *what, int saved)
{
	if (saved == ETIMEDOUT)
		log_error("cannot connect to %s: timed out — check the "
		    "address, or raise -w", what);
	else if (saved == ECONNREFUSED)
		log_error("cannot connect to %s: connection refused — %s",
		    what, addr_refused_fix(what));
	else {
		errno = saved;
		log_errno("cannot connect to %s", what);
	}
}

int
tcp_connect(const char *host, const char *port, int family,
    long long deadline, const char *what, struct stream *st)
{
	return tcp_connect_try(host, port, family, deadline, what, st, NULL);
}

int
tcp_connect_try(const char *host, const char *port, int family,
    long long deadline, const char *what, struct stream *st, bool *again)
{
	struct addrinfo hints, *res = NULL, *ai;
	int err, fd = -1;
	int saved = 0;
	bool loopback = false;

	stream_init(st);
	if (again != NULL)
		*again = false;
	if (addr_join_host_port(host, port, st->name, sizeof(st->name)) ==
	    -1) {
		log_error("host name too long: %s", host);
		return -1;
	}
	if (what == NULL)
		what = st->name;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((err = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_error("cannot resolve %s: %s — check the host name", host,
		    gai_strerror(err));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && connect_wait(fd, deadline) == 0)) {
			addr_format(ai->ai_addr, ai->ai_addrlen, st->addr,
			    sizeof(st->addr));
			loopback = addr_is_loopback(ai->ai_addr,
			    ai->ai_addrlen);
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
		if (saved == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1 && again != NULL && (saved == ECONNREFUSED ||
	    saved == ENETUNREACH || saved == EHOSTUNREACH)) {
		*again = true;
		return -1;
	}
	if (fd == -1) {
		report_connect(what, saved);
		return -1;
	}
	if (io_set_nonblock(fd, false) == -1) {
		log_errno("cannot set up the socket to %s", what);
		close(fd);
		return -1;
	}
	tcp_tune(fd, loopback);
	st->fd = fd;
	return 0;
}

void
tcp_peer_addr(int fd, char *out, size_t out_cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		snprintf(out, out_cap, "?");
	else
		addr_format((struct sockaddr *)&ss, len, out, out_cap);
}
