/*
 * ending.c - the ending and confirmation rules of PROTOCOL.md §3.4, see
 * ending.h.  Eight flags and an outcome; every question is answered from
 * the flags, so the rules below read like the table in PROTOCOL.md.
 */
#include "session/ending.h"

#include <string.h>

void
ending_init(struct ending *e)
{
	memset(e, 0, sizeof(*e));
	e->outcome = ENDING_RUNNING;
}

static bool
over(const struct ending *e)
{
	return e->outcome != ENDING_RUNNING;
}

/* We have sent both CLOSE and DONE: we send nothing more. */
static bool
we_are_finished(const struct ending *e)
{
	return e->close_sent && e->done_sent;
}

void
ending_input_ended(struct ending *e)
{
	e->input_ended = true;
}

int
ending_delivered(struct ending *e)
{
	if (over(e) || !e->close_received || e->delivered)
		return -1;
	e->delivered = true;
	return 0;
}

bool
ending_may_send(const struct ending *e, enum frame_type type)
{
	if (over(e) || e->error_sent || we_are_finished(e))
		return false;
	switch (type) {
	case FRAME_DATA:
	case FRAME_CLOSE:
		return !e->close_sent;
	case FRAME_DONE:
		/* "I received your CLOSE and delivered your whole stream." */
		return !e->done_sent && e->close_received && e->delivered;
	case FRAME_PING:
	case FRAME_ERROR:
	case FRAME_REKEY:
	case FRAME_SWITCH:
		return true;
	default:
		return false;
	}
}

int
ending_sent(struct ending *e, enum frame_type type)
{
	if (!ending_may_send(e, type))
		return -1;
	switch (type) {
	case FRAME_CLOSE:
		e->close_sent = true;
		e->input_ended = true;
		break;
	case FRAME_DONE:
		e->done_sent = true;
		break;
	case FRAME_ERROR:
		e->error_sent = true;
		e->outcome = ENDING_LOCAL_ERROR;
		return 0;
	default:
		break;
	}
	return 0;
}

static int
protocol_error(struct ending *e, const char **why, const char *what)
{
	*why = what;
	e->outcome = ENDING_PROTOCOL_ERROR;
	return -1;
}

/* The rule the peer breaks by sending type now; NULL if none. */
static const char *
broken_rule(const struct ending *e, enum frame_type type)
{
	/* A side sends nothing after both its CLOSE and its DONE. */
	if (e->close_received && e->done_received)
		return "frame after CLOSE and DONE";
	switch (type) {
	case FRAME_DATA:
		return e->close_received ? "DATA after CLOSE" : NULL;
	case FRAME_CLOSE:
		return e->close_received ? "second CLOSE" : NULL;
	case FRAME_DONE:
		/* DONE answers our CLOSE, which must have been sealed
		 * before the peer could have read it. */
		if (e->done_received)
			return "second DONE";
		return !e->close_sent ? "DONE before our CLOSE" : NULL;
	case FRAME_PING:
	case FRAME_ERROR:
	case FRAME_REKEY:
	case FRAME_SWITCH:
		return NULL;
	default:
		return "unknown frame type";
	}
}

int
ending_received(struct ending *e, enum frame_type type, const char **why)
{
	const char *rule;

	if (e->error_received) {
		*why = "frame after ERROR";
		return -1;
	}
	if (over(e)) {
		*why = "frame after the end of the session";
		return -1;
	}
	if ((rule = broken_rule(e, type)) != NULL)
		return protocol_error(e, why, rule);
	switch (type) {
	case FRAME_CLOSE:
		e->close_received = true;
		break;
	case FRAME_DONE:
		e->done_received = true;
		break;
	case FRAME_ERROR:
		e->error_received = true;
		/* After our CLOSE, an ERROR before the peer's DONE means our
		 * stream did not get delivered, whatever the reason says. */
		e->outcome = e->close_sent && !e->done_received ?
		    ENDING_UNDELIVERED : ENDING_PEER_ERROR;
		return 0;
	default:
		break;
	}
	return 0;
}

bool
ending_owes(const struct ending *e, enum frame_type *type)
{
	if (e->input_ended && ending_may_send(e, FRAME_CLOSE)) {
		*type = FRAME_CLOSE;
		return true;
	}
	if (ending_may_send(e, FRAME_DONE)) {
		*type = FRAME_DONE;
		return true;
	}
	return false;
}

bool
ending_may_start_round(const struct ending *e)
{
	return !over(e) && !e->error_sent && !e->close_sent;
}

bool
ending_peer_finished(const struct ending *e)
{
	return e->error_received || (e->close_received && e->done_received);
}

bool
ending_finished(const struct ending *e)
{
	return e->close_sent && e->done_sent && e->close_received &&
	    e->done_received;
}

enum ending_outcome
ending_outcome(const struct ending *e)
{
	return e->outcome;
}

enum ending_outcome
ending_conclude(struct ending *e, bool all_sent)
{
	if (over(e))
		return e->outcome;
	if (!e->close_received)
		e->outcome = ENDING_TRUNCATED;
	else if (!e->done_received)
		e->outcome = ENDING_UNCONFIRMED;
	else if (!e->done_sent || !all_sent)
		e->outcome = ENDING_UNANSWERED;
	else
		e->outcome = ENDING_OK;
	return e->outcome;
}

const char *
ending_describe(enum ending_outcome outcome)
{
	switch (outcome) {
	case ENDING_RUNNING:
		return "the session is still running";
	case ENDING_OK:
		return "both streams were delivered and confirmed";
	case ENDING_TRUNCATED:
		return "the connection ended before the end of the peer's "
		    "stream";
	case ENDING_UNCONFIRMED:
		return "the peer did not confirm it received everything";
	case ENDING_UNANSWERED:
		return "the connection ended before our confirmation reached "
		    "the peer";
	case ENDING_PEER_ERROR:
		return "the peer stopped with an error";
	case ENDING_UNDELIVERED:
		return "the peer could not deliver our stream";
	case ENDING_PROTOCOL_ERROR:
		return "the peer broke the protocol";
	case ENDING_LOCAL_ERROR:
		return "we stopped with an error";
	}
	return "unknown outcome";
}
