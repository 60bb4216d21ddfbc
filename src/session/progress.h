/*
 * progress.h - the --progress status line: what it says and when it is
 * due.  No I/O and no clock of its own: the relay passes in its byte
 * counts and its monotonic clock (milliseconds) and writes the text where
 * it belongs (log_status()).
 *
 * The line, while the session runs:
 *
 *     sent 1.50 MiB, received 0 B, 512 KiB/s, 0:03, 45%, ETA 0:04
 *
 * and the final one:
 *
 *     sent 3.00 MiB, received 0 B, 1.00 MiB/s average, 0:03, 100%
 *
 * Sizes are in powers of 1024 with three significant digits.  The rate is
 * both directions together over the last PROGRESS_WINDOW_MS (on a
 * terminal), or since the line before (elsewhere).  The
 * percentage and the ETA appear when the size of the transfer is known:
 * a regular file on stdin gives the size of what we send; --size that of
 * the direction that has carried more bytes, which in a one-way transfer
 * is the transfer, whichever end is told.
 */
#ifndef SEALCAT_PROGRESS_H
#define SEALCAT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* On a terminal the line is redrawn at most this often (4 a second). */
#define PROGRESS_TTY_MS 250
/* Elsewhere (a pipe, a file, the journal) a plain line this often. */
#define PROGRESS_PLAIN_MS 5000
/* The current rate is measured over this long, from the samples the
 * lines take: PROGRESS_SAMPLES of them cover it at PROGRESS_TTY_MS. */
#define PROGRESS_WINDOW_MS 2000
#define PROGRESS_SAMPLES (PROGRESS_WINDOW_MS / PROGRESS_TTY_MS)
/* Room for the longest line, with its terminating NUL. */
#define PROGRESS_LINE_MAX 128
/* A percentage above this (a --size far too small) is shown as this. */
#define PROGRESS_PERCENT_MAX 999

/* The byte counts at a moment, for the rates. */
struct progress_sample {
	long long ms;
	uint64_t sent;
	uint64_t received;
};

/* What the size of a transfer is the size of. */
enum progress_size {
	PROGRESS_SIZE_UNKNOWN,	/* no percentage, no ETA */
	PROGRESS_SIZE_SENT,	/* our stream (a file on stdin) */
	PROGRESS_SIZE_EITHER	/* the direction that carried more (--size) */
};

struct progress {
	bool tty;		/* redrawn in place every PROGRESS_TTY_MS */
	enum progress_size size_of;
	uint64_t size;		/* the transfer's bytes, if known */
	long long start_ms;
	long long next_ms;	/* the next line is due then */
	/* The last samples, oldest first from samples[first]: a ring. */
	struct progress_sample samples[PROGRESS_SAMPLES];
	size_t first;
	size_t count;
	bool have_rate;
	double rate_sent;	/* bytes per second, just now */
	double rate_received;
};

/*
 * Starts the clock at now_ms.  tty: a terminal, redrawn in place; else
 * plain lines.  size bytes are to go, in the direction size_of says.
 */
void progress_init(struct progress *p, bool tty, enum progress_size size_of,
    uint64_t size, long long now_ms);

/* True if a line is due at now_ms. */
static inline bool
progress_due(const struct progress *p, long long now_ms)
{
	return now_ms >= p->next_ms;
}

/* When the next line is due, for a poll() timeout. */
static inline long long
progress_next(const struct progress *p)
{
	return p->next_ms;
}

/*
 * Takes a sample of the byte counts at now_ms, schedules the next line
 * (one interval after now, never sooner) and writes the line, without a
 * newline, to out (out_cap bytes).  final: the last line, with the
 * average rate instead of the current one and no ETA.  Returns 0, or -1
 * if out is too small (then out holds an empty string, when out_cap > 0).
 */
int progress_line(struct progress *p, uint64_t sent, uint64_t received,
    long long now_ms, bool final, char *out, size_t out_cap);

/*
 * The pieces of the line, each into out (out_cap bytes) with its result
 * 0, or -1 when it does not fit.  A byte count ("0 B", "999 B", "1.00
 * KiB", "12.3 MiB", "16.0 EiB"); a rate is the same followed by "/s".
 * A duration in whole seconds: "0:07", "12:34", "1:02:03".
 */
int progress_bytes(uint64_t n, char *out, size_t out_cap);
int progress_rate(double bytes_per_s, char *out, size_t out_cap);
int progress_duration(long long seconds, char *out, size_t out_cap);

/* done bytes of size, as a whole percentage rounded down, at most
 * PROGRESS_PERCENT_MAX; a size of 0 is 100% done. */
unsigned progress_percent(uint64_t done, uint64_t size);

#endif
