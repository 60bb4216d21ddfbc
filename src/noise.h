/*
 * noise.h - Noise XX for sealcat (PROTOCOL.md §2): CipherState,
 * SymmetricState and HandshakeState over a struct suite.  No I/O: the
 * caller moves the messages.  Names follow the Noise specification (rev 34).
 */
#ifndef SEALCAT_NOISE_H
#define SEALCAT_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "suite.h"

enum role { ROLE_INITIATOR, ROLE_RESPONDER };

/* Largest handshake message sealcat sends or accepts (uint16 length). */
#define NOISE_MSG_MAX 65535

struct cipher_state {
	const struct suite *suite;
	uint8_t k[SUITE_KEY_LEN];
	uint64_t n;
	bool has_key;
};

struct symmetric_state {
	struct cipher_state cs;
	uint8_t ck[SUITE_HASH_MAX];
	uint8_t h[SUITE_HASH_MAX];
};

struct handshake_state {
	const struct suite *suite;
	enum role role;
	struct symmetric_state ss;
	uint8_t s_priv[SUITE_PRIV_LEN];
	uint8_t s_pub[SUITE_PUB_MAX];
	uint8_t e_priv[SUITE_PRIV_LEN];
	uint8_t e_pub[SUITE_PUB_MAX];
	uint8_t rs[SUITE_PUB_MAX];
	uint8_t re[SUITE_PUB_MAX];
	bool has_e;		/* e set (generated or injected for tests) */
	bool has_rs;
	int msg_index;		/* next XX message: 0, 1, 2; 3 when done */
};

/*
 * Initialize(XX, prologue, s): copies the static key pair.  Returns 0, or
 * -1 if the suite's hash cannot take the protocol name (never for ours).
 */
int noise_init(struct handshake_state *hs, const struct suite *suite,
    enum role role, const uint8_t *prologue, size_t prologue_len,
    const uint8_t s_priv[SUITE_PRIV_LEN], const uint8_t *s_pub);

/*
 * Test hook for published vectors: use priv as the ephemeral key instead of
 * generating one.  Call after noise_init(), before the first message.
 * Returns -1 if priv is invalid for the suite.
 */
int noise_set_ephemeral(struct handshake_state *hs,
    const uint8_t priv[SUITE_PRIV_LEN]);

/*
 * Uses a key pair made by the suite's keypair() as the ephemeral key, so
 * that the first message we write need not generate one: a listener makes
 * the next connection's pair while it waits for that connection.  Call
 * after noise_init(), before the first message; a pair must serve one
 * handshake only.  Returns -1 if the state does not take one now.
 */
int noise_use_ephemeral(struct handshake_state *hs,
    const uint8_t priv[SUITE_PRIV_LEN], const uint8_t *pub);

/*
 * Writes the next handshake message, carrying payload, into out.  Returns 0
 * and sets *out_len, or -1 when it is not our turn, out_cap is too small,
 * or a DH fails.  Nothing is reported: the caller words the error.  After
 * a -1 (here or in noise_read_message()) hs is cleared and the handshake
 * is over: every later call fails.
 */
int noise_write_message(struct handshake_state *hs, const uint8_t *payload,
    size_t payload_len, uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Reads the next handshake message.  The decrypted payload goes to payload
 * (payload_cap bytes; may be NULL with cap 0 to require an empty payload).
 * Returns 0, or -1 when the message is too short, a key is invalid, a DH
 * fails or authentication fails.  Nothing is reported.
 */
int noise_read_message(struct handshake_state *hs, const uint8_t *msg,
    size_t msg_len, uint8_t *payload, size_t payload_cap,
    size_t *payload_len);

/* The peer's static public key (pub_len bytes), or NULL before it is known. */
const uint8_t *noise_remote_static(const struct handshake_state *hs);

/* Expected size of XX message i (0..2) with an empty payload. */
size_t noise_message_len(const struct suite *suite, int i);

/*
 * Split() after message 3: sets the sending and receiving cipher states for
 * our role (initiator sends with c1), copies the handshake hash to h_out
 * (hash_len bytes) when h_out is not NULL, then clears hs.  Returns -1 if
 * the handshake is not complete.
 */
int noise_split(struct handshake_state *hs, struct cipher_state *send,
    struct cipher_state *recv, uint8_t *h_out);

/*
 * The rekey secret of protocol v2 (PROTOCOL.md §2.7): rk, the third output
 * of HKDF(ck, empty, 3), whose first two outputs are Split()'s keys.  Call
 * after message 3 and before noise_split(), which clears ck.  Writes
 * hash_len bytes to rk.  Returns -1 if the handshake is not complete.
 */
int noise_rekey_secret(const struct handshake_state *hs, uint8_t *rk);

/*
 * EncryptWithAd: out = ciphertext || tag (in_len + 16 bytes, out_cap at
 * least that; in and out may alias).  Returns -1 if n has reached 2^64-1 or
 * out_cap is too small.  Without a key, copies in to out.
 */
int noise_encrypt(struct cipher_state *cs, const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len);

/*
 * DecryptWithAd: in_len >= 16; plaintext to out (in_len - 16 bytes; in and
 * out may alias).  Returns -1 on a bad tag (out wiped), nonce exhaustion or
 * a short input; n advances only on success.
 */
int noise_decrypt(struct cipher_state *cs, const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len);

/*
 * HKDF(ck, ikm, num_outputs) of the Noise specification (§4.3), which is
 * RFC 5869 with salt = ck and empty info: writes num_outputs (1..3) blocks
 * of hash_len bytes to out.  In Noise ck_len is always hash_len; other
 * lengths are accepted so the RFC 5869 vectors can run.
 */
void noise_hkdf(const struct suite *suite, const uint8_t *ck, size_t ck_len,
    const uint8_t *ikm, size_t ikm_len, int num_outputs, uint8_t *out);

/* Rekey(): k = first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zeros). */
void noise_rekey(struct cipher_state *cs);

/* Wipe; accept NULL. */
void cipher_state_clear(struct cipher_state *cs);
void handshake_clear(struct handshake_state *hs);

#endif
