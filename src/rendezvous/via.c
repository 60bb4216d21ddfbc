/*
 * via.c - the client side of the relay protocol, see via.h.
 */
#include "rendezvous/via.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "base/log.h"
#include "transport/addr.h"
#include "transport/io.h"
#include "transport/tcp.h"

int
via_parse(struct via *v, const char *arg, int family, unsigned timeout_s)
{
	unsigned long port;
	char *end;

	memset(v, 0, sizeof(*v));
	if (addr_split_host_port(arg, v->host, sizeof(v->host), v->port,
	    sizeof(v->port)) == -1 || v->host[0] == '\0')
		return -1;
	errno = 0;
	port = strtoul(v->port, &end, 10);
	if (errno != 0 || *end != '\0' || v->port[0] < '1' ||
	    v->port[0] > '9' || port > 65535)
		return -1;
	if (snprintf(v->relay, sizeof(v->relay), "%s", arg) >=
	    (int)sizeof(v->relay))
		return -1;
	v->family = family;
	v->timeout_s = timeout_s;
	return 0;
}

int
via_open(const struct via *v, const struct rendezvous_request *req,
    struct stream *st, bool *again)
{
	char line[RENDEZVOUS_LINE_MAX + 1];
	size_t len = rendezvous_format_request(req, line, sizeof(line));
	char what[sizeof(v->relay) + 16];
	bool down = false;

	if (again != NULL)
		*again = false;
	if (len == 0) {
		log_error("cannot make a request for relay %s", v->relay);
		return -1;
	}
	snprintf(what, sizeof(what), "relay %s", v->relay);
	if (tcp_connect_try(v->host, v->port, v->family,
	    io_deadline(v->timeout_s), what, st, &down) == -1) {
		if (down && again != NULL)
			*again = true;
		else if (down)
			log_error("cannot connect to relay %s: refused or "
			    "unreachable — check that sealcat relay runs "
			    "there", v->relay);
		return -1;
	}
	if (io_write_all(st->fd, line, len, io_deadline(v->timeout_s)) == -1) {
		if (again != NULL)
			*again = true;
		else
			log_errno("cannot send to relay %s", v->relay);
		stream_close(st);
		return -1;
	}
	return 0;
}

static int
reply_failed(const struct via *v, bool quiet, const char *why)
{
	if (quiet)
		log_verbose("relay %s %s", v->relay, why);
	else
		log_error("relay %s %s — check that RELAY is a sealcat relay "
		    "(sealcat relay PORT) and that it is up", v->relay, why);
	return -1;
}

int
via_reply(const struct via *v, struct stream *st, int wake_fd,
    int timeout_ms, bool quiet, struct rendezvous_reply *reply)
{
	uint8_t buf[RENDEZVOUS_LINE_MAX];
	long long end = timeout_ms < 0 ? -1 : io_now_ms() + timeout_ms;
	struct pollfd pfd[2];
	size_t len = 0, line_len;
	enum rendezvous_status status;
	ssize_t n;
	int wait;

	for (;;) {
		wait = -1;
		if (end >= 0) {
			long long left = end - io_now_ms();

			if (left <= 0)
				return reply_failed(v, quiet, "did not answer "
				    "in time");
			wait = (int)left;
		}
		pfd[0] = (struct pollfd){ .fd = st->fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
		/* Woken only between lines: a line begun is read whole. */
		if (poll(pfd, wake_fd >= 0 && len == 0 ? 2 : 1, wait) == -1) {
			if (errno == EINTR)
				continue;
			log_errno("poll failed");
			return -1;
		}
		if (wake_fd >= 0 && len == 0 && pfd[1].revents != 0)
			return 1;
		if (pfd[0].revents == 0)
			continue;
		/* One byte at a time: what follows OK is the session's. */
		n = read(st->fd, buf + len, 1);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return reply_failed(v, quiet, "dropped the connection");
		if (n == 0)
			return reply_failed(v, quiet, "closed the connection");
		len++;
		status = rendezvous_parse_reply(buf, len, reply, &line_len);
		if (status == RENDEZVOUS_OK)
			return 0;
		if (status != RENDEZVOUS_PARTIAL)
			return reply_failed(v, quiet, "sent something that is "
			    "not a relay's answer");
	}
}

static const struct {
	const char *reason;
	const char *text;
} reasons[] = {
	{ RENDEZVOUS_E_NO_LISTENER, "no listener for that key" },
	{ RENDEZVOUS_E_UNKNOWN_NAMEPLATE, "unknown code number" },
	{ RENDEZVOUS_E_BUSY, "busy" },
	{ RENDEZVOUS_E_TIMEOUT, "timeout" },
	{ RENDEZVOUS_E_ID_TAKEN, "another listener with that key is "
	    "waiting" },
	{ RENDEZVOUS_E_LIMIT, "limit reached" },
	{ RENDEZVOUS_E_TOO_LONG, "line too long" },
	{ RENDEZVOUS_E_BAD_REQUEST, "bad request" },
	{ RENDEZVOUS_E_UNEXPECTED, "unexpected data" },
	{ RENDEZVOUS_E_SHUTDOWN, "shutting down" },
};

const char *
via_reason_text(const char *reason)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reason, reasons[i].reason) == 0)
			return reasons[i].text;
	return reason;
}

void
via_refused(const struct via *v, const struct rendezvous_reply *reply,
    const char *fix)
{
	log_error("relay %s refused: %s — %s", v->relay,
	    via_reason_text(reply->reason), fix);
}

void
via_random_id(uint8_t id[RENDEZVOUS_ID_LEN])
{
	randombytes_buf(id, RENDEZVOUS_ID_LEN);
}

void
via_id_short(const uint8_t id[RENDEZVOUS_ID_LEN], char out[24])
{
	char hex[RENDEZVOUS_ID_HEX_LEN + 1];

	rendezvous_id_hex(id, hex);
	snprintf(out, 24, "%.16s...", hex);
}

/* How long connect waits for the relay's answer: the relay itself gives
 * up on a missing listener well before this. */
#define VIA_CONNECT_REPLY_MS 60000

int
via_dial(void *ctx, struct stream *st, bool *again)
{
	struct via_target *t = ctx;
	struct rendezvous_reply reply;
	char id_short[24];
	bool retry = false;
	int ms = VIA_CONNECT_REPLY_MS;

	if (t->req.verb == RENDEZVOUS_CLAIM)
		log_verbose("via relay %s, nameplate %lu", t->via->relay,
		    t->req.nameplate);
	else {
		via_id_short(t->req.id, id_short);
		log_verbose("via relay %s, pseudonym %s", t->via->relay,
		    id_short);
	}
	if (via_open(t->via, &t->req, st, again != NULL ? &retry : NULL)
	    == -1) {
		if (again != NULL)
			*again = retry;
		snprintf(st->name, sizeof(st->name), "%s", t->name);
		return -1;
	}
	if (t->via->timeout_s > 0 && t->via->timeout_s * 1000LL > ms)
		ms = (int)(t->via->timeout_s * 1000LL);
	if (via_reply(t->via, st, -1, ms, false, &reply) == -1) {
		stream_close(st);
		return -1;
	}
	snprintf(st->name, sizeof(st->name), "%s", t->name);
	if (reply.kind == RENDEZVOUS_REPLY_OK) {
		log_verbose("relay %s paired us with the listener",
		    t->via->relay);
		return 0;
	}
	stream_close(st);
	if (reply.kind == RENDEZVOUS_REPLY_ERROR && again != NULL &&
	    (strcmp(reply.reason, RENDEZVOUS_E_NO_LISTENER) == 0 ||
	    strcmp(reply.reason, RENDEZVOUS_E_UNKNOWN_NAMEPLATE) == 0)) {
		*again = true;
		return -1;
	}
	if (reply.kind != RENDEZVOUS_REPLY_ERROR)
		log_error("relay %s sent a nameplate to a connector — check "
		    "that RELAY is a sealcat relay", t->via->relay);
	else if (t->req.verb == RENDEZVOUS_CLAIM)
		via_refused(t->via, &reply, "check the code's number and that "
		    "the listener runs listen --code --via with this relay");
	else
		via_refused(t->via, &reply, "check that the listener runs "
		    "listen --via with this relay and the key you named, or "
		    "add --retry SECS to wait for it");
	return -1;
}
