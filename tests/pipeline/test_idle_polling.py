"""Adaptive polling (issue 14): with it on (the default) an idle worker naps, yet every frame of the main scenario
still leaves where it must, exactly as with --busy-poll; the nap counters rise while idle and stay 0 when busy."""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
from test_pipeline import BUILD, PORTS, binary, counters, run_wansteer  # noqa: E402


def marked(run) -> dict[str, list[bytes]]:
    return {port: sorted(bytes(p) for p in run.outputs[port] if T.find_markers(bytes(p))) for port in PORTS}


def test_adaptive_polling_loses_nothing_and_naps_when_idle(tmp_path):
    idle = {}

    def watch_idle(ctl_path):
        """Once the scenario is through, the worker has nothing to do: its naps and sleep cycles must rise."""
        first = counters(ctl_path)["workers"]
        deadline = time.monotonic() + 10.0
        while True:
            now = counters(ctl_path)["workers"]
            if now["naps"] >= first["naps"] + 1000:
                break
            assert time.monotonic() < deadline, f"naps did not rise while idle: {first} -> {now}"
            time.sleep(0.05)
        idle.update({k: now[k] - first[k] for k in ("naps", "sleep_cycles", "idle_cycles", "busy_cycles")})

    sc = T.main_scenario()
    adaptive = run_wansteer(tmp_path / "adaptive", sc, T.MAIN_POLICY_LISTS, while_running=watch_idle)
    busy = run_wansteer(tmp_path / "busy", sc, T.MAIN_POLICY_LISTS, ("--busy-poll",))
    assert adaptive.exit_code == 0 and busy.exit_code == 0, adaptive.stderr[-1000:] + busy.stderr[-1000:]

    # Nothing lost or late: every forwarded frame once on its port, drops exactly the scenario's, and the same
    # marked frames out of every port as with busy polling.
    occ = adaptive.occurrences()
    wrong = [f"#{f.fid} {f.desc}: expected on {f.out}, seen on {[p for p, _ in occ.get(f.fid, [])]}"
             for f in sc.frames if f.kind == "forward" and f.cls is not None
             and [p for p, _ in occ.get(f.fid, [])] != [f.out]]
    assert not wrong, "\n".join(wrong)
    assert {r: n for r, n in adaptive.final["drops"].items() if n} == sc.expected_drops()
    assert marked(adaptive) == marked(busy)
    assert adaptive.final["mempool"]["in_use"] == 0

    # While idle the worker slept more than it polled: a nap is 5-30 us, an empty poll about a microsecond.
    assert idle["sleep_cycles"] > idle["idle_cycles"], idle
    assert busy.final["workers"]["naps"] == 0 and busy.final["workers"]["sleep_cycles"] == 0, busy.final["workers"]
    assert busy.final["workers"]["idle_cycles"] > 0


def test_bad_nap_options_are_refused_before_start(tmp_path):
    """--max-nap-us out of range, or --max-nap-us or --no-wake-on-rx with --busy-poll (which never sleeps), is a bad
    command line (exit 2)."""
    for args, named in ((["--max-nap-us", "0"], "--max-nap-us"), (["--max-nap-us", "10001"], "--max-nap-us"),
                        (["--busy-poll", "--max-nap-us", "50"], "--max-nap-us"),
                        (["--busy-poll", "--no-wake-on-rx"], "--no-wake-on-rx")):
        p = subprocess.run([binary("wansteer"), "--policy", str(tmp_path / "unused.yaml"), *args],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and named in p.stderr, (args, p.returncode, p.stderr)


def test_wake_latency_reports_the_machines_floor():
    """bench/wake_latency (bench/idle prints it as the floor under adaptive polling's latency): a short run prints
    its four figures, each a percentile of real wake-ups (above 0, p99 not below p50); a bad option is refused with
    exit 2 and the reason on stderr."""
    binary("wansteer")  # skips like the others where nothing is built
    exe = str(BUILD / "bench" / "wake_latency")
    p = subprocess.run([exe, "--samples", "200", "--interval-us", "200"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    last = p.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"wake_latency signalled_p50_us=(\S+) signalled_p99_us=(\S+) nap_over_p50_us=(\S+) "
                     r"nap_over_p99_us=(\S+)", last)
    assert m, p.stdout
    s50, s99, n50, n99 = map(float, m.groups())
    assert 0 < s50 <= s99 and 0 <= n50 <= n99, last
    bad = subprocess.run([exe, "--samples", "many"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "wake_latency:" in bad.stderr and "samples" in bad.stderr, bad.stderr
