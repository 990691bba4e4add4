"""Scapy frame builders for the pipeline tests and the benchmark: every frame with its expected fate.

Each test frame carries a payload marker b"WSTM<id>." so it can be found in any output pcap whatever
the data plane rewrote in front of it. Frames are deterministic (fixed addresses, ports, ids).
Used by tests/pipeline/test_pipeline.py and bench/gen_mix.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from scapy.all import (  # type: ignore
    ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_NOP, IPv6, IPv6ExtHdrHopByHop, Raw,
)
from scapy.utils import PcapReader  # type: ignore

# --- addressing shared with policy_template.yaml -------------------------------------------------
LAN_HOST_MAC = "02:00:00:00:10:10"
LAN_HOST_IP = "192.168.10.10"
LAN_HOST_IP6 = "2001:db8:10::10"
GUEST_HOST_MAC = "02:00:00:00:20:50"
GUEST_HOST_IP = "192.168.20.50"
GUEST_VLAN = 20
EDGE_LAN_IP = "192.168.10.1"
EDGE_GUEST_IP = "192.168.20.1"
# net_pcap ports get 02:70:63:61:70:<port id> ("pcap"); the edge's real MACs are read from the
# daemon when it exposes them, these are only used as destination MAC of the input frames.
PCAP_MAC_BASE = "02:70:63:61:70:%02x"
EDGE_LAN_MAC = PCAP_MAC_BASE % 0

LINKS = {
    "fiber": {"address": "100.64.1.2", "gateway": "100.64.1.1", "gateway_mac": "02:00:00:00:01:01",
              "port_mac_guess": PCAP_MAC_BASE % 1},
    "lte": {"address": "100.64.2.2", "gateway": "100.64.2.1", "gateway_mac": "02:00:00:00:02:01",
            "port_mac_guess": PCAP_MAC_BASE % 2},
}

MARKER_RE = re.compile(rb"WSTM(\d{5})\.")


def marker(fid: int) -> bytes:
    return b"WSTM%05d." % fid


def find_markers(raw: bytes) -> list[int]:
    return [int(m.group(1)) for m in MARKER_RE.finditer(raw)]


@dataclass
class Frame:
    """One input frame and what must become of it."""
    fid: int
    port: str                      # input port: "lan", "fiber" or "lte"
    data: bytes                    # exact bytes written to the input pcap
    desc: str
    out: Optional[str] = None      # output port where its marker must appear, None = dropped
    cls: Optional[str] = None      # expected class (LAN -> WAN only)
    drop: Optional[str] = None     # expected drop reason (None = forwarded or answered)
    kind: str = "forward"          # forward | reply (ARP/ICMP answered by the edge) | malformed
    has_marker: bool = True
    extra: dict = field(default_factory=dict)


class Scenario:
    """Accumulates frames per input port, numbering them; writes the input pcaps."""

    def __init__(self, first_id: int = 1):
        self.frames: list[Frame] = []
        self.next_id = first_id

    def _id(self) -> int:
        fid = self.next_id
        self.next_id += 1
        return fid

    def add(self, port: str, build, desc: str, **kw) -> Frame:
        """build(fid) returns a scapy packet or raw bytes; the frame id is assigned here."""
        fid = self._id()
        pkt = build(fid)
        data = bytes(pkt)
        has_marker = marker(fid) in data
        f = Frame(fid=fid, port=port, data=data, desc=desc, has_marker=has_marker, **kw)
        self.frames.append(f)
        return f

    def on(self, port: str) -> list[Frame]:
        return [f for f in self.frames if f.port == port]

    def write(self, directory, ports=("lan", "fiber", "lte")) -> dict[str, int]:
        counts = {}
        for p in ports:
            frames = self.on(p)
            path = f"{directory}/{p}_in.pcap"
            # Exact bytes, no scapy re-dissection (it could "repair" the malformed frames).
            write_raw_pcap(path, [f.data for f in frames])
            counts[p] = len(frames)
        return counts

    def expected_drops(self) -> dict[str, int]:
        d: dict[str, int] = {}
        for f in self.frames:
            if f.drop:
                d[f.drop] = d.get(f.drop, 0) + 1
        return d


def write_raw_pcap(path: str, raws: list[bytes]) -> None:
    """Writes a classic pcap (Ethernet link type) holding exactly these frames; [] = valid empty pcap."""
    import struct
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, raw in enumerate(raws):
            fh.write(struct.pack("<IIII", 1700000000, i, len(raw), len(raw)))
            fh.write(raw)


def read_pcap(path: str) -> list[Ether]:
    try:
        with PcapReader(path) as r:
            return [p for p in r]
    except FileNotFoundError:
        return []


# --- frame builders ------------------------------------------------------------------------------

def lan_eth(vlan: int = 0, src_mac: str = LAN_HOST_MAC):
    e = Ether(src=src_mac, dst=EDGE_LAN_MAC)
    return e / Dot1Q(vlan=vlan) if vlan else e


def wan_eth(link: str, src_mac: Optional[str] = None):
    info = LINKS[link]
    return Ether(src=src_mac or info["gateway_mac"], dst=info["port_mac_guess"])


def pad_payload(fid: int, size: int = 0) -> Raw:
    m = marker(fid)
    return Raw(m + b"x" * max(0, size - len(m)))


def udp4(fid, src=LAN_HOST_IP, dst="203.0.113.10", sport=40000, dport=53, ttl=64, tos=0, vlan=0):
    return lan_eth(vlan) / IP(src=src, dst=dst, ttl=ttl, tos=tos) / UDP(sport=sport, dport=dport) / pad_payload(fid)


def tcp4(fid, src=LAN_HOST_IP, dst="203.0.113.10", sport=40000, dport=80, ttl=64, tos=0, vlan=0):
    return (lan_eth(vlan) / IP(src=src, dst=dst, ttl=ttl, tos=tos)
            / TCP(sport=sport, dport=dport, flags="S", seq=1000 + fid) / pad_payload(fid))


def udp6(fid, src=LAN_HOST_IP6, dst="2001:db8:ffff::1", sport=40000, dport=53, hlim=64):
    return lan_eth() / IPv6(src=src, dst=dst, hlim=hlim) / UDP(sport=sport, dport=dport) / pad_payload(fid)


def tcp6(fid, src=LAN_HOST_IP6, dst="2001:db8:ffff::1", sport=40000, dport=80, hlim=64):
    return (lan_eth() / IPv6(src=src, dst=dst, hlim=hlim)
            / TCP(sport=sport, dport=dport, flags="S") / pad_payload(fid))


# --- the main scenario ---------------------------------------------------------------------------

def classification_frames(sc: Scenario, links: dict[str, str], sport_base: int = 41000) -> None:
    """LAN -> WAN frames, one per rule edge; links maps class -> link expected to carry it.

    Everything is sent twice (second pass hits the flow cache and must go the same way)."""
    cases = [
        # (desc, class, builder)
        ("udp 5060 sip", "voip", lambda f, s: udp4(f, sport=s, dport=5060)),
        ("udp 5061 sip-tls", "voip", lambda f, s: udp4(f, sport=s, dport=5061)),
        ("udp 16384 rtp low edge", "voip", lambda f, s: udp4(f, sport=s, dport=16384)),
        ("udp 32767 rtp high edge", "voip", lambda f, s: udp4(f, sport=s, dport=32767)),
        ("udp 16383 below rtp range", "default", lambda f, s: udp4(f, sport=s, dport=16383)),
        ("udp 32768 above rtp range", "default", lambda f, s: udp4(f, sport=s, dport=32768)),
        ("tcp 5060 (rule is udp only)", "default", lambda f, s: tcp4(f, sport=s, dport=5060)),
        ("tcp 8080 dscp ef", "voip", lambda f, s: tcp4(f, sport=s, dport=8080, tos=46 << 2)),
        ("tcp 8080 dscp af41", "default", lambda f, s: tcp4(f, sport=s, dport=8080, tos=34 << 2)),
        ("tcp 443 m365 52.97.1.1", "m365", lambda f, s: tcp4(f, sport=s, dport=443, dst="52.97.1.1")),
        ("tcp 443 m365 13.107.6.153", "m365", lambda f, s: tcp4(f, sport=s, dport=443, dst="13.107.6.153")),
        ("tcp 443 13.107.6.154 outside /31", "default", lambda f, s: tcp4(f, sport=s, dport=443, dst="13.107.6.154")),
        ("tcp 443 payments 198.51.100.16", "payments", lambda f, s: tcp4(f, sport=s, dport=443, dst="198.51.100.16")),
        ("tcp 443 payments 198.51.100.31", "payments", lambda f, s: tcp4(f, sport=s, dport=443, dst="198.51.100.31")),
        ("tcp 443 198.51.100.32 outside /28", "default", lambda f, s: tcp4(f, sport=s, dport=443, dst="198.51.100.32")),
        ("udp 443 payments dst (rule is tcp)", "default", lambda f, s: udp4(f, sport=s, dport=443, dst="198.51.100.20")),
        ("tcp 873 rsync bulk", "bulk", lambda f, s: tcp4(f, sport=s, dport=873)),
        ("guest vlan 20 tcp 80", "guest", lambda f, s: tcp4(f, src=GUEST_HOST_IP, sport=s, dport=80, vlan=GUEST_VLAN)),
        ("guest vlan 20 udp 5060 (guest rule first)", "guest",
         lambda f, s: udp4(f, src=GUEST_HOST_IP, sport=s, dport=5060, vlan=GUEST_VLAN)),
        ("udp 53 dns", "default", lambda f, s: udp4(f, sport=s, dport=53, dst="9.9.9.9")),
        ("tcp 80 ttl 2 (leaves with ttl 1)", "default", lambda f, s: tcp4(f, sport=s, dport=80, ttl=2)),
        ("udp 53 with ipv4 options (ihl 6)", "default",
         lambda f, s: lan_eth() / IP(src=LAN_HOST_IP, dst="9.9.9.9", options=[IPOption_NOP()] * 4)
         / UDP(sport=s, dport=53) / pad_payload(f)),
        ("ipv6 udp 5060", "voip", lambda f, s: udp6(f, sport=s, dport=5060)),
        ("ipv6 tcp 80", "default", lambda f, s: tcp6(f, sport=s, dport=80)),
        ("ipv6 hop-by-hop then udp 5060", "voip",
         lambda f, s: lan_eth() / IPv6(src=LAN_HOST_IP6, dst="2001:db8:ffff::2") / IPv6ExtHdrHopByHop()
         / UDP(sport=s, dport=5060) / pad_payload(f)),
        ("ipv6 hlim 2 (leaves with 1)", "default", lambda f, s: udp6(f, sport=s, dport=9999, hlim=2)),
    ]
    for rep in range(2):
        for i, (desc, cls, build) in enumerate(cases):
            sport = sport_base + i
            sc.add("lan", lambda fid, b=build, s=sport: b(fid, s), f"{desc} (pass {rep + 1})",
                   out=links[cls], cls=cls)


def ttl_expired_frames(sc: Scenario) -> None:
    """Expiring at the edge: dropped and counted, and IPv4 answered with a time exceeded from the address of the
    interface it came in on (extra: te_from), back out its input port on its VLAN (te_vlan)."""
    lan = {"te_from": EDGE_LAN_IP, "te_vlan": 0}
    sc.add("lan", lambda f: udp4(f, dport=33434, ttl=1), "ipv4 ttl 1 (traceroute)", drop="ttl_expired", extra=lan)
    sc.add("lan", lambda f: tcp4(f, dport=443, dst="52.97.1.1", ttl=1), "ipv4 ttl 1 m365", drop="ttl_expired",
           extra=lan)
    sc.add("lan", lambda f: udp4(f, src=GUEST_HOST_IP, dport=33435, ttl=1, vlan=GUEST_VLAN), "guest ipv4 ttl 1",
           drop="ttl_expired", extra={"te_from": EDGE_GUEST_IP, "te_vlan": GUEST_VLAN})
    sc.add("lan", lambda f: udp6(f, dport=5060, hlim=1), "ipv6 hop limit 1", drop="ttl_expired")


def _ip_bytes(fid, **kw):
    return bytes(IP(src=LAN_HOST_IP, dst="203.0.113.10", **kw) / UDP(sport=42000, dport=53) / pad_payload(fid))


def _ipv4_bad_checksum(fid):
    raw = bytearray(_ip_bytes(fid))
    raw[10] ^= 0x5A  # flip checksum bits: header no longer sums to 0xffff
    return bytes(Ether(src=LAN_HOST_MAC, dst=EDGE_LAN_MAC, type=0x0800)) + bytes(raw)


def malformed_frames(sc: Scenario) -> None:
    eth = lambda t: bytes(Ether(src=LAN_HOST_MAC, dst=EDGE_LAN_MAC, type=t))  # noqa: E731
    m = lambda desc, reason, build: sc.add("lan", build, desc, drop=reason, kind="malformed")  # noqa: E731

    m("10-byte frame", "truncated_ethernet", lambda f: eth(0x0800)[:10])
    m("vlan tag cut short", "truncated_vlan", lambda f: eth(0x8100) + b"\x00")
    m("three vlan tags", "too_many_vlans",
      lambda f: lan_eth() / Dot1Q(vlan=20) / Dot1Q(vlan=30) / Dot1Q(vlan=40)
      / IP(src=LAN_HOST_IP, dst="203.0.113.10") / UDP(sport=42001, dport=53) / pad_payload(f))
    m("lldp ethertype", "unsupported_ethertype", lambda f: eth(0x88CC) + marker(f) + b"\x00" * 40)
    m("arp cut short", "truncated_arp", lambda f: eth(0x0806) + bytes(ARP(pdst=EDGE_LAN_IP))[:12])
    m("ipv4 header cut at 12 bytes", "truncated_ipv4", lambda f: eth(0x0800) + _ip_bytes(f)[:12])
    m("ipv4 version 5", "bad_ipv4_version",
      lambda f: eth(0x0800) + _ip_bytes(f, version=5))
    m("ipv4 ihl 4", "bad_ipv4_header_length", lambda f: eth(0x0800) + _ip_bytes(f, ihl=4))
    m("ipv4 ihl 15 beyond frame", "bad_ipv4_header_length",
      lambda f: eth(0x0800) + _ip_bytes(f, ihl=15)[:40])
    m("ipv4 bad checksum", "bad_ipv4_checksum", _ipv4_bad_checksum)
    m("ipv4 total length beyond frame", "bad_ipv4_total_length",
      lambda f: eth(0x0800) + _ip_bytes(f, len=1000))
    m("ipv4 total length below header", "bad_ipv4_total_length",
      lambda f: eth(0x0800) + _ip_bytes(f, len=16))
    m("udp header cut short", "truncated_l4",
      lambda f: eth(0x0800) + bytes(IP(src=LAN_HOST_IP, dst="203.0.113.10", proto=17) / Raw(b"\x9c\x40\x00")))
    m("tcp header cut short", "truncated_l4",
      lambda f: eth(0x0800) + bytes(IP(src=LAN_HOST_IP, dst="203.0.113.10", proto=6)
                                    / Raw(bytes(TCP(sport=42002, dport=80))[:10])))
    m("tcp data offset 4", "bad_tcp_header_length",
      lambda f: lan_eth() / IP(src=LAN_HOST_IP, dst="203.0.113.10") / TCP(sport=42003, dport=80, dataofs=4)
      / pad_payload(f))
    m("tcp data offset 15 beyond packet", "bad_tcp_header_length",
      lambda f: lan_eth() / IP(src=LAN_HOST_IP, dst="203.0.113.10") / TCP(sport=42004, dport=80, dataofs=15)
      / pad_payload(f))
    m("ipv6 header cut at 20 bytes", "truncated_ipv6",
      lambda f: eth(0x86DD) + bytes(IPv6(src=LAN_HOST_IP6, dst="2001:db8:ffff::1"))[:20])
    m("ipv6 version 4", "bad_ipv6_version",
      lambda f: eth(0x86DD) + bytes(IPv6(version=4, src=LAN_HOST_IP6, dst="2001:db8:ffff::1")
                                    / UDP(sport=42005, dport=53) / pad_payload(f)))
    m("ipv6 payload length beyond frame", "bad_ipv6_payload_length",
      lambda f: eth(0x86DD) + bytes(IPv6(plen=400, src=LAN_HOST_IP6, dst="2001:db8:ffff::1")
                                    / UDP(sport=42006, dport=53) / pad_payload(f)))
    # hop-by-hop header claiming (50+1)*8 bytes while the payload is 24 bytes
    m("ipv6 extension header runs past payload", "bad_ipv6_extension",
      lambda f: eth(0x86DD) + bytes(IPv6(nh=0, src=LAN_HOST_IP6, dst="2001:db8:ffff::1")
                                    / Raw(bytes([17, 50]) + b"\x01\x04\x00\x00\x00\x00" + marker(f) + b"abcdef")))
    m("ipv6 tcp header cut short", "truncated_l4",
      lambda f: eth(0x86DD) + bytes(IPv6(nh=6, src=LAN_HOST_IP6, dst="2001:db8:ffff::1")
                                    / Raw(bytes(TCP(sport=42007, dport=80))[:10])))


def lan_local_frames(sc: Scenario) -> None:
    """Frames on the LAN addressed to the edge itself, or LAN-to-LAN."""
    sc.add("lan", lambda f: Ether(src=LAN_HOST_MAC, dst="ff:ff:ff:ff:ff:ff")
           / ARP(op=1, hwsrc=LAN_HOST_MAC, psrc=LAN_HOST_IP, pdst=EDGE_LAN_IP),
           "arp who-has edge lan address", out="lan", kind="reply",
           extra={"arp_for": EDGE_LAN_IP, "asker_ip": LAN_HOST_IP, "asker_mac": LAN_HOST_MAC, "vlan": 0})
    sc.add("lan", lambda f: Ether(src=GUEST_HOST_MAC, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=GUEST_VLAN)
           / ARP(op=1, hwsrc=GUEST_HOST_MAC, psrc=GUEST_HOST_IP, pdst=EDGE_GUEST_IP),
           "arp who-has edge guest address on vlan 20", out="lan", kind="reply",
           extra={"arp_for": EDGE_GUEST_IP, "asker_ip": GUEST_HOST_IP, "asker_mac": GUEST_HOST_MAC,
                  "vlan": GUEST_VLAN})
    sc.add("lan", lambda f: lan_eth() / IP(src=LAN_HOST_IP, dst=EDGE_LAN_IP) / ICMP(type=8, id=0x77, seq=f)
           / pad_payload(f),
           "icmp echo to edge lan address", out="lan", kind="reply",
           extra={"echo_to": EDGE_LAN_IP, "asker_ip": LAN_HOST_IP, "asker_mac": LAN_HOST_MAC})
    sc.add("lan", lambda f: udp4(f, dst=EDGE_LAN_IP, dport=9), "udp to edge lan address",
           drop="not_for_us")
    # The edge's WAN addresses are the edge's too: answered on the LAN, never routed to the ISP.
    for link in ("fiber", "lte"):
        wan_ip = LINKS[link]["address"]
        sc.add("lan", lambda f, a=wan_ip: lan_eth() / IP(src=LAN_HOST_IP, dst=a) / ICMP(type=8, id=0x78, seq=f)
               / pad_payload(f),
               f"icmp echo from the lan to the {link} address", out="lan", kind="reply",
               extra={"echo_to": wan_ip, "asker_ip": LAN_HOST_IP, "asker_mac": LAN_HOST_MAC})
        sc.add("lan", lambda f, a=wan_ip: udp4(f, dst=a, dport=9), f"udp from the lan to the {link} address",
               drop="not_for_us")
    sc.add("lan", lambda f: udp4(f, dst="192.168.10.20", dport=9), "lan to lan via edge",
           drop="lan_hairpin")


def wan_frames(sc: Scenario) -> None:
    """WAN -> LAN return traffic and frames for the edge's WAN addresses."""
    g = LINKS["fiber"]
    sc.add("fiber", lambda f: wan_eth("fiber") / IP(src="8.8.8.8", dst=LAN_HOST_IP, ttl=60)
           / UDP(sport=53, dport=41019) / pad_payload(f),
           "return udp to lan host", out="lan", extra={"dst_mac": LAN_HOST_MAC, "vlan": 0})
    sc.add("fiber", lambda f: wan_eth("fiber") / IP(src="93.184.216.34", dst=GUEST_HOST_IP, ttl=50)
           / TCP(sport=80, dport=41017, flags="SA") / pad_payload(f),
           "return tcp to guest host (vlan 20)", out="lan", extra={"dst_mac": GUEST_HOST_MAC, "vlan": GUEST_VLAN})
    sc.add("fiber", lambda f: wan_eth("fiber") / IP(src="8.8.8.8", dst="192.168.10.99")
           / UDP(sport=53, dport=40000) / pad_payload(f),
           "return to lan address without neighbour", drop="no_neighbor")
    sc.add("fiber", lambda f: wan_eth("fiber") / IP(src="8.8.8.8", dst="10.99.99.99")
           / UDP(sport=53, dport=40000) / pad_payload(f),
           "wan to a non-lan destination", drop="no_route")
    sc.add("fiber", lambda f: wan_eth("fiber") / IP(src="192.168.10.77", dst=LAN_HOST_IP)
           / UDP(sport=53, dport=40000) / pad_payload(f),
           "wan packet with lan source", drop="martian_source")
    sc.add("fiber", lambda f: wan_eth("fiber") / IP(src="8.8.8.8", dst=LAN_HOST_IP, ttl=1)
           / UDP(sport=53, dport=40000) / pad_payload(f),
           "return with ttl 1", drop="ttl_expired", extra={"te_from": g["address"], "te_vlan": 0})
    sc.add("fiber", lambda f: wan_eth("fiber") / IP(src=g["gateway"], dst=g["address"]) / ICMP(type=8, id=0x99, seq=f)
           / pad_payload(f),
           "icmp echo to fiber address", out="fiber", kind="reply",
           extra={"echo_to": g["address"], "asker_ip": g["gateway"], "asker_mac": g["gateway_mac"]})
    sc.add("fiber", lambda f: Ether(src=g["gateway_mac"], dst="ff:ff:ff:ff:ff:ff")
           / ARP(op=1, hwsrc=g["gateway_mac"], psrc=g["gateway"], pdst=g["address"]),
           "arp who-has fiber address", out="fiber", kind="reply",
           extra={"arp_for": g["address"], "asker_ip": g["gateway"], "asker_mac": g["gateway_mac"], "vlan": 0})
    sc.add("fiber", lambda f: wan_eth("fiber") / IP(src="8.8.8.8", dst=g["address"])
           / UDP(sport=53, dport=9) / pad_payload(f),
           "udp to fiber address", drop="not_for_us")
    lte = LINKS["lte"]
    sc.add("lte", lambda f: Ether(src=lte["gateway_mac"], dst="ff:ff:ff:ff:ff:ff")
           / ARP(op=1, hwsrc=lte["gateway_mac"], psrc=lte["gateway"], pdst=lte["address"]),
           "arp who-has lte address", out="lte", kind="reply",
           extra={"arp_for": lte["address"], "asker_ip": lte["gateway"], "asker_mac": lte["gateway_mac"], "vlan": 0})
    sc.add("lte", lambda f: wan_eth("lte") / IP(src="1.1.1.1", dst=LAN_HOST_IP, ttl=57)
           / TCP(sport=443, dport=41009, flags="SA") / pad_payload(f),
           "return tcp via lte to lan host", out="lan", extra={"dst_mac": LAN_HOST_MAC, "vlan": 0})


MAIN_LINKS = {"voip": "fiber", "m365": "lte", "payments": "fiber", "guest": "lte", "bulk": "lte",
              "default": "fiber"}
MAIN_POLICY_LISTS = {"voip": "[fiber, lte]", "m365": "[lte, fiber]", "payments": "[fiber, lte]",
                     "guest": "[lte]", "bulk": "[lte, fiber]", "default": "[fiber, lte]"}

# Priority run: voip lists lte first (order beats the primary role), default has no fiber at all,
# bulk only fiber.
PRIO_LINKS = {"voip": "lte", "m365": "fiber", "payments": "lte", "guest": "fiber", "bulk": "fiber",
              "default": "lte"}
PRIO_POLICY_LISTS = {"voip": "[lte, fiber]", "m365": "[fiber]", "payments": "[lte]",
                     "guest": "[fiber, lte]", "bulk": "[fiber]", "default": "[lte]"}


def main_scenario() -> Scenario:
    sc = Scenario()
    classification_frames(sc, MAIN_LINKS)
    ttl_expired_frames(sc)
    malformed_frames(sc)
    lan_local_frames(sc)
    wan_frames(sc)
    return sc


def priority_scenario() -> Scenario:
    sc = Scenario()
    classification_frames(sc, PRIO_LINKS)
    return sc


# --- benchmark mix -------------------------------------------------------------------------------

def bench_mix(packets: int, flows: int, seed: int = 1, one_subnet: bool = False, tcp_share: float = 0.0) -> list[bytes]:
    """Minimum-size frames (60 bytes on the wire without FCS = 64 with it): Ethernet + IPv4 + UDP, or TCP.

    Flow f has its own (src ip, src port); the class mix is by flow: 10% voip (sip/rtp ports),
    15% udp 443 to m365 ranges, 5% to the payments range, the rest default traffic.
    Packet i belongs to flow (i * stride) % flows, so consecutive packets hit different flows.
    one_subnet: every source in 192.168.10.0/24 (250 hosts; office.yaml's staff subnet), else 192.168.10-49.x.
    tcp_share: about this share of the flows other than voip's are TCP (ACK segments of an established
    connection: no SYN, FIN or RST), drawn from a random stream of their own, so the class mix and every UDP
    flow stay as with tcp_share 0."""
    import random
    rnd = random.Random(seed)
    rnd_tcp = random.Random(seed + 0x7c9)
    kinds = []
    for f in range(flows):
        r = rnd.random()
        if r < 0.05:
            kinds.append(("198.51.100.20", 443))
        elif r < 0.20:
            kinds.append(("52.97.%d.%d" % (f % 200, f % 250 + 1), 443))
        elif r < 0.25:
            kinds.append(("203.0.113.%d" % (f % 250 + 1), 5060))
        elif r < 0.30:
            kinds.append(("203.0.113.%d" % (f % 250 + 1), 16384 + (f * 2) % 16384))
        else:
            kinds.append(("93.184.%d.%d" % (f % 250, f % 200 + 1), rnd.choice([53, 80, 123, 8080, 3478 + 1])))
    voip = {5060} | set(range(16384, 32768))
    tcp = [rnd_tcp.random() < tcp_share and kinds[f][1] not in voip for f in range(flows)]
    stride = 7919 if flows % 7919 else 1
    out = []
    for i in range(packets):
        f = (i * stride) % flows
        dst, dport = kinds[f]
        src = "192.168.%d.%d" % (10 if one_subnet else 10 + (f // 250) % 40, f % 250 + 2)
        sport = 1024 + (f * 13) % 60000
        l4 = (TCP(sport=sport, dport=dport, flags="A", seq=1000 + i, ack=1) if tcp[f]
              else UDP(sport=sport, dport=dport))
        pkt = Ether(src=LAN_HOST_MAC, dst=EDGE_LAN_MAC) / IP(src=src, dst=dst, ttl=64) / l4
        raw = bytes(pkt)
        raw += b"\x00" * (60 - len(raw))   # pad to the 60-byte minimum (64 on the wire with FCS)
        out.append(raw)
    return out


def _ones_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    s = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def bench_replies(frames: list[bytes], link_ip: str, skip_ports: range) -> list[bytes]:
    """For each flow of a bench_mix (first frame per flow, in order), its server's reply to the edge's NAT address
    `link_ip` on the flow's source port (port preservation keeps it), as a 60-byte frame with its UDP checksum (a
    TCP flow's: an ACK segment, its checksum right). Flows whose source port lies in skip_ports (ports the edge
    keeps for itself: probes) are left out."""
    import socket
    link = socket.inet_aton(link_ip)
    seen, out = set(), []
    for f in frames:
        key = f[26:30] + f[34:36]
        sport = int.from_bytes(f[34:36], "big")
        if key in seen or sport in skip_ports:
            continue
        seen.add(key)
        eth = f[6:12] + f[0:6] + f[12:14]
        if f[23] == 6:  # TCP
            seg = (IP(src=socket.inet_ntoa(f[30:34]), dst=link_ip, ttl=f[22])
                   / TCP(sport=int.from_bytes(f[36:38], "big"), dport=sport, flags="A", seq=1,
                         ack=int.from_bytes(f[38:42], "big")))
            raw = eth + bytes(seg)
            out.append(raw + b"\x00" * (60 - len(raw)))
            continue
        ip = bytearray(f[14:34])
        ip[12:16], ip[16:20] = f[30:34], link
        ip[10:12] = b"\x00\x00"
        ip[10:12] = (0xFFFF - _ones_sum(bytes(ip))).to_bytes(2, "big")
        udp = bytearray(f[36:38] + f[34:36] + f[38:42])  # ports swapped, length, checksum
        udp_len = int.from_bytes(udp[4:6], "big")
        payload = f[42:34 + udp_len]
        udp[6:8] = b"\x00\x00"
        pseudo = bytes(ip[12:20]) + b"\x00\x11" + udp_len.to_bytes(2, "big")
        ck = 0xFFFF - _ones_sum(pseudo + bytes(udp) + payload)
        udp[6:8] = (ck or 0xFFFF).to_bytes(2, "big")
        raw = eth + bytes(ip) + bytes(udp) + payload
        out.append(raw + b"\x00" * (60 - len(raw)))
    return out


def lan_queue(frame: bytes, queues: int) -> int:
    """The rx queue a bench_mix frame gets on a LAN port of `queues` queues: its UDP source port modulo the count.
    Virtual ports have no RSS, so the bench and tests deal frames to queues themselves, a whole flow to one queue as
    RSS would. The source port picks it because a NAT worker w hands out only outside ports p with p % workers == w
    (dataplane/nat_session_table.hpp): this way each worker can keep its flows' ports, which bench_replies assumes."""
    return int.from_bytes(frame[34:36], "big") % queues


def wan_queue(frame: bytes, queues: int) -> int:
    """The rx queue of a reply on a WAN port: a hash of its addresses and ports, as a NIC's RSS would, so it is
    independent of the worker owning the NAT session (which then gets the reply handed over, as on a NIC)."""
    import zlib
    return zlib.crc32(frame[26:38]) % queues


def split_queues(frames: list[bytes], queues: int, queue_of) -> list[list[bytes]]:
    """frames dealt to `queues` lists by queue_of(frame, queues), each keeping the frames' order."""
    out: list[list[bytes]] = [[] for _ in range(queues)]
    for f in frames:
        out[queue_of(f, queues)].append(f)
    return out


def queue_pcap(path: str, queue: int) -> str:
    """Where queue `queue`'s share of the pcap `path` goes: mix.pcap -> mix-q0.pcap."""
    stem, dot, ext = path.rpartition(".")
    return f"{stem}-q{queue}.{ext}" if dot else f"{path}-q{queue}"
