/*
 * fuzz_frame.c - transport frames (PROTOCOL.md §3) from a hostile peer
 * after a real handshake.
 *
 * Input: flags || record || record ..., each record a frame as it comes
 * off the wire: the uint16 BE length L, then L bytes.  The receiving cipher
 * state comes from a complete handshake between the fixed keys, so frames
 * sealed by the other side (the seeds) open.  FUZZ_R2I picks the direction
 * responder -> initiator; FUZZ_NEAR_REKEY starts the receiver at nonce
 * 65534, so the third frame is opened after Rekey().
 *
 * The loop does what the relay does: check L with frame_len_ok() before
 * reading the body, stop at the first frame that fails, stop when the
 * peer closed mid-frame.  Each body sits in a buffer of exactly L bytes so
 * ASan catches a read or write past it.
 *
 * Checked: a frame that fails releases nothing (its buffer is all zeros
 * afterwards) and gives a reason; one that fails authentication leaves
 * the cipher state as it was; one that opens has a known type, the body
 * length L - 17 and a body length its type allows, and advances the nonce
 * by exactly one.
 */
#include "fuzz.h"
#include "frame.h"

bool fuzz_accepted;

static bool
same_state(const struct cipher_state *a, const struct cipher_state *b)
{
	return a->suite == b->suite && a->n == b->n &&
	    a->has_key == b->has_key && memcmp(a->k, b->k, sizeof(a->k)) == 0;
}

static void
check_opened(const struct suite *suite, enum frame_type type,
    size_t body_len, size_t len)
{
	FUZZ_ASSERT(body_len == len - 1 - SUITE_TAG_LEN);
	switch (type) {
	case FRAME_DATA:
		FUZZ_ASSERT(body_len >= 1 && body_len <= FRAME_BODY_MAX);
		break;
	case FRAME_CLOSE:
		FUZZ_ASSERT(body_len == 0);
		break;
	case FRAME_PING:
		break;
	case FRAME_ERROR:
		FUZZ_ASSERT(body_len <= FRAME_ERROR_MAX);
		break;
	case FRAME_DONE:
	case FRAME_SWITCH:
		FUZZ_ASSERT(body_len == 0);
		break;
	case FRAME_REKEY:
		FUZZ_ASSERT(body_len == suite->pub_len);
		break;
	default:
		FUZZ_ASSERT(!"frame_open accepted an unknown type");
	}
}

/* Opens one frame of len bytes; false when it failed. */
static bool
open_one(struct cipher_state *cs, const uint8_t *bytes, size_t len)
{
	struct cipher_state before = *cs;
	enum frame_type type = FRAME_PING;
	size_t body_len = SIZE_MAX;
	const char *why = NULL;
	uint8_t *ct = malloc(len > 0 ? len : 1);
	bool opened;

	FUZZ_ASSERT(ct != NULL);
	if (len > 0)
		memcpy(ct, bytes, len);
	opened = frame_open(cs, ct, len, &type, &body_len, &why) == 0;
	if (opened) {
		check_opened(cs->suite, type, body_len, len);
		FUZZ_ASSERT(cs->n == before.n + 1);
	} else {
		FUZZ_ASSERT(why != NULL);
		FUZZ_ASSERT(fuzz_all_zero(ct, len));
		if (strcmp(why, "frame failed authentication") == 0 ||
		    strcmp(why, "bad frame length") == 0)
			FUZZ_ASSERT(same_state(cs, &before));
		else
			FUZZ_ASSERT(cs->n == before.n + 1);
	}
	free(ct);
	wipe(&before, sizeof(before));
	return opened;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_transport cache[2];
	static bool cached[2];
	struct cipher_state cs;
	const uint8_t *rec;
	size_t rec_len, declared;
	size_t pos = 1;
	int which;

	fuzz_accepted = false;
	if (size < 1)
		return 0;
	/* The handshake is the same every time: do it once per suite. */
	which = (data[0] & FUZZ_P256) ? 1 : 0;
	if (!cached[which]) {
		fuzz_transport(fuzz_suite(data[0]), &cache[which]);
		cached[which] = true;
	}
	cs = (data[0] & FUZZ_R2I) ? cache[which].i_recv : cache[which].r_recv;
	if (data[0] & FUZZ_NEAR_REKEY)
		cs.n = FRAME_REKEY_INTERVAL - 2;

	fuzz_accepted = true;
	while (fuzz_next_record(data, size, &pos, &rec, &rec_len, &declared)) {
		if (!frame_len_ok(declared)) {
			/* The relay stops here without reading a body;
			 * frame_open() must refuse the length as well. */
			FUZZ_ASSERT(!open_one(&cs, rec, rec_len));
			fuzz_accepted = false;
			break;
		}
		if (rec_len < declared) {
			fuzz_accepted = false;	/* closed mid-frame */
			break;
		}
		if (!open_one(&cs, rec, rec_len)) {
			fuzz_accepted = false;
			break;
		}
	}
	cipher_state_clear(&cs);
	return 0;
}
