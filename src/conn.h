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

/*
 * An ephemeral key pair made ahead of a connection, so that the handshake
 * does not make one on the connection's time: a listener makes it while it
 * waits for the connection, connect before it connects (so that message 1
 * follows the TCP handshake at once).  conn_run() uses it once and wipes
 * it.
 */
struct ephemeral {
	bool ready;
	uint8_t priv[SUITE_PRIV_LEN];
	uint8_t pub[SUITE_PUB_MAX];
};

/* Makes a pair for suite unless e holds one; on failure e stays empty and
 * the handshake makes its own.  e belongs in secret memory (secret_alloc()).
 */
void conn_prepare_ephemeral(struct ephemeral *e, const struct suite *suite);

/* Wipes e: it is not ready any more. */
void conn_clear_ephemeral(struct ephemeral *e);

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
	struct ephemeral *ephemeral;	/* prepared, or NULL */
	/* Non-NULL: id came from this key file by keyfile_load_unchecked(),
	 * and the initiator runs identity_check() while it waits for
	 * message 2, before message 3 reveals the key. */
	const char *id_unchecked;
	struct relay_opts relay;
};

/* conn_run()'s result for a key file that failed identity_check(). */
#define CONN_BAD_IDENTITY (-2)
/* conn_run()'s result when SIGINT, SIGTERM or SIGHUP stopped it
 * (sig_caught() says which); nothing reported. */
#define CONN_INTERRUPTED (-3)

/*
 * Runs one connection on sock (connected to peer, "ADDR:PORT") and closes
 * it.  Returns 0 when both streams were delivered and confirmed (both
 * sides sent CLOSE and DONE, PROTOCOL.md §3.4), or -1 after reporting what
 * went wrong (the caller exits 1), or CONN_BAD_IDENTITY after reporting
 * (exit 2), or CONN_INTERRUPTED (the caller stops, and main() ends the
 * process by the signal).
 *
 * Once the session is up it catches SIGINT, SIGTERM and SIGHUP (sig.h):
 * the peer is sent ERROR "interrupted by SIGNAME" (unless we had sent
 * both CLOSE and DONE), an --exec command is stopped with its process
 * group, and stdio is put back.  Before that, and after it returns, they
 * keep the dispositions they had.
 */
int conn_run(int sock, const char *peer, const struct conn_opts *o);

#endif
