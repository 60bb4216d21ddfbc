#!/usr/bin/env python3
"""mitm.py - a man in the middle for sealcat's tests, on loopback only.

Listens on 127.0.0.1 (port 0), prints "listening on 127.0.0.1:PORT" on
stderr like `sealcat listen -v`, accepts one connection, connects to
127.0.0.1:TARGET and relays both ways, doing one thing to the stream going
in the chosen direction (c2s: client to server, s2c: server to client):

  pass                 relay unchanged
  flip OFFSET          flip the lowest bit of byte OFFSET
  cut OFFSET           after OFFSET bytes, close both connections
  record FILE          relay unchanged and write what passed each way, in
                       both directions whatever --dir says, to FILE.c2s
                       and FILE.s2c

Exits when both connections are done.
"""

import argparse
import selectors
import socket
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("target", type=int, help="port on 127.0.0.1")
    ap.add_argument("action", choices=["pass", "flip", "cut", "record"])
    ap.add_argument("arg", nargs="?", help="OFFSET or FILE")
    ap.add_argument("--dir", choices=["c2s", "s2c"], default="c2s")
    args = ap.parse_args()
    offset = int(args.arg) if args.action in ("flip", "cut") else None
    record = None
    if args.action == "record":
        record = {d: open(f"{args.arg}.{d}", "wb") for d in ("c2s", "s2c")}

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    print("listening on 127.0.0.1:%d" % lsock.getsockname()[1],
          file=sys.stderr, flush=True)
    client, _ = lsock.accept()
    lsock.close()
    server = socket.create_connection(("127.0.0.1", args.target))

    # direction name -> (source, destination)
    ends = {"c2s": (client, server), "s2c": (server, client)}
    passed = {"c2s": 0, "s2c": 0}
    open_dirs = set(ends)
    sel = selectors.DefaultSelector()
    for name, (src, _) in ends.items():
        sel.register(src, selectors.EVENT_READ, name)

    while open_dirs:
        for key, _ in sel.select():
            name = key.data
            src, dst = ends[name]
            try:
                data = src.recv(65536)
            except ConnectionResetError:
                data = b""
            if name == args.dir and data:
                start = passed[name]
                if args.action == "flip" and start <= offset < start + len(data):
                    i = offset - start
                    data = data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]
                if args.action == "cut" and start + len(data) >= offset:
                    dst.sendall(data[:offset - start])
                    client.close()
                    server.close()
                    return 0
            if record is not None:
                record[name].write(data)
            passed[name] += len(data)
            if not data:
                sel.unregister(src)
                open_dirs.discard(name)
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            try:
                dst.sendall(data)
            except OSError:
                sel.unregister(src)
                open_dirs.discard(name)
    client.close()
    server.close()
    if record is not None:
        for f in record.values():
            f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
