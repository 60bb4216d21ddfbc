/*
 * cmd_keygen.c - keygen and pubkey.  (Placeholder until the identity-key
 * work lands: only --help works.)
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static int
placeholder(const char *name, int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, name);
		return EXIT_OK;
	}
	log_error("%s is not implemented yet", name);
	return EXIT_RUNTIME;
}

int
cmd_keygen(int argc, char **argv)
{
	return placeholder("keygen", argc, argv);
}

int
cmd_pubkey(int argc, char **argv)
{
	return placeholder("pubkey", argc, argv);
}

/* Until the pipe lands, listen and connect share the placeholder. */
int
cmd_listen(int argc, char **argv)
{
	return placeholder("listen", argc, argv);
}

int
cmd_connect(int argc, char **argv)
{
	return placeholder("connect", argc, argv);
}
