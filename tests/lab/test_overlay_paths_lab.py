"""Lab: link health per overlay path (issue 13), measured through the tunnel. wansteer in ws-edge with
policies/office-overlay.yaml and the wireguard-go hub of tests/lab/overlay_hub.py: the edge's probes to the hub's
inner address (10.200.0.1) over each link answer, so `show overlay` reports a path RTT for fiber and lte without
loss; a hard outage of the fiber ISP takes the fiber path down (its probes never reach the hub) while the lte path
stays up, and fiber's path comes back after the outage. Paths are measured by the link a probe leaves on: the hub
answers to the address it heard from last, so a reply may come back over the other link."""
import pytest

from test_overlay_lab import hub, lab_policy  # noqa: F401  (the module's policy and the hub fixture)


def paths(lab):
    """{link: path} from `show overlay`; a path is None while it is not probed."""
    return {name: link["path"] for name, link in lab.ws.ctl("show", "overlay")["links"].items()}


def answered_without_loss(p, at_least):
    return p is not None and p["up"] and p["probes_answered"] >= at_least and p["loss_pct"] == 0 \
        and p["rtt_ms"] is not None


def test_both_paths_report_rtt_without_loss(lab, hub):  # noqa: F811
    start = paths(lab)
    want = {link: (p["probes_answered"] if p else 0) + 20 for link, p in start.items()}
    # 20 more answers per path: about 2 s at one probe per 100 ms; generous for a busy machine
    lab.tools.wait_for(lambda: all(answered_without_loss(p, want[link]) for link, p in paths(lab).items()),
                       timeout=30, what="20 more probes answered through the tunnel over fiber and lte, no loss")
    now = paths(lab)
    print("overlay paths: " + ", ".join(f"{link} rtt {p['rtt_ms']:.2f} ms jitter {p['jitter_ms']:.2f} ms "
                                        f"{p['probes_answered']}/{p['probes_sent']}" for link, p in now.items()))
    text = lab.ws.ctl("show", "overlay", as_json=False)
    assert "PATH VIA" in text and "probes to the hub's inner address" in text, text


def test_fiber_outage_takes_its_path_down_while_lte_stays_up(lab, hub):  # noqa: F811
    lab.tools.wait_for(lambda: all(p is not None and p["up"] for p in paths(lab).values()), timeout=60,
                       what="both paths up before the outage")
    lte_before = paths(lab)["lte"]
    lab.fault("isp1", "drop")
    try:
        lab.tools.wait_for(lambda: not paths(lab)["fiber"]["up"], timeout=15, what="the fiber path down")
        during = paths(lab)
        assert during["lte"]["up"], during
        # lte's probes keep being answered (by the hub over lte, the only address it hears from now)
        lab.tools.wait_for(lambda: paths(lab)["lte"]["probes_answered"] >= lte_before["probes_answered"] + 20,
                           timeout=20, what="lte's path answering through the outage")
        during = paths(lab)
        assert during["lte"]["up"] and during["lte"]["loss_pct"] < 5, during
        print(f"during the outage: {during}")
    finally:
        lab.fault("isp1", "clear")
    # fiber comes back after its hold-down (10 s in the policy); its path with it
    lab.tools.wait_for(lambda: paths(lab)["fiber"]["up"], timeout=60, what="the fiber path up after the outage")
