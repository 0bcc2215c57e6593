#!/usr/bin/env python3
"""synflood.py - send bare SYNs from the client namespace (raw socket, root).

Usage: synflood.py SRC DST DPORT --count N [--sports LO-HI] [--rate PPS]
Only addresses in 10.88.0.0/24 are allowed. Source ports are drawn from
--sports (default 1024-19999, below the client's ephemeral range) so the test
can drop tcpgate's answers to them with nftables before the client kernel
resets them. Prints the number of SYNs sent.
"""
import argparse
import ipaddress
import random
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src, dst, sport, dport, seq):
    # 20-byte header + MSS option (kind 2, len 4, 1460)
    opts = struct.pack("!BBH", 2, 4, 1460)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (6 << 4), 0x02, 64240, 0, 0) + opts
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
    c = csum(pseudo + hdr)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("dport", type=int)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--sports", default="1024-19999")
    ap.add_argument("--rate", type=float, default=0, help="SYNs per second, 0 = as fast as possible")
    args = ap.parse_args()
    net = ipaddress.ip_network("10.88.0.0/24")
    for a in (args.src, args.dst):
        if ipaddress.ip_address(a) not in net:
            sys.exit("synflood.py: only 10.88.0.0/24 addresses")
    lo, hi = (int(x) for x in args.sports.split("-"))
    ports = random.sample(range(lo, hi + 1), min(args.count, hi - lo + 1))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((args.src, 0))
    sent = 0
    t0 = time.monotonic()
    for i in range(args.count):
        sport = ports[i % len(ports)]
        s.sendto(syn(args.src, args.dst, sport, args.dport, random.getrandbits(32)), (args.dst, 0))
        sent += 1
        if args.rate:
            delay = t0 + sent / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    print(sent, flush=True)


if __name__ == "__main__":
    main()
