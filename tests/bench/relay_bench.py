#!/usr/bin/env python3
"""relay_bench.py - what sealcat relay costs (issue 17), on 127.0.0.1.

  throughput   SIZE bytes from a sender to a receiver, once over a direct
               TCP connection and once through `sealcat relay`, in the same
               run, rounds interleaved; the sender uses sendfile(2) from a
               file in /dev/shm and the receiver splice(2)s into /dev/null,
               so neither end is the bottleneck;
  relay CPU    user + system seconds of the relay process per GB relayed
               (from /proc/PID/stat; target <= 0.3);
  memory       the relay's RSS with PAIRS paired idle connections (target
               <= 32 MiB for 1,000), next to its RSS with none.

The sealcat-through-relay and magic-wormhole comparisons come with the
relay clients.  A benchmark, not a test: it prints the numbers and exits 0
unless a run failed outright.

    make bench-relay BENCH_FLAGS='--size-mb 512 --rounds 3'
    SEALCAT=src/sealcat python3 tests/bench/relay_bench.py --help
"""

import argparse
import hashlib
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1 << 20
GB = 10 ** 9
LOOPBACK = '127.0.0.1'
PREFIX = b'SEALCAT-RELAY/1 '
TIMEOUT_S = 60
CPU_TARGET_S_PER_GB = 0.3
RSS_TARGET_MIB = 32
CHUNK = 1 << 20


def note(msg):
    print(msg, file=sys.stderr, flush=True)


def read_reply(sock):
    line = bytearray()
    while not line.endswith(b'\n'):
        b = sock.recv(1)
        if not b:
            raise RuntimeError('relay closed before a reply')
        line += b
    return bytes(line)


def register(port, verb, ident):
    sock = socket.create_connection((LOOPBACK, port), timeout=TIMEOUT_S)
    sock.sendall(PREFIX + verb + b' ' + ident + b'\n')
    return sock


class Relay:
    def __init__(self, sealcat, args):
        self.proc = subprocess.Popen(
            [sealcat, 'relay', '-v'] + args + [LOOPBACK, '0'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        line = self.proc.stderr.readline().decode()
        m = re.search(r'listening on .*:(\d+)$', line.strip())
        if not m:
            self.proc.kill()
            raise RuntimeError('no "listening on" line: %r' % line)
        self.port = int(m.group(1))
        # Keep reading stderr (one line per pair) so the relay never
        # blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for _ in self.proc.stderr:
            pass

    def cpu_s(self):
        with open('/proc/%d/stat' % self.proc.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        ticks = os.sysconf('SC_CLK_TCK')
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_kib(self):
        with open('/proc/%d/status' % self.proc.pid) as f:
            text = f.read()
        return int(re.search(r'VmRSS:\s+(\d+) kB', text).group(1))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def send_file(sock, path, total):
    """sendfile(2) the file over and over until total bytes went."""
    size = os.path.getsize(path)
    sent = 0
    with open(path, 'rb') as f:
        while sent < total:
            offset = 0
            while offset < size and sent < total:
                n = os.sendfile(sock.fileno(), f.fileno(), offset,
                                min(size - offset, total - sent))
                if n == 0:
                    raise RuntimeError('sendfile sent nothing')
                offset += n
                sent += n
    sock.shutdown(socket.SHUT_WR)


def receive(sock, devnull, result):
    """splice(2) socket -> pipe -> /dev/null until EOF; counts bytes."""
    r, w = os.pipe()
    got = 0
    try:
        while True:
            n = os.splice(sock.fileno(), w, CHUNK)
            if n == 0:
                break
            got += n
            while n > 0:
                n -= os.splice(r, devnull, n)
    finally:
        os.close(r)
        os.close(w)
    result['bytes'] = got


def thread_cpu_s():
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return r.ru_utime + r.ru_stime


def transfer(sender, receiver, path, total):
    """Returns seconds for total bytes from sender to receiver, and the
    sending thread's CPU seconds (on loopback the sender also pays for
    the receiving side's TCP processing: a floor for what a hop costs)."""
    result = {}
    devnull = os.open('/dev/null', os.O_WRONLY)
    try:
        t = threading.Thread(target=receive,
                             args=(receiver, devnull, result))
        start = time.monotonic()
        t.start()
        cpu0 = thread_cpu_s()
        send_file(sender, path, total)
        send_cpu = thread_cpu_s() - cpu0
        t.join()
        elapsed = time.monotonic() - start
    finally:
        os.close(devnull)
    if result.get('bytes') != total:
        raise RuntimeError('received %s of %d bytes'
                           % (result.get('bytes'), total))
    return elapsed, send_cpu


def direct_round(path, total):
    lsock = socket.socket()
    lsock.bind((LOOPBACK, 0))
    lsock.listen(1)
    sender = socket.create_connection(lsock.getsockname())
    receiver, _ = lsock.accept()
    lsock.close()
    try:
        return transfer(sender, receiver, path, total)
    finally:
        sender.close()
        receiver.close()


def relay_round(relay, path, total, n):
    ident = hashlib.sha256(b'bench %d' % n).hexdigest().encode()
    receiver = register(relay.port, b'LISTEN', ident)
    sender = register(relay.port, b'CONNECT', ident)
    try:
        for s in (receiver, sender):
            if read_reply(s) != b'OK\n':
                raise RuntimeError('not paired')
            s.settimeout(None)
        cpu0 = relay.cpu_s()
        seconds, _ = transfer(sender, receiver, path, total)
        cpu = relay.cpu_s() - cpu0
        return seconds, cpu
    finally:
        sender.close()
        receiver.close()


def check_integrity(relay, size):
    """One untimed pass: what arrives through the relay is what left."""
    data = os.urandom(size)
    ident = hashlib.sha256(b'bench check').hexdigest().encode()
    receiver = register(relay.port, b'LISTEN', ident)
    sender = register(relay.port, b'CONNECT', ident)
    for s in (receiver, sender):
        if read_reply(s) != b'OK\n':
            raise RuntimeError('not paired')

    def send():
        sender.sendall(data)
        sender.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=send)
    t.start()
    h = hashlib.sha256()
    while True:
        b = receiver.recv(CHUNK)
        if not b:
            break
        h.update(b)
    t.join()
    sender.close()
    receiver.close()
    if h.digest() != hashlib.sha256(data).digest():
        raise RuntimeError('SHA-256 through the relay differs')


def throughput(sealcat, size, rounds):
    total = size
    file_size = min(size, 256 * MIB)
    with tempfile.NamedTemporaryFile(dir='/dev/shm', prefix='relaybench.') \
            as f:
        remaining = file_size
        while remaining > 0:
            chunk = os.urandom(min(remaining, 16 * MIB))
            f.write(chunk)
            remaining -= len(chunk)
        f.flush()
        relay = Relay(sealcat, [])
        try:
            check_integrity(relay, 8 * MIB)
            direct, through, cpus, send_cpus = [], [], [], []
            for n in range(rounds):
                seconds, send_cpu = direct_round(f.name, total)
                direct.append(seconds)
                send_cpus.append(send_cpu)
                seconds, cpu = relay_round(relay, f.name, total, n)
                through.append(seconds)
                cpus.append(cpu)
                note('round %d: direct %.0f MB/s, relay %.0f MB/s, relay '
                     'CPU %.3f s' % (n + 1, total / direct[-1] / 1e6,
                                     total / seconds / 1e6, cpu))
        finally:
            relay.stop()
    return direct, through, cpus, send_cpus


def idle_pairs(sealcat, pairs):
    need = 2 * pairs + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise RuntimeError('need %d descriptors, the hard limit is %d'
                               % (need, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    relay = Relay(sealcat, ['--max-pairs', str(pairs),
                            '--max-waiting', str(pairs + 16),
                            '--max-per-source', str(2 * pairs + 16),
                            '--source-rate', '1000000'])
    socks = []
    try:
        time.sleep(0.2)
        before = relay.rss_kib()
        for n in range(pairs):
            ident = hashlib.sha256(b'idle %d' % n).hexdigest().encode()
            a = register(relay.port, b'LISTEN', ident)
            b = register(relay.port, b'CONNECT', ident)
            socks += [a, b]
            for s in (a, b):
                if read_reply(s) != b'OK\n':
                    raise RuntimeError('pair %d not paired' % n)
        # One byte each way through every pair: all of them work.
        for i in range(0, len(socks), 2):
            socks[i].sendall(b'x')
            socks[i + 1].sendall(b'y')
        for i in range(0, len(socks), 2):
            if socks[i + 1].recv(1) != b'x' or socks[i].recv(1) != b'y':
                raise RuntimeError('pair %d does not relay' % (i // 2))
        time.sleep(0.2)
        after = relay.rss_kib()
        return before, after
    finally:
        for s in socks:
            s.close()
        relay.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size-mb', type=int, default=1024,
                    help='MiB per transfer (default 1024)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--pairs', type=int, default=1000,
                    help='idle pairs for the memory figure (default 1000)')
    a = ap.parse_args()
    sealcat = os.environ.get('SEALCAT', 'src/sealcat')
    size = a.size_mb * MIB
    status = 0

    note('relay bench: %d MiB x %d rounds, %d idle pairs'
         % (a.size_mb, a.rounds, a.pairs))
    try:
        direct, through, cpus, send_cpus = throughput(sealcat, size,
                                                      a.rounds)
        d = statistics.median(direct)
        t = statistics.median(through)
        cpu_per_gb = statistics.median(cpus) / (size / GB)
        print('throughput, direct TCP:      %7.0f MB/s  (median of %d; '
              '%.0f-%.0f)' % (size / d / 1e6, a.rounds,
                              size / max(direct) / 1e6,
                              size / min(direct) / 1e6))
        print('throughput, through relay:   %7.0f MB/s  (median of %d; '
              '%.0f-%.0f), %.2fx direct' % (
                  size / t / 1e6, a.rounds, size / max(through) / 1e6,
                  size / min(through) / 1e6, d / t))
        print('relay CPU per GB:            %7.3f s     (target <= %.1f; '
              'range %.3f-%.3f)' % (
                  cpu_per_gb, CPU_TARGET_S_PER_GB,
                  min(cpus) / (size / GB), max(cpus) / (size / GB)))
        print('direct sender CPU per GB:    %7.3f s     (sendfile(2) and '
              'loopback TCP: one hop\'s floor)'
              % (statistics.median(send_cpus) / (size / GB)))
    except (RuntimeError, OSError) as e:
        print('throughput: failed: %s' % e)
        status = 1
    try:
        before, after = idle_pairs(sealcat, a.pairs)
        print('relay RSS, no pairs:         %7.1f MiB' % (before / 1024))
        print('relay RSS, %d idle pairs:  %7.1f MiB  (target <= %d; '
              '%.2f KiB per pair)' % (a.pairs, after / 1024,
                                      RSS_TARGET_MIB,
                                      (after - before) / a.pairs))
    except (RuntimeError, OSError) as e:
        print('idle pairs: failed: %s' % e)
        status = 1
    return status


if __name__ == '__main__':
    sys.exit(main())
