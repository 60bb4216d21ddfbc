#!/usr/bin/env python3
"""socks5_server.py - a small SOCKS5 proxy (RFC 1928, CONNECT only; with
USER PASS, RFC 1929 user/password) on 127.0.0.1 for sealcat's --proxy
tests, where danted cannot show what a client asked for.  Listens on port
0, prints "listening on 127.0.0.1:PORT" on stderr, and appends one line
per request to LOG: "ATYP HOST PORT" (ATYP 1, 3 or 4; HOST as sent, not
resolved) and, with auth, "auth USER ok|bad".  Then relays both ways.

    socks5_server.py LOG [USER PASS]
"""

import ipaddress
import socket
import sys
import threading


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def record(log, line):
    with open(log, "a") as f:
        f.write(line + "\n")


def serve(conn, log, cred):
    with conn:
        ver, nmethods = read_exact(conn, 2)
        methods = read_exact(conn, nmethods)
        want = 2 if cred else 0
        if ver != 5 or want not in methods:
            conn.sendall(b"\x05\xff")
            return
        conn.sendall(bytes([5, want]))
        if cred:
            _, ulen = read_exact(conn, 2)
            user = read_exact(conn, ulen)
            (plen,) = read_exact(conn, 1)
            password = read_exact(conn, plen)
            ok = (user.decode(), password.decode()) == cred
            record(log, "auth %s %s" % (user.decode(), "ok" if ok else "bad"))
            conn.sendall(b"\x01\x00" if ok else b"\x01\x01")
            if not ok:
                return
        _, cmd, _, atyp = read_exact(conn, 4)
        if atyp == 1:
            host = str(ipaddress.IPv4Address(read_exact(conn, 4)))
        elif atyp == 4:
            host = str(ipaddress.IPv6Address(read_exact(conn, 16)))
        else:
            (n,) = read_exact(conn, 1)
            host = read_exact(conn, n).decode()
        port = int.from_bytes(read_exact(conn, 2), "big")
        record(log, "%d %s %d" % (atyp, host, port))
        try:
            out = socket.create_connection((host, port), timeout=10)
        except OSError:
            conn.sendall(b"\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        conn.sendall(b"\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00")
        out.settimeout(None)
        t = threading.Thread(target=pump, args=(out, conn), daemon=True)
        t.start()
        pump(conn, out)
        t.join()
        out.close()


def main():
    log = sys.argv[1]
    cred = tuple(sys.argv[2:4]) if len(sys.argv) >= 4 else None
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    print("listening on 127.0.0.1:%d" % lsock.getsockname()[1],
          file=sys.stderr, flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve_safe, args=(conn, log, cred),
                         daemon=True).start()


def serve_safe(conn, log, cred):
    try:
        serve(conn, log, cred)
    except (EOFError, OSError):
        pass


if __name__ == "__main__":
    sys.exit(main())
