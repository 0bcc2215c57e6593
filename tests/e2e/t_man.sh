#!/usr/bin/env bash
# t_man: the three man pages render without a groff/man warning, and they cannot
# rot: every config key a parser in conf/*.c accepts (its *_keys[] table) is a
# .TP/.B entry under the .SS heading of its section in tcpgate.cfg.5 and every
# such entry is a key the parser accepts; every long and short option of
# tcpgate (proxy/main.c) and tcpgatectl (proxy/tcpgatectl.c) is in its page and
# in its --help, every tcpgatectl command in tcpgatectl.8, every stats endpoint
# of proxy/stats_http.c in tcpgate.8. No root needed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PAGES=("$ROOT_DIR/proxy/tcpgate.8" "$ROOT_DIR/proxy/tcpgatectl.8" "$ROOT_DIR/conf/tcpgate.cfg.5")
command -v man >/dev/null && command -v groff >/dev/null || fail "man and groff are needed (apt-get install man-db groff)"

for p in "${PAGES[@]}"; do
	[ -s "$p" ] || fail "missing man page $p"
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null) || fail "man -l $p failed: $w"
	[ -z "$w" ] || fail "man --warnings -l $p: $w"
	w=$(groff -man -ww -z "$p" 2>&1) || fail "groff $p failed: $w"
	[ -z "$w" ] || fail "groff -man -ww -z $p: $w"
done
log "3 pages render without warnings"

"$PY" - "$ROOT_DIR" "$BUILD" <<'PYEOF' || fail "man pages out of step with the code"
import glob, os, re, subprocess, sys

root, build = sys.argv[1], sys.argv[2]
errs = []

def src(path):
    return open(os.path.join(root, path)).read()

def page(path):
    return open(os.path.join(root, path)).read()

def page_text(text):
    # roff escapes that matter for matching: \- is a hyphen, \(aq a quote
    return text.replace("\\-", "-").replace("\\(aq", "'")

# --- tcpgate.cfg.5 against the parser's key tables ---------------------------
SECTION_OF = {
    "top": "top level", "iface": "interface", "fault": "interface.fault",
    "stats": "stats", "control": "control", "defaults": "defaults",
    "listener": "listeners", "backend": "listeners.backends",
    "health": "listeners.health",
}
parsed = {}
for f in sorted(glob.glob(os.path.join(root, "conf", "*.c"))):
    for m in re.finditer(r"conf_(\w+)_keys\[\]\s*=\s*\{(.*?)\};", open(f).read(), re.S):
        name, body = m.group(1), m.group(2)
        if name not in SECTION_OF:
            errs.append("%s: key table conf_%s_keys has no section in t_man.sh's "
                        "SECTION_OF: document it and add it there" % (os.path.basename(f), name))
            continue
        parsed.setdefault(SECTION_OF[name], set()).update(re.findall(r'"([^"]+)"', body))
if len(parsed) != len(SECTION_OF):
    errs.append("key tables found for %s only" % sorted(parsed))

documented, section, depth, prev = {}, None, 0, ""
for line in page("conf/tcpgate.cfg.5").splitlines():
    if line.startswith(".SS "):
        section = line[4:].strip().strip('"')
        documented.setdefault(section, set())
    elif line.startswith(".RS"):
        depth += 1
    elif line.startswith(".RE"):
        depth -= 1
    elif prev == ".TP" and depth == 0 and section and line.startswith(".B "):
        documented[section].add(line[3:].split()[0].strip('"'))
    prev = line.strip()
for sec, keys in sorted(parsed.items()):
    doc = documented.get(sec)
    if doc is None:
        errs.append("tcpgate.cfg.5 has no '.SS %s' section" % sec)
        continue
    for k in sorted(keys - doc):
        errs.append("tcpgate.cfg.5: key '%s' of section '%s' is accepted by the parser "
                    "but not documented" % (k, sec))
    for k in sorted(doc - keys):
        errs.append("tcpgate.cfg.5: '%s' documented in section '%s' is not a key the "
                    "parser accepts" % (k, sec))
nkeys = sum(len(k) for k in parsed.values())

# --- options of both binaries ------------------------------------------------
def options(path):
    text = src(path)
    longs = re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:no|required|optional)_argument', text)
    shorts = set()
    for m in re.finditer(r'getopt(?:_long)?\(\s*argc,\s*argv,\s*"([^"]*)"', text):
        shorts.update(c for c in m.group(1) if c.isalnum())
    return longs, shorts

nopts = 0
for prog, source, man in (("tcpgate", "proxy/main.c", "proxy/tcpgate.8"),
                          ("tcpgatectl", "proxy/tcpgatectl.c", "proxy/tcpgatectl.8")):
    longs, shorts = options(source)
    if not longs:
        errs.append("%s: no long options found (parser of t_man.sh out of date?)" % source)
    text = page_text(page(man))
    try:
        helptext = subprocess.run([os.path.join(build, prog), "--help"], capture_output=True,
                                  text=True, timeout=10).stdout
    except OSError as e:
        helptext = ""
        errs.append("%s --help: %s" % (prog, e))
    for o in longs:
        nopts += 1
        if not re.search(r"(?<![\w-])--%s(?![\w-])" % re.escape(o), text):
            errs.append("%s: option --%s of %s is not documented" % (man, o, source))
        if "--" + o not in helptext:
            errs.append("%s --help does not mention --%s" % (prog, o))
    for c in shorts:
        if not re.search(r"(?<![\w-])-%s(?![\w-])" % re.escape(c), text):
            errs.append("%s: option -%s of %s is not documented" % (man, c, source))
    for o in set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]+)", text)) - set(longs):
        errs.append("%s documents --%s, which %s does not accept" % (man, o, prog))

# --- tcpgatectl commands, stats endpoints ------------------------------------
ctl = page(("proxy/tcpgatectl.8"))
cmds = set(re.findall(r'strcmp\(cmd, "(\w+)"\)', src("proxy/tcpgatectl.c")))
cmds |= set(re.findall(r'strcmp\(line, "(\w+)"\)', src("proxy/control.c")))
for c in sorted(cmds):
    if not re.search(r"^\.B %s$" % c, ctl, re.M):
        errs.append("tcpgatectl.8: command '%s' has no .B entry" % c)
urls = set(re.findall(r'strcmp\(url, "(/[^"]*)"\)', src("proxy/stats_http.c")))
tg = page("proxy/tcpgate.8")
for u in sorted(urls):
    if not re.search(r"^\.B %s$" % re.escape(u), tg, re.M):
        errs.append("tcpgate.8: stats endpoint %s has no .B entry" % u)

if errs:
    print("\n".join(errs), file=sys.stderr)
    sys.exit(1)
print("%d config keys in %d sections, %d long options, %d commands, %d endpoints checked"
      % (nkeys, len(parsed), nopts, len(cmds), len(urls)), file=sys.stderr)
PYEOF
pass "pages render cleanly and match the code"
