/*
 * code.h - the one-time codes of code mode (PROTOCOL.md, "Code mode"):
 * "N-word-word[-...]", a number and 2 to 6 words of the EFF short word
 * list #2 (wordlist.h).  Generating one, the forgiving parser that turns
 * what a person typed into the canonical form, and the canonical form
 * itself, which is CPace's PRS (cpace.h).  No I/O besides log_error().
 *
 * A code is a secret: wipe every struct code and every buffer holding its
 * text (code_clear(), wipe()).
 */
#ifndef SEALCAT_CODE_H
#define SEALCAT_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "pake/wordlist.h"

#define CODE_WORDS_MIN 2
#define CODE_WORDS_MAX 6
#define CODE_WORDS_DEFAULT 2
#define CODE_NUMBER_DIRECT_MAX 99	/* direct: N is secret, 1..99 */
#define CODE_NUMBER_RELAY_MAX 999999	/* via a relay: N is public */
#define CODE_NUMBER_DIGITS_MAX 6
/* The longest canonical code, with its NUL: 999999 and six 10-letter
 * words. */
#define CODE_TEXT_MAX (CODE_NUMBER_DIGITS_MAX + \
	CODE_WORDS_MAX * (1 + WORDLIST_WORD_MAX) + 1)

struct code {
	unsigned long number;		/* 1..99, or 1..999999 via a relay */
	size_t word_count;		/* CODE_WORDS_MIN..CODE_WORDS_MAX */
	uint16_t word[CODE_WORDS_MAX];	/* indices into wordlist[] */
};

/*
 * A fresh code for direct mode: N uniform in 1..99 and word_count words,
 * each uniform over the list (randombytes_uniform()).  A relay sets
 * c->number to the number it hands out afterwards.  Returns 0, or -1
 * after reporting when word_count is not in 2..6.
 */
int code_generate(struct code *c, size_t word_count);

/*
 * Parses a code as a person typed it (NUL-terminated), forgivingly:
 * ASCII letters are lowercased; runs of white space and '-' are one
 * separator, and separators at either end are ignored; "yo yo" or "yo-yo"
 * is the word "yoyo"; the first token is the number, in decimal, leading
 * zeros dropped, 1..number_max (CODE_NUMBER_DIRECT_MAX or
 * CODE_NUMBER_RELAY_MAX); each further token is a word of the list, or 3
 * or more letters that start exactly one word; there are 2 to 6 words.
 * Returns 0 and fills *c, or -1 after reporting what is wrong, naming the
 * word or number at fault (*c is then cleared).
 */
int code_parse(struct code *c, const char *text, unsigned long number_max);

/*
 * The canonical form: N in decimal without leading zeros, then the words,
 * joined by '-' ("7-sapphire-clock"), NUL-terminated in out.  This string
 * is the PRS.  Returns 0 and sets *out_len (without the NUL), or -1 if c
 * is not a valid code or out_cap is too small (CODE_TEXT_MAX always
 * suffices); nothing is reported.
 */
int code_format(const struct code *c, char *out, size_t out_cap,
    size_t *out_len);

/*
 * code_parse() then code_format(): the canonical form of what was typed.
 * Returns 0, or -1 after reporting; out is wiped on failure.
 */
int code_canonical(const char *text, unsigned long number_max, char *out,
    size_t out_cap, size_t *out_len);

/* Wipes c; accepts NULL. */
void code_clear(struct code *c);

#endif
