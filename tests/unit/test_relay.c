/*
 * test_relay.c - the relay against a scripted peer: the test plays the
 * responder on the other end of a socketpair, writing its frames before
 * the relay runs, and reads back what the relay sent.  Input and output
 * are temporary files.  Checks the ending rules and that nothing of a bad
 * frame is written out.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "session/frame.h"
#include "transport/io.h"
#include "session/local.h"
#include "base/sig.h"
#include "crypto/suite.h"
#include "base/util.h"

#include "pair.h"
#include "tap.h"

struct rig {
	struct pair p;
	int sock;		/* the relay's end */
	int peer;		/* the test's end */
	char in_path[64];
	char out_path[64];
	struct local local;
	struct relay_opts opts;
};

static uint8_t frame[FRAME_BUF_LEN];

/* A fresh handshake, a socketpair, and input holding in[0..in_len). */
static void
rig_setup(struct rig *g, const struct suite *suite, const void *in,
    size_t in_len)
{
	int sv[2];
	int fd;

	memset(g, 0, sizeof(*g));
	if (!pair_handshake(suite, &g->p) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	g->sock = sv[0];
	g->peer = sv[1];
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

/* The peer sends one frame of type with body. */
static void
peer_send(struct rig *g, enum frame_type type, const void *body,
    size_t body_len, bool flip)
{
	size_t len;

	memcpy(frame + FRAME_BODY_OFFSET, body, body_len);
	if (frame_seal(&g->p.r_send, type, frame, sizeof(frame), body_len,
	    &len) != 0)
		abort();
	if (flip)
		frame[len - 5] ^= 0x20;
	if (write(g->peer, frame, len) != (ssize_t)len)
		abort();
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

static enum relay_end
rig_run(struct rig *g)
{
	struct relay r = { 0 };
	enum relay_end end;

	if (relay_init(&r, g->sock, &g->local, &g->p.i_send, &g->p.i_recv,
	    &g->opts, "test peer") != 0)
		abort();
	end = relay_run(&r);
	relay_free(&r);
	local_finish(&g->local, end != RELAY_DONE);
	return end;
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

/* Reads the next frame the relay sent; returns its type or -1. */
static int
peer_recv(struct rig *g, uint8_t *body, size_t *body_len)
{
	enum frame_type type;
	const char *why;
	size_t len;

	if (read(g->peer, frame, 2) != 2)
		return -1;
	len = get_be16(frame);
	if (recv(g->peer, frame + 2, len, MSG_WAITALL) != (ssize_t)len ||
	    frame_open(&g->p.r_recv, frame + 2, len, &type, body_len, &why)
	    != 0)
		return -1;
	memcpy(body, frame + 3, *body_len);
	return (int)type;
}

static void
rig_teardown(struct rig *g)
{
	close(g->sock);
	if (g->peer != -1)
		close(g->peer);
	unlink(g->in_path);
	unlink(g->out_path);
}

static void
test_both_ways(const struct suite *suite)
{
	struct rig g;
	uint8_t body[FRAME_BODY_MAX];
	char out[64];
	size_t len;

	rig_setup(&g, suite, "abc", 3);
	peer_send(&g, FRAME_DATA, "hello", 5, false);
	peer_send(&g, FRAME_PING, "", 0, false);
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	shutdown(g.peer, SHUT_WR);
	ok(rig_run(&g) == RELAY_DONE, "%s: DATA, PING, CLOSE and EOF: done",
	    suite->name);
	ok(output(&g, out, sizeof(out)) == 5 && strcmp(out, "hello") == 0,
	    "%s: the peer's DATA was written out", suite->name);
	ok(peer_recv(&g, body, &len) == FRAME_DATA && len == 3 &&
	    memcmp(body, "abc", 3) == 0, "%s: our input went as one DATA",
	    suite->name);
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE && len == 0,
	    "%s: then CLOSE", suite->name);
	ok(read(g.peer, body, 1) == 0, "%s: then our end of the connection",
	    suite->name);
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
	ok(relay_init(&r, g.sock, &g.local, &g.p.i_send, &g.p.i_recv, &g.opts,
	    "test peer") == 0 && r.sbuf == sbuf && r.rbuf == rbuf,
	    "relay_init adopts the reserved buffers");
	ok(relay_run(&r) == RELAY_DONE && output(&g, out, sizeof(out)) == 5 &&
	    strcmp(out, "early") == 0, "and relays through them");
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
	struct rig g;
	uint8_t body[FRAME_BODY_MAX];
	size_t len;

	rig_setup(&g, &suite_x25519, "never read", 10);
	g.opts.recv_only = true;
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	shutdown(g.peer, SHUT_WR);
	ok(rig_run(&g) == RELAY_DONE, "--recv-only: done");
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE,
	    "--recv-only: the first frame sent is CLOSE");
	rig_teardown(&g);
}

static void
test_big_input(void)
{
	static uint8_t in[150000];
	uint8_t body[FRAME_BODY_MAX];
	size_t len, total = 0;
	int frames = 0, type;
	bool same = true;
	struct rig g;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	rig_setup(&g, &suite_x25519, in, sizeof(in));
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	shutdown(g.peer, SHUT_WR);
	ok(rig_run(&g) == RELAY_DONE, "150000 bytes of input: done");
	while ((type = peer_recv(&g, body, &len)) == FRAME_DATA) {
		same = same && len <= FRAME_BODY_MAX &&
		    memcmp(body, in + total, len) == 0;
		total += len;
		frames++;
	}
	ok(type == FRAME_CLOSE && total == sizeof(in) && same,
	    "all of it arrived in order, then CLOSE");
	ok(frames == 3, "in full-size frames (%d frames)", frames);
	rig_teardown(&g);
}

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* After both CLOSEs the relay shuts down its sending half and waits for
 * the peer's end, unless it sent no data (nothing could be left unread).
 * The peer here never closes; --idle bounds the wait. */
static void
test_wait_for_peer_end(void)
{
	uint8_t body[FRAME_BODY_MAX];
	struct rig g;
	double start, took;
	size_t len;

	rig_setup(&g, &suite_x25519, "", 0);
	g.opts.idle_s = 3;
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	start = seconds_now();
	ok(rig_run(&g) == RELAY_DONE && (took = seconds_now() - start) < 1.5,
	    "no data sent: done without waiting for the peer's end");
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE &&
	    read(g.peer, body, 1) == 0,
	    "no data sent: our CLOSE, then our end of the connection");
	rig_teardown(&g);

	rig_setup(&g, &suite_x25519, "abc", 3);
	g.opts.idle_s = 1;
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	start = seconds_now();
	(void)rig_run(&g);
	took = seconds_now() - start;
	ok(took >= 0.9, "data sent: the relay waits for the peer's end (here "
	    "until --idle, %.1f s)", took);
	rig_teardown(&g);
}

/* --idle expiring while the relay waits for the peer's end is a failure:
 * nothing says the peer read what we sent. */
static void
test_peer_end_never_comes(void)
{
	struct rig g;

	rig_setup(&g, &suite_x25519, "abc", 3);
	g.opts.idle_s = 1;
	peer_send(&g, FRAME_CLOSE, "", 0, false);
	ok(rig_run(&g) == RELAY_IDLE,
	    "data sent, the peer never closes: --idle ends it as a failure");
	rig_teardown(&g);
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
	return fds[1];
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
	ok(peer_recv(&g, body, &len) == FRAME_DATA && len == 12 &&
	    memcmp(body, "typed ahead\n", 12) == 0,
	    "%s: what was already readable is sent", what);
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE,
	    "%s: then CLOSE", what);
	close(hold);
	rig_teardown(&g);
}

/* After its CLOSE, a peer closes the connection only once it has ours: an
 * end before that, while our input is idle, fails at once. */
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

/* Runs the relay in a child process; the child drops the test's end of the
 * connection, so closing it in the parent ends the connection. */
static pid_t
rig_start(struct rig *g)
{
	pid_t pid = fork();

	if (pid == -1)
		abort();
	if (pid == 0) {
		close(g->peer);
		_exit((int)rig_run(g));
	}
	return pid;
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
 * what arrived before was written.  Our CLOSE went first (empty input), so
 * relay_send_error() may send nothing more.  Runs last: the signal stays
 * recorded (sig.h), and a relay started after it stops before it reads
 * anything, so its ERROR is the first frame the peer gets.
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
	    &g.opts, "test peer") != 0)
		abort();
	pid = signal_us_soon(SIGTERM);
	ok(relay_run(&r) == RELAY_INTERRUPTED && sig_caught() == SIGTERM,
	    "SIGTERM while the relay waits: interrupted");
	waitpid(pid, NULL, 0);
	ok(output(&g, out, sizeof(out)) == 6 && strcmp(out, "before") == 0,
	    "what arrived before it was written");
	ok(relay_send_error(&r, "interrupted by SIGTERM",
	    io_now_ms() + 1000) == -1, "after our CLOSE: no ERROR");
	ok(peer_recv(&g, body, &len) == FRAME_CLOSE &&
	    recv(g.peer, body, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN,
	    "the peer got our CLOSE and nothing after it");
	relay_free(&r);
	local_finish(&g.local, true);
	rig_teardown(&g);

	rig_setup(&g, &suite_x25519, "unsent", 6);
	if (relay_init(&r, g.sock, &g.local, &g.p.i_send, &g.p.i_recv,
	    &g.opts, "test peer") != 0)
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
	if (suite_init() != 0)
		return 1;
	test_both_ways(&suite_x25519);
	test_both_ways(&suite_p256);
	test_reserved_buffers();
	test_bad_frame();
	test_bad_length(16);
	test_bad_length(0);
	test_eof_without_close();
	test_eof_inside_frame();
	test_peer_error();
	test_after_close();
	test_authentic_but_wrong("empty DATA", (const uint8_t *)"\x00", 1);
	test_authentic_but_wrong("unknown type 0x07",
	    (const uint8_t *)"\x07" "abc", 4);
	test_authentic_but_wrong("CLOSE with a body",
	    (const uint8_t *)"\x01x", 2);
	test_recv_only();
	test_big_input();
	test_wait_for_peer_end();
	test_peer_end_never_comes();
	test_typed_ahead(true);
	test_typed_ahead(false);
	test_peer_gone_after_close();
	test_no_spin_output_blocked();
	test_no_spin_keepalive();
	test_local_stdio();
	test_interrupted();
	return tap_done();
}
