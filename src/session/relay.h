/*
 * relay.h - the transport phase (PROTOCOL.md §3): one poll() loop moving
 * plaintext from the local side into sealed frames on the socket and
 * opened frames back out, with back-pressure both ways.  It drives the
 * ending (ending.h: CLOSE, DONE, ERROR, PING) and the rekey rounds
 * (rekey.h: REKEY, SWITCH) and turns their outcome into a relay_end.
 */
#ifndef SEALCAT_RELAY_H
#define SEALCAT_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/ending.h"
#include "session/frame.h"
#include "session/local.h"
#include "noise/noise.h"
#include "session/progress.h"
#include "session/rekey.h"

struct relay_opts {
	bool recv_only;		/* never read input: CLOSE at once */
	bool send_only;		/* discard what arrives */
	bool exit_with_peer;	/* the peer's CLOSE ends our input too */
	bool fsync;		/* --fsync: a regular-file output is fsync()ed
				 * before DONE confirms it */
	unsigned idle_s;	/* give up after this long without traffic */
	unsigned keepalive_s;	/* send a PING after this long idle */
	unsigned rekey_interval_s;	/* --rekey-interval, for rekey_init();
				 * 0: rounds by volume only */
	bool progress;		/* --progress: a status line on stderr */
	bool size_known;	/* --size was given: size */
	uint64_t size;
};

/* How a relay ended.  Every failure has already been reported. */
enum relay_end {
	RELAY_DONE,		/* ENDING_OK: both streams delivered and
				 * confirmed with DONE; exit 0 */
	RELAY_PEER_FAILED,	/* the connection ended before the end (no
				 * CLOSE, no DONE), a peer's ERROR, a socket
				 * error */
	RELAY_BAD_FRAME,	/* a frame failed to open or broke a rule */
	RELAY_OUTPUT_FAILED,	/* writing, fsync()ing or closing the output
				 * failed; out_errno says why */
	RELAY_INPUT_FAILED,	/* reading the input failed */
	RELAY_LOCAL_FAILED,	/* no key pair for a rekey round, no nonce
				 * left */
	RELAY_IDLE,		/* --idle expired */
	RELAY_INTERRUPTED	/* SIGINT, SIGTERM or SIGHUP (sig_caught());
				 * not reported */
};

struct relay {
	int sock;
	struct local *local;
	struct cipher_state *send_cs;
	struct cipher_state *recv_cs;
	struct rekey *rekey;	/* the caller's, like the cipher states */
	struct ending end;
	struct relay_opts opts;
	const char *peer;	/* "ADDR:PORT", for messages */

	/* Outgoing: one sealed frame, s_off of its s_len bytes sent. */
	uint8_t *sbuf;
	size_t s_len;
	size_t s_off;
	enum frame_type s_type;	/* our keepalives are not traffic */
	bool s_more;		/* send it with MSG_MORE: more follows at once */
	bool corked;		/* TCP may hold back our last bytes (MSG_MORE);
				 * pushed before the loop waits */

	/* Incoming: bytes rbuf[r_off..r_len) not yet consumed; a DATA body
	 * being written out is out_len bytes at out_ptr (inside rbuf). */
	uint8_t *rbuf;
	size_t r_off;
	size_t r_len;
	const uint8_t *out_ptr;
	size_t out_len;

	bool in_open;		/* still reading input */
	size_t in_left;		/* input ending by rule: what was readable
				 * then and is still to be sent, or 0 */
	bool peer_closed;	/* the peer's CLOSE has arrived */
	bool output_done;	/* ... and its stream was delivered (or that
				 * failed) */
	bool rx_done;		/* the connection's receiving side ended after
				 * the peer's CLOSE and DONE: not read again */
	int out_errno;		/* RELAY_OUTPUT_FAILED: why */
	long long last_traffic;	/* ms: stream data or a peer's frame moved */
	long long last_sent;	/* ms: frame sealed, for keepalives */

	uint64_t bytes_sent;	/* plaintext stream bytes each way */
	uint64_t bytes_received;
	struct progress progress;	/* opts.progress: the status line */
	bool progress_out_tty;	/* redrawn in place, stdout a terminal:
				 * plain lines from the first byte out */
};

/*
 * Maps the two frame buffers of a zeroed r ahead of relay_init(), so that
 * it can be done while the peer is busy (conn.c does it while it waits
 * for a handshake message).  Returns 0, or -1 after reporting; relay_free()
 * undoes it either way.
 */
int relay_reserve(struct relay *r);

/*
 * Sets up a relay between sock (made non-blocking) and the local side,
 * sealing with send and opening with recv, with rekey (from rekey_init()
 * at Split) for the rekey rounds.  The three stay owned by the caller and
 * must outlive the relay; rekey may be NULL for a relay that is never run,
 * only used for relay_send_error().  r must be zeroed, or hold what
 * relay_reserve() mapped; the frame buffers are mapped once, here if not
 * before.  Returns 0, or -1 after reporting.
 */
int relay_init(struct relay *r, int sock, struct local *local,
    struct cipher_state *send, struct cipher_state *recv,
    struct rekey *rekey, const struct relay_opts *opts, const char *peer);

/*
 * Runs until the session is over (PROTOCOL.md §3.4): RELAY_DONE once both
 * sides sent CLOSE and DONE and everything went out (the socket is then
 * shut down for writing), or a failure (reported), or a caught signal
 * (the relay polls sig_fd() when sig_catch() was called).  With
 * opts.progress the status line is kept up on stderr meanwhile, and its
 * final line printed at the end, however it ended; the size is opts.size,
 * else that of a regular file the input is read from (what is left of it
 * after its offset).
 */
enum relay_end relay_run(struct relay *r);

/*
 * Tells the peer why we stop: finishes the frame in hand (it is sealed, so
 * the peer needs it to open the next one), then sends one ERROR frame with
 * reason, before deadline.  ERROR may go until we have sent both CLOSE and
 * DONE, so after our CLOSE too ("could not deliver your stream: ..."), but
 * not after a protocol error by the peer (an abort) or our own ERROR.
 * Best effort: returns 0 if the ERROR was sent, -1 if not; nothing
 * reported.
 */
int relay_send_error(struct relay *r, const char *reason, long long deadline);

/* Sends at once what MSG_MORE held back, if anything. */
void relay_push(struct relay *r);

/* Wipes and frees the buffers; accepts a relay that was never set up
 * (zeroed) and NULL. */
void relay_free(struct relay *r);

#endif
