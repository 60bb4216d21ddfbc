/*
 * cpace.c - CPace (draft-irtf-cfrg-cpace) with CPACE-RISTR255-SHA512 on
 * libsodium, and the exchange that opens sealcat's code mode (PROTOCOL.md,
 * "Code mode").  The group is libsodium's ristretto255: the element
 * derivation of RFC 9496 (crypto_core_ristretto255_from_hash), scalar
 * multiplication that refuses bad encodings and an identity result
 * (crypto_scalarmult_ristretto255), and uniform scalars in 1..order-1
 * (the draft's alternative to masked random bytes).  H is SHA-512.
 *
 * The lv-encoded strings the draft hashes (the generator string, the ISK
 * input) are produced through a small sink that either appends to a
 * buffer, for the helpers the vectors check, or feeds SHA-512 directly, so
 * no buffer ever holds a copy of PRS and no length limits it.  Names
 * follow the draft: PRS, CI, sid, ya/Ya (party A, the initiator: connect),
 * yb/Yb (party B, the responder: listen), K, ISK.
 */
#include "pake/cpace.h"

#include <string.h>

#include <sodium.h>

#include "base/util.h"

#define LEB128_MAX 10		/* a 64-bit length in 7-bit groups */
#define ISK_SUFFIX "_ISK"	/* G.DSI || b"_ISK" */

static const uint8_t zeros[CPACE_HASH_BLOCK];

/* Where lv-encoded output goes: a buffer (hash NULL) or SHA-512. */
struct sink {
	crypto_hash_sha512_state *hash;
	uint8_t *out;
	size_t cap;
	size_t len;
	bool overflow;
};

static void
sink_put(struct sink *s, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (s->hash != NULL) {
		crypto_hash_sha512_update(s->hash, p, n);
		return;
	}
	if (s->overflow || n > s->cap - s->len) {
		s->overflow = true;
		return;
	}
	memcpy(s->out + s->len, p, n);
	s->len += n;
}

/* The LEB128 encoding of n (the draft's prepend_len), into b. */
static size_t
leb128(size_t n, uint8_t b[LEB128_MAX])
{
	size_t i = 0;

	do {
		b[i] = (uint8_t)(n & 0x7f);
		n >>= 7;
		if (n != 0)
			b[i] |= 0x80;
		i++;
	} while (n != 0);
	return i;
}

/* prepend_len(p): its length in LEB128, then p. */
static void
sink_lv(struct sink *s, const uint8_t *p, size_t n)
{
	uint8_t b[LEB128_MAX];

	sink_put(s, b, leb128(n, b));
	sink_put(s, p, n);
}

static void
sink_lv_bytes(struct sink *s, struct cpace_bytes b)
{
	sink_lv(s, b.p, b.len);
}

static void
sink_lv_str(struct sink *s, const char *text)
{
	sink_lv(s, (const uint8_t *)text, strlen(text));
}

static struct sink
buffer_sink(uint8_t *out, size_t out_cap)
{
	struct sink s = { .out = out, .cap = out_cap };

	return s;
}

static int
buffer_done(const struct sink *s, size_t *out_len)
{
	if (s->overflow)
		return -1;
	*out_len = s->len;
	return 0;
}

int
cpace_prepend_len(const uint8_t *data, size_t data_len, uint8_t *out,
    size_t out_cap, size_t *out_len)
{
	struct sink s = buffer_sink(out, out_cap);

	sink_lv(&s, data, data_len);
	return buffer_done(&s, out_len);
}

int
cpace_lv_cat(const struct cpace_bytes *items, size_t count, uint8_t *out,
    size_t out_cap, size_t *out_len)
{
	struct sink s = buffer_sink(out, out_cap);

	for (size_t i = 0; i < count; i++)
		sink_lv_bytes(&s, items[i]);
	return buffer_done(&s, out_len);
}

static void
transcript_ir(struct sink *s, struct cpace_bytes ya, struct cpace_bytes ada,
    struct cpace_bytes yb, struct cpace_bytes adb)
{
	sink_lv_bytes(s, ya);
	sink_lv_bytes(s, ada);
	sink_lv_bytes(s, yb);
	sink_lv_bytes(s, adb);
}

int
cpace_transcript_ir(struct cpace_bytes ya, struct cpace_bytes ada,
    struct cpace_bytes yb, struct cpace_bytes adb, uint8_t *out,
    size_t out_cap, size_t *out_len)
{
	struct sink s = buffer_sink(out, out_cap);

	transcript_ir(&s, ya, ada, yb, adb);
	return buffer_done(&s, out_len);
}

/*
 * "Common function for computing generators": the zero padding makes DSI
 * and PRS fill at least the first hash block, so the hash of that block
 * does not depend on sid or CI.
 */
static void
generator_string(struct sink *s, struct cpace_bytes prs, struct cpace_bytes ci,
    struct cpace_bytes sid)
{
	uint8_t b[LEB128_MAX];
	size_t dsi_len = strlen(CPACE_DSI);
	/* len_zpad = max(0, s_in_bytes - 1 - len(prepend_len(PRS)) -
	 * len(prepend_len(DSI))), in a form that cannot wrap. */
	size_t used = 1 + leb128(dsi_len, b) + dsi_len + leb128(prs.len, b);
	size_t zpad_len = 0;

	if (prs.len < CPACE_HASH_BLOCK - used)
		zpad_len = CPACE_HASH_BLOCK - used - prs.len;
	sink_lv_str(s, CPACE_DSI);
	sink_lv_bytes(s, prs);
	sink_lv(s, zeros, zpad_len);
	sink_lv_bytes(s, ci);
	sink_lv_bytes(s, sid);
}

int
cpace_generator_string(struct cpace_bytes prs, struct cpace_bytes ci,
    struct cpace_bytes sid, uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct sink s = buffer_sink(out, out_cap);

	generator_string(&s, prs, ci, sid);
	return buffer_done(&s, out_len);
}

void
cpace_calculate_generator(uint8_t g[CPACE_POINT_LEN], struct cpace_bytes prs,
    struct cpace_bytes ci, struct cpace_bytes sid)
{
	crypto_hash_sha512_state state;
	uint8_t hash[crypto_hash_sha512_BYTES];
	struct sink s = { .hash = &state };

	/* "G_Ristretto255": H.hash(gen_str, 2 * field_size_bytes), then
	 * element_derivation of RFC 9496 on those 64 bytes. */
	crypto_hash_sha512_init(&state);
	generator_string(&s, prs, ci, sid);
	crypto_hash_sha512_final(&state, hash);
	crypto_core_ristretto255_from_hash(g, hash);
	wipe(hash, sizeof(hash));
	wipe(&state, sizeof(state));
}

int
cpace_scalar_mult(uint8_t out[CPACE_POINT_LEN],
    const uint8_t y[CPACE_SCALAR_LEN], const uint8_t g[CPACE_POINT_LEN])
{
	if (crypto_scalarmult_ristretto255(out, y, g) != 0) {
		memset(out, 0, CPACE_POINT_LEN);
		return -1;
	}
	return 0;
}

int
cpace_scalar_mult_vfy(uint8_t out[CPACE_POINT_LEN],
    const uint8_t y[CPACE_SCALAR_LEN], const uint8_t x[CPACE_POINT_LEN])
{
	/*
	 * "If the decode(X) function fails, it returns G.I"; libsodium's
	 * multiplication also fails when the product is the identity, which
	 * covers X = G.I and is the draft's "MUST abort if K = G.I".  RFC
	 * 9496 decoding refuses every s >= p, but libsodium 1.0.18 ignores
	 * bit 255 (later versions check it): refuse it here, or each share
	 * would have two accepted encodings.
	 */
	if ((x[CPACE_POINT_LEN - 1] & 0x80) != 0 ||
	    !crypto_core_ristretto255_is_valid_point(x) ||
	    crypto_scalarmult_ristretto255(out, y, x) != 0) {
		memset(out, 0, CPACE_POINT_LEN);
		return -1;
	}
	return 0;
}

void
cpace_isk_ir(uint8_t isk[CPACE_ISK_LEN], struct cpace_bytes sid,
    const uint8_t k[CPACE_POINT_LEN], struct cpace_bytes ya,
    struct cpace_bytes ada, struct cpace_bytes yb, struct cpace_bytes adb)
{
	crypto_hash_sha512_state state;
	struct sink s = { .hash = &state };
	uint8_t b[LEB128_MAX];
	size_t dsi_len = strlen(CPACE_DSI), suffix_len = strlen(ISK_SUFFIX);

	crypto_hash_sha512_init(&state);
	/* lv_cat(G.DSI || b"_ISK", sid, K): the first field in two parts. */
	sink_put(&s, b, leb128(dsi_len + suffix_len, b));
	sink_put(&s, (const uint8_t *)CPACE_DSI, dsi_len);
	sink_put(&s, (const uint8_t *)ISK_SUFFIX, suffix_len);
	sink_lv_bytes(&s, sid);
	sink_lv(&s, k, CPACE_POINT_LEN);
	transcript_ir(&s, ya, ada, yb, adb);
	crypto_hash_sha512_final(&state, isk);
	wipe(&state, sizeof(state));
}

int
cpace_channel_id(uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct sink s = buffer_sink(out, out_cap);

	sink_lv_str(&s, CPACE_LINE);
	sink_lv_str(&s, "connect");
	sink_lv_str(&s, "listen");
	return buffer_done(&s, out_len);
}

void
cpace_derive_psk(uint8_t psk[NOISE_PSK_LEN], const uint8_t isk[CPACE_ISK_LEN])
{
	crypto_generichash(psk, NOISE_PSK_LEN,
	    (const uint8_t *)CPACE_PSK_LABEL, strlen(CPACE_PSK_LABEL),
	    isk, CPACE_ISK_LEN);
}

int
cpace_msg_a_build(const uint8_t sid[CPACE_SID_LEN],
    const uint8_t ya[CPACE_POINT_LEN], uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	if (out_cap < CPACE_MSG_A_LEN)
		return -1;
	memcpy(out, sid, CPACE_SID_LEN);
	memcpy(out + CPACE_SID_LEN, ya, CPACE_POINT_LEN);
	*out_len = CPACE_MSG_A_LEN;
	return 0;
}

int
cpace_msg_a_parse(const uint8_t *msg, size_t msg_len,
    uint8_t sid[CPACE_SID_LEN], uint8_t ya[CPACE_POINT_LEN])
{
	if (msg_len != CPACE_MSG_A_LEN)
		return -1;
	memcpy(sid, msg, CPACE_SID_LEN);
	memcpy(ya, msg + CPACE_SID_LEN, CPACE_POINT_LEN);
	return 0;
}

int
cpace_msg_b_build(const uint8_t yb[CPACE_POINT_LEN], uint8_t *out,
    size_t out_cap, size_t *out_len)
{
	if (out_cap < CPACE_MSG_B_LEN)
		return -1;
	memcpy(out, yb, CPACE_POINT_LEN);
	*out_len = CPACE_MSG_B_LEN;
	return 0;
}

int
cpace_msg_b_parse(const uint8_t *msg, size_t msg_len,
    uint8_t yb[CPACE_POINT_LEN])
{
	if (msg_len != CPACE_MSG_B_LEN)
		return -1;
	memcpy(yb, msg, CPACE_POINT_LEN);
	return 0;
}

void
cpace_init(struct cpace *c, enum role role)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->step = CPACE_NEW;
}

/* True if y is the canonical encoding of a non-zero scalar (< the group
 * order): reducing y as a 64-byte number leaves it unchanged. */
static bool
scalar_canonical(const uint8_t y[CPACE_SCALAR_LEN])
{
	uint8_t wide[crypto_core_ristretto255_NONREDUCEDSCALARBYTES] = { 0 };
	uint8_t reduced[CPACE_SCALAR_LEN];
	bool good;

	memcpy(wide, y, CPACE_SCALAR_LEN);
	crypto_core_ristretto255_scalar_reduce(reduced, wide);
	good = ct_equal(reduced, y, CPACE_SCALAR_LEN) &&
	    !sodium_is_zero(y, CPACE_SCALAR_LEN);
	wipe(wide, sizeof(wide));
	wipe(reduced, sizeof(reduced));
	return good;
}

int
cpace_set_scalar(struct cpace *c, const uint8_t y[CPACE_SCALAR_LEN])
{
	if (c->step != CPACE_NEW || c->has_y || !scalar_canonical(y))
		return -1;
	memcpy(c->y, y, CPACE_SCALAR_LEN);
	c->has_y = true;
	return 0;
}

int
cpace_set_sid(struct cpace *c, const uint8_t sid[CPACE_SID_LEN])
{
	if (c->step != CPACE_NEW || c->role != ROLE_INITIATOR || c->has_sid)
		return -1;
	memcpy(c->sid, sid, CPACE_SID_LEN);
	c->has_sid = true;
	return 0;
}

/* Our share: the generator from PRS, sealcat's CI and c->sid, times y
 * (a fresh scalar unless one was set).  The generator is wiped. */
static int
our_share(struct cpace *c, const char *prs, size_t prs_len,
    uint8_t share[CPACE_POINT_LEN])
{
	uint8_t ci[CPACE_CI_LEN];
	uint8_t g[CPACE_POINT_LEN];
	size_t ci_len;
	int rc;

	if (cpace_channel_id(ci, sizeof(ci), &ci_len) != 0)
		return -1;
	if (!c->has_y) {
		crypto_core_ristretto255_scalar_random(c->y);
		c->has_y = true;
	}
	cpace_calculate_generator(g,
	    (struct cpace_bytes){ (const uint8_t *)prs, prs_len },
	    (struct cpace_bytes){ ci, ci_len },
	    (struct cpace_bytes){ c->sid, CPACE_SID_LEN });
	rc = cpace_scalar_mult(share, c->y, g);
	wipe(g, sizeof(g));
	return rc;
}

/* K = scalar_mult_vfy(y, the peer's share), then the ISK over sealcat's
 * transcript (ADa = ADb = empty).  K and y are wiped either way. */
static int
derive_isk(struct cpace *c, const uint8_t peer_share[CPACE_POINT_LEN])
{
	static const struct cpace_bytes empty_ad = { NULL, 0 };
	uint8_t k[CPACE_POINT_LEN];
	int rc = -1;

	if (cpace_scalar_mult_vfy(k, c->y, peer_share) != 0)
		goto out;
	cpace_isk_ir(c->isk, (struct cpace_bytes){ c->sid, CPACE_SID_LEN }, k,
	    (struct cpace_bytes){ c->ya, CPACE_POINT_LEN }, empty_ad,
	    (struct cpace_bytes){ c->yb, CPACE_POINT_LEN }, empty_ad);
	c->has_isk = true;
	c->step = CPACE_DONE;
	rc = 0;
out:
	wipe(k, sizeof(k));
	wipe(c->y, sizeof(c->y));
	return rc;
}

int
cpace_start(struct cpace *c, const char *prs, size_t prs_len, uint8_t *out,
    size_t out_cap, size_t *out_len)
{
	if (c->step != CPACE_NEW || c->role != ROLE_INITIATOR ||
	    out_cap < CPACE_MSG_A_LEN)
		goto fail;
	if (!c->has_sid) {
		randombytes_buf(c->sid, CPACE_SID_LEN);
		c->has_sid = true;
	}
	if (our_share(c, prs, prs_len, c->ya) != 0 ||
	    cpace_msg_a_build(c->sid, c->ya, out, out_cap, out_len) != 0)
		goto fail;
	c->step = CPACE_SENT_A;
	return 0;
fail:
	cpace_clear(c);
	return -1;
}

int
cpace_respond(struct cpace *c, const char *prs, size_t prs_len,
    const uint8_t *msg_a, size_t msg_a_len, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	if (c->step != CPACE_NEW || c->role != ROLE_RESPONDER ||
	    out_cap < CPACE_MSG_B_LEN ||
	    cpace_msg_a_parse(msg_a, msg_a_len, c->sid, c->ya) != 0)
		goto fail;
	c->has_sid = true;
	/* B computes Yb and then K; an invalid Ya aborts before B is
	 * written, so nothing goes back to a peer that sent one. */
	if (our_share(c, prs, prs_len, c->yb) != 0 ||
	    derive_isk(c, c->ya) != 0 ||
	    cpace_msg_b_build(c->yb, out, out_cap, out_len) != 0)
		goto fail;
	return 0;
fail:
	cpace_clear(c);
	return -1;
}

int
cpace_finish(struct cpace *c, const uint8_t *msg_b, size_t msg_b_len)
{
	if (c->step != CPACE_SENT_A || c->role != ROLE_INITIATOR ||
	    cpace_msg_b_parse(msg_b, msg_b_len, c->yb) != 0 ||
	    derive_isk(c, c->yb) != 0) {
		cpace_clear(c);
		return -1;
	}
	return 0;
}

int
cpace_prologue(const struct cpace *c, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	uint8_t *p = out;

	if (c->step != CPACE_DONE || out_cap < CPACE_PROLOGUE_LEN)
		return -1;
	memcpy(p, CPACE_LINE, CPACE_LINE_LEN);
	p += CPACE_LINE_LEN;
	put_be16(p, CPACE_MSG_A_LEN);
	p += 2;
	memcpy(p, c->sid, CPACE_SID_LEN);
	p += CPACE_SID_LEN;
	memcpy(p, c->ya, CPACE_POINT_LEN);
	p += CPACE_POINT_LEN;
	put_be16(p, CPACE_MSG_B_LEN);
	p += 2;
	memcpy(p, c->yb, CPACE_POINT_LEN);
	*out_len = CPACE_PROLOGUE_LEN;
	return 0;
}

int
cpace_psk(struct cpace *c, uint8_t psk[NOISE_PSK_LEN])
{
	if (c->step != CPACE_DONE || !c->has_isk)
		return -1;
	cpace_derive_psk(psk, c->isk);
	wipe(c->isk, sizeof(c->isk));
	c->has_isk = false;
	return 0;
}

void
cpace_clear(struct cpace *c)
{
	if (c != NULL)
		wipe(c, sizeof(*c));
}
