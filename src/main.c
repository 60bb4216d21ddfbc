/*
 * main.c - dispatch through the command table (cli.c), --help and
 * --version; nothing else.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "base/log.h"
#include "base/sig.h"
#include "crypto/suite.h"
#include "base/util.h"

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const struct command *command;
	int rc;

	if (cmd == NULL) {
		cli_help(stderr, NULL);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		cli_help(stdout, argc > 2 ? argv[2] : NULL);
		return EXIT_OK;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("sealcat %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if ((command = cli_command(cmd)) == NULL)
		return cli_unknown_command(cmd);
	/* Key material will be in memory: no core dumps, no ptrace by other
	 * users' processes.  A closed stdout must come back as EPIPE so the
	 * relay can say what happened. */
	harden_process();
	signal(SIGPIPE, SIG_IGN);
	if (suite_init() == -1)
		return EXIT_RUNTIME;
	rc = command->run(argc - 1, argv + 1);
	/* Interrupted: now that the peer was told and everything is put back,
	 * end the way the signal would have. */
	sig_end();
	return rc;
}
