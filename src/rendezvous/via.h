/*
 * via.h - the client side of the relay protocol (PROTOCOL.md, "Relay
 * protocol"): reach a relay (listen --via, connect --via), send the one
 * request line, and read its answers one line at a time, never a byte of
 * the session that follows OK.  The lines themselves are rendezvous.h's.
 */
#ifndef SEALCAT_VIA_H
#define SEALCAT_VIA_H

#include <stdbool.h>

#include "rendezvous/rendezvous.h"
#include "transport/stream.h"

struct via {
	char relay[STREAM_NAME_MAX];	/* HOST:PORT as given */
	char host[256];
	char port[8];
	int family;			/* -4/-6 */
	unsigned timeout_s;		/* -w: reaching the relay */
};

/* Fills v from "HOST:PORT" ("[::1]:PORT").  Returns 0, or -1 (nothing
 * reported: the caller says it is a usage error). */
int via_parse(struct via *v, const char *arg, int family,
    unsigned timeout_s);

/*
 * Connects to the relay and sends req's line.  *again (may be NULL, then
 * every failure is reported) is set when the relay could not be reached
 * (refused, unreachable, timed out) and a later try may work: nothing is
 * reported then.  Returns 0, or -1.
 */
int via_open(const struct via *v, const struct rendezvous_request *req,
    struct stream *st, bool *again);

/*
 * Reads one reply line from the relay on st, a byte at a time, waiting up
 * to timeout_ms (-1: for ever) and also for wake_fd (-1: none) to become
 * readable (looked at only before a line's first byte).  Returns 0 with
 * *reply filled, 1 if wake_fd woke us, or -1 when the relay closed, went
 * silent or sent no valid line: reported with log_verbose only when quiet
 * (a listener that will register again), else with log_error.
 */
int via_reply(const struct via *v, struct stream *st, int wake_fd,
    int timeout_ms, bool quiet, struct rendezvous_reply *reply);

/* What an ERROR reason means to a user: "no listener for that key",
 * "unknown code number", "busy", ...; the reason itself if unknown. */
const char *via_reason_text(const char *reason);

/* Reports a refusal: "relay HOST:PORT refused: <text> — <fix>". */
void via_refused(const struct via *v, const struct rendezvous_reply *reply,
    const char *fix);

/* connect --via: what struct dial's open hook needs. */
struct via_target {
	const struct via *via;
	struct rendezvous_request req;	/* CONNECT <id> or CLAIM <n> */
	/* The listener's name for trust files and messages: the known_peers
	 * NAME, or the relay's HOST:PORT. */
	char name[STREAM_NAME_MAX];
};

/*
 * struct dial's open hook (ctx: a struct via_target): connects to the
 * relay, sends the request and waits for OK; st->name becomes the
 * target's name, st->addr the relay's address.  A relay that cannot be
 * reached or has no listener for the target (yet) sets *again, if again
 * is not NULL, and reports nothing.  Returns 0, or -1.
 */
int via_dial(void *ctx, struct stream *st, bool *again);

/* A fresh random id for ALLOCATE. */
void via_random_id(uint8_t id[RENDEZVOUS_ID_LEN]);

/* The first 16 hex digits of id and "...", for -v. */
void via_id_short(const uint8_t id[RENDEZVOUS_ID_LEN], char out[24]);

#endif
