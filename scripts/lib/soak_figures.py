"""The soak's figures from what it recorded (bench/soak): outage windows from the edge's event log, voice loss
outside them, the process's RSS. Pure functions on plain data, so tests/lab/test_soak_figures.py checks them
without a lab.

Times are CLOCK_MONOTONIC nanoseconds (what udpstream.py stamps); the edge's events carry wall-clock time, moved
onto the monotonic clock with an offset sampled once (wall - monotonic)."""
import json
from datetime import datetime

MOVE_WAIT_NS = 5_000_000_000  # a fault after which voice does not move within this long did not move it


def parse_events(lines, wall_minus_mono_ns):
    """The daemon's stdout lines -> [event dict with "mono_ns"] in order. Events are the lines that are one JSON
    object with an "event" key (the daemon prints them bare, one a line); other lines are its messages."""
    out = []
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            e = json.loads(line)
            if not isinstance(e, dict) or "event" not in e:
                continue
            wall_ms = round(datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp() * 1000)
        except (ValueError, KeyError):
            continue
        e["mono_ns"] = wall_ms * 1_000_000 - wall_minus_mono_ns  # the log has milliseconds
        out.append(e)
    return out


def voice_steers(events, cls="voip"):
    """Times at which the event log says the voice class moved (a steer event from one link to another)."""
    return [e["mono_ns"] for e in events
            if e.get("event") == "steer" and e.get("class") == cls and e.get("from") != e.get("to")]


def outage_windows(fault_starts_ns, steer_ns, grace_ns):
    """[(start, end)] in which voice loss is expected, merged:
    - per fault (an nftables outage or a drill) at F: from F until the first voice steer event in
      [F, F + MOVE_WAIT_NS] (F itself when voice did not move: it was not on the failed link), plus grace;
    - around every voice steer event E (failover, failback, drill end): E - grace to E + grace."""
    wins = []
    for f in fault_starts_ns:
        moved = [t for t in steer_ns if f <= t <= f + MOVE_WAIT_NS]
        wins.append((f, (min(moved) if moved else f) + grace_ns))
    wins += [(t - grace_ns, t + grace_ns) for t in steer_ns]
    wins.sort()
    merged = []
    for a, b in wins:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def send_times(rows, sent, period_ns):
    """Send time of every sequence number 0..sent-1: the stamped one where it arrived, else the nearest arrived
    earlier packet's stamp plus the pacing (or the next one's minus it, before the first arrival)."""
    stamped = {}
    for r in rows:
        if 0 <= r[2] < sent:
            stamped.setdefault(r[2], r[3])
    if not stamped:
        return None
    first = min(stamped)
    times, prev = [], None
    for seq in range(sent):
        if seq in stamped:
            prev = (seq, stamped[seq])
            times.append(stamped[seq])
        elif prev is None:
            times.append(stamped[first] - (first - seq) * period_ns)
        else:
            times.append(prev[1] + (seq - prev[0]) * period_ns)
    return times


def inside(t, windows):
    return any(a <= t <= b for a, b in windows)


def voice_loss_outside(rows, sent, period_ns, windows):
    """(lost, sent) counting only packets whose send time lies outside every window. rows: udpstream.load()."""
    times = send_times(rows, sent, period_ns)
    if times is None:
        return sent, sent
    got = {r[2] for r in rows}
    n = lost = 0
    for seq, t in enumerate(times):
        if inside(t, windows):
            continue
        n += 1
        if seq not in got:
            lost += 1
    return lost, n


def rss_kb(pid):
    """VmRSS of a process in kB, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
