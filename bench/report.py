#!/usr/bin/env python3
"""report.py - turn bench/run.sh's raw results into one table and RESULTS.md.

    report.py RESULTS_MD [PERF_TXT]

Reads $WORK/res/SCENARIO.TARGET (one line per run: a number, or "fail REASON"),
$WORK/micro.out (NAME<TAB>VALUE<TAB>UNIT lines from bench/micro.c) and
$WORK/notes; prints the table on stdout and writes RESULTS_MD.
"""
import datetime
import json
import os
import statistics
import sys

WORK = os.environ["WORK"]
TARGETS = ["tcpgate", "haproxy", "direct"]

# key, label, unit, better ("hi"/"lo"), DESIGN.md §8 target for tcpgate/HAProxy
ROWS = [
    ("up", "iperf3 upload, 1 stream", "Gbit/s", "hi", ">= 1.2"),
    ("down", "iperf3 download (-R), 1 stream", "Gbit/s", "hi", ">= 1.2"),
    ("p4", "iperf3 upload, 4 streams", "Gbit/s", "hi", ""),
    ("rps_ka", "HTTP keep-alive (wrk -t2 -c50)", "req/s", "hi", ">= 1.2"),
    ("cps", "HTTP new conn. (Connection: close, -c50)", "conn/s", "hi", ">= 1.5"),
    ("lat_p50", "latency p50, 1 connection", "us", "lo", ""),
    ("lat_p99", "latency p99, 1 connection", "us", "lo", "<= 1.0"),
    ("loss_up", "iperf3 upload, 1% loss each way", "Gbit/s", "hi", ""),
    ("loss_down", "iperf3 download, 1% loss each way", "Gbit/s", "hi", ""),
    ("hold_want", "held conns: asked for (fd limit, see notes)", "conns", "hi", "100000"),
    ("hold_conns", "held conns: established, client side", "conns", "hi", ""),
    ("hold_backend", "held conns: proxied to a backend", "conns", "hi", ""),
    ("hold_rss_idle", "proxy RSS before", "MiB", "lo", ""),
    ("hold_rss", "proxy RSS, connections held", "MiB", "lo", ""),
    ("hold_per_conn", "proxy RSS per held connection", "KiB", "lo", ""),
    ("hold_rss_100k", "proxy RSS at 100k (linear extrapolation)", "MiB", "lo", "<= 150 MiB"),
]


def read_runs(key, target):
    path = os.path.join(WORK, "res", "%s.%s" % (key, target))
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def cell(runs):
    """(text, median or None)"""
    if not runs:
        return "-", None
    vals, fails = [], []
    for r in runs:
        if r.startswith("fail"):
            fails.append(r[5:] or "?")
        else:
            try:
                vals.append(float(r))
            except ValueError:
                fails.append("bad value " + r)
    if not vals:
        return "fail: " + fails[0].replace("_", " "), None
    med = statistics.median(vals)
    text = fmt(med)
    if len(vals) > 1:
        text += " (%s-%s)" % (fmt(min(vals)), fmt(max(vals)))
    if fails:
        text += " [%d/%d fail]" % (len(fails), len(runs))
    return text, med


def fmt(v):
    if v >= 1000:
        return "%.0f" % v
    if v >= 100:
        return "%.1f" % v
    return "%.2f" % v


def table():
    head = ["scenario", "unit", "tcpgate", "HAProxy", "direct", "tcpgate/HAProxy", "target"]
    rows = []
    for key, label, unit, better, target in ROWS:
        cells = {}
        meds = {}
        for t in TARGETS:
            cells[t], meds[t] = cell(read_runs(key, t))
        if all(cells[t] == "-" or "BENCH ONLY" in cells[t] for t in TARGETS):
            continue
        ratio = "-"
        if meds["tcpgate"] is not None and meds["haproxy"]:
            ratio = "%.2f" % (meds["tcpgate"] / meds["haproxy"])
            if better == "lo":
                ratio += " (lower is better)"
        elif cells["tcpgate"].startswith("fail"):
            ratio = "tcpgate fail"
        rows.append([label, unit, cells["tcpgate"], cells["haproxy"], cells["direct"], ratio, target])
    return head, rows


def cpu_table():
    """The proxies' CPU use during each scenario (% of one core), and the result per
    CPU-second ratio: how much of a throughput ratio is efficiency, how much is CPU."""
    head = ["scenario", "tcpgate CPU %", "HAProxy CPU %", "tcpgate/HAProxy per CPU-second"]
    rows = []
    for key, label, unit, better, target in ROWS:
        cpu = {t: cell(read_runs("cpu_" + key, t)) for t in ("tcpgate", "haproxy")}
        if all(c[1] is None for c in cpu.values()):
            continue
        res = {t: cell(read_runs(key, t))[1] for t in ("tcpgate", "haproxy")}
        eff = "-"
        if better == "hi" and all(res[t] and cpu[t][1] for t in res):
            eff = "%.2f" % ((res["tcpgate"] / cpu["tcpgate"][1]) / (res["haproxy"] / cpu["haproxy"][1]))
        rows.append([label, cpu["tcpgate"][0], cpu["haproxy"][0], eff])
    return head, rows


def machine_table():
    """Machine CPU time per unit of result for every path (client, proxy and backends
    share the CPUs): what a proxy adds over the direct path, and what tcpgate's cost
    would have to be for the throughput target once the machine is saturated."""
    head = ["scenario", "machine busy % (tcpgate / HAProxy / direct)",
            "CPU per unit: tcpgate / HAProxy / direct", "added over direct: tcpgate / HAProxy",
            "tcpgate cost for the target (added)", "floor of the added cost: half a kernel hop"]
    rows = []
    ncpu = os.cpu_count() or 1
    hop = read_hop()
    floor_key = {"rps_ka": "hop_exchange", "cps": "hop_conn"}
    for key, label, unit, better, target in ROWS:
        if better != "hi" or unit not in ("req/s", "conn/s", "Gbit/s"):
            continue
        busy = {t: cell(read_runs("mcpu_" + key, t)) for t in TARGETS}
        res = {t: cell(read_runs(key, t))[1] for t in TARGETS}
        if any(busy[t][1] is None or not res[t] for t in TARGETS):
            continue
        if unit == "Gbit/s":
            per, cunit = 1e3 / 8, "CPU-ms per GB"		# CPU-s per GB * 1000
        else:
            per, cunit = 1e6, "CPU-us per " + unit.split("/")[0]
        cost = {t: busy[t][1] / 100 * ncpu * per / res[t] for t in TARGETS}
        need = "-"
        if target.startswith(">="):
            r = float(target.split()[1])
            c = cost["haproxy"] / r
            need = "%s (%s)" % (fmt(c), fmt(c - cost["direct"]))
        rows.append([label,
                     " / ".join(fmt(busy[t][1]) for t in TARGETS),
                     " / ".join(fmt(cost[t]) for t in TARGETS) + " " + cunit,
                     "%s / %s" % (fmt(cost["tcpgate"] - cost["direct"]),
                                  fmt(cost["haproxy"] - cost["direct"])),
                     need,
                     fmt(hop[floor_key[key]] / 2) if floor_key.get(key) in hop else "-"])
    return head, rows


def read_tsv(name):
    """$WORK/NAME as lists of tab-separated fields (bench/micro.c and bench/hop.c output)"""
    path = os.path.join(WORK, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def read_hop():
    """bench/hop.c's NAME<TAB>VALUE<TAB>UNIT lines: {name: value}"""
    out = {}
    for parts in read_tsv("hop.out"):
        try:
            out[parts[0]] = float(parts[1])
        except (IndexError, ValueError):
            pass
    return out


def micro_table():
    rows = [(p + [""])[:4] for p in read_tsv("micro.out") if len(p) >= 3]
    return ["measure", "value", "unit", "target"], rows


def table_section(doc, intro, head, rows):
    """Append a paragraph and its table to the RESULTS.md lines @doc (nothing if no rows)."""
    if rows:
        doc.extend([intro, "", md(head, rows), ""])


def md(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return "\n".join(out)


def plain(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)] if rows else [len(h) for h in head]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(head, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(r, widths)))
    return "\n".join(lines)


def tcp_counters(js):
    if not js:
        return ""
    try:
        d = json.loads(js)
    except ValueError:
        return ""
    tcp = d.get("tcp", {})
    iface = d.get("interface", {})
    keys = ["connections_total", "retransmits", "out_of_order", "resets_sent", "resets_received",
            "drop_tcp_rcv_full", "drop_tcp_unacceptable", "timeouts"]
    parts = ["%s=%s" % (k, tcp[k]) for k in keys if k in tcp]
    parts += ["interface.%s=%s" % (k, iface[k]) for k in ("rx_dropped", "tx_dropped") if k in iface]
    return ", ".join(parts)


def main():
    results_md = sys.argv[1]
    perf_txt = sys.argv[2] if len(sys.argv) > 2 else ""
    env = os.environ
    head, rows = table()
    mhead, mrows = micro_table()
    quick = env.get("QUICK") == "1"
    print()
    print(plain(head, rows))
    if mrows:
        print()
        print("stack microbenchmark (bench/micro.c, in-memory link, one core):")
        print(plain(mhead, mrows))
    print()

    notes = []
    with open(os.path.join(WORK, "notes")) as f:
        notes = [n.strip() for n in f if n.strip()]
    perf = ""
    if perf_txt and os.path.exists(perf_txt):
        perf = open(perf_txt).read().rstrip()

    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip()
    doc = []
    doc.append("# tcpgate benchmark results")
    doc.append("")
    doc.append("Generated by `make bench` (bench/run.sh)%s." %
               (" with BENCH_QUICK=1 (smoke test: 1 short run, fewer held connections; "
                "numbers are indicative only)" if quick else ""))
    doc.append("")
    doc.append("- date: %s" % now)
    doc.append("- machine: %s CPUs, %s, kernel %s" % (env.get("NPROC"), env.get("CPU"), env.get("KERNEL")))
    doc.append("- git commit: %s%s" % (env.get("COMMIT"), env.get("DIRTY", "")))
    doc.append("- runs per cell: %s, %s s each (median shown, (min-max) when more than one run); "
               "held connections requested: %s" % (env.get("RUNS"), env.get("DUR"), env.get("HOLD_N")))
    doc.append("- tcpgate: workers = %s, MTU 1500, %s" % (env.get("TG_WORKERS", "1"), env.get("TCPGATE_OFFLOAD_NOTE", env.get("TG_OFFLOAD_NOTE", ""))))
    doc.append("- HAProxy %s, mode tcp, nbthread %s; backends: nginx (1 KiB static file, keep-alive) "
               "and iperf3 on 127.0.0.1, shared by both proxies" % (env.get("HAP_VERSION"), env.get("HAP_THREADS")))
    doc.append("- paths: tcpgate = client netns -> TAP -> tcpgate -> loopback; HAProxy = client netns -> "
               "veth -> HAProxy -> loopback; direct = client netns -> veth -> backend (no proxy). "
               "Client, proxy and backends share the same %s CPUs." % env.get("NPROC"))
    doc.append("")
    doc.append(md(head, rows))
    doc.append("")
    chead, crows = cpu_table()
    table_section(doc, "Proxy CPU during the runs (utime + stime of the proxy process over the run, % of one "
                       "core; 200 = both cores). The kernel work of the client's and backends' TCP that runs "
                       "in the proxy's syscalls (loopback, TAP/veth delivery) counts as the proxy's:", chead, crows)
    xhead, xrows = machine_table()
    table_section(doc, "Machine CPU per unit of result (all CPUs busy %% from /proc/stat over each run "
                       "x %s CPUs / result; client, proxy and backends included). \"Added over direct\" is "
                       "what each proxy path costs beyond the client talking to the backend itself; the "
                       "next column is the whole cost (and the added part) tcpgate would have to reach "
                       "for the DESIGN.md §8 ratio once the machine is saturated; the last is a floor "
                       "for the added part of any proxy with kernel backend sockets: half of one "
                       "loopback TCP hop (bench/hop.c, both ends in one thread, no wake-ups), the "
                       "proxy's end of the backend connection, which the direct path does not have:"
                       % env.get("NPROC"), xhead, xrows)
    table_section(doc, "Stack microbenchmark (bench/micro.c: the stack alone on the in-memory link, "
                       "one thread, virtual clock; CPU time from CLOCK_PROCESS_CPUTIME_ID):", mhead, mrows)
    doc.append("## Notes")
    doc.append("")
    doc.append("- Ratios are tcpgate/HAProxy medians; for latency and RSS lower is better. "
               "The target column is DESIGN.md §8.")
    doc.append("- Loss rows: nftables `numgen random mod 100 < 1 drop` on TCP in the client netns, input "
               "and output. Segmentation offloads (TSO/GSO/GRO) are off on the client-side devices and the "
               "root-side veth for those runs only, so a drop is one wire packet on every path.")
    doc.append("- Held connections: bench/hold.c opens them from the client netns (several source "
               "addresses, 1000 handshakes in flight), then the proxy's VmRSS is read. The open-file "
               "limit here is %s per process (raising the hard limit needs CAP_SYS_RESOURCE): "
               "tcpgate needs one fd per connection (its backend socket), HAProxy two, so each is "
               "asked for min(requested, what its fds allow); the 100k row extrapolates linearly "
               "from idle RSS + per-connection RSS. Both proxies balance over four nginx ports so "
               "the backend side fits the ephemeral port range. Kernel socket memory is not in RSS: "
               "HAProxy's client side lives in the kernel, tcpgate's in its own process."
               % env.get("FD_LIMIT"))
    tc = tcp_counters(env.get("TG_STATS_JSON", ""))
    if tc:
        doc.append("- tcpgate TCP counters after the loss runs: " + tc)
    tch = tcp_counters(env.get("TG_HOLD_STATS", ""))
    if tch:
        doc.append("- tcpgate TCP counters with the connections held: " + tch)
    if env.get("TG_STARTS") and int(env["TG_STARTS"]) > 2:
        doc.append("- tcpgate was started %s times (restarts after failures; the held-connection run "
                   "always starts a fresh one)" % env["TG_STARTS"])
    for n in notes:
        doc.append("- " + n)
    if perf:
        doc.append("")
        doc.append("### perf: tcpgate under load (perf record -g, self time by symbol; the load is named below)")
        doc.append("")
        doc.append("```")
        doc.append(perf)
        doc.append("```")
    doc.append("")
    with open(results_md, "w") as f:
        f.write("\n".join(doc))
    if notes:
        print("notes:")
        for n in notes:
            print("  - " + n)


if __name__ == "__main__":
    main()
