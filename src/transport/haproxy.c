/*
 * haproxy.c - the PROXY protocol header, see haproxy.h.  Section numbers
 * are those of haproxy's doc/proxy-protocol.txt.
 */
#include "transport/haproxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "transport/io.h"

/* §2.2: the v2 signature, then version 2 with LOCAL or PROXY, then the
 * address family and protocol. */
static const uint8_t V2_SIGNATURE[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
#define V2_LOCAL 0x20
#define V2_PROXY 0x21
#define V2_UNSPEC 0x00
#define V2_TCP4 0x11
#define V2_TCP6 0x21

/* One end of the connection as the header names it. */
struct end {
	int family;		/* AF_INET, AF_INET6, or AF_UNSPEC */
	uint8_t addr[16];	/* 4 or 16 bytes, network order */
	uint16_t port;		/* host order */
};

static const uint8_t V4_MAPPED[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* An IPv4-mapped IPv6 address becomes IPv4. */
static struct end
end_of(const struct sockaddr *sa)
{
	struct end e = { .family = AF_UNSPEC };
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;

	if (sa == NULL)
		return e;
	if (sa->sa_family == AF_INET) {
		in4 = (const struct sockaddr_in *)sa;
		e.family = AF_INET;
		memcpy(e.addr, &in4->sin_addr, 4);
		e.port = ntohs(in4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		in6 = (const struct sockaddr_in6 *)sa;
		e.port = ntohs(in6->sin6_port);
		if (memcmp(in6->sin6_addr.s6_addr, V4_MAPPED,
		    sizeof(V4_MAPPED)) == 0) {
			e.family = AF_INET;
			memcpy(e.addr, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			e.family = AF_INET6;
			memcpy(e.addr, in6->sin6_addr.s6_addr, 16);
		}
	}
	return e;
}

/* An IPv4 end as IPv4-mapped IPv6, for a pair of mixed families. */
static void
map_to_v6(struct end *e)
{
	uint8_t v4[4];

	if (e->family != AF_INET)
		return;
	memcpy(v4, e->addr, sizeof(v4));
	memcpy(e->addr, V4_MAPPED, sizeof(V4_MAPPED));
	memcpy(e->addr + 12, v4, sizeof(v4));
	e->family = AF_INET6;
}

static size_t
header_v1(const struct end *src, const struct end *dst, uint8_t *buf)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int n;

	if (src->family == AF_UNSPEC) {
		memcpy(buf, "PROXY UNKNOWN\r\n", 15);
		return 15;
	}
	inet_ntop(src->family, src->addr, s, sizeof(s));
	inet_ntop(dst->family, dst->addr, d, sizeof(d));
	n = snprintf((char *)buf, HAPROXY_HEADER_MAX, "PROXY %s %s %s %u %u\r\n",
	    src->family == AF_INET ? "TCP4" : "TCP6", s, d, src->port,
	    dst->port);
	return n > 0 && n < HAPROXY_HEADER_MAX ? (size_t)n : 0;
}

static size_t
header_v2(const struct end *src, const struct end *dst, uint8_t *buf)
{
	size_t addr_len = src->family == AF_INET ? 4 : 16;
	size_t len = sizeof(V2_SIGNATURE) + 4;
	size_t body_len;

	memcpy(buf, V2_SIGNATURE, sizeof(V2_SIGNATURE));
	if (src->family == AF_UNSPEC) {
		buf[12] = V2_LOCAL;
		buf[13] = V2_UNSPEC;
		buf[14] = 0;
		buf[15] = 0;
		return len;
	}
	body_len = 2 * addr_len + 4;
	buf[12] = V2_PROXY;
	buf[13] = src->family == AF_INET ? V2_TCP4 : V2_TCP6;
	buf[14] = (uint8_t)(body_len >> 8);
	buf[15] = (uint8_t)body_len;
	memcpy(buf + len, src->addr, addr_len);
	memcpy(buf + len + addr_len, dst->addr, addr_len);
	len += 2 * addr_len;
	buf[len++] = (uint8_t)(src->port >> 8);
	buf[len++] = (uint8_t)src->port;
	buf[len++] = (uint8_t)(dst->port >> 8);
	buf[len++] = (uint8_t)dst->port;
	return len;
}

size_t
haproxy_header(enum haproxy_version v, const struct sockaddr *src,
    const struct sockaddr *dst, uint8_t *buf)
{
	struct end s = end_of(src), d = end_of(dst);

	if (s.family == AF_UNSPEC || d.family == AF_UNSPEC)
		s.family = d.family = AF_UNSPEC;
	else if (s.family != d.family) {
		map_to_v6(&s);
		map_to_v6(&d);
	}
	if (v == HAPROXY_V1)
		return header_v1(&s, &d, buf);
	if (v == HAPROXY_V2)
		return header_v2(&s, &d, buf);
	return 0;
}

int
haproxy_send(int fd, int client_fd, enum haproxy_version v,
    long long deadline)
{
	struct sockaddr_storage peer, local;
	socklen_t peer_len = sizeof(peer), local_len = sizeof(local);
	uint8_t buf[HAPROXY_HEADER_MAX];
	bool known;
	size_t len;

	/* A client on a pipe (--inetd under socat) has no address. */
	known = getpeername(client_fd, (struct sockaddr *)&peer,
	    &peer_len) == 0 && getsockname(client_fd,
	    (struct sockaddr *)&local, &local_len) == 0;
	len = haproxy_header(v, known ? (struct sockaddr *)&peer : NULL,
	    known ? (struct sockaddr *)&local : NULL, buf);
	if (len == 0) {
		log_error("cannot make the PROXY protocol header — this is a "
		    "bug");
		return -1;
	}
	if (io_write_all(fd, buf, len, deadline) == -1) {
		log_errno("cannot send the PROXY protocol header to the "
		    "--forward target");
		return -1;
	}
	return 0;
}

enum haproxy_version
haproxy_version_parse(const char *arg)
{
	if (strcmp(arg, "v1") == 0)
		return HAPROXY_V1;
	if (strcmp(arg, "v2") == 0)
		return HAPROXY_V2;
	return HAPROXY_OFF;
}
