/*
 * test_relay.c - the relay against a scripted peer: the test plays the
 * responder on the other end of a socketpair.  Where the ending needs no
 * answer from the peer, the test writes its frames before the relay runs
 * and reads back what the relay sent; where it does (DONE, rekey rounds),
 * the relay runs in a child process and the test answers as it goes, with
 * rekey.c playing the peer's side of a round.  Input and output are
 * temporary files.  Checks the ending and its confirmations (PROTOCOL.md
 * §3.4), the rekey rounds (§3.5), and that nothing of a bad frame is
 * written out.
 */
#include "session/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "session/ending.h"
#include "session/frame.h"
#include "session/local.h"
#include "transport/io.h"
#include "session/rekey.h"
#include "base/sig.h"
#include "crypto/suite.h"
#include "base/util.h"

#include "pair.h"
#include "tap.h"

struct rig {
	const struct suite *suite;
	struct pair p;
	int sock;		/* the relay's end */
	int peer;		/* the test's end */
	char in_path[64];
	char out_path[64];
	struct local local;
	struct relay_opts opts;
	struct rekey rekey;	/* the relay's rounds (the initiator) */
	struct rekey peer_rekey;	/* the test peer's (the responder) */
	bool tell;		/* the relay tells the peer why it failed, as
				 * conn.c does */
	int dones;		/* DONE frames peer_recv() has seen */
	int hold;		/* rig_pipe_input()'s write end, or -1 */
};

static uint8_t frame[FRAME_BUF_LEN];

/* A fresh handshake, a socketpair, and input holding in[0..in_len). */
static void
rig_setup(struct rig *g, const struct suite *suite, const void *in,
    size_t in_len)
{
	struct timeval limit = { .tv_sec = 10 };
	int sv[2];
	int fd;

	memset(g, 0, sizeof(*g));
	g->suite = suite;
	if (!pair_handshake(suite, &g->p) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    rekey_init(&g->peer_rekey, suite, ROLE_RESPONDER, g->p.r_rk, 0,
	    io_now_ms()) != 0)
		abort();
	g->sock = sv[0];
	g->peer = sv[1];
	g->hold = -1;
	/* A relay that never answers fails the test instead of hanging it. */
	(void)setsockopt(g->peer, SOL_SOCKET, SO_RCVTIMEO, &limit,
	    sizeof(limit));
	snprintf(g->in_path, sizeof(g->in_path), "/tmp/relay-in-XXXXXX");
	snprintf(g->out_path, sizeof(g->out_path), "/tmp/relay-out-XXXXXX");
	if ((fd = mkstemp(g->in_path)) == -1 ||
	    write(fd, in, in_len) != (ssize_t)in_len)
		abort();
	close(fd);
	if ((fd = mkstemp(g->out_path)) == -1)
		abort();
	close(fd);
	local_init(&g->local);
	g->local.in_fd = open(g->in_path, O_RDONLY);
	g->local.out_fd = open(g->out_path, O_WRONLY);
}

/* The relay's rekey state at Split, with the rig's --rekey-interval. */
static struct rekey *
rig_rekey(struct rig *g)
{
	if (rekey_init(&g->rekey, g->suite, ROLE_INITIATOR, g->p.i_rk,
	    g->opts.rekey_interval_s, io_now_ms()) != 0)
		abort();
	return &g->rekey;
}

/* The peer sends one frame of type with body (a REKEY or SWITCH as its
 * own round owes it: see peer_answer()). */
static void
peer_send(struct rig *g, enum frame_type type, const void *body,
    size_t body_len, bool flip)
{
	size_t len;

	memmove(frame + FRAME_BODY_OFFSET, body, body_len);
	if (frame_seal(&g->p.r_send, type, frame, sizeof(frame), body_len,
	    &len) != 0)
		abort();
	if (flip)
		frame[len - 5] ^= 0x20;
	if (write(g->peer, frame, len) != (ssize_t)len)
		abort();
}

/* The peer sends a frame with body, then an empty frame of type2, in one
 * write(2), so both arrive before the relay can answer the first. */
static void
peer_send_two(struct rig *g, enum frame_type type, const void *body,
    size_t body_len, enum frame_type type2)
{
	static uint8_t both[2 * FRAME_BUF_LEN];
	size_t len, len2;

	memmove(frame + FRAME_BODY_OFFSET, body, body_len);
	if (frame_seal(&g->p.r_send, type, frame, sizeof(frame), body_len,
	    &len) != 0 || len > sizeof(both) / 2)
		abort();
	memcpy(both, frame, len);
	if (frame_seal(&g->p.r_send, type2, frame, sizeof(frame), 0,
	    &len2) != 0 || len2 > sizeof(both) - len)
		abort();
	memcpy(both + len, frame, len2);
	if (write(g->peer, both, len + len2) != (ssize_t)(len + len2))
		abort();
}

/* The peer sends the REKEY and SWITCH its round owes, if any. */
static void
peer_answer(struct rig *g)
{
	uint8_t body[SUITE_PUB_MAX];
	enum frame_type type;
	size_t len = 0;

	while (rekey_owes(&g->peer_rekey, &type)) {
		if (type == FRAME_REKEY && rekey_write(&g->peer_rekey, body,
		    sizeof(body), &len) != 0)
			abort();
		peer_send(g, type, body, type == FRAME_REKEY ? len : 0,
		    false);
		if (rekey_sent(&g->peer_rekey, type, &g->p.r_send) != 0)
			abort();
	}
}

/* The peer starts a rekey round of its own and sends its REKEY. */
static void
peer_start_round(struct rig *g)
{
	if (rekey_start(&g->peer_rekey, io_now_ms()) != 0)
		abort();
	peer_answer(g);
}

/* The peer sends an authentic frame whose plaintext is plain[0..len):
 * what frame_seal() would refuse to build. */
static void
peer_send_raw(struct rig *g, const uint8_t *plain, size_t plain_len)
{
	size_t ct_len;

	if (noise_encrypt(&g->p.r_send, NULL, 0, plain, plain_len, frame + 2,
	    sizeof(frame) - 2, &ct_len) != 0)
		abort();
	put_be16(frame, (uint16_t)ct_len);
	if (write(g->peer, frame, ct_len + 2) != (ssize_t)(ct_len + 2))
		abort();
}

/* Runs the relay on the rig, as conn.c does; with g->tell, a failure of
 * the output is told to the peer in an ERROR like conn.c's. */
static enum relay_end
rig_run(struct rig *g)
{
	struct relay r = { 0 };
	enum relay_end end;
	char reason[FRAME_ERROR_MAX + 1];

	if (relay_init(&r, g->sock, &g->local, &g->p.i_send, &g->p.i_recv,
	    rig_rekey(g), &g->opts, "test peer") != 0)
		abort();
	end = relay_run(&r);
	if (g->tell && end == RELAY_OUTPUT_FAILED) {
		snprintf(reason, sizeof(reason), "could not deliver your "
		    "stream: %s", strerror(r.out_errno));
		(void)relay_send_error(&r, reason, io_now_ms() + 2000);
	}
	relay_free(&r);
	local_finish(&g->local, end != RELAY_DONE);
	return end;
}

/* Runs the relay in a child process, which drops the test's end of the
 * connection: the test answers as the peer, and closing its end ends the
 * connection.  The child's exit status is the relay_end. */
static pid_t
rig_start(struct rig *g)
{
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		/* Only the test may end the input, or the connection. */
		close(g->peer);
		if (g->hold != -1)
			close(g->hold);
		_exit((int)rig_run(g));
	}
	/* The relay's end is the child's alone: its exit ends it. */
	close(g->sock);
	g->sock = -1;
	return pid;
}

/* The relay_end of a relay started by rig_start(), or -1 if it did not
 * end within 20 s (it is killed then). */
static int
rig_wait(pid_t pid)
{
	int status;

	for (int i = 0; i < 2000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* What the relay wrote out, NUL-terminated, into buf. */
static size_t
output(struct rig *g, char *buf, size_t cap)
{
	int fd = open(g->out_path, O_RDONLY);
	ssize_t n = read(fd, buf, cap - 1);

	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return n < 0 ? 0 : (size_t)n;
}

/* Reads the next frame the relay sent, without acting on it; returns its
 * type or -1. */
static int
peer_recv_raw(struct rig *g, uint8_t *body, size_t *body_len)
{
	enum frame_type type;
	const char *why;
	size_t len;

	if (recv(g->peer, frame, 2, MSG_WAITALL) != 2)
		return -1;
	len = get_be16(frame);
	if (recv(g->peer, frame + 2, len, MSG_WAITALL) != (ssize_t)len ||
	    frame_open(&g->p.r_recv, frame + 2, len, &type, body_len, &why)
	    != 0)
		return -1;
	memcpy(body, frame + 3, *body_len);
	return (int)type;
}

/* Gives a REKEY or SWITCH to the peer's round, answering it; returns
 * type, or -1 if the peer's rekey.c refused it. */
static int
peer_take_rekey(struct rig *g, int type, const uint8_t *body, size_t len)
{
	const char *why;

	if (rekey_received(&g->peer_rekey, (enum frame_type)type, body, len,
	    &g->p.r_recv, true, io_now_ms(), &why) != REKEY_OK)
		return -1;
	peer_answer(g);
	return type;
}

/* Reads the next frame the relay sent; a REKEY or SWITCH goes to the
 * peer's round at once, and is answered.  Returns its type or -1. */
static int
peer_recv(struct rig *g, uint8_t *body, size_t *body_len)
{
	int type = peer_recv_raw(g, body, body_len);

	if (type == FRAME_DONE)
		g->dones++;
	if (type == FRAME_REKEY || type == FRAME_SWITCH)
		return peer_take_rekey(g, type, body, *body_len);
	return type;
}

/* Reads up to the next DATA frame, taking rekey frames and PINGs on the
 * way.  Returns how many it took, or -1 if no DATA came. */
static int
peer_recv_data(struct rig *g, uint8_t *body, size_t *body_len)
{
	int type, taken = 0;

	while ((type = peer_recv(g, body, body_len)) != FRAME_DATA) {
		if (type != FRAME_REKEY && type != FRAME_SWITCH &&
		    type != FRAME_PING)
			return -1;
		taken++;
	}
	return taken;
}

/* Reads frames until one of type want; DATA bodies are appended to
 * data (cap bytes, *data_len so far; may be NULL).  Returns false at the
 * end of the connection, a bad frame, or an ERROR before it. */
static bool
peer_until(struct rig *g, int want, uint8_t *data, size_t cap,
    size_t *data_len)
{
	static uint8_t body[FRAME_BODY_MAX];
	size_t len;
	int type;

	for (;;) {
		if ((type = peer_recv(g, body, &len)) == -1)
			return false;
		if (type == FRAME_DATA && data != NULL) {
			if (len > cap - *data_len)
				return false;
			memcpy(data + *data_len, body, len);
			*data_len += len;
		}
		if (type == want)
			return true;
		if (type == FRAME_ERROR)
			return false;
	}
}

/* True once the relay has ended the connection with nothing after its
 * last frame. */
static bool
peer_sees_end(struct rig *g)
{
	uint8_t byte;

	return recv(g->peer, &byte, 1, 0) == 0;
}

static void
rig_teardown(struct rig *g)
{
	if (g->sock != -1)
		close(g->sock);
	if (g->peer != -1)
		close(g->peer);
	unlink(g->in_path);
	unlink(g->out_path);
	rekey_clear(&g->rekey);
	rekey_clear(&g->peer_rekey);
}

/* Replaces the rig's input with a pipe holding in[0..in_len) whose write
 * end stays open (returned): input that has not ended. */
static int
rig_pipe_input(struct rig *g, const void *in, size_t in_len)
{
	int fds[2];

	if (pipe(fds) == -1 || write(fds[1], in, in_len) != (ssize_t)in_len)
		abort();
	close(g->local.in_fd);
	g->local.in_fd = fds[0];
	(void)fcntl(fds[0], F_SETFL, O_NONBLOCK);
	g->hold = fds[1];
	return fds[1];
}

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A whole session: the peer's DATA, PING and CLOSE are there before the
 * relay starts, so it delivers them and confirms with DONE, then sends
 * its own stream; only the peer's DONE, answering our CLOSE, ends it.
 */
static void
test_both_ways(const struct suite *suite)
{
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	char out[64];
	size_t len;
	pid_t pid;

	rig_setup(&g, suite, "abc", 3);
	peer_send(&g, FRAME_DATA, "hello", 5, false);
	peer_send(&g, FRAME_PING, "", 0, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_DONE && len == 0 &&
	    output(&g, out, sizeof(out)) == 5 && strcmp(out, "hello") == 0,
	    "%s: DONE first, once the peer's stream was written out",
	    suite->name);
	ok(peer_recv(&g, body, &len) == FRAME_DATA && len == 3 &&
	    memcmp(body, "abc", 3) == 0, "%s: then our input as one DATA",
	    suite->name);
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE && len == 0,
	    "%s: then CLOSE", suite->name);
	peer_send(&g, FRAME_DONE, "", 0, false);
	ok(peer_sees_end(&g), "%s: the peer's DONE ends the session: our "
	    "end of the connection", suite->name);
	ok(rig_wait(pid) == RELAY_DONE, "%s: both streams confirmed: done",
	    suite->name);
	rig_teardown(&g);
}

/* Our stream ends first; the peer confirms it, then sends its own. */
static void
test_ours_ends_first(void)
{
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	char out[64];
	size_t len;
	pid_t pid;

	rig_setup(&g, &suite_x25519, "abc", 3);
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_DATA &&
	    peer_recv(&g, body, &len) == FRAME_CLOSE,
	    "ours first: DATA, CLOSE");
	peer_send(&g, FRAME_DONE, "", 0, false);
	peer_send(&g, FRAME_DATA, "xyz", 3, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	ok(peer_recv(&g, body, &len) == FRAME_DONE && peer_sees_end(&g),
	    "ours first: after the peer's DONE, DATA and CLOSE: our DONE, "
	    "then the end");
	ok(rig_wait(pid) == RELAY_DONE && output(&g, out, sizeof(out)) == 3 &&
	    strcmp(out, "xyz") == 0, "ours first: done, the peer's stream "
	    "written out");
	rig_teardown(&g);
}

/* The peer's stream ends first: DONE goes out while our input is still
 * open, and only once the output is closed. */
static void
test_peers_ends_first(void)
{
	uint8_t body[FRAME_BODY_MAX];
	struct stat st;
	struct rig g;
	char out[64];
	size_t len;
	int hold;
	pid_t pid;

	rig_setup(&g, &suite_p256, "", 0);
	hold = rig_pipe_input(&g, "", 0);
	peer_send(&g, FRAME_DATA, "xyz", 3, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_DONE &&
	    output(&g, out, sizeof(out)) == 3 && strcmp(out, "xyz") == 0,
	    "the peer's first: DONE while our input is open, its stream "
	    "written out");
	ok(fstat(g.local.out_fd, &st) == 0 && st.st_size == 3,
	    "the peer's first: the output file is complete at DONE");
	if (write(hold, "abc", 3) != 3)
		abort();
	close(hold);
	ok(peer_recv(&g, body, &len) == FRAME_DATA && len == 3 &&
	    peer_recv(&g, body, &len) == FRAME_CLOSE,
	    "the peer's first: then our DATA and CLOSE");
	peer_send(&g, FRAME_DONE, "", 0, false);
	ok(peer_sees_end(&g) && rig_wait(pid) == RELAY_DONE,
	    "the peer's first: its DONE ends the session: done");
	rig_teardown(&g);
}

/* --send-only: discarding the peer's stream counts as delivering it. */
static void
test_send_only(void)
{
	struct rig g;
	char out[64];
	pid_t pid;

	rig_setup(&g, &suite_x25519, "", 0);
	g.opts.send_only = true;
	peer_send(&g, FRAME_DATA, "dropped", 7, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	pid = rig_start(&g);
	ok(peer_until(&g, FRAME_CLOSE, NULL, 0, NULL),
	    "--send-only: our CLOSE");
	peer_send(&g, FRAME_DONE, "", 0, false);
	ok(rig_wait(pid) == RELAY_DONE && output(&g, out, sizeof(out)) == 0,
	    "--send-only: done, nothing written out");
	rig_teardown(&g);
}

/* Buffers mapped by relay_reserve() (during the handshake) are the ones
 * the relay then runs on; relay_free() unmaps them. */
static void
test_reserved_buffers(void)
{
	struct rig g;
	struct relay r = { 0 };
	uint8_t *sbuf, *rbuf;
	char out[64];

	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_DATA, "early", 5, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	shutdown(g.peer, SHUT_WR);
	ok(relay_reserve(&r) == 0 && r.sbuf != NULL && r.rbuf != NULL &&
	    r.sbuf != r.rbuf, "relay_reserve maps two buffers");
	sbuf = r.sbuf;
	rbuf = r.rbuf;
	ok(relay_reserve(&r) == 0 && r.sbuf == sbuf && r.rbuf == rbuf,
	    "relay_reserve again keeps them");
	ok(relay_init(&r, g.sock, &g.local, &g.p.i_send, &g.p.i_recv,
	    rig_rekey(&g), &g.opts, "test peer") == 0 && r.sbuf == sbuf &&
	    r.rbuf == rbuf, "relay_init adopts the reserved buffers");
	/* The peer is gone before its DONE: a failure, but what arrived was
	 * relayed. */
	ok(relay_run(&r) == RELAY_PEER_FAILED &&
	    output(&g, out, sizeof(out)) == 5 && strcmp(out, "early") == 0,
	    "and relays through them");
	relay_free(&r);
	ok(r.sbuf == NULL && r.rbuf == NULL, "relay_free unmaps them");
	local_finish(&g.local, false);
	rig_teardown(&g);
}

static void
test_bad_frame(void)
{
	struct rig g;
	char out[64];

	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_DATA, "good", 4, false);
	peer_send(&g, FRAME_DATA, "evil", 4, true);
	peer_send(&g, FRAME_DATA, "after", 5, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	ok(rig_run(&g) == RELAY_BAD_FRAME, "a flipped bit: bad frame");
	ok(output(&g, out, sizeof(out)) == 4 && strcmp(out, "good") == 0,
	    "only the frame before it was written");
	rig_teardown(&g);
}

static void
test_bad_length(size_t bad)
{
	struct rig g;
	uint8_t hdr[2];
	char out[64];

	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_DATA, "good", 4, false);
	put_be16(hdr, (uint16_t)bad);
	if (write(g.peer, hdr, 2) != 2)
		abort();
	ok(rig_run(&g) == RELAY_BAD_FRAME, "length field %zu: bad frame", bad);
	ok(output(&g, out, sizeof(out)) == 4,
	    "length field %zu: nothing of it written", bad);
	rig_teardown(&g);
}

static void
test_eof_without_close(void)
{
	struct rig g;
	char out[64];

	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_DATA, "part", 4, false);
	peer_send(&g, FRAME_DATA, "whole", 5, false);
	shutdown(g.peer, SHUT_WR);
	ok(rig_run(&g) == RELAY_PEER_FAILED, "EOF without CLOSE: truncated");
	ok(output(&g, out, sizeof(out)) == 9 && strcmp(out, "partwhole") == 0,
	    "every whole frame was written");
	rig_teardown(&g);
}

static void
test_eof_inside_frame(void)
{
	struct rig g;
	char out[64];

	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_DATA, "part", 4, false);
	if (write(g.peer, "\x00\x20\x01", 3) != 3)
		abort();
	shutdown(g.peer, SHUT_WR);
	ok(rig_run(&g) == RELAY_PEER_FAILED, "EOF inside a frame: truncated");
	ok(output(&g, out, sizeof(out)) == 4 && strcmp(out, "part") == 0,
	    "what came before it was written");
	rig_teardown(&g);
}

static void
test_peer_error(void)
{
	struct rig g;
	char out[64];

	rig_setup(&g, &suite_p256, "", 0);
	peer_send(&g, FRAME_DATA, "x", 1, false);
	peer_send(&g, FRAME_ERROR, "not\nauthorized", 14, false);
	ok(rig_run(&g) == RELAY_PEER_FAILED, "ERROR from the peer: failed");
	ok(output(&g, out, sizeof(out)) == 1, "DATA before it was written");
	rig_teardown(&g);
}

/* An ERROR after our CLOSE is the peer's failure to deliver our stream;
 * PROTOCOL.md §3.4 rule 4. */
static void
test_error_after_close(void)
{
	static const char reason[] = "could not deliver your stream: No "
	    "space left on device";
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	size_t len;
	pid_t pid;

	rig_setup(&g, &suite_x25519, "abc", 3);
	pid = rig_start(&g);
	ok(peer_until(&g, FRAME_CLOSE, NULL, 0, NULL),
	    "ERROR after our CLOSE: the relay's stream went");
	peer_send(&g, FRAME_ERROR, reason, sizeof(reason) - 1, false);
	ok(rig_wait(pid) == RELAY_PEER_FAILED,
	    "ERROR after our CLOSE: failed");
	ok(peer_recv(&g, body, &len) == -1,
	    "ERROR after our CLOSE: nothing sent after it");
	rig_teardown(&g);
}

/* Our output fails after our CLOSE (disk full): we may still say so,
 * and the ERROR is what answers the peer's stream instead of DONE. */
static void
test_output_fails_after_close(void)
{
	static const char reason[] = "could not deliver your stream: No "
	    "space left on device";
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	size_t len;
	pid_t pid;
	int type;

	rig_setup(&g, &suite_x25519, "", 0);
	close(g.local.out_fd);
	if ((g.local.out_fd = open("/dev/full", O_WRONLY)) == -1)
		abort();
	g.opts.recv_only = true;
	g.tell = true;
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE,
	    "output full: the relay's CLOSE first (--recv-only)");
	/* DATA and CLOSE in one write: the relay may answer the failed
	 * DATA and close before a second write, which would then fail. */
	peer_send_two(&g, FRAME_DATA, "lost", 4, FRAME_CLOSE);
	type = peer_recv(&g, body, &len);
	ok(type == FRAME_ERROR && len == sizeof(reason) - 1 &&
	    memcmp(body, reason, len) == 0,
	    "output full after our CLOSE: ERROR \"%s\"", reason);
	ok(rig_wait(pid) == RELAY_OUTPUT_FAILED,
	    "output full: the relay failed with its output");
	rig_teardown(&g);
}

static void
test_after_close(void)
{
	struct rig g;
	char out[64];

	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	peer_send(&g, FRAME_DATA, "late", 4, false);
	ok(rig_run(&g) == RELAY_BAD_FRAME, "DATA after CLOSE: bad frame");
	ok(output(&g, out, sizeof(out)) == 0, "nothing written");
	rig_teardown(&g);
}

/* The peer's DONE may only answer our CLOSE. */
static void
test_done_too_early(void)
{
	struct rig g;
	char out[64];

	rig_setup(&g, &suite_x25519, "abc", 3);
	peer_send(&g, FRAME_DATA, "x", 1, false);
	peer_send(&g, FRAME_DONE, "", 0, false);
	peer_send(&g, FRAME_DATA, "y", 1, false);
	ok(rig_run(&g) == RELAY_BAD_FRAME && output(&g, out, sizeof(out)) ==
	    1, "DONE before our CLOSE: protocol error, nothing after it "
	    "written");
	rig_teardown(&g);
}

static void
test_authentic_but_wrong(const char *what, const uint8_t *plain,
    size_t plain_len)
{
	struct rig g;
	char out[64];

	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_DATA, "ok", 2, false);
	peer_send_raw(&g, plain, plain_len);
	ok(rig_run(&g) == RELAY_BAD_FRAME, "%s: refused", what);
	ok(output(&g, out, sizeof(out)) == 2, "%s: nothing of it written",
	    what);
	rig_teardown(&g);
}

static void
test_recv_only(void)
{
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	char out[64];
	size_t len;
	pid_t pid;

	rig_setup(&g, &suite_x25519, "never read", 10);
	g.opts.recv_only = true;
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE,
	    "--recv-only: the first frame sent is CLOSE");
	peer_send(&g, FRAME_DONE, "", 0, false);
	peer_send(&g, FRAME_DATA, "in", 2, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	ok(peer_recv(&g, body, &len) == FRAME_DONE && peer_sees_end(&g),
	    "--recv-only: then DONE for the peer's stream, and the end");
	ok(rig_wait(pid) == RELAY_DONE && output(&g, out, sizeof(out)) == 2,
	    "--recv-only: done");
	rig_teardown(&g);
}

/*
 * PING may go until we have sent both CLOSE and DONE (PROTOCOL.md §3.4
 * rule 5): a receive-only side keeps its connection alive.
 */
static void
test_ping_after_close(void)
{
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	double start, took;
	size_t len;
	int type;
	pid_t pid;

	rig_setup(&g, &suite_x25519, "", 0);
	g.opts.recv_only = true;
	g.opts.keepalive_s = 1;
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE,
	    "--recv-only --keepalive 1: CLOSE");
	peer_send(&g, FRAME_DONE, "", 0, false);
	start = seconds_now();
	type = peer_recv(&g, body, &len);
	took = seconds_now() - start;
	ok(type == FRAME_PING && took < 3,
	    "--recv-only --keepalive 1: a PING after our CLOSE and the "
	    "peer's DONE (%.1f s)", took);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	ok(peer_until(&g, FRAME_DONE, NULL, 0, NULL) && rig_wait(pid) ==
	    RELAY_DONE, "--recv-only --keepalive 1: done after our DONE");
	rig_teardown(&g);
}

static void
test_big_input(void)
{
	static uint8_t in[150000];
	static uint8_t got[sizeof(in)];
	uint8_t body[FRAME_BODY_MAX];
	size_t len, total = 0;
	int frames = 0, type;
	bool same = true;
	struct rig g;
	pid_t pid;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	rig_setup(&g, &suite_x25519, in, sizeof(in));
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_DONE,
	    "150000 bytes of input: DONE for the peer's empty stream first");
	while ((type = peer_recv(&g, body, &len)) == FRAME_DATA) {
		same = same && len <= FRAME_BODY_MAX && total + len <=
		    sizeof(got);
		if (same)
			memcpy(got + total, body, len);
		total += len;
		frames++;
	}
	ok(type == FRAME_CLOSE && total == sizeof(in) && same &&
	    memcmp(got, in, sizeof(in)) == 0,
	    "all of it arrived in order, then CLOSE");
	ok(frames == 3, "in full-size frames (%d frames)", frames);
	peer_send(&g, FRAME_DONE, "", 0, false);
	ok(rig_wait(pid) == RELAY_DONE, "150000 bytes of input: done");
	rig_teardown(&g);
}

/*
 * Without the peer's DONE nothing says it has our stream: the relay waits
 * for it (here until --idle), and an end of the connection before it is a
 * failure at once.
 */
static void
test_done_missing(void)
{
	struct rig g;
	double start, took;
	int end;
	pid_t pid;

	rig_setup(&g, &suite_x25519, "abc", 3);
	g.opts.idle_s = 1;
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	pid = rig_start(&g);
	start = seconds_now();
	ok(peer_until(&g, FRAME_CLOSE, NULL, 0, NULL),
	    "no DONE: our CLOSE went");
	end = rig_wait(pid);
	took = seconds_now() - start;
	ok(end == RELAY_IDLE && took >= 0.9, "no DONE, the peer silent: the "
	    "relay waits for it, here until --idle (%.1f s)", took);
	rig_teardown(&g);

	rig_setup(&g, &suite_x25519, "abc", 3);
	g.opts.idle_s = 5;
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	pid = rig_start(&g);
	(void)peer_until(&g, FRAME_CLOSE, NULL, 0, NULL);
	start = seconds_now();
	close(g.peer);
	g.peer = -1;
	end = rig_wait(pid);
	took = seconds_now() - start;
	ok(end == RELAY_PEER_FAILED && took < 3, "no DONE, the peer closes "
	    "the connection after our CLOSE: failed at once (%.1f s)", took);
	rig_teardown(&g);
}

/* After the peer's CLOSE and DONE its end of the connection is no loss:
 * our own stream still goes out, and its DONE too. */
static void
test_peer_finished_first(void)
{
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	size_t len;
	int hold;
	pid_t pid;

	rig_setup(&g, &suite_x25519, "", 0);
	hold = rig_pipe_input(&g, "", 0);
	pid = rig_start(&g);
	if (write(hold, "abc", 3) != 3)
		abort();
	ok(peer_recv(&g, body, &len) == FRAME_DATA, "peer done first: our "
	    "DATA");
	close(hold);
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE, "peer done first: our "
	    "CLOSE");
	peer_send(&g, FRAME_DONE, "", 0, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	shutdown(g.peer, SHUT_WR);
	ok(peer_recv(&g, body, &len) == FRAME_DONE && peer_sees_end(&g),
	    "peer done first, then its end: our DONE still goes");
	ok(rig_wait(pid) == RELAY_DONE, "peer done first: done");
	rig_teardown(&g);
}

/*
 * The terminal rule (and --exit-with-peer) ends our input when the peer's
 * stream ends; what was already typed goes first, or the shell would get
 * it.  The peer's CLOSE is here before the relay has looked at its input.
 */
static void
test_typed_ahead(bool tty)
{
	const char *what = tty ? "terminal rule" : "--exit-with-peer";
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	size_t len;
	int hold;

	rig_setup(&g, &suite_x25519, "", 0);
	hold = rig_pipe_input(&g, "typed ahead\n", 12);
	g.local.in_is_tty = tty;
	g.opts.exit_with_peer = !tty;
	g.opts.idle_s = 1;	/* the test never closes its end */
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	(void)rig_run(&g);
	ok(peer_recv(&g, body, &len) == FRAME_DONE,
	    "%s: DONE for the peer's stream", what);
	ok(peer_recv(&g, body, &len) == FRAME_DATA && len == 12 &&
	    memcmp(body, "typed ahead\n", 12) == 0,
	    "%s: what was already readable is sent", what);
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE,
	    "%s: then CLOSE", what);
	close(hold);
	rig_teardown(&g);
}

/* After its CLOSE, a peer closes the connection only once it has our
 * CLOSE and DONE: an end before that, while our input is idle, fails at
 * once. */
static void
test_peer_gone_after_close(void)
{
	struct rig g;
	double start, took;
	enum relay_end end;
	int hold;

	rig_setup(&g, &suite_x25519, "", 0);
	hold = rig_pipe_input(&g, "", 0);
	g.opts.idle_s = 5;
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	shutdown(g.peer, SHUT_WR);
	start = seconds_now();
	end = rig_run(&g);
	took = seconds_now() - start;
	ok(end == RELAY_PEER_FAILED && took < 3,
	    "the peer ends the connection after its CLOSE, our input idle: "
	    "failed at once (%.1f s)", took);
	close(hold);
	rig_teardown(&g);
}

/* A REKEY whose key cannot be right: all zero for x25519 (the DH output
 * is zero), the point (0, 0) for p256 (not on the curve). */
static size_t
bad_rekey_key(const struct suite *suite, uint8_t *key)
{
	memset(key, 0, suite->pub_len);
	if (suite->pub_len == 65)
		key[0] = 0x04;
	return suite->pub_len;
}

/*
 * A round the relay starts (--rekey-interval 1) while its input is open:
 * the peer answers, both switch, and the frames after it open with the
 * new keys at nonces that kept counting.
 */
static void
test_rekey_relay_starts(const struct suite *suite)
{
	uint8_t body[FRAME_BODY_MAX], old_send[SUITE_KEY_LEN];
	uint8_t old_recv[SUITE_KEY_LEN];
	uint64_t n0;
	struct rig g;
	char out[64];
	size_t len;
	int hold, type, skipped;
	pid_t pid;

	rig_setup(&g, suite, "", 0);
	hold = rig_pipe_input(&g, "before", 6);
	g.opts.rekey_interval_s = 1;
	memcpy(old_send, g.p.r_send.k, SUITE_KEY_LEN);
	memcpy(old_recv, g.p.r_recv.k, SUITE_KEY_LEN);
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_DATA && len == 6,
	    "%s, the relay starts: DATA under the first keys", suite->name);
	n0 = g.p.r_recv.n;
	type = peer_recv_raw(&g, body, &len);
	ok(type == FRAME_REKEY && len == suite->pub_len,
	    "%s, the relay starts: REKEY after --rekey-interval",
	    suite->name);
	ok(peer_take_rekey(&g, type, body, len) == FRAME_REKEY &&
	    memcmp(old_send, g.p.r_send.k, SUITE_KEY_LEN) != 0,
	    "%s, the relay starts: the peer answers, REKEY and SWITCH, and "
	    "sends with its new key", suite->name);
	ok(peer_recv(&g, body, &len) == FRAME_SWITCH &&
	    rekey_rounds(&g.peer_rekey) == 1 &&
	    memcmp(old_recv, g.p.r_recv.k, SUITE_KEY_LEN) != 0,
	    "%s, the relay starts: its SWITCH finishes the round",
	    suite->name);
	if (write(hold, "after", 5) != 5)
		abort();
	close(hold);
	/* Its next round may start a second later: frames of it are taken
	 * on the way, and counted. */
	skipped = peer_recv_data(&g, body, &len);
	ok(skipped >= 0 && len == 5 && memcmp(body, "after", 5) == 0 &&
	    g.p.r_recv.n == n0 + 3 + (uint64_t)skipped,
	    "%s, the relay starts: DATA under its new key, the nonce kept "
	    "counting (%llu)", suite->name,
	    (unsigned long long)g.p.r_recv.n - 1);
	ok(peer_until(&g, FRAME_CLOSE, NULL, 0, NULL),
	    "%s, the relay starts: then CLOSE", suite->name);
	peer_send(&g, FRAME_DATA, "reply", 5, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	peer_send(&g, FRAME_DONE, "", 0, false);
	ok(peer_until(&g, FRAME_DONE, NULL, 0, NULL) && rig_wait(pid) ==
	    RELAY_DONE && output(&g, out, sizeof(out)) == 5 &&
	    strcmp(out, "reply") == 0, "%s, the relay starts: the peer's "
	    "DATA under its new key delivered, done", suite->name);
	rig_teardown(&g);
}

/* A round the peer starts: the relay answers at once, and takes what the
 * peer sealed before and after its SWITCH. */
static void
test_rekey_peer_starts(const struct suite *suite)
{
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	char out[64];
	size_t len;
	pid_t pid;

	rig_setup(&g, suite, "abc", 3);
	peer_start_round(&g);
	peer_send(&g, FRAME_DATA, "old key ", 8, false);
	pid = rig_start(&g);
	ok(peer_recv(&g, body, &len) == FRAME_REKEY &&
	    rekey_owes(&g.peer_rekey, &(enum frame_type){ 0 }) == false,
	    "%s, the peer starts: the relay answers with REKEY, and the "
	    "peer switched", suite->name);
	ok(peer_recv(&g, body, &len) == FRAME_SWITCH &&
	    rekey_rounds(&g.peer_rekey) == 1,
	    "%s, the peer starts: the relay's SWITCH", suite->name);
	ok(peer_recv(&g, body, &len) == FRAME_DATA && len == 3 &&
	    memcmp(body, "abc", 3) == 0,
	    "%s, the peer starts: the relay's DATA under its new key",
	    suite->name);
	peer_send(&g, FRAME_DATA, "new key", 7, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	ok(peer_until(&g, FRAME_CLOSE, NULL, 0, NULL), "%s, the peer "
	    "starts: the relay's CLOSE", suite->name);
	peer_send(&g, FRAME_DONE, "", 0, false);
	(void)peer_until(&g, FRAME_DONE, NULL, 0, NULL);
	ok(rig_wait(pid) == RELAY_DONE && output(&g, out, sizeof(out)) == 15 &&
	    strcmp(out, "old key new key") == 0, "%s, the peer starts: what "
	    "it sent under both keys delivered, done", suite->name);
	rig_teardown(&g);
}

/*
 * Both sides start a round at once: the relay's REKEY and the peer's
 * cross, each takes the other's as the answer to its own, and here the
 * relay's SWITCH comes before the peer's.
 */
static void
test_rekey_both_at_once(const struct suite *suite)
{
	uint8_t body[FRAME_BODY_MAX], theirs[FRAME_BODY_MAX], data[16];
	struct rig g;
	char out[64];
	size_t len, theirs_len;
	int hold;
	pid_t pid;

	rig_setup(&g, suite, "", 0);
	hold = rig_pipe_input(&g, "", 0);
	g.opts.rekey_interval_s = 1;
	pid = rig_start(&g);
	ok(peer_recv_raw(&g, theirs, &theirs_len) == FRAME_REKEY,
	    "%s, both at once: the relay's REKEY", suite->name);
	/* Ours goes before we look at theirs. */
	peer_start_round(&g);
	if (rekey_received(&g.peer_rekey, FRAME_REKEY, theirs, theirs_len,
	    &g.p.r_recv, true, io_now_ms(), &(const char *){ NULL }) !=
	    REKEY_OK)
		abort();
	ok(peer_recv(&g, body, &len) == FRAME_SWITCH,
	    "%s, both at once: the relay takes our REKEY as the answer and "
	    "switches", suite->name);
	/* peer_recv() answered it with our SWITCH, second. */
	ok(rekey_rounds(&g.peer_rekey) == 1, "%s, both at once: the peer's "
	    "round is finished", suite->name);
	peer_send(&g, FRAME_DATA, "both new", 8, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	if (write(hold, "x", 1) != 1)
		abort();
	close(hold);
	len = 0;
	ok(peer_until(&g, FRAME_CLOSE, data, sizeof(data), &len) && len == 1 &&
	    data[0] == 'x' && g.dones == 1,
	    "%s, both at once: DONE, DATA and CLOSE under the relay's new "
	    "key", suite->name);
	peer_send(&g, FRAME_DONE, "", 0, false);
	ok(rig_wait(pid) == RELAY_DONE && output(&g, out, sizeof(out)) == 8 &&
	    strcmp(out, "both new") == 0, "%s, both at once: done",
	    suite->name);
	rig_teardown(&g);
}

/* An invalid ephemeral key in REKEY is a protocol error, whether it
 * starts the round or answers ours; nothing after it is written. */
static void
test_rekey_invalid_key(const struct suite *suite)
{
	uint8_t key[SUITE_PUB_MAX], body[FRAME_BODY_MAX];
	struct rig g;
	char out[64];
	size_t len;
	int hold;
	pid_t pid;

	rig_setup(&g, suite, "", 0);
	len = bad_rekey_key(suite, key);
	peer_send(&g, FRAME_REKEY, key, len, false);
	peer_send(&g, FRAME_DATA, "after", 5, false);
	ok(rig_run(&g) == RELAY_BAD_FRAME && output(&g, out, sizeof(out)) ==
	    0, "%s: a REKEY starting a round with an invalid key: protocol "
	    "error, nothing written", suite->name);
	rig_teardown(&g);

	rig_setup(&g, suite, "", 0);
	hold = rig_pipe_input(&g, "", 0);
	g.opts.rekey_interval_s = 1;
	pid = rig_start(&g);
	ok(peer_recv_raw(&g, body, &len) == FRAME_REKEY, "%s: the relay "
	    "starts a round", suite->name);
	len = bad_rekey_key(suite, key);
	peer_send(&g, FRAME_REKEY, key, len, false);
	ok(rig_wait(pid) == RELAY_BAD_FRAME, "%s: answered with an invalid "
	    "key: protocol error", suite->name);
	close(hold);
	rig_teardown(&g);
}

/* The order of a round: a SWITCH with no round, a second REKEY. */
static void
test_rekey_out_of_order(void)
{
	struct rig g;
	char out[64];

	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_SWITCH, "", 0, false);
	ok(rig_run(&g) == RELAY_BAD_FRAME, "SWITCH without a round: protocol "
	    "error");
	rig_teardown(&g);

	rig_setup(&g, &suite_x25519, "", 0);
	peer_start_round(&g);
	peer_send(&g, FRAME_DATA, "x", 1, false);
	peer_send(&g, FRAME_REKEY, g.peer_rekey.e_pub, 32, false);
	peer_send(&g, FRAME_DATA, "y", 1, false);
	ok(rig_run(&g) == RELAY_BAD_FRAME && output(&g, out, sizeof(out)) ==
	    1, "a second REKEY in a round: protocol error, nothing after it "
	    "written");
	rig_teardown(&g);
}

/* CPU time (user + system, in clock ticks) a process has used so far. */
static long
cpu_ticks(pid_t pid)
{
	char path[64], text[1024], *p;
	unsigned long user, sys;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	/* Fields 14 and 15, counted after the command name's ')'. */
	if ((p = strrchr(text, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &user, &sys) != 2)
		return -1;
	return (long)(user + sys);
}

static void
sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
	    .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* CPU ticks a running relay uses over 2 s; -1 if it is not running. */
static long
ticks_over_2s(pid_t pid)
{
	long before = cpu_ticks(pid), after;

	sleep_s(2.0);
	after = cpu_ticks(pid);
	if (before < 0 || after < 0 || waitpid(pid, NULL, WNOHANG) != 0)
		return -1;
	return after - before;
}

static void
rig_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * The connection ends (here a hang-up; over TCP a reset) while our output
 * is blocked by a reader that does not read: the relay waits for the
 * reader without spinning.  Over a busy loop it would use ~200 ticks.
 */
static void
test_no_spin_output_blocked(void)
{
	static uint8_t big[60000];
	int out[2], hold, avail = 0;
	struct rig g;
	double start;
	long ticks;
	pid_t pid;

	rig_setup(&g, &suite_x25519, "", 0);
	hold = rig_pipe_input(&g, "", 0);
	if (pipe(out) == -1)
		abort();
	close(g.local.out_fd);
	g.local.out_fd = out[1];
	(void)fcntl(out[1], F_SETFL, O_NONBLOCK);
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 3; i++)
		peer_send(&g, FRAME_DATA, big, sizeof(big), false);
	pid = rig_start(&g);
	close(out[1]);
	close(g.peer);
	g.peer = -1;
	start = seconds_now();
	/* More than one frame in the pipe: the second is stuck in it. */
	while (seconds_now() - start < 10 &&
	    (ioctl(out[0], FIONREAD, &avail) == -1 ||
	    avail <= (int)sizeof(big)))
		sleep_s(0.01);
	ticks = ticks_over_2s(pid);
	ok(avail > (int)sizeof(big) && ticks >= 0 && ticks < 30,
	    "connection gone, output blocked: the relay waits without "
	    "spinning (%ld ticks in 2 s, %d bytes in the pipe)", ticks, avail);
	rig_kill(pid);
	close(out[0]);
	close(hold);
	rig_teardown(&g);
}

/* A peer that does not read blocks our sending for longer than
 * --keepalive: no PING can go, so its timer must not wake the loop. */
static void
test_no_spin_keepalive(void)
{
	static uint8_t in[4 << 20];
	struct rig g;
	long ticks;
	pid_t pid;

	rig_setup(&g, &suite_x25519, in, sizeof(in));
	g.opts.keepalive_s = 1;
	pid = rig_start(&g);
	sleep_s(1.5);
	ticks = ticks_over_2s(pid);
	ok(ticks >= 0 && ticks < 30, "sending blocked past --keepalive: no "
	    "spinning (%ld ticks in 2 s)", ticks);
	rig_kill(pid);
	rig_teardown(&g);
}

/* local_stdio() with fd on descriptor std (0 or 1), which is put back
 * afterwards; the flags of fd's open file description are checked. */
static void
stdio_case(const char *what, int std, int fd, bool want_private,
    bool want_blocking, bool want_dontwait)
{
	int saved = dup(std), flags = fcntl(fd, F_GETFL);
	struct local l;
	bool private, blocking, dontwait, same_flags;

	fflush(stdout);
	if (saved == -1 || dup2(fd, std) == -1)
		abort();
	local_stdio(&l, false, std != STDIN_FILENO, std != STDOUT_FILENO);
	private = (std == STDIN_FILENO ? l.in_fd : l.out_fd) > STDERR_FILENO;
	blocking = std == STDIN_FILENO ? l.in_blocking : l.out_blocking;
	dontwait = std == STDIN_FILENO ? l.in_dontwait : l.out_dontwait;
	local_finish(&l, false);
	same_flags = fcntl(fd, F_GETFL) == flags && !(flags & O_NONBLOCK);
	if (dup2(saved, std) == -1)
		abort();
	close(saved);
	ok(private == want_private && blocking == want_blocking &&
	    dontwait == want_dontwait && same_flags,
	    "local_stdio, %s: %s%s%s, its flags untouched", what,
	    private ? "a private descriptor" : "the shared one",
	    blocking ? ", poll first" : "", dontwait ? ", MSG_DONTWAIT" : "");
}

/* How standard input and output are used, by kind (local.c). */
static void
test_local_stdio(void)
{
	int fds[2], sv[2], master, slave, file;
	char name[] = "/tmp/relay-stdio-XXXXXX";
	static char big[3 * PIPE_BUF];
	struct local l;

	if (pipe(fds) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    (master = posix_openpt(O_RDWR | O_NOCTTY)) == -1 ||
	    grantpt(master) == -1 || unlockpt(master) == -1 ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY)) == -1 ||
	    (file = mkstemp(name)) == -1)
		abort();
	stdio_case("a pipe in", STDIN_FILENO, fds[0], true, false, false);
	stdio_case("a pipe out", STDOUT_FILENO, fds[1], true, false, false);
	stdio_case("a socket in", STDIN_FILENO, sv[0], false, false, true);
	stdio_case("a socket out", STDOUT_FILENO, sv[0], false, false, true);
	stdio_case("a terminal in", STDIN_FILENO, slave, true, false, false);
	stdio_case("a terminal out", STDOUT_FILENO, slave, true, false, false);
	/* Opening a pty master again would make a new pty. */
	stdio_case("a pty master in", STDIN_FILENO, master, false, true,
	    false);
	stdio_case("a pty master out", STDOUT_FILENO, master, false, true,
	    false);
	stdio_case("a file in", STDIN_FILENO, file, false, false, false);
	stdio_case("a file out", STDOUT_FILENO, file, false, false, false);

	/* A shared blocking pipe, written after poll(): PIPE_BUF at most. */
	local_init(&l);
	l.out_fd = fds[1];
	l.out_blocking = true;
	ok(local_write(&l, big, sizeof(big)) == PIPE_BUF,
	    "a blocking output takes PIPE_BUF bytes per write");
	close(fds[0]);
	close(fds[1]);
	close(sv[0]);
	close(sv[1]);
	close(master);
	close(slave);
	close(file);
	unlink(name);
}

/* A helper process that sends signo to us after a moment. */
static pid_t
signal_us_soon(int signo)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		usleep(100 * 1000);
		kill(parent, signo);
		_exit(0);
	}
	return pid;
}

/*
 * A signal while the relay waits ends it with RELAY_INTERRUPTED, after
 * what arrived before was written.  Our CLOSE went first (empty input),
 * and relay_send_error() may still send ERROR (PROTOCOL.md §3.4 rule 4).
 * Runs last: the signal stays recorded (sig.h), and a relay started
 * after it stops before it reads anything, so its ERROR is the first
 * frame the peer gets.
 */
static void
test_interrupted(void)
{
	uint8_t body[FRAME_BODY_MAX];
	struct relay r = { 0 };
	struct rig g;
	char out[64];
	size_t len;
	pid_t pid;

	if (sig_catch() != 0)
		abort();
	rig_setup(&g, &suite_x25519, "", 0);
	peer_send(&g, FRAME_DATA, "before", 6, false);
	if (relay_init(&r, g.sock, &g.local, &g.p.i_send, &g.p.i_recv,
	    rig_rekey(&g), &g.opts, "test peer") != 0)
		abort();
	pid = signal_us_soon(SIGTERM);
	ok(relay_run(&r) == RELAY_INTERRUPTED && sig_caught() == SIGTERM,
	    "SIGTERM while the relay waits: interrupted");
	waitpid(pid, NULL, 0);
	ok(output(&g, out, sizeof(out)) == 6 && strcmp(out, "before") == 0,
	    "what arrived before it was written");
	ok(relay_send_error(&r, "interrupted by SIGTERM",
	    io_now_ms() + 1000) == 0, "after our CLOSE, ERROR still goes");
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE &&
	    peer_recv(&g, body, &len) == FRAME_ERROR && len == 22 &&
	    recv(g.peer, body, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN,
	    "the peer got our CLOSE, then the ERROR, and nothing after it");
	ok(relay_send_error(&r, "again", io_now_ms() + 1000) == -1,
	    "nothing after our ERROR, not even another");
	relay_free(&r);
	local_finish(&g.local, true);
	rig_teardown(&g);

	rig_setup(&g, &suite_x25519, "unsent", 6);
	if (relay_init(&r, g.sock, &g.local, &g.p.i_send, &g.p.i_recv,
	    rig_rekey(&g), &g.opts, "test peer") != 0)
		abort();
	ok(relay_run(&r) == RELAY_INTERRUPTED, "a signal already caught: "
	    "interrupted at once");
	ok(relay_send_error(&r, "interrupted by SIGTERM",
	    io_now_ms() + 1000) == 0 &&
	    peer_recv(&g, body, &len) == FRAME_ERROR && len == 22 &&
	    memcmp(body, "interrupted by SIGTERM", 22) == 0,
	    "the ERROR is the first frame: none of the input went");
	relay_free(&r);
	local_finish(&g.local, true);
	rig_teardown(&g);
	sig_release();
}

int
main(void)
{
	/* As main() does: a peer that hung up first is an EPIPE for the
	 * relay to report, not a signal that kills the test. */
	signal(SIGPIPE, SIG_IGN);
	if (suite_init() != 0)
		return 1;
	test_both_ways(&suite_x25519);
	test_both_ways(&suite_p256);
	test_ours_ends_first();
	test_peers_ends_first();
	test_send_only();
	test_reserved_buffers();
	test_bad_frame();
	test_bad_length(16);
	test_bad_length(0);
	test_eof_without_close();
	test_eof_inside_frame();
	test_peer_error();
	test_error_after_close();
	test_output_fails_after_close();
	test_after_close();
	test_done_too_early();
	test_authentic_but_wrong("empty DATA", (const uint8_t *)"\x00", 1);
	test_authentic_but_wrong("unknown type 0x07",
	    (const uint8_t *)"\x07" "abc", 4);
	test_authentic_but_wrong("CLOSE with a body",
	    (const uint8_t *)"\x01x", 2);
	test_authentic_but_wrong("DONE with a body",
	    (const uint8_t *)"\x04x", 2);
	test_authentic_but_wrong("SWITCH with a body",
	    (const uint8_t *)"\x06x", 2);
	test_authentic_but_wrong("REKEY with 31 bytes",
	    (const uint8_t *)"\x05" "0123456789012345678901234567890", 32);
	test_recv_only();
	test_ping_after_close();
	test_big_input();
	test_done_missing();
	test_peer_finished_first();
	test_typed_ahead(true);
	test_typed_ahead(false);
	test_peer_gone_after_close();
	test_rekey_relay_starts(&suite_x25519);
	test_rekey_relay_starts(&suite_p256);
	test_rekey_peer_starts(&suite_x25519);
	test_rekey_peer_starts(&suite_p256);
	test_rekey_both_at_once(&suite_x25519);
	test_rekey_both_at_once(&suite_p256);
	test_rekey_invalid_key(&suite_x25519);
	test_rekey_invalid_key(&suite_p256);
	test_rekey_out_of_order();
	test_no_spin_output_blocked();
	test_no_spin_keepalive();
	test_local_stdio();
	test_interrupted();
	return tap_done();
}
