#!/usr/bin/env python3
"""relay_side.py - one client of a sealcat relay, speaking the relay line
protocol directly (PROTOCOL.md, "Relay protocol"), for relay_server.bats.

    relay_side.py PORT REQUEST [options] <in >out

REQUEST is the request without "SEALCAT-RELAY/1 " and without the LF
("LISTEN <id>", "CLAIM 3"); with --raw it is sent exactly as given, after
Python escapes (\\n, \\r, \\x00) are decoded.  Every reply line is written
to stderr as "reply: LINE".  After OK the client is a tiny netcat: stdin
goes to the relay (then a FIN), what arrives goes to stdout, until both
directions have ended.

Options:
  --extra TEXT      bytes sent right behind the request, before any reply
  --extra-after FILE
                    send the --extra bytes only once FILE exists (the
                    test makes it when the relay says this side waits)
  --send-after-eof  send stdin only after the relay's FIN came (so a FIN
                    must be passed on while this side still sends)
  --reset           after OK, close at once with a reset (SO_LINGER 0)
  --host ADDR       the relay's address (default 127.0.0.1)

Exit status: 0 both directions ended with FIN; 1 the relay sent ERROR;
3 the connection was reset; 4 anything else (an unexpected reply, a
timeout, a close before any reply).
"""

import argparse
import socket
import struct
import sys
import os
import threading
import time

PREFIX = 'SEALCAT-RELAY/1 '
TIMEOUT_S = 60


def read_line(sock):
    """One reply line, byte by byte so no session byte is consumed."""
    line = bytearray()
    while not line.endswith(b'\n'):
        b = sock.recv(1)
        if not b:
            return None
        line += b
    return line.decode('ascii', 'replace').rstrip('\n')


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('port', type=int)
    ap.add_argument('request')
    ap.add_argument('--raw', action='store_true')
    ap.add_argument('--extra', default='')
    ap.add_argument('--extra-after')
    ap.add_argument('--send-after-eof', action='store_true')
    ap.add_argument('--reset', action='store_true')
    ap.add_argument('--host', default='127.0.0.1')
    a = ap.parse_args()

    if a.raw:
        line = a.request.encode('latin-1').decode('unicode_escape')
    else:
        line = PREFIX + a.request + '\n'
    extra = a.extra.encode('latin-1').decode('unicode_escape')
    sock = socket.create_connection((a.host, a.port), timeout=TIMEOUT_S)
    try:
        if a.extra_after is None:
            sock.sendall((line + extra).encode('latin-1'))
        else:
            sock.sendall(line.encode('latin-1'))
            deadline = time.monotonic() + TIMEOUT_S
            while not os.path.exists(a.extra_after):
                if time.monotonic() > deadline:
                    say('%s never appeared' % a.extra_after)
                    return 4
                time.sleep(0.01)
            sock.sendall(extra.encode('latin-1'))
        while True:
            reply = read_line(sock)
            if reply is None:
                say('closed before a reply')
                return 4
            say('reply: ' + reply)
            if reply.startswith('ERROR '):
                return 1
            if reply == 'OK':
                break
            if not reply.startswith('NAMEPLATE '):
                return 4
    except ConnectionResetError:
        say('reset')
        return 3
    except socket.timeout:
        say('timed out waiting for a reply')
        return 4

    if a.reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack('ii', 1, 0))
        sock.close()
        return 0
    sock.settimeout(None)
    return relay(sock, a.send_after_eof)


def relay(sock, send_after_eof):
    got_eof = threading.Event()
    result = {'send': 0}

    def send():
        if send_after_eof:
            got_eof.wait()
        try:
            while True:
                data = sys.stdin.buffer.read1(65536)
                if not data:
                    break
                sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except (ConnectionResetError, BrokenPipeError):
            result['send'] = 3
        except OSError as e:
            say('send: %s' % e)
            result['send'] = 4

    t = threading.Thread(target=send, daemon=True)
    t.start()
    status = 0
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            sys.stdout.buffer.write(data)
    except ConnectionResetError:
        status = 3
    sys.stdout.buffer.flush()
    got_eof.set()
    if status == 3:
        say('reset')
        return 3
    t.join()
    if result['send'] == 3:
        say('reset')
    return result['send']


if __name__ == '__main__':
    rc = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not sys.exit(): the sending thread may still block reading stdin,
    # and Python aborts an exit that has to wait for it.
    os._exit(rc)
