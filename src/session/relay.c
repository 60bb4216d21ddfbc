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
 * Which frame may go when is for ending.c (§3.4) and rekey.c (§3.5) to
 * say: every frame that opens is shown to them before anything of it
 * moves, and the next frame sealed is the one they owe (REKEY or SWITCH
 * first, then CLOSE or DONE), else DATA while the input lasts, else a
 * keepalive.  The peer's CLOSE, once everything before it is out, is
 * delivered: the output is fsync()ed (--fsync) and closed, and DONE owed.
 * The session is over once both sides have sent CLOSE and DONE and our
 * last frame is out; an end of the connection before the peer's DONE is a
 * failure, and ending_conclude() says which.  A frame that fails to open
 * ends the relay before any byte of it moves.
 *
 * --progress costs the loop a test per turn: timers() draws the status
 * line (progress.c, log_status()) when it is due, on the clock reading it
 * takes anyway, and poll() wakes up for it when nothing else moves.
 */
#include "session/relay.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session/frame.h"
#include "base/log.h"
#include "transport/addr.h"
#include "transport/io.h"
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

/* How the connection went away, for the messages. */
enum lost {
	LOST_EOF,		/* the peer closed it */
	LOST_RESET,		/* the peer reset it */
	LOST_RECEIVING,		/* recv() failed otherwise; errno */
	LOST_SENDING		/* send() failed; errno */
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
    struct rekey *rekey, const struct relay_opts *opts, const char *peer)
{
	uint8_t *sbuf = r->sbuf, *rbuf = r->rbuf;

	memset(r, 0, sizeof(*r));
	r->sbuf = sbuf;
	r->rbuf = rbuf;
	r->sock = sock;
	r->local = local;
	r->send_cs = send;
	r->recv_cs = recv;
	r->rekey = rekey;
	r->opts = *opts;
	r->peer = peer;
	ending_init(&r->end);
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

/* Logs a rekey round that has just finished (rounds_before: the count
 * before the frame that finished it). */
static void
note_round(const struct relay *r, unsigned long rounds_before)
{
	unsigned long rounds = rekey_rounds(r->rekey);

	if (rounds != rounds_before)
		log_verbose("%s: rekeyed (round %lu)", r->peer, rounds);
}

/*
 * Seals the frame of type with the body_len bytes at sbuf +
 * FRAME_BODY_OFFSET, and tells the ending and the rekey round.  The caller
 * has asked them that it may (ending_may_send(), rekey_owes()) and sets
 * s_more afterwards: MSG_MORE when something will be sent or pushed right
 * after it.
 */
static int
seal(struct relay *r, struct relay_loop *lp, enum frame_type type,
    size_t body_len)
{
	unsigned long rounds = rekey_rounds(r->rekey);

	if (frame_seal(r->send_cs, type, r->sbuf, FRAME_BUF_LEN, body_len,
	    &r->s_len) == -1) {
		log_error("cannot seal a frame for %s: this connection has "
		    "used up its nonces — reconnect", r->peer);
		lp->end = RELAY_LOCAL_FAILED;
		return -1;
	}
	r->s_off = 0;
	r->s_type = type;
	r->s_more = false;
	r->last_sent = io_now_ms();
	if (ending_sent(&r->end, type) == -1 ||
	    ((type == FRAME_REKEY || type == FRAME_SWITCH) &&
	    rekey_sent(r->rekey, type, r->send_cs) == -1)) {
		log_error("cannot send a %#x frame to %s now — this is a bug",
		    (unsigned)type, r->peer);
		lp->end = RELAY_LOCAL_FAILED;
		return -1;
	}
	if (type == FRAME_DATA)
		rekey_count(r->rekey, body_len);
	note_round(r, rounds);
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
			if (r->s_type != FRAME_PING)
				r->last_traffic = io_now_ms();
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	if (r->s_type == FRAME_CLOSE)
		log_verbose("%s: our stream sent (%llu bytes), waiting for "
		    "its confirmation", r->peer,
		    (unsigned long long)r->bytes_sent);
	r->corked = r->s_more;
	r->s_len = 0;
	r->s_off = 0;
	return 1;
}

/* Reads input into sbuf and seals it as DATA. */
static int
read_input(struct relay *r, struct relay_loop *lp)
{
	size_t want = FRAME_BODY_MAX;
	ssize_t n;
	int err;

	if (!lp->in_ready)
		return STEP_BLOCKED;
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
		if (seal(r, lp, FRAME_DATA, (size_t)n) == -1)
			return STEP_FAILED;
		/* A short read is followed by another read at once (unless
		 * the input must be polled first): what it brings, or our
		 * CLOSE, may share this packet. */
		r->s_more = (size_t)n < FRAME_BODY_MAX &&
		    !r->local->in_blocking;
		return STEP_MORE;
	}
	if (n == 0) {
		r->in_open = false;
		return STEP_MORE;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		lp->in_ready = false;
		if (r->in_left > 0)	/* someone else read it */
			r->in_open = false;
		return r->in_open ? STEP_BLOCKED : STEP_MORE;
	}
	if (errno == EINTR)
		return STEP_MORE;
	err = errno;
	if (r->local->is_socket && (err == ECONNRESET || err == EPIPE))
		log_error("cannot read %s: %s — it hung up before the end of "
		    "the peer's stream; its own logs say why",
		    r->local->in_name, strerror(err));
	else
		log_errno("cannot read %s", r->local->in_name);
	/* A --forward target that hung up is gone both ways: the rest of
	 * the peer's stream cannot be delivered, and that is what the peer
	 * is told (its "could not deliver our stream"). */
	if (r->local->is_socket && !r->output_done &&
	    (err == ECONNRESET || err == EPIPE)) {
		r->out_errno = err;
		lp->end = RELAY_OUTPUT_FAILED;
	} else
		lp->end = RELAY_INPUT_FAILED;
	return STEP_FAILED;
}

/* Seals the REKEY or SWITCH the round owes. */
static int
seal_rekey(struct relay *r, struct relay_loop *lp, enum frame_type type)
{
	enum frame_type next;
	size_t body_len = 0;

	if (type == FRAME_REKEY && rekey_write(r->rekey,
	    r->sbuf + FRAME_BODY_OFFSET, FRAME_BODY_MAX, &body_len) == -1) {
		log_error("cannot write a REKEY frame for %s — this is a bug",
		    r->peer);
		lp->end = RELAY_LOCAL_FAILED;
		return STEP_FAILED;
	}
	if (seal(r, lp, type, body_len) == -1)
		return STEP_FAILED;
	r->s_more = rekey_owes(r->rekey, &next) ||
	    ending_owes(&r->end, &next);
	return STEP_MORE;
}

/* Seals the CLOSE or DONE the ending owes. */
static int
seal_ending(struct relay *r, struct relay_loop *lp, enum frame_type type)
{
	enum frame_type next;

	if (seal(r, lp, type, 0) == -1)
		return STEP_FAILED;
	if (type == FRAME_DONE)
		log_verbose("%s: delivered its whole stream (%llu bytes) and "
		    "confirmed it", r->peer,
		    (unsigned long long)r->bytes_received);
	/* What is owed next goes out at once, and so does the end of the
	 * session (shutdown()): either may share this packet. */
	r->s_more = ending_owes(&r->end, &next) || ending_finished(&r->end);
	return STEP_MORE;
}

/*
 * Seals the next frame when sbuf is free: the rekey round's, then the
 * ending's, then DATA.  Returns STEP_MORE when there may be more to do now,
 * STEP_BLOCKED when nothing is to be sealed until poll() says so.
 */
static int
next_frame(struct relay *r, struct relay_loop *lp)
{
	enum frame_type type;
	long long now = io_now_ms();

	if (!r->in_open)
		ending_input_ended(&r->end);
	if (ending_may_start_round(&r->end) && rekey_due(r->rekey, now) &&
	    rekey_start(r->rekey, now) == -1) {
		log_error("cannot start a rekey round with %s: no key pair "
		    "could be made", r->peer);
		lp->end = RELAY_LOCAL_FAILED;
		return STEP_FAILED;
	}
	if (rekey_owes(r->rekey, &type) && ending_may_send(&r->end, type))
		return seal_rekey(r, lp, type);
	if (ending_owes(&r->end, &type))
		return seal_ending(r, lp, type);
	if (r->in_open && ending_may_send(&r->end, FRAME_DATA))
		return read_input(r, lp);
	return STEP_BLOCKED;
}

/* What we owe the peer -> frames -> socket. */
static int
tx_progress(struct relay *r, struct relay_loop *lp)
{
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
		if ((rc = next_frame(r, lp)) != STEP_MORE)
			return rc;
	}
	return STEP_MORE;
}

/* Writes the DATA body in hand.  Returns 1 when done, 0 when the output
 * is full, -1 after reporting a failure. */
static int
write_output(struct relay *r, struct relay_loop *lp)
{
	ssize_t n;

	/* Data for the terminal the status line is on: the line goes, and
	 * plain lines follow, so neither is written over the other. */
	if (r->progress_out_tty && r->out_len > 0) {
		log_status_clear();
		r->progress.tty = false;
		r->progress_out_tty = false;
	}
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
		r->out_errno = n == 0 ? EIO : errno;
		if (r->out_errno == EPIPE)
			log_error("cannot write %s: it was closed before the "
			    "end of the stream — the reader went away, the "
			    "rest was not delivered", r->local->out_name);
		else if (r->local->is_socket && r->out_errno == ECONNRESET)
			log_error("cannot write %s: %s — it hung up before the "
			    "end of the peer's stream; its own logs say why",
			    r->local->out_name, strerror(r->out_errno));
		else
			log_error("cannot write %s: %s", r->local->out_name,
			    strerror(r->out_errno));
		lp->end = RELAY_OUTPUT_FAILED;
		return -1;
	}
	return 1;
}

/* True if the text at s starts with prefix and goes on after it. */
static bool
starts_with(const char *s, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(s, prefix, len) == 0 && s[len] != '\0';
}

/*
 * The peer's reason, made safe for a terminal.  Two kinds of reason say
 * what happened to a stream rather than reject us (PROTOCOL.md §3.4): a
 * peer stopped by a signal ("interrupted by SIGNAME") and a peer whose
 * output failed ("could not deliver your stream: why"), which after our
 * CLOSE is the answer to it instead of DONE.
 */
static void
report_peer_error(const struct relay *r, const uint8_t *body,
    size_t body_len)
{
	static const char interrupted[] = "interrupted by ";
	static const char undelivered[] = "could not deliver your stream: ";
	char reason[FRAME_ERROR_MAX + 1];

	if (text_for_terminal(body, body_len, reason, sizeof(reason)) == 0)
		log_error("rejected by peer: (no reason given)");
	else if (starts_with(reason, interrupted) && !r->peer_closed)
		log_error("peer %s was interrupted (%s) before the end of its "
		    "stream — what was received is incomplete", r->peer,
		    reason + strlen(interrupted));
	else if (starts_with(reason, interrupted))
		log_error("peer %s was interrupted (%s) before it confirmed "
		    "our stream — it may not have all of it", r->peer,
		    reason + strlen(interrupted));
	else if (starts_with(reason, undelivered))
		log_error("%s could not deliver our stream: %s — it does not "
		    "have all of it", r->peer, reason + strlen(undelivered));
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

/* A REKEY or SWITCH that opened; a SWITCH takes effect before the next
 * frame is opened. */
static int
take_rekey(struct relay *r, struct relay_loop *lp, enum frame_type type,
    const uint8_t *body, size_t body_len)
{
	unsigned long rounds = rekey_rounds(r->rekey);
	const char *why = "rekey round failed";

	switch (rekey_received(r->rekey, type, body, body_len, r->recv_cs,
	    ending_may_send(&r->end, FRAME_REKEY), io_now_ms(), &why)) {
	case REKEY_OK:
		break;
	case REKEY_PROTOCOL_ERROR:
		return protocol_error(r, lp, why);
	case REKEY_LOCAL_ERROR:
		log_error("cannot answer the rekey round of %s: %s", r->peer,
		    why);
		lp->end = RELAY_LOCAL_FAILED;
		return STEP_FAILED;
	}
	note_round(r, rounds);
	return 1;
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
	/* The order rules first: nothing of a frame that breaks one moves. */
	if (ending_received(&r->end, type, &why) == -1)
		return protocol_error(r, lp, why);
	switch (type) {
	case FRAME_DATA:
		r->bytes_received += body_len;
		if (!r->opts.send_only) {
			/* Stays in rbuf: nothing is read until it is out. */
			r->out_ptr = ct + 1;
			r->out_len = body_len;
		}
		break;
	case FRAME_CLOSE:
		/* Delivered by deliver(): everything before it is out. */
		r->peer_closed = true;
		break;
	case FRAME_DONE:
		log_verbose("%s: confirmed it received our whole stream",
		    r->peer);
		break;
	case FRAME_ERROR:
		report_peer_error(r, ct + 1, body_len);
		lp->end = RELAY_PEER_FAILED;
		return STEP_FAILED;
	case FRAME_REKEY:
	case FRAME_SWITCH:
		return take_rekey(r, lp, type, ct + 1, body_len);
	case FRAME_PING:
		break;
	}
	return 1;
}

/*
 * The connection carries nothing more, before the session is finished:
 * ending_conclude() says what that means, and it is reported.  err is the
 * errno of LOST_RECEIVING and LOST_SENDING.  Returns STEP_FAILED: the
 * relay stops, lp->end says how.
 */
static int
conclude(struct relay *r, struct relay_loop *lp, enum lost how, int err)
{
	enum ending_outcome outcome;
	char what[ADDR_MAX + 128];

	outcome = ending_conclude(&r->end, r->s_len == 0 && !lp->tx_dead);
	switch (how) {
	case LOST_EOF:
		snprintf(what, sizeof(what), "%s closed the connection",
		    r->peer);
		break;
	case LOST_RESET:
		snprintf(what, sizeof(what), "%s reset the connection",
		    r->peer);
		break;
	case LOST_RECEIVING:
		snprintf(what, sizeof(what), "the connection with %s failed "
		    "(%s)", r->peer, strerror(err));
		break;
	case LOST_SENDING:
		snprintf(what, sizeof(what), "the connection to %s was lost "
		    "while sending (%s)", r->peer, strerror(err));
		break;
	}
	lp->end = RELAY_PEER_FAILED;
	switch (outcome) {
	case ENDING_OK:
		lp->end = RELAY_DONE;
		break;
	case ENDING_TRUNCATED:
		log_error("connection truncated: %s before the end of the "
		    "stream — what was received is incomplete", what);
		break;
	case ENDING_UNCONFIRMED:
		log_error("%s: %s — it may not have all of our stream",
		    ending_describe(outcome), what);
		break;
	case ENDING_UNANSWERED:
		log_error("%s: %s — its stream was delivered here, but it "
		    "may report a failure", ending_describe(outcome), what);
		break;
	default:
		log_error("%s: %s", ending_describe(outcome), what);
		break;
	}
	return STEP_FAILED;
}

/*
 * The receiving side of the connection ended.  Once the peer has sent all
 * it ever will (its CLOSE and DONE), that is no loss: stop reading, and
 * let our own frames still go out.  Before, it ends the session.
 */
static int
connection_ended(struct relay *r, struct relay_loop *lp, enum lost how,
    int err)
{
	if (ending_peer_finished(&r->end)) {
		r->rx_done = true;
		lp->rx_ready = false;
		return STEP_BLOCKED;
	}
	return conclude(r, lp, how, err);
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
		return connection_ended(r, lp, LOST_EOF, 0);
	if (errno == EINTR)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		lp->rx_ready = false;
		return 0;
	}
	if (errno == ECONNRESET)
		return connection_ended(r, lp, LOST_RESET, errno);
	return connection_ended(r, lp, LOST_RECEIVING, errno);
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
		if (r->rx_done)
			return STEP_BLOCKED;
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

/* Records why the output failed, as RELAY_OUTPUT_FAILED. */
static int
output_failed(struct relay *r, struct relay_loop *lp, const char *doing)
{
	r->out_errno = errno;
	log_errno("cannot %s %s", doing, r->local->out_name);
	lp->end = RELAY_OUTPUT_FAILED;
	return -1;
}

/*
 * The peer's stream is over and all of it written: make it delivered
 * (PROTOCOL.md §3.4 rule 3), so that DONE can say so.  With --fsync a
 * regular file is synced first; other outputs have nothing to sync.  The
 * ending rules that follow from the peer's CLOSE apply after it.
 */
static int
deliver(struct relay *r, struct relay_loop *lp)
{
	struct local *l = r->local;
	struct stat st;

	if (!r->peer_closed || r->out_len > 0 || r->output_done)
		return 0;
	r->output_done = true;
	if (!r->opts.send_only && l->out_fd != -1) {
		if (r->opts.fsync && fstat(l->out_fd, &st) == 0 &&
		    S_ISREG(st.st_mode) && fsync(l->out_fd) == -1)
			return output_failed(r, lp, "sync to disk");
		if (local_close_output(l) == -1)
			return output_failed(r, lp, "close");
	}
	(void)ending_delivered(&r->end);
	/* A person at a terminal is not going to type an EOF for a
	 * transfer that has finished, and a program that waits for us to
	 * exit before it closes our input (rsync -e) will not either: end
	 * our side too. */
	if (l->in_is_tty || r->opts.exit_with_peer)
		end_input(r, lp);
	else if (r->in_open)
		log_verbose("%s: its whole stream is here (%llu bytes); "
		    "waiting for our input to end — close it (Ctrl-D), or use "
		    "--exit-with-peer not to wait", r->peer,
		    (unsigned long long)r->bytes_received);
	return 0;
}

/* We may seal a frame now: none is in hand and sending works. */
static bool
can_seal(const struct relay *r, const struct relay_loop *lp)
{
	return r->s_len == 0 && !lp->tx_dead;
}

/* A keepalive PING can be sealed: nothing else is in hand, and the ending
 * allows it (until we have sent both CLOSE and DONE). */
static bool
can_ping(const struct relay *r, const struct relay_loop *lp)
{
	return r->opts.keepalive_s > 0 && can_seal(r, lp) &&
	    ending_may_send(&r->end, FRAME_PING);
}

/* The earlier of two deadlines, -1 being none. */
static long long
earlier(long long a, long long b)
{
	if (a == -1)
		return b;
	return b == -1 || a < b ? a : b;
}

/* Until the next timer that will act: a keepalive or a rekey round that
 * cannot be sent (the socket is full) must not wake us at once, over and
 * over. */
static int
poll_timeout(const struct relay *r, const struct relay_loop *lp, bool busy)
{
	long long now, next = -1;

	if (busy)
		return 0;
	now = io_now_ms();
	if (r->opts.idle_s > 0)
		next = r->last_traffic + (long long)r->opts.idle_s * 1000;
	if (can_ping(r, lp))
		next = earlier(next, r->last_sent +
		    (long long)r->opts.keepalive_s * 1000);
	if (can_seal(r, lp) && ending_may_start_round(&r->end))
		next = earlier(next, rekey_deadline(r->rekey));
	if (r->opts.progress)
		next = earlier(next, progress_next(&r->progress));
	if (next == -1)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 :
	    next - now);
}

/* The width of the terminal on stderr, for the status line. */
static unsigned
terminal_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == -1 || ws.ws_col == 0)
		return 80;
	return ws.ws_col;
}

/* --progress: draws the status line (now: the loop's clock). */
static void
show_progress(struct relay *r, long long now, bool final)
{
	char line[PROGRESS_LINE_MAX];

	if (progress_line(&r->progress, r->bytes_sent, r->bytes_received, now,
	    final, line, sizeof(line)) == 0)
		log_status(line, r->progress.tty ? terminal_columns() : 0,
		    final);
}

/*
 * The status line is redrawn in place only on a terminal that nothing
 * else writes to meanwhile: the echo of what is typed on a terminal
 * stdin, or an --exec child's stderr, would be glued to the line or wiped
 * by its next redraw.  Then it is printed as plain lines, as into a pipe.
 * Received data on a terminal stdout does the same from its first byte
 * on (write_output()).  A terminal on stdin is taken to be stderr's:
 * /dev/tty cannot be told from it by its device.
 */
static bool
redraw_in_place(const struct relay *r)
{
	if (!isatty(STDERR_FILENO) || r->local->pid != -1)
		return false;
	if (!r->opts.recv_only && r->local->in_fd >= 0 &&
	    isatty(r->local->in_fd))
		return false;
	return true;
}

/*
 * --progress: starts the clock, with the size of the transfer if it is
 * known: --size, else the rest of a regular file we send.
 */
static void
start_progress(struct relay *r)
{
	enum progress_size size_of = PROGRESS_SIZE_UNKNOWN;
	uint64_t size = 0;
	struct stat st;
	off_t offset;

	if (r->opts.size_known) {
		size_of = PROGRESS_SIZE_EITHER;
		size = r->opts.size;
	} else if (r->in_open && fstat(r->local->in_fd, &st) == 0 &&
	    S_ISREG(st.st_mode) &&
	    (offset = lseek(r->local->in_fd, 0, SEEK_CUR)) != -1) {
		size_of = PROGRESS_SIZE_SENT;
		size = offset < st.st_size ? (uint64_t)(st.st_size - offset) :
		    0;
	}
	progress_init(&r->progress, redraw_in_place(r), size_of, size,
	    io_now_ms());
	r->progress_out_tty = r->progress.tty && !r->opts.send_only &&
	    r->local->out_fd >= 0 && isatty(r->local->out_fd);
}

/* Idle timeout, keepalive and the status line, after every wake-up; a
 * rekey round that is due starts in tx_progress(). */
static int
timers(struct relay *r, struct relay_loop *lp)
{
	long long now = io_now_ms();

	/* The one clock reading of the loop's turn serves the status line
	 * too: nothing of it is on the path of a byte. */
	if (r->opts.progress && progress_due(&r->progress, now))
		show_progress(r, now, false);

	if (r->opts.idle_s > 0 &&
	    now - r->last_traffic >= (long long)r->opts.idle_s * 1000) {
		log_error("no traffic with %s for %u s (--idle) — closing the "
		    "connection", r->peer, r->opts.idle_s);
		lp->end = RELAY_IDLE;
		return STEP_FAILED;
	}
	if (can_ping(r, lp) &&
	    now - r->last_sent >= (long long)r->opts.keepalive_s * 1000 &&
	    seal(r, lp, FRAME_PING, 0) == -1)
		return STEP_FAILED;
	return STEP_BLOCKED;
}

/*
 * Waits for what the loop can act on, and nothing else: a descriptor
 * polled with no events still reports POLLERR and POLLHUP, which the loop
 * would then ignore, at 100% CPU.  So the socket is left out while the
 * loop neither reads it (output blocked, or the peer finished and gone)
 * nor writes it.  POLLIN is asked for whenever the output is free, to
 * learn at once of what arrives or that the peer went away.
 */
static int
wait_for_events(struct relay *r, struct relay_loop *lp, bool busy)
{
	struct pollfd pfd[4];
	int sock_i = -1, in_i = -1, out_i = -1, sig_i;
	short sock_events = 0;
	size_t n = 0;
	int rc;

	if (r->out_len == 0 && !r->rx_done)
		sock_events |= POLLIN;
	if (r->s_len > 0 && !lp->tx_dead)
		sock_events |= POLLOUT;
	if (sock_events != 0) {
		sock_i = (int)n;
		pfd[n].fd = r->sock;
		pfd[n].events = sock_events;
		n++;
	}
	if (r->in_open && can_seal(r, lp)) {
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
 * Both sides have sent CLOSE and DONE and our last frame is out: the
 * session is complete (PROTOCOL.md §3.4 rule 6).  The peer sends nothing
 * more, so nothing is left unread: our end goes out with a plain FIN.
 */
static enum relay_end
finish(struct relay *r)
{
	relay_push(r);
	(void)shutdown(r->sock, SHUT_WR);
	return ending_conclude(&r->end, true) == ENDING_OK ? RELAY_DONE :
	    RELAY_PEER_FAILED;
}

static enum relay_end
run(struct relay *r)
{
	struct relay_loop loop = {
		.end = RELAY_DONE,
		.in_ready = !r->local->in_blocking,
		.rx_ready = true,
		.tx_ready = true,
		.out_ready = !r->local->out_blocking,
	};
	int rx, tx;

	for (;;) {
		if (sig_caught() != 0)
			return RELAY_INTERRUPTED;
		if ((rx = rx_progress(r, &loop)) == STEP_FAILED ||
		    deliver(r, &loop) == -1)
			return loop.end;
		if ((tx = tx_progress(r, &loop)) == STEP_FAILED)
			return loop.end;
		if (ending_finished(&r->end) && r->s_len == 0)
			return finish(r);
		/* Sending failed.  Until the peer has sent all it will, what
		 * it sent before it went away may still say why (ERROR). */
		if (loop.tx_dead && ending_peer_finished(&r->end)) {
			(void)conclude(r, &loop, LOST_SENDING, loop.tx_errno);
			return loop.end;
		}
		if (wait_for_events(r, &loop, rx == STEP_MORE ||
		    tx == STEP_MORE) == STEP_FAILED)
			return loop.end;
	}
}

enum relay_end
relay_run(struct relay *r)
{
	enum relay_end end;

	r->in_open = !r->opts.recv_only && r->local->in_fd != -1;
	if (r->opts.progress)
		start_progress(r);
	end = run(r);
	if (r->opts.progress)
		show_progress(r, io_now_ms(), true);
	return end;
}

int
relay_send_error(struct relay *r, const char *reason, long long deadline)
{
	size_t reason_len = strlen(reason);

	if (r->sbuf == NULL || !ending_may_send(&r->end, FRAME_ERROR))
		return -1;
	if (reason_len > FRAME_ERROR_MAX)
		reason_len = FRAME_ERROR_MAX;
	/* The frame in hand is sealed: the peer needs it to open the next. */
	if (r->s_off < r->s_len &&
	    io_write_all(r->sock, r->sbuf + r->s_off, r->s_len - r->s_off,
	    deadline) == -1)
		return -1;
	r->s_len = 0;
	r->s_off = 0;
	memcpy(r->sbuf + FRAME_BODY_OFFSET, reason, reason_len);
	if (frame_seal(r->send_cs, FRAME_ERROR, r->sbuf, FRAME_BUF_LEN,
	    reason_len, &r->s_len) == -1)
		return -1;
	(void)ending_sent(&r->end, FRAME_ERROR);
	return io_write_all(r->sock, r->sbuf, r->s_len, deadline);
}
