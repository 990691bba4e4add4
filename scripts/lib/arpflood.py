#!/usr/bin/python3
"""An ARP flood from a LAN host, like an ARP scan from an infected PC: run inside its namespace.

  arpflood.py IFACE PPS SECONDS [--subnet 192.168.10] [--gateway 192.168.10.1] [--hosts 64]

Broadcast ARP requests, paced in 10 ms batches, from --hosts made-up neighbours (sender 192.168.10.128 and up, each
with its own stable locally administered MAC, so the edge learns a bounded set of hosts instead of one that "moves"
every frame), half asking for the edge's LAN address (each costs the edge a reply) and half scanning the subnet.
The addresses of the lab's real hosts (.1 to .127) are never claimed. Prints "sent N" at the end or on SIGTERM.
Raw AF_PACKET socket, no scapy: the frames are built once, so the flood costs little CPU on a shared machine.
"""
import argparse
import signal
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
BROADCAST = b"\xff" * 6


def arp_request(src_mac: bytes, src_ip: str, target_ip: str) -> bytes:
    eth = BROADCAST + src_mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, src_mac, socket.inet_aton(src_ip), b"\0" * 6,
                      socket.inet_aton(target_ip))
    return eth + arp


def frames(subnet: str, gateway: str, hosts: int) -> list:
    out = []
    for h in range(hosts):
        mac = bytes([0x02, 0x5a, 0x00, 0x00, 0x00, h & 0xFF])  # 02: locally administered, unicast
        src = f"{subnet}.{128 + h % 127}"
        out.append(arp_request(mac, src, gateway))
        out.append(arp_request(mac, src, f"{subnet}.{1 + (h * 7) % 254}"))
    return out


def flood(iface: str, pps: float, seconds: float, subnet: str, gateway: str, hosts: int) -> int:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    s.bind((iface, 0))
    batch_period = 0.01
    per_batch = max(1, int(round(pps * batch_period)))
    pool = frames(subnet, gateway, hosts)
    sent, i = 0, 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    start = time.monotonic()
    batch = 0
    while not stop and time.monotonic() - start < seconds:
        for _ in range(per_batch):
            try:
                s.send(pool[i % len(pool)])
                sent += 1
            except OSError:
                pass  # a full socket buffer drops the frame: a flood does not care
            i += 1
        batch += 1
        left = start + batch * batch_period - time.monotonic()
        if left > 0:
            time.sleep(left)
    return sent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("iface")
    ap.add_argument("pps", type=float)
    ap.add_argument("seconds", type=float)
    ap.add_argument("--subnet", default="192.168.10")
    ap.add_argument("--gateway", default="192.168.10.1")
    ap.add_argument("--hosts", type=int, default=64)
    a = ap.parse_args()
    print(f"sent {flood(a.iface, a.pps, a.seconds, a.subnet, a.gateway, a.hosts)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
