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

  end to end  the same file sent with sealcat directly (listen/connect),
               with sealcat through the relay (listen --via/connect --via;
               target: >= 0.9x direct), and, when magic-wormhole is
               installed, with `wormhole send` through a local mailbox
               server and transit relay (twist3 wormhole-mailbox,
               transitrelay; --no-listen on both sides, so the bytes go
               through the transit relay as sealcat's go through its
               relay), rounds interleaved, SHA-256 checked at the receiver
               in an untimed pass for each.  Also the CPU seconds per GB
               of the two ends (direct) and of the ends and the relay
               (via), and the rate those allow on this machine's cores:
               on loopback the relay and its second TCP hop share the
               ends' cores, so a CPU-bound stream's via/direct ratio is
               their CPU ratio (make bench-longpath measures the relay on
               a network path, where the path is the limit).

A benchmark, not a test: it prints the numbers and exits 0 unless a run
failed outright.

    make bench-relay BENCH_FLAGS='--size-mb 512 --rounds 3'
    make bench-relay BENCH_FLAGS='--only tools --tool-size-mb 1024'
    SEALCAT=src/sealcat python3 tests/bench/relay_bench.py --help
"""

import argparse
import hashlib
import os
import re
import resource
import shutil
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


# --- end to end: sealcat direct, sealcat through the relay, magic-wormhole

WORMHOLE_MAILBOX_PLUGIN = 'wormhole-mailbox'
WORMHOLE_TRANSIT_PLUGIN = 'transitrelay'


def free_port():
    s = socket.socket()
    s.bind((LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, deadline_s=15):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            socket.create_connection((LOOPBACK, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('nothing listens on port %d' % port)


def run_pair(recv_argv, send_argv, env, cwd, stdin_path=None,
             recv_ready=None, recv_stdout=None):
    """Starts the receiver, waits for recv_ready(proc) if given, starts
    the sender, and returns the seconds from the sender's start until
    both have exited (both must exit 0), and the CPU seconds (user +
    system) the two used."""
    out = recv_stdout if recv_stdout is not None else subprocess.DEVNULL
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    recv = subprocess.Popen(recv_argv, env=env, cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.PIPE)
    try:
        info = recv_ready(recv) if recv_ready else None
        stdin = open(stdin_path, 'rb') if stdin_path else subprocess.DEVNULL
        start = time.monotonic()
        argv = send_argv(info) if callable(send_argv) else send_argv
        send = subprocess.Popen(argv, env=env, cwd=cwd, stdin=stdin,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        _, send_err = send.communicate(timeout=600)
        _, recv_err = recv.communicate(timeout=600)
        elapsed = time.monotonic() - start
        if stdin_path:
            stdin.close()
    except BaseException:
        recv.kill()
        recv.wait()
        raise
    if send.returncode != 0 or recv.returncode != 0:
        raise RuntimeError('sender exit %d (%s), receiver exit %d (%s)' % (
            send.returncode, send_err.decode(errors='replace').strip(),
            recv.returncode, recv_err.decode(errors='replace').strip()))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                before.ru_stime)
    return elapsed, cpu


class SealcatPeers:
    """Two identities in a private HOME, each trusting the other."""

    def __init__(self, sealcat, tmp):
        self.sealcat = sealcat
        self.env = dict(os.environ)
        self.env['HOME'] = tmp
        self.env.pop('XDG_CONFIG_HOME', None)
        self.env.pop('SEALCAT_IDENTITY', None)
        self.server_key = os.path.join(tmp, 'server.key')
        self.client_key = os.path.join(tmp, 'client.key')
        self.server_token = self._keygen(self.server_key)
        self.client_token = self._keygen(self.client_key)

    def _keygen(self, path):
        out = subprocess.run([self.sealcat, 'keygen', '-o', path],
                             env=self.env, check=True,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        return out.stdout.decode().strip()

    def listen_argv(self, where):
        return [self.sealcat, 'listen', '-i', self.server_key,
                '--allow', self.client_token] + where

    def connect_argv(self, where):
        return [self.sealcat, 'connect', '-i', self.client_key,
                '--peer', self.server_token] + where


def sealcat_direct(peers, path, out=None):
    port = free_port()
    return run_pair(
        peers.listen_argv([LOOPBACK, str(port)]),
        peers.connect_argv([LOOPBACK, str(port)]),
        peers.env, None, stdin_path=path,
        recv_ready=lambda _p: wait_port(port), recv_stdout=out)


def sealcat_via(peers, relay, path, out=None):
    via = ['--via', '%s:%d' % (LOOPBACK, relay.port)]

    def ready(_proc):
        # The listener has registered once the relay counts a waiting side;
        # without a status query, give it a moment and let connect retry.
        time.sleep(0.2)

    relay_before = relay.cpu_s()
    elapsed, cpu = run_pair(
        peers.listen_argv(via), peers.connect_argv(via + ['--retry', '10']),
        peers.env, None, stdin_path=path, recv_ready=ready,
        recv_stdout=out)
    return elapsed, cpu, relay.cpu_s() - relay_before


class Wormhole:
    """A local mailbox server and transit relay (twist3 plugins)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.mailbox = free_port()
        self.transit = free_port()
        twist = shutil.which('twist3') or shutil.which('twist')
        self._start([twist, WORMHOLE_MAILBOX_PLUGIN,
                     '--port=tcp:%d:interface=%s' % (self.mailbox, LOOPBACK),
                     '--channel-db=%s' % os.path.join(tmp, 'channel.db')])
        self._start([twist, WORMHOLE_TRANSIT_PLUGIN,
                     '--port=tcp:%d:interface=%s' % (self.transit,
                                                     LOOPBACK)])
        wait_port(self.mailbox)
        wait_port(self.transit)
        self.n = 0

    def _start(self, argv):
        log = open(os.path.join(self.tmp, os.path.basename(argv[1]) + '.log'),
                   'wb')
        self.procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=log))

    def base(self):
        return ['wormhole', '--relay-url',
                'ws://%s:%d/v1' % (LOOPBACK, self.mailbox),
                '--transit-helper', 'tcp:%s:%d' % (LOOPBACK, self.transit)]

    def round(self, path, outdir):
        self.n += 1
        code = '%d-sealcat-bench' % self.n
        os.makedirs(outdir, exist_ok=True)
        target = os.path.join(outdir, os.path.basename(path))
        if os.path.exists(target):
            os.unlink(target)
        send = self.base() + ['send', '--no-listen', '--hide-progress',
                              '--code', code, path]
        recv = self.base() + ['receive', '--no-listen', '--hide-progress',
                              '--accept-file', code]
        # The receiver needs the sender's mailbox claim first.
        proc = subprocess.Popen(send, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        time.sleep(0.5)
        start = time.monotonic()
        r = subprocess.run(recv, cwd=outdir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=600)
        _, err = proc.communicate(timeout=600)
        elapsed = time.monotonic() - start
        if r.returncode != 0 or proc.returncode != 0:
            raise RuntimeError('wormhole send exit %d (%s), receive exit %d '
                               '(%s)' % (proc.returncode,
                                         err.decode(errors='replace')[-200:],
                                         r.returncode,
                                         r.stderr.decode(errors='replace')
                                         [-200:]))
        return elapsed, target

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                return h.hexdigest()
            h.update(b)


def end_to_end(sealcat, size, rounds):
    """Returns {tool: [seconds, ...]} and the tools left out, with why."""
    results = {'sealcat direct': [], 'sealcat via relay': []}
    # CPU seconds per round: the two ends; the ends and the relay.
    cpu = {'direct ends': [], 'via ends': [], 'via relay': []}
    skipped = []
    with tempfile.TemporaryDirectory(dir='/dev/shm',
                                     prefix='relaybench.') as tmp:
        path = os.path.join(tmp, 'payload')
        with open(path, 'wb') as f:
            remaining = size
            while remaining > 0:
                chunk = os.urandom(min(remaining, 16 * MIB))
                f.write(chunk)
                remaining -= len(chunk)
        want = sha256_file(path)
        peers = SealcatPeers(sealcat, tmp)
        relay = Relay(sealcat, [])
        wormhole = None
        if shutil.which('wormhole') and (shutil.which('twist3') or
                                         shutil.which('twist')):
            results['magic-wormhole (transit relay)'] = []
            wormhole = Wormhole(tmp)
        else:
            skipped.append('magic-wormhole: not installed (Debian: '
                           'magic-wormhole, python3-magic-wormhole-mailbox-'
                           'server, magic-wormhole-transit-relay)')
        try:
            # Untimed integrity pass for each tool.
            check = os.path.join(tmp, 'check')
            for name, fn in (('sealcat direct', sealcat_direct),
                             ('sealcat via relay',
                              lambda p, path, out: sealcat_via(p, relay,
                                                               path, out))):
                with open(check, 'wb') as out:
                    fn(peers, path, out)
                if sha256_file(check) != want:
                    raise RuntimeError('%s: SHA-256 differs' % name)
                os.unlink(check)
            if wormhole:
                _, got = wormhole.round(path, os.path.join(tmp, 'wh'))
                if sha256_file(got) != want:
                    raise RuntimeError('magic-wormhole: SHA-256 differs')
                os.unlink(got)
            for n in range(rounds):
                seconds, ends = sealcat_direct(peers, path)
                results['sealcat direct'].append(seconds)
                cpu['direct ends'].append(ends)
                seconds, ends, by_relay = sealcat_via(peers, relay, path)
                results['sealcat via relay'].append(seconds)
                cpu['via ends'].append(ends)
                cpu['via relay'].append(by_relay)
                line = 'round %d: sealcat direct %.0f MB/s, via relay %.0f' \
                       ' MB/s' % (n + 1,
                                  size / results['sealcat direct'][-1] / 1e6,
                                  size / results['sealcat via relay'][-1]
                                  / 1e6)
                if wormhole:
                    seconds, got = wormhole.round(path,
                                                  os.path.join(tmp, 'wh'))
                    os.unlink(got)
                    results['magic-wormhole (transit relay)'].append(seconds)
                    line += ', magic-wormhole %.0f MB/s' % (size / seconds /
                                                           1e6)
                note(line)
        finally:
            relay.stop()
            if wormhole:
                wormhole.stop()
    return results, cpu, skipped


def report_end_to_end(results, cpu, skipped, size, rounds):
    direct = statistics.median(results['sealcat direct'])
    print('end to end, %d MiB from a file in /dev/shm, median of %d:'
          % (size // MIB, rounds))
    for name, times in results.items():
        t = statistics.median(times)
        print('  %-32s %7.0f MB/s  (%.2f s; %.2fx sealcat direct)'
              % (name, size / t / 1e6, t, direct / t))
    via = statistics.median(results['sealcat via relay'])
    print('sealcat via relay / direct:  %7.2fx    (target >= 0.9)'
          % (direct / via))
    gb = size / GB
    d_ends = statistics.median(cpu['direct ends']) / gb
    v_ends = statistics.median(cpu['via ends']) / gb
    v_relay = statistics.median(cpu['via relay']) / gb
    cores = os.cpu_count() or 1
    print('CPU per GB, direct:          %7.2f s     (both ends)' % d_ends)
    print('CPU per GB, via relay:       %7.2f s     (both ends %.2f s, '
          'the relay %.2f s)' % (v_ends + v_relay, v_ends, v_relay))
    # Where the ends and the relay share too few cores, the stream is
    # bound by their CPU: the rate cannot pass cores / (CPU per byte).
    print('CPU-bound ceiling on %d cores: direct %.0f MB/s, via relay %.0f '
          'MB/s (%.2fx): the relay and its second loopback hop run on the '
          'ends\' cores here, not on a machine of their own'
          % (cores, cores / d_ends * 1e3, cores / (v_ends + v_relay) * 1e3,
             d_ends / (v_ends + v_relay)))
    for s in skipped:
        print('  (%s)' % s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size-mb', type=int, default=1024,
                    help='MiB per transfer (default 1024)')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--pairs', type=int, default=1000,
                    help='idle pairs for the memory figure (default 1000)')
    ap.add_argument('--tool-size-mb', type=int, default=1024,
                    help='MiB per end-to-end transfer (default 1024)')
    ap.add_argument('--only', choices=('relay', 'tools'),
                    help='run only the relay figures or only the end-to-end '
                    'comparison')
    a = ap.parse_args()
    sealcat = os.environ.get('SEALCAT', 'src/sealcat')
    size = a.size_mb * MIB
    status = 0

    note('relay bench: %d MiB x %d rounds, %d idle pairs'
         % (a.size_mb, a.rounds, a.pairs))
    if a.only != 'tools':
        status |= relay_figures(sealcat, size, a)
    if a.only != 'relay':
        try:
            results, cpu, skipped = end_to_end(sealcat,
                                               a.tool_size_mb * MIB,
                                               a.rounds)
            report_end_to_end(results, cpu, skipped, a.tool_size_mb * MIB,
                              a.rounds)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            print('end to end: failed: %s' % e)
            status = 1
    return status


def relay_figures(sealcat, size, a):
    status = 0
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
