/*
 * dial.c - reaching the server, with connect --retry, see dial.h.
 */
#include "transport/dial.h"

#include <poll.h>
#include <stdbool.h>

#include "transport/io.h"
#include "base/log.h"
#include "transport/tcp.h"
#include "transport/unix.h"

/* One try; again as tcp_connect_try(), or NULL to report everything. */
static int
try_once(const struct dial *d, struct stream *st, bool *again)
{
	if (d->open != NULL)
		return d->open(d->open_ctx, st, again);
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
