/*
 * ending.h - how a v2 session ends (PROTOCOL.md §3.4): which of CLOSE,
 * DONE and ERROR each side has sent, what that allows, what is owed next,
 * and what the result is.  Pure bookkeeping: no I/O, no clock, no crypto.
 * The relay tells it what it sealed, what it opened and what happened
 * locally, and asks it questions; frame.c has already checked each frame's
 * body, and rekey.c checks the order of REKEY and SWITCH.
 *
 * The promise it keeps: ENDING_OK (exit 0) only once we sent CLOSE,
 * received the peer's CLOSE, delivered the peer's stream and sent DONE,
 * and received the peer's DONE.
 */
#ifndef SEALCAT_ENDING_H
#define SEALCAT_ENDING_H

#include <stdbool.h>

#include "session/frame.h"

/* Where a session stands; everything but ENDING_RUNNING is final. */
enum ending_outcome {
	ENDING_RUNNING,		/* not over */
	ENDING_OK,		/* both streams delivered and confirmed: the
				 * only outcome that is exit 0 */
	ENDING_TRUNCATED,	/* connection ended before the peer's CLOSE */
	ENDING_UNCONFIRMED,	/* ... after it, before the peer's DONE */
	ENDING_UNANSWERED,	/* ... after the peer's DONE, before ours
				 * was sent */
	ENDING_PEER_ERROR,	/* the peer sent ERROR before our CLOSE */
	ENDING_UNDELIVERED,	/* the peer sent ERROR after our CLOSE and
				 * before its DONE: our stream was not
				 * delivered */
	ENDING_PROTOCOL_ERROR,	/* the peer broke an order rule */
	ENDING_LOCAL_ERROR	/* we sent ERROR */
};

struct ending {
	bool input_ended;	/* our stream is over: CLOSE is owed */
	bool close_sent;	/* "sent" means sealed, throughout */
	bool done_sent;
	bool error_sent;
	bool close_received;
	bool done_received;
	bool error_received;
	bool delivered;		/* the peer's stream is out, output closed */
	enum ending_outcome outcome;
};

/* A session that has just split: nothing sent or received. */
void ending_init(struct ending *e);

/*
 * Our input has ended (EOF, or the terminal / --exit-with-peer rules, or
 * --recv-only from the start): CLOSE becomes owed.  Idempotent.
 */
void ending_input_ended(struct ending *e);

/*
 * The peer's stream has been delivered: everything before its CLOSE was
 * written out and the output closed (or shut down for writing) without
 * error, and fsync()ed where --fsync asks; --send-only counts discarding
 * as delivery.  DONE becomes owed.  Returns -1 (and changes nothing) before
 * the peer's CLOSE, a second time, or once the session is over.
 */
int ending_delivered(struct ending *e);

/*
 * True if we may seal a frame of this type now: DATA until our CLOSE;
 * CLOSE once; DONE once, after the peer's CLOSE and ending_delivered();
 * PING, REKEY, SWITCH and ERROR until we have sent both CLOSE and DONE.
 * Nothing after ERROR or once the outcome is final.
 */
bool ending_may_send(const struct ending *e, enum frame_type type);

/*
 * Records a frame we sealed.  Returns -1 (and changes nothing) if
 * ending_may_send() said no: a bug in the caller, not the peer's doing.
 * Sending ERROR makes the outcome ENDING_LOCAL_ERROR.
 */
int ending_sent(struct ending *e, enum frame_type type);

/*
 * Records a frame that opened (frame_open() returned 0).  Returns 0, or
 * -1 with *why set when the peer broke an order rule ("DATA after CLOSE",
 * "second CLOSE", "DONE before our CLOSE", "second DONE", "frame after
 * CLOSE and DONE", "frame after ERROR"); the outcome is then
 * ENDING_PROTOCOL_ERROR.  An ERROR is accepted and ends the session:
 * ENDING_UNDELIVERED after our CLOSE while the peer's DONE is missing,
 * ENDING_PEER_ERROR otherwise.  REKEY and SWITCH are only checked here
 * against the ending; their own order is rekey_received()'s.
 */
int ending_received(struct ending *e, enum frame_type type,
    const char **why);

/*
 * The control frame we owe next, if any: CLOSE once our input has ended,
 * then DONE once the peer's stream is delivered.  Returns false when
 * nothing is owed (or nothing may be sent).  The caller sends the frames
 * rekey_owed() names first.
 */
bool ending_owes(const struct ending *e, enum frame_type *type);

/* True if we may start a rekey round: never after our CLOSE. */
bool ending_may_start_round(const struct ending *e);

/*
 * True once the peer has sent all it ever will (its CLOSE and DONE, or an
 * ERROR): an end of the connection is no longer a loss of data from it.
 */
bool ending_peer_finished(const struct ending *e);

/*
 * True once both sides have sent CLOSE and DONE: once everything sealed
 * has gone out, we close the connection and call ending_conclude().
 */
bool ending_finished(const struct ending *e);

/*
 * The outcome so far: ENDING_RUNNING until an ERROR (either way), a
 * protocol error, or ending_conclude().  Never ENDING_OK before
 * ending_conclude().
 */
enum ending_outcome ending_outcome(const struct ending *e);

/*
 * The connection is over and carries nothing more: we closed it after
 * ending_finished(), or it ended, was reset or failed to send.  all_sent:
 * every frame we sealed was handed to the socket.  Returns the final
 * outcome and keeps it: one already final stays; otherwise ENDING_OK if
 * ending_finished() and all_sent; else ENDING_TRUNCATED before the peer's
 * CLOSE, ENDING_UNCONFIRMED before its DONE, and ENDING_UNANSWERED when
 * only our DONE did not go out.
 */
enum ending_outcome ending_conclude(struct ending *e, bool all_sent);

/*
 * What an outcome means, as a phrase for the relay's messages: "the peer
 * did not confirm it received everything", ...  Never NULL.
 */
const char *ending_describe(enum ending_outcome outcome);

#endif
