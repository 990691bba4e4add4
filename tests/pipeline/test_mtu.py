"""Pipeline tests of the link MTU and TCP MSS clamping (`mtu: 1300, fragment: false` on both links, NAT on, mss_clamp
by default; fragmenting, the default, is test_fragment.py's).

A 1400-byte DF packet is not sent: the LAN host gets ICMP fragmentation needed (type 3 code 4) with next-hop MTU
1300, quoting its own header as it sent it (its address, not the link's: the check comes before NAT); without DF
it is dropped and counted (`fragment: false`); a small packet passes untouched but for TTL and MACs; a SYN with MSS 1460 leaves with
MSS 1260 and a valid checksum, and its SYN-ACK from the internet reaches the LAN host clamped too. The LAN frames fit
one rx burst, so the sessions exist before the WAN frames are read.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
from scapy.all import ICMP, IP, TCP, UDP, IPerror, UDPerror  # type: ignore  # noqa: E402
from test_nat import by_marker, checksums_ok  # noqa: E402
from test_pipeline import run_wansteer  # noqa: E402

FIBER = T.LINKS["fiber"]["address"]
FAR = "203.0.113.10"
MTU = 1300


def big_udp(fid: int, df: bool, sport: int):
    ip = IP(src=T.LAN_HOST_IP, dst=FAR, flags="DF" if df else 0)
    return T.lan_eth() / ip / UDP(sport=sport, dport=53) / T.pad_payload(fid, 1400 - 28)


def mtu_scenario() -> T.Scenario:
    sc = T.Scenario()
    sc.add("lan", lambda fid: big_udp(fid, True, 40010), "1400 bytes, DF", out="lan", drop="too_big_df",
           extra={"frag_needed": True})
    sc.add("lan", lambda fid: big_udp(fid, False, 40011), "1400 bytes, no DF", drop="too_big_nodf")
    sc.add("lan", lambda fid: T.udp4(fid, sport=40012), "small", out="fiber", extra={"small": True})
    sc.add("lan", lambda fid: T.lan_eth() / IP(src=T.LAN_HOST_IP, dst=FAR, flags="DF")
           / TCP(sport=40013, dport=80, flags="S", options=[("MSS", 1460), ("NOP", None), ("WScale", 7)])
           / T.pad_payload(fid), "SYN, MSS 1460", out="fiber", extra={"mss": 1260})
    sc.add("lan", lambda fid: T.lan_eth() / IP(src=T.LAN_HOST_IP, dst=FAR)
           / TCP(sport=40014, dport=80, flags="S", options=[("MSS", 1200)]) / T.pad_payload(fid),
           "SYN, MSS 1200", out="fiber", extra={"mss": 1200})
    sc.add("fiber", lambda fid: T.wan_eth("fiber") / IP(src=FAR, dst=FIBER)
           / TCP(sport=80, dport=40013, flags="SA", options=[("NOP", None), ("MSS", 1460)]) / T.pad_payload(fid),
           "SYN-ACK, MSS 1460", out="lan", extra={"mss": 1260})
    return sc


@pytest.fixture(scope="module")
def mtu_run(tmp_path_factory):
    return run_wansteer(tmp_path_factory.mktemp("mtu"), mtu_scenario(), T.MAIN_POLICY_LISTS, nat=True,
                        link_keys=f", mtu: {MTU}, fragment: false")


def frame(run, desc: str) -> T.Frame:
    return next(f for f in run.scenario.frames if f.desc == desc)


def test_df_packet_over_the_mtu_gets_fragmentation_needed(mtu_run):
    f = frame(mtu_run, "1400 bytes, DF")
    assert f.fid not in by_marker(mtu_run, "fiber"), "a packet over the link MTU was sent"
    p = by_marker(mtu_run, "lan").get(f.fid)
    assert p is not None, "no ICMP error came back to the LAN host"
    assert p[IP].src == T.EDGE_LAN_IP and p[IP].dst == T.LAN_HOST_IP
    assert p[ICMP].type == 3 and p[ICMP].code == 4
    assert p[ICMP].nexthopmtu == MTU
    assert checksums_ok(p)
    sent = IP(f.data[14:])
    assert p[IPerror].src == T.LAN_HOST_IP, "the quote must show the packet before NAT"
    assert bytes(p[IPerror])[:28] == bytes(sent)[:28], "the quote is not the header + 8 bytes the host sent"
    assert p[UDPerror].sport == 40010


def test_oversize_drops_counted_by_reason(mtu_run):
    drops = mtu_run.final["drops"]
    assert drops.get("too_big_df") == 1
    assert drops.get("too_big_nodf") == 1
    f = frame(mtu_run, "1400 bytes, no DF")
    assert f.fid not in by_marker(mtu_run, "fiber") and f.fid not in by_marker(mtu_run, "lan")
    assert mtu_run.final["control"]["icmp_errors_sent"] == 1


def test_small_packet_passes_untouched(mtu_run):
    f = frame(mtu_run, "small")
    p = by_marker(mtu_run, "fiber")[f.fid]
    sent = IP(f.data[14:])
    assert len(p[IP]) == len(sent)
    assert p[IP].ttl == sent.ttl - 1
    assert bytes(p[UDP].payload) == bytes(sent[UDP].payload)
    assert checksums_ok(p)


def test_syn_mss_clamped_both_ways_with_valid_checksums(mtu_run):
    out = {**by_marker(mtu_run, "fiber"), **by_marker(mtu_run, "lan")}
    for f in mtu_run.scenario.frames:
        if "mss" not in f.extra:
            continue
        p = out.get(f.fid)
        assert p is not None, f"{f.desc}: not forwarded"
        assert dict(p[TCP].options)["MSS"] == f.extra["mss"], f.desc
        assert checksums_ok(p), f"{f.desc}: a checksum is wrong"
    syn = frame(mtu_run, "SYN, MSS 1460")
    assert dict(out[syn.fid][TCP].options)["WScale"] == 7, "other options must stay"
    assert mtu_run.final["tcp"]["mss_clamped"] == 2
