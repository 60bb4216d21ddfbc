/*
 * preamble.c - the "SEALCAT/2 <protocol_name>\n" line, PROTOCOL.md §1:
 * building ours, reading the peer's without consuming a byte past its
 * '\n' (handshake message 1 may already be queued behind it), and
 * classifying it.  What to do with the answer is conn.c's business.
 */
#include "preamble.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

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

/* Waits until fd is readable or the deadline (NET_NO_DEADLINE: none)
 * passes.  1 readable, 0 time is up, -1 error (errno set). */
static int
wait_readable(int fd, long long deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		int left = net_remaining_ms(deadline_ms);
		int n;

		if (left == 0)
			return 0;
		n = poll(&pfd, 1, left);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

/* Reports why waiting for the line failed; ready is wait_readable()'s
 * answer, 0 or -1. */
static int
wait_failed(int ready)
{
	if (ready == 0)
		log_error("timed out waiting for the peer's SEALCAT/2 line — "
		    "check that the other end runs sealcat");
	else
		log_errno("cannot wait for the peer's SEALCAT/2 line");
	return -1;
}

/* The slow way, for fds that are not sockets (pipes in tests and fuzzing):
 * one byte per read(), so nothing past the '\n' is consumed. */
static int
read_bytewise(int fd, long long deadline_ms, char *line, size_t max,
    size_t *len)
{
	size_t n = *len;

	while (n < max) {
		ssize_t got;
		int ready = wait_readable(fd, deadline_ms);

		if (ready != 1)
			return wait_failed(ready);
		got = read(fd, line + n, 1);
		if (got == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			log_errno("cannot read the peer's SEALCAT/2 line");
			return -1;
		}
		if (got == 0)
			break;
		if (line[n++] == '\n')
			break;
	}
	*len = n;
	return 0;
}

/*
 * Looks at what has arrived with MSG_PEEK and then consumes exactly the
 * bytes that belong to the line: up to and including a '\n' if one is
 * there, else everything seen (it is all line).  Message 1 may follow in
 * the same segment, so a plain read() of "whatever is there" would be
 * wrong.  Two system calls per line instead of two per byte.
 */
int
preamble_read(int fd, long long deadline_ms, char *line, size_t line_cap,
    size_t *len)
{
	size_t max = line_cap < PREAMBLE_MAX ? line_cap : PREAMBLE_MAX;
	size_t n = 0;

	while (n < max) {
		ssize_t got;
		size_t take;
		char *nl;

		got = recv(fd, line + n, max - n, MSG_PEEK | MSG_DONTWAIT);
		if (got == -1) {
			if (errno == ENOTSOCK) {
				*len = n;
				return read_bytewise(fd, deadline_ms, line,
				    max, len);
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				int ready = wait_readable(fd, deadline_ms);

				if (ready != 1)
					return wait_failed(ready);
				continue;
			}
			if (errno == EINTR)
				continue;
			log_errno("cannot read the peer's SEALCAT/2 line");
			return -1;
		}
		if (got == 0)
			break;
		nl = memchr(line + n, '\n', (size_t)got);
		take = nl != NULL ? (size_t)(nl - (line + n)) + 1 :
		    (size_t)got;
		/* Consume what we peeked; it is queued, so read() returns
		 * at once, possibly short if interrupted. */
		while (take > 0) {
			got = read(fd, line + n, take);
			if (got == -1) {
				if (errno == EINTR)
					continue;
				log_errno("cannot read the peer's SEALCAT/2 "
				    "line");
				return -1;
			}
			if (got == 0)
				break;
			n += (size_t)got;
			take -= (size_t)got;
		}
		if (take > 0 || nl != NULL)
			break;
	}
	*len = n;
	return 0;
}
