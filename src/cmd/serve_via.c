/*
 * serve_via.c - listen --via, see serve_via.h.
 */
#include "cmd/serve_via.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/sig.h"
#include "base/util.h"
#include "cmd/cli.h"
#include "pake/code.h"

struct kids {
	pid_t *pids;
	unsigned long cap;
	unsigned long active;
};

static void
reap(struct kids *k)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (unsigned long i = 0; i < k->cap; i++)
			if (k->pids[i] == pid) {
				k->pids[i] = 0;
				k->active--;
				break;
			}
}

struct listener {
	const struct via *via;
	struct conn_opts *co;
	uint8_t id[RENDEZVOUS_ID_LEN];	/* our pseudonym, or random */
	char words[CODE_TEXT_MAX];	/* --code: the words, "-a-b" */
	unsigned long nameplate;	/* --code: 0 until allocated */
	int backoff_ms;			/* 0: no trouble */
	bool said_trouble;
	struct kids *kids;		/* -k --exec/--forward, or NULL */
};

/*
 * The signal self-pipe woke a wait: true for a stop signal; a child's
 * exit (SIGCHLD) is reaped and the wait goes on, on the same
 * registration, so a pairing made meanwhile is not lost.
 */
static bool
stop_signal(struct listener *l)
{
	sig_drain();
	if (sig_caught() != 0)
		return true;
	if (l->kids != NULL)
		reap(l->kids);
	return false;
}

/* Pauses before the next registration; 1 if wake_fd woke us. */
static int
back_off(struct listener *l, int wake_fd)
{
	struct pollfd pfd = { .fd = wake_fd, .events = POLLIN };

	l->backoff_ms = l->backoff_ms == 0 ? SERVE_VIA_BACKOFF_FIRST_MS :
	    l->backoff_ms * 2 > SERVE_VIA_BACKOFF_MAX_MS ?
	    SERVE_VIA_BACKOFF_MAX_MS : l->backoff_ms * 2;
	if (poll(&pfd, wake_fd >= 0 ? 1 : 0, l->backoff_ms) > 0 &&
	    stop_signal(l))
		return 1;
	return 0;
}

static void
trouble(struct listener *l, const char *what)
{
	if (!l->said_trouble)
		log_warn("relay %s %s — registering again until it works",
		    l->via->relay, what);
	else
		log_verbose("relay %s %s — registering again", l->via->relay,
		    what);
	l->said_trouble = true;
}

/* --code: the relay's number and our words are the code. */
static int
take_nameplate(struct listener *l, unsigned long n)
{
	struct conn_code *code = l->co->code;
	int len;

	if (n == l->nameplate)
		return 0;
	len = snprintf(code->prs, sizeof(code->prs), "%lu%s", n, l->words);
	if (len < 0 || (size_t)len >= sizeof(code->prs)) {
		log_error("relay %s sent a nameplate that makes no code",
		    l->via->relay);
		return -1;
	}
	code->prs_len = (size_t)len;
	l->nameplate = n;
	/* Shown under -q too: without it nobody can connect. */
	log_error("code %s", code->prs);
	log_info("on the other machine: sealcat connect --code %s --via %s",
	    code->prs, l->via->relay);
	return 0;
}

/*
 * Registers at the relay and waits until it pairs us: 0 with *st the
 * paired connection, 1 if wake_fd woke us, -1 after reporting a refusal
 * that registering again cannot cure.
 */
static int
wait_pairing(struct listener *l, int wake_fd, struct stream *st)
{
	struct rendezvous_request req;
	struct rendezvous_reply reply;
	char id_short[24];
	bool again;
	int rc;

	for (;;) {
		/*
		 * A code listener always ALLOCATEs: the relay answers with
		 * the number it still binds to our id (the next try keeps
		 * it), or, once its grace has run out (a try that took
		 * longer), a fresh one, which makes the code anew.  A LISTEN
		 * under a number the relay let go would wait where no CLAIM
		 * can reach it.
		 */
		memset(&req, 0, sizeof(req));
		req.verb = l->co->code != NULL ? RENDEZVOUS_ALLOCATE :
		    RENDEZVOUS_LISTEN;
		memcpy(req.id, l->id, sizeof(req.id));
		stream_init(st);
		if (via_open(l->via, &req, st, &again) == -1) {
			trouble(l, "cannot be reached");
			if (back_off(l, wake_fd) == 1)
				return 1;
			continue;
		}
		if (req.verb == RENDEZVOUS_ALLOCATE) {
			while ((rc = via_reply(l->via, st, wake_fd, -1, true,
			    &reply)) == 1 && !stop_signal(l))
				;
			if (rc == 0 &&
			    reply.kind == RENDEZVOUS_REPLY_NAMEPLATE) {
				log_verbose("via relay %s, nameplate %lu",
				    l->via->relay, reply.nameplate);
				if (take_nameplate(l, reply.nameplate) == -1) {
					stream_close(st);
					return -1;
				}
			} else if (rc == 0 && reply.kind ==
			    RENDEZVOUS_REPLY_OK)
				rc = -1;	/* OK before a nameplate */
			if (rc != 0 || reply.kind != RENDEZVOUS_REPLY_NAMEPLATE)
				goto failed;
		} else {
			via_id_short(l->id, id_short);
			log_verbose("via relay %s, pseudonym %s",
			    l->via->relay, id_short);
		}
		while ((rc = via_reply(l->via, st, wake_fd, -1, true,
		    &reply)) == 1 && !stop_signal(l))
			;
failed:
		if (rc == 1) {
			stream_close(st);
			return 1;
		}
		if (rc == 0 && reply.kind == RENDEZVOUS_REPLY_OK) {
			if (l->said_trouble)
				log_verbose("registered at relay %s again",
				    l->via->relay);
			l->backoff_ms = 0;
			l->said_trouble = false;
			/* A client we accepted: known by its key alone. */
			st->name[0] = '\0';
			return 0;
		}
		stream_close(st);
		if (rc == 0 && reply.kind == RENDEZVOUS_REPLY_ERROR &&
		    strcmp(reply.reason, RENDEZVOUS_E_ID_TAKEN) == 0) {
			via_refused(l->via, &reply, "another sealcat listen "
			    "with this key waits there — stop it, or use "
			    "another key (-i)");
			return -1;
		}
		/* The waiting time is up: register at once.  A code's
		 * number is gone with its LISTEN; ask for one again. */
		if (l->co->code != NULL && rc == 0 &&
		    reply.kind == RENDEZVOUS_REPLY_ERROR &&
		    strcmp(reply.reason, RENDEZVOUS_E_UNKNOWN_NAMEPLATE) == 0)
			l->nameplate = 0;
		if (rc == 0 && reply.kind == RENDEZVOUS_REPLY_ERROR &&
		    strcmp(reply.reason, RENDEZVOUS_E_TIMEOUT) == 0) {
			log_verbose("relay %s: waited long enough — "
			    "registering again", l->via->relay);
			l->backoff_ms = 0;
			continue;
		}
		if (l->co->code != NULL)
			l->nameplate = 0;	/* the relay may be new */
		if (rc == 0 && reply.kind == RENDEZVOUS_REPLY_ERROR) {
			char what[RENDEZVOUS_LINE_MAX + 32];

			snprintf(what, sizeof(what), "refused: %s",
			    via_reason_text(reply.reason));
			trouble(l, what);
		} else
			trouble(l, "dropped the connection");
		if (back_off(l, wake_fd) == 1)
			return 1;
	}
}

static int
listener_init(struct listener *l, const struct via *v, struct conn_opts *co)
{
	const char *dash;

	memset(l, 0, sizeof(*l));
	l->via = v;
	l->co = co;
	if (co->code == NULL) {
		rendezvous_id(co->id->suite, co->id->pub, l->id);
		return 0;
	}
	via_random_id(l->id);
	if ((dash = strchr(co->code->prs, '-')) == NULL) {
		log_error("cannot make a code");
		return -1;
	}
	snprintf(l->words, sizeof(l->words), "%s", dash);
	return 0;
}

static int
serve_serial_via(struct listener *l, bool keep_open)
{
	struct conn_opts *co = l->co;
	enum conn_result result;
	struct stream st;
	int rc;

	for (;;) {
		conn_prepare_ephemeral(co->ephemeral, co->id->suite);
		if (wait_pairing(l, -1, &st) != 0)
			return EXIT_RUNTIME;
		log_verbose("paired by relay %s", l->via->relay);
		rc = conn_run(&st, co, &result);
		if (result == CONN_INTERRUPTED)
			return sig_exit_status();
		if (result != CONN_NO_SESSION && !keep_open)
			return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
		if (co->code != NULL && co->code->prs_len == 0)
			return EXIT_RUNTIME;	/* the code is void */
	}
}

static int
stop_kids(struct kids *k)
{
	struct pollfd pfd = { .fd = sig_fd(), .events = POLLIN };

	log_verbose("interrupted by %s — stopping %lu connection%s",
	    sig_name(sig_caught()), k->active, k->active == 1 ? "" : "s");
	for (unsigned long i = 0; i < k->cap; i++)
		if (k->pids[i] != 0)
			(void)kill(k->pids[i], SIGTERM);
	for (;;) {
		reap(k);
		if (k->active == 0)
			return sig_exit_status();
		if (poll(&pfd, 1, -1) > 0)
			sig_drain();
	}
}

static void
run_child(struct stream *st, const sigset_t *orig, struct conn_opts *co,
    struct identity *id)
{
	enum conn_result result;
	int rc;

	sig_release();
	sigprocmask(SIG_SETMASK, orig, NULL);
	secret_relock();
	rc = conn_run(st, co, &result);
	identity_clear(id);
	if (result == CONN_INTERRUPTED)
		sig_end();
	_exit(rc == 0 ? EXIT_OK : EXIT_RUNTIME);
}

static int
serve_concurrent_via(struct listener *l, unsigned long max_conns,
    struct identity *id)
{
	struct kids k = { .cap = max_conns };
	struct pollfd pfd;
	struct stream st;
	sigset_t orig;
	pid_t pid;
	int rc = EXIT_RUNTIME, w;

	if ((k.pids = calloc(k.cap, sizeof(*k.pids))) == NULL) {
		log_error("out of memory for --max-conns %lu", k.cap);
		return EXIT_RUNTIME;
	}
	if (sig_catch() == -1)
		goto out;
	for (;;) {
		reap(&k);
		if (sig_caught() != 0) {
			rc = stop_kids(&k);
			goto out;
		}
		if (k.active == k.cap) {
			/* Full: wait for a child to end (SIGCHLD). */
			pfd = (struct pollfd){ .fd = sig_fd(),
			    .events = POLLIN };
			if (poll(&pfd, 1, -1) > 0)
				sig_drain();
			continue;
		}
		conn_prepare_ephemeral(l->co->ephemeral, l->co->id->suite);
		l->kids = &k;
		if ((w = wait_pairing(l, sig_fd(), &st)) == 1)
			continue;	/* a stop signal */
		if (w == -1)
			goto stop;
		log_verbose("paired by relay %s", l->via->relay);
		sig_block(&orig);
		if ((pid = fork()) == -1) {
			sigprocmask(SIG_SETMASK, &orig, NULL);
			log_errno("cannot start a process for a connection");
			stream_close(&st);
			continue;
		}
		if (pid == 0)
			run_child(&st, &orig, l->co, id);
		sigprocmask(SIG_SETMASK, &orig, NULL);
		conn_clear_ephemeral(l->co->ephemeral);
		stream_close(&st);
		for (unsigned long i = 0; i < k.cap; i++)
			if (k.pids[i] == 0) {
				k.pids[i] = pid;
				k.active++;
				break;
			}
	}
stop:
	/* A refusal no new registration cures: the children finish. */
	while (k.active > 0) {
		pfd = (struct pollfd){ .fd = sig_fd(), .events = POLLIN };
		if (poll(&pfd, 1, -1) > 0)
			sig_drain();
		reap(&k);
	}
out:
	sig_release();
	free(k.pids);
	return rc;
}

int
serve_via(const struct via *v, bool keep_open, bool concurrent,
    unsigned long max_conns, struct conn_opts *co, struct identity *id)
{
	struct listener l;

	if (listener_init(&l, v, co) == -1)
		return EXIT_RUNTIME;
	if (concurrent)
		return serve_concurrent_via(&l, max_conns, id);
	return serve_serial_via(&l, keep_open);
}
