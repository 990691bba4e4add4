"""Lab: wake on arrival with two workers (issue 14). Every af_packet port has two queues (qpairs=2), one per worker;
each worker sleeps until a frame arrives on any interface (its doorbells see whole interfaces, not queues), a kick
from control (worker 0's probes), or a kick from the other worker when it hands packets over: the shaped link's
owner takes what the other worker steered to it (fiber is worker 0's, lte worker 1's), and a NAT reply goes to the
worker owning its port. Probes slowed as in test_idle_wake_lab.py, so frames left waiting would show."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from office_policy import office_policy  # noqa: E402

METRICS = "127.0.0.1:9478"  # in ws-edge's own loopback
_CPUS = ",".join(map(str, sorted(os.sched_getaffinity(0))))
LAB_WANSTEER = {"workers": 2, "extra_args": ["--metrics", METRICS],
                # main + two workers on whatever CPUs we may use (they may share one)
                "eal_args": ["--lcores", f"(0-2)@({_CPUS})", "--no-pci", "--in-memory", "--log-level=lib.eal:error"]}
FLOWS = 16


def lab_policy(workdir):
    slow = "  traffic_interval_ms: 0\n  boost_interval_ms: 0\n  interval_ms: 250 "
    edits = [("  interval_ms: 20 ", slow)]
    edits += [(f"iface={i},qdisc_bypass=1\"", f"iface={i},qdisc_bypass=1,qpairs=2\"") for i in ("lan0", "fiber0", "lte0")]
    return office_policy(workdir, "office-two-queues.yaml", edits)


def per_worker():
    """{worker: {metric: value}} from the daemon's /metrics (read inside ws-edge)."""
    text = subprocess.run(["ip", "netns", "exec", "ws-edge", "curl", "-sf", f"http://{METRICS}/metrics"],
                          capture_output=True, text=True, timeout=10, check=True).stdout
    out = {0: {}, 1: {}}
    for name, labels, value in re.findall(r"^wansteer_worker_(\w+?)(?:_total)?\{([^}]*)\} (\S+)$", text, re.M):
        w = re.search(r'worker="(\d+)"', labels)
        reason = re.search(r'reason="(\w+)"', labels)
        if w and int(w.group(1)) in out:
            out[int(w.group(1))][name + ("_" + reason.group(1) if reason else "")] = float(value)
    return out


def test_both_workers_sleep_until_woken(lab):
    """Each worker: most of its time asleep, its sleeps ended by frames (probe replies ring every doorbell)."""
    assert "idle workers sleep until a packet arrives (2 workers, 3 doorbells each)" in lab.ws.output, lab.ws.output
    first = per_worker()
    assert all(first[w].get("naps") is not None for w in (0, 1)), first
    now = lab.tools.wait_for(lambda: (m := per_worker()) and all(
        m[w]["wakes_packet"] > first[w]["wakes_packet"] + 5 for w in (0, 1)) and m,
        timeout=20, what="both workers woken by packets")
    for w in (0, 1):
        d = {k: now[w][k] - first[w][k] for k in first[w]}
        run = d["busy_cycles"] + d["idle_cycles"] + d["sleep_cycles"]
        assert d["naps"] >= 5 and d["sleep_cycles"] > 0.5 * run, f"worker {w}: {d}"


def test_flows_crossing_workers_answer_after_idle_spells(lab):
    """UDP flows after idle spells: whichever queue a flow lands on, the packet reaches fiber's owner and the reply
    its session's owner, with both workers asleep in between; no flow waits for a retry."""
    lab.set_link("fiber", "up")
    before = lab.counters()["workers"]
    times = []
    for r in range(4):
        time.sleep(0.5)  # both asleep again
        res = lab.send("office", [(lab.tag(f"w2-{r}-{i}"), "udp", "203.0.113.10", 8080) for i in range(FLOWS // 4)],
                       timeout=3)
        assert all(x["ok"] for x in res.values()), res
        times += [x["ms"] for x in res.values()]
    after = lab.counters()["workers"]
    # 16 flows of random source ports: some land on worker 1's LAN queue, and fiber (shaped) is worker 0's
    assert after["handoff_sent"] > before["handoff_sent"], (before, after)
    times.sort()
    # a lost wake-up would show as a 250 ms retry of labtool's sender or a 100 ms sleep timeout
    assert times[len(times) // 2] < 50, times


def test_more_queues_than_workers_is_refused(lab, tmp_path):
    """qpairs=2 with one worker: the kernel would hand part of the flows to a socket nobody reads (found with this
    lab: 4 of 6 TCP connections timed out), so the daemon refuses to start and says why."""
    ws = lab.tools.Wansteer(lab.build_dir, lab.policy, netns="ws-edge", workdir=tmp_path, workers=1,
                            eal_args=["-l", "0-1", "--no-pci", "--in-memory", "--log-level=lib.eal:error"])
    try:
        assert ws.proc.wait(30) != 0, ws.output
        ws._reader.join(5)  # the last lines
    finally:
        ws.kill()
    assert "qpairs=2 but 1 worker(s) to poll them" in ws.output, ws.output


def test_stops_promptly_with_every_mbuf_back(lab):
    final = lab.stop_cleanly()
    assert final["workers"]["naps"] > 0, final["workers"]
