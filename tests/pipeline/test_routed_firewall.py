"""Pipeline tests of the routed links' stateful firewall (`nat: false`): pcap in, pcap out through the real binary.

Nothing is translated: LAN traffic leaves from the host's own address and port, and opens a session (per link)
that lets its replies, echo replies and ICMP errors back in, unchanged but for TTL and MACs. Everything else from
the internet towards the LAN is dropped and counted by reason: TCP/UDP to a port nobody opened, a session opened
on another link, an echo request to a host; an allowed service (a forward on a routed link: the host's own port)
lets in the sources its `from` holds and no others. The edge still answers pings to its own address. With
`firewall: false` the same frames reach the LAN: the drops are the firewall's. LAN frames fit one rx burst (32), so
their sessions exist before the WAN frames are read.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
from scapy.all import ICMP, IP, TCP, UDP, IPerror, UDPerror, Ether  # type: ignore  # noqa: E402
from test_nat import LISTS, by_marker, checksums_ok  # noqa: E402
from test_pipeline import run_wansteer  # noqa: E402

FIBER = T.LINKS["fiber"]["address"]
FAR = "203.0.113.10"
DENIED = "198.51.100.9"
HOST = T.LAN_HOST_IP
SERVICE = "forwards: [{proto: tcp, port: 443, to: 192.168.10.10, from: [203.0.113.0/24]}]"


def wan_to(link: str, fid: int, l4, dst: str = HOST, src: str = FAR):
    return T.wan_eth(link) / IP(src=src, dst=dst, ttl=50) / l4 / T.pad_payload(fid)


def firewall_scenario() -> T.Scenario:
    sc = T.Scenario()
    # From the LAN first: each opens its endpoint on the link it leaves by.
    sc.add("lan", lambda fid: T.udp4(fid, sport=40000), "UDP out", out="fiber")
    sc.add("lan", lambda fid: T.tcp4(fid, sport=40001), "TCP SYN out", out="fiber")
    sc.add("lan", lambda fid: T.lan_eth() / IP(src=HOST, dst=FAR) / ICMP(type=8, id=0x1234, seq=1)
           / T.pad_payload(fid), "ping out", out="fiber")
    sc.add("lan", lambda fid: T.udp4(fid, src=T.GUEST_HOST_IP, sport=40000, vlan=T.GUEST_VLAN), "guest UDP out",
           out="lte")
    # Replies from the internet.
    sc.add("fiber", lambda fid: wan_to("fiber", fid, UDP(sport=53, dport=40000)), "UDP reply", out="lan")
    sc.add("fiber", lambda fid: wan_to("fiber", fid, UDP(sport=5353, dport=40000), src="192.0.2.44"),
           "UDP from another far end to the open endpoint", out="lan")
    sc.add("fiber", lambda fid: wan_to("fiber", fid, TCP(sport=80, dport=40001, flags="SA")), "SYN-ACK", out="lan")
    sc.add("fiber", lambda fid: wan_to("fiber", fid, ICMP(type=0, id=0x1234, seq=1)), "ping reply", out="lan")
    quoted = IP(src=HOST, dst=FAR, ttl=1) / UDP(sport=40000, dport=53) / T.pad_payload(sc.next_id)
    sc.add("fiber", lambda fid: T.wan_eth("fiber") / IP(src="198.51.100.99", dst=HOST) / ICMP(type=3, code=3)
           / IP(bytes(quoted)), "port unreachable about the UDP flow", out="lan", extra={"icmp_error": True})
    sc.add("lte", lambda fid: wan_to("lte", fid, UDP(sport=53, dport=40000), dst=T.GUEST_HOST_IP),
           "guest UDP reply on lte", out="lan")
    # The allowed service: port 443 of the host, from 203.0.113.0/24 only.
    sc.add("fiber", lambda fid: wan_to("fiber", fid, TCP(sport=50000, dport=443, flags="S")), "SYN to the service",
           out="lan")
    sc.add("fiber", lambda fid: wan_to("fiber", fid, TCP(sport=50001, dport=443, flags="S"), src=DENIED),
           "SYN to the service from outside from:", drop="inbound_forward_denied")
    # Unsolicited.
    sc.add("fiber", lambda fid: wan_to("fiber", fid, UDP(sport=53, dport=5555)), "UDP to a port nobody opened",
           drop="firewall_no_session")
    sc.add("fiber", lambda fid: wan_to("fiber", fid, TCP(sport=50002, dport=22, flags="S")), "SYN to ssh",
           drop="firewall_no_session")
    sc.add("fiber", lambda fid: wan_to("fiber", fid, UDP(sport=53, dport=40000), dst=T.GUEST_HOST_IP),
           "guest's port on the link it never used", drop="firewall_no_session")
    sc.add("fiber", lambda fid: wan_to("fiber", fid, ICMP(type=8, id=7, seq=1)), "ping to a LAN host",
           drop="firewall_untracked")
    sc.add("fiber", lambda fid: wan_to("fiber", fid, ICMP(type=8, id=9, seq=1), dst=FIBER), "ping to the edge",
           out="fiber", kind="reply")
    return sc


@pytest.fixture(scope="module")
def fw_run(tmp_path_factory):
    return run_wansteer(tmp_path_factory.mktemp("firewall"), firewall_scenario(), LISTS, nat=False, firewall=True,
                        link_keys={"fiber": SERVICE})


def test_outbound_leaves_untranslated(fw_run):
    out = {**by_marker(fw_run, "fiber"), **by_marker(fw_run, "lte")}
    for f in fw_run.scenario.frames:
        if f.port != "lan":
            continue
        p = out.get(f.fid)
        assert p is not None, f"{f.desc}: not sent"
        sent = Ether(f.data)
        assert p[IP].src == sent[IP].src and p[IP].dst == sent[IP].dst, f.desc
        if UDP in sent or TCP in sent:
            l4 = p[UDP] if UDP in p else p[TCP]
            assert l4.sport == (sent[UDP] if UDP in sent else sent[TCP]).sport, f.desc
        assert checksums_ok(p), f"{f.desc}: a checksum is wrong"


def test_replies_and_the_service_reach_the_lan_unchanged(fw_run):
    lan = by_marker(fw_run, "lan")
    for f in fw_run.scenario.frames:
        if f.port == "lan" or f.out != "lan":
            continue
        p = lan.get(f.fid)
        assert p is not None, f"{f.desc}: not delivered"
        sent = Ether(f.data)
        assert (p[IP].src, p[IP].dst) == (sent[IP].src, sent[IP].dst), f.desc
        assert p[IP].ttl == sent[IP].ttl - 1, f.desc
        assert bytes(p[IP].payload) == bytes(sent[IP].payload), f"{f.desc}: the payload changed"
        assert checksums_ok(p), f"{f.desc}: a checksum is wrong"
    err = next(f for f in fw_run.scenario.frames if f.extra.get("icmp_error"))
    p = lan[err.fid]
    assert p[IPerror].src == HOST and p[UDPerror].sport == 40000


def test_unsolicited_dropped_by_reason_and_counted(fw_run):
    drops = fw_run.final["drops"]
    assert drops.get("firewall_no_session") == 3
    assert drops.get("firewall_untracked") == 1
    assert drops.get("inbound_forward_denied") == 1
    lan = by_marker(fw_run, "lan")
    for f in fw_run.scenario.frames:
        if f.drop:
            assert f.fid not in lan, f"{f.desc} reached the LAN"
    assert fw_run.final["nat"]["forward_hits"] == 1
    # Every WAN frame is either delivered, answered by the edge or dropped with a reason.
    delivered = sum(1 for f in fw_run.scenario.frames if f.port != "lan" and f.out == "lan")
    assert len(fw_run.outputs["lan"]) == delivered


def test_edge_still_answers_pings_to_its_link_address(fw_run):
    f = next(f for f in fw_run.scenario.frames if f.kind == "reply")
    p = by_marker(fw_run, "fiber")[f.fid]
    assert p[ICMP].type == 0 and p[IP].src == FIBER and p[IP].dst == FAR


def test_firewall_false_lets_the_same_frames_in(tmp_path):
    sc = firewall_scenario()
    run = run_wansteer(tmp_path, sc, LISTS, nat=False, firewall=False)
    lan = by_marker(run, "lan")
    for f in sc.frames:
        if f.drop in ("firewall_no_session", "firewall_untracked"):
            assert f.fid in lan, f"{f.desc}: dropped with the firewall off"
    drops = run.final["drops"]
    assert drops.get("firewall_no_session", 0) == 0 and drops.get("firewall_untracked", 0) == 0
