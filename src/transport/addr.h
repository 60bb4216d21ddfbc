/*
 * addr.h - network addresses as text: HOST:PORT split and joined (IPv6 in
 * brackets), socket addresses printed for messages, and which addresses
 * are loopback.  No system calls: the sockets are in tcp.c.
 */
#ifndef SEALCAT_ADDR_H
#define SEALCAT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "[" + IPv6 text + "]:" + port + NUL, with room to spare. */
#define ADDR_MAX 80

/*
 * Writes "ADDR:PORT" (IPv6 as "[ADDR]:PORT"; IPv4-mapped IPv6 addresses as
 * plain IPv4) to out, which should hold ADDR_MAX bytes.  Never fails: an
 * unknown family is written as "?".
 */
void addr_format(const struct sockaddr *sa, socklen_t sa_len, char *out,
    size_t out_cap);

/*
 * What to do when a connection to what (as tcp_connect() and
 * unix_connect() are given it: "--forward target ...", "proxy ...",
 * "relay ...", or a listener's address) is refused: the part of the
 * message after its dash.
 */
const char *addr_refused_fix(const char *what);

/* True if sa is a loopback address: 127.0.0.0/8, ::1 or
 * ::ffff:127.0.0.0/104. */
bool addr_is_loopback(const struct sockaddr *sa, socklen_t sa_len);

/*
 * Splits "HOST:PORT" or "[HOST]:PORT" into host and port (both
 * NUL-terminated).  Returns 0, or -1 (nothing reported) when there is no
 * ':' or a part is empty or too long.
 */
int addr_split_host_port(const char *arg, char *host, size_t host_cap,
    char *port, size_t port_cap);

/*
 * The inverse: "HOST:PORT", with a host that holds a ':' (an IPv6
 * literal) in brackets, so that addr_split_host_port() and a known_peers
 * line read it back.  Returns 0, or -1 (nothing reported) if it does not
 * fit in out_cap bytes.
 */
int addr_join_host_port(const char *host, const char *port, char *out,
    size_t out_cap);

#endif
