/*
 * progress.c - the --progress status line, see progress.h.  Pure: the
 * relay calls it with its counters and its clock, at most once per
 * PROGRESS_TTY_MS (PROGRESS_PLAIN_MS), so nothing here is on the path of
 * a byte.  The rates come from a ring of the samples the lines took.
 */
#include "session/progress.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

/* An ETA longer than this (about 31 years) is no estimate: "-:--". */
#define ETA_MAX_S 1000000000.0

/* Remembers the counts at ms, dropping the oldest sample when the ring
 * is full. */
static void
remember(struct progress *p, long long ms, uint64_t sent, uint64_t received)
{
	struct progress_sample *slot;

	if (p->count == PROGRESS_SAMPLES) {
		p->first = (p->first + 1) % PROGRESS_SAMPLES;
		p->count--;
	}
	slot = &p->samples[(p->first + p->count) % PROGRESS_SAMPLES];
	slot->ms = ms;
	slot->sent = sent;
	slot->received = received;
	p->count++;
}

void
progress_init(struct progress *p, bool tty, enum progress_size size_of,
    uint64_t size, long long now_ms)
{
	memset(p, 0, sizeof(*p));
	p->tty = tty;
	p->size_of = size_of;
	p->size = size;
	p->start_ms = now_ms;
	remember(p, now_ms, 0, 0);
	p->next_ms = now_ms + (tty ? PROGRESS_TTY_MS : PROGRESS_PLAIN_MS);
}

/* snprintf() into out, 0 if it all fitted. */
static int
put(char *out, size_t out_cap, int n)
{
	if (n < 0 || (size_t)n >= out_cap) {
		if (out_cap > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

int
progress_bytes(uint64_t n, char *out, size_t out_cap)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	double v = (double)n;
	size_t u = 0;

	if (n < 1000)
		return put(out, out_cap, snprintf(out, out_cap, "%u B",
		    (unsigned)n));
	/* 999.5 and up would print as 1000: the next unit says it in
	 * three digits. */
	while (v >= 999.5 && u + 1 < ARRAY_LEN(units)) {
		v /= 1024;
		u++;
	}
	if (v < 9.995)
		return put(out, out_cap, snprintf(out, out_cap, "%.2f %s", v,
		    units[u]));
	if (v < 99.95)
		return put(out, out_cap, snprintf(out, out_cap, "%.1f %s", v,
		    units[u]));
	return put(out, out_cap, snprintf(out, out_cap, "%.0f %s", v,
	    units[u]));
}

int
progress_rate(double bytes_per_s, char *out, size_t out_cap)
{
	uint64_t n;
	size_t len;

	/* Also NaN, which fails every comparison. */
	if (!(bytes_per_s >= 0.5))
		n = 0;
	else if (bytes_per_s >= 18446744073709549568.0)
		n = UINT64_MAX;
	else
		n = (uint64_t)(bytes_per_s + 0.5);
	if (progress_bytes(n, out, out_cap) == -1)
		return -1;
	len = strlen(out);
	return put(out + len, out_cap - len, snprintf(out + len, out_cap - len,
	    "/s")) == -1 ? put(out, out_cap, -1) : 0;
}

int
progress_duration(long long seconds, char *out, size_t out_cap)
{
	long long h, m, s;

	if (seconds < 0)
		seconds = 0;
	h = seconds / 3600;
	m = seconds / 60 % 60;
	s = seconds % 60;
	if (h > 0)
		return put(out, out_cap, snprintf(out, out_cap,
		    "%lld:%02lld:%02lld", h, m, s));
	return put(out, out_cap, snprintf(out, out_cap, "%lld:%02lld", m, s));
}

/*
 * The next decimal digit of r / size, for r < size: floor(10 * r / size),
 * leaving r = 10 * r mod size.  By repeated addition, because 10 * r can
 * overflow where r cannot.
 */
static unsigned
next_digit(uint64_t *r, uint64_t size)
{
	uint64_t acc = 0;
	unsigned digit = 0;

	for (int i = 0; i < 10; i++) {
		if (acc >= size - *r) {
			acc -= size - *r;
			digit++;
		} else
			acc += *r;
	}
	*r = acc;
	return digit;
}

unsigned
progress_percent(uint64_t done, uint64_t size)
{
	uint64_t whole, r;
	unsigned tens, ones, percent;

	if (size == 0)
		return done == 0 ? 100 : PROGRESS_PERCENT_MAX;
	whole = done / size;
	if (whole > PROGRESS_PERCENT_MAX / 100)
		return PROGRESS_PERCENT_MAX;
	r = done % size;
	tens = next_digit(&r, size);
	ones = next_digit(&r, size);
	percent = (unsigned)whole * 100 + tens * 10 + ones;
	return percent < PROGRESS_PERCENT_MAX ? percent : PROGRESS_PERCENT_MAX;
}

/*
 * The rates from the oldest sample at most PROGRESS_WINDOW_MS old (or the
 * newest, when all are older: lines PROGRESS_PLAIN_MS apart) to now; then
 * now becomes a sample.
 */
static void
sample(struct progress *p, uint64_t sent, uint64_t received,
    long long now_ms)
{
	const struct progress_sample *base = NULL, *s;
	double per_s;

	for (size_t i = 0; i < p->count && base == NULL; i++) {
		s = &p->samples[(p->first + i) % PROGRESS_SAMPLES];
		if (now_ms - s->ms <= PROGRESS_WINDOW_MS)
			base = s;
	}
	if (base == NULL && p->count > 0)
		base = &p->samples[(p->first + p->count - 1) %
		    PROGRESS_SAMPLES];
	if (base == NULL || now_ms <= base->ms || sent < base->sent ||
	    received < base->received)
		return;
	per_s = 1000.0 / (double)(now_ms - base->ms);
	p->rate_sent = (double)(sent - base->sent) * per_s;
	p->rate_received = (double)(received - base->received) * per_s;
	p->have_rate = true;
	remember(p, now_ms, sent, received);
}

/* Whole seconds, rounded up: an ETA of 0:00 means done.  s is at most
 * ETA_MAX_S. */
static long long
seconds_up(double s)
{
	long long whole = (long long)s;

	return (double)whole < s ? whole + 1 : whole;
}

/* ", 45%, ETA 0:04" (final: ", 100%") into out, or "" without a size. */
static int
size_part(const struct progress *p, uint64_t sent, uint64_t received,
    bool final, char *out, size_t out_cap)
{
	bool by_sent = p->size_of == PROGRESS_SIZE_SENT || sent >= received;
	uint64_t done = by_sent ? sent : received;
	double rate = by_sent ? p->rate_sent : p->rate_received;
	unsigned percent;
	char eta[32];
	double eta_s;

	if (p->size_of == PROGRESS_SIZE_UNKNOWN)
		return put(out, out_cap, snprintf(out, out_cap, "%s", ""));
	percent = progress_percent(done, p->size);
	if (final || done >= p->size)
		return put(out, out_cap, snprintf(out, out_cap, ", %u%%",
		    percent));
	eta_s = rate >= 1.0 ? (double)(p->size - done) / rate : ETA_MAX_S + 1;
	if (eta_s > ETA_MAX_S)
		snprintf(eta, sizeof(eta), "-:--");
	else if (progress_duration(seconds_up(eta_s), eta,
	    sizeof(eta)) == -1)
		return put(out, out_cap, -1);
	return put(out, out_cap, snprintf(out, out_cap, ", %u%%, ETA %s",
	    percent, eta));
}

int
progress_line(struct progress *p, uint64_t sent, uint64_t received,
    long long now_ms, bool final, char *out, size_t out_cap)
{
	char sent_text[32], received_text[32], rate_text[40], elapsed[32];
	char tail[64];
	long long elapsed_ms = now_ms - p->start_ms;
	double rate;

	sample(p, sent, received, now_ms);
	p->next_ms = now_ms + (p->tty ? PROGRESS_TTY_MS : PROGRESS_PLAIN_MS);
	if (final) {
		/* What the whole session averaged, both ways. */
		rate = ((double)sent + (double)received) * 1000.0 /
		    (double)(elapsed_ms > 0 ? elapsed_ms : 1);
	} else
		rate = p->rate_sent + p->rate_received;
	if (progress_bytes(sent, sent_text, sizeof(sent_text)) == -1 ||
	    progress_bytes(received, received_text,
	    sizeof(received_text)) == -1 ||
	    progress_rate(rate, rate_text, sizeof(rate_text)) == -1 ||
	    progress_duration(elapsed_ms / 1000, elapsed,
	    sizeof(elapsed)) == -1 ||
	    size_part(p, sent, received, final, tail, sizeof(tail)) == -1)
		return put(out, out_cap, -1);
	return put(out, out_cap, snprintf(out, out_cap,
	    "sent %s, received %s, %s%s, %s%s", sent_text, received_text,
	    rate_text, final ? " average" : "", elapsed, tail));
}
