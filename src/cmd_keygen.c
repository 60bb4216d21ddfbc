/*
 * cmd_keygen.c - keygen and pubkey: create an identity key file and its
 * .pub, print a key file's public token.  The file format and all checks on
 * it are keyfile.c's; this file parses options and prints the token.
 */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "keyfile.h"
#include "local.h"
#include "log.h"
#include "util.h"

enum { OPT_SUITE = 256 };

struct keygen_opts {
	const struct suite *suite;
	const char *output;	/* NULL: the default path */
	const char *comment;	/* NULL: none */
	bool force;
	bool help;	/* --help: printed, nothing else to do */
};

/* Prints a token on stdout.  Returns an exit status. */
static int
print_token(const struct identity *id)
{
	char token[TOKEN_MAX];

	if (token_format(id->suite, id->pub, token, sizeof(token)) == -1) {
		log_error("cannot format the public key — this is a bug");
		return EXIT_RUNTIME;
	}
	if (printf("%s\n", token) < 0 || fflush(stdout) == EOF) {
		log_errno("cannot write the token to stdout");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Fills o from the command line.  Returns EXIT_OK, or EXIT_USAGE after
 * reporting. */
static int
keygen_options(int argc, char **argv, struct keygen_opts *o)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, OPT_SUITE },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "comment", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:fC:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SUITE:
			if (cli_suite(optarg, &o->suite) == -1)
				return EXIT_USAGE;
			break;
		case 'o':
			if (optarg[0] == '\0')
				return cli_usage("keygen", "--output: empty "
				    "file name");
			o->output = optarg;
			break;
		case 'f':
			o->force = true;
			break;
		case 'C':
			o->comment = optarg;
			break;
		case 'h':
			cli_help(stdout, "keygen");
			o->help = true;
			return EXIT_OK;
		default:
			return cli_bad_option("keygen", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("keygen", "unexpected argument '%s'",
		    argv[optind]);
	return EXIT_OK;
}

int
cmd_keygen(int argc, char **argv)
{
	struct keygen_opts o = { .suite = suite_default() };
	struct identity *id = NULL;
	char path[PATH_MAX];
	int rc;

	if ((rc = keygen_options(argc, argv, &o)) != EXIT_OK || o.help)
		return rc;
	if (local_guard_stdio(CLI_TOKEN_STDOUT_FIX) == -1)
		return EXIT_USAGE;
	if (o.output == NULL) {
		if (keyfile_default_path(o.suite, true, path,
		    sizeof(path)) == -1)
			return EXIT_USAGE;
		o.output = path;
	}
	if ((id = secret_alloc(sizeof(*id))) == NULL)
		rc = EXIT_RUNTIME;
	else if (identity_generate(o.suite, id) == -1)
		rc = EXIT_RUNTIME;
	else if (keyfile_write(o.output, id, o.comment, o.force) == -1)
		rc = EXIT_USAGE;
	else
		rc = print_token(id);
	secret_free(id, sizeof(*id));
	return rc;
}

int
cmd_pubkey(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	struct identity *id = NULL;
	char path[PATH_MAX];
	int c;
	int rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (optarg[0] == '\0')
				return cli_usage("pubkey", "--identity: empty "
				    "file name");
			file = optarg;
			break;
		case 'h':
			cli_help(stdout, "pubkey");
			return EXIT_OK;
		default:
			return cli_bad_option("pubkey", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("pubkey", "unexpected argument '%s'",
		    argv[optind]);
	if (local_guard_stdio(CLI_TOKEN_STDOUT_FIX) == -1)
		return EXIT_USAGE;
	if (file == NULL) {
		if (keyfile_find_default(NULL, path, sizeof(path)) == -1)
			return EXIT_USAGE;
		file = path;
	}
	if ((id = secret_alloc(sizeof(*id))) == NULL)
		rc = EXIT_RUNTIME;
	else if (keyfile_load(file, id) == -1)
		rc = EXIT_USAGE;
	else
		rc = print_token(id);
	secret_free(id, sizeof(*id));
	return rc;
}
