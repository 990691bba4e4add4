"""A metered link's data budget (issue 15), on pcap ports: lte may carry 200 kB a month.

Run 1 sends about 260 kB of default traffic to lte: the 50, 80 and 100 % events fire once each and the daemon keeps
the usage in its state file (--state-dir, a temp dir here). Run 2 is a restart on the same state dir: the usage is
kept, so lte starts exhausted: default (on_budget_exhausted: block, the default) is dropped there by name
(budget_exhausted), voip (allow) still leaves on lte, and bulk (links [lte, fiber]) moves to fiber."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
from scapy.all import IP, TCP, UDP  # type: ignore  # noqa: E402
from test_pipeline import run_wansteer  # noqa: E402

BUDGET = 200_000
LISTS = {
    "voip": "[lte], on_budget_exhausted: allow",
    "m365": "[fiber]",
    "payments": "[fiber]",
    "guest": "[fiber]",
    "bulk": "[lte, fiber]",
    "default": "[lte]",
}
LINK_KEYS = {"lte": f"metered: {{budget: {BUDGET // 1000}KB, period: monthly, reset_day: 1}}"}


def big_udp(fid: int, dport: int, size: int = 1000):
    return T.lan_eth() / IP(src=T.LAN_HOST_IP, dst="203.0.113.10") / UDP(sport=42000, dport=dport) / T.pad_payload(
        fid, size)


def budget_events(run) -> list[dict]:
    out = []
    for line in (run.directory / "wansteer.stdout").read_text().splitlines():
        if line.startswith("{") and '"event":"budget"' in line.replace(" ", ""):
            out.append(json.loads(line))
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    args = ("--state-dir", str(state))
    first = T.Scenario(first_id=1)
    for _ in range(250):  # ~1 kB each: 260 kB on lte, past the 200 kB budget
        first.add("lan", lambda f: big_udp(f, 9999), "default 1 kB", cls="default")
    run1 = run_wansteer(tmp_path_factory.mktemp("budget1"), first, LISTS, extra_args=args, link_keys=LINK_KEYS)
    saved = json.loads((state / "budget-lte.json").read_text())

    second = T.Scenario(first_id=1000)
    for _ in range(20):
        second.add("lan", lambda f: big_udp(f, 9999, 200), "default", cls="default", drop="budget_exhausted")
    for _ in range(10):
        second.add("lan", lambda f: big_udp(f, 5060, 200), "voip", cls="voip", out="lte")
    for _ in range(10):
        second.add("lan", lambda f: T.lan_eth() / IP(src=T.LAN_HOST_IP, dst="203.0.113.10")
                   / TCP(sport=43000, dport=873, flags="A") / T.pad_payload(f, 200), "bulk", cls="bulk", out="fiber")
    run2 = run_wansteer(tmp_path_factory.mktemp("budget2"), second, LISTS, extra_args=args, link_keys=LINK_KEYS)
    return run1, saved, run2, json.loads((state / "budget-lte.json").read_text())


def test_thresholds_announced_once_each(runs):
    run1, _, _, _ = runs
    assert run1.exit_code == 0, run1.stderr
    causes = [e["cause"] for e in budget_events(run1)]
    assert causes == ["budget_50pct", "budget_80pct", "budget_exhausted"], causes
    last = budget_events(run1)[-1]
    assert last["link"] == "lte" and last["to"] == "exhausted" and last["budget_bytes"] == BUDGET, last
    assert last["used_bytes"] >= BUDGET, last


def test_usage_is_both_directions_of_the_port_and_saved_at_exit(runs):
    run1, saved, _, _ = runs
    lte = run1.final["ports"]["lte"]
    assert saved["used_bytes"] == lte["rx_bytes"] + lte["tx_bytes"] > BUDGET, (saved, lte)
    assert saved["notified_pct"] == 100, saved
    info = run1.links_info["links"]["lte"]["budget"]
    assert info["budget_bytes"] == BUDGET and info["state"] == "exhausted" and info["period"] == "monthly", info
    assert info["period_end_utc"].endswith("-01T00:00:00Z"), info
    assert "budget" not in run1.links_info["links"]["fiber"]


def test_after_a_restart_the_blocked_class_stops_and_the_allowed_one_passes(runs):
    _, saved, run2, _ = runs
    assert run2.exit_code == 0, run2.stderr
    occ = run2.occurrences()
    defaults = [f.fid for f in run2.scenario.frames if f.cls == "default"]
    voip = [f.fid for f in run2.scenario.frames if f.cls == "voip"]
    bulk = [f.fid for f in run2.scenario.frames if f.cls == "bulk"]
    assert not any(fid in occ for fid in defaults), "default left although lte's budget is spent"
    assert run2.final["drops"]["budget_exhausted"] == len(defaults), run2.final["drops"]
    assert run2.final["classes"]["default"]["links"]["lte"]["blocked_drops"] == len(defaults)
    assert all([p for p, _ in occ.get(fid, [])] == ["lte"] for fid in voip), {f: occ.get(f) for f in voip}
    assert all([p for p, _ in occ.get(fid, [])] == ["fiber"] for fid in bulk), {f: occ.get(f) for f in bulk}
    # Nothing announced again: the thresholds were announced before the restart.
    assert budget_events(run2) == [], budget_events(run2)
    info = run2.links_info["links"]["lte"]["budget"]
    assert info["used_bytes"] >= saved["used_bytes"] and info["state"] == "exhausted", info


def test_used_bytes_kept_across_the_restart(runs):
    run1, saved, run2, saved2 = runs
    lte = run2.final["ports"]["lte"]
    assert saved2["used_bytes"] == saved["used_bytes"] + lte["rx_bytes"] + lte["tx_bytes"], (saved, saved2, lte)
    assert saved2["period_start"] == saved["period_start"]
