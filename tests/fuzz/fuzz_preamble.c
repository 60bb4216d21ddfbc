/*
 * fuzz_preamble.c - the SEALCAT/2 line (PROTOCOL.md §1) from a hostile
 * peer.  The input after the flags byte is what the peer sends before it
 * closes the connection; it goes through a socketpair into preamble_read()
 * as conn.c will use it, and what comes back goes into preamble_classify().
 *
 * Checked: the read stops at the first '\n' or PREAMBLE_MAX bytes and never
 * consumes a byte past it (the rest is still in the socket, byte for
 * byte); the line buffer is never overrun (it is allocated to the exact
 * size, so ASan sees one byte too many); and the classification is
 * consistent: SAME only for our exact line, OTHER_SUITE only for a well
 * formed line whose protocol name points inside it, VERSION_1 only for
 * one that would be well formed with the version 1 prefix.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "transport/io.h"

bool fuzz_accepted;

/* The socketpair's buffer holds this much without a reader. */
#define SEND_MAX 4096

static bool
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '/' ||
	    c == '-' || c == '.';
}

static enum preamble_kind
check_classify(const char *ours, size_t ours_len, const char *line,
    size_t len)
{
	size_t prefix_len = strlen(PREAMBLE_PREFIX);
	const char *name = NULL;
	size_t name_len = 0;
	enum preamble_kind kind;

	kind = preamble_classify(ours, ours_len, line, len, &name, &name_len);
	switch (kind) {
	case PREAMBLE_SAME:
		FUZZ_ASSERT(len == ours_len && memcmp(line, ours, len) == 0);
		break;
	case PREAMBLE_OTHER_SUITE:
	case PREAMBLE_VERSION_1:
		FUZZ_ASSERT(len <= PREAMBLE_MAX && line[len - 1] == '\n');
		FUZZ_ASSERT(memcmp(line, kind == PREAMBLE_OTHER_SUITE ?
		    PREAMBLE_PREFIX : PREAMBLE_V1_PREFIX, prefix_len) == 0);
		FUZZ_ASSERT(name == line + prefix_len);
		FUZZ_ASSERT(name_len >= 1 && name_len == len - prefix_len - 1);
		for (size_t i = 0; i < name_len; i++)
			FUZZ_ASSERT(name_char(name[i]));
		break;
	case PREAMBLE_GARBAGE:
		FUZZ_ASSERT(!(len == ours_len && memcmp(line, ours, len) == 0));
		break;
	default:
		FUZZ_ASSERT(!"preamble_classify returned an unknown kind");
	}
	return kind;
}

/* Reads what is left in fd after the line and compares it with rest. */
static void
check_rest(int fd, const uint8_t *rest, size_t rest_len)
{
	uint8_t buf[SEND_MAX + 1];
	size_t got = 0;

	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n == -1 && errno == EINTR)
			continue;
		FUZZ_ASSERT(n >= 0);
		if (n == 0)
			break;
		got += (size_t)n;
		FUZZ_ASSERT(got <= rest_len);
	}
	FUZZ_ASSERT(got == rest_len && memcmp(buf, rest, got) == 0);
}

static void
read_line(const char *ours, size_t ours_len, const uint8_t *sent,
    size_t sent_len)
{
	int sv[2];
	char *line;
	size_t len = 0;

	FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	FUZZ_ASSERT(io_write_all(sv[1], sent, sent_len, IO_NO_DEADLINE)
	    == 0);
	FUZZ_ASSERT(shutdown(sv[1], SHUT_WR) == 0);
	/* Exactly PREAMBLE_MAX bytes: no room for a NUL, nor for a byte
	 * more than the protocol allows. */
	line = malloc(PREAMBLE_MAX);
	FUZZ_ASSERT(line != NULL);
	/* The peer has closed, so the read ends at EOF at the latest; the
	 * deadline only stops a hang if that were ever broken. */
	FUZZ_ASSERT(preamble_read(sv[0], io_deadline(10), line,
	    PREAMBLE_MAX, &len) == 0);
	FUZZ_ASSERT(len <= PREAMBLE_MAX && len <= sent_len);
	FUZZ_ASSERT(memcmp(line, sent, len) == 0);
	/* The line ends at its first '\n', at PREAMBLE_MAX, or at EOF. */
	FUZZ_ASSERT(memchr(line, '\n', len) == NULL ||
	    memchr(line, '\n', len) == line + len - 1);
	FUZZ_ASSERT(len == PREAMBLE_MAX || len == sent_len ||
	    line[len - 1] == '\n');
	check_rest(sv[0], sent + len, sent_len - len);
	fuzz_accepted = check_classify(ours, ours_len, line, len) ==
	    PREAMBLE_SAME;
	free(line);
	close(sv[0]);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ours[PREAMBLE_MAX + 1];
	size_t ours_len;

	fuzz_accepted = false;
	if (size < 1)
		return 0;
	fuzz_setup();
	ours_len = preamble_build(fuzz_suite(data[0]), ours, sizeof(ours));
	FUZZ_ASSERT(ours_len > 0);
	data++;
	size--;
	/* The classifier alone, on the whole input: conn.c hands it at most
	 * PREAMBLE_MAX bytes, but it must cope with anything. */
	(void)check_classify(ours, ours_len, (const char *)data, size);
	read_line(ours, ours_len, data, size < SEND_MAX ? size : SEND_MAX);
	return 0;
}
