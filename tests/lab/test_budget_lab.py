"""Lab: a metered link's data budget with real hosts (issue 15). office.yaml with a 300 kB monthly budget on lte.
Fiber fails (its ISP drops everything), so the office's traffic moves to lte; an office host pings the internet
with 1400-byte packets (class default) until the budget is spent. The 50, 80 and 100 % budget events come once
each, lte's budget shows exhausted, default is then dropped by name (budget_exhausted) and its pings go
unanswered, while voice (on_budget_exhausted: allow in office.yaml) still reaches the internet over lte."""
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUDGET_KB = 300
INTERNET = "203.0.113.10"


def lab_policy(workdir):
    text = (REPO / "policies" / "office.yaml").read_text()
    small = text.replace("budget: 20GB", f"budget: {BUDGET_KB}KB")
    assert small != text, "office.yaml no longer gives lte a 20GB budget: update this test"
    small = small.replace("prefixes/", str(REPO / "policies" / "prefixes") + "/")
    path = Path(workdir) / "office-budget.yaml"
    path.write_text(small)
    return path


def budget_events(lab):
    events = []
    for line in list(lab.ws.lines):
        if line.startswith("{"):
            e = json.loads(line)
            if e.get("event") == "budget":
                events.append(e)
    return events


def lte_budget(lab):
    return lab.ws.ctl("show", "links")["links"]["lte"]["budget"]


def test_budget_spent_blocks_default_and_keeps_voice(lab):
    lab.tools.wait_for(lambda: all(l["state"] == "up" for l in lab.counters()["links"].values()),
                       timeout=30, what="both links up")
    assert lte_budget(lab)["budget_bytes"] == BUDGET_KB * 1000
    try:
        lab.fault("isp1", "drop")
        lab.tools.wait_for(lambda: lab.counters()["links"]["fiber"]["state"] == "down", timeout=15,
                           what="fiber declared down")
        lab.tools.wait_for(lambda: lab.ws.ctl("show", "classes")["default"]["links"] == ["lte"], timeout=15,
                           what="default steered to lte")
        # ~2.9 kB a round trip, both directions counted: about 100 answered pings spend 300 kB
        burn = lab.ping("office", INTERNET, count=400, args=("-s", "1400", "-i", "0.02", "-w", "60"))
        assert " 0 received" not in burn.stdout, burn.stdout  # default did run on lte before the budget ran out
        lab.tools.wait_for(lambda: lte_budget(lab)["state"] == "exhausted", timeout=20, what="lte budget exhausted")
        causes = [e["cause"] for e in budget_events(lab)]
        assert causes == ["budget_50pct", "budget_80pct", "budget_exhausted"], causes
        used = lte_budget(lab)["used_bytes"]
        assert used >= BUDGET_KB * 1000, used

        before = lab.counters()["drops"].get("budget_exhausted", 0)
        blocked = lab.ping("office", INTERNET, count=5)
        assert " 0 received" in blocked.stdout, blocked.stdout
        lab.tools.wait_for(lambda: lab.counters()["drops"].get("budget_exhausted", 0) >= before + 5, timeout=10,
                           what="the blocked pings counted as budget_exhausted")

        tag = lab.tag("voip-after-budget")
        res = lab.send("office", [(tag, "udp", INTERNET, 5060)], timeout=3.0)[tag]
        assert res.get("ok"), res
        assert lab.carried_by(tag) == "lte"
    finally:
        lab.fault("isp1", "clear")
