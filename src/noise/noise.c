/*
 * noise.c - the Noise Protocol Framework (specification revision 34) for
 * sealcat, PROTOCOL.md §2: CipherState, SymmetricState, HKDF, Split and
 * Rekey, and a HandshakeState that walks a handshake pattern token by
 * token, written once on top of struct suite.  No I/O and no logging:
 * every failure is a -1 that the caller turns into a message.
 *
 * Names are the specification's, so the two can be read side by side:
 * ck (chaining key), h (handshake hash), k and n (cipher key and nonce),
 * e and s (our ephemeral and static key pairs), re and rs (the peer's
 * ephemeral and static public keys).
 *
 * A handshake pattern is a row of the table below, written as the
 * specification writes it; the psk modifiers of §9.4 are applied to a row
 * by noise_pattern_find(), so "XXpsk0" is row XX with a psk token at the
 * start of its first message.  One loop writes a message and one reads
 * it; what each token does is in write_token() and read_token().
 */
#include "noise/noise.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

#define NONCE_MAX UINT64_MAX	/* 2^64-1: reserved for Rekey() */
#define HKDF_MAX_OUTPUTS 3

static const uint8_t empty[1];	/* a valid pointer for zero-length input */

/*
 * The handshake patterns: one-way (§7.4), fundamental interactive (§7.5)
 * and deferred (§18.1).  pre[0] is the initiator's pre-message, pre[1] the
 * responder's; message i is sent by the initiator when i is even.
 */
struct pattern_row {
	const char *name;
	const char *pre[2];
	const char *msg[NOISE_MESSAGES_MAX];
};

static const struct pattern_row rows[] = {
	{ "N", { "", "s" }, { "e, es" } },
	{ "K", { "s", "s" }, { "e, es, ss" } },
	{ "X", { "", "s" }, { "e, es, s, ss" } },

	{ "NN", { "", "" }, { "e", "e, ee" } },
	{ "NK", { "", "s" }, { "e, es", "e, ee" } },
	{ "NX", { "", "" }, { "e", "e, ee, s, es" } },
	{ "KN", { "s", "" }, { "e", "e, ee, se" } },
	{ "KK", { "s", "s" }, { "e, es, ss", "e, ee, se" } },
	{ "KX", { "s", "" }, { "e", "e, ee, se, s, es" } },
	{ "XN", { "", "" }, { "e", "e, ee", "s, se" } },
	{ "XK", { "", "s" }, { "e, es", "e, ee", "s, se" } },
	{ "XX", { "", "" }, { "e", "e, ee, s, es", "s, se" } },
	{ "IN", { "", "" }, { "e, s", "e, ee, se" } },
	{ "IK", { "", "s" }, { "e, es, s, ss", "e, ee, se" } },
	{ "IX", { "", "" }, { "e, s", "e, ee, se, s, es" } },

	{ "NK1", { "", "s" }, { "e", "e, ee, es" } },
	{ "NX1", { "", "" }, { "e", "e, ee, s", "es" } },
	{ "X1N", { "", "" }, { "e", "e, ee", "s", "se" } },
	{ "X1K", { "", "s" }, { "e, es", "e, ee", "s", "se" } },
	{ "XK1", { "", "s" }, { "e", "e, ee, es", "s, se" } },
	{ "X1K1", { "", "s" }, { "e", "e, ee, es", "s", "se" } },
	{ "X1X", { "", "" }, { "e", "e, ee, s, es", "s", "se" } },
	{ "XX1", { "", "" }, { "e", "e, ee, s", "es, s, se" } },
	{ "X1X1", { "", "" }, { "e", "e, ee, s", "es, s", "se" } },
	{ "K1N", { "s", "" }, { "e", "e, ee", "se" } },
	{ "K1K", { "s", "s" }, { "e, es", "e, ee", "se" } },
	{ "KK1", { "s", "s" }, { "e", "e, ee, se, es" } },
	{ "K1K1", { "s", "s" }, { "e", "e, ee, es", "se" } },
	{ "K1X", { "s", "" }, { "e", "e, ee, s, es", "se" } },
	{ "KX1", { "s", "" }, { "e", "e, ee, se, s", "es" } },
	{ "K1X1", { "s", "" }, { "e", "e, ee, s", "se, es" } },
	{ "I1N", { "", "" }, { "e, s", "e, ee", "se" } },
	{ "I1K", { "", "s" }, { "e, es, s", "e, ee", "se" } },
	{ "IK1", { "", "s" }, { "e, s", "e, ee, se, es" } },
	{ "I1K1", { "", "s" }, { "e, s", "e, ee, es", "se" } },
	{ "I1X", { "", "" }, { "e, s", "e, ee, s, es", "se" } },
	{ "IX1", { "", "" }, { "e, s", "e, ee, se, s", "es" } },
	{ "I1X1", { "", "" }, { "e, s", "e, ee, s", "se, es" } },
};

static const char *const token_names[] = {
	[NOISE_TOKEN_E] = "e",
	[NOISE_TOKEN_S] = "s",
	[NOISE_TOKEN_EE] = "ee",
	[NOISE_TOKEN_ES] = "es",
	[NOISE_TOKEN_SE] = "se",
	[NOISE_TOKEN_SS] = "ss",
	[NOISE_TOKEN_PSK] = "psk",
};

/* The token spelled by the len bytes at text, or NOISE_TOKEN_END. */
static enum noise_token
token_named(const char *text, size_t len)
{
	for (size_t t = 1; t < ARRAY_LEN(token_names); t++)
		if (strlen(token_names[t]) == len &&
		    memcmp(token_names[t], text, len) == 0)
			return (enum noise_token)t;
	return NOISE_TOKEN_END;
}

/* "e, ee, s, es" into out, NOISE_TOKEN_END-terminated. */
static int
parse_tokens(const char *text, uint8_t out[NOISE_TOKENS_MAX])
{
	size_t n = 0;

	while (*text != '\0') {
		size_t len = strcspn(text, ",");
		enum noise_token t = token_named(text, len);

		if (t == NOISE_TOKEN_END || n + 1 >= NOISE_TOKENS_MAX)
			return -1;
		out[n++] = (uint8_t)t;
		text += len;
		if (*text == ',')
			text += strspn(text, ", ");
	}
	out[n] = NOISE_TOKEN_END;
	return 0;
}

static size_t
token_count(const uint8_t *t)
{
	size_t n = 0;

	while (t[n] != NOISE_TOKEN_END)
		n++;
	return n;
}

/*
 * The psk modifiers of §9.4, e.g. "psk0+psk2": psk0 puts a psk token at
 * the start of the first message, pskN at the end of message N.  Each
 * number once, in increasing order, so one pattern has one name.
 */
static int
apply_psk_modifiers(struct noise_pattern *p, const char *mods)
{
	int last = -1;

	while (*mods != '\0') {
		uint8_t *msg;
		size_t n;
		int at;

		if (strncmp(mods, "psk", 3) != 0 || mods[3] < '0' ||
		    mods[3] > '9')
			return -1;
		at = mods[3] - '0';
		mods += 4;
		if (*mods == '+' && mods[1] != '\0')
			mods++;
		else if (*mods != '\0')
			return -1;
		if (at <= last || at > p->msg_count)
			return -1;
		last = at;
		msg = p->msg[at == 0 ? 0 : at - 1];
		if ((n = token_count(msg)) + 1 >= NOISE_TOKENS_MAX)
			return -1;
		if (at == 0) {
			memmove(msg + 1, msg, n + 1);
			msg[0] = NOISE_TOKEN_PSK;
		} else {
			msg[n] = NOISE_TOKEN_PSK;
			msg[n + 1] = NOISE_TOKEN_END;
		}
		p->psk_count++;
	}
	return 0;
}

/*
 * What the checks of §7.3 and §9.3 track while walking a pattern, per
 * party (0 initiator, 1 responder).
 */
struct walk {
	bool has_e[2], has_s[2];
	bool dh[NOISE_TOKEN_PSK];	/* ee, es, se, ss done */
	bool psk;			/* a psk token was processed */
};

/*
 * Rule 4 of §7.3 for party who, about to send a payload: a DH between its
 * static key and a remote key needs the DH between its ephemeral key and
 * that remote key first.  And §9.3: after a psk, encrypted data only from
 * a party that has sent an e.
 */
static bool
may_send_payload(const struct walk *w, int who)
{
	bool se_ok = w->dh[NOISE_TOKEN_EE] || !w->dh[who == 0 ?
	    NOISE_TOKEN_SE : NOISE_TOKEN_ES];
	bool ss_ok = w->dh[who == 0 ? NOISE_TOKEN_ES : NOISE_TOKEN_SE] ||
	    !w->dh[NOISE_TOKEN_SS];

	return se_ok && ss_ok && (!w->psk || w->has_e[who]);
}

/* Rules 1-3 of §7.3 and §9.3 for token t sent by party who. */
static bool
token_valid(struct walk *w, int who, enum noise_token t)
{
	switch (t) {
	case NOISE_TOKEN_E:
		if (w->has_e[who])
			return false;
		w->has_e[who] = true;
		return true;
	case NOISE_TOKEN_S:
		if (w->has_s[who] || (w->psk && !w->has_e[who]))
			return false;
		w->has_s[who] = true;
		return true;
	case NOISE_TOKEN_PSK:
		w->psk = true;
		return true;
	case NOISE_TOKEN_EE:
	case NOISE_TOKEN_ES:
	case NOISE_TOKEN_SE:
	case NOISE_TOKEN_SS:
		if (w->dh[t])
			return false;
		w->dh[t] = true;
		/* The initiator's key is e for ee and es, the responder's
		 * is e for ee and se. */
		return (t == NOISE_TOKEN_EE || t == NOISE_TOKEN_ES ?
		    w->has_e[0] : w->has_s[0]) &&
		    (t == NOISE_TOKEN_EE || t == NOISE_TOKEN_SE ?
		    w->has_e[1] : w->has_s[1]);
	default:
		return false;
	}
}

/* True if t is NOISE_TOKEN_END-terminated within NOISE_TOKENS_MAX. */
static bool
terminated(const uint8_t *t)
{
	return memchr(t, NOISE_TOKEN_END, NOISE_TOKENS_MAX) != NULL;
}

bool
noise_pattern_valid(const struct noise_pattern *p)
{
	struct walk w;
	int psk_count = 0;

	memset(&w, 0, sizeof(w));
	if (memchr(p->name, '\0', sizeof(p->name)) == NULL ||
	    p->msg_count < 1 || p->msg_count > NOISE_MESSAGES_MAX)
		return false;
	for (int who = 0; who < 2; who++) {
		const uint8_t *pre = p->pre[who];

		/* Only "s" or nothing: the table pre-shares no e. */
		w.has_s[who] = pre[0] == NOISE_TOKEN_S;
		if (pre[w.has_s[who] ? 1 : 0] != NOISE_TOKEN_END)
			return false;
	}
	for (int i = 0; i < p->msg_count; i++) {
		if (!terminated(p->msg[i]))
			return false;
		for (const uint8_t *t = p->msg[i]; *t != NOISE_TOKEN_END;
		    t++) {
			if (!token_valid(&w, i % 2, *t))
				return false;
			psk_count += *t == NOISE_TOKEN_PSK;
		}
		if (!may_send_payload(&w, i % 2))
			return false;
	}
	/* hs->psk has room for NOISE_PSK_MAX, one per token. */
	if (psk_count != p->psk_count || psk_count > NOISE_PSK_MAX)
		return false;
	/* Transport messages: both send, except in one-way patterns. */
	return may_send_payload(&w, 0) &&
	    (p->msg_count == 1 || may_send_payload(&w, 1));
}

int
noise_pattern_find(const char *name, struct noise_pattern *p)
{
	/* The base name is upper case and digits; modifiers start lower. */
	size_t base_len = strcspn(name, "abcdefghijklmnopqrstuvwxyz");
	const struct pattern_row *row = NULL;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < ARRAY_LEN(rows) && row == NULL; i++)
		if (strlen(rows[i].name) == base_len &&
		    memcmp(rows[i].name, name, base_len) == 0)
			row = &rows[i];
	if (row == NULL || strlen(name) >= sizeof(p->name))
		return -1;
	memcpy(p->name, name, strlen(name) + 1);
	if (parse_tokens(row->pre[0], p->pre[0]) != 0 ||
	    parse_tokens(row->pre[1], p->pre[1]) != 0)
		return -1;
	for (int i = 0; i < NOISE_MESSAGES_MAX && row->msg[i] != NULL; i++) {
		if (parse_tokens(row->msg[i], p->msg[i]) != 0)
			return -1;
		p->msg_count = i + 1;
	}
	if (apply_psk_modifiers(p, name + base_len) != 0 ||
	    !noise_pattern_valid(p))
		return -1;
	return 0;
}

size_t
noise_protocol_name(const struct noise_pattern *p, const struct suite *suite,
    char *out, size_t out_cap)
{
	int n = snprintf(out, out_cap, "Noise_%s_%s", p->name,
	    suite->algorithms);

	if (n < 0 || (size_t)n >= out_cap)
		return 0;
	return (size_t)n;
}

static void
initialize_key(struct cipher_state *cs, const struct suite *suite,
    const uint8_t *k)
{
	cs->suite = suite;
	memcpy(cs->k, k, SUITE_KEY_LEN);
	cs->n = 0;
	cs->has_key = true;
}

static int
copy_plain(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	if (in_len > out_cap)
		return -1;
	if (out != in && in_len > 0)
		memmove(out, in, in_len);
	*out_len = in_len;
	return 0;
}

int
noise_encrypt(struct cipher_state *cs, const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	if (!cs->has_key)
		return copy_plain(in, in_len, out, out_cap, out_len);
	/* 2^64-1 is never used for a message: Rekey() owns it. */
	if (cs->n == NONCE_MAX)
		return -1;
	if (out_cap < SUITE_TAG_LEN || in_len > out_cap - SUITE_TAG_LEN)
		return -1;
	cs->suite->seal(cs->k, cs->n, ad, ad_len, in, in_len, out);
	cs->n++;
	*out_len = in_len + SUITE_TAG_LEN;
	return 0;
}

int
noise_decrypt(struct cipher_state *cs, const uint8_t *ad, size_t ad_len,
    const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
    size_t *out_len)
{
	size_t plain_len;

	if (!cs->has_key)
		return copy_plain(in, in_len, out, out_cap, out_len);
	if (cs->n == NONCE_MAX || in_len < SUITE_TAG_LEN)
		return -1;
	plain_len = in_len - SUITE_TAG_LEN;
	if (plain_len > out_cap)
		return -1;
	/* The backend wipes out when the tag does not verify. */
	if (cs->suite->open(cs->k, cs->n, ad, ad_len, in, in_len, out) != 0)
		return -1;
	cs->n++;
	*out_len = plain_len;
	return 0;
}

void
noise_rekey(struct cipher_state *cs)
{
	uint8_t block[SUITE_KEY_LEN + SUITE_TAG_LEN] = { 0 };

	if (!cs->has_key)
		return;
	cs->suite->seal(cs->k, NONCE_MAX, empty, 0, block, SUITE_KEY_LEN,
	    block);
	memcpy(cs->k, block, SUITE_KEY_LEN);
	wipe(block, sizeof(block));
}

void
noise_hkdf(const struct suite *suite, const uint8_t *ck, size_t ck_len,
    const uint8_t *ikm, size_t ikm_len, int num_outputs, uint8_t *out)
{
	uint8_t temp_key[SUITE_HASH_MAX];
	uint8_t input[SUITE_HASH_MAX + 1];
	size_t hash_len = suite->hash_len;

	if (num_outputs > HKDF_MAX_OUTPUTS)
		num_outputs = HKDF_MAX_OUTPUTS;
	suite->hmac(temp_key, ck, ck_len, ikm_len > 0 ? ikm : empty, ikm_len);
	/* output_i = HMAC(temp_key, output_{i-1} || byte(i)) */
	for (int i = 0; i < num_outputs; i++) {
		size_t input_len = 0;

		if (i > 0) {
			memcpy(input, out + (size_t)(i - 1) * hash_len,
			    hash_len);
			input_len = hash_len;
		}
		input[input_len++] = (uint8_t)(i + 1);
		suite->hmac(out + (size_t)i * hash_len, temp_key, hash_len,
		    input, input_len);
	}
	wipe(temp_key, sizeof(temp_key));
	wipe(input, sizeof(input));
}

static void
mix_hash(struct handshake_state *hs, const uint8_t *data, size_t len)
{
	uint8_t h[SUITE_HASH_MAX];

	hs->suite->hash(h, hs->ss.h, hs->suite->hash_len,
	    len > 0 ? data : empty, len);
	memcpy(hs->ss.h, h, hs->suite->hash_len);
}

static void
mix_key(struct handshake_state *hs, const uint8_t *ikm, size_t ikm_len)
{
	size_t hash_len = hs->suite->hash_len;
	uint8_t out[2 * SUITE_HASH_MAX];

	noise_hkdf(hs->suite, hs->ss.ck, hash_len, ikm, ikm_len, 2, out);
	memcpy(hs->ss.ck, out, hash_len);
	/* With a 64-byte hash, the key is the first 32 bytes of temp_k. */
	initialize_key(&hs->ss.cs, hs->suite, out + hash_len);
	wipe(out, sizeof(out));
}

/* MixKeyAndHash() (§5.2): ck, temp_h, temp_k = HKDF(ck, ikm, 3). */
static void
mix_key_and_hash(struct handshake_state *hs, const uint8_t *ikm,
    size_t ikm_len)
{
	size_t hash_len = hs->suite->hash_len;
	uint8_t out[3 * SUITE_HASH_MAX];

	noise_hkdf(hs->suite, hs->ss.ck, hash_len, ikm, ikm_len, 3, out);
	memcpy(hs->ss.ck, out, hash_len);
	mix_hash(hs, out + hash_len, hash_len);
	initialize_key(&hs->ss.cs, hs->suite, out + 2 * hash_len);
	wipe(out, sizeof(out));
}

static int
encrypt_and_hash(struct handshake_state *hs, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (noise_encrypt(&hs->ss.cs, hs->ss.h, hs->suite->hash_len, in,
	    in_len, out, out_cap, out_len) != 0)
		return -1;
	mix_hash(hs, out, *out_len);
	return 0;
}

/* in and out must not overlap: h absorbs the ciphertext afterwards. */
static int
decrypt_and_hash(struct handshake_state *hs, const uint8_t *in,
    size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (noise_decrypt(&hs->ss.cs, hs->ss.h, hs->suite->hash_len, in,
	    in_len, out, out_cap, out_len) != 0)
		return -1;
	mix_hash(hs, in, in_len);
	return 0;
}

/* MixKey(DH(priv, pub)); the DH output never outlives the call. */
static int
mix_dh(struct handshake_state *hs, const uint8_t *priv, const uint8_t *pub)
{
	uint8_t dh[SUITE_DH_LEN];

	if (hs->suite->dh(dh, priv, pub) != 0)
		return -1;
	mix_key(hs, dh, sizeof(dh));
	wipe(dh, sizeof(dh));
	return 0;
}

/*
 * Which keys a DH token takes (§5.3): ee = DH(e, re); es = DH(e, rs) for
 * the initiator, DH(s, re) for the responder; se the other way round;
 * ss = DH(s, rs).  The helpers below answer "does t use our e, the peer's
 * e, the peer's s".
 */
static bool
uses_our_e(enum noise_token t, enum role role)
{
	return t == NOISE_TOKEN_EE ||
	    t == (role == ROLE_INITIATOR ? NOISE_TOKEN_ES : NOISE_TOKEN_SE);
}

static bool
uses_re(enum noise_token t, enum role role)
{
	return t == NOISE_TOKEN_EE ||
	    t == (role == ROLE_INITIATOR ? NOISE_TOKEN_SE : NOISE_TOKEN_ES);
}

static bool
uses_rs(enum noise_token t, enum role role)
{
	return t == NOISE_TOKEN_SS ||
	    t == (role == ROLE_INITIATOR ? NOISE_TOKEN_ES : NOISE_TOKEN_SE);
}

static int
mix_dh_token(struct handshake_state *hs, enum noise_token t)
{
	const uint8_t *priv = uses_our_e(t, hs->role) ? hs->e_priv :
	    hs->s_priv;
	const uint8_t *pub = uses_re(t, hs->role) ? hs->re : hs->rs;

	return mix_dh(hs, priv, pub);
}

/* The psk token (§9.2): MixKeyAndHash(the next psk); that psk goes. */
static void
mix_psk(struct handshake_state *hs)
{
	uint8_t *psk = hs->psk[hs->psk_used++];

	mix_key_and_hash(hs, psk, NOISE_PSK_LEN);
	wipe(psk, NOISE_PSK_LEN);
}

/* An e token, ours or the peer's: MixHash, and in psk mode MixKey too
 * (§9.2), so that a psk-derived k is randomized by the ephemeral. */
static void
mix_e(struct handshake_state *hs, const uint8_t *pub)
{
	mix_hash(hs, pub, hs->suite->pub_len);
	if (hs->pattern.psk_count > 0)
		mix_key(hs, pub, hs->suite->pub_len);
}

/*
 * Bytes message t adds before its payload, starting with a key or not
 * (*has_key, updated); the payload's tag is the caller's.
 */
static size_t
tokens_len(const uint8_t *t, const struct suite *suite, bool psk_mode,
    bool *has_key)
{
	size_t len = 0;

	for (; *t != NOISE_TOKEN_END; t++) {
		if (*t == NOISE_TOKEN_E) {
			len += suite->pub_len;
			*has_key = *has_key || psk_mode;
		} else if (*t == NOISE_TOKEN_S) {
			len += suite->pub_len + (*has_key ? SUITE_TAG_LEN : 0);
		} else {
			*has_key = true;
		}
	}
	return len;
}

size_t
noise_message_len(const struct noise_pattern *p, const struct suite *suite,
    int i)
{
	bool has_key = false;
	size_t len = 0;

	if (i < 0 || i >= p->msg_count)
		return 0;
	for (int j = 0; j <= i; j++) {
		len = tokens_len(p->msg[j], suite, p->psk_count > 0, &has_key);
		len += has_key ? SUITE_TAG_LEN : 0;
	}
	return len;
}

/* Message msg_index's size with an empty payload, from hs as it is now. */
static size_t
next_message_len(const struct handshake_state *hs)
{
	bool has_key = hs->ss.cs.has_key;
	size_t len = tokens_len(hs->pattern.msg[hs->msg_index], hs->suite,
	    hs->pattern.psk_count > 0, &has_key);

	return len + (has_key ? SUITE_TAG_LEN : 0);
}

int
noise_pattern_static_sent(const struct noise_pattern *p, enum role role)
{
	for (int i = role == ROLE_INITIATOR ? 0 : 1; i < p->msg_count; i += 2)
		for (const uint8_t *t = p->msg[i]; *t != NOISE_TOKEN_END; t++)
			if (*t == NOISE_TOKEN_S)
				return i;
	return -1;
}

int
noise_pattern_peer_static_at(const struct noise_pattern *p, enum role role)
{
	enum role peer = role == ROLE_INITIATOR ? ROLE_RESPONDER :
	    ROLE_INITIATOR;
	int i;

	if (p->pre[peer == ROLE_INITIATOR ? 0 : 1][0] == NOISE_TOKEN_S)
		return 0;
	return (i = noise_pattern_static_sent(p, peer)) == -1 ? -1 : i + 1;
}

/* True if a pre-message or message token of who is "s". */
static bool
sends_s(const struct noise_pattern *p, enum role who)
{
	return p->pre[who == ROLE_INITIATOR ? 0 : 1][0] == NOISE_TOKEN_S ||
	    noise_pattern_static_sent(p, who) != -1;
}

/* MixHash() of the pre-message keys, the initiator's first (§5.3). */
static void
mix_pre_messages(struct handshake_state *hs)
{
	for (int who = 0; who < 2; who++) {
		bool ours = (who == 0) == (hs->role == ROLE_INITIATOR);

		if (hs->pattern.pre[who][0] == NOISE_TOKEN_S)
			mix_hash(hs, ours ? hs->s_pub : hs->rs,
			    hs->suite->pub_len);
	}
}

/* Copies the keys hs's pattern needs from keys; false if one is missing. */
static bool
take_keys(struct handshake_state *hs, const struct noise_keys *keys)
{
	const struct noise_pattern *p = &hs->pattern;
	enum role peer = hs->role == ROLE_INITIATOR ? ROLE_RESPONDER :
	    ROLE_INITIATOR;
	size_t pub_len = hs->suite->pub_len;

	if (sends_s(p, hs->role)) {
		if (keys->s_priv == NULL || keys->s_pub == NULL)
			return false;
		memcpy(hs->s_priv, keys->s_priv, SUITE_PRIV_LEN);
		memcpy(hs->s_pub, keys->s_pub, pub_len);
	}
	if (p->pre[peer == ROLE_INITIATOR ? 0 : 1][0] == NOISE_TOKEN_S) {
		if (keys->rs == NULL || !hs->suite->pub_valid(keys->rs))
			return false;
		memcpy(hs->rs, keys->rs, pub_len);
		hs->has_rs = true;
	}
	if (keys->psk_count != (size_t)p->psk_count ||
	    (p->psk_count > 0 && keys->psk == NULL))
		return false;
	for (int i = 0; i < p->psk_count; i++)
		memcpy(hs->psk[i], keys->psk + (size_t)i * NOISE_PSK_LEN,
		    NOISE_PSK_LEN);
	return true;
}

int
noise_init_pattern(struct handshake_state *hs,
    const struct noise_pattern *pattern, const struct suite *suite,
    enum role role, const uint8_t *prologue, size_t prologue_len,
    const struct noise_keys *keys)
{
	char name[NOISE_PROTOCOL_NAME_MAX + 1];
	struct noise_pattern p = *pattern;	/* it may be hs->pattern */
	size_t name_len;

	memset(hs, 0, sizeof(*hs));
	if (suite->hash_len > SUITE_HASH_MAX ||
	    suite->pub_len > SUITE_PUB_MAX || !noise_pattern_valid(&p))
		return -1;
	if ((name_len = noise_protocol_name(&p, suite, name,
	    sizeof(name))) == 0)
		return -1;
	hs->suite = suite;
	hs->role = role;
	hs->pattern = p;
	if (!take_keys(hs, keys)) {
		handshake_clear(hs);
		return -1;
	}
	/* InitializeSymmetric(): h = protocol name, zero-padded to HASHLEN,
	 * or HASH(name) if it is longer; ck = h; k is empty until the first
	 * MixKey. */
	if (name_len <= suite->hash_len)
		memcpy(hs->ss.h, name, name_len);
	else
		suite->hash(hs->ss.h, (const uint8_t *)name, name_len, empty,
		    0);
	memcpy(hs->ss.ck, hs->ss.h, suite->hash_len);
	hs->ss.cs.suite = suite;
	mix_hash(hs, prologue, prologue_len);
	mix_pre_messages(hs);
	return 0;
}

int
noise_init(struct handshake_state *hs, const struct suite *suite,
    enum role role, const uint8_t *prologue, size_t prologue_len,
    const uint8_t s_priv[SUITE_PRIV_LEN], const uint8_t *s_pub)
{
	const struct noise_keys keys = { .s_priv = s_priv, .s_pub = s_pub };
	struct noise_pattern xx;

	if (noise_pattern_find("XX", &xx) != 0) {
		memset(hs, 0, sizeof(*hs));
		return -1;
	}
	return noise_init_pattern(hs, &xx, suite, role, prologue,
	    prologue_len, &keys);
}

int
noise_set_ephemeral(struct handshake_state *hs,
    const uint8_t priv[SUITE_PRIV_LEN])
{
	if (hs->suite == NULL || hs->msg_index != 0 || hs->has_e)
		return -1;
	if (hs->suite->pubkey(hs->e_pub, priv) != 0) {
		wipe(hs->e_pub, sizeof(hs->e_pub));
		return -1;
	}
	memcpy(hs->e_priv, priv, SUITE_PRIV_LEN);
	hs->has_e = true;
	return 0;
}

int
noise_use_ephemeral(struct handshake_state *hs,
    const uint8_t priv[SUITE_PRIV_LEN], const uint8_t *pub)
{
	if (hs->suite == NULL || hs->msg_index != 0 || hs->has_e)
		return -1;
	memcpy(hs->e_priv, priv, SUITE_PRIV_LEN);
	memcpy(hs->e_pub, pub, hs->suite->pub_len);
	hs->has_e = true;
	return 0;
}

const uint8_t *
noise_remote_static(const struct handshake_state *hs)
{
	return hs->suite != NULL && hs->has_rs ? hs->rs : NULL;
}

static bool
our_turn_to_write(const struct handshake_state *hs)
{
	bool initiator_writes = hs->msg_index % 2 == 0;

	return hs->suite != NULL && hs->msg_index < hs->pattern.msg_count &&
	    initiator_writes == (hs->role == ROLE_INITIATOR);
}

/* A handshake that failed once is dead: clear it so secrets go at once
 * and every later call fails. */
static int
fail(struct handshake_state *hs)
{
	handshake_clear(hs);
	return -1;
}

/* After message msg_index: the next one, and our e goes as soon as no
 * later token sends it or takes it into a DH. */
static void
end_message(struct handshake_state *hs)
{
	const struct noise_pattern *p = &hs->pattern;
	int ours = hs->role == ROLE_INITIATOR ? 0 : 1;

	hs->msg_index++;
	for (int i = hs->msg_index; i < p->msg_count; i++)
		for (const uint8_t *t = p->msg[i]; *t != NOISE_TOKEN_END; t++)
			if (uses_our_e(*t, hs->role) ||
			    (*t == NOISE_TOKEN_E && i % 2 == ours))
				return;
	wipe(hs->e_priv, sizeof(hs->e_priv));
}

static int
write_token(struct handshake_state *hs, enum noise_token t, uint8_t *out,
    size_t out_cap, size_t *len)
{
	size_t pub_len = hs->suite->pub_len;
	size_t n;

	switch (t) {
	case NOISE_TOKEN_E:
		if (!hs->has_e) {
			if (hs->suite->keypair(hs->e_priv, hs->e_pub) != 0)
				return -1;
			hs->has_e = true;
		}
		memcpy(out + *len, hs->e_pub, pub_len);
		*len += pub_len;
		mix_e(hs, hs->e_pub);
		return 0;
	case NOISE_TOKEN_S:
		if (encrypt_and_hash(hs, hs->s_pub, pub_len, out + *len,
		    out_cap - *len, &n) != 0)
			return -1;
		*len += n;
		return 0;
	case NOISE_TOKEN_PSK:
		mix_psk(hs);
		return 0;
	default:
		return mix_dh_token(hs, t);
	}
}

int
noise_write_message(struct handshake_state *hs, const uint8_t *payload,
    size_t payload_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	size_t len = 0;
	size_t n;

	if (!our_turn_to_write(hs) || payload_len > NOISE_MSG_MAX)
		return fail(hs);
	n = next_message_len(hs) + payload_len;
	if (n > out_cap || n > NOISE_MSG_MAX)
		return fail(hs);
	for (const uint8_t *t = hs->pattern.msg[hs->msg_index];
	    *t != NOISE_TOKEN_END; t++)
		if (write_token(hs, *t, out, out_cap, &len) != 0)
			return fail(hs);
	if (encrypt_and_hash(hs, payload_len > 0 ? payload : empty,
	    payload_len, out + len, out_cap - len, &n) != 0)
		return fail(hs);
	*out_len = len + n;
	end_message(hs);
	return 0;
}

/* True if a token in rest (the rest of the message) uses re, or rs. */
static bool
dh_follows(const struct handshake_state *hs, const uint8_t *rest,
    bool with_re)
{
	for (; *rest != NOISE_TOKEN_END; rest++)
		if (with_re ? uses_re(*rest, hs->role) :
		    uses_rs(*rest, hs->role))
			return true;
	return false;
}

/*
 * One token of the message being read; t points into the pattern, so the
 * rest of the message is t + 1.  *pos moves past what the token took; the
 * caller checked that the message holds it.
 *
 * A received key is checked with pub_valid() only when no DH with it
 * follows in this message: that DH checks the key itself (suite.h: dh()
 * fails on an invalid key) and fails the read, and pub_valid() would cost
 * p256 one more point multiplication.
 */
static int
read_token(struct handshake_state *hs, const uint8_t *t, const uint8_t *msg,
    size_t *pos)
{
	size_t pub_len = hs->suite->pub_len;
	size_t ct_len, n;

	switch (*t) {
	case NOISE_TOKEN_E:
		memcpy(hs->re, msg + *pos, pub_len);
		*pos += pub_len;
		if (!dh_follows(hs, t + 1, true) &&
		    !hs->suite->pub_valid(hs->re))
			return -1;
		mix_e(hs, hs->re);
		return 0;
	case NOISE_TOKEN_S:
		ct_len = pub_len + (hs->ss.cs.has_key ? SUITE_TAG_LEN : 0);
		if (decrypt_and_hash(hs, msg + *pos, ct_len, hs->rs,
		    sizeof(hs->rs), &n) != 0)
			return -1;
		*pos += ct_len;
		if (!dh_follows(hs, t + 1, false) &&
		    !hs->suite->pub_valid(hs->rs))
			return -1;
		hs->has_rs = true;
		return 0;
	case NOISE_TOKEN_PSK:
		mix_psk(hs);
		return 0;
	default:
		return mix_dh_token(hs, *t);
	}
}

int
noise_read_message(struct handshake_state *hs, const uint8_t *msg,
    size_t msg_len, uint8_t *payload, size_t payload_cap,
    size_t *payload_len)
{
	uint8_t no_payload[1];
	size_t pos = 0;
	size_t n;

	if (hs->suite == NULL || hs->msg_index >= hs->pattern.msg_count ||
	    our_turn_to_write(hs))
		return fail(hs);
	/* Every fixed-size field is present: the token reads below need no
	 * further length checks. */
	if (msg_len < next_message_len(hs) || msg_len > NOISE_MSG_MAX)
		return fail(hs);
	for (const uint8_t *t = hs->pattern.msg[hs->msg_index];
	    *t != NOISE_TOKEN_END; t++)
		if (read_token(hs, t, msg, &pos) != 0)
			return fail(hs);
	if (payload == NULL) {
		payload = no_payload;
		payload_cap = 0;
	}
	if (decrypt_and_hash(hs, msg + pos, msg_len - pos, payload,
	    payload_cap, &n) != 0)
		return fail(hs);
	if (payload_len != NULL)
		*payload_len = n;
	end_message(hs);
	return 0;
}

int
noise_split(struct handshake_state *hs, struct cipher_state *send,
    struct cipher_state *recv, uint8_t *h_out)
{
	const struct suite *suite = hs->suite;
	uint8_t temp_k[2 * SUITE_HASH_MAX];
	struct cipher_state *c1, *c2;

	if (suite == NULL || hs->msg_index != hs->pattern.msg_count)
		return -1;
	noise_hkdf(suite, hs->ss.ck, suite->hash_len, empty, 0, 2, temp_k);
	/* c1 carries initiator -> responder, c2 the other way. */
	c1 = hs->role == ROLE_INITIATOR ? send : recv;
	c2 = hs->role == ROLE_INITIATOR ? recv : send;
	initialize_key(c1, suite, temp_k);
	initialize_key(c2, suite, temp_k + suite->hash_len);
	if (h_out != NULL)
		memcpy(h_out, hs->ss.h, suite->hash_len);
	wipe(temp_k, sizeof(temp_k));
	handshake_clear(hs);
	return 0;
}

int
noise_rekey_secret(const struct handshake_state *hs, uint8_t *rk)
{
	const struct suite *suite = hs->suite;
	uint8_t out[3 * SUITE_HASH_MAX];

	if (suite == NULL || hs->msg_index != 3)
		return -1;
	noise_hkdf(suite, hs->ss.ck, suite->hash_len, empty, 0, 3, out);
	memcpy(rk, out + 2 * suite->hash_len, suite->hash_len);
	wipe(out, sizeof(out));
	return 0;
}

void
cipher_state_clear(struct cipher_state *cs)
{
	if (cs != NULL)
		wipe(cs, sizeof(*cs));
}

void
handshake_clear(struct handshake_state *hs)
{
	if (hs != NULL)
		wipe(hs, sizeof(*hs));
}
