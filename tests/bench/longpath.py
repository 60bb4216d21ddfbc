#!/usr/bin/env python3
"""longpath.py - sealcat's throughput on a long, fast path (issue 13, item 8).

Two network namespaces of our own are joined by tests/bench/delayline (a
user-space delay line on two TUN devices: this kernel has no netem), which
passes packets both ways after a fixed one-way delay, at most at a fixed
rate, through a drop-tail queue of one bandwidth-delay product (1 MiB at
least, for the delay line's own scheduling hiccups).  Over that
path, at each round-trip time asked for (0, 20 and 100 ms by default) and
a 1 Gbit/s cap, a file of random data goes from one namespace to /dev/null
in the other through each tool:

  sealcat      connect --send-only -> listen --recv-only (both suites, and
               every --variant build: the same rows for another binary);
  nc           OpenBSD netcat, no crypto: the reference;
  socat TLS    socat OPENSSL (TLS 1.3, OpenSSL's default cipher), -b65536;
  sealcat via  sealcat x25519 through `sealcat relay` in the receiver's
               namespace (listen --via, connect --via): the relay must
               keep up with the long path (issue 17: >= 0.9x direct).

A tool that is not installed is left out, and the report says so.  Rounds
are interleaved (every tool once per round) and the table shows medians;
one untimed pass per tool at the first round-trip time checks the SHA-256
of what arrived.  The target: sealcat >= 0.9x nc's throughput at every
round-trip time.  A benchmark, not a test: it reports and exits 0 even if a
tool fails; it needs root (namespaces, TUN devices), and removes its
namespaces and processes on every way out.

    make bench-longpath LONGPATH_FLAGS='--rounds 5'
    tests/bench/longpath.py --help
"""

import argparse
import hashlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its process handling: Proc, wait_for, stop)
from bench import Proc, RunError, note, tail  # noqa: E402

MIB = 1 << 20
MB = 10 ** 6
SENDER_ADDR = '198.18.0.1'      # RFC 2544's benchmarking range, and only
RECEIVER_ADDR = '198.18.0.2'    # ever inside our own namespaces
PORT = 5001
DEV = 'scdl0'
SETUP_TIMEOUT_S = 10
TARGET = 0.9


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop like Ctrl-C does."""


def run_quiet(argv, what):
    out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=SETUP_TIMEOUT_S)
    if out.returncode != 0:
        raise RunError(f'{what} failed: ' +
                       out.stderr.decode(errors='replace').strip())
    return out.stdout.decode(errors='replace')


# ------------------------------------------------------------------ the path

class Path:
    """Two namespaces, A (sender) and B (receiver), and the delay line
    between them while one runs."""

    def __init__(self, args):
        self.args = args
        tag = f'sc-lp-{os.getpid()}'
        self.ns = {'a': f'{tag}-a', 'b': f'{tag}-b'}
        self.made = []
        self.line = None
        self.line_log = None

    def create(self):
        for ns in self.ns.values():
            run_quiet(['ip', 'netns', 'add', ns], f'ip netns add {ns}')
            self.made.append(ns)
            run_quiet(['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
                      f'lo up in {ns}')
            if self.args.tcp_mem_max:
                top = self.args.tcp_mem_max * MIB
                self.sysctl(ns, 'net.ipv4.tcp_rmem', f'4096 131072 {top}')
                self.sysctl(ns, 'net.ipv4.tcp_wmem', f'4096 16384 {top}')
            if self.args.congestion:
                self.sysctl(ns, 'net.ipv4.tcp_congestion_control',
                            self.args.congestion)

    def sysctl(self, ns, key, value):
        run_quiet(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w',
                   f'{key}={value}'], f'sysctl {key} in {ns}')

    def read_sysctl(self, key):
        return ' '.join(run_quiet(['ip', 'netns', 'exec', self.ns['a'],
                                   'sysctl', '-n', key], key).split())

    def connect(self, rtt_ms, work):
        """Start the delay line for rtt_ms and address both ends."""
        self.line_log = os.path.join(work, f'delayline-{rtt_ms}.log')
        argv = [self.args.delayline, '-d', str(int(rtt_ms * 1000 / 2)),
                '-r', str(self.args.rate_mbit), '-n', DEV,
                f'/run/netns/{self.ns["a"]}', f'/run/netns/{self.ns["b"]}']
        with open(self.line_log, 'wb') as err:
            self.line = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=err,
                                         start_new_session=True)
        if self.line.stdout.readline().strip() != b'ready':
            self.line.wait(SETUP_TIMEOUT_S)
            raise RunError('delayline did not start: ' + tail(self.line_log))
        for side, here, there in (('a', SENDER_ADDR, RECEIVER_ADDR),
                                  ('b', RECEIVER_ADDR, SENDER_ADDR)):
            ns = self.ns[side]
            run_quiet(['ip', '-n', ns, 'link', 'set', DEV, 'mtu',
                       str(self.args.mtu), 'up'], f'{DEV} up in {ns}')
            run_quiet(['ip', '-n', ns, 'addr', 'add', here, 'peer', there,
                       'dev', DEV], f'address in {ns}')

    def disconnect(self):
        """Stop the delay line; its last lines say what it passed."""
        if self.line is None:
            return ''
        line, self.line = self.line, None
        try:                        # end of file on its stdin: it stops
            out, _ = line.communicate(timeout=SETUP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            line.kill()
            out, _ = line.communicate()
        return out.decode(errors='replace').strip().replace('\n', '; ')

    def destroy(self):
        self.disconnect()
        for ns in self.made:
            subprocess.run(['ip', 'netns', 'del', ns],
                           stdin=subprocess.DEVNULL, capture_output=True)
        self.made = []

    def exec_argv(self, side, argv):
        return ['ip', 'netns', 'exec', self.ns[side]] + argv

    def measured_rtt_ms(self):
        """The median time of 5 TCP connection attempts to a closed port:
        SYN there, RST back, one round trip."""
        code = ('import socket, statistics, time\n'
                't = []\n'
                'for _ in range(5):\n'
                '    s = socket.socket()\n'
                '    t0 = time.monotonic()\n'
                '    try:\n'
                f'        s.connect(("{RECEIVER_ADDR}", 9))\n'
                '    except OSError:\n'
                '        pass\n'
                '    t.append(time.monotonic() - t0)\n'
                '    s.close()\n'
                'print(statistics.median(t) * 1000)\n')
        out = run_quiet(self.exec_argv('a', [sys.executable, '-c', code]),
                        'RTT probe')
        return float(out.strip())


# ------------------------------------------------------------------ tools

class Tool:
    key = label = None

    def missing(self):
        return None

    def setup(self, work):
        pass

    def receiver(self, ctx, stdout):
        """Start the receiving end; returns its Proc once it listens."""
        raise NotImplementedError

    def sender(self, ctx, stdin):
        raise NotImplementedError


class Context:
    """What a tool needs to start its ends: the path and a log directory."""

    def __init__(self, path, work):
        self.path = path
        self.work = work
        self.serial = 0
        # Processes a transfer stops but does not wait for (a relay).
        self.extra = []

    def spawn(self, name, side, argv, stdin=None, stdout=None, env=None):
        self.serial += 1
        log = os.path.join(self.work, 'logs', f'{self.serial:04d}-{name}.log')
        return Proc(name, self.path.exec_argv(side, argv), None,
                    'send' if side == 'a' else 'recv', log, stdin=stdin,
                    stdout=stdout, env=env)

    def wait_line(self, proc, pattern):
        deadline = time.monotonic() + SETUP_TIMEOUT_S
        regex = re.compile(pattern, re.MULTILINE)
        while True:
            with open(proc.log, errors='replace') as f:
                if regex.search(f.read()):
                    return
            if proc.done():
                raise RunError(proc.failure() or
                               f'{proc.name} exited before it listened')
            if time.monotonic() > deadline:
                raise RunError(f'{proc.name} not listening after '
                               f'{SETUP_TIMEOUT_S} s: {tail(proc.log)}')
            time.sleep(0.005)


class Sealcat(Tool):
    def __init__(self, program, suite, variant=None):
        self.program = program
        self.suite = suite
        self.key = suite if variant is None else f'{suite}@{variant}'
        self.label = f'sealcat {suite}' + (f' ({variant})' if variant
                                           else '')
        self.variant = variant

    def missing(self):
        if not (os.path.isfile(self.program) and
                os.access(self.program, os.X_OK)):
            return f'no sealcat binary at {self.program}'
        return None

    def setup(self, work):
        name = re.sub(r'[^A-Za-z0-9_.-]', '_', self.key)
        home = os.path.join(work, f'home-{name}')
        os.makedirs(os.path.join(home, '.config'))
        self.env = dict(os.environ, HOME=home,
                        XDG_CONFIG_HOME=os.path.join(home, '.config'))
        self.env.pop('SEALCAT_IDENTITY', None)
        self.server_id = os.path.join(work, f'{name}-srv')
        self.client_id = os.path.join(work, f'{name}-cli')
        self.server_token = self.keygen(self.server_id)
        self.client_token = self.keygen(self.client_id)

    def keygen(self, path):
        return run_quiet([self.program, 'keygen', '-o', path, '--suite',
                          self.suite], 'sealcat keygen').strip()

    def receiver(self, ctx, stdout):
        p = ctx.spawn('sealcat-listen', 'b', [
            self.program, 'listen', '--recv-only', '-v', '-a',
            self.client_token, '-i', self.server_id, RECEIVER_ADDR,
            str(PORT)], stdout=stdout, env=self.env)
        ctx.wait_line(p, r'listening on ')
        return p

    def sender(self, ctx, stdin):
        return ctx.spawn('sealcat-connect', 'a', [
            self.program, 'connect', '--send-only', '-p', self.server_token,
            '-i', self.client_id, RECEIVER_ADDR, str(PORT)], stdin=stdin,
            env=self.env)


class SealcatVia(Sealcat):
    """sealcat through `sealcat relay`: the relay runs in the receiver's
    namespace, so the sender's hop to it is the long path and the
    listener's hop is local, as with a relay near the listener."""

    def __init__(self, program, suite='x25519'):
        super().__init__(program, suite)
        self.key = 'sealcat-via'
        self.label = f'sealcat {suite} via relay'
        self.relay_addr = f'{RECEIVER_ADDR}:{PORT + 1}'

    def receiver(self, ctx, stdout):
        relay = ctx.spawn('sealcat-relay', 'b', [
            self.program, 'relay', '-v', RECEIVER_ADDR, str(PORT + 1)])
        ctx.extra.append(relay)
        ctx.wait_line(relay, r'listening on ')
        p = ctx.spawn('sealcat-listen-via', 'b', [
            self.program, 'listen', '--recv-only', '-v', '-a',
            self.client_token, '-i', self.server_id, '--via',
            self.relay_addr], stdout=stdout, env=self.env)
        ctx.wait_line(p, r'via relay .*, pseudonym ')
        return p

    def sender(self, ctx, stdin):
        return ctx.spawn('sealcat-connect-via', 'a', [
            self.program, 'connect', '--send-only', '-p', self.server_token,
            '-i', self.client_id, '--via', self.relay_addr, '--retry', '10'],
            stdin=stdin, env=self.env)


class Netcat(Tool):
    key = 'nc'
    label = 'nc (no crypto)'

    def missing(self):
        if not shutil.which('nc'):
            return 'nc is not installed (Debian: netcat-openbsd)'
        if 'OpenBSD netcat' not in bench.first_line(['nc', '-h']):
            return 'nc is not OpenBSD netcat (needs -N)'
        return None

    def receiver(self, ctx, stdout):
        p = ctx.spawn('nc-listen', 'b', ['nc', '-l', '-n', '-d', '-v',
                                         RECEIVER_ADDR, str(PORT)],
                      stdout=stdout)
        ctx.wait_line(p, r'Listening on ')
        return p

    def sender(self, ctx, stdin):
        return ctx.spawn('nc', 'a', ['nc', '-N', '-n', RECEIVER_ADDR,
                                     str(PORT)], stdin=stdin)


class SocatTLS(Tool):
    """socat OPENSSL, TLS 1.3 with OpenSSL's default cipher, 64 KiB blocks;
    a throwaway P-256 certificate that the client checks."""
    key = 'socat-tls'
    label = 'socat OPENSSL -b65536'

    def missing(self):
        for program in ('socat', 'openssl'):
            if not shutil.which(program):
                return f'{program} is not installed'
        return None

    def setup(self, work):
        self.cert = os.path.join(work, 'tls-cert.pem')
        self.key_file = os.path.join(work, 'tls-key.pem')
        run_quiet(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                   'ec_paramgen_curve:prime256v1', '-nodes', '-keyout',
                   self.key_file, '-out', self.cert, '-days', '2', '-subj',
                   '/CN=localhost'], 'openssl req')

    def receiver(self, ctx, stdout):
        addr = (f'OPENSSL-LISTEN:{PORT},bind={RECEIVER_ADDR},reuseaddr,'
                f'cert={self.cert},key={self.key_file},verify=0')
        p = ctx.spawn('socat-listen', 'b', ['socat', '-d', '-d', '-b65536',
                                            '-u', addr, '-'], stdout=stdout)
        ctx.wait_line(p, r'listening on ')
        return p

    def sender(self, ctx, stdin):
        addr = (f'OPENSSL:{RECEIVER_ADDR}:{PORT},cafile={self.cert},'
                'commonname=localhost')
        return ctx.spawn('socat', 'a', ['socat', '-b65536', '-u', '-', addr],
                         stdin=stdin)


def transfer(ctx, tool, data, size, timeout, verify=False):
    """One stream through tool: MB/s, or (verify) the SHA-256 received."""
    procs = []
    digest_log = os.path.join(ctx.work, 'digest.out')
    try:
        if verify:
            rd, wr = os.pipe()
            with open(digest_log, 'wb') as out:
                hasher = Proc('sha256sum', ['sha256sum'], None, 'recv',
                              os.path.join(ctx.work, 'logs', 'sha256.log'),
                              stdin=rd, stdout=out)
            procs.append(hasher)
            try:
                procs.append(tool.receiver(ctx, wr))
            finally:
                os.close(rd)
                os.close(wr)
        else:
            with open(os.devnull, 'wb') as out:
                procs.append(tool.receiver(ctx, out))
        with open(data, 'rb') as src:
            t0 = time.monotonic()
            procs.append(tool.sender(ctx, src))
        bench.wait_for(procs, timeout)
        t1 = max(p.t_exit for p in procs)
        for p in procs:
            why = p.failure()
            if why:
                raise RunError(why)
        if verify:
            with open(digest_log) as f:
                return f.read().split()[0]
        return size / (t1 - t0) / MB
    finally:
        bench.stop(procs + ctx.extra)
        ctx.extra = []


# ------------------------------------------------------------------ report

class Row:
    def __init__(self, tool):
        self.tool = tool
        self.unavailable = tool.missing()
        self.mbps = {}          # rtt -> [MB/s]
        self.errors = {}        # rtt -> [why]
        self.verified = None

    def median(self, rtt):
        runs = self.mbps.get(rtt)
        return statistics.median(runs) if runs else None


def ratios(row, ref, rtts):
    """row's median over ref's at each RTT, as "RTT ms R.RRx" cells, and
    whether every one was measured and at least TARGET."""
    parts = []
    met = True
    for rtt in rtts:
        m = row.median(rtt)
        r = ref.median(rtt) if ref else None
        if m is None or not r:
            parts.append(f'{rtt:g} ms —')
            met = False
            continue
        parts.append(f'{rtt:g} ms {m / r:.2f}x')
        met = met and m / r >= TARGET
    return parts, met


def report(args, rows, facts):
    out = ['', f'Long path: {args.size_mb} MiB of random data from one '
           f'network namespace to /dev/null in another, through a delay '
           f'line capped at {args.rate_mbit} Mbit/s (MTU {args.mtu}, '
           f'drop-tail queue of one bandwidth-delay product, 1 MiB at '
           f'least); median of '
           f'{args.rounds} interleaved rounds, MB/s (10^6 bytes), and in '
           f'brackets the ratio to nc.', '']
    out += facts
    out.append('')
    rtts = args.rtt
    out.append('| tool | ' + ' | '.join(f'RTT {r:g} ms' for r in rtts) +
               ' |')
    out.append('|---|' + '---:|' * len(rtts))
    nc = next((r for r in rows if r.tool.key == 'nc'), None)
    for row in rows:
        if row.unavailable:
            out.append(f'| {row.tool.label} | not available: '
                       f'{row.unavailable} |' + ' |' * (len(rtts) - 1))
            continue
        cells = [row.tool.label]
        for rtt in rtts:
            m = row.median(rtt)
            if m is None:
                why = row.errors.get(rtt, ['not measured'])[0]
                cells.append(f'failed: {why}')
                continue
            runs = row.mbps[rtt]
            cell = f'{m:.1f} ({min(runs):.1f}–{max(runs):.1f})'
            ref = nc.median(rtt) if nc else None
            if ref and row is not nc:
                cell += f' [{m / ref:.2f}x]'
            cells.append(cell)
        out.append('| ' + ' | '.join(cells) + ' |')
    out.append('')
    out.append(f'Ratios to nc (target: sealcat >= {TARGET}x at every RTT):')
    out.append('')
    for row in rows:
        if not isinstance(row.tool, Sealcat) or row.unavailable:
            continue
        parts, met = ratios(row, nc if nc and not nc.unavailable else None,
                            rtts)
        verdict = 'met' if met else ('MISSED' if nc and nc.median(rtts[0])
                                     else 'not measured (no nc)')
        out.append(f'- {row.tool.label}: ' + ', '.join(parts) +
                   f': {verdict}')
    via = next((r for r in rows if r.tool.key == 'sealcat-via' and
                not r.unavailable), None)
    direct = next((r for r in rows if r.tool.key == 'x25519' and
                   not r.unavailable), None)
    if via and direct:
        parts, met = ratios(via, direct, rtts)
        out.append('')
        out.append(f'Through the relay vs direct (target >= {TARGET}x at '
                   f'every RTT): ' + ', '.join(parts) +
                   (': met' if met else ': MISSED'))
    verified = [f'{r.tool.label} {r.verified}' for r in rows if r.verified]
    if verified:
        out.append('')
        out.append(f'Integrity (one untimed pass per tool at RTT '
                   f'{rtts[0]:g} ms, SHA-256 of what arrived): ' +
                   '; '.join(verified) + '.')
    print('\n'.join(out), flush=True)


# ------------------------------------------------------------------ main

def make_random_file(path, size):
    digest = hashlib.sha256()
    with open(path, 'wb') as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 4 * MIB))
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description='Throughput of sealcat, nc and socat TLS over an '
        'emulated long path between two network namespaces (needs root).')
    ap.add_argument('--sealcat', metavar='PATH',
                    default=os.environ.get('SEALCAT') or
                    os.path.join(here, '..', '..', 'src', 'sealcat'),
                    help='the sealcat binary (default $SEALCAT or '
                    'src/sealcat)')
    ap.add_argument('--delayline', metavar='PATH',
                    default=os.environ.get('DELAYLINE') or
                    os.path.join(here, 'delayline'),
                    help='the delay line (default $DELAYLINE or '
                    'tests/bench/delayline: make tests/bench/delayline)')
    ap.add_argument('--variant', action='append', default=[],
                    metavar='LABEL=PATH',
                    help='also measure another sealcat build; repeatable')
    ap.add_argument('--suites', default='x25519,p256', metavar='LIST',
                    help='sealcat suites (x25519,p256)')
    ap.add_argument('--tools', default='nc,socat-tls,sealcat-via',
                    metavar='LIST',
                    help='other tools (nc,socat-tls,sealcat-via; "" for '
                    'none)')
    ap.add_argument('--rtt', default='0,20,100', metavar='MS,...',
                    help='round-trip times in ms (0,20,100)')
    ap.add_argument('--rate-mbit', type=int, default=1000, metavar='N',
                    help='the cap in Mbit/s (1000)')
    ap.add_argument('--mtu', type=int, default=9000, metavar='BYTES',
                    help='MTU of the path (9000: fewer packets for the '
                    'delay line to move)')
    ap.add_argument('--size-mb', type=int, default=512, metavar='MIB',
                    help='stream size in MiB (512)')
    ap.add_argument('--rounds', type=int, default=3, metavar='N',
                    help='interleaved rounds per RTT (3)')
    ap.add_argument('--tcp-mem-max', type=int, default=64, metavar='MIB',
                    help='the largest TCP buffer autotuning may reach in '
                    'the namespaces (tcp_rmem/tcp_wmem max; 64: enough for '
                    '1 Gbit/s at 100 ms; 0: leave the defaults)')
    ap.add_argument('--congestion', metavar='NAME',
                    help='TCP congestion control in the namespaces '
                    '(default: the system\'s)')
    ap.add_argument('--no-verify', action='store_true',
                    help='skip the untimed SHA-256 pass')
    ap.add_argument('--dir', default='/dev/shm', metavar='DIR',
                    help='where the data file goes (/dev/shm)')
    args = ap.parse_args()
    try:
        args.rtt = [float(x) for x in args.rtt.split(',') if x.strip()]
    except ValueError:
        ap.error('--rtt: a comma-separated list of numbers')
    if not args.rtt or any(not 0 <= r <= 2000 for r in args.rtt):
        ap.error('--rtt: each 0 to 2000 ms')
    if not 1 <= args.rate_mbit <= 100000:
        ap.error('--rate-mbit must be 1 to 100000')
    if not 576 <= args.mtu <= 65535:
        ap.error('--mtu must be 576 to 65535')
    if not 1 <= args.size_mb <= 65536:
        ap.error('--size-mb must be 1 to 65536')
    if not 1 <= args.rounds <= 100:
        ap.error('--rounds must be 1 to 100')
    if not 0 <= args.tcp_mem_max <= 1024:
        ap.error('--tcp-mem-max must be 0 to 1024')
    return args


def build_rows(args):
    sealcat = os.path.abspath(args.sealcat)
    suites = [s.strip() for s in args.suites.split(',') if s.strip()]
    tools = [Sealcat(sealcat, s) for s in suites]
    for spec in args.variant:
        label, sep, path = spec.partition('=')
        if not sep or not label or not path:
            sys.exit(f'longpath.py: --variant {spec}: use LABEL=PATH')
        tools += [Sealcat(os.path.abspath(path), s, label) for s in suites]
    others = {'nc': Netcat(), 'socat-tls': SocatTLS(),
              'sealcat-via': SealcatVia(sealcat)}
    for key in [t.strip() for t in args.tools.split(',') if t.strip()]:
        if key not in others:
            sys.exit(f'longpath.py: unknown tool {key} — use nc, socat-tls, '
                     'sealcat-via')
        tools.append(others[key])
    return [Row(t) for t in tools]


def cannot_run(args):
    if os.geteuid() != 0:
        return 'needs root (network namespaces and TUN devices)'
    if not shutil.which('ip'):
        return 'ip is not installed (Debian: iproute2)'
    if not os.path.exists('/dev/net/tun'):
        return 'no /dev/net/tun'
    if not os.access(args.delayline, os.X_OK):
        return (f'no delay line at {args.delayline} — run make '
                'tests/bench/delayline, or make bench-longpath')
    return None


def run(args, work):
    rows = build_rows(args)
    for row in rows:
        if row.unavailable is None:
            try:
                row.tool.setup(work)
            except (RunError, OSError, subprocess.TimeoutExpired) as e:
                row.unavailable = str(e)
        if row.unavailable:
            note(f'{row.tool.label}: not available: {row.unavailable}')
    live = [r for r in rows if r.unavailable is None]
    size = args.size_mb * MIB
    data = os.path.join(work, 'data')
    note(f'writing {args.size_mb} MiB of random data to {work}')
    want = make_random_file(data, size)
    os.makedirs(os.path.join(work, 'logs'))
    # 1 MB/s is broken, not slow.
    timeout = 60 + size / MB

    path = Path(args)
    facts = []
    try:
        path.create()
        facts.append(
            f'Namespaces {path.ns["a"]} (sender, {SENDER_ADDR}) and '
            f'{path.ns["b"]} (receiver, {RECEIVER_ADDR}); congestion '
            f'control {path.read_sysctl("net.ipv4.tcp_congestion_control")}'
            f'; tcp_rmem {path.read_sysctl("net.ipv4.tcp_rmem")}; tcp_wmem '
            f'{path.read_sysctl("net.ipv4.tcp_wmem")}.')
        ctx = Context(path, work)
        for i, rtt in enumerate(args.rtt):
            path.connect(rtt, work)
            measured = path.measured_rtt_ms()
            note(f'RTT {rtt:g} ms: measured {measured:.2f} ms')
            if i == 0 and not args.no_verify:
                for row in live:
                    try:
                        got = transfer(ctx, row.tool, data, size, timeout,
                                       verify=True)
                        row.verified = 'ok' if got == want else 'CORRUPTED'
                    except RunError as e:
                        row.verified = f'failed ({e})'
                    note(f'{row.tool.label}: verification: {row.verified}')
            for n in range(1, args.rounds + 1):
                for row in live:
                    try:
                        mbps = transfer(ctx, row.tool, data, size, timeout)
                    except RunError as e:
                        row.errors.setdefault(rtt, []).append(str(e))
                        note(f'RTT {rtt:g} ms round {n}: {row.tool.label}: '
                             f'failed: {e}')
                        continue
                    row.mbps.setdefault(rtt, []).append(mbps)
                    note(f'RTT {rtt:g} ms round {n}/{args.rounds}: '
                         f'{row.tool.label}: {mbps:.1f} MB/s')
            stats = path.disconnect()
            facts.append(f'RTT {rtt:g} ms: measured {measured:.2f} ms '
                         f'(TCP SYN to RST); delay line: {stats}.')
    finally:
        bench.stop_everything()     # nothing of ours left in them
        path.destroy()
    report(args, rows, facts)


def on_signal(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def main():
    args = parse_args()
    why = cannot_run(args)
    if why:
        note(f'longpath.py: cannot run: {why}')
        return 0
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    base = args.dir
    try:
        if shutil.disk_usage(base).free < (args.size_mb + 64) * MIB:
            base = tempfile.gettempdir()
    except OSError:
        base = tempfile.gettempdir()
    work = tempfile.mkdtemp(prefix='sealcat-longpath.', dir=base)
    try:
        run(args, work)
    except (KeyboardInterrupt, Interrupted):
        note('longpath.py: interrupted — stopped every process it started '
             'and removed its namespaces')
        return 130
    except RunError as e:
        note(f'longpath.py: {e}')
        return 1
    finally:
        bench.stop_everything()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
