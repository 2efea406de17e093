#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Serve balloon requests of a running guest through QEMU's QMP socket.

The guest writes a target size in MiB (the guest's memory with the
balloon inflated) to /mnt/results/balloon.req; we set it and answer
in balloon.ack with QEMU's reply. Runs while process PID (the guest's
QEMU, or what waits to start it) lives.
"""
import json
import os
import socket
import sys
import time

POLL_S = 0.5


def qmp(sock_path, command, arguments):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock_path)
        f = s.makefile("rw")
        f.readline()  # greeting
        for msg in ({"execute": "qmp_capabilities"},
                    {"execute": command, "arguments": arguments}):
            f.write(json.dumps(msg) + "\n")
            f.flush()
            while True:
                reply = json.loads(f.readline())
                if "event" not in reply:
                    break
        return reply


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def main(results, pid):
    sock = os.path.join(results, "qmp.sock")
    req = os.path.join(results, "balloon.req")
    ack = os.path.join(results, "balloon.ack")
    while alive(pid):
        if os.path.exists(req) and os.path.exists(sock):
            try:
                mib = int(open(req).read().strip())
                os.unlink(req)
                reply = qmp(sock, "balloon", {"value": mib << 20})
            except (OSError, ValueError) as err:
                reply = {"error": str(err)}
            with open(ack + ".tmp", "w") as f:
                json.dump(reply, f)
            os.rename(ack + ".tmp", ack)
        time.sleep(POLL_S)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
