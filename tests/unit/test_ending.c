/*
 * test_ending.c - the v2 ending rules (ending.c, PROTOCOL.md §3.4).
 *
 * First the failure cases one by one, then the two orders of a good
 * ending, then exhaustively: every sequence of events up to a length, and
 * every order of the eight events of an ending (CLOSE and DONE both ways,
 * delivery, a PING, a REKEY and a SWITCH arriving) with the connection
 * lost, or an ERROR arriving, at every point.  The exhaustive runs compare
 * ending.c with an oracle written differently: each rule of PROTOCOL.md
 * as a question about the history of what happened so far ("was our CLOSE
 * sent before?"), where ending.c keeps flags.
 */
#include <string.h>

#include "session/ending.h"
#include "tap.h"
#include "base/util.h"

/* ---- one case at a time ---- */

static void
test_order_errors(void)
{
	struct ending e;
	const char *why;

	ending_init(&e);
	why = NULL;
	ok(ending_received(&e, FRAME_DONE, &why) == -1 && why != NULL &&
	    strcmp(why, "DONE before our CLOSE") == 0 &&
	    ending_outcome(&e) == ENDING_PROTOCOL_ERROR,
	    "DONE before our CLOSE: protocol error");
	ok(!ending_may_send(&e, FRAME_ERROR) && !ending_may_send(&e,
	    FRAME_DATA), "after a protocol error nothing may be sent");
	ok(ending_received(&e, FRAME_PING, &why) == -1 &&
	    ending_outcome(&e) == ENDING_PROTOCOL_ERROR,
	    "after a protocol error every frame is refused, outcome kept");

	ending_init(&e);
	ending_sent(&e, FRAME_CLOSE);
	ending_received(&e, FRAME_DONE, &why);
	why = NULL;
	ok(ending_received(&e, FRAME_DONE, &why) == -1 && why != NULL &&
	    strcmp(why, "second DONE") == 0, "second DONE: protocol error");

	ending_init(&e);
	ending_received(&e, FRAME_CLOSE, &why);
	why = NULL;
	ok(ending_received(&e, FRAME_DATA, &why) == -1 && why != NULL &&
	    strcmp(why, "DATA after CLOSE") == 0,
	    "DATA after the peer's CLOSE: protocol error");

	ending_init(&e);
	ending_received(&e, FRAME_CLOSE, &why);
	why = NULL;
	ok(ending_received(&e, FRAME_CLOSE, &why) == -1 && why != NULL &&
	    strcmp(why, "second CLOSE") == 0, "second CLOSE: protocol error");

	ending_init(&e);
	why = NULL;
	ok(ending_received(&e, (enum frame_type)7, &why) == -1 &&
	    why != NULL && strcmp(why, "unknown frame type") == 0,
	    "an unknown type: protocol error");

	static const enum frame_type after[] = { FRAME_PING, FRAME_REKEY,
	    FRAME_SWITCH, FRAME_ERROR, FRAME_DATA, FRAME_CLOSE, FRAME_DONE };
	for (size_t i = 0; i < ARRAY_LEN(after); i++) {
		ending_init(&e);
		ending_sent(&e, FRAME_CLOSE);
		ending_received(&e, FRAME_CLOSE, &why);
		ending_received(&e, FRAME_DONE, &why);
		why = NULL;
		ok(ending_received(&e, after[i], &why) == -1 && why != NULL &&
		    strcmp(why, "frame after CLOSE and DONE") == 0,
		    "type 0x%02x after the peer's CLOSE and DONE: protocol "
		    "error", after[i]);
	}

	ending_init(&e);
	ending_received(&e, FRAME_ERROR, &why);
	why = NULL;
	ok(ending_received(&e, FRAME_PING, &why) == -1 && why != NULL &&
	    strcmp(why, "frame after ERROR") == 0 &&
	    ending_outcome(&e) == ENDING_PEER_ERROR,
	    "a frame after the peer's ERROR is refused, outcome kept");
}

static void
test_refused_sends(void)
{
	struct ending e;
	const char *why;
	enum frame_type owed = FRAME_PING;

	ending_init(&e);
	ok(!ending_may_send(&e, FRAME_DONE) &&
	    ending_sent(&e, FRAME_DONE) == -1 && !e.done_sent,
	    "DONE may not be sent before the peer's CLOSE");
	ok(ending_delivered(&e) == -1 && !e.delivered,
	    "delivery cannot come before the peer's CLOSE");
	ok(!ending_owes(&e, &owed), "nothing is owed at the start");
	ending_received(&e, FRAME_CLOSE, &why);
	ok(!ending_may_send(&e, FRAME_DONE) && !ending_owes(&e, &owed),
	    "DONE is not owed until the peer's stream is delivered");
	ok(ending_delivered(&e) == 0 && ending_delivered(&e) == -1,
	    "delivery is recorded once");
	ok(ending_owes(&e, &owed) && owed == FRAME_DONE,
	    "after delivery DONE is owed");
	ok(ending_sent(&e, FRAME_DONE) == 0 && ending_sent(&e, FRAME_DONE) ==
	    -1, "DONE is sent once");
	ok(ending_may_send(&e, FRAME_DATA) && ending_may_start_round(&e),
	    "DONE says nothing about our stream: DATA and rounds go on");
	ending_input_ended(&e);
	ok(ending_owes(&e, &owed) && owed == FRAME_CLOSE,
	    "when our input ends, CLOSE is owed");
	ok(ending_sent(&e, FRAME_CLOSE) == 0 &&
	    ending_sent(&e, FRAME_CLOSE) == -1 &&
	    ending_sent(&e, FRAME_DATA) == -1,
	    "CLOSE is sent once and no DATA follows it");
	ok(!ending_may_send(&e, FRAME_PING) &&
	    !ending_may_send(&e, FRAME_REKEY) &&
	    !ending_may_send(&e, FRAME_SWITCH) &&
	    !ending_may_send(&e, FRAME_ERROR),
	    "after our CLOSE and DONE nothing may be sent, not even ERROR");

	ending_init(&e);
	ending_sent(&e, FRAME_CLOSE);
	ok(ending_may_send(&e, FRAME_PING) &&
	    ending_may_send(&e, FRAME_REKEY) &&
	    ending_may_send(&e, FRAME_SWITCH) &&
	    ending_may_send(&e, FRAME_ERROR) && !ending_may_start_round(&e),
	    "after our CLOSE: PING, REKEY, SWITCH and ERROR still go out, "
	    "no round starts");
	ok(ending_sent(&e, FRAME_ERROR) == 0 &&
	    ending_outcome(&e) == ENDING_LOCAL_ERROR &&
	    !ending_may_send(&e, FRAME_PING),
	    "after our ERROR: outcome local error, nothing more is sent");
	ok(!ending_may_send(&e, (enum frame_type)7) &&
	    ending_sent(&e, (enum frame_type)7) == -1,
	    "an unknown type may never be sent");
}

static void
test_losses(void)
{
	struct ending e;
	const char *why;

	ending_init(&e);
	ok(ending_conclude(&e, true) == ENDING_TRUNCATED,
	    "connection lost before the peer's CLOSE: truncated");
	ok(ending_conclude(&e, true) == ENDING_TRUNCATED &&
	    ending_outcome(&e) == ENDING_TRUNCATED,
	    "the outcome is kept once final");

	ending_init(&e);
	ending_sent(&e, FRAME_CLOSE);
	ending_received(&e, FRAME_CLOSE, &why);
	ending_delivered(&e);
	ending_sent(&e, FRAME_DONE);
	ok(ending_conclude(&e, true) == ENDING_UNCONFIRMED,
	    "lost with everything done but the peer's DONE: \"%s\"",
	    ending_describe(ENDING_UNCONFIRMED));

	ending_init(&e);
	ending_sent(&e, FRAME_CLOSE);
	ending_received(&e, FRAME_CLOSE, &why);
	ending_received(&e, FRAME_DONE, &why);
	ok(ending_peer_finished(&e) && !ending_finished(&e) &&
	    ending_conclude(&e, true) == ENDING_UNANSWERED,
	    "lost after the peer's CLOSE and DONE, before our DONE: "
	    "unanswered");

	ending_init(&e);
	ending_sent(&e, FRAME_CLOSE);
	ending_received(&e, FRAME_CLOSE, &why);
	ending_received(&e, FRAME_DONE, &why);
	ending_delivered(&e);
	ending_sent(&e, FRAME_DONE);
	ok(ending_finished(&e) && ending_outcome(&e) == ENDING_RUNNING &&
	    ending_conclude(&e, false) == ENDING_UNANSWERED,
	    "finished, but our DONE never left: unanswered, not OK");

	ending_init(&e);
	ending_sent(&e, FRAME_CLOSE);
	ending_received(&e, FRAME_ERROR, &why);
	ok(ending_outcome(&e) == ENDING_UNDELIVERED &&
	    ending_peer_finished(&e) &&
	    ending_conclude(&e, true) == ENDING_UNDELIVERED,
	    "ERROR after our CLOSE: \"%s\"",
	    ending_describe(ENDING_UNDELIVERED));

	ending_init(&e);
	ending_received(&e, FRAME_ERROR, &why);
	ok(ending_outcome(&e) == ENDING_PEER_ERROR,
	    "ERROR before our CLOSE: the peer failed");

	/* The peer confirmed our stream, then its own input failed. */
	ending_init(&e);
	ending_sent(&e, FRAME_CLOSE);
	ending_received(&e, FRAME_DONE, &why);
	ending_received(&e, FRAME_ERROR, &why);
	ok(ending_outcome(&e) == ENDING_PEER_ERROR,
	    "ERROR after the peer's DONE: the peer failed, our stream was "
	    "delivered");

	for (int o = ENDING_RUNNING; o <= ENDING_LOCAL_ERROR; o++)
		if (strcmp(ending_describe((enum ending_outcome)o),
		    "unknown outcome") == 0)
			ok(false, "outcome %d has no description", o);
	ok(true, "every outcome has a description");
}

/* Both orders of a good ending, with PING, REKEY and SWITCH in between. */
static void
test_good_endings(void)
{
	struct ending e;
	const char *why = NULL;
	enum frame_type owed;
	bool good;

	/* We finish our stream first. */
	ending_init(&e);
	ending_input_ended(&e);
	good = ending_owes(&e, &owed) && owed == FRAME_CLOSE &&
	    ending_sent(&e, owed) == 0 &&
	    ending_received(&e, FRAME_DATA, &why) == 0 &&
	    ending_received(&e, FRAME_DONE, &why) == 0 &&
	    ending_received(&e, FRAME_REKEY, &why) == 0 &&
	    ending_sent(&e, FRAME_REKEY) == 0 &&
	    ending_sent(&e, FRAME_SWITCH) == 0 &&
	    ending_received(&e, FRAME_SWITCH, &why) == 0 &&
	    ending_sent(&e, FRAME_PING) == 0 &&
	    ending_received(&e, FRAME_DATA, &why) == 0 &&
	    ending_received(&e, FRAME_CLOSE, &why) == 0 &&
	    !ending_owes(&e, &owed) && ending_delivered(&e) == 0 &&
	    ending_owes(&e, &owed) && owed == FRAME_DONE &&
	    ending_sent(&e, owed) == 0 && ending_finished(&e) &&
	    !ending_owes(&e, &owed);
	ok(good && ending_conclude(&e, true) == ENDING_OK,
	    "we close first, the peer confirms, then closes: OK");

	/* The peer finishes first. */
	ending_init(&e);
	good = ending_received(&e, FRAME_DATA, &why) == 0 &&
	    ending_received(&e, FRAME_CLOSE, &why) == 0 &&
	    ending_received(&e, FRAME_PING, &why) == 0 &&
	    ending_sent(&e, FRAME_DATA) == 0 &&
	    ending_delivered(&e) == 0 &&
	    ending_sent(&e, FRAME_DONE) == 0 &&
	    ending_received(&e, FRAME_PING, &why) == 0 &&
	    ending_may_start_round(&e) &&
	    ending_sent(&e, FRAME_DATA) == 0 &&
	    ending_sent(&e, FRAME_CLOSE) == 0 &&
	    !ending_peer_finished(&e) &&
	    ending_received(&e, FRAME_REKEY, &why) == 0 &&
	    ending_received(&e, FRAME_SWITCH, &why) == 0 &&
	    ending_received(&e, FRAME_DONE, &why) == 0 &&
	    ending_finished(&e) && ending_peer_finished(&e);
	ok(good && ending_outcome(&e) == ENDING_RUNNING &&
	    ending_conclude(&e, true) == ENDING_OK,
	    "the peer closes first, we confirm, then close, the peer "
	    "confirms: OK");
}

/* ---- the oracle ---- */

enum ev {
	S_DATA, S_CLOSE, S_DONE, S_PING, S_REKEY, S_SWITCH, S_ERROR,
	R_DATA, R_CLOSE, R_DONE, R_PING, R_REKEY, R_SWITCH, R_ERROR,
	INPUT_END, DELIVERED, LOST, LOST_UNSENT, EV_COUNT
};

static const char *const ev_name[EV_COUNT] = {
	"S_DATA", "S_CLOSE", "S_DONE", "S_PING", "S_REKEY", "S_SWITCH",
	"S_ERROR", "R_DATA", "R_CLOSE", "R_DONE", "R_PING", "R_REKEY",
	"R_SWITCH", "R_ERROR", "INPUT_END", "DELIVERED", "LOST",
	"LOST_UNSENT"
};

static const enum frame_type ev_frame[EV_COUNT] = {
	[S_DATA] = FRAME_DATA, [S_CLOSE] = FRAME_CLOSE, [S_DONE] = FRAME_DONE,
	[S_PING] = FRAME_PING, [S_REKEY] = FRAME_REKEY,
	[S_SWITCH] = FRAME_SWITCH, [S_ERROR] = FRAME_ERROR,
	[R_DATA] = FRAME_DATA, [R_CLOSE] = FRAME_CLOSE, [R_DONE] = FRAME_DONE,
	[R_PING] = FRAME_PING, [R_REKEY] = FRAME_REKEY,
	[R_SWITCH] = FRAME_SWITCH, [R_ERROR] = FRAME_ERROR,
};

#define HISTORY_MAX 16

/* What happened, in order; refused events leave no trace. */
struct history {
	enum ev ev[HISTORY_MAX];
	size_t len;
	bool protocol_error;	/* the last event was a refused frame */
};

static bool
happened(const struct history *h, enum ev ev)
{
	for (size_t i = 0; i < h->len; i++)
		if (h->ev[i] == ev)
			return true;
	return false;
}

static bool
is_send(enum ev ev)
{
	return ev <= S_ERROR;
}

static bool
is_receive(enum ev ev)
{
	return ev >= R_DATA && ev <= R_ERROR;
}

/* Over: an ERROR either way, the connection lost, or a protocol error. */
static bool
oracle_over(const struct history *h)
{
	return h->protocol_error || happened(h, S_ERROR) ||
	    happened(h, R_ERROR) || happened(h, LOST) ||
	    happened(h, LOST_UNSENT);
}

/* PROTOCOL.md §3.4: a side sends nothing after both its CLOSE and DONE. */
static bool
oracle_may_send(const struct history *h, enum frame_type type)
{
	if (oracle_over(h) || (happened(h, S_CLOSE) && happened(h, S_DONE)))
		return false;
	switch (type) {
	case FRAME_DATA:
	case FRAME_CLOSE:
		return !happened(h, S_CLOSE);
	case FRAME_DONE:
		return !happened(h, S_DONE) && happened(h, R_CLOSE) &&
		    happened(h, DELIVERED);
	default:
		return true;
	}
}

static bool
oracle_accepts(const struct history *h, enum frame_type type)
{
	if (happened(h, R_CLOSE) && happened(h, R_DONE))
		return false;
	switch (type) {
	case FRAME_DATA:
	case FRAME_CLOSE:
		return !happened(h, R_CLOSE);
	case FRAME_DONE:
		return !happened(h, R_DONE) && happened(h, S_CLOSE);
	default:
		return true;
	}
}

static enum ending_outcome
oracle_outcome(const struct history *h)
{
	bool lost = happened(h, LOST) || happened(h, LOST_UNSENT);

	if (h->protocol_error)
		return ENDING_PROTOCOL_ERROR;
	if (happened(h, S_ERROR))
		return ENDING_LOCAL_ERROR;
	if (happened(h, R_ERROR))
		return happened(h, S_CLOSE) && !happened(h, R_DONE) ?
		    ENDING_UNDELIVERED : ENDING_PEER_ERROR;
	if (!lost)
		return ENDING_RUNNING;
	if (!happened(h, R_CLOSE))
		return ENDING_TRUNCATED;
	if (!happened(h, R_DONE))
		return ENDING_UNCONFIRMED;
	if (!happened(h, S_DONE) || happened(h, LOST_UNSENT))
		return ENDING_UNANSWERED;
	return ENDING_OK;
}

/* ---- running a sequence against both ---- */

struct run {
	struct ending e;
	struct history h;
	char first_failure[512];
	unsigned long steps;
	unsigned long mismatches;
};

static void
describe(struct run *r, enum ev ev, const char *what)
{
	size_t cap = sizeof(r->first_failure);
	size_t n;

	r->mismatches++;
	if (r->first_failure[0] != '\0')
		return;
	n = (size_t)snprintf(r->first_failure, cap, "%s at:", what);
	for (size_t i = 0; i < r->h.len && n < cap; i++)
		n += (size_t)snprintf(r->first_failure + n, cap - n, " %s",
		    ev_name[r->h.ev[i]]);
	if (n < cap)
		snprintf(r->first_failure + n, cap - n, " [%s]", ev_name[ev]);
}

/* Every question ending.h answers, compared with the oracle. */
static bool
same_answers(const struct run *r)
{
	static const enum frame_type types[] = { FRAME_DATA, FRAME_CLOSE,
	    FRAME_PING, FRAME_ERROR, FRAME_DONE, FRAME_REKEY, FRAME_SWITCH };
	const struct history *h = &r->h;
	enum frame_type owed = FRAME_PING;
	bool owes, oracle_owes_close, oracle_owes_done;

	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		if (ending_may_send(&r->e, types[i]) !=
		    oracle_may_send(h, types[i]))
			return false;
	if (ending_outcome(&r->e) != oracle_outcome(h))
		return false;
	if (ending_may_start_round(&r->e) !=
	    (!oracle_over(h) && !happened(h, S_CLOSE)))
		return false;
	if (ending_peer_finished(&r->e) != (happened(h, R_ERROR) ||
	    (happened(h, R_CLOSE) && happened(h, R_DONE))))
		return false;
	if (ending_finished(&r->e) != (happened(h, S_CLOSE) &&
	    happened(h, S_DONE) && happened(h, R_CLOSE) &&
	    happened(h, R_DONE)))
		return false;
	oracle_owes_close = happened(h, INPUT_END) &&
	    oracle_may_send(h, FRAME_CLOSE);
	oracle_owes_done = oracle_may_send(h, FRAME_DONE);
	owes = ending_owes(&r->e, &owed);
	if (owes != (oracle_owes_close || oracle_owes_done))
		return false;
	if (owes && owed != (oracle_owes_close ? FRAME_CLOSE : FRAME_DONE))
		return false;
	return true;
}

/*
 * Applies ev to both and compares every answer afterwards.  Returns true
 * if ev was accepted and the session goes on.  A refused send or delivery
 * must change nothing and is not recorded; a refused frame is a protocol
 * error and ends the run.
 */
static bool
step(struct run *r, enum ev ev)
{
	struct ending before = r->e;
	bool accepted = true, want = true;
	const char *why = NULL;

	r->steps++;
	if (is_send(ev)) {
		want = oracle_may_send(&r->h, ev_frame[ev]);
		accepted = ending_sent(&r->e, ev_frame[ev]) == 0;
	} else if (is_receive(ev)) {
		want = !oracle_over(&r->h) && oracle_accepts(&r->h,
		    ev_frame[ev]);
		accepted = ending_received(&r->e, ev_frame[ev], &why) == 0;
		if (!accepted && why == NULL)
			describe(r, ev, "refused without a reason");
	} else if (ev == DELIVERED) {
		want = !oracle_over(&r->h) && happened(&r->h, R_CLOSE) &&
		    !happened(&r->h, DELIVERED);
		accepted = ending_delivered(&r->e) == 0;
	} else if (ev == INPUT_END) {
		ending_input_ended(&r->e);
	} else {
		(void)ending_conclude(&r->e, ev == LOST);
	}
	if (accepted != want) {
		describe(r, ev, accepted ? "accepted, the rules refuse" :
		    "refused, the rules accept");
		return false;
	}
	if (!accepted && !is_receive(ev) &&
	    memcmp(&before, &r->e, sizeof(before)) != 0) {
		describe(r, ev, "a refused call changed the state");
		return false;
	}
	if (accepted)
		r->h.ev[r->h.len++] = ev;
	else if (is_receive(ev))
		r->h.protocol_error = true;
	if (!same_answers(r)) {
		describe(r, ev, "the answers afterwards differ");
		return false;
	}
	return accepted && !oracle_over(&r->h);
}

/* Every sequence over alphabet, up to depth more events. */
static void
explore(struct run *r, const enum ev *alphabet, size_t alphabet_len,
    int depth)
{
	if (depth == 0 || r->h.len >= HISTORY_MAX)
		return;
	for (size_t i = 0; i < alphabet_len; i++) {
		struct ending saved = r->e;
		size_t saved_len = r->h.len;
		bool saved_pe = r->h.protocol_error;

		/* INPUT_END is idempotent: once is enough. */
		if (alphabet[i] == INPUT_END && happened(&r->h, INPUT_END))
			continue;
		if (step(r, alphabet[i]))
			explore(r, alphabet, alphabet_len, depth - 1);
		r->e = saved;
		r->h.len = saved_len;
		r->h.protocol_error = saved_pe;
	}
}

static void
test_exhaustive(const char *label, const enum ev *alphabet,
    size_t alphabet_len, int depth)
{
	static struct run r;

	memset(&r, 0, sizeof(r));
	ending_init(&r.e);
	explore(&r, alphabet, alphabet_len, depth);
	ok(r.mismatches == 0, "%s: every sequence of up to %d events "
	    "(%lu steps) agrees with the rules", label, depth, r.steps);
	if (r.mismatches != 0)
		printf("# %lu mismatches; first: %s\n", r.mismatches,
		    r.first_failure);
}

/*
 * Runs events[0..len) and then last (or nothing if last is EV_COUNT) from
 * the start.  Returns true if every event was accepted; mismatches go to
 * *total and the first one to first.
 */
static bool
run_sequence(const enum ev *events, size_t len, enum ev last,
    enum ending_outcome *outcome, unsigned long *total, char *first,
    size_t first_cap)
{
	static struct run r;
	bool all = true;

	memset(&r, 0, sizeof(r));
	ending_init(&r.e);
	for (size_t k = 0; k < len && all; k++)
		all = step(&r, events[k]);
	if (all && last != EV_COUNT)
		step(&r, last);
	*outcome = ending_outcome(&r.e);
	if (r.mismatches != 0) {
		*total += r.mismatches;
		if (first[0] == '\0')
			snprintf(first, first_cap, "%s", r.first_failure);
	}
	return all;
}

/*
 * Every order of the eight events of an ending, followed by a clean end
 * (LOST with everything sent).  The orders the rules allow end ENDING_OK;
 * at every point of each of those, the connection lost (with or without
 * our last frames out) or an ERROR arriving gives the outcome the rules
 * say.
 */
static void
test_every_order(void)
{
	static const enum ev last[] = { LOST, LOST_UNSENT, R_ERROR };
	enum ev events[] = { S_CLOSE, R_CLOSE, DELIVERED, S_DONE, R_DONE,
	    R_PING, R_REKEY, R_SWITCH };
	enum { N = ARRAY_LEN(events) };
	unsigned long orders = 0, valid = 0, ok_count = 0, cuts = 0;
	unsigned long order_mismatches = 0, cut_mismatches = 0;
	enum ending_outcome outcome;
	char first[512] = "";
	int c[N] = { 0 };
	size_t i = 0;

	/* Heap's algorithm, iterative: each pass is one order. */
	for (;;) {
		orders++;
		if (run_sequence(events, N, LOST, &outcome,
		    &order_mismatches, first, sizeof(first))) {
			valid++;
			ok_count += outcome == ENDING_OK;
			for (size_t cut = 0; cut <= N; cut++)
				for (size_t k = 0; k < ARRAY_LEN(last); k++) {
					cuts++;
					run_sequence(events, cut, last[k],
					    &outcome, &cut_mismatches, first,
					    sizeof(first));
				}
		}
		while (i < N && c[i] >= (int)i) {
			c[i] = 0;
			i++;
		}
		if (i >= N)
			break;
		{
			size_t j = i % 2 == 0 ? 0 : (size_t)c[i];
			enum ev t = events[j];

			events[j] = events[i];
			events[i] = t;
		}
		c[i]++;
		i = 0;
	}
	ok(orders == 40320, "all %lu orders of the eight ending events "
	    "were tried", orders);
	ok(order_mismatches == 0 && valid == ok_count && valid > 0,
	    "%lu orders follow the rules and each ends OK; the other %lu "
	    "are refused at the first broken rule", valid, orders - valid);
	ok(cut_mismatches == 0, "each valid order, lost or answered by "
	    "ERROR after each of its prefixes (%lu cases), has the outcome "
	    "of the rules", cuts);
	if (order_mismatches + cut_mismatches != 0)
		printf("# %lu mismatches; first: %s\n",
		    order_mismatches + cut_mismatches, first);
}

int
main(void)
{
	static const enum ev all[] = { S_DATA, S_CLOSE, S_DONE, S_PING,
	    S_REKEY, S_SWITCH, S_ERROR, R_DATA, R_CLOSE, R_DONE, R_PING,
	    R_REKEY, R_SWITCH, R_ERROR, INPUT_END, DELIVERED, LOST,
	    LOST_UNSENT };
	/* PING, REKEY and SWITCH are alike to the ending: one stands for
	 * the three, so the sequences can be longer. */
	static const enum ev few[] = { S_DATA, S_CLOSE, S_DONE, S_PING,
	    S_ERROR, R_DATA, R_CLOSE, R_DONE, R_PING, R_ERROR, INPUT_END,
	    DELIVERED, LOST, LOST_UNSENT };

	test_order_errors();
	test_refused_sends();
	test_losses();
	test_good_endings();
	test_exhaustive("all 18 events", all, ARRAY_LEN(all), 6);
	test_exhaustive("14 events", few, ARRAY_LEN(few), 7);
	test_every_order();
	return tap_done();
}
