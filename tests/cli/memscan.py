#!/usr/bin/env python3
# memscan.py PID NEEDLE - searches every readable mapping of process PID
# (through /proc/PID/mem, which needs root for a non-dumpable process) for
# the bytes of NEEDLE.  Exit status: 0 not found, 1 found (each place is
# printed), 2 the memory could not be read.  Mappings of more than 4 GiB
# are skipped: the only ones are the shadow memory of AddressSanitizer,
# reserved address space that holds no program data.
import re, sys

CHUNK = 16 << 20
HUGE = 4 << 30


def scan(mem, start, end, needle):
    """Offsets of needle in [start, end), read a chunk at a time (chunks
    overlap by len(needle) - 1 so nothing is missed at a boundary)."""
    found, pos = [], start
    while pos < end:
        n = min(CHUNK + len(needle) - 1, end - pos)
        mem.seek(pos)
        data = mem.read(n)
        found += [pos + m.start()
                  for m in re.finditer(re.escape(needle), data)]
        pos += CHUNK
    return sorted(set(found))


def main():
    pid, needle = sys.argv[1], sys.argv[2].encode()
    found = 0
    try:
        maps = open("/proc/%s/maps" % pid).read().splitlines()
        mem = open("/proc/%s/mem" % pid, "rb", buffering=0)
    except OSError as e:
        sys.stderr.write("memscan.py: %s\n" % e)
        sys.exit(2)
    scanned = 0
    for line in maps:
        fields = line.split(None, 5)
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if not fields[1].startswith("r") or "[vvar]" in line or \
                "[vsyscall]" in line or end - start > HUGE:
            continue
        try:
            places = scan(mem, start, end, needle)
        except OSError:
            continue
        scanned += 1
        for at in places:
            found += 1
            name = fields[5] if len(fields) > 5 else "(anonymous)"
            print("found at %#x in %s" % (at, name))
    if scanned == 0:
        sys.stderr.write("memscan.py: no mapping of %s could be read\n" % pid)
        sys.exit(2)
    sys.exit(1 if found else 0)


main()
