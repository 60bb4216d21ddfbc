#!/usr/bin/env python3
"""echo_server.py - a TCP echo service on 127.0.0.1 for sealcat's --forward
tests.  Listens on port 0, prints "listening on 127.0.0.1:PORT" on stderr
like `sealcat listen -v`, and echoes every connection (one thread each)
until the client shuts down its side, then closes."""

import socket
import sys
import threading


def echo(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)


def main():
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    print("listening on 127.0.0.1:%d" % lsock.getsockname()[1],
          file=sys.stderr, flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
