#!/usr/bin/env python3
"""A syslog socket for tests: binds a datagram socket at PATH and appends each
message it receives, as one line (newlines escaped as \\n), to OUT."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    f.write(b"")  # the file exists once the socket does
    while True:
        data = sock.recv(1 << 20)
        f.write(data.replace(b"\n", b"\\n") + b"\n")
