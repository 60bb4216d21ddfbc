#!/usr/bin/env python3
"""stepped_source.py FILE CHUNK FLAG - FILE on stdout, CHUNK bytes at a
time, each only once the file FLAG.N exists (N = 0, 1, ...): a source the
test paces, so that what a progress line shows at each step is known
however slow the machine is.  Gives up (exit 1) after 120 s without a
flag.
"""

import os
import sys
import time

WAIT_S = 120


def wait_for(path):
    deadline = time.monotonic() + WAIT_S
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f'stepped_source.py: {path} did not appear in '
                     f'{WAIT_S} s')
        time.sleep(0.01)


def main():
    path, chunk, flag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    out = sys.stdout.buffer
    with open(path, 'rb') as f:
        n = 0
        while True:
            data = f.read(chunk)
            if not data:
                break
            wait_for(f'{flag}.{n}')
            out.write(data)
            out.flush()
            n += 1


if __name__ == '__main__':
    main()
