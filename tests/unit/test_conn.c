/*
 * test_conn.c - the handshake driver's check of the peer's static key:
 * conn_check_peer_key() on canonical and non-canonical keys of both
 * suites, and conn_run() as the initiator against a fake server (a child
 * on a socketpair, driving noise.c itself) that sends its X25519 static
 * key with the top bit set.  X25519 ignores that bit, so the handshake
 * verifies; the key must still be refused before it is trusted or
 * recorded, or known_peers would get a line that token_parse() refuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "session/conn.h"
#include "helpers.h"
#include "transport/io.h"
#include "keys/keyfile.h"
#include "noise/noise.h"
#include "session/preamble.h"
#include "transport/stream.h"
#include "crypto/suite.h"
#include "tap.h"
#include "keys/trust.h"
#include "base/util.h"

/* Whether conn_check_peer_key() takes pub, and what it said if not. */
static void
check_key(const struct suite *suite, const uint8_t *pub, bool want_ok,
    const char *want_text, const char *what)
{
	int rc;

	capture_begin();
	rc = conn_check_peer_key(suite, pub, "192.0.2.7:9000");
	capture_end();
	if (want_ok)
		ok(rc == 0 && captured[0] == '\0', "%s %s: accepted",
		    suite->name, what);
	else
		ok(rc == -1 && strstr(captured, want_text) != NULL &&
		    strstr(captured, "handshake with 192.0.2.7:9000 failed") !=
		    NULL, "%s %s: refused (%.*s)", suite->name, what,
		    (int)strcspn(captured, "\n"), captured);
}

static void
test_check_x25519(void)
{
	const struct suite *x = &suite_x25519;
	uint8_t priv[SUITE_PRIV_LEN], pub[SUITE_PUB_MAX];

	if (x->keypair(priv, pub) != 0)
		abort();
	pub[31] &= 0x7f;
	check_key(x, pub, true, NULL, "a fresh public key");
	pub[31] |= 0x80;
	check_key(x, pub, false, "not canonical: the top bit is set",
	    "the same key with the top bit set");
	/* p = 2^255 - 19, little-endian: ed ff .. ff 7f. */
	memset(pub, 0xff, 32);
	pub[0] = 0xed;
	pub[31] = 0x7f;
	check_key(x, pub, false, "not canonical: u is not reduced",
	    "u = p");
	pub[0] = 0xec;
	check_key(x, pub, true, NULL, "u = p - 1");
	pub[0] = 0xff;
	check_key(x, pub, false, "not canonical: u is not reduced",
	    "u = 2^255 - 1");
	check_key(x, NULL, false, "not known yet", "no key at all");
	wipe(priv, sizeof(priv));
}

static void
test_check_p256(void)
{
	const struct suite *p = &suite_p256;
	uint8_t priv[SUITE_PRIV_LEN], pub[SUITE_PUB_MAX];

	if (p->keypair(priv, pub) != 0)
		abort();
	check_key(p, pub, true, NULL, "a fresh public key");
	/* The hybrid form of the same point: 0x06 or 0x07 by y's parity. */
	pub[0] = (uint8_t)(0x06 | (pub[64] & 1));
	check_key(p, pub, false, "not canonical: the hybrid form",
	    "the same point in hybrid form");
	wipe(priv, sizeof(priv));
}

/* Reads one uint16-prefixed handshake message; its length, or 0. */
static size_t
read_message(int fd, uint8_t *buf, size_t cap)
{
	uint8_t hdr[2];
	size_t len;

	if (io_read_exact(fd, hdr, 2, io_deadline(5)) != 2)
		return 0;
	len = get_be16(hdr);
	if (len == 0 || len > cap ||
	    io_read_exact(fd, buf, len, io_deadline(5)) != (ssize_t)len)
		return 0;
	return len;
}

/*
 * The fake server, in a child: the line, message 1, then message 2 with
 * pub as its static public key (priv's, with the top bit set), then it
 * waits for the client's next bytes or its close and exits.
 */
static void
fake_server(int fd, const uint8_t *priv, const uint8_t *pub)
{
	static struct handshake_state hs;
	uint8_t in[1024], out[1024];
	char line[PREAMBLE_MAX + 1];
	size_t len, out_len;

	if (preamble_read(fd, io_deadline(5), line, sizeof(line), &len) == -1 ||
	    io_write_all(fd, line, len, io_deadline(5)) == -1 ||
	    noise_init(&hs, &suite_x25519, ROLE_RESPONDER,
	    (const uint8_t *)line, len, priv, pub) == -1 ||
	    (len = read_message(fd, in, sizeof(in))) == 0 ||
	    noise_read_message(&hs, in, len, NULL, 0, &out_len) == -1 ||
	    noise_write_message(&hs, NULL, 0, out + 2, sizeof(out) - 2,
	    &out_len) == -1)
		_exit(2);
	put_be16(out, (uint16_t)out_len);
	if (io_write_all(fd, out, out_len + 2, io_deadline(5)) == -1)
		_exit(2);
	(void)read(fd, in, sizeof(in));
	_exit(0);
}

static void
test_alias_server(void)
{
	struct identity *id = secret_alloc(sizeof(*id));
	uint8_t server_priv[SUITE_PRIV_LEN], server_pub[SUITE_PUB_MAX];
	struct conn_opts co;
	struct trust trust;
	struct stream st;
	enum conn_result result = CONN_DONE;
	const char *known = test_path("known_peers");
	struct stat sb;
	int sv[2], status, rc, null_fd;
	pid_t pid;

	if (id == NULL || identity_generate(&suite_x25519, id) == -1 ||
	    suite_x25519.keypair(server_priv, server_pub) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	/* The alias: the same X25519 key, which DH cannot tell apart. */
	server_pub[31] |= 0x80;
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(sv[0]);
		fake_server(sv[1], server_priv, server_pub);
	}
	close(sv[1]);

	trust_init(&trust);
	trust.mode = TRUST_KNOWN_PEERS;
	trust.trust_new = true;
	snprintf(trust.known_path, sizeof(trust.known_path), "%s", known);
	snprintf(trust.host_port, sizeof(trust.host_port), "server:9000");
	memset(&co, 0, sizeof(co));
	co.role = ROLE_INITIATOR;
	co.id = id;
	co.trust = &trust;
	co.timeout_s = 5;
	stream_init(&st);
	st.fd = sv[0];
	snprintf(st.addr, sizeof(st.addr), "fake:1");
	snprintf(st.name, sizeof(st.name), "server:9000");
	/* Should the handshake go through, the relay must not read the
	 * test's own stdin. */
	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd == -1 || dup2(null_fd, STDIN_FILENO) == -1)
		abort();
	close(null_fd);

	capture_begin();
	rc = conn_run(&st, &co, &result);
	capture_end();
	ok(rc == -1 && result == CONN_FAILED,
	    "alias server: conn_run() fails (rc %d, result %d)", rc,
	    (int)result);
	ok(strstr(captured, "handshake with fake:1 failed: its static key "
	    "is not canonical: the top bit is set") != NULL,
	    "alias server: the message says why (%.*s)",
	    (int)strcspn(captured, "\n"), captured);
	ok(strstr(captured, "recorded") == NULL &&
	    stat(known, &sb) == -1 && errno == ENOENT,
	    "alias server: nothing recorded in known_peers (%s)",
	    test_read_file(known));
	ok(st.fd == -1 && st.end == STREAM_CLOSED,
	    "alias server: the stream is closed");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "alias server: the fake server ran "
	    "its part");
	trust_clear(&trust);
	secret_free(id, sizeof(*id));
	wipe(server_priv, sizeof(server_priv));
}

int
main(void)
{
	if (suite_init() != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	test_dir_create();
	test_check_x25519();
	test_check_p256();
	test_alias_server();
	test_dir_remove();
	return tap_done();
}
