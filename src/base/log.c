/*
 * log.c - one-line messages on stderr, see log.h.  Each message is written
 * with a single write(2) so lines from concurrent children do not interleave.
 */
#include "base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level level = LOG_NORMAL;
/* A status line is on the terminal, without a newline after it. */
static bool status_shown;

/* Erases the status line: back to its start, clear to the end of the
 * line. */
#define CLEAR_LINE "\r\033[K"

void
log_set_level(enum log_level l)
{
	level = l;
}

int
log_verbose_enabled(void)
{
	return level >= LOG_VERBOSE;
}

static void
emit(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
	/* The message replaces a status line on the terminal; the next one
	 * is drawn below it. */
	const char *clear = status_shown ? CLEAR_LINE : "";
	int start = (int)strlen(clear);
	char msg[900];
	char line[1024];
	int n;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	n = snprintf(line, sizeof(line), "%ssealcat: %s%s%s%s\n", clear,
	    prefix, msg, suffix != NULL ? ": " : "",
	    suffix != NULL ? suffix : "");
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* Keep it one line whatever the arguments held. */
	for (int i = start; i < n - 1; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	status_shown = false;
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("", fmt, ap, NULL);
	va_end(ap);
}

void
log_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	emit("", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	emit("warning: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	emit("", fmt, ap, NULL);
	va_end(ap);
}

void
log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	emit("", fmt, ap, NULL);
	va_end(ap);
}

void
log_status_clear(void)
{
	if (status_shown)
		(void)!write(STDERR_FILENO, CLEAR_LINE, strlen(CLEAR_LINE));
	status_shown = false;
}

void
log_status(const char *text, unsigned columns, bool final)
{
	char line[1024];
	/* The last column stays free: a line that fills it wraps on some
	 * terminals, and "\r" would then redraw the next line only. */
	int width = columns > 1 ? (int)columns - 1 : 0;
	int n;

	if (columns == 0)
		n = snprintf(line, sizeof(line), "sealcat: %s\n", text);
	else
		n = snprintf(line, sizeof(line), "\r%.*s\033[K%s", width, text,
		    final ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	status_shown = columns > 0 && !final;
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
