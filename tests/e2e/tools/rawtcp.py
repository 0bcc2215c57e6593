"""rawtcp.py - crafted TCP segments for tcpgate's e2e tests (client namespace, root).

Sending: a raw IPPROTO_TCP socket bound to the client address (the kernel adds
the IPv4 header and routes the frame through the TAP). Receiving: an AF_PACKET
socket on the TAP, which sees tcpgate's frames before the client namespace's
netfilter input hook, so a test can drop them there (nftables) and keep the
client kernel from answering segments for connections it does not know.

Only addresses in 10.88.0.0/24 are accepted.
"""
import ipaddress
import select
import socket
import struct

ETH_P_IP = 0x0800
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
NET = ipaddress.ip_network("10.88.0.0/24")


def check_addr(*addrs):
    for a in addrs:
        if ipaddress.ip_address(a) not in NET:
            raise SystemExit("rawtcp: only 10.88.0.0/24 addresses (got %s)" % a)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, flags, win=65535, data=b"", opts=b""):
    """A TCP header (+ options, + data) with its checksum, for the raw socket."""
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      off << 4, flags, win, 0, 0) + opts
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + data


class Raw:
    """Send crafted segments from SRC, receive tcpgate's on the TAP IFNAME (None: send only)."""

    def __init__(self, src, dst, ifname=None):
        check_addr(src, dst)
        self.src, self.dst = src, dst
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.tx.bind((src, 0))
        self.tx.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.rx = None
        if ifname:
            self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
            self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
            self.rx.bind((ifname, ETH_P_IP))
            self.rx.setblocking(False)
        self.dst_packed = socket.inet_aton(dst)
        self.src_packed = socket.inet_aton(src)

    def send(self, sport, dport, seq, ack, flags, win=65535, data=b"", opts=b""):
        seg = segment(self.src, self.dst, sport, dport, seq, ack, flags, win, data, opts)
        while True:
            try:
                self.tx.sendto(seg, (self.dst, 0))
                return
            except BlockingIOError:
                select.select([], [self.tx], [], 1)
            except OSError as e:
                if e.errno != 105:	# ENOBUFS: the queue is full, retry
                    raise
                select.select([], [], [], 0.001)

    def recv(self, timeout):
        """Segments from tcpgate to us: list of (sport, dport, seq, ack, flags, win, dlen)."""
        out = []
        r, _, _ = select.select([self.rx], [], [], timeout)
        if not r:
            return out
        while True:
            try:
                frame, addr = self.rx.recvfrom(65536)
            except BlockingIOError:
                return out
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            ip = frame[14:]
            if len(ip) < 40 or ip[9] != 6 or ip[12:16] != self.dst_packed or ip[16:20] != self.src_packed:
                continue
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack("!H", ip[2:4])[0]
            t = ip[ihl:tot]
            sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", t[:16])
            out.append((sport, dport, seq, ack, flags, win, len(t) - (off >> 4) * 4))
