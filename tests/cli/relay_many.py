#!/usr/bin/env python3
"""relay_many.py - many pairs through a sealcat relay at once, for
relay_server.bats.

    relay_many.py PORT PAIRS BYTES

Opens PAIRS listeners (each LISTEN on its own id) and then PAIRS
connectors, all at once; once paired, both sides of every pair send BYTES
random bytes and a FIN while reading what the other sends, and check it by
SHA-256.  Prints "PAIRS pairs ok" and exits 0, or names each failure on
stderr and exits 1.
"""

import hashlib
import os
import socket
import sys
import threading

PREFIX = b'SEALCAT-RELAY/1 '
TIMEOUT_S = 60


def read_reply(sock):
    line = bytearray()
    while not line.endswith(b'\n'):
        b = sock.recv(1)
        if not b:
            raise RuntimeError('closed before a reply')
        line += b
    return bytes(line)


def side(port, verb, ident, out_data, want_digest, failures, ready):
    try:
        sock = socket.create_connection(('127.0.0.1', port),
                                        timeout=TIMEOUT_S)
        sock.sendall(PREFIX + verb + b' ' + ident + b'\n')
        ready.set()
        reply = read_reply(sock)
        if reply != b'OK\n':
            raise RuntimeError('reply %r' % reply)

        def send():
            sock.sendall(out_data)
            sock.shutdown(socket.SHUT_WR)

        t = threading.Thread(target=send)
        t.start()
        h = hashlib.sha256()
        n = 0
        while True:
            data = sock.recv(65536)
            if not data:
                break
            h.update(data)
            n += len(data)
        t.join()
        sock.close()
        if h.digest() != want_digest:
            raise RuntimeError('received %d bytes, SHA-256 differs' % n)
    except Exception as e:
        failures.append('%s %s: %s' % (verb.decode(), ident[:8].decode(),
                                       e))


def main():
    port, pairs, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    failures = []
    threads = []
    listeners = []
    for i in range(pairs):
        ident = hashlib.sha256(b'pair %d' % i).hexdigest().encode()
        a, b = os.urandom(size), os.urandom(size)
        ready = threading.Event()
        t = threading.Thread(target=side, args=(
            port, b'LISTEN', ident, a, hashlib.sha256(b).digest(),
            failures, ready))
        t.start()
        threads.append(t)
        listeners.append((ident, a, b, ready))
    # Every listener's request is sent before any connector's, so each
    # CONNECT finds its LISTEN (or waits for it: either order pairs).
    for ident, a, b, ready in listeners:
        ready.wait(TIMEOUT_S)
    for ident, a, b, ready in listeners:
        t = threading.Thread(target=side, args=(
            port, b'CONNECT', ident, b, hashlib.sha256(a).digest(),
            failures, threading.Event()))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for f in failures:
        print(f, file=sys.stderr)
    if failures:
        return 1
    print('%d pairs ok' % pairs)
    return 0


if __name__ == '__main__':
    sys.exit(main())
