/*
 * proxy.c - SOCKS5 and HTTP CONNECT proxies, see proxy.h.  RFC 1928 (SOCKS
 * version 5), RFC 1929 (its user/password method), RFC 9110 §9.3.6
 * (CONNECT) and RFC 7617 (Basic).  Every byte from the proxy goes through
 * proxy_socks5_reply() or proxy_http_response() before it is believed.
 */
#include "transport/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "transport/addr.h"
#include "transport/io.h"

#define SOCKS5_VERSION 0x05
#define SOCKS5_METHOD_NONE 0x00
#define SOCKS5_METHOD_USERPASS 0x02
#define SOCKS5_METHOD_UNACCEPTABLE 0xff
#define SOCKS5_USERPASS_VERSION 0x01	/* RFC 1929 §2 */
#define SOCKS5_CMD_CONNECT 0x01
#define SOCKS5_ATYP_IPV4 0x01
#define SOCKS5_ATYP_DOMAIN 0x03
#define SOCKS5_ATYP_IPV6 0x04

static const char url_forms[] = "use socks5://[USER:PASS@]HOST:PORT or "
    "http://[USER:PASS@]HOST:PORT, or none";

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copies in[0..len) to out (cap bytes), decoding %XX.  Returns the length,
 * or -1 for a bad escape, a NUL, an empty result or one too long. */
static long
percent_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t i, n = 0;
	int hi, lo;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == '%') {
			if (len - i < 3 || (hi = hex_value(in[i + 1])) == -1 ||
			    (lo = hex_value(in[i + 2])) == -1)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || n + 1 >= cap)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == 0 ? -1 : (long)n;
}

static int
bad_url(const char *source, const char *what)
{
	log_error("%s: %s — %s", source, what, url_forms);
	return -1;
}

int
proxy_parse(const char *url, const char *source, struct proxy *p)
{
	char hostport[300];
	const char *rest, *at, *colon;
	unsigned long port;
	size_t len;
	int n;

	memset(p, 0, sizeof(*p));
	if (strcmp(url, "none") == 0 || url[0] == '\0') {
		p->kind = PROXY_NONE;
		return 0;
	}
	if (strncmp(url, "socks5://", 9) == 0) {
		p->kind = PROXY_SOCKS5;
		rest = url + 9;
	} else if (strncmp(url, "socks5h://", 10) == 0) {
		p->kind = PROXY_SOCKS5;
		rest = url + 10;
	} else if (strncmp(url, "http://", 7) == 0) {
		p->kind = PROXY_HTTP;
		rest = url + 7;
	} else if (strncmp(url, "https://", 8) == 0)
		return bad_url(source, "an https:// proxy (TLS to the proxy) "
		    "is not supported");
	else
		return bad_url(source, "not a proxy URL");
	len = strlen(rest);
	if (len > 0 && rest[len - 1] == '/')
		len--;
	if ((at = memchr(rest, '@', len)) != NULL) {
		/* The last '@' ends the credentials; a raw one in them is
		 * allowed, as browsers allow it. */
		for (const char *q = at; q < rest + len; q++)
			if (*q == '@')
				at = q;
		colon = memchr(rest, ':', (size_t)(at - rest));
		if (colon == NULL)
			return bad_url(source, "credentials need USER:PASS");
		if (percent_decode(rest, (size_t)(colon - rest), p->user,
		    sizeof(p->user)) == -1 ||
		    percent_decode(colon + 1, (size_t)(at - colon - 1),
		    p->pass, sizeof(p->pass)) == -1) {
			proxy_clear(p);
			return bad_url(source, "USER and PASS must each be 1 to "
			    "255 bytes (%XX escapes allowed, no %00)");
		}
		p->has_auth = true;
		len -= (size_t)(at + 1 - rest);
		rest = at + 1;
	}
	if (len == 0 || len >= sizeof(hostport)) {
		proxy_clear(p);
		return bad_url(source, len == 0 ? "no HOST:PORT" :
		    "HOST:PORT is too long");
	}
	memcpy(hostport, rest, len);
	hostport[len] = '\0';
	if (strpbrk(hostport, "/?#@ \t") != NULL ||
	    addr_split_host_port(hostport, p->host, sizeof(p->host), p->port,
	    sizeof(p->port)) == -1 || p->host[0] == '\0') {
		proxy_clear(p);
		return bad_url(source, "expected HOST:PORT after the scheme "
		    "(an IPv6 HOST in brackets, a port, no path)");
	}
	if (parse_number(p->port, 1, 65535, &port) == -1) {
		proxy_clear(p);
		return bad_url(source, "the proxy's PORT must be 1 to 65535");
	}
	n = snprintf(p->shown, sizeof(p->shown), "%s://%s",
	    p->kind == PROXY_SOCKS5 ? "socks5" : "http", hostport);
	if (n < 0 || (size_t)n >= sizeof(p->shown)) {
		proxy_clear(p);
		return bad_url(source, "HOST:PORT is too long");
	}
	return 0;
}

void
proxy_clear(struct proxy *p)
{
	if (p == NULL)
		return;
	wipe(p->user, sizeof(p->user));
	wipe(p->pass, sizeof(p->pass));
	p->has_auth = false;
}

enum proxy_status
proxy_socks5_reply(const uint8_t *buf, size_t len, size_t *need,
    uint8_t *rep)
{
	size_t total;

	*need = 4;
	if (len >= 1 && buf[0] != SOCKS5_VERSION)
		return PROXY_BAD;
	if (len >= 3 && buf[2] != 0x00)
		return PROXY_BAD;	/* RSV */
	if (len < 4)
		return PROXY_PARTIAL;
	switch (buf[3]) {
	case SOCKS5_ATYP_IPV4:
		total = 4 + 4 + 2;
		break;
	case SOCKS5_ATYP_IPV6:
		total = 4 + 16 + 2;
		break;
	case SOCKS5_ATYP_DOMAIN:
		if (len < 5) {
			*need = 5;
			return PROXY_PARTIAL;
		}
		total = 4 + 1 + (size_t)buf[4] + 2;
		break;
	default:
		return PROXY_BAD;
	}
	*need = total;
	if (len < total)
		return PROXY_PARTIAL;
	*rep = buf[1];
	return PROXY_OK;
}

const char *
proxy_socks5_reason(uint8_t rep)
{
	/* RFC 1928 §6 */
	static const char *const words[] = {
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

	if (rep < ARRAY_LEN(words))
		return words[rep];
	return "unassigned reply code";
}

enum proxy_status
proxy_http_response(const char *buf, size_t len, int *status,
    size_t *headers_len)
{
	size_t scan = len < PROXY_HTTP_HEADERS_MAX ? len :
	    PROXY_HTTP_HEADERS_MAX;
	const char *line = buf, *lf, *end = buf + scan;
	unsigned long code;
	char digits[4];
	bool first = true;
	size_t line_len;

	while ((lf = memchr(line, '\n', (size_t)(end - line))) != NULL) {
		line_len = (size_t)(lf - line);
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		if (first) {
			/* "HTTP/1.x NNN" then a space and a reason, or
			 * nothing */
			if (line_len < 12 || memcmp(line, "HTTP/1.", 7) != 0 ||
			    line[7] < '0' || line[7] > '9' || line[8] != ' ' ||
			    (line_len > 12 && line[12] != ' '))
				return PROXY_BAD;
			memcpy(digits, line + 9, 3);
			digits[3] = '\0';
			if (parse_number(digits, 100, 599, &code) == -1)
				return PROXY_BAD;
			first = false;
		} else if (line_len == 0) {
			*status = (int)code;
			*headers_len = (size_t)(lf + 1 - buf);
			return PROXY_OK;
		} else if (memchr(line, '\0', line_len) != NULL)
			return PROXY_BAD;
		line = lf + 1;
	}
	if (first && scan > 0 && (scan < 7 ? memcmp(buf, "HTTP/1.", scan) :
	    memcmp(buf, "HTTP/1.", 7)) != 0)
		return PROXY_BAD;	/* not HTTP at all: say so early */
	return len >= PROXY_HTTP_HEADERS_MAX ? PROXY_BAD : PROXY_PARTIAL;
}

/* Reports a failed read or write with the proxy. */
static int
io_failed(const struct proxy *p, const char *doing, ssize_t got)
{
	if (got >= 0)
		log_error("proxy %s closed the connection %s — check the "
		    "proxy's log", p->shown, doing);
	else if (errno == ETIMEDOUT)
		log_error("proxy %s did not answer in time %s — check the "
		    "proxy, or raise -w", p->shown, doing);
	else
		log_errno("proxy %s failed %s", p->shown, doing);
	return -1;
}

static int
socks5_auth(int fd, const struct proxy *p, long long deadline)
{
	uint8_t msg[3 + 2 * PROXY_CRED_MAX];
	uint8_t reply[2];
	size_t ulen = strlen(p->user), plen = strlen(p->pass), n = 0;
	ssize_t got;
	int rc = -1;

	msg[n++] = SOCKS5_USERPASS_VERSION;
	msg[n++] = (uint8_t)ulen;
	memcpy(msg + n, p->user, ulen);
	n += ulen;
	msg[n++] = (uint8_t)plen;
	memcpy(msg + n, p->pass, plen);
	n += plen;
	if (io_write_all(fd, msg, n, deadline) == -1) {
		io_failed(p, "while authenticating", -1);
		goto out;
	}
	if ((got = io_read_exact(fd, reply, sizeof(reply), deadline)) !=
	    (ssize_t)sizeof(reply)) {
		io_failed(p, "while authenticating", got);
		goto out;
	}
	if (reply[0] != SOCKS5_USERPASS_VERSION) {
		log_error("proxy %s sent a malformed authentication reply — "
		    "is it a SOCKS5 proxy?", p->shown);
		goto out;
	}
	if (reply[1] != 0x00) {
		log_error("proxy %s rejected the user name or password "
		    "(status %u) — check USER:PASS", p->shown, reply[1]);
		goto out;
	}
	rc = 0;
out:
	wipe(msg, sizeof(msg));
	return rc;
}

size_t
proxy_socks5_request(const char *host, uint16_t port, uint8_t *buf)
{
	uint8_t ip[16];
	size_t n = 0, host_len = strlen(host);

	/* The request (RFC 1928 §4): an address literal as such, any other
	 * name as given, for the proxy to resolve. */
	buf[n++] = SOCKS5_VERSION;
	buf[n++] = SOCKS5_CMD_CONNECT;
	buf[n++] = 0x00;
	if (inet_pton(AF_INET, host, ip) == 1) {
		buf[n++] = SOCKS5_ATYP_IPV4;
		memcpy(buf + n, ip, 4);
		n += 4;
	} else if (inet_pton(AF_INET6, host, ip) == 1) {
		buf[n++] = SOCKS5_ATYP_IPV6;
		memcpy(buf + n, ip, 16);
		n += 16;
	} else if (host_len >= 1 && host_len <= 255) {
		buf[n++] = SOCKS5_ATYP_DOMAIN;
		buf[n++] = (uint8_t)host_len;
		memcpy(buf + n, host, host_len);
		n += host_len;
	} else
		return 0;
	put_be16(buf + n, port);
	return n + 2;
}

static int
socks5(int fd, const struct proxy *p, const char *host, const char *port,
    long long deadline, bool *again)
{
	uint8_t msg[PROXY_SOCKS5_REQUEST_MAX], reply[PROXY_SOCKS5_REPLY_MAX];
	uint8_t rep = 0;
	size_t n = 0, need, have;
	unsigned long port_num;
	ssize_t got;

	/* Greeting: the methods we can do (RFC 1928 §3). */
	msg[n++] = SOCKS5_VERSION;
	if (p->has_auth) {
		msg[n++] = 2;
		msg[n++] = SOCKS5_METHOD_NONE;
		msg[n++] = SOCKS5_METHOD_USERPASS;
	} else {
		msg[n++] = 1;
		msg[n++] = SOCKS5_METHOD_NONE;
	}
	if (io_write_all(fd, msg, n, deadline) == -1)
		return io_failed(p, "at the greeting", -1);
	if ((got = io_read_exact(fd, reply, 2, deadline)) != 2)
		return io_failed(p, "at the greeting", got);
	if (reply[0] != SOCKS5_VERSION) {
		log_error("proxy %s does not speak SOCKS5 — check the proxy "
		    "URL", p->shown);
		return -1;
	}
	if (reply[1] == SOCKS5_METHOD_USERPASS && p->has_auth) {
		if (socks5_auth(fd, p, deadline) == -1)
			return -1;
	} else if (reply[1] != SOCKS5_METHOD_NONE) {
		log_error("proxy %s accepts none of our authentication methods "
		    "— %s", p->shown, p->has_auth ? "check the proxy's "
		    "configuration" : "give USER:PASS in the proxy URL");
		return -1;
	}
	if (parse_number(port, 1, 65535, &port_num) == -1) {
		log_error("bad port %s", port);
		return -1;
	}
	if ((n = proxy_socks5_request(host, (uint16_t)port_num, msg)) == 0) {
		log_error("host name too long for SOCKS5: %s", host);
		return -1;
	}
	if (io_write_all(fd, msg, n, deadline) == -1)
		return io_failed(p, "after the request", -1);
	have = 0;
	need = 4;
	for (;;) {
		if ((got = io_read_exact(fd, reply + have, need - have,
		    deadline)) != (ssize_t)(need - have))
			return io_failed(p, "after the request", got < 0 ?
			    -1 : 0);
		have = need;
		switch (proxy_socks5_reply(reply, have, &need, &rep)) {
		case PROXY_PARTIAL:
			continue;
		case PROXY_BAD:
			log_error("proxy %s sent a malformed SOCKS5 reply — is "
			    "it a SOCKS5 proxy?", p->shown);
			return -1;
		case PROXY_OK:
			break;
		}
		break;
	}
	if (rep == 0)
		return 0;
	if (again != NULL && (rep == 3 || rep == 4 || rep == 5)) {
		*again = true;
		return -1;
	}
	log_error("proxy %s refused the connection to %s:%s: %s (SOCKS "
	    "reply %u) — check the target and the proxy's rules", p->shown,
	    host, port, proxy_socks5_reason(rep), rep);
	return -1;
}

size_t
proxy_http_request(const struct proxy *p, const char *host,
    const char *port, char *buf, size_t cap)
{
	char target[300];
	char cred[2 * PROXY_CRED_MAX + 2];
	char b64[4 * ((sizeof(cred) + 2) / 3) + 1];
	size_t len = 0;
	int n;

	if (addr_join_host_port(host, port, target, sizeof(target)) == -1)
		return 0;
	b64[0] = '\0';
	if (p->has_auth) {
		n = snprintf(cred, sizeof(cred), "%s:%s", p->user, p->pass);
		if (n < 0 || (size_t)n >= sizeof(cred) ||
		    base64_encode((const uint8_t *)cred, (size_t)n, b64,
		    sizeof(b64)) == -1)
			goto out;
	}
	n = snprintf(buf, cap, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n"
	    "%s%s%s\r\n", target, target,
	    p->has_auth ? "Proxy-Authorization: Basic " : "", b64,
	    p->has_auth ? "\r\n" : "");
	if (n > 0 && (size_t)n < cap)
		len = (size_t)n;
	else if (cap > 0)
		wipe(buf, cap);
out:
	wipe(cred, sizeof(cred));
	wipe(b64, sizeof(b64));
	return len;
}

/* The statuses with which an HTTP proxy says it could not reach the
 * target: 500 (tinyproxy's "Unable to connect"), 502, 503 (squid's
 * ERR_CONNECT_FAIL) and 504.  connect --retry tries these again; a
 * refusal by the proxy's rules (403) or its authentication (407) never. */
bool
proxy_http_unreachable(int status)
{
	return status == 500 || status == 502 || status == 503 ||
	    status == 504;
}

static int
http_connect(int fd, const struct proxy *p, const char *host,
    const char *port, long long deadline, bool *again)
{
	char target[300];
	char req[PROXY_HTTP_REQUEST_MAX];
	char buf[PROXY_HTTP_HEADERS_MAX], shown[160];
	size_t used = 0, headers_len = 0, line_len, n;
	ssize_t got;
	int status = 0, rc = -1;
	enum proxy_status st = PROXY_PARTIAL;

	if (addr_join_host_port(host, port, target, sizeof(target)) == -1 ||
	    (n = proxy_http_request(p, host, port, req, sizeof(req))) == 0) {
		log_error("host name too long: %s", host);
		goto out;
	}
	if (io_write_all(fd, req, n, deadline) == -1) {
		io_failed(p, "after CONNECT", -1);
		goto out;
	}
	/* Line by line, never reading past the blank line: what follows
	 * is the server's. */
	while (st == PROXY_PARTIAL) {
		if (used == sizeof(buf)) {
			st = PROXY_BAD;
			break;
		}
		got = io_read_line(fd, buf + used, sizeof(buf) - used,
		    deadline);
		if (got <= 0) {
			io_failed(p, "after CONNECT", got);
			goto out;
		}
		used += (size_t)got;
		st = proxy_http_response(buf, used, &status, &headers_len);
	}
	if (st == PROXY_BAD) {
		log_error("proxy %s sent a malformed or oversized HTTP "
		    "response — is it an HTTP proxy?", p->shown);
		goto out;
	}
	if (status >= 200 && status <= 299) {
		rc = 0;
		goto out;
	}
	if (again != NULL && proxy_http_unreachable(status)) {
		*again = true;
		goto out;
	}
	line_len = strcspn(buf, "\r\n");
	(void)text_for_terminal((const uint8_t *)buf, line_len, shown,
	    sizeof(shown));
	log_error("proxy %s refused CONNECT %s: %s — %s", p->shown, target,
	    shown, status == 407 || status == 401 ?
	    "check USER:PASS in the proxy URL" :
	    "check the target and the proxy's rules");
out:
	wipe(req, sizeof(req));
	return rc;
}

int
proxy_handshake(int fd, const struct proxy *p, const char *host,
    const char *port, long long deadline, bool *again)
{
	if (again != NULL)
		*again = false;
	if (p->kind == PROXY_SOCKS5)
		return socks5(fd, p, host, port, deadline, again);
	return http_connect(fd, p, host, port, deadline, again);
}
