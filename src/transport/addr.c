/*
 * addr.c - addresses as text, see addr.h.  Which address a connection has
 * is tcp.c's business; this file only prints and parses.
 */
#include "transport/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

void
addr_format(const struct sockaddr *sa, socklen_t sa_len, char *out,
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

const char *
addr_refused_fix(const char *what)
{
	static const struct {
		const char *prefix;
		const char *fix;
	} fixes[] = {
		{ "--forward ", "start the service there, or fix --forward" },
		{ "proxy ", "start the proxy, or fix --proxy (or "
		    "SEALCAT_PROXY)" },
		{ "relay ", "check that sealcat relay runs there" },
	};

	for (size_t i = 0; i < ARRAY_LEN(fixes); i++)
		if (strncmp(what, fixes[i].prefix,
		    strlen(fixes[i].prefix)) == 0)
			return fixes[i].fix;
	return "is the listener running?";
}

bool
addr_is_loopback(const struct sockaddr *sa, socklen_t sa_len)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa->sa_family == AF_INET && sa_len >= sizeof(*sin)) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6 && sa_len >= sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return true;
		/* ::ffff:127.x.y.z, as a dual-stack listener sees IPv4. */
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		    sin6->sin6_addr.s6_addr[12] == 127;
	}
	return false;
}

int
addr_split_host_port(const char *arg, char *host, size_t host_cap,
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

int
addr_join_host_port(const char *host, const char *port, char *out,
    size_t out_cap)
{
	int n = snprintf(out, out_cap,
	    strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, port);

	if (n < 0 || (size_t)n >= out_cap)
		return -1;
	return 0;
}
