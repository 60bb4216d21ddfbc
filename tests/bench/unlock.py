#!/usr/bin/env python3
"""unlock.py - what a passphrase costs (issue 19), on 127.0.0.1 only.

  unlock       the time from starting `sealcat listen` to its "listening on"
               line, for a key protected at the default Argon2id cost (or
               --kdf-memory) and for the same key without a passphrase; the
               difference is the unlock;
  connections  one `sealcat connect` after another against `listen -k
               --exec true`, with the server's key protected and not: the
               listener unlocks once, before it accepts, so the rates should
               be the same.

Medians over --rounds, with the min-max range.  A benchmark, not a test.

    make bench-unlock BENCH_FLAGS='--rounds 3'
    SEALCAT=src/sealcat python3 tests/bench/unlock.py --help
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

PASSPHRASE = b'bench passphrase\n'
START_TIMEOUT_S = 30


def sealcat(args, work, **kw):
    return subprocess.run([args.sealcat] + kw.pop('argv'), cwd=work,
                          check=True, capture_output=True, **kw)


def keygen(args, work, name, protect):
    argv = ['keygen', '-o', name]
    if protect:
        argv += ['--passphrase-file', 'pass']
        if args.kdf_memory:
            argv += ['--kdf-memory', str(args.kdf_memory)]
    return sealcat(args, work, argv=argv).stdout.decode().strip()


def start_listener(args, work, key, extra):
    """Starts listen on port 0; returns (process, port, seconds until it
    said it was listening).  Its stderr goes to a file, which a listener
    with -v can write to for as long as it likes."""
    log = os.path.join(work, 'listener.err')
    with open(log, 'wb') as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [args.sealcat, 'listen', '-v', '-i', key, '--passphrase-file',
             'pass'] + extra + ['127.0.0.1', '0'],
            cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=err, start_new_session=True)
    deadline = t0 + START_TIMEOUT_S
    text = b''
    while time.monotonic() < deadline and proc.poll() is None:
        with open(log, 'rb') as f:
            text = f.read()
        m = re.search(rb'listening on .*:(\d+)\n', text)
        if m:
            return proc, int(m.group(1)), time.monotonic() - t0
        time.sleep(0.0005)
    proc.kill()
    proc.wait()
    raise SystemExit('unlock.py: the listener did not start: %r' % text)


def stop(proc):
    proc.terminate()
    proc.wait()


def fmt(values, spec):
    return '%s (%s-%s)' % (spec % statistics.median(values),
                           spec % min(values), spec % max(values))


def bench_unlock(args, work):
    # Both get --passphrase-file (a plain key ignores it, with a warning),
    # so the two runs differ only in the unlock.
    times = {'plain': [], 'protected': []}
    for _ in range(args.rounds):
        for kind in times:
            proc, _, took = start_listener(args, work, kind,
                                           ['--allow-any'])
            stop(proc)
            times[kind].append(took)
    unlock = [p - q for p, q in zip(times['protected'], times['plain'])]
    cost = open(os.path.join(work, 'protected')).read().splitlines()[1]
    print('unlock   %s: %s s  (listen start %s s protected, %s s plain)' %
          (' '.join(cost.split()[1:5]), fmt(unlock, '%.3f'),
           fmt(times['protected'], '%.3f'), fmt(times['plain'], '%.3f')))


def bench_connections(args, work, client_token, server_tokens):
    rates = {'plain': [], 'protected': []}
    for _ in range(args.rounds):
        for kind in rates:
            proc, port, _ = start_listener(
                args, work, kind,
                ['-k', '--exec', 'true', '--allow', client_token])
            t0 = time.monotonic()
            for _ in range(args.conn_count):
                subprocess.run(
                    [args.sealcat, 'connect', '-q', '-i', 'client', '-p',
                     server_tokens[kind], '--recv-only', '127.0.0.1',
                     str(port)], cwd=work, check=True,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            rates[kind].append(args.conn_count /
                               (time.monotonic() - t0))
            stop(proc)
    print('connect  listen -k, %d connections: %s/s protected key, '
          '%s/s plain key (unlocked once)' %
          (args.conn_count, fmt(rates['protected'], '%.0f'),
           fmt(rates['plain'], '%.0f')))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sealcat', default=os.environ.get('SEALCAT',
                                                        'src/sealcat'))
    ap.add_argument('--rounds', type=int, default=5, metavar='N')
    ap.add_argument('--conn-count', type=int, default=100, metavar='N')
    ap.add_argument('--kdf-memory', type=int, metavar='MIB',
                    help='Argon2id memory of the protected key (default: '
                    "sealcat's)")
    args = ap.parse_args()
    args.sealcat = os.path.abspath(args.sealcat)
    with tempfile.TemporaryDirectory(prefix='sealcat-unlock-') as work:
        os.environ.update({'XDG_CONFIG_HOME': work, 'HOME': work})
        os.environ.pop('SEALCAT_IDENTITY', None)
        with open(os.path.join(work, 'pass'), 'wb') as f:
            f.write(PASSPHRASE)
        os.chmod(os.path.join(work, 'pass'), 0o600)
        tokens = {'plain': keygen(args, work, 'plain', False),
                  'protected': keygen(args, work, 'protected', True)}
        client = keygen(args, work, 'client', False)
        bench_unlock(args, work)
        bench_connections(args, work, client, tokens)


if __name__ == '__main__':
    sys.exit(main())
