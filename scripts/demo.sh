#!/usr/bin/env bash
# The demo: set up, build the lab, run wansteer with policies/office.yaml in ws-edge, send every
# class of traffic from the office and guest hosts, show where it went; take fiber down, send
# again, show it moved to LTE (guest dropped: it may only use fiber); clean up (also on Ctrl-C).
# Usage: sudo ./scripts/demo.sh      Env: BUILD_DIR (default build), SKIP_SETUP=1
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/labnet.sh"
ws_require_root "$@"

LABTOOL="$WS_ROOT/scripts/lib/labtool.sh"
CTL="$WS_STATE/wansteer.sock"
WS_PID=
SINK_PID=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    echo
    ws_log "cleaning up"
    if [ -n "$WS_PID" ] && kill -0 "$WS_PID" 2>/dev/null; then
        kill -TERM "$WS_PID"
        for _ in $(seq 30); do kill -0 "$WS_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$WS_PID" 2>/dev/null
        sed -n '/wansteer: stopped/,$p' "$WS_STATE/wansteer.log" | sed 's/^/    /'
    fi
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
    "$WS_ROOT/scripts/lab.sh" down >/dev/null
    ws_log "lab removed (logs in $WS_STATE)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ctl()  { "$WS_BUILD/control/wansteerctl" --ctl "$CTL" "$@"; }
ctlj() { "$WS_BUILD/control/wansteerctl" --ctl "$CTL" --json "$@"; }

# Prints the class x link table from two counters snapshots (packets sent during the round).
table() {
    "$WS_PY" - "$1" "$2" <<'PY'
import json, sys
b, a = (json.load(open(p)) for p in sys.argv[1:3])
links = list(a["links"])
def pk(c, cls, l): return c["classes"].get(cls, {}).get("links", {}).get(l, {}).get("packets", 0)
def nl(c, cls): return c["classes"].get(cls, {}).get("no_link_drops", 0)
state = "  ".join(f"{l}: {a['links'][l]['admin']}" for l in links)
print(f"    packets this round, by class and WAN link   ({state})")
hdr = f"    {'class':<10}" + "".join(f"{l:>10}" for l in links) + f"{'no-link drops':>15}"
print(hdr); print("    " + "-" * (len(hdr) - 4))
for cls in a["classes"]:
    row = [pk(a, cls, l) - pk(b, cls, l) for l in links]
    d = nl(a, cls) - nl(b, cls)
    print(f"    {cls:<10}" + "".join(f"{v:>10}" for v in row) + f"{d:>15}")
PY
}

# One round of traffic: every class, from the office host and the guest host.
ROUND=0
traffic() {
    ROUND=$((ROUND + 1))
    local r="r$ROUND" out
    out="$WS_STATE/round$ROUND.jsonl"
    : > "$out"
    LAB_TIMEOUT=1.5 ip netns exec ws-office "$LABTOOL" send \
        "$r-voip-sip,udp,203.0.113.10,5060" "$r-voip-sip,tcp,203.0.113.10,5060" \
        "$r-voip-rtp,udp,203.0.113.10,16384" "$r-voip-rtp,udp,203.0.113.10,20000" \
        "$r-voip-dscp46,udp,203.0.113.10,8080,0xb8" \
        "$r-payments,tcp,198.51.100.20,443" "$r-payments,tcp,198.51.100.20,443" \
        "$r-m365-teams,tcp,52.112.0.10,443" "$r-m365-teams,udp,52.112.0.10,3478" \
        "$r-default-web,tcp,203.0.113.10,8080" "$r-default-udp,udp,203.0.113.10,8080" \
        "$r-default-tls,tcp,198.51.100.10,443" >> "$out"
    LAB_TIMEOUT=1.5 ip netns exec ws-guest "$LABTOOL" send \
        "$r-guest-web,tcp,203.0.113.10,8080" "$r-guest-udp,udp,203.0.113.10,8080" \
        "$r-guest-teams,tcp,52.112.0.10,443" >> "$out"
    "$WS_PY" - "$out" "$WS_STATE/sink.jsonl" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
seen = {}
for l in open(sys.argv[2]):
    if l.strip():
        r = json.loads(l); seen.setdefault(r["tag"], set()).add(r["src"])
isp = {"100.64.1.2": "fiber (ISP1)", "100.64.2.2": "lte (ISP2)"}
print(f"    {'flow':<20}{'to':<24}{'result':<10}server saw it from")
for r in res:
    tag = r["tag"].split("-", 1)[1]
    via = ", ".join(f"{s} = {isp.get(s, '?')}" for s in sorted(seen.get(r["tag"], ()))) or "-"
    ok = "echoed" if r["ok"] else "no reply"
    print(f"    {tag:<20}{r['proto'] + ' ' + r['dst'] + ':' + str(r['dport']):<24}{ok:<10}{via}")
PY
}

if [ "${SKIP_SETUP:-0}" != 1 ]; then
    ws_log "setup (packages, hugepages, build)"
    "$WS_ROOT/scripts/setup.sh"
fi
[ -x "$WS_BUILD/control/wansteer" ] || ws_die "$WS_BUILD/control/wansteer not built"
[ -f "$WS_BUILD/eal-fallback" ] && ws_warn "no hugepages: wansteer runs with --no-huge"

# The lab's names are fixed (ws-*): hold its lock (scripts/lib/lablock.py) so a test run or a bench on the same
# machine waits for the demo instead of tearing its lab down, and the demo waits for them.
mkdir -p /run/lock
exec 9>/run/lock/wansteer-lab.lock
if ! flock -n 9; then
    ws_log "the lab is in use by another run (a test or a bench); waiting for it"
    flock 9
fi

ws_log "building the lab (fresh)"
"$WS_ROOT/scripts/lab.sh" down >/dev/null
"$WS_ROOT/scripts/lab.sh" up
"$WS_ROOT/scripts/lab.sh" status | sed 's/^/    /'

ws_log "starting the internet's servers in ws-inet"
: > "$WS_STATE/sink.jsonl"
setsid ip netns exec ws-inet "$LABTOOL" sink "$WS_STATE/sink.jsonl" </dev/null >"$WS_STATE/sink.log" 2>&1 &
SINK_PID=$!
for _ in $(seq 100); do grep -q 'sink: ready' "$WS_STATE/sink.log" && break; sleep 0.05; done

ws_log "starting wansteer in ws-edge with policies/office.yaml"
rm -f "$CTL"
setsid ip netns exec ws-edge "$WS_BUILD/control/wansteer" --policy "$WS_ROOT/policies/office.yaml" \
    --ctl "$CTL" --final-stats "$WS_STATE/final-stats.json" </dev/null >"$WS_STATE/wansteer.log" 2>&1 &
WS_PID=$!
deadline=$((SECONDS + 30))
until grep -q 'wansteer: running' "$WS_STATE/wansteer.log"; do
    kill -0 "$WS_PID" 2>/dev/null || { cat "$WS_STATE/wansteer.log"; ws_die "wansteer exited"; }
    [ $SECONDS -lt $deadline ] || { cat "$WS_STATE/wansteer.log"; ws_die "wansteer not running after 30 s"; }
    sleep 0.1
done
ws_log "waiting for the link gateways to resolve (ARP) and the links to answer probes"
deadline=$((SECONDS + 10))
until ctlj show counters 2>/dev/null | "$WS_PY" -c 'import json,sys; c=json.load(sys.stdin); sys.exit(0 if all(l["gateway_resolved"] and l["state"] == "up" for l in c["links"].values()) else 1)'; do
    [ $SECONDS -lt $deadline ] || ws_die "links not up after 10 s"
    sleep 0.1
done
sleep 1  # a second of probes, so the table below shows measured RTT and jitter
ctl show links | sed 's/^/    /'

echo
ws_log "${ws_bold}round 1: all links up${ws_off} - sending every class from the office and guest hosts"
ip netns exec ws-office ping -c 2 -i 0.2 -W 1 192.168.10.1 >/dev/null && echo "    ping office -> edge 192.168.10.1: ok"
ip netns exec ws-office ping -c 2 -i 0.2 -W 1 203.0.113.10 >/dev/null && echo "    ping office -> 203.0.113.10 through the edge: ok"
ctlj show counters > "$WS_STATE/c0.json"
traffic
ctlj show counters > "$WS_STATE/c1.json"
echo
table "$WS_STATE/c0.json" "$WS_STATE/c1.json"

echo
ws_log "${ws_bold}round 2: wansteerctl link down fiber${ws_off} - the same traffic again"
ctl link down fiber | sed 's/^/    /'
traffic
ctlj show counters > "$WS_STATE/c2.json"
echo
table "$WS_STATE/c1.json" "$WS_STATE/c2.json"
echo "    voip, payments, m365 and default moved to lte; guest may only use fiber, so it is dropped"
echo "    and counted (no-link drops) instead of being sent over the metered LTE link."

echo
ws_log "${ws_bold}round 3: wansteerctl link up fiber${ws_off} - new flows return to fiber"
ctl link up fiber | sed 's/^/    /'
traffic
ctlj show counters > "$WS_STATE/c3.json"
echo
table "$WS_STATE/c2.json" "$WS_STATE/c3.json"
echo "    voip to 203.0.113.10 stays on lte: office.yaml steers voip per host pair with on_recovery: stay,"
echo "    so a call in progress is not moved twice (the pair returns to fiber once idle)."

echo
ws_log "${ws_bold}round 4: the fiber ISP fails${ws_off} (nftables drops everything in ws-isp1) during a call"
echo "    a 50 packets/s RTP-like stream office -> 198.51.100.10:20000 (class voip); the outage starts after 1 s"
rm -f "$WS_STATE/call.txt"
setsid ip netns exec ws-inet "$WS_PY" "$WS_ROOT/scripts/lib/udpstream.py" recv 198.51.100.10 20000 "$WS_STATE/call.txt" \
    </dev/null >"$WS_STATE/call-rx.log" 2>&1 &
RX_PID=$!
for _ in $(seq 50); do grep -q ready "$WS_STATE/call-rx.log" && break; sleep 0.05; done
ip netns exec ws-office "$WS_PY" "$WS_ROOT/scripts/lib/udpstream.py" send 198.51.100.10 20000 50 3 >/dev/null &
TX_PID=$!
sleep 1
"$WS_ROOT/scripts/lab.sh" fault isp1 drop | sed 's/^/    /'
wait "$TX_PID"
sleep 0.2
kill "$RX_PID" 2>/dev/null || true
"$WS_PY" - "$WS_STATE/call.txt" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
isp = {"100.64.1.2": "fiber", "100.64.2.2": "lte"}
t = [int(r[0]) for r in rows]
gap = max((b - a for a, b in zip(t, t[1:])), default=0) / 1e6
by = {}
for r in rows:
    by[isp.get(r[1], r[1])] = by.get(isp.get(r[1], r[1]), 0) + 1
print(f"    the call: {len(rows)} of 150 packets arrived ({', '.join(f'{n} via {k}' for k, n in by.items())}); "
      f"longest silence {gap:.0f} ms")
PY
echo "    what wansteer logged (one JSON line per decision):"
grep '^{' "$WS_STATE/wansteer.log" | grep -E '"link_state"|"steer","class":"voip"' | tail -3 | sed 's/^/    /'
ctl show links | sed 's/^/    /'
"$WS_ROOT/scripts/lab.sh" fault isp1 clear >/dev/null
echo "    (fiber returns after it has answered probes for the 10 s hold-down)"
echo
ws_log "demo done"
