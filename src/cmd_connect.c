/*
 * cmd_connect.c - connect.  (Placeholder until the pipe work lands: only --help
 * works.)
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

int
cmd_connect(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "connect");
		return EXIT_OK;
	}
	log_error("connect is not implemented yet");
	return EXIT_RUNTIME;
}
