#!/usr/bin/env python3
"""pingpong.py - a latency probe over one connection (run in the client netns).

  pingpong.py HOST PORT --stop FILE [--size 64] [--interval 0.01] [--timeout 10]

Connects once, then until FILE exists: sends --size bytes, waits until the
same bytes came back, records the round trip, sleeps --interval. A short or
wrong answer, an error or a round trip over --timeout is a failure (and ends
the probe). Prints one JSON line:
  {"rounds", "failures", "error", "max_ms", "p50_ms", "p99_ms"}
and exits 1 if anything failed.
"""
import argparse
import json
import os
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    rtts, failures, error = [], 0, None
    try:
        s = socket.create_connection((args.host, args.port), timeout=args.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        n = 0
        while not os.path.exists(args.stop):
            msg = (b"%08d" % n) * (args.size // 8)
            t0 = time.monotonic()
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = s.recv(len(msg) - len(got))
                if not b:
                    raise OSError("connection closed by the peer")
                got += b
            rtts.append((time.monotonic() - t0) * 1000)
            if got != msg:
                raise OSError("answer %d differs" % n)
            n += 1
            time.sleep(args.interval)
        s.close()
    except OSError as e:
        failures += 1
        error = "%s: %s" % (type(e).__name__, e)
    rtts.sort()
    pct = lambda p: round(rtts[min(len(rtts) - 1, int(len(rtts) * p))], 2) if rtts else None
    print(json.dumps({"rounds": len(rtts), "failures": failures, "error": error,
                      "max_ms": round(rtts[-1], 2) if rtts else None,
                      "p50_ms": pct(0.5), "p99_ms": pct(0.99)}), flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
