/*
 * test_preamble.c - building and classifying the SEALCAT/2 line, and
 * reading it from a socket without consuming what follows, with a
 * deadline.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport/io.h"
#include "session/preamble.h"
#include "crypto/suite.h"
#include "tap.h"
#include "base/util.h"

static void
test_build(void)
{
	char line[PREAMBLE_MAX + 1];
	size_t len;

	len = preamble_build(&suite_x25519, line, sizeof(line));
	ok(len == 44 && strcmp(line,
	    "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n") == 0,
	    "build x25519: \"SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\\n\"");
	len = preamble_build(&suite_p256, line, sizeof(line));
	ok(len == 38 && strcmp(line,
	    "SEALCAT/2 Noise_XX_P256_AESGCM_SHA256\n") == 0,
	    "build p256: \"SEALCAT/2 Noise_XX_P256_AESGCM_SHA256\\n\"");
	ok(preamble_build(&suite_p256, line, 38) == 0,
	    "build refuses a buffer without room for the NUL");
	ok(preamble_build(&suite_p256, line, 39) == 38,
	    "build fits a buffer of exactly line + NUL");
}

static enum preamble_kind
classify(const char *line, const char **proto, size_t *proto_len)
{
	static const char ours[] =
	    "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n";

	*proto = NULL;
	*proto_len = 0;
	return preamble_classify(ours, sizeof(ours) - 1, line, strlen(line),
	    proto, proto_len);
}

static void
test_classify(void)
{
	static const struct {
		const char *line;
		enum preamble_kind kind;
		const char *proto;
		const char *what;
	} cases[] = {
		{ "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n",
		  PREAMBLE_SAME, NULL, "our own line" },
		{ "SEALCAT/2 Noise_XX_P256_AESGCM_SHA256\n",
		  PREAMBLE_OTHER_SUITE, "Noise_XX_P256_AESGCM_SHA256",
		  "the p256 line" },
		{ "SEALCAT/2 Noise_IK_448+hfs_ChaChaPoly_BLAKE2b\n",
		  PREAMBLE_OTHER_SUITE, "Noise_IK_448+hfs_ChaChaPoly_BLAKE2b",
		  "a protocol we do not implement" },
		{ "SEALCAT/2 CPace+Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b\n",
		  PREAMBLE_OTHER_SUITE,
		  "CPace+Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b",
		  "code mode's line" },
		{ "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b",
		  PREAMBLE_GARBAGE, NULL, "our line without its newline" },
		{ "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\r\n",
		  PREAMBLE_GARBAGE, NULL, "CR LF ending" },
		{ "SEALCAT/2 \n", PREAMBLE_GARBAGE, NULL, "empty name" },
		{ "SEALCAT/2 Noise XX\n", PREAMBLE_GARBAGE, NULL,
		  "a space in the name" },
		{ "SEALCAT/2 Noise\x1b[2J\n", PREAMBLE_GARBAGE, NULL,
		  "an escape sequence in the name" },
		{ "SEALCAT/1 Noise_XX_25519_ChaChaPoly_BLAKE2b\n",
		  PREAMBLE_VERSION_1, "Noise_XX_25519_ChaChaPoly_BLAKE2b",
		  "protocol version 1, our suite" },
		{ "SEALCAT/1 Noise_XX_P256_AESGCM_SHA256\n",
		  PREAMBLE_VERSION_1, "Noise_XX_P256_AESGCM_SHA256",
		  "protocol version 1, the other suite" },
		{ "SEALCAT/1 Noise XX\n", PREAMBLE_GARBAGE, NULL,
		  "protocol version 1, a space in the name" },
		{ "SEALCAT/1 Noise_XX_25519_ChaChaPoly_BLAKE2b",
		  PREAMBLE_GARBAGE, NULL, "protocol version 1, no newline" },
		{ "SEALCAT/3 Noise_XX_25519_ChaChaPoly_BLAKE2b\n",
		  PREAMBLE_GARBAGE, NULL, "protocol version 3" },
		{ "sealcat/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n",
		  PREAMBLE_GARBAGE, NULL, "lower-case prefix" },
		{ "SSH-2.0-OpenSSH_9.6\r\n", PREAMBLE_GARBAGE, NULL,
		  "an SSH banner" },
		{ "", PREAMBLE_GARBAGE, NULL, "nothing (EOF)" },
		/* 64 bytes exactly, then 65. */
		{ "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b_abcdefghijklmnopqrs\n",
		  PREAMBLE_OTHER_SUITE,
		  "Noise_XX_25519_ChaChaPoly_BLAKE2b_abcdefghijklmnopqrs",
		  "a 64-byte line" },
		{ "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b_abcdefghijklmnopqrst\n",
		  PREAMBLE_GARBAGE, NULL, "a 65-byte line" },
		{ "SEALCAT/1 Noise_XX_25519_ChaChaPoly_BLAKE2b_abcdefghijklmnopqrst\n",
		  PREAMBLE_GARBAGE, NULL, "a 65-byte version 1 line" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *proto;
		size_t proto_len;
		enum preamble_kind kind = classify(cases[i].line, &proto,
		    &proto_len);
		bool good = kind == cases[i].kind;

		if (good && cases[i].proto != NULL)
			good = proto != NULL &&
			    proto_len == strlen(cases[i].proto) &&
			    memcmp(proto, cases[i].proto, proto_len) == 0;
		ok(good, "classify %s: %s", cases[i].what,
		    cases[i].kind == PREAMBLE_SAME ? "same" :
		    cases[i].kind == PREAMBLE_OTHER_SUITE ? "other suite" :
		    cases[i].kind == PREAMBLE_VERSION_1 ? "version 1" :
		    "garbage");
	}
}

static void
test_read(void)
{
	char line[PREAMBLE_MAX + 8];
	char rest[128];
	int sv[2];
	size_t len = 99;
	ssize_t got;
	long long start;
	static const char sent[] = "SEALCAT/2 Noise_XX_P256_AESGCM_SHA256\n"
	    "\x00\x41handshake";

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		ok(false, "socketpair");
		return;
	}
	/* Line and the start of message 1 arrive in one segment. */
	write(sv[1], sent, sizeof(sent) - 1);
	ok(preamble_read(sv[0], io_now_ms() + 2000, line, sizeof(line),
	    &len) == 0 && len == 38 && memcmp(line, sent, 38) == 0,
	    "read: one line, '\\n' included (len %zu)", len);
	got = read(sv[0], rest, sizeof(rest));
	ok(got == (ssize_t)(sizeof(sent) - 1 - 38) &&
	    memcmp(rest, sent + 38, (size_t)got) == 0,
	    "read: the bytes after '\\n' are still in the socket");

	/* 64 bytes without a newline: stops there, consumes no more. */
	memset(rest, 'A', 70);
	write(sv[1], rest, 70);
	ok(preamble_read(sv[0], io_now_ms() + 2000, line, sizeof(line),
	    &len) == 0 && len == PREAMBLE_MAX,
	    "read: stops after 64 bytes without a newline (len %zu)", len);
	got = read(sv[0], rest, sizeof(rest));
	ok(got == 6, "read: the 65th byte on are left unread (%zd)", got);

	/* Nothing arrives: the deadline ends the wait. */
	start = io_now_ms();
	ok(preamble_read(sv[0], start + 200, line, sizeof(line), &len) == -1,
	    "read: times out when nothing arrives");
	ok(io_now_ms() - start >= 190 && io_now_ms() - start < 2000,
	    "read: the timeout took about 200 ms (%lld)", io_now_ms() - start);

	/* Without a deadline it simply waits for the line. */
	write(sv[1], "SEALCAT/2 x\n", 12);
	ok(preamble_read(sv[0], IO_NO_DEADLINE, line, sizeof(line),
	    &len) == 0 && len == 12, "read: IO_NO_DEADLINE reads the line");

	/* A partial line, then EOF. */
	write(sv[1], "SEAL", 4);
	shutdown(sv[1], SHUT_WR);
	ok(preamble_read(sv[0], io_now_ms() + 2000, line, sizeof(line),
	    &len) == 0 && len == 4 && memcmp(line, "SEAL", 4) == 0,
	    "read: EOF after 4 bytes gives those 4 bytes");
	ok(preamble_read(sv[0], io_now_ms() + 2000, line, sizeof(line),
	    &len) == 0 && len == 0, "read: EOF before any byte gives len 0");
	close(sv[0]);
	close(sv[1]);
}

/* The line arrives in two pieces, the second one later: preamble_read()
 * waits for it (no early return, no byte past the '\n' taken). */
static void
test_read_split(void)
{
	char line[PREAMBLE_MAX + 8];
	char rest[16];
	int sv[2];
	size_t len = 99;
	ssize_t got;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		ok(false, "socketpair");
		return;
	}
	write(sv[1], "SEALCAT/2 ", 10);
	if ((pid = fork()) == 0) {
		usleep(100 * 1000);
		write(sv[1], "x\nMSG", 5);
		_exit(0);
	}
	ok(preamble_read(sv[0], io_now_ms() + 2000, line, sizeof(line),
	    &len) == 0 && len == 12 && memcmp(line, "SEALCAT/2 x\n", 12) == 0,
	    "read: a line in two pieces is read whole");
	waitpid(pid, NULL, 0);
	shutdown(sv[1], SHUT_WR);
	got = read(sv[0], rest, sizeof(rest));
	ok(got == 3 && memcmp(rest, "MSG", 3) == 0,
	    "read: the piece after the split '\\n' is left unread (%zd)", got);
	close(sv[0]);
	close(sv[1]);
}

/* Not a socket: the byte-at-a-time path still stops at the '\n'. */
static void
test_read_pipe(void)
{
	char line[PREAMBLE_MAX + 8];
	char rest[16];
	int fds[2];
	size_t len = 99;
	ssize_t got;

	if (pipe(fds) != 0) {
		ok(false, "pipe");
		return;
	}
	write(fds[1], "SEALCAT/2 y\nMSG", 15);
	close(fds[1]);
	ok(preamble_read(fds[0], io_now_ms() + 2000, line, sizeof(line),
	    &len) == 0 && len == 12 && memcmp(line, "SEALCAT/2 y\n", 12) == 0,
	    "read: a pipe gives the line");
	got = read(fds[0], rest, sizeof(rest));
	ok(got == 3 && memcmp(rest, "MSG", 3) == 0,
	    "read: a pipe keeps the bytes after '\\n' (%zd)", got);
	close(fds[0]);
}

int
main(void)
{
	if (suite_init() != 0)
		return 1;
	test_build();
	test_classify();
	test_read();
	test_read_split();
	test_read_pipe();
	return tap_done();
}
