#!/usr/bin/env python3
"""pcapstat.py - count TCP segments in a classic pcap (LINKTYPE_ETHERNET).

Usage: pcapstat.py FILE [--src IP] [--sport PORT] [--dport PORT]
Prints JSON: {"frames", "tcp", "syn", "synack", "rst", "fin"} counting only
IPv4/TCP segments (from --src, from source port --sport, to --dport when given).
"""
import argparse
import json
import socket
import struct
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--src")
    ap.add_argument("--sport", type=int)
    ap.add_argument("--dport", type=int)
    args = ap.parse_args()
    data = open(args.file, "rb").read()
    if len(data) < 24:
        sys.exit("pcapstat: %s: too short for a pcap header (%d bytes)" % (args.file, len(data)))
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        sys.exit("pcapstat: %s: not a classic pcap file (magic %s)" % (args.file, magic.hex()))
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit("pcapstat: linktype %d, expected 1 (Ethernet)" % linktype)
    c = {"frames": 0, "tcp": 0, "syn": 0, "synack": 0, "rst": 0, "fin": 0}
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        c["frames"] += 1
        if len(pkt) < 14 + 20 or pkt[12:14] != b"\x08\x00":
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 6 or len(ip) < ihl + 14:
            continue
        if args.src and socket.inet_ntoa(ip[12:16]) != args.src:
            continue
        sport, dport = struct.unpack(">HH", ip[ihl:ihl + 4])
        if args.sport is not None and sport != args.sport:
            continue
        if args.dport is not None and dport != args.dport:
            continue
        flags = ip[ihl + 13]
        c["tcp"] += 1
        syn, ack, rst, fin = flags & 0x02, flags & 0x10, flags & 0x04, flags & 0x01
        if syn and ack:
            c["synack"] += 1
        elif syn:
            c["syn"] += 1
        if rst:
            c["rst"] += 1
        if fin:
            c["fin"] += 1
    print(json.dumps(c))


if __name__ == "__main__":
    main()
