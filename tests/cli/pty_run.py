#!/usr/bin/env python3
# pty_run.py - runs a command with a new pseudo-terminal as its controlling
# terminal, plays a short script against what appears on that terminal, and
# exits with the command's status.  The command's stdin, stdout and stderr
# are left as given (so a prompt that goes to /dev/tty is told apart from
# the data on stdin and stdout); only /dev/tty is the pseudo-terminal.
#
#   pty_run.py [options] [steps] -- COMMAND [ARG...]
#
# Steps, in order:
#   -e REGEX   wait until the terminal output since the last match matches
#   -s TEXT    type TEXT and a newline
#   -d         type ^D (end of input)
#   -w FILE    wait until FILE exists
# Options:
#   --transcript FILE  everything the command writes to the terminal, as it
#                      comes
#   --pid-file FILE    write the command's process id
#   --timeout SECS     give up (kill the command, exit 124) after SECS (30)
#
# Exit status: the command's, 128 + N if signal N ended it, 124 on a time
# out, 125 if a step's REGEX never matched (then the command is killed if
# it still runs).
import os, re, select, signal, sys, time


def usage():
    sys.stderr.write("usage: pty_run.py [options] [steps] -- COMMAND...\n")
    sys.exit(2)


def parse(argv):
    steps, opts = [], {"transcript": None, "pid_file": None, "timeout": 30.0}
    i = 0
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a in ("-e", "-s", "-w") and i + 1 < len(argv):
            steps.append((a, argv[i + 1]))
            i += 2
        elif a == "-d":
            steps.append((a, None))
            i += 1
        elif a in ("--transcript", "--pid-file", "--timeout") and \
                i + 1 < len(argv):
            key = a[2:].replace("-", "_")
            opts[key] = float(argv[i + 1]) if key == "timeout" else argv[i + 1]
            i += 2
        else:
            usage()
    if i + 1 >= len(argv):
        usage()
    return steps, opts, argv[i + 1:]


def spawn(command):
    master, slave = os.openpty()
    slave_name = os.ttyname(slave)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.setsid()
            # Opening a terminal with no controlling terminal yet makes it
            # the session's; stdio stay as they are.
            fd = os.open(slave_name, os.O_RDWR)
            os.close(fd)
            os.close(slave)
            os.execvp(command[0], command)
        except OSError as e:
            sys.stderr.write("pty_run.py: %s: %s\n" % (command[0], e))
        os._exit(127)
    # The slave stays open here too, so that reading the master never
    # fails with EIO before the command has opened it or after it closed
    # it; the command's end is seen through waitpid().
    return pid, master, slave


class Terminal:
    def __init__(self, master, deadline, pid, transcript):
        self.master, self.deadline, self.pid = master, deadline, pid
        self.transcript = transcript
        self.all, self.pending = b"", b""
        self.status = None

    def exited(self):
        """True once the command has ended; its status is then set."""
        if self.status is None:
            done, code = os.waitpid(self.pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(code)
                self.status = 128 - code if code < 0 else code
        return self.status is not None

    def pump(self, wait):
        """Reads what is there, waiting up to wait seconds for it."""
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return False
        data = os.read(self.master, 4096)
        if self.transcript:
            self.transcript.write(data)
            self.transcript.flush()
        self.all += data
        self.pending += data
        return True

    def expect(self, regex):
        pattern = re.compile(regex.encode())
        while time.monotonic() < self.deadline:
            m = pattern.search(self.pending)
            if m:
                self.pending = self.pending[m.end():]
                return True
            if self.exited() and not self.pump(0):
                return False
            self.pump(0.05)
        return False

    def type(self, data):
        os.write(self.master, data)


def main():
    steps, opts, command = parse(sys.argv[1:])
    deadline = time.monotonic() + opts["timeout"]
    pid, master, slave = spawn(command)

    # The command has a session of its own, out of reach of a signal to
    # our process group (bats' teardown, timeout): pass one on.
    def forward(sig, frame):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
        sys.exit(128 + sig)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    if opts["pid_file"]:
        with open(opts["pid_file"], "w") as f:
            f.write("%d\n" % pid)
    transcript = open(opts["transcript"], "wb") if opts["transcript"] \
        else None
    term = Terminal(master, deadline, pid, transcript)
    status = None
    for kind, arg in steps:
        if kind == "-e" and not term.expect(arg):
            sys.stderr.write("pty_run.py: never saw /%s/ on the terminal; "
                             "it showed %r\n" % (arg, term.all))
            status = 124 if time.monotonic() >= deadline else 125
            break
        if kind == "-s":
            term.type(arg.encode() + b"\n")
        elif kind == "-d":
            term.type(b"\x04")
        elif kind == "-w":
            while not os.path.exists(arg) and time.monotonic() < deadline:
                term.pump(0.02)
    while status is None:
        if term.exited():
            status = term.status
            break
        if time.monotonic() >= deadline:
            sys.stderr.write("pty_run.py: time out; the terminal showed "
                             "%r\n" % term.all)
            status = 124
            break
        term.pump(0.02)
    if term.status is None:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
    while term.pump(0):
        pass
    sys.exit(status)


main()
