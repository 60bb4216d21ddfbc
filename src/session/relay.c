/*
 * relay.c - the transport phase, see relay.h and PROTOCOL.md §3.
 *
 * Two buffers of FRAME_BUF_LEN, allocated once.  Outgoing, input is read
 * straight to sbuf + FRAME_BODY_OFFSET and sealed in place; incoming,
 * frames are opened in place in rbuf and their bodies written out from
 * there.  Nothing is copied or allocated per frame.  Each direction has
 * at most one frame in hand: while it waits to be written, the source of
 * that direction is not read (back-pressure).  The socket is non-blocking;
 * local.c says how the local side is read and written without blocking
 * (local_read(), local_write()).  poll() is asked only about what the loop
 * waits for, and whatever it reports, an error or a hang-up included, is
 * acted on at once: nothing can wake the loop over and over for nothing.
 *
 * The ending rules: input EOF sends CLOSE and keeps receiving; the peer's
 * CLOSE, once everything is written out, closes our output; the relay ends
 * when both CLOSEs have gone their way.  TCP EOF before the peer's CLOSE
 * is a truncation; any end of the connection before ours has gone means
 * the peer did not get all of our stream.  A frame that fails to open
 * ends the relay before any byte of it moves.
 */
#include "session/relay.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "session/frame.h"
#include "transport/io.h"
#include "base/log.h"
#include "base/sig.h"
#include "base/util.h"

/*
 * Frames handled per direction before the loop looks at the other one,
 * so a fast direction cannot starve a slow one.
 */
#define RELAY_BATCH 16

/* Progress functions return one of these. */
#define STEP_FAILED (-1)	/* r->end says how; reported */
#define STEP_BLOCKED 0		/* waiting for poll() */
#define STEP_MORE 1		/* stopped at RELAY_BATCH; more may be ready */

struct relay_loop {
	enum relay_end end;
	bool in_ready;
	bool rx_ready;
	bool tx_ready;
	bool out_ready;
	bool tx_dead;		/* sending failed; tx_errno says why */
	int tx_errno;
};

int
relay_reserve(struct relay *r)
{
	if (r->sbuf == NULL)
		r->sbuf = secret_map(FRAME_BUF_LEN);
	if (r->rbuf == NULL)
		r->rbuf = secret_map(FRAME_BUF_LEN);
	if (r->sbuf == NULL || r->rbuf == NULL) {
		log_error("out of memory for the relay buffers");
		return -1;
	}
	return 0;
}

int
relay_init(struct relay *r, int sock, struct local *local,
    struct cipher_state *send, struct cipher_state *recv,
    const struct relay_opts *opts, const char *peer)
{
	uint8_t *sbuf = r->sbuf, *rbuf = r->rbuf;

	memset(r, 0, sizeof(*r));
	r->sbuf = sbuf;
	r->rbuf = rbuf;
	r->sock = sock;
	r->local = local;
	r->send_cs = send;
	r->recv_cs = recv;
	r->opts = *opts;
	r->peer = peer;
	if (relay_reserve(r) == -1) {
		relay_free(r);
		return -1;
	}
	if (io_set_nonblock(sock, true) == -1) {
		log_errno("cannot set up the connection to %s", peer);
		relay_free(r);
		return -1;
	}
	r->last_traffic = r->last_sent = io_now_ms();
	return 0;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	secret_unmap(r->sbuf, FRAME_BUF_LEN);
	secret_unmap(r->rbuf, FRAME_BUF_LEN);
	r->sbuf = NULL;
	r->rbuf = NULL;
}

void
relay_push(struct relay *r)
{
	if (r->corked) {
		io_push(r->sock);
		r->corked = false;
	}
}

/* Seals the frame in sbuf; more: send it with MSG_MORE (something will be
 * sent or pushed right after it). */
static int
seal(struct relay *r, enum frame_type type, size_t body_len, bool more)
{
	if (frame_seal(r->send_cs, type, r->sbuf, FRAME_BUF_LEN, body_len,
	    &r->s_len) == -1) {
		log_error("cannot seal a frame for %s: this connection has "
		    "used up its nonces — reconnect", r->peer);
		return -1;
	}
	r->s_off = 0;
	r->s_is_close = type == FRAME_CLOSE;
	r->s_is_ping = type == FRAME_PING;
	r->s_more = more;
	r->last_sent = io_now_ms();
	return 0;
}

/* Sends what is left of the frame in sbuf.  Returns 1 when it is all
 * gone, 0 when the socket is full, -1 with errno on failure. */
static int
send_frame(struct relay *r)
{
	ssize_t n;

	while (r->s_off < r->s_len) {
		n = send(r->sock, r->sbuf + r->s_off, r->s_len - r->s_off,
		    MSG_NOSIGNAL | (r->s_more ? MSG_MORE : 0));
		if (n > 0) {
			r->s_off += (size_t)n;
			if (!r->s_is_ping)
				r->last_traffic = io_now_ms();
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	if (r->s_is_close)
		r->close_sent = true;
	r->corked = r->s_more;
	r->s_len = 0;
	r->s_off = 0;
	r->s_is_close = false;
	r->s_is_ping = false;
	return 1;
}

/* Input -> frames -> socket. */
static int
tx_progress(struct relay *r, struct relay_loop *lp)
{
	size_t want;
	ssize_t n;
	int rc;

	if (lp->tx_dead)
		return STEP_BLOCKED;
	for (int i = 0; i < RELAY_BATCH; i++) {
		if (r->s_len > 0) {
			if (!lp->tx_ready)
				return STEP_BLOCKED;
			if ((rc = send_frame(r)) == -1) {
				/* Keep receiving: the peer may have said why
				 * (ERROR) before it went away. */
				lp->tx_dead = true;
				lp->tx_errno = errno;
				return STEP_BLOCKED;
			}
			if (rc == 0) {
				lp->tx_ready = false;
				return STEP_BLOCKED;
			}
			continue;
		}
		if (r->close_queued)
			return STEP_BLOCKED;
		if (!r->in_open) {
			/* When the peer's stream has ended too, shutdown()
			 * follows at once and its FIN can share the packet. */
			if (seal(r, FRAME_CLOSE, 0, r->output_done) == -1)
				goto fail;
			r->close_queued = true;
			continue;
		}
		if (!lp->in_ready)
			return STEP_BLOCKED;
		want = FRAME_BODY_MAX;
		if (r->in_left > 0 && r->in_left < want)
			want = r->in_left;
		n = local_read(r->local, r->sbuf + FRAME_BODY_OFFSET, want);
		if (n > 0 && r->in_left > 0) {
			/* Known to be there: read on without poll(). */
			r->in_left -= (size_t)n;
			if (r->in_left == 0)
				r->in_open = false;
		} else if (n > 0 && r->local->in_blocking)
			lp->in_ready = false;
		if (n > 0) {
			r->bytes_sent += (size_t)n;
			r->last_traffic = io_now_ms();
			/* A short read is followed by another read at once
			 * (unless the input must be polled first): what it
			 * brings, or our CLOSE, may share this packet. */
			if (seal(r, FRAME_DATA, (size_t)n,
			    (size_t)n < FRAME_BODY_MAX &&
			    !r->local->in_blocking) == -1)
				goto fail;
		} else if (n == 0)
			r->in_open = false;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			lp->in_ready = false;
			if (r->in_left > 0)	/* someone else read it */
				r->in_open = false;
			return STEP_BLOCKED;
		} else if (errno != EINTR) {
			log_errno("cannot read %s", r->local->in_name);
			lp->end = RELAY_INPUT_FAILED;
			return STEP_FAILED;
		}
	}
	return STEP_MORE;
fail:
	lp->end = RELAY_INPUT_FAILED;
	return STEP_FAILED;
}

/* Writes the DATA body in hand.  Returns 1 when done, 0 when the output
 * is full, -1 after reporting a failure. */
static int
write_output(struct relay *r, struct relay_loop *lp)
{
	ssize_t n;

	while (r->out_len > 0) {
		/* A signal interrupts a blocked write (a paused terminal) and
		 * must not be lost in the retry. */
		if (sig_caught() != 0)
			return 0;
		if (!lp->out_ready)
			return 0;
		n = local_write(r->local, r->out_ptr, r->out_len);
		if (n > 0) {
			r->out_ptr += n;
			r->out_len -= (size_t)n;
			r->last_traffic = io_now_ms();
			if (r->local->out_blocking)
				lp->out_ready = false;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			lp->out_ready = false;
			return 0;
		}
		if (errno == EPIPE)
			log_error("cannot write %s: it was closed before the "
			    "end of the stream — the reader went away, the "
			    "rest was not delivered", r->local->out_name);
		else
			log_errno("cannot write %s", r->local->out_name);
		lp->end = RELAY_OUTPUT_FAILED;
		return -1;
	}
	return 1;
}

/* The peer's reason, made safe for a terminal.  A peer stopped by a
 * signal (PROTOCOL.md §3.2, "interrupted by SIGNAME") did not reject us:
 * say what happened to the stream instead. */
static void
report_peer_error(const struct relay *r, const uint8_t *body,
    size_t body_len)
{
	static const char interrupted[] = "interrupted by ";
	size_t prefix_len = sizeof(interrupted) - 1;
	char reason[FRAME_ERROR_MAX + 1];

	if (text_for_terminal(body, body_len, reason, sizeof(reason)) == 0)
		log_error("rejected by peer: (no reason given)");
	else if (strncmp(reason, interrupted, prefix_len) == 0 &&
	    reason[prefix_len] != '\0')
		log_error("peer %s was interrupted (%s) before the end of its "
		    "stream — what was received is incomplete", r->peer,
		    reason + prefix_len);
	else
		log_error("rejected by peer: %s", reason);
}

/* A frame that did not authenticate, or a length no frame can have. */
static int
bad_frame(struct relay *r, struct relay_loop *lp, const char *why)
{
	log_error("received a bad frame from %s: %s — the stream was altered "
	    "or corrupted in transit; nothing of that frame was written",
	    r->peer, why);
	lp->end = RELAY_BAD_FRAME;
	return STEP_FAILED;
}

/* An authentic frame that breaks a rule: the peer's own doing. */
static int
protocol_error(struct relay *r, struct relay_loop *lp, const char *why)
{
	log_error("protocol error from %s: %s — the peer does not follow the "
	    "sealcat protocol; nothing of that frame was written", r->peer,
	    why);
	lp->end = RELAY_BAD_FRAME;
	return STEP_FAILED;
}

/*
 * Opens the frame at rbuf + r_off if all of it is there.  Returns 1 when a
 * frame was handled, 0 when more bytes are needed, STEP_FAILED otherwise.
 */
static int
take_frame(struct relay *r, struct relay_loop *lp)
{
	size_t avail = r->r_len - r->r_off;
	enum frame_type type;
	size_t len, body_len;
	const char *why = NULL;
	uint64_t nonce;
	uint8_t *ct;

	if (avail < FRAME_HEADER_LEN)
		return 0;
	len = get_be16(r->rbuf + r->r_off);
	if (!frame_len_ok(len))
		return bad_frame(r, lp, "bad frame length");
	if (avail - FRAME_HEADER_LEN < len)
		return 0;
	ct = r->rbuf + r->r_off + FRAME_HEADER_LEN;
	nonce = r->recv_cs->n;
	if (frame_open(r->recv_cs, ct, len, &type, &body_len, &why) == -1) {
		if (why == NULL)
			why = "bad frame";
		/* frame_open() spends the nonce only on an authentic frame. */
		return r->recv_cs->n != nonce ? protocol_error(r, lp, why) :
		    bad_frame(r, lp, why);
	}
	r->r_off += FRAME_HEADER_LEN + len;
	r->last_traffic = io_now_ms();
	switch (type) {
	case FRAME_DATA:
		r->bytes_received += body_len;
		if (!r->opts.send_only) {
			/* Stays in rbuf: nothing is read until it is out. */
			r->out_ptr = ct + 1;
			r->out_len = body_len;
		}
		break;
	case FRAME_PING:
		break;
	case FRAME_CLOSE:
		r->peer_closed = true;
		if (r->r_len > r->r_off)
			return protocol_error(r, lp, "data after CLOSE");
		/* Nothing more is due: look again only when poll() says the
		 * socket has news (read_after_close()). */
		lp->rx_ready = false;
		break;
	case FRAME_ERROR:
		report_peer_error(r, ct + 1, body_len);
		lp->end = RELAY_PEER_FAILED;
		return STEP_FAILED;
	default:
		return protocol_error(r, lp, "unknown frame type");
	}
	return 1;
}

static int
truncated(struct relay *r, struct relay_loop *lp, const char *how)
{
	log_error("connection truncated: %s %s before the end of the stream "
	    "— what was received is incomplete", r->peer, how);
	lp->end = RELAY_PEER_FAILED;
	return STEP_FAILED;
}

/* Reads more of the current frame (never past its end once its length
 * is known, so full-size frames stay aligned at the buffer's start). */
static int
read_socket(struct relay *r, struct relay_loop *lp)
{
	size_t avail = r->r_len - r->r_off;
	size_t want;
	ssize_t n;

	if (r->r_off > 0) {
		if (avail > 0)
			memmove(r->rbuf, r->rbuf + r->r_off, avail);
		r->r_off = 0;
		r->r_len = avail;
	}
	if (avail >= FRAME_HEADER_LEN)
		want = FRAME_HEADER_LEN + get_be16(r->rbuf) - avail;
	else
		want = FRAME_BUF_LEN - avail;
	n = recv(r->sock, r->rbuf + r->r_len, want, 0);
	if (n > 0) {
		r->r_len += (size_t)n;
		return 1;
	}
	if (n == 0)
		return truncated(r, lp, "closed the connection");
	if (errno == EINTR)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		lp->rx_ready = false;
		return 0;
	}
	if (errno == ECONNRESET)
		return truncated(r, lp, "reset the connection");
	log_errno("connection with %s failed", r->peer);
	lp->end = RELAY_PEER_FAILED;
	return STEP_FAILED;
}

/*
 * After the peer's CLOSE nothing may arrive (PROTOCOL.md §3.2), and the peer
 * closes the connection only once it has our CLOSE too.  So whatever the
 * socket says now, before ours has gone, ends the relay: more data breaks
 * the rule; an end or a reset means the peer went away without all of our
 * stream (over TCP a reset shows up only here: our input may stay idle for
 * hours).
 */
static int
read_after_close(struct relay *r, struct relay_loop *lp)
{
	uint8_t byte;
	ssize_t n;

	n = recv(r->sock, &byte, 1, 0);
	if (n > 0)
		return protocol_error(r, lp, "data after CLOSE");
	if (n == -1 && errno == EINTR)
		return STEP_MORE;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		lp->rx_ready = false;
		return STEP_BLOCKED;
	}
	if (n == 0)
		log_error("%s closed the connection before the end of our "
		    "stream — the peer did not receive the whole stream",
		    r->peer);
	else if (errno == ECONNRESET)
		log_error("%s reset the connection before the end of our "
		    "stream — the peer did not receive the whole stream",
		    r->peer);
	else
		log_errno("connection with %s failed", r->peer);
	lp->end = RELAY_PEER_FAILED;
	return STEP_FAILED;
}

/* Socket -> frames -> output. */
static int
rx_progress(struct relay *r, struct relay_loop *lp)
{
	int rc;

	for (int i = 0; i < RELAY_BATCH; i++) {
		if (r->out_len > 0) {
			if (!lp->out_ready)
				return STEP_BLOCKED;
			if ((rc = write_output(r, lp)) == -1)
				return STEP_FAILED;
			if (rc == 0)
				return STEP_BLOCKED;
		}
		if (r->peer_closed)
			return lp->rx_ready ? read_after_close(r, lp) :
			    STEP_BLOCKED;
		if ((rc = take_frame(r, lp)) == STEP_FAILED)
			return STEP_FAILED;
		if (rc == 1)
			continue;
		if (!lp->rx_ready)
			return STEP_BLOCKED;
		if ((rc = read_socket(r, lp)) != 1)
			return rc;
	}
	return STEP_MORE;
}

/*
 * Ends our input by rule, after what can be read of it now: what a person
 * typed ahead while waiting must go to the peer, not be left for the
 * shell to run once we exit.  FIONREAD counts only what a read() returns
 * without waiting (on a terminal in canonical mode: whole lines).
 */
static void
end_input(struct relay *r, struct relay_loop *lp)
{
	int avail = 0;

	if (!r->in_open)
		return;
	if (ioctl(r->local->in_fd, FIONREAD, &avail) == -1 || avail <= 0) {
		r->in_open = false;
		return;
	}
	r->in_left = (size_t)avail;
	lp->in_ready = true;
}

/* The ending rules that follow from the peer's CLOSE. */
static void
after_peer_close(struct relay *r, struct relay_loop *lp)
{
	if (!r->peer_closed || r->out_len > 0 || r->output_done)
		return;
	r->output_done = true;
	local_close_output(r->local);
	/* A person at a terminal is not going to type an EOF for a
	 * transfer that has finished, and a program that waits for us to
	 * exit before it closes our input (rsync -e) will not either: end
	 * our side too. */
	if ((r->local != NULL && r->local->in_is_tty) ||
	    r->opts.exit_with_peer)
		end_input(r, lp);
}

/* A keepalive PING can be sealed: nothing else is in hand. */
static bool
can_ping(const struct relay *r, const struct relay_loop *lp)
{
	return r->opts.keepalive_s > 0 && !r->close_queued && r->s_len == 0 &&
	    !lp->tx_dead;
}

/* Until the next timer that will act: a keepalive that cannot be sent
 * (the socket is full) must not wake us at once, over and over. */
static int
poll_timeout(const struct relay *r, const struct relay_loop *lp, bool busy)
{
	long long now, next = -1, t;

	if (busy)
		return 0;
	now = io_now_ms();
	if (r->opts.idle_s > 0)
		next = r->last_traffic + (long long)r->opts.idle_s * 1000;
	if (can_ping(r, lp)) {
		t = r->last_sent + (long long)r->opts.keepalive_s * 1000;
		if (next == -1 || t < next)
			next = t;
	}
	if (next == -1)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 :
	    next - now);
}

/* Idle timeout and keepalive, after every wake-up. */
static int
timers(struct relay *r, struct relay_loop *lp)
{
	long long now = io_now_ms();

	if (r->opts.idle_s > 0 &&
	    now - r->last_traffic >= (long long)r->opts.idle_s * 1000) {
		log_error("no traffic with %s for %u s (--idle) — closing the "
		    "connection", r->peer, r->opts.idle_s);
		lp->end = RELAY_IDLE;
		return STEP_FAILED;
	}
	if (can_ping(r, lp) &&
	    now - r->last_sent >= (long long)r->opts.keepalive_s * 1000) {
		if (seal(r, FRAME_PING, 0, false) == -1) {
			lp->end = RELAY_INPUT_FAILED;
			return STEP_FAILED;
		}
	}
	return STEP_BLOCKED;
}

/*
 * Waits for what the loop can act on, and nothing else: a descriptor
 * polled with no events still reports POLLERR and POLLHUP, which the loop
 * would then ignore, at 100% CPU.  So the socket is left out while the
 * loop neither reads it (output blocked) nor writes it; POLLIN is asked for
 * even after the peer's CLOSE, to learn at once that it went away.
 */
static int
wait_for_events(struct relay *r, struct relay_loop *lp, bool busy)
{
	struct pollfd pfd[4];
	int sock_i = -1, in_i = -1, out_i = -1, sig_i;
	short sock_events = 0;
	size_t n = 0;
	int rc;

	if (r->out_len == 0)
		sock_events |= POLLIN;
	if (r->s_len > 0 && !lp->tx_dead)
		sock_events |= POLLOUT;
	if (sock_events != 0) {
		sock_i = (int)n;
		pfd[n].fd = r->sock;
		pfd[n].events = sock_events;
		n++;
	}
	if (r->in_open && r->s_len == 0 && !lp->tx_dead) {
		in_i = (int)n;
		pfd[n].fd = r->local->in_fd;
		pfd[n].events = POLLIN;
		n++;
	}
	if (r->out_len > 0) {
		if (in_i != -1 && r->local->out_fd == r->local->in_fd)
			out_i = in_i;
		else {
			out_i = (int)n;
			pfd[n].fd = r->local->out_fd;
			pfd[n].events = 0;
			n++;
		}
		pfd[out_i].events |= POLLOUT;
	}
	sig_i = (int)n;
	pfd[n].fd = sig_fd();
	pfd[n].events = POLLIN;
	n++;
	relay_push(r);
	rc = poll(pfd, n, poll_timeout(r, lp, busy));
	if (rc == -1 && errno != EINTR) {
		log_errno("poll failed");
		lp->end = RELAY_PEER_FAILED;
		return STEP_FAILED;
	}
	if (rc > 0) {
		short any = POLLHUP | POLLERR | POLLNVAL;

		/* An error or a hang-up wakes both directions: the next
		 * recv() or send() says what it is. */
		if (sock_i != -1 && (pfd[sock_i].revents & (POLLIN | any)))
			lp->rx_ready = true;
		if (sock_i != -1 && (pfd[sock_i].revents & (POLLOUT | any)))
			lp->tx_ready = true;
		if (in_i != -1 && (pfd[in_i].revents & (POLLIN | any)))
			lp->in_ready = true;
		if (out_i != -1 && (pfd[out_i].revents & (POLLOUT | any)))
			lp->out_ready = true;
		/* relay_run() then looks at sig_caught(). */
		if (pfd[sig_i].revents != 0)
			sig_drain();
	}
	return timers(r, lp);
}

/*
 * Both CLOSEs have gone their way.  The peer closes the connection once it
 * has read our CLOSE, which it only does after writing out everything
 * before it; a peer that failed instead closes with our data unread, which
 * arrives here as a reset.  So wait for its end before calling the
 * transfer complete, after sending ours (shutdown) so the wait is mutual;
 * unless we sent no data at all.  Anything but that end (--idle expiring,
 * an error) leaves the transfer unconfirmed: a failure.
 */
static enum relay_end
await_peer_close(struct relay *r)
{
	long long deadline = IO_NO_DEADLINE;
	struct pollfd pfd[2] = {
		{ .fd = r->sock, .events = POLLIN },
		{ .fd = sig_fd(), .events = POLLIN },
	};
	ssize_t n;
	int rc;

	if (r->opts.idle_s > 0)
		deadline = io_deadline(r->opts.idle_s);
	(void)shutdown(r->sock, SHUT_WR);
	/* With no data of ours on the way there is nothing the peer could
	 * leave unread: its CLOSE is all we wait for. */
	if (r->bytes_sent == 0)
		return RELAY_DONE;
	for (;;) {
		n = recv(r->sock, r->rbuf, FRAME_BUF_LEN, 0);
		if (n == 0)
			return RELAY_DONE;
		if (n > 0)
			continue;	/* nothing may follow CLOSE; ignore */
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET) {
			log_error("%s reset the connection before reading "
			    "everything we sent — the peer did not receive "
			    "the whole stream", r->peer);
			return RELAY_PEER_FAILED;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_errno("connection with %s failed before it "
			    "confirmed the end of our stream", r->peer);
			return RELAY_PEER_FAILED;
		}
		if (sig_caught() != 0)
			return RELAY_INTERRUPTED;
		if ((rc = poll(pfd, 2, io_remaining_ms(deadline))) == 0) {
			log_error("%s did not close the connection within "
			    "%u s (--idle) of the end of both streams — it "
			    "may not have received the whole stream", r->peer,
			    r->opts.idle_s);
			return RELAY_IDLE;
		}
		if (rc == -1 && errno != EINTR) {
			log_errno("poll failed");
			return RELAY_PEER_FAILED;
		}
		if (rc > 0 && pfd[1].revents != 0)
			sig_drain();
	}
}

enum relay_end
relay_run(struct relay *r)
{
	struct relay_loop loop = {
		.end = RELAY_DONE,
		.in_ready = !r->local->in_blocking,
		.rx_ready = true,
		.tx_ready = true,
		.out_ready = !r->local->out_blocking,
	};
	int rx, tx;

	r->in_open = !r->opts.recv_only && r->local->in_fd != -1;
	for (;;) {
		if (sig_caught() != 0)
			return RELAY_INTERRUPTED;
		if ((rx = rx_progress(r, &loop)) == STEP_FAILED)
			return loop.end;
		after_peer_close(r, &loop);
		if ((tx = tx_progress(r, &loop)) == STEP_FAILED)
			return loop.end;
		if (r->output_done && r->close_sent)
			return await_peer_close(r);
		if (loop.tx_dead && r->output_done) {
			log_error("connection to %s lost while sending: %s — "
			    "the peer did not receive the whole stream",
			    r->peer, strerror(loop.tx_errno));
			return RELAY_PEER_FAILED;
		}
		if (wait_for_events(r, &loop, rx == STEP_MORE ||
		    tx == STEP_MORE) == STEP_FAILED)
			return loop.end;
	}
}

int
relay_send_error(struct relay *r, const char *reason, long long deadline)
{
	size_t reason_len = strlen(reason);

	if (r->sbuf == NULL || r->close_sent)
		return -1;
	if (r->close_queued) {
		/* Our stream did end: let the peer see all of its CLOSE. */
		if (!r->s_is_close || io_write_all(r->sock,
		    r->sbuf + r->s_off, r->s_len - r->s_off, deadline) == -1)
			return -1;
		r->close_sent = true;
		r->s_len = 0;
		r->s_off = 0;
		return 0;
	}
	if (reason_len > FRAME_ERROR_MAX)
		reason_len = FRAME_ERROR_MAX;
	if (r->s_off < r->s_len &&
	    io_write_all(r->sock, r->sbuf + r->s_off, r->s_len - r->s_off,
	    deadline) == -1)
		return -1;
	r->s_len = 0;
	r->s_off = 0;
	memcpy(r->sbuf + FRAME_BODY_OFFSET, reason, reason_len);
	if (seal(r, FRAME_ERROR, reason_len, false) == -1)
		return -1;
	r->close_queued = true;		/* nothing may follow an ERROR */
	return io_write_all(r->sock, r->sbuf, r->s_len, deadline);
}
