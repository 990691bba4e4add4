"""Pipeline tests of port forwards and hairpinning on a NAT link: pcap in, pcap out through the real binary.

fiber forwards UDP 5060 to the LAN host's 5060, TCP 3389 to its 3390 from 203.0.113.0/24 only, TCP 8000-8010 1:1.
From the internet a forwarded port reaches the LAN host (addresses, ports and every checksum checked), a port not
forwarded stays dropped, a source the forward's `from` leaves out is dropped and counted even while the forward's
session is open; the host's replies leave from the forwarded port; the allocator never hands a forwarded port to
another mapping; LAN packets to the link's address are hairpinned both ways. LAN frames are read before WAN frames
(one rx burst each), so the replies' mappings exist before the inbound frames arrive.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
from scapy.all import IP, TCP, UDP  # type: ignore  # noqa: E402
from test_nat import LISTS, by_marker, checksums_ok, wan_in  # noqa: E402
from test_pipeline import run_wansteer  # noqa: E402

FIBER = T.LINKS["fiber"]["address"]
FAR = "203.0.113.10"   # inside the RDP forward's `from`
DENIED = "198.51.100.9"
HOST = T.LAN_HOST_IP
FORWARDS = ("forwards: [{proto: udp, port: 5060, to: 192.168.10.10},"
            " {proto: tcp, port: 3389, to: \"192.168.10.10:3390\", from: [203.0.113.0/24]},"
            " {proto: tcp, port: 8000-8010, to: 192.168.10.10}]")


def lan_to(fid: int, l4, dst: str = FAR):
    return T.lan_eth() / IP(src=HOST, dst=dst) / l4 / T.pad_payload(fid)


def forwards_scenario() -> T.Scenario:
    sc = T.Scenario()
    # From the LAN (read first): the forwarded host's replies, a mapping that may not take a forwarded port, hairpin.
    sc.add("lan", lambda fid: lan_to(fid, UDP(sport=5060, dport=7000)), "SIP reply", out="fiber",
           extra={"sport": 5060})
    sc.add("lan", lambda fid: lan_to(fid, TCP(sport=3390, dport=50000, flags="SA")), "RDP SYN-ACK", out="fiber",
           extra={"sport": 3389})
    sc.add("lan", lambda fid: lan_to(fid, TCP(sport=3389, dport=443, flags="S")), "own connection from 3389",
           out="fiber", extra={"not_sport": 3389})
    sc.add("lan", lambda fid: lan_to(fid, UDP(sport=45000, dport=5060), dst=FIBER), "hairpin to the SIP forward",
           out="lan", extra={"hairpin": (FIBER, 45000, HOST, 5060)})
    sc.add("lan", lambda fid: lan_to(fid, UDP(sport=5060, dport=45000), dst=FIBER), "hairpin answer", out="lan",
           extra={"hairpin": (FIBER, 5060, HOST, 45000)})
    sc.add("lan", lambda fid: lan_to(fid, UDP(sport=45001, dport=5999), dst=FIBER), "hairpin to nothing",
           drop="inbound_no_session")
    # From the internet.
    sc.add("fiber", lambda fid: wan_in("fiber", fid, UDP(sport=7000, dport=5060)), "SIP to the forward", out="lan",
           extra={"to": 5060, "from": 7000})
    sc.add("fiber", lambda fid: wan_in("fiber", fid, TCP(sport=50000, dport=3389, flags="S")), "RDP SYN", out="lan",
           extra={"to": 3390, "from": 50000})
    sc.add("fiber", lambda fid: wan_in("fiber", fid, TCP(sport=50001, dport=3389, flags="S"), src=DENIED),
           "RDP SYN from outside from:", drop="inbound_forward_denied")
    sc.add("fiber", lambda fid: wan_in("fiber", fid, TCP(sport=50002, dport=8005, flags="S")), "range 8000-8010",
           out="lan", extra={"to": 8005, "from": 50002})
    sc.add("fiber", lambda fid: wan_in("fiber", fid, UDP(sport=7000, dport=5061)), "UDP to a port not forwarded",
           drop="inbound_no_session")
    sc.add("fiber", lambda fid: wan_in("fiber", fid, UDP(sport=7000, dport=3389)), "UDP to a TCP-only forward",
           drop="inbound_no_session")
    return sc


@pytest.fixture(scope="module")
def fwd_run(tmp_path_factory):
    return run_wansteer(tmp_path_factory.mktemp("forwards"), forwards_scenario(), LISTS, nat=True,
                        link_keys={"fiber": FORWARDS})


def l4_of(p):
    return p[UDP] if UDP in p else p[TCP]


def test_inbound_to_a_forward_reaches_the_lan_host(fwd_run):
    lan = by_marker(fwd_run, "lan")
    for f in fwd_run.scenario.frames:
        if f.port != "fiber" or f.out != "lan":
            continue
        p = lan.get(f.fid)
        assert p is not None, f"{f.desc}: not delivered"
        assert p[IP].dst == HOST and p[IP].src == FAR, f.desc
        assert l4_of(p).dport == f.extra["to"] and l4_of(p).sport == f.extra["from"], f.desc
        assert p[T.Ether].dst == T.LAN_HOST_MAC
        assert checksums_ok(p), f"{f.desc}: a checksum is wrong"


def test_replies_leave_from_the_forwarded_port_and_no_mapping_takes_one(fwd_run):
    out = by_marker(fwd_run, "fiber")
    for f in fwd_run.scenario.frames:
        if f.port != "lan" or f.out != "fiber":
            continue
        p = out.get(f.fid)
        assert p is not None, f"{f.desc}: not sent"
        assert p[IP].src == FIBER, f.desc
        assert checksums_ok(p), f"{f.desc}: a checksum is wrong"
        if "sport" in f.extra:
            assert l4_of(p).sport == f.extra["sport"], f.desc
        if "not_sport" in f.extra:
            assert l4_of(p).sport != f.extra["not_sport"], f"{f.desc}: got a forwarded port"
            assert l4_of(p).sport >= 1024


def test_hairpin_both_ways(fwd_run):
    lan = by_marker(fwd_run, "lan")
    hairpinned = [f for f in fwd_run.scenario.frames if "hairpin" in f.extra]
    assert len(hairpinned) == 2
    for f in hairpinned:
        p = lan.get(f.fid)
        assert p is not None, f"{f.desc}: not delivered"
        src, sport, dst, dport = f.extra["hairpin"]
        assert (p[IP].src, l4_of(p).sport, p[IP].dst, l4_of(p).dport) == (src, sport, dst, dport), f.desc
        assert p[T.Ether].dst == T.LAN_HOST_MAC
        assert checksums_ok(p), f"{f.desc}: a checksum is wrong"
        assert p[IP].ttl == 63
    assert fwd_run.final["nat"]["hairpin"] == 2


def test_denied_and_unforwarded_dropped_and_counted(fwd_run):
    drops = fwd_run.final["drops"]
    assert drops.get("inbound_forward_denied") == 1
    assert drops.get("inbound_no_session") == 3
    lan = by_marker(fwd_run, "lan")
    for f in fwd_run.scenario.frames:
        if f.drop:
            assert f.fid not in lan, f"{f.desc} reached the LAN"
    assert fwd_run.final["nat"]["forward_hits"] == 3


def test_forwards_alone_change_nothing_else(tmp_path):
    """The plain NAT scenario through a policy with forwards: the same frames out as without them."""
    from test_nat import nat_scenario
    sc = nat_scenario()
    plain = run_wansteer(tmp_path / "plain", sc, LISTS, nat=True)
    fwd = run_wansteer(tmp_path / "fwd", sc, LISTS, nat=True, link_keys={"fiber": FORWARDS})
    for port in ("fiber", "lte", "lan"):
        assert [bytes(p) for p in plain.outputs[port]] == [bytes(p) for p in fwd.outputs[port]], port
