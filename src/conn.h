/*
 * conn.h - one connection from its first byte to its result: the preamble,
 * the Noise XX handshake with the trust decisions, Split(), the local side
 * (stdio, --exec or --forward) and the relay.  PROTOCOL.md §1-§3.
 */
#ifndef SEALCAT_CONN_H
#define SEALCAT_CONN_H

#include <stdbool.h>

#include "keyfile.h"
#include "noise.h"
#include "relay.h"
#include "trust.h"

struct conn_opts {
	enum role role;
	const struct identity *id;
	struct trust *trust;
	unsigned timeout_s;	/* -w: the whole handshake, and --forward */
	const char *exec_cmd;	/* -e CMD, or NULL */
	const char *forward_host;	/* --forward HOST:PORT, or NULL */
	const char *forward_port;
	int family;		/* -4/-6 for the --forward target */
	bool keep_output;	/* listen -k on stdio */
	struct relay_opts relay;
};

/*
 * Runs one connection on sock (connected to peer, "ADDR:PORT") and closes
 * it.  Returns 0 when both streams ended with CLOSE and everything was
 * written out, or -1 after reporting what went wrong (the caller exits 1).
 */
int conn_run(int sock, const char *peer, const struct conn_opts *o);

#endif
