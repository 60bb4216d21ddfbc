/*
 * test_net.c - the transport files, addr.c, io.c and tcp.c, where they
 * need no network: HOST:PORT splitting, address formatting, exact reads and
 * writes with deadlines (on a socketpair), which addresses count as
 * loopback, and a listener on loopback port 0 whose connections are tuned
 * as tcp_tune() says; unix.c's sockets: created with the mode asked for,
 * named unix:PATH, and removed only while they are still ours.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport/addr.h"
#include "transport/io.h"
#include "transport/stream.h"
#include "tap.h"
#include "transport/tcp.h"
#include "transport/unix.h"

static void
split(const char *arg, const char *want_host, const char *want_port)
{
	char host[64], port[8];
	int rc = addr_split_host_port(arg, host, sizeof(host), port,
	    sizeof(port));

	if (want_host == NULL)
		ok(rc == -1, "split '%s': refused", arg);
	else
		ok(rc == 0 && strcmp(host, want_host) == 0 &&
		    strcmp(port, want_port) == 0, "split '%s': %s and %s", arg,
		    want_host, want_port);
}

static void
test_split(void)
{
	split("example.org:80", "example.org", "80");
	split("127.0.0.1:9000", "127.0.0.1", "9000");
	split("[::1]:22", "::1", "22");
	split("::1:22", NULL, NULL);
	split("host", NULL, NULL);
	split(":80", NULL, NULL);
	split("host:", NULL, NULL);
	split("[]:80", NULL, NULL);
	split("[::1:80", NULL, NULL);
	split("host:123456789", NULL, NULL);
}

static void
test_format(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(9000) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(22) };
	char out[ADDR_MAX];

	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	addr_format((struct sockaddr *)&sin, sizeof(sin), out, sizeof(out));
	ok(strcmp(out, "192.0.2.7:9000") == 0, "IPv4 as ADDR:PORT (%s)", out);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	addr_format((struct sockaddr *)&sin6, sizeof(sin6), out,
	    sizeof(out));
	ok(strcmp(out, "[2001:db8::1]:22") == 0, "IPv6 in brackets (%s)", out);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	addr_format((struct sockaddr *)&sin6, sizeof(sin6), out,
	    sizeof(out));
	ok(strcmp(out, "127.0.0.1:22") == 0, "IPv4-mapped shown as IPv4 (%s)",
	    out);
}

static void
test_exact_io(void)
{
	char buf[16];
	long long start;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	ok(io_write_all(sv[0], "hello", 5, io_deadline(5)) == 0,
	    "write_all: 5 bytes");
	ok(io_read_exact(sv[1], buf, 5, io_deadline(5)) == 5 &&
	    memcmp(buf, "hello", 5) == 0, "read_exact: the same 5 bytes");
	start = io_now_ms();
	errno = 0;
	ok(io_read_exact(sv[1], buf, 1, io_now_ms() + 200) == -1 &&
	    errno == ETIMEDOUT, "read_exact: nothing before the deadline is "
	    "ETIMEDOUT");
	ok(io_now_ms() - start >= 150 && io_now_ms() - start < 5000,
	    "read_exact: waited for the deadline, not longer");
	ok(io_write_all(sv[0], "ab", 2, IO_NO_DEADLINE) == 0,
	    "write_all without a deadline");
	shutdown(sv[0], SHUT_WR);
	ok(io_read_exact(sv[1], buf, 5, io_deadline(5)) == 2,
	    "read_exact: EOF after 2 of 5 bytes returns 2");
	close(sv[0]);
	close(sv[1]);
}

/* Whether addr_is_loopback() calls the address text (IPv4 or IPv6) so. */
static void
loopback(const char *text, bool want)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &sin6->sin6_addr);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, text, &sin->sin_addr);
		len = sizeof(*sin);
	}
	ok(addr_is_loopback((struct sockaddr *)&ss, len) == want,
	    "%s is %sloopback", text, want ? "" : "not ");
}

static void
test_loopback(void)
{
	struct sockaddr_in sin;

	loopback("127.0.0.1", true);
	loopback("127.255.255.254", true);
	loopback("126.255.255.255", false);
	loopback("128.0.0.1", false);
	loopback("10.0.0.1", false);
	loopback("0.0.0.0", false);
	loopback("::1", true);
	loopback("::ffff:127.0.0.1", true);
	loopback("::ffff:127.1.2.3", true);
	loopback("::ffff:10.0.0.1", false);
	loopback("::", false);
	loopback("::2", false);
	loopback("fe80::1", false);
	loopback("::127.0.0.1", false);	/* IPv4-compatible, not mapped */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok(!addr_is_loopback((struct sockaddr *)&sin, sizeof(sin) - 1),
	    "a truncated address is not loopback");
}

/* The congestion control the kernel reports for a socket. */
static void
congestion(int fd, char *out, size_t out_cap)
{
	socklen_t len = (socklen_t)out_cap - 1;

	memset(out, 0, out_cap);
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, out, &len) == -1)
		snprintf(out, out_cap, "(error: %s)", strerror(errno));
}

/* SO_SNDBUF and SO_RCVBUF of a socket, as the kernel reports them. */
static void
buffers(int fd, int *snd, int *rcv)
{
	socklen_t len = sizeof(*snd);

	*snd = *rcv = -1;
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, snd, &len);
	len = sizeof(*rcv);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcv, &len);
}

/*
 * Setting SO_SNDBUF or SO_RCVBUF turns off the kernel's autotuning of that
 * buffer for good, which caps a long path at about buffer / RTT: a tuned
 * connection must start with the buffers a plain one gets, on both ends.
 */
static void
test_buffers_autotuned(int fds_listen, const char *port, int c, int a)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int plain_c, plain_a = -1;
	int snd_c, rcv_c, snd_a, rcv_a, want_snd_c, want_rcv_c, want_snd_a,
	    want_rcv_a;
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)atoi(port));
	plain_c = socket(AF_INET, SOCK_STREAM, 0);
	if (plain_c == -1 || connect(plain_c, (struct sockaddr *)&sin,
	    sizeof(sin)) == -1)
		abort();
	for (int i = 0; i < 500 && plain_a == -1; i++) {
		plain_a = accept(fds_listen, (struct sockaddr *)&ss, &len);
		if (plain_a == -1)
			usleep(10000);
	}
	if (plain_a == -1)
		abort();
	buffers(c, &snd_c, &rcv_c);
	buffers(a, &snd_a, &rcv_a);
	buffers(plain_c, &want_snd_c, &want_rcv_c);
	buffers(plain_a, &want_snd_a, &want_rcv_a);
	ok(snd_c == want_snd_c && rcv_c == want_rcv_c,
	    "connect: socket buffers left to autotuning (send %d, receive %d; "
	    "a plain socket: %d, %d)", snd_c, rcv_c, want_snd_c, want_rcv_c);
	ok(snd_a == want_snd_a && rcv_a == want_rcv_a,
	    "accept: socket buffers left to autotuning (send %d, receive %d; "
	    "a plain socket: %d, %d)", snd_a, rcv_a, want_snd_a, want_rcv_a);
	close(plain_c);
	close(plain_a);
}

static void
test_listen_connect(void)
{
	struct stream client, server;
	char port[8];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	size_t count = 0;
	int fds[TCP_LISTEN_MAX];
	int c, a = -1;

	ok(tcp_listen("127.0.0.1", "0", AF_UNSPEC, fds, TCP_LISTEN_MAX,
	    &count) == 0 && count == 1, "listen on 127.0.0.1 port 0");
	getsockname(fds[0], (struct sockaddr *)&ss, &len);
	snprintf(port, sizeof(port), "%u",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	c = tcp_connect("127.0.0.1", port, AF_INET, io_deadline(5), "test",
	    &server) == 0 ? server.fd : -1;
	ok(c != -1, "connect to it (%s)", server.addr);
	for (int i = 0; i < 500 && a == -1; i++) {
		a = tcp_accept(fds[0], &client) == 0 ? client.fd : -1;
		if (a == -1)
			usleep(10000);
	}
	ok(a != -1 && strncmp(client.addr, "127.0.0.1:", 10) == 0,
	    "accept it (%s)", client.addr);
	{
		char cc_c[32], cc_a[32];
		int nodelay = 0;
		socklen_t nlen = sizeof(nodelay);

		congestion(c, cc_c, sizeof(cc_c));
		congestion(a, cc_a, sizeof(cc_a));
		ok(strcmp(cc_c, "reno") == 0 && strcmp(cc_a, "reno") == 0,
		    "loopback connection uses reno at both ends (%s, %s)",
		    cc_c, cc_a);
		getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nlen);
		ok(nodelay != 0, "TCP_NODELAY is set");
	}
	test_buffers_autotuned(fds[0], port, c, a);
	ok(io_write_all(c, "x", 1, io_deadline(5)) == 0 &&
	    io_read_exact(a, port, 1, io_deadline(5)) == 1 && port[0] == 'x',
	    "a byte goes through");
	close(c);
	close(a);
	close(fds[0]);
}

static void
test_unix(void)
{
	char dir[] = "/tmp/test_net_XXXXXX";
	char path[64];
	struct unix_owned owned, owned2;
	struct stream client, server;
	struct stat st;
	int lfd, fd;

	if (mkdtemp(dir) == NULL) {
		ok(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	ok(unix_path("unix:/x") != NULL && strcmp(unix_path("unix:/x"),
	    "/x") == 0 && unix_path("/x") == NULL, "unix_path() strips unix:");
	lfd = unix_listen(path, 0640, &owned);
	ok(lfd != -1 && stat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    (st.st_mode & 0777) == 0640, "the socket has mode 0640");
	ok(unix_is_unix(lfd), "unix_is_unix() on it");
	ok(unix_connect(path, NULL, &client) == 0 &&
	    strncmp(client.name, "unix:", 5) == 0 &&
	    strcmp(client.name + 5, path) == 0, "connect: named unix:PATH");
	ok(unix_accept(lfd, &server) == 0 && strcmp(server.name, client.name)
	    == 0, "accept: named unix:PATH too");
	stream_close(&client);
	stream_close(&server);
	ok(unix_listen(path, 0600, &owned2) == -1 && !owned2.made,
	    "a second listener on the path is refused and owns nothing");
	unix_remove(&owned2);
	ok(stat(path, &st) == 0, "and the first one's socket stays");
	close(lfd);
	unix_remove(&owned);
	ok(stat(path, &st) == -1 && errno == ENOENT, "our socket is removed");
	/* Someone else's file put at the path since: left alone. */
	lfd = unix_listen(path, 0600, &owned);
	unlink(path);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	unix_remove(&owned);
	ok(lfd != -1 && fd != -1 && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode), "a file put in our socket's place stays");
	if (fd != -1)
		close(fd);
	if (lfd != -1)
		close(lfd);
	unlink(path);
	rmdir(dir);
}

static void
test_refused_fix(void)
{
	ok(strcmp(addr_refused_fix("--forward target 127.0.0.1:80"),
	    "start the service there, or fix --forward") == 0,
	    "refused: a --forward target names the service and --forward");
	ok(strcmp(addr_refused_fix("--forward target unix:/run/x.sock"),
	    "start the service there, or fix --forward") == 0,
	    "refused: a --forward Unix target too");
	ok(strcmp(addr_refused_fix("proxy socks5://127.0.0.1:1080"),
	    "start the proxy, or fix --proxy (or SEALCAT_PROXY)") == 0,
	    "refused: a proxy names the proxy and its settings");
	ok(strcmp(addr_refused_fix("relay relay.example:7390"),
	    "check that sealcat relay runs there") == 0,
	    "refused: a relay names sealcat relay");
	ok(strcmp(addr_refused_fix("127.0.0.1:9000"),
	    "is the listener running?") == 0,
	    "refused: anything else is a listener");
	ok(strcmp(addr_refused_fix("proxy-host.example:9000"),
	    "is the listener running?") == 0,
	    "refused: a host whose name starts like a kind is a listener");
}

int
main(void)
{
	test_split();
	test_format();
	test_refused_fix();
	test_exact_io();
	test_loopback();
	test_listen_connect();
	test_unix();
	return tap_done();
}
