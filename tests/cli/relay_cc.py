#!/usr/bin/env python3
"""relay_cc.py - which congestion control a sealcat relay's sockets use,
for relay_server.bats.

    relay_cc.py SEALCAT

Starts `SEALCAT relay -v 127.0.0.1 0`, pairs two clients that speak the
relay line protocol, and while the pair is open asks ss(8) for the
congestion control of the relay's two sockets.  Prints one line per socket
("relay socket to 127.0.0.1:N: reno") and the system's default, then exits
0 if both of the relay's sockets use reno, 1 if not, 2 on any other
failure.  The bats test runs it in a private network namespace whose
default is not reno, so a relay that keeps the default fails.
"""

import re
import socket
import subprocess
import sys

TIMEOUT_S = 30
ID = b'7' * 64


def reply(sock):
    line = b''
    while not line.endswith(b'\n'):
        b = sock.recv(1)
        if not b:
            raise RuntimeError('the relay closed before a reply')
        line += b
    return line.strip()


def main():
    relay = subprocess.Popen([sys.argv[1], 'relay', '-v', '127.0.0.1', '0'],
                             stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        port = None
        for raw in relay.stderr:
            m = re.search(r'listening on 127\.0\.0\.1:(\d+)', raw.decode())
            if m:
                port = int(m.group(1))
                break
        if port is None:
            print('the relay never said where it listens', file=sys.stderr)
            return 2
        listener = socket.create_connection(('127.0.0.1', port), TIMEOUT_S)
        listener.sendall(b'SEALCAT-RELAY/1 LISTEN ' + ID + b'\n')
        connector = socket.create_connection(('127.0.0.1', port), TIMEOUT_S)
        connector.sendall(b'SEALCAT-RELAY/1 CONNECT ' + ID + b'\n')
        if reply(listener) != b'OK' or reply(connector) != b'OK':
            print('no OK from the relay', file=sys.stderr)
            return 2
        # Bytes both ways, so the relay has touched both sockets.
        listener.sendall(b'x' * 65536)
        connector.sendall(b'y' * 65536)
        ss = subprocess.run(['ss', '-Htin', 'state', 'established',
                             '( sport = :%d )' % port],
                            stdout=subprocess.PIPE, check=True).stdout
        fields = ss.decode().split()
        peers = [f for f in fields if re.fullmatch(r'127\.0\.0\.1:\d+', f)
                 and f != '127.0.0.1:%d' % port]
        algos = [f for f in fields
                 if f in ('reno', 'cubic', 'bbr', 'bbr2', 'dctcp', 'vegas',
                          'htcp', 'westwood', 'illinois', 'bic')]
        with open('/proc/sys/net/ipv4/tcp_congestion_control') as f:
            default = f.read().strip()
        print('system default: %s' % default)
        for peer, algo in zip(peers, algos):
            print('relay socket to %s: %s' % (peer, algo))
        listener.close()
        connector.close()
        if len(peers) != 2 or len(algos) != 2:
            print('ss showed %d sockets, %d algorithms:\n%s' % (
                len(peers), len(algos), ss.decode()), file=sys.stderr)
            return 2
        return 0 if algos == ['reno', 'reno'] else 1
    finally:
        relay.terminate()
        relay.wait(TIMEOUT_S)


if __name__ == '__main__':
    sys.exit(main())
