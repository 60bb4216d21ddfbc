/*
 * proxy.h - connect through a proxy: parse a proxy URL, then ask a SOCKS5
 * proxy (RFC 1928, with RFC 1929 user/password) or an HTTP proxy (CONNECT,
 * Basic auth) on an already connected descriptor to open a tunnel to the
 * target.  The target's host name goes to the proxy as given, never
 * resolved here (.onion names, split DNS).  Reaching the proxy is tcp.c's
 * business; dial.c puts the two together.
 */
#ifndef SEALCAT_PROXY_H
#define SEALCAT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 1929: a user name and a password of 1..255 bytes each. */
#define PROXY_CRED_MAX 255
/* The most an HTTP proxy's response headers may take, blank line included. */
#define PROXY_HTTP_HEADERS_MAX 8192
/* The longest SOCKS5 reply: 4 + 1 + 255 (a domain name) + 2. */
#define PROXY_SOCKS5_REPLY_MAX 262

enum proxy_kind {
	PROXY_NONE,
	PROXY_SOCKS5,
	PROXY_HTTP
};

struct proxy {
	enum proxy_kind kind;
	char host[256];
	char port[8];
	bool has_auth;
	char user[PROXY_CRED_MAX + 1];	/* secret, like pass */
	char pass[PROXY_CRED_MAX + 1];
	/* "socks5://HOST:PORT": the URL without credentials, for messages. */
	char shown[300];
};

/*
 * Parses "socks5://[USER:PASS@]HOST:PORT", "http://[USER:PASS@]HOST:PORT"
 * (a trailing '/' allowed; USER and PASS may hold %XX escapes; an IPv6
 * HOST in brackets) or "none" (kind PROXY_NONE) into p.  source names the
 * URL's origin in messages ("--proxy", "SEALCAT_PROXY"); messages never
 * show the credentials.  Returns 0, or -1 after reporting (a usage
 * error).
 */
int proxy_parse(const char *url, const char *source, struct proxy *p);

/* Wipes p's credentials.  NULL is fine. */
void proxy_clear(struct proxy *p);

/*
 * Asks the proxy on fd (connected, blocking) for a tunnel to host:port
 * before deadline (io.h).  On success fd carries the target's bytes: an
 * HTTP proxy's response is read up to its blank line and not a byte
 * further, so what follows stays for the session.  When the proxy says
 * the target refused or could not be reached (SOCKS replies 3, 4, 5; an
 * HTTP status for which proxy_http_unreachable() holds) and again is
 * non-NULL, *again is set and nothing reported (connect --retry); a
 * refusal by the proxy's rules or its authentication is always reported.
 * Returns 0, or -1 after reporting.
 */
int proxy_handshake(int fd, const struct proxy *p, const char *host,
    const char *port, long long deadline, bool *again);

/* What the proxy is sent, without I/O (for the unit tests). */

/* The longest SOCKS5 request: 4 + 1 + 255 (a domain name) + 2. */
#define PROXY_SOCKS5_REQUEST_MAX 262
/* Room for an HTTP CONNECT request with the longest target and
 * credentials. */
#define PROXY_HTTP_REQUEST_MAX 1400

/*
 * The SOCKS5 CONNECT request (RFC 1928 §4) for host:port into buf
 * (PROXY_SOCKS5_REQUEST_MAX bytes): an IPv4 or IPv6 literal as an
 * address, any other host as a domain name, unresolved.  Returns its
 * length, or 0 for a host that is empty or longer than 255 bytes.
 */
size_t proxy_socks5_request(const char *host, uint16_t port, uint8_t *buf);

/*
 * The HTTP request "CONNECT host:port HTTP/1.1" (an IPv6 host in
 * brackets) with its Host header and, if p has credentials, a
 * Proxy-Authorization: Basic header, through the blank line, into buf
 * (cap bytes, NUL-terminated).  Returns its length (without the NUL),
 * or 0 if it does not fit (buf is wiped then).
 */
size_t proxy_http_request(const struct proxy *p, const char *host,
    const char *port, char *buf, size_t cap);

/* True for the HTTP statuses that mean the proxy could not reach the
 * target (500, 502, 503, 504), which connect --retry tries again. */
bool proxy_http_unreachable(int status);

/* The parsers of what a proxy sends, without I/O (and fuzzed). */

enum proxy_status {
	PROXY_OK,		/* complete and well-formed */
	PROXY_PARTIAL,		/* more bytes needed (*need says how many
				 * in all, for SOCKS) */
	PROXY_BAD		/* malformed */
};

/*
 * A SOCKS5 reply (RFC 1928 §6: VER REP RSV ATYP BND.ADDR BND.PORT) in
 * buf[0..len).  PROXY_PARTIAL sets *need to the reply's whole length once
 * known (4 before the ATYP is seen).  PROXY_OK sets *rep to REP (0 is
 * success) and *need to the reply's length.
 */
enum proxy_status proxy_socks5_reply(const uint8_t *buf, size_t len,
    size_t *need, uint8_t *rep);

/* The words for a SOCKS5 reply code: "connection refused" for 5. */
const char *proxy_socks5_reason(uint8_t rep);

/*
 * An HTTP proxy's response headers in buf[0..len): a status line
 * "HTTP/1.x NNN reason" and header lines, each ending in LF (CRLF
 * allowed), up to an empty line.  PROXY_OK sets *status (100..599) and
 * *headers_len (the bytes through the empty line, so buf may hold more);
 * PROXY_PARTIAL: no empty line yet (PROXY_BAD once len reaches
 * PROXY_HTTP_HEADERS_MAX without one).
 */
enum proxy_status proxy_http_response(const char *buf, size_t len,
    int *status, size_t *headers_len);

#endif
