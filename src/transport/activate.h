/*
 * activate.h - descriptors a listener inherits instead of making them:
 * listening sockets passed by systemd's socket activation (LISTEN_FDS,
 * LISTEN_PID; sd_listen_fds(3)), and one connection already accepted on
 * stdin/stdout (listen --inetd: inetd, systemd Accept=yes, socat EXEC:).
 */
#ifndef SEALCAT_ACTIVATE_H
#define SEALCAT_ACTIVATE_H

#include <stddef.h>

#include "transport/stream.h"

/* The first descriptor systemd passes (SD_LISTEN_FDS_START). */
#define ACTIVATE_FD_START 3

/*
 * The listening sockets systemd passed to this process, if LISTEN_PID
 * names it: checked to be listening stream sockets, made non-blocking and
 * close-on-exec, and the variables removed from the environment so no
 * child takes them for its own.  Prints "listening on ADDR (from
 * systemd)" per socket with -v.  Returns 0 and fills fds (fds_cap at
 * least TCP_LISTEN_MAX) and *count (0: none were passed), or -1 after
 * reporting.
 */
int activate_listen_fds(int *fds, size_t fds_cap, size_t *count);

/*
 * listen --inetd: the connection on stdin and stdout (one socket) taken
 * into st, on a descriptor of its own; stdin and stdout then read from and
 * write to /dev/null, and so does stderr if it was that socket too (a
 * message must never land in the encrypted stream).  Returns 0, or -1
 * after reporting.
 */
int activate_inetd(struct stream *st);

#endif
