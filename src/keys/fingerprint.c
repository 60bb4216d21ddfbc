/*
 * fingerprint.c - a public key's fingerprint (PROTOCOL.md §4.1):
 *
 *   d  = BLAKE2b-256(key = "sealcat fingerprint v1",
 *                    message = suite name || 0x00 || raw public key)
 *   fp = base32 (RFC 4648 alphabet, lower case) of d[0..9], the first
 *        80 bits, as 16 characters in groups of four joined by '-'
 *
 * The same for a key whatever the side that looks at it; 80 bits are
 * enough for a person to compare, not for a program to trust: programs
 * compare whole tokens.
 */
#include "keys/fingerprint.h"

#include <string.h>
#include <sodium.h>

#define FINGERPRINT_KEY "sealcat fingerprint v1"
/* 80 bits: 16 base32 characters. */
#define FINGERPRINT_BYTES 10

void
fingerprint_format(const struct suite *suite, const uint8_t *pub,
    char out[FINGERPRINT_MAX])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	crypto_generichash_state st;
	uint8_t d[32];
	size_t name_len = strlen(suite->name) + 1;	/* with its NUL */
	unsigned bits = 0, acc = 0;
	size_t n = 0, chars = 0;

	crypto_generichash_init(&st, (const uint8_t *)FINGERPRINT_KEY,
	    sizeof(FINGERPRINT_KEY) - 1, sizeof(d));
	crypto_generichash_update(&st, (const uint8_t *)suite->name,
	    name_len);
	crypto_generichash_update(&st, pub, suite->pub_len);
	crypto_generichash_final(&st, d, sizeof(d));
	for (size_t i = 0; i < FINGERPRINT_BYTES; i++) {
		acc = (acc << 8) | d[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			if (chars > 0 && chars % 4 == 0)
				out[n++] = '-';
			out[n++] = alphabet[(acc >> bits) & 31];
			chars++;
		}
	}
	out[n] = '\0';
}
