/*
 * test_cpace.c - CPace with CPACE-RISTR255-SHA512 (src/cpace.c): the
 * draft's string helpers (prepend_len, lv_cat, transcript_ir,
 * generator_string) with the vectors of its appendix "CPace function
 * definitions", every value of the G_Coffee25519 vectors (the full run:
 * generator, Ya, Yb, K both ways, ISK_IR; the scalar_mult case and both
 * inputs scalar_mult_vfy must refuse) from cpace/testvectors.json, the
 * message parsers' exact lengths, and the exchange sealcat runs: both
 * sides agree, a wrong code or a tampered share disagrees, an invalid or
 * identity share aborts before anything is written, misuse is refused and
 * secrets are wiped.
 *
 * The whole code-mode handshake against an independent implementation is
 * in test_code_mode.c.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pake/cpace.h"
#include "crypto/suite.h"
#include "tap.h"
#include "base/util.h"
#include "vectors.h"

#define CANARY 0xa5

static struct cpace_bytes
str(const char *s)
{
	return (struct cpace_bytes){ (const uint8_t *)s, strlen(s) };
}

static struct cpace_bytes
bytes(const uint8_t *p, size_t len)
{
	return (struct cpace_bytes){ p, len };
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

static bool
all_canary(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != CANARY)
			return false;
	return true;
}

/* Compares out[0..out_len) with the hex want; names the check. */
static void
is_hex(const uint8_t *got, size_t got_len, const char *want_hex,
    const char *what)
{
	size_t want_len = 0;
	uint8_t *want = hex_decode(want_hex, &want_len);

	if (want == NULL || got_len != want_len) {
		ok(false, "%s: length %zu, want %zu", what, got_len, want_len);
		tap_diag_hex("got ", got, got_len);
	} else {
		is_bytes(got, want, want_len, "%s", what);
	}
	free(want);
}

/* ---- "Definition and test vectors for string utility functions" ---- */

static void
test_prepend_len(void)
{
	static const char want127[] =
	    "7f000102030405060708090a0b0c0d0e0f101112131415161718191a1b"
	    "1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738"
	    "393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455"
	    "565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172"
	    "737475767778797a7b7c7d7e";
	static const char want128[] =
	    "8001000102030405060708090a0b0c0d0e0f101112131415161718191a"
	    "1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
	    "38393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f5051525354"
	    "55565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f7071"
	    "72737475767778797a7b7c7d7e7f";
	uint8_t range[128], out[200];
	size_t len = 0;
	static uint8_t big[16384];

	for (size_t i = 0; i < sizeof(range); i++)
		range[i] = (uint8_t)i;
	ok(cpace_prepend_len(NULL, 0, out, sizeof(out), &len) == 0 &&
	    len == 1 && out[0] == 0x00, "prepend_len(b\"\") = 00");
	cpace_prepend_len((const uint8_t *)"1234", 4, out, sizeof(out), &len);
	is_hex(out, len, "0431323334", "prepend_len(b\"1234\")");
	cpace_prepend_len(range, 127, out, sizeof(out), &len);
	is_hex(out, len, want127, "prepend_len(bytes(range(127))): 1-byte "
	    "length 7f");
	cpace_prepend_len(range, 128, out, sizeof(out), &len);
	is_hex(out, len, want128, "prepend_len(bytes(range(128))): 2-byte "
	    "length 80 01");

	/* LEB128 beyond the draft's vectors: 16383 is 2 bytes, 16384 is 3. */
	ok(cpace_prepend_len(big, 16383, big, 0, &len) == -1,
	    "prepend_len refuses an output buffer of 0 bytes");
	{
		static uint8_t out2[16384 + 3];

		ok(cpace_prepend_len(big, 16383, out2, sizeof(out2), &len)
		    == 0 && len == 16385 && out2[0] == 0xff && out2[1] == 0x7f,
		    "prepend_len of 16383 bytes: length ff 7f");
		ok(cpace_prepend_len(big, 16384, out2, sizeof(out2), &len)
		    == 0 && len == 16387 && out2[0] == 0x80 &&
		    out2[1] == 0x80 && out2[2] == 0x01,
		    "prepend_len of 16384 bytes: length 80 80 01");
	}

	/* Capacity: exactly enough works, one byte less fails and writes
	 * nothing past the capacity. */
	memset(out, CANARY, sizeof(out));
	ok(cpace_prepend_len((const uint8_t *)"1234", 4, out, 5, &len) == 0 &&
	    len == 5 && all_canary(out + 5, sizeof(out) - 5),
	    "prepend_len fits exactly 5 bytes, nothing written past them");
	memset(out, CANARY, sizeof(out));
	ok(cpace_prepend_len((const uint8_t *)"1234", 4, out, 4, &len) == -1 &&
	    all_canary(out + 4, sizeof(out) - 4),
	    "prepend_len refuses 4 bytes of room for 5");
}

static void
test_lv_cat(void)
{
	const struct cpace_bytes items[] = {
		str("1234"), str("5"), { NULL, 0 }, str("678")
	};
	uint8_t out[32];
	size_t len = 0;

	memset(out, CANARY, sizeof(out));
	ok(cpace_lv_cat(items, 4, out, sizeof(out), &len) == 0,
	    "lv_cat(b\"1234\", b\"5\", b\"\", b\"678\") succeeds");
	is_hex(out, len, "043132333401350003363738",
	    "lv_cat(b\"1234\", b\"5\", b\"\", b\"678\")");
	ok(all_canary(out + 12, sizeof(out) - 12),
	    "lv_cat writes nothing past its 12 bytes");
	ok(cpace_lv_cat(items, 0, out, sizeof(out), &len) == 0 && len == 0,
	    "lv_cat() of nothing is empty");
	ok(cpace_lv_cat(items, 4, out, 11, &len) == -1,
	    "lv_cat refuses 11 bytes of room for 12");
}

static void
test_transcript_ir(void)
{
	uint8_t out[64];
	size_t len = 0;

	ok(cpace_transcript_ir(str("123"), str("PartyA"), str("234"),
	    str("PartyB"), out, sizeof(out), &len) == 0,
	    "transcript_ir(b\"123\", b\"PartyA\", b\"234\", b\"PartyB\") "
	    "succeeds");
	is_hex(out, len, "03313233065061727479410332333406506172747942",
	    "transcript_ir(b\"123\", b\"PartyA\", b\"234\", b\"PartyB\")");
	cpace_transcript_ir(str("3456"), str("PartyA"), str("2345"),
	    str("PartyB"), out, sizeof(out), &len);
	is_hex(out, len, "043334353606506172747941043233343506506172747942",
	    "transcript_ir(b\"3456\", b\"PartyA\", b\"2345\", b\"PartyB\")");
	ok(cpace_transcript_ir(str("3456"), str("PartyA"), str("2345"),
	    str("PartyB"), out, 23, &len) == -1,
	    "transcript_ir refuses 23 bytes of room for 24");
}

/* ---- "Test vector for CPace using group ristretto255 and hash SHA-512" */

/* From the draft's text (testvectors.json has only g). */
static const char gen_string_hex[] =
    "11435061636552697374726574746f3235350850617373776f726464"
    "00000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000180b415f696e69746961746f"
    "720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f"
    "2c57";
static const char transcript_hex[] =
    "20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0e"
    "ec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa"
    "8232b5ebe63324e2d9e7433f725803414462";

struct run {
	uint8_t *prs, *ci, *sid, *g, *ya, *ada, *Ya, *yb, *adb, *Yb, *k, *isk;
	size_t prs_len, ci_len, sid_len, g_len, ya_len, ada_len, Ya_len,
	    yb_len, adb_len, Yb_len, k_len, isk_len;
};

static bool
load_run(const json_t *v, struct run *r)
{
	r->prs = vectors_hex(v, "PRS", &r->prs_len);
	r->ci = vectors_hex(v, "CI", &r->ci_len);
	r->sid = vectors_hex(v, "sid", &r->sid_len);
	r->g = vectors_hex(v, "g", &r->g_len);
	r->ya = vectors_hex(v, "ya", &r->ya_len);
	r->ada = vectors_hex(v, "ADa", &r->ada_len);
	r->Ya = vectors_hex(v, "Ya", &r->Ya_len);
	r->yb = vectors_hex(v, "yb", &r->yb_len);
	r->adb = vectors_hex(v, "ADb", &r->adb_len);
	r->Yb = vectors_hex(v, "Yb", &r->Yb_len);
	r->k = vectors_hex(v, "K", &r->k_len);
	r->isk = vectors_hex(v, "ISK_IR", &r->isk_len);
	return r->prs && r->ci && r->sid && r->g && r->ya && r->ada &&
	    r->Ya && r->yb && r->adb && r->Yb && r->k && r->isk &&
	    r->g_len == CPACE_POINT_LEN && r->ya_len == CPACE_SCALAR_LEN &&
	    r->Ya_len == CPACE_POINT_LEN && r->yb_len == CPACE_SCALAR_LEN &&
	    r->Yb_len == CPACE_POINT_LEN && r->k_len == CPACE_POINT_LEN &&
	    r->isk_len == CPACE_ISK_LEN;
}

static void
free_run(struct run *r)
{
	free(r->prs); free(r->ci); free(r->sid); free(r->g); free(r->ya);
	free(r->ada); free(r->Ya); free(r->yb); free(r->adb); free(r->Yb);
	free(r->k); free(r->isk);
}

static void
test_coffee25519(const json_t *root)
{
	const json_t *v = json_object_get(root, "G_Coffee25519");
	struct run r = { 0 };
	uint8_t out[256], point[CPACE_POINT_LEN], isk[CPACE_ISK_LEN];
	size_t len = 0;

	if (!ok(v != NULL && load_run(v, &r),
	    "G_Coffee25519: all fields present with their sizes")) {
		free_run(&r);
		return;
	}
	ok(cpace_generator_string(bytes(r.prs, r.prs_len),
	    bytes(r.ci, r.ci_len), bytes(r.sid, r.sid_len), out, sizeof(out),
	    &len) == 0, "G_Coffee25519: generator_string succeeds");
	is_hex(out, len, gen_string_hex, "G_Coffee25519: generator_string "
	    "(170 bytes, ZPAD length 100)");
	ok(cpace_generator_string(bytes(r.prs, r.prs_len),
	    bytes(r.ci, r.ci_len), bytes(r.sid, r.sid_len), out, 169,
	    &len) == -1,
	    "G_Coffee25519: generator_string refuses 169 bytes of room");

	cpace_calculate_generator(point, bytes(r.prs, r.prs_len),
	    bytes(r.ci, r.ci_len), bytes(r.sid, r.sid_len));
	is_bytes(point, r.g, CPACE_POINT_LEN,
	    "G_Coffee25519: calculate_generator = g");

	ok(cpace_scalar_mult(point, r.ya, r.g) == 0,
	    "G_Coffee25519: scalar_mult(ya, g) succeeds");
	is_bytes(point, r.Ya, CPACE_POINT_LEN,
	    "G_Coffee25519: Ya = scalar_mult(ya, g)");
	ok(cpace_scalar_mult(point, r.yb, r.g) == 0,
	    "G_Coffee25519: scalar_mult(yb, g) succeeds");
	is_bytes(point, r.Yb, CPACE_POINT_LEN,
	    "G_Coffee25519: Yb = scalar_mult(yb, g)");

	ok(cpace_scalar_mult_vfy(point, r.ya, r.Yb) == 0,
	    "G_Coffee25519: scalar_mult_vfy(ya, Yb) succeeds");
	is_bytes(point, r.k, CPACE_POINT_LEN,
	    "G_Coffee25519: K = scalar_mult_vfy(ya, Yb)");
	ok(cpace_scalar_mult_vfy(point, r.yb, r.Ya) == 0,
	    "G_Coffee25519: scalar_mult_vfy(yb, Ya) succeeds");
	is_bytes(point, r.k, CPACE_POINT_LEN,
	    "G_Coffee25519: K = scalar_mult_vfy(yb, Ya)");

	cpace_transcript_ir(bytes(r.Ya, r.Ya_len), bytes(r.ada, r.ada_len),
	    bytes(r.Yb, r.Yb_len), bytes(r.adb, r.adb_len), out, sizeof(out),
	    &len);
	is_hex(out, len, transcript_hex,
	    "G_Coffee25519: transcript_ir(Ya, ADa, Yb, ADb) (74 bytes)");

	cpace_isk_ir(isk, bytes(r.sid, r.sid_len), r.k,
	    bytes(r.Ya, r.Ya_len), bytes(r.ada, r.ada_len),
	    bytes(r.Yb, r.Yb_len), bytes(r.adb, r.adb_len));
	is_bytes(isk, r.isk, CPACE_ISK_LEN, "G_Coffee25519: ISK_IR");
	free_run(&r);
}

static void
test_coffee25519_points(const json_t *root)
{
	const json_t *v = json_object_get(root, "G_Coffee25519_points");
	const json_t *valid = json_object_get(v, "Valid");
	const char *invalid[] = { "Invalid Y1", "Invalid Y2" };
	uint8_t *s, *x, *mult, *vfy, out[CPACE_POINT_LEN];
	size_t s_len = 0, x_len = 0, mult_len = 0, vfy_len = 0;

	s = vectors_hex(valid, "s", &s_len);
	x = vectors_hex(valid, "X", &x_len);
	mult = vectors_hex(valid, "G.scalar_mult(s,decode(X))", &mult_len);
	vfy = vectors_hex(valid, "G.scalar_mult_vfy(s,X)", &vfy_len);
	if (!ok(s && x && mult && vfy && s_len == 32 && x_len == 32 &&
	    mult_len == 32 && vfy_len == 32,
	    "G_Coffee25519_points: the valid case is present")) {
		free(s); free(x); free(mult); free(vfy);
		return;
	}
	ok(cpace_scalar_mult(out, s, x) == 0,
	    "G_Coffee25519_points valid: scalar_mult(s, decode(X)) succeeds");
	is_bytes(out, mult, 32, "G_Coffee25519_points valid: "
	    "scalar_mult(s, decode(X))");
	ok(cpace_scalar_mult_vfy(out, s, x) == 0,
	    "G_Coffee25519_points valid: scalar_mult_vfy(s, X) succeeds");
	is_bytes(out, vfy, 32, "G_Coffee25519_points valid: "
	    "scalar_mult_vfy(s, X)");

	for (size_t i = 0; i < ARRAY_LEN(invalid); i++) {
		size_t y_len = 0;
		uint8_t *y = vectors_hex(v, invalid[i], &y_len);

		if (!ok(y != NULL && y_len == 32,
		    "G_Coffee25519_points: \"%s\" is present", invalid[i])) {
			free(y);
			continue;
		}
		memset(out, CANARY, sizeof(out));
		ok(cpace_scalar_mult_vfy(out, s, y) == -1,
		    "G_Coffee25519_points \"%s\": scalar_mult_vfy aborts",
		    invalid[i]);
		ok(all_zero(out, sizeof(out)),
		    "G_Coffee25519_points \"%s\": the result is G.I (zeros)",
		    invalid[i]);
		free(y);
	}
	free(s); free(x); free(mult); free(vfy);
}

/* ---- sealcat's inputs and messages ---- */

static void
test_channel_id(void)
{
	uint8_t ci[CPACE_CI_LEN + 8];
	size_t len = 0;

	ok(cpace_channel_id(ci, sizeof(ci), &len) == 0 &&
	    len == CPACE_CI_LEN && CPACE_CI_LEN == 70,
	    "CI is 70 bytes");
	ok(ci[0] == CPACE_LINE_LEN && CPACE_LINE_LEN == 54 &&
	    memcmp(ci + 1, "SEALCAT/2 CPace+Noise_XXpsk0_25519_ChaChaPoly_"
	    "BLAKE2b\n", 54) == 0,
	    "CI starts with lv(L): 0x36 || L");
	ok(memcmp(ci + 55, "\x07" "connect" "\x06" "listen", 15) == 0,
	    "CI ends with lv(\"connect\") || lv(\"listen\")");
	ok(cpace_channel_id(ci, CPACE_CI_LEN - 1, &len) == -1,
	    "CI refuses 69 bytes of room");
}

static void
test_messages(void)
{
	uint8_t sid[CPACE_SID_LEN], ya[CPACE_POINT_LEN], got[CPACE_POINT_LEN];
	uint8_t got_sid[CPACE_SID_LEN], msg[CPACE_MSG_A_LEN + 8];
	size_t len = 0;

	for (size_t i = 0; i < sizeof(sid); i++)
		sid[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(ya); i++)
		ya[i] = (uint8_t)(0x80 + i);
	memset(msg, CANARY, sizeof(msg));
	ok(cpace_msg_a_build(sid, ya, msg, sizeof(msg), &len) == 0 &&
	    len == 48 && memcmp(msg, sid, 16) == 0 &&
	    memcmp(msg + 16, ya, 32) == 0 && all_canary(msg + 48, 8),
	    "message A is sid || Ya, 48 bytes, nothing written past them");
	ok(cpace_msg_a_build(sid, ya, msg, 47, &len) == -1,
	    "message A: build refuses 47 bytes of room");
	ok(cpace_msg_a_parse(msg, 48, got_sid, got) == 0 &&
	    memcmp(got_sid, sid, 16) == 0 && memcmp(got, ya, 32) == 0,
	    "message A: parse of 48 bytes gives sid and Ya back");
	ok(cpace_msg_a_parse(msg, 47, got_sid, got) == -1,
	    "message A: 47 bytes refused");
	ok(cpace_msg_a_parse(msg, 49, got_sid, got) == -1,
	    "message A: 49 bytes refused");
	ok(cpace_msg_a_parse(msg, 0, got_sid, got) == -1,
	    "message A: 0 bytes refused");
	ok(cpace_msg_a_parse(msg, 32, got_sid, got) == -1,
	    "message A: 32 bytes (a B) refused");

	memset(msg, CANARY, sizeof(msg));
	ok(cpace_msg_b_build(ya, msg, sizeof(msg), &len) == 0 && len == 32 &&
	    memcmp(msg, ya, 32) == 0 && all_canary(msg + 32, 16),
	    "message B is Yb, 32 bytes, nothing written past them");
	ok(cpace_msg_b_build(ya, msg, 31, &len) == -1,
	    "message B: build refuses 31 bytes of room");
	ok(cpace_msg_b_parse(msg, 32, got) == 0 && memcmp(got, ya, 32) == 0,
	    "message B: parse of 32 bytes gives Yb back");
	ok(cpace_msg_b_parse(msg, 31, got) == -1,
	    "message B: 31 bytes refused");
	ok(cpace_msg_b_parse(msg, 33, got) == -1,
	    "message B: 33 bytes refused");
	ok(cpace_msg_b_parse(msg, 48, got) == -1,
	    "message B: 48 bytes (an A) refused");
}

/* ---- the exchange ---- */

struct exchange {
	struct cpace a, b;
	uint8_t msg_a[CPACE_MSG_A_LEN], msg_b[CPACE_MSG_B_LEN];
	size_t a_len, b_len;
	uint8_t psk_a[NOISE_PSK_LEN], psk_b[NOISE_PSK_LEN];
	uint8_t pro_a[CPACE_PROLOGUE_LEN], pro_b[CPACE_PROLOGUE_LEN];
};

/* Runs connect with code_a against listen with code_b; true if every call
 * succeeded.  x->a and x->b are left as they are, for inspection. */
static bool
exchange(struct exchange *x, const char *code_a, const char *code_b)
{
	size_t len;

	cpace_init(&x->a, ROLE_INITIATOR);
	cpace_init(&x->b, ROLE_RESPONDER);
	return cpace_start(&x->a, code_a, strlen(code_a), x->msg_a,
	    sizeof(x->msg_a), &x->a_len) == 0 &&
	    cpace_respond(&x->b, code_b, strlen(code_b), x->msg_a, x->a_len,
	    x->msg_b, sizeof(x->msg_b), &x->b_len) == 0 &&
	    cpace_finish(&x->a, x->msg_b, x->b_len) == 0 &&
	    cpace_prologue(&x->a, x->pro_a, sizeof(x->pro_a), &len) == 0 &&
	    cpace_prologue(&x->b, x->pro_b, sizeof(x->pro_b), &len) == 0 &&
	    cpace_psk(&x->a, x->psk_a) == 0 && cpace_psk(&x->b, x->psk_b) == 0;
}

static void
test_exchange(void)
{
	struct exchange x, y;
	uint8_t isk_a[CPACE_ISK_LEN], isk_b[CPACE_ISK_LEN];
	uint8_t pro[CPACE_PROLOGUE_LEN + 4], psk[NOISE_PSK_LEN];
	size_t len = 0;
	bool done;

	done = exchange(&x, "7-sapphire-clock", "7-sapphire-clock");
	ok(done && x.a_len == 48 && x.b_len == 32,
	    "same code: the exchange completes, A is 48 bytes, B 32");
	ok(done && memcmp(x.psk_a, x.psk_b, NOISE_PSK_LEN) == 0 &&
	    !all_zero(x.psk_a, NOISE_PSK_LEN),
	    "same code: both sides derive the same psk");
	ok(done && memcmp(x.pro_a, x.pro_b, CPACE_PROLOGUE_LEN) == 0,
	    "same code: both sides build the same prologue");
	ok(CPACE_PROLOGUE_LEN == 138 &&
	    memcmp(x.pro_a, CPACE_LINE, 54) == 0 &&
	    x.pro_a[54] == 0 && x.pro_a[55] == 48 &&
	    memcmp(x.pro_a + 56, x.msg_a, 48) == 0 &&
	    x.pro_a[104] == 0 && x.pro_a[105] == 32 &&
	    memcmp(x.pro_a + 106, x.msg_b, 32) == 0,
	    "prologue = L || 00 30 || A || 00 20 || B (138 bytes)");
	ok(done && all_zero(x.a.y, sizeof(x.a.y)) &&
	    all_zero(x.b.y, sizeof(x.b.y)) &&
	    all_zero(x.a.isk, sizeof(x.a.isk)) &&
	    all_zero(x.b.isk, sizeof(x.b.isk)),
	    "after cpace_psk() no scalar and no ISK is left in either state");
	ok(cpace_psk(&x.a, psk) == -1,
	    "cpace_psk() a second time is refused (the ISK is gone)");
	ok(cpace_prologue(&x.a, pro, sizeof(pro), &len) == 0 &&
	    len == CPACE_PROLOGUE_LEN,
	    "the prologue is still there after cpace_psk()");
	ok(cpace_prologue(&x.a, pro, CPACE_PROLOGUE_LEN - 1, &len) == -1,
	    "the prologue refuses 137 bytes of room");
	cpace_clear(&x.a);
	ok(all_zero(&x.a, sizeof(x.a)) && x.a.step == CPACE_CLEARED,
	    "cpace_clear() leaves all zeros");
	ok(cpace_prologue(&x.a, pro, sizeof(pro), &len) == -1,
	    "a cleared state gives no prologue");
	cpace_clear(&x.b);
	cpace_clear(NULL);

	/* Two runs with the same code differ: fresh sid and scalars. */
	done = exchange(&x, "7-sapphire-clock", "7-sapphire-clock") &&
	    exchange(&y, "7-sapphire-clock", "7-sapphire-clock");
	ok(done && memcmp(x.msg_a, y.msg_a, 16) != 0 &&
	    memcmp(x.msg_a + 16, y.msg_a + 16, 32) != 0 &&
	    memcmp(x.psk_a, y.psk_a, NOISE_PSK_LEN) != 0,
	    "two runs with one code: different sid, Ya and psk");

	done = exchange(&x, "7-sapphire-clock", "8-sapphire-clock");
	ok(done && memcmp(x.psk_a, x.psk_b, NOISE_PSK_LEN) != 0,
	    "different number: the exchange runs, the psks differ");
	done = exchange(&x, "7-sapphire-clock", "7-sapphire-clocks");
	ok(done && memcmp(x.psk_a, x.psk_b, NOISE_PSK_LEN) != 0,
	    "one letter more: the psks differ");

	/* A tampered message: the ISKs (taken before cpace_psk) differ. */
	cpace_init(&x.a, ROLE_INITIATOR);
	cpace_init(&x.b, ROLE_RESPONDER);
	done = cpace_start(&x.a, "7-a-b", 5, x.msg_a, sizeof(x.msg_a),
	    &x.a_len) == 0;
	x.msg_a[0] ^= 0x01;		/* the sid */
	done = done && cpace_respond(&x.b, "7-a-b", 5, x.msg_a, x.a_len,
	    x.msg_b, sizeof(x.msg_b), &x.b_len) == 0 &&
	    cpace_finish(&x.a, x.msg_b, x.b_len) == 0;
	memcpy(isk_a, x.a.isk, sizeof(isk_a));
	memcpy(isk_b, x.b.isk, sizeof(isk_b));
	ok(done && memcmp(isk_a, isk_b, sizeof(isk_a)) != 0,
	    "a flipped sid bit: both sides finish with different ISKs");
	cpace_clear(&x.a);
	cpace_clear(&x.b);
	wipe(isk_a, sizeof(isk_a));
	wipe(isk_b, sizeof(isk_b));
}

/* A responder given message A with Ya replaced by bad aborts: -1, its
 * state cleared, and not a byte of B written. */
static void
responder_refuses(const uint8_t bad[CPACE_POINT_LEN], const char *what)
{
	struct cpace a, b;
	uint8_t msg_a[CPACE_MSG_A_LEN], msg_b[CPACE_MSG_B_LEN + 4];
	size_t len = 0, b_len = 12345;

	cpace_init(&a, ROLE_INITIATOR);
	cpace_init(&b, ROLE_RESPONDER);
	cpace_start(&a, "7-a-b", 5, msg_a, sizeof(msg_a), &len);
	memcpy(msg_a + CPACE_SID_LEN, bad, CPACE_POINT_LEN);
	memset(msg_b, CANARY, sizeof(msg_b));
	ok(cpace_respond(&b, "7-a-b", 5, msg_a, len, msg_b, sizeof(msg_b),
	    &b_len) == -1 && all_canary(msg_b, sizeof(msg_b)) &&
	    b_len == 12345 && all_zero(&b, sizeof(b)),
	    "Ya = %s: the responder aborts, writes no B, its state is "
	    "cleared", what);
	cpace_clear(&a);
}

/* An initiator given B = bad fails and is cleared. */
static void
initiator_refuses(const uint8_t bad[CPACE_POINT_LEN], const char *what)
{
	struct cpace a;
	uint8_t msg_a[CPACE_MSG_A_LEN];
	size_t len = 0;

	cpace_init(&a, ROLE_INITIATOR);
	cpace_start(&a, "7-a-b", 5, msg_a, sizeof(msg_a), &len);
	ok(cpace_finish(&a, bad, CPACE_POINT_LEN) == -1 &&
	    all_zero(&a, sizeof(a)),
	    "Yb = %s: the initiator aborts, its state is cleared", what);
}

static const uint8_t invalid_y1[CPACE_POINT_LEN] = {
	0x2b, 0x3c, 0x6b, 0x8c, 0x4f, 0x38, 0x00, 0xe7, 0xae, 0xf6, 0x86,
	0x40, 0x25, 0xb4, 0xed, 0x79, 0xbd, 0x59, 0x91, 0x17, 0xe4, 0x27,
	0xc4, 0x1b, 0xd4, 0x7d, 0x93, 0xd6, 0x54, 0xb4, 0xa5, 0x1c
};

static void
test_bad_shares(void)
{
	uint8_t identity[CPACE_POINT_LEN] = { 0 };
	uint8_t noncanonical[CPACE_POINT_LEN];
	uint8_t negative[CPACE_POINT_LEN];
	uint8_t high_bit[CPACE_POINT_LEN];
	uint8_t field_p[CPACE_POINT_LEN];
	struct cpace a, b;
	uint8_t msg_a[CPACE_MSG_A_LEN], msg_b[CPACE_MSG_B_LEN];
	size_t len = 0;

	/* The base point's encoding with its lowest bit set: negative field
	 * elements are never a valid encoding (RFC 9496 4.3.1). */
	crypto_scalarmult_ristretto255_base(negative,
	    (const uint8_t[32]){ 1 });
	negative[0] |= 0x01;
	/* The draft's "Invalid Y1": the valid X with 2c -> 2b at the start. */
	memcpy(noncanonical, invalid_y1, sizeof(noncanonical));
	crypto_scalarmult_ristretto255_base(high_bit,
	    (const uint8_t[32]){ 2 });
	high_bit[31] |= 0x80;
	/* p = 2^255 - 19 itself: an unreduced field element. */
	memset(field_p, 0xff, sizeof(field_p));
	field_p[0] = 0xed;
	field_p[31] = 0x7f;

	responder_refuses(identity, "the identity (G.I)");
	responder_refuses(noncanonical, "the draft's invalid Y1");
	responder_refuses(negative, "a negative field element");
	responder_refuses(high_bit, "an encoding with bit 255 set");
	responder_refuses(field_p, "p (an unreduced field element)");
	initiator_refuses(identity, "the identity (G.I)");
	initiator_refuses(noncanonical, "the draft's invalid Y1");
	initiator_refuses(high_bit, "an encoding with bit 255 set");

	/* Wrong lengths of A and B. */
	cpace_init(&a, ROLE_INITIATOR);
	cpace_init(&b, ROLE_RESPONDER);
	cpace_start(&a, "7-a-b", 5, msg_a, sizeof(msg_a), &len);
	ok(cpace_respond(&b, "7-a-b", 5, msg_a, 47, msg_b, sizeof(msg_b),
	    &len) == -1 && all_zero(&b, sizeof(b)),
	    "a 47-byte A: the responder aborts and is cleared");
	cpace_init(&b, ROLE_RESPONDER);
	ok(cpace_respond(&b, "7-a-b", 5, msg_a, 48, msg_b, sizeof(msg_b),
	    &len) == 0, "the same A at 48 bytes is answered");
	ok(cpace_finish(&a, msg_b, 31) == -1 && all_zero(&a, sizeof(a)),
	    "a 31-byte B: the initiator aborts and is cleared");
	cpace_clear(&b);
}

static void
test_misuse(void)
{
	/* The group order L = 2^252 + 27742317777372353535851937790883648493,
	 * little endian. */
	static const uint8_t order[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
	};
	uint8_t y[32], zero[32] = { 0 }, sid[CPACE_SID_LEN] = { 1 };
	uint8_t msg[CPACE_MSG_A_LEN], psk[NOISE_PSK_LEN];
	uint8_t pro[CPACE_PROLOGUE_LEN];
	struct cpace c;
	size_t len = 0;

	cpace_init(&c, ROLE_INITIATOR);
	ok(cpace_set_scalar(&c, zero) == -1, "set_scalar refuses 0");
	ok(cpace_set_scalar(&c, order) == -1,
	    "set_scalar refuses the group order");
	memcpy(y, order, sizeof(y));
	y[0]++;
	ok(cpace_set_scalar(&c, y) == -1,
	    "set_scalar refuses the group order + 1");
	y[0] -= 2;
	ok(cpace_set_scalar(&c, y) == 0,
	    "set_scalar takes the group order - 1");
	ok(cpace_set_scalar(&c, y) == -1, "set_scalar takes only one");
	ok(cpace_set_sid(&c, sid) == 0, "set_sid works for the initiator");
	ok(cpace_set_sid(&c, sid) == -1, "set_sid takes only one");
	ok(cpace_psk(&c, psk) == -1 &&
	    cpace_prologue(&c, pro, sizeof(pro), &len) == -1,
	    "no psk and no prologue before the exchange");
	ok(cpace_finish(&c, msg, CPACE_MSG_B_LEN) == -1 &&
	    c.step == CPACE_CLEARED,
	    "an initiator cannot read B before sending A");
	ok(cpace_start(&c, "7-a-b", 5, msg, sizeof(msg), &len) == -1,
	    "a cleared state cannot start");

	cpace_init(&c, ROLE_INITIATOR);
	ok(cpace_start(&c, "7-a-b", 5, msg, CPACE_MSG_A_LEN - 1, &len) == -1,
	    "start refuses 47 bytes of room for A");
	cpace_init(&c, ROLE_INITIATOR);
	cpace_start(&c, "7-a-b", 5, msg, sizeof(msg), &len);
	ok(cpace_set_scalar(&c, y) == -1 && cpace_set_sid(&c, sid) == -1,
	    "no scalar or sid once A has gone");
	ok(cpace_start(&c, "7-a-b", 5, msg, sizeof(msg), &len) == -1,
	    "start twice is refused");

	cpace_init(&c, ROLE_RESPONDER);
	ok(cpace_set_sid(&c, sid) == -1,
	    "the responder takes its sid from A only");
	ok(cpace_start(&c, "7-a-b", 5, msg, sizeof(msg), &len) == -1,
	    "a responder cannot start");
	cpace_init(&c, ROLE_INITIATOR);
	ok(cpace_respond(&c, "7-a-b", 5, msg, sizeof(msg), msg, sizeof(msg),
	    &len) == -1, "an initiator cannot respond");
	cpace_clear(&c);
}

int
main(void)
{
	json_t *root;

	if (suite_init() != 0)
		return 1;
	test_prepend_len();
	test_lv_cat();
	test_transcript_ir();
	root = vectors_load("cpace/testvectors.json");
	if (root != NULL) {
		test_coffee25519(root);
		test_coffee25519_points(root);
		json_decref(root);
	}
	test_channel_id();
	test_messages();
	test_exchange();
	test_bad_shares();
	test_misuse();
	return tap_done();
}
