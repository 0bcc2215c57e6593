#!/usr/bin/env python3
"""many.py - many small request/response connections (run in the client netns).

For each connection: connect to HOST:PORT, send "req-<n>\\n", read until EOF and
check the answer is "<backend-name> req-<n>\\n" with a backend name from
--names. --seq N connections one after another, then --conc M at the same time.
Prints a summary; exits 1 if any connection failed.
"""
import argparse
import ipaddress
import socket
import sys
import threading
import time


def one(host, port, n, names, timeout, errors, seen):
    req = b"req-%d" % n
    try:
        s = socket.create_connection((host, port), timeout=timeout)
        try:
            s.sendall(req + b"\n")
            buf = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                buf += b
        finally:
            s.close()
        parts = buf.rstrip(b"\n").split(b" ", 1)
        if len(parts) != 2 or parts[1] != req or parts[0].decode() not in names:
            errors.append("conn %d: bad answer %r" % (n, buf[:100]))
        else:
            seen[parts[0].decode()] = seen.get(parts[0].decode(), 0) + 1
    except OSError as e:
        errors.append("conn %d: %s" % (n, e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--seq", type=int, default=200)
    ap.add_argument("--conc", type=int, default=100)
    ap.add_argument("--names", default="backend", help="comma-separated backend names")
    ap.add_argument("--timeout", type=float, default=20.0)
    args = ap.parse_args()
    ip = ipaddress.ip_address(args.host)
    if not (ip.is_loopback or ip in ipaddress.ip_network("10.88.0.0/24")):
        sys.exit("many.py: loopback or 10.88.0.0/24 only")
    names = set(args.names.split(","))
    rc = 0

    errors, seen = [], {}
    t0 = time.monotonic()
    for n in range(args.seq):
        one(args.host, args.port, n, names, args.timeout, errors, seen)
    print("sequential: %d/%d ok in %.2fs, backends %s"
          % (args.seq - len(errors), args.seq, time.monotonic() - t0, seen), flush=True)
    for e in errors[:10]:
        print("  " + e)
    rc |= bool(errors)

    errors, seen = [], {}
    barrier = threading.Barrier(args.conc) if args.conc else None

    def worker(n):
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        one(args.host, args.port, n, names, args.timeout, errors, seen)

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(args.seq + i,)) for i in range(args.conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("concurrent: %d/%d ok in %.2fs, backends %s"
          % (args.conc - len(errors), args.conc, time.monotonic() - t0, seen), flush=True)
    for e in errors[:10]:
        print("  " + e)
    rc |= bool(errors)
    sys.exit(1 if rc else 0)


if __name__ == "__main__":
    main()
