/*
 * cli.h - command-line helpers shared by the subcommands: usage text,
 * parsing of ports, seconds, counts and suite names.  Every helper reports
 * its own error naming the option, so a caller only returns 2.
 */
#ifndef SEALCAT_CLI_H
#define SEALCAT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "keys/keyfile.h"
#include "crypto/suite.h"

/* Exit statuses (DEVELOPERS.md). */
#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Subcommand entry points; each returns an exit status. */
int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_passwd(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_peers(int argc, char **argv);

/* A row of the command table in cli.c: dispatch in main(), the command
 * list of `sealcat --help` and the unknown-command error are made from it. */
struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;		/* one line for `sealcat --help` */
	const char *help;		/* `sealcat NAME --help` */
};

/* The command called name, or NULL. */
const struct command *cli_command(const char *name);

/* Prints the --help text of a subcommand (NULL or unknown: the top level)
 * to fp. */
void cli_help(FILE *fp, const char *subcommand);

/* Reports an unknown command (or top-level option) as a usage error and
 * returns EXIT_USAGE. */
int cli_unknown_command(const char *name);

/*
 * Reports what getopt_long() refused (it returned c, '?' or ':', with
 * opterr off and ':' leading the short options) as a usage error and
 * returns EXIT_USAGE.  Every subcommand reports getopt errors this way.
 */
int cli_bad_option(const char *subcommand, int c, char **argv);

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
/* A byte count: a whole number with an optional K, M, G or T (powers of
 * 1024), at least min and at most 2^64 - 1. */
int cli_bytes(const char *option, const char *arg, uint64_t min,
    uint64_t *out);
/* Octal permission bits, 0 to 0777 ("0660", "660"). */
int cli_mode(const char *option, const char *arg, mode_t *out);
int cli_suite(const char *arg, const struct suite **out);
/* --kdf-memory MIB: Argon2id with MIB MiB (1 to 1024) and the default
 * passes. */
int cli_kdf_memory(const char *arg, struct keyseal_kdf *out);

/* The options listen and connect share (see their --help). */
struct pipe_opts {
	const char *identity;		/* -i FILE, or NULL for the default */
	const char *passphrase_file;	/* --passphrase-file, or NULL */
	const struct suite *suite;	/* --suite, or NULL: follow the key */
	const char *exec_cmd;		/* -e CMD, or NULL */
	bool recv_only;
	bool send_only;
	bool exit_with_peer;		/* --exit-with-peer */
	bool fsync;			/* --fsync */
	unsigned timeout_s;		/* -w, default CLI_TIMEOUT_DEFAULT */
	unsigned idle_s;		/* --idle, 0: off */
	unsigned keepalive_s;		/* --keepalive, 0: off */
	unsigned rekey_interval_s;	/* --rekey-interval (default
					 * REKEY_INTERVAL_DEFAULT), 0: off */
	int family;			/* AF_UNSPEC, or AF_INET/AF_INET6 */
	int verbosity;			/* enum log_level */
	bool progress;			/* --progress */
	bool size_set;			/* --size BYTES: size */
	uint64_t size;
};

#define CLI_TIMEOUT_DEFAULT 10

/* getopt_long() values of the shared long options without a letter;
 * each command numbers its own from CLI_OPT_FIRST_FREE. */
enum {
	CLI_OPT_SUITE = 256,
	CLI_OPT_RECV_ONLY,
	CLI_OPT_SEND_ONLY,
	CLI_OPT_IDLE,
	CLI_OPT_KEEPALIVE,
	CLI_OPT_EXIT_WITH_PEER,
	CLI_OPT_PASSPHRASE_FILE,
	CLI_OPT_FSYNC,
	CLI_OPT_REKEY_INTERVAL,
	CLI_OPT_PROGRESS,
	CLI_OPT_SIZE,
	CLI_OPT_FIRST_FREE
};

/* The shared letters, for a command's getopt_long() short options. */
#define CLI_PIPE_SHORTOPTS "i:e:w:46vqh"

/* The shared long options, for a command's struct option table (followed
 * by its own and the terminating row). */
#define CLI_PIPE_LONGOPTS \
	{ "identity", required_argument, NULL, 'i' }, \
	{ "suite", required_argument, NULL, CLI_OPT_SUITE }, \
	{ "passphrase-file", required_argument, NULL, \
	    CLI_OPT_PASSPHRASE_FILE }, \
	{ "exec", required_argument, NULL, 'e' }, \
	{ "recv-only", no_argument, NULL, CLI_OPT_RECV_ONLY }, \
	{ "send-only", no_argument, NULL, CLI_OPT_SEND_ONLY }, \
	{ "exit-with-peer", no_argument, NULL, CLI_OPT_EXIT_WITH_PEER }, \
	{ "fsync", no_argument, NULL, CLI_OPT_FSYNC }, \
	{ "timeout", required_argument, NULL, 'w' }, \
	{ "idle", required_argument, NULL, CLI_OPT_IDLE }, \
	{ "keepalive", required_argument, NULL, CLI_OPT_KEEPALIVE }, \
	{ "rekey-interval", required_argument, NULL, \
	    CLI_OPT_REKEY_INTERVAL }, \
	{ "progress", no_argument, NULL, CLI_OPT_PROGRESS }, \
	{ "size", required_argument, NULL, CLI_OPT_SIZE }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "help", no_argument, NULL, 'h' }

void cli_pipe_defaults(struct pipe_opts *p);

/*
 * Takes option c (with its argument) if it is one of the shared ones.
 * Returns 1 if taken, 0 if not a shared option, or -1 after reporting a
 * usage error.  -h is not taken: each command prints its own help.
 */
int cli_pipe_option(struct pipe_opts *p, const char *subcommand, int c,
    const char *arg);

/* Checks the shared options against each other after parsing; applies -v
 * and -q (which leaves --progress on: it was asked for by name).  Returns
 * 0, or -1 after reporting a usage error. */
int cli_pipe_check(const struct pipe_opts *p, const char *subcommand);

/*
 * For local_guard_stdio(): what a user whose stdout is closed can do, or
 * NULL when stdout does not carry the stream (--send-only, --exec, or
 * another_output, such as listen --forward).
 */
const char *cli_pipe_stdout_fix(const struct pipe_opts *p,
    bool another_output);

/* For local_guard_stdio() in keygen and pubkey, which print a token. */
#define CLI_TOKEN_STDOUT_FIX "the token is printed there: redirect it " \
	"(> FILE, or > /dev/null)"

/*
 * Loads the identity: -i FILE, else the default path for --suite (or the
 * default suite), unlocking it if it is protected by a passphrase
 * (--passphrase-file, else the sources of passphrase_unlock()): once, so
 * `listen -k` asks before it accepts anything.  A --suite that disagrees
 * with the key is an error naming both.  With a non-NULL unchecked buffer
 * (unchecked_cap bytes), the public key is not yet checked against the
 * secret (keyfile_load_unchecked()) and the file name is written there,
 * for the identity_check() that must follow.  Returns EXIT_OK, or
 * EXIT_USAGE (the key file, the options) or EXIT_RUNTIME (the wrong
 * passphrase, none typed) after reporting.
 */
int cli_pipe_identity(const struct pipe_opts *p, struct identity *id,
    char *unchecked, size_t unchecked_cap);

/*
 * The identity for code mode: the key file as cli_pipe_identity() finds
 * it, which must be an x25519 key; or, when none is named and the default
 * one does not exist, a fresh one-time key (*one_time set, unchecked
 * emptied).  Returns an exit status.
 */
int cli_code_identity(const struct pipe_opts *p, struct identity *id,
    char *unchecked, size_t unchecked_cap, bool *one_time);

#endif
