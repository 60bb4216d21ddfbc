/*
 * conn.c - one connection, first byte to result (PROTOCOL.md §1-§3):
 * exchange the SEALCAT/2 lines, run Noise XX message by message with
 * uint16 big-endian length prefixes, decide about the peer's key (the
 * initiator right after message 2, before it reveals itself in message 3;
 * the responder after message 3), Split(), open the local side and relay.
 * The primitives are in noise.c and frame.c, the sockets in net.c.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "local.h"
#include "log.h"
#include "net.h"
#include "preamble.h"
#include "rekey.h"
#include "sig.h"
#include "util.h"

/*
 * What we tell a peer in an ERROR frame when we stop (PROTOCOL.md §3.4).
 * The peer prints it after "rejected by peer: ", except the two whose
 * prefix it recognises (relay.c, report_peer_error()).
 */
static const char REASON_NOT_AUTHORIZED[] = "not authorized";
static const char REASON_BAD_FRAME[] = "received a bad frame";
static const char REASON_INPUT_FAILED[] = "cannot read the stream in";
static const char REASON_LOCAL_FAILED[] = "internal failure";
static const char REASON_IDLE[] = "idle timeout";
static const char REASON_UNAVAILABLE[] = "forward target unavailable";
/* With the signal's name (sig_name()). */
static const char REASON_INTERRUPTED[] = "interrupted by %s";
/* With strerror() of the output's failure: after our CLOSE this ERROR is
 * the answer to the peer's CLOSE instead of DONE. */
static const char REASON_OUTPUT_FAILED[] = "could not deliver your stream: %s";

/* How long we wait, after telling the peer why we stop, for it to close
 * first (see net_linger_close()). */
#define LINGER_MS 2000

/* The largest message we write: message 2, e and encrypted s, with an
 * empty payload (PROTOCOL.md §2.4). */
#define HS_OUT_MAX (2 * SUITE_PUB_MAX + 2 * SUITE_TAG_LEN)

/*
 * Our handshake message with its length prefix, and room for our preamble
 * in front of message 1 (initiator) or 2 (responder).  The peer's messages
 * may carry payloads up to NOISE_MSG_MAX, read into payload and ignored.
 * Nothing is zeroed up front; in_used and payload_used say how much to wipe
 * afterwards, so a handshake touches a few hundred bytes instead of 128 KiB.
 */
struct hs_io {
	uint8_t out[PREAMBLE_MAX + 2 + HS_OUT_MAX];
	uint8_t in[NOISE_MSG_MAX];
	uint8_t payload[NOISE_MSG_MAX];
	size_t in_used;
	size_t payload_used;
};

/* A connection's secrets, in secret memory (util.h) for its lifetime. */
struct session_secrets {
	struct handshake_state hs;
	struct cipher_state send;
	struct cipher_state recv;
	uint8_t rk[SUITE_HASH_MAX];	/* from Split, until rekey_init() */
	struct rekey rekey;
};

struct session {
	int sock;
	const char *peer;
	const struct conn_opts *o;
	long long deadline;
	struct handshake_state *hs;	/* these four in *secrets */
	struct cipher_state *send;
	struct cipher_state *recv;
	uint8_t *rk;
	struct relay *relay;		/* zeroed; buffers mapped early */
	bool bad_identity;		/* identity_check() failed */
	uint8_t peer_pub[SUITE_PUB_MAX];	/* rs, kept past Split() */
	char peer_token[TOKEN_MAX];
	double handshake_ms;
};

/* Seconds on CLOCK_MONOTONIC, finer than net_now_ms(), for -v timings. */
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

/*
 * Writes handshake message i, after prefix_len bytes already at io->out.
 * With more, TCP may hold it back to share a packet with what follows
 * (see net_write_more()).
 */
static int
send_message(struct session *s, struct hs_io *io, size_t prefix_len, int i,
    bool more)
{
	int rc;

	size_t len;

	if (noise_write_message(s->hs, NULL, 0, io->out + prefix_len + 2,
	    sizeof(io->out) - prefix_len - 2, &len) == -1) {
		log_error("handshake with %s failed: cannot build message %d",
		    s->peer, i + 1);
		return -1;
	}
	put_be16(io->out + prefix_len, (uint16_t)len);
	if (more)
		rc = net_write_more(s->sock, io->out, prefix_len + 2 + len,
		    s->deadline);
	else
		rc = net_write_all(s->sock, io->out, prefix_len + 2 + len,
		    s->deadline);
	if (rc == -1) {
		io_failed(s, "sending");
		return -1;
	}
	return 0;
}

/*
 * Reads and processes handshake message i.  eof_hint says what a closed
 * connection most likely means at this point.
 */
static int
recv_message(struct session *s, struct hs_io *io, int i, const char *eof_hint)
{
	uint8_t hdr[2];
	size_t len = 0, payload_len;
	ssize_t n;

	n = net_read_exact(s->sock, hdr, sizeof(hdr), s->deadline);
	if (n == (ssize_t)sizeof(hdr)) {
		if ((len = get_be16(hdr)) == 0) {
			log_error("handshake with %s failed: message %d is "
			    "empty — the peer does not speak sealcat's "
			    "protocol", s->peer, i + 1);
			return -1;
		}
		if (len > io->in_used)
			io->in_used = len;
		n = net_read_exact(s->sock, io->in, len, s->deadline);
		if (n >= 0 && (size_t)n < len)
			n = 0;
	} else if (n > 0)
		n = 0;
	if (n == -1) {
		io_failed(s, "receiving");
		return -1;
	}
	if (n == 0) {
		log_error("handshake with %s failed: %s", s->peer, eof_hint);
		return -1;
	}
	/* The payload is never longer than the message. */
	if (len > io->payload_used)
		io->payload_used = len;
	if (noise_read_message(s->hs, io->in, len, io->payload,
	    sizeof(io->payload), &payload_len) == -1) {
		log_error("handshake with %s failed: message %d did not verify "
		    "— the peer is not a sealcat peer, or the data was altered "
		    "in transit", s->peer, i + 1);
		return -1;
	}
	wipe(io->payload, payload_len);
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

/* A peer of protocol version 1 (PROTOCOL.md §1.2): the two cannot talk. */
static void
report_version_1(const struct session *s)
{
	log_error("%s: peer speaks protocol version 1, upgrade it — sealcat "
	    "on both ends must speak version 2", s->peer);
}

/*
 * Work that does not depend on the peer's next message, done after we
 * sent ours: the peer spends that time on its DH operations and we would
 * only wait.  Checks a key file loaded unchecked (conn_opts.id_unchecked)
 * and maps the relay's buffers.  Returns 0, or -1 after reporting.
 */
static int
while_peer_works(struct session *s)
{
	if (s->o->id_unchecked != NULL &&
	    identity_check(s->o->id, s->o->id_unchecked) == -1) {
		s->bad_identity = true;
		return -1;
	}
	return relay_reserve(s->relay);
}

static int
initiator_handshake(struct session *s, struct hs_io *io)
{
	const struct suite *suite = s->o->id->suite;
	char line[PREAMBLE_MAX + 1];
	const char *protocol = NULL;
	size_t ours_len, len, protocol_len = 0;
	char *ours = (char *)io->out;

	/* Our line, then message 1 right behind it in the same write. */
	if ((ours_len = preamble_build(suite, ours, PREAMBLE_MAX + 1)) == 0)
		return -1;
	if (noise_init(s->hs, suite, ROLE_INITIATOR, io->out, ours_len,
	    s->o->id->priv, s->o->id->pub) == -1)
		return -1;
	use_prepared_ephemeral(s);
	if (send_message(s, io, ours_len, 0, false) == -1 ||
	    while_peer_works(s) == -1)
		return -1;
	if (preamble_read(s->sock, s->deadline, line, sizeof(line), &len) == -1)
		return -1;
	switch (preamble_classify(ours, ours_len, line, len, &protocol,
	    &protocol_len)) {
	case PREAMBLE_SAME:
		break;
	case PREAMBLE_OTHER_SUITE:
		report_mismatch(s, protocol, protocol_len);
		return -1;
	case PREAMBLE_VERSION_1:
		report_version_1(s);
		return -1;
	case PREAMBLE_GARBAGE:
		if (len == 0)
			log_error("%s closed the connection without answering "
			    "— is it a sealcat listener?", s->peer);
		else
			log_error("%s is not a sealcat peer: it answered "
			    "with something else — check the host and port",
			    s->peer);
		return -1;
	}
	if (recv_message(s, io, 1, "the listener closed the connection") == -1)
		return -1;
	/* Check rs before writing message 3: an untrusted server never
	 * learns who we are. */
	if (!trust_allows(s->o->trust, suite, noise_remote_static(s->hs)))
		return -1;
	/* Held back to share a packet with the first frames: the relay
	 * pushes it before it waits for anything (relay.corked). */
	return send_message(s, io, 0, 2, true);
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

/* Tells a client that spoke another line who we are, then hangs up. */
static void
refuse_preamble(struct session *s, const char *ours, size_t ours_len)
{
	(void)net_write_all(s->sock, ours, ours_len, s->deadline);
	net_linger_close(s->sock, LINGER_MS);
	s->sock = -1;
}

/*
 * True if all of message 1 is already here, so that our line can wait to
 * go out with message 2.  An initiator may also wait for our line before
 * it sends message 1 (PROTOCOL.md §1.2): then the line goes out alone.
 */
static bool
message_1_arrived(struct session *s, struct hs_io *io)
{
	ssize_t n;

	n = recv(s->sock, io->in, sizeof(io->in), MSG_PEEK | MSG_DONTWAIT);
	if (n > 0 && (size_t)n > io->in_used)
		io->in_used = (size_t)n;
	return n >= 2 && (size_t)n >= 2 + (size_t)get_be16(io->in);
}

static int
responder_handshake(struct session *s, struct hs_io *io)
{
	const struct suite *suite = s->o->id->suite;
	char *ours = (char *)io->out;
	char line[PREAMBLE_MAX + 1];
	const char *protocol = NULL;
	size_t ours_len, len, protocol_len = 0, prefix_len;

	if ((ours_len = preamble_build(suite, ours, PREAMBLE_MAX + 1)) == 0)
		return -1;
	if (preamble_read(s->sock, s->deadline, line, sizeof(line), &len) == -1)
		return -1;
	switch (preamble_classify(ours, ours_len, line, len, &protocol,
	    &protocol_len)) {
	case PREAMBLE_SAME:
		break;
	case PREAMBLE_OTHER_SUITE:
		report_mismatch(s, protocol, protocol_len);
		refuse_preamble(s, ours, ours_len);
		return -1;
	case PREAMBLE_VERSION_1:
		report_version_1(s);
		refuse_preamble(s, ours, ours_len);
		return -1;
	case PREAMBLE_GARBAGE:
		if (len == 0)
			log_error("%s closed the connection before the "
			    "handshake", s->peer);
		else
			log_error("refused %s: not a sealcat peer (it did not "
			    "send a SEALCAT/2 line)", s->peer);
		refuse_preamble(s, ours, ours_len);
		return -1;
	}
	prefix_len = ours_len;
	if (!message_1_arrived(s, io)) {
		if (net_write_all(s->sock, ours, ours_len, s->deadline) == -1) {
			io_failed(s, "sending");
			return -1;
		}
		prefix_len = 0;
	}
	/* The prologue is the initiator's line, which equals ours. */
	if (noise_init(s->hs, suite, ROLE_RESPONDER, (const uint8_t *)ours,
	    ours_len, s->o->id->priv, s->o->id->pub) == -1)
		return -1;
	use_prepared_ephemeral(s);
	if (recv_message(s, io, 0, "the client closed the connection") == -1 ||
	    send_message(s, io, prefix_len, 1, false) == -1 ||
	    while_peer_works(s) == -1 ||
	    recv_message(s, io, 2, "the client closed the connection after "
	    "message 2 — it probably does not trust this server's key") == -1)
		return -1;
	return 0;
}

/* Preamble and handshake; on success the session holds the two cipher
 * states and the peer's token. */
static int
handshake(struct session *s)
{
	struct hs_io *io;
	double start = now_seconds();
	int rc = -1;

	if ((io = malloc(sizeof(*io))) == NULL) {
		log_error("out of memory for the handshake");
		return -1;
	}
	io->in_used = 0;
	io->payload_used = 0;
	if (s->o->role == ROLE_INITIATOR)
		rc = initiator_handshake(s, io);
	else
		rc = responder_handshake(s, io);
	if (rc == 0) {
		memcpy(s->peer_pub, noise_remote_static(s->hs),
		    s->o->id->suite->pub_len);
		if (token_format(s->o->id->suite, s->peer_pub, s->peer_token,
		    sizeof(s->peer_token)) == -1)
			rc = -1;
	}
	if (rc == 0 && (noise_rekey_secret(s->hs, s->rk) == -1 ||
	    noise_split(s->hs, s->send, s->recv, NULL) == -1)) {
		log_error("handshake with %s failed: incomplete", s->peer);
		rc = -1;
	}
	s->handshake_ms = (now_seconds() - start) * 1000.0;
	wipe(io->out, sizeof(io->out));
	wipe(io->in, io->in_used);
	wipe(io->payload, io->payload_used);
	free(io);
	return rc;
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

/* Sends reason in an ERROR frame and hangs up politely. */
static void
tell_peer(struct session *s, struct relay *r, const char *reason)
{
	long long deadline = net_now_ms() + LINGER_MS;

	if (relay_send_error(r, reason, deadline) == 0) {
		net_linger_close(s->sock, LINGER_MS);
		s->sock = -1;
	}
}

static int
open_local(struct session *s, struct local *local)
{
	const struct conn_opts *o = s->o;

	if (o->exec_cmd != NULL)
		return local_exec(local, o->exec_cmd, s->peer_token, s->peer);
	if (o->forward_host != NULL)
		return local_forward(local, o->forward_host, o->forward_port,
		    o->family, net_deadline(o->timeout_s));
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

/* The responder's decision about the client, after message 3. */
static bool
client_allowed(struct session *s)
{
	struct relay_opts none = { 0 };

	if (trust_allows(s->o->trust, s->o->id->suite, s->peer_pub))
		return true;
	if (relay_init(s->relay, s->sock, NULL, s->send, s->recv, NULL,
	    &none, s->peer) == 0)
		tell_peer(s, s->relay, REASON_NOT_AUTHORIZED);
	return false;
}

int
conn_run(int sock, const char *peer, const struct conn_opts *o)
{
	struct relay relay = { 0 };
	struct session s = { .sock = sock, .peer = peer, .o = o,
	    .relay = &relay };
	struct session_secrets *secrets;
	struct local local;
	enum relay_end end;
	double start;
	char reason_buf[FRAME_ERROR_MAX + 1];
	const char *reason;
	int rc = -1;

	local_init(&local);
	if ((secrets = secret_alloc(sizeof(*secrets))) == NULL)
		goto out;
	s.hs = &secrets->hs;
	s.send = &secrets->send;
	s.recv = &secrets->recv;
	s.rk = secrets->rk;
	s.deadline = net_deadline(o->timeout_s);
	if (handshake(&s) == -1) {
		/* Message 2 may be on its way: a plain close() with it unread
		 * would reset the connection under the listener. */
		if (s.bad_identity) {
			net_linger_close(s.sock, LINGER_MS);
			s.sock = -1;
		}
		goto out;
	}
	log_verbose("%s is %s (suite %s, handshake %.1f ms)", peer,
	    s.peer_token, o->id->suite->name, s.handshake_ms);
	if (o->role == ROLE_RESPONDER && !client_allowed(&s))
		goto out;
	/* The rekey rounds' clock starts at Split (PROTOCOL.md §3.5). */
	if (rekey_init(&secrets->rekey, o->id->suite, o->role, secrets->rk,
	    o->relay.rekey_interval_s, net_now_ms()) == -1) {
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
	if (sig_catch() == -1 || relay_init(&relay, s.sock, &local, s.send,
	    s.recv, &secrets->rekey, &o->relay, peer) == -1)
		goto out;
	/* The initiator's message 3 waits to share a packet with the first
	 * frames; a command or a forward target may take a while to start,
	 * so then it goes out now. */
	relay.corked = o->role == ROLE_INITIATOR;
	if (o->exec_cmd != NULL || o->forward_host != NULL)
		relay_push(&relay);
	if (open_local(&s, &local) == -1) {
		tell_peer(&s, &relay, REASON_UNAVAILABLE);
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
	cipher_state_clear(s.send);
	cipher_state_clear(s.recv);
	if (secrets != NULL)
		rekey_clear(&secrets->rekey);
	relay_free(&relay);
	if (s.sock != -1)
		close(s.sock);
	local_finish(&local, rc != 0 || sig_caught() != 0);
	sig_release();
	if (s.bad_identity)
		rc = CONN_BAD_IDENTITY;
	else if (sig_caught() != 0)
		rc = CONN_INTERRUPTED;
	secret_free(secrets, sizeof(*secrets));
	return rc;
}
