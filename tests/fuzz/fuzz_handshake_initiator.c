/*
 * fuzz_handshake_initiator.c - the connecting side of Noise XX (PROTOCOL.md
 * §2) fed whatever a hostile responder sends as message 2.
 *
 * Input: flags || record, the record a uint16 BE length and message 2 (cut
 * short if the input ends).  The initiator writes message 1 with its fixed
 * keys, reads message 2, and if that passes learns the responder's static
 * key, writes message 3 and splits.  FUZZ_PAYLOAD offers a payload buffer
 * as a v1 receiver that ignores payloads does.
 *
 * Checked: a message 2 that fails leaves the handshake state all zeros and
 * no peer key known (so conn.c cannot go on to message 3 and reveal who we
 * are); an accepted one yields a valid static key; message 3 then has its
 * fixed size and the split gives two keyed cipher states.
 */
#include "fuzz.h"

bool fuzz_accepted;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[NOISE_MSG_MAX];
	static uint8_t payload[NOISE_MSG_MAX];
	const struct suite *suite;
	struct handshake_state hs;
	struct cipher_state send, recv;
	const uint8_t *msg;
	size_t msg_len, declared, out_len;
	size_t payload_len = SIZE_MAX;
	size_t pos = 1;
	bool offer_payload;

	fuzz_accepted = false;
	if (size < 1)
		return 0;
	suite = fuzz_suite(data[0]);
	offer_payload = (data[0] & FUZZ_PAYLOAD) != 0;
	fuzz_handshake_init(&hs, suite, ROLE_INITIATOR);
	FUZZ_ASSERT(noise_write_message(&hs, NULL, 0, out, sizeof(out),
	    &out_len) == 0);
	FUZZ_ASSERT(out_len == noise_message_len(&hs.pattern, suite, 0));

	if (!fuzz_next_record(data, size, &pos, &msg, &msg_len, &declared))
		goto out;
	if (noise_read_message(&hs, msg, msg_len,
	    offer_payload ? payload : NULL,
	    offer_payload ? sizeof(payload) : 0, &payload_len) != 0) {
		FUZZ_ASSERT(fuzz_all_zero(&hs, sizeof(hs)));
		FUZZ_ASSERT(noise_remote_static(&hs) == NULL);
		/* A dead handshake cannot be made to write message 3. */
		FUZZ_ASSERT(noise_write_message(&hs, NULL, 0, out,
		    sizeof(out), &out_len) == -1);
		goto out;
	}
	FUZZ_ASSERT(payload_len <= msg_len);
	FUZZ_ASSERT(offer_payload || payload_len == 0);
	FUZZ_ASSERT(noise_remote_static(&hs) != NULL);
	FUZZ_ASSERT(suite->pub_valid(noise_remote_static(&hs)));
	/* Our ephemeral key has done its last DH. */
	FUZZ_ASSERT(fuzz_all_zero(hs.e_priv, sizeof(hs.e_priv)));

	FUZZ_ASSERT(noise_write_message(&hs, NULL, 0, out, sizeof(out),
	    &out_len) == 0);
	FUZZ_ASSERT(out_len == noise_message_len(&hs.pattern, suite, 2));
	FUZZ_ASSERT(noise_split(&hs, &send, &recv, NULL) == 0);
	FUZZ_ASSERT(fuzz_all_zero(&hs, sizeof(hs)));
	FUZZ_ASSERT(send.has_key && recv.has_key);
	cipher_state_clear(&send);
	cipher_state_clear(&recv);
	fuzz_accepted = true;
out:
	handshake_clear(&hs);
	return 0;
}
