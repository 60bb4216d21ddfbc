/*
 * fuzz_relay_line.c - the relay protocol's lines (PROTOCOL.md, "Relay
 * protocol") from a hostile client or a hostile relay.  Without
 * FUZZ_RELAY_REPLY the input after the flags byte is what a client sent
 * the relay, for rendezvous_parse_request(); with it, what a relay sent a
 * client, for rendezvous_parse_reply() (each on an exact-size copy,
 * fuzz_split_copy()).
 *
 * Checked: the status agrees with where the first LF is (none in fewer
 * than 128 bytes: partial; none in the first 128: too long); a request
 * that parses has one spelling (formatting it gives back exactly its
 * line), and EXTRA means bytes after that line; a reply that parses is
 * one line of at most 128 bytes, an ERROR reason is printable ASCII and
 * all of the line after "ERROR ", a NAMEPLATE is in 1..999999.
 */
#include "fuzz.h"
#include "rendezvous/rendezvous.h"

bool fuzz_accepted;

/* The index of the first LF within the line limit, or -1. */
static long
first_lf(const uint8_t *p, size_t len)
{
	size_t scan = len < RENDEZVOUS_LINE_MAX ? len : RENDEZVOUS_LINE_MAX;
	const uint8_t *lf = memchr(p, '\n', scan);

	return lf == NULL ? -1 : (long)(lf - p);
}

static void
check_limits(enum rendezvous_status st, const uint8_t *p, size_t len)
{
	long lf = first_lf(p, len);

	switch (st) {
	case RENDEZVOUS_PARTIAL:
		FUZZ_ASSERT(lf == -1 && len < RENDEZVOUS_LINE_MAX);
		break;
	case RENDEZVOUS_TOO_LONG:
		FUZZ_ASSERT(lf == -1 && len >= RENDEZVOUS_LINE_MAX);
		break;
	case RENDEZVOUS_OK:
	case RENDEZVOUS_BAD:
	case RENDEZVOUS_EXTRA:
		FUZZ_ASSERT(lf >= 0);
		break;
	default:
		FUZZ_ASSERT(!"an unknown status");
	}
}

static void
check_request(const uint8_t *p, size_t len)
{
	struct rendezvous_request req;
	char line[RENDEZVOUS_LINE_MAX];
	enum rendezvous_status st;
	long lf;
	size_t n;

	st = rendezvous_parse_request(p, len, &req);
	check_limits(st, p, len);
	lf = first_lf(p, len);
	if (st == RENDEZVOUS_OK || st == RENDEZVOUS_EXTRA) {
		n = rendezvous_format_request(&req, line, sizeof(line));
		FUZZ_ASSERT(n == (size_t)lf + 1 && memcmp(line, p, n) == 0);
		FUZZ_ASSERT(st == RENDEZVOUS_EXTRA ? len > n : len == n);
		if (req.verb == RENDEZVOUS_CLAIM)
			FUZZ_ASSERT(req.nameplate >= 1 &&
			    req.nameplate <= RENDEZVOUS_NAMEPLATE_MAX);
	}
	fuzz_accepted = st == RENDEZVOUS_OK;
}

static void
check_reply(const uint8_t *p, size_t len)
{
	struct rendezvous_reply r;
	enum rendezvous_status st;
	size_t line_len = 0, reason_len;

	st = rendezvous_parse_reply(p, len, &r, &line_len);
	FUZZ_ASSERT(st != RENDEZVOUS_EXTRA);
	check_limits(st, p, len);
	if (st == RENDEZVOUS_OK) {
		FUZZ_ASSERT((long)line_len == first_lf(p, len) + 1);
		switch (r.kind) {
		case RENDEZVOUS_REPLY_OK:
			FUZZ_ASSERT(line_len == 3 && memcmp(p, "OK\n", 3) == 0);
			break;
		case RENDEZVOUS_REPLY_NAMEPLATE:
			FUZZ_ASSERT(r.nameplate >= 1 &&
			    r.nameplate <= RENDEZVOUS_NAMEPLATE_MAX);
			break;
		case RENDEZVOUS_REPLY_ERROR:
			reason_len = strlen(r.reason);
			FUZZ_ASSERT(reason_len >= 1 &&
			    reason_len == line_len - 7);
			FUZZ_ASSERT(memcmp(r.reason, p + 6, reason_len) == 0);
			for (size_t i = 0; i < reason_len; i++)
				FUZZ_ASSERT(r.reason[i] >= 0x20 &&
				    r.reason[i] <= 0x7e);
			break;
		default:
			FUZZ_ASSERT(!"an unknown reply kind");
		}
	}
	fuzz_accepted = st == RENDEZVOUS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepted = false;
	fuzz_split_copy(data, size, FUZZ_RELAY_REPLY, check_reply,
	    check_request);
	return 0;
}
