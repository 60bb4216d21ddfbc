/*
 * net.c - TCP plumbing, see net.h.  Nothing here knows about sealcat's
 * protocol; conn.c and local.c decide what the bytes mean.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* Pending connections the kernel may queue while children are busy. */
#define LISTEN_BACKLOG 128
/* Congestion control for loopback connections, see net_tune(). */
#define LOOPBACK_CONGESTION "reno"

long long
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
net_deadline(unsigned seconds)
{
	if (seconds == 0)
		return NET_NO_DEADLINE;
	return net_now_ms() + (long long)seconds * 1000;
}

int
net_remaining_ms(long long deadline)
{
	long long left;

	if (deadline == NET_NO_DEADLINE)
		return -1;
	left = deadline - net_now_ms();
	if (left <= 0)
		return 0;
	/* cli_seconds() caps timeouts at a day, far below INT_MAX ms. */
	return left > 86400LL * 1000 ? 86400 * 1000 : (int)left;
}

void
net_format_addr(const struct sockaddr *sa, socklen_t sa_len, char *out,
    size_t out_cap)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (sa->sa_family == AF_INET && sa_len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		snprintf(out, out_cap, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6 &&
	    sa_len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		port = ntohs(sin6->sin6_port);
		/* A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d;
		 * show them as the IPv4 addresses they are. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], host,
			    sizeof(host));
			snprintf(out, out_cap, "%s:%u", host, port);
		} else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, host,
			    sizeof(host));
			snprintf(out, out_cap, "[%s]:%u", host, port);
		}
	} else
		snprintf(out, out_cap, "?");
}

void
net_peer_addr(int fd, char *out, size_t out_cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		snprintf(out, out_cap, "?");
	else
		net_format_addr((struct sockaddr *)&ss, len, out, out_cap);
}

bool
net_is_loopback(const struct sockaddr *sa, socklen_t sa_len)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa->sa_family == AF_INET && sa_len >= sizeof(*sin)) {
		sin = (const struct sockaddr_in *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6 && sa_len >= sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return true;
		/* ::ffff:127.x.y.z, as a dual-stack listener sees IPv4. */
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    sin6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

void
net_tune(int fd, bool loopback)
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

int
net_set_nonblock(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	if (fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
	    == -1)
		return -1;
	return flags;
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
	net_format_addr(sa, sa_len, shown, shown_cap);
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
	char shown[NET_ADDR_MAX];
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
net_listen(const char *host, const char *port, int family, int *fds,
    size_t fds_cap, size_t *count)
{
	struct addrinfo hints, *res = NULL, *ai;
	char shown[NET_ADDR_MAX];
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
			net_format_addr(ai->ai_addr, ai->ai_addrlen, shown,
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
net_accept(int listen_fd, char *peer, size_t peer_cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd == -1)
		return -1;
	net_format_addr((struct sockaddr *)&ss, len, peer, peer_cap);
	net_tune(fd, net_is_loopback((struct sockaddr *)&ss, len));
	return fd;
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
		n = poll(&pfd, 1, net_remaining_ms(deadline));
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

int
net_connect(const char *host, const char *port, int family,
    long long deadline, const char *what, char *peer, size_t peer_cap)
{
	struct addrinfo hints, *res = NULL, *ai;
	int err, fd = -1;
	int saved = 0;
	bool loopback = false;

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
			net_format_addr(ai->ai_addr, ai->ai_addrlen, peer,
			    peer_cap);
			loopback = net_is_loopback(ai->ai_addr,
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
	if (fd == -1) {
		if (saved == ETIMEDOUT)
			log_error("cannot connect to %s: timed out — check the "
			    "address, or raise -w", what);
		else if (saved == ECONNREFUSED)
			log_error("cannot connect to %s: connection refused — "
			    "is the listener running?", what);
		else {
			errno = saved;
			log_errno("cannot connect to %s", what);
		}
		return -1;
	}
	if (net_set_nonblock(fd, false) == -1) {
		log_errno("cannot set up the socket to %s", what);
		close(fd);
		return -1;
	}
	net_tune(fd, loopback);
	return fd;
}

/* Waits until fd is ready for events or deadline.  Returns 0, or -1 with
 * errno set. */
static int
wait_ready(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	for (;;) {
		n = poll(&pfd, 1, net_remaining_ms(deadline));
		if (n > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

ssize_t
net_read_exact(int fd, void *buf, size_t len, long long deadline)
{
	bool is_socket = true;
	size_t got = 0;
	ssize_t n;

	/* Read first and wait only when nothing is there: the bytes asked
	 * for have usually arrived already. */
	while (got < len) {
		if (is_socket)
			n = recv(fd, (char *)buf + got, len - got,
			    MSG_DONTWAIT);
		else if (wait_ready(fd, POLLIN, deadline) == -1)
			return -1;
		else
			n = read(fd, (char *)buf + got, len - got);
		if (n == 0)
			break;
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (errno == ENOTSOCK && is_socket)
			is_socket = false;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_ready(fd, POLLIN, deadline) == -1)
				return -1;
		} else if (errno != EINTR)
			return -1;
	}
	return (ssize_t)got;
}

static int
send_all(int fd, const void *buf, size_t len, int flags, long long deadline)
{
	bool is_socket = true;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (is_socket)
			n = send(fd, (const char *)buf + done, len - done,
			    MSG_NOSIGNAL | MSG_DONTWAIT | flags);
		else if (wait_ready(fd, POLLOUT, deadline) == -1)
			return -1;
		else
			n = write(fd, (const char *)buf + done, len - done);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == ENOTSOCK && is_socket)
			is_socket = false;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_ready(fd, POLLOUT, deadline) == -1)
				return -1;
		} else if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
net_write_all(int fd, const void *buf, size_t len, long long deadline)
{
	return send_all(fd, buf, len, 0, deadline);
}

int
net_write_more(int fd, const void *buf, size_t len, long long deadline)
{
	return send_all(fd, buf, len, MSG_MORE, deadline);
}

void
net_push(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void
net_linger_close(int fd, int max_ms)
{
	long long deadline = net_now_ms() + max_ms;
	char sink[4096];
	ssize_t n;

	(void)shutdown(fd, SHUT_WR);
	while (wait_ready(fd, POLLIN, deadline) == 0) {
		n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			break;
	}
	close(fd);
}

int
net_split_host_port(const char *arg, char *host, size_t host_cap,
    char *port, size_t port_cap)
{
	const char *colon = strrchr(arg, ':');
	const char *h = arg;
	size_t h_len;
	int n;

	if (colon == NULL || colon == arg || colon[1] == '\0')
		return -1;
	h_len = (size_t)(colon - arg);
	if (arg[0] == '[') {
		if (h_len < 3 || arg[h_len - 1] != ']')
			return -1;
		h = arg + 1;
		h_len -= 2;
	} else if (memchr(arg, ':', h_len) != NULL)
		return -1;	/* a bare IPv6 address needs brackets */
	if (h_len >= host_cap)
		return -1;
	memcpy(host, h, h_len);
	host[h_len] = '\0';
	n = snprintf(port, port_cap, "%s", colon + 1);
	if (n < 0 || (size_t)n >= port_cap)
		return -1;
	return 0;
}
