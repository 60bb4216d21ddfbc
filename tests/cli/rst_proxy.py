#!/usr/bin/env python3
"""rst_proxy.py - a TCP proxy on loopback that ends connections badly.

Listens on 127.0.0.1 (port 0), prints "listening on 127.0.0.1:PORT" on
stderr like `sealcat listen -v`, accepts one connection, connects to
127.0.0.1:TARGET and relays both ways through bounded buffers (so a side
that stops reading holds up only its own direction), then:

  reset-when-stuck   once the client has stopped reading (the server-to-
                     client buffer is full and the client's socket takes
                     nothing), resets both connections
  reset-on FLAG      once the file FLAG exists, resets both connections
  hold               passes everything but the server's end of the
                     connection: the client never sees it; runs until killed

A reset is a close with SO_LINGER 0 (the peer gets an RST); "reset" is then
printed on stderr and the proxy exits.
"""

import argparse
import os
import select
import socket
import struct
import sys
import time

CAP = 256 * 1024        # bytes held per direction


def reset(*socks):
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    print("reset", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("target", type=int, help="port on 127.0.0.1")
    ap.add_argument("mode", choices=["reset-when-stuck", "reset-on", "hold"])
    ap.add_argument("flag", nargs="?", help="FLAG file for reset-on")
    args = ap.parse_args()
    if (args.mode == "reset-on") != (args.flag is not None):
        ap.error("reset-on takes a FLAG file, the other modes nothing")

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    print("listening on 127.0.0.1:%d" % lsock.getsockname()[1],
          file=sys.stderr, flush=True)
    client, _ = lsock.accept()
    lsock.close()
    server = socket.create_connection(("127.0.0.1", args.target))
    client.setblocking(False)
    server.setblocking(False)

    # direction -> [source, destination, buffer, source ended, passed on]
    dirs = {"c2s": [client, server, bytearray(), False, False],
            "s2c": [server, client, bytearray(), False, False]}
    stuck_since = None
    while True:
        if args.mode == "reset-on" and os.path.exists(args.flag):
            reset(client, server)
            return 0
        rlist, wlist = [], []
        for src, dst, buf, ended, _ in dirs.values():
            if not ended and len(buf) < CAP:
                rlist.append(src)
            if buf:
                wlist.append(dst)
        if not rlist and not wlist and args.mode != "hold":
            break
        readable, writable, _ = select.select(rlist, wlist, [], 0.05)
        for d in dirs.values():
            src, dst, buf = d[0], d[1], d[2]
            if src in readable:
                try:
                    data = src.recv(65536)
                except (BlockingIOError, InterruptedError):
                    data = None
                except OSError:
                    data = b""
                if data:
                    buf += data
                elif data is not None:
                    d[3] = True
            if dst in writable and buf:
                try:
                    del buf[:dst.send(buf)]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    buf.clear()
            if d[3] and not buf and not d[4]:
                d[4] = True
                if args.mode == "hold" and src is server:
                    continue
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        s2c = dirs["s2c"][2]
        if args.mode == "reset-when-stuck":
            if len(s2c) >= CAP and client not in writable:
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 0.2:
                    reset(client, server)
                    return 0
            else:
                stuck_since = None
    client.close()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
