/*
 * haproxy.h - the PROXY protocol header (haproxy's proxy-protocol.txt,
 * versions 1 and 2) that listen --forward --proxy-protocol sends first to
 * the --forward target, so that it sees the sealcat client's address
 * instead of ours.  Only sending: sealcat never parses one.
 */
#ifndef SEALCAT_HAPROXY_H
#define SEALCAT_HAPROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum haproxy_version {
	HAPROXY_OFF = 0,
	HAPROXY_V1,		/* text: "PROXY TCP4 SRC DST SPORT DPORT\r\n" */
	HAPROXY_V2		/* binary, signature \r\n\r\n\0\r\nQUIT\n */
};

/* The longest header we make: v1 with two IPv6 addresses is 104 bytes,
 * v2 with them 52 (the v1 limit in the specification is 107). */
#define HAPROXY_HEADER_MAX 108

/*
 * Writes the header of version v naming src (the client) and dst (the
 * address it connected to) into buf (HAPROXY_HEADER_MAX bytes at least)
 * and returns its length.  IPv4 and IPv4-mapped IPv6 addresses come out
 * as TCP4; a pair that is not both IP (a Unix socket, NULL) comes out as
 * "PROXY UNKNOWN\r\n" (v1) or a LOCAL command with no address (v2).  A
 * pure function, for the unit tests.
 */
size_t haproxy_header(enum haproxy_version v, const struct sockaddr *src,
    const struct sockaddr *dst, uint8_t *buf);

/*
 * Sends the header for the connection on client_fd (its peer and its
 * local address) on fd before deadline.  Returns 0, or -1 after
 * reporting.
 */
int haproxy_send(int fd, int client_fd, enum haproxy_version v,
    long long deadline);

/* "v1" or "v2"; anything else is HAPROXY_OFF. */
enum haproxy_version haproxy_version_parse(const char *arg);

#endif
