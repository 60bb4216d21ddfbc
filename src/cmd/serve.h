/*
 * serve.h - the listener's supervisor: what `sealcat listen` does with its
 * listening sockets once they are bound.  One session on stdio, -k one
 * after another on stdio, or -k with --exec/--forward a child process per
 * connection, at most max_conns at once, each doing its own handshake
 * under -w so a slow client never holds up the accept loop.  Failing
 * accept() (out of descriptors) is retried with back-off and said once;
 * failed attempts before authentication are paced.
 */
#ifndef SEALCAT_SERVE_H
#define SEALCAT_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "session/conn.h"
#include "transport/dial.h"
#include "keys/keyfile.h"

/*
 * One session on stdio, or with keep_open one after another.  A one-shot
 * listener goes on waiting after an attempt that fails before the client
 * is authorized (a port scan, a wrong key, a stranger's protocol): its
 * exit status is that of the one session it serves.  Returns the exit
 * status.
 */
int serve_serial(int *fds, size_t count, bool keep_open,
    struct conn_opts *co);

/*
 * -k with --exec or --forward: a child per connection, at most max_conns
 * at once.  The loop polls the listening sockets and the signal self-pipe
 * (sig.h), which SIGCHLD and the stop signals write to, so a child's exit
 * or a signal always wakes it.  On SIGINT/SIGTERM/SIGHUP the children are
 * sent SIGTERM and waited for.  id is wiped in each child before it exits.
 * Returns the exit status.
 */
int serve_concurrent(int *fds, size_t count, unsigned long max_conns,
    struct conn_opts *co, struct identity *id);

/*
 * connect --local: a child per local client accepted on fds, at most
 * max_conns at once, as serve_concurrent(); each child takes the client as
 * its stdin and stdout, connects to dial (dial_connect()) and runs the
 * session there as the initiator (co->trust's host_port set to the name
 * the server's stream reports).  Returns the exit status.
 */
int serve_local(int *fds, size_t count, unsigned long max_conns,
    struct conn_opts *co, struct identity *id, const struct dial *dial);

/*
 * listen --inetd: the one session on the connection on stdin and stdout
 * (activate_inetd()), with --exec or --forward as the plaintext.  Returns
 * the exit status: that of the session.
 */
int serve_inetd(struct conn_opts *co);

/* Closes the count descriptors of fds that are open and sets them to -1. */
void serve_close(int *fds, size_t count);

#endif
