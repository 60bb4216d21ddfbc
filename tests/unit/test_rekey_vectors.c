/*
 * test_rekey_vectors.c - protocol v2 known-answer vectors for both suites:
 * sealcat/v2_p256.json and sealcat/v2_x25519.json, made by gen_v2.py, an
 * implementation of PROTOCOL.md in Python on pyca/cryptography that shares
 * no code with sealcat.
 *
 * Each vector: a fixed-key handshake (messages byte for byte, handshake
 * hash, Split's two keys and rk), then a script of steps run in order on
 * the two sides, calling the modules as the relay will: frame.c seals and
 * opens, rekey.c runs the rounds (ephemerals fixed by the vector), ending.c
 * follows CLOSE, DONE and ERROR.  Every sealed frame must equal the
 * vector's bytes, every opened one its type, body and nonce, and every
 * derivation its rk and keys.  A failure names the vector and the step.
 */
#include <string.h>

#include "session/ending.h"
#include "session/frame.h"
#include "noise/noise.h"
#include "session/rekey.h"
#include "crypto/suite.h"
#include "tap.h"
#include "base/util.h"
#include "vectors.h"

#define QUEUE_MAX 16

struct side {
	struct rekey rk;
	struct ending end;
	struct cipher_state send, recv;
	/* Frames this side sealed that the other has not opened. */
	uint8_t queue[QUEUE_MAX][512];
	size_t queue_len[QUEUE_MAX];
	size_t head, count;
};

static struct side sides[2];	/* initiator, responder */

/* Where a step failed, for the TAP line; empty while all is well. */
static char failure[256];

static bool
fail(size_t step, const char *what)
{
	if (failure[0] == '\0')
		snprintf(failure, sizeof(failure), "step %zu: %s", step, what);
	return false;
}

static bool
all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static bool
hex_is(const json_t *obj, const char *name, const uint8_t *want,
    size_t want_len)
{
	size_t len = 0;
	uint8_t *got = vectors_hex(obj, name, &len);
	bool same = got != NULL && len == want_len &&
	    memcmp(got, want, len) == 0;

	free(got);
	return same;
}

/* The handshake, Split and rk; sets up both sides. */
static bool
handshake(const struct suite *s, const json_t *v)
{
	static const char *const priv_names[4] = { "init_static",
	    "init_ephemeral", "resp_static", "resp_ephemeral" };
	uint8_t priv[4][SUITE_PRIV_LEN], s_pub[2][SUITE_PUB_MAX];
	uint8_t rk[2][SUITE_HASH_MAX], h[SUITE_HASH_MAX];
	const json_t *msgs = json_object_get(v, "handshake");
	static struct handshake_state hs[2];
	static uint8_t msg[NOISE_MSG_MAX];
	uint8_t *prologue = NULL;
	size_t prologue_len = 0, len;
	bool good = json_array_size(msgs) == 3;

	for (int i = 0; i < 4 && good; i++) {
		uint8_t *p = vectors_hex(v, priv_names[i], &len);

		good = p != NULL && len == SUITE_PRIV_LEN;
		if (good)
			memcpy(priv[i], p, SUITE_PRIV_LEN);
		free(p);
	}
	prologue = vectors_hex(v, "prologue", &prologue_len);
	good = good && prologue != NULL &&
	    s->pubkey(s_pub[0], priv[0]) == 0 &&
	    s->pubkey(s_pub[1], priv[2]) == 0 &&
	    noise_init(&hs[0], s, ROLE_INITIATOR, prologue, prologue_len,
	    priv[0], s_pub[0]) == 0 &&
	    noise_init(&hs[1], s, ROLE_RESPONDER, prologue, prologue_len,
	    priv[2], s_pub[1]) == 0 &&
	    noise_set_ephemeral(&hs[0], priv[1]) == 0 &&
	    noise_set_ephemeral(&hs[1], priv[3]) == 0;
	free(prologue);
	if (!good) {
		fail(0, "cannot set up the handshake");
		goto out;
	}
	for (size_t i = 0; i < 3 && good; i++) {
		struct handshake_state *w = &hs[i % 2], *r = &hs[1 - i % 2];
		const char *text = json_string_value(json_array_get(msgs, i));
		size_t want_len = 0;
		uint8_t *want = hex_decode(text != NULL ? text : "",
		    &want_len);

		good = want != NULL &&
		    noise_write_message(w, NULL, 0, msg, sizeof(msg),
		    &len) == 0 && len == want_len &&
		    memcmp(msg, want, len) == 0 &&
		    noise_read_message(r, msg, len, NULL, 0, NULL) == 0;
		free(want);
		if (!good)
			fail(0, "a handshake message differs");
	}
	good = good && noise_rekey_secret(&hs[0], rk[0]) == 0 &&
	    noise_rekey_secret(&hs[1], rk[1]) == 0 &&
	    hex_is(v, "split_rk", rk[0], s->hash_len) &&
	    hex_is(v, "split_rk", rk[1], s->hash_len);
	if (!good) {
		fail(0, "rk differs");
		goto out;
	}
	good = noise_split(&hs[0], &sides[0].send, &sides[0].recv, h) == 0 &&
	    hex_is(v, "handshake_hash", h, s->hash_len) &&
	    noise_split(&hs[1], &sides[1].send, &sides[1].recv, NULL) == 0 &&
	    hex_is(v, "split_k1", sides[0].send.k, SUITE_KEY_LEN) &&
	    hex_is(v, "split_k2", sides[0].recv.k, SUITE_KEY_LEN) &&
	    hex_is(v, "split_k1", sides[1].recv.k, SUITE_KEY_LEN) &&
	    hex_is(v, "split_k2", sides[1].send.k, SUITE_KEY_LEN);
	if (!good) {
		fail(0, "the handshake hash or a Split key differs");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		ending_init(&sides[i].end);
		good = good && rekey_init(&sides[i].rk, s,
		    i == 0 ? ROLE_INITIATOR : ROLE_RESPONDER, rk[i], 0,
		    0) == 0;
	}
out:
	handshake_clear(&hs[0]);
	handshake_clear(&hs[1]);
	wipe(priv, sizeof(priv));
	wipe(rk, sizeof(rk));
	return good;
}

static bool
step_set_ephemeral(struct side *me, const json_t *st, size_t i)
{
	size_t len = 0, pub_len = 0;
	uint8_t *priv = vectors_hex(st, "private", &len);
	uint8_t *pub = vectors_hex(st, "public", &pub_len);
	uint8_t got[SUITE_PUB_MAX];
	bool good = priv != NULL && pub != NULL && len == SUITE_PRIV_LEN &&
	    me->rk.suite->pubkey(got, priv) == 0 &&
	    pub_len == me->rk.suite->pub_len &&
	    memcmp(got, pub, pub_len) == 0 &&
	    rekey_set_ephemeral(&me->rk, priv) == 0;

	free(priv);
	free(pub);
	return good || fail(i, "set_ephemeral");
}

static bool
step_seal(struct side *me, const json_t *st, size_t i)
{
	enum frame_type type = (enum frame_type)vectors_int(st, "type");
	size_t body_len = 0, frame_len = 0, want_len = 0;
	uint8_t *body = vectors_hex(st, "body", &body_len);
	uint8_t *want = vectors_hex(st, "frame", &want_len);
	size_t slot = (me->head + me->count) % QUEUE_MAX;
	uint8_t *f = me->queue[slot];
	enum frame_type owed;
	bool rekey_frame = type == FRAME_REKEY || type == FRAME_SWITCH;
	bool good = false;

	if (body == NULL || want == NULL || me->count == QUEUE_MAX ||
	    FRAME_BODY_OFFSET + body_len + SUITE_TAG_LEN > sizeof(me->queue[0]))
		goto out;
	/* The relay sends what rekey.c owes before anything else. */
	if (rekey_owes(&me->rk, &owed) != rekey_frame ||
	    (rekey_frame && owed != type)) {
		fail(i, "the frame is not the one rekey_owes() names");
		goto out;
	}
	if (!ending_may_send(&me->end, type)) {
		fail(i, "ending_may_send() refuses the frame");
		goto out;
	}
	if (type == FRAME_REKEY) {
		size_t n = 0;

		if (rekey_write(&me->rk, f + FRAME_BODY_OFFSET,
		    sizeof(me->queue[0]) - FRAME_BODY_OFFSET, &n) != 0 ||
		    n != body_len ||
		    memcmp(f + FRAME_BODY_OFFSET, body, n) != 0) {
			fail(i, "the REKEY body differs");
			goto out;
		}
	} else if (body_len > 0)
		memcpy(f + FRAME_BODY_OFFSET, body, body_len);
	if ((long long)me->send.n != vectors_int(st, "nonce") ||
	    frame_seal(&me->send, type, f, sizeof(me->queue[0]), body_len,
	    &frame_len) != 0 || frame_len != want_len ||
	    memcmp(f, want, want_len) != 0) {
		fail(i, "the sealed frame differs");
		goto out;
	}
	if ((rekey_frame && rekey_sent(&me->rk, type, &me->send) != 0) ||
	    ending_sent(&me->end, type) != 0) {
		fail(i, "rekey_sent() or ending_sent() refused");
		goto out;
	}
	me->queue_len[slot] = frame_len;
	me->count++;
	good = true;
out:
	free(body);
	free(want);
	return good;
}

static bool
step_open(struct side *me, struct side *peer, const json_t *st, size_t i)
{
	size_t body_len = 0, want_len = 0;
	uint8_t *want = vectors_hex(st, "body", &want_len);
	enum frame_type type;
	const char *why = NULL;
	uint64_t nonce = me->recv.n;
	uint8_t *f;
	bool good = false;

	if (want == NULL || peer->count == 0)
		goto out;
	f = peer->queue[peer->head];
	peer->head = (peer->head + 1) % QUEUE_MAX;
	peer->count--;
	if (frame_open(&me->recv, f + FRAME_HEADER_LEN, get_be16(f), &type,
	    &body_len, &why) != 0 || (long long)type !=
	    vectors_int(st, "type") || body_len != want_len ||
	    memcmp(f + FRAME_BODY_OFFSET, want, want_len) != 0 ||
	    (long long)nonce != vectors_int(st, "nonce")) {
		fail(i, "the frame does not open as the vector says");
		goto out;
	}
	if (ending_received(&me->end, type, &why) != 0) {
		fail(i, why);
		goto out;
	}
	if ((type == FRAME_REKEY || type == FRAME_SWITCH) &&
	    rekey_received(&me->rk, type, f + FRAME_BODY_OFFSET, body_len,
	    &me->recv, ending_may_send(&me->end, FRAME_REKEY), 0, &why) !=
	    REKEY_OK) {
		fail(i, why);
		goto out;
	}
	/* Delivery of the peer's stream is immediate here. */
	if (type == FRAME_CLOSE && ending_delivered(&me->end) != 0) {
		fail(i, "ending_delivered() refused");
		goto out;
	}
	good = true;
out:
	free(want);
	return good;
}

static bool
step_derived(struct side *me, const json_t *st, size_t i)
{
	const struct suite *s = me->rk.suite;
	bool initiator = me->rk.role == ROLE_INITIATOR;
	bool good = me->rk.keys_ready &&
	    (long long)rekey_rounds(&me->rk) == vectors_int(st, "round") &&
	    hex_is(st, "rk", me->rk.rk, s->hash_len) &&
	    hex_is(st, initiator ? "k_i2r" : "k_r2i", me->rk.send_k,
	    SUITE_KEY_LEN) &&
	    hex_is(st, initiator ? "k_r2i" : "k_i2r", me->rk.recv_k,
	    SUITE_KEY_LEN) &&
	    all_zero(me->rk.e_priv, sizeof(me->rk.e_priv));

	return good || fail(i, "the derived rk or keys differ");
}

static bool
run_steps(const json_t *v)
{
	const json_t *steps = json_object_get(v, "steps");
	long long start = vectors_int(v, "start_nonce");
	const json_t *st;
	size_t i;

	if (start < 0 || json_array_size(steps) == 0)
		return fail(0, "no steps or no start_nonce");
	for (int k = 0; k < 2; k++)
		sides[k].send.n = sides[k].recv.n = (uint64_t)start;
	json_array_foreach(steps, i, st) {
		const char *op = vectors_str(st, "op");
		bool initiator = strcmp(vectors_str(st, "side"),
		    "initiator") == 0;
		struct side *me = &sides[initiator ? 0 : 1];
		struct side *peer = &sides[initiator ? 1 : 0];
		bool good;

		if (strcmp(op, "set_ephemeral") == 0)
			good = step_set_ephemeral(me, st, i);
		else if (strcmp(op, "start") == 0)
			good = rekey_start(&me->rk, 0) == 0 ||
			    fail(i, "rekey_start() failed");
		else if (strcmp(op, "seal") == 0)
			good = step_seal(me, st, i);
		else if (strcmp(op, "open") == 0)
			good = step_open(me, peer, st, i);
		else if (strcmp(op, "derived") == 0)
			good = step_derived(me, st, i);
		else if (strcmp(op, "finished") == 0)
			good = !rekey_in_round(&me->rk) ||
			    fail(i, "the round is not finished");
		else
			good = fail(i, "unknown op");
		if (!good)
			return false;
	}
	return (sides[0].count == 0 && sides[1].count == 0) ||
	    fail(i, "a frame was never opened");
}

static void
run_vector(const char *file, size_t index, const json_t *v,
    const struct suite *s, enum ending_outcome want_i,
    enum ending_outcome want_r)
{
	enum ending_outcome got_i, got_r;
	bool good;

	memset(sides, 0, sizeof(sides));
	failure[0] = '\0';
	good = handshake(s, v);
	ok(good, "%s #%zu: handshake, handshake hash, Split keys and rk "
	    "match%s%s", file, index, good ? "" : " - ", failure);
	if (!good)
		return;
	good = run_steps(v);
	ok(good, "%s #%zu: %zu steps (frames byte for byte, rounds, keys) "
	    "match%s%s", file, index,
	    json_array_size(json_object_get(v, "steps")), good ? "" : " - ",
	    failure);
	got_i = ending_conclude(&sides[0].end, true);
	got_r = ending_conclude(&sides[1].end, true);
	ok(good && got_i == want_i && got_r == want_r,
	    "%s #%zu: the ending: initiator \"%s\", responder \"%s\"", file,
	    index, ending_describe(got_i), ending_describe(got_r));
	for (int k = 0; k < 2; k++) {
		rekey_clear(&sides[k].rk);
		cipher_state_clear(&sides[k].send);
		cipher_state_clear(&sides[k].recv);
	}
}

static void
test_file(const char *file, const struct suite *s)
{
	/* What each vector's script leads to, for both sides. */
	static const enum ending_outcome want[2][2] = {
		{ ENDING_OK, ENDING_OK },
		{ ENDING_LOCAL_ERROR, ENDING_UNDELIVERED },
	};
	json_t *root = vectors_load(file);
	const json_t *list = json_object_get(root, "vectors");
	size_t i;
	json_t *v;

	if (root == NULL)
		return;
	ok(json_array_size(list) == ARRAY_LEN(want), "%s: %zu vectors", file,
	    json_array_size(list));
	json_array_foreach(list, i, v) {
		if (i >= ARRAY_LEN(want))
			break;
		if (strcmp(vectors_str(v, "protocol_name"), s->protocol) != 0) {
			ok(false, "%s #%zu: protocol %s", file, i,
			    vectors_str(v, "protocol_name"));
			continue;
		}
		run_vector(file, i, v, s, want[i][0], want[i][1]);
	}
	json_decref(root);
}

int
main(void)
{
	if (suite_init() != 0)
		return 1;
	test_file("sealcat/v2_p256.json", &suite_p256);
	test_file("sealcat/v2_x25519.json", &suite_x25519);
	return tap_done();
}
