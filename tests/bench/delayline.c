/*
 * delayline.c - a long network path for tests/bench/longpath.py: two TUN
 * devices, one in each of two network namespaces, joined by this process,
 * which passes every packet on after a fixed one-way delay and no faster
 * than a fixed rate, in both directions.  The kernel here has no netem;
 * this needs nothing but /dev/net/tun and root.
 *
 *     delayline [-d DELAY_US] [-r RATE_MBIT] [-q QUEUE_BYTES] [-n DEV]
 *         NETNS_A NETNS_B
 *
 * NETNS_A and NETNS_B are network namespace files (/run/netns/NAME).  Each
 * direction models a bottleneck link: a packet waits in a drop-tail queue
 * of QUEUE_BYTES (default: one bandwidth-delay product, at least 1 MiB, so
 * that a burst after this process was kept off the CPU for a few ms is
 * not dropped),
 * is sent at RATE_MBIT (IP bytes; default 1000), and arrives DELAY_US
 * later (default 0).  The devices are named DEV (default "scdl0"), get no
 * address (the caller assigns them) and vanish when this process ends.
 * It prints "ready" on stdout once both exist, and ends on SIGTERM,
 * SIGINT, or end of file on stdin (so it cannot outlive its caller); then
 * it prints one line per direction: packets and bytes passed, dropped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* setns() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* The largest packet a TUN device hands over (its MTU can be 65535). */
#define PACKET_MAX 65535
/* Per packet in the ring: departure time and length, then the bytes. */
#define RECORD_HEADER 16
/* Packets read from one device before the other gets a turn. */
#define READ_BATCH 64

struct direction {
	const char *name;
	int in_fd;
	int out_fd;
	uint8_t *ring;		/* records, FIFO: departures only increase */
	size_t ring_cap;
	size_t head;		/* oldest record */
	size_t tail;		/* where the next record goes */
	size_t used;
	long long link_free_ns;	/* when the link has sent all it queued */
	unsigned long long packets, bytes, dropped;
};

struct line {
	long long delay_ns;
	double ns_per_byte;
	long long queue_ns;	/* the queue limit, as time to send it */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
parse_ll(const char *text, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Creates TUN device dev in the network namespace at netns_path. */
static int
open_tun(const char *netns_path, const char *dev)
{
	struct ifreq ifr;
	int ns = -1, fd = -1;

	if ((ns = open(netns_path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "delayline: cannot open %s: %s\n", netns_path,
		    strerror(errno));
		return -1;
	}
	if (setns(ns, CLONE_NEWNET) == -1) {
		fprintf(stderr, "delayline: cannot enter %s: %s\n",
		    netns_path, strerror(errno));
		goto fail;
	}
	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC))
	    == -1) {
		fprintf(stderr, "delayline: cannot open /dev/net/tun: %s\n",
		    strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		fprintf(stderr, "delayline: cannot create %s in %s: %s\n",
		    dev, netns_path, strerror(errno));
		goto fail;
	}
	close(ns);
	return fd;
fail:
	if (fd != -1)
		close(fd);
	close(ns);
	return -1;
}

static void
put_record(struct direction *d, size_t at, const void *src, size_t len)
{
	size_t first = len < d->ring_cap - at ? len : d->ring_cap - at;

	memcpy(d->ring + at, src, first);
	memcpy(d->ring, (const uint8_t *)src + first, len - first);
}

static void
get_record(const struct direction *d, size_t at, void *dst, size_t len)
{
	size_t first = len < d->ring_cap - at ? len : d->ring_cap - at;

	memcpy(dst, d->ring + at, first);
	memcpy((uint8_t *)dst + first, d->ring, len - first);
}

/* Room a record of len bytes takes, rounded up to 8. */
static size_t
record_size(size_t len)
{
	return (RECORD_HEADER + len + 7) & ~(size_t)7;
}

/* Reads what in_fd has (a batch at most) into the queue. */
static void
take_packets(struct direction *d, const struct line *l, uint8_t *buf)
{
	uint8_t header[RECORD_HEADER];
	long long now, start, depart;
	uint64_t len64;
	ssize_t n;

	for (int i = 0; i < READ_BATCH; i++) {
		if ((n = read(d->in_fd, buf, PACKET_MAX)) <= 0)
			return;
		now = now_ns();
		start = d->link_free_ns > now ? d->link_free_ns : now;
		if (start - now > l->queue_ns ||
		    record_size((size_t)n) > d->ring_cap - d->used) {
			d->dropped++;
			continue;
		}
		d->link_free_ns = start + (long long)((double)n *
		    l->ns_per_byte);
		depart = d->link_free_ns + l->delay_ns;
		len64 = (uint64_t)n;
		memcpy(header, &depart, 8);
		memcpy(header + 8, &len64, 8);
		put_record(d, d->tail, header, sizeof(header));
		put_record(d, (d->tail + RECORD_HEADER) % d->ring_cap, buf,
		    (size_t)n);
		d->tail = (d->tail + record_size((size_t)n)) % d->ring_cap;
		d->used += record_size((size_t)n);
	}
}

/*
 * Writes the packets whose time has come.  Returns the departure time of
 * the next one, or -1 when the queue is empty.
 */
static long long
deliver(struct direction *d, uint8_t *buf)
{
	uint8_t header[RECORD_HEADER];
	long long depart, now = now_ns();
	uint64_t len64;
	size_t len;

	while (d->used > 0) {
		get_record(d, d->head, header, sizeof(header));
		memcpy(&depart, header, 8);
		memcpy(&len64, header + 8, 8);
		if (depart > now)
			return depart;
		len = (size_t)len64;
		get_record(d, (d->head + RECORD_HEADER) % d->ring_cap, buf,
		    len);
		if (write(d->out_fd, buf, len) == (ssize_t)len) {
			d->packets++;
			d->bytes += len;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return now + 10000;	/* the device is full: retry */
		} else {
			d->dropped++;
		}
		d->head = (d->head + record_size(len)) % d->ring_cap;
		d->used -= record_size(len);
	}
	return -1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: delayline [-d DELAY_US] [-r RATE_MBIT] "
	    "[-q QUEUE_BYTES] [-n DEV] NETNS_A NETNS_B\n");
	return 2;
}

int
main(int argc, char **argv)
{
	long long delay_us = 0, rate_mbit = 1000, queue_bytes = -1, next, t;
	const char *dev = "scdl0";
	struct direction dirs[2] = { { .name = "a->b" }, { .name = "b->a" } };
	struct pollfd pfd[3];
	struct timespec timeout;
	struct line l;
	uint8_t *buf;
	size_t ring_cap;
	int opt, fd_a, fd_b;

	while ((opt = getopt(argc, argv, "d:r:q:n:")) != -1) {
		switch (opt) {
		case 'd':
			if (parse_ll(optarg, 0, 10000000, &delay_us) == -1)
				return usage();
			break;
		case 'r':
			if (parse_ll(optarg, 1, 100000, &rate_mbit) == -1)
				return usage();
			break;
		case 'q':
			if (parse_ll(optarg, 1500, 1LL << 30, &queue_bytes)
			    == -1)
				return usage();
			break;
		case 'n':
			if (strlen(optarg) >= IFNAMSIZ)
				return usage();
			dev = optarg;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();

	l.delay_ns = delay_us * 1000;
	l.ns_per_byte = 8000.0 / (double)rate_mbit;
	/* Default queue: one bandwidth-delay product of the round trip. */
	if (queue_bytes == -1) {
		queue_bytes = rate_mbit * 1000000 / 8 * 2 * delay_us / 1000000;
		if (queue_bytes < 1024 * 1024)
			queue_bytes = 1024 * 1024;
	}
	l.queue_ns = (long long)((double)queue_bytes * l.ns_per_byte);
	/* Room for what is on the wire and in the queue, twice over. */
	ring_cap = (size_t)(2 * (queue_bytes + rate_mbit * 1000000 / 8 *
	    delay_us / 1000000) + 4 * PACKET_MAX);
	ring_cap = (ring_cap + 7) & ~(size_t)7;

	if ((fd_a = open_tun(argv[optind], dev)) == -1 ||
	    (fd_b = open_tun(argv[optind + 1], dev)) == -1)
		return 1;
	buf = malloc(PACKET_MAX);
	for (int i = 0; i < 2; i++) {
		dirs[i].ring = malloc(ring_cap);
		dirs[i].ring_cap = ring_cap;
		if (dirs[i].ring == NULL || buf == NULL) {
			fprintf(stderr, "delayline: out of memory\n");
			return 1;
		}
	}
	dirs[0].in_fd = fd_a;
	dirs[0].out_fd = fd_b;
	dirs[1].in_fd = fd_b;
	dirs[1].out_fd = fd_a;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* Wake-ups on time: the default 50 us slack is a whole packet. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL);
	printf("ready\n");
	fflush(stdout);

	pfd[0] = (struct pollfd){ .fd = fd_a, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = fd_b, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	while (!stop) {
		next = -1;
		for (int i = 0; i < 2; i++) {
			take_packets(&dirs[i], &l, buf);
			t = deliver(&dirs[i], buf);
			if (t != -1 && (next == -1 || t < next))
				next = t;
		}
		if (next != -1) {
			t = next - now_ns();
			if (t < 0)
				t = 0;
			timeout.tv_sec = t / 1000000000LL;
			timeout.tv_nsec = t % 1000000000LL;
		}
		if (ppoll(pfd, 3, next == -1 ? NULL : &timeout, NULL) == -1 &&
		    errno != EINTR)
			break;
		if (pfd[2].revents & (POLLIN | POLLHUP)) {
			char c;

			if (read(STDIN_FILENO, &c, 1) <= 0)
				break;
		}
	}
	for (int i = 0; i < 2; i++)
		printf("%s: %llu packets, %llu bytes passed, %llu dropped\n",
		    dirs[i].name, dirs[i].packets, dirs[i].bytes,
		    dirs[i].dropped);
	return 0;
}
