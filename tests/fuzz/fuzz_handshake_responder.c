/*
 * fuzz_handshake_responder.c - the listening side of Noise XX (PROTOCOL.md
 * §2) fed whatever a hostile initiator sends as messages 1 and 3.
 *
 * Input: flags || record || record, each record a uint16 BE length and the
 * message (cut short if the input ends).  The responder reads message 1,
 * writes message 2 with its fixed keys, reads message 3 and splits.  With
 * FUZZ_PAYLOAD it offers a payload buffer, as a v1 receiver that ignores
 * payloads does; without, any payload is refused.
 *
 * Checked: a message that fails leaves the handshake state all zeros (no
 * secret survives a failure, and nothing later can use it); a message that
 * is accepted moves the state on; the peer's static key is known only
 * after message 3 and is a valid key; a completed handshake splits into
 * two keyed cipher states.
 */
#include "fuzz.h"

bool fuzz_accepted;

static bool
read_msg(struct handshake_state *hs, bool offer_payload, const uint8_t *msg,
    size_t msg_len)
{
	static uint8_t payload[NOISE_MSG_MAX];
	size_t payload_len = SIZE_MAX;
	int index = hs->msg_index;

	if (noise_read_message(hs, msg, msg_len,
	    offer_payload ? payload : NULL,
	    offer_payload ? sizeof(payload) : 0, &payload_len) != 0) {
		FUZZ_ASSERT(fuzz_all_zero(hs, sizeof(*hs)));
		FUZZ_ASSERT(noise_remote_static(hs) == NULL);
		return false;
	}
	FUZZ_ASSERT(hs->msg_index == index + 1);
	FUZZ_ASSERT(payload_len <= msg_len);
	FUZZ_ASSERT(offer_payload || payload_len == 0);
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[NOISE_MSG_MAX];
	const struct suite *suite;
	struct handshake_state hs;
	struct cipher_state send, recv;
	const uint8_t *msg;
	size_t msg_len, declared, out_len;
	size_t pos = 1;
	bool offer_payload;

	fuzz_accepted = false;
	if (size < 1)
		return 0;
	suite = fuzz_suite(data[0]);
	offer_payload = (data[0] & FUZZ_PAYLOAD) != 0;
	fuzz_handshake_init(&hs, suite, ROLE_RESPONDER);

	if (!fuzz_next_record(data, size, &pos, &msg, &msg_len, &declared) ||
	    !read_msg(&hs, offer_payload, msg, msg_len))
		goto out;
	FUZZ_ASSERT(noise_remote_static(&hs) == NULL);
	/* Message 2 fails only if the initiator's e gives an all-zero DH
	 * (a low-order x25519 point). */
	if (noise_write_message(&hs, NULL, 0, out, sizeof(out),
	    &out_len) != 0) {
		FUZZ_ASSERT(fuzz_all_zero(&hs, sizeof(hs)));
		goto out;
	}
	FUZZ_ASSERT(out_len == noise_message_len(&hs.pattern, suite, 1));

	if (!fuzz_next_record(data, size, &pos, &msg, &msg_len, &declared) ||
	    !read_msg(&hs, offer_payload, msg, msg_len))
		goto out;
	FUZZ_ASSERT(noise_remote_static(&hs) != NULL);
	FUZZ_ASSERT(suite->pub_valid(noise_remote_static(&hs)));
	/* Only a message 3 computed with our ephemeral key passes; the seeds
	 * carry one, so the fuzzer starts from a completed handshake. */
	FUZZ_ASSERT(noise_split(&hs, &send, &recv, NULL) == 0);
	FUZZ_ASSERT(fuzz_all_zero(&hs, sizeof(hs)));
	FUZZ_ASSERT(send.has_key && recv.has_key && send.n == 0 &&
	    recv.n == 0);
	cipher_state_clear(&send);
	cipher_state_clear(&recv);
	fuzz_accepted = true;
out:
	handshake_clear(&hs);
	return 0;
}
