/*
 * cmd_listen.c - listen.  (Placeholder until the pipe work lands: only --help
 * works.)
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

int
cmd_listen(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "listen");
		return EXIT_OK;
	}
	log_error("listen is not implemented yet");
	return EXIT_RUNTIME;
}
