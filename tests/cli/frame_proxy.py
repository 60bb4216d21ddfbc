#!/usr/bin/env python3
"""frame_proxy.py - a man in the middle that knows where sealcat's frames are.

Listens on 127.0.0.1 (port 0), prints "listening on 127.0.0.1:PORT" on
stderr like `sealcat listen -v`, accepts one connection, connects to
127.0.0.1:TARGET and relays both ways, cutting each direction into what
PROTOCOL.md puts on the wire: the preamble line, the length-prefixed
handshake messages (1 and 3 from the client, 2 from the server), then
transport frames.  It cannot read a frame, but a REKEY has a length of its
own (1 + DHLEN + 16: 49 for x25519, 82 for p256; sealcat sends no DATA or
PING body of DHLEN bytes here).  Then, by MODE:

  drop N       the attacker of issue 15: drops the Nth transport frame from
               the client (1 = the first), then swallows everything the
               server sends (its ERROR included) and, however the server's
               connection ends (a reset too), gives the client a plain FIN.
               The client's frames wait until one frame of the server's has
               passed, so the client has the server's CLOSE by then.
               Prints "dropped" once it has.
  cross-rekey  holds each REKEY (and what follows it from that side) until
               the other side sends a REKEY too, then passes both, so every
               rekey round starts on both sides at once.  Prints "crossed"
               for each; a REKEY held for 5 s is let through alone
               ("released").

Exits when both connections are done.
"""

import argparse
import select
import socket
import struct
import sys
import time

HOLD_MAX = 5.0          # seconds a REKEY waits for the other side's


class Direction:
    """One direction's bytes, cut into preamble, messages and frames."""

    def __init__(self, name, src, dst, messages):
        self.name, self.src, self.dst = name, src, dst
        self.buf = bytearray()
        self.line_done = False
        self.messages = messages        # handshake messages still to come
        self.frames = 0                 # transport frames seen
        self.ended = False
        self.held = []                  # units held back (cross-rekey)
        self.held_since = None

    def units(self):
        """Takes whole units off the buffer: (kind, bytes)."""
        out = []
        while True:
            if not self.line_done:
                nl = self.buf.find(b"\n")
                if nl == -1:
                    return out
                unit = bytes(self.buf[:nl + 1])
                del self.buf[:nl + 1]
                self.line_done = True
                out.append(("line", unit))
                continue
            if len(self.buf) < 2:
                return out
            (length,) = struct.unpack(">H", self.buf[:2])
            if len(self.buf) < 2 + length:
                return out
            unit = bytes(self.buf[:2 + length])
            del self.buf[:2 + length]
            if self.messages > 0:
                self.messages -= 1
                out.append(("message", unit))
            else:
                self.frames += 1
                out.append(("frame", unit))


def send(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("target", type=int, help="port on 127.0.0.1")
    ap.add_argument("mode", choices=["drop", "cross-rekey"])
    ap.add_argument("n", nargs="?", type=int, help="N for drop")
    args = ap.parse_args()
    if (args.mode == "drop") != (args.n is not None):
        ap.error("drop takes N, cross-rekey nothing")

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    print("listening on 127.0.0.1:%d" % lsock.getsockname()[1],
          file=sys.stderr, flush=True)
    client, _ = lsock.accept()
    lsock.close()
    server = socket.create_connection(("127.0.0.1", args.target))

    c2s = Direction("c2s", client, server, 2)
    s2c = Direction("s2c", server, client, 1)
    other = {c2s: s2c, s2c: c2s}
    rekey_len = None            # L of a REKEY, once the line says the suite
    dropped = False             # drop: the frame is gone, the server muted
    server_frames_passed = 0
    c2s_waiting = []            # drop: client frames before the server's

    def pass_c2s(numbered, dropped):
        """Passes the client's unit on, unless it is frame N; returns
        whether frame N is gone."""
        number, unit = numbered
        if number == args.n:
            print("dropped", file=sys.stderr, flush=True)
            return True
        send(server, unit)
        return dropped

    def rekey_frame(unit):
        return rekey_len is not None and len(unit) == 2 + rekey_len

    while not (c2s.ended and s2c.ended):
        now = time.monotonic()
        for d in (c2s, s2c):
            if d.held and now - d.held_since > HOLD_MAX:
                for _, unit in d.held:
                    send(d.dst, unit)
                d.held = []
                print("released", file=sys.stderr, flush=True)
        rlist = [d.src for d in (c2s, s2c) if not d.ended]
        readable, _, _ = select.select(rlist, [], [], 0.1)
        for d in (c2s, s2c):
            if d.src not in readable:
                continue
            try:
                data = d.src.recv(65536)
            except OSError:
                data = b""
            if not data:
                d.ended = True
                for _, unit in d.held:
                    send(d.dst, unit)
                d.held = []
                if args.mode == "drop" and dropped and d is s2c:
                    # However the server went away, the client sees a
                    # clean end.
                    try:
                        client.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                try:
                    d.dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            d.buf += data
            for kind, unit in d.units():
                if kind == "line" and rekey_len is None:
                    rekey_len = 1 + (65 if b"P256" in unit else 32) + 16
                if args.mode == "drop":
                    if d is s2c:
                        if dropped:
                            continue            # muted: nothing reaches
                        send(client, unit)
                        if kind == "frame":
                            server_frames_passed += 1
                            for waiting in c2s_waiting:
                                dropped = pass_c2s(waiting, dropped)
                            c2s_waiting = []
                        continue
                    if kind == "frame" and server_frames_passed == 0:
                        c2s_waiting.append((d.frames, unit))
                        continue
                    dropped = pass_c2s((d.frames if kind == "frame" else 0,
                                        unit), dropped)
                    continue
                # cross-rekey
                if d.held:
                    d.held.append((kind, unit))
                    continue
                if kind == "frame" and rekey_frame(unit):
                    o = other[d]
                    if o.held:
                        # Both have started: each gets the other's now.
                        send(d.dst, unit)
                        for _, held in o.held:
                            send(o.dst, held)
                        o.held = []
                        print("crossed", file=sys.stderr, flush=True)
                        continue
                    d.held = [(kind, unit)]
                    d.held_since = time.monotonic()
                    continue
                send(d.dst, unit)
    client.close()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
