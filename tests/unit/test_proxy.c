/*
 * test_proxy.c - the proxy code without a proxy (proxy.c): URL parsing
 * (credentials, %XX escapes, IPv6 brackets, bad URLs, which must not
 * leave credentials behind), the SOCKS5 request (a name goes as a name,
 * unresolved), SOCKS5 replies (every reply code, truncation, versions,
 * address types), the HTTP CONNECT request and response (status line,
 * headers, oversized, non-2xx) and which statuses --retry tries again.
 */
#include <string.h>

#include "tap.h"
#include "transport/proxy.h"

/* ------------------------------------------------------------ URLs */

static void
parses(const char *url, enum proxy_kind kind, const char *host,
    const char *port, const char *user, const char *pass, const char *shown)
{
	struct proxy p;
	bool good;

	good = proxy_parse(url, "--proxy", &p) == 0 && p.kind == kind &&
	    strcmp(p.host, host) == 0 && strcmp(p.port, port) == 0 &&
	    p.has_auth == (user != NULL) &&
	    (user == NULL || (strcmp(p.user, user) == 0 &&
	    strcmp(p.pass, pass) == 0)) && strcmp(p.shown, shown) == 0;
	if (!ok(good, "parse %s", url))
		printf("# got kind %d host '%s' port '%s' user '%s' pass '%s' "
		    "shown '%s'\n", (int)p.kind, p.host, p.port, p.user, p.pass,
		    p.shown);
	proxy_clear(&p);
	ok(p.user[0] == '\0' && p.pass[0] == '\0' && !p.has_auth,
	    "proxy_clear wipes the credentials of %s", url);
}

static void
refused(const char *url)
{
	struct proxy p;

	memset(&p, 0x55, sizeof(p));
	ok(proxy_parse(url, "--proxy", &p) == -1 && p.user[0] == '\0' &&
	    p.pass[0] == '\0' && !p.has_auth,
	    "refuse '%s', no credentials left behind", url);
}

static void
test_urls(void)
{
	char url[1000], user[300];
	struct proxy p;

	parses("socks5://127.0.0.1:1080", PROXY_SOCKS5, "127.0.0.1", "1080",
	    NULL, NULL, "socks5://127.0.0.1:1080");
	parses("socks5h://tor.local:9050", PROXY_SOCKS5, "tor.local", "9050",
	    NULL, NULL, "socks5://tor.local:9050");
	parses("socks5://alice:s3cret@proxy.example:1080", PROXY_SOCKS5,
	    "proxy.example", "1080", "alice", "s3cret",
	    "socks5://proxy.example:1080");
	parses("http://proxy.example:3128/", PROXY_HTTP, "proxy.example",
	    "3128", NULL, NULL, "http://proxy.example:3128");
	parses("http://[::1]:8080", PROXY_HTTP, "::1", "8080", NULL, NULL,
	    "http://[::1]:8080");
	parses("http://bob:pw@[2001:db8::5]:3128/", PROXY_HTTP, "2001:db8::5",
	    "3128", "bob", "pw", "http://[2001:db8::5]:3128");
	parses("socks5://us%3Aer:p%40ss%25%2f@h:1", PROXY_SOCKS5, "h", "1",
	    "us:er", "p@ss%/", "socks5://h:1");
	/* The last '@' ends the credentials; a ':' in PASS is PASS's. */
	parses("socks5://u:p@ss:w@h:65535", PROXY_SOCKS5, "h", "65535", "u",
	    "p@ss:w", "socks5://h:65535");

	ok(proxy_parse("none", "--proxy", &p) == 0 && p.kind == PROXY_NONE,
	    "none: no proxy");
	ok(proxy_parse("", "SEALCAT_PROXY", &p) == 0 && p.kind == PROXY_NONE,
	    "an empty SEALCAT_PROXY: no proxy");

	refused("ftp://h:1");
	refused("https://h:443");
	refused("SOCKS5://h:1");
	refused("socks5://");
	refused("socks5:///");
	refused("socks5://host");
	refused("socks5://h:");
	refused("socks5://:1080");
	refused("socks5://h:0");
	refused("socks5://h:65536");
	refused("http://h:99999");
	refused("http://h:-1");
	refused("http://h:80x");
	refused("socks5://user@h:1");
	refused("socks5://u:p@h:1:2");
	refused("http://h:1/path");
	refused("http://h:1?q");
	refused("http://h:1#frag");
	refused("http://h h:1");
	refused("socks5://[::1:1080");
	refused("socks5://::1:1080");
	refused("socks5://u:%zz@h:1");
	refused("socks5://u:%4@h:1");
	refused("socks5://u:%@h:1");
	refused("socks5://u:%00@h:1");
	refused("socks5://:pass@h:1");
	refused("socks5://user:@h:1");

	/* RFC 1929: 255 bytes each at most. */
	memset(user, 'u', 255);
	user[255] = '\0';
	snprintf(url, sizeof(url), "socks5://%s:p@h:1", user);
	ok(proxy_parse(url, "--proxy", &p) == 0 && strlen(p.user) == 255,
	    "a 255-byte user name is taken");
	proxy_clear(&p);
	snprintf(url, sizeof(url), "socks5://%su:p@h:1", user);
	refused(url);
	/* Escapes count decoded: 255 x %41 is 255 bytes. */
	strcpy(url, "socks5://u:");
	for (int i = 0; i < 255; i++)
		strcat(url, "%41");
	strcat(url, "@h:1");
	ok(proxy_parse(url, "--proxy", &p) == 0 && strlen(p.pass) == 255 &&
	    p.pass[0] == 'A', "255 escaped bytes of password are taken");
	proxy_clear(&p);
}

/* ---------------------------------------------------- SOCKS5 request */

static void
request_is(const char *host, uint16_t port, const uint8_t *want,
    size_t want_len, const char *what)
{
	uint8_t buf[PROXY_SOCKS5_REQUEST_MAX];
	size_t len;

	memset(buf, 0xaa, sizeof(buf));
	len = proxy_socks5_request(host, port, buf);
	if (!ok(len == want_len && memcmp(buf, want, want_len) == 0, "%s",
	    what)) {
		tap_diag_hex("got", buf, len);
		tap_diag_hex("want", want, want_len);
	}
}

static void
test_socks5_request(void)
{
	static const uint8_t onion[] = {
		0x05, 0x01, 0x00, 0x03, 13, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		'.', 'o', 'n', 'i', 'o', 'n', 0x23, 0x28,
	};
	static const uint8_t localhost[] = {
		0x05, 0x01, 0x00, 0x03, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o',
		's', 't', 0x00, 0x16,
	};
	static const uint8_t v4[] = {
		0x05, 0x01, 0x00, 0x01, 192, 0, 2, 7, 0x00, 0x50,
	};
	static const uint8_t v6[] = {
		0x05, 0x01, 0x00, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0x01, 0x01, 0xbb,
	};
	uint8_t buf[PROXY_SOCKS5_REQUEST_MAX];
	char name[300];

	request_is("example.onion", 9000, onion, sizeof(onion),
	    "a .onion name goes to the proxy as a domain name");
	request_is("localhost", 22, localhost, sizeof(localhost),
	    "localhost too: never resolved here");
	request_is("192.0.2.7", 80, v4, sizeof(v4),
	    "an IPv4 literal goes as ATYP 1");
	request_is("2001:db8::1", 443, v6, sizeof(v6),
	    "an IPv6 literal goes as ATYP 4");

	memset(name, 'a', 255);
	name[255] = '\0';
	ok(proxy_socks5_request(name, 1, buf) == 4 + 1 + 255 + 2 &&
	    buf[4] == 255 && buf[4 + 255] == 'a' && buf[260] == 0 &&
	    buf[261] == 1, "a 255-byte name fills the longest request");
	name[255] = 'a';
	name[256] = '\0';
	ok(proxy_socks5_request(name, 1, buf) == 0, "a 256-byte name: 0");
	ok(proxy_socks5_request("", 1, buf) == 0, "an empty name: 0");
}

/* ---------------------------------------------------- SOCKS5 replies */

static void
test_socks5_reasons(void)
{
	static const char *const want[] = {
		"succeeded",
		"general SOCKS server failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
	};

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(strcmp(proxy_socks5_reason((uint8_t)i), want[i]) == 0,
		    "SOCKS reply %u: %s", i, want[i]);
	ok(strcmp(proxy_socks5_reason(9), "unassigned reply code") == 0 &&
	    strcmp(proxy_socks5_reason(0xff), "unassigned reply code") == 0,
	    "SOCKS replies 9 and 255: unassigned");
}

/* Every proper prefix of reply[0..len) is PARTIAL with a need it does not
 * meet yet; the whole is OK with rep and need len. */
static void
reply_ok(const uint8_t *reply, size_t len, uint8_t want_rep,
    const char *what)
{
	size_t need = 0, i;
	uint8_t rep = 0xee;
	bool prefixes = true;

	for (i = 0; i < len; i++) {
		if (proxy_socks5_reply(reply, i, &need, &rep) != PROXY_PARTIAL ||
		    need <= i || need > len) {
			prefixes = false;
			printf("# prefix %zu: need %zu\n", i, need);
			break;
		}
	}
	ok(prefixes, "%s: each truncation asks for more", what);
	ok(proxy_socks5_reply(reply, len, &need, &rep) == PROXY_OK &&
	    need == len && rep == want_rep, "%s: complete, reply %u", what,
	    want_rep);
}

static enum proxy_status
reply_of(const uint8_t *reply, size_t len)
{
	size_t need;
	uint8_t rep;

	return proxy_socks5_reply(reply, len, &need, &rep);
}

static void
test_socks5_replies(void)
{
	static const uint8_t v4[] = {
		0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0x04, 0x38,
	};
	static const uint8_t v6_refused[] = {
		0x05, 0x05, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 1, 0x00, 0x00,
	};
	static const uint8_t domain[] = {
		0x05, 0x02, 0x00, 0x03, 4, 'h', 'o', 's', 't', 0x1f, 0x90,
	};
	static const uint8_t empty_domain[] = {
		0x05, 0x04, 0x00, 0x03, 0, 0x00, 0x00,
	};
	uint8_t bad[PROXY_SOCKS5_REPLY_MAX], longest[PROXY_SOCKS5_REPLY_MAX];
	size_t need;
	uint8_t rep;

	reply_ok(v4, sizeof(v4), 0, "IPv4 success");
	reply_ok(v6_refused, sizeof(v6_refused), 5, "IPv6, connection refused");
	reply_ok(domain, sizeof(domain), 2, "a domain name, not allowed");
	reply_ok(empty_domain, sizeof(empty_domain), 4,
	    "an empty domain name, host unreachable");

	ok(proxy_socks5_reply(domain, 4, &need, &rep) == PROXY_PARTIAL &&
	    need == 5, "a domain reply: the length byte first");
	ok(proxy_socks5_reply(domain, 5, &need, &rep) == PROXY_PARTIAL &&
	    need == sizeof(domain), "then the whole length is known");

	memset(longest, 0x61, sizeof(longest));
	memcpy(longest, "\x05\x00\x00\x03\xff", 5);
	ok(proxy_socks5_reply(longest, sizeof(longest), &need, &rep) ==
	    PROXY_OK && need == PROXY_SOCKS5_REPLY_MAX,
	    "a 255-byte domain name: the longest reply fits");

	/* More bytes than the reply: OK, and need says where it ends. */
	memcpy(bad, v4, sizeof(v4));
	memset(bad + sizeof(v4), 0x42, 6);
	ok(proxy_socks5_reply(bad, sizeof(v4) + 6, &need, &rep) == PROXY_OK &&
	    need == sizeof(v4), "bytes after the reply are not its");

	memcpy(bad, v4, sizeof(v4));
	bad[0] = 0x04;
	ok(reply_of(bad, 1) == PROXY_BAD && reply_of(bad, sizeof(v4)) ==
	    PROXY_BAD, "version 4: bad from the first byte");
	bad[0] = 0x00;
	ok(reply_of(bad, 2) == PROXY_BAD, "version 0: bad");
	memcpy(bad, v4, sizeof(v4));
	bad[2] = 0x01;
	ok(reply_of(bad, 3) == PROXY_BAD && reply_of(bad, sizeof(v4)) ==
	    PROXY_BAD, "RSV not zero: bad");
	for (unsigned atyp = 0; atyp < 256; atyp++) {
		if (atyp == 1 || atyp == 3 || atyp == 4)
			continue;
		memcpy(bad, v4, sizeof(v4));
		bad[3] = (uint8_t)atyp;
		if (reply_of(bad, sizeof(v4)) != PROXY_BAD) {
			ok(false, "address type %u is bad", atyp);
			return;
		}
	}
	ok(true, "every address type but 1, 3 and 4 is bad");
	ok(reply_of(v4, 0) == PROXY_PARTIAL, "nothing yet: partial");
}

/* ----------------------------------------------------- HTTP CONNECT */

static void
test_http_request(void)
{
	static const char plain[] = "CONNECT example.org:9000 HTTP/1.1\r\n"
	    "Host: example.org:9000\r\n\r\n";
	static const char v6[] = "CONNECT [2001:db8::1]:22 HTTP/1.1\r\n"
	    "Host: [2001:db8::1]:22\r\n\r\n";
	/* RFC 7617 §2's example. */
	static const char basic[] = "CONNECT h:1 HTTP/1.1\r\nHost: h:1\r\n"
	    "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
	    "\r\n";
	char buf[PROXY_HTTP_REQUEST_MAX], host[256], url[700];
	struct proxy p;
	size_t len;

	proxy_parse("http://127.0.0.1:3128", "--proxy", &p);
	len = proxy_http_request(&p, "example.org", "9000", buf, sizeof(buf));
	ok(len == strlen(plain) && strcmp(buf, plain) == 0,
	    "CONNECT names the target and sends Host");
	len = proxy_http_request(&p, "2001:db8::1", "22", buf, sizeof(buf));
	ok(len == strlen(v6) && strcmp(buf, v6) == 0,
	    "an IPv6 target in brackets");
	ok(proxy_http_request(&p, "example.org", "9000", buf,
	    strlen(plain)) == 0, "no room for the NUL: 0");

	proxy_parse("http://Aladdin:open%20sesame@127.0.0.1:3128", "--proxy",
	    &p);
	len = proxy_http_request(&p, "h", "1", buf, sizeof(buf));
	ok(len == strlen(basic) && strcmp(buf, basic) == 0,
	    "Basic credentials from the URL");
	ok(proxy_http_request(&p, "h", "1", buf, 40) == 0 &&
	    memchr(buf, 'Q', 40) == NULL, "too small: 0, and nothing left");
	proxy_clear(&p);

	/* The longest of everything still fits. */
	memset(host, 'h', 255);
	host[255] = '\0';
	strcpy(url, "http://");
	memset(url + 7, 'u', 255);
	url[7 + 255] = ':';
	memset(url + 7 + 256, 'p', 255);
	strcpy(url + 7 + 256 + 255, "@127.0.0.1:3128");
	ok(proxy_parse(url, "--proxy", &p) == 0, "the longest credentials");
	len = proxy_http_request(&p, host, "65535", buf, sizeof(buf));
	ok(len > 0 && len == strlen(buf), "fit PROXY_HTTP_REQUEST_MAX (%zu)",
	    len);
	proxy_clear(&p);
}

static void
response_is(const char *text, enum proxy_status want, int want_status,
    size_t want_len, const char *what)
{
	int status = -1;
	size_t headers_len = 0;
	enum proxy_status got;

	got = proxy_http_response(text, strlen(text), &status, &headers_len);
	if (!ok(got == want && (want != PROXY_OK || (status == want_status &&
	    headers_len == want_len)), "%s", what))
		printf("# got %d, status %d, headers_len %zu\n", (int)got,
		    status, headers_len);
}

static void
test_http_response(void)
{
	static const char est[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	static const char hdrs[] = "HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n"
	    "Via: 1.1 y\r\n\r\n";
	static const char auth[] = "HTTP/1.1 407 Proxy Authentication "
	    "Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n";
	static char big[PROXY_HTTP_HEADERS_MAX + 64];
	int status;
	size_t headers_len, n;
	char with_tail[200];

	response_is(est, PROXY_OK, 200, strlen(est), "200 established");
	response_is(hdrs, PROXY_OK, 200, strlen(hdrs), "200 with headers");
	response_is("HTTP/1.1 200\r\n\r\n", PROXY_OK, 200, 16,
	    "a status line without a reason");
	response_is("HTTP/1.1 200 OK\n\n", PROXY_OK, 200, 17, "LF alone");
	response_is(auth, PROXY_OK, 407, strlen(auth),
	    "407 parses (the caller refuses it)");
	response_is("HTTP/1.0 403 Access violation\r\n\r\n", PROXY_OK, 403,
	    33, "403 parses");
	response_is("HTTP/1.1 500 Unable to connect\r\n\r\n", PROXY_OK, 500,
	    34, "500 parses");

	/* What follows the blank line is the server's. */
	snprintf(with_tail, sizeof(with_tail), "%sSEALCAT/1 x25519\n", est);
	ok(proxy_http_response(with_tail, strlen(with_tail), &status,
	    &headers_len) == PROXY_OK && headers_len == strlen(est),
	    "the server's first bytes are left alone");

	response_is("", PROXY_PARTIAL, 0, 0, "nothing yet");
	response_is("HTT", PROXY_PARTIAL, 0, 0, "a start of HTTP");
	response_is("HTTP/1.1 200 OK\r\n", PROXY_PARTIAL, 0, 0,
	    "no blank line yet");
	response_is("HTTP/1.1 200 OK\r\nVia: y\r\n", PROXY_PARTIAL, 0, 0,
	    "headers, no blank line yet");

	response_is("SSH-2.0-OpenSSH_9.2\r\n", PROXY_BAD, 0, 0, "not HTTP");
	response_is("X", PROXY_BAD, 0, 0, "not HTTP, from the first byte");
	response_is("HTTP/2 200\r\n\r\n", PROXY_BAD, 0, 0, "HTTP/2");
	response_is("HTTP/1.x 200 OK\r\n\r\n", PROXY_BAD, 0, 0,
	    "HTTP/1.x");
	response_is("HTTP/1.1 20 OK\r\n\r\n", PROXY_BAD, 0, 0,
	    "two digits");
	response_is("HTTP/1.1 2000 OK\r\n\r\n", PROXY_BAD, 0, 0,
	    "four digits");
	response_is("HTTP/1.1 099 x\r\n\r\n", PROXY_BAD, 0, 0, "status 99");
	response_is("HTTP/1.1 600 x\r\n\r\n", PROXY_BAD, 0, 0, "status 600");
	response_is("HTTP/1.1 2x0 x\r\n\r\n", PROXY_BAD, 0, 0,
	    "a letter in the status");
	response_is("HTTP/1.1  200 x\r\n\r\n", PROXY_BAD, 0, 0,
	    "two spaces");
	response_is("\r\n\r\n", PROXY_BAD, 0, 0, "a blank first line");
	ok(proxy_http_response("HTTP/1.1 200 OK\r\nA: \0b\r\n\r\n", 28,
	    &status, &headers_len) == PROXY_BAD, "a NUL in a header");

	/* Oversized: headers filling PROXY_HTTP_HEADERS_MAX without an
	 * end are bad, however many more bytes come. */
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	for (; n < sizeof(big) - 1; n++)
		big[n] = n % 64 == 63 ? '\n' : 'a';
	big[n] = '\0';
	ok(proxy_http_response(big, PROXY_HTTP_HEADERS_MAX - 1, &status,
	    &headers_len) == PROXY_PARTIAL, "one byte short of the limit: "
	    "partial");
	ok(proxy_http_response(big, PROXY_HTTP_HEADERS_MAX, &status,
	    &headers_len) == PROXY_BAD, "at the limit without an end: bad");
	ok(proxy_http_response(big, sizeof(big) - 1, &status,
	    &headers_len) == PROXY_BAD, "past it: bad");
	/* An end exactly at the limit is taken, one byte later is not. */
	memcpy(big + PROXY_HTTP_HEADERS_MAX - 3, "\n\n", 2);
	big[PROXY_HTTP_HEADERS_MAX - 1] = 'x';
	ok(proxy_http_response(big, sizeof(big) - 1, &status,
	    &headers_len) == PROXY_OK && headers_len == PROXY_HTTP_HEADERS_MAX -
	    1, "a blank line ending inside the limit");
	memcpy(big + PROXY_HTTP_HEADERS_MAX - 3, "aa\n\n", 4);
	ok(proxy_http_response(big, sizeof(big) - 1, &status,
	    &headers_len) == PROXY_BAD, "a blank line past the limit: bad");
}

static void
test_unreachable(void)
{
	ok(proxy_http_unreachable(500) && proxy_http_unreachable(502) &&
	    proxy_http_unreachable(503) && proxy_http_unreachable(504),
	    "500, 502, 503, 504: the target is unreachable, --retry retries");
	ok(!proxy_http_unreachable(200) && !proxy_http_unreachable(403) &&
	    !proxy_http_unreachable(407) && !proxy_http_unreachable(401) &&
	    !proxy_http_unreachable(501) && !proxy_http_unreachable(505),
	    "403, 407, 401, 501, 505: never retried");
}

int
main(void)
{
	test_urls();
	test_socks5_request();
	test_socks5_reasons();
	test_socks5_replies();
	test_http_request();
	test_http_response();
	test_unreachable();
	return tap_done();
}
