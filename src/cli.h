/*
 * cli.h - command-line helpers shared by the subcommands: usage text,
 * parsing of ports, seconds, counts and suite names.  Every helper reports
 * its own error naming the option, so a caller only returns 2.
 */
#ifndef SEALCAT_CLI_H
#define SEALCAT_CLI_H

#include <stdio.h>

#include "suite.h"

/* Exit statuses (DEVELOPERS.md). */
#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Subcommand entry points; each returns an exit status. */
int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_connect(int argc, char **argv);

/* Prints the --help text of a subcommand (NULL: the top level) to fp. */
void cli_help(FILE *fp, const char *subcommand);

/*
 * Reports a usage error: "sealcat: <msg> — see 'sealcat SUB --help'"
 * and returns EXIT_USAGE, so callers can write `return cli_usage(...)`.
 */
int cli_usage(const char *subcommand, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Each returns 0, or -1 after reporting "<option>: ..." as a usage error. */
int cli_seconds(const char *option, const char *arg, unsigned *out);
int cli_count(const char *option, const char *arg, unsigned long min,
    unsigned long max, unsigned long *out);
int cli_port(const char *option, const char *arg);
int cli_suite(const char *arg, const struct suite **out);

#endif
