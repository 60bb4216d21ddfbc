#!/usr/bin/env python3
"""bench.py - how fast sealcat moves a stream, and at what cost (issue 6).

For each sealcat suite and for the pipes people would pick instead (nc,
socat plain and TLS 1.3, spiped, when installed) this measures, over
127.0.0.1 only:

  throughput   a file of random data from /dev/shm to /dev/null, sender
               side pinned to the first CPU, receiver side to the second;
  CPU cost     user + system seconds per GB of every process of both sides
               (wait4 rusage, so children that a tool reaps count too);
  connections  one client process per 1-byte transfer, one after another,
               against a server that keeps accepting;
  memory       the peak RSS of each side's tool process during a 64 MiB and
               a 512 MiB transfer.

Rounds are interleaved (every tool once, then again) so that a busy moment
of the machine does not land on one tool only; the tables show medians and
the min-max range.  One untimed pass per tool first checks the SHA-256 of
what the receiver wrote.  A benchmark, not a test: it reports, and exits 0
even when a tool fails (the table says so).

With --progress, sealcat is measured again with --progress on both sides
(issue 18), its stderr once into the log file (a plain line every 5 s) and
once on a pty (redrawn 4 times a second), in the same interleaved rounds:
what the status line costs is the difference between the rows.

    make bench BENCH_FLAGS='--size-mb 256 --rounds 3'
    make bench BENCH_FLAGS='--progress --tools x25519,x25519@progress,x25519@progress-tty --no-conn --no-rss'
    SEALCAT=src/sealcat python3 tests/bench/bench.py --help
"""

import argparse
import hashlib
import os
import platform
import re
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1 << 20
MB = 10 ** 6            # throughput unit: MB/s
GB = 10 ** 9            # CPU cost unit: CPU seconds per GB
LOOPBACK = '127.0.0.1'
RSS_SIZES_MIB = (64, 512)
RSS_LIMIT_KIB = 4096    # issue 6: peak RSS <= 4 MiB per side
RSS_FLAT_KIB = 128      # "does not grow": 512 MiB peak within this of 64 MiB
RSS_SAMPLE_S = 0.002
CONN_CLIENT_TIMEOUT_S = 10
SETUP_TIMEOUT_S = 10


class RunError(Exception):
    """One measurement failed; the message says what and why."""


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop like Ctrl-C does."""


def note(msg):
    print(msg, file=sys.stderr, flush=True)


def tail(path, lines=2):
    """The last lines of a log file, for error messages."""
    try:
        with open(path, errors='replace') as f:
            text = f.read().strip().splitlines()
    except OSError:
        return ''
    return ' | '.join(text[-lines:])


# ------------------------------------------------------------------ processes

class Proc:
    """A child process: pinned to one CPU when spawned (it inherits our
    affinity, which is what taskset does, without an extra exec), in its own
    process group so that it and its children can be stopped together, and
    reaped with wait4 for its rusage.

    Peak RSS comes from /proc/PID/status VmHWM, sampled until the process
    exits: ru_maxrss cannot be used, because exec records the spawning
    process's RSS (this Python, ~14 MiB) into the child's maxrss."""

    live = []           # not yet reaped: stopped by stop_everything()

    def __init__(self, name, argv, cpu, side, log, stdin=None, stdout=None,
                 env=None, measure=False, tty=False):
        self.name = name
        self.side = side            # 'send' or 'recv': whose CPU it costs
        self.log = log
        self.measure = measure      # its VmHWM is the side's peak RSS
        self.status = None
        self.rusage = None
        self.t_exit = None
        self.hwm_kib = None
        self.anon_kib = None        # largest RssAnon sampled
        saved = os.sched_getaffinity(0)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        slave = None
        try:
            with open(log, 'wb') as err:
                if tty:
                    # stderr on a terminal (a pty, copied into the log).
                    master, slave = os.openpty()
                    PtyDrain(master, log)
                self.popen = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL if stdin is None else stdin,
                    stdout=subprocess.DEVNULL if stdout is None else stdout,
                    stderr=err if slave is None else slave, env=env,
                    start_new_session=True)
        except OSError as e:
            raise RunError(f'cannot run {argv[0]}: {e.strerror}') from None
        finally:
            os.sched_setaffinity(0, saved)
            if slave is not None:
                os.close(slave)
        self.pid = self.popen.pid
        self.pidfd = os.pidfd_open(self.pid)
        Proc.live.append(self)

    @property
    def cpu_s(self):
        if self.rusage is None:
            return 0.0
        return self.rusage.ru_utime + self.rusage.ru_stime

    def done(self):
        """Reap without blocking; True once the process has ended."""
        if self.status is not None:
            return True
        pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.t_exit = time.monotonic()
        self.status = os.waitstatus_to_exitcode(status)
        self.rusage = rusage
        self.popen.returncode = self.status     # Popen must not reap again
        os.close(self.pidfd)
        Proc.live.remove(self)
        return True

    def sample_rss(self):
        # A zombie's status has no Vm lines: the last value read stays.
        # RssAnon is the memory the process made (VmHWM adds the pages of
        # its binary and libraries that happen to be mapped, which vary by
        # tens of KiB from run to run); only its samples' maximum is known.
        try:
            with open(f'/proc/{self.pid}/status') as f:
                for line in f:
                    if line.startswith('VmHWM:'):
                        self.hwm_kib = int(line.split()[1])
                    elif line.startswith('RssAnon:'):
                        anon = int(line.split()[1])
                        self.anon_kib = max(anon, self.anon_kib or 0)
        except OSError:
            pass

    def signal(self, sig):
        if self.status is None:
            try:
                os.killpg(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def failure(self):
        """None if it exited 0, else why not."""
        if self.status == 0:
            return None
        how = (f'killed by signal {-self.status}' if self.status < 0
               else f'exit status {self.status}')
        why = tail(self.log)
        return f'{self.name}: {how}' + (f': {why}' if why else '')


class PtyDrain:
    """Copies what a process writes to its terminal (the master side of a
    pty) into a log file, in a thread, until the last process holding the
    terminal has closed it."""

    def __init__(self, master, log):
        self.master = master
        self.log = log
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        with open(self.log, 'ab', buffering=0) as out:
            while True:
                try:
                    data = os.read(self.master, 65536)
                except OSError:     # EIO: the terminal is closed
                    break
                if not data:
                    break
                out.write(data)
        os.close(self.master)


def wait_for(procs, timeout, sample=()):
    """Wait until every process in procs has ended, at most timeout seconds;
    meanwhile sample the RSS of the processes in sample."""
    deadline = time.monotonic() + timeout
    pending = [p for p in procs if not p.done()]
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            names = ', '.join(p.name for p in pending)
            raise RunError(f'{names} still running after {timeout:.0f} s')
        for p in sample:
            if p.status is None:
                p.sample_rss()
        poller = select.poll()
        for p in pending:
            poller.register(p.pidfd, select.POLLIN)
        step = min(left, RSS_SAMPLE_S) if sample else left
        poller.poll(step * 1000)
        pending = [p for p in pending if not p.done()]


def wait_exited(procs, timeout):
    """Wait until every process in procs has exited, without reaping it: a
    zombie keeps its pid, so its process group can still be signalled."""
    deadline = time.monotonic() + timeout
    while True:
        poller = select.poll()
        for p in procs:
            poller.register(p.pidfd, select.POLLIN)
        ready = poller.poll(0)
        left = deadline - time.monotonic()
        if len(ready) == len(procs) or left <= 0:
            return
        poller.poll(min(left, 0.05) * 1000)


def stop(procs, grace=5.0):
    """Stop whatever in procs still runs, with whatever it forked: SIGTERM to
    each process group, a grace period, then SIGKILL to what is left of the
    group (socat's forked children can spin after SIGTERM); reap all."""
    live = [p for p in procs if p.status is None]
    for p in live:
        p.signal(signal.SIGTERM)
    wait_exited(live, grace)
    for p in live:
        p.signal(signal.SIGKILL)
    wait_for(live, grace)


def stop_everything():
    live = list(Proc.live)
    if live:
        try:
            stop(live, grace=2.0)
        except (RunError, OSError):
            pass


def free_port():
    """A port nobody listens on right now (for tools that cannot bind port 0
    and tell us which port they got)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def is_listening(port):
    with open('/proc/net/tcp') as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == '0A' and int(fields[1].split(':')[1], 16) == port:
                return True
    return False


def wait_listening(proc, port):
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    while not is_listening(port):
        if proc.done():
            raise RunError(proc.failure() or f'{proc.name} exited early')
        if time.monotonic() > deadline:
            raise RunError(f'{proc.name} not listening on port {port} '
                           f'after {SETUP_TIMEOUT_S} s')
        time.sleep(0.002)


def wait_port(proc, pattern):
    """Wait for a server to print the port it bound (it was given port 0)."""
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    regex = re.compile(pattern, re.MULTILINE)
    while True:
        with open(proc.log, errors='replace') as f:
            m = regex.search(f.read())
        if m:
            return int(m.group(1))
        if proc.done():
            raise RunError(proc.failure() or
                           f'{proc.name} exited before it listened')
        if time.monotonic() > deadline:
            raise RunError(f'{proc.name} did not report its port after '
                           f'{SETUP_TIMEOUT_S} s: {tail(proc.log)}')
        time.sleep(0.002)


def cpu_busy_ticks(cpus):
    """Busy clock ticks so far of the given CPUs (/proc/stat)."""
    busy = 0
    with open('/proc/stat') as f:
        for line in f:
            fields = line.split()
            if fields[0] in (f'cpu{c}' for c in cpus):
                ticks = [int(x) for x in fields[1:9]]
                busy += sum(ticks) - ticks[3] - ticks[4]   # minus idle, iowait
    return busy


def wait_idle(cpus, limit_s, threshold=0.10, window_s=0.3):
    """Wait, at most limit_s seconds, until the given CPUs are less than
    threshold busy over window_s; returns the last busy fraction seen."""
    deadline = time.monotonic() + limit_s
    while True:
        busy0 = cpu_busy_ticks(cpus)
        time.sleep(window_s)
        busy = ((cpu_busy_ticks(cpus) - busy0) / os.sysconf('SC_CLK_TCK') /
                (window_s * len(cpus)))
        if busy < threshold or time.monotonic() >= deadline:
            return busy


# ------------------------------------------------------------------ context

class Bench:
    """What every tool needs: where to put files, which CPUs, spawning."""

    def __init__(self, work, cpus, idle_wait=0.0):
        self.work = work
        self.cpus = cpus            # (sender CPU, receiver CPU) or (None, None)
        self.idle_wait = idle_wait  # --wait-idle
        self.serial = 0
        os.makedirs(os.path.join(work, 'logs'))

    def settle(self):
        """Before a timed run: wait for the machine to be quiet, if asked."""
        cpus = [c for c in self.cpus if c is not None]
        if self.idle_wait > 0 and cpus:
            busy = wait_idle(cpus, self.idle_wait)
            if busy >= 0.10:
                note(f'still {busy:.0%} busy after waiting '
                     f'{self.idle_wait:.0f} s; measuring anyway')

    def path(self, name):
        return os.path.join(self.work, name)

    def spawn(self, name, argv, side, log=None, **kw):
        if log is None:
            self.serial += 1
            log = self.path(f'logs/{self.serial:04d}-{name}.log')
        cpu = self.cpus[0] if side == 'send' else self.cpus[1]
        return Proc(name, argv, cpu, side, log, **kw)


# ------------------------------------------------------------------ tools
#
# A tool starts a receiver (on the receiver CPU), optionally more sender-side
# daemons, and a sender (on the sender CPU).  "main" processes end when the
# stream has been delivered; "daemons" are stopped afterwards (their CPU still
# counts).  keep=True asks for a receiver that keeps accepting (connection
# rate).

class Tool:
    key = ''
    label = ''

    def missing(self):
        """None if the tool can run here, else why not."""
        return None

    def setup(self, bench):
        pass

    def version(self):
        return ''

    def prepare_sender(self, bench, port):
        """Sender-side daemons started before the clock starts."""
        return [], port

    def verify_log(self, procs):
        """Extra facts for the verification line (e.g. the TLS cipher)."""
        return ''


def have(program):
    return shutil.which(program) is not None


def first_line(argv):
    try:
        out = subprocess.run(argv, stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ''
    text = (out.stdout + out.stderr).decode(errors='replace').strip()
    return text.splitlines()[0] if text else ''


class Sealcat(Tool):
    def __init__(self, program, suite, variant=None, extra=(), tty=False):
        self.program = program
        self.suite = suite
        self.variant = variant      # another build, or other options, for
                                    # before/after rows
        self.extra = list(extra)    # options for both sides
        self.tty = tty              # stderr on a terminal (a pty)
        self.key = suite if variant is None else f'{suite}@{variant}'
        self.label = f'sealcat {suite}' + (f' ({variant})' if variant
                                           else '')
        self.env = None

    def missing(self):
        if not (os.path.isfile(self.program) and
                os.access(self.program, os.X_OK)):
            return f'no sealcat binary at {self.program}'
        return None

    def version(self):
        return first_line([self.program, '--version'])

    def setup(self, bench):
        name = re.sub(r'[^A-Za-z0-9_.-]', '_', self.key)
        home = bench.path(f'home-{name}')
        os.makedirs(os.path.join(home, '.config'))
        self.env = dict(os.environ, HOME=home,
                        XDG_CONFIG_HOME=os.path.join(home, '.config'))
        self.env.pop('SEALCAT_IDENTITY', None)
        self.server_id = bench.path(f'{name}-srv')
        self.client_id = bench.path(f'{name}-cli')
        self.server_token = self.keygen(self.server_id)
        self.client_token = self.keygen(self.client_id)

    def keygen(self, path):
        argv = [self.program, 'keygen', '-o', path, '--suite', self.suite]
        out = subprocess.run(argv, env=self.env, stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=SETUP_TIMEOUT_S)
        if out.returncode != 0:
            err = out.stderr.decode(errors='replace').strip()
            raise RunError(f'keygen failed: {err}')
        return out.stdout.decode().strip()

    def receiver(self, bench, stdout, keep):
        argv = [self.program, 'listen', '--recv-only', '-v',
                '-a', self.client_token, '-i', self.server_id]
        argv += ['-k'] if keep else []
        argv += self.extra + [LOOPBACK, '0']
        p = bench.spawn('sealcat-listen', argv, 'recv', stdout=stdout,
                        env=self.env, measure=True, tty=self.tty)
        return [p], [], wait_port(p, r'listening on \S+:(\d+)')

    def sender(self, bench, port, stdin, log=None):
        argv = [self.program, 'connect', '--send-only',
                '-p', self.server_token, '-i', self.client_id] + \
            self.extra + [LOOPBACK, str(port)]
        return [bench.spawn('sealcat-connect', argv, 'send', log=log,
                            stdin=stdin, env=self.env, measure=True,
                            tty=self.tty)]


class Netcat(Tool):
    key = 'nc'
    label = 'nc (no crypto)'

    def missing(self):
        if not have('nc'):
            return 'nc is not installed'
        if 'OpenBSD netcat' not in first_line(['nc', '-h']):
            return 'nc is not OpenBSD netcat (needs -N)'
        return None

    def version(self):
        return first_line(['nc', '-h'])

    def receiver(self, bench, stdout, keep):
        argv = ['nc', '-l', '-n', '-d', '-v'] + (['-k'] if keep else [])
        p = bench.spawn('nc-listen', argv + [LOOPBACK, '0'], 'recv',
                        stdout=stdout, measure=True)
        return [p], [], wait_port(p, r'Listening on \S+ (\d+)')

    def sender(self, bench, port, stdin, log=None):
        return [bench.spawn('nc', ['nc', '-N', '-n', LOOPBACK, str(port)],
                            'send', log=log, stdin=stdin, measure=True)]


class Socat(Tool):
    """socat, plain TCP or TLS 1.3 with one cipher suite (forced through an
    OpenSSL config file: socat 1.7 has no option for TLS 1.3 suites), with
    64 KiB blocks or its default 8 KiB.  The server's certificate is a
    throwaway P-256 one, checked by the client against its own copy."""

    def __init__(self, ciphersuite=None, name=None, big_blocks=True):
        self.ciphersuite = ciphersuite
        self.block_opts = ['-b65536'] if big_blocks else []
        blocks = '-b65536' if big_blocks else 'default -b 8192'
        if ciphersuite is None:
            self.key = 'socat'
            self.label = f'socat TCP {blocks} (no crypto)'
        else:
            self.key = f'socat-{name.lower()}'
            self.label = f'socat TLS 1.3 {name} {blocks}'
        if not big_blocks:
            self.key += '-8k'
        self.env = None

    def missing(self):
        if not have('socat'):
            return 'socat is not installed'
        if self.ciphersuite and not have('openssl'):
            return 'openssl is not installed (needed for the certificate)'
        return None

    def version(self):
        if self.ciphersuite is None:
            return socat_version()
        return first_line(['openssl', 'version'])

    def setup(self, bench):
        if self.ciphersuite is None:
            return
        self.cert = bench.path('tls-cert.pem')
        self.key_file = bench.path('tls-key.pem')
        if not os.path.exists(self.cert):
            argv = ['openssl', 'req', '-x509', '-newkey', 'ec',
                    '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-keyout', self.key_file, '-out', self.cert, '-days', '2',
                    '-subj', '/CN=localhost']
            out = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                 capture_output=True, timeout=SETUP_TIMEOUT_S)
            if out.returncode != 0:
                raise RunError('openssl req failed: ' +
                               out.stderr.decode(errors='replace').strip())
        conf = bench.path(f'openssl-{self.key}.cnf')
        with open(conf, 'w') as f:
            f.write('openssl_conf = default_conf\n'
                    '[default_conf]\nssl_conf = ssl_sect\n'
                    '[ssl_sect]\nsystem_default = tls_sect\n'
                    '[tls_sect]\nMinProtocol = TLSv1.3\n'
                    f'Ciphersuites = {self.ciphersuite}\n')
        self.env = dict(os.environ, OPENSSL_CONF=conf)

    def receiver(self, bench, stdout, keep):
        if self.ciphersuite is None:
            addr = f'TCP-LISTEN:0,bind={LOOPBACK},reuseaddr'
        else:
            addr = (f'OPENSSL-LISTEN:0,bind={LOOPBACK},reuseaddr,'
                    f'cert={self.cert},key={self.key_file},verify=0')
        addr += ',fork' if keep else ''
        argv = ['socat', '-d', '-d'] + self.block_opts + ['-u', addr, '-']
        p = bench.spawn('socat-listen', argv, 'recv', stdout=stdout,
                        env=self.env, measure=True)
        return [p], [], wait_port(p, r'listening on AF=2 [\d.]+:(\d+)')

    def sender(self, bench, port, stdin, log=None):
        if self.ciphersuite is None:
            addr = f'TCP:{LOOPBACK}:{port}'
        else:
            addr = (f'OPENSSL:{LOOPBACK}:{port},cafile={self.cert},'
                    'commonname=localhost')
        argv = ['socat', '-d', '-d'] + self.block_opts + ['-u', '-', addr]
        return [bench.spawn('socat', argv, 'send', log=log, stdin=stdin,
                            env=self.env, measure=True)]

    def verify_log(self, procs):
        if self.ciphersuite is None:
            return ''
        for p in procs:
            if p.name == 'socat':
                with open(p.log, errors='replace') as f:
                    m = re.search(r'SSL connection using (\S+)', f.read())
                if m is None:
                    raise RunError('socat did not report its TLS cipher')
                if m.group(1) != self.ciphersuite:
                    raise RunError(f'TLS negotiated {m.group(1)}, '
                                   f'not {self.ciphersuite}')
                return f'negotiated {m.group(1)}'
        return ''


def socat_version():
    for line in subprocess.run(['socat', '-V'], capture_output=True,
                               stdin=subprocess.DEVNULL,
                               timeout=10).stdout.decode().splitlines():
        if line.startswith('socat version'):
            return ' '.join(line.split()[:3])
    return 'socat'


class Spiped(Tool):
    """nc -> spiped -e -> spiped -d -> nc -l, the daemons in the foreground;
    the encrypting one is on the sender's CPU, the decrypting one on the
    receiver's, and their CPU time counts."""
    key = 'spiped'
    label = 'spiped (nc at both ends)'

    def missing(self):
        for program in ('spiped', 'nc'):
            if not have(program):
                return f'{program} is not installed'
        return Netcat().missing()

    def version(self):
        return first_line(['spiped', '-v'])

    def setup(self, bench):
        self.key_file = bench.path('spiped.key')
        with open(self.key_file, 'wb') as f:
            f.write(os.urandom(32))

    def receiver(self, bench, stdout, keep):
        nc_procs, _, target = Netcat().receiver(bench, stdout, keep)
        nc_procs[0].measure = False
        port = free_port()
        argv = ['spiped', '-d', '-F', '-s', f'[{LOOPBACK}]:{port}',
                '-t', f'[{LOOPBACK}]:{target}', '-k', self.key_file]
        daemon = bench.spawn('spiped-d', argv, 'recv', measure=True)
        wait_listening(daemon, port)
        return nc_procs, [daemon], port

    def prepare_sender(self, bench, target):
        port = free_port()
        argv = ['spiped', '-e', '-F', '-s', f'[{LOOPBACK}]:{port}',
                '-t', f'[{LOOPBACK}]:{target}', '-k', self.key_file]
        daemon = bench.spawn('spiped-e', argv, 'send', measure=True)
        wait_listening(daemon, port)
        return [daemon], port

    def sender(self, bench, port, stdin, log=None):
        procs = Netcat().sender(bench, port, stdin, log)
        procs[0].measure = False
        return procs


class Spipe(Spiped):
    """spipe, spiped's client, which does the handshake and the encryption
    itself (one process per connection, like sealcat connect), against
    spiped -d and nc -l."""
    key = 'spipe'
    label = 'spiped (spipe client)'

    def missing(self):
        if not have('spipe'):
            return 'spipe is not installed'
        return super().missing()

    def prepare_sender(self, bench, port):
        return [], port

    def sender(self, bench, port, stdin, log=None):
        argv = ['spipe', '-t', f'[{LOOPBACK}]:{port}', '-k', self.key_file]
        return [bench.spawn('spipe', argv, 'send', log=log, stdin=stdin,
                            measure=True)]


# ------------------------------------------------------------------ runs

class Transfer:
    """The result of one stream through one tool."""

    def __init__(self, size, elapsed, procs, other_busy):
        self.size = size
        self.elapsed = elapsed
        self.mbps = size / elapsed / MB
        self.cpu_send = sum(p.cpu_s for p in procs if p.side == 'send')
        self.cpu_recv = sum(p.cpu_s for p in procs if p.side == 'recv')
        self.cpu_per_gb = (self.cpu_send + self.cpu_recv) / (size / GB)
        self.rss = {}
        self.anon = {}
        for side in ('send', 'recv'):
            mine = [p for p in procs if p.side == side and p.measure]
            peaks = [p.hwm_kib for p in mine]
            if peaks and None not in peaks:
                self.rss[side] = sum(peaks)
            anon = [p.anon_kib for p in mine]
            if anon and None not in anon:
                self.anon[side] = sum(anon)
        self.other_busy = other_busy


def transfer(bench, tool, path, size, timeout, verify=False, sample=False):
    """Move the file at path through tool once; a Transfer or RunError."""
    procs = []
    try:
        devnull = open(os.devnull, 'wb')
        hasher = None
        if verify:
            rd, wr = os.pipe()
            out = wr
        else:
            out = devnull
        try:
            main_r, daemons_r, port = tool.receiver(bench, out, keep=False)
            procs += main_r + daemons_r
            if verify:
                digest_log = bench.path('digest.out')
                with open(digest_log, 'wb') as digest_out:
                    hasher = bench.spawn('sha256sum', ['sha256sum'], 'recv',
                                         stdin=rd, stdout=digest_out)
                procs.append(hasher)
        finally:
            if verify:
                os.close(rd)
                os.close(wr)
            devnull.close()
        daemons_s, port = tool.prepare_sender(bench, port)
        procs += daemons_s
        cpus = [c for c in bench.cpus if c is not None]
        if not verify and not sample:
            bench.settle()
        with open(path, 'rb') as src:
            busy0 = cpu_busy_ticks(cpus)
            t0 = time.monotonic()
            main_s = tool.sender(bench, port, src)
        procs += main_s
        main = main_r + main_s + ([hasher] if hasher else [])
        wait_for(main, timeout, sample=procs if sample else ())
        t1 = max(p.t_exit for p in main)
        busy = (cpu_busy_ticks(cpus) - busy0) / os.sysconf('SC_CLK_TCK')
        stop(daemons_r + daemons_s)
        for p in main:
            why = p.failure()
            if why:
                raise RunError(why)
        ours = sum(p.cpu_s for p in procs)
        window = (t1 - t0) * max(len(cpus), 1)
        other = max(0.0, busy - ours) / window if cpus else 0.0
        result = Transfer(size, t1 - t0, procs, other)
        if verify:
            with open(digest_log) as f:
                result.digest = f.read().split()[0]
            result.facts = tool.verify_log(procs)
        return result
    finally:
        stop(procs)


def connection_rate(bench, tool, count, seconds):
    """Clients one after another, each sending one byte; connections/s."""
    procs = []
    outfile = bench.path('conn.out')
    onebyte = bench.path('onebyte')
    with open(onebyte, 'wb') as f:
        f.write(b'x')
    try:
        with open(outfile, 'wb') as out:
            main_r, daemons_r, port = tool.receiver(bench, out, keep=True)
        procs += main_r + daemons_r
        daemons_s, port = tool.prepare_sender(bench, port)
        procs += daemons_s
        client_log = bench.path('logs/conn-client.log')
        bench.settle()
        done = 0
        t0 = time.monotonic()
        while done < count and time.monotonic() - t0 < seconds:
            with open(onebyte, 'rb') as src:
                clients = tool.sender(bench, port, src, log=client_log)
            wait_for(clients, CONN_CLIENT_TIMEOUT_S)
            for c in clients:
                why = c.failure()
                if why:
                    raise RunError(f'connection {done + 1}: {why}')
            done += 1
        elapsed = time.monotonic() - t0
        # Every byte must have arrived (the server may still be writing).
        deadline = time.monotonic() + 2
        while (os.path.getsize(outfile) < done and
               time.monotonic() < deadline):
            time.sleep(0.01)
        got = os.path.getsize(outfile)
        if got != done:
            raise RunError(f'{done} connections but {got} bytes arrived')
        return done / elapsed
    finally:
        stop(procs)


# ------------------------------------------------------------------ report

def fmt_range(values, spec):
    return f'{min(values):{spec}}–{max(values):{spec}}'


def ratio(a, b):
    if a is None or b is None or b == 0:
        return '—'
    return f'{a / b:.2f}x'


class Row:
    def __init__(self, tool):
        self.tool = tool
        self.unavailable = None     # why the tool was not measured at all
        self.errors = []
        self.runs = []
        self.conn = []
        self.rss = {}               # size MiB -> Transfer
        self.verified = None

    @property
    def ok(self):
        return self.unavailable is None

    def median(self, attr):
        values = [getattr(r, attr) for r in self.runs]
        return statistics.median(values) if values else None

    def conn_median(self):
        return statistics.median(self.conn) if self.conn else None

    def why_empty(self):
        if self.unavailable:
            return f'not available: {self.unavailable}'
        return f'failed: {self.errors[0]}' if self.errors else 'not measured'


def throughput_table(args, rows, sealcats):
    out = ['']
    out.append(f'Throughput: {args.size_mb} MiB of random data, /dev/shm -> '
               f'/dev/null over {LOOPBACK}, median of {args.rounds} '
               'interleaved rounds (MB = 10^6 bytes; CPU = user + system '
               'seconds of every process of both sides per 10^9 bytes).')
    out.append('')
    cols = ['tool', 'MB/s', 'min–max', 'CPU s/GB both ends',
            'send + recv'] + [f'{r.tool.label} ÷ tool' for r in sealcats]
    out.append('| ' + ' | '.join(cols) + ' |')
    out.append('|---|' + '---:|' * (len(cols) - 1))
    for row in rows:
        if not row.runs:
            out.append(f'| {row.tool.label} | {row.why_empty()} |' +
                       ' |' * (len(cols) - 2))
            continue
        mbps = [r.mbps for r in row.runs]
        cells = [row.tool.label, f'{row.median("mbps"):.0f}',
                 fmt_range(mbps, '.0f'),
                 f'{row.median("cpu_per_gb"):.2f}',
                 f'{row.median("cpu_send") / (row.runs[0].size / GB):.2f} + '
                 f'{row.median("cpu_recv") / (row.runs[0].size / GB):.2f}']
        for s in sealcats:
            cells.append('—' if s is row else
                         ratio(s.median('mbps'), row.median('mbps')))
        note_runs = (f' ({len(row.runs)} of {args.rounds} rounds; '
                     f'{row.errors[0]})' if row.errors else '')
        cells[0] += note_runs
        out.append('| ' + ' | '.join(cells) + ' |')
    return out


def print_report(args, rows, header):
    sealcats = [r for r in rows
                if isinstance(r.tool, Sealcat) and r.tool.variant is None]
    out = []
    out += header
    if not args.no_throughput:
        out += throughput_table(args, rows, sealcats)

    if not args.no_conn:
        out.append('')
        out.append(f'Connection rate: sequential clients, one process and '
                   f'one byte each, against a server that keeps accepting; '
                   f'at most {args.conn_count} connections or '
                   f'{args.conn_seconds} s per round, median of '
                   f'{args.rounds} rounds.')
        out.append('')
        cols = ['tool', 'connections/s', 'min–max'] + \
            [f'{r.tool.label} ÷ tool' for r in sealcats]
        out.append('| ' + ' | '.join(cols) + ' |')
        out.append('|---|' + '---:|' * (len(cols) - 1))
        for row in rows:
            if not row.conn:
                out.append(f'| {row.tool.label} | {row.why_empty()} |' +
                           ' |' * (len(cols) - 2))
                continue
            cells = [row.tool.label, f'{row.conn_median():.0f}',
                     fmt_range(row.conn, '.0f')]
            for s in sealcats:
                cells.append('—' if s is row else
                             ratio(s.conn_median(), row.conn_median()))
            out.append('| ' + ' | '.join(cells) + ' |')

    if not args.no_rss:
        small, large = RSS_SIZES_MIB
        out.append('')
        out.append(f'Peak RSS (VmHWM) of the tool process of each side, '
                   f'KiB, during a {small} MiB and a {large} MiB transfer '
                   '(spiped: its daemons; spipe: the client and spiped -d), '
                   'and in brackets the largest anonymous RSS sampled.')
        out.append('')
        out.append(f'| tool | sender {small} MiB | receiver {small} MiB | '
                   f'sender {large} MiB | receiver {large} MiB |')
        out.append('|---|---:|---:|---:|---:|')
        for row in rows:
            if len(row.rss) < 2:
                out.append(f'| {row.tool.label} | {row.why_empty()} | | | |')
                continue
            cells = [row.tool.label] + [
                f'{t.rss.get(side, "?")} ({t.anon.get(side, "?")})'
                for t in (row.rss[small], row.rss[large])
                for side in ('send', 'recv')]
            out.append('| ' + ' | '.join(cells) + ' |')

    out.append('')
    if args.no_verify:
        out.append('Integrity: not checked (--no-verify).')
    else:
        out.append('Integrity (one untimed pass per tool, SHA-256 of what '
                   'the receiver wrote): ' + '; '.join(
                       f'{r.tool.label} {r.verified}' for r in rows
                       if r.verified) + '.')
    busy = [t.other_busy for r in rows for t in r.runs]
    if busy:
        out.append(f'Other load on the two CPUs during the timed runs: '
                   f'median {statistics.median(busy):.0%}, max '
                   f'{max(busy):.0%} (over 5% means the numbers are '
                   'noisy: run again on a quiet machine).')
    out += targets(args, rows)
    print('\n'.join(out), flush=True)


def targets(args, rows):
    by_key = {r.tool.key: r for r in rows}

    def tp(key):
        r = by_key.get(key)
        return r.median('mbps') if r and r.runs else None

    def conn(key):
        r = by_key.get(key)
        return r.conn_median() if r else None

    def verdict(value, limit, higher_is_better=True):
        if value is None:
            return 'not measured'
        ok = value >= limit if higher_is_better else value <= limit
        return 'met' if ok else 'MISSED'

    lines = ['', 'Targets (issue 6):', '']
    reference = []

    def ratio_line(what, a, b, limit=None):
        value = a / b if a is not None and b else None
        shown = f'{value:.2f}x' if value is not None else '—'
        if limit is None:
            reference.append(f'- {what}: {shown}')
        else:
            lines.append(f'- {what}: {shown} (target >= {limit}x): '
                         f'{verdict(value, limit)}')

    # The ChaCha20 row names no block size (its AES-256-GCM row
    # and target say 64 KiB): the target is against socat's default.
    ratio_line('x25519 throughput ÷ socat TLS ChaCha20-Poly1305 default '
               'blocks', tp('x25519'), tp('socat-chacha20-poly1305-8k'), 1.3)
    ratio_line('x25519 throughput ÷ spiped (daemons)', tp('x25519'),
               tp('spiped'), 3.5)
    x = by_key.get('x25519')
    cpu = x.median('cpu_per_gb') if x and x.runs else None
    lines.append('- x25519 CPU, both ends: ' +
                 (f'{cpu:.2f} s/GB' if cpu is not None else '—') +
                 f' (target <= 2.0 s/GB): {verdict(cpu, 2.0, False)}')
    ratio_line('p256 throughput ÷ socat TLS AES-256-GCM -b65536',
               tp('p256'), tp('socat-aes-256-gcm'), 1.0)
    ratio_line('x25519 throughput ÷ socat TLS ChaCha20-Poly1305 -b65536',
               tp('x25519'), tp('socat-chacha20-poly1305'))
    if not args.no_conn:
        # "Sequential printf x | sealcat connect", "one client process per
        # 1-byte transfer": spipe is spiped's client of that kind.  With nc
        # through a running spiped -e the handshake is done by a daemon
        # that never starts a process; p256 is bound by BearSSL's P-256.
        ratio_line('x25519 connection rate ÷ spiped (spipe client)',
                   conn('x25519'), conn('spipe'), 2.0)
        ratio_line('x25519 connection rate ÷ spiped (nc through spiped '
                   '-e)', conn('x25519'), conn('spiped'))
        ratio_line('p256 connection rate ÷ spiped (spipe client)',
                   conn('p256'), conn('spipe'))
    if not args.no_rss:
        small, large = RSS_SIZES_MIB
        for suite in ('x25519', 'p256'):
            r = by_key.get(suite)
            if r is None or len(r.rss) < 2:
                lines.append(f'- {suite} peak RSS: not measured')
                continue
            a, b = r.rss[small].rss, r.rss[large].rss
            peak = max(list(a.values()) + list(b.values()))
            growth = max(b[s] - a[s] for s in a)
            a, b = r.rss[small].anon, r.rss[large].anon
            anon = max(b[s] - a[s] for s in a) if a and b else None
            lines.append(f'- {suite} peak RSS: {peak} KiB (target <= '
                         f'{RSS_LIMIT_KIB} KiB each side): '
                         f'{verdict(peak, RSS_LIMIT_KIB, False)}; '
                         f'anonymous memory, {large} MiB vs {small} MiB: ' +
                         (f'{anon:+d} KiB' if anon is not None else '—') +
                         f' (flat if <= {RSS_FLAT_KIB}): '
                         f'{verdict(anon, RSS_FLAT_KIB, False)} (VmHWM: '
                         f'{growth:+d} KiB)')
    if reference:
        lines += ['', 'Other ratios, for reference (no target of their '
                  'own):', ''] + reference
    return lines


# ------------------------------------------------------------------ main

def make_random_file(path, size):
    digest = hashlib.sha256()
    left = size
    with open(path, 'wb') as f:
        while left:
            chunk = os.urandom(min(left, 4 * MIB))
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def copy_prefix(src, dst, size):
    with open(src, 'rb') as fi, open(dst, 'wb') as fo:
        left = size
        while left:
            n = os.copy_file_range(fi.fileno(), fo.fileno(), left)
            if n == 0:
                raise RunError(f'{src} is shorter than {size} bytes')
            left -= n


def pick_cpus():
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return (None, None), 'not pinned: fewer than 2 CPUs are available'
    return (allowed[0], allowed[1]), (f'sender side pinned to CPU '
                                      f'{allowed[0]}, receiver side to CPU '
                                      f'{allowed[1]}')


def machine_header(args, cpus_text, tools):
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()
    versions = []
    for t in tools:
        v = '' if t.missing() else t.version()
        if v and v not in versions:
            versions.append(v)
    lines = [f'sealcat benchmark, {time.strftime("%Y-%m-%d %H:%M")}: '
             f'{model}, {os.cpu_count()} CPUs, Linux {platform.release()}; '
             f'load average at start {load[0]:.2f}; {cpus_text}.',
             '',
             'Command: `' + ' '.join(shlex.quote(a) for a in
                                     [os.path.relpath(sys.argv[0])] +
                                     sys.argv[1:]) + '`',
             '',
             'Versions: ' + '; '.join(versions) + '.']
    return lines


def parse_args():
    ap = argparse.ArgumentParser(
        description='Measure sealcat against nc, socat and spiped over '
        'loopback: throughput, CPU per GB, connection rate, peak RSS.')
    default_bin = os.environ.get('SEALCAT') or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src',
        'sealcat')
    ap.add_argument('--sealcat', default=default_bin, metavar='PATH',
                    help='the sealcat binary (default $SEALCAT or '
                    'src/sealcat)')
    ap.add_argument('--size-mb', type=int, default=1024, metavar='MIB',
                    help='size of the throughput stream in MiB (1024)')
    ap.add_argument('--rounds', type=int, default=5, metavar='N',
                    help='interleaved rounds (5)')
    ap.add_argument('--conn-count', type=int, default=100, metavar='N',
                    help='connections per tool and round, at most (100)')
    ap.add_argument('--conn-seconds', type=float, default=2.0, metavar='S',
                    help='seconds per tool and round, at most (2)')
    ap.add_argument('--tools', metavar='LIST',
                    help='comma-separated subset of: x25519, p256, nc, socat, '
                    'socat-aes-256-gcm, socat-chacha20-poly1305, '
                    'socat-chacha20-poly1305-8k, spiped, spipe')
    ap.add_argument('--variant', action='append', default=[],
                    metavar='LABEL=PATH',
                    help='also measure another sealcat build (rows '
                    '"sealcat SUITE (LABEL)", tools SUITE@LABEL); repeatable')
    ap.add_argument('--progress', action='store_true',
                    help='also measure sealcat with --progress on both '
                    'sides, stderr to a file (rows "sealcat SUITE '
                    '(progress)", tools SUITE@progress) and to a terminal '
                    '(SUITE@progress-tty)')
    ap.add_argument('--no-throughput', action='store_true',
                    help='skip the timed throughput rounds')
    ap.add_argument('--no-conn', action='store_true',
                    help='skip the connection rate')
    ap.add_argument('--no-rss', action='store_true',
                    help='skip the peak RSS transfers')
    ap.add_argument('--no-verify', action='store_true',
                    help='skip the untimed SHA-256 pass')
    ap.add_argument('--wait-idle', type=float, default=0, metavar='S',
                    help='before each timed run, wait up to S seconds for '
                    'the two CPUs to be under 10%% busy (0: do not wait)')
    ap.add_argument('--dir', metavar='DIR', default='/dev/shm',
                    help='where the data file goes (/dev/shm)')
    args = ap.parse_args()
    if not 1 <= args.size_mb <= 65536:
        ap.error('--size-mb must be 1 to 65536')
    if not 1 <= args.rounds <= 100:
        ap.error('--rounds must be 1 to 100')
    if not 1 <= args.conn_count <= 100000:
        ap.error('--conn-count must be 1 to 100000')
    if not 0 < args.conn_seconds <= 600:
        ap.error('--conn-seconds must be more than 0 and at most 600')
    if not 0 <= args.wait_idle <= 600:
        ap.error('--wait-idle must be 0 to 600')
    return args


def all_tools(args):
    tools = [Sealcat(os.path.abspath(args.sealcat), 'x25519'),
             Sealcat(os.path.abspath(args.sealcat), 'p256')]
    for spec in args.variant:
        label, sep, path = spec.partition('=')
        if not sep or not label or not path:
            sys.exit(f'bench.py: --variant {spec}: use LABEL=PATH')
        tools += [Sealcat(os.path.abspath(path), suite, label)
                  for suite in ('x25519', 'p256')]
    if args.progress:
        for suite in ('x25519', 'p256'):
            tools += [Sealcat(os.path.abspath(args.sealcat), suite,
                              'progress', extra=['--progress']),
                      Sealcat(os.path.abspath(args.sealcat), suite,
                              'progress-tty', extra=['--progress'],
                              tty=True)]
    tools += [Netcat(),
             Socat(),
             Socat('TLS_AES_256_GCM_SHA384', 'AES-256-GCM'),
             Socat('TLS_CHACHA20_POLY1305_SHA256', 'ChaCha20-Poly1305'),
             Socat('TLS_CHACHA20_POLY1305_SHA256', 'ChaCha20-Poly1305',
                   big_blocks=False),
             Spiped(),
             Spipe()]
    if args.tools:
        wanted = [w.strip() for w in args.tools.split(',') if w.strip()]
        known = {t.key for t in tools}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            sys.exit(f'bench.py: unknown tool {", ".join(unknown)} — use '
                     f'some of: {", ".join(t.key for t in tools)}')
        tools = [t for t in tools if t.key in wanted]
    return tools


def run(args, work):
    tools = all_tools(args)
    cpus, cpus_text = pick_cpus()
    bench = Bench(work, cpus, args.wait_idle)
    header = machine_header(args, cpus_text, tools)
    rows = [Row(t) for t in tools]
    size = args.size_mb * MIB
    timeout = 30 + size / (10 * MB)     # 10 MB/s is broken, not slow

    for row in rows:
        row.unavailable = row.tool.missing()
        if row.ok:
            try:
                row.tool.setup(bench)
            except (RunError, OSError, subprocess.TimeoutExpired) as e:
                row.unavailable = str(e)
        if not row.ok:
            note(f'{row.tool.label}: not available: {row.unavailable}')

    note(f'writing {args.size_mb} MiB of random data to {work}')
    data = os.path.join(work, 'data')
    want = make_random_file(data, size)

    def attempt(row, what, fn):
        try:
            return fn()
        except RunError as e:
            row.errors.append(str(e))
            note(f'{row.tool.label}: {what} failed: {e}')
            return None

    live = [r for r in rows if r.ok]
    if not args.no_verify:
        for row in live:
            res = attempt(row, 'verification pass',
                          lambda: transfer(bench, row.tool, data, size,
                                           timeout, verify=True))
            if res is None:
                # It cannot deliver a stream: timing it would mean nothing.
                row.unavailable = row.errors[0]
            elif res.digest != want:
                row.unavailable = 'SHA-256 of the received data differs'
                row.verified = 'CORRUPTED'
            else:
                row.verified = 'ok' + (f' ({res.facts})' if res.facts else '')
            note(f'{row.tool.label}: verification pass: '
                 f'{row.verified or row.unavailable}')
        live = [r for r in rows if r.ok]

    for n in range(1, 0 if args.no_throughput else args.rounds + 1):
        for row in live:
            res = attempt(row, f'round {n}',
                          lambda: transfer(bench, row.tool, data, size,
                                           timeout))
            if res:
                row.runs.append(res)
                note(f'round {n}/{args.rounds}: {row.tool.label}: '
                     f'{res.mbps:.0f} MB/s, {res.cpu_per_gb:.2f} CPU s/GB, '
                     f'other load {res.other_busy:.0%}')

    if not args.no_conn:
        for n in range(1, args.rounds + 1):
            for row in live:
                rate = attempt(row, f'connection round {n}',
                               lambda: connection_rate(bench, row.tool,
                                                       args.conn_count,
                                                       args.conn_seconds))
                if rate is not None:
                    row.conn.append(rate)
                    note(f'connection round {n}/{args.rounds}: '
                         f'{row.tool.label}: {rate:.0f}/s')

    if not args.no_rss:
        for mib in RSS_SIZES_MIB:
            path = os.path.join(work, f'data-{mib}')
            if mib <= args.size_mb:
                copy_prefix(data, path, mib * MIB)
            else:
                make_random_file(path, mib * MIB)
            for row in live:
                res = attempt(row, f'{mib} MiB RSS pass',
                              lambda: transfer(bench, row.tool, path,
                                               mib * MIB, timeout,
                                               sample=True))
                if res:
                    row.rss[mib] = res
                    note(f'{row.tool.label}: {mib} MiB: peak RSS sender '
                         f'{res.rss.get("send")} KiB '
                         f'({res.anon.get("send")} anonymous), receiver '
                         f'{res.rss.get("recv")} KiB '
                         f'({res.anon.get("recv")} anonymous)')
            os.unlink(path)

    print_report(args, rows, header)


def on_signal(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    base = args.dir
    need = (args.size_mb + sum(RSS_SIZES_MIB) + 64) * MIB
    try:
        if shutil.disk_usage(base).free < need:
            note(f'{base} has less than {need // MIB} MiB free: using '
                 f'{tempfile.gettempdir()} instead')
            base = tempfile.gettempdir()
    except OSError:
        base = tempfile.gettempdir()
    work = tempfile.mkdtemp(prefix='sealcat-bench.', dir=base)
    try:
        run(args, work)
    except (KeyboardInterrupt, Interrupted):
        note('bench.py: interrupted — stopped every process it started')
        return 130
    finally:
        stop_everything()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
