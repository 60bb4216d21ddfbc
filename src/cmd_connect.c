/*
 * cmd_connect.c - sealcat connect: parse the options, load the identity and
 * the server's expected key (--peer, or known_peers), connect, and run the
 * connection as the Noise initiator.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conn.h"
#include "keyfile.h"
#include "local.h"
#include "log.h"
#include "net.h"
#include "sig.h"
#include "trust.h"
#include "util.h"

#define CMD "connect"

enum { OPT_TRUST_NEW = CLI_OPT_FIRST_FREE };

struct connect_opts {
	struct pipe_opts pipe;
	const char *peers[64];		/* --peer TOKEN, in order */
	size_t peer_count;
	bool trust_new;
	const char *host;
	const char *port;
};

static const struct option long_options[] = {
	{ "peer", required_argument, NULL, 'p' },
	{ "trust-new", no_argument, NULL, OPT_TRUST_NEW },
	CLI_PIPE_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* Returns -1 to go on, else the exit status. */
static int
parse(int argc, char **argv, struct connect_opts *o)
{
	int c, taken;

	memset(o, 0, sizeof(*o));
	cli_pipe_defaults(&o->pipe);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:" CLI_PIPE_SHORTOPTS,
	    long_options, NULL)) != -1) {
		if ((taken = cli_pipe_option(&o->pipe, CMD, c, optarg)) == -1)
			return EXIT_USAGE;
		if (taken == 1)
			continue;
		switch (c) {
		case 'p':
			if (o->peer_count == ARRAY_LEN(o->peers))
				return cli_usage(CMD, "too many --peer options");
			o->peers[o->peer_count++] = optarg;
			break;
		case OPT_TRUST_NEW:
			o->trust_new = true;
			break;
		case 'h':
			cli_help(stdout, CMD);
			return EXIT_OK;
		default:
			return cli_bad_option(CMD, c, argv);
		}
	}
	if (argc - optind != 2)
		return cli_usage(CMD, "expected HOST PORT");
	o->host = argv[optind];
	o->port = argv[optind + 1];
	if (cli_port("PORT", o->port) == -1)
		return EXIT_USAGE;
	if (strcmp(o->port, "0") == 0)
		return cli_usage(CMD, "PORT 0 names no listener — use the port "
		    "the listener reports");
	if (o->trust_new && o->peer_count > 0)
		return cli_usage(CMD, "--trust-new is for servers without "
		    "--peer — use one or the other");
	if (cli_pipe_check(&o->pipe, CMD) == -1)
		return EXIT_USAGE;
	return -1;
}

/* --peer keys, or the known_peers file for HOST:PORT. */
static int
load_trust(const struct connect_opts *o, const struct suite *suite,
    struct trust *t)
{
	const struct suite *peer_suite;
	int n;

	/* An IPv6 literal keeps its brackets so a known_peers line parses. */
	n = snprintf(t->host_port, sizeof(t->host_port),
	    strchr(o->host, ':') != NULL ? "[%s]:%s" : "%s:%s", o->host,
	    o->port);
	if (n < 0 || (size_t)n >= sizeof(t->host_port)) {
		log_error("host name too long: %s", o->host);
		return -1;
	}
	if (o->peer_count == 0) {
		t->mode = TRUST_KNOWN_PEERS;
		t->trust_new = o->trust_new;
		return config_path("known_peers", o->trust_new, t->known_path,
		    sizeof(t->known_path));
	}
	for (size_t i = 0; i < o->peer_count; i++) {
		if (trust_add_token(t, o->peers[i], "--peer") == -1)
			return -1;
		peer_suite = suite_by_token(o->peers[i]);
		if (peer_suite != NULL && peer_suite != suite) {
			log_error("--peer is a %s key but the identity is %s: "
			    "a server of another suite cannot connect — use an "
			    "identity of the server's suite", peer_suite->name,
			    suite->name);
			return -1;
		}
	}
	return 0;
}

int
cmd_connect(int argc, char **argv)
{
	struct connect_opts o;
	struct conn_opts co;
	struct identity *id = NULL;
	struct ephemeral *eph = NULL;
	struct trust trust;
	char peer[NET_ADDR_MAX];
	/* The key file, checked by conn_run() while the listener works. */
	char id_file[PATH_MAX];
	int rc, sock;

	trust_init(&trust);
	if ((rc = parse(argc, argv, &o)) != -1)
		return rc;
	/* Before any descriptor is opened, so no socket becomes stdio. */
	local_guard_stdio();
	if ((id = secret_alloc(sizeof(*id))) == NULL ||
	    (eph = secret_alloc(sizeof(*eph))) == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (cli_pipe_identity(&o.pipe, id, id_file, sizeof(id_file)) == -1 ||
	    load_trust(&o, id->suite, &trust) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* Made before connecting, so message 1 goes out the moment the
	 * connection is up, while the listener is still accepting it. */
	conn_prepare_ephemeral(eph, id->suite);
	sock = net_connect(o.host, o.port, o.pipe.family,
	    net_deadline(o.pipe.timeout_s), trust.host_port, peer,
	    sizeof(peer));
	if (sock == -1) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	log_verbose("connected to %s", peer);
	memset(&co, 0, sizeof(co));
	co.role = ROLE_INITIATOR;
	co.id = id;
	co.trust = &trust;
	co.timeout_s = o.pipe.timeout_s;
	co.exec_cmd = o.pipe.exec_cmd;
	co.family = o.pipe.family;
	co.relay.recv_only = o.pipe.recv_only;
	co.relay.send_only = o.pipe.send_only;
	co.relay.exit_with_peer = o.pipe.exit_with_peer;
	co.relay.idle_s = o.pipe.idle_s;
	co.relay.keepalive_s = o.pipe.keepalive_s;
	co.relay.fsync = o.pipe.fsync;
	co.relay.rekey_interval_s = o.pipe.rekey_interval_s;
	co.ephemeral = eph;
	co.id_unchecked = id_file;
	switch (conn_run(sock, peer, &co)) {
	case 0:
		rc = EXIT_OK;
		break;
	case CONN_BAD_IDENTITY:
		rc = EXIT_USAGE;
		break;
	case CONN_INTERRUPTED:
		rc = sig_exit_status();
		break;
	default:
		rc = EXIT_RUNTIME;
	}
out:
	secret_free(id, sizeof(*id));
	secret_free(eph, sizeof(*eph));
	trust_clear(&trust);
	return rc;
}
