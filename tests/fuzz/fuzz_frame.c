/*
 * fuzz_frame.c - transport frames (PROTOCOL.md §3) from a hostile peer
 * after a real handshake.
 *
 * Input: flags || record || record ..., each record a frame as it comes
 * off the wire: the uint16 BE length L, then L bytes.  The receiving cipher
 * state comes from a complete handshake between the fixed keys, so frames
 * sealed by the other side (the seeds) open.  FUZZ_R2I picks the direction
 * responder -> initiator; FUZZ_NEAR_REKEY starts the receiver at nonce
 * 65534, so the third frame is opened after Rekey().  FUZZ_RULES also
 * applies the v2 order rules to every frame that opens, as the relay does:
 * ending_received() for all of them, rekey_received() for REKEY and
 * SWITCH (answering a round with the fixed rekey ephemeral of fuzz.h, so
 * the peer's SWITCH and the frames after it open under the new key), and
 * stopping at an ERROR; FUZZ_CLOSED says we sent our CLOSE first, so the
 * peer's DONE is in order.
 *
 * The loop does what the relay does: check L with frame_len_ok() before
 * reading the body, stop at the first frame that fails, stop when the
 * peer closed mid-frame.  Each body sits in a buffer of exactly L bytes so
 * ASan catches a read or write past it.
 *
 * Checked: a frame that fails releases nothing (its buffer is all zeros
 * afterwards) and gives a reason; one that fails authentication leaves
 * the cipher state as it was; one that opens has a known type, the body
 * length L - 17 and a body length its type allows, and advances the nonce
 * by exactly one.  Under the rules: a refusal gives a reason and makes the
 * outcome a protocol error; no ephemeral private key survives taking a
 * REKEY; a SWITCH changes the receiving key and not its nonce.
 */
#include "fuzz.h"
#include "session/ending.h"
#include "session/frame.h"
#include "session/rekey.h"

bool fuzz_accepted;

/* The side under test: what it receives with, and with FUZZ_RULES what it
 * sends with and its ending and rekey state. */
struct target {
	struct cipher_state recv, send;
	bool rules;
	uint8_t rekey_seed;
	struct ending end;
	struct rekey rk;
};

/* Outcomes of taking one frame. */
#define TAKE_REFUSED (-1)
#define TAKE_STOP 0		/* accepted, and the relay stops (ERROR) */
#define TAKE_MORE 1

static bool
same_state(const struct cipher_state *a, const struct cipher_state *b)
{
	return a->suite == b->suite && a->n == b->n &&
	    a->has_key == b->has_key && memcmp(a->k, b->k, sizeof(a->k)) == 0;
}

static void
check_opened(const struct suite *suite, enum frame_type type,
    size_t body_len, size_t len)
{
	FUZZ_ASSERT(body_len == len - 1 - SUITE_TAG_LEN);
	switch (type) {
	case FRAME_DATA:
		FUZZ_ASSERT(body_len >= 1 && body_len <= FRAME_BODY_MAX);
		break;
	case FRAME_CLOSE:
		FUZZ_ASSERT(body_len == 0);
		break;
	case FRAME_PING:
		break;
	case FRAME_ERROR:
		FUZZ_ASSERT(body_len <= FRAME_ERROR_MAX);
		break;
	case FRAME_DONE:
	case FRAME_SWITCH:
		FUZZ_ASSERT(body_len == 0);
		break;
	case FRAME_REKEY:
		FUZZ_ASSERT(body_len == suite->pub_len);
		break;
	default:
		FUZZ_ASSERT(!"frame_open accepted an unknown type");
	}
}

/* Seals what rekey.c owes, as the relay does after taking a REKEY. */
static void
send_owed(struct target *t)
{
	static uint8_t out[FRAME_HEADER_LEN + 1 + SUITE_PUB_MAX +
	    SUITE_TAG_LEN];
	enum frame_type type;
	size_t body_len = 0, frame_len;

	while (rekey_owes(&t->rk, &type) && ending_may_send(&t->end, type)) {
		if (type == FRAME_REKEY)
			FUZZ_ASSERT(rekey_write(&t->rk, out + FRAME_BODY_OFFSET,
			    sizeof(out) - FRAME_BODY_OFFSET, &body_len) == 0);
		else
			body_len = 0;
		FUZZ_ASSERT(frame_seal(&t->send, type, out, sizeof(out),
		    body_len, &frame_len) == 0);
		FUZZ_ASSERT(rekey_sent(&t->rk, type, &t->send) == 0);
		FUZZ_ASSERT(ending_sent(&t->end, type) == 0);
	}
}

/* The v2 order rules for a frame that opened, as the relay applies them. */
static int
apply_rules(struct target *t, enum frame_type type, const uint8_t *body,
    size_t body_len)
{
	struct cipher_state before = t->recv;
	uint8_t priv[SUITE_PRIV_LEN];
	enum rekey_verdict v;
	const char *why = NULL;

	if (ending_received(&t->end, type, &why) != 0) {
		FUZZ_ASSERT(why != NULL);
		FUZZ_ASSERT(ending_outcome(&t->end) == ENDING_PROTOCOL_ERROR);
		return TAKE_REFUSED;
	}
	switch (type) {
	case FRAME_ERROR:
		return TAKE_STOP;
	case FRAME_CLOSE:
		FUZZ_ASSERT(ending_delivered(&t->end) == 0);
		return TAKE_MORE;
	case FRAME_REKEY:
	case FRAME_SWITCH:
		break;
	default:
		return TAKE_MORE;
	}
	fuzz_key(t->rekey_seed, priv);
	FUZZ_ASSERT(rekey_set_ephemeral(&t->rk, priv) == 0);
	wipe(priv, sizeof(priv));
	v = rekey_received(&t->rk, type, body, body_len, &t->recv,
	    ending_may_send(&t->end, FRAME_REKEY), 0, &why);
	FUZZ_ASSERT(v != REKEY_LOCAL_ERROR);
	/* We never start a round here, so whatever happened, no ephemeral
	 * private key is left. */
	FUZZ_ASSERT(fuzz_all_zero(t->rk.e_priv, sizeof(t->rk.e_priv)));
	FUZZ_ASSERT(t->recv.n == before.n);
	if (v != REKEY_OK) {
		FUZZ_ASSERT(why != NULL);
		return TAKE_REFUSED;
	}
	if (type == FRAME_SWITCH)
		FUZZ_ASSERT(memcmp(t->recv.k, before.k, SUITE_KEY_LEN) != 0);
	wipe(&before, sizeof(before));
	send_owed(t);
	return TAKE_MORE;
}

/* Opens one frame of len bytes and, under the rules, takes it. */
static int
open_one(struct target *t, const uint8_t *bytes, size_t len)
{
	struct cipher_state *cs = &t->recv;
	struct cipher_state before = *cs;
	enum frame_type type = FRAME_PING;
	size_t body_len = SIZE_MAX;
	const char *why = NULL;
	uint8_t *ct = malloc(len > 0 ? len : 1);
	int rc = TAKE_REFUSED;

	FUZZ_ASSERT(ct != NULL);
	if (len > 0)
		memcpy(ct, bytes, len);
	if (frame_open(cs, ct, len, &type, &body_len, &why) == 0) {
		check_opened(cs->suite, type, body_len, len);
		FUZZ_ASSERT(cs->n == before.n + 1);
		rc = t->rules ? apply_rules(t, type, ct + 1, body_len) :
		    TAKE_MORE;
	} else {
		FUZZ_ASSERT(why != NULL);
		FUZZ_ASSERT(fuzz_all_zero(ct, len));
		if (strcmp(why, "frame failed authentication") == 0 ||
		    strcmp(why, "bad frame length") == 0)
			FUZZ_ASSERT(same_state(cs, &before));
		else
			FUZZ_ASSERT(cs->n == before.n + 1);
	}
	free(ct);
	wipe(&before, sizeof(before));
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_transport cache[2];
	static bool cached[2];
	static struct target t;
	const struct fuzz_transport *c;
	const uint8_t *rec;
	size_t rec_len, declared;
	size_t pos = 1;
	bool r2i;
	int which, rc;

	fuzz_accepted = false;
	if (size < 1)
		return 0;
	/* The handshake is the same every time: do it once per suite. */
	which = (data[0] & FUZZ_P256) ? 1 : 0;
	if (!cached[which]) {
		fuzz_transport(fuzz_suite(data[0]), &cache[which]);
		cached[which] = true;
	}
	c = &cache[which];
	r2i = (data[0] & FUZZ_R2I) != 0;
	memset(&t, 0, sizeof(t));
	/* R2I: we are the initiator, receiving from the responder. */
	t.recv = r2i ? c->i_recv : c->r_recv;
	t.send = r2i ? c->i_send : c->r_send;
	t.rekey_seed = r2i ? FUZZ_I_REKEY : FUZZ_R_REKEY;
	t.rules = (data[0] & FUZZ_RULES) != 0;
	if (data[0] & FUZZ_NEAR_REKEY)
		t.recv.n = FRAME_REKEY_INTERVAL - 2;
	ending_init(&t.end);
	FUZZ_ASSERT(rekey_init(&t.rk, t.recv.suite,
	    r2i ? ROLE_INITIATOR : ROLE_RESPONDER, r2i ? c->i_rk : c->r_rk,
	    0, 0) == 0);
	if (t.rules && (data[0] & FUZZ_CLOSED)) {
		ending_input_ended(&t.end);
		FUZZ_ASSERT(ending_sent(&t.end, FRAME_CLOSE) == 0);
	}

	fuzz_accepted = true;
	while (fuzz_next_record(data, size, &pos, &rec, &rec_len, &declared)) {
		if (!frame_len_ok(declared)) {
			/* The relay stops here without reading a body;
			 * frame_open() must refuse the length as well. */
			FUZZ_ASSERT(open_one(&t, rec, rec_len) == TAKE_REFUSED);
			fuzz_accepted = false;
			break;
		}
		if (rec_len < declared) {
			fuzz_accepted = false;	/* closed mid-frame */
			break;
		}
		if ((rc = open_one(&t, rec, rec_len)) == TAKE_REFUSED) {
			fuzz_accepted = false;
			break;
		}
		if (rc == TAKE_STOP)
			break;
	}
	cipher_state_clear(&t.recv);
	cipher_state_clear(&t.send);
	rekey_clear(&t.rk);
	return 0;
}
