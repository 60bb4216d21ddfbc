/*
 * tcp.h - the TCP transport: resolve, listen, accept, connect with a
 * deadline, and tune the sockets.  A connection comes out as a struct
 * stream (stream.h); what runs on it is the session's business.
 */
#ifndef SEALCAT_TCP_H
#define SEALCAT_TCP_H

#include <stdbool.h>
#include <stddef.h>

#include "transport/stream.h"

/* Enough listening sockets for every address a name resolves to. */
#define TCP_LISTEN_MAX 16

/*
 * Binds and listens on every address host resolves to for port (host NULL:
 * the wildcard of both families, or of family alone).  family is AF_UNSPEC,
 * AF_INET or AF_INET6.  With port "0", every socket gets the port the first
 * one was given.  Prints "listening on ADDR:PORT" per socket with -v.  The
 * sockets are non-blocking and close-on-exec.  Returns 0 and fills fds
 * (fds_cap at least TCP_LISTEN_MAX) and *count, or -1 after reporting.
 */
int tcp_listen(const char *host, const char *port, int family, int *fds,
    size_t fds_cap, size_t *count);

/*
 * Accepts one connection on a listening socket into st: blocking,
 * close-on-exec and tuned (tcp_tune()), addr the client's address, name ""
 * (a client is known by its key).  Returns 0, or -1 with errno set and
 * nothing reported (EAGAIN when there was nothing to accept).
 */
int tcp_accept(int listen_fd, struct stream *st);

/*
 * Connects to host:port, trying each resolved address in turn until one
 * answers, all within deadline, into st: blocking, close-on-exec and tuned,
 * addr the address connected to, name "HOST:PORT" as given (an IPv6
 * literal in brackets, addr_join_host_port()).  what names the target in
 * messages ("--forward target HOST:PORT"); NULL: the name.  Returns 0, or
 * -1 after reporting.
 */
int tcp_connect(const char *host, const char *port, int family,
    long long deadline, const char *what, struct stream *st);

/*
 * As tcp_connect(), but when no address accepted because the connection
 * was refused or there was no route (ECONNREFUSED, ENETUNREACH,
 * EHOSTUNREACH), nothing is reported and *again is set: a listener that
 * is not up yet, worth another try (connect --retry).  *again is false
 * after any other failure, which is reported.
 */
int tcp_connect_try(const char *host, const char *port, int family,
    long long deadline, const char *what, struct stream *st, bool *again);

/*
 * TCP_NODELAY (small interactive writes go out at once; the relay only
 * writes whole frames) and, when the peer is on loopback (the caller knows
 * its address), the non-pacing Reno congestion control.  The socket
 * buffers are left to the kernel's autotuning.  Failures are ignored:
 * these are hints.
 */
void tcp_tune(int fd, bool loopback);

/* Writes the address of fd's peer as addr_format() does ("?" if it has
 * none) to out, which should hold ADDR_MAX bytes. */
void tcp_peer_addr(int fd, char *out, size_t out_cap);

#endif
