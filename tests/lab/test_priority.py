"""Lab: priority under pressure (issue 4). Fiber is down, the LTE ISP caps the uplink at 5 Mbit/s (TBF with a
400 ms buffer, like an LTE modem), and at the same time a bulk TCP upload (iperf3, class default), a guest UDP
flood (VLAN 20, 4 Mbit/s offered, capped at 1 Mbit/s on LTE) and a 50 packets/s voice stream (UDP 21000, class
voip) leave through LTE. wansteer shapes lte at 4.5 Mbit/s, just under the TBF rate.

With the shaper, voice loses (almost) nothing and waits at most a few ms; guest stays within its cap; bulk gets
most of what is left. The same run with `shaping: false` on lte lets TCP fill the ISP's buffer, and voice
waits behind it: the shaper is what protects voice. See scripts/lib/priority_lab.py for the scenario."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
import priority_lab as pl  # noqa: E402

VOICE_SECONDS = 6.0
# Voice's added one-way delay with the shaper: strict priority means voice waits at most for the frame being sent
# (1514 B at 4.5 Mbit/s = 2.7 ms) plus the shaper's 5 ms burst drained by the ISP's TBF at 5 Mbit/s (~4.5 ms). A
# standing queue behind bulk (what the shaper prevents) moves the median; scheduling of the edge's polling worker,
# three python processes and iperf3 on two shared cores only stretches the tail: on a loaded machine (a compiler
# on each core) the shaped p95 reached 54 ms while its median stayed at 2.6 ms (the unshaped run: median 113 ms).
# So the median is held to 15 ms and the 95th percentile only to 100 ms, a quarter of the ISP's 400 ms buffer.
# (The receiver's own scheduling is already out: udpstream takes the kernel's arrival stamp.)
SHAPED_ADDED_DELAY_P50_MS = 15.0
SHAPED_ADDED_DELAY_P95_MS = 100.0
SHAPED_MAX_LOSS_PCT = 0.5

RESULTS = {}


def lab_policy(workdir):
    return pl.write_policy(workdir, shaping=True)


@pytest.fixture(scope="module")
def tbf(lab):
    pl.tbf_on()
    try:
        yield
    finally:
        pl.tbf_off()


def test_shaper_protects_voice_and_caps_guest(lab, tbf):
    pl.fiber_down(lab)
    c = lab.counters()
    assert c["links"]["lte"]["shaping"] in (True, "yes", "true"), c["links"]["lte"]
    assert c["links"]["lte"]["capacity_up_bps"] == pl.LTE_UP_BPS
    baseline = pl.idle_baseline_ms(lab)
    r = pl.run_pressure(lab, VOICE_SECONDS)
    RESULTS["baseline_ms"], RESULTS["shaped"] = baseline, r
    print(f"\nidle voice one-way delay {baseline:.2f} ms\nshaped:   {pl.summary(r, baseline)}")

    assert r["voice_from"] == ["100.64.2.2"], "voice did not leave through LTE"
    assert r["voice_loss_pct"] <= SHAPED_MAX_LOSS_PCT, pl.summary(r, baseline)
    assert r["voice_delay_p50_ms"] - baseline < SHAPED_ADDED_DELAY_P50_MS, pl.summary(r, baseline)
    assert r["voice_delay_p95_ms"] - baseline < SHAPED_ADDED_DELAY_P95_MS, pl.summary(r, baseline)
    assert r["voip_queue_drops"] == 0
    # guest: within 1 Mbit/s over its window, plus the meter's burst, and the excess was dropped by the meter
    assert r["guest_bytes"] <= pl.GUEST_CBS + pl.GUEST_CAP_BPS / 8 * r["guest_window_s"] * 1.02, pl.summary(r, baseline)
    assert r["guest_meter_exceed_drops"] > 0
    assert r["guest_meter_conform"] > 0
    # bulk: most of what is left of 4.5 Mbit/s (TCP payload, so minus ~5 % of headers)
    assert r["bulk_bps"] > 0.6 * pl.LTE_UP_BPS, pl.summary(r, baseline)


def test_without_shaper_voice_waits_behind_bulk(lab, tbf):
    if "shaped" not in RESULTS:
        pytest.skip("needs the shaped run of the test above")
    pl.restart_wansteer(lab, pl.write_policy(lab.workdir, shaping=False), "unshaped")
    pl.fiber_down(lab)
    c = lab.counters()
    assert c["links"]["lte"]["shaping"] in (False, "no", "false"), c["links"]["lte"]
    baseline = pl.idle_baseline_ms(lab)
    r = pl.run_pressure(lab, VOICE_SECONDS)
    shaped, base_shaped = RESULTS["shaped"], RESULTS["baseline_ms"]
    print(f"\nidle voice one-way delay {baseline:.2f} ms\nunshaped: {pl.summary(r, baseline)}")

    # guest is still capped (class limits do not depend on shaping)
    assert r["guest_bytes"] <= pl.GUEST_CBS + pl.GUEST_CAP_BPS / 8 * r["guest_window_s"] * 1.02
    # voice now waits in the ISP's buffer behind bulk: clearly worse than with the shaper
    added_p50 = r["voice_delay_p50_ms"] - baseline
    shaped_p50 = shaped["voice_delay_p50_ms"] - base_shaped
    # Since a saturated link is no longer mistaken for a dead one, voice is not lost here but delayed: its median
    # waits tens of ms in the ISP's queue (30 ms seen) where the shaped run's median stays near 0. Medians against
    # medians: on a loaded machine (BUSY_LOOPS=2) the shaped run's 95th percentile grew to 13 ms from scheduling
    # alone, and three times that hid a 34 ms median (p95 394 ms) behind the ISP's queue.
    worse_delay = added_p50 > max(20.0, 3 * shaped_p50)
    worse_loss = r["voice_loss_pct"] > shaped["voice_loss_pct"] + 2.0
    assert worse_delay or worse_loss, (f"unshaped run is not clearly worse:\n  shaped:   {pl.summary(shaped, base_shaped)}"
                                       f"\n  unshaped: {pl.summary(r, baseline)}")
