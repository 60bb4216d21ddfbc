/*
 * noise.h - the Noise Protocol Framework (revision 34) for sealcat
 * (PROTOCOL.md §2): CipherState, SymmetricState and a HandshakeState that
 * runs any handshake pattern of the table in noise.c, over a struct suite.
 * No I/O: the caller moves the messages.  sealcat's wire protocol uses XX
 * (noise_init()); the other patterns run the published vectors and are
 * there for what comes next.  Names follow the specification.
 */
#ifndef SEALCAT_NOISE_H
#define SEALCAT_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/suite.h"

enum role { ROLE_INITIATOR, ROLE_RESPONDER };

/* Largest handshake message sealcat sends or accepts (uint16 length). */
#define NOISE_MSG_MAX 65535

/* The tokens of a message pattern (Noise §7.1, §9.2), as bytes. */
enum noise_token {
	NOISE_TOKEN_END = 0,	/* ends a message pattern */
	NOISE_TOKEN_E,
	NOISE_TOKEN_S,
	NOISE_TOKEN_EE,
	NOISE_TOKEN_ES,
	NOISE_TOKEN_SE,
	NOISE_TOKEN_SS,
	NOISE_TOKEN_PSK
};

#define NOISE_MESSAGES_MAX 4	/* longest patterns: X1X1, X1K1, ... */
#define NOISE_TOKENS_MAX 8	/* per message: "e, ee, se, s, es", psk at
				 * both ends, and NOISE_TOKEN_END */
#define NOISE_PSK_LEN 32	/* Noise §9: a psk is 32 bytes */
#define NOISE_PSK_MAX (NOISE_MESSAGES_MAX + 1)	/* psk0 .. psk4 */
#define NOISE_PATTERN_NAME_MAX 40	/* "XXpsk0+psk1+psk2+psk3" fits */
#define NOISE_PROTOCOL_NAME_MAX 255	/* Noise §8 */

/*
 * A handshake pattern (Noise §7): the pre-messages of the initiator
 * (pre[0]) and the responder (pre[1]), and msg_count message patterns,
 * each a NOISE_TOKEN_END-terminated list of enum noise_token.  Message i
 * is sent by the initiator when i is even.  Only the token "s" appears in
 * pre-messages: no pattern of the table pre-shares an ephemeral key.
 */
struct noise_pattern {
	char name[NOISE_PATTERN_NAME_MAX];	/* "XX", "NNpsk0+psk2" */
	uint8_t pre[2][NOISE_TOKENS_MAX];
	uint8_t msg[NOISE_MESSAGES_MAX][NOISE_TOKENS_MAX];
	int msg_count;
	int psk_count;		/* psk tokens; psk mode when > 0 */
};

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
	struct noise_pattern pattern;
	struct symmetric_state ss;
	uint8_t s_priv[SUITE_PRIV_LEN];
	uint8_t s_pub[SUITE_PUB_MAX];
	uint8_t e_priv[SUITE_PRIV_LEN];
	uint8_t e_pub[SUITE_PUB_MAX];
	uint8_t rs[SUITE_PUB_MAX];
	uint8_t re[SUITE_PUB_MAX];
	uint8_t psk[NOISE_PSK_MAX][NOISE_PSK_LEN];	/* wiped once used */
	int psk_used;		/* psk tokens processed so far */
	bool has_e;		/* e set (generated or injected for tests) */
	bool has_rs;
	int msg_index;		/* next message; pattern.msg_count when done */
};

/*
 * The keys Initialize() takes besides the prologue (Noise §5.3, §9): our
 * static key pair (s_priv, s_pub), the peer's static public key rs when a
 * pre-message gives it to us (NK, KK, IK, ...: pub_len bytes), and
 * psk_count pre-shared keys of NOISE_PSK_LEN bytes each at psk, one per psk
 * token, in the order the tokens come.  A key the pattern does not use may
 * be given and is ignored.
 */
struct noise_keys {
	const uint8_t *s_priv;
	const uint8_t *s_pub;
	const uint8_t *rs;
	const uint8_t *psk;
	size_t psk_count;
};

/*
 * Looks up a handshake pattern by its name section (Noise §8.1): a row of
 * the table ("XX", "IK", "X1K1", all of §7.4, §7.5 and §18.1), then
 * optionally the psk modifiers of §9.4 in increasing order ("XXpsk0",
 * "NNpsk0+psk2").  Fills *p.  Returns -1 for an unknown row or modifier, a
 * name too long, or a pattern that breaks a validity rule (Noise §7.3
 * rules 1-4, and §9.3 for psk).
 */
int noise_pattern_find(const char *name, struct noise_pattern *p);

/*
 * True if p satisfies the validity rules of Noise §7.3 (1: DH only with
 * keys both parties have; 2: each party sends e and s at most once; 3: no
 * DH twice; 4: no payload after a DH with our static key unless our
 * ephemeral has met the same remote key) and §9.3 (after a psk token, a
 * party encrypts only once it has sent e), and only "s" in pre-messages.
 * noise_pattern_find() and noise_init_pattern() check it.
 */
bool noise_pattern_valid(const struct noise_pattern *p);

/*
 * Where in pattern p role learns the peer's static key: the number of
 * messages after which it is known (0: a pre-message gives it, as in KK;
 * i + 1: message i carries it, 2 for the XX initiator and 3 for the XX
 * responder), or -1 if p never gives it (NN).  A driver decides about the
 * peer there (noise_remote_static() is then set).
 */
int noise_pattern_peer_static_at(const struct noise_pattern *p,
    enum role role);

/*
 * The message in which role sends its static key ("s"), which reveals
 * who it is: 2 for the XX initiator, 1 for the XX responder; -1 if role
 * never sends it in a message (no static key, or a pre-message one).
 */
int noise_pattern_static_sent(const struct noise_pattern *p, enum role role);

/*
 * The Noise protocol name of pattern p over suite: "Noise_" || p->name ||
 * "_" || suite->algorithms (Noise §8), into out (out_cap bytes, NUL
 * terminated).  Returns its length, or 0 if it does not fit.
 */
size_t noise_protocol_name(const struct noise_pattern *p,
    const struct suite *suite, char *out, size_t out_cap);

/*
 * Initialize(pattern, role, prologue, keys) (Noise §5.3): copies the
 * pattern and the keys it uses, hashes the protocol name, the prologue and
 * the pre-message keys.  Returns -1 if the pattern is not valid
 * (noise_pattern_valid()), if a key the pattern needs is missing
 * (or rs is not a valid public key for the suite), if psk_count differs
 * from the pattern's psk tokens, or if the suite's sizes exceed ours; hs
 * is then cleared.
 */
int noise_init_pattern(struct handshake_state *hs,
    const struct noise_pattern *pattern, const struct suite *suite,
    enum role role, const uint8_t *prologue, size_t prologue_len,
    const struct noise_keys *keys);

/*
 * Initialize() for sealcat's protocol: pattern XX, our static key pair.
 * Returns 0, or -1 as noise_init_pattern().
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

/*
 * Size of message i (0-based) of pattern p over suite with an empty
 * payload; 0 if there is no message i.
 */
size_t noise_message_len(const struct noise_pattern *p,
    const struct suite *suite, int i);

/*
 * Split() after the last message: sets the sending and receiving cipher
 * states for our role (initiator sends with c1), copies the handshake hash
 * to h_out (hash_len bytes) when h_out is not NULL, then clears hs.  In a
 * one-way pattern the responder only receives and the initiator only
 * sends: the other state must not be used (Noise §7.4).  Returns -1 if the
 * handshake is not complete.
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
 * of hash_len bytes to out (MixKey and Split take 2, MixKeyAndHash 3).  In
 * Noise ck_len is always hash_len; other lengths are accepted so the RFC
 * 5869 vectors can run.
 */
void noise_hkdf(const struct suite *suite, const uint8_t *ck, size_t ck_len,
    const uint8_t *ikm, size_t ikm_len, int num_outputs, uint8_t *out);

/* Rekey(): k = first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zeros). */
void noise_rekey(struct cipher_state *cs);

/* Wipe; accept NULL. */
void cipher_state_clear(struct cipher_state *cs);
void handshake_clear(struct handshake_state *hs);

#endif
