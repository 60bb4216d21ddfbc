/*
 * test_frame.c - transport frames over real cipher states from a handshake,
 * for both suites: length and body rules per type (v2's DONE, REKEY and
 * SWITCH included), in-place seal/open, canaries, a flipped bit anywhere,
 * and the rekey at frame 65536.
 */
#include <stdlib.h>
#include <string.h>

#include "session/frame.h"
#include "noise/noise.h"
#include "pair.h"
#include "crypto/suite.h"
#include "tap.h"
#include "base/util.h"

#define CANARY 0xa5

static uint8_t frame[FRAME_BUF_LEN + 64];	/* room for a canary tail */

/* Seals body_len bytes of pattern with type; returns frame_seal()'s result
 * and checks nothing past *frame_len changed. */
static int
seal(struct cipher_state *cs, enum frame_type type, size_t body_len,
    size_t *frame_len, bool *canary_ok)
{
	/* The canary covers the frame's own size plus 64 bytes; filling the
	 * whole buffer each time would make the 65536-frame test slow. */
	size_t end = FRAME_BODY_OFFSET + body_len + SUITE_TAG_LEN + 64;
	int rc;

	if (end > sizeof(frame))
		end = sizeof(frame);
	memset(frame, CANARY, end);
	for (size_t i = 0; i < body_len && FRAME_BODY_OFFSET + i < end; i++)
		frame[FRAME_BODY_OFFSET + i] = (uint8_t)(i * 7 + 1);
	rc = frame_seal(cs, type, frame, FRAME_BUF_LEN, body_len, frame_len);
	*canary_ok = true;
	for (size_t i = rc == 0 ? *frame_len : FRAME_BODY_OFFSET + body_len;
	    i < end; i++)
		if (frame[i] != CANARY)
			*canary_ok = false;
	/* A refused call writes nothing, not even the header. */
	for (size_t i = 0; rc != 0 && i < FRAME_BODY_OFFSET; i++)
		if (frame[i] != CANARY)
			*canary_ok = false;
	return rc;
}

/* Opens the frame in the global buffer; checks the body pattern. */
static int
open_frame(struct cipher_state *cs, size_t frame_len, enum frame_type *type,
    size_t *body_len, const char **why)
{
	size_t len = get_be16(frame);

	if (len != frame_len - FRAME_HEADER_LEN)
		return -2;
	return frame_open(cs, frame + FRAME_HEADER_LEN, len, type, body_len,
	    why);
}

static bool
body_intact(size_t body_len)
{
	for (size_t i = 0; i < body_len; i++)
		if (frame[FRAME_BODY_OFFSET + i] != (uint8_t)(i * 7 + 1))
			return false;
	return true;
}

static void
test_lengths(void)
{
	ok(!frame_len_ok(16), "frame_len_ok(16) is false");
	ok(frame_len_ok(17), "frame_len_ok(17) is true");
	ok(frame_len_ok(65535), "frame_len_ok(65535) is true");
	ok(!frame_len_ok(65536), "frame_len_ok(65536) is false");
	ok(!frame_len_ok(0), "frame_len_ok(0) is false");
}

/*
 * A body length in a case table: a fixed number, or (REKEY) the suite's
 * DHLEN plus an offset, so one table serves both suites.
 */
struct body_len_spec {
	size_t fixed;
	bool from_dhlen;
	int offset;
};

#define LEN(n) { (n), false, 0 }
#define DHLEN(off) { 0, true, (off) }
#define OTHER_DHLEN { 0, true, 1000 }	/* the other suite's DHLEN */

static size_t
body_len_of(const struct suite *s, struct body_len_spec spec)
{
	if (!spec.from_dhlen)
		return spec.fixed;
	if (spec.offset == 1000)
		return s == &suite_x25519 ? suite_p256.pub_len :
		    suite_x25519.pub_len;
	return (size_t)((long)s->pub_len + spec.offset);
}

static void
test_types(const struct suite *s)
{
	static const struct {
		enum frame_type type;
		struct body_len_spec len;
		bool allowed;
		const char *what;
	} cases[] = {
		{ FRAME_DATA, LEN(FRAME_BODY_MAX + 1), false,
		  "DATA with 65519 bytes" },
		{ FRAME_DATA, LEN(0), false, "empty DATA" },
		{ FRAME_CLOSE, LEN(1), false, "CLOSE with a body" },
		{ FRAME_ERROR, LEN(FRAME_ERROR_MAX + 1), false,
		  "ERROR with 257 bytes" },
		{ FRAME_DONE, LEN(1), false, "DONE with a body" },
		{ FRAME_SWITCH, LEN(1), false, "SWITCH with a body" },
		{ FRAME_REKEY, LEN(0), false, "empty REKEY" },
		{ FRAME_REKEY, DHLEN(-1), false, "REKEY one byte short" },
		{ FRAME_REKEY, DHLEN(1), false, "REKEY one byte long" },
		{ FRAME_REKEY, OTHER_DHLEN, false,
		  "REKEY with the other suite's key length" },
		{ (enum frame_type)7, LEN(1), false, "unknown type 7" },
		{ (enum frame_type)0xff, LEN(1), false, "unknown type 0xff" },
		{ FRAME_DATA, LEN(1), true, "DATA with 1 byte" },
		{ FRAME_DATA, LEN(FRAME_BODY_MAX), true,
		  "DATA with 65518 bytes" },
		{ FRAME_CLOSE, LEN(0), true, "empty CLOSE" },
		{ FRAME_PING, LEN(0), true, "empty PING" },
		{ FRAME_PING, LEN(100), true, "PING with a body" },
		{ FRAME_ERROR, LEN(14), true, "ERROR with a reason" },
		{ FRAME_ERROR, LEN(FRAME_ERROR_MAX), true,
		  "ERROR with 256 bytes" },
		{ FRAME_DONE, LEN(0), true, "empty DONE" },
		{ FRAME_REKEY, DHLEN(0), true, "REKEY with DHLEN bytes" },
		{ FRAME_SWITCH, LEN(0), true, "empty SWITCH" },
	};
	struct pair p;

	if (!pair_handshake(s, &p)) {
		ok(false, "%s: handshake failed", s->name);
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		enum frame_type type = FRAME_PING;
		size_t frame_len = 0, body_len = 0;
		size_t want_len = body_len_of(s, cases[i].len);
		uint64_t n = p.i_send.n;
		const char *why = NULL;
		bool canary_ok;
		int rc = seal(&p.i_send, cases[i].type, want_len, &frame_len,
		    &canary_ok);

		if (!cases[i].allowed) {
			ok(rc == -1 && p.i_send.n == n && canary_ok,
			    "%s: seal refuses %s (%zu bytes), nonce unchanged",
			    s->name, cases[i].what, want_len);
			continue;
		}
		ok(rc == 0 && canary_ok && frame_len == FRAME_HEADER_LEN + 1 +
		    want_len + SUITE_TAG_LEN,
		    "%s: seal %s: frame of %zu bytes, canary intact", s->name,
		    cases[i].what, frame_len);
		rc = open_frame(&p.r_recv, frame_len, &type, &body_len, &why);
		ok(rc == 0 && type == cases[i].type && body_len == want_len &&
		    body_intact(body_len),
		    "%s: open %s gives back type and body", s->name,
		    cases[i].what);
	}
	cipher_state_clear(&p.i_send);
	cipher_state_clear(&p.r_recv);
}

/* A cipher state without a key (zeroed, no suite) seals nothing. */
static void
test_no_key(void)
{
	static const enum frame_type types[] = { FRAME_DATA, FRAME_CLOSE,
	    FRAME_REKEY, FRAME_SWITCH, FRAME_DONE };
	struct cipher_state none;
	size_t frame_len = 0;
	bool refused = true;

	memset(&none, 0, sizeof(none));
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		memset(frame + FRAME_BODY_OFFSET, 'z', SUITE_PUB_MAX);
		if (frame_seal(&none, types[i], frame, FRAME_BUF_LEN,
		    types[i] == FRAME_DATA ? 1 : 0, &frame_len) != -1)
			refused = false;
	}
	ok(refused && none.n == 0,
	    "seal refuses every type with a cipher state that has no key");
}

/*
 * Frames that authenticate but break the type rules: built by encrypting
 * a raw type || body with noise_encrypt(), bypassing frame_seal()'s
 * checks.
 */
static void
test_bad_plaintext(const struct suite *s)
{
	static const struct {
		uint8_t type;
		struct body_len_spec len;
		const char *why;
	} cases[] = {
		{ 0x00, LEN(0), "empty DATA frame" },
		{ 0x01, LEN(1), "CLOSE frame with a body" },
		{ 0x03, LEN(FRAME_ERROR_MAX + 1), "ERROR reason too long" },
		{ 0x04, LEN(1), "DONE frame with a body" },
		{ 0x04, LEN(FRAME_BODY_MAX), "DONE frame with a body" },
		{ 0x05, LEN(0), "REKEY frame with a key of the wrong length" },
		{ 0x05, DHLEN(-1),
		  "REKEY frame with a key of the wrong length" },
		{ 0x05, DHLEN(1),
		  "REKEY frame with a key of the wrong length" },
		{ 0x05, OTHER_DHLEN,
		  "REKEY frame with a key of the wrong length" },
		{ 0x06, LEN(1), "SWITCH frame with a body" },
		{ 0x06, LEN(FRAME_BODY_MAX), "SWITCH frame with a body" },
		{ 0x07, LEN(0), "unknown frame type" },
		{ 0x80, LEN(3), "unknown frame type" },
	};
	struct pair p;

	if (!pair_handshake(s, &p)) {
		ok(false, "%s: handshake failed", s->name);
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint8_t *pt = frame + FRAME_HEADER_LEN;
		size_t want_len = body_len_of(s, cases[i].len);
		size_t ct_len, body_len;
		enum frame_type type;
		const char *why = NULL;
		uint64_t n = p.r_recv.n;
		bool wiped = true;
		int rc;

		memset(frame, 0x55, sizeof(frame));
		pt[0] = cases[i].type;
		noise_encrypt(&p.i_send, NULL, 0, pt, 1 + want_len,
		    pt, FRAME_MAX_LEN, &ct_len);
		rc = frame_open(&p.r_recv, pt, ct_len, &type, &body_len, &why);
		for (size_t j = 0; j < ct_len; j++)
			wiped = wiped && pt[j] == 0;
		ok(rc == -1 && why != NULL && strcmp(why, cases[i].why) == 0 &&
		    wiped && p.r_recv.n == n + 1,
		    "%s: type 0x%02x with %zu body bytes: \"%s\", buffer "
		    "wiped, nonce spent", s->name, cases[i].type, want_len,
		    why != NULL ? why : "(none)");
	}
	cipher_state_clear(&p.i_send);
	cipher_state_clear(&p.r_recv);
}

static void
test_tamper(const struct suite *s)
{
	struct pair p;
	size_t frame_len, body_len, ct_len;
	enum frame_type type;
	const char *why;
	uint8_t saved[64];
	bool canary_ok, all_rejected = true, all_wiped = true;
	bool state_kept = true;

	if (!pair_handshake(s, &p)) {
		ok(false, "%s: handshake failed", s->name);
		return;
	}
	seal(&p.i_send, FRAME_DATA, 20, &frame_len, &canary_ok);
	ct_len = frame_len - FRAME_HEADER_LEN;
	memcpy(saved, frame, frame_len);
	/* Every byte of the ciphertext and tag, each bit in turn. */
	for (size_t i = 0; i < ct_len; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(frame, saved, frame_len);
			frame[FRAME_HEADER_LEN + i] ^= (uint8_t)(1u << bit);
			why = NULL;
			if (frame_open(&p.r_recv, frame + FRAME_HEADER_LEN,
			    ct_len, &type, &body_len, &why) != -1 ||
			    why == NULL ||
			    strcmp(why, "frame failed authentication") != 0)
				all_rejected = false;
			for (size_t j = 0; j < ct_len; j++)
				if (frame[FRAME_HEADER_LEN + j] != 0)
					all_wiped = false;
			if (p.r_recv.n != 0)
				state_kept = false;
		}
	ok(all_rejected, "%s: every single-bit flip in a %zu-byte frame is "
	    "rejected", s->name, ct_len);
	ok(all_wiped, "%s: a rejected frame's buffer is wiped", s->name);
	ok(state_kept, "%s: a rejected frame leaves the nonce alone",
	    s->name);
	memcpy(frame, saved, frame_len);
	ok(frame_open(&p.r_recv, frame + FRAME_HEADER_LEN, ct_len - 1, &type,
	    &body_len, &why) == -1, "%s: a frame one byte short is rejected",
	    s->name);
	memcpy(frame, saved, frame_len);
	ok(frame_open(&p.r_recv, frame + FRAME_HEADER_LEN, 16, &type,
	    &body_len, &why) == -1 && strcmp(why, "bad frame length") == 0,
	    "%s: frame_open with L = 16: \"bad frame length\"", s->name);
	memcpy(frame, saved, frame_len);
	ok(frame_open(&p.r_recv, frame + FRAME_HEADER_LEN, ct_len, &type,
	    &body_len, &why) == 0 && type == FRAME_DATA && body_len == 20 &&
	    body_intact(20), "%s: the untouched frame still opens", s->name);
	cipher_state_clear(&p.i_send);
	cipher_state_clear(&p.r_recv);
}

static void
test_rekey(const struct suite *s)
{
	struct cipher_state stale;
	struct pair p;
	size_t frame_len, body_len;
	enum frame_type type;
	const char *why;
	bool canary_ok, good = true;
	uint8_t key_before[SUITE_KEY_LEN];

	if (!pair_handshake(s, &p)) {
		ok(false, "%s: handshake failed", s->name);
		return;
	}
	/* Frames 0..65535 under the first key. */
	for (uint32_t i = 0; i < FRAME_REKEY_INTERVAL && good; i++) {
		good = seal(&p.i_send, FRAME_PING, 0, &frame_len,
		    &canary_ok) == 0 &&
		    open_frame(&p.r_recv, frame_len, &type, &body_len,
		    &why) == 0 && type == FRAME_PING;
	}
	ok(good && p.i_send.n == FRAME_REKEY_INTERVAL &&
	    p.r_recv.n == FRAME_REKEY_INTERVAL,
	    "%s: 65536 frames (nonces 0..65535) open in order", s->name);
	memcpy(key_before, p.i_send.k, sizeof(key_before));

	/* A sender that forgets the rekey (noise_encrypt() directly, as
	 * frame_seal() would rekey): its frame 65536 must not open. */
	stale = p.i_send;
	frame[FRAME_HEADER_LEN] = FRAME_DATA;
	memset(frame + FRAME_BODY_OFFSET, 'x', 10);
	noise_encrypt(&stale, NULL, 0, frame + FRAME_HEADER_LEN, 11,
	    frame + FRAME_HEADER_LEN, FRAME_MAX_LEN, &frame_len);
	put_be16(frame, (uint16_t)frame_len);
	frame_len += FRAME_HEADER_LEN;
	ok(stale.n == FRAME_REKEY_INTERVAL + 1 &&
	    memcmp(stale.k, key_before, SUITE_KEY_LEN) == 0,
	    "%s: (a stale sender sealed frame 65536 with the old key)",
	    s->name);
	ok(open_frame(&p.r_recv, frame_len, &type, &body_len, &why) == -1 &&
	    p.r_recv.n == FRAME_REKEY_INTERVAL,
	    "%s: frame 65536 sealed without Rekey does not open", s->name);
	cipher_state_clear(&stale);

	ok(seal(&p.i_send, FRAME_DATA, 10, &frame_len, &canary_ok) == 0 &&
	    memcmp(key_before, p.i_send.k, SUITE_KEY_LEN) != 0,
	    "%s: the sender rekeys before frame 65536", s->name);
	ok(open_frame(&p.r_recv, frame_len, &type, &body_len, &why) == 0 &&
	    type == FRAME_DATA && body_len == 10 && body_intact(10) &&
	    memcmp(p.i_send.k, p.r_recv.k, SUITE_KEY_LEN) == 0,
	    "%s: the receiver rekeys too and opens frame 65536", s->name);
	good = true;
	for (int i = 0; i < 3 && good; i++)
		good = seal(&p.i_send, FRAME_DATA, 5, &frame_len,
		    &canary_ok) == 0 &&
		    open_frame(&p.r_recv, frame_len, &type, &body_len,
		    &why) == 0 && body_len == 5;
	ok(good && p.r_recv.n == FRAME_REKEY_INTERVAL + 4,
	    "%s: frames after the rekey stay in step, counter continues",
	    s->name);

	/* The next rekey is at 131072, not before. */
	memcpy(key_before, p.i_send.k, sizeof(key_before));
	p.i_send.n = 2 * FRAME_REKEY_INTERVAL - 1;
	seal(&p.i_send, FRAME_PING, 0, &frame_len, &canary_ok);
	ok(memcmp(key_before, p.i_send.k, SUITE_KEY_LEN) == 0,
	    "%s: no rekey at frame 131071", s->name);
	seal(&p.i_send, FRAME_PING, 0, &frame_len, &canary_ok);
	ok(memcmp(key_before, p.i_send.k, SUITE_KEY_LEN) != 0,
	    "%s: rekey at frame 131072", s->name);
	cipher_state_clear(&p.i_send);
	cipher_state_clear(&p.r_recv);
}

static void
test_small_buffer(const struct suite *s)
{
	struct pair p;
	size_t frame_len = 0;

	if (!pair_handshake(s, &p)) {
		ok(false, "%s: handshake failed", s->name);
		return;
	}
	memset(frame, 0, sizeof(frame));
	ok(frame_seal(&p.i_send, FRAME_DATA, frame,
	    FRAME_BODY_OFFSET + 10 + SUITE_TAG_LEN - 1, 10, &frame_len) == -1 &&
	    p.i_send.n == 0, "%s: seal refuses a buffer one byte short",
	    s->name);
	ok(frame_seal(&p.i_send, FRAME_DATA, frame,
	    FRAME_BODY_OFFSET + 10 + SUITE_TAG_LEN, 10, &frame_len) == 0 &&
	    frame_len == FRAME_BODY_OFFSET + 10 + SUITE_TAG_LEN,
	    "%s: seal fits a buffer of exactly the frame size", s->name);
	cipher_state_clear(&p.i_send);
}

int
main(void)
{
	static const struct suite *const suites[] = { &suite_x25519,
	    &suite_p256 };

	if (suite_init() != 0)
		return 1;
	test_lengths();
	test_no_key();
	for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
		test_types(suites[i]);
		test_bad_plaintext(suites[i]);
		test_tamper(suites[i]);
		test_small_buffer(suites[i]);
		test_rekey(suites[i]);
	}
	return tap_done();
}
