"""Pipeline test for LAN admission (issue 11): a hostile guest host's tricks through the real binary.

The policy lets guest use fiber only and every other class lte only, so a guest frame that admission let
through and the classifier missed (class default) would leave on lte. Each trick must be dropped under its
own reason and none of them may leave on any port; honest office and guest frames show the route works.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
from scapy.all import IP, UDP, Dot1AD, Dot1Q, Ether  # type: ignore  # noqa: E402
from test_pipeline import run_wansteer  # noqa: E402

LISTS = {"voip": "[lte]", "m365": "[lte]", "payments": "[lte]", "guest": "[fiber]", "bulk": "[lte]",
         "default": "[lte]"}
OTHER_MAC = "02:00:00:00:10:99"  # another LAN host: a port in promiscuous mode sees its frames


def guest_udp(fid: int, src: str = T.GUEST_HOST_IP, dst_mac: str = T.EDGE_LAN_MAC, tags=()):
    """UDP to the internet from the guest host's MAC; tags: (tpid, vlan) outermost first."""
    pkt = Ether(src=T.GUEST_HOST_MAC, dst=dst_mac)
    for tpid, vlan in tags:
        pkt = pkt / (Dot1AD(vlan=vlan) if tpid == 0x88A8 else Dot1Q(vlan=vlan))
    return pkt / IP(src=src, dst="203.0.113.10") / UDP(sport=45000 + fid % 1000, dport=53) / T.pad_payload(fid)


def admission_scenario() -> T.Scenario:
    sc = T.Scenario()
    g = T.GUEST_VLAN
    tricks = [
        ("802.1ad outer 100, guest vlan inner", "qinq_tagged", lambda f: guest_udp(f, tags=((0x88A8, 100), (0x8100, g)))),
        ("802.1q guest vlan twice", "qinq_tagged", lambda f: guest_udp(f, tags=((0x8100, g), (0x8100, g)))),
        ("vlan 30, not configured", "vlan_not_configured", lambda f: guest_udp(f, tags=((0x8100, 30),))),
        ("untagged with a guest-subnet source", "source_not_in_subnet", lambda f: guest_udp(f)),
        ("guest vlan with an office-subnet source", "source_not_in_subnet",
         lambda f: guest_udp(f, src=T.LAN_HOST_IP, tags=((0x8100, g),))),
        ("untagged, source in no lan subnet", "source_not_in_subnet", lambda f: guest_udp(f, src="10.99.0.5")),
        ("guest vlan, source in no lan subnet", "source_not_in_subnet",
         lambda f: guest_udp(f, src="10.99.0.5", tags=((0x8100, g),))),
        ("unicast to another host's mac", "not_our_mac", lambda f: guest_udp(f, src=T.LAN_HOST_IP, dst_mac=OTHER_MAC)),
        ("guest vlan to another host's mac", "not_our_mac",
         lambda f: guest_udp(f, dst_mac=OTHER_MAC, tags=((0x8100, g),))),
        ("udp to the broadcast mac", "lan_multicast",
         lambda f: guest_udp(f, src=T.LAN_HOST_IP, dst_mac="ff:ff:ff:ff:ff:ff")),
        ("udp to a multicast mac", "lan_multicast", lambda f: guest_udp(f, src=T.LAN_HOST_IP, dst_mac="01:00:5e:00:00:fb")),
    ]
    for rep in range(2):  # twice: a second copy must not slip through a flow cached by the first
        for desc, reason, build in tricks:
            sc.add("lan", build, f"{desc} (pass {rep + 1})", drop=reason)
    sc.add("lan", lambda f: T.udp4(f, sport=46001), "honest office udp", out="lte", cls="default")
    sc.add("lan", lambda f: T.udp4(f, src=T.GUEST_HOST_IP, sport=46002, vlan=g), "honest guest udp", out="fiber",
           cls="guest")
    return sc


@pytest.fixture(scope="module")
def admit_run(tmp_path_factory):
    return run_wansteer(tmp_path_factory.mktemp("admit"), admission_scenario(), LISTS)


def test_no_trick_leaves_on_any_port(admit_run):
    occ = admit_run.occurrences()
    leaked = [f"#{f.fid} {f.desc} -> {[p for p, _ in occ[f.fid]]}"
              for f in admit_run.scenario.frames if f.drop and f.fid in occ]
    assert not leaked, "\n".join(leaked)
    assert admit_run.final["classes"]["guest"]["links"].get("lte", {"packets": 0})["packets"] == 0


def test_honest_frames_forwarded(admit_run):
    occ = admit_run.occurrences()
    for f in admit_run.scenario.frames:
        if f.out:
            assert [p for p, _ in occ.get(f.fid, [])] == [f.out], f"#{f.fid} {f.desc}"


def test_each_trick_counted_under_its_reason(admit_run):
    got = {r: n for r, n in admit_run.final["drops"].items() if n}
    assert got == admit_run.scenario.expected_drops()
    assert admit_run.final["mempool"]["in_use"] == 0
