/*
 * stream.c - ending a connected stream, see stream.h.  Every kind of
 * stream today is a socket descriptor, so every kind ends the same way.
 */
#include "transport/stream.h"

#include <string.h>
#include <unistd.h>

#include "transport/io.h"

void
stream_init(struct stream *st)
{
	memset(st, 0, sizeof(*st));
	st->fd = -1;
	st->end = STREAM_OPEN;
}

void
stream_close(struct stream *st)
{
	if (st->fd == -1)
		return;
	close(st->fd);
	st->fd = -1;
	st->end = STREAM_CLOSED;
}

void
stream_linger_close(struct stream *st, int max_ms)
{
	if (st->fd == -1)
		return;
	io_linger_close(st->fd, max_ms);
	st->fd = -1;
	st->end = STREAM_LINGERED;
}
