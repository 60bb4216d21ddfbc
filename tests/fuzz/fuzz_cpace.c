/*
 * fuzz_cpace.c - code mode's CPace messages (PROTOCOL.md, "Code mode")
 * from a hostile peer, and the Noise XXpsk0 message that follows them.
 *
 * Input: flags || record [|| record], each record a uint16 BE length and
 * the message (cut short if the input ends).  Without FUZZ_CPACE_B the
 * listener reads message A (cpace_respond()), then, if a second record
 * follows, Noise message 1, which must carry no payload.  With
 * FUZZ_CPACE_B the connector sends its fixed A, reads message B
 * (cpace_finish()), writes message 1 and reads the second record as
 * message 2 with a 1-byte payload buffer.  Every side uses the fixed code,
 * sid, scalars and keys of fuzz.h.
 *
 * Checked: a CPace message is accepted exactly when it has the exact
 * length and its share is the canonical encoding of a group element other
 * than the identity (bit 255 clear, libsodium's decoding, not all zeros);
 * a refused one leaves the CPace state all zeros and the listener writes
 * not a byte of B; an accepted A gives a valid B and leaves no scalar
 * behind; a Noise message that fails leaves the handshake state all zeros.
 * fuzz_accepted: the CPace message and, when present, the Noise message
 * were accepted (message 2's payload being 0x00 or 0x01).
 */
#include <sodium.h>

#include "fuzz.h"

bool fuzz_accepted;

#define CANARY 0xa5

static bool
valid_share(const uint8_t p[CPACE_POINT_LEN])
{
	return (p[CPACE_POINT_LEN - 1] & 0x80) == 0 &&
	    crypto_core_ristretto255_is_valid_point(p) &&
	    !fuzz_all_zero(p, CPACE_POINT_LEN);
}

static bool
listen_side(const uint8_t *data, size_t size, size_t pos)
{
	uint8_t b[CPACE_MSG_B_LEN + 16];
	size_t b_len = SIZE_MAX, rec_len, declared;
	const uint8_t *rec;
	struct handshake_state hs;
	struct cpace c;
	bool want;

	fuzz_cpace_init(&c, ROLE_RESPONDER);
	if (!fuzz_next_record(data, size, &pos, &rec, &rec_len, &declared)) {
		cpace_clear(&c);
		return false;
	}
	want = rec_len == CPACE_MSG_A_LEN && valid_share(rec + CPACE_SID_LEN);
	memset(b, CANARY, sizeof(b));
	if (cpace_respond(&c, FUZZ_CODE, strlen(FUZZ_CODE), rec, rec_len, b,
	    sizeof(b), &b_len) != 0) {
		FUZZ_ASSERT(!want);
		FUZZ_ASSERT(fuzz_all_zero(&c, sizeof(c)));
		FUZZ_ASSERT(b_len == SIZE_MAX);
		for (size_t i = 0; i < sizeof(b); i++)
			FUZZ_ASSERT(b[i] == CANARY);
		return false;
	}
	FUZZ_ASSERT(want);
	FUZZ_ASSERT(b_len == CPACE_MSG_B_LEN && valid_share(b));
	for (size_t i = CPACE_MSG_B_LEN; i < sizeof(b); i++)
		FUZZ_ASSERT(b[i] == CANARY);
	FUZZ_ASSERT(c.step == CPACE_DONE && fuzz_all_zero(c.y, sizeof(c.y)));
	if (!fuzz_next_record(data, size, &pos, &rec, &rec_len, &declared)) {
		cpace_clear(&c);
		return true;
	}
	fuzz_code_handshake_init(&hs, ROLE_RESPONDER, &c);
	cpace_clear(&c);
	/* Message 1 of code mode carries nothing: no payload buffer. */
	if (noise_read_message(&hs, rec, rec_len, NULL, 0, NULL) != 0) {
		FUZZ_ASSERT(fuzz_all_zero(&hs, sizeof(hs)));
		return false;
	}
	FUZZ_ASSERT(hs.msg_index == 1);
	handshake_clear(&hs);
	return true;
}

static bool
connect_side(const uint8_t *data, size_t size, size_t pos)
{
	static uint8_t out[NOISE_MSG_MAX];
	uint8_t a[CPACE_MSG_A_LEN], payload[1];
	size_t a_len, out_len, rec_len, declared, payload_len = SIZE_MAX;
	const uint8_t *rec;
	struct handshake_state hs;
	struct cpace c;
	bool want;

	fuzz_cpace_init(&c, ROLE_INITIATOR);
	FUZZ_ASSERT(cpace_start(&c, FUZZ_CODE, strlen(FUZZ_CODE), a,
	    sizeof(a), &a_len) == 0 && a_len == CPACE_MSG_A_LEN);
	if (!fuzz_next_record(data, size, &pos, &rec, &rec_len, &declared)) {
		cpace_clear(&c);
		return false;
	}
	want = rec_len == CPACE_MSG_B_LEN && valid_share(rec);
	if (cpace_finish(&c, rec, rec_len) != 0) {
		FUZZ_ASSERT(!want);
		FUZZ_ASSERT(fuzz_all_zero(&c, sizeof(c)));
		return false;
	}
	FUZZ_ASSERT(want);
	FUZZ_ASSERT(c.step == CPACE_DONE && fuzz_all_zero(c.y, sizeof(c.y)));
	if (!fuzz_next_record(data, size, &pos, &rec, &rec_len, &declared)) {
		cpace_clear(&c);
		return true;
	}
	fuzz_code_handshake_init(&hs, ROLE_INITIATOR, &c);
	cpace_clear(&c);
	FUZZ_ASSERT(noise_write_message(&hs, NULL, 0, out, sizeof(out),
	    &out_len) == 0);
	if (noise_read_message(&hs, rec, rec_len, payload, sizeof(payload),
	    &payload_len) != 0) {
		FUZZ_ASSERT(fuzz_all_zero(&hs, sizeof(hs)));
		return false;
	}
	FUZZ_ASSERT(payload_len <= sizeof(payload));
	FUZZ_ASSERT(noise_remote_static(&hs) != NULL);
	handshake_clear(&hs);
	return payload_len == 1 && payload[0] <= 0x01;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepted = false;
	if (size < 1)
		return 0;
	fuzz_setup();
	if (data[0] & FUZZ_CPACE_B)
		fuzz_accepted = connect_side(data, size, 1);
	else
		fuzz_accepted = listen_side(data, size, 1);
	return 0;
}
