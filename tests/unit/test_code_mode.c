/*
 * test_code_mode.c - the whole code-mode handshake (PROTOCOL.md, "Code
 * mode") against sealcat/code_mode.json, which an independent Node
 * implementation (gen_code_mode.mjs: @noble/curves, @noble/hashes,
 * @noble/ciphers, no libsodium) computed: the typed code through code.c to
 * the canonical PRS, CPace through cpace.c with the fixed sid and scalars
 * (A, B, generator, K, ISK, psk, prologue), then
 * Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b through noise.c's pattern table
 * with the fixed ephemerals (the three messages with their payloads, the
 * handshake hash, the split keys) and the bytes each side sends.  Then
 * what must fail: a listener with the wrong code cannot read message 1,
 * nor can one that saw a byte of L, A, B or message 1 changed.
 */
#include <stdlib.h>
#include <string.h>

#include "pake/code.h"
#include "pake/cpace.h"
#include "noise/noise.h"
#include "crypto/suite.h"
#include "tap.h"
#include "base/util.h"
#include "vectors.h"

#define WIRE_MAX 1024

/* One vector's byte fields, decoded. */
struct vec {
	const char *code, *typed, *wrong_code;
	unsigned long number_max;
	uint8_t *prs, *ci, *sid, *ya, *yb, *g, *Ya, *Yb, *k, *isk, *psk;
	uint8_t *msg_a, *msg_b, *prologue, *hash, *k1, *k2, *wrong_b;
	uint8_t *s[2], *e[2], *s_pub[2];
	uint8_t *payload[3], *ct[3];
	uint8_t *wire_to_listen, *wire_to_connect;
	size_t prs_len, ci_len, prologue_len, payload_len[3], ct_len[3];
	size_t wire_to_listen_len, wire_to_connect_len;
};

static uint8_t *
field(const json_t *v, const char *name, size_t want_len, size_t *len,
    bool *good)
{
	size_t got = 0;
	uint8_t *p = vectors_hex(v, name, &got);

	if (p == NULL || (want_len != 0 && got != want_len)) {
		printf("# field %s: missing or %zu bytes, want %zu\n", name,
		    got, want_len);
		*good = false;
	}
	if (len != NULL)
		*len = got;
	return p;
}

static bool
load(const json_t *v, struct vec *x)
{
	static const char *const side[2] = { "init", "resp" };
	const json_t *msgs = json_object_get(v, "messages");
	bool good = true;
	char name[64];

	memset(x, 0, sizeof(*x));
	x->code = vectors_str(v, "code");
	x->typed = vectors_str(v, "typed");
	x->wrong_code = vectors_str(v, "wrong_code");
	x->number_max = (unsigned long)vectors_int(v, "number_max");
	x->prs = field(v, "prs", 0, &x->prs_len, &good);
	x->ci = field(v, "ci", CPACE_CI_LEN, &x->ci_len, &good);
	x->sid = field(v, "sid", CPACE_SID_LEN, NULL, &good);
	x->ya = field(v, "ya", CPACE_SCALAR_LEN, NULL, &good);
	x->yb = field(v, "yb", CPACE_SCALAR_LEN, NULL, &good);
	x->g = field(v, "generator", CPACE_POINT_LEN, NULL, &good);
	x->Ya = field(v, "Ya", CPACE_POINT_LEN, NULL, &good);
	x->Yb = field(v, "Yb", CPACE_POINT_LEN, NULL, &good);
	x->k = field(v, "K", CPACE_POINT_LEN, NULL, &good);
	x->isk = field(v, "ISK", CPACE_ISK_LEN, NULL, &good);
	x->psk = field(v, "psk", NOISE_PSK_LEN, NULL, &good);
	x->msg_a = field(v, "msg_a", CPACE_MSG_A_LEN, NULL, &good);
	x->msg_b = field(v, "msg_b", CPACE_MSG_B_LEN, NULL, &good);
	x->prologue = field(v, "prologue", CPACE_PROLOGUE_LEN,
	    &x->prologue_len, &good);
	x->hash = field(v, "handshake_hash", 64, NULL, &good);
	x->k1 = field(v, "init_send_key", SUITE_KEY_LEN, NULL, &good);
	x->k2 = field(v, "resp_send_key", SUITE_KEY_LEN, NULL, &good);
	x->wrong_b = field(v, "wrong_code_msg_b", CPACE_MSG_B_LEN, NULL,
	    &good);
	x->wire_to_listen = field(v, "wire_connect_to_listen", 0,
	    &x->wire_to_listen_len, &good);
	x->wire_to_connect = field(v, "wire_listen_to_connect", 0,
	    &x->wire_to_connect_len, &good);
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s_static", side[i]);
		x->s[i] = field(v, name, SUITE_PRIV_LEN, NULL, &good);
		snprintf(name, sizeof(name), "%s_ephemeral", side[i]);
		x->e[i] = field(v, name, SUITE_PRIV_LEN, NULL, &good);
		snprintf(name, sizeof(name), "%s_static_public", side[i]);
		x->s_pub[i] = field(v, name, 32, NULL, &good);
	}
	if (json_array_size(msgs) != 3)
		return false;
	for (size_t i = 0; i < 3; i++) {
		const json_t *m = json_array_get(msgs, i);

		x->payload[i] = field(m, "payload", 0, &x->payload_len[i],
		    &good);
		x->ct[i] = field(m, "ciphertext", 0, &x->ct_len[i], &good);
	}
	return good && x->number_max > 0 && x->code[0] != '\0' &&
	    x->wrong_code[0] != '\0';
}

static void
unload(struct vec *x)
{
	uint8_t *all[] = { x->prs, x->ci, x->sid, x->ya, x->yb, x->g, x->Ya,
		x->Yb, x->k, x->isk, x->psk, x->msg_a, x->msg_b, x->prologue,
		x->hash, x->k1, x->k2, x->wrong_b, x->s[0], x->s[1], x->e[0],
		x->e[1], x->s_pub[0], x->s_pub[1], x->payload[0],
		x->payload[1], x->payload[2], x->ct[0], x->ct[1], x->ct[2],
		x->wire_to_listen, x->wire_to_connect };

	for (size_t i = 0; i < ARRAY_LEN(all); i++)
		free(all[i]);
}

/* ---- CPace ---- */

struct cpace_result {
	uint8_t msg_a[CPACE_MSG_A_LEN], msg_b[CPACE_MSG_B_LEN];
	uint8_t isk_a[CPACE_ISK_LEN], isk_b[CPACE_ISK_LEN];
	uint8_t psk_a[NOISE_PSK_LEN], psk_b[NOISE_PSK_LEN];
	uint8_t pro_a[CPACE_PROLOGUE_LEN], pro_b[CPACE_PROLOGUE_LEN];
};

/* Runs CPace with the vector's sid and scalars; the listener uses
 * listen_code.  False if a call fails. */
static bool
run_cpace(const struct vec *x, const char *connect_code,
    const char *listen_code, struct cpace_result *r)
{
	struct cpace a, b;
	size_t len;
	bool good;

	cpace_init(&a, ROLE_INITIATOR);
	cpace_init(&b, ROLE_RESPONDER);
	good = cpace_set_sid(&a, x->sid) == 0 &&
	    cpace_set_scalar(&a, x->ya) == 0 &&
	    cpace_set_scalar(&b, x->yb) == 0 &&
	    cpace_start(&a, connect_code, strlen(connect_code), r->msg_a,
	    sizeof(r->msg_a), &len) == 0 && len == CPACE_MSG_A_LEN &&
	    cpace_respond(&b, listen_code, strlen(listen_code), r->msg_a,
	    len, r->msg_b, sizeof(r->msg_b), &len) == 0 &&
	    len == CPACE_MSG_B_LEN &&
	    cpace_finish(&a, r->msg_b, len) == 0;
	if (good) {
		memcpy(r->isk_a, a.isk, sizeof(r->isk_a));
		memcpy(r->isk_b, b.isk, sizeof(r->isk_b));
		good = cpace_prologue(&a, r->pro_a, sizeof(r->pro_a), &len) ==
		    0 && cpace_prologue(&b, r->pro_b, sizeof(r->pro_b), &len) ==
		    0 && cpace_psk(&a, r->psk_a) == 0 &&
		    cpace_psk(&b, r->psk_b) == 0;
	}
	cpace_clear(&a);
	cpace_clear(&b);
	return good;
}

static void
test_cpace_vector(const struct vec *x, const char *tag)
{
	char canonical[CODE_TEXT_MAX];
	uint8_t ci[CPACE_CI_LEN], point[CPACE_POINT_LEN];
	struct cpace_result r;
	size_t len = 0;

	ok(code_canonical(x->typed, x->number_max, canonical,
	    sizeof(canonical), &len) == 0 && strcmp(canonical, x->code) == 0,
	    "%s: typed \"%s\" reads as %s", tag, x->typed, x->code);
	ok(len == x->prs_len && memcmp(canonical, x->prs, len) == 0,
	    "%s: PRS is the canonical code's bytes", tag);
	ok(cpace_channel_id(ci, sizeof(ci), &len) == 0 &&
	    len == x->ci_len && memcmp(ci, x->ci, len) == 0,
	    "%s: CI = lv(L) || lv(\"connect\") || lv(\"listen\")", tag);
	cpace_calculate_generator(point,
	    (struct cpace_bytes){ x->prs, x->prs_len },
	    (struct cpace_bytes){ x->ci, x->ci_len },
	    (struct cpace_bytes){ x->sid, CPACE_SID_LEN });
	is_bytes(point, x->g, CPACE_POINT_LEN, "%s: generator", tag);
	ok(cpace_scalar_mult_vfy(point, x->ya, x->Yb) == 0,
	    "%s: scalar_mult_vfy(ya, Yb) succeeds", tag);
	is_bytes(point, x->k, CPACE_POINT_LEN, "%s: K", tag);

	if (!ok(run_cpace(x, canonical, canonical, &r),
	    "%s: the CPace exchange completes", tag))
		return;
	is_bytes(r.msg_a, x->msg_a, CPACE_MSG_A_LEN,
	    "%s: message A = sid || Ya", tag);
	is_bytes(r.msg_a + CPACE_SID_LEN, x->Ya, CPACE_POINT_LEN, "%s: Ya",
	    tag);
	is_bytes(r.msg_b, x->msg_b, CPACE_MSG_B_LEN, "%s: message B = Yb",
	    tag);
	is_bytes(r.msg_b, x->Yb, CPACE_POINT_LEN, "%s: Yb", tag);
	is_bytes(r.isk_a, x->isk, CPACE_ISK_LEN, "%s: ISK (connect)", tag);
	is_bytes(r.isk_b, x->isk, CPACE_ISK_LEN, "%s: ISK (listen)", tag);
	is_bytes(r.psk_a, x->psk, NOISE_PSK_LEN, "%s: psk (connect)", tag);
	is_bytes(r.psk_b, x->psk, NOISE_PSK_LEN, "%s: psk (listen)", tag);
	is_bytes(r.pro_a, x->prologue, CPACE_PROLOGUE_LEN,
	    "%s: prologue (connect)", tag);
	is_bytes(r.pro_b, x->prologue, CPACE_PROLOGUE_LEN,
	    "%s: prologue (listen)", tag);
	wipe(canonical, sizeof(canonical));
	wipe(&r, sizeof(r));
}

/* ---- Noise XXpsk0 ---- */

static struct noise_pattern xxpsk0;

/* A handshake state for side (0 connect, 1 listen) with the vector's
 * static and ephemeral keys, prologue and psk. */
static bool
init_side(struct handshake_state *hs, const struct vec *x, int side,
    const uint8_t *prologue, size_t prologue_len, const uint8_t *psk)
{
	uint8_t pub[SUITE_PUB_MAX];
	struct noise_keys keys = { .s_priv = x->s[side], .s_pub = pub,
		.psk = psk, .psk_count = 1 };

	return suite_x25519.pubkey(pub, x->s[side]) == 0 &&
	    noise_init_pattern(hs, &xxpsk0, &suite_x25519,
	    side == 0 ? ROLE_INITIATOR : ROLE_RESPONDER, prologue,
	    prologue_len, &keys) == 0 &&
	    noise_set_ephemeral(hs, x->e[side]) == 0;
}

/* Appends uint16 BE length || body to buf. */
static void
put_frame(uint8_t *buf, size_t *len, const uint8_t *body, size_t body_len)
{
	put_be16(buf + *len, (uint16_t)body_len);
	memcpy(buf + *len + 2, body, body_len);
	*len += 2 + body_len;
}

static void
test_noise_vector(const struct vec *x, const char *tag)
{
	struct handshake_state hs[2];
	struct cipher_state send[2], recv[2];
	uint8_t msg[3][256], got[4], h[2][SUITE_HASH_MAX];
	uint8_t to_listen[WIRE_MAX], to_connect[WIRE_MAX];
	size_t msg_len[3], got_len, listen_len = 0, connect_len = 0;
	char name[NOISE_PROTOCOL_NAME_MAX + 1];
	bool good;

	ok(noise_protocol_name(&xxpsk0, &suite_x25519, name, sizeof(name)) >
	    0 && strcmp(name, "Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b") == 0,
	    "%s: protocol name %s", tag, name);
	if (!ok(init_side(&hs[0], x, 0, x->prologue, x->prologue_len,
	    x->psk) && init_side(&hs[1], x, 1, x->prologue, x->prologue_len,
	    x->psk), "%s: both Noise states start with the fixed keys", tag))
		return;
	for (int i = 0; i < 3; i++) {
		int w = i % 2, r = 1 - w;

		good = noise_write_message(&hs[w], x->payload[i],
		    x->payload_len[i], msg[i], sizeof(msg[i]), &msg_len[i]) ==
		    0 && msg_len[i] == x->ct_len[i];
		ok(good && memcmp(msg[i], x->ct[i], x->ct_len[i]) == 0,
		    "%s: message %d (%zu bytes, payload %zu bytes)", tag,
		    i + 1, x->ct_len[i], x->payload_len[i]);
		/* Message 1 must carry nothing: no payload buffer. */
		good = noise_read_message(&hs[r], msg[i], msg_len[i],
		    i == 0 ? NULL : got, i == 0 ? 0 : sizeof(got), &got_len) ==
		    0 && got_len == x->payload_len[i] &&
		    memcmp(got, x->payload[i], got_len) == 0;
		ok(good, "%s: message %d reads back its payload", tag, i + 1);
	}
	ok(noise_remote_static(&hs[0]) != NULL &&
	    memcmp(noise_remote_static(&hs[0]), x->s_pub[1], 32) == 0 &&
	    noise_remote_static(&hs[1]) != NULL &&
	    memcmp(noise_remote_static(&hs[1]), x->s_pub[0], 32) == 0,
	    "%s: each side learns the other's static key", tag);
	good = noise_split(&hs[0], &send[0], &recv[0], h[0]) == 0 &&
	    noise_split(&hs[1], &send[1], &recv[1], h[1]) == 0;
	ok(good, "%s: both sides split", tag);
	is_bytes(h[0], x->hash, 64, "%s: handshake hash (connect)", tag);
	is_bytes(h[1], x->hash, 64, "%s: handshake hash (listen)", tag);
	is_bytes(send[0].k, x->k1, SUITE_KEY_LEN,
	    "%s: connect's sending key", tag);
	is_bytes(recv[1].k, x->k1, SUITE_KEY_LEN,
	    "%s: listen's receiving key", tag);
	is_bytes(send[1].k, x->k2, SUITE_KEY_LEN,
	    "%s: listen's sending key", tag);
	is_bytes(recv[0].k, x->k2, SUITE_KEY_LEN,
	    "%s: connect's receiving key", tag);

	/* What each side puts on the wire, as conn.c will send it. */
	memcpy(to_listen, CPACE_LINE, CPACE_LINE_LEN);
	listen_len = CPACE_LINE_LEN;
	put_frame(to_listen, &listen_len, x->msg_a, CPACE_MSG_A_LEN);
	put_frame(to_listen, &listen_len, msg[0], msg_len[0]);
	put_frame(to_listen, &listen_len, msg[2], msg_len[2]);
	put_frame(to_connect, &connect_len, x->msg_b, CPACE_MSG_B_LEN);
	put_frame(to_connect, &connect_len, msg[1], msg_len[1]);
	ok(listen_len == x->wire_to_listen_len &&
	    memcmp(to_listen, x->wire_to_listen, listen_len) == 0,
	    "%s: connect sends L || A || message 1 || message 3, framed "
	    "(%zu bytes)", tag, listen_len);
	ok(connect_len == x->wire_to_connect_len &&
	    memcmp(to_connect, x->wire_to_connect, connect_len) == 0,
	    "%s: listen sends B || message 2, framed (%zu bytes)", tag,
	    connect_len);
	for (int i = 0; i < 2; i++) {
		cipher_state_clear(&send[i]);
		cipher_state_clear(&recv[i]);
	}
}

/* A listener (prologue, psk) reading the vector's message 1 (or msg1 if
 * given); true if the read fails. */
static bool
message_1_refused(const struct vec *x, const uint8_t *prologue,
    const uint8_t *psk, const uint8_t *msg1)
{
	struct handshake_state hs;
	bool refused;

	if (!init_side(&hs, x, 1, prologue, CPACE_PROLOGUE_LEN, psk))
		return false;
	refused = noise_read_message(&hs, msg1 != NULL ? msg1 : x->ct[0],
	    x->ct_len[0], NULL, 0, NULL) == -1;
	handshake_clear(&hs);
	return refused;
}

static void
test_failures(const struct vec *x, const char *tag)
{
	/* One byte in each part of the prologue: L, the sid, Ya, Yb and the
	 * two length prefixes. */
	static const struct {
		size_t off;
		const char *what;
	} flips[] = {
		{ 0, "L" }, { 53, "L's newline" }, { 55, "A's length" },
		{ 56, "the sid" }, { 72 + 31, "Ya" }, { 105, "B's length" },
		{ 106, "Yb" }, { 137, "Yb's last byte" },
	};
	struct cpace_result r;
	uint8_t prologue[CPACE_PROLOGUE_LEN], msg1[256], psk[NOISE_PSK_LEN];
	struct cpace b;
	size_t len = 0;
	size_t refused = 0;

	ok(message_1_refused(x, x->prologue, x->psk, NULL) == false,
	    "%s: the vector's own listener reads message 1", tag);

	/* The wrong code: B differs, the psk and prologue differ. */
	ok(run_cpace(x, x->code, x->wrong_code, &r),
	    "%s: CPace runs with the wrong code %s at the listener", tag,
	    x->wrong_code);
	is_bytes(r.msg_b, x->wrong_b, CPACE_MSG_B_LEN,
	    "%s: the wrong code's B", tag);
	ok(memcmp(r.psk_b, x->psk, NOISE_PSK_LEN) != 0 &&
	    memcmp(r.psk_a, r.psk_b, NOISE_PSK_LEN) != 0,
	    "%s: the wrong code gives the listener another psk", tag);
	ok(message_1_refused(x, r.pro_b, r.psk_b, NULL),
	    "%s: with the wrong code, message 1 does not decrypt", tag);

	/* The right code, but one changed byte anywhere before message 2. */
	for (size_t i = 0; i < ARRAY_LEN(flips); i++) {
		memcpy(prologue, x->prologue, sizeof(prologue));
		prologue[flips[i].off] ^= 0x01;
		ok(message_1_refused(x, prologue, x->psk, NULL),
		    "%s: a flipped bit in %s (prologue byte %zu): message 1 "
		    "refused", tag, flips[i].what, flips[i].off);
	}
	/* A flipped bit in A's sid or Ya reaches the listener's CPace: its
	 * ISK changes too. */
	memcpy(msg1, x->msg_a, CPACE_MSG_A_LEN);
	msg1[3] ^= 0x01;
	cpace_init(&b, ROLE_RESPONDER);
	cpace_set_scalar(&b, x->yb);
	ok(cpace_respond(&b, x->code, strlen(x->code), msg1,
	    CPACE_MSG_A_LEN, r.msg_b, sizeof(r.msg_b), &len) == 0 &&
	    cpace_psk(&b, psk) == 0 &&
	    memcmp(psk, x->psk, NOISE_PSK_LEN) != 0,
	    "%s: a flipped sid bit in A gives the listener another psk", tag);
	cpace_clear(&b);
	for (size_t i = 0; i < x->ct_len[0]; i++) {
		memcpy(msg1, x->ct[0], x->ct_len[0]);
		msg1[i] ^= 0x80;
		refused += message_1_refused(x, x->prologue, x->psk, msg1);
	}
	ok(refused == x->ct_len[0],
	    "%s: each of message 1's %zu bytes flipped: refused %zu times",
	    tag, x->ct_len[0], refused);
	ok(message_1_refused(x, x->prologue, psk, NULL),
	    "%s: another psk: message 1 refused", tag);
	wipe(&r, sizeof(r));
	wipe(psk, sizeof(psk));
}

int
main(void)
{
	const json_t *vectors;
	json_t *root;
	size_t i, count = 0;
	json_t *v;

	if (suite_init() != 0 || noise_pattern_find(CPACE_PATTERN,
	    &xxpsk0) != 0) {
		ok(false, "suite_init and the XXpsk0 pattern");
		return tap_done();
	}
	root = vectors_load("sealcat/code_mode.json");
	if (root == NULL)
		return tap_done();
	vectors = json_object_get(root, "vectors");
	json_array_foreach(vectors, i, v) {
		struct vec x;
		char tag[32];

		snprintf(tag, sizeof(tag), "vector %zu", i + 1);
		if (ok(load(v, &x), "%s: every field present with its size",
		    tag)) {
			test_cpace_vector(&x, tag);
			test_noise_vector(&x, tag);
			test_failures(&x, tag);
		}
		unload(&x);
		count++;
	}
	ok(count == 2, "code_mode.json has the 2 vectors written here (%zu)",
	    count);
	json_decref(root);
	return tap_done();
}
