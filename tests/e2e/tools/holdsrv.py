#!/usr/bin/env python3
"""holdsrv.py - a backend that holds many idle connections and echoes on another port.

  holdsrv.py --hold-port P --echo-port Q [--bind 127.0.0.1]

One thread, one selector. Connections to the hold port are accepted and kept
open; what they send is read and dropped. Connections to the echo port get
every byte back. Prints "READY" once both listen, then, on SIGTERM, a JSON line
{"held_max", "echoed_bytes"} and exits. Raises its open-file limit to the hard
limit (the test raises that first).
"""
import argparse
import json
import resource
import selectors
import signal
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hold-port", type=int, required=True)
    ap.add_argument("--echo-port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    sel = selectors.DefaultSelector()
    listeners = {}
    for port, kind in ((args.hold_port, "hold"), (args.echo_port, "echo")):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.bind, port))
        s.listen(4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ("listen", kind))
        listeners[kind] = s
    state = {"held": 0, "held_max": 0, "echoed_bytes": 0, "stop": False}

    def on_term(signum, frame):
        state["stop"] = True
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print("READY", flush=True)

    while not state["stop"]:
        for key, _ in sel.select(timeout=0.5):
            role, kind = key.data
            if role == "listen":
                for _ in range(256):
                    try:
                        c, _ = key.fileobj.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as e:
                        print("accept: %s" % e, file=sys.stderr, flush=True)
                        break
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, ("conn", kind))
                    if kind == "hold":
                        state["held"] += 1
                        state["held_max"] = max(state["held_max"], state["held"])
                continue
            c = key.fileobj
            try:
                data = c.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(c)
                c.close()
                if kind == "hold":
                    state["held"] -= 1
                continue
            if kind == "echo":
                c.setblocking(True)
                c.sendall(data)
                c.setblocking(False)
                state["echoed_bytes"] += len(data)
    print(json.dumps({"held_max": state["held_max"], "echoed_bytes": state["echoed_bytes"]}),
          flush=True)


if __name__ == "__main__":
    main()
