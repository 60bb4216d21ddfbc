/*
 * io.c - bytes on a connected descriptor with deadlines, see io.h.  Reads
 * and writes try first and poll() only when the descriptor is not ready:
 * the bytes asked for have usually arrived, or fit, already.
 */
#include "transport/io.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

long long
io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
io_deadline(unsigned seconds)
{
	if (seconds == 0)
		return IO_NO_DEADLINE;
	return io_now_ms() + (long long)seconds * 1000;
}

int
io_remaining_ms(long long deadline)
{
	long long left;

	if (deadline == IO_NO_DEADLINE)
		return -1;
	left = deadline - io_now_ms();
	if (left <= 0)
		return 0;
	/* cli_seconds() caps timeouts at a day, far below INT_MAX ms. */
	return left > 86400LL * 1000 ? 86400 * 1000 : (int)left;
}

int
io_set_nonblock(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	if (fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
	    == -1)
		return -1;
	return flags;
}

/* Waits until fd is ready for events or deadline.  Returns 0, or -1 with
 * errno set. */
static int
wait_ready(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	for (;;) {
		n = poll(&pfd, 1, io_remaining_ms(deadline));
		if (n > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

ssize_t
io_read_exact(int fd, void *buf, size_t len, long long deadline)
{
	bool is_socket = true;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (is_socket)
			n = recv(fd, (char *)buf + got, len - got,
			    MSG_DONTWAIT);
		else if (wait_ready(fd, POLLIN, deadline) == -1)
			return -1;
		else
			n = read(fd, (char *)buf + got, len - got);
		if (n == 0)
			break;
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (errno == ENOTSOCK && is_socket)
			is_socket = false;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_ready(fd, POLLIN, deadline) == -1)
				return -1;
		} else if (errno != EINTR)
			return -1;
	}
	return (ssize_t)got;
}

/* io_read_line() for fds that are not sockets (pipes in tests and
 * fuzzing): one byte per read(), so nothing past the '\n' is consumed.
 * got bytes are already in buf. */
static ssize_t
read_line_bytewise(int fd, char *buf, size_t got, size_t max,
    long long deadline)
{
	ssize_t n;

	while (got < max) {
		if (wait_ready(fd, POLLIN, deadline) == -1)
			return -1;
		n = read(fd, buf + got, 1);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		if (buf[got++] == '\n')
			break;
	}
	return (ssize_t)got;
}

/* Consumes take bytes that a peek has shown are queued: read() returns at
 * once, possibly short if interrupted.  Returns the bytes consumed, or -1
 * with errno set. */
static ssize_t
consume(int fd, char *buf, size_t take)
{
	size_t done = 0;
	ssize_t n;

	while (done < take) {
		n = read(fd, buf + done, take - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t
io_read_line(int fd, char *buf, size_t max, long long deadline)
{
	size_t got = 0, take;
	ssize_t n;
	char *nl;

	/* Peek at what has arrived, then consume exactly the bytes that
	 * belong to the line: up to and including a '\n' if one is there,
	 * else everything seen (it is all line). */
	while (got < max) {
		n = recv(fd, buf + got, max - got, MSG_PEEK | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == ENOTSOCK)
				return read_line_bytewise(fd, buf, got, max,
				    deadline);
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (wait_ready(fd, POLLIN, deadline) == -1)
					return -1;
				continue;
			}
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		nl = memchr(buf + got, '\n', (size_t)n);
		take = nl != NULL ? (size_t)(nl - (buf + got)) + 1 : (size_t)n;
		if ((n = consume(fd, buf + got, take)) == -1)
			return -1;
		got += (size_t)n;
		if ((size_t)n < take || nl != NULL)
			break;
	}
	return (ssize_t)got;
}

ssize_t
io_peek(int fd, void *buf, size_t cap)
{
	return recv(fd, buf, cap, MSG_PEEK | MSG_DONTWAIT);
}

static int
send_all(int fd, const void *buf, size_t len, int flags, long long deadline)
{
	bool is_socket = true;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (is_socket)
			n = send(fd, (const char *)buf + done, len - done,
			    MSG_NOSIGNAL | MSG_DONTWAIT | flags);
		else if (wait_ready(fd, POLLOUT, deadline) == -1)
			return -1;
		else
			n = write(fd, (const char *)buf + done, len - done);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == ENOTSOCK && is_socket)
			is_socket = false;
		else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_ready(fd, POLLOUT, deadline) == -1)
				return -1;
		} else if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
io_write_all(int fd, const void *buf, size_t len, long long deadline)
{
	return send_all(fd, buf, len, 0, deadline);
}

int
io_write_more(int fd, const void *buf, size_t len, long long deadline)
{
	return send_all(fd, buf, len, MSG_MORE, deadline);
}

void
io_push(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void
io_linger_close(int fd, int max_ms)
{
	long long deadline = io_now_ms() + max_ms;
	char sink[4096];
	ssize_t n;

	(void)shutdown(fd, SHUT_WR);
	while (wait_ready(fd, POLLIN, deadline) == 0) {
		n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			break;
	}
	close(fd);
}
