/*
 * net.h - TCP plumbing: resolve, listen/accept, connect with a deadline,
 * read and write exactly n bytes with a deadline, socket tuning, and
 * printing addresses.  Knows nothing about the protocol.
 *
 * Deadlines are absolute CLOCK_MONOTONIC times in milliseconds, as returned
 * by net_deadline(); NET_NO_DEADLINE waits forever.
 */
#ifndef SEALCAT_NET_H
#define SEALCAT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define NET_NO_DEADLINE (-1LL)
/* "[" + IPv6 text + "]:" + port + NUL, with room to spare. */
#define NET_ADDR_MAX 80
/* Enough listening sockets for every address a name resolves to. */
#define NET_LISTEN_MAX 16

/* Now, in milliseconds on CLOCK_MONOTONIC. */
long long net_now_ms(void);

/* The deadline seconds from now (seconds 0: NET_NO_DEADLINE). */
long long net_deadline(unsigned seconds);

/*
 * Milliseconds left until deadline, for poll(): -1 for NET_NO_DEADLINE,
 * 0 once it has passed.
 */
int net_remaining_ms(long long deadline);

/*
 * Writes "ADDR:PORT" (IPv6 as "[ADDR]:PORT"; IPv4-mapped IPv6 addresses as
 * plain IPv4) to out, which should hold NET_ADDR_MAX bytes.  Never fails:
 * an unknown family is written as "?".
 */
void net_format_addr(const struct sockaddr *sa, socklen_t sa_len, char *out,
    size_t out_cap);

/* The peer's address of a connected socket, formatted as above. */
void net_peer_addr(int fd, char *out, size_t out_cap);

/*
 * Binds and listens on every address host resolves to for port (host NULL:
 * the wildcard of both families, or of family alone).  family is AF_UNSPEC,
 * AF_INET or AF_INET6.  With port "0", every socket gets the port the first
 * one was given.  Prints "listening on ADDR:PORT" per socket with -v.  The
 * sockets are non-blocking and close-on-exec.  Returns 0 and fills fds
 * (fds_cap at least NET_LISTEN_MAX) and *count, or -1 after reporting.
 */
int net_listen(const char *host, const char *port, int family, int *fds,
    size_t fds_cap, size_t *count);

/*
 * Accepts one connection on a listening socket.  The new socket is
 * blocking, close-on-exec and tuned (net_tune()); its peer is formatted
 * into peer (NET_ADDR_MAX bytes).  Returns the socket, or -1 with errno set
 * and nothing reported (EAGAIN when there was nothing to accept).
 */
int net_accept(int listen_fd, char *peer, size_t peer_cap);

/*
 * Connects to host:port, trying each resolved address in turn until one
 * answers, all within deadline.  The socket is blocking, close-on-exec and
 * tuned; the address connected to is formatted into peer.  what names the
 * target in messages ("HOST:PORT" or "--forward target HOST:PORT").
 * Returns the socket, or -1 after reporting.
 */
int net_connect(const char *host, const char *port, int family,
    long long deadline, const char *what, char *peer, size_t peer_cap);

/* True if sa is a loopback address: 127.0.0.0/8, ::1 or
 * ::ffff:127.0.0.0/104. */
bool net_is_loopback(const struct sockaddr *sa, socklen_t sa_len);

/*
 * TCP_NODELAY (small interactive writes go out at once; the relay only
 * writes whole frames) and, when the peer is on loopback (the caller knows
 * its address), the non-pacing Reno congestion control.  The socket
 * buffers are left to the kernel's autotuning.  Failures are ignored:
 * these are hints.
 */
void net_tune(int fd, bool loopback);

/* Sets or clears O_NONBLOCK.  Returns the previous flags, or -1. */
int net_set_nonblock(int fd, bool on);

/*
 * Reads exactly len bytes from fd (blocking or not) before deadline.
 * Returns len, fewer bytes if the peer closed the connection first, or -1
 * with errno set (ETIMEDOUT when the deadline passed).  Nothing reported.
 */
ssize_t net_read_exact(int fd, void *buf, size_t len, long long deadline);

/*
 * Writes all len bytes to fd before deadline.  Returns 0, or -1 with errno
 * set (ETIMEDOUT when the deadline passed).  Nothing reported.
 */
int net_write_all(int fd, const void *buf, size_t len, long long deadline);

/*
 * net_write_all() with MSG_MORE: TCP holds back a last partial segment,
 * so what is written next can share its packet.  The caller must write
 * again without it, or call net_push(), before it waits for the peer.
 */
int net_write_more(int fd, const void *buf, size_t len, long long deadline);

/* Sends at once whatever MSG_MORE held back (TCP_NODELAY pushes it). */
void net_push(int fd);

/*
 * Ends a connection after telling the peer why (an ERROR frame, our
 * preamble): shuts down our sending side, then reads and discards until the
 * peer closes or max_ms pass, then closes.  Closing with unread data would
 * send a reset, which can destroy what we just sent before the peer reads
 * it.
 */
void net_linger_close(int fd, int max_ms);

/*
 * Splits "HOST:PORT" or "[HOST]:PORT" into host and port (both
 * NUL-terminated).  Returns 0, or -1 (nothing reported) when there is no
 * ':' or a part is empty or too long.
 */
int net_split_host_port(const char *arg, char *host, size_t host_cap,
    char *port, size_t port_cap);

#endif
