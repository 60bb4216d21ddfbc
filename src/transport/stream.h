/*
 * stream.h - a connected byte stream, all a session needs of its
 * transport: the descriptor, the peer's address for messages, the peer's
 * name for trust files, and how the stream ended.  How it was obtained
 * (tcp.c today; later a Unix socket, a proxy, a relay, an inherited fd)
 * is the business of one file per kind, which fills one in; the session
 * (conn.c) moves bytes on fd with io.h and ends it here.
 */
#ifndef SEALCAT_STREAM_H
#define SEALCAT_STREAM_H

#include "transport/addr.h"

/* The peer's name: "HOST:PORT" with a host of up to 255 bytes and room to
 * spare; as long as struct trust's host_port. */
#define STREAM_NAME_MAX 300

enum stream_end {
	STREAM_OPEN,		/* not ended yet */
	STREAM_CLOSED,		/* closed at once (stream_close()) */
	STREAM_LINGERED		/* our side shut down and the peer's close
				 * awaited (stream_linger_close()) */
};

struct stream {
	int fd;			/* connected, blocking, close-on-exec;
				 * -1 once ended */
	/* The peer's address as the transport sees it, for messages and
	 * SEALCAT_PEER_ADDR: "192.0.2.7:9000", "[2001:db8::1]:22". */
	char addr[ADDR_MAX];
	/*
	 * The peer's name as trust files know it (known_peers): for TCP the
	 * HOST:PORT the user asked for, "[::1]:9000" for an IPv6 literal;
	 * "" when the peer is known by its key alone (a client we accepted).
	 */
	char name[STREAM_NAME_MAX];
	enum stream_end end;
};

/* An empty stream: no descriptor, no address or name, STREAM_OPEN. */
void stream_init(struct stream *st);

/* Closes the descriptor now (end STREAM_CLOSED).  Does nothing once the
 * stream has ended. */
void stream_close(struct stream *st);

/*
 * Ends the stream after we told the peer why (an ERROR frame, our
 * preamble), without a reset destroying it: see io_linger_close(), which
 * waits up to max_ms (end STREAM_LINGERED).  Does nothing once the stream
 * has ended.
 */
void stream_linger_close(struct stream *st, int max_ms);

#endif
