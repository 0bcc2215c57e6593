#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkseeds.py - write the seed corpora of the fuzz targets

Theory of operation: fuzz_frames reads a header byte and then records
[op:1][len:2 LE][payload] (see the comment at the top of fuzz_frames.c). The
helpers below build those records; each seed is a short scenario the fuzzer
would take long to find alone (a complete handshake, data both ways, FIN,
pending accept, zero window, retransmission, ...). fuzz_conf's seeds are the
example configuration and variants of it, behind the one byte that selects
the error buffer size.

Usage: tests/fuzz/mkseeds.py   (writes tests/fuzz/corpus/<target>/seed-* and
the hand-written regression inputs in tests/fuzz/crashers/fuzz_frames/)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

OP_RAW, OP_TCP, OP_CLOCK, OP_APP, OP_POLICY, OP_ARP, OP_ICMP, OP_POKE, OP_VIP, OP_VNET = \
    range(10)
GSO_NONE, GSO_TCPV4, CSUM_NONE, CSUM_PARTIAL, CSUM_VALID = 0, 1, 0, 1, 2
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
H_NO_AUTO_ARP, H_ISN_FIXED, H_PROMISC, H_CLIENT_WRAP, H_TINY, H_SMALL_MTU = 1, 2, 4, 8, 16, 32
T_SEQ_ABS, T_ACK_ABS, T_BAD_TCP, T_BAD_IP, T_DATA_INPUT, T_NO_ADV, T_IP_OPTS = \
    1, 2, 4, 8, 16, 32, 64
OPT_STD, OPT_TS = 0x80, 0x40
H2_KEEPALIVE, H2_SMALL_OOO, H2_NO_COOKIES = 1, 2, 4
H_COOKIES, H_NEWRENO = 0x40, 0x80
APP_ACCEPT, APP_REJECT, APP_SEND, APP_SHUTDOWN, APP_ABORT, APP_WUPDATE, APP_SEND_BIG, \
    APP_INFO = range(8)


def rec(op, payload=b""):
    """One record."""
    return struct.pack("<BH", op, len(payload)) + payload


def tcp(slot, flags, seq=0, ack=0, ctl=0, win=65535, opts=b"", dlen=0, data=b"", ts=False):
    """A template TCP segment; seq/ack relative unless ctl says absolute."""
    optlen = (OPT_STD if opts is None else len(opts)) | (OPT_TS if ts else 0)
    hdr = struct.pack("<BBBiiHBH", slot, flags, ctl, seq, ack, win, optlen, dlen)
    return rec(OP_TCP, hdr + (opts or b"") + data)


def syn(slot=0, **kw):
    return tcp(slot, SYN, opts=None, **kw)


def clock_ms(ms):
    return rec(OP_CLOCK, struct.pack("<BH", 0, ms))


def clock_next():
    return rec(OP_CLOCK, bytes([1]))


def clock_s(s):
    return rec(OP_CLOCK, bytes([3, s]))


def app(conn, action, arg=0):
    return rec(OP_APP, struct.pack("<BBI", conn, action, arg))


def policy(verdict=2, deliver=0, deliver_max=0, space=0, produce=0):
    return rec(OP_POLICY, bytes([verdict, deliver, deliver_max, space, produce]))


def handshake(slot=0, ts=False):
    return syn(slot, ts=ts) + tcp(slot, ACK, ts=ts)


def sack(left, right):
    """A SACK option; edges relative to the stack's highest sequence number."""
    return bytes([1, 1, 5, 10]) + struct.pack(">ii", left, right)


def csum16(b):
    """RFC 1071 checksum of bytes, as stored big-endian."""
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def ping_frame():
    """Ethernet + IPv4 + ICMP echo request, 10.88.0.2 -> 10.88.0.1."""
    icmp = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"offload!"
    icmp = icmp[:2] + struct.pack("!H", csum16(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0x4000, 64, 1, 0,
                     bytes([10, 88, 0, 2]), bytes([10, 88, 0, 1]))
    ip = ip[:10] + struct.pack("!H", csum16(ip)) + ip[12:]
    return bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0xaa]) + struct.pack("!H", 0x0800) + ip + icmp


def vnet(gso_type, csum, gso_size, hdr_len, start, offset, frame):
    """An FZ_OP_VNET record: offload metadata, then the frame."""
    return rec(OP_VNET, struct.pack("<BBHHHH", gso_type, csum, gso_size, hdr_len, start,
                                    offset) + frame)


def frames_seeds():
    s = {}
    s["handshake-data-fin"] = bytes([0, 0]) + handshake() + \
        tcp(0, ACK | PSH, dlen=100) + app(0, APP_SEND, 3000) + tcp(0, ACK) + \
        clock_ms(50) + app(0, APP_SHUTDOWN) + tcp(0, FIN | ACK) + clock_next() + clock_s(3)
    s["peer-closes-first"] = bytes([0, 0]) + handshake() + tcp(0, ACK | PSH, dlen=1460) + \
        tcp(0, ACK | PSH, dlen=1460) + tcp(0, FIN | ACK) + app(0, APP_SEND, 500) + \
        app(0, APP_SHUTDOWN) + tcp(0, ACK) + clock_s(3)
    s["pending-accept"] = bytes([0, 0]) + policy(verdict=1) + syn() + clock_ms(10) + \
        app(0, APP_ACCEPT) + tcp(0, ACK) + tcp(0, ACK | PSH, dlen=10) + app(0, APP_INFO)
    s["pending-reject"] = bytes([0, 0]) + policy(verdict=1) + syn(1) + app(0, APP_REJECT) + \
        policy(verdict=0) + syn(2)
    s["zero-window"] = bytes([0, 0]) + policy(space=1) + handshake() + \
        tcp(0, ACK | PSH, dlen=200) + policy(space=0) + app(0, APP_WUPDATE) + \
        app(0, APP_SEND, 5000) + tcp(0, ACK, win=0) + clock_next() + clock_next() + \
        tcp(0, ACK, win=65535) + clock_next()
    s["retransmit-timeout"] = bytes([0, 0]) + handshake() + app(0, APP_SEND_BIG, 100000) + \
        b"".join(clock_next() for _ in range(12))
    s["synack-timeout"] = bytes([H_ISN_FIXED, 0]) + syn(3) + \
        b"".join(clock_next() for _ in range(8))
    s["rst-and-challenge"] = bytes([0, 0]) + handshake(4) + tcp(4, RST, seq=10) + \
        tcp(4, SYN, seq=5) + tcp(4, RST)
    s["offlink-wrap"] = bytes([H_CLIENT_WRAP | H_ISN_FIXED, 0]) + handshake(6) + \
        tcp(6, ACK | PSH, dlen=600) + app(0, APP_SEND, 2000) + tcp(6, ACK) + \
        app(0, APP_SHUTDOWN) + tcp(6, ACK | FIN) + clock_s(1)
    s["promisc"] = bytes([H_PROMISC, 0]) + handshake(7) + tcp(7, ACK | PSH, dlen=50) + \
        rec(OP_VIP, bytes([2])) + tcp(7, ACK | PSH, dlen=50)
    s["icmp-arp"] = bytes([H_NO_AUTO_ARP, 0]) + rec(OP_ARP, bytes([0, 1, 0])) + \
        rec(OP_ICMP, bytes([0, 0, 0, 1, 2]) + b"ping" * 8) + rec(OP_ARP, bytes([0, 0, 0])) + \
        rec(OP_ARP, bytes([1, 2, 0])) + rec(OP_ARP, bytes([2, 3, 0]))
    s["time-wait-reuse"] = bytes([H_TINY, 0]) + handshake() + app(0, APP_SHUTDOWN) + \
        tcp(0, ACK) + tcp(0, FIN | ACK) + syn(0, seq=1000) + tcp(0, ACK) + handshake(1) + \
        syn(2) + clock_s(3)
    s["dupack-recovery"] = bytes([0, 0]) + handshake() + app(0, APP_SEND, 20000) + \
        tcp(0, ACK, ack=-14600) + tcp(0, ACK, ack=-14600) + tcp(0, ACK, ack=-14600) + \
        tcp(0, ACK, ack=-14600) + tcp(0, ACK) + clock_next()
    s["small-mtu-partial-deliver"] = bytes([H_SMALL_MTU, 0]) + policy(deliver=3, deliver_max=7) + \
        handshake() + tcp(0, ACK | PSH, dlen=536) + tcp(0, ACK | PSH, seq=-529, dlen=536) + \
        rec(OP_POKE, bytes([0x2f, 0, 0x18])) + tcp(0, ACK, ctl=T_IP_OPTS)
    s["cookies"] = bytes([H_COOKIES, 0]) + syn(0) + syn(1) + tcp(1, ACK) + \
        tcp(1, ACK | PSH, dlen=300) + policy(verdict=1) + syn(2) + tcp(2, ACK) + \
        app(2, APP_ACCEPT) + tcp(2, ACK | PSH, dlen=10) + tcp(3, ACK, ack=12345)
    s["cookie-pending-timeout"] = bytes([H_COOKIES, 0]) + syn(0) + policy(verdict=1) + \
        syn(1) + tcp(1, ACK) + clock_s(80)
    s["timestamps-sack"] = bytes([0, 0]) + handshake(0, ts=True) + \
        app(0, APP_SEND, 14600) + tcp(0, ACK, ack=-13140, opts=sack(-11680, -10220), ts=True) + \
        tcp(0, ACK, ack=-13140, opts=sack(-11680, -7300), ts=True) + \
        tcp(0, ACK, ack=-13140, opts=sack(-11680, 0), ts=True) + clock_ms(300) + \
        tcp(0, ACK, ts=True) + tcp(0, ACK | PSH, dlen=100, ts=False) + \
        tcp(0, ACK | PSH, dlen=100, ts=True)
    s["out-of-order"] = bytes([0, H2_SMALL_OOO]) + handshake() + \
        tcp(0, ACK | PSH, seq=1000, dlen=500, ctl=T_NO_ADV) + \
        tcp(0, ACK | PSH, seq=2000, dlen=500, ctl=T_NO_ADV) + \
        tcp(0, ACK | PSH, seq=3000, dlen=500, ctl=T_NO_ADV | T_SEQ_ABS * 0) + \
        tcp(0, ACK | PSH, dlen=1000) + tcp(0, ACK | PSH, seq=1500, dlen=100) + \
        tcp(0, FIN | ACK, seq=4000, ctl=T_NO_ADV) + tcp(0, ACK | PSH, dlen=2500)
    s["keepalive"] = bytes([H_NEWRENO, H2_KEEPALIVE]) + handshake() + clock_s(11) + \
        clock_next() + tcp(0, ACK) + clock_s(11) + clock_next() + clock_next() + clock_next()
    s["vnet-offload"] = bytes([0, 0]) + handshake() + \
        vnet(GSO_NONE, CSUM_VALID, 0, 0, 0, 0, ping_frame()) + \
        vnet(GSO_NONE, CSUM_PARTIAL, 0, 0, 34, 2, ping_frame()) + \
        vnet(GSO_TCPV4, CSUM_PARTIAL, 1460, 54, 34, 16, ping_frame()) + \
        tcp(0, ACK | PSH, dlen=3000)
    return s


def conf_seeds():
    with open(os.path.join(ROOT, "conf", "tcpgate.cfg.example"), "rb") as f:
        example = f.read()
    minimal = (b'interface = { name = "tcpgate0"; address = "10.88.0.1/24"; };\n'
               b'listeners = ();\n')
    s = {
        "example": bytes([0]) + example,
        "example-small-err": bytes([2]) + example.replace(b"mtu     = 1500", b"mtu = 70000"),
        "minimal": bytes([0]) + minimal,
        "errors": bytes([0]) + minimal.replace(b"/24", b"/33") +
        b'stats = { listen = "1.2.3.4:99999"; };\nbogus = 1;\n',
        "include": bytes([1]) + b'@include "inc.cfg"\n' + minimal,
        "include-bad": bytes([0]) + minimal + b'@include "bad.cfg"\n',
        "listener-ports": bytes([3]) + minimal.replace(
            b"listeners = ();",
            b'listeners = ({ name = "a"; address = "*"; ports = "8000-8002"; '
            b'forward = "original"; }, { name = "b"; address = "10.0.0.1"; '
            b'ports = [1, 2, 2]; backends = ({ address = "1.1.1.1:1"; weight = 300; }); '
            b'health = { interval_ms = 5; timeout_ms = 6; }; });'),
        "syntax": bytes([4]) + b'interface = { name = "x" address = ; };\n',
    }
    return s


def crasher_seeds():
    """Regression inputs written by hand for bugs found while fuzzing."""
    return {
        # tcp_abort() of a SYN-cookie connection held PENDING: RST <SEQ=0>
        # although the client has our SYN-ACK (it drops such an RST)
        "cookie-pending-abort-rst-seq0": bytes([H_COOKIES, 0]) + syn(0) +
        policy(verdict=1) + syn(1) + tcp(1, ACK) + app(1, APP_ABORT),
    }


def main():
    for target, seeds in (("fuzz_frames", frames_seeds()), ("fuzz_conf", conf_seeds())):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)
    d = os.path.join(HERE, "crashers", "fuzz_frames")
    os.makedirs(d, exist_ok=True)
    for name, data in crasher_seeds().items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
