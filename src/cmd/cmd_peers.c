/*
 * cmd_peers.c - peers list|allow|trust|forget: show and edit the trust
 * files, authorized_peers (whom listen lets in) and known_peers (whom
 * connect talks to).  The files' formats, checks and locking are
 * peers.c's and trust.c's; this file parses the command line.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "keys/peers.h"
#include "base/log.h"
#include "base/util.h"

/* An exit status for a peers.h result. */
static int
status_of(int rc)
{
	if (rc == 0)
		return EXIT_OK;
	return rc == -1 ? EXIT_USAGE : EXIT_RUNTIME;
}

/* Checks the count of arguments after the subcommand's name. */
static int
want_args(const char *sub, int have, int min, int max, const char *usage)
{
	if (have < min || have > max) {
		log_error("peers %s: %s arguments — usage: sealcat peers %s %s",
		    sub, have < min ? "missing" : "too many", sub, usage);
		return -1;
	}
	return 0;
}

int
cmd_peers(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char authorized[PATH_MAX], known[PATH_MAX];
	struct peers_files files = { authorized, known };
	const char *sub;
	char **args;
	int c, n;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			log_set_level(LOG_QUIET);
			break;
		case 'h':
			cli_help(stdout, "peers");
			return EXIT_OK;
		default:
			return cli_bad_option("peers", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("peers", "missing subcommand (list, allow, "
		    "trust or forget)");
	sub = argv[optind];
	args = argv + optind + 1;
	n = argc - optind - 1;
	if (config_path("authorized_peers", false, authorized,
	    sizeof(authorized)) == -1 ||
	    config_path("known_peers", false, known, sizeof(known)) == -1)
		return EXIT_USAGE;
	if (strcmp(sub, "list") == 0) {
		if (want_args(sub, n, 0, 0, "") == -1)
			return EXIT_USAGE;
		return status_of(peers_list(&files, stdout));
	}
	if (strcmp(sub, "allow") == 0) {
		if (want_args(sub, n, 1, 2, "TOKEN|FILE.pub [COMMENT]") == -1)
			return EXIT_USAGE;
		return status_of(peers_allow(&files, args[0],
		    n == 2 ? args[1] : NULL));
	}
	if (strcmp(sub, "trust") == 0) {
		if (want_args(sub, n, 2, 2, "HOST:PORT|NAME TOKEN") == -1)
			return EXIT_USAGE;
		return status_of(peers_trust(&files, args[0], args[1]));
	}
	if (strcmp(sub, "forget") == 0) {
		if (want_args(sub, n, 1, 1, "HOST:PORT|NAME|TOKEN") == -1)
			return EXIT_USAGE;
		return status_of(peers_forget(&files, args[0]));
	}
	return cli_usage("peers", "unknown subcommand '%s' (list, allow, "
	    "trust or forget)", sub);
}
