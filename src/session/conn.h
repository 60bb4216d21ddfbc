/*
 * conn.h - one connection from its first byte to its result: the preamble,
 * the Noise XX handshake with the trust decisions, Split(), the local side
 * (stdio, --exec or --forward) and the relay.  PROTOCOL.md §1-§3.  It runs
 * on a connected struct stream, however the transport obtained it.
 */
#ifndef SEALCAT_CONN_H
#define SEALCAT_CONN_H

#include <stdbool.h>

#include "pake/code.h"
#include "keys/keyfile.h"
#include "noise/noise.h"
#include "session/relay.h"
#include "transport/stream.h"
#include "keys/trust.h"

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

/*
 * Code mode (PROTOCOL.md, "Code mode"): CPace on the code, then Noise
 * XXpsk0 keyed by it.  In secret memory; the listener's serves every try
 * of the one code and wipes prs once message 1 verified.
 */
struct conn_code {
	char prs[CODE_TEXT_MAX];	/* the canonical code */
	size_t prs_len;			/* 0: used up */
	unsigned long tries_max;	/* listener: --code-tries */
	unsigned long tries;		/* listener: B sent so far */
	bool one_time;			/* our static key is a one-time key */
	/* --pair: record the peer's persistent key once the handshake is
	 * done, in pair_trust (connect: known_peers, trust_new) or in the
	 * authorized_peers file pair_path (listen). */
	bool pair;
	struct trust *pair_trust;
	const char *pair_path;
};

struct conn_opts {
	enum role role;
	struct conn_code *code;		/* code mode, or NULL */
	const struct identity *id;
	struct trust *trust;
	unsigned timeout_s;	/* -w: the whole handshake, and --forward */
	const char *exec_cmd;	/* -e CMD, or NULL */
	const char *forward_host;	/* --forward HOST:PORT, or NULL */
	const char *forward_port;	/* NULL: forward_host is a Unix
					 * socket path (--forward unix:) */
	int family;		/* -4/-6 for the --forward target */
	int proxy_protocol;	/* --proxy-protocol: enum haproxy_version,
				 * 0: off */
	bool keep_output;	/* listen -k on stdio */
	struct ephemeral *ephemeral;	/* prepared, or NULL */
	/* Non-NULL: id came from this key file by keyfile_load_unchecked(),
	 * and the initiator runs identity_check() while it waits for
	 * message 2, before message 3 reveals the key. */
	const char *id_unchecked;
	/* A one-shot listener's sockets, or NULL: closed (and set to -1)
	 * once the client is authorized, so later clients are refused
	 * instead of queueing behind the one session it serves. */
	int *listen_fds;
	size_t listen_count;
	struct relay_opts relay;
};

/* How a connection ended, for the cmd_ file to turn into an exit status. */
enum conn_result {
	CONN_DONE,		/* both streams ended with CLOSE: exit 0 */
	CONN_FAILED,		/* reported: exit 1 */
	CONN_BAD_IDENTITY,	/* our key file failed identity_check(),
				 * reported: exit 2 */
	CONN_INTERRUPTED,	/* SIGINT, SIGTERM or SIGHUP stopped it
				 * (sig_caught() says which), nothing
				 * reported: main() ends the process by the
				 * signal */
	CONN_NO_SESSION		/* a responder's connection failed before
				 * the client was authorized (preamble,
				 * handshake, trust, -w), reported: no
				 * session, no byte of the local side
				 * touched */
};

/*
 * Runs one connection on st (connected; st->addr names the peer in
 * messages and for --exec) and ends it.  Returns 0 when both streams ended
 * with CLOSE and everything was written out, or -1; either way *result
 * says how it ended.
 *
 * Once the session is up it catches SIGINT, SIGTERM and SIGHUP (sig.h):
 * the peer is sent ERROR "interrupted by SIGNAME" (unless our CLOSE went
 * first), an --exec command is stopped with its process group, and stdio
 * is put back.  Before that, and after it returns, they keep the
 * dispositions they had.
 */
int conn_run(struct stream *st, const struct conn_opts *o,
    enum conn_result *result);

/*
 * Whether pub, the peer's static key as the handshake revealed it, may be
 * trusted or recorded: it must be the canonical encoding of a valid key
 * for suite (suite->pub_problem()), or else its token is one that
 * token_parse() refuses, and a known_peers line made of it would break the
 * file.  peer names the peer in the message.  Returns 0, or -1 after
 * reporting.
 */
int conn_check_peer_key(const struct suite *suite, const uint8_t *pub,
    const char *peer);

#endif
