/*
 * relay_server.c - the blind rendezvous relay, see relay_server.h and
 * PROTOCOL.md, "Relay protocol".
 *
 * Every socket is non-blocking and registered once with epoll, edge
 * triggered.  A connection goes HELLO (its request line still to come) ->
 * WAITING (for a partner with the same id) -> PAIRED, or to CLOSING after
 * an ERROR line (kept a moment so the line is read before the socket
 * closes).  A pair has a pipe per direction; bytes go socket -> pipe ->
 * socket by splice(2) and are never copied into this process.
 *
 * Each timeout applies to a whole class of objects with one duration, so
 * each class is a list in deadline order (FIFO, or moved to the tail on
 * activity) and the loop only looks at list heads.  Ids and source
 * addresses live in hash tables keyed with SipHash (crypto_shorthash) and
 * a random key, since clients choose the ids.  Objects closed while a
 * batch of epoll events is handled are freed after the batch, as later
 * events in it may still name them.
 */
#include "rendezvous/relay_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/log.h"
#include "transport/addr.h"
#include "transport/tcp.h"
#include "rendezvous/rendezvous.h"
#include "base/sig.h"
#include "base/util.h"

/*
 * The pipes.  The kernel charges a pipe's capacity, used or not, to its
 * user (/proc/sys/fs/pipe-user-pages-soft, 16384 pages by default); past
 * that, new pipes get two pages and cannot grow.  So a pair starts with
 * small pipes, one that fills its pipe gets a big one (a splice per MiB
 * instead of per 16 KiB: a third less CPU per byte), and a pipe quiet for
 * PIPE_SHRINK_MS is made small again.  A pipe that cannot grow (budget
 * spent) works at its size; growing is tried again after PIPE_SHRINK_MS.
 */
#define PIPE_SMALL (16 * 1024)
#define PIPE_BIG (1024 * 1024)
#define PIPE_SHRINK_MS 1000
/* A refused client gets this long to read its ERROR line. */
#define LINGER_MS 2000
/* At most this many refused sockets linger at once; beyond, they close.
 * One that sends more than LINGER_DISCARD_MAX meanwhile is closed too. */
#define CLOSING_MAX 256
#define LINGER_DISCARD_MAX (64 * 1024)
/* Failing accept() is reported at most this often. */
#define ACCEPT_REPORT_MS 10000
/* Nameplate bindings per allowed waiting side. */
#define BINDINGS_PER_WAITING 10
/* After accept() fails for want of descriptors, retry this much later. */
#define ACCEPT_RETRY_MS 200
/* A source's token bucket is full again this long after its last use. */
#define SOURCE_REFILL_MS 1000
/* Splice rounds per pair before others get their turn. */
#define PUMP_ROUNDS 8
#define EVENTS_MAX 256
/* The length of the id prefix in log lines: a pseudonym, shortened. */
#define ID_SHOWN 8
/* TCP keepalive on every client socket, so a waiting side whose host or
 * NAT vanished is noticed, and a NAT keeps the mapping of an idle one. */
#define KEEPALIVE_IDLE_S 60
#define KEEPALIVE_INTERVAL_S 10
#define KEEPALIVE_COUNT 3

#define CONTAINER(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct link {
	struct link *prev, *next;
};

enum watch_kind {
	WATCH_LISTENER,
	WATCH_SIGNAL,
	WATCH_CONN
};

/* What epoll's data.ptr points at: a listening socket or the self-pipe. */
struct watch {
	enum watch_kind kind;
	int fd;
};

enum conn_state {
	CONN_HELLO,
	CONN_WAITING,
	CONN_PAIRED,
	CONN_CLOSING,
	CONN_DEAD
};

enum side {
	SIDE_LISTENER,		/* LISTEN or ALLOCATE */
	SIDE_CONNECTOR		/* CONNECT or CLAIM */
};

struct conn {
	enum watch_kind kind;	/* WATCH_CONN; first, for data.ptr */
	int fd;
	enum conn_state state;
	enum side side;
	struct source *source;	/* NULL once CLOSING */
	struct link timer;	/* HELLO, WAITING, CLOSING: its timeout list;
				 * DEAD: the dead list */
	long long since;	/* ms: when it entered that list */
	struct link queue;	/* a waiting connector: in its id's queue */
	struct rv_id *id;	/* WAITING */
	struct pair *pair;	/* PAIRED */
	size_t line_len;	/* HELLO: bytes in line; CLOSING: discarded */
	uint8_t line[RENDEZVOUS_LINE_MAX];
};

struct dir {
	int pipe_r, pipe_w;
	size_t pipe_len;	/* bytes in the pipe */
	size_t pipe_cap;
	bool big;		/* grown to PIPE_BIG */
	long long grow_failed;	/* ms: when growing was last refused */
	uint64_t bytes_in;	/* read from the source side */
	uint64_t bytes_out;	/* delivered to the other side */
	bool eof;		/* the source side sent its FIN */
	bool shut;		/* ... and it was passed on */
};

enum pair_end {
	END_DONE,		/* both directions ended with FIN */
	END_RESET_LISTENER,	/* the listener's side reset */
	END_RESET_CONNECTOR,
	END_IDLE,
	END_CAP,
	END_SHUTDOWN,
	END_ERROR
};

struct pair {
	struct conn *side[2];
	bool readable[2];	/* side[i] may have bytes (no EAGAIN yet) */
	bool writable[2];
	struct dir dir[2];	/* dir[i]: from side[i] to the other */
	struct link active;	/* the pairs, least recently active first;
				 * DEAD: the dead list */
	struct link ready;	/* more to do after its turn */
	struct link grown;	/* in server->grown while a pipe is big */
	bool on_grown;
	long long grown_at;	/* ms: last activity, or last shrink try */
	bool on_ready;
	bool dead;
	bool code;		/* the id had a nameplate */
	long long started, last_active;
	char shown[ID_SHOWN + 1];
};

/* An id somebody waits on or that holds a nameplate. */
struct rv_id {
	uint8_t id[RENDEZVOUS_ID_LEN];
	struct rv_id *next;		/* hash chain */
	struct conn *listener;		/* the waiting LISTEN, or NULL */
	struct link connectors;		/* waiting CONNECT/CLAIMs, oldest
					 * first */
	unsigned long nameplate;	/* 0: none */
	struct link grace;		/* the binding outlives its LISTEN */
	bool in_grace;
	long long grace_since;
	unsigned pins;			/* in use by the request at hand */
};

/* A source address (IPv6: its /64), for the per-source limits. */
#define SOURCE_KEY_LEN 17
struct source {
	uint8_t key[SOURCE_KEY_LEN];	/* family, then 4 or 8 bytes */
	struct source *next;
	unsigned long count;		/* connections held */
	uint64_t tokens;		/* thousandths of a connection */
	long long refilled;
	struct link idle;		/* count 0: freed once the bucket is
					 * full again */
	bool on_idle;
	long long idle_since;
};

struct server {
	const struct relay_server_opts *o;
	int epfd;
	struct watch listeners[TCP_LISTEN_MAX];
	size_t listener_count;
	struct watch signal;
	long long now;

	unsigned long unpaired;		/* HELLO and WAITING */
	unsigned long pairs;
	unsigned long closing;
	unsigned long bindings;

	struct link hello;		/* by since */
	struct link listen_wait;
	struct link connect_wait;
	struct link closing_list;
	struct link active;		/* pairs by last_active */
	struct link ready;
	struct link grown;		/* pairs with a big pipe */
	struct link graces;		/* bindings by grace_since */
	struct link idle_sources;
	struct link dead_conns;
	struct link dead_pairs;

	struct rv_id **ids;
	size_t ids_mask;
	struct source **sources;
	size_t sources_mask;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];

	struct rv_id **plates;		/* [1..plate_cap] */
	unsigned long plate_cap;
	unsigned long plate_low;	/* no free number below this */

	long long accept_paused_until;	/* 0: accepting */
	long long accept_reported;	/* ms: accept() failing, last said */
	bool stopping;
	long long stop_deadline;
};

/* ---- lists ---- */

static void
list_init(struct link *head)
{
	head->prev = head->next = head;
}

static bool
list_empty(const struct link *head)
{
	return head->next == head;
}

static void
list_push(struct link *head, struct link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static void
list_remove(struct link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

/* ---- time, small socket helpers ---- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
tune(int fd, const struct sockaddr_storage *ss)
{
	int one = 1, idle = KEEPALIVE_IDLE_S, intvl = KEEPALIVE_INTERVAL_S,
	    cnt = KEEPALIVE_COUNT;

	/*
	 * As the ends' own sockets: TCP_NODELAY (the relay must not add
	 * Nagle's delay to what the ends send), and Reno for a peer on
	 * loopback, where a pacing default (BBR) cuts a relayed bulk stream
	 * into timed bursts: with BBR the relay spent a third more CPU per
	 * GB (tests/bench/relay_bench.py).
	 */
	tcp_tune(fd, addr_is_loopback((const struct sockaddr *)ss,
	    sizeof(*ss)));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
	    sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* Makes the next close() send a reset instead of a FIN. */
static void
set_reset_on_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* Sends a short line on a socket whose buffer is all but empty: it goes
 * at once or the peer is gone.  Returns 0, or -1. */
static int
send_line(int fd, const char *line, size_t len)
{
	ssize_t n;

	do
		n = send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

enum peek {
	PEEK_QUIET,		/* nothing to read: still waiting, as asked */
	PEEK_DATA,		/* bytes before OK */
	PEEK_EOF,		/* a FIN */
	PEEK_GONE		/* a reset or another error */
};

static enum peek
peek(int fd)
{
	uint8_t b;
	ssize_t n;

	do
		n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == 1)
		return PEEK_DATA;
	if (n == 0)
		return PEEK_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return PEEK_QUIET;
	return PEEK_GONE;
}

static void
show_id(const uint8_t id[RENDEZVOUS_ID_LEN], char out[ID_SHOWN + 1])
{
	char hex[RENDEZVOUS_ID_HEX_LEN + 1];

	rendezvous_id_hex(id, hex);
	memcpy(out, hex, ID_SHOWN);
	out[ID_SHOWN] = '\0';
}

/* ---- hash tables ---- */

static size_t
hash(const struct server *s, const uint8_t *key, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, key, len, s->hash_key);
	for (size_t i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return (size_t)v;
}

static size_t
table_size(unsigned long entries)
{
	size_t n = 64;

	while (n < entries * 2 && n < ((size_t)1 << 24))
		n <<= 1;
	return n;
}

/* The entry for id; with create, a new one if there is none (NULL when
 * memory is short). */
static struct rv_id *
id_get(struct server *s, const uint8_t id[RENDEZVOUS_ID_LEN], bool create)
{
	size_t b = hash(s, id, RENDEZVOUS_ID_LEN) & s->ids_mask;
	struct rv_id *e;

	for (e = s->ids[b]; e != NULL; e = e->next)
		if (memcmp(e->id, id, RENDEZVOUS_ID_LEN) == 0)
			return e;
	if (!create || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->id, id, RENDEZVOUS_ID_LEN);
	list_init(&e->connectors);
	list_init(&e->grace);
	e->next = s->ids[b];
	s->ids[b] = e;
	return e;
}

/* Frees e once nothing waits on it and it holds no nameplate. */
static void
id_release(struct server *s, struct rv_id *e)
{
	struct rv_id **pp;

	if (e->listener != NULL || !list_empty(&e->connectors) ||
	    e->nameplate != 0 || e->pins > 0)
		return;
	pp = &s->ids[hash(s, e->id, RENDEZVOUS_ID_LEN) & s->ids_mask];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	free(e);
}

static void
source_key(const struct sockaddr_storage *ss, uint8_t key[SOURCE_KEY_LEN])
{
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	const struct sockaddr_in *sin = (const void *)ss;

	memset(key, 0, SOURCE_KEY_LEN);
	if (ss->ss_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		/* One site gets a /64 at least: count it as one source. */
		key[0] = 6;
		memcpy(key + 1, sin6->sin6_addr.s6_addr, 8);
	} else if (ss->ss_family == AF_INET6) {
		key[0] = 4;
		memcpy(key + 1, sin6->sin6_addr.s6_addr + 12, 4);
	} else if (ss->ss_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &sin->sin_addr, 4);
	}
}

static struct source *
source_get(struct server *s, const uint8_t key[SOURCE_KEY_LEN])
{
	size_t b = hash(s, key, SOURCE_KEY_LEN) & s->sources_mask;
	struct source *src;

	for (src = s->sources[b]; src != NULL; src = src->next)
		if (memcmp(src->key, key, SOURCE_KEY_LEN) == 0)
			break;
	if (src == NULL) {
		if ((src = calloc(1, sizeof(*src))) == NULL)
			return NULL;
		memcpy(src->key, key, SOURCE_KEY_LEN);
		src->tokens = (uint64_t)s->o->source_rate * 1000;
		src->refilled = s->now;
		list_init(&src->idle);
		src->next = s->sources[b];
		s->sources[b] = src;
	}
	if (src->on_idle) {
		list_remove(&src->idle);
		src->on_idle = false;
	}
	return src;
}

static void
source_free(struct server *s, struct source *src)
{
	struct source **pp;

	pp = &s->sources[hash(s, src->key, SOURCE_KEY_LEN) & s->sources_mask];
	while (*pp != src)
		pp = &(*pp)->next;
	*pp = src->next;
	if (src->on_idle)
		list_remove(&src->idle);
	free(src);
}

/* Takes one new connection from src's token bucket, if it has one. */
static bool
source_take(struct server *s, struct source *src)
{
	uint64_t cap = (uint64_t)s->o->source_rate * 1000;
	uint64_t gained = (uint64_t)(s->now - src->refilled) *
	    s->o->source_rate;

	src->tokens = gained >= cap - src->tokens ? cap : src->tokens + gained;
	src->refilled = s->now;
	if (src->tokens < 1000)
		return false;
	src->tokens -= 1000;
	return true;
}

static void
source_put(struct server *s, struct source *src)
{
	if (src == NULL || --src->count > 0)
		return;
	src->on_idle = true;
	src->idle_since = s->now;
	list_push(&s->idle_sources, &src->idle);
}

/* ---- nameplates ---- */

static void
grace_start(struct server *s, struct rv_id *e)
{
	if (e->nameplate == 0 || e->in_grace)
		return;
	e->in_grace = true;
	e->grace_since = s->now;
	list_push(&s->graces, &e->grace);
}

static void
grace_stop(struct rv_id *e)
{
	if (!e->in_grace)
		return;
	list_remove(&e->grace);
	e->in_grace = false;
}

/* Binds the lowest free number to e.  Returns 0, or -1 when all the
 * numbers the limits allow are bound. */
static int
bind_nameplate(struct server *s, struct rv_id *e)
{
	unsigned long n;

	for (n = s->plate_low; n <= s->plate_cap; n++)
		if (s->plates[n] == NULL)
			break;
	s->plate_low = n;
	if (n > s->plate_cap)
		return -1;
	s->plates[n] = e;
	e->nameplate = n;
	s->bindings++;
	return 0;
}

static void
unbind_nameplate(struct server *s, struct rv_id *e)
{
	if (e->nameplate == 0)
		return;
	grace_stop(e);
	s->plates[e->nameplate] = NULL;
	if (e->nameplate < s->plate_low)
		s->plate_low = e->nameplate;
	e->nameplate = 0;
	s->bindings--;
	id_release(s, e);
}

/* ---- connections ---- */

static void
conn_log(const struct conn *c, const char *what)
{
	char peer[ADDR_MAX];

	if (!log_verbose_enabled())
		return;
	tcp_peer_addr(c->fd, peer, sizeof(peer));
	log_verbose("%s: %s", peer, what);
}

/* Takes c out of the id it waits on; a listener leaving starts its
 * nameplate's grace period. */
static void
unwait(struct server *s, struct conn *c)
{
	struct rv_id *e = c->id;

	if (c->side == SIDE_LISTENER)
		e->listener = NULL;
	else
		list_remove(&c->queue);
	c->id = NULL;
	if (c->side == SIDE_LISTENER)
		grace_start(s, e);
	id_release(s, e);
}

/* Takes c out of its state's lists and counts, before a new state. */
static void
detach(struct server *s, struct conn *c)
{
	switch (c->state) {
	case CONN_WAITING:
		unwait(s, c);
		/* fall through */
	case CONN_HELLO:
		list_remove(&c->timer);
		s->unpaired--;
		break;
	case CONN_CLOSING:
		list_remove(&c->timer);
		s->closing--;
		break;
	case CONN_PAIRED:
	case CONN_DEAD:
		break;
	}
}

/* Closes c (a reset with reset) and queues it to be freed. */
static void
conn_close(struct server *s, struct conn *c, bool reset)
{
	detach(s, c);
	if (reset)
		set_reset_on_close(c->fd);
	close(c->fd);
	c->fd = -1;
	source_put(s, c->source);
	c->source = NULL;
	c->state = CONN_DEAD;
	list_push(&s->dead_conns, &c->timer);
}

/* The client left before it was paired: nothing to tell it. */
static void
conn_drop(struct server *s, struct conn *c, const char *why)
{
	conn_log(c, why);
	conn_close(s, c, false);
}

/*
 * Sends "ERROR <reason>" and ends the connection.  Closing a socket with
 * unread bytes sends a reset, which can destroy the line before the
 * client reads it, so c lingers a moment reading and discarding until
 * the client closes, unless too many already do.
 */
static void
refuse(struct server *s, struct conn *c, const char *reason)
{
	char line[RENDEZVOUS_LINE_MAX];
	char what[RENDEZVOUS_LINE_MAX + 16];
	int n;

	n = snprintf(line, sizeof(line), "ERROR %s\n", reason);
	snprintf(what, sizeof(what), "refused: %s", reason);
	conn_log(c, what);
	if (n > 0 && (size_t)n < sizeof(line))
		(void)send_line(c->fd, line, (size_t)n);
	(void)shutdown(c->fd, SHUT_WR);
	if (s->closing >= CLOSING_MAX || s->stopping) {
		conn_close(s, c, false);
		return;
	}
	detach(s, c);
	/* Lingering costs the client's source nothing more. */
	source_put(s, c->source);
	c->source = NULL;
	c->state = CONN_CLOSING;
	c->line_len = 0;
	c->since = s->now;
	list_push(&s->closing_list, &c->timer);
	s->closing++;
}

static void
on_closing(struct server *s, struct conn *c)
{
	uint8_t sink[4096];
	ssize_t n;

	for (;;) {
		n = read(c->fd, sink, sizeof(sink));
		if (n > 0 && (size_t)n <= LINGER_DISCARD_MAX - c->line_len) {
			c->line_len += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_close(s, c, false);
		return;
	}
}

/* ---- pairs ---- */

static const char *
end_text(enum pair_end how)
{
	switch (how) {
	case END_DONE:
		return "done";
	case END_RESET_LISTENER:
		return "reset by the listener";
	case END_RESET_CONNECTOR:
		return "reset by the connector";
	case END_IDLE:
		return "idle timeout";
	case END_CAP:
		return "byte limit reached";
	case END_SHUTDOWN:
		return "relay shutting down";
	default:
		return "relay error";
	}
}

/*
 * Ends p.  Anything but a clean end is passed on as a reset, so neither
 * end mistakes it for the other's FIN.
 */
static void
pair_end(struct server *s, struct pair *p, enum pair_end how)
{
	long long ms = s->now - p->started;

	log_info("pair %s (%s) ended after %lld.%01lld s: %llu bytes "
	    "listener -> connector, %llu connector -> listener, %s",
	    p->shown, p->code ? "code" : "key", ms / 1000, ms % 1000 / 100,
	    (unsigned long long)p->dir[SIDE_LISTENER].bytes_out,
	    (unsigned long long)p->dir[SIDE_CONNECTOR].bytes_out,
	    end_text(how));
	for (int i = 0; i < 2; i++) {
		conn_close(s, p->side[i], how != END_DONE);
		close(p->dir[i].pipe_r);
		close(p->dir[i].pipe_w);
	}
	if (p->on_ready)
		list_remove(&p->ready);
	p->on_ready = false;
	if (p->on_grown)
		list_remove(&p->grown);
	p->on_grown = false;
	list_remove(&p->active);
	p->dead = true;
	list_push(&s->dead_pairs, &p->active);
	s->pairs--;
}

static enum pair_end
reset_by(int side)
{
	return side == SIDE_LISTENER ? END_RESET_LISTENER :
	    END_RESET_CONNECTOR;
}

/* How much direction d may still read under --max-bytes. */
static size_t
allowance(const struct server *s, const struct pair *p, size_t want)
{
	uint64_t used = p->dir[0].bytes_in + p->dir[1].bytes_in;
	uint64_t left;

	if (s->o->max_bytes == 0)
		return want;
	left = used >= s->o->max_bytes ? 0 : s->o->max_bytes - used;
	return left < want ? (size_t)left : want;
}

/* At the byte cap: more to read ends the pair, a FIN does not. */
static int
at_cap(struct pair *p, int d, enum pair_end *end)
{
	switch (peek(p->side[d]->fd)) {
	case PEEK_DATA:
		*end = END_CAP;
		return -1;
	case PEEK_QUIET:
		p->readable[d] = false;
		return 0;
	case PEEK_EOF:
		p->dir[d].eof = true;
		return 0;
	default:
		*end = reset_by(d);
		return -1;
	}
}

/* A busy direction filled its pipe: make it big, if the budget allows. */
static void
grow(struct server *s, struct pair *p, struct dir *x)
{
	int len;

	if (x->big || (x->grow_failed != 0 &&
	    x->grow_failed + PIPE_SHRINK_MS > s->now))
		return;
	if ((len = fcntl(x->pipe_w, F_SETPIPE_SZ, PIPE_BIG)) == -1) {
		x->grow_failed = s->now;
		return;
	}
	x->pipe_cap = (size_t)len;
	x->big = true;
	if (!p->on_grown) {
		p->on_grown = true;
		p->grown_at = s->now;
		list_push(&s->grown, &p->grown);
	}
}

/* Makes the empty big pipes of p small again; p leaves the grown list
 * once none is big. */
static void
shrink(struct server *s, struct pair *p)
{
	int len;

	list_remove(&p->grown);
	p->on_grown = false;
	for (int d = 0; d < 2; d++) {
		struct dir *x = &p->dir[d];

		if (!x->big || x->pipe_len > 0)
			continue;
		if ((len = fcntl(x->pipe_w, F_SETPIPE_SZ, PIPE_SMALL)) > 0) {
			x->pipe_cap = (size_t)len;
			x->big = false;
		}
	}
	if (p->dir[0].big || p->dir[1].big) {
		/* Still holding bytes: look again later. */
		p->on_grown = true;
		p->grown_at = s->now;
		list_push(&s->grown, &p->grown);
	}
}

/* Socket -> pipe for direction d.  Returns 0, or -1 with *end. */
static int
fill(struct server *s, struct pair *p, int d, bool *moved,
    enum pair_end *end)
{
	struct dir *x = &p->dir[d];
	size_t want;
	ssize_t n;

	if (x->eof || !p->readable[d] || x->pipe_len >= x->pipe_cap)
		return 0;
	if ((want = allowance(s, p, x->pipe_cap - x->pipe_len)) == 0)
		return at_cap(p, d, end);
	n = splice(p->side[d]->fd, NULL, x->pipe_w, NULL, want,
	    SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
	if (n > 0) {
		x->pipe_len += (size_t)n;
		x->bytes_in += (uint64_t)n;
		*moved = true;
		if (x->pipe_len == x->pipe_cap)
			grow(s, p, x);
	} else if (n == 0)
		x->eof = true;
	else if (errno == EAGAIN || errno == EWOULDBLOCK) {
		/* The socket is empty, or the pipe has no free slot (a
		 * slot can hold less than a page); draining it retries. */
		if (x->pipe_len == 0)
			p->readable[d] = false;
	} else if (errno != EINTR) {
		*end = errno == ENOMEM || errno == ENOBUFS ? END_ERROR :
		    reset_by(d);
		return -1;
	}
	return 0;
}

/* Pipe -> socket for direction d, then the FIN once all is delivered.
 * Returns 0, or -1 with *end. */
static int
drain(struct pair *p, int d, bool *moved, enum pair_end *end)
{
	struct dir *x = &p->dir[d];
	int to = 1 - d;
	ssize_t n;

	if (x->pipe_len > 0 && p->writable[to]) {
		n = splice(x->pipe_r, NULL, p->side[to]->fd, NULL,
		    x->pipe_len, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n > 0) {
			x->pipe_len -= (size_t)n;
			x->bytes_out += (uint64_t)n;
			*moved = true;
		} else if (n == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			p->writable[to] = false;
		else if (n == -1 && errno != EINTR) {
			*end = errno == ENOMEM || errno == ENOBUFS ?
			    END_ERROR : reset_by(to);
			return -1;
		}
	}
	if (x->eof && x->pipe_len == 0 && !x->shut) {
		(void)shutdown(p->side[to]->fd, SHUT_WR);
		x->shut = true;
		*moved = true;
	}
	return 0;
}

static void
mark_active(struct server *s, struct pair *p)
{
	p->last_active = s->now;
	list_remove(&p->active);
	list_push(&s->active, &p->active);
	if (p->on_grown) {
		p->grown_at = s->now;
		list_remove(&p->grown);
		list_push(&s->grown, &p->grown);
	}
}

/*
 * Moves what can be moved, for a few rounds.  Returns 1 if there may be
 * more (the pair goes on the ready list), 0 if every way is blocked, or
 * -1 if the pair ended.
 */
static int
pump(struct server *s, struct pair *p)
{
	enum pair_end end = END_ERROR;
	bool moved;

	for (int round = 0; round < PUMP_ROUNDS; round++) {
		moved = false;
		for (int d = 0; d < 2; d++)
			if (fill(s, p, d, &moved, &end) == -1 ||
			    drain(p, d, &moved, &end) == -1) {
				pair_end(s, p, end);
				return -1;
			}
		if (p->dir[0].shut && p->dir[1].shut) {
			pair_end(s, p, END_DONE);
			return -1;
		}
		if (!moved)
			return 0;
		mark_active(s, p);
	}
	return 1;
}

static void
pump_later(struct server *s, struct pair *p)
{
	if (pump(s, p) == 1 && !p->on_ready) {
		p->on_ready = true;
		list_push(&s->ready, &p->ready);
	}
}

static int
make_pipe(struct dir *x)
{
	int fds[2];
	int len;

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	/* Smaller than the default: never refused. */
	(void)fcntl(fds[1], F_SETPIPE_SZ, PIPE_SMALL);
	len = fcntl(fds[1], F_GETPIPE_SZ);
	x->pipe_r = fds[0];
	x->pipe_w = fds[1];
	x->pipe_cap = len > 0 ? (size_t)len : 4096;
	return 0;
}

/*
 * Pairs listener l and connector k (both detached from their states by
 * the caller's checks, neither with bytes before OK): a pipe per
 * direction, OK to both, and the first pump.  Returns 0, or -1 after
 * refusing both (busy) when there are no descriptors or memory.
 */
static int
pair_up(struct server *s, struct conn *l, struct conn *k, bool code,
    const uint8_t id[RENDEZVOUS_ID_LEN])
{
	struct pair *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto busy;
	if (make_pipe(&p->dir[0]) == -1) {
		free(p);
		goto busy;
	}
	if (make_pipe(&p->dir[1]) == -1) {
		close(p->dir[0].pipe_r);
		close(p->dir[0].pipe_w);
		free(p);
		goto busy;
	}
	detach(s, l);
	detach(s, k);
	p->side[SIDE_LISTENER] = l;
	p->side[SIDE_CONNECTOR] = k;
	p->code = code;
	p->started = p->last_active = s->now;
	show_id(id, p->shown);
	list_init(&p->ready);
	list_init(&p->grown);
	list_push(&s->active, &p->active);
	s->pairs++;
	for (int i = 0; i < 2; i++) {
		p->side[i]->state = CONN_PAIRED;
		p->side[i]->side = (enum side)i;
		p->side[i]->pair = p;
		p->readable[i] = p->writable[i] = true;
	}
	if (log_verbose_enabled()) {
		char a[ADDR_MAX], b[ADDR_MAX];

		tcp_peer_addr(l->fd, a, sizeof(a));
		tcp_peer_addr(k->fd, b, sizeof(b));
		log_verbose("pair %s (%s): listener %s, connector %s",
		    p->shown, code ? "code" : "key", a, b);
	}
	if (send_line(l->fd, "OK\n", 3) == -1) {
		pair_end(s, p, END_RESET_LISTENER);
		return 0;
	}
	if (send_line(k->fd, "OK\n", 3) == -1) {
		pair_end(s, p, END_RESET_CONNECTOR);
		return 0;
	}
	pump_later(s, p);
	return 0;
busy:
	log_errno("cannot pair two clients");
	refuse(s, l, RENDEZVOUS_E_BUSY);
	refuse(s, k, RENDEZVOUS_E_BUSY);
	return -1;
}

/* ---- requests ---- */

/* Checks a side before it is paired: one that has sent bytes is refused,
 * one that left is dropped.  True if it can be paired. */
static bool
still_good(struct server *s, struct conn *c)
{
	switch (peek(c->fd)) {
	case PEEK_QUIET:
		return true;
	case PEEK_DATA:
		refuse(s, c, RENDEZVOUS_E_UNEXPECTED);
		return false;
	default:
		conn_drop(s, c, "left");
		return false;
	}
}

static void
wait_on(struct server *s, struct conn *c, struct rv_id *e, enum side side)
{
	list_remove(&c->timer);
	c->state = CONN_WAITING;
	c->side = side;
	c->id = e;
	c->since = s->now;
	if (side == SIDE_LISTENER) {
		e->listener = c;
		grace_stop(e);
		list_push(&s->listen_wait, &c->timer);
	} else {
		list_push(&e->connectors, &c->queue);
		list_push(&s->connect_wait, &c->timer);
	}
}

/* A listener c on e (pinned): the oldest good connector waiting, or
 * wait. */
static void
listen_on(struct server *s, struct conn *c, struct rv_id *e)
{
	struct conn *k;

	while (!list_empty(&e->connectors)) {
		k = CONTAINER(e->connectors.next, struct conn, queue);
		if (!still_good(s, k))
			continue;
		if (!still_good(s, c))
			return;
		if (s->pairs >= s->o->max_pairs) {
			refuse(s, c, RENDEZVOUS_E_BUSY);
			return;
		}
		(void)pair_up(s, c, k, e->nameplate != 0, e->id);
		return;
	}
	conn_log(c, "waits for a connector");
	wait_on(s, c, e, SIDE_LISTENER);
}

/* LISTEN or ALLOCATE c on e (pinned). */
static void
request_listen(struct server *s, struct conn *c, struct rv_id *e,
    bool allocate)
{
	char line[RENDEZVOUS_LINE_MAX];
	int n;

	/* One listener per id; one that has left makes room. */
	if (e->listener != NULL && still_good(s, e->listener)) {
		refuse(s, c, RENDEZVOUS_E_ID_TAKEN);
		return;
	}
	if (allocate && e->nameplate == 0 && bind_nameplate(s, e) == -1) {
		refuse(s, c, RENDEZVOUS_E_BUSY);
		return;
	}
	if (allocate) {
		n = snprintf(line, sizeof(line), "NAMEPLATE %lu\n",
		    e->nameplate);
		if (send_line(c->fd, line, (size_t)n) == -1) {
			conn_drop(s, c, "left");
			grace_start(s, e);
			return;
		}
	}
	listen_on(s, c, e);
	/* Paired at once or refused: the binding outlives it all the same
	 * (a waiting listener holds it). */
	if (e->listener == NULL)
		grace_start(s, e);
}

/* CONNECT or CLAIM c on e (pinned): the waiting listener, or wait for
 * one. */
static void
connect_to(struct server *s, struct conn *c, struct rv_id *e)
{
	struct conn *l = e->listener;

	if (l != NULL && !still_good(s, l))
		l = NULL;
	if (l == NULL) {
		conn_log(c, "waits for a listener");
		wait_on(s, c, e, SIDE_CONNECTOR);
		return;
	}
	if (!still_good(s, c))
		return;
	if (s->pairs >= s->o->max_pairs) {
		refuse(s, c, RENDEZVOUS_E_BUSY);
		return;
	}
	(void)pair_up(s, l, c, e->nameplate != 0, e->id);
}

static void
handle_request(struct server *s, struct conn *c,
    const struct rendezvous_request *r)
{
	struct rv_id *e;

	if (r->verb == RENDEZVOUS_CLAIM) {
		if (r->nameplate > s->plate_cap ||
		    (e = s->plates[r->nameplate]) == NULL) {
			refuse(s, c, RENDEZVOUS_E_UNKNOWN_NAMEPLATE);
			return;
		}
	} else if ((e = id_get(s, r->id, true)) == NULL) {
		log_error("out of memory for a request");
		refuse(s, c, RENDEZVOUS_E_BUSY);
		return;
	}
	/* Refusing or dropping other sides below may release e. */
	e->pins++;
	switch (r->verb) {
	case RENDEZVOUS_CONNECT:
	case RENDEZVOUS_CLAIM:
		connect_to(s, c, e);
		break;
	case RENDEZVOUS_LISTEN:
	case RENDEZVOUS_ALLOCATE:
		request_listen(s, c, e, r->verb == RENDEZVOUS_ALLOCATE);
		break;
	}
	e->pins--;
	id_release(s, e);
}

/* ---- events ---- */

static void
on_hello(struct server *s, struct conn *c)
{
	struct rendezvous_request req;
	ssize_t n;

	for (;;) {
		n = read(c->fd, c->line + c->line_len,
		    sizeof(c->line) - c->line_len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_drop(s, c, "left before its request");
			return;
		}
		c->line_len += (size_t)n;
		switch (rendezvous_parse_request(c->line, c->line_len, &req)) {
		case RENDEZVOUS_PARTIAL:
			continue;
		case RENDEZVOUS_OK:
			handle_request(s, c, &req);
			return;
		case RENDEZVOUS_TOO_LONG:
			refuse(s, c, RENDEZVOUS_E_TOO_LONG);
			return;
		case RENDEZVOUS_EXTRA:
			refuse(s, c, RENDEZVOUS_E_UNEXPECTED);
			return;
		case RENDEZVOUS_BAD:
			refuse(s, c, RENDEZVOUS_E_BAD_REQUEST);
			return;
		}
	}
}

static void
on_paired(struct server *s, struct conn *c, uint32_t events)
{
	struct pair *p = c->pair;
	int i = (int)c->side;
	int err = 0;
	socklen_t len = sizeof(err);

	/* A reset is passed on at once, whatever is still buffered: the
	 * stream is broken either way. */
	if ((events & EPOLLERR) && getsockopt(c->fd, SOL_SOCKET, SO_ERROR,
	    &err, &len) == 0 && err != 0) {
		pair_end(s, p, reset_by(i));
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
		p->readable[i] = true;
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
		p->writable[i] = true;
	pump_later(s, p);
}

static void
on_conn(struct server *s, struct conn *c, uint32_t events)
{
	bool in = events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP);

	switch (c->state) {
	case CONN_HELLO:
		if (in)
			on_hello(s, c);
		break;
	case CONN_WAITING:
		if (in)
			(void)still_good(s, c);
		break;
	case CONN_PAIRED:
		on_paired(s, c, events);
		break;
	case CONN_CLOSING:
		if (in)
			on_closing(s, c);
		break;
	case CONN_DEAD:
		break;
	}
}

static void
source_unused(struct server *s, struct source *src)
{
	if (src != NULL && src->count == 0 && !src->on_idle) {
		src->on_idle = true;
		src->idle_since = s->now;
		list_push(&s->idle_sources, &src->idle);
	}
}

/* A new connection: the per-source limits, then the global one. */
static void
admit(struct server *s, int fd, const struct sockaddr_storage *ss)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
	    EPOLLET };
	uint8_t key[SOURCE_KEY_LEN];
	struct source *src;
	struct conn *c = NULL;

	source_key(ss, key);
	if ((src = source_get(s, key)) == NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		log_error("out of memory for a connection");
		goto fail;
	}
	c->kind = WATCH_CONN;
	c->fd = fd;
	list_init(&c->timer);
	list_init(&c->queue);
	ev.data.ptr = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_errno("cannot watch a connection");
		goto fail;
	}
	tune(fd, ss);
	c->source = src;
	src->count++;
	c->state = CONN_HELLO;
	c->since = s->now;
	list_push(&s->hello, &c->timer);
	s->unpaired++;
	if (src->count > s->o->max_per_source || !source_take(s, src))
		refuse(s, c, RENDEZVOUS_E_LIMIT);
	else if (s->unpaired > s->o->max_waiting)
		refuse(s, c, RENDEZVOUS_E_BUSY);
	return;
fail:
	free(c);
	close(fd);
	source_unused(s, src);
}

static void
accept_all(struct server *s, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	while (s->accept_paused_until == 0) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd != -1) {
			admit(s, fd, &ss);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			if (s->accept_reported == 0 || s->now -
			    s->accept_reported >= ACCEPT_REPORT_MS) {
				log_errno("cannot accept a connection — raise "
				    "the descriptor limit or lower "
				    "--max-pairs and --max-waiting");
				s->accept_reported = s->now;
			}
			s->accept_paused_until = s->now + ACCEPT_RETRY_MS;
			return;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
		case ENETDOWN:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case ENETUNREACH:
		case EPERM:
			continue;	/* that connection's trouble */
		default:
			log_errno("cannot accept a connection");
			return;
		}
	}
}

/* SIGINT, SIGTERM or SIGHUP: no new clients, none left waiting; the pairs
 * get the shutdown grace period. */
static void
stop(struct server *s)
{
	struct link *lists[] = { &s->hello, &s->listen_wait,
	    &s->connect_wait };

	log_verbose("interrupted by %s — %lu pair%s may finish within %u s",
	    sig_name(sig_caught()), s->pairs, s->pairs == 1 ? "" : "s",
	    s->o->shutdown_grace_s);
	for (size_t i = 0; i < s->listener_count; i++)
		close(s->listeners[i].fd);
	s->listener_count = 0;
	s->stopping = true;
	s->stop_deadline = s->now + (long long)s->o->shutdown_grace_s * 1000;
	for (size_t i = 0; i < ARRAY_LEN(lists); i++)
		while (!list_empty(lists[i]))
			refuse(s, CONTAINER(lists[i]->next, struct conn,
			    timer), RENDEZVOUS_E_SHUTDOWN);
	while (!list_empty(&s->closing_list))
		conn_close(s, CONTAINER(s->closing_list.next, struct conn,
		    timer), false);
	while (!list_empty(&s->graces))
		unbind_nameplate(s, CONTAINER(s->graces.next, struct rv_id,
		    grace));
}

static void
dispatch(struct server *s, const struct epoll_event *ev)
{
	enum watch_kind kind = *(const enum watch_kind *)ev->data.ptr;

	switch (kind) {
	case WATCH_LISTENER:
		/* After stop() the descriptor is closed, maybe reused. */
		if (!s->stopping)
			accept_all(s, ((const struct watch *)ev->data.ptr)->fd);
		break;
	case WATCH_SIGNAL:
		sig_drain();
		if (sig_caught() != 0 && !s->stopping)
			stop(s);
		break;
	case WATCH_CONN:
		on_conn(s, ev->data.ptr, ev->events);
		break;
	}
}

/* The pairs that had more to move after their turn, one turn each. */
static void
run_ready(struct server *s)
{
	struct link todo;
	struct pair *p;

	if (list_empty(&s->ready))
		return;
	todo.next = s->ready.next;
	todo.prev = s->ready.prev;
	todo.next->prev = &todo;
	todo.prev->next = &todo;
	list_init(&s->ready);
	while (!list_empty(&todo)) {
		p = CONTAINER(todo.next, struct pair, ready);
		list_remove(&p->ready);
		p->on_ready = false;
		pump_later(s, p);
	}
}

/* ---- timeouts ---- */

#define HEAD(list, type, member) CONTAINER((list)->next, type, member)

static long long
seconds_ms(unsigned seconds)
{
	return (long long)seconds * 1000;
}

static void
expire_conns(struct server *s)
{
	struct conn *c;

	while (!list_empty(&s->hello) && (c = HEAD(&s->hello, struct conn,
	    timer))->since + seconds_ms(s->o->hello_s) <= s->now)
		refuse(s, c, RENDEZVOUS_E_TIMEOUT);
	while (!list_empty(&s->listen_wait) && (c = HEAD(&s->listen_wait,
	    struct conn, timer))->since + seconds_ms(s->o->wait_s) <= s->now)
		refuse(s, c, RENDEZVOUS_E_TIMEOUT);
	while (!list_empty(&s->connect_wait) && (c = HEAD(&s->connect_wait,
	    struct conn, timer))->since + seconds_ms(s->o->connect_wait_s) <=
	    s->now)
		refuse(s, c, RENDEZVOUS_E_NO_LISTENER);
	while (!list_empty(&s->closing_list) && (c = HEAD(&s->closing_list,
	    struct conn, timer))->since + LINGER_MS <= s->now)
		conn_close(s, c, false);
}

static void
expire(struct server *s)
{
	struct pair *p;
	struct rv_id *e;
	struct source *src;

	expire_conns(s);
	while (s->o->idle_s > 0 && !list_empty(&s->active) &&
	    (p = HEAD(&s->active, struct pair, active))->last_active +
	    seconds_ms(s->o->idle_s) <= s->now)
		pair_end(s, p, END_IDLE);
	while (!list_empty(&s->grown) && (p = HEAD(&s->grown, struct pair,
	    grown))->grown_at + PIPE_SHRINK_MS <= s->now)
		shrink(s, p);
	while (!list_empty(&s->graces) && (e = HEAD(&s->graces, struct rv_id,
	    grace))->grace_since + seconds_ms(s->o->nameplate_grace_s) <=
	    s->now)
		unbind_nameplate(s, e);
	while (!list_empty(&s->idle_sources) && (src = HEAD(&s->idle_sources,
	    struct source, idle))->idle_since + SOURCE_REFILL_MS <= s->now)
		source_free(s, src);
	if (s->accept_paused_until != 0 && s->accept_paused_until <= s->now) {
		s->accept_paused_until = 0;
		for (size_t i = 0; i < s->listener_count; i++)
			accept_all(s, s->listeners[i].fd);
	}
	if (s->stopping && s->stop_deadline <= s->now)
		while (!list_empty(&s->active))
			pair_end(s, HEAD(&s->active, struct pair, active),
			    END_SHUTDOWN);
}

static void
earliest(long long *d, long long t)
{
	if (*d == -1 || t < *d)
		*d = t;
}

/* Milliseconds until the next timeout, for epoll_wait(); -1: none. */
static int
next_timeout(const struct server *s)
{
	const struct link *waits[] = { &s->hello, &s->listen_wait,
	    &s->connect_wait, &s->closing_list };
	const long long ms[] = { seconds_ms(s->o->hello_s),
	    seconds_ms(s->o->wait_s), seconds_ms(s->o->connect_wait_s),
	    LINGER_MS };
	long long d = -1;

	if (!list_empty(&s->ready))
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(waits); i++)
		if (!list_empty(waits[i]))
			earliest(&d, HEAD(waits[i], struct conn, timer)->since +
			    ms[i]);
	if (s->o->idle_s > 0 && !list_empty(&s->active))
		earliest(&d, HEAD(&s->active, struct pair,
		    active)->last_active + seconds_ms(s->o->idle_s));
	if (!list_empty(&s->grown))
		earliest(&d, HEAD(&s->grown, struct pair, grown)->grown_at +
		    PIPE_SHRINK_MS);
	if (!list_empty(&s->graces))
		earliest(&d, HEAD(&s->graces, struct rv_id,
		    grace)->grace_since + seconds_ms(s->o->nameplate_grace_s));
	if (!list_empty(&s->idle_sources))
		earliest(&d, HEAD(&s->idle_sources, struct source,
		    idle)->idle_since + SOURCE_REFILL_MS);
	if (s->accept_paused_until != 0)
		earliest(&d, s->accept_paused_until);
	if (s->stopping)
		earliest(&d, s->stop_deadline);
	if (d == -1)
		return -1;
	d -= s->now;
	if (d < 0)
		return 0;
	return d > 3600 * 1000 ? 3600 * 1000 : (int)d;
}

/* ---- set-up and tear-down ---- */

/* Frees what was closed during the last batch of events. */
static void
reap(struct server *s)
{
	while (!list_empty(&s->dead_pairs)) {
		struct pair *p = HEAD(&s->dead_pairs, struct pair, active);

		list_remove(&p->active);
		free(p);
	}
	while (!list_empty(&s->dead_conns)) {
		struct conn *c = HEAD(&s->dead_conns, struct conn, timer);

		list_remove(&c->timer);
		free(c);
	}
}

static int
server_init(struct server *s, const struct relay_server_opts *o, int *fds,
    size_t count)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	struct link *lists[] = { &s->hello, &s->listen_wait,
	    &s->connect_wait, &s->closing_list, &s->active, &s->ready,
	    &s->grown, &s->graces, &s->idle_sources, &s->dead_conns,
	    &s->dead_pairs };

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->epfd = -1;
	s->now = now_ms();
	for (size_t i = 0; i < ARRAY_LEN(lists); i++)
		list_init(lists[i]);
	for (size_t i = 0; i < count && i < TCP_LISTEN_MAX; i++) {
		s->listeners[i] = (struct watch){ WATCH_LISTENER, fds[i] };
		s->listener_count++;
	}
	randombytes_buf(s->hash_key, sizeof(s->hash_key));
	s->plate_cap = o->max_waiting * BINDINGS_PER_WAITING;
	if (s->plate_cap > RENDEZVOUS_NAMEPLATE_MAX)
		s->plate_cap = RENDEZVOUS_NAMEPLATE_MAX;
	s->plate_low = 1;
	s->ids_mask = table_size(o->max_waiting + s->plate_cap) - 1;
	s->sources_mask = table_size(2 * o->max_pairs + o->max_waiting) - 1;
	s->plates = calloc(s->plate_cap + 1, sizeof(*s->plates));
	s->ids = calloc(s->ids_mask + 1, sizeof(*s->ids));
	s->sources = calloc(s->sources_mask + 1, sizeof(*s->sources));
	if (s->plates == NULL || s->ids == NULL || s->sources == NULL) {
		log_error("out of memory for the relay's tables — lower "
		    "--max-waiting or --max-pairs");
		return -1;
	}
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_errno("cannot create an epoll instance");
		return -1;
	}
	for (size_t i = 0; i < s->listener_count; i++) {
		ev.data.ptr = &s->listeners[i];
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fds[i], &ev) == -1) {
			log_errno("cannot watch the listening socket");
			return -1;
		}
	}
	if (sig_catch() == -1)
		return -1;
	s->signal = (struct watch){ WATCH_SIGNAL, sig_fd() };
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &s->signal };
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->signal.fd, &ev) == -1) {
		log_errno("cannot watch for signals");
		return -1;
	}
	return 0;
}

static void
free_conns(struct link *list)
{
	while (!list_empty(list)) {
		struct conn *c = HEAD(list, struct conn, timer);

		list_remove(&c->timer);
		if (c->fd != -1)
			close(c->fd);
		free(c);
	}
}

/* Closes and frees everything left, without a word to anyone. */
static void
server_free(struct server *s)
{
	struct link *conns[] = { &s->hello, &s->listen_wait,
	    &s->connect_wait, &s->closing_list };

	while (!list_empty(&s->active)) {
		struct pair *p = HEAD(&s->active, struct pair, active);

		list_remove(&p->active);
		for (int i = 0; i < 2; i++) {
			close(p->side[i]->fd);
			free(p->side[i]);
			close(p->dir[i].pipe_r);
			close(p->dir[i].pipe_w);
		}
		free(p);
	}
	for (size_t i = 0; i < ARRAY_LEN(conns); i++)
		free_conns(conns[i]);
	reap(s);
	for (size_t b = 0; s->ids != NULL && b <= s->ids_mask; b++)
		while (s->ids[b] != NULL) {
			struct rv_id *e = s->ids[b];

			s->ids[b] = e->next;
			free(e);
		}
	for (size_t b = 0; s->sources != NULL && b <= s->sources_mask; b++)
		while (s->sources[b] != NULL) {
			struct source *src = s->sources[b];

			s->sources[b] = src->next;
			free(src);
		}
	free(s->ids);
	free(s->sources);
	free(s->plates);
	for (size_t i = 0; i < s->listener_count; i++)
		close(s->listeners[i].fd);
	if (s->epfd != -1)
		close(s->epfd);
	sig_release();
}

int
relay_server_run(int *fds, size_t count, const struct relay_server_opts *o)
{
	struct epoll_event events[EVENTS_MAX];
	struct server s;
	int n, rc = 1;

	if (server_init(&s, o, fds, count) == -1)
		goto out;
	for (;;) {
		s.now = now_ms();
		expire(&s);
		reap(&s);
		if (s.stopping && s.pairs == 0)
			break;
		n = epoll_wait(s.epfd, events, EVENTS_MAX, next_timeout(&s));
		if (n == -1 && errno != EINTR) {
			log_errno("epoll_wait failed");
			goto out;
		}
		s.now = now_ms();
		for (int i = 0; i < n; i++)
			dispatch(&s, &events[i]);
		run_ready(&s);
		reap(&s);
	}
	rc = sig_exit_status();
out:
	server_free(&s);
	return rc;
}
