#!/usr/bin/env python3
"""flood.py - many hostile connections to a sealcat listener, loopback only.

Opens COUNT connections to 127.0.0.1:PORT, all at once, and then, per
connection, according to MODE:

  idle      sends nothing
  garbage   sends a line that is not a SEALCAT/2 preamble
  slow      sends a valid-looking preamble one byte per 0.5 s (never ends)

Prints "connected COUNT" on stdout once every connection is up (a
connection the listener has not accepted yet still counts: the kernel
completes it and queues it), then holds them for HOLD seconds, never
closing one itself, and prints "closed_by_peer N" each time another one
is closed by the listener (EOF or reset).  Exits after HOLD seconds.
"""

import argparse
import selectors
import socket
import sys
import time

PREAMBLE = b"SEALCAT/2 Noise_XX_25519_ChaChaPoly_BLAKE2b\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("mode", choices=["idle", "garbage", "slow"])
    ap.add_argument("hold", type=float)
    args = ap.parse_args()

    socks = []
    for _ in range(args.count):
        s = socket.create_connection(("127.0.0.1", args.port), timeout=30)
        s.setblocking(False)
        socks.append(s)
        if args.mode == "garbage":
            s.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    print("connected %d" % len(socks), flush=True)

    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed = set()
    sent = 0
    end = time.monotonic() + args.hold
    next_byte = time.monotonic()
    while time.monotonic() < end:
        now = time.monotonic()
        if args.mode == "slow" and now >= next_byte:
            byte = PREAMBLE[sent % (len(PREAMBLE) - 1):][:1]
            for s in socks:
                if s not in closed:
                    try:
                        s.send(byte)
                    except OSError:
                        pass    # the read side reports it
            sent += 1
            next_byte = now + 0.5
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed.add(s)
                sel.unregister(s)
                print("closed_by_peer %d" % len(closed), flush=True)
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
