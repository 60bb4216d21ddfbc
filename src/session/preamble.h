/*
 * preamble.h - the "SEALCAT/2 <protocol_name>\n" line (PROTOCOL.md §1):
 * build it, read it (64 bytes at most, never past the '\n'), classify it.
 */
#ifndef SEALCAT_PREAMBLE_H
#define SEALCAT_PREAMBLE_H

#include <stddef.h>

#include "crypto/suite.h"

#define PREAMBLE_MAX 64		/* bytes, including the '\n' */
#define PREAMBLE_PREFIX "SEALCAT/2 "
#define PREAMBLE_V1_PREFIX "SEALCAT/1 "	/* protocol version 1 */

enum preamble_kind {
	PREAMBLE_SAME,		/* byte-identical to ours */
	PREAMBLE_OTHER_SUITE,	/* a valid SEALCAT/2 line for another suite */
	PREAMBLE_VERSION_1,	/* a line that would be valid with the prefix
				 * of protocol version 1 */
	PREAMBLE_GARBAGE	/* anything else */
};

/* Writes our line (with '\n', NUL-terminated) to out.  Returns its length,
 * or 0 if out_cap is too small. */
size_t preamble_build(const struct suite *suite, char *out, size_t out_cap);

/*
 * Classifies a received line (len bytes, '\n' included when present).  For
 * PREAMBLE_OTHER_SUITE and PREAMBLE_VERSION_1, *peer_protocol and
 * *peer_protocol_len name the protocol the peer speaks (pointing into
 * line); it may be a protocol name we do not implement.
 */
enum preamble_kind preamble_classify(const char *ours, size_t ours_len,
    const char *line, size_t len, const char **peer_protocol,
    size_t *peer_protocol_len);

/*
 * Reads one line from fd, never consuming a byte after the '\n' (message 1
 * may be queued behind it; see io_read_line()), until '\n', PREAMBLE_MAX
 * bytes, EOF, or the deadline (CLOCK_MONOTONIC milliseconds, see io.h).
 * Returns 0 and sets *len (the '\n' included if seen), or -1 after
 * reporting a read error or timeout.  EOF before any byte is 0 with
 * *len = 0.
 */
int preamble_read(int fd, long long deadline_ms, char *line, size_t line_cap,
    size_t *len);

#endif
