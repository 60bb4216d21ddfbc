/*
 * conn.c - one connection, first byte to result (PROTOCOL.md §1-§3):
 * exchange the SEALCAT/2 lines, run the Noise handshake message by message
 * with uint16 big-endian length prefixes, decide about the peer's key (the
 * initiator as soon as the pattern reveals it, before it reveals itself;
 * the responder once the handshake is done), Split(), open the local side
 * and relay.
 *
 * The two handshake sequences, initiator_handshake() and
 * responder_handshake(), read as the protocol does; whose turn a message
 * is and where the peer's key becomes known come from the pattern table
 * (noise.h).  What makes them fast stays out of the sequences, in named
 * helpers: an ephemeral key made ahead (use_prepared_ephemeral()), our line
 * sent in one write with a message (take_line()), work done while the peer
 * computes (while_peer_works()), and the last message corked to share a
 * packet with the first frames (send_message()).
 *
 * The primitives are in noise.c and frame.c; the connection comes as a
 * struct stream, whose bytes move with io.c.
 */
#include "session/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pake/cpace.h"
#include "keys/fingerprint.h"
#include "session/frame.h"
#include "transport/io.h"
#include "session/local.h"
#include "base/log.h"
#include "session/preamble.h"
#include "session/rekey.h"
#include "base/sig.h"
#include "base/util.h"
#include "transport/haproxy.h"

/*
 * What we tell a peer in an ERROR frame when we stop (PROTOCOL.md §3).
 * The peer prints it after "rejected by peer: ".
 */
static const char REASON_NOT_AUTHORIZED[] = "not authorized";
static const char REASON_BAD_FRAME[] = "received a bad frame";
static const char REASON_INPUT_FAILED[] = "cannot read the stream in";
static const char REASON_LOCAL_FAILED[] = "internal failure";
/* With strerror() of the output's failure: after our CLOSE this ERROR is
 * the answer to the peer's CLOSE instead of DONE. */
static const char REASON_OUTPUT_FAILED[] = "could not deliver your stream: %s";
static const char REASON_IDLE[] = "idle timeout";
static const char REASON_UNAVAILABLE[] = "forward target unavailable";
/* With the signal's name (sig_name()); the peer recognises the prefix. */
static const char REASON_INTERRUPTED[] = "interrupted by %s";
static const char REASON_EXEC_FAILED[] = "cannot start the command";
static const char REASON_PAIR_FAILED[] = "pairing failed";

/* How long we wait, after telling the peer why we stop, for it to close
 * first (see stream_linger_close()). */
#define LINGER_MS 2000

/* The largest message we write: message 2, e and encrypted s, with an
 * empty payload (PROTOCOL.md §2.4). */
#define HS_OUT_MAX (2 * SUITE_PUB_MAX + 2 * SUITE_TAG_LEN + 1)

/* Code mode: the payload of messages 2 and 3 says what our static key is. */
#define CODE_KEY_ONE_TIME 0x00
#define CODE_KEY_PERSISTENT 0x01
/* Bytes of the handshake hash in the -v verifier. */
#define VERIFIER_LEN 8

/*
 * Our line; our handshake message with its length prefix, and room for
 * the line in front of it (take_line()).  The peer's messages may carry
 * payloads up to NOISE_MSG_MAX, read into payload and ignored.  Nothing is
 * zeroed up front; in_used and payload_used say how much to wipe
 * afterwards, so a handshake touches a few hundred bytes instead of
 * 128 KiB.
 */
struct hs_io {
	char line[PREAMBLE_MAX + 1];
	size_t line_len;
	uint8_t out[PREAMBLE_MAX + 2 + HS_OUT_MAX];
	uint8_t in[NOISE_MSG_MAX];
	uint8_t payload[NOISE_MSG_MAX];
	size_t in_used;
	size_t payload_used;
};

/* A connection's secrets, in secret memory (util.h) for its lifetime. */
struct session_secrets {
	struct handshake_state hs;
	struct cpace cpace;
	struct cipher_state send;
	struct cipher_state recv;
	uint8_t rk[SUITE_HASH_MAX];	/* from Split, until rekey_init() */
	struct rekey rekey;
};

struct session {
	struct stream *stream;
	const char *peer;		/* stream->addr, for messages */
	const struct conn_opts *o;
	long long deadline;
	struct handshake_state *hs;	/* these three in *secrets */
	struct cipher_state *send;
	struct cipher_state *recv;
	uint8_t *rk;			/* in *secrets too */
	struct cpace *cpace;		/* code mode */
	struct relay *relay;		/* zeroed; buffers mapped early */
	enum conn_result result;	/* CONN_BAD_IDENTITY, else decided
					 * at the end */
	/* From the pattern: after how many messages the peer's static key
	 * is known, and which of our messages reveals ours (-1: none). */
	int peer_static_at;
	int reveal_at;
	bool echo_unsent;	/* that line is the echo, and not out yet */
	bool line_pending;	/* our line goes in front of our next message */
	bool peer_worked;	/* while_peer_works() has run */
	bool corked;		/* our last message is held back (MSG_MORE) */
	bool wrong_code;	/* code mode: message 1 did not verify */
	bool code_void;		/* code mode: the last try failed */
	uint8_t peer_flag;	/* code mode: the payload of message 2 or 3 */
	uint8_t peer_pub[SUITE_PUB_MAX];	/* rs, kept past Split() */
	char peer_token[TOKEN_MAX];
	double start;
	double handshake_ms;
};

/* Seconds on CLOCK_MONOTONIC, finer than io_now_ms(), for -v timings. */
static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reports a failed read or write during the handshake. */
static void
io_failed(const struct session *s, const char *doing)
{
	if (errno == ETIMEDOUT)
		log_error("handshake with %s timed out after %u s while %s — "
		    "check the peer, or raise -w", s->peer, s->o->timeout_s,
		    doing);
	else
		log_errno("handshake with %s failed while %s", s->peer, doing);
}

/* Message i is the initiator's when i is even (noise.h). */
static bool
our_turn(const struct session *s)
{
	return (s->hs->msg_index % 2 == 0) == (s->o->role == ROLE_INITIATOR);
}

/*
 * Puts our line at io->out if it is to go in front of the next message
 * (the same write, so usually the same packet).  Returns its length, or 0.
 */
static size_t
take_line(struct session *s, struct hs_io *io)
{
	if (!s->line_pending)
		return 0;
	s->line_pending = false;
	memcpy(io->out, io->line, io->line_len);
	return io->line_len;
}

/*
 * Writes the next handshake message.  The handshake's last message, when
 * it is ours, is held back to share a packet with the first frames: the
 * relay pushes it before it waits for anything (relay.corked).
 */
static int
send_message(struct session *s, struct hs_io *io)
{
	int i = s->hs->msg_index;
	size_t prefix_len = take_line(s, io);
	size_t len, payload_len = 0;
	uint8_t flag = 0;
	int rc;

	/* Code mode: messages 2 and 3 say whether our key is one-time. */
	if (s->o->code != NULL && i > 0) {
		flag = s->o->code->one_time ? CODE_KEY_ONE_TIME :
		    CODE_KEY_PERSISTENT;
		payload_len = 1;
	}
	if (noise_write_message(s->hs, &flag, payload_len,
	    io->out + prefix_len + 2,
	    sizeof(io->out) - prefix_len - 2, &len) == -1) {
		log_error("handshake with %s failed: cannot build message %d",
		    s->peer, i + 1);
		return -1;
	}
	put_be16(io->out + prefix_len, (uint16_t)len);
	s->corked = i == s->hs->pattern.msg_count - 1;
	if (s->corked)
		rc = io_write_more(s->stream->fd, io->out,
		    prefix_len + 2 + len, s->deadline);
	else
		rc = io_write_all(s->stream->fd, io->out, prefix_len + 2 + len,
		    s->deadline);
	if (rc == -1) {
		io_failed(s, "sending");
		return -1;
	}
	if (prefix_len > 0)
		s->echo_unsent = false;
	return 0;
}

/* What a connection closed before message i most likely means. */
static void
eof_hint(const struct session *s, int i, char *buf, size_t buf_cap)
{
	if (s->o->role == ROLE_INITIATOR)
		snprintf(buf, buf_cap, "the listener closed the connection");
	else if (s->reveal_at != -1 && i > s->reveal_at)
		snprintf(buf, buf_cap, "the client closed the connection "
		    "after message %d — it probably does not trust this "
		    "server's key", i);
	else
		snprintf(buf, buf_cap, "the client closed the connection");
}

/*
 * Code mode: message 1 has an empty payload, messages 2 and 3 one byte,
 * 0x00 or 0x01 (kept in s->peer_flag).
 */
static int
check_code_payload(struct session *s, struct hs_io *io, int i,
    size_t payload_len)
{
	size_t want = i == 0 ? 0 : 1;

	if (payload_len == 1)
		s->peer_flag = io->payload[0];
	wipe(io->payload, payload_len);
	if (payload_len != want || (want == 1 &&
	    s->peer_flag != CODE_KEY_ONE_TIME &&
	    s->peer_flag != CODE_KEY_PERSISTENT)) {
		log_error("handshake with %s failed: message %d carries a bad "
		    "payload — the peer does not speak sealcat's code mode",
		    s->peer, i + 1);
		return -1;
	}
	return 0;
}

/* Reads and processes the next handshake message. */
static int
recv_message(struct session *s, struct hs_io *io)
{
	int i = s->hs->msg_index;
	char hint[128];
	uint8_t hdr[2];
	size_t len = 0, payload_len;
	ssize_t n;

	n = io_read_exact(s->stream->fd, hdr, sizeof(hdr), s->deadline);
	if (n == (ssize_t)sizeof(hdr)) {
		if ((len = get_be16(hdr)) == 0 && s->o->code != NULL &&
		    i == 1 && s->o->role == ROLE_INITIATOR) {
			s->wrong_code = true;
			log_error("handshake with %s failed: wrong code — "
			    "check the code (the listener counted the try)",
			    s->peer);
			return -1;
		}
		if (len == 0) {
			log_error("handshake with %s failed: message %d is "
			    "empty — the peer does not speak sealcat's "
			    "protocol", s->peer, i + 1);
			return -1;
		}
		if (len > io->in_used)
			io->in_used = len;
		n = io_read_exact(s->stream->fd, io->in, len, s->deadline);
		if (n >= 0 && (size_t)n < len)
			n = 0;
	} else if (n > 0)
		n = 0;
	if (n == -1) {
		io_failed(s, "receiving");
		return -1;
	}
	if (n == 0) {
		eof_hint(s, i, hint, sizeof(hint));
		log_error("handshake with %s failed: %s", s->peer, hint);
		return -1;
	}
	/* The payload is never longer than the message. */
	if (len > io->payload_used)
		io->payload_used = len;
	if (noise_read_message(s->hs, io->in, len, io->payload,
	    sizeof(io->payload), &payload_len) == -1) {
		if (s->o->code != NULL && i == 0) {
			/* The psk differs: the client typed another code. */
			s->wrong_code = true;
			log_error("refused %s: wrong code", s->peer);
			return -1;
		}
		log_error("handshake with %s failed: message %d did not verify "
		    "— the peer is not a sealcat peer, or the data was altered "
		    "in transit", s->peer, i + 1);
		return -1;
	}
	if (s->o->code != NULL)
		return check_code_payload(s, io, i, payload_len);
	wipe(io->payload, payload_len);
	return 0;
}

/*
 * Work that does not depend on the peer's next message, done once, after
 * we sent our first: the peer spends that time on its DH operations and we
 * would only wait.  Checks a key file loaded unchecked
 * (conn_opts.id_unchecked) and maps the relay's buffers.  Returns 0, or -1
 * after reporting.
 */
static int
while_peer_works(struct session *s)
{
	if (s->peer_worked)
		return 0;
	s->peer_worked = true;
	if (s->o->id_unchecked != NULL &&
	    identity_check(s->o->id, s->o->id_unchecked) == -1) {
		s->result = CONN_BAD_IDENTITY;
		return -1;
	}
	return relay_reserve(s->relay);
}

/*
 * Writes or reads, as the pattern says whose turn it is, every message
 * before message end.
 */
static int
exchange(struct session *s, struct hs_io *io, int end)
{
	while (s->hs->msg_index < end) {
		if (!our_turn(s)) {
			if (recv_message(s, io) == -1)
				return -1;
		} else if (send_message(s, io) == -1 ||
		    while_peer_works(s) == -1)
			return -1;
	}
	return 0;
}

/* Right after noise_init(): the key pair made ahead, if there is one. */
static void
use_prepared_ephemeral(struct session *s)
{
	const struct ephemeral *e = s->o->ephemeral;

	if (e != NULL && e->ready)
		(void)noise_use_ephemeral(s->hs, e->priv, e->pub);
}

/*
 * Builds our line and starts the handshake state with it as the prologue
 * (the peer's line, which must equal ours).  The sequences below decide
 * about the peer where the pattern makes its key known and check our key
 * file after our first message: the initiator must know the server's key
 * before a message of ours reveals us, and not learn it from our first.
 */
static int
start(struct session *s, struct hs_io *io)
{
	const struct suite *suite = s->o->id->suite;
	const struct noise_pattern *p = &s->hs->pattern;

	if ((io->line_len = preamble_build(suite, io->line,
	    sizeof(io->line))) == 0)
		return -1;
	if (noise_init(s->hs, suite, s->o->role, (const uint8_t *)io->line,
	    io->line_len, s->o->id->priv, s->o->id->pub) == -1)
		return -1;
	use_prepared_ephemeral(s);
	s->peer_static_at = noise_pattern_peer_static_at(p, s->o->role);
	s->reveal_at = noise_pattern_static_sent(p, s->o->role);
	if (s->peer_static_at == -1 || (s->o->role == ROLE_INITIATOR &&
	    (s->peer_static_at == 0 || (s->reveal_at != -1 &&
	    s->reveal_at < s->peer_static_at)))) {
		log_error("handshake pattern %s does not let us check the "
		    "peer before we reveal ourselves", p->name);
		return -1;
	}
	return 0;
}

/* A protocol name from the peer, as a suite name when we know it. */
static void
describe_protocol(const char *protocol, size_t len, char *out, size_t cap)
{
	const struct suite *suite = suite_by_protocol(protocol, len);

	if (suite != NULL)
		snprintf(out, cap, "%s (%.*s)", suite->name, (int)len,
		    protocol);
	else
		snprintf(out, cap, "%.*s", (int)len, protocol);
}

static void
report_mismatch(const struct session *s, const char *protocol, size_t len)
{
	const struct suite *ours = s->o->id->suite;
	char theirs[PREAMBLE_MAX + 40];

	describe_protocol(protocol, len, theirs, sizeof(theirs));
	log_error("suite mismatch with %s: peer speaks %s, we speak %s (%s) — "
	    "use identities of the same suite on both ends", s->peer, theirs,
	    ours->name, ours->protocol);
}

/* What the peer's line was, when it was neither ours nor another suite's
 * (len 0: it closed the connection without a byte). */
static void
report_garbage(const struct session *s, size_t len)
{
	if (s->o->role == ROLE_INITIATOR && len == 0)
		log_error("%s closed the connection without answering — is it "
		    "a sealcat listener?", s->peer);
	else if (s->o->role == ROLE_INITIATOR)
		log_error("%s is not a sealcat peer: it answered with "
		    "something else — check the host and port", s->peer);
	else if (len == 0)
		log_error("%s closed the connection before the handshake",
		    s->peer);
	else
		log_error("refused %s: not a sealcat peer (it did not send a "
		    "SEALCAT/2 line)", s->peer);
}

/*
 * True (reported) if one side uses a code and the other does not: the
 * line is CPACE_LINE in key mode, or another SEALCAT line in code mode.
 */
static bool
code_line_mismatch(const struct session *s, const char *line, size_t len)
{
	bool code_line = len == CPACE_LINE_LEN &&
	    memcmp(line, CPACE_LINE, len) == 0;
	bool initiator = s->o->role == ROLE_INITIATOR;

	if (s->o->code == NULL && code_line) {
		if (initiator)
			log_error("handshake with %s failed: the listener "
			    "expects a code — use --code", s->peer);
		else
			log_error("refused %s: the client uses a code and this "
			    "listener does not — listen with --code, or "
			    "connect without it", s->peer);
		return true;
	}
	if (s->o->code == NULL || code_line || len < 8 ||
	    memcmp(line, "SEALCAT/", 8) != 0)
		return false;
	if (initiator)
		log_error("handshake with %s failed: the listener does not "
		    "use a code — drop --code", s->peer);
	else
		log_error("refused %s: the client does not use a code — "
		    "connect with --code CODE", s->peer);
	return true;
}

/*
 * Reads the peer's line.  Returns 1 if it equals ours, 0 if it does not
 * (reported), or -1 if it could not be read (reported).
 */
static int
peer_line_matches(struct session *s, struct hs_io *io)
{
	char line[PREAMBLE_MAX + 1];
	const char *protocol = NULL;
	size_t len, protocol_len = 0;

	if (preamble_read(s->stream->fd, s->deadline, line, sizeof(line),
	    &len) == -1)
		return -1;
	if (code_line_mismatch(s, line, len))
		return 0;
	switch (preamble_classify(io->line, io->line_len, line, len,
	    &protocol, &protocol_len)) {
	case PREAMBLE_SAME:
		return 1;
	case PREAMBLE_OTHER_SUITE:
		report_mismatch(s, protocol, protocol_len);
		return 0;
	case PREAMBLE_VERSION_1:
		log_error("%s: peer speaks protocol version 1, upgrade it — "
		    "sealcat on both ends must speak version 2", s->peer);
		return 0;
	case PREAMBLE_GARBAGE:
		report_garbage(s, len);
		return 0;
	}
	return 0;
}

/* The initiator: the listener's answer to our line must be the same line. */
static int
check_echo(struct session *s, struct hs_io *io)
{
	return peer_line_matches(s, io) == 1 ? 0 : -1;
}

/* The responder: a client that spoke another line is told who we are,
 * then hung up on. */
static int
check_client_line(struct session *s, struct hs_io *io)
{
	int rc = peer_line_matches(s, io);

	if (rc == 0) {
		(void)io_write_all(s->stream->fd, io->line, io->line_len,
		    s->deadline);
		stream_linger_close(s->stream, LINGER_MS);
	}
	return rc == 1 ? 0 : -1;
}

/*
 * True if all of the next message is already here, so that our line can
 * wait to go out with our reply.
 */
static bool
next_message_arrived(struct session *s, struct hs_io *io)
{
	ssize_t n = io_peek(s->stream->fd, io->in, sizeof(io->in));

	if (n > 0 && (size_t)n > io->in_used)
		io->in_used = (size_t)n;
	return n >= 2 && (size_t)n >= 2 + (size_t)get_be16(io->in);
}

/*
 * The responder's line back: in front of message 2 when message 1 is
 * already here; else now and alone, since an initiator may wait for our
 * line before it sends message 1 (PROTOCOL.md §1.2).
 */
static int
echo_line(struct session *s, struct hs_io *io)
{
	if (next_message_arrived(s, io)) {
		s->line_pending = true;
		s->echo_unsent = true;
		return 0;
	}
	if (io_write_all(s->stream->fd, io->line, io->line_len, s->deadline)
	    == -1) {
		io_failed(s, "sending");
		return -1;
	}
	return 0;
}

int
conn_check_peer_key(const struct suite *suite, const uint8_t *pub,
    const char *peer)
{
	const char *problem;

	if (pub == NULL) {
		log_error("handshake with %s failed: the peer's key is not "
		    "known yet", peer);
		return -1;
	}
	if ((problem = suite->pub_problem(pub)) != NULL) {
		log_error("handshake with %s failed: its static key is %s — "
		    "the peer does not run a genuine sealcat", peer, problem);
		return -1;
	}
	return 0;
}

/* The peer's static key, just revealed: one spelling only, before anyone
 * trusts or records it. */
static int
check_peer_key(struct session *s)
{
	return conn_check_peer_key(s->o->id->suite,
	    noise_remote_static(s->hs), s->peer);
}

/* The initiator's decision about the server. */
static int
check_server(struct session *s)
{
	return trust_allows(s->o->trust, s->o->id->suite,
	    noise_remote_static(s->hs)) ? 0 : -1;
}

/*
 * After the last message: the peer's key and token kept, Split() into the
 * two cipher states, and the timing for -v.
 */
static int
finish(struct session *s)
{
	const struct suite *suite = s->o->id->suite;
	uint8_t h[SUITE_HASH_MAX];
	char fp[FINGERPRINT_MAX];

	_Static_assert(SUITE_HASH_MAX >= VERIFIER_LEN, "a verifier fits");
	memcpy(s->peer_pub, noise_remote_static(s->hs), suite->pub_len);
	if (token_format(suite, s->peer_pub, s->peer_token,
	    sizeof(s->peer_token)) == -1)
		return -1;
	if (noise_rekey_secret(s->hs, s->rk) == -1 ||
	    noise_split(s->hs, s->send, s->recv, h) == -1) {
		log_error("handshake with %s failed: incomplete", s->peer);
		return -1;
	}
	if (s->o->code != NULL)
		log_verbose("verifier %02x%02x %02x%02x %02x%02x %02x%02x — "
		    "the peer's must be the same", h[0], h[1], h[2], h[3],
		    h[4], h[5], h[6], h[7]);
	wipe(h, sizeof(h));
	s->handshake_ms = (now_seconds() - s->start) * 1000.0;
	fingerprint_format(suite, s->peer_pub, fp);
	log_verbose("%s is %s (suite %s, fingerprint %s, handshake %.1f ms)",
	    s->peer, s->peer_token, suite->name, fp, s->handshake_ms);
	return 0;
}

/* Sends reason in an ERROR frame and hangs up politely. */
static void
tell_peer(struct session *s, struct relay *r, const char *reason)
{
	long long deadline = io_now_ms() + LINGER_MS;

	if (relay_send_error(r, reason, deadline) == 0)
		stream_linger_close(s->stream, LINGER_MS);
}

/*
 * The responder's decision about the client, once the handshake is done:
 * a refusal is told in an ERROR frame, which needs the transport keys.
 */
static int
check_client(struct session *s)
{
	struct relay_opts none = { 0 };

	if (trust_allows(s->o->trust, s->o->id->suite, s->peer_pub)) {
		if (s->o->trust->peer_name[0] != '\0')
			log_verbose("%s is %s (named in %s)", s->peer,
			    s->o->trust->peer_name,
			    s->o->trust->authorized_path[0] != '\0' ?
			    s->o->trust->authorized_path : "the keys file");
		return 0;
	}
	if (relay_init(s->relay, s->stream->fd, NULL, s->send, s->recv, NULL,
	    &none, s->peer) == 0)
		tell_peer(s, s->relay, REASON_NOT_AUTHORIZED);
	return -1;
}

/*
 * The initiator: our line with message 1 behind it; the listener's line;
 * the messages up to the server's static key (message 2 in XX); the
 * decision about it; the rest (message 3, which reveals us); Split().
 */
static int
initiator_handshake(struct session *s, struct hs_io *io)
{
	if (start(s, io) == -1)
		return -1;
	/* Our line and message 1 go out in one write. */
	s->line_pending = true;
	if (exchange(s, io, 1) == -1 ||
	    check_echo(s, io) == -1 ||
	    exchange(s, io, s->peer_static_at) == -1 ||
	    check_peer_key(s) == -1 ||
	    /* Check rs before writing anything more: an untrusted server
	     * never learns who we are. */
	    check_server(s) == -1 ||
	    exchange(s, io, s->hs->pattern.msg_count) == -1 ||
	    finish(s) == -1)
		return -1;
	return 0;
}

/*
 * A message of the client's that failed (an altered packet, a low-order key
 * that fails the DH of our reply) while our line waited to go out with our
 * reply: the line is due all the same once the client's matched
 * (PROTOCOL.md §1.2), so the client reports a failed handshake, not a peer
 * that is no sealcat.
 */
static void
send_owed_echo(struct session *s, struct hs_io *io)
{
	if (!s->echo_unsent)
		return;
	s->echo_unsent = false;
	(void)io_write_all(s->stream->fd, io->line, io->line_len, s->deadline);
	stream_linger_close(s->stream, LINGER_MS);
}

/*
 * The responder: the client's line; ours back; the messages up to the
 * client's static key (1, 2 and 3 in XX); the rest; Split(); the decision
 * about the client.
 */
static int
responder_handshake(struct session *s, struct hs_io *io)
{
	if (start(s, io) == -1 ||
	    check_client_line(s, io) == -1 ||
	    echo_line(s, io) == -1)
		return -1;
	if (exchange(s, io, s->peer_static_at) == -1 ||
	    check_peer_key(s) == -1 ||
	    exchange(s, io, s->hs->pattern.msg_count) == -1 ||
	    finish(s) == -1 ||
	    check_client(s) == -1) {
		send_owed_echo(s, io);
		return -1;
	}
	return 0;
}

/*
 * Code mode: reads a CPace message (uint16 BE length || body), which must
 * be exactly want bytes, into io->in.  Returns 0, or -1 after reporting.
 */
static int
recv_cpace(struct session *s, struct hs_io *io, size_t want,
    const char *name)
{
	uint8_t hdr[2];
	ssize_t n;
	size_t len;

	n = io_read_exact(s->stream->fd, hdr, sizeof(hdr), s->deadline);
	if (n == (ssize_t)sizeof(hdr)) {
		if ((len = get_be16(hdr)) != want) {
			log_error("handshake with %s failed: code message %s "
			    "has %zu bytes, not %zu — the peer does not speak "
			    "sealcat's code mode", s->peer, name, len, want);
			return -1;
		}
		if (len > io->in_used)
			io->in_used = len;
		n = io_read_exact(s->stream->fd, io->in, len, s->deadline);
		if (n >= 0 && (size_t)n < len)
			n = 0;
	} else if (n > 0)
		n = 0;
	if (n == -1) {
		io_failed(s, "receiving");
		return -1;
	}
	if (n == 0) {
		log_error("handshake with %s failed: %s closed the connection",
		    s->peer, s->o->role == ROLE_INITIATOR ? "the listener" :
		    "the client");
		return -1;
	}
	return 0;
}

/*
 * Code mode, once CPace is done: the prologue (our line, A and B as they
 * travelled) and the psk from the ISK start Noise XXpsk0 with our static
 * key (persistent or one-time).  The CPace state and the psk are wiped.
 */
static int
code_start_noise(struct session *s)
{
	const struct identity *id = s->o->id;
	struct noise_pattern p;
	uint8_t prologue[CPACE_PROLOGUE_LEN];
	uint8_t psk[NOISE_PSK_LEN];
	size_t prologue_len;
	int rc = -1;

	if (cpace_prologue(s->cpace, prologue, sizeof(prologue),
	    &prologue_len) == -1 || cpace_psk(s->cpace, psk) == -1 ||
	    noise_pattern_find(CPACE_PATTERN, &p) == -1)
		goto out;
	if (noise_init_pattern(s->hs, &p, id->suite, s->o->role, prologue,
	    prologue_len, &(struct noise_keys){ .s_priv = id->priv,
	    .s_pub = id->pub, .psk = psk, .psk_count = 1 }) == -1)
		goto out;
	use_prepared_ephemeral(s);
	s->peer_static_at = noise_pattern_peer_static_at(&p, s->o->role);
	s->reveal_at = noise_pattern_static_sent(&p, s->o->role);
	rc = 0;
out:
	if (rc == -1)
		log_error("handshake with %s failed: cannot start the code "
		    "handshake", s->peer);
	cpace_clear(s->cpace);
	wipe(psk, sizeof(psk));
	return rc;
}

/*
 * The connector in code mode: CPACE_LINE and A in one write; the
 * listener's line; B; Noise XXpsk0 keyed by the code, with the same
 * decision about the server (--peer) before message 3 reveals us.
 */
static int
code_initiator_handshake(struct session *s, struct hs_io *io)
{
	struct conn_code *code = s->o->code;
	size_t a_len, head = CPACE_LINE_LEN + 2;
	int rc;

	memcpy(io->line, CPACE_LINE, CPACE_LINE_LEN);
	io->line_len = CPACE_LINE_LEN;
	cpace_init(s->cpace, ROLE_INITIATOR);
	rc = cpace_start(s->cpace, code->prs, code->prs_len, io->out + head,
	    sizeof(io->out) - head, &a_len);
	/* The connector needs the code no more. */
	wipe(code->prs, sizeof(code->prs));
	code->prs_len = 0;
	if (rc == -1) {
		log_error("handshake with %s failed: cannot start the code "
		    "exchange", s->peer);
		return -1;
	}
	memcpy(io->out, CPACE_LINE, CPACE_LINE_LEN);
	put_be16(io->out + CPACE_LINE_LEN, (uint16_t)a_len);
	if (io_write_all(s->stream->fd, io->out, head + a_len, s->deadline)
	    == -1) {
		io_failed(s, "sending");
		return -1;
	}
	if (check_echo(s, io) == -1 ||
	    recv_cpace(s, io, CPACE_MSG_B_LEN, "B") == -1)
		return -1;
	if (cpace_finish(s->cpace, io->in, CPACE_MSG_B_LEN) == -1) {
		log_error("handshake with %s failed: the listener's code "
		    "message is invalid — the peer is not a sealcat peer, or "
		    "the data was altered in transit", s->peer);
		return -1;
	}
	if (code_start_noise(s) == -1 ||
	    exchange(s, io, s->peer_static_at) == -1 ||
	    check_peer_key(s) == -1 ||
	    check_server(s) == -1 ||
	    exchange(s, io, s->hs->pattern.msg_count) == -1 ||
	    finish(s) == -1)
		return -1;
	return 0;
}

/* The listener, after a client's bad A: our line is owed (the client's
 * matched), then the connection is dropped.  Not a try. */
static void
refuse_cpace(struct session *s, struct hs_io *io)
{
	(void)io_write_all(s->stream->fd, io->line, io->line_len,
	    s->deadline);
	stream_linger_close(s->stream, LINGER_MS);
}

/*
 * The listener, after a try that failed once B was out: a wrong code is
 * answered with an empty message (00 00); after --code-tries of them the
 * code is void and the listener gives up.
 */
static void
code_try_failed(struct session *s)
{
	struct conn_code *code = s->o->code;
	static const uint8_t wrong[2] = { 0, 0 };

	if (s->wrong_code) {
		(void)io_write_all(s->stream->fd, wrong, sizeof(wrong),
		    s->deadline);
		stream_linger_close(s->stream, LINGER_MS);
	}
	if (code->tries < code->tries_max) {
		log_info("%lu of %lu tries left for this code",
		    code->tries_max - code->tries, code->tries_max);
		return;
	}
	log_error("the code is void after %lu failed tries — run listen "
	    "--code again for a new code", code->tries);
	wipe(code->prs, sizeof(code->prs));
	code->prs_len = 0;
	s->code_void = true;
}

/*
 * The listener in code mode: the client's line; A (a bad one is no try);
 * our line with B, which counts a try; Noise XXpsk0: message 1 verifies
 * only under the same code, and then the code is used up; the decision
 * about the client (--allow, -A) once its key is known.
 */
static int
code_responder_handshake(struct session *s, struct hs_io *io)
{
	struct conn_code *code = s->o->code;
	size_t b_len, head = CPACE_LINE_LEN + 2;

	memcpy(io->line, CPACE_LINE, CPACE_LINE_LEN);
	io->line_len = CPACE_LINE_LEN;
	if (check_client_line(s, io) == -1)
		return -1;
	if (recv_cpace(s, io, CPACE_MSG_A_LEN, "A") == -1) {
		refuse_cpace(s, io);
		return -1;
	}
	cpace_init(s->cpace, ROLE_RESPONDER);
	if (code->prs_len == 0 || cpace_respond(s->cpace, code->prs,
	    code->prs_len, io->in, CPACE_MSG_A_LEN, io->out + head,
	    sizeof(io->out) - head, &b_len) == -1) {
		log_error("refused %s: its code message is invalid (not "
		    "counted as a try)", s->peer);
		refuse_cpace(s, io);
		return -1;
	}
	memcpy(io->out, CPACE_LINE, CPACE_LINE_LEN);
	put_be16(io->out + CPACE_LINE_LEN, (uint16_t)b_len);
	code->tries++;
	if (io_write_all(s->stream->fd, io->out, head + b_len, s->deadline)
	    == -1) {
		io_failed(s, "sending");
		code_try_failed(s);
		return -1;
	}
	if (code_start_noise(s) == -1 || exchange(s, io, 1) == -1) {
		code_try_failed(s);
		return -1;
	}
	/* Message 1 verified: the client knows the code, which is used up. */
	wipe(code->prs, sizeof(code->prs));
	code->prs_len = 0;
	if (exchange(s, io, s->peer_static_at) == -1 ||
	    check_peer_key(s) == -1 ||
	    exchange(s, io, s->hs->pattern.msg_count) == -1 ||
	    finish(s) == -1 ||
	    check_client(s) == -1) {
		log_error("the code is used up — run listen --code again for "
		    "a new code");
		s->code_void = true;
		return -1;
	}
	return 0;
}

/* The handshake of our role; on success the session holds the two cipher
 * states and the peer's token, and the peer is trusted. */
static int
handshake(struct session *s)
{
	struct hs_io *io;
	int rc;

	s->start = now_seconds();
	if ((io = malloc(sizeof(*io))) == NULL) {
		log_error("out of memory for the handshake");
		return -1;
	}
	io->in_used = 0;
	io->payload_used = 0;
	if (s->o->code != NULL && s->o->role == ROLE_INITIATOR)
		rc = code_initiator_handshake(s, io);
	else if (s->o->code != NULL)
		rc = code_responder_handshake(s, io);
	else if (s->o->role == ROLE_INITIATOR)
		rc = initiator_handshake(s, io);
	else
		rc = responder_handshake(s, io);
	wipe(io->out, sizeof(io->out));
	wipe(io->in, io->in_used);
	wipe(io->payload, io->payload_used);
	free(io);
	return rc;
}

void
conn_prepare_ephemeral(struct ephemeral *e, const struct suite *suite)
{
	if (e->ready)
		return;
	e->ready = suite->keypair(e->priv, e->pub) == 0;
	if (!e->ready)
		conn_clear_ephemeral(e);
}

void
conn_clear_ephemeral(struct ephemeral *e)
{
	wipe(e, sizeof(*e));
}

/* What to tell the peer about how r ended, in buf when it needs words
 * of its own, or NULL for nothing. */
static const char *
reason_for(enum relay_end end, const struct relay *r, char *buf,
    size_t buf_cap)
{
	switch (end) {
	case RELAY_INTERRUPTED:
		snprintf(buf, buf_cap, REASON_INTERRUPTED,
		    sig_name(sig_caught()));
		return buf;
	case RELAY_BAD_FRAME:
		return REASON_BAD_FRAME;
	case RELAY_OUTPUT_FAILED:
		snprintf(buf, buf_cap, REASON_OUTPUT_FAILED,
		    strerror(r->out_errno));
		return buf;
	case RELAY_INPUT_FAILED:
		return REASON_INPUT_FAILED;
	case RELAY_LOCAL_FAILED:
		return REASON_LOCAL_FAILED;
	case RELAY_IDLE:
		return REASON_IDLE;
	default:
		return NULL;
	}
}

static int
open_local(struct session *s, struct local *local)
{
	const struct conn_opts *o = s->o;

	if (o->exec_cmd != NULL && o->code != NULL &&
	    (setenv("SEALCAT_PEER_AUTH", "code", 1) == -1 ||
	    unsetenv("SEALCAT_CODE") == -1)) {
		log_errno("cannot set up the environment of --exec");
		return -1;
	}
	/* The authorized_peers comment that allowed the client, if any. */
	if (o->exec_cmd != NULL && (o->trust != NULL &&
	    o->trust->peer_name[0] != '\0' ? setenv("SEALCAT_PEER_NAME",
	    o->trust->peer_name, 1) : unsetenv("SEALCAT_PEER_NAME")) == -1) {
		log_errno("cannot set up the environment of --exec");
		return -1;
	}
	if (o->exec_cmd != NULL)
		return local_exec(local, o->exec_cmd, s->peer_token, s->peer);
	if (o->forward_host != NULL) {
		if (local_forward(local, o->forward_host, o->forward_port,
		    o->family, io_deadline(o->timeout_s)) == -1)
			return -1;
		/* The target learns who the client is before any byte. */
		if (o->proxy_protocol != HAPROXY_OFF)
			return haproxy_send(local->out_fd, s->stream->fd,
			    (enum haproxy_version)o->proxy_protocol,
			    io_deadline(o->timeout_s));
		return 0;
	}
	local_stdio(local, o->keep_output, o->relay.recv_only,
	    o->relay.send_only);
	return 0;
}

static void
report_totals(const struct session *s, const struct relay *r, double secs)
{
	if (secs < 1e-6)
		secs = 1e-6;

	log_verbose("%s: sent %llu bytes, received %llu bytes in %.2f s "
	    "(%.1f MB/s out, %.1f MB/s in)", s->peer,
	    (unsigned long long)r->bytes_sent,
	    (unsigned long long)r->bytes_received, secs,
	    (double)r->bytes_sent / secs / 1e6,
	    (double)r->bytes_received / secs / 1e6);
}

/*
 * --pair, after a code handshake and before any data: the peer's
 * persistent key goes to known_peers (connect) or authorized_peers
 * (listen), so the next connection needs no code.  A failure is told to
 * the peer.  Returns 0, or -1 after reporting.
 */
static int
pair(struct session *s)
{
	const struct conn_code *code = s->o->code;
	struct relay_opts none = { 0 };
	char comment[STREAM_NAME_MAX + 64];
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc = -1;

	if (s->peer_flag != CODE_KEY_PERSISTENT)
		log_error("cannot pair with %s: it uses a one-time key — give "
		    "it a key file (sealcat keygen) and pair again", s->peer);
	else if (s->o->role == ROLE_INITIATOR)
		rc = trust_allows(code->pair_trust, s->o->id->suite,
		    s->peer_pub) ? 0 : -1;
	else {
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(date, sizeof(date), "%Y-%m-%d", &tm) == 0)
			snprintf(date, sizeof(date), "unknown date");
		snprintf(comment, sizeof(comment), "paired by code, %s, %s",
		    date, s->peer);
		rc = trust_record_client(code->pair_path, s->peer_token,
		    comment);
	}
	if (rc == 0) {
		log_info("paired with %s: %s recorded in %s", s->peer,
		    s->peer_token, s->o->role == ROLE_INITIATOR ?
		    code->pair_trust->known_path : code->pair_path);
		return 0;
	}
	if (relay_init(s->relay, s->stream->fd, NULL, s->send, s->recv, NULL,
	    &none, s->peer) == 0)
		tell_peer(s, s->relay, REASON_PAIR_FAILED);
	return -1;
}

static void
close_listeners(const struct conn_opts *o)
{
	for (size_t i = 0; i < o->listen_count; i++) {
		if (o->listen_fds[i] != -1)
			close(o->listen_fds[i]);
		o->listen_fds[i] = -1;
	}
}

int
conn_run(struct stream *st, const struct conn_opts *o,
    enum conn_result *result)
{
	struct relay relay = { 0 };
	struct session s = { .stream = st, .peer = st->addr, .o = o,
	    .relay = &relay, .result = CONN_FAILED };
	struct session_secrets *secrets;
	struct local local;
	enum relay_end end;
	double start;
	char reason_buf[FRAME_ERROR_MAX + 1];
	const char *reason;
	bool authorized = false;
	int rc = -1;

	local_init(&local);
	if ((secrets = secret_alloc(sizeof(*secrets))) == NULL)
		goto out;
	s.hs = &secrets->hs;
	s.send = &secrets->send;
	s.recv = &secrets->recv;
	s.rk = secrets->rk;
	s.cpace = &secrets->cpace;
	s.deadline = io_deadline(o->timeout_s);
	if (handshake(&s) == -1) {
		/* Message 2 may be on its way: a plain close() with it unread
		 * would reset the connection under the listener. */
		if (s.result == CONN_BAD_IDENTITY)
			stream_linger_close(st, LINGER_MS);
		goto out;
	}
	if (o->role == ROLE_RESPONDER) {
		authorized = true;
		close_listeners(o);
	}
	if (o->code != NULL && o->code->pair && pair(&s) == -1)
		goto out;
	/* The rekey rounds' clock starts at Split (PROTOCOL.md §3.5). */
	if (rekey_init(&secrets->rekey, o->id->suite, o->role, secrets->rk,
	    o->relay.rekey_interval_s, io_now_ms()) == -1) {
		log_error("cannot set up rekey rounds for suite %s — this is a "
		    "bug", o->id->suite->name);
		goto out;
	}
	wipe(secrets->rk, sizeof(secrets->rk));
	/*
	 * From here on a signal is the relay's to handle: the peer is told
	 * why the stream stops, the --exec command is stopped and stdio put
	 * back.  Before, there is nothing to tell or restore, and the
	 * default action ends the process cleanly.
	 */
	if (sig_catch() == -1 || relay_init(&relay, st->fd, &local, s.send,
	    s.recv, &secrets->rekey, &o->relay, s.peer) == -1)
		goto out;
	/* The initiator's message 3 waits to share a packet with the first
	 * frames; a command or a forward target may take a while to start,
	 * so then it goes out now. */
	relay.corked = s.corked;
	if (o->exec_cmd != NULL || o->forward_host != NULL)
		relay_push(&relay);
	if (open_local(&s, &local) == -1) {
		tell_peer(&s, &relay, o->exec_cmd != NULL ?
		    REASON_EXEC_FAILED : REASON_UNAVAILABLE);
		goto out;
	}
	start = now_seconds();
	end = relay_run(&relay);
	report_totals(&s, &relay, now_seconds() - start);
	if (end == RELAY_INTERRUPTED)
		log_verbose("interrupted by %s", sig_name(sig_caught()));
	if ((reason = reason_for(end, &relay, reason_buf,
	    sizeof(reason_buf))) != NULL)
		tell_peer(&s, &relay, reason);
	rc = end == RELAY_DONE ? 0 : -1;
out:
	/* A prepared ephemeral key serves one connection, used or not. */
	if (o->ephemeral != NULL)
		conn_clear_ephemeral(o->ephemeral);
	handshake_clear(s.hs);
	cpace_clear(s.cpace);
	cipher_state_clear(s.send);
	cipher_state_clear(s.recv);
	if (secrets != NULL)
		rekey_clear(&secrets->rekey);
	relay_free(&relay);
	stream_close(st);
	local_finish(&local, rc != 0 || sig_caught() != 0);
	sig_release();
	if (s.result != CONN_BAD_IDENTITY)
		s.result = sig_caught() != 0 ? CONN_INTERRUPTED :
		    rc == 0 ? CONN_DONE : o->role == ROLE_RESPONDER &&
		    !authorized && !s.code_void ? CONN_NO_SESSION : CONN_FAILED;
	*result = s.result;
	secret_free(secrets, sizeof(*secrets));
	return s.result == CONN_DONE ? 0 : -1;
}
