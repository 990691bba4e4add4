"""Which external port NAT gives a LAN socket. The owner keeps the socket's own port when it is free, except the
UDP ports control's link probes use on every link's address: their replies go to control, so NAT never hands them
out (dataplane/probe_ids.hpp). Linux picks ephemeral ports from 32768-60999, which holds them, so a test socket
gets one now and then (8 sockets: about 1 run in 28) and is then seen from another port."""
import re
from pathlib import Path

_DATAPLANE = Path(__file__).resolve().parents[2] / "dataplane"


def _constant(header, name):
    m = re.search(rf"\b{name}\s*=\s*(\d+)", (_DATAPLANE / header).read_text())
    assert m, f"{name} not found in dataplane/{header}"
    return int(m.group(1))


_BASE = _constant("probe_ids.hpp", "kProbePortBase")
PROBE_PORTS = range(_BASE, _BASE + _constant("limits.hpp", "kMaxLinks") * _constant("probe_ids.hpp", "kProbeIdsPerLink"))


def expected_outside_port_ok(inside, outside):
    """The inside port itself, or for a probe port any port that is not one."""
    return outside not in PROBE_PORTS if inside in PROBE_PORTS else outside == inside
