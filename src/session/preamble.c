/*
 * preamble.c - the "SEALCAT/2 <protocol_name>\n" line, PROTOCOL.md §1:
 * building ours, reading the peer's without consuming a byte past its
 * '\n' (handshake message 1 may already be queued behind it), and
 * classifying it.  The reading itself is io_read_line(); what to do with
 * the answer is conn.c's business.
 */
#include "session/preamble.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "transport/io.h"
#include "base/log.h"

size_t
preamble_build(const struct suite *suite, char *out, size_t out_cap)
{
	int n = snprintf(out, out_cap, "%s%s\n", PREAMBLE_PREFIX,
	    suite->protocol);

	if (n < 0 || (size_t)n >= out_cap || n > PREAMBLE_MAX)
		return 0;
	return (size_t)n;
}

/* Noise protocol names use letters, digits and a little punctuation; we
 * take nothing else, so a name is always safe to print. */
static bool
protocol_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '/' ||
	    c == '-' || c == '.';
}

/* True if line (len bytes) is well-formed with prefix (PROTOCOL.md §1.1):
 * at most PREAMBLE_MAX bytes, the prefix, a name of 1 to 53 bytes of
 * protocol_char()s, one '\n'. */
static bool
well_formed(const char *line, size_t len, const char *prefix)
{
	size_t prefix_len = strlen(prefix);

	if (len > PREAMBLE_MAX || len < prefix_len + 2 ||
	    line[len - 1] != '\n' || memcmp(line, prefix, prefix_len) != 0)
		return false;
	for (size_t i = prefix_len; i < len - 1; i++)
		if (!protocol_char(line[i]))
			return false;
	return true;
}

enum preamble_kind
preamble_classify(const char *ours, size_t ours_len, const char *line,
    size_t len, const char **peer_protocol, size_t *peer_protocol_len)
{
	/* Both prefixes are as long. */
	size_t prefix_len = strlen(PREAMBLE_PREFIX);
	enum preamble_kind kind;

	if (len == ours_len && memcmp(line, ours, len) == 0)
		return PREAMBLE_SAME;
	if (well_formed(line, len, PREAMBLE_PREFIX))
		kind = PREAMBLE_OTHER_SUITE;
	else if (well_formed(line, len, PREAMBLE_V1_PREFIX))
		kind = PREAMBLE_VERSION_1;
	else
		return PREAMBLE_GARBAGE;
	if (peer_protocol != NULL)
		*peer_protocol = line + prefix_len;
	if (peer_protocol_len != NULL)
		*peer_protocol_len = len - prefix_len - 1;
	return kind;
}

int
preamble_read(int fd, long long deadline_ms, char *line, size_t line_cap,
    size_t *len)
{
	size_t max = line_cap < PREAMBLE_MAX ? line_cap : PREAMBLE_MAX;
	ssize_t n;

	if ((n = io_read_line(fd, line, max, deadline_ms)) == -1) {
		if (errno == ETIMEDOUT)
			log_error("timed out waiting for the peer's SEALCAT/2 "
			    "line — check that the other end runs sealcat");
		else
			log_errno("cannot read the peer's SEALCAT/2 line");
		return -1;
	}
	*len = (size_t)n;
	return 0;
}
