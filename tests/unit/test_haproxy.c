/*
 * test_haproxy.c - the PROXY protocol headers (haproxy.c), byte for byte
 * against haproxy's doc/proxy-protocol.txt: IPv4, IPv6, IPv4-mapped IPv6
 * (as TCP4), mixed families, and no address (a Unix-socket client).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "tap.h"
#include "transport/haproxy.h"

static struct sockaddr_in
v4(const char *ip, unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	inet_pton(AF_INET, ip, &sa.sin_addr);
	sa.sin_port = htons((uint16_t)port);
	return sa;
}

static struct sockaddr_in6
v6(const char *ip, unsigned port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, ip, &sa.sin6_addr);
	sa.sin6_port = htons((uint16_t)port);
	return sa;
}

static void
check(const char *what, enum haproxy_version v, const void *src,
    const void *dst, const void *want, size_t want_len)
{
	uint8_t buf[HAPROXY_HEADER_MAX];
	size_t len;

	memset(buf, 0xaa, sizeof(buf));
	len = haproxy_header(v, src, dst, buf);
	if (!ok(len == want_len && memcmp(buf, want, want_len) == 0, "%s",
	    what)) {
		tap_diag_hex("got", buf, len);
		tap_diag_hex("want", want, want_len);
	}
}

#define SIG "\r\n\r\n\0\r\nQUIT\n"

int
main(void)
{
	struct sockaddr_in c4 = v4("192.0.2.7", 51000);
	struct sockaddr_in l4 = v4("198.51.100.1", 9000);
	struct sockaddr_in6 c6 = v6("2001:db8::7", 443);
	struct sockaddr_in6 l6 = v6("2001:db8:0:1::1", 65535);
	struct sockaddr_in6 m6 = v6("::ffff:192.0.2.7", 51000);
	struct sockaddr_in6 ml6 = v6("::ffff:198.51.100.1", 9000);
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/s" };
	static const char v1_4[] =
	    "PROXY TCP4 192.0.2.7 198.51.100.1 51000 9000\r\n";
	static const char v1_6[] =
	    "PROXY TCP6 2001:db8::7 2001:db8:0:1::1 443 65535\r\n";
	static const char v1_mixed[] =
	    "PROXY TCP6 ::ffff:192.0.2.7 2001:db8:0:1::1 51000 65535\r\n";
	static const char v1_unknown[] = "PROXY UNKNOWN\r\n";
	static const uint8_t v2_4[] = SIG "\x21\x11\x00\x0c"
	    "\xc0\x00\x02\x07" "\xc6\x33\x64\x01" "\xc7\x38" "\x23\x28";
	static const uint8_t v2_6[] = SIG "\x21\x21\x00\x24"
	    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07"
	    "\x20\x01\x0d\xb8\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01"
	    "\x01\xbb" "\xff\xff";
	static const uint8_t v2_local[] = SIG "\x20\x00\x00\x00";
	uint8_t big[HAPROXY_HEADER_MAX];

	check("v1 TCP4", HAPROXY_V1, &c4, &l4, v1_4, sizeof(v1_4) - 1);
	check("v1 TCP6", HAPROXY_V1, &c6, &l6, v1_6, sizeof(v1_6) - 1);
	check("v1 IPv4-mapped IPv6 is TCP4", HAPROXY_V1, &m6, &ml6, v1_4,
	    sizeof(v1_4) - 1);
	check("v1 mapped client, mapped local only on one side: TCP4",
	    HAPROXY_V1, &m6, &l4, v1_4, sizeof(v1_4) - 1);
	check("v1 IPv4 client, IPv6 local: both as TCP6", HAPROXY_V1, &c4,
	    &l6, v1_mixed, sizeof(v1_mixed) - 1);
	check("v1 Unix client: UNKNOWN", HAPROXY_V1, &un, &un, v1_unknown,
	    sizeof(v1_unknown) - 1);
	check("v1 no address: UNKNOWN", HAPROXY_V1, NULL, NULL, v1_unknown,
	    sizeof(v1_unknown) - 1);
	check("v2 TCP4", HAPROXY_V2, &c4, &l4, v2_4, sizeof(v2_4) - 1);
	check("v2 TCP6", HAPROXY_V2, &c6, &l6, v2_6, sizeof(v2_6) - 1);
	check("v2 IPv4-mapped IPv6 is TCP4", HAPROXY_V2, &m6, &ml6, v2_4,
	    sizeof(v2_4) - 1);
	check("v2 Unix client: LOCAL, UNSPEC, no address", HAPROXY_V2, &un,
	    &un, v2_local, sizeof(v2_local) - 1);
	check("v2 no address: LOCAL", HAPROXY_V2, NULL, NULL, v2_local,
	    sizeof(v2_local) - 1);
	ok(haproxy_header(HAPROXY_OFF, (void *)&c4, (void *)&l4, big) == 0,
	    "off: no header");

	/* The longest v1 header fits with room to spare (§2.1: 107). */
	{
		struct sockaddr_in6 a = v6("ffff:ffff:ffff:ffff:ffff:ffff:"
		    "ffff:fffe", 65535);
		size_t len = haproxy_header(HAPROXY_V1, (void *)&a, (void *)&a,
		    big);
		ok(len == 104 && len <= 107 && big[len - 2] == '\r' &&
		    big[len - 1] == '\n', "longest v1 header: %zu bytes", len);
	}
	ok(haproxy_version_parse("v1") == HAPROXY_V1 &&
	    haproxy_version_parse("v2") == HAPROXY_V2, "v1 and v2 parse");
	ok(haproxy_version_parse("V1") == HAPROXY_OFF &&
	    haproxy_version_parse("1") == HAPROXY_OFF &&
	    haproxy_version_parse("") == HAPROXY_OFF, "others do not");
	return tap_done();
}
