/*
 * dial.h - connect's way to the server: a TCP HOST PORT or a unix:PATH,
 * tried again with back-off while the listener is not up yet (connect
 * --retry).  Only reaching the listener is retried; what follows (the
 * handshake, authentication) is never tried twice.
 */
#ifndef SEALCAT_DIAL_H
#define SEALCAT_DIAL_H

#include <stdbool.h>

#include "transport/stream.h"

struct proxy;

/* The first pause between tries, and the longest, for --retry. */
#define DIAL_BACKOFF_FIRST_MS 100
#define DIAL_BACKOFF_MAX_MS 2000

struct dial {
	const char *host;	/* HOST PORT, or */
	const char *port;
	const char *unix_path;	/* unix:PATH (non-NULL) */
	int family;		/* -4/-6 */
	unsigned timeout_s;	/* -w: each try */
	unsigned retry_s;	/* --retry: keep trying this long; 0: once */
	/* Or, non-NULL, instead of HOST PORT: reach the listener this way
	 * (connect --via, via_dial()); returns 0, or -1 with *again set
	 * when another try may work (nothing reported then), else after
	 * reporting; again NULL: report every failure. */
	int (*open)(void *ctx, struct stream *st, bool *again);
	void *open_ctx;
	const struct proxy *proxy;	/* --proxy for HOST PORT; NULL: direct */
};

/*
 * Connects to d into st (tcp_connect(), unix_connect()).  With retry_s,
 * a refused or unreachable listener is tried again, the pauses doubling
 * from DIAL_BACKOFF_FIRST_MS to DIAL_BACKOFF_MAX_MS, until retry_s have
 * passed; -v says so once.  Through a proxy (proxy.h) the stream
 * is the tunnel, named HOST:PORT as a direct one would be.  Returns 0, or -1 after reporting (the last
 * try's failure).
 */
int dial_connect(const struct dial *d, struct stream *st);

#endif
