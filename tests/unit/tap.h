/*
 * tap.h - a minimal TAP producer for the unit tests: plan, ok, is_bytes,
 * and hex decoding for vectors.  Header-only; each test is one program.
 */
#ifndef SEALCAT_TAP_H
#define SEALCAT_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline void
tap_plan(int n)
{
	printf("1..%d\n", n);
}

/* Prints the plan after the tests, when the count is data-driven. */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

static inline bool
ok(bool cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline bool
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static inline void
tap_diag_hex(const char *label, const uint8_t *p, size_t len)
{
	printf("# %s: ", label);
	for (size_t i = 0; i < len; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

/* ok() on byte equality; on failure prints both sides as hex. */
static inline bool
is_bytes(const uint8_t *got, const uint8_t *want, size_t len,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static inline bool
is_bytes(const uint8_t *got, const uint8_t *want, size_t len,
    const char *fmt, ...)
{
	char name[512];
	va_list ap;
	bool same = memcmp(got, want, len) == 0;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	ok(same, "%s", name);
	if (!same) {
		tap_diag_hex("got ", got, len);
		tap_diag_hex("want", want, len);
	}
	return same;
}

/* Decodes lowercase/uppercase hex into a malloc'd buffer; NULL on error.
 * An empty string gives a non-NULL 1-byte buffer with *len 0. */
static inline uint8_t *
hex_decode(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *out;

	if (n % 2 != 0)
		return NULL;
	out = malloc(n / 2 + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return out;
}

#endif
