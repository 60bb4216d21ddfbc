/*
 * test_code.c - code mode's codes (src/code.c) and word list
 * (src/pake/wordlist.c): the compiled list is the EFF file in the repository
 * word for word (with "yo-yo" as "yoyo"), and that file is the published
 * one (its SHA-256); every word round-trips through the canonical form
 * and is found by its three-letter prefix; case, spaces, extra '-',
 * leading zeros and "yo-yo" are forgiven; typos, bad numbers and wrong
 * word counts are refused with one message naming what is wrong; codes
 * are generated with the right shape and spread.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pake/code.h"
#include "helpers.h"
#include "crypto/suite.h"
#include "tap.h"
#include "base/util.h"
#include "pake/wordlist.h"

/* sha256 of eff_short_wordlist_2_0.txt as the EFF publishes it (and as
 * the shared word list README records it). */
static const char list_sha256[] =
    "22b45c52e0bd0bbf03aa522240b111eb4c7c0c1d86c4e518e1be2a7eb2a625e4";

#define LIST_FILE_MAX 32768

static void
test_list_file(void)
{
	const char *srcdir = getenv("SEALCAT_SRCDIR");
	char path[1024], hex[crypto_hash_sha256_BYTES * 2 + 1];
	uint8_t hash[crypto_hash_sha256_BYTES];
	static char text[LIST_FILE_MAX];
	size_t len, i = 0, mismatches = 0;
	FILE *fp;
	char *line, *save = NULL;

	snprintf(path, sizeof(path), "%s/src/pake/eff_short_wordlist_2_0.txt",
	    srcdir != NULL ? srcdir : ".");
	fp = fopen(path, "rb");
	if (!ok(fp != NULL, "the word list file is there: %s", path))
		return;
	len = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[len] = '\0';
	crypto_hash_sha256(hash, (const uint8_t *)text, len);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	ok(strcmp(hex, list_sha256) == 0,
	    "the word list file is the EFF's (sha256 %s)", hex);

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), i++) {
		char want[32], key[5];
		size_t k = 0;
		const char *tab = strchr(line, '\t');

		if (tab == NULL || tab - line != 4 || i >= WORDLIST_LEN) {
			mismatches++;
			continue;
		}
		/* Dice keys 1111..6666 in order: i in base 6, digits 1-6. */
		key[0] = (char)('1' + i / 216 % 6);
		key[1] = (char)('1' + i / 36 % 6);
		key[2] = (char)('1' + i / 6 % 6);
		key[3] = (char)('1' + i % 6);
		key[4] = '\0';
		for (const char *p = tab + 1; *p != '\0'; p++)
			if (*p != '-' && k + 1 < sizeof(want))
				want[k++] = *p;
		want[k] = '\0';
		if (memcmp(line, key, 4) != 0 ||
		    strcmp(want, wordlist[i]) != 0) {
			printf("# line %zu: %s, compiled %s\n", i + 1, line,
			    wordlist[i]);
			mismatches++;
		}
	}
	ok(i == WORDLIST_LEN && mismatches == 0,
	    "src/pake/wordlist.c matches the file: %zu lines, %zu differ (rerun "
	    "src/pake/gen_wordlist.sh)", i, mismatches);
	ok(strcmp(wordlist[1280], "yoyo") == 0,
	    "the list's yo-yo is compiled as yoyo (dice 6643)");
}

static void
test_list_properties(void)
{
	size_t bad_chars = 0, max_len = 0, min_len = 100, dup = 0, dup3 = 0;

	for (int i = 0; i < WORDLIST_LEN; i++) {
		size_t len = strlen(wordlist[i]);

		for (size_t k = 0; k < len; k++)
			bad_chars += wordlist[i][k] < 'a' ||
			    wordlist[i][k] > 'z';
		max_len = len > max_len ? len : max_len;
		min_len = len < min_len ? len : min_len;
		for (int j = 0; j < i; j++) {
			dup += strcmp(wordlist[i], wordlist[j]) == 0;
			dup3 += strncmp(wordlist[i], wordlist[j], 3) == 0;
		}
	}
	ok(bad_chars == 0, "every word is lowercase a-z only (so '-' only "
	    "separates)");
	ok(max_len == WORDLIST_WORD_MAX && min_len == 3,
	    "words are 3 to %d letters (got %zu to %zu)", WORDLIST_WORD_MAX,
	    min_len, max_len);
	ok(dup == 0, "no word appears twice");
	ok(dup3 == 0, "every word has its own three-letter prefix");
}

/* text with control characters as \xNN, for a TAP line (4 at a time). */
static const char *
esc(const char *text)
{
	static char bufs[4][256];
	static int next;
	char *out = bufs[next++ % 4];
	size_t len = 0;

	for (const char *p = text; *p != '\0' && len + 5 < sizeof(bufs[0]);
	    p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch < 0x20 || ch == 0x7f)
			len += (size_t)snprintf(out + len, 5, "\\x%02x", ch);
		else
			out[len++] = (char)ch;
	}
	out[len] = '\0';
	return out;
}

static struct code
make(unsigned long number, size_t count, const int *words)
{
	struct code c = { .number = number, .word_count = count };

	for (size_t i = 0; i < count; i++)
		c.word[i] = (uint16_t)words[i];
	return c;
}

static bool
same_code(const struct code *a, const struct code *b)
{
	if (a->number != b->number || a->word_count != b->word_count)
		return false;
	for (size_t i = 0; i < a->word_count; i++)
		if (a->word[i] != b->word[i])
			return false;
	return true;
}

static void
test_every_word(void)
{
	for (int i = 0; i < WORDLIST_LEN; i++) {
		int words[2] = { i, (i + 1) % WORDLIST_LEN };
		struct code c = make(7, 2, words), back;
		char text[CODE_TEXT_MAX], want[CODE_TEXT_MAX];
		char prefix[CODE_TEXT_MAX];
		size_t len = 0;
		bool good;

		snprintf(want, sizeof(want), "7-%s-%s", wordlist[words[0]],
		    wordlist[words[1]]);
		good = code_format(&c, text, sizeof(text), &len) == 0 &&
		    strcmp(text, want) == 0 && len == strlen(want) &&
		    code_parse(&back, text, CODE_NUMBER_DIRECT_MAX) == 0 &&
		    same_code(&c, &back);
		/* Its first three letters, in capitals, name it too. */
		snprintf(prefix, sizeof(prefix), "7 %.3s %s", wordlist[i],
		    wordlist[words[1]]);
		for (char *p = prefix; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		good = good && code_parse(&back, prefix,
		    CODE_NUMBER_DIRECT_MAX) == 0 && same_code(&c, &back);
		ok(good, "word %d %s: %s round-trips; \"%s\" reads the same",
		    i, wordlist[i], want, prefix);
	}
}

/*
 * Every word of the list has its own first three letters, so a typo that
 * keeps them is never another word: with each letter after the third
 * changed, and with a letter added at the end, every word is refused.
 * (A typo among the first three letters can, rarely, start another word,
 * which the prefix rule then reads as that word.)
 */
static void
test_typo_sweep(void)
{
	size_t tried = 0, accepted = 0, truncated_ok = 0, truncated = 0;
	char text[64], typo[WORDLIST_WORD_MAX + 2];
	struct code c;

	capture_begin();
	for (int i = 0; i < WORDLIST_LEN; i++) {
		size_t len = strlen(wordlist[i]);

		for (size_t k = 3; k <= len; k++) {
			snprintf(typo, sizeof(typo), "%s", wordlist[i]);
			if (k < len) {
				typo[k] = typo[k] == 'z' ? 'a' :
				    (char)(typo[k] + 1);
			} else {	/* the last letter doubled */
				typo[k] = typo[k - 1];
				typo[k + 1] = '\0';
			}
			snprintf(text, sizeof(text), "7-%s-clock", typo);
			tried++;
			accepted += code_parse(&c, text, 99) == 0;
		}
		if (len > 3) {
			snprintf(text, sizeof(text), "7-%.*s-clock",
			    (int)len - 1, wordlist[i]);
			truncated++;
			truncated_ok += code_parse(&c, text, 99) == 0 &&
			    c.word[0] == i;
		}
	}
	capture_end();
	ok(accepted == 0, "typos after the third letter: %zu of %zu refused",
	    tried - accepted, tried);
	ok(truncated_ok == truncated, "each word without its last letter "
	    "still reads as the word: %zu of %zu", truncated_ok, truncated);
	code_clear(&c);
}

/* Parses text; true if it gives the canonical form want. */
static bool
reads_as(const char *text, unsigned long max, const char *want)
{
	char out[CODE_TEXT_MAX];
	size_t len = 0;

	capture_begin();
	if (code_canonical(text, max, out, sizeof(out), &len) != 0) {
		capture_end();
		printf("# refused: %s", captured);
		return false;
	}
	capture_end();
	if (strcmp(out, want) != 0 || len != strlen(want) ||
	    captured[0] != '\0') {
		printf("# got \"%s\"; stderr \"%s\"\n", out, captured);
		return false;
	}
	return true;
}

static void
test_forgiving(void)
{
	static const struct {
		const char *text;
		unsigned long max;
		const char *want;
		const char *what;
	} cases[] = {
		{ "7-sapphire-clock", 99, "7-sapphire-clock", "canonical" },
		{ "7-SAPPHIRE-Clock", 99, "7-sapphire-clock", "capitals" },
		{ "7 sapphire clock", 99, "7-sapphire-clock", "spaces" },
		{ "  7   sapphire \t clock \n", 99, "7-sapphire-clock",
		  "runs of white space, at both ends too" },
		{ "-7--sapphire - - clock-", 99, "7-sapphire-clock",
		  "runs of '-' and spaces, at both ends too" },
		{ "007-sapphire-clock", 99, "7-sapphire-clock",
		  "leading zeros" },
		{ "0000000099-sapphire-clock", 99, "99-sapphire-clock",
		  "leading zeros beyond six digits" },
		{ "7-sap-clo", 99, "7-sapphire-clock", "3-letter prefixes" },
		{ "7-sapph-clock", 99, "7-sapphire-clock", "a longer prefix" },
		{ "7-yo-yo-clock", 99, "7-yoyo-clock", "yo-yo" },
		{ "7 YO YO clock", 99, "7-yoyo-clock", "yo yo in capitals" },
		{ "7-yoyo-clock", 99, "7-yoyo-clock", "yoyo" },
		{ "7-yoy-clock", 99, "7-yoyo-clock", "yoy, its prefix" },
		{ "7-clock-yo-yo", 99, "7-clock-yoyo", "yo-yo at the end" },
		{ "7-yo-yo-yo-yo", 99, "7-yoyo-yoyo", "yo-yo twice" },
		{ "1-aardvark-zucchini", 99, "1-aardvark-zucchini",
		  "the first and last word, N = 1" },
		{ "99-sapphire-clock", 99, "99-sapphire-clock", "N = 99" },
		{ "100-sapphire-clock", 999999, "100-sapphire-clock",
		  "N = 100 via a relay" },
		{ "999999-sapphire-clock", 999999, "999999-sapphire-clock",
		  "N = 999999 via a relay" },
		{ "7-sapphire-clock-acrobat-zebra-yoyo", 99,
		  "7-sapphire-clock-acrobat-zebra-yoyo", "five words" },
		{ "7-sapphire-clock-acrobat-zebra-yo-yo-aardvark", 99,
		  "7-sapphire-clock-acrobat-zebra-yoyo-aardvark",
		  "six words, one of them yo-yo" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		ok(reads_as(cases[i].text, cases[i].max, cases[i].want),
		    "forgiven (%s): \"%s\" reads as %s", cases[i].what,
		    esc(cases[i].text), cases[i].want);
}

/* Parses text, which must be refused with one message containing want
 * (and "bad code"). */
static bool
refused(const char *text, unsigned long max, const char *want)
{
	struct code c;
	char out[CODE_TEXT_MAX];
	size_t len = 0;
	int rc;

	memset(out, 'x', sizeof(out));
	capture_begin();
	rc = code_canonical(text, max, out, sizeof(out), &len);
	capture_end();
	if (rc != -1 || out[0] != '\0' || !captured_line_has("bad code", want,
	    " — check the code", NULL))
		return false;
	capture_begin();
	rc = code_parse(&c, text, max);
	capture_end();
	for (size_t i = 0; i < sizeof(c); i++)
		if (((const uint8_t *)&c)[i] != 0)
			return false;
	return rc == -1;
}

static void
test_refused(void)
{
	static const struct {
		const char *text;
		unsigned long max;
		const char *want;
		const char *what;
	} cases[] = {
		{ "7-sapphrie-clock", 99, "'sapphrie' is not a word",
		  "letters swapped" },
		{ "7-sapphirr-clock", 99, "'sapphirr' is not a word",
		  "a wrong letter" },
		{ "7-sapphiree-clock", 99, "'sapphiree' is not a word",
		  "a letter too many" },
		{ "7-sapphire-clokc", 99, "'clokc' is not a word",
		  "a typo in the last word" },
		{ "7-saphire-clock", 99, "'saphire' is not a word",
		  "a letter missing" },
		{ "7-Sapphrie-clock", 99, "'Sapphrie' is not a word",
		  "named as typed" },
		{ "7-sa-clock", 99, "'sa' is not a word, and too short",
		  "two letters" },
		{ "7-yo-clock", 99, "'yo' is not a word, and too short",
		  "yo alone" },
		{ "7-zzz-clock", 99, "'zzz' is not a word", "no such prefix" },
		{ "7-sapphire-clock1", 99, "'clock1' is not a word",
		  "a digit in a word" },
		{ "7-sapphire-cl\xc3\xb6" "ck", 99, "'cl\xc3\xb6" "ck' is not",
		  "a non-ASCII letter, quoted as UTF-8" },
		{ "7-\x1b[31m-clock", 99, "'?[31m' is not a word",
		  "an escape sequence, neutralised" },
		{ "7-sapphire_clock", 99, "'sapphire_clock' is not a word",
		  "'_' is no separator" },
		{ "7-averyveryverylongtoken-clock", 99,
		  "'averyveryverylongtoken' is not a word", "too long" },
		{ "0-sapphire-clock", 99, "number 0 is not in 1..99", "N = 0" },
		{ "000-sapphire-clock", 99, "number 000 is not in 1..99",
		  "N = 000" },
		{ "100-sapphire-clock", 99, "number 100 is not in 1..99",
		  "N = 100 in direct mode" },
		{ "1000000-sapphire-clock", 999999,
		  "number 1000000 is not in 1..999999",
		  "N = 1000000 via a relay" },
		{ "99999999999999999999999-sapphire-clock", 999999,
		  "is not in 1..999999", "a number that overflows" },
		{ "sapphire-clock-7", 99, "it starts with 'sapphire', not a "
		  "number", "no number first" },
		{ "7a-sapphire-clock", 99, "it starts with '7a', not a number",
		  "a letter in the number" },
		{ "+7-sapphire-clock", 99, "it starts with '+7', not a number",
		  "a sign" },
		{ "", 99, "it is empty", "empty" },
		{ " - -- ", 99, "it is empty", "separators only" },
		{ "7", 99, "it has 0 words, not 2 to 6", "no words" },
		{ "7-sapphire", 99, "it has 1 word, not 2 to 6", "one word" },
		{ "7-yo-yo", 99, "it has 1 word, not 2 to 6",
		  "yo-yo is one word" },
		{ "7-a-b-c-d-e-f-g", 99, "'a' is not a word",
		  "a bad word is named before the count" },
		{ "7-sapphire-clock-acrobat-zebra-yoyo-aardvark-zucchini", 99,
		  "it has more than 6 words", "seven words" },
		{ "7 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", 99,
		  "it has more than 6 words", "twenty tokens" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		ok(refused(cases[i].text, cases[i].max, cases[i].want),
		    "refused (%s): \"%s\" names %s", cases[i].what,
		    esc(cases[i].text), esc(cases[i].want));
}

static void
test_format(void)
{
	static const int longest[6] = { 2, 2, 2, 2, 2, 2 };	/* abbreviate */
	static const int two[2] = { 0, 1 };
	struct code c = make(999999, 6, longest);
	char out[CODE_TEXT_MAX + 4];
	size_t len = 0;
	bool wiped = true;

	ok(code_format(&c, out, CODE_TEXT_MAX, &len) == 0 &&
	    len == CODE_TEXT_MAX - 1 && CODE_TEXT_MAX == 73,
	    "the longest code (999999 and six 10-letter words) fits "
	    "CODE_TEXT_MAX = 73: %s", out);
	memset(out, 'x', sizeof(out));
	ok(code_format(&c, out, CODE_TEXT_MAX - 1, &len) == -1,
	    "... and not one byte less");
	for (size_t i = 0; i < CODE_TEXT_MAX - 1; i++)
		wiped = wiped && out[i] == 0;
	ok(wiped && out[CODE_TEXT_MAX - 1] == 'x',
	    "a failed format wipes what it wrote, nothing past out_cap");
	c = make(0, 2, two);
	ok(code_format(&c, out, sizeof(out), &len) == -1,
	    "format refuses N = 0");
	c = make(1000000, 2, two);
	ok(code_format(&c, out, sizeof(out), &len) == -1,
	    "format refuses N = 1000000");
	c = make(7, 1, two);
	ok(code_format(&c, out, sizeof(out), &len) == -1,
	    "format refuses one word");
	c = make(7, 6, longest);
	c.word_count = 7;
	ok(code_format(&c, out, sizeof(out), &len) == -1,
	    "format refuses seven words");
	c = make(7, 2, two);
	c.word[1] = WORDLIST_LEN;
	ok(code_format(&c, out, sizeof(out), &len) == -1,
	    "format refuses word index 1296");
	code_clear(&c);
	ok(c.number == 0 && c.word_count == 0 && c.word[0] == 0,
	    "code_clear() zeroes the code");
	code_clear(NULL);
}

static void
test_generate(void)
{
	static bool seen_word[WORDLIST_LEN];
	bool seen_number[CODE_NUMBER_DIRECT_MAX + 1] = { false };
	size_t words_seen = 0, numbers_seen = 0, bad = 0;
	struct code c, back;
	char text[CODE_TEXT_MAX];
	size_t len;
	int rc;

	capture_begin();
	rc = code_generate(&c, 1);
	capture_end();
	ok(rc == -1 && captured_line_has("2 to 6 words", "--code-words",
	    NULL), "generate refuses 1 word, naming --code-words");
	capture_begin();
	rc = code_generate(&c, 7);
	capture_end();
	ok(rc == -1 && captured_line_has("not 7", NULL),
	    "generate refuses 7 words");
	for (size_t n = CODE_WORDS_MIN; n <= CODE_WORDS_MAX; n++) {
		bool good = code_generate(&c, n) == 0 && c.word_count == n &&
		    code_format(&c, text, sizeof(text), &len) == 0 &&
		    code_parse(&back, text, CODE_NUMBER_DIRECT_MAX) == 0 &&
		    same_code(&c, &back);

		ok(good, "generate %zu words: %zu words, round-trips", n,
		    c.word_count);
	}
	/* 3000 codes: every N and word in range, every N of 1..99 seen
	 * (missing one has odds e^-30), and most words seen (6000 draws
	 * of 1296: about 1284 expected, fewer than 1200 is 1e-20 unlikely). */
	for (int i = 0; i < 3000; i++) {
		if (code_generate(&c, 2) != 0 || c.number < 1 ||
		    c.number > CODE_NUMBER_DIRECT_MAX) {
			bad++;
			continue;
		}
		seen_number[c.number] = true;
		for (size_t k = 0; k < 2; k++) {
			if (c.word[k] >= WORDLIST_LEN)
				bad++;
			else
				seen_word[c.word[k]] = true;
		}
	}
	for (size_t n = 1; n <= CODE_NUMBER_DIRECT_MAX; n++)
		numbers_seen += seen_number[n];
	for (size_t w = 0; w < WORDLIST_LEN; w++)
		words_seen += seen_word[w];
	ok(bad == 0, "3000 generated codes: every N in 1..99, every word "
	    "index below 1296");
	ok(numbers_seen == 99, "3000 generated codes: all 99 numbers seen "
	    "(%zu)", numbers_seen);
	ok(words_seen >= 1200, "3000 generated codes: %zu of 1296 words "
	    "seen", words_seen);
	code_clear(&c);
	code_clear(&back);
}

int
main(void)
{
	if (suite_init() != 0)
		return 1;
	test_list_file();
	test_list_properties();
	test_every_word();
	test_forgiving();
	test_refused();
	test_typo_sweep();
	test_format();
	test_generate();
	return tap_done();
}
