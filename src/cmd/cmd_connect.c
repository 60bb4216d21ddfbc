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
#include "transport/dial.h"
#include "cmd/serve.h"
#include "transport/unix.h"
#include "cmd/via_target.h"
#include "transport/proxy.h"

#define CMD "connect"
#define MAX_CONNS_DEFAULT 64
#define MAX_CONNS_LIMIT 10000
/* --local PORT alone listens here: the plaintext stays on this machine. */
#define LOCAL_ADDRESS_DEFAULT "127.0.0.1"

enum {
	OPT_TRUST_NEW = CLI_OPT_FIRST_FREE,
	OPT_CODE,
	OPT_PAIR,
	OPT_LOCAL,
	OPT_MAX_CONNS,
	OPT_UNIX_MODE,
	OPT_RETRY,
	OPT_VIA,
	OPT_PROXY
};

struct connect_opts {
	struct pipe_opts pipe;
	const char *peers[64];		/* --peer TOKEN, in order */
	size_t peer_count;
	bool trust_new;
	const char *code;		/* --code CODE, "-", or NULL */
	bool pair;			/* --pair */
	const char *host;
	const char *port;
	const char *unix_path;		/* connect unix:PATH, or NULL */
	const char *local;		/* --local [ADDRESS:]PORT|unix:PATH */
	char local_host[256];
	char local_port[8];
	const char *local_unix;		/* --local unix:PATH, or NULL */
	unsigned long max_conns;
	mode_t unix_mode;		/* --unix-mode */
	bool unix_mode_set;
	unsigned retry_s;		/* --retry SECS, 0: once */
	const char *via;		/* --via RELAY, or NULL */
	const char *via_name;		/* --via: the known_peers NAME */
	const char *proxy_url;		/* --proxy URL, or NULL */
	struct proxy proxy;		/* --proxy or SEALCAT_PROXY */
};

static const struct option long_options[] = {
	{ "peer", required_argument, NULL, 'p' },
	{ "trust-new", no_argument, NULL, OPT_TRUST_NEW },
	{ "code", required_argument, NULL, OPT_CODE },
	{ "pair", no_argument, NULL, OPT_PAIR },
	{ "local", required_argument, NULL, OPT_LOCAL },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "unix-mode", required_argument, NULL, OPT_UNIX_MODE },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "via", required_argument, NULL, OPT_VIA },
	{ "proxy", required_argument, NULL, OPT_PROXY },
	CLI_PIPE_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* --local [ADDRESS:]PORT or unix:PATH.  Returns -1 to go on, else the
 * exit status. */
static int
parse_local(struct connect_opts *o, const char *arg)
{
	int n;

	o->local = arg;
	if ((o->local_unix = unix_path(arg)) != NULL) {
		if (o->local_unix[0] == '\0')
			return cli_usage(CMD, "--local unix: wants a socket "
			    "path");
		return -1;
	}
	if (strchr(arg, ':') == NULL) {
		n = snprintf(o->local_host, sizeof(o->local_host), "%s",
		    LOCAL_ADDRESS_DEFAULT);
		if (n < 0 || snprintf(o->local_port, sizeof(o->local_port),
		    "%s", arg) >= (int)sizeof(o->local_port))
			o->local_port[0] = '\0';
	} else if (addr_split_host_port(arg, o->local_host,
	    sizeof(o->local_host), o->local_port, sizeof(o->local_port)) == -1)
		o->local_port[0] = '\0';
	if (o->local_port[0] == '\0')
		return cli_usage(CMD, "--local wants [ADDRESS:]PORT or "
		    "unix:PATH, not '%s'", arg);
	if (cli_port("--local", o->local_port) == -1)
		return EXIT_USAGE;
	return -1;
}

/* "[::1]" as known_peers writes it: the address inside the brackets. */
static char *
unbracket(char *host)
{
	size_t len = strlen(host);

	if (len > 2 && host[0] == '[' && host[len - 1] == ']' &&
	    memchr(host, ':', len) != NULL) {
		host[len - 1] = '\0';
		return host + 1;
	}
	return host;
}

/* One argument "HOST:PORT": says to give them as two.  Returns true if it
 * reported that. */
static bool
host_port_in_one(const char *arg)
{
	const char *colon = strrchr(arg, ':');
	const char *host = arg;
	size_t host_len;

	if (colon == NULL || colon == arg || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return false;
	host_len = (size_t)(colon - arg);
	if (host_len > 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	} else if (memchr(arg, ':', host_len) != NULL)
		return false;	/* a bare IPv6 address */
	cli_usage(CMD, "'%s': give HOST and PORT as two arguments: sealcat "
	    "connect %.*s %s", arg, (int)host_len, host, colon + 1);
	return true;
}

/* --proxy URL, else SEALCAT_PROXY (which keeps credentials out of ps);
 * last, so that no other usage error leaves credentials behind.  Returns
 * -1 to go on, else the exit status. */
static int
parse_proxy(struct connect_opts *o)
{
	const char *url = o->proxy_url, *source = "--proxy";

	if (url == NULL) {
		url = getenv("SEALCAT_PROXY");
		source = "SEALCAT_PROXY";
	}
	if (url == NULL)
		return -1;
	if (proxy_parse(url, source, &o->proxy) == -1)
		return EXIT_USAGE;
	if (o->proxy.kind != PROXY_NONE && o->unix_path != NULL) {
		proxy_clear(&o->proxy);
		return cli_usage(CMD, "%s is for HOST PORT, not unix:PATH — "
		    "drop it%s", source, o->proxy_url == NULL ?
		    " (SEALCAT_PROXY=none)" : "");
	}
	if (o->proxy.kind != PROXY_NONE && o->via != NULL) {
		proxy_clear(&o->proxy);
		return cli_usage(CMD, "%s does not reach a relay yet — drop "
		    "it%s, or --via", source, o->proxy_url == NULL ?
		    " (SEALCAT_PROXY=none)" : "");
	}
	return -1;
}

/* Returns -1 to go on, else the exit status. */
static int
parse(int argc, char **argv, struct connect_opts *o)
{
	int c, taken, rc;

	memset(o, 0, sizeof(*o));
	cli_pipe_defaults(&o->pipe);
	o->max_conns = MAX_CONNS_DEFAULT;
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
		case OPT_LOCAL:
			if ((rc = parse_local(o, optarg)) != -1)
				return rc;
			break;
		case OPT_MAX_CONNS:
			if (cli_count("--max-conns", optarg, 1, MAX_CONNS_LIMIT,
			    &o->max_conns) == -1)
				return EXIT_USAGE;
			break;
		case OPT_RETRY:
			if (cli_seconds("--retry", optarg, &o->retry_s) == -1)
				return EXIT_USAGE;
			break;
		case OPT_VIA:
			o->via = optarg;
			break;
		case OPT_PROXY:
			o->proxy_url = optarg;
			break;
		case OPT_UNIX_MODE:
			if (cli_mode("--unix-mode", optarg,
			    &o->unix_mode) == -1)
				return EXIT_USAGE;
			o->unix_mode_set = true;
			break;
		case 'h':
			cli_help(stdout, CMD);
			return EXIT_OK;
		default:
			return cli_bad_option(CMD, c, argv);
		}
	}
	if (o->via != NULL) {
		if (argc - optind > 1)
			return cli_usage(CMD, "--via takes no HOST PORT — name "
			    "the listener by --peer TOKEN or by a NAME in "
			    "known_peers");
		o->via_name = argc - optind == 1 ? argv[optind] : NULL;
		if ((rc = via_target_check(CMD, o->via, o->via_name,
		    o->peer_count, o->code != NULL, o->trust_new)) != -1)
			return rc;
	} else if (argc - optind == 1 &&
	    (o->unix_path = unix_path(argv[optind])) != NULL) {
		if (o->unix_path[0] == '\0')
			return cli_usage(CMD, "unix: wants a socket path");
		o->host = argv[optind];
	} else if (argc - optind == 1 && host_port_in_one(argv[optind]))
		return EXIT_USAGE;
	else if (argc - optind != 2)
		return cli_usage(CMD, "expected HOST PORT or unix:PATH");
	else {
		o->host = unbracket(argv[optind]);
		o->port = argv[optind + 1];
	}
	if (o->via == NULL && o->unix_path == NULL &&
	    cli_port("PORT", o->port) == -1)
		return EXIT_USAGE;
	if (o->via == NULL && o->unix_path == NULL &&
	    strcmp(o->port, "0") == 0)
		return cli_usage(CMD, "PORT 0 names no listener — use the port "
		    "the listener reports");
	if (o->local != NULL && o->pipe.exec_cmd != NULL)
		return cli_usage(CMD, "--local and --exec exclude each other — "
		    "pick one");
	if (o->local != NULL && o->pipe.progress)
		return cli_usage(CMD, "--progress shows one session, and "
		    "--local serves many at once — drop --progress");
	if (o->unix_mode_set && o->local_unix == NULL)
		return cli_usage(CMD, "--unix-mode is for --local unix:PATH");
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
	return parse_proxy(o);
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
	if (o->via != NULL)
		;	/* the name is the NAME, or the relay's */
	else if (o->unix_path != NULL ?
	    snprintf(name, sizeof(name), "%s", o->host) >= (int)sizeof(name) :
	    addr_join_host_port(o->host, o->port, name, sizeof(name)) == -1) {
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
		/* A bad file is reported even when the server is down. */
		if (config_path("known_peers", o->trust_new, t->known_path,
		    sizeof(t->known_path)) == -1)
			return -1;
		return trust_check_known(t);
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
	rc = code_canonical(text, o->via != NULL ? CODE_NUMBER_RELAY_MAX :
	    CODE_NUMBER_DIRECT_MAX, code->prs,
	    sizeof(code->prs), &code->prs_len);
	wipe(typed, sizeof(typed));
	return rc;
}

/*
 * --local: listen on the plaintext endpoint and give each client there a
 * session of its own (serve_local()).  Returns the exit status.
 */
static int
run_local(const struct connect_opts *o, struct conn_opts *co,
    struct identity *id, const struct dial *dial)
{
	struct unix_owned owned = { .made = false };
	int fds[TCP_LISTEN_MAX];
	size_t count = 0;
	int rc;

	if (o->local_unix != NULL) {
		if ((fds[0] = unix_listen(o->local_unix, o->unix_mode_set ?
		    o->unix_mode : UNIX_MODE_DEFAULT, &owned)) == -1)
			return EXIT_RUNTIME;
		count = 1;
	} else if (tcp_listen(o->local_host, o->local_port, o->pipe.family,
	    fds, ARRAY_LEN(fds), &count) == -1)
		return EXIT_RUNTIME;
	rc = serve_local(fds, count, o->max_conns, co, id, dial);
	serve_close(fds, count);
	unix_remove(&owned);
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
	struct dial dial;
	struct via via;
	struct via_target target;
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
	dial.host = o.host;
	dial.port = o.port;
	dial.unix_path = o.unix_path;
	dial.family = o.pipe.family;
	dial.timeout_s = o.pipe.timeout_s;
	dial.retry_s = o.retry_s;
	dial.open = NULL;
	if (o.via != NULL) {
		if ((rc = via_target_make(o.via, o.via_name, o.peer_count > 0 ?
		    o.peers[0] : NULL, code, trust.known_path, o.pipe.family,
		    o.pipe.timeout_s, &via, &target)) != EXIT_OK)
			goto out;
		dial.open = via_dial;
		dial.open_ctx = &target;
	}
	dial.proxy = &o.proxy;
	if (o.proxy.kind != PROXY_NONE)
		log_verbose("via proxy %s", o.proxy.shown);
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
	co.relay.progress = o.pipe.progress;
	co.relay.size_known = o.pipe.size_set;
	co.relay.size = o.pipe.size;
	co.ephemeral = eph;
	co.id_unchecked = id_file[0] != '\0' ? id_file : NULL;
	if (o.local != NULL) {
		rc = run_local(&o, &co, id, &dial);
		goto out;
	}
	/* Made before connecting, so message 1 goes out the moment the
	 * connection is up, while the listener is still accepting it. */
	conn_prepare_ephemeral(eph, id->suite);
	if (dial_connect(&dial, &server) == -1) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (o.via == NULL)
		log_verbose("connected to %s", server.addr);
	/* known_peers knows the server by the name the transport reports;
	 * with --peer, a refusal then names it. */
	_Static_assert(sizeof(trust.host_port) >= sizeof(server.name),
	    "a stream's name fits struct trust");
	snprintf(trust.host_port, sizeof(trust.host_port), "%s", server.name);
	snprintf(pair_trust.host_port, sizeof(pair_trust.host_port), "%s",
	    server.name);
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
	proxy_clear(&o.proxy);
	return rc;
}
