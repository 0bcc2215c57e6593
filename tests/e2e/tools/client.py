#!/usr/bin/env python3
"""client.py - test client for tcpgate's end-to-end tests (run in the client netns).

Connects to HOST:PORT, sends --send N random bytes (SHA-256 computed), then
shutdown(SHUT_WR) (unless --no-shutdown) and reads until EOF (SHA-256 computed).
By default sending and receiving run concurrently; --sequential reads only after
the send and the shutdown; --recv-first reads until EOF before sending.
--write-size N sends with TCP_NODELAY in writes of 1..N bytes (sizes cycle), so the
data and the FIN reach tcpgate as many small segments. Prints one JSON line:
  {"sent_bytes", "sent_sha256", "recv_bytes", "recv_sha256", "seconds"}
or on a connect/IO error {"error": "ECONNREFUSED", ...} and exits 2.
"""
import argparse
import errno
import hashlib
import ipaddress
import json
import os
import socket
import struct
import sys
import threading
import time

CHUNK = 1 << 20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--send", type=int, default=0)
    ap.add_argument("--sequential", action="store_true")
    ap.add_argument("--recv-first", action="store_true",
                    help="read until EOF first, then send (and shutdown)")
    ap.add_argument("--no-shutdown", action="store_true")
    ap.add_argument("--connect-only", action="store_true")
    ap.add_argument("--rst-after", type=float, default=None,
                    help="send, wait S seconds, then close with an RST (SO_LINGER 0)")
    ap.add_argument("--hold", type=float, default=0.0,
                    help="seconds to wait after sending, before shutdown(SHUT_WR)")
    ap.add_argument("--timeout", type=float, default=60.0, help="per socket operation")
    ap.add_argument("--write-size", type=int, default=0,
                    help="send in writes of 1..N bytes with TCP_NODELAY (0: 1 MiB sendall)")
    args = ap.parse_args()
    ip = ipaddress.ip_address(args.host)
    if not (ip.is_loopback or ip in ipaddress.ip_network("10.88.0.0/24")):
        sys.exit("client.py: loopback or 10.88.0.0/24 only")

    out = {}
    t0 = time.monotonic()
    s = socket.socket()
    s.settimeout(args.timeout)
    try:
        s.connect((args.host, args.port))
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__
        print(json.dumps({"error": name, "detail": str(e)}), flush=True)
        sys.exit(2)
    if args.connect_only:
        s.close()
        print(json.dumps({"connected": True}), flush=True)
        return

    if args.rst_after is not None:
        block = os.urandom(args.send)
        s.sendall(block)
        time.sleep(args.rst_after)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        print(json.dumps({"sent_bytes": len(block),
                          "sent_sha256": hashlib.sha256(block).hexdigest()}), flush=True)
        return

    err = []
    if args.write_size:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_block(block):
        if not args.write_size:
            s.sendall(block)
            return
        off, k = 0, 0
        while off < len(block):
            n = 1 + (k * 7919) % args.write_size
            s.sendall(block[off:off + n])
            off += n
            k += 1

    def sender():
        h = hashlib.sha256()
        sent = 0
        try:
            while sent < args.send:
                block = os.urandom(min(CHUNK, args.send - sent))
                h.update(block)
                send_block(block)
                sent += len(block)
            if args.hold:
                time.sleep(args.hold)
            if not args.no_shutdown:
                s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append("send: %s" % e)
        out["sent_bytes"] = sent
        out["sent_sha256"] = h.hexdigest()

    def receiver():
        h = hashlib.sha256()
        got = 0
        try:
            while True:
                b = s.recv(CHUNK)
                if not b:
                    break
                h.update(b)
                got += len(b)
        except OSError as e:
            err.append("recv: %s" % e)
        out["recv_bytes"] = got
        out["recv_sha256"] = h.hexdigest()

    if args.sequential:
        sender()
        receiver()
    elif args.recv_first:
        receiver()
        sender()
    else:
        t = threading.Thread(target=sender)
        t.start()
        receiver()
        t.join()
    s.close()
    out["seconds"] = round(time.monotonic() - t0, 3)
    if err:
        out["error"] = "; ".join(err)
    print(json.dumps(out), flush=True)
    sys.exit(2 if err else 0)


if __name__ == "__main__":
    main()
