/*
 * test_progress.c - the --progress status line (progress.c): the units,
 * the durations, the percentage at its edges, the rate's smoothing, when
 * a line is due, and the whole line with and without a size.  The clock
 * is ours: every time below is made up.
 */
#include <stdio.h>
#include <string.h>

#include "session/progress.h"
#include "tap.h"

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

static void
is_text(const char *got, const char *want, const char *what)
{
	if (!ok(strcmp(got, want) == 0, "%s: \"%s\"", what, want))
		printf("#   got \"%s\"\n", got);
}

/* Equal but for rounding in the last bits. */
static bool
near(double got, double want)
{
	double d = got > want ? got - want : want - got;

	return d <= 1e-9 * (want > 0 ? want : 1);
}

static void
test_bytes(void)
{
	static const struct {
		uint64_t n;
		const char *text;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 999, "999 B" },
		{ 1000, "0.98 KiB" },	/* never four digits */
		{ 1024, "1.00 KiB" },
		{ 1536, "1.50 KiB" },
		{ 10 * KIB, "10.0 KiB" },
		{ 100 * KIB, "100 KiB" },
		{ 999 * KIB, "999 KiB" },
		{ 1023 * KIB, "1.00 MiB" },	/* 999.5 KiB and up */
		{ 12 * MIB + 300 * KIB, "12.3 MiB" },
		{ 5 * GIB, "5.00 GiB" },
		{ 1024 * GIB, "1.00 TiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};
	char out[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok(progress_bytes(cases[i].n, out, sizeof(out)) == 0,
		    "bytes %llu: fits", (unsigned long long)cases[i].n);
		is_text(out, cases[i].text, "bytes");
	}
	memset(out, 'x', sizeof(out));
	ok(progress_bytes(12 * MIB, out, 8) == -1 && out[0] == '\0' &&
	    out[8] == 'x', "bytes: 8 bytes of room for \"12.0 MiB\": -1, "
	    "empty, nothing written past the room");
	ok(progress_rate(512.0 * KIB, out, sizeof(out)) == 0,
	    "rate 512 KiB/s: fits");
	is_text(out, "512 KiB/s", "rate");
	progress_rate(0.2, out, sizeof(out));
	is_text(out, "0 B/s", "rate below half a byte a second");
	progress_rate(-5.0, out, sizeof(out));
	is_text(out, "0 B/s", "a negative rate");
	progress_rate(1e30, out, sizeof(out));
	is_text(out, "16.0 EiB/s", "a rate past 64 bits");
	ok(progress_rate(12.0 * MIB, out, 10) == -1 && out[0] == '\0',
	    "rate: \"12.0 MiB\" fits 10 bytes, \"/s\" does not: -1, empty");
}

static void
test_duration(void)
{
	static const struct {
		long long s;
		const char *text;
	} cases[] = {
		{ -3, "0:00" },
		{ 0, "0:00" },
		{ 7, "0:07" },
		{ 59, "0:59" },
		{ 60, "1:00" },
		{ 754, "12:34" },
		{ 3599, "59:59" },
		{ 3600, "1:00:00" },
		{ 3723, "1:02:03" },
		{ 360000, "100:00:00" },
	};
	char out[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		progress_duration(cases[i].s, out, sizeof(out));
		is_text(out, cases[i].text, "duration");
	}
	ok(progress_duration(3723, out, 7) == -1 && out[0] == '\0',
	    "duration: \"1:02:03\" does not fit 7 bytes");
}

static void
test_percent(void)
{
	ok(progress_percent(0, 1000) == 0, "percent: 0 of 1000 is 0");
	ok(progress_percent(450, 1000) == 45, "percent: 450 of 1000 is 45");
	ok(progress_percent(999, 1000) == 99,
	    "percent: 999 of 1000 is 99, rounded down: 100 means done");
	ok(progress_percent(1000, 1000) == 100, "percent: all is 100");
	ok(progress_percent(1500, 1000) == 150,
	    "percent: more than the size says so (150)");
	ok(progress_percent(9000, 1000) == 900, "percent: 9 times is 900 "
	    "(%u)", progress_percent(9000, 1000));
	ok(progress_percent(9985, 1000) == 998, "percent: 9.985 times is 998 "
	    "(%u)", progress_percent(9985, 1000));
	ok(progress_percent(10000, 1000) == PROGRESS_PERCENT_MAX,
	    "percent: 10 times is capped");
	ok(progress_percent(20000, 1000) == PROGRESS_PERCENT_MAX,
	    "percent: 20 times the size is capped at %d",
	    PROGRESS_PERCENT_MAX);
	ok(progress_percent(0, 0) == 100, "percent: nothing of nothing is "
	    "100");
	ok(progress_percent(1, 0) == PROGRESS_PERCENT_MAX,
	    "percent: a byte of a size of 0 is capped");
	ok(progress_percent(UINT64_MAX - 1, UINT64_MAX) == 99,
	    "percent: one byte short of 2^64 - 1 is 99, not 100 (no "
	    "overflow in 100 * done)");
	ok(progress_percent(UINT64_MAX, UINT64_MAX) == 100,
	    "percent: 2^64 - 1 of 2^64 - 1 is 100");
	ok(progress_percent(UINT64_MAX / 2, UINT64_MAX) == 49,
	    "percent: half of 2^64 - 1 (rounded down) is 49");
	ok(progress_percent(UINT64_MAX, UINT64_MAX / 4) == 400,
	    "percent: 2^64 - 1 of a quarter of it is 400");
	ok(progress_percent(UINT64_MAX, 3) == PROGRESS_PERCENT_MAX,
	    "percent: 2^64 - 1 of 3 is capped");
	ok(progress_percent(2 * GIB - 1, 2 * GIB) == 99,
	    "percent: one byte short of 2 GiB is 99");
}

static void
test_due(void)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];

	progress_init(&p, true, PROGRESS_SIZE_UNKNOWN, 0, 10000);
	ok(!progress_due(&p, 10000) && !progress_due(&p, 10249),
	    "tty: no line before %d ms", PROGRESS_TTY_MS);
	ok(progress_due(&p, 10250) && progress_next(&p) == 10250,
	    "tty: the first line is due at %d ms", PROGRESS_TTY_MS);
	progress_line(&p, 0, 0, 10250, false, line, sizeof(line));
	ok(!progress_due(&p, 10499) && progress_next(&p) == 10500,
	    "tty: the next one %d ms later", PROGRESS_TTY_MS);
	/* A loop that was busy draws late; the next is counted from then,
	 * so there are never more than four a second. */
	progress_line(&p, 0, 0, 11000, false, line, sizeof(line));
	ok(progress_next(&p) == 11250, "tty: drawn late at 1000 ms, the next "
	    "is due 250 ms after that, not at once");

	progress_init(&p, false, PROGRESS_SIZE_UNKNOWN, 0, 0);
	ok(!progress_due(&p, 4999) && progress_due(&p, 5000),
	    "no tty: the first plain line is due at %d ms",
	    PROGRESS_PLAIN_MS);
	progress_line(&p, 0, 0, 5000, false, line, sizeof(line));
	ok(progress_next(&p) == 10000, "no tty: then every %d ms",
	    PROGRESS_PLAIN_MS);
}

static void
test_rate(void)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];
	double r1, r2;

	progress_init(&p, true, PROGRESS_SIZE_UNKNOWN, 0, 0);
	progress_line(&p, MIB, 0, 1000, false, line, sizeof(line));
	ok(near(p.rate_sent, (double)MIB) && p.rate_received == 0.0,
	    "rate: the first line measures from the start (1 MiB in 1 s)");
	progress_line(&p, 2 * MIB, MIB, 2000, false, line, sizeof(line));
	ok(near(p.rate_sent, (double)MIB) &&
	    near(p.rate_received, (double)MIB / 2),
	    "rate: each direction over the last %d ms (sent 1 MiB/s, "
	    "received 0.5 MiB/s)", PROGRESS_WINDOW_MS);
	/* The stream stalls: the rate falls as the window moves on. */
	progress_line(&p, 2 * MIB, MIB, 2250, false, line, sizeof(line));
	r1 = p.rate_sent;
	progress_line(&p, 2 * MIB, MIB, 2500, false, line, sizeof(line));
	r2 = p.rate_sent;
	ok(near(r1, (double)MIB / 1.25) && near(r2, (double)MIB / 1.5),
	    "rate: a stall of 250 ms lowers it (1 MiB in 1.25 s), 500 ms "
	    "more (1 MiB in 1.5 s)");
	progress_line(&p, 2 * MIB, MIB, 4500, false, line, sizeof(line));
	ok(p.rate_sent == 0.0 && p.rate_received == 0.0,
	    "rate: 0 once the stall fills the window");
	progress_line(&p, 2 * MIB + 600, MIB, 10500, false, line,
	    sizeof(line));
	ok(near(p.rate_sent, 100.0), "rate: lines further apart than the "
	    "window measure from the line before (600 B in 6 s)");

	/* The same stream sampled twice or nine times in 2 s: the same
	 * rate, over the same window. */
	progress_init(&p, true, PROGRESS_SIZE_UNKNOWN, 0, 0);
	progress_line(&p, 0, 0, 1000, false, line, sizeof(line));
	progress_line(&p, 2 * MIB, 0, 3000, false, line, sizeof(line));
	r1 = p.rate_sent;
	progress_init(&p, true, PROGRESS_SIZE_UNKNOWN, 0, 0);
	progress_line(&p, 0, 0, 1000, false, line, sizeof(line));
	for (int i = 1; i <= 8; i++)
		progress_line(&p, (uint64_t)i * MIB / 4, 0, 1000 + i * 250,
		    false, line, sizeof(line));
	r2 = p.rate_sent;
	ok(near(r1, (double)MIB) && near(r2, (double)MIB), "rate: how often "
	    "it is sampled does not change it (%.0f, %.0f)", r1, r2);
	/* After many lines the ring has wrapped; the window still holds. */
	progress_init(&p, true, PROGRESS_SIZE_UNKNOWN, 0, 0);
	for (int i = 1; i <= 100; i++)
		progress_line(&p, (uint64_t)i * 1000, 0, i * 250, false, line,
		    sizeof(line));
	ok(near(p.rate_sent, 4000.0), "rate: 100 lines on (the ring "
	    "wrapped), 1000 B every 250 ms is 4000 B/s");
	/* No time passed: no sample, no division by zero. */
	progress_init(&p, true, PROGRESS_SIZE_UNKNOWN, 0, 500);
	progress_line(&p, MIB, MIB, 500, false, line, sizeof(line));
	ok(!p.have_rate, "rate: a line at the start takes no sample");
}

static void
test_lines(void)
{
	struct progress p;
	char line[PROGRESS_LINE_MAX];

	progress_init(&p, true, PROGRESS_SIZE_UNKNOWN, 0, 0);
	ok(progress_line(&p, 3 * MIB / 2, 0, 3000, false, line,
	    sizeof(line)) == 0, "line without a size: fits");
	is_text(line, "sent 1.50 MiB, received 0 B, 512 KiB/s, 0:03",
	    "line without a size");
	ok(progress_line(&p, 3 * MIB, 0, 6000, true, line, sizeof(line)) == 0,
	    "final line without a size: fits");
	is_text(line, "sent 3.00 MiB, received 0 B, 512 KiB/s average, 0:06",
	    "final line without a size: the average rate");

	progress_init(&p, true, PROGRESS_SIZE_EITHER, 4 * MIB, 0);
	progress_line(&p, MIB, 0, 1000, false, line, sizeof(line));
	is_text(line, "sent 1.00 MiB, received 0 B, 1.00 MiB/s, 0:01, 25%, "
	    "ETA 0:03", "line with a size: percentage and ETA (3 MiB at 1 "
	    "MiB/s)");

	progress_line(&p, MIB, 0, 61000, false, line, sizeof(line));
	ok(strstr(line, ", 25%, ETA ") != NULL && strstr(line, "1:01") !=
	    NULL, "line with a size after a stall: still 25%%, elapsed "
	    "1:01 (%s)", line);
	progress_line(&p, 4 * MIB, 0, 62000, true, line, sizeof(line));
	is_text(line, "sent 4.00 MiB, received 0 B, 66.1 KiB/s average, 1:02, "
	    "100%", "final line with a size: 100%, no ETA");
	progress_init(&p, true, PROGRESS_SIZE_EITHER, 4 * MIB + 1, 0);
	progress_line(&p, MIB, 0, 1000, false, line, sizeof(line));
	ok(strstr(line, ", ETA 0:04") != NULL, "ETA rounded up: a byte more "
	    "than 3 s' worth is 0:04 (%s)", line);

	/* A receiver counts what it receives. */
	progress_init(&p, false, PROGRESS_SIZE_EITHER, 1000, 0);
	progress_line(&p, 10, 500, 5000, false, line, sizeof(line));
	is_text(line, "sent 10 B, received 500 B, 102 B/s, 0:05, 50%, ETA "
	    "0:05", "line with a size: the direction that carried more "
	    "counts");

	/* The size of our input counts what we send, even when more
	 * arrives. */
	progress_init(&p, false, PROGRESS_SIZE_SENT, 1000, 0);
	progress_line(&p, 250, 5000, 5000, false, line, sizeof(line));
	is_text(line, "sent 250 B, received 4.88 KiB, 1.03 KiB/s, 0:05, 25%, "
	    "ETA 0:15", "line with the size of our input: what we sent "
	    "counts");
	progress_line(&p, 1000, 9000, 10000, true, line, sizeof(line));
	is_text(line, "sent 0.98 KiB, received 8.79 KiB, 0.98 KiB/s average, "
	    "0:10, 100%", "final line with the size of our input: 100%, not "
	    "900%");

	/* No rate yet: no ETA. */
	progress_init(&p, true, PROGRESS_SIZE_EITHER, 1000, 0);
	progress_line(&p, 0, 0, 250, false, line, sizeof(line));
	is_text(line, "sent 0 B, received 0 B, 0 B/s, 0:00, 0%, ETA -:--",
	    "nothing moved yet: ETA unknown");
	progress_line(&p, 1000, 0, 500, false, line, sizeof(line));
	is_text(line, "sent 0.98 KiB, received 0 B, 1.95 KiB/s, 0:00, 100%",
	    "all there before the end: 100%, no ETA");

	/* The widest figures under 100 hours and 1000 GiB fit 80 columns
	 * (log_status() shows it on a terminal as it is); the extremes fit
	 * the buffer. */
	progress_init(&p, true, PROGRESS_SIZE_EITHER, 4000 * MIB, 0);
	ok(progress_line(&p, 1000 * MIB, 1000 * MIB, 359999000LL, false,
	    line, sizeof(line)) == 0 && strstr(line, "0.98 GiB") != NULL &&
	    strstr(line, "99:59:59") != NULL && strlen(line) < 80,
	    "a wide line fits 79 columns: %s", line);
	progress_init(&p, true, PROGRESS_SIZE_EITHER, UINT64_MAX, 0);
	ok(progress_line(&p, UINT64_MAX / 3, UINT64_MAX / 5, 1LL << 50, false,
	    line, sizeof(line)) == 0, "the widest line fits the buffer: %s",
	    line);
	ok(progress_line(&p, MIB, 0, 1000, false, line, 20) == -1 &&
	    line[0] == '\0', "line: too little room: -1, empty");
}

int
main(void)
{
	test_bytes();
	test_duration();
	test_percent();
	test_due();
	test_rate();
	test_lines();
	return tap_done();
}
