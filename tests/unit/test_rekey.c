/*
 * test_rekey.c - fresh-DH rekey rounds (rekey.c, PROTOCOL.md §3.5) between
 * two sides with real cipher states from a handshake, for both suites,
 * frames sealed and opened by frame.c and carried on two in-memory wires.
 *
 * Failure cases first: invalid ephemerals (x25519 all-zero DH, p256
 * off-curve and badly encoded points), a REKEY during a round, SWITCH out
 * of order, calls the state does not allow.  Then rounds started by one
 * side and by both at once, several in a row, with DATA interleaved; the
 * nonces across a switch (and across the Rekey() at 65536); the schedule;
 * the wiping of ephemerals and pending keys.  The known-answer vectors
 * from tests/vectors/sealcat/ are in test_rekey_vectors.c.
 */
#include <string.h>

#include "session/frame.h"
#include "noise/noise.h"
#include "session/rekey.h"
#include "crypto/suite.h"
#include "tap.h"
#include "base/util.h"

#define WIRE_FRAMES 16
#define WIRE_FRAME_MAX 256
#define INTERVAL_S 10

/* Frames in flight in one direction, oldest first. */
struct wire {
	uint8_t buf[WIRE_FRAMES][WIRE_FRAME_MAX];
	size_t len[WIRE_FRAMES];
	size_t head, count;
};

struct side {
	const char *name;
	struct rekey rk;
	struct cipher_state send, recv;
	struct wire *out;	/* what this side sends */
	struct wire *in;	/* what it receives */
};

static struct wire a_to_b, b_to_a;
static struct side A = { "initiator", .out = &a_to_b, .in = &b_to_a };
static struct side B = { "responder", .out = &b_to_a, .in = &a_to_b };

/* A handshake between fresh keys; both sides' rk must agree. */
static bool
setup(const struct suite *suite)
{
	static const uint8_t prologue[] = "SEALCAT/2 test\n";
	uint8_t i_priv[SUITE_PRIV_LEN], i_pub[SUITE_PUB_MAX];
	uint8_t r_priv[SUITE_PRIV_LEN], r_pub[SUITE_PUB_MAX];
	uint8_t i_rk[SUITE_HASH_MAX], r_rk[SUITE_HASH_MAX];
	struct handshake_state ini, res;
	uint8_t msg[NOISE_MSG_MAX];
	size_t len;
	bool good = true;

	memset(&a_to_b, 0, sizeof(a_to_b));
	memset(&b_to_a, 0, sizeof(b_to_a));
	good = suite->keypair(i_priv, i_pub) == 0 &&
	    suite->keypair(r_priv, r_pub) == 0 &&
	    noise_init(&ini, suite, ROLE_INITIATOR, prologue,
	    sizeof(prologue) - 1, i_priv, i_pub) == 0 &&
	    noise_init(&res, suite, ROLE_RESPONDER, prologue,
	    sizeof(prologue) - 1, r_priv, r_pub) == 0;
	for (int i = 0; i < 3 && good; i++) {
		struct handshake_state *w = i % 2 == 0 ? &ini : &res;
		struct handshake_state *r = i % 2 == 0 ? &res : &ini;

		good = noise_write_message(w, NULL, 0, msg, sizeof(msg),
		    &len) == 0 &&
		    noise_read_message(r, msg, len, NULL, 0, NULL) == 0;
	}
	good = good && noise_rekey_secret(&ini, i_rk) == 0 &&
	    noise_rekey_secret(&res, r_rk) == 0 &&
	    memcmp(i_rk, r_rk, suite->hash_len) == 0 &&
	    noise_split(&ini, &A.send, &A.recv, NULL) == 0 &&
	    noise_split(&res, &B.send, &B.recv, NULL) == 0 &&
	    rekey_init(&A.rk, suite, ROLE_INITIATOR, i_rk, INTERVAL_S,
	    0) == 0 &&
	    rekey_init(&B.rk, suite, ROLE_RESPONDER, r_rk, INTERVAL_S,
	    0) == 0;
	handshake_clear(&ini);
	handshake_clear(&res);
	wipe(i_rk, sizeof(i_rk));
	wipe(r_rk, sizeof(r_rk));
	wipe(i_priv, sizeof(i_priv));
	wipe(r_priv, sizeof(r_priv));
	return good;
}

static void
teardown(void)
{
	rekey_clear(&A.rk);
	rekey_clear(&B.rk);
	cipher_state_clear(&A.send);
	cipher_state_clear(&A.recv);
	cipher_state_clear(&B.send);
	cipher_state_clear(&B.recv);
}

/* Seals type with body onto s's wire, no questions asked. */
static int
seal_raw(struct side *s, enum frame_type type, const uint8_t *body,
    size_t body_len)
{
	struct wire *w = s->out;
	size_t slot = (w->head + w->count) % WIRE_FRAMES;
	uint8_t *f = w->buf[slot];

	if (w->count == WIRE_FRAMES ||
	    FRAME_BODY_OFFSET + body_len > WIRE_FRAME_MAX)
		return -1;
	if (body_len > 0)
		memcpy(f + FRAME_BODY_OFFSET, body, body_len);
	if (frame_seal(&s->send, type, f, WIRE_FRAME_MAX, body_len,
	    &w->len[slot]) != 0)
		return -1;
	w->count++;
	return 0;
}

static int
send_data(struct side *s, const char *text)
{
	return seal_raw(s, FRAME_DATA, (const uint8_t *)text, strlen(text));
}

/* Seals what rekey_owes() names, as the relay will; returns how many. */
static int
send_owed(struct side *s)
{
	uint8_t body[SUITE_PUB_MAX];
	enum frame_type type;
	size_t body_len = 0;
	int n = 0;

	while (rekey_owes(&s->rk, &type)) {
		if (type == FRAME_REKEY &&
		    rekey_write(&s->rk, body, sizeof(body), &body_len) != 0)
			return -1;
		if (seal_raw(s, type, body, type == FRAME_REKEY ? body_len :
		    0) != 0 || rekey_sent(&s->rk, type, &s->send) != 0)
			return -1;
		n++;
	}
	return n;
}

struct got {
	enum frame_type type;
	enum rekey_verdict verdict;
	const char *why;
	char text[64];
};

/*
 * Opens the oldest frame on s's incoming wire and hands REKEY and SWITCH
 * to rekey_received(), as the relay will.  Returns -1 if nothing was
 * there or the frame did not open.
 */
static int
receive(struct side *s, bool may_answer, long long now_ms, struct got *g)
{
	struct wire *w = s->in;
	uint8_t *f;
	size_t body_len;
	const char *why = NULL;

	memset(g, 0, sizeof(*g));
	g->verdict = REKEY_OK;
	if (w->count == 0)
		return -1;
	f = w->buf[w->head];
	w->head = (w->head + 1) % WIRE_FRAMES;
	w->count--;
	if (frame_open(&s->recv, f + FRAME_HEADER_LEN,
	    get_be16(f), &g->type, &body_len, &why) != 0)
		return -1;
	if (g->type == FRAME_DATA && body_len < sizeof(g->text))
		memcpy(g->text, f + FRAME_BODY_OFFSET, body_len);
	if (g->type == FRAME_REKEY || g->type == FRAME_SWITCH)
		g->verdict = rekey_received(&s->rk, g->type,
		    f + FRAME_BODY_OFFSET, body_len, &s->recv, may_answer,
		    now_ms, &g->why);
	return 0;
}

/* Receives one frame and checks it is DATA with text. */
static bool
receive_data(struct side *s, const char *text)
{
	struct got g;

	return receive(s, true, 0, &g) == 0 && g.type == FRAME_DATA &&
	    strcmp(g.text, text) == 0;
}

/* Receives one rekey frame of type and checks rekey.c took it. */
static bool
receive_rekey(struct side *s, enum frame_type type)
{
	struct got g;

	return receive(s, true, 0, &g) == 0 && g.type == type &&
	    g.verdict == REKEY_OK;
}

static bool
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* The round's secrets are gone from r. */
static bool
round_wiped(const struct rekey *r)
{
	return all_zero(r->e_priv, sizeof(r->e_priv)) &&
	    all_zero(r->send_k, sizeof(r->send_k)) &&
	    all_zero(r->recv_k, sizeof(r->recv_k));
}

/* A's sending key is B's receiving key and the other way round. */
static bool
keys_paired(void)
{
	return memcmp(A.send.k, B.recv.k, SUITE_KEY_LEN) == 0 &&
	    memcmp(B.send.k, A.recv.k, SUITE_KEY_LEN) == 0 &&
	    memcmp(A.send.k, A.recv.k, SUITE_KEY_LEN) != 0;
}

/* ---- failures ---- */

static void
check_bad_key(const struct suite *s, const uint8_t *key, const char *what)
{
	struct got g;

	/* The receiver answers: it makes its key pair, then the DH. */
	if (!setup(s)) {
		ok(false, "%s: setup", s->name);
		return;
	}
	seal_raw(&A, FRAME_REKEY, key, s->pub_len);
	ok(receive(&B, true, 0, &g) == 0 && g.type == FRAME_REKEY &&
	    g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
	    strcmp(g.why, "invalid REKEY key") == 0 &&
	    all_zero(B.rk.e_priv, sizeof(B.rk.e_priv)) &&
	    !B.rk.keys_ready, "%s: REKEY with %s, answering side: "
	    "\"invalid REKEY key\", ephemeral wiped", s->name, what);
	teardown();

	/* The receiver started the round itself. */
	setup(s);
	rekey_start(&B.rk, 0);
	seal_raw(&A, FRAME_REKEY, key, s->pub_len);
	ok(receive(&B, true, 0, &g) == 0 &&
	    g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
	    strcmp(g.why, "invalid REKEY key") == 0 &&
	    all_zero(B.rk.e_priv, sizeof(B.rk.e_priv)),
	    "%s: REKEY with %s, starting side: refused, ephemeral wiped",
	    s->name, what);
	teardown();

	/* The receiver has sent CLOSE and DONE and does not answer. */
	setup(s);
	seal_raw(&A, FRAME_REKEY, key, s->pub_len);
	receive(&B, false, 0, &g);
	if (s == &suite_x25519)
		ok(g.verdict == REKEY_OK, "%s: REKEY with %s, not answered: "
		    "no DH, so nothing to refuse yet", s->name, what);
	else
		ok(g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
		    strcmp(g.why, "invalid REKEY key") == 0,
		    "%s: REKEY with %s, not answered: refused all the same",
		    s->name, what);
	teardown();
}

static void
test_bad_keys(void)
{
	uint8_t key[SUITE_PUB_MAX];
	uint8_t priv[SUITE_PRIV_LEN];

	memset(key, 0, sizeof(key));
	check_bad_key(&suite_x25519, key, "an all-zero key (DH all zeros)");
	key[0] = 1;
	check_bad_key(&suite_x25519, key, "u = 1 (low order)");

	memset(priv, 0x42, sizeof(priv));
	suite_p256.pubkey(key, priv);
	key[64] ^= 0x01;
	check_bad_key(&suite_p256, key, "a point off the curve");
	suite_p256.pubkey(key, priv);
	key[0] = 0x06 | (key[64] & 1);
	check_bad_key(&suite_p256, key, "the hybrid encoding");
	memset(key, 0xff, sizeof(key));
	key[0] = 0x04;
	check_bad_key(&suite_p256, key, "coordinates >= p");
	memset(key, 0, sizeof(key));
	check_bad_key(&suite_p256, key, "65 zero bytes");
}

static void
test_order_errors(const struct suite *s)
{
	struct got g;

	setup(s);
	seal_raw(&A, FRAME_SWITCH, NULL, 0);
	ok(receive(&B, true, 0, &g) == 0 &&
	    g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
	    strcmp(g.why, "SWITCH before REKEY") == 0,
	    "%s: SWITCH with no round: \"SWITCH before REKEY\"", s->name);
	teardown();

	/* A REKEY, then at once a SWITCH: B has not sent its REKEY, so A
	 * cannot have derived anything. */
	setup(s);
	rekey_start(&A.rk, 0);
	send_owed(&A);
	seal_raw(&A, FRAME_SWITCH, NULL, 0);
	receive(&B, true, 0, &g);
	ok(receive(&B, true, 0, &g) == 0 &&
	    g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
	    strcmp(g.why, "SWITCH before our REKEY") == 0,
	    "%s: SWITCH before the answer was sealed: \"SWITCH before our "
	    "REKEY\"", s->name);
	teardown();

	/* Two REKEYs in one round. */
	setup(s);
	rekey_start(&A.rk, 0);
	send_owed(&A);
	ok(receive_rekey(&B, FRAME_REKEY) && send_owed(&B) == 2,
	    "%s: B answers a REKEY with REKEY and SWITCH", s->name);
	seal_raw(&B, FRAME_REKEY, B.rk.e_pub, s->pub_len);
	receive(&A, true, 0, &g);
	receive(&A, true, 0, &g);
	ok(receive(&A, true, 0, &g) == 0 &&
	    g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
	    strcmp(g.why, "second REKEY in one round") == 0,
	    "%s: a REKEY after the round's REKEY and SWITCH: \"second REKEY "
	    "in one round\"", s->name);
	teardown();

	/* REKEY, REKEY with nothing between. */
	setup(s);
	rekey_start(&A.rk, 0);
	send_owed(&A);
	seal_raw(&A, FRAME_REKEY, A.rk.e_pub, s->pub_len);
	receive(&B, true, 0, &g);
	ok(receive(&B, true, 0, &g) == 0 &&
	    g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
	    strcmp(g.why, "second REKEY in one round") == 0,
	    "%s: two REKEYs in a row: \"second REKEY in one round\"",
	    s->name);
	teardown();

	/* A peer that SWITCHes without changing its key: its frames after
	 * the SWITCH no longer open. */
	setup(s);
	rekey_start(&A.rk, 0);
	send_owed(&A);
	receive_rekey(&B, FRAME_REKEY);
	{
		uint8_t body[SUITE_PUB_MAX];
		size_t body_len;

		rekey_write(&B.rk, body, sizeof(body), &body_len);
		seal_raw(&B, FRAME_REKEY, body, body_len);
		rekey_sent(&B.rk, FRAME_REKEY, &B.send);
	}
	seal_raw(&B, FRAME_SWITCH, NULL, 0);
	send_data(&B, "under the old key");
	receive_rekey(&A, FRAME_REKEY);
	receive_rekey(&A, FRAME_SWITCH);
	ok(receive(&A, true, 0, &g) == -1,
	    "%s: DATA sealed under the old key after a SWITCH does not open",
	    s->name);
	teardown();

	setup(s);
	rekey_start(&A.rk, 0);
	send_owed(&A);
	receive_rekey(&B, FRAME_REKEY);
	send_owed(&B);
	receive_rekey(&A, FRAME_REKEY);
	receive_rekey(&A, FRAME_SWITCH);
	/* B's second SWITCH, sealed under B's new key. */
	seal_raw(&B, FRAME_SWITCH, NULL, 0);
	ok(receive(&A, true, 0, &g) == 0 &&
	    g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
	    strcmp(g.why, "second SWITCH") == 0,
	    "%s: a second SWITCH in one round: \"second SWITCH\"", s->name);
	teardown();
}

static void
test_refused_calls(const struct suite *s)
{
	uint8_t body[SUITE_PUB_MAX];
	struct cipher_state before;
	enum frame_type type;
	size_t body_len;
	const char *why = NULL;

	setup(s);
	before = A.send;
	ok(!rekey_owes(&A.rk, &type) &&
	    rekey_sent(&A.rk, FRAME_REKEY, &A.send) == -1 &&
	    rekey_sent(&A.rk, FRAME_SWITCH, &A.send) == -1 &&
	    memcmp(&before, &A.send, sizeof(before)) == 0,
	    "%s: with no round, nothing is owed and rekey_sent() refuses",
	    s->name);
	ok(rekey_write(&A.rk, body, sizeof(body), &body_len) == -1,
	    "%s: rekey_write() refuses when no REKEY is owed", s->name);
	ok(rekey_start(&A.rk, 0) == 0 && rekey_start(&A.rk, 0) == -1,
	    "%s: one round at a time: a second rekey_start() fails", s->name);
	ok(rekey_write(&A.rk, body, s->pub_len - 1, &body_len) == -1,
	    "%s: rekey_write() refuses a body buffer one byte short",
	    s->name);
	ok(rekey_owes(&A.rk, &type) && type == FRAME_REKEY &&
	    rekey_sent(&A.rk, FRAME_SWITCH, &A.send) == -1,
	    "%s: SWITCH may not be sealed before REKEY", s->name);
	ok(rekey_sent(&A.rk, FRAME_REKEY, &A.send) == 0 &&
	    !rekey_owes(&A.rk, &type) &&
	    rekey_sent(&A.rk, FRAME_SWITCH, &A.send) == -1,
	    "%s: after our REKEY, SWITCH waits for the peer's", s->name);
	ok(rekey_received(&A.rk, FRAME_DATA, NULL, 0, &A.recv, true, 0,
	    &why) == REKEY_PROTOCOL_ERROR && why != NULL &&
	    strcmp(why, "not a rekey frame") == 0,
	    "%s: rekey_received() takes only REKEY and SWITCH", s->name);
	teardown();
}

/* ---- rounds ---- */

static void
test_one_side_starts(const struct suite *s)
{
	uint8_t a_send[SUITE_KEY_LEN], a_recv[SUITE_KEY_LEN];
	uint8_t rk_before[SUITE_HASH_MAX];
	uint64_t a_n, b_n;
	enum frame_type type;
	bool good;

	if (!setup(s)) {
		ok(false, "%s: setup", s->name);
		return;
	}
	memcpy(a_send, A.send.k, sizeof(a_send));
	memcpy(a_recv, A.recv.k, sizeof(a_recv));
	memcpy(rk_before, A.rk.rk, sizeof(rk_before));
	good = send_data(&A, "a0") == 0 && send_data(&B, "b0") == 0 &&
	    rekey_start(&A.rk, 1000) == 0 && send_owed(&A) == 1 &&
	    send_data(&A, "a1") == 0 && rekey_in_round(&A.rk);
	ok(good, "%s: A starts a round: REKEY goes out among DATA", s->name);

	good = receive_data(&B, "a0") && receive_rekey(&B, FRAME_REKEY) &&
	    rekey_owes(&B.rk, &type) && type == FRAME_REKEY &&
	    all_zero(B.rk.e_priv, sizeof(B.rk.e_priv)) && B.rk.keys_ready;
	ok(good, "%s: B takes A's REKEY: makes its key, derives at once, "
	    "ephemeral wiped, REKEY owed", s->name);
	b_n = B.send.n;
	good = send_owed(&B) == 2 && B.send.n == b_n + 2 &&
	    send_data(&B, "b1") == 0 && B.send.n == b_n + 3 &&
	    memcmp(B.send.k, a_recv, SUITE_KEY_LEN) != 0;
	ok(good, "%s: B seals REKEY and SWITCH, then DATA under its new "
	    "key; its nonce keeps counting", s->name);
	ok(receive_data(&B, "a1"),
	    "%s: B still opens A's DATA under A's old key", s->name);

	a_n = A.recv.n;
	good = receive_data(&A, "b0") && receive_rekey(&A, FRAME_REKEY) &&
	    rekey_owes(&A.rk, &type) && type == FRAME_SWITCH &&
	    all_zero(A.rk.e_priv, sizeof(A.rk.e_priv));
	ok(good, "%s: A takes B's REKEY: derives, ephemeral wiped, SWITCH "
	    "owed", s->name);
	good = receive_rekey(&A, FRAME_SWITCH) && A.recv.n == a_n + 3 &&
	    memcmp(A.recv.k, a_recv, SUITE_KEY_LEN) != 0 &&
	    receive_data(&A, "b1");
	ok(good, "%s: A takes B's SWITCH and opens B's next DATA with the "
	    "new key", s->name);
	good = send_data(&A, "a2") == 0 && send_owed(&A) == 1 &&
	    send_data(&A, "a3") == 0 &&
	    memcmp(A.send.k, a_send, SUITE_KEY_LEN) != 0 &&
	    !rekey_in_round(&A.rk) && rekey_rounds(&A.rk) == 1;
	ok(good, "%s: A seals SWITCH; its round is finished", s->name);
	good = receive_data(&B, "a2") && receive_rekey(&B, FRAME_SWITCH) &&
	    receive_data(&B, "a3") && !rekey_in_round(&B.rk) &&
	    rekey_rounds(&B.rk) == 1;
	ok(good, "%s: B takes A's SWITCH; its round is finished", s->name);
	ok(keys_paired() && memcmp(A.rk.rk, B.rk.rk, s->hash_len) == 0 &&
	    memcmp(A.rk.rk, rk_before, s->hash_len) != 0,
	    "%s: both have the same new keys and the same new rk", s->name);
	ok(round_wiped(&A.rk) && round_wiped(&B.rk),
	    "%s: no ephemeral or pending key is left on either side",
	    s->name);
	ok(A.send.n == B.recv.n && B.send.n == A.recv.n && A.send.n == 6 &&
	    B.send.n == 4, "%s: nonces counted on through the round "
	    "(A sent 6 frames, B 4)", s->name);
	teardown();
}

static void
test_both_start(const struct suite *s)
{
	uint8_t a_send[SUITE_KEY_LEN], b_send[SUITE_KEY_LEN];
	bool good;

	if (!setup(s)) {
		ok(false, "%s: setup", s->name);
		return;
	}
	memcpy(a_send, A.send.k, sizeof(a_send));
	memcpy(b_send, B.send.k, sizeof(b_send));
	/* Both REKEYs cross on the wire. */
	good = rekey_start(&A.rk, 5) == 0 && rekey_start(&B.rk, 7) == 0 &&
	    send_owed(&A) == 1 && send_owed(&B) == 1 &&
	    send_data(&A, "from A") == 0 && send_data(&B, "from B") == 0;
	ok(good, "%s: both start a round at once; REKEYs cross", s->name);
	good = receive_rekey(&A, FRAME_REKEY) &&
	    receive_rekey(&B, FRAME_REKEY) && A.rk.keys_ready &&
	    B.rk.keys_ready && send_owed(&A) == 1 && send_owed(&B) == 1;
	ok(good, "%s: each takes the other's REKEY as the answer and "
	    "SWITCHes", s->name);
	good = send_data(&A, "A new") == 0 && send_data(&B, "B new") == 0 &&
	    receive_data(&A, "from B") && receive_data(&B, "from A") &&
	    receive_rekey(&A, FRAME_SWITCH) &&
	    receive_rekey(&B, FRAME_SWITCH) && receive_data(&A, "B new") &&
	    receive_data(&B, "A new");
	ok(good, "%s: DATA before and after each SWITCH opens", s->name);
	ok(!rekey_in_round(&A.rk) && !rekey_in_round(&B.rk) &&
	    rekey_rounds(&A.rk) == 1 && rekey_rounds(&B.rk) == 1 &&
	    keys_paired() && memcmp(A.send.k, a_send, SUITE_KEY_LEN) != 0 &&
	    memcmp(B.send.k, b_send, SUITE_KEY_LEN) != 0 &&
	    memcmp(A.rk.rk, B.rk.rk, s->hash_len) == 0,
	    "%s: one round finished on both sides, one set of new keys",
	    s->name);
	ok(round_wiped(&A.rk) && round_wiped(&B.rk),
	    "%s: nothing of the round is left", s->name);
	teardown();
}

/* Rounds in a row, alternating who starts; every key is new. */
static void
test_many_rounds(const struct suite *s)
{
	uint8_t seen[6][SUITE_KEY_LEN];
	bool good = true, distinct = true;

	setup(s);
	for (int i = 0; i < 3 && good; i++) {
		struct side *starter = i % 2 == 0 ? &A : &B;
		struct side *other = i % 2 == 0 ? &B : &A;

		good = rekey_start(&starter->rk, i) == 0 &&
		    send_owed(starter) == 1 &&
		    receive_rekey(other, FRAME_REKEY) &&
		    send_owed(other) == 2 &&
		    receive_rekey(starter, FRAME_REKEY) &&
		    receive_rekey(starter, FRAME_SWITCH) &&
		    send_owed(starter) == 1 &&
		    receive_rekey(other, FRAME_SWITCH) &&
		    send_data(&A, "ping") == 0 && receive_data(&B, "ping") &&
		    send_data(&B, "pong") == 0 && receive_data(&A, "pong");
		memcpy(seen[2 * i], A.send.k, SUITE_KEY_LEN);
		memcpy(seen[2 * i + 1], B.send.k, SUITE_KEY_LEN);
	}
	for (int i = 0; i < 6; i++)
		for (int j = i + 1; j < 6; j++)
			if (memcmp(seen[i], seen[j], SUITE_KEY_LEN) == 0)
				distinct = false;
	ok(good && rekey_rounds(&A.rk) == 3 && rekey_rounds(&B.rk) == 3 &&
	    keys_paired() && distinct,
	    "%s: three rounds in a row, alternating starters: six distinct "
	    "keys, DATA flows after each", s->name);
	teardown();
}

/* A side that sent CLOSE and DONE: processes a round, never answers. */
static void
test_quiet(const struct suite *s)
{
	enum frame_type type;
	struct got g;
	bool good;

	setup(s);
	rekey_start(&A.rk, 0);
	send_owed(&A);
	good = receive(&B, false, 0, &g) == 0 && g.verdict == REKEY_OK &&
	    !rekey_owes(&B.rk, &type) && !rekey_due(&B.rk, 1000000);
	ok(good, "%s: a REKEY after our CLOSE and DONE is taken, not "
	    "answered", s->name);
	seal_raw(&A, FRAME_SWITCH, NULL, 0);
	ok(receive(&B, false, 0, &g) == 0 &&
	    g.verdict == REKEY_PROTOCOL_ERROR && g.why != NULL &&
	    strcmp(g.why, "SWITCH before our REKEY") == 0,
	    "%s: ... and a SWITCH after it is out of order", s->name);
	teardown();

	/* We started, sent REKEY, then finished; the answer comes. */
	setup(s);
	rekey_start(&A.rk, 0);
	send_owed(&A);
	receive_rekey(&B, FRAME_REKEY);
	send_owed(&B);
	send_data(&B, "after B's switch");
	good = receive(&A, false, 0, &g) == 0 && g.verdict == REKEY_OK &&
	    !rekey_owes(&A.rk, &type) && A.rk.keys_ready;
	ok(good, "%s: the answer to our REKEY after our CLOSE and DONE: "
	    "keys derived, no SWITCH owed", s->name);
	good = receive(&A, false, 0, &g) == 0 && g.type == FRAME_SWITCH &&
	    g.verdict == REKEY_OK && receive_data(&A, "after B's switch");
	ok(good, "%s: the peer's SWITCH still switches our receiving key",
	    s->name);
	teardown();
}

/* ---- nonces ---- */

/* The SWITCH is sealed at nonce n; the frames around it must open. */
static void
check_switch_at(const struct suite *s, uint64_t n)
{
	bool good;

	setup(s);
	A.send.n = B.recv.n = n - 1;
	B.send.n = A.recv.n = n - 2;
	good = rekey_start(&A.rk, 0) == 0 && send_owed(&A) == 1 &&
	    receive_rekey(&B, FRAME_REKEY) && send_owed(&B) == 2 &&
	    receive_rekey(&A, FRAME_REKEY) && receive_rekey(&A,
	    FRAME_SWITCH) && A.send.n == n && send_owed(&A) == 1 &&
	    send_data(&A, "x") == 0 && send_data(&A, "y") == 0 &&
	    receive_rekey(&B, FRAME_SWITCH) && receive_data(&B, "x") &&
	    receive_data(&B, "y") && B.recv.n == n + 3 && keys_paired();
	ok(good, "%s: SWITCH sealed at nonce %llu, DATA at %llu and %llu: "
	    "all open, nonces continue", s->name, (unsigned long long)n,
	    (unsigned long long)n + 1, (unsigned long long)n + 2);
	teardown();
}

static void
test_nonces(const struct suite *s)
{
	uint8_t k[SUITE_KEY_LEN];
	bool good;

	/* Frame 65536 applies Rekey() to whichever key is current. */
	check_switch_at(s, FRAME_REKEY_INTERVAL - 1);
	check_switch_at(s, FRAME_REKEY_INTERVAL);
	check_switch_at(s, 2 * FRAME_REKEY_INTERVAL - 2);

	/* The Rekey() at 65536 comes after the switch: new key, then
	 * Rekey() of the new key. */
	setup(s);
	A.send.n = B.recv.n = FRAME_REKEY_INTERVAL - 2;
	rekey_start(&A.rk, 0);
	send_owed(&A);
	receive_rekey(&B, FRAME_REKEY);
	send_owed(&B);
	receive_rekey(&A, FRAME_REKEY);
	receive_rekey(&A, FRAME_SWITCH);
	send_owed(&A);			/* SWITCH at 65535 */
	memcpy(k, A.send.k, sizeof(k));	/* the new key */
	good = send_data(&A, "z") == 0 &&	/* 65536: Rekey(new) */
	    memcmp(k, A.send.k, sizeof(k)) != 0 &&
	    receive_rekey(&B, FRAME_SWITCH) && receive_data(&B, "z");
	ok(good, "%s: Rekey() at frame 65536 applies to the key the SWITCH "
	    "at 65535 installed", s->name);
	teardown();
}

/* ---- schedule ---- */

static void
test_schedule(const struct suite *s)
{
	const long long t = INTERVAL_S * 1000;
	struct got g;

	setup(s);
	ok(!rekey_due(&A.rk, t - 1) && rekey_due(&A.rk, t) &&
	    rekey_deadline(&A.rk) == t,
	    "%s: due %lld ms after Split, not a millisecond sooner",
	    s->name, t);
	rekey_start(&A.rk, t + 5);
	ok(!rekey_due(&A.rk, 100 * t) && rekey_deadline(&A.rk) == -1,
	    "%s: never due while a round is in progress", s->name);
	send_owed(&A);
	receive_rekey(&B, FRAME_REKEY);
	ok(!rekey_due(&B.rk, 100 * t) && rekey_deadline(&B.rk) == -1,
	    "%s: the peer's REKEY starts our round too", s->name);
	send_owed(&B);
	receive_rekey(&A, FRAME_REKEY);
	receive_rekey(&A, FRAME_SWITCH);
	send_owed(&A);
	receive_rekey(&B, FRAME_SWITCH);
	ok(rekey_deadline(&A.rk) == 2 * t + 5 && !rekey_due(&A.rk, 2 * t + 4)
	    && rekey_due(&A.rk, 2 * t + 5),
	    "%s: the next round is due an interval after this one started",
	    s->name);
	ok(rekey_deadline(&B.rk) == t && rekey_due(&B.rk, t),
	    "%s: the answering side counts from when the REKEY arrived "
	    "(the caller's time, 0 here)", s->name);
	teardown();

	setup(s);
	rekey_count(&A.rk, (size_t)(REKEY_BYTE_LIMIT / 2));
	rekey_count(&A.rk, (size_t)(REKEY_BYTE_LIMIT / 2 - 1));
	ok(!rekey_due(&A.rk, 0), "%s: 2^34 - 1 bytes sent: not due",
	    s->name);
	rekey_count(&A.rk, 1);
	ok(rekey_due(&A.rk, 0), "%s: 2^34 bytes sent: due", s->name);
	rekey_start(&A.rk, 0);
	ok(A.rk.bytes_sent == 0, "%s: a round's start resets the byte "
	    "count", s->name);
	teardown();

	setup(s);
	rekey_clear(&A.rk);
	rekey_init(&A.rk, s, ROLE_INITIATOR, B.rk.rk, 0, 0);
	ok(!rekey_due(&A.rk, 1LL << 40) && rekey_deadline(&A.rk) == -1,
	    "%s: interval 0: never due by the clock", s->name);
	rekey_count(&A.rk, (size_t)REKEY_BYTE_LIMIT);
	ok(rekey_due(&A.rk, 0), "%s: interval 0: the byte limit still "
	    "applies", s->name);
	rekey_count(&A.rk, SIZE_MAX);
	rekey_count(&A.rk, SIZE_MAX);
	ok(A.rk.bytes_sent == UINT64_MAX, "%s: the byte count saturates",
	    s->name);
	teardown();

	/* A REKEY arriving makes rekey_received() start the round. */
	setup(s);
	rekey_start(&A.rk, 0);
	send_owed(&A);
	ok(receive(&B, true, 3 * t, &g) == 0 && rekey_in_round(&B.rk) &&
	    B.rk.round_mark_ms == 3 * t,
	    "%s: the peer's REKEY marks the round's start with our time",
	    s->name);
	teardown();
}

static void
test_clear(const struct suite *s)
{
	struct rekey r;

	setup(s);
	rekey_start(&A.rk, 0);
	r = A.rk;
	rekey_clear(&r);
	ok(all_zero(&r, sizeof(r)), "%s: rekey_clear() wipes everything",
	    s->name);
	rekey_clear(NULL);
	wipe(&r, sizeof(r));
	teardown();
}

int
main(void)
{
	static const struct suite *const suites[] = { &suite_x25519,
	    &suite_p256 };

	if (suite_init() != 0)
		return 1;
	test_bad_keys();
	for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
		test_order_errors(suites[i]);
		test_refused_calls(suites[i]);
		test_one_side_starts(suites[i]);
		test_both_start(suites[i]);
		test_many_rounds(suites[i]);
		test_quiet(suites[i]);
		test_nonces(suites[i]);
		test_schedule(suites[i]);
		test_clear(suites[i]);
	}
	return tap_done();
}
