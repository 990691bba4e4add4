"""Lab: wake on arrival (issue 14). The edge's ports are af_packet, it runs one worker: an idle worker sleeps until a
frame arrives (a doorbell on each interface), control's kick (probes it queues) or 100 ms, instead of napping on a
timer. Probes slowed to 4/s per target here (also while traffic flows), so a frame that failed to wake the worker
would wait ~50 ms on average for the next wake: pings after idle spells must all answer, and quickly."""
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from office_policy import office_policy  # noqa: E402

PINGS = 8


def lab_policy(workdir):
    # not faster while a link carries traffic (5 ms) or while loss is in doubt (1 ms) either
    slow = "  traffic_interval_ms: 0\n  boost_interval_ms: 0\n  interval_ms: 250 "
    return office_policy(workdir, "office-slow-probes.yaml", [("  interval_ms: 20 ", slow)])


def workers(lab):
    return lab.counters()["workers"]


def wakes(w):
    return w["wakes_by_packet"] + w["wakes_by_kick"] + w["wakes_by_timeout"]


def test_worker_sleeps_until_woken(lab):
    """The daemon says so, and the counters show sleeps with their reasons: control's probes kick it, their replies
    ring a doorbell. Each sleep is a nap; they last far longer than --max-nap-us naps (30 us) would."""
    assert "idle worker sleeps until a packet arrives (3 doorbells)" in lab.ws.output, lab.ws.output
    first, t0 = workers(lab), time.monotonic()
    now = lab.tools.wait_for(lambda: (w := workers(lab)) and w["wakes_by_kick"] > first["wakes_by_kick"] + 5
                             and w["wakes_by_packet"] > first["wakes_by_packet"] + 5 and w,
                             timeout=20, what="wakes by kicks (probes) and by packets (their replies)")
    secs = time.monotonic() - t0
    d = {k: now[k] - first[k] for k in first}
    # counters are read one by one while the worker runs: a sleep may be counted in one and not yet the other
    assert abs(d["naps"] - wakes(d)) <= 2, d
    run = d["busy_cycles"] + d["idle_cycles"] + d["sleep_cycles"]  # the worker's TSC cycles over `secs`
    assert d["sleep_cycles"] > 0.5 * run, f"asleep only {d['sleep_cycles'] / run:.0%} of the time: {d}"
    # loops: each wake spins 25 us (hundreds of loops); a busy-polling worker loops millions of times a second
    assert d["loops"] < 2000 * d["naps"] + 1000, d
    mean_sleep_ms = d["sleep_cycles"] / d["naps"] / (run / secs) * 1e3
    assert mean_sleep_ms > 1.0, f"mean sleep {mean_sleep_ms:.3f} ms: {d}"


def test_pings_after_idle_spells_all_answer_quickly(lab):
    """A ping every 400 ms: each echo request finds the worker asleep (LAN doorbell), its reply too (WAN doorbell)."""
    lab.set_link("fiber", "up")
    before = workers(lab)
    out = subprocess.run(["ip", "netns", "exec", "ws-office", "ping", "-n", "-c", str(PINGS), "-i", "0.4",
                          "-W", "2", "203.0.113.10"], capture_output=True, text=True, timeout=30)
    after = workers(lab)
    assert f"{PINGS} received" in out.stdout, out.stdout + out.stderr
    rtts = sorted(float(m) for m in re.findall(r"time=([\d.]+) ms", out.stdout))
    assert len(rtts) == PINGS, out.stdout
    # asleep between pings: a frame the doorbells missed would wait for a probe or the 100 ms timeout
    median = rtts[len(rtts) // 2]
    assert median < 10.0, f"median RTT {median} ms: frames wait for the worker\n{out.stdout}"
    assert after["naps"] - before["naps"] >= PINGS, (before, after)
    assert after["wakes_by_packet"] - before["wakes_by_packet"] >= PINGS, (before, after)


def test_stops_promptly_with_every_mbuf_back(lab):
    """Last: the stop kicks the sleeping worker (no 100 ms wait per worker); every mbuf is back in the pool."""
    lab.tools.wait_for(lambda: (w := workers(lab)) and w["naps"] > 0, timeout=5, what="the worker asleep")
    final = lab.stop_cleanly()
    assert wakes(final["workers"]) > 0, final["workers"]
