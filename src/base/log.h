/*
 * log.h - the one way sealcat reports errors and progress.
 *
 * Every message is one line on stderr: "sealcat: <what happened>[: <why>]
 * [— <what to do>]".  The only process-wide state is the program name, the
 * verbosity level and whether a status line (--progress) is on the
 * terminal.
 */
#ifndef SEALCAT_LOG_H
#define SEALCAT_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_QUIET = -1,		/* -q: errors only */
	LOG_NORMAL = 0,		/* errors and warnings */
	LOG_VERBOSE = 1		/* -v: progress too */
};

/* Sets the verbosity (default LOG_NORMAL). */
void log_set_level(enum log_level level);

/* Returns true when -v output is wanted. */
int log_verbose_enabled(void);

/* Prints "sealcat: <fmt>" on stderr.  Always shown. */
void log_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Like log_error() with ": <strerror(errno)>" appended (errno read first). */
void log_errno(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Prints "sealcat: warning: <fmt>"; hidden by -q. */
void log_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Prints "sealcat: <fmt>"; hidden by -q (a report, not a warning). */
void log_info(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Prints "sealcat: <fmt>" only with -v. */
void log_verbose(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Shows text as the status line of --progress, whatever the verbosity.
 * On a terminal (columns > 0) it is drawn over the previous one: "\r",
 * the text cut to columns - 1, clear to the end of the line, and no
 * "sealcat: " (it is the only line that changes in place, and needs the
 * room); the next message clears it before it is printed.  final ends it
 * with a newline, so it stays.  columns 0: "sealcat: <text>", a plain line
 * of its own, as in a log.
 */
void log_status(const char *text, unsigned columns, bool final);

/* Clears the status line from the terminal if one is drawn; the next
 * log_status() draws it again. */
void log_status_clear(void);

#endif
