/*
 * serve_via.h - listen --via: the listener registers at a relay instead
 * of binding a port.  It waits there under its key's pseudonym (or, with
 * --code, a nameplate the relay hands out) and runs the direct listener's
 * session over each connection the relay pairs; a refused, timed-out or
 * dropped registration is made again with back-off, so it can wait for
 * hours.  With -k and --exec/--forward each paired connection is served
 * in a child, at most max_conns at once, as serve_concurrent() does.
 */
#ifndef SEALCAT_SERVE_VIA_H
#define SEALCAT_SERVE_VIA_H

#include <stdbool.h>

#include "keys/keyfile.h"
#include "rendezvous/via.h"
#include "session/conn.h"

/* The pause after a failed registration, doubling up to the maximum. */
#define SERVE_VIA_BACKOFF_FIRST_MS 100
#define SERVE_VIA_BACKOFF_MAX_MS 5000

/*
 * Serves through the relay v.  With co->code the code's words are taken
 * from co->code->prs (its number is replaced by the relay's nameplate,
 * and the code is printed).  concurrent: -k with --exec/--forward, a child
 * per pairing.  Returns the exit status.
 */
int serve_via(const struct via *v, bool keep_open, bool concurrent,
    unsigned long max_conns, struct conn_opts *co, struct identity *id);

#endif
