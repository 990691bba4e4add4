#!/usr/bin/python3
"""Writes the seeds of fuzz_worker (tests/fuzz/corpus/fuzz_worker/): real frames of the office policy's traffic
in the target's input format, [time step] then per frame [port][length, 2 bytes big endian][bytes].
Port 0 is the LAN (frames to 02:00:00:00:00:01 reach the port's own MAC), 1 fiber, 2 lte. Needs scapy."""
import struct
from pathlib import Path

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, IPv6ExtHdrFragment, Raw, fragment

EDGE = "02:00:00:00:00:01"
HOST, GUEST = "02:00:00:00:10:10", "02:00:00:00:20:10"
FIBER_GW = "02:00:00:00:01:01"
LAN = 0
FIBER = 1
LTE = 2


def lan(ip_pkt, src=HOST, vlan=None):
    e = Ether(dst=EDGE, src=src)
    return e / Dot1Q(vlan=vlan) / ip_pkt if vlan else e / ip_pkt


def wan(ip_pkt):
    return Ether(dst="02:00:00:00:00:09", src=FIBER_GW) / ip_pkt


def seed(frames, step=1):
    out = bytes([step])
    for port, f in frames:
        b = bytes(f)
        out += bytes([port]) + struct.pack(">H", len(b)) + b
    return out


voice = IP(src="192.168.10.10", dst="203.0.113.10", tos=0xB8) / UDP(sport=40000, dport=5060) / Raw(b"INVITE" * 8)
https = IP(src="192.168.10.10", dst="198.51.100.5") / TCP(sport=50000, dport=443, flags="S")
big = IP(src="192.168.10.10", dst="198.51.100.20", id=7) / UDP(sport=40001, dport=9999) / Raw(b"x" * 1400)
SEEDS = {
    "udp_voice_flow": [(LAN, lan(voice))] * 4,
    "tcp_payments": [(LAN, lan(https))],
    "guest_vlan_tcp": [(LAN, lan(IP(src="192.168.20.10", dst="198.51.100.20") / TCP(dport=80), GUEST, 20))],
    "arp_request_for_edge": [(LAN, Ether(dst="ff:ff:ff:ff:ff:ff", src=HOST) /
                              ARP(op=1, hwsrc=HOST, psrc="192.168.10.10", pdst="192.168.10.1"))],
    "arp_reply_from_gateway": [(FIBER, Ether(dst="02:00:00:00:00:09", src=FIBER_GW) /
                                ARP(op=2, hwsrc=FIBER_GW, psrc="100.64.1.1", pdst="100.64.1.2"))],
    "icmp_echo_to_edge": [(LAN, lan(IP(src="192.168.10.10", dst="192.168.10.1") / ICMP(id=1, seq=1) / Raw(b"p" * 32)))],
    "icmp_echo_from_wan": [(FIBER, wan(IP(src="198.51.100.20", dst="100.64.1.2") / ICMP(id=2, seq=1)))],
    "ttl_one": [(LAN, lan(IP(src="192.168.10.10", dst="203.0.113.10", ttl=1) / UDP(sport=1, dport=53)))],
    "fragments": [(LAN, lan(f)) for f in fragment(big, fragsize=512)],
    "return_traffic": [(FIBER, wan(IP(src="203.0.113.10", dst="192.168.10.10") / UDP(sport=5060, dport=40000))),
                       (LTE, wan(IP(src="198.51.100.5", dst="192.168.20.10") / TCP(sport=443, dport=50000))),
                       (FIBER, wan(IP(src="203.0.113.10", dst="192.168.10.77") / UDP(sport=5060, dport=40000)))],
    "stamp_reply": [(FIBER, wan(IP(src="203.0.113.10", dst="100.64.1.2") / UDP(sport=862, dport=862) /
                                Raw(bytes(44))))],
    "ipv6_udp": [(LAN, Ether(dst=EDGE, src=HOST) / IPv6(src="2001:db8::10", dst="2001:db8:1::1") / UDP(dport=53))],
    "ipv6_fragment": [(LAN, Ether(dst=EDGE, src=HOST) / IPv6(src="2001:db8::10", dst="2001:db8:1::1") /
                       IPv6ExtHdrFragment(id=9, m=1) / UDP(dport=53) / Raw(b"q" * 16))],
    "mixed_burst": [(LAN, lan(voice)), (LAN, lan(https)), (FIBER, wan(IP(src="203.0.113.10", dst="192.168.10.10") /
                                                              UDP(sport=5060, dport=40000)))],
}

if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "corpus" / "fuzz_worker"
    out.mkdir(parents=True, exist_ok=True)
    for name, frames in SEEDS.items():
        (out / name).write_bytes(seed(frames, step=20))
