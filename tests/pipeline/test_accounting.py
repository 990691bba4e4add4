"""Pipeline test: every packet accounted (issue 11). pcap in, pcap out, and the final counters of the real binary.

The overload run of test_limits.py (every class on the 1 Mbit/s lte link: guest's meter drops most of guest, the
shaper most of default) must add up: class x link packets and bytes are what the lte pcap holds, per class; what
each WAN port sent is its class x link packets plus the edge's own packets; what the LAN port received is what
was forwarded, dropped (by reason) or handed to control.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
import test_limits as L  # noqa: E402

CLASSES = ("voip", "guest", "default")
IDS = {"voip": L.VOIP_IDS, "guest": L.GUEST_IDS, "default": L.DEFAULT_IDS}
LINKS = ("fiber", "lte")


@pytest.fixture(scope="module")
def overload(tmp_path_factory):
    directory = tmp_path_factory.mktemp("accounting")
    L.run(directory, True)
    final = json.loads((directory / "final-stats.json").read_text())
    outputs = {link: [bytes(p) for p in T.read_pcap(str(directory / f"{link}_out.pcap"))] for link in LINKS}
    return final, outputs


def class_of(frame: bytes) -> str | None:
    for fid in T.find_markers(frame):
        for cls, ids in IDS.items():
            if fid in ids:
                return cls
    return None


def test_class_link_counts_what_the_wan_pcap_holds(overload):
    final, outputs = overload
    for link in LINKS:
        for cls in CLASSES:
            sent = [f for f in outputs[link] if class_of(f) == cls]
            got = final["classes"][cls]["links"][link]
            assert (got["packets"], got["bytes"]) == (len(sent), sum(map(len, sent))), f"{cls} x {link}"
    # the overload really dropped most of guest (meter) and of default (shaper)
    lte = {cls: final["classes"][cls]["links"]["lte"] for cls in CLASSES}
    assert lte["guest"]["packets"] < L.N_GUEST // 2 and lte["guest"]["meter_exceed_drops"] > 0
    assert lte["default"]["packets"] < L.N_DEFAULT // 2
    assert lte["voip"]["packets"] == L.N_VOIP


def test_each_wan_port_sent_class_link_packets_plus_its_own(overload):
    final, outputs = overload
    for link in LINKS:
        own = [f for f in outputs[link] if class_of(f) is None]  # ARP, probes, ICMP replies: none carry a marker
        forwarded = sum(final["classes"][cls]["links"][link]["packets"] for cls in CLASSES)
        assert final["ports"][link]["tx_packets"] == forwarded + len(own) == len(outputs[link]), link
    c = final["control"]
    assert sum(len([f for f in outputs[link] if class_of(f) is None]) for link in LINKS) <= (
        c["arp_replies"] + c["arp_requests"] + c["icmp_echo_replies"])


def test_lan_received_is_forwarded_plus_dropped_plus_consumed(overload):
    final, _ = overload
    lan = final["ports"]["lan"]
    forwarded = sum(final["classes"][cls]["links"][link]["packets"] for cls in CLASSES for link in LINKS)
    assert lan["rx_packets"] == L.N_GUEST + L.N_DEFAULT + L.N_VOIP
    assert lan["rx_packets"] == forwarded + lan["drops"] + final["control"]["handed_to_control"]
    # every drop has its reason, and the shaper and meter drops are the class x link figures
    assert sum(final["drops"].values()) == sum(p["drops"] for p in final["ports"].values())
    eg = [final["classes"][cls]["links"]["lte"] for cls in CLASSES]
    assert final["drops"]["meter_exceed"] == sum(e["meter_exceed_drops"] for e in eg)
    assert final["drops"]["queue_full"] == sum(e["queue_drops"] for e in eg)
    assert final["drops"]["queue_delay"] == sum(e["codel_drops"] for e in eg)
    assert final["drops"]["queue_timeout"] == sum(e["timeout_drops"] for e in eg)
    assert final["mempool"]["in_use"] == 0
