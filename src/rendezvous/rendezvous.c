/*
 * rendezvous.c - the relay protocol's lines and the rendezvous id, see
 * rendezvous.h and PROTOCOL.md, "Relay protocol".  The parsers are strict:
 * one spelling per request, so what the relay compares is what was meant.
 */
#include "rendezvous/rendezvous.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define NAMEPLATE_DIGITS_MAX 6

static const struct {
	enum rendezvous_verb verb;
	const char *name;
} verbs[] = {
	{ RENDEZVOUS_LISTEN, "LISTEN" },
	{ RENDEZVOUS_CONNECT, "CONNECT" },
	{ RENDEZVOUS_ALLOCATE, "ALLOCATE" },
	{ RENDEZVOUS_CLAIM, "CLAIM" },
};

#define VERB_COUNT (sizeof(verbs) / sizeof(verbs[0]))

/* The index of the first LF in buf[0..len) within the line limit, or -1
 * with *status saying why there is none. */
static long
find_lf(const uint8_t *buf, size_t len, enum rendezvous_status *status)
{
	size_t scan = len < RENDEZVOUS_LINE_MAX ? len : RENDEZVOUS_LINE_MAX;
	const uint8_t *lf = memchr(buf, '\n', scan);

	if (lf == NULL) {
		*status = len >= RENDEZVOUS_LINE_MAX ? RENDEZVOUS_TOO_LONG :
		    RENDEZVOUS_PARTIAL;
		return -1;
	}
	return (long)(lf - buf);
}

/* s[0..len) is the decimal of a nameplate: 1..999999, no leading zero. */
static bool
parse_nameplate(const uint8_t *s, size_t len, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > NAMEPLATE_DIGITS_MAX || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return true;
}

static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* s[0..len) is exactly 64 lowercase hex digits. */
static bool
parse_id(const uint8_t *s, size_t len, uint8_t id[RENDEZVOUS_ID_LEN])
{
	int hi, lo;

	if (len != RENDEZVOUS_ID_HEX_LEN)
		return false;
	for (size_t i = 0; i < RENDEZVOUS_ID_LEN; i++) {
		if ((hi = hex_value(s[2 * i])) == -1 ||
		    (lo = hex_value(s[2 * i + 1])) == -1)
			return false;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* line[0..len) without its LF: "SEALCAT-RELAY/1 VERB ARG". */
static bool
parse_line(const uint8_t *line, size_t len, struct rendezvous_request *req)
{
	size_t prefix_len = strlen(RENDEZVOUS_VERSION);
	size_t name_len;

	if (len <= prefix_len || memcmp(line, RENDEZVOUS_VERSION,
	    prefix_len) != 0 || line[prefix_len] != ' ')
		return false;
	line += prefix_len + 1;
	len -= prefix_len + 1;
	for (size_t i = 0; i < VERB_COUNT; i++) {
		name_len = strlen(verbs[i].name);
		if (len <= name_len || memcmp(line, verbs[i].name,
		    name_len) != 0 || line[name_len] != ' ')
			continue;
		req->verb = verbs[i].verb;
		line += name_len + 1;
		len -= name_len + 1;
		if (req->verb == RENDEZVOUS_CLAIM) {
			memset(req->id, 0, sizeof(req->id));
			return parse_nameplate(line, len, &req->nameplate);
		}
		req->nameplate = 0;
		return parse_id(line, len, req->id);
	}
	return false;
}

enum rendezvous_status
rendezvous_parse_request(const uint8_t *buf, size_t len,
    struct rendezvous_request *req)
{
	enum rendezvous_status status = RENDEZVOUS_BAD;
	struct rendezvous_request r;
	long lf;

	if ((lf = find_lf(buf, len, &status)) == -1)
		return status;
	if (!parse_line(buf, (size_t)lf, &r))
		return RENDEZVOUS_BAD;
	*req = r;
	return (size_t)lf + 1 < len ? RENDEZVOUS_EXTRA : RENDEZVOUS_OK;
}

size_t
rendezvous_format_request(const struct rendezvous_request *req, char *out,
    size_t out_cap)
{
	char hex[RENDEZVOUS_ID_HEX_LEN + 1];
	const char *name = NULL;
	int n;

	for (size_t i = 0; i < VERB_COUNT; i++)
		if (verbs[i].verb == req->verb)
			name = verbs[i].name;
	if (name == NULL)
		return 0;
	if (req->verb == RENDEZVOUS_CLAIM) {
		if (req->nameplate < 1 ||
		    req->nameplate > RENDEZVOUS_NAMEPLATE_MAX)
			return 0;
		n = snprintf(out, out_cap, "%s %s %lu\n", RENDEZVOUS_VERSION,
		    name, req->nameplate);
	} else {
		rendezvous_id_hex(req->id, hex);
		n = snprintf(out, out_cap, "%s %s %s\n", RENDEZVOUS_VERSION,
		    name, hex);
	}
	if (n < 0 || (size_t)n >= out_cap)
		return 0;
	return (size_t)n;
}

enum rendezvous_status
rendezvous_parse_reply(const uint8_t *buf, size_t len,
    struct rendezvous_reply *reply, size_t *line_len)
{
	static const char nameplate[] = "NAMEPLATE ";
	static const char error[] = "ERROR ";
	enum rendezvous_status status = RENDEZVOUS_BAD;
	struct rendezvous_reply r;
	size_t n;
	long lf;

	if ((lf = find_lf(buf, len, &status)) == -1)
		return status;
	n = (size_t)lf;
	memset(&r, 0, sizeof(r));
	if (n == 2 && memcmp(buf, "OK", 2) == 0)
		r.kind = RENDEZVOUS_REPLY_OK;
	else if (n > sizeof(nameplate) - 1 &&
	    memcmp(buf, nameplate, sizeof(nameplate) - 1) == 0) {
		r.kind = RENDEZVOUS_REPLY_NAMEPLATE;
		if (!parse_nameplate(buf + sizeof(nameplate) - 1,
		    n - (sizeof(nameplate) - 1), &r.nameplate))
			return RENDEZVOUS_BAD;
	} else if (n > sizeof(error) - 1 &&
	    memcmp(buf, error, sizeof(error) - 1) == 0) {
		r.kind = RENDEZVOUS_REPLY_ERROR;
		/* Shown to the user: printable ASCII only, so a hostile
		 * relay cannot drive the terminal. */
		for (size_t i = sizeof(error) - 1; i < n; i++) {
			if (buf[i] < 0x20 || buf[i] > 0x7e)
				return RENDEZVOUS_BAD;
			r.reason[i - (sizeof(error) - 1)] = (char)buf[i];
		}
	} else
		return RENDEZVOUS_BAD;
	*reply = r;
	*line_len = n + 1;
	return RENDEZVOUS_OK;
}

void
rendezvous_id(const struct suite *suite, const uint8_t *pub,
    uint8_t id[RENDEZVOUS_ID_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, (const uint8_t *)RENDEZVOUS_ID_KEY,
	    strlen(RENDEZVOUS_ID_KEY), RENDEZVOUS_ID_LEN);
	crypto_generichash_update(&st, (const uint8_t *)suite->protocol,
	    strlen(suite->protocol));
	crypto_generichash_update(&st, pub, suite->pub_len);
	crypto_generichash_final(&st, id, RENDEZVOUS_ID_LEN);
}

void
rendezvous_id_hex(const uint8_t id[RENDEZVOUS_ID_LEN],
    char out[RENDEZVOUS_ID_HEX_LEN + 1])
{
	sodium_bin2hex(out, RENDEZVOUS_ID_HEX_LEN + 1, id, RENDEZVOUS_ID_LEN);
}
