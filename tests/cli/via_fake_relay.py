#!/usr/bin/env python3
"""via_fake_relay.py - a test-only relay for via.bats: it pairs the first
LISTEN (or ALLOCATE) with the first CONNECT (or CLAIM), answers like a
sealcat relay (NAMEPLATE 1 to ALLOCATE, then OK to both) and copies the
bytes, but misbehaves on purpose.

    via_fake_relay.py [--cut-after N] [--flip-at N]

--cut-after N  after N bytes from the listener to the connector, close
               both connections at once (a relay that dies mid-stream)
--cut-back-after N
               the same, counting bytes from the connector to the listener
--flip-at N    flip the lowest bit of byte N (0-based) of what the
               listener sends after OK

Prints "listening on 127.0.0.1:PORT" on stderr, serves one pair, exits.
"""

import argparse
import socket
import sys
import threading


def read_line(conn):
    line = bytearray()
    while not line.endswith(b'\n'):
        b = conn.recv(1)
        if not b:
            return None
        line += b
    return line.decode('ascii').split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cut-after', type=int, default=-1)
    ap.add_argument('--cut-back-after', type=int, default=-1)
    ap.add_argument('--flip-at', type=int, default=-1)
    a = ap.parse_args()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', 0))
    srv.listen(8)
    print('listening on 127.0.0.1:%d' % srv.getsockname()[1],
          file=sys.stderr, flush=True)
    listener = connector = None
    while listener is None or connector is None:
        c, _ = srv.accept()
        words = read_line(c)
        if words is None or len(words) != 3:
            c.close()
            continue
        if words[1] in ('LISTEN', 'ALLOCATE'):
            if words[1] == 'ALLOCATE':
                c.sendall(b'NAMEPLATE 1\n')
            listener = c
        else:
            connector = c
    listener.sendall(b'OK\n')
    connector.sendall(b'OK\n')
    done = threading.Event()

    def copy(src, dst, forward):
        sent = 0
        cut = a.cut_after if forward else a.cut_back_after
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if forward and a.flip_at >= sent and \
                        a.flip_at < sent + len(data):
                    b = bytearray(data)
                    b[a.flip_at - sent] ^= 1
                    data = bytes(b)
                if cut >= 0 and sent + len(data) >= cut:
                    dst.sendall(data[:cut - sent])
                    done.set()
                    return
                dst.sendall(data)
                sent += len(data)
        except OSError:
            done.set()

    t1 = threading.Thread(target=copy, args=(listener, connector, True),
                          daemon=True)
    t2 = threading.Thread(target=copy, args=(connector, listener, False),
                          daemon=True)
    t1.start()
    t2.start()
    while t1.is_alive() or t2.is_alive():
        if done.wait(0.05):
            break
    for c in (listener, connector):
        try:
            c.close()
        except OSError:
            pass


if __name__ == '__main__':
    main()
