#!/usr/bin/env python3
"""ooo_fill.py - fill tcpgate's out-of-order queues on real connections, then complete them.

Usage: ooo_fill.py SRC DST DPORT IFNAME --conns K --segs S [--seg-bytes B]
                   [--step P] [--sport-base PORT]

Runs in the client namespace as root (tools/rawtcp.py); the test drops
tcpgate's segments to ports P..P+K-1 at the client's netfilter input so the
client kernel does not reset them. For each of K connections:

 1. handshake from SRC:PORT+i (MSS 1460, no window scaling, SACK or
    timestamps: the window stays below 64 KiB, so P*(S+1) must too);
 2. S segments of B bytes (default 500) at stream offsets P*j (default 600),
    j = 1..S, each beyond a hole (offset 0 is held back, and P - B bytes
    between segments), so each one takes one out-of-order chunk until the
    per-connection limit or the stack-wide pool is exhausted; the rest are
    dropped (drop_tcp_ooo_full);
 3. the whole stream of P*(S+1) bytes in order in 1000-byte segments, then
    FIN, resent every second until tcpgate has acknowledged the FIN;
 4. tcpgate's own FIN (after the backend closed) is acknowledged.

The stream of connection i is random.Random(i) bytes. Prints one JSON line:
{"conns", "established", "completed", "stream_bytes", "sha256": [...]},
the SHA-256 of each connection's stream (what the backend must have received).
Exit 1 unless every connection completed.
"""
import argparse
import hashlib
import json
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rawtcp  # noqa: E402
from rawtcp import ACK, FIN, PSH, SYN  # noqa: E402

INORDER = 1000


class Conn:
    def __init__(self, i, sport, total):
        self.i, self.sport = i, sport
        self.isn = random.Random(1000 + i).getrandbits(32)
        self.data = random.Random(i).randbytes(total)
        self.irs = None
        self.fin_acked = False
        self.peer_fin = None
        self.peer_fin_acked = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("dport", type=int)
    ap.add_argument("ifname")
    ap.add_argument("--conns", type=int, default=80)
    ap.add_argument("--segs", type=int, default=80)
    ap.add_argument("--seg-bytes", type=int, default=500)
    ap.add_argument("--step", type=int, default=600)
    ap.add_argument("--sport-base", type=int, default=20001)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    raw = rawtcp.Raw(a.src, a.dst, a.ifname)
    if not 0 < a.seg_bytes < a.step or a.step * (a.segs + 1) > 65000:
        sys.exit("ooo_fill.py: need 0 < seg-bytes < step and step * (segs + 1) <= 65000")
    total = a.step * (a.segs + 1)
    conns = [Conn(i, a.sport_base + i, total) for i in range(a.conns)]
    by_port = {c.sport: c for c in conns}
    mss = struct.pack("!BBH", 2, 4, 1460)

    def handle(segs):
        for sport, dport, seq, ack, flags, win, dlen in segs:
            c = by_port.get(dport)
            if not c or sport != a.dport:
                continue
            if flags & SYN and flags & ACK and c.irs is None and ack == (c.isn + 1) & 0xFFFFFFFF:
                c.irs = seq
                raw.send(c.sport, a.dport, c.isn + 1, c.irs + 1, ACK)
            elif c.irs is not None:
                if flags & ACK and ack == (c.isn + 1 + total + 1) & 0xFFFFFFFF:
                    c.fin_acked = True
                if flags & FIN:
                    c.peer_fin = (seq + dlen) & 0xFFFFFFFF
                    raw.send(c.sport, a.dport, c.isn + 1 + total + 1, c.peer_fin + 1, ACK)
                    c.peer_fin_acked = True

    # 1. handshakes (SYN resent each second until answered)
    deadline = time.monotonic() + a.timeout
    while any(c.irs is None for c in conns) and time.monotonic() < deadline:
        for c in conns:
            if c.irs is None:
                raw.send(c.sport, a.dport, c.isn, 0, SYN, opts=mss)
        end = time.monotonic() + 1
        while time.monotonic() < end and any(c.irs is None for c in conns):
            handle(raw.recv(0.05))
    established = sum(c.irs is not None for c in conns)
    # 2. out-of-order segments beyond a hole at offset 0
    for c in conns:
        if c.irs is None:
            continue
        for j in range(1, a.segs + 1):
            off = a.step * j
            raw.send(c.sport, a.dport, c.isn + 1 + off, c.irs + 1, ACK | PSH,
                     data=c.data[off:off + a.seg_bytes])
        handle(raw.recv(0))
    time.sleep(0.2)
    handle(raw.recv(0.1))
    print("OOO_SENT %d" % (established * a.segs), flush=True)
    # 3. the whole stream in order + FIN, again every second until the FIN is acknowledged
    while time.monotonic() < deadline:
        todo = [c for c in conns if c.irs is not None and not c.fin_acked]
        if not todo:
            break
        for c in todo:
            for off in range(0, total, INORDER):
                raw.send(c.sport, a.dport, c.isn + 1 + off, c.irs + 1, ACK,
                         data=c.data[off:off + INORDER])
            raw.send(c.sport, a.dport, c.isn + 1 + total, c.irs + 1, ACK | FIN)
            handle(raw.recv(0))
        end = time.monotonic() + 1
        while time.monotonic() < end and any(not c.fin_acked for c in todo):
            handle(raw.recv(0.05))
    # 4. tcpgate's FIN, once the backend closed (its report comes first)
    while time.monotonic() < deadline and any(c.irs is not None and not c.peer_fin_acked for c in conns):
        handle(raw.recv(0.1))
    completed = sum(c.fin_acked for c in conns)
    print(json.dumps({"conns": a.conns, "established": established, "completed": completed,
                      "peer_fin_acked": sum(c.peer_fin_acked for c in conns),
                      "stream_bytes": total,
                      "sha256": [hashlib.sha256(c.data).hexdigest() for c in conns]}), flush=True)
    sys.exit(0 if completed == a.conns else 1)


if __name__ == "__main__":
    main()
