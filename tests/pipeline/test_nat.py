"""Pipeline tests of NAT44 (links with `nat: true`): pcap in, pcap out through the real binary.

LAN traffic leaves from the link's address with the inside port kept when free; replies, ICMP echo replies and
ICMP errors (quoted header too) come back to the LAN host; every checksum is recomputed here and compared; a zero
UDP checksum stays zero; unsolicited WAN traffic is dropped and counted; a full session table and a host at its
cap drop new flows by reason while the mapped ones keep flowing. The LAN frames fit one rx burst (32), so their
sessions exist before the WAN frames are read.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
from scapy.all import ICMP, IP, TCP, UDP, IPerror, UDPerror, Ether  # type: ignore  # noqa: E402
from test_pipeline import run_wansteer  # noqa: E402

FIBER = T.LINKS["fiber"]["address"]
FAR = "203.0.113.10"
LISTS = T.MAIN_POLICY_LISTS  # default and voip on fiber; guest (VLAN 20) on lte only


def wan_in(link: str, fid: int, l4, src: str = FAR, dst: str | None = None):
    return T.wan_eth(link) / IP(src=src, dst=dst or T.LINKS[link]["address"]) / l4 / T.pad_payload(fid)


def nat_scenario() -> T.Scenario:
    sc = T.Scenario()
    sc.add("lan", lambda fid: T.udp4(fid, sport=40000), "UDP out", out="fiber", extra={"sport": 40000})
    sc.add("lan", lambda fid: T.tcp4(fid, sport=40001), "TCP SYN out", out="fiber", extra={"sport": 40001})
    zero = sc.add("lan", lambda fid: T.udp4(fid, sport=40002), "UDP out, no checksum", out="fiber",
                  extra={"sport": 40002})
    raw = bytearray(zero.data)
    raw[14 + 20 + 6:14 + 20 + 8] = b"\x00\x00"  # UDP checksum 0: "none"
    zero.data = bytes(raw)
    sc.add("lan", lambda fid: T.lan_eth() / IP(src=T.LAN_HOST_IP, dst=FAR) / ICMP(type=8, id=0x1234, seq=1)
           / T.pad_payload(fid), "ping out", out="fiber", extra={"icmp_id": 0x1234})
    sc.add("lan", lambda fid: T.udp4(fid, src=T.GUEST_HOST_IP, sport=40000, vlan=T.GUEST_VLAN), "guest UDP out",
           out="lte", extra={"sport": 40000})
    # From the internet: replies to those sessions, an ICMP error about the first datagram, strays.
    sc.add("fiber", lambda fid: wan_in("fiber", fid, UDP(sport=53, dport=40000)), "UDP reply", out="lan",
           extra={"to_port": 40000})
    sc.add("fiber", lambda fid: wan_in("fiber", fid, TCP(sport=80, dport=40001, flags="SA")), "SYN-ACK", out="lan",
           extra={"to_port": 40001})
    sc.add("fiber", lambda fid: wan_in("fiber", fid, ICMP(type=0, id=0x1234, seq=1)), "ping reply", out="lan")
    quoted = IP(src=FIBER, dst=FAR, ttl=1) / UDP(sport=40000, dport=53) / T.pad_payload(sc.next_id)
    sc.add("fiber", lambda fid: T.wan_eth("fiber") / IP(src="198.51.100.99", dst=FIBER) / ICMP(type=3, code=3)
           / IP(bytes(quoted)), "port unreachable about the UDP flow", out="lan", extra={"icmp_error": True})
    sc.add("fiber", lambda fid: wan_in("fiber", fid, UDP(sport=53, dport=5555)), "UDP to no session",
           drop="inbound_no_session")
    sc.add("fiber", lambda fid: wan_in("fiber", fid, UDP(sport=53, dport=40000), dst=T.LAN_HOST_IP),
           "UDP straight to a LAN host", drop="inbound_unsolicited")
    sc.add("fiber", lambda fid: wan_in("fiber", fid, ICMP(type=8, id=7, seq=1)), "ping to the edge", out="fiber",
           kind="reply")
    return sc


def recomputed(pkt: Ether) -> IP:
    """The packet's IP layer with every checksum computed afresh by scapy."""
    ip = IP(bytes(pkt[IP]))
    del ip.chksum
    for layer in (TCP, UDP, ICMP):
        if layer in ip and not (layer is UDP and ip[UDP].chksum == 0):
            del ip[layer].chksum
    return IP(bytes(ip))


def checksums_ok(pkt: Ether) -> bool:
    return bytes(recomputed(pkt)) == bytes(pkt[IP])


def by_marker(run, port: str) -> dict[int, Ether]:
    return {fid: p for p in run.outputs[port] for fid in T.find_markers(bytes(p))}


def by_flow(run, port: str) -> dict[tuple, list[bytes]]:
    """The frames a port sent, by flow (addresses, protocol, ports or ICMP identifier), each flow's in the order
    sent: the order the lanes keep. Packets of different flows may change places within a burst (the lanes take
    TCP before UDP, and leave exceptions to the general path after their burst: dataplane/fast_lane.hpp)."""
    flows: dict[tuple, list[bytes]] = {}
    for p in run.outputs[port]:
        ip = Ether(bytes(p)).getlayer(IP)
        key = ("not IPv4",)
        if ip is not None:
            l4 = ip.payload
            key = (ip.src, ip.dst, ip.proto, getattr(l4, "sport", None), getattr(l4, "dport", None),
                   getattr(l4, "id", None))
        flows.setdefault(key, []).append(bytes(p))
    return flows


@pytest.fixture(scope="module")
def nat_run(tmp_path_factory):
    return run_wansteer(tmp_path_factory.mktemp("nat"), nat_scenario(), LISTS, nat=True)


def test_outbound_translated_to_the_link_address_ports_kept(nat_run):
    out = {**by_marker(nat_run, "fiber"), **by_marker(nat_run, "lte")}
    for f in nat_run.scenario.frames:
        if f.port != "lan":
            continue
        p = out.get(f.fid)
        assert p is not None, f"{f.desc}: not sent"
        assert p[IP].src == T.LINKS[f.out]["address"], f.desc
        assert checksums_ok(p), f"{f.desc}: a checksum is wrong"
        if "sport" in f.extra:
            l4 = p[UDP] if UDP in p else p[TCP]
            assert l4.sport == f.extra["sport"], f"{f.desc}: port not preserved"
        if "icmp_id" in f.extra:
            assert p[ICMP].id == f.extra["icmp_id"]
    zero = next(f for f in nat_run.scenario.frames if "no checksum" in f.desc)
    assert out[zero.fid][UDP].chksum == 0, "a UDP datagram sent without a checksum must stay without one"


def test_inbound_replies_reach_the_lan_host(nat_run):
    lan = by_marker(nat_run, "lan")
    for f in nat_run.scenario.frames:
        if f.port == "lan" or f.out != "lan":
            continue
        p = lan.get(f.fid)
        assert p is not None, f"{f.desc}: not delivered"
        assert p[IP].dst == T.LAN_HOST_IP, f.desc
        assert p[Ether].dst == T.LAN_HOST_MAC
        assert checksums_ok(p), f"{f.desc}: a checksum is wrong"
        if "to_port" in f.extra:
            assert (p[UDP] if UDP in p else p[TCP]).dport == f.extra["to_port"]


def test_icmp_error_translated_with_its_quoted_header(nat_run):
    f = next(f for f in nat_run.scenario.frames if f.extra.get("icmp_error"))
    p = by_marker(nat_run, "lan")[f.fid]
    assert p[IP].dst == T.LAN_HOST_IP
    assert p[IPerror].src == T.LAN_HOST_IP and p[UDPerror].sport == 40000
    assert checksums_ok(p)
    inner = IP(bytes(p[IPerror]))
    assert bytes(recomputed(Ether() / inner)) == bytes(inner), "quoted header or its UDP checksum not updated"


def test_unsolicited_inbound_dropped_and_counted(nat_run):
    drops = nat_run.final["drops"]
    assert drops.get("inbound_no_session") == 1
    assert drops.get("inbound_unsolicited") == 1
    lan = by_marker(nat_run, "lan")
    for f in nat_run.scenario.frames:
        if f.drop:
            assert f.fid not in lan, f"{f.desc} reached the LAN"


def test_edge_still_answers_pings_to_its_link_address(nat_run):
    f = next(f for f in nat_run.scenario.frames if f.kind == "reply")
    p = by_marker(nat_run, "fiber")[f.fid]
    assert p[ICMP].type == 0 and p[IP].src == FIBER and p[IP].dst == FAR


def exhaustion_scenario() -> T.Scenario:
    sc = T.Scenario()
    for i in range(4):  # the host's cap is 3: the 4th flow fails
        sc.add("lan", lambda fid, i=i: T.udp4(fid, sport=41000 + i), f"flow {i}", out="fiber" if i < 3 else None,
               drop=None if i < 3 else "nat_host_limit")
    sc.add("lan", lambda fid: T.udp4(fid, sport=41000), "mapped flow again", out="fiber")
    sc.add("lan", lambda fid: T.udp4(fid, src=T.GUEST_HOST_IP, sport=41000, vlan=T.GUEST_VLAN), "guest flow",
           out="lte")
    sc.add("lan", lambda fid: T.udp4(fid, src=T.GUEST_HOST_IP, sport=41001, vlan=T.GUEST_VLAN),
           "guest flow, table full", drop="nat_table_full")
    return sc


def test_full_table_and_host_cap_drop_new_flows_only(tmp_path):
    run = run_wansteer(tmp_path, exhaustion_scenario(), LISTS, nat=True,
                       policy_extra="nat: {sessions: 4, per_host: 3}\n")
    out = {**by_marker(run, "fiber"), **by_marker(run, "lte")}
    for f in run.scenario.frames:
        assert (f.fid in out) == (f.out is not None), f.desc
    drops = run.final["drops"]
    assert drops.get("nat_host_limit") == 1
    assert drops.get("nat_table_full") == 1
    guest = next(f for f in run.scenario.frames if f.desc == "guest flow")
    assert out[guest.fid][UDP].sport == 41000  # the guest's own port: per link, another link's mapping is apart


def test_fast_lane_translates_as_the_general_path_does(tmp_path):
    sc = T.main_scenario()
    fast = run_wansteer(tmp_path / "fast", sc, LISTS, nat=True)
    general = run_wansteer(tmp_path / "general", sc, LISTS, ("--no-fast-lane",), nat=True)
    assert fast.final["flows"]["fast_lane"] > 0, "the fast lane forwarded nothing: the test would prove nothing"
    for port in ("fiber", "lte", "lan"):
        assert by_flow(fast, port) == by_flow(general, port), port
    assert fast.final["drops"] == general.final["drops"]


def test_wan_fast_lane_translates_replies_as_the_general_path_does(tmp_path, nat_run):
    general = run_wansteer(tmp_path, nat_scenario(), LISTS, ("--no-fast-lane",), nat=True)
    assert nat_run.final["flows"]["wan_fast_lane"] >= 2, "the UDP reply and the SYN-ACK take the WAN fast lane"
    assert general.final["flows"]["wan_fast_lane"] == 0
    for port in ("fiber", "lte", "lan"):
        assert by_flow(nat_run, port) == by_flow(general, port), port
    assert nat_run.final["drops"] == general.final["drops"]
    assert nat_run.final["ports"] == general.final["ports"]
