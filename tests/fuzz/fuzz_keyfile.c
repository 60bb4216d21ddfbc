/*
 * fuzz_keyfile.c - the parsers that read key material a user (or an
 * attacker who can plant a file) hands us (PROTOCOL.md §4 and Key files):
 * the private key file, plain or protected by a passphrase, and the public
 * key token.
 *
 * Input: flags || text.  FUZZ_TOKEN picks token_parse() on the text (made
 * NUL-terminated), else the text is the bytes of a file: keyseal_parse()
 * if it starts like a protected one, else keyfile_parse().
 *
 * Checked: a refused text leaves the identity all zeros; both plain formats
 * are strict, so whatever is accepted is exactly what keyfile_format() and
 * token_format() write back (a key file may lack only its final newline);
 * an accepted key file's public key is the one its secret gives, and an
 * accepted token's key is a valid point.  A protected file that parses has
 * a valid public key and a cost within the limits, and its associated data
 * is its first lines; if its cost is tiny it is opened with the passphrase
 * "open sesame" (that of the seed), and "accepted" means it opened, to a
 * secret that gives its public key.
 */
#include "fuzz.h"
#include "keys/keyfile.h"
#include "keys/keyseal.h"

#define FUZZ_PASSPHRASE "open sesame"
/* Memory times passes, in KiB, up to which a file is worth opening. */
#define FUZZ_CHEAP_KIB 64

bool fuzz_accepted;

static void
check_sealed(const uint8_t *data, size_t size)
{
	struct keyseal ks;
	struct identity id;

	memset(&ks, 0xa5, sizeof(ks));
	if (keyseal_parse((const char *)data, size, "fuzz", &ks) == -1) {
		FUZZ_ASSERT(fuzz_all_zero(&ks, sizeof(ks)));
		return;
	}
	FUZZ_ASSERT(ks.suite != NULL && ks.suite->pub_valid(ks.pub));
	FUZZ_ASSERT(keyseal_kdf_problem(&ks.kdf) == NULL);
	FUZZ_ASSERT(ks.ad == (const char *)data && ks.ad_len > 0 &&
	    ks.ad_len < size && data[ks.ad_len - 1] == '\n');
	FUZZ_ASSERT(data[size - 1] == '\n');
	if ((uint64_t)ks.kdf.mem_kib * ks.kdf.passes > FUZZ_CHEAP_KIB)
		return;
	memset(&id, 0xa5, sizeof(id));
	if (keyseal_open(&ks, (const uint8_t *)FUZZ_PASSPHRASE,
	    strlen(FUZZ_PASSPHRASE), "fuzz", &id) != 0) {
		FUZZ_ASSERT(id.suite == NULL);
		FUZZ_ASSERT(fuzz_all_zero(id.priv, sizeof(id.priv)));
		return;
	}
	/* Only the seed's secret can open: anything else is a forgery of
	 * the seal. */
	FUZZ_ASSERT(id.suite == ks.suite);
	FUZZ_ASSERT(identity_check(&id, "fuzz") == 0);
	identity_clear(&id);
	fuzz_accepted = true;
}

static void
check_keyfile(const uint8_t *data, size_t size)
{
	struct identity id;
	uint8_t pub[SUITE_PUB_MAX];
	char text[KEYFILE_MAX];
	size_t text_len = 0;

	if (keyseal_is_sealed((const char *)data, size)) {
		check_sealed(data, size);
		return;
	}
	memset(&id, 0xa5, sizeof(id));
	if (keyfile_parse((const char *)data, size, "fuzz", &id) == -1) {
		FUZZ_ASSERT(id.suite == NULL);
		FUZZ_ASSERT(fuzz_all_zero(id.priv, sizeof(id.priv)));
		FUZZ_ASSERT(fuzz_all_zero(id.pub, sizeof(id.pub)));
		return;
	}
	FUZZ_ASSERT(id.suite != NULL);
	FUZZ_ASSERT(id.suite->pubkey(pub, id.priv) == 0);
	FUZZ_ASSERT(memcmp(pub, id.pub, id.suite->pub_len) == 0);
	FUZZ_ASSERT(keyfile_format(&id, text, sizeof(text), &text_len) == 0);
	FUZZ_ASSERT(size == text_len || size + 1 == text_len);
	FUZZ_ASSERT(memcmp(text, data, size) == 0);
	wipe(text, sizeof(text));
	identity_clear(&id);
	fuzz_accepted = true;
}

static void
check_token(const uint8_t *data, size_t size)
{
	const struct suite *suite = NULL;
	uint8_t pub[SUITE_PUB_MAX];
	char again[TOKEN_MAX];
	char *token = malloc(size + 1);

	FUZZ_ASSERT(token != NULL);
	memcpy(token, data, size);
	token[size] = '\0';
	if (token_parse(token, &suite, pub, NULL) == 0) {
		FUZZ_ASSERT(suite != NULL && suite->pub_valid(pub));
		FUZZ_ASSERT(token_format(suite, pub, again, sizeof(again)) ==
		    0);
		FUZZ_ASSERT(strcmp(again, token) == 0);
		fuzz_accepted = true;
	}
	/* The same text with a "what" reports instead of staying silent;
	 * the answer must not change. */
	FUZZ_ASSERT((token_parse(token, &suite, pub, "fuzz") == 0) ==
	    fuzz_accepted);
	free(token);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_accepted = false;
	if (size < 1)
		return 0;
	fuzz_setup();
	if (data[0] & FUZZ_TOKEN)
		check_token(data + 1, size - 1);
	else
		check_keyfile(data + 1, size - 1);
	return 0;
}
