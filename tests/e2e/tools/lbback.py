#!/usr/bin/env python3
"""lbback.py - many small test backends in one asyncio process (tcpgate e2e).

  lbback.py [--hold] [--proxy] [--host 127.0.0.1] NAME=PORT ...

Per connection on PORT: with --proxy, first parse a PROXY protocol v1 or v2
header and answer one JSON line {"name", "version", "src", "dst"} (addresses
"IP:PORT"); otherwise answer "NAME\\n". Without --hold the backend then closes;
with --hold it keeps the connection until the client closes it (echoing
nothing), and with --ignore-eof as well afterwards (a half-closed peer). Prints "READY" once every port listens.
"""
import argparse
import asyncio
import json
import socket
import struct
import sys

SIG2 = b"\r\n\r\n\x00\r\nQUIT\n"


async def read_proxy(reader):
    head = await reader.readexactly(5)
    if head == b"PROXY":
        line = head + await reader.readuntil(b"\r\n")
        parts = line.decode().split()
        return {"version": 1, "proto": parts[1], "src": f"{parts[2]}:{parts[4]}",
                "dst": f"{parts[3]}:{parts[5]}", "raw": line.decode()}
    rest = await reader.readexactly(11)
    sig = head + rest[:7]
    if sig != SIG2:
        return {"version": 0, "error": "bad signature", "raw": (head + rest).hex()}
    ver_cmd, fam, length = rest[7], rest[8], struct.unpack("!H", rest[9:11])[0]
    body = await reader.readexactly(length)
    out = {"version": ver_cmd >> 4, "command": ver_cmd & 15, "family": fam}
    if fam == 0x11 and length >= 12:
        s, d, sp, dp = struct.unpack("!4s4sHH", body[:12])
        out["src"] = f"{socket.inet_ntoa(s)}:{sp}"
        out["dst"] = f"{socket.inet_ntoa(d)}:{dp}"
    return out


def handler(name, args):
    async def serve(reader, writer):
        try:
            if args.proxy:
                info = await read_proxy(reader)
                info["name"] = name
                writer.write((json.dumps(info) + "\n").encode())
            else:
                writer.write(f"{name}\n".encode())
            await writer.drain()
            if args.hold:
                while await reader.read(65536):
                    pass
                if args.ignore_eof:
                    await asyncio.sleep(3600)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
    return serve


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hold", action="store_true")
    ap.add_argument("--proxy", action="store_true")
    ap.add_argument("--ignore-eof", action="store_true")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("backends", nargs="+")
    args = ap.parse_args()
    servers = []
    for spec in args.backends:
        name, port = spec.split("=")
        host = args.host
        if ":" in port:
            host, port = port.split(":")
        servers.append(await asyncio.start_server(handler(name, args), host, int(port),
                                                  backlog=1024, reuse_address=True))
    print("READY", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
