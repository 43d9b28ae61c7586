#!/usr/bin/env python3
"""A syslog target for jk_socketd's tests and bench: binds a datagram socket
at PATH and appends one line per datagram to OUT:
    <monotonic seconds> <length> <content escaped>
where the content escapes backslash, newline and every byte outside
printable ASCII as \\xNN, so a line is one datagram whatever it holds.
With OUT = "-count", only counts: every second it rewrites PATH.count with
"<datagrams> <bytes>" (for the bench)."""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
sock.bind(path)
os.chmod(path, 0o666)


def escape(data):
    res = []
    for b in data:
        if b == 0x5C:
            res.append("\\\\")
        elif 0x20 <= b < 0x7F:
            res.append(chr(b))
        else:
            res.append("\\x%02x" % b)
    return "".join(res)


if out == "-count":
    n = total = 0
    last = time.monotonic()
    sock.settimeout(0.2)
    while True:
        try:
            data = sock.recv(1 << 20)
            n += 1
            total += len(data)
        except socket.timeout:
            pass
        now = time.monotonic()
        if now - last >= 0.2:
            with open(path + ".count.tmp", "w") as f:
                f.write("%d %d\n" % (n, total))
            os.rename(path + ".count.tmp", path + ".count")
            last = now

with open(out, "a", buffering=1) as f:
    while True:
        data = sock.recv(1 << 20)
        f.write("%.6f %d %s\n" % (time.monotonic(), len(data), escape(data)))
