/*
 * fuzz_proxy.c - what a hostile proxy sends connect --proxy (RFC 1928
 * §6 replies, HTTP CONNECT responses): proxy_socks5_reply() without
 * FUZZ_PROXY_HTTP in the flags byte, proxy_http_response() with it.  The
 * bytes are copied to a buffer of their exact size, so ASan sees a read
 * one byte too far.
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
check_http(const char *p, size_t len)
{
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
	uint8_t *copy;

	fuzz_accepted = false;
	if (size < 1)
		return 0;
	/* malloc(0) may return NULL: keep one byte, use none of it. */
	copy = malloc(size - 1 > 0 ? size - 1 : 1);
	FUZZ_ASSERT(copy != NULL);
	memcpy(copy, data + 1, size - 1);
	if (data[0] & FUZZ_PROXY_HTTP)
		check_http((const char *)copy, size - 1);
	else
		check_socks(copy, size - 1);
	free(copy);
	return 0;
}
