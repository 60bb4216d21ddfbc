/*
 * code.c - code mode's one-time codes (PROTOCOL.md, "Code mode"): make
 * one, read one as typed, write the canonical form that CPace takes as
 * PRS.  The words are wordlist.c's, by index; every word of the list has a
 * unique three-letter prefix, so three letters always name at most one
 * word.  Parsing is local and strict about what it cannot fix: a code
 * that is refused here never costs a try at the listener.
 */
#include "pake/code.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/log.h"
#include "base/util.h"

#define PREFIX_MIN 3		/* letters that may stand for a word */
/* Tokens kept: the number, and 6 words even if each is "yo yo"; one more
 * tells a code with too many words. */
#define TOKENS_MAX (1 + 2 * CODE_WORDS_MAX + 1)
#define SHOW_MAX 40		/* bytes of a bad token quoted back */
#define FIX " — check the code (a number and 2 to 6 words: 7-sapphire-clock)"

struct token {
	const char *p;
	size_t len;
};

static bool
separator(char ch)
{
	return ch == '-' || ch == ' ' || (ch >= '\t' && ch <= '\r');
}

/* Splits text at runs of separators.  Stores at most cap tokens and
 * returns how many there are. */
static size_t
tokenize(const char *text, struct token *t, size_t cap)
{
	size_t count = 0;
	const char *p = text;

	for (;;) {
		const char *start;

		while (*p != '\0' && separator(*p))
			p++;
		if (*p == '\0')
			return count;
		start = p;
		while (*p != '\0' && !separator(*p))
			p++;
		if (count < cap) {
			t[count].p = start;
			t[count].len = (size_t)(p - start);
		}
		count++;
	}
}

/* The token as typed, safe for a terminal and cut to SHOW_MAX bytes. */
static const char *
show(const struct token *t, char out[SHOW_MAX + 1])
{
	size_t len = t->len < SHOW_MAX ? t->len : SHOW_MAX;

	text_for_terminal((const uint8_t *)t->p, len, out, SHOW_MAX + 1);
	return out;
}

static int
parse_code_number(const struct token *t, unsigned long max,
    unsigned long *number)
{
	char shown[SHOW_MAX + 1];
	unsigned long n = 0;
	size_t i = 0;

	for (size_t j = 0; j < t->len; j++) {
		if (t->p[j] < '0' || t->p[j] > '9') {
			log_error("bad code: it starts with '%s', not a "
			    "number" FIX, show(t, shown));
			return -1;
		}
	}
	while (i < t->len && t->p[i] == '0')
		i++;
	if (t->len - i > CODE_NUMBER_DIGITS_MAX)
		goto range;
	for (; i < t->len; i++)
		n = n * 10 + (unsigned long)(t->p[i] - '0');
	if (n >= 1 && n <= max) {
		*number = n;
		return 0;
	}
range:
	log_error("bad code: number %s is not in 1..%lu" FIX, show(t, shown),
	    max);
	return -1;
}

/* Lowercases the token into out (WORDLIST_WORD_MAX + 1 bytes); false if it
 * is too long to be a word. */
static bool
lower_token(const struct token *t, char *out)
{
	if (t->len > WORDLIST_WORD_MAX)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		char ch = t->p[i];

		out[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	out[t->len] = '\0';
	return true;
}

/* The index of the word w (NUL-terminated, lowercase) names: the word
 * itself, or the one word it is a prefix of (PREFIX_MIN letters or more);
 * -1 if none. */
static int
find_word(const char *w)
{
	size_t len = strlen(w);
	int found = -1, matches = 0;

	for (int i = 0; i < WORDLIST_LEN; i++)
		if (strcmp(wordlist[i], w) == 0)
			return i;
	if (len < PREFIX_MIN)
		return -1;
	for (int i = 0; i < WORDLIST_LEN; i++) {
		if (strncmp(wordlist[i], w, len) == 0) {
			found = i;
			matches++;
		}
	}
	return matches == 1 ? found : -1;
}

static bool
is_yo(const struct token *t)
{
	return t->len == 2 && (t->p[0] == 'y' || t->p[0] == 'Y') &&
	    (t->p[1] == 'o' || t->p[1] == 'O');
}

/*
 * The words of the code from tokens t[0..count): "yo" "yo" is "yoyo" (the
 * list's "yo-yo"), anything else one word each.
 */
static int
parse_words(struct code *c, const struct token *t, size_t count)
{
	char word[WORDLIST_WORD_MAX + 1], shown[SHOW_MAX + 1];
	int rc = -1;

	c->word_count = 0;
	for (size_t i = 0; i < count; i++) {
		int index = -1;

		if (i + 1 < count && is_yo(&t[i]) && is_yo(&t[i + 1])) {
			snprintf(word, sizeof(word), "yoyo");
			i++;
		} else if (!lower_token(&t[i], word)) {
			word[0] = '\0';
		}
		if (word[0] != '\0')
			index = find_word(word);
		if (index == -1) {
			if (t[i].len < PREFIX_MIN)
				log_error("bad code: '%s' is not a word, and "
				    "too short to stand for one (type 3 "
				    "letters or more)" FIX, show(&t[i], shown));
			else
				log_error("bad code: '%s' is not a word of "
				    "the list" FIX, show(&t[i], shown));
			goto out;
		}
		if (c->word_count == CODE_WORDS_MAX) {
			log_error("bad code: it has more than %d words" FIX,
			    CODE_WORDS_MAX);
			goto out;
		}
		c->word[c->word_count++] = (uint16_t)index;
	}
	if (c->word_count < CODE_WORDS_MIN) {
		log_error("bad code: it has %zu word%s, not %d to %d" FIX,
		    c->word_count, c->word_count == 1 ? "" : "s",
		    CODE_WORDS_MIN, CODE_WORDS_MAX);
		goto out;
	}
	rc = 0;
out:
	wipe(word, sizeof(word));
	return rc;
}

int
code_parse(struct code *c, const char *text, unsigned long number_max)
{
	struct token t[TOKENS_MAX];
	size_t count;

	memset(c, 0, sizeof(*c));
	count = tokenize(text, t, TOKENS_MAX);
	if (count == 0) {
		log_error("bad code: it is empty" FIX);
		goto fail;
	}
	if (count > TOKENS_MAX) {
		log_error("bad code: it has more than %d words" FIX,
		    CODE_WORDS_MAX);
		goto fail;
	}
	if (parse_code_number(&t[0], number_max, &c->number) != 0 ||
	    parse_words(c, t + 1, count - 1) != 0)
		goto fail;
	wipe(t, sizeof(t));
	return 0;
fail:
	wipe(t, sizeof(t));
	code_clear(c);
	return -1;
}

int
code_generate(struct code *c, size_t word_count)
{
	memset(c, 0, sizeof(*c));
	if (word_count < CODE_WORDS_MIN || word_count > CODE_WORDS_MAX) {
		log_error("a code has %d to %d words, not %zu — give "
		    "--code-words %d to %d", CODE_WORDS_MIN, CODE_WORDS_MAX,
		    word_count, CODE_WORDS_MIN, CODE_WORDS_MAX);
		return -1;
	}
	c->number = 1 + randombytes_uniform(CODE_NUMBER_DIRECT_MAX);
	c->word_count = word_count;
	for (size_t i = 0; i < word_count; i++)
		c->word[i] = (uint16_t)randombytes_uniform(WORDLIST_LEN);
	return 0;
}

int
code_format(const struct code *c, char *out, size_t out_cap,
    size_t *out_len)
{
	size_t len;
	int n;

	if (c->number < 1 || c->number > CODE_NUMBER_RELAY_MAX ||
	    c->word_count < CODE_WORDS_MIN ||
	    c->word_count > CODE_WORDS_MAX || out_cap == 0)
		return -1;
	n = snprintf(out, out_cap, "%lu", c->number);
	if (n < 0 || (size_t)n >= out_cap)
		goto fail;
	len = (size_t)n;
	for (size_t i = 0; i < c->word_count; i++) {
		if (c->word[i] >= WORDLIST_LEN)
			goto fail;
		n = snprintf(out + len, out_cap - len, "-%s",
		    wordlist[c->word[i]]);
		if (n < 0 || (size_t)n >= out_cap - len)
			goto fail;
		len += (size_t)n;
	}
	*out_len = len;
	return 0;
fail:
	wipe(out, out_cap);
	return -1;
}

int
code_canonical(const char *text, unsigned long number_max, char *out,
    size_t out_cap, size_t *out_len)
{
	struct code c;
	int rc = -1;

	if (code_parse(&c, text, number_max) != 0)
		goto out;
	if (code_format(&c, out, out_cap, out_len) != 0) {
		log_error("the code does not fit in %zu bytes", out_cap);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		wipe(out, out_cap);
	code_clear(&c);
	return rc;
}

void
code_clear(struct code *c)
{
	if (c != NULL)
		wipe(c, sizeof(*c));
}
