/*
 * io.h - moving bytes on a connected descriptor with a deadline: read or
 * write exactly n bytes, read a line without reading past it, look at what
 * has arrived, hold back and push a last partial segment, and end a
 * connection politely.  Any stream socket works (TCP, Unix) and so, where
 * it makes sense, does a pipe.  Knows nothing about the protocol.
 *
 * Deadlines are absolute CLOCK_MONOTONIC times in milliseconds, as returned
 * by io_deadline(); IO_NO_DEADLINE waits forever.
 */
#ifndef SEALCAT_IO_H
#define SEALCAT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define IO_NO_DEADLINE (-1LL)

/* Now, in milliseconds on CLOCK_MONOTONIC. */
long long io_now_ms(void);

/* The deadline seconds from now (seconds 0: IO_NO_DEADLINE). */
long long io_deadline(unsigned seconds);

/*
 * Milliseconds left until deadline, for poll(): -1 for IO_NO_DEADLINE,
 * 0 once it has passed.
 */
int io_remaining_ms(long long deadline);

/* Sets or clears O_NONBLOCK.  Returns the previous flags, or -1. */
int io_set_nonblock(int fd, bool on);

/*
 * Reads exactly len bytes from fd (blocking or not) before deadline.
 * Returns len, fewer bytes if the peer closed the connection first, or -1
 * with errno set (ETIMEDOUT when the deadline passed).  Nothing reported.
 */
ssize_t io_read_exact(int fd, void *buf, size_t len, long long deadline);

/*
 * Reads one line from fd into buf, never consuming a byte after its '\n'
 * (what follows may be the next protocol step), until the '\n', max bytes,
 * EOF or the deadline.  A socket is peeked and then read up to the '\n',
 * two system calls per line; any other fd is read a byte at a time.
 * Returns the bytes read ('\n' included if seen; 0 for EOF at once), or -1
 * with errno set (ETIMEDOUT when the deadline passed).  Nothing reported.
 */
ssize_t io_read_line(int fd, char *buf, size_t max, long long deadline);

/*
 * Copies what has already arrived on a socket, up to cap bytes, into buf
 * without consuming it or waiting.  Returns the count (0 at EOF), or -1
 * with errno set (EAGAIN: nothing yet; ENOTSOCK: not a socket).
 */
ssize_t io_peek(int fd, void *buf, size_t cap);

/*
 * Writes all len bytes to fd before deadline.  Returns 0, or -1 with errno
 * set (ETIMEDOUT when the deadline passed).  Nothing reported.
 */
int io_write_all(int fd, const void *buf, size_t len, long long deadline);

/*
 * io_write_all() with MSG_MORE: TCP holds back a last partial segment,
 * so what is written next can share its packet.  The caller must write
 * again without it, or call io_push(), before it waits for the peer.
 */
int io_write_more(int fd, const void *buf, size_t len, long long deadline);

/* Sends at once whatever MSG_MORE held back (TCP_NODELAY pushes it). */
void io_push(int fd);

/*
 * Ends a connection after telling the peer why (an ERROR frame, our
 * preamble): shuts down our sending side, then reads and discards until the
 * peer closes or max_ms pass, then closes.  Closing with unread data would
 * send a reset, which can destroy what we just sent before the peer reads
 * it.
 */
void io_linger_close(int fd, int max_ms);

#endif
