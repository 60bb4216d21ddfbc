/*
 * preamble.c - the "SEALCAT/1 <protocol_name>\n" line, PROTOCOL.md §1:
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

enum preamble_kind
preamble_classify(const char *ours, size_t ours_len, const char *line,
    size_t len, const char **peer_protocol, size_t *peer_protocol_len)
{
	size_t prefix_len = strlen(PREAMBLE_PREFIX);
	size_t name_len;

	if (len == ours_len && memcmp(line, ours, len) == 0)
		return PREAMBLE_SAME;
	if (len > PREAMBLE_MAX || len < prefix_len + 2 ||
	    line[len - 1] != '\n' ||
	    memcmp(line, PREAMBLE_PREFIX, prefix_len) != 0)
		return PREAMBLE_GARBAGE;
	name_len = len - prefix_len - 1;
	for (size_t i = 0; i < name_len; i++)
		if (!protocol_char(line[prefix_len + i]))
			return PREAMBLE_GARBAGE;
	if (peer_protocol != NULL)
		*peer_protocol = line + prefix_len;
	if (peer_protocol_len != NULL)
		*peer_protocol_len = name_len;
	return PREAMBLE_OTHER_SUITE;
}

int
preamble_read(int fd, long long deadline_ms, char *line, size_t line_cap,
    size_t *len)
{
	size_t max = line_cap < PREAMBLE_MAX ? line_cap : PREAMBLE_MAX;
	ssize_t n;

	if ((n = io_read_line(fd, line, max, deadline_ms)) == -1) {
		if (errno == ETIMEDOUT)
			log_error("timed out waiting for the peer's SEALCAT/1 "
			    "line — check that the other end runs sealcat");
		else
			log_errno("cannot read the peer's SEALCAT/1 line");
		return -1;
	}
	*len = (size_t)n;
	return 0;
}
