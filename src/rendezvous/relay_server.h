/*
 * relay_server.h - sealcat relay: the blind rendezvous relay (PROTOCOL.md,
 * "Relay protocol").  One process, one epoll loop, non-blocking sockets:
 * it reads each client's request line (rendezvous.h), pairs a LISTEN with
 * a CONNECT for the same id, and then moves the bytes of each pair with
 * splice(2) through a pipe per direction, never looking at them.  It holds
 * no key and cannot read or change a session without its handshake
 * failing.
 */
#ifndef SEALCAT_RELAY_SERVER_H
#define SEALCAT_RELAY_SERVER_H

#include <stddef.h>
#include <stdint.h>

/* The limits; cmd_relay.c fills them from the command line. */
struct relay_server_opts {
	unsigned long max_pairs;	/* pairs at once */
	unsigned long max_waiting;	/* sides waiting for a partner */
	unsigned long max_per_source;	/* connections per source address */
	unsigned long source_rate;	/* new connections per second per
					 * source address (burst: as many) */
	unsigned hello_s;		/* time to send the request line */
	unsigned wait_s;		/* a LISTEN waits this long */
	unsigned connect_wait_s;	/* a CONNECT or CLAIM, this long */
	unsigned idle_s;		/* a silent pair is reset after this */
	uint64_t max_bytes;		/* per pair, both ways; 0: no cap */
	unsigned nameplate_grace_s;	/* a nameplate outlives its LISTEN */
	unsigned shutdown_grace_s;	/* pairs may finish after SIGTERM */
};

/*
 * Serves on the listening sockets fds[0..count) (non-blocking, from
 * tcp_listen()) until SIGINT, SIGTERM or SIGHUP: then it closes them,
 * refuses every side still waiting, lets the pairs run for
 * shutdown_grace_s, resets what is left and returns sig_exit_status().
 * The sockets are closed on return.  Returns 1 after reporting a failure
 * that stops the relay (no memory at the start, epoll failing).
 */
int relay_server_run(int *fds, size_t count,
    const struct relay_server_opts *opts);

#endif
