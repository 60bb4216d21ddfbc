/*
 * cmd_listen.c - sealcat listen: parse the options, load the identity and
 * the allow-list, bind, and hand the listening sockets to serve.c (one
 * session on stdio, -k one after another, or a child per connection with
 * --exec/--forward).
 */
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cmd/cli.h"
#include "pake/code.h"
#include "session/conn.h"
#include "keys/keyfile.h"
#include "session/local.h"
#include "base/log.h"
#include "transport/addr.h"
#include "cmd/serve.h"
#include "transport/tcp.h"
#include "keys/trust.h"
#include "base/util.h"
#include "transport/activate.h"
#include "transport/unix.h"
#include "cmd/serve_via.h"
#include "transport/haproxy.h"

#define CMD "listen"
#define MAX_CONNS_DEFAULT 64
#define MAX_CONNS_LIMIT 10000
#define CODE_TRIES_DEFAULT 3
#define CODE_TRIES_MAX 100

enum {
	OPT_ALLOW_ANY = CLI_OPT_FIRST_FREE,
	OPT_FORWARD,
	OPT_MAX_CONNS,
	OPT_CODE,
	OPT_CODE_WORDS,
	OPT_CODE_TRIES,
	OPT_PAIR,
	OPT_UNIX_MODE,
	OPT_INETD,
	OPT_VIA,
	OPT_PROXY_PROTOCOL
};

struct listen_opts {
	struct pipe_opts pipe;
	const char *allow[64];		/* --allow TOKEN, in order */
	size_t allow_count;
	const char *authorized;		/* -A FILE */
	bool allow_any;
	bool keep_open;
	const char *forward;		/* --forward HOST:PORT */
	char forward_host[256];
	char forward_port[8];
	unsigned long max_conns;
	bool code;			/* --code */
	unsigned long code_words;	/* --code-words */
	unsigned long code_tries;	/* --code-tries */
	bool code_option;		/* --code-words or --code-tries */
	bool pair;			/* --pair */
	char pair_path[4096];		/* where --pair records the client */
	const char *address;		/* NULL: the wildcard */
	const char *port;
	const char *unix_path;		/* listen unix:PATH, or NULL */
	mode_t unix_mode;		/* --unix-mode */
	bool unix_mode_set;
	bool inetd;			/* --inetd */
	const char *via;		/* --via RELAY, or NULL */
	struct via relay;
	enum haproxy_version proxy_protocol;	/* --proxy-protocol */
};

static const struct option long_options[] = {
	{ "allow", required_argument, NULL, 'a' },
	{ "authorized", required_argument, NULL, 'A' },
	{ "allow-any", no_argument, NULL, OPT_ALLOW_ANY },
	CLI_PIPE_LONGOPTS,
	{ "keep-open", no_argument, NULL, 'k' },
	{ "forward", required_argument, NULL, OPT_FORWARD },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "code", no_argument, NULL, OPT_CODE },
	{ "code-words", required_argument, NULL, OPT_CODE_WORDS },
	{ "code-tries", required_argument, NULL, OPT_CODE_TRIES },
	{ "pair", no_argument, NULL, OPT_PAIR },
	{ "unix-mode", required_argument, NULL, OPT_UNIX_MODE },
	{ "inetd", no_argument, NULL, OPT_INETD },
	{ "via", required_argument, NULL, OPT_VIA },
	{ "proxy-protocol", required_argument, NULL, OPT_PROXY_PROTOCOL },
	{ NULL, 0, NULL, 0 }
};

static int
parse_option(struct listen_opts *o, int c, char **argv)
{
	const char *path;

	switch (c) {
	case 'a':
		if (o->allow_count == ARRAY_LEN(o->allow))
			return cli_usage(CMD, "too many --allow options — "
			    "list the keys in a file for -A");
		o->allow[o->allow_count++] = optarg;
		return -1;
	case 'A':
		o->authorized = optarg;
		return -1;
	case OPT_ALLOW_ANY:
		o->allow_any = true;
		return -1;
	case 'k':
		o->keep_open = true;
		return -1;
	case OPT_FORWARD:
		o->forward = optarg;
		if ((path = unix_path(optarg)) != NULL) {
			if (path[0] == '\0' ||
			    strlen(path) >= sizeof(o->forward_host))
				return cli_usage(CMD, "--forward unix: wants a "
				    "socket path, not '%s'", optarg);
			snprintf(o->forward_host, sizeof(o->forward_host), "%s",
			    path);
			o->forward_port[0] = '\0';
			return -1;
		}
		if (addr_split_host_port(optarg, o->forward_host,
		    sizeof(o->forward_host), o->forward_port,
		    sizeof(o->forward_port)) == -1 ||
		    cli_port("--forward", o->forward_port) == -1)
			return cli_usage(CMD, "--forward wants HOST:PORT "
			    "(an IPv6 address in brackets: [::1]:PORT), not "
			    "'%s'", optarg);
		return -1;
	case OPT_MAX_CONNS:
		if (cli_count("--max-conns", optarg, 1, MAX_CONNS_LIMIT,
		    &o->max_conns) == -1)
			return EXIT_USAGE;
		return -1;
	case OPT_CODE:
		o->code = true;
		return -1;
	case OPT_PAIR:
		o->pair = true;
		return -1;
	case OPT_CODE_WORDS:
		o->code_option = true;
		if (cli_count("--code-words", optarg, CODE_WORDS_MIN,
		    CODE_WORDS_MAX, &o->code_words) == -1)
			return EXIT_USAGE;
		return -1;
	case OPT_CODE_TRIES:
		o->code_option = true;
		if (cli_count("--code-tries", optarg, 1, CODE_TRIES_MAX,
		    &o->code_tries) == -1)
			return EXIT_USAGE;
		return -1;
	case OPT_INETD:
		o->inetd = true;
		return -1;
	case OPT_VIA:
		o->via = optarg;
		return -1;
	case OPT_PROXY_PROTOCOL:
		if ((o->proxy_protocol = haproxy_version_parse(optarg)) ==
		    HAPROXY_OFF)
			return cli_usage(CMD, "--proxy-protocol wants v1 or v2, "
			    "not '%s'", optarg);
		return -1;
	case OPT_UNIX_MODE:
		if (cli_mode("--unix-mode", optarg, &o->unix_mode) == -1)
			return EXIT_USAGE;
		o->unix_mode_set = true;
		return -1;
	case 'h':
		cli_help(stdout, CMD);
		return EXIT_OK;
	default:
		return cli_bad_option(CMD, c, argv);
	}
}

/* Returns -1 to go on, else the exit status. */
static int
parse(int argc, char **argv, struct listen_opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	cli_pipe_defaults(&o->pipe);
	o->max_conns = MAX_CONNS_DEFAULT;
	o->code_words = CODE_WORDS_DEFAULT;
	o->code_tries = CODE_TRIES_DEFAULT;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":a:A:k" CLI_PIPE_SHORTOPTS,
	    long_options, NULL)) != -1) {
		if ((rc = cli_pipe_option(&o->pipe, CMD, c, optarg)) == -1)
			return EXIT_USAGE;
		if (rc == 0 && (rc = parse_option(o, c, argv)) != -1)
			return rc;
	}
	if (o->via != NULL) {
		if (argc - optind != 0)
			return cli_usage(CMD, "--via takes no ADDRESS or PORT: "
			    "the listener waits at the relay");
		if (o->inetd)
			return cli_usage(CMD, "--via and --inetd exclude each "
			    "other — pick one");
		if (via_parse(&o->relay, o->via, o->pipe.family,
		    o->pipe.timeout_s) == -1)
			return cli_usage(CMD, "--via wants the relay's "
			    "HOST:PORT (an IPv6 address in brackets: "
			    "[::1]:PORT), not '%s'", o->via);
	} else if (o->inetd) {
		if (argc - optind != 0)
			return cli_usage(CMD, "--inetd takes no ADDRESS or "
			    "PORT: the connection is on stdin");
		if (o->keep_open)
			return cli_usage(CMD, "--inetd serves the one "
			    "connection on stdin — drop -k (inetd or systemd "
			    "start one sealcat per connection)");
		if (o->pipe.exec_cmd == NULL && o->forward == NULL)
			return cli_usage(CMD, "--inetd takes stdin and stdout "
			    "for the encrypted side — add --exec or "
			    "--forward for the plaintext");
	} else if (argc - optind == 1)
		o->port = argv[optind];
	else if (argc - optind == 2) {
		o->address = argv[optind];
		o->port = argv[optind + 1];
	} else if (argc - optind != 0)	/* none: sockets from systemd */
		return cli_usage(CMD, "expected [ADDRESS] PORT or unix:PATH");
	if (o->port != NULL && (o->unix_path = unix_path(o->port)) != NULL) {
		if (o->address != NULL)
			return cli_usage(CMD, "unix:PATH takes no ADDRESS");
	} else if (o->port != NULL && cli_port("PORT", o->port) == -1)
		return EXIT_USAGE;
	if (o->unix_mode_set && o->unix_path == NULL)
		return cli_usage(CMD, "--unix-mode is for listen unix:PATH");
	if (o->proxy_protocol != HAPROXY_OFF && o->forward == NULL)
		return cli_usage(CMD, "--proxy-protocol is for --forward — add "
		    "--forward HOST:PORT or unix:PATH, or drop it");
	/* Through a relay the only address we see is the relay's: a header
	 * naming it would tell the backend every client is the relay. */
	if (o->proxy_protocol != HAPROXY_OFF && o->via != NULL)
		return cli_usage(CMD, "--proxy-protocol cannot name clients that "
		    "come through --via (the relay hides their addresses) — drop "
		    "--proxy-protocol, or listen on a port the clients reach");
	if (o->pipe.exec_cmd != NULL && o->forward != NULL)
		return cli_usage(CMD, "--exec and --forward exclude each "
		    "other — pick one");
	if ((o->code_option || o->pair) && !o->code)
		return cli_usage(CMD, "--code-words, --code-tries and --pair "
		    "are for --code — add --code, or drop them");
	if (o->pipe.progress && o->keep_open &&
	    (o->pipe.exec_cmd != NULL || o->forward != NULL))
		return cli_usage(CMD, "--progress shows one session, and -k "
		    "with --exec or --forward serves many at once — drop "
		    "--progress, or -k");
	if (o->code && o->keep_open)
		return cli_usage(CMD, "--code serves one session, and -k "
		    "serves many — drop -k, or use keys instead of a code");
	if (o->code && o->pipe.suite != NULL &&
	    o->pipe.suite != &suite_x25519)
		return cli_usage(CMD, "--suite %s has no code mode (BearSSL "
		    "has no hash-to-curve) — drop --suite %s, or use keys",
		    o->pipe.suite->name, o->pipe.suite->name);
	if (cli_pipe_check(&o->pipe, CMD) == -1)
		return EXIT_USAGE;
	return -1;
}

/* True if path is /dev/null itself, which -A takes as an empty list. */
static bool
is_dev_null(const char *path)
{
	struct stat st, null_st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
	    stat("/dev/null", &null_st) == 0 && S_ISCHR(null_st.st_mode) &&
	    st.st_rdev == null_st.st_rdev;
}

/*
 * One --allow: a token, or a whole .pub line ("$(cat id.pub)"), whose
 * comment then names the client as an authorized_peers comment does.
 */
static int
add_allow(struct trust *t, const char *arg)
{
	char token[TOKEN_MAX];
	size_t len = strcspn(arg, " \t");
	const char *comment = arg + len;

	if (arg[len] == '\0')
		return trust_add_token(t, arg, "--allow");
	if (len >= sizeof(token)) {
		log_error("--allow: not a public key token — give the token "
		    "as 'sealcat pubkey' prints it, or a .pub file's line");
		return -1;
	}
	memcpy(token, arg, len);
	token[len] = '\0';
	if (trust_add_token(t, token, "--allow") == -1)
		return -1;
	comment += strspn(comment, " \t");
	for (const char *p = comment; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			log_error("--allow: the comment after the token has "
			    "control characters — give the token alone");
			return -1;
		}
	snprintf(t->keys[t->count - 1].name, TRUST_NAME_MAX, "%s", comment);
	return 0;
}

/*
 * The allow-list; listening with none at all is refused.  The default
 * authorized_peers is optional: without a configuration directory (no
 * HOME) there is none, which is no error when --allow names the keys.
 */
static int
load_trust(const struct listen_opts *o, struct trust *t)
{
	char path[4096];
	const char *file = NULL;

	/* The code authenticates the client: keys given are checked too. */
	if (o->code && o->allow_count == 0 && o->authorized == NULL) {
		t->mode = TRUST_ANY;
		return 0;
	}
	for (size_t i = 0; i < o->allow_count; i++)
		if (add_allow(t, o->allow[i]) == -1)
			return -1;
	if (o->authorized != NULL) {
		if (!is_dev_null(o->authorized)) {
			file = o->authorized;
			if (trust_use_file(t, file, false) == -1)
				return -1;
		}
	} else if (config_dir_known()) {
		if (config_path("authorized_peers", false, path,
		    sizeof(path)) == -1 ||
		    trust_use_file(t, path, true) == -1)
			return -1;
		file = path;
	}
	if (o->allow_any) {
		t->mode = TRUST_ANY;
		return 0;
	}
	if (t->count == 0) {
		log_error("no client is allowed to connect — add --allow "
		    "TOKEN (a client's 'sealcat pubkey'), list tokens in %s%s, "
		    "or pass --allow-any to accept any authenticated client",
		    file != NULL ? file : "a file given with -A",
		    file == NULL && o->authorized == NULL ? " (HOME is not "
		    "set, so there is no default authorized_peers)" : "");
		return -1;
	}
	return 0;
}

/* The port a listening socket is bound to (port 0 picks one). */
static unsigned
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* --pair: where the client's key goes (-A FILE, or the default
 * authorized_peers); pairing needs a key of our own. */
static int
pair_setup(struct listen_opts *o, struct conn_code *code)
{
	if (!o->pair)
		return EXIT_OK;
	if (code->one_time) {
		log_error("--pair needs a key file, or the client would record "
		    "a one-time key — create one with sealcat keygen");
		return EXIT_USAGE;
	}
	if (o->authorized != NULL) {
		if (is_dev_null(o->authorized)) {
			log_error("--pair cannot record the client in "
			    "/dev/null — name a file with -A, or drop -A");
			return EXIT_USAGE;
		}
		snprintf(o->pair_path, sizeof(o->pair_path), "%s",
		    o->authorized);
	} else if (config_path("authorized_peers", false, o->pair_path,
	    sizeof(o->pair_path)) == -1)
		return EXIT_USAGE;
	code->pair = true;
	code->pair_path = o->pair_path;
	return EXIT_OK;
}

/* The code: SEALCAT_CODE, or a fresh one of --code-words words. */
static int
make_code(const struct listen_opts *o, struct conn_code *code)
{
	const char *given = getenv("SEALCAT_CODE");
	struct code c;
	int rc;

	code->tries_max = o->code_tries;
	if (given != NULL)
		return code_canonical(given, o->via != NULL ?
		    CODE_NUMBER_RELAY_MAX : CODE_NUMBER_DIRECT_MAX, code->prs,
		    sizeof(code->prs), &code->prs_len) == -1 ? EXIT_USAGE :
		    EXIT_OK;
	if (code_generate(&c, o->code_words) == -1)
		return EXIT_RUNTIME;
	rc = code_format(&c, code->prs, sizeof(code->prs), &code->prs_len);
	code_clear(&c);
	if (rc == -1) {
		log_error("cannot make a code");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int
cmd_listen(int argc, char **argv)
{
	struct listen_opts o;
	struct conn_opts co;
	struct identity *id = NULL;
	struct ephemeral *eph = NULL;
	struct conn_code *code = NULL;
	struct trust trust;
	int fds[TCP_LISTEN_MAX];
	size_t count = 0;
	struct unix_owned owned = { .made = false };
	int rc;

	trust_init(&trust);
	if ((rc = parse(argc, argv, &o)) != -1)
		return rc;
	if (local_guard_stdio(cli_pipe_stdout_fix(&o.pipe,
	    o.forward != NULL)) == -1)
		return EXIT_USAGE;
	/* Before the identity: a unit without sockets is a usage error
	 * found before any passphrase is asked for. */
	if (o.port == NULL && !o.inetd && o.via == NULL) {
		if (activate_listen_fds(fds, ARRAY_LEN(fds), &count) == -1)
			return EXIT_USAGE;
		if (count == 0)
			return cli_usage(CMD, "expected [ADDRESS] PORT or "
			    "unix:PATH (no sockets were passed by systemd)");
	}
	if ((id = secret_alloc(sizeof(*id))) == NULL ||
	    (eph = secret_alloc(sizeof(*eph))) == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	/* Trust first: no passphrase is asked for in vain. */
	if (load_trust(&o, &trust) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.code) {
		if ((code = secret_alloc(sizeof(*code))) == NULL) {
			rc = EXIT_RUNTIME;
			goto out;
		}
		if ((rc = make_code(&o, code)) != EXIT_OK ||
		    (rc = cli_code_identity(&o.pipe, id, NULL, 0,
		    &code->one_time)) != EXIT_OK ||
		    (rc = pair_setup(&o, code)) != EXIT_OK)
			goto out;
	} else if ((rc = cli_pipe_identity(&o.pipe, id, NULL, 0)) != EXIT_OK)
		goto out;
	memset(&co, 0, sizeof(co));
	co.role = ROLE_RESPONDER;
	co.code = code;
	co.id = id;
	co.trust = &trust;
	co.timeout_s = o.pipe.timeout_s;
	co.exec_cmd = o.pipe.exec_cmd;
	if (o.forward != NULL) {
		co.forward_host = o.forward_host;
		co.forward_port = o.forward_port[0] != '\0' ?
		    o.forward_port : NULL;
		co.proxy_protocol = o.proxy_protocol;
	}
	co.family = o.pipe.family;
	co.keep_output = o.keep_open;
	co.ephemeral = eph;
	co.relay.recv_only = o.pipe.recv_only;
	co.relay.send_only = o.pipe.send_only;
	co.relay.exit_with_peer = o.pipe.exit_with_peer;
	co.relay.idle_s = o.pipe.idle_s;
	co.relay.keepalive_s = o.pipe.keepalive_s;
	co.relay.fsync = o.pipe.fsync;
	co.relay.rekey_interval_s = o.pipe.rekey_interval_s;
	co.relay.progress = o.pipe.progress;
	co.relay.size_known = o.pipe.size_set;
	co.relay.size = o.pipe.size;
	if (o.inetd) {
		rc = serve_inetd(&co);
		goto out;
	}
	if (o.via != NULL) {
		rc = serve_via(&o.relay, o.keep_open, o.keep_open &&
		    (o.pipe.exec_cmd != NULL || o.forward != NULL),
		    o.max_conns, &co, id);
		goto out;
	}
	if (o.port == NULL)
		;	/* sockets from systemd, taken above */
	else if (o.unix_path != NULL) {
		if ((fds[0] = unix_listen(o.unix_path, o.unix_mode_set ?
		    o.unix_mode : UNIX_MODE_DEFAULT, &owned)) == -1) {
			rc = EXIT_RUNTIME;
			goto out;
		}
		count = 1;
	} else if (tcp_listen(o.address, o.port, o.pipe.family, fds,
	    ARRAY_LEN(fds), &count) == -1) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (code != NULL && getenv("SEALCAT_CODE") == NULL)
		/* Shown under -q too: without it nobody can connect. */
		log_error("code %s", code->prs);
	else if (code != NULL)
		log_info("code %s", code->prs);
	if (code != NULL) {
		log_info("on the other machine: sealcat connect --code %s HOST "
		    "%u", code->prs, bound_port(fds[0]));
	}
	if (o.keep_open && (o.pipe.exec_cmd != NULL || o.forward != NULL))
		rc = serve_concurrent(fds, count, o.max_conns, &co, id);
	else
		rc = serve_serial(fds, count, o.keep_open, &co);
	serve_close(fds, count);
out:
	unix_remove(&owned);
	secret_free(id, sizeof(*id));
	secret_free(eph, sizeof(*eph));
	secret_free(code, sizeof(*code));
	trust_clear(&trust);
	return rc;
}
