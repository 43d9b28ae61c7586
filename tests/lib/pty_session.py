#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal of its own, as a person at a terminal
would, and prints everything it wrote. Steps after "--" (the command follows
a second "--"):
  send:TEXT     write TEXT (\\n, \\x03 ... as Python escapes) to the terminal
  wait:SECONDS  read output for that long
  until:TEXT    read output until TEXT appears (at most 20 s)
  size:ROWSxCOLS  resize the terminal (the command gets SIGWINCH)
Exits with the command's exit status (128+N for a signal)."""
import codecs, fcntl, os, pty, select, struct, sys, termios, time

def main():
    args = sys.argv[1:]
    if '--' not in args:
        sys.exit('usage: pty_session.py STEP... -- COMMAND...')
    cut = args.index('--')
    steps, cmd = args[:cut], args[cut + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = bytearray()

    def pump(seconds, until=None):
        end = time.time() + seconds
        while time.time() < end:
            if until is not None and until in out:
                return
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return
                if not data:
                    return
                out.extend(data)

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    for step in steps:
        kind, _, value = step.partition(':')
        if kind == 'send':
            os.write(fd, codecs.decode(value, 'unicode_escape').encode('latin-1'))
        elif kind == 'wait':
            pump(float(value))
        elif kind == 'until':
            pump(20, codecs.decode(value, 'unicode_escape').encode('latin-1'))
        elif kind == 'size':
            rows, cols = (int(x) for x in value.split('x'))
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
        else:
            sys.exit('unknown step ' + step)
    pump(20)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode('utf-8', 'replace'))
    if os.WIFEXITED(status):
        sys.exit(os.WEXITSTATUS(status))
    sys.exit(128 + os.WTERMSIG(status))

main()
