/*
 * via_target.c - connect --via: from the command line to a relay request,
 * see via_target.h.
 */
#include "cmd/via_target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cmd/cli.h"
#include "keys/keyfile.h"
#include "keys/trust.h"

int
via_target_check(const char *cmd, const char *relay, const char *name,
    size_t peer_count, bool code, bool trust_new)
{
	struct via v;

	if (via_parse(&v, relay, 0, 0) == -1)
		return cli_usage(cmd, "--via wants the relay's HOST:PORT (an "
		    "IPv6 address in brackets: [::1]:PORT), not '%s'", relay);
	if (trust_new)
		return cli_usage(cmd, "--trust-new is for direct connections: "
		    "through a relay the listener's key must be known first — "
		    "use --peer TOKEN, or a NAME line in known_peers");
	if (code && name != NULL)
		return cli_usage(cmd, "with --code the code names the "
		    "listener — drop '%s'", name);
	if (!code && peer_count == 0 && name == NULL)
		return cli_usage(cmd, "--via needs the listener's key — add "
		    "--peer TOKEN, or name a NAME that known_peers lists");
	return -1;
}

int
via_target_make(const char *relay, const char *name,
    const char *peer_token, const struct conn_code *code,
    const char *known_path, int family, unsigned timeout_s, struct via *via,
    struct via_target *target)
{
	const struct suite *suite;
	uint8_t pub[SUITE_PUB_MAX];
	int found;

	memset(target, 0, sizeof(*target));
	if (via_parse(via, relay, family, timeout_s) == -1)
		return EXIT_USAGE;	/* checked by via_target_check() */
	target->via = via;
	snprintf(target->name, sizeof(target->name), "%s",
	    name != NULL ? name : relay);
	if (code != NULL) {
		/* The canonical code starts with its number. */
		target->req.verb = RENDEZVOUS_CLAIM;
		target->req.nameplate = strtoul(code->prs, NULL, 10);
		return EXIT_OK;
	}
	target->req.verb = RENDEZVOUS_CONNECT;
	if (peer_token != NULL) {
		if (token_parse(peer_token, &suite, pub, "--peer") == -1)
			return EXIT_USAGE;
	} else if ((found = trust_known_find(known_path, name, &suite,
	    pub)) != 1) {
		if (found == 0)
			log_error("'%s' is not in %s — add a line '%s TOKEN' "
			    "with the listener's token (its sealcat pubkey), "
			    "or use --peer TOKEN", name, known_path, name);
		return EXIT_USAGE;
	}
	rendezvous_id(suite, pub, target->req.id);
	return EXIT_OK;
}
