#!/usr/bin/env python3
"""Two loopback endpoints that never answer, for the timeout tests.

  silent  accepts connections and reads requests, never answers a byte
  full    a listening socket whose backlog is full: the kernel drops new
          SYNs, so a connect never completes (nothing is ever accepted)

Usage: stalled_server.py PORT_FILE   (writes "SILENT_PORT FULL_PORT")
"""
import socket
import sys
import threading

import loopback


def hold(conn):
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def main():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    # fill the accept queue (and the SYN queue behind it) with connections
    # that are never accepted
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(full.getsockname())
        except BlockingIOError:
            pass
        fillers.append(c)
    loopback.publish(sys.argv[1], "%d %d" % (silent.getsockname()[1], full.getsockname()[1]))
    held = []
    while True:
        conn, _ = silent.accept()
        held.append(conn)
        threading.Thread(target=hold, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
