#!/usr/bin/env python3
"""stdio_check.py - runs a command on standard input and output that this
script holds too, and reports what the command did to them.

  flags KIND -- CMD...      KIND is pipe, socket or pty.  Standard input and
                            output are a pipe each, one socketpair, or one
                            pty.  Waits until CMD has written TEXT (from
                            $STDIO_TEXT, default "hello"), then reports
                            whether each open file description is
                            non-blocking ("during: stdin=... stdout=..."),
                            ends CMD's input (pty: lets the terminal rule
                            end it), waits for CMD and reports the same
                            again ("after: ...") and "exit N".
  errline SECONDS -- CMD... Standard output and standard error on one pipe
                            (as 2>&1), standard input a pipe with nothing
                            in it.  Reads nothing for SECONDS (or until CMD
                            exits), then everything; prints "exit N" and
                            the last line starting "sealcat: ".
  paused-tty SECONDS -- CMD...
                            Standard output on a pty whose output is
                            suspended (what Ctrl-S does); standard input
                            /dev/null.  Prints "exit N", or "still running"
                            (and kills CMD) after SECONDS.
  typeahead TEXT SECONDS -- CMD...
                            Standard input on a pty on which TEXT was typed
                            before CMD started.  Prints "exit N" (or "still
                            running"), then "left for the shell: N bytes",
                            on stderr (stdout is CMD's).
"""

import fcntl
import os
import pty
import select
import socket
import struct
import subprocess
import sys
import termios
import time


def nonblocking(fd):
    return "non-blocking" if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK \
        else "blocking"


def wait(proc, seconds):
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def report_exit(rc):
    print("still running" if rc is None else "exit %d" % rc, flush=True)


def read_until(fd, text, seconds):
    got = b""
    deadline = time.monotonic() + seconds
    while text not in got:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return False
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        got += chunk
    return True


def flags(kind, cmd):
    text = os.environ.get("STDIO_TEXT", "hello").encode()
    if kind == "pipe":
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        child_in, child_out, held_in, held_out = in_r, out_w, in_r, out_w
        read_fd = out_r
    elif kind == "socket":
        ours, theirs = socket.socketpair()
        child_in = child_out = held_in = held_out = theirs.fileno()
        read_fd = ours.fileno()
    else:
        master, slave = pty.openpty()
        child_in = child_out = held_in = held_out = slave
        read_fd = master
    proc = subprocess.Popen(cmd, stdin=child_in, stdout=child_out)
    if not read_until(read_fd, text, 20):
        print("no %r from the command" % text)
    print("during: stdin=%s stdout=%s" % (nonblocking(held_in),
                                          nonblocking(held_out)), flush=True)
    if kind == "pipe":
        os.close(in_w)
    elif kind == "socket":
        ours.shutdown(socket.SHUT_WR)
    rc = wait(proc, 20)
    print("after: stdin=%s stdout=%s" % (nonblocking(held_in),
                                         nonblocking(held_out)))
    report_exit(rc)


def errline(seconds, cmd):
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    proc = subprocess.Popen(cmd, stdin=in_r, stdout=out_w, stderr=out_w)
    os.close(out_w)
    os.close(in_r)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass
    got = b""
    while True:
        chunk = os.read(out_r, 65536)
        if not chunk:
            break
        got += chunk
    report_exit(wait(proc, 10))
    start = got.rfind(b"sealcat: ")
    if start != -1:
        print(got[start:].split(b"\n")[0].decode(errors="replace"))
    os.close(in_w)


def paused_tty(seconds, cmd):
    master, slave = pty.openpty()
    termios.tcflow(slave, termios.TCOOFF)
    with open(os.devnull, "rb") as null:
        proc = subprocess.Popen(cmd, stdin=null, stdout=slave)
    report_exit(wait(proc, seconds))
    os.close(master)
    os.close(slave)


def typeahead(text, seconds, cmd):
    master, slave = pty.openpty()
    os.write(master, text.encode())
    # The line discipline takes typed bytes in asynchronously.
    deadline = time.monotonic() + 10
    while not select.select([slave], [], [], 0.05)[0]:
        if time.monotonic() > deadline:
            print("the typed text never became readable")
            return
    proc = subprocess.Popen(cmd, stdin=slave)
    rc = wait(proc, seconds)
    left = fcntl.ioctl(slave, termios.FIONREAD, b"\0\0\0\0")
    print("still running" if rc is None else "exit %d" % rc,
          file=sys.stderr)
    print("left for the shell: %d bytes" % struct.unpack("i", left)[0],
          file=sys.stderr)


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit(__doc__)
    sep = argv.index("--")
    what, args, cmd = argv[0], argv[1:sep], argv[sep + 1:]
    if what == "flags" and len(args) == 1:
        flags(args[0], cmd)
    elif what == "errline" and len(args) == 1:
        errline(float(args[0]), cmd)
    elif what == "paused-tty" and len(args) == 1:
        paused_tty(float(args[0]), cmd)
    elif what == "typeahead" and len(args) == 2:
        typeahead(args[0], float(args[1]), cmd)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
