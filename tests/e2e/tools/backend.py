#!/usr/bin/env python3
"""backend.py - a test backend for tcpgate's end-to-end tests (listens on loopback).

Modes:
  xfer (default)  per connection: receive until EOF computing SHA-256, and send
                  --send N random bytes (concurrently, or only after EOF with
                  --halfclose, or first, followed by shutdown(SHUT_WR), with
                  --reply-first), then close. Prints one JSON line per connection:
                  {"recv_bytes", "recv_sha256", "sent_bytes", "sent_sha256"}.
  echo            per connection: read one line, answer "<--name> <line>\\n", close.
                  Threaded, serves until killed.

--slow makes the reader take --slow-chunk bytes every --slow-interval seconds
(after --slow-delay seconds without reading at all).
Prints "READY <port>" once listening.
"""
import argparse
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time

CHUNK = 1 << 20


def send_random(conn, n, out):
    h = hashlib.sha256()
    sent = 0
    while sent < n:
        block = os.urandom(min(CHUNK, n - sent))
        h.update(block)
        conn.sendall(block)
        sent += len(block)
    out["sent_bytes"] = sent
    out["sent_sha256"] = h.hexdigest()


def recv_all(conn, args, out):
    h = hashlib.sha256()
    got = 0
    try:
        if args.slow:
            time.sleep(args.slow_delay)
        while True:
            if args.slow:
                want = args.slow_chunk
                chunk_got = 0
                while chunk_got < want:
                    b = conn.recv(want - chunk_got)
                    if not b:
                        break
                    h.update(b)
                    chunk_got += len(b)
                    got += len(b)
                if chunk_got < want:
                    break
                time.sleep(args.slow_interval)
            else:
                b = conn.recv(CHUNK)
                if not b:
                    break
                h.update(b)
                got += len(b)
    finally:
        # recorded also when recv raises (e.g. ECONNRESET after some data)
        out["recv_bytes"] = got
        out["recv_sha256"] = h.hexdigest()


def serve_xfer(conn, args):
    out = {"recv_bytes": 0, "recv_sha256": None, "sent_bytes": 0,
           "sent_sha256": hashlib.sha256().hexdigest()}
    try:
        if args.rst_after is not None:
            send_random(conn, args.send, out)
            time.sleep(args.rst_after)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            print(json.dumps(out), flush=True)
            return
        if args.halfclose:
            recv_all(conn, args, out)
            send_random(conn, args.send, out)
        elif args.reply_first:
            send_random(conn, args.send, out)
            conn.shutdown(socket.SHUT_WR)
            recv_all(conn, args, out)
        else:
            t = threading.Thread(target=send_random, args=(conn, args.send, out))
            t.start()
            recv_all(conn, args, out)
            t.join()
        if not args.reply_first:
            conn.shutdown(socket.SHUT_WR)
        # wait for the peer to close too, so our FIN is not followed by an RST
        conn.settimeout(10)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
    except OSError as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        conn.close()
    print(json.dumps(out), flush=True)


def serve_echo(conn, args):
    try:
        conn.settimeout(30)
        f = conn.makefile("rb")
        line = f.readline().rstrip(b"\n")
        conn.sendall(args.name.encode() + b" " + line + b"\n")
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--mode", choices=["xfer", "echo"], default="xfer")
    ap.add_argument("--name", default="backend")
    ap.add_argument("--send", type=int, default=0, help="bytes to send back (xfer)")
    ap.add_argument("--halfclose", action="store_true", help="reply only after EOF")
    ap.add_argument("--rst-after", type=float, default=None,
                    help="send, wait S seconds, then close with an RST (SO_LINGER 0)")
    ap.add_argument("--reply-first", action="store_true",
                    help="send, shutdown(SHUT_WR), then read until EOF")
    ap.add_argument("--slow", action="store_true")
    ap.add_argument("--slow-chunk", type=int, default=65536)
    ap.add_argument("--slow-interval", type=float, default=0.05)
    ap.add_argument("--slow-delay", type=float, default=0.0)
    ap.add_argument("--log-accepts", action="store_true", help='print "ACCEPT n" per connection')
    ap.add_argument("--conns", type=int, default=1, help="xfer: connections to serve, 0 = forever")
    args = ap.parse_args()
    if args.bind not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("backend.py: loopback only")

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.bind, args.port))
    ls.listen(512)
    print("READY %d" % args.port, flush=True)
    served = 0
    threads = []
    while args.mode == "echo" or args.conns == 0 or served < args.conns:
        conn, _ = ls.accept()
        served += 1
        if args.log_accepts:
            print("ACCEPT %d" % served, flush=True)
        fn = serve_echo if args.mode == "echo" else serve_xfer
        t = threading.Thread(target=fn, args=(conn, args), daemon=True)
        t.start()
        threads.append(t)
        threads = [x for x in threads if x.is_alive()]
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
