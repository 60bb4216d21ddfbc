#!/usr/bin/env python3
"""find_plaintext.py - does any WINDOW-byte run of a plaintext appear in a
captured stream?  For the man-in-the-middle tests: exits 1 and says where
if some run of WINDOW (default 16) consecutive bytes of any --plain file
occurs anywhere, at any alignment, in any of the WIRE files; exits 0 if
none does.

Every WINDOW-byte run of a plaintext contains one of its WINDOW/2-byte
blocks at an offset that is a multiple of WINDOW/2, so those blocks are
looked up at every offset of the wire, and each hit is extended both ways
in the plaintext to see whether WINDOW bytes match.
"""

import argparse
import operator
import struct
import sys


def blocks(data, size, phase=0):
    """The size-byte blocks of data from phase on, as integers."""
    end = phase + (len(data) - phase) // size * size
    fmt = '<Q' if size == 8 else f'{size}s'
    return map(operator.itemgetter(0),
               struct.iter_unpack(fmt, memoryview(data)[phase:end]))


def match_length(plain, p, wire, w, size):
    """How many bytes around plain[p:p+size] == wire[w:w+size] agree."""
    left = 0
    while (p - left > 0 and w - left > 0 and
           plain[p - left - 1] == wire[w - left - 1]):
        left += 1
    right = 0
    while (p + size + right < len(plain) and w + size + right < len(wire) and
           plain[p + size + right] == wire[w + size + right]):
        right += 1
    return left + size + right, p - left, w - left


def scan(plains, wires, window):
    """The first run of window bytes of a plaintext found in a wire, as a
    message, or None."""
    size = window // 2
    known = set()
    for _, plain in plains:
        known.update(blocks(plain, size))
    for wire_name, wire in wires:
        for phase in range(size):
            if known.isdisjoint(blocks(wire, size, phase)):
                continue
            # Rare: find the hits and see how far each one extends.
            for k, b in enumerate(blocks(wire, size, phase)):
                if b not in known:
                    continue
                w = phase + k * size
                piece = wire[w:w + size]
                for plain_name, plain in plains:
                    p = plain.find(piece)
                    while p != -1:
                        n, ps, ws = match_length(plain, p, wire, w, size)
                        if n >= window:
                            return (f'{n} bytes of {plain_name} from offset '
                                    f'{ps} appear in {wire_name} at offset '
                                    f'{ws}')
                        p = plain.find(piece, p + 1)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('wire', nargs='+', help='captured stream')
    ap.add_argument('--plain', action='append', required=True,
                    help='plaintext that must not appear (repeatable)')
    ap.add_argument('--window', type=int, default=16,
                    help='run length in bytes, even, 4 to 64 (16)')
    args = ap.parse_args()
    if args.window % 2 or not 4 <= args.window <= 64:
        ap.error('--window must be even, 4 to 64')
    wires, plains = [], []
    for names, files in ((args.wire, wires), (args.plain, plains)):
        for name in names:
            with open(name, 'rb') as f:
                files.append((name, f.read()))
    found = scan(plains, wires, args.window)
    if found is None:
        return 0
    print(found)
    return 1


if __name__ == '__main__':
    sys.exit(main())
