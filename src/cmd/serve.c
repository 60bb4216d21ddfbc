/*
 * serve.c - the listener's supervisor, see serve.h: accepting with
 * back-off, pacing failed attempts, and the children of -k --exec or
 * --forward with their reaping and signals.
 */
#include "cmd/serve.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "transport/activate.h"
#include "cmd/cli.h"
#include "base/log.h"
#include "transport/io.h"
#include "base/sig.h"
#include "transport/stream.h"
#include "transport/tcp.h"
#include "keys/trust.h"
#include "transport/unix.h"
#include "base/util.h"

/* After accept() fails for want of descriptors, retry this much later,
 * doubling up to the maximum. */
#define ACCEPT_RETRY_MS 100
#define ACCEPT_RETRY_MAX_MS 2000
/* Failed attempts before the listener slows down, and then how far apart
 * it takes them. */
#define FAIL_BURST 10
#define FAIL_RATE_MS 100

void
serve_close(int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (fds[i] != -1)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * accept() failing for want of descriptors or memory leaves the
 * connection queued, so the listener retries, later and later: it says so
 * once, and again only after accepting has worked in between.
 */
struct accept_trouble {
	bool said;
	int delay_ms;		/* before the next try; 0: no trouble */
};

/* After tcp_accept() failed: true if errno is worth a retry, after
 * t->delay_ms. */
static bool
accept_failed(struct accept_trouble *t)
{
	if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS &&
	    errno != ENOMEM)
		return false;
	if (!t->said)
		log_error("cannot accept a connection: %s — retrying until "
		    "it works", strerror(errno));
	t->said = true;
	if (t->delay_ms == 0)
		t->delay_ms = ACCEPT_RETRY_MS;
	else if (t->delay_ms < ACCEPT_RETRY_MAX_MS / 2)
		t->delay_ms *= 2;
	else
		t->delay_ms = ACCEPT_RETRY_MAX_MS;
	return true;
}

static void
accept_worked(struct accept_trouble *t)
{
	if (t->said)
		log_verbose("accepting connections again");
	t->said = false;
	t->delay_ms = 0;
}

/* Accepts on a listening socket of either transport. */
static int
accept_stream(int fd, struct stream *st)
{
	return unix_is_unix(fd) ? unix_accept(fd, st) : tcp_accept(fd, st);
}

/*
 * Waits for a connection on any listening socket and accepts it.  With a
 * Unix socket, whose file is removed on exit, a stop signal while waiting
 * returns -1 with nothing reported (sig_caught() says which), so the
 * caller still cleans up; TCP listeners leave nothing behind and keep the
 * signals' default action (and need no descriptor for a self-pipe).
 */
static int
accept_one(int *fds, size_t count, struct stream *st)
{
	struct accept_trouble trouble = { 0 };
	struct pollfd pfd[TCP_LISTEN_MAX + 1];
	bool has_file = false;
	int rc = -1;

	for (size_t i = 0; i < count; i++)
		has_file = has_file || unix_is_unix(fds[i]);
	if (has_file && sig_catch() == -1)
		return -1;
	for (size_t i = 0; i < count; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	pfd[count] = (struct pollfd){ .fd = sig_fd(), .events = POLLIN };
	for (;;) {
		if (poll(pfd, count + 1, -1) == -1 && errno != EINTR) {
			log_errno("poll failed");
			goto out;
		}
		if (sig_caught() != 0)
			goto out;
		if (pfd[count].revents != 0)
			sig_drain();
		for (size_t i = 0; i < count; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (accept_stream(fds[i], st) == 0) {
				accept_worked(&trouble);
				rc = 0;
				goto out;
			}
			if (accept_failed(&trouble)) {
				poll(NULL, 0, trouble.delay_ms);
				break;
			}
		}
	}
out:
	/* The session catches signals itself, once it relays. */
	if (has_file)
		sig_release();
	return rc;
}

/*
 * Failed attempts are taken at FAIL_RATE_MS apart once a burst of
 * FAIL_BURST has been used up (a token bucket, kept as the time "tat" at
 * which the bucket would be full again), so a flood of scans or strangers
 * costs a bounded rate of log lines and handshakes.
 */
struct fail_pace {
	long long tat;
	bool said;
};

static void
pace_failure(struct fail_pace *p)
{
	long long now = io_now_ms();

	p->tat = (p->tat > now ? p->tat : now) + FAIL_RATE_MS;
}

/* Before accepting: waits while the burst is used up. */
static void
pace_wait(struct fail_pace *p)
{
	long long now = io_now_ms();
	long long wait = p->tat - now - (long long)FAIL_BURST * FAIL_RATE_MS;

	if (p->tat <= now)
		p->said = false;
	if (wait <= 0)
		return;
	if (!p->said)
		log_warn("many failed connection attempts — taking at most "
		    "%d a second", 1000 / FAIL_RATE_MS);
	p->said = true;
	poll(NULL, 0, (int)wait);
}

int
serve_serial(int *fds, size_t count, bool keep_open, struct conn_opts *co)
{
	struct fail_pace pace = { 0 };
	struct stream client;
	enum conn_result result;
	int rc;

	if (!keep_open) {
		co->listen_fds = fds;
		co->listen_count = count;
	}
	for (;;) {
		/* The next handshake's ephemeral key, made while we wait. */
		conn_prepare_ephemeral(co->ephemeral, co->id->suite);
		pace_wait(&pace);
		if (accept_one(fds, count, &client) == -1)
			return sig_caught() != 0 ? sig_exit_status() :
			    EXIT_RUNTIME;
		log_verbose("connection from %s", client.addr);
		rc = conn_run(&client, co, &result);
		if (result == CONN_INTERRUPTED)
			return sig_exit_status();
		if (result == CONN_NO_SESSION)
			pace_failure(&pace);
		else if (!keep_open)
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

	serve_close(fds, count);
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

/*
 * connect --local, in the child: the accepted client becomes our stdin
 * and stdout, the plaintext side, and the session runs on a new
 * connection to the server.  Returns 0, or -1 after reporting.
 */
static int
dial_server(struct stream *client, const struct dial *dial,
    struct conn_opts *co, struct stream *server)
{
	if (dup2(client->fd, STDIN_FILENO) == -1 ||
	    dup2(client->fd, STDOUT_FILENO) == -1) {
		log_errno("cannot set up the connection from %s", client->addr);
		return -1;
	}
	stream_close(client);
	if (dial_connect(dial, server) == -1)
		return -1;
	/* known_peers knows the server by the name the transport reports. */
	_Static_assert(sizeof(co->trust->host_port) >= sizeof(server->name),
	    "a stream's name fits struct trust");
	snprintf(co->trust->host_port, sizeof(co->trust->host_port), "%s",
	    server->name);
	return 0;
}

/* In a fresh child: undo the parent's signal set-up, run, exit. */
static void
run_child(struct stream *client, int *fds, size_t count,
    const sigset_t *orig_mask, struct conn_opts *co, struct identity *id,
    const struct dial *dial)
{
	enum conn_result result;
	struct stream server;
	int rc;

	/* The supervisor's handlers and self-pipe are not ours; until the
	 * session is up a signal ends us by its default action. */
	sig_release();
	sigprocmask(SIG_SETMASK, orig_mask, NULL);
	/* Memory locks are not inherited across fork(): lock our copy of
	 * the secrets again. */
	secret_relock();
	serve_close(fds, count);
	if (dial != NULL) {
		if (dial_server(client, dial, co, &server) == -1) {
			identity_clear(id);
			_exit(EXIT_RUNTIME);
		}
		log_verbose("connection from %s, to %s", client->addr,
		    server.addr);
		rc = conn_run(&server, co, &result);
	} else {
		log_verbose("connection from %s", client->addr);
		rc = conn_run(client, co, &result);
	}
	identity_clear(id);
	if (result == CONN_INTERRUPTED)
		sig_end();
	_exit(rc == 0 ? EXIT_OK : EXIT_RUNTIME);
}

/* serve_concurrent() and serve_local(): dial NULL for the former. */
static int
supervise(int *fds, size_t count, unsigned long max_conns,
    struct conn_opts *co, struct identity *id, const struct dial *dial)
{
	struct pollfd pfd[TCP_LISTEN_MAX + 1];
	struct children kids = { .cap = max_conns };
	struct accept_trouble trouble = { 0 };
	sigset_t orig;
	struct stream client;
	bool backoff = false;
	size_t n;
	pid_t pid;
	int rc = EXIT_RUNTIME;

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
		if (poll(pfd, n + 1, !backoff ? -1 : trouble.delay_ms > 0 ?
		    trouble.delay_ms : ACCEPT_RETRY_MS) == -1 &&
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
			if (accept_stream(fds[i], &client) == -1) {
				if (accept_failed(&trouble))
					backoff = true;
				continue;
			}
			accept_worked(&trouble);
			/* Blocked until the child has put its own signal
			 * handling in place. */
			sig_block(&orig);
			if ((pid = fork()) == -1) {
				sigprocmask(SIG_SETMASK, &orig, NULL);
				log_errno("cannot start a process for %s",
				    client.addr);
				stream_close(&client);
				backoff = true;
				continue;
			}
			if (pid == 0)
				run_child(&client, fds, count, &orig, co, id,
				    dial);
			sigprocmask(SIG_SETMASK, &orig, NULL);
			/* The child has it: never ours to use again. */
			conn_clear_ephemeral(co->ephemeral);
			stream_close(&client);
			add_child(&kids, pid);
		}
	}
out:
	sig_release();
	free(kids.pids);
	return rc;
}

int
serve_concurrent(int *fds, size_t count, unsigned long max_conns,
    struct conn_opts *co, struct identity *id)
{
	return supervise(fds, count, max_conns, co, id, NULL);
}

int
serve_local(int *fds, size_t count, unsigned long max_conns,
    struct conn_opts *co, struct identity *id, const struct dial *dial)
{
	return supervise(fds, count, max_conns, co, id, dial);
}

int
serve_inetd(struct conn_opts *co)
{
	struct stream client;
	enum conn_result result;
	int rc;

	if (activate_inetd(&client) == -1)
		return EXIT_RUNTIME;
	log_verbose("connection from %s", client.addr);
	conn_prepare_ephemeral(co->ephemeral, co->id->suite);
	rc = conn_run(&client, co, &result);
	if (result == CONN_INTERRUPTED)
		return sig_exit_status();
	return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}
