/*
 * dial.c - reaching the server, with connect --retry, see dial.h.
 */
#include "transport/dial.h"

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "transport/io.h"
#include "transport/proxy.h"
#include "base/log.h"
#include "transport/addr.h"
#include "transport/tcp.h"
#include "transport/unix.h"

/* Through the proxy to HOST PORT; as try_once(). */
static int
try_proxy(const struct dial *d, struct stream *st, bool *again)
{
	long long deadline = io_deadline(d->timeout_s);
	char what[sizeof(d->proxy->shown) + 8];

	snprintf(what, sizeof(what), "proxy %s", d->proxy->shown);
	if (tcp_connect_try(d->proxy->host, d->proxy->port, d->family,
	    deadline, what, st, again) == 0 &&
	    proxy_handshake(st->fd, d->proxy, d->host, d->port, deadline,
	    again) == -1)
		stream_close(st);
	/* Named by the target, for known_peers and messages. */
	if (addr_join_host_port(d->host, d->port, st->name,
	    sizeof(st->name)) == -1) {
		stream_close(st);
		if (again != NULL)
			*again = false;
		log_error("host name too long: %s", d->host);
		return -1;
	}
	/*
	 * The peer the messages and SEALCAT_PEER_ADDR name is the target:
	 * the proxy's own address says nothing about who answered, and the
	 * proxy resolved the name.  A name too long for addr keeps the
	 * proxy's address.
	 */
	if (st->fd != -1 && strlen(st->name) < sizeof(st->addr))
		memcpy(st->addr, st->name, strlen(st->name) + 1);
	return st->fd == -1 ? -1 : 0;
}

/* One try; again as tcp_connect_try(), or NULL to report everything. */
static int
try_once(const struct dial *d, struct stream *st, bool *again)
{
	if (d->open != NULL)
		return d->open(d->open_ctx, st, again);
	if (d->proxy != NULL && d->proxy->kind != PROXY_NONE &&
	    d->unix_path == NULL)
		return try_proxy(d, st, again);
	if (d->unix_path != NULL)
		return unix_connect_try(d->unix_path, NULL, st, again);
	return tcp_connect_try(d->host, d->port, d->family,
	    io_deadline(d->timeout_s), NULL, st, again);
}

int
dial_connect(const struct dial *d, struct stream *st)
{
	long long end = io_now_ms() + (long long)d->retry_s * 1000;
	int delay = DIAL_BACKOFF_FIRST_MS;
	bool again = false, said = false;

	if (d->retry_s == 0)
		return try_once(d, st, NULL);
	/* Quiet tries while a pause still fits before the end; the last
	 * one reports why it failed. */
	while (io_now_ms() + delay < end) {
		if (try_once(d, st, &again) == 0)
			return 0;
		if (!again)
			return -1;
		if (!said) {
			log_verbose("%s is not listening yet — retrying for up "
			    "to %u s", st->name, d->retry_s);
			said = true;
		}
		(void)poll(NULL, 0, delay);
		delay = delay * 2 > DIAL_BACKOFF_MAX_MS ? DIAL_BACKOFF_MAX_MS :
		    delay * 2;
	}
	return try_once(d, st, NULL);
}
