/*
 * cmd_listen.c - sealcat listen: parse the options, load the identity and
 * the allow-list, bind, and accept.  One connection on stdio by default;
 * with -k one after another on stdio, or, with --exec or --forward, up to
 * --max-conns at once, each in a child process that does its own
 * handshake (under -w), so a slow client never holds up the accept loop.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

#define CMD "listen"
#define MAX_CONNS_DEFAULT 64
#define MAX_CONNS_LIMIT 10000
/* After accept() fails for want of descriptors, retry this much later. */
#define ACCEPT_RETRY_MS 200

enum {
	OPT_ALLOW_ANY = CLI_OPT_FIRST_FREE,
	OPT_FORWARD,
	OPT_MAX_CONNS
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
	const char *address;		/* NULL: the wildcard */
	const char *port;
};

static const struct option long_options[] = {
	{ "allow", required_argument, NULL, 'a' },
	{ "authorized", required_argument, NULL, 'A' },
	{ "allow-any", no_argument, NULL, OPT_ALLOW_ANY },
	CLI_PIPE_LONGOPTS,
	{ "keep-open", no_argument, NULL, 'k' },
	{ "forward", required_argument, NULL, OPT_FORWARD },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ NULL, 0, NULL, 0 }
};

static int
parse_option(struct listen_opts *o, int c, char **argv)
{
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
		if (net_split_host_port(optarg, o->forward_host,
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
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":a:A:k" CLI_PIPE_SHORTOPTS,
	    long_options, NULL)) != -1) {
		if ((rc = cli_pipe_option(&o->pipe, CMD, c, optarg)) == -1)
			return EXIT_USAGE;
		if (rc == 0 && (rc = parse_option(o, c, argv)) != -1)
			return rc;
	}
	if (argc - optind == 1)
		o->port = argv[optind];
	else if (argc - optind == 2) {
		o->address = argv[optind];
		o->port = argv[optind + 1];
	} else
		return cli_usage(CMD, "expected [ADDRESS] PORT");
	if (cli_port("PORT", o->port) == -1)
		return EXIT_USAGE;
	if (o->pipe.exec_cmd != NULL && o->forward != NULL)
		return cli_usage(CMD, "--exec and --forward exclude each "
		    "other — pick one");
	if (cli_pipe_check(&o->pipe, CMD) == -1)
		return EXIT_USAGE;
	return -1;
}

/* The allow-list; listening with none at all is refused. */
static int
load_trust(const struct listen_opts *o, struct trust *t)
{
	char path[4096];

	for (size_t i = 0; i < o->allow_count; i++)
		if (trust_add_token(t, o->allow[i], "--allow") == -1)
			return -1;
	if (o->authorized != NULL) {
		if (trust_use_file(t, o->authorized, false) == -1)
			return -1;
	} else {
		if (config_path("authorized_peers", false, path,
		    sizeof(path)) == -1 ||
		    trust_use_file(t, path, true) == -1)
			return -1;
	}
	if (o->allow_any) {
		t->mode = TRUST_ANY;
		return 0;
	}
	if (t->count == 0) {
		log_error("no client is allowed to connect — add --allow "
		    "TOKEN (a client's 'sealcat pubkey'), list tokens in %s, "
		    "or pass --allow-any to accept any authenticated client",
		    o->authorized != NULL ? o->authorized : path);
		return -1;
	}
	return 0;
}

static void
close_all(int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (fds[i] != -1)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Waits for a connection on any listening socket and accepts it. */
static int
accept_one(int *fds, size_t count, char *peer, size_t peer_cap)
{
	struct pollfd pfd[NET_LISTEN_MAX];
	int fd;

	for (size_t i = 0; i < count; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	for (;;) {
		if (poll(pfd, count, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_errno("poll failed");
			return -1;
		}
		for (size_t i = 0; i < count; i++) {
			if (pfd[i].revents == 0)
				continue;
			fd = net_accept(fds[i], peer, peer_cap);
			if (fd != -1)
				return fd;
			if (errno == EMFILE || errno == ENFILE) {
				log_errno("cannot accept a connection");
				poll(NULL, 0, ACCEPT_RETRY_MS);
			}
		}
	}
}

/* One connection on stdio, or -k serving them one after another. */
static int
serve_serial(int *fds, size_t count, const struct listen_opts *o,
    struct conn_opts *co)
{
	char peer[NET_ADDR_MAX];
	int sock, rc;

	for (;;) {
		/* The next handshake's ephemeral key, made while we wait. */
		conn_prepare_ephemeral(co->ephemeral, co->id->suite);
		if ((sock = accept_one(fds, count, peer, sizeof(peer))) == -1)
			return EXIT_RUNTIME;
		log_verbose("connection from %s", peer);
		if (!o->keep_open)
			close_all(fds, count);
		rc = conn_run(sock, peer, co);
		if (rc == CONN_INTERRUPTED)
			return sig_exit_status();
		if (!o->keep_open)
			return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
	}
}

/* The per-connection children of serve_concurrent(): pid 0 is a free
 * slot. */
struct children {
	pid_t *pids;
	unsigned long cap;
	unsigned long active;
};

/* Reaps every child that has exited, without waiting. */
static void
reap_children(struct children *c)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (unsigned long i = 0; i < c->cap; i++)
			if (c->pids[i] == pid) {
				c->pids[i] = 0;
				c->active--;
				break;
			}
}

static void
add_child(struct children *c, pid_t pid)
{
	for (unsigned long i = 0; i < c->cap; i++)
		if (c->pids[i] == 0) {
			c->pids[i] = pid;
			c->active++;
			return;
		}
}

/*
 * The supervisor was interrupted: no new connections; each child gets
 * SIGTERM, which makes it tell its peer and stop its --exec command (see
 * conn_run()), and is waited for.  Returns the exit status.
 */
static int
stop_children(struct children *c, int *fds, size_t count)
{
	struct pollfd pfd = { .fd = sig_fd(), .events = POLLIN };

	close_all(fds, count);
	log_verbose("interrupted by %s — stopping %lu connection%s",
	    sig_name(sig_caught()), c->active, c->active == 1 ? "" : "s");
	for (unsigned long i = 0; i < c->cap; i++)
		if (c->pids[i] != 0)
			(void)kill(c->pids[i], SIGTERM);
	for (;;) {
		reap_children(c);
		if (c->active == 0)
			return sig_exit_status();
		if (poll(&pfd, 1, -1) > 0)
			sig_drain();	/* SIGCHLD */
	}
}

/* In a fresh child: undo the parent's signal set-up, run, exit. */
static void
run_child(int sock, const char *peer, int *fds, size_t count,
    const sigset_t *orig_mask, struct conn_opts *co, struct identity *id)
{
	int rc;

	/* The supervisor's handlers and self-pipe are not ours; until the
	 * session is up a signal ends us by its default action. */
	sig_release();
	sigprocmask(SIG_SETMASK, orig_mask, NULL);
	/* Memory locks are not inherited across fork(): lock our copy of
	 * the secrets again. */
	secret_relock();
	close_all(fds, count);
	log_verbose("connection from %s", peer);
	rc = conn_run(sock, peer, co);
	identity_clear(id);
	if (rc == CONN_INTERRUPTED)
		sig_end();
	_exit(rc == 0 ? EXIT_OK : EXIT_RUNTIME);
}

/*
 * -k with --exec or --forward: a child per connection, at most max_conns
 * at once.  The loop polls the listening sockets and the self-pipe
 * (sig.h), which SIGCHLD and the stop signals write to, so a child's exit
 * or a signal always wakes it, even one that came just before poll().
 */
static int
serve_concurrent(int *fds, size_t count, const struct listen_opts *o,
    struct conn_opts *co, struct identity *id)
{
	struct pollfd pfd[NET_LISTEN_MAX + 1];
	struct children kids = { .cap = o->max_conns };
	sigset_t orig;
	char peer[NET_ADDR_MAX];
	bool backoff = false;
	size_t n;
	pid_t pid;
	int sock, rc = EXIT_RUNTIME;

	if ((kids.pids = calloc(kids.cap, sizeof(*kids.pids))) == NULL) {
		log_error("out of memory for --max-conns %lu", kids.cap);
		return EXIT_RUNTIME;
	}
	if (sig_catch() == -1)
		goto out;
	for (;;) {
		reap_children(&kids);
		if (sig_caught() != 0) {
			rc = stop_children(&kids, fds, count);
			goto out;
		}
		/* The next child's ephemeral key, made while we wait. */
		conn_prepare_ephemeral(co->ephemeral, co->id->suite);
		n = 0;
		if (kids.active < kids.cap && !backoff)
			for (; n < count; n++)
				pfd[n] = (struct pollfd){ .fd = fds[n],
				    .events = POLLIN };
		pfd[n] = (struct pollfd){ .fd = sig_fd(), .events = POLLIN };
		if (poll(pfd, n + 1, backoff ? ACCEPT_RETRY_MS : -1) == -1 &&
		    errno != EINTR) {
			log_errno("poll failed");
			goto out;
		}
		if (pfd[n].revents != 0)
			sig_drain();
		backoff = false;
		for (size_t i = 0; i < n && kids.active < kids.cap; i++) {
			if (pfd[i].revents == 0 || sig_caught() != 0)
				continue;
			sock = net_accept(fds[i], peer, sizeof(peer));
			if (sock == -1) {
				if (errno == EMFILE || errno == ENFILE ||
				    errno == ENOBUFS || errno == ENOMEM) {
					log_errno("cannot accept a connection");
					backoff = true;
				}
				continue;
			}
			/* Blocked until the child has put its own signal
			 * handling in place. */
			sig_block(&orig);
			if ((pid = fork()) == -1) {
				sigprocmask(SIG_SETMASK, &orig, NULL);
				log_errno("cannot start a process for %s",
				    peer);
				close(sock);
				backoff = true;
				continue;
			}
			if (pid == 0)
				run_child(sock, peer, fds, count, &orig, co,
				    id);
			sigprocmask(SIG_SETMASK, &orig, NULL);
			/* The child has it: never ours to use again. */
			conn_clear_ephemeral(co->ephemeral);
			close(sock);
			add_child(&kids, pid);
		}
	}
out:
	sig_release();
	free(kids.pids);
	return rc;
}

int
cmd_listen(int argc, char **argv)
{
	struct listen_opts o;
	struct conn_opts co;
	struct identity *id = NULL;
	struct ephemeral *eph = NULL;
	struct trust trust;
	int fds[NET_LISTEN_MAX];
	size_t count = 0;
	int rc;

	trust_init(&trust);
	if ((rc = parse(argc, argv, &o)) != -1)
		return rc;
	local_guard_stdio();
	if ((id = secret_alloc(sizeof(*id))) == NULL ||
	    (eph = secret_alloc(sizeof(*eph))) == NULL) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (cli_pipe_identity(&o.pipe, id, NULL, 0) == -1 ||
	    load_trust(&o, &trust) == -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	memset(&co, 0, sizeof(co));
	co.role = ROLE_RESPONDER;
	co.id = id;
	co.trust = &trust;
	co.timeout_s = o.pipe.timeout_s;
	co.exec_cmd = o.pipe.exec_cmd;
	if (o.forward != NULL) {
		co.forward_host = o.forward_host;
		co.forward_port = o.forward_port;
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
	if (net_listen(o.address, o.port, o.pipe.family, fds, ARRAY_LEN(fds),
	    &count) == -1) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (o.keep_open && (o.pipe.exec_cmd != NULL || o.forward != NULL))
		rc = serve_concurrent(fds, count, &o, &co, id);
	else
		rc = serve_serial(fds, count, &o, &co);
	close_all(fds, count);
out:
	secret_free(id, sizeof(*id));
	secret_free(eph, sizeof(*eph));
	trust_clear(&trust);
	return rc;
}
