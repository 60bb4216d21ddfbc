/*
 * gen_corpus.c - writes the seed corpora of the fuzz targets:
 *
 *   tests/fuzz/gen_corpus tests/fuzz/corpus
 *
 * Seeds are real protocol traffic between the fixed keys of fuzz.h (so the
 * fuzzers start from handshakes that complete and frames that open), plus
 * one seed per way the input can be wrong.  A name says what the target
 * must do with the seed: ok-* is accepted all the way, bad-* is refused;
 * replay_<target> checks that under `make check`.  Everything is
 * deterministic: running this again gives the same files.
 */
#include <errno.h>
#include <sys/stat.h>

#include <sodium.h>

#include "fuzz.h"
#include "session/frame.h"
#include "keys/keyfile.h"
#include "session/rekey.h"
#include "base/util.h"
#include "rendezvous/rendezvous.h"

struct seed {
	uint8_t *data;
	size_t len;
	size_t cap;
};

static const char *out_dir;

static void
add(struct seed *s, const void *p, size_t len)
{
	if (len > s->cap - s->len) {
		s->cap = (s->len + len) * 2;
		s->data = realloc(s->data, s->cap);
		FUZZ_ASSERT(s->data != NULL);
	}
	if (len > 0)
		memcpy(s->data + s->len, p, len);
	s->len += len;
}

static void
add_byte(struct seed *s, uint8_t b)
{
	add(s, &b, 1);
}

static void
add_str(struct seed *s, const char *text)
{
	add(s, text, strlen(text));
}

static void
add_record(struct seed *s, const uint8_t *p, size_t len)
{
	uint8_t be[2];

	FUZZ_ASSERT(len <= 0xffff);
	put_be16(be, (uint16_t)len);
	add(s, be, sizeof(be));
	add(s, p, len);
}

static struct seed
start(uint8_t flags)
{
	struct seed s = { NULL, 0, 0 };

	add_byte(&s, flags);
	return s;
}

static void
save(struct seed *s, const char *target, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	FUZZ_ASSERT(mkdir(path, 0755) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	f = fopen(path, "wb");
	FUZZ_ASSERT(f != NULL);
	FUZZ_ASSERT(fwrite(s->data, 1, s->len, f) == s->len);
	FUZZ_ASSERT(fclose(f) == 0);
	free(s->data);
	s->data = NULL;
}

/* ---- handshakes ---- */

struct messages {
	uint8_t msg[3][NOISE_MSG_MAX];
	size_t len[3];
};

/* Payloads in the messages a fuzzed peer writes; the target's own side
 * writes empty payloads, as conn.c does. */
#define FROM_INITIATOR 0x5	/* messages 1 and 3 */
#define FROM_RESPONDER 0x2	/* message 2 */

/* A handshake between the fixed keys, with a payload in message i when bit
 * i of payloads is set. */
static void
handshake(const struct suite *suite, unsigned payloads, struct messages *m)
{
	static const uint8_t payload[] = "v1 receivers ignore payloads";
	uint8_t got[NOISE_MSG_MAX];
	struct handshake_state ini, res;
	size_t got_len;

	fuzz_handshake_init(&ini, suite, ROLE_INITIATOR);
	fuzz_handshake_init(&res, suite, ROLE_RESPONDER);
	for (int i = 0; i < 3; i++) {
		struct handshake_state *w = i % 2 == 0 ? &ini : &res;
		struct handshake_state *r = i % 2 == 0 ? &res : &ini;
		size_t payload_len = (payloads >> i & 1) ? sizeof(payload) : 0;

		FUZZ_ASSERT(noise_write_message(w, payload, payload_len,
		    m->msg[i], sizeof(m->msg[i]), &m->len[i]) == 0);
		FUZZ_ASSERT(noise_read_message(r, m->msg[i], m->len[i], got,
		    sizeof(got), &got_len) == 0 && got_len == payload_len);
	}
	handshake_clear(&ini);
	handshake_clear(&res);
}

static void
responder_seeds(void)
{
	const char *t = "handshake_responder";
	struct messages m;
	struct seed s;

	handshake(&suite_x25519, 0, &m);
	s = start(0);
	add_record(&s, m.msg[0], m.len[0]);
	add_record(&s, m.msg[2], m.len[2]);
	save(&s, t, "ok-x25519");

	s = start(0);
	add_record(&s, m.msg[0], m.len[0]);
	save(&s, t, "bad-x25519-no-message-3");

	s = start(0);
	add_record(&s, m.msg[0], m.len[0]);
	m.msg[2][m.len[2] - 1] ^= 0x01;
	add_record(&s, m.msg[2], m.len[2]);
	save(&s, t, "bad-x25519-message-3-tag-flipped");

	s = start(0);
	add_record(&s, m.msg[0], m.len[0] - 1);
	save(&s, t, "bad-x25519-message-1-short");

	/* A low-order point as e: reading passes, the ee DH of message 2
	 * gives zeros. */
	memset(m.msg[0], 0, m.len[0]);
	s = start(0);
	add_record(&s, m.msg[0], m.len[0]);
	save(&s, t, "bad-x25519-message-1-low-order-e");

	handshake(&suite_x25519, FROM_INITIATOR, &m);
	s = start(FUZZ_PAYLOAD);
	add_record(&s, m.msg[0], m.len[0]);
	add_record(&s, m.msg[2], m.len[2]);
	save(&s, t, "ok-x25519-payloads");
	s = start(0);
	add_record(&s, m.msg[0], m.len[0]);
	add_record(&s, m.msg[2], m.len[2]);
	save(&s, t, "bad-x25519-payloads-without-buffer");

	handshake(&suite_p256, 0, &m);
	s = start(FUZZ_P256);
	add_record(&s, m.msg[0], m.len[0]);
	add_record(&s, m.msg[2], m.len[2]);
	save(&s, t, "ok-p256");

	/* The same point in the hybrid encoding (0x06/0x07 || X || Y, as
	 * long as the uncompressed one): refused. */
	s = start(FUZZ_P256);
	m.msg[0][0] = (uint8_t)(0x06 | (m.msg[0][64] & 1));
	add_record(&s, m.msg[0], m.len[0]);
	save(&s, t, "bad-p256-message-1-hybrid-e");
}

static void
initiator_seeds(void)
{
	const char *t = "handshake_initiator";
	struct messages m;
	struct seed s;

	handshake(&suite_x25519, 0, &m);
	s = start(0);
	add_record(&s, m.msg[1], m.len[1]);
	save(&s, t, "ok-x25519");

	s = start(0);
	add_record(&s, m.msg[1], m.len[1] - 20);
	save(&s, t, "bad-x25519-message-2-short");

	s = start(0);
	add_record(&s, m.msg[1], m.len[1]);
	s.data[3 + 40] ^= 0x80;		/* inside the encrypted s */
	save(&s, t, "bad-x25519-static-flipped");

	s = start(0);
	memset(m.msg[1], 0, 32);
	add_record(&s, m.msg[1], m.len[1]);
	save(&s, t, "bad-x25519-low-order-e");

	handshake(&suite_x25519, FROM_RESPONDER, &m);
	s = start(FUZZ_PAYLOAD);
	add_record(&s, m.msg[1], m.len[1]);
	save(&s, t, "ok-x25519-payload");
	s = start(0);
	add_record(&s, m.msg[1], m.len[1]);
	save(&s, t, "bad-x25519-payload-without-buffer");

	handshake(&suite_p256, 0, &m);
	s = start(FUZZ_P256);
	add_record(&s, m.msg[1], m.len[1]);
	save(&s, t, "ok-p256");

	/* e moved off the curve: Y + 1. */
	m.msg[1][64] ^= 0x01;
	s = start(FUZZ_P256);
	add_record(&s, m.msg[1], m.len[1]);
	save(&s, t, "bad-p256-e-off-curve");
}

/* ---- frames ---- */

static uint8_t frame[FRAME_BUF_LEN];

/* Seals a frame the way frame_seal() does, but takes any type byte and
 * body length, so authentic frames that break the body rules can be made.
 * No rekey: use it at small nonces only. */
static void
add_raw_frame(struct seed *s, struct cipher_state *cs, uint8_t type,
    size_t body_len)
{
	size_t ct_len;

	FUZZ_ASSERT(cs->n % FRAME_REKEY_INTERVAL != 0 || cs->n == 0);
	frame[FRAME_HEADER_LEN] = type;
	memset(frame + FRAME_BODY_OFFSET, 'x', body_len);
	FUZZ_ASSERT(noise_encrypt(cs, NULL, 0, frame + FRAME_HEADER_LEN,
	    1 + body_len, frame + FRAME_HEADER_LEN,
	    sizeof(frame) - FRAME_HEADER_LEN, &ct_len) == 0);
	add_record(s, frame + FRAME_HEADER_LEN, ct_len);
}

static void
add_frame(struct seed *s, struct cipher_state *cs, enum frame_type type,
    const char *body)
{
	size_t body_len = strlen(body);
	size_t len;

	memcpy(frame + FRAME_BODY_OFFSET, body, body_len);
	FUZZ_ASSERT(frame_seal(cs, type, frame, sizeof(frame), body_len,
	    &len) == 0);
	add(s, frame, len);
}

static void
conversation(struct seed *s, struct cipher_state *cs)
{
	add_frame(s, cs, FRAME_DATA, "hello, world\n");
	add_frame(s, cs, FRAME_PING, "");
	add_frame(s, cs, FRAME_DATA, "x");
	add_frame(s, cs, FRAME_ERROR, "not authorized");
	add_frame(s, cs, FRAME_CLOSE, "");
}

/* A REKEY with body_len bytes of fill, sealed without rekey.c. */
static void
add_rekey_body(struct seed *s, struct cipher_state *cs, const uint8_t *body,
    size_t body_len)
{
	size_t len;

	memcpy(frame + FRAME_BODY_OFFSET, body, body_len);
	FUZZ_ASSERT(frame_seal(cs, FRAME_REKEY, frame, sizeof(frame),
	    body_len, &len) == 0);
	add(s, frame, len);
}

/*
 * Both ends of a seed's rekey rounds: the peer, whose frames go into the
 * seed, and the target as fuzz_frame runs it (answering with the fixed
 * rekey ephemeral of its role).  Kept across the rounds of one seed, as
 * rk changes with every round.
 */
struct rounds {
	struct rekey peer, target;
	struct cipher_state target_send, peer_recv, target_recv;
	bool r2i;
};

static void
rounds_init(struct rounds *r, const struct fuzz_transport *x, bool r2i)
{
	const struct suite *suite = x->i_send.suite;

	r->r2i = r2i;
	r->target_send = r2i ? x->i_send : x->r_send;
	r->peer_recv = r2i ? x->r_recv : x->i_recv;
	r->target_recv = r2i ? x->i_recv : x->r_recv;
	FUZZ_ASSERT(rekey_init(&r->peer, suite, r2i ? ROLE_RESPONDER :
	    ROLE_INITIATOR, r2i ? x->r_rk : x->i_rk, 0, 0) == 0);
	FUZZ_ASSERT(rekey_init(&r->target, suite, r2i ? ROLE_INITIATOR :
	    ROLE_RESPONDER, r2i ? x->i_rk : x->r_rk, 0, 0) == 0);
}

static void
rounds_clear(struct rounds *r)
{
	rekey_clear(&r->peer);
	rekey_clear(&r->target);
	wipe(r, sizeof(*r));
}

/*
 * A rekey round started by the peer, whose frames (REKEY, later SWITCH)
 * go into the seed, sealed with peer_send; the target's answer stays out
 * of the seed.  Afterwards peer_send holds the peer's new sending key, as
 * fuzz_frame's receiving state will.
 */
static void
add_rekey_round(struct seed *s, struct rounds *r,
    struct cipher_state *peer_send)
{
	uint8_t priv[SUITE_PRIV_LEN], body[SUITE_PUB_MAX];
	enum frame_type type;
	size_t body_len, len;
	const char *why;

	fuzz_key(r->r2i ? FUZZ_R_REKEY : FUZZ_I_REKEY, priv);
	FUZZ_ASSERT(rekey_set_ephemeral(&r->peer, priv) == 0);
	fuzz_key(r->r2i ? FUZZ_I_REKEY : FUZZ_R_REKEY, priv);
	FUZZ_ASSERT(rekey_set_ephemeral(&r->target, priv) == 0);

	FUZZ_ASSERT(rekey_start(&r->peer, 0) == 0);
	FUZZ_ASSERT(rekey_write(&r->peer, body, sizeof(body), &body_len) ==
	    0);
	add_rekey_body(s, peer_send, body, body_len);
	FUZZ_ASSERT(rekey_sent(&r->peer, FRAME_REKEY, peer_send) == 0);
	FUZZ_ASSERT(rekey_received(&r->target, FRAME_REKEY, body, body_len,
	    &r->target_recv, true, 0, &why) == REKEY_OK);
	/* The target's REKEY and SWITCH reach the peer. */
	while (rekey_owes(&r->target, &type)) {
		body_len = 0;
		if (type == FRAME_REKEY)
			FUZZ_ASSERT(rekey_write(&r->target, body,
			    sizeof(body), &body_len) == 0);
		FUZZ_ASSERT(rekey_sent(&r->target, type, &r->target_send) ==
		    0);
		FUZZ_ASSERT(rekey_received(&r->peer, type, body, body_len,
		    &r->peer_recv, true, 0, &why) == REKEY_OK);
	}
	FUZZ_ASSERT(rekey_owes(&r->peer, &type) && type == FRAME_SWITCH);
	FUZZ_ASSERT(frame_seal(peer_send, FRAME_SWITCH, frame, sizeof(frame),
	    0, &len) == 0);
	add(s, frame, len);
	FUZZ_ASSERT(rekey_sent(&r->peer, FRAME_SWITCH, peer_send) == 0);
	/* The target takes the peer's SWITCH as fuzz_frame will. */
	FUZZ_ASSERT(rekey_received(&r->target, FRAME_SWITCH, NULL, 0,
	    &r->target_recv, true, 0, &why) == REKEY_OK);
	FUZZ_ASSERT(!rekey_in_round(&r->peer) &&
	    !rekey_in_round(&r->target));
	wipe(priv, sizeof(priv));
}

/* The v2 types and the order rules of ending.c and rekey.c. */
static void
frame_v2_seeds(const struct fuzz_transport *x, const struct fuzz_transport *p)
{
	const char *t = "frame";
	struct cipher_state cs, old;
	struct rounds r;
	uint8_t zeros[SUITE_PUB_MAX] = { 0 };
	uint8_t priv[SUITE_PRIV_LEN], pub[SUITE_PUB_MAX];
	struct seed s;

	s = start(FUZZ_RULES);
	cs = x->i_send;
	add_frame(&s, &cs, FRAME_DATA, "before the round");
	rounds_init(&r, x, false);
	add_rekey_round(&s, &r, &cs);
	rounds_clear(&r);
	add_frame(&s, &cs, FRAME_DATA, "under the new key");
	add_frame(&s, &cs, FRAME_CLOSE, "");
	save(&s, t, "ok-x25519-rekey-round");

	s = start(FUZZ_RULES | FUZZ_R2I | FUZZ_P256);
	cs = p->r_send;
	rounds_init(&r, p, true);
	add_rekey_round(&s, &r, &cs);
	add_frame(&s, &cs, FRAME_DATA, "under the new key");
	add_rekey_round(&s, &r, &cs);
	rounds_clear(&r);
	add_frame(&s, &cs, FRAME_CLOSE, "");
	save(&s, t, "ok-p256-responder-two-rounds");

	/* REKEY at 65534, SWITCH at 65535, DATA at 65536 after Rekey() of
	 * the new key. */
	s = start(FUZZ_RULES | FUZZ_NEAR_REKEY);
	cs = x->i_send;
	cs.n = FRAME_REKEY_INTERVAL - 2;
	rounds_init(&r, x, false);
	add_rekey_round(&s, &r, &cs);
	rounds_clear(&r);
	add_frame(&s, &cs, FRAME_DATA, "nonce 65536");
	save(&s, t, "ok-x25519-rekey-round-across-65536");

	s = start(FUZZ_RULES | FUZZ_CLOSED);
	cs = x->i_send;
	add_frame(&s, &cs, FRAME_DATA, "your stream arrived; mine goes on");
	add_frame(&s, &cs, FRAME_DONE, "");
	add_frame(&s, &cs, FRAME_PING, "");
	add_frame(&s, &cs, FRAME_DATA, "more");
	add_frame(&s, &cs, FRAME_CLOSE, "");
	save(&s, t, "ok-x25519-done-after-our-close");

	/* The relay stops at an ERROR; what follows is never looked at. */
	s = start(FUZZ_RULES);
	cs = x->i_send;
	add_frame(&s, &cs, FRAME_DATA, "x");
	add_frame(&s, &cs, FRAME_ERROR, "No space left on device");
	add_str(&s, "\x00\x10 not a frame");
	save(&s, t, "ok-x25519-stops-at-error");

	/* Without the rules, each new type on its own opens. */
	s = start(0);
	cs = x->i_send;
	fuzz_key(FUZZ_I_REKEY, priv);
	FUZZ_ASSERT(suite_x25519.pubkey(pub, priv) == 0);
	add_frame(&s, &cs, FRAME_DONE, "");
	add_rekey_body(&s, &cs, pub, suite_x25519.pub_len);
	add_frame(&s, &cs, FRAME_SWITCH, "");
	save(&s, t, "ok-x25519-v2-types");

	s = start(0);
	cs = x->i_send;
	add_raw_frame(&s, &cs, FRAME_DONE, 1);
	save(&s, t, "bad-x25519-done-with-body");

	s = start(0);
	cs = x->i_send;
	add_raw_frame(&s, &cs, FRAME_SWITCH, 1);
	save(&s, t, "bad-x25519-switch-with-body");

	s = start(FUZZ_P256);
	cs = p->i_send;
	add_raw_frame(&s, &cs, FRAME_REKEY, suite_p256.pub_len - 1);
	save(&s, t, "bad-p256-rekey-short");

	s = start(FUZZ_RULES);
	cs = x->i_send;
	add_frame(&s, &cs, FRAME_DONE, "");
	save(&s, t, "bad-x25519-done-before-our-close");

	s = start(FUZZ_RULES | FUZZ_CLOSED);
	cs = x->i_send;
	add_frame(&s, &cs, FRAME_DONE, "");
	add_frame(&s, &cs, FRAME_DONE, "");
	save(&s, t, "bad-x25519-second-done");

	s = start(FUZZ_RULES | FUZZ_CLOSED);
	cs = x->i_send;
	add_frame(&s, &cs, FRAME_CLOSE, "");
	add_frame(&s, &cs, FRAME_DONE, "");
	add_frame(&s, &cs, FRAME_PING, "");
	save(&s, t, "bad-x25519-frame-after-close-and-done");

	s = start(FUZZ_RULES);
	cs = x->i_send;
	add_frame(&s, &cs, FRAME_CLOSE, "");
	add_frame(&s, &cs, FRAME_DATA, "late");
	save(&s, t, "bad-x25519-data-after-close");

	s = start(FUZZ_RULES);
	cs = x->i_send;
	add_frame(&s, &cs, FRAME_SWITCH, "");
	save(&s, t, "bad-x25519-switch-before-rekey");

	s = start(FUZZ_RULES);
	cs = x->i_send;
	add_rekey_body(&s, &cs, pub, suite_x25519.pub_len);
	add_rekey_body(&s, &cs, pub, suite_x25519.pub_len);
	save(&s, t, "bad-x25519-second-rekey");

	s = start(FUZZ_RULES);
	cs = x->i_send;
	add_rekey_body(&s, &cs, zeros, suite_x25519.pub_len);
	save(&s, t, "bad-x25519-rekey-low-order");

	s = start(FUZZ_RULES | FUZZ_P256);
	cs = p->i_send;
	FUZZ_ASSERT(suite_p256.pubkey(pub, priv) == 0);
	pub[64] ^= 0x01;
	add_rekey_body(&s, &cs, pub, suite_p256.pub_len);
	save(&s, t, "bad-p256-rekey-off-curve");

	/* A peer that SWITCHes but keeps sealing with its old key. */
	s = start(FUZZ_RULES);
	cs = x->i_send;
	old = cs;
	rounds_init(&r, x, false);
	add_rekey_round(&s, &r, &cs);
	rounds_clear(&r);
	old.n = cs.n;
	add_frame(&s, &old, FRAME_DATA, "under the old key");
	save(&s, t, "bad-x25519-old-key-after-switch");
	wipe(priv, sizeof(priv));
}

static void
frame_seeds(void)
{
	const char *t = "frame";
	struct fuzz_transport x, p;
	struct cipher_state cs;
	struct seed s;
	size_t len;

	fuzz_transport(&suite_x25519, &x);
	fuzz_transport(&suite_p256, &p);

	s = start(0);
	cs = x.i_send;
	conversation(&s, &cs);
	save(&s, t, "ok-x25519-initiator-to-responder");

	s = start(FUZZ_P256 | FUZZ_R2I);
	cs = p.r_send;
	conversation(&s, &cs);
	save(&s, t, "ok-p256-responder-to-initiator");

	s = start(FUZZ_NEAR_REKEY);
	cs = x.i_send;
	cs.n = FRAME_REKEY_INTERVAL - 2;
	conversation(&s, &cs);
	save(&s, t, "ok-x25519-across-rekey");

	s = start(FUZZ_P256 | FUZZ_NEAR_REKEY);
	cs = p.i_send;
	cs.n = FRAME_REKEY_INTERVAL - 2;
	conversation(&s, &cs);
	save(&s, t, "ok-p256-across-rekey");

	/* The largest frame: L = 65535, 65518 bytes of DATA. */
	s = start(0);
	cs = x.i_send;
	memset(frame + FRAME_BODY_OFFSET, 'y', FRAME_BODY_MAX);
	FUZZ_ASSERT(frame_seal(&cs, FRAME_DATA, frame, sizeof(frame),
	    FRAME_BODY_MAX, &len) == 0 && len == FRAME_BUF_LEN);
	add(&s, frame, len);
	save(&s, t, "ok-x25519-largest-frame");

	/* Wrong direction: frames sealed with c1 offered to the initiator. */
	s = start(FUZZ_R2I);
	cs = x.i_send;
	conversation(&s, &cs);
	save(&s, t, "bad-x25519-wrong-direction");

	s = start(0);
	cs = x.i_send;
	add_frame(&s, &cs, FRAME_DATA, "once");
	cs = x.i_send;
	add_frame(&s, &cs, FRAME_DATA, "once");
	save(&s, t, "bad-x25519-replayed");

	s = start(0);
	cs = x.i_send;
	add_frame(&s, &cs, FRAME_DATA, "tampered");
	s.data[s.len - 1] ^= 0x01;
	save(&s, t, "bad-x25519-tag-flipped");

	s = start(FUZZ_P256);
	cs = p.i_send;
	add_frame(&s, &cs, FRAME_DATA, "tampered");
	s.data[1 + 2 + 1] ^= 0x01;		/* the first body byte */
	save(&s, t, "bad-p256-body-flipped");

	s = start(0);
	cs = x.i_send;
	add_frame(&s, &cs, FRAME_DATA, "cut short");
	s.len -= 5;
	save(&s, t, "bad-x25519-truncated");

	s = start(0);
	memset(frame, 0, 18);
	frame[1] = 16;
	add(&s, frame, 18);
	save(&s, t, "bad-length-16");

	s = start(0);
	cs = x.i_send;
	add_raw_frame(&s, &cs, 0x07, 3);
	save(&s, t, "bad-x25519-unknown-type");

	s = start(0);
	cs = x.i_send;
	add_raw_frame(&s, &cs, FRAME_DATA, 0);
	save(&s, t, "bad-x25519-empty-data");

	s = start(0);
	cs = x.i_send;
	add_raw_frame(&s, &cs, FRAME_CLOSE, 1);
	save(&s, t, "bad-x25519-close-with-body");

	s = start(FUZZ_P256);
	cs = p.i_send;
	add_raw_frame(&s, &cs, FRAME_ERROR, FRAME_ERROR_MAX + 1);
	save(&s, t, "bad-p256-error-too-long");

	frame_v2_seeds(&x, &p);
}

/* ---- preamble ---- */

static void
preamble_seeds(void)
{
	const char *t = "preamble";
	char line[PREAMBLE_MAX + 1];
	struct messages m;
	struct seed s;

	/* The line, then message 1 already queued behind it. */
	handshake(&suite_x25519, 0, &m);
	s = start(0);
	FUZZ_ASSERT(preamble_build(&suite_x25519, line, sizeof(line)) > 0);
	add_str(&s, line);
	add_record(&s, m.msg[0], m.len[0]);
	save(&s, t, "ok-x25519-then-message-1");

	handshake(&suite_p256, 0, &m);
	s = start(FUZZ_P256);
	FUZZ_ASSERT(preamble_build(&suite_p256, line, sizeof(line)) > 0);
	add_str(&s, line);
	add_record(&s, m.msg[0], m.len[0]);
	save(&s, t, "ok-p256-then-message-1");

	s = start(0);
	add_str(&s, line);
	save(&s, t, "bad-other-suite");

	s = start(0);
	add_str(&s, "SEALCAT/2 Noise_IK_448_ChaChaPoly_BLAKE2b\n");
	save(&s, t, "bad-unknown-protocol");

	s = start(0);
	add_str(&s, "SEALCAT/1 Noise_XX_25519_ChaChaPoly_BLAKE2b\n");
	save(&s, t, "bad-version-1");

	s = start(0);
	add_str(&s, "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b");
	save(&s, t, "bad-no-newline");

	s = start(0);
	add_str(&s, "SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b_"
	    "and_a_very_long_tail\n");
	save(&s, t, "bad-too-long");

	s = start(0);
	add_str(&s, "SSH-2.0-OpenSSH_9.6\r\n");
	save(&s, t, "bad-ssh-banner");

	s = start(0);
	add_str(&s, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
	save(&s, t, "bad-http-request");

	s = start(0);
	save(&s, t, "bad-empty");
}

/* ---- code mode ---- */

struct code_run {
	uint8_t a[CPACE_MSG_A_LEN], b[CPACE_MSG_B_LEN];
	uint8_t msg1[NOISE_MSG_MAX], msg2[NOISE_MSG_MAX];
	size_t msg1_len, msg2_len;	/* msg2_len 0: the listener refused */
};

/*
 * A code-mode run between the fixed keys of fuzz.h, the connector holding
 * connect_code and the listener listen_code; message 2 carries payload
 * (payload_len bytes) when the listener can read message 1.
 */
static void
code_run(const char *connect_code, const char *listen_code,
    const uint8_t *payload, size_t payload_len, struct code_run *r)
{
	struct cpace ini, res;
	struct handshake_state hi, hr;
	size_t len;

	memset(r, 0, sizeof(*r));
	fuzz_cpace_init(&ini, ROLE_INITIATOR);
	fuzz_cpace_init(&res, ROLE_RESPONDER);
	FUZZ_ASSERT(cpace_start(&ini, connect_code, strlen(connect_code),
	    r->a, sizeof(r->a), &len) == 0);
	FUZZ_ASSERT(cpace_respond(&res, listen_code, strlen(listen_code),
	    r->a, sizeof(r->a), r->b, sizeof(r->b), &len) == 0);
	FUZZ_ASSERT(cpace_finish(&ini, r->b, sizeof(r->b)) == 0);
	fuzz_code_handshake_init(&hi, ROLE_INITIATOR, &ini);
	fuzz_code_handshake_init(&hr, ROLE_RESPONDER, &res);
	FUZZ_ASSERT(noise_write_message(&hi, NULL, 0, r->msg1,
	    sizeof(r->msg1), &r->msg1_len) == 0);
	if (noise_read_message(&hr, r->msg1, r->msg1_len, NULL, 0, NULL) == 0)
		FUZZ_ASSERT(noise_write_message(&hr, payload, payload_len,
		    r->msg2, sizeof(r->msg2), &r->msg2_len) == 0);
	handshake_clear(&hi);
	handshake_clear(&hr);
	cpace_clear(&ini);
	cpace_clear(&res);
}

/* message A with Ya replaced by share. */
static void
add_a_with_share(struct seed *s, const struct code_run *r,
    const uint8_t share[CPACE_POINT_LEN])
{
	uint8_t a[CPACE_MSG_A_LEN];

	memcpy(a, r->a, CPACE_SID_LEN);
	memcpy(a + CPACE_SID_LEN, share, CPACE_POINT_LEN);
	add_record(s, a, sizeof(a));
}

static void
cpace_seeds(void)
{
	static const uint8_t one = 0x01, two[2] = { 0x01, 0x00 };
	static const uint8_t three = 0x02;
	/* The draft's "Invalid Y1": not the encoding of a point. */
	static const uint8_t not_a_point[CPACE_POINT_LEN] = {
		0x2b, 0x3c, 0x6b, 0x8c, 0x4f, 0x38, 0x00, 0xe7, 0xae, 0xf6,
		0x86, 0x40, 0x25, 0xb4, 0xed, 0x79, 0xbd, 0x59, 0x91, 0x17,
		0xe4, 0x27, 0xc4, 0x1b, 0xd4, 0x7d, 0x93, 0xd6, 0x54, 0xb4,
		0xa5, 0x1c
	};
	const uint8_t identity[CPACE_POINT_LEN] = { 0 };
	const char *t = "cpace";
	uint8_t share[CPACE_POINT_LEN];
	struct code_run r, wrong;
	struct seed s;

	code_run(FUZZ_CODE, FUZZ_CODE, &one, 1, &r);
	FUZZ_ASSERT(r.msg2_len > 0);

	/* listen: A, then message 1. */
	s = start(0);
	add_record(&s, r.a, sizeof(r.a));
	save(&s, t, "ok-listen-a");
	s = start(0);
	add_record(&s, r.a, sizeof(r.a));
	add_record(&s, r.msg1, r.msg1_len);
	save(&s, t, "ok-listen-a-then-message-1");
	s = start(0);
	add_record(&s, r.a, sizeof(r.a) - 1);
	save(&s, t, "bad-listen-a-47-bytes");
	s = start(0);
	add_record(&s, r.a, sizeof(r.a));
	s.data[2] = CPACE_MSG_A_LEN + 1;	/* declared 49, then */
	add_byte(&s, 0x00);			/* one byte more */
	save(&s, t, "bad-listen-a-49-bytes");
	s = start(0);
	add_record(&s, r.b, sizeof(r.b));
	save(&s, t, "bad-listen-a-b-instead");
	s = start(0);
	add_a_with_share(&s, &r, identity);
	save(&s, t, "bad-listen-a-identity");
	s = start(0);
	add_a_with_share(&s, &r, not_a_point);
	save(&s, t, "bad-listen-a-not-a-point");
	/* Ya with bit 255 set: libsodium 1.0.18 alone would decode it. */
	memcpy(share, r.a + CPACE_SID_LEN, sizeof(share));
	share[CPACE_POINT_LEN - 1] |= 0x80;
	s = start(0);
	add_a_with_share(&s, &r, share);
	save(&s, t, "bad-listen-a-bit-255");
	/* Ya + 1 in its lowest byte: odd, a negative field element. */
	memcpy(share, r.a + CPACE_SID_LEN, sizeof(share));
	share[0] |= 0x01;
	s = start(0);
	add_a_with_share(&s, &r, share);
	save(&s, t, "bad-listen-a-negative");
	s = start(0);
	add_record(&s, r.a, sizeof(r.a));
	r.msg1[r.msg1_len - 1] ^= 0x01;
	add_record(&s, r.msg1, r.msg1_len);
	r.msg1[r.msg1_len - 1] ^= 0x01;
	save(&s, t, "bad-listen-message-1-tag-flipped");
	s = start(0);
	add_record(&s, r.a, sizeof(r.a));
	add_record(&s, r.msg2, r.msg2_len);
	save(&s, t, "bad-listen-message-2-instead");
	/* A connector with another code: its A is fine, message 1 is not. */
	code_run("8-sapphire-clock", FUZZ_CODE, &one, 1, &wrong);
	FUZZ_ASSERT(wrong.msg2_len == 0);
	s = start(0);
	add_record(&s, wrong.a, sizeof(wrong.a));
	add_record(&s, wrong.msg1, wrong.msg1_len);
	save(&s, t, "bad-listen-wrong-code-message-1");

	/* connect: B, then message 2. */
	s = start(FUZZ_CPACE_B);
	add_record(&s, r.b, sizeof(r.b));
	save(&s, t, "ok-connect-b");
	s = start(FUZZ_CPACE_B);
	add_record(&s, r.b, sizeof(r.b));
	add_record(&s, r.msg2, r.msg2_len);
	save(&s, t, "ok-connect-b-then-message-2");
	s = start(FUZZ_CPACE_B);
	add_record(&s, r.b, sizeof(r.b) - 1);
	save(&s, t, "bad-connect-b-31-bytes");
	s = start(FUZZ_CPACE_B);
	add_record(&s, r.a, sizeof(r.a));
	save(&s, t, "bad-connect-b-a-instead");
	s = start(FUZZ_CPACE_B);
	add_record(&s, identity, sizeof(identity));
	save(&s, t, "bad-connect-b-identity");
	memcpy(share, r.b, sizeof(share));
	share[CPACE_POINT_LEN - 1] |= 0x80;
	s = start(FUZZ_CPACE_B);
	add_record(&s, share, sizeof(share));
	save(&s, t, "bad-connect-b-bit-255");
	s = start(FUZZ_CPACE_B);
	add_record(&s, r.b, sizeof(r.b));
	r.msg2[40] ^= 0x01;		/* inside the encrypted s */
	add_record(&s, r.msg2, r.msg2_len);
	r.msg2[40] ^= 0x01;
	save(&s, t, "bad-connect-message-2-static-flipped");

	/* Message 2 payloads: two bytes do not fit, 0x02 is no flag. */
	code_run(FUZZ_CODE, FUZZ_CODE, two, sizeof(two), &r);
	s = start(FUZZ_CPACE_B);
	add_record(&s, r.b, sizeof(r.b));
	add_record(&s, r.msg2, r.msg2_len);
	save(&s, t, "bad-connect-message-2-payload-2-bytes");
	code_run(FUZZ_CODE, FUZZ_CODE, &three, 1, &r);
	s = start(FUZZ_CPACE_B);
	add_record(&s, r.b, sizeof(r.b));
	add_record(&s, r.msg2, r.msg2_len);
	save(&s, t, "bad-connect-message-2-payload-02");

	/* A listener with another code: a good B, then "wrong code" (an
	 * empty message 2). */
	code_run(FUZZ_CODE, "8-sapphire-clock", &one, 1, &wrong);
	s = start(FUZZ_CPACE_B);
	add_record(&s, wrong.b, sizeof(wrong.b));
	add_record(&s, NULL, 0);
	save(&s, t, "bad-connect-wrong-code-empty-message-2");

	s = start(0);
	save(&s, t, "bad-empty");
}

/* ---- key files and tokens ---- */

static void
add_keyfile(struct seed *s, const struct suite *suite, uint8_t key_seed)
{
	struct identity id;
	char text[KEYFILE_MAX];
	size_t len;

	id.suite = suite;
	fuzz_key(key_seed, id.priv);
	FUZZ_ASSERT(suite->pubkey(id.pub, id.priv) == 0);
	FUZZ_ASSERT(keyfile_format(&id, text, sizeof(text), &len) == 0);
	add(s, text, len);
}

static void
add_token(struct seed *s, const struct suite *suite, uint8_t key_seed)
{
	uint8_t priv[SUITE_PRIV_LEN], pub[SUITE_PUB_MAX];
	char token[TOKEN_MAX];

	fuzz_key(key_seed, priv);
	FUZZ_ASSERT(suite->pubkey(pub, priv) == 0);
	FUZZ_ASSERT(token_format(suite, pub, token, sizeof(token)) == 0);
	add_str(s, token);
}

/*
 * Protected key files: two of tests/vectors/sealcat/keyfile_v2.json, at
 * the smallest cost.  The x25519 one opens with fuzz_keyfile.c's
 * passphrase, "open sesame"; the p256 one has another ("x").
 */
static const char sealed_x25519[] =
    "sealcat private key v2 x25519\n"
    "kdf argon2id v=19 m=8 t=1 p=1 salt=Bl6luiHwbqT7F3a3LMuxEw==\n"
    "aead xchacha20poly1305 nonce=xIN+hoalHMhVGZHON+8hssql+/QKOume\n"
    "public x25519:D1hKWPzICCQR6RVDC6CmV0t6gFRrGXO6hFF2qyqFZHA=\n"
    "secret CAqu1Mb2m39CjQVopywx7VeeMJT2YIDZVcpyqhJAlvkwxvfkcW0GQdpOWlAjTDFQ"
    "\n"
    "check wOIQ98f9y6FzS7Uhxb2yxt/0SV9SRF27TqyyKbGzHmw=\n";
static const char sealed_p256[] =
    "sealcat private key v2 p256\n"
    "kdf argon2id v=19 m=8 t=1 p=1 salt=ogo4q7gf9OmTUltOrjqavg==\n"
    "aead xchacha20poly1305 nonce=wSI/J6t4k6eC5lSgzGZ1wtueixfIr5jp\n"
    "public p256:BBrQ/TsYVijEZqxzDgTT/TC126whGrNHqxAd09AZ7kdcO+UzdE+4dHnY7LWE"
    "wUy/2rU5F89FNIZ647NsjOaZAQg=\n"
    "secret nRIOd5+4OgTyqPdnDCBU56rOERJzzf69cK3PwdIamImV61GfNxwwNpU+JC6nD+I9"
    "\n"
    "check kdc0DhSkUKitnngIWJXmROx13okiT2O5dqsydZTz9LQ=\n";

/* The sealed x25519 file with from replaced by to and the checksum redone,
 * as a planted file would be. */
static void
add_sealed_edit(struct seed *s, const char *from, const char *to)
{
	char text[KEYFILE_MAX];
	char *at, *check;
	uint8_t sum[32];
	char b64[BASE64_LEN(sizeof(sum)) + 1];
	int n;

	at = strstr(sealed_x25519, from);
	FUZZ_ASSERT(at != NULL);
	n = snprintf(text, sizeof(text), "%.*s%s%s",
	    (int)(at - sealed_x25519), sealed_x25519, to, at + strlen(from));
	FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(text));
	check = strstr(text, "\ncheck ") + 1;
	crypto_generichash(sum, sizeof(sum), (const uint8_t *)text,
	    (size_t)(check - text), NULL, 0);
	FUZZ_ASSERT(base64_encode(sum, sizeof(sum), b64, sizeof(b64)) == 0);
	snprintf(check, sizeof(text) - (size_t)(check - text), "check %s\n",
	    b64);
	add_str(s, text);
}

static void
sealed_seeds(const char *t)
{
	struct seed s;

	s = start(0);
	add_str(&s, sealed_x25519);
	save(&s, t, "ok-sealed-x25519");

	s = start(0);
	add_str(&s, sealed_p256);
	save(&s, t, "bad-sealed-p256-other-passphrase");

	s = start(0);
	add_str(&s, sealed_x25519);
	s.data[s.len - 10] ^= 0x01;
	save(&s, t, "bad-sealed-checksum");

	s = start(0);
	add_str(&s, sealed_x25519);
	s.len--;
	save(&s, t, "bad-sealed-no-final-newline");

	s = start(0);
	add_sealed_edit(&s, " m=8 t=1 ", " m=1048576 t=16 ");
	save(&s, t, "bad-sealed-cost-too-high");

	s = start(0);
	add_sealed_edit(&s, " t=1 ", " t=2 ");
	save(&s, t, "bad-sealed-header-changed");
}

static void
keyfile_seeds(void)
{
	const char *t = "keyfile";
	struct seed s, other;

	s = start(0);
	add_keyfile(&s, &suite_x25519, FUZZ_I_STATIC);
	save(&s, t, "ok-x25519");

	s = start(0);
	add_keyfile(&s, &suite_p256, FUZZ_R_STATIC);
	save(&s, t, "ok-p256");

	s = start(0);
	add_keyfile(&s, &suite_x25519, FUZZ_I_STATIC);
	s.len--;
	save(&s, t, "ok-x25519-no-final-newline");

	s = start(0);
	add_keyfile(&s, &suite_p256, FUZZ_R_STATIC);
	add_str(&s, "\n");
	save(&s, t, "bad-p256-blank-line-after");

	/* Line 3 from another key. */
	s = start(0);
	other = start(0);
	add_keyfile(&s, &suite_x25519, FUZZ_I_STATIC);
	add_keyfile(&other, &suite_x25519, FUZZ_R_STATIC);
	memcpy(s.data + s.len - 46, other.data + other.len - 46, 46);
	free(other.data);
	save(&s, t, "bad-x25519-public-line-mismatch");

	s = start(0);
	add_str(&s, "sealcat private key v1 x25519\r\n");
	save(&s, t, "bad-crlf-header");

	s = start(0);
	add_str(&s, "sealcat private key v2 x25519\n");
	save(&s, t, "bad-version-2");

	sealed_seeds(t);

	s = start(0);
	add_token(&s, &suite_x25519, FUZZ_I_STATIC);
	add_str(&s, " alice@example\n");
	save(&s, t, "bad-a-pub-file");

	s = start(FUZZ_TOKEN);
	add_token(&s, &suite_x25519, FUZZ_I_STATIC);
	save(&s, t, "ok-token-x25519");

	s = start(FUZZ_TOKEN);
	add_token(&s, &suite_p256, FUZZ_R_STATIC);
	save(&s, t, "ok-token-p256");

	s = start(FUZZ_TOKEN);
	add_token(&s, &suite_x25519, FUZZ_I_STATIC);
	s.len--;
	save(&s, t, "bad-token-x25519-short");

	s = start(FUZZ_TOKEN);
	add_token(&s, &suite_x25519, FUZZ_I_STATIC);
	add_str(&s, "A");
	save(&s, t, "bad-token-x25519-long");

	/* The point moved off the curve: the last base64 group changed. */
	s = start(FUZZ_TOKEN);
	add_token(&s, &suite_p256, FUZZ_R_STATIC);
	s.data[s.len - 3] = s.data[s.len - 3] == 'A' ? 'B' : 'A';
	save(&s, t, "bad-token-p256-off-curve");

	s = start(FUZZ_TOKEN);
	add_str(&s, "ed25519:AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl");
	save(&s, t, "bad-token-unknown-suite");
}

/* ---- relay lines ---- */

#define RELAY_ID "0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"
#define RELAY_V "SEALCAT-RELAY/1 "

static void
relay_seed(uint8_t flags, const char *text, const char *name)
{
	struct seed s = start(flags);

	add_str(&s, text);
	save(&s, "relay_line", name);
}

static void
relay_line_seeds(void)
{
	static const struct {
		uint8_t flags;
		const char *text;
		const char *name;
	} seeds[] = {
		{ 0, RELAY_V "LISTEN " RELAY_ID "\n", "ok-listen" },
		{ 0, RELAY_V "CONNECT " RELAY_ID "\n", "ok-connect" },
		{ 0, RELAY_V "ALLOCATE " RELAY_ID "\n", "ok-allocate" },
		{ 0, RELAY_V "CLAIM 412\n", "ok-claim" },
		{ 0, RELAY_V "CLAIM 999999\n", "ok-claim-999999" },
		{ 0, RELAY_V "LISTEN " RELAY_ID, "bad-no-newline" },
		{ 0, RELAY_V "LISTEN " RELAY_ID "\nSEALCAT/1 x\n",
		  "bad-bytes-before-ok" },
		{ 0, RELAY_V "LISTEN " RELAY_ID "\r\n", "bad-crlf" },
		{ 0, RELAY_V "LISTEN 0123456789ABCDEF0123456789abcdef"
		  "0123456789abcdef0123456789abcdef\n", "bad-uppercase-id" },
		{ 0, RELAY_V "LISTEN " RELAY_ID "0\n", "bad-id-65-digits" },
		{ 0, RELAY_V "CLAIM 0\n", "bad-claim-0" },
		{ 0, RELAY_V "CLAIM 007\n", "bad-claim-leading-zeros" },
		{ 0, RELAY_V "CLAIM 1000000\n", "bad-claim-1000000" },
		{ 0, RELAY_V "CLAIM " RELAY_ID "\n", "bad-claim-id" },
		{ 0, RELAY_V "ACCEPT " RELAY_ID "\n", "bad-unknown-verb" },
		{ 0, "SEALCAT-RELAY/2 LISTEN " RELAY_ID "\n", "bad-version-2" },
		{ 0, "SEALCAT/1 Noise_XX_25519_ChaChaPoly_BLAKE2b\n",
		  "bad-preamble" },
		{ 0, "GET / HTTP/1.1\r\nHost: relay\r\n\r\n", "bad-http" },
		{ 0, "", "bad-empty" },
		{ FUZZ_RELAY_REPLY, "OK\n", "ok-reply-ok" },
		{ FUZZ_RELAY_REPLY, "OK\nSEALCAT/1 Noise_XX_25519_ChaChaPoly"
		  "_BLAKE2b\n", "ok-reply-ok-then-session" },
		{ FUZZ_RELAY_REPLY, "NAMEPLATE 412\nOK\n",
		  "ok-reply-nameplate" },
		{ FUZZ_RELAY_REPLY, "ERROR id taken\n", "ok-reply-error" },
		{ FUZZ_RELAY_REPLY, "ERROR busy\x1b[2J\n",
		  "bad-reply-escape-sequence" },
		{ FUZZ_RELAY_REPLY, "NAMEPLATE 0\n", "bad-reply-nameplate-0" },
		{ FUZZ_RELAY_REPLY, "ERROR \n", "bad-reply-empty-reason" },
		{ FUZZ_RELAY_REPLY, "OK", "bad-reply-no-newline" },
		{ FUZZ_RELAY_REPLY, "HTTP/1.1 400 Bad Request\r\n",
		  "bad-reply-http" },
	};
	char long_line[RENDEZVOUS_LINE_MAX + 2];

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		relay_seed(seeds[i].flags, seeds[i].text, seeds[i].name);
	/* 128 bytes without an LF, then the LF: one byte over the limit. */
	memset(long_line, 'A', RENDEZVOUS_LINE_MAX);
	long_line[RENDEZVOUS_LINE_MAX] = '\n';
	long_line[RENDEZVOUS_LINE_MAX + 1] = '\0';
	relay_seed(0, long_line, "bad-line-too-long");
	relay_seed(FUZZ_RELAY_REPLY, long_line, "bad-reply-too-long");
}

static void
proxy_seed(uint8_t flags, const void *p, size_t len, const char *name)
{
	struct seed s = start(flags);

	add(&s, p, len);
	save(&s, "proxy", name);
}

static void
proxy_seeds(void)
{
	static const struct {
		uint8_t flags;
		const char *bytes;
		size_t len;
		const char *name;
	} seeds[] = {
		{ 0, "\x05\x00\x00\x01\x7f\x00\x00\x01\x23\x28", 10,
		  "ok-socks-ipv4" },
		{ 0, "\x05\x00\x00\x04" "0123456789abcdef" "\x23\x28", 22,
		  "ok-socks-ipv6" },
		{ 0, "\x05\x00\x00\x03\x09localhost\x23\x28", 16,
		  "ok-socks-name" },
		{ 0, "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 10,
		  "ok-socks-refused" },
		{ 0, "\x05\x00\x00\x01\x7f\x00", 6, "bad-socks-short" },
		{ 0, "\x04\x5a\x00\x01\x7f\x00\x00\x01\x23\x28", 10,
		  "bad-socks-version-4" },
		{ 0, "\x05\x00\x00\x07\x7f\x00\x00\x01\x23\x28", 10,
		  "bad-socks-atyp" },
		{ 0, "\x05\x00\x00\x03\x00\x23\x28", 7,
		  "ok-socks-empty-bound-name" },
		{ FUZZ_PROXY_HTTP, "HTTP/1.1 200 Connection established\r\n\r\n",
		  39, "ok-http-200" },
		{ FUZZ_PROXY_HTTP, "HTTP/1.0 200 OK\nProxy-agent: x\n\nSEALCAT/2",
		  41, "ok-http-200-then-session" },
		{ FUZZ_PROXY_HTTP, "HTTP/1.1 403 Access violation\r\n"
		  "Content-Length: 0\r\n\r\n", 52, "ok-http-403" },
		{ FUZZ_PROXY_HTTP, "HTTP/1.1 200 OK\r\n", 17,
		  "bad-http-no-empty-line" },
		{ FUZZ_PROXY_HTTP, "HTTP/1.1 2000 OK\r\n\r\n", 20,
		  "bad-http-status" },
		{ FUZZ_PROXY_HTTP, "SSH-2.0-OpenSSH\r\n\r\n", 19,
		  "bad-http-not-http" },
	};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		proxy_seed(seeds[i].flags, seeds[i].bytes, seeds[i].len,
		    seeds[i].name);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	out_dir = argv[1];
	FUZZ_ASSERT(mkdir(out_dir, 0755) == 0 || errno == EEXIST);
	fuzz_setup();
	preamble_seeds();
	responder_seeds();
	initiator_seeds();
	frame_seeds();
	keyfile_seeds();
	cpace_seeds();
	relay_line_seeds();
	proxy_seeds();
	return 0;
}
