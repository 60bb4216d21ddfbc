/*
 * fuzz_proxy.c - what a hostile proxy sends connect --proxy (RFC 1928
 * §6 replies, HTTP CONNECT responses): proxy_socks5_reply() without
 * FUZZ_PROXY_HTTP in the flags byte, proxy_http_response() with it (each
 * on an exact-size copy, fuzz_split_copy()).
 *
 * Checked: a SOCKS5 reply that parses is version 5 and exactly as long as
 * its ATYP says (no more than the input); a partial one asks for more
 * than it has; an HTTP response that parses has a status in 100..599 and
 * headers that end in an empty line within the input and the limit.
 */
#include "fuzz.h"
#include "transport/proxy.h"

bool fuzz_accepted;

static size_t
socks_length(const uint8_t *p)
{
	switch (p[3]) {
	case 1:
		return 4 + 4 + 2;
	case 4:
		return 4 + 16 + 2;
	case 3:
		return 4 + 1 + (size_t)p[4] + 2;
	default:
		return 0;
	}
}

static void
check_socks(const uint8_t *p, size_t len)
{
	size_t need = 0;
	uint8_t rep = 0xff;
	enum proxy_status st = proxy_socks5_reply(p, len, &need, &rep);

	switch (st) {
	case PROXY_OK:
		FUZZ_ASSERT(len >= 5 && p[0] == 5 && p[1] == rep);
		FUZZ_ASSERT(need == socks_length(p) && need <= len);
		FUZZ_ASSERT(proxy_socks5_reason(rep) != NULL);
		fuzz_accepted = true;
		break;
	case PROXY_PARTIAL:
		FUZZ_ASSERT(need > len);
		break;
	case PROXY_BAD:
		break;
	default:
		FUZZ_ASSERT(!"an unknown status");
	}
}

static void
check_http(const uint8_t *bytes, size_t len)
{
	const char *p = (const char *)bytes;
	int status = 0;
	size_t headers_len = 0;
	enum proxy_status st = proxy_http_response(p, len, &status,
	    &headers_len);

	switch (st) {
	case PROXY_OK:
		FUZZ_ASSERT(status >= 100 && status <= 599);
		FUZZ_ASSERT(headers_len >= 2 && headers_len <= len &&
		    headers_len <= PROXY_HTTP_HEADERS_MAX);
		FUZZ_ASSERT(p[headers_len - 1] == '\n');
		FUZZ_ASSERT(memcmp(p, "HTTP/1.", 7) == 0);
		fuzz_accepted = true;
		break;
	case PROXY_PARTIAL:
		FUZZ_ASSERT(len < PROXY_HTTP_HEADERS_MAX);
		break;
	case PROXY_BAD:
		break;
	default:
		FUZZ_ASSERT(!"an unknown status");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepted = false;
	fuzz_split_copy(data, size, FUZZ_PROXY_HTTP, check_http, check_socks);
	return 0;
}
