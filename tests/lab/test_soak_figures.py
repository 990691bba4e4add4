"""bench/soak's arithmetic (scripts/lib/soak_figures.py) on made-up recordings: which voice packets count, where the
outage windows lie, the event clock. No lab, no root: these run anywhere."""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
import soak_figures as sf  # noqa: E402

S = 1_000_000_000
PERIOD = 20_000_000  # 50 packets/s


def stream(sent, missing, start=100 * S):
    """udpstream rows of a paced stream with the sequence numbers in `missing` lost."""
    return [(start + seq * PERIOD + 5_000_000, "100.64.2.2", seq, start + seq * PERIOD)
            for seq in range(sent) if seq not in missing]


def test_fault_window_runs_until_voice_moved_plus_grace():
    w = sf.outage_windows([10 * S], [10 * S + 80_000_000], S)
    # merged with the steer event's own +-grace window, which starts before the fault
    assert w == [(9 * S + 80_000_000, 11 * S + 80_000_000)]


def test_fault_that_moved_nothing_gets_only_the_grace():
    # voice was on LTE already (on_recovery: stay): the steer 20 s later is the failback, not this fault's move
    w = sf.outage_windows([10 * S], [30 * S], S)
    assert w == [(10 * S, 11 * S), (29 * S, 31 * S)]


def test_loss_inside_windows_is_not_counted_loss_outside_is():
    sent = 500  # 10 s from t=100 s
    windows = [(102 * S, 103 * S)]  # seq 100..150
    rows = stream(sent, set(range(110, 130)))
    assert sf.voice_loss_outside(rows, sent, PERIOD, windows) == (0, sent - 51)
    rows = stream(sent, set(range(110, 130)) | {300})
    assert sf.voice_loss_outside(rows, sent, PERIOD, windows) == (1, sent - 51)


def test_lost_packets_get_the_send_time_of_their_place_in_the_stream():
    rows = stream(10, {0, 1, 5, 9})
    t = sf.send_times(rows, 10, PERIOD)
    assert t == [100 * S + seq * PERIOD for seq in range(10)]
    # a lost tail right after a window's end counts: its send time is not that of the last packet that arrived
    lost, n = sf.voice_loss_outside(stream(100, set(range(50, 100))), 100, PERIOD, [(0, 100 * S + 49 * PERIOD)])
    assert (lost, n) == (50, 50)


def test_events_move_onto_the_monotonic_clock():
    e = {"time": "2026-11-29T20:00:00.250Z", "event": "steer", "class": "voip", "from": "fiber", "to": "lte"}
    wall_ns = 1_795_982_400_250_000_000  # that instant in ns since the epoch
    lines = ["noise", json.dumps(e), "{broken", json.dumps({"not": "an event"})]
    events = sf.parse_events(lines, wall_minus_mono_ns=wall_ns - 5 * S)
    assert len(events) == 1 and events[0]["mono_ns"] == 5 * S
    assert sf.voice_steers(events) == [5 * S]
    assert sf.voice_steers(events, cls="default") == []
