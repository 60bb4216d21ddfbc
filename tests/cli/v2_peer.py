#!/usr/bin/env python3
"""v2_peer.py - a sealcat client written from PROTOCOL.md, not from sealcat.

Connects to 127.0.0.1:PORT as the initiator with a fresh random identity
(so the listener needs --allow-any), runs the preamble and the Noise XX
handshake, then, by MODE:

  session     sends its stdin as DATA, starts a rekey round in the middle
              of it (REKEY, the listener's REKEY and SWITCH, its own
              SWITCH, the rest under the new keys), then CLOSE; writes the
              listener's stream to stdout, confirms it with DONE once the
              listener's CLOSE is in, and ends once both sides have sent
              CLOSE and DONE (PROTOCOL.md §3.4).  Exit 0 if all of that
              went by the rules and the listener confirmed our stream.
  bad-rekey   sends DATA, then a REKEY whose key is invalid (all zero for
              x25519, the point (0, 0) for p256).  Exit 0 if the listener
              answers with ERROR "received a bad frame" and ends.

The crypto is the independent implementation that computed the v2 test
vectors (tests/vectors/sealcat/gen_v2.py, on pyca/cryptography and
hashlib).  What it saw goes to stderr, one line per event.
"""

import argparse
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "vectors", "sealcat"))
import gen_v2                   # noqa: E402
from gen_v2 import (CLOSE, DATA, DONE, ERROR, PING, REKEY,  # noqa: E402
                    SWITCH, TYPE_NAMES, Cipher, Handshake, hkdf)


def say(*words):
    print(*words, file=sys.stderr, flush=True)


def random_private(S):
    while True:
        x = os.urandom(32)
        if S is gen_v2.X25519 or 0 < int.from_bytes(x, "big") < gen_v2.P256_N:
            return x


def read_exact(sock, n):
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            return None
        out += chunk
    return bytes(out)


class Peer:
    def __init__(self, S, sock):
        self.S, self.sock = S, sock

    def handshake(self):
        S = self.S
        line = b"SEALCAT/2 " + S.protocol + b"\n"
        I = Handshake(S, line, random_private(S), random_private(S))
        L = S.dhlen
        m1 = S.pub(I.e)
        I.mix_hash(m1)
        m1 += I.enc_hash(b"")
        self.sock.sendall(line + struct.pack(">H", len(m1)) + m1)
        got = bytearray()
        while not got.endswith(b"\n") and len(got) < 64:
            b = self.sock.recv(1)
            if not b:
                break
            got += b
        if bytes(got) != line:
            raise SystemExit("the listener answered %r" % bytes(got))
        (n,) = struct.unpack(">H", read_exact(self.sock, 2))
        m2 = read_exact(self.sock, n)
        re = m2[:L]
        I.mix_hash(re)
        I.mix_key(S.dh(I.e, re))
        rs = I.dec_hash(m2[L:2 * L + 16])
        I.mix_key(S.dh(I.e, rs))
        if I.dec_hash(m2[2 * L + 16:]) != b"":
            raise SystemExit("message 2 has a payload")
        m3 = I.enc_hash(S.pub(I.s))
        I.mix_key(S.dh(I.s, re))
        m3 += I.enc_hash(b"")
        self.sock.sendall(struct.pack(">H", len(m3)) + m3)
        k1, k2, self.rk = I.split()
        self.send = Cipher(S, k1[:32], 0)
        self.recv = Cipher(S, k2[:32], 0)
        say("handshake done")

    def seal(self, t, body=b""):
        _, c = self.send.seal(bytes([t]) + body)
        self.sock.sendall(struct.pack(">H", len(c)) + c)

    def open(self):
        """The next frame as (type, body), or None at the end."""
        hdr = read_exact(self.sock, 2)
        if hdr is None:
            return None
        (n,) = struct.unpack(">H", hdr)
        c = read_exact(self.sock, n)
        if c is None:
            return None
        _, p = self.recv.open(c)
        t, body = p[0], p[1:]
        say("got", TYPE_NAMES[t], len(body))
        return t, body

    def derive(self, e, re):
        """Both REKEYs known: (rk, k_i2r, k_r2i) = HKDF(rk, DH, 3)."""
        self.rk, t_i2r, t_r2i = hkdf(self.S, self.rk, self.S.dh(e, re), 3)
        return t_i2r[:32], t_r2i[:32]


def session(peer, data):
    half = len(data) // 2
    for i in range(0, half, 65518):
        peer.seal(DATA, data[i:min(i + 65518, half)])
    # A round of our own: REKEY, then wait for the listener's answer.
    e = random_private(peer.S)
    peer.seal(REKEY, peer.S.pub(e))
    new_send = new_recv = None
    got_close = got_done = sent_switch = got_switch = False
    received = bytearray()
    while True:
        f = peer.open()
        if f is None:
            raise SystemExit("the listener ended the connection early")
        t, body = f
        if t == REKEY:
            if new_send is not None:
                raise SystemExit("a second REKEY")
            new_send, new_recv = peer.derive(e, body)
            e = None
            peer.seal(SWITCH)
            peer.send.k = new_send
            sent_switch = True
            for i in range(half, len(data), 65518):
                peer.seal(DATA, data[i:i + 65518])
            peer.seal(CLOSE)
        elif t == SWITCH:
            if new_recv is None:
                raise SystemExit("SWITCH before REKEY")
            peer.recv.k = new_recv
            got_switch = True
        elif t == DATA:
            received += body
        elif t == CLOSE:
            got_close = True
            sys.stdout.buffer.write(received)
            sys.stdout.buffer.flush()
            peer.seal(DONE)
        elif t == DONE:
            got_done = True
        elif t == ERROR:
            raise SystemExit("ERROR: %s" % body.decode(errors="replace"))
        elif t != PING:
            raise SystemExit("unexpected %s" % TYPE_NAMES[t])
        if got_close and got_done and sent_switch and got_switch:
            break
    # Both sides have sent CLOSE and DONE: the listener closes, and so do we.
    if peer.sock.recv(1) != b"":
        raise SystemExit("a byte after the end of the session")
    say("session complete")
    return 0


def bad_rekey(peer):
    peer.seal(DATA, b"before the bad key")
    key = bytearray(peer.S.dhlen)
    if peer.S is gen_v2.P256:
        key[0] = 0x04
    peer.seal(REKEY, bytes(key))
    while True:
        f = peer.open()
        if f is None:
            raise SystemExit("no ERROR before the end")
        t, body = f
        if t == ERROR:
            reason = body.decode(errors="replace")
            say("ERROR:", reason)
            return 0 if reason == "received a bad frame" else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("mode", choices=["session", "bad-rekey"])
    ap.add_argument("--suite", choices=["x25519", "p256"], default="x25519")
    args = ap.parse_args()
    S = gen_v2.X25519 if args.suite == "x25519" else gen_v2.P256
    sock = socket.create_connection(("127.0.0.1", args.port))
    sock.settimeout(20)
    peer = Peer(S, sock)
    peer.handshake()
    if args.mode == "session":
        return session(peer, sys.stdin.buffer.read())
    return bad_rekey(peer)


if __name__ == "__main__":
    sys.exit(main())
