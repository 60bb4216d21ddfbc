/*
 * cmd_connect.c - sealcat connect: parse the options, load the identity and
 * the server's expected key (--peer, or known_peers), connect over TCP,
 * and run the connection as the Noise initiator.  known_peers knows the
 * server by the name the stream reports (tcp_connect()).
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport/addr.h"
#include "cmd/cli.h"
#include "pake/code.h"
#include "session/conn.h"
#include "transport/io.h"
#include "keys/keyfile.h"
#include "session/local.h"
#include "base/log.h"
#include "base/sig.h"
#include "transport/tcp.h"
#include "keys/trust.h"
#include "base/util.h"

#define CMD "connect"

enum { OPT_TRUST_NEW = CLI_OPT_FIRST_FREE, OPT_CODE, OPT_PAIR };

struct connect_opts {
	struct pipe_opts pipe;
	const char *peers[64];		/* --peer TOKEN, in order */
	size_t peer_count;
	bool trust_new;
	const char *code;		/* --code CODE, "-", or NULL */
	bool pair;			/* --pair */
	const char *host;
	const char *port;
};

static const struct option long_options[] = {
	{ "peer", required_argument, NULL, 'p' },
	{ "trust-new", no_argument, NULL, OPT_TRUST_NEW },
	{ "code", required_argument, NULL, OPT_CODE },
	{ "pair", no_argument, NULL, OPT_PAIR },
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
		case OPT_CODE:
			o->code = optarg;
			break;
		case OPT_PAIR:
			o->pair = true;
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
	if (o->pair && o->code == NULL)
		return cli_usage(CMD, "--pair is for --code — add --code, or "
		    "drop --pair");
	if (o->code != NULL && o->trust_new)
		return cli_usage(CMD, "--trust-new is for key mode: with "
		    "--code the code authenticates the server — drop "
		    "--trust-new");
	if (o->code != NULL && o->pipe.suite != NULL &&
	    o->pipe.suite != &suite_x25519)
		return cli_usage(CMD, "--suite %s has no code mode (BearSSL "
		    "has no hash-to-curve) — drop --suite %s, or use keys",
		    o->pipe.suite->name, o->pipe.suite->name);
	if (cli_pipe_check(&o->pipe, CMD) == -1)
		return EXIT_USAGE;
	return -1;
}

/* --peer keys, or the known_peers file. */
static int
load_trust(const struct connect_opts *o, const struct suite *suite,
    struct trust *t)
{
	const struct suite *peer_suite;
	char name[STREAM_NAME_MAX];

	/* The server's name comes with the stream; one too long for it is
	 * a mistake on the command line, found before connecting. */
	if (addr_join_host_port(o->host, o->port, name, sizeof(name)) == -1) {
		log_error("host name too long: %s", o->host);
		return -1;
	}
	if (o->peer_count == 0 && o->code != NULL) {
		/* The code authenticates the server. */
		t->mode = TRUST_ANY;
		return 0;
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

/*
 * Asks for the code on /dev/tty (never stdin, which is data), into buf.
 * Returns 0, or -1 after reporting.
 */
static int
prompt_code(char *buf, size_t cap)
{
	static const char ask[] = "sealcat: code: ";
	size_t len = 0;
	ssize_t n;
	char ch;
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		log_error("--code -: SEALCAT_CODE is not set and there is no "
		    "terminal to ask on — set SEALCAT_CODE, or give the code");
		return -1;
	}
	(void)io_write_all(fd, ask, sizeof(ask) - 1, io_deadline(10));
	while ((n = read(fd, &ch, 1)) == 1 && ch != '\n')
		if (len + 1 < cap)
			buf[len++] = ch;
	close(fd);
	buf[len] = '\0';
	if (n != 1 && len == 0) {
		log_error("--code -: no code was typed — type the code the "
		    "listener printed");
		return -1;
	}
	return 0;
}

/* The code in canonical form: --code, SEALCAT_CODE or the terminal. */
static int
read_code(const struct connect_opts *o, struct conn_code *code)
{
	char typed[256];
	const char *text = o->code;
	int rc;

	if (strcmp(text, "-") == 0) {
		if ((text = getenv("SEALCAT_CODE")) == NULL) {
			if (prompt_code(typed, sizeof(typed)) == -1)
				return -1;
			text = typed;
		}
	}
	rc = code_canonical(text, CODE_NUMBER_DIRECT_MAX, code->prs,
	    sizeof(code->prs), &code->prs_len);
	wipe(typed, sizeof(typed));
	return rc;
}

int
cmd_connect(int argc, char **argv)
{
	struct connect_opts o;
	struct conn_opts co;
	struct identity *id = NULL;
	struct ephemeral *eph = NULL;
	struct conn_code *code = NULL;
	struct trust trust, pair_trust;
	struct stream server;
	enum conn_result result;
	/* The key file, checked by conn_run() while the listener works. */
	char id_file[PATH_MAX] = "";
	int rc;

	trust_init(&trust);
	trust_init(&pair_trust);
	if ((rc = parse(argc, argv, &o)) != -1)
		return rc;
	/* Before any descriptor is opened, so no socket becomes stdio. */
	if (local_guard_stdio(cli_pipe_stdout_fix(&o.pipe, false)) == -1)
		return EXIT_USAGE;
	if ((id = secret_alloc(sizeof(*id))) == NULL ||
	    (eph = secret_alloc(sizeof(*eph))) == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (o.code != NULL) {
		/* A typo is found here, before it costs a try. */
		if ((code = secret_alloc(sizeof(*code))) == NULL) {
			rc = EXIT_RUNTIME;
			goto out;
		}
		if (read_code(&o, code) == -1) {
			rc = EXIT_USAGE;
			goto out;
		}
		if ((rc = cli_code_identity(&o.pipe, id, id_file,
		    sizeof(id_file), &code->one_time)) != EXIT_OK)
			goto out;
		if (o.pair && code->one_time) {
			log_error("--pair needs a key file, or the listener "
			    "would record a one-time key — create one with "
			    "sealcat keygen");
			rc = EXIT_USAGE;
			goto out;
		}
		if (o.pair) {
			pair_trust.mode = TRUST_KNOWN_PEERS;
			pair_trust.trust_new = true;
			if (config_path("known_peers", true,
			    pair_trust.known_path,
			    sizeof(pair_trust.known_path)) == -1) {
				rc = EXIT_USAGE;
				goto out;
			}
			code->pair = true;
			code->pair_trust = &pair_trust;
		}
	} else if ((rc = cli_pipe_identity(&o.pipe, id, id_file,
	    sizeof(id_file))) != EXIT_OK)
		goto out;
	if (load_trust(&o, id->suite, &trust) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* Made before connecting, so message 1 goes out the moment the
	 * connection is up, while the listener is still accepting it. */
	conn_prepare_ephemeral(eph, id->suite);
	if (tcp_connect(o.host, o.port, o.pipe.family,
	    io_deadline(o.pipe.timeout_s), NULL, &server) == -1) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	log_verbose("connected to %s", server.addr);
	/* known_peers knows the server by the name the transport reports;
	 * with --peer, a refusal then names it. */
	_Static_assert(sizeof(trust.host_port) >= sizeof(server.name),
	    "a stream's name fits struct trust");
	snprintf(trust.host_port, sizeof(trust.host_port), "%s", server.name);
	snprintf(pair_trust.host_port, sizeof(pair_trust.host_port), "%s",
	    server.name);
	memset(&co, 0, sizeof(co));
	co.role = ROLE_INITIATOR;
	co.code = code;
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
	co.id_unchecked = id_file[0] != '\0' ? id_file : NULL;
	(void)conn_run(&server, &co, &result);
	switch (result) {
	case CONN_DONE:
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
	secret_free(code, sizeof(*code));
	trust_clear(&trust);
	trust_clear(&pair_trust);
	return rc;
}
