/*
 * cmd_relay.c - sealcat relay: parse the options, raise the descriptor
 * limit the limits need, bind, and hand the sockets to relay_server.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "cmd/cli.h"
#include "base/log.h"
#include "transport/activate.h"
#include "transport/addr.h"
#include "transport/tcp.h"
#include "rendezvous/relay_server.h"
#include "base/util.h"

#define CMD "relay"
#define MAX_PAIRS_DEFAULT 1000
#define MAX_WAITING_DEFAULT 1000
#define MAX_PER_SOURCE_DEFAULT 64
#define SOURCE_RATE_DEFAULT 20
#define HELLO_DEFAULT 10
#define WAIT_DEFAULT 300
#define CONNECT_WAIT_DEFAULT 10
#define IDLE_DEFAULT 3600
#define NAMEPLATE_GRACE_DEFAULT 60
#define SHUTDOWN_GRACE_DEFAULT 30
#define COUNT_LIMIT 1000000
/* Descriptors besides the clients' and the pipes': stdio, epoll, the
 * self-pipe, listening sockets, lingering refusals (CLOSING_MAX). */
#define FDS_SPARE (256 + 32)

enum {
	OPT_MAX_PAIRS = CLI_OPT_FIRST_FREE,
	OPT_MAX_WAITING,
	OPT_MAX_PER_SOURCE,
	OPT_SOURCE_RATE,
	OPT_WAIT,
	OPT_CONNECT_WAIT,
	OPT_IDLE,
	OPT_MAX_BYTES,
	OPT_NAMEPLATE_GRACE,
	OPT_SHUTDOWN_GRACE
};

struct relay_opts_cli {
	struct relay_server_opts server;
	int family;
	int verbosity;
	const char *address;
	const char *port;
};

static const struct option long_options[] = {
	{ "max-pairs", required_argument, NULL, OPT_MAX_PAIRS },
	{ "max-waiting", required_argument, NULL, OPT_MAX_WAITING },
	{ "max-per-source", required_argument, NULL, OPT_MAX_PER_SOURCE },
	{ "source-rate", required_argument, NULL, OPT_SOURCE_RATE },
	{ "timeout", required_argument, NULL, 'w' },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "connect-wait", required_argument, NULL, OPT_CONNECT_WAIT },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "nameplate-grace", required_argument, NULL, OPT_NAMEPLATE_GRACE },
	{ "shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
take_count(const char *option, unsigned long *out)
{
	return cli_count(option, optarg, 1, COUNT_LIMIT, out);
}

/* Returns -1 to go on, else the exit status. */
static int
parse_option(struct relay_opts_cli *o, int c, char **argv)
{
	struct relay_server_opts *s = &o->server;
	int rc = 0;

	switch (c) {
	case OPT_MAX_PAIRS:
		rc = take_count("--max-pairs", &s->max_pairs);
		break;
	case OPT_MAX_WAITING:
		rc = take_count("--max-waiting", &s->max_waiting);
		break;
	case OPT_MAX_PER_SOURCE:
		rc = take_count("--max-per-source", &s->max_per_source);
		break;
	case OPT_SOURCE_RATE:
		rc = take_count("--source-rate", &s->source_rate);
		break;
	case 'w':
		rc = cli_seconds("-w", optarg, &s->hello_s);
		break;
	case OPT_WAIT:
		rc = cli_seconds("--wait", optarg, &s->wait_s);
		break;
	case OPT_CONNECT_WAIT:
		rc = cli_seconds("--connect-wait", optarg, &s->connect_wait_s);
		break;
	case OPT_IDLE:
		rc = cli_seconds("--idle", optarg, &s->idle_s);
		break;
	case OPT_MAX_BYTES:
		rc = cli_bytes("--max-bytes", optarg, 1, &s->max_bytes);
		break;
	case OPT_NAMEPLATE_GRACE:
		rc = cli_seconds("--nameplate-grace", optarg,
		    &s->nameplate_grace_s);
		break;
	case OPT_SHUTDOWN_GRACE:
		rc = cli_seconds("--shutdown-grace", optarg,
		    &s->shutdown_grace_s);
		break;
	case '4':
	case '6':
		if (o->family != AF_UNSPEC)
			return cli_usage(CMD, "-4 and -6 exclude each other");
		o->family = c == '4' ? AF_INET : AF_INET6;
		break;
	case 'v':
	case 'q':
		if (o->verbosity == (c == 'v' ? LOG_QUIET : LOG_VERBOSE))
			return cli_usage(CMD, "-v and -q exclude each other");
		o->verbosity = c == 'v' ? LOG_VERBOSE : LOG_QUIET;
		break;
	case 'h':
		cli_help(stdout, CMD);
		return EXIT_OK;
	default:
		return cli_bad_option(CMD, c, argv);
	}
	return rc == -1 ? EXIT_USAGE : -1;
}

/* Returns -1 to go on, else the exit status. */
static int
parse(int argc, char **argv, struct relay_opts_cli *o)
{
	struct relay_server_opts *s = &o->server;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->verbosity = LOG_NORMAL;
	s->max_pairs = MAX_PAIRS_DEFAULT;
	s->max_waiting = MAX_WAITING_DEFAULT;
	s->max_per_source = MAX_PER_SOURCE_DEFAULT;
	s->source_rate = SOURCE_RATE_DEFAULT;
	s->hello_s = HELLO_DEFAULT;
	s->wait_s = WAIT_DEFAULT;
	s->connect_wait_s = CONNECT_WAIT_DEFAULT;
	s->idle_s = IDLE_DEFAULT;
	s->nameplate_grace_s = NAMEPLATE_GRACE_DEFAULT;
	s->shutdown_grace_s = SHUTDOWN_GRACE_DEFAULT;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":w:46vqh", long_options,
	    NULL)) != -1)
		if ((rc = parse_option(o, c, argv)) != -1)
			return rc;
	if (argc - optind == 0)
		return -1;	/* the sockets must come from systemd */
	if (argc - optind == 1)
		o->port = argv[optind];
	else if (argc - optind == 2) {
		o->address = argv[optind];
		o->port = argv[optind + 1];
	} else
		return cli_usage(CMD, "expected [ADDRESS] PORT");
	if (cli_port("PORT", o->port) == -1)
		return EXIT_USAGE;
	return -1;
}

/*
 * Each pair holds two sockets and two pipes (four descriptors), each
 * waiting client one: raise the soft limit to the hard one, and say so
 * if even that is too few for the limits asked for.
 */
static void
raise_fd_limit(const struct relay_server_opts *s)
{
	unsigned long long need = 6ULL * s->max_pairs + s->max_waiting +
	    FDS_SPARE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		log_warn("--max-pairs %lu and --max-waiting %lu need %llu "
		    "descriptors but only %llu are allowed — raise the limit "
		    "(ulimit -n, LimitNOFILE=) or lower them", s->max_pairs,
		    s->max_waiting, need, (unsigned long long)rl.rlim_cur);
}

int
cmd_relay(int argc, char **argv)
{
	struct relay_opts_cli o;
	int fds[TCP_LISTEN_MAX];
	size_t count = 0;
	int rc;

	if ((rc = parse(argc, argv, &o)) != -1)
		return rc;
	log_set_level((enum log_level)o.verbosity);
	if (o.port == NULL) {
		if (activate_listen_fds(fds, ARRAY_LEN(fds), &count) == -1)
			return EXIT_USAGE;
		if (count == 0)
			return cli_usage(CMD, "expected [ADDRESS] PORT (no "
			    "sockets were passed by systemd)");
		if (o.family != AF_UNSPEC)
			return cli_usage(CMD, "-4 and -6 choose the address of "
			    "a port to bind; the sockets came from systemd");
	}
	raise_fd_limit(&o.server);
	if (o.port != NULL && tcp_listen(o.address, o.port, o.family, fds,
	    ARRAY_LEN(fds), &count) == -1)
		return EXIT_RUNTIME;
	return relay_server_run(fds, count, &o.server);
}
