#!/usr/bin/env python3
"""lbclient.py - fast connection client for tcpgate's balancing e2e tests.

  lbclient.py count HOST PORT N [--conc C]          -> {"NAME": count, ..., "failed": n}
  lbclient.py map HOST PORT --src-file F [--conc C] -> {"SRC_IP": "NAME" | "FAILED"}

Each connection reads the first line the backend sends (its name), then
closes. "map" binds each connection to one source address from F (one per
line).
"""
import argparse
import asyncio
import json
import socket
import sys


async def one(host, port, src, timeout):
    try:
        sock = None
        if src:
            sock = socket.socket()
            sock.setblocking(False)
            sock.bind((src, 0))
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, port)),
                                   timeout)
            r, w = await asyncio.open_connection(sock=sock)
        else:
            r, w = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        line = await asyncio.wait_for(r.readline(), timeout)
        w.close()
        name = line.decode().strip()
        return name or "FAILED"
    except (OSError, asyncio.TimeoutError):
        if sock:
            sock.close()
        return "FAILED"


async def run(args):
    sem = asyncio.Semaphore(args.conc)
    srcs = [None] * args.n
    if args.mode == "map":
        srcs = [l.strip() for l in open(args.src_file) if l.strip()]

    async def guarded(src):
        async with sem:
            return await one(args.host, args.port, src, args.timeout)
    res = await asyncio.gather(*(guarded(s) for s in srcs))
    if args.mode == "map":
        return dict(zip(srcs, res))
    out = {}
    for r in res:
        key = "failed" if r == "FAILED" else r
        out[key] = out.get(key, 0) + 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["count", "map"])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int, nargs="?", default=0)
    ap.add_argument("--conc", type=int, default=1)
    ap.add_argument("--src-file")
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()
    print(json.dumps(asyncio.run(run(args)), sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())
