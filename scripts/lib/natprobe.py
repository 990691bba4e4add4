#!/usr/bin/python3
"""Host-side probes for the NAT edge lab tests (tests/lab/test_nat_edge.py), each run inside a namespace
(ip netns exec NS natprobe.py ...); every command prints one JSON line.

  natprobe.py echo SPORT PORT TAG@DST...     from one UDP socket (source port SPORT, 0: any) each TAG to DST:PORT
                                            (the lab's echo servers), waiting for its echo each time:
                                            {"sport", "ok": [bool per TAG]}
  natprobe.py refused DST PORT [SECONDS]    a connected UDP socket sends to a closed port until the ICMP port
                                            unreachable comes back as ECONNREFUSED: {"refused": bool, ...}
  natprobe.py ttl DST PORT TTL [SECONDS]    a UDP datagram with a small TTL (traceroute's probe); the ICMP error
                                            from the socket's error queue: {"type", "code", "offender"} or {}
  natprobe.py sniff IFACE                   counts the frames IFACE receives until SIGTERM (no tcpdump): prints
                                            "ready", then {"frames", "ipv4", "by_src": {addr: n}}
  natprobe.py inbound SPEC...               unsolicited packets (scapy), SPEC = proto,dst,first,count with proto
                                            udp|syn (first destination port) or echo|echoreply (first ICMP id)
  natprobe.py flood SRC DST PORT COUNT      COUNT UDP datagrams from SRC, each from the next source port (a new
                                            flow each: 1024..65535, then round again), as fast as one raw socket
                                            sends: {"sent", "seconds"}
"""
import json
import signal
import socket
import struct
import sys
import time

IP_RECVERR = 11
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def echo(sport, port, *tags_at):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sport)))
    s.settimeout(0.3)
    ok = []
    for spec in tags_at:
        tag, dst = spec.split("@")
        msg = (tag + "\n").encode()
        for _ in range(10):
            s.sendto(msg, (dst, int(port)))
            try:
                if s.recvfrom(2048)[0] == msg:
                    break
            except socket.timeout:
                pass
        else:
            ok.append(False)
            continue
        ok.append(True)
    return {"sport": s.getsockname()[1], "ok": ok}


def refused(dst, port, seconds="3"):
    """RFC 5508 on a real socket: the host's kernel matches the ICMP error to the socket only if the edge
    translated the embedded header back to this host's address and port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, int(port)))
    s.settimeout(0.3)
    res = {"sport": s.getsockname()[1], "refused": False, "sent": 0}
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline and not res["refused"]:
        try:
            s.send(b"natprobe\n")
            res["sent"] += 1
            s.recv(2048)
            res["answered"] = True
        except ConnectionRefusedError:
            res["refused"] = True
        except socket.timeout:
            pass
    return res


def ttl(dst, port, hops, seconds="3"):
    """A TTL-limited UDP probe; the first ICMP error read from the error queue (IP_RECVERR)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(hops))
    s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    s.connect((dst, int(port)))
    deadline = time.monotonic() + float(seconds)
    next_send = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() >= next_send:
            s.send(b"natprobe\n")
            next_send = time.monotonic() + 0.5
        try:
            _, anc, _, _ = s.recvmsg(2048, 512, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            time.sleep(0.02)
            continue
        except OSError:
            continue  # the error itself, reported once on the socket: the queue holds the details
        for level, typ, data in anc:
            if level == socket.IPPROTO_IP and typ == IP_RECVERR and len(data) >= 24:
                _errno, origin, etype, code = struct.unpack_from("IBBB", data)
                offender = socket.inet_ntoa(data[20:24])
                return {"type": etype, "code": code, "origin": origin, "offender": offender,
                        "sport": s.getsockname()[1]}
    return {}


def sniff(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, ETH_P_ALL))
    s.settimeout(0.1)
    counts = {"frames": 0, "ipv4": 0, "by_src": {}}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("ready", flush=True)
    while not stop:
        try:
            data, addr = s.recvfrom(65535)
        except (socket.timeout, InterruptedError):
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        counts["frames"] += 1
        if len(data) >= 34 and data[12:14] == b"\x08\x00":
            counts["ipv4"] += 1
            src = socket.inet_ntoa(data[26:30])
            counts["by_src"][src] = counts["by_src"].get(src, 0) + 1
    return counts


def inbound(*specs):
    from scapy.all import ICMP, IP, TCP, UDP, conf, send  # noqa: imported here: slow, only this command needs it
    conf.verb = 0
    pkts = []
    for spec in specs:
        proto, dst, first, count = spec.split(",")
        for i in range(int(count)):
            n = int(first) + i
            l4 = {"udp": lambda: UDP(sport=5555, dport=n) / b"unsolicited\n",
                  "syn": lambda: TCP(sport=5556, dport=n, flags="S", seq=1000),
                  "echo": lambda: ICMP(type=8, id=n, seq=1) / b"unsolicited",
                  "echoreply": lambda: ICMP(type=0, id=n, seq=1) / b"unsolicited"}[proto]()
            pkts.append(IP(dst=dst) / l4)
    send(pkts, inter=0.002)
    return {"sent": len(pkts)}


def flood(src, dst, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)  # the kernel adds the IP header
    s.bind((src, 0))
    payload = b"flood"
    t0 = time.monotonic()
    sent = 0
    for i in range(int(count)):
        sport = 1024 + i % (65536 - 1024)
        hdr = struct.pack("!HHHH", sport, int(port), 8 + len(payload), 0)  # checksum 0: none (valid for IPv4)
        try:
            s.sendto(hdr + payload, (dst, 0))
            sent += 1
        except OSError:
            pass  # a full socket buffer: that flow was not opened; the count says how many were
    return {"sent": sent, "seconds": round(time.monotonic() - t0, 3)}


if __name__ == "__main__":
    cmds = {"echo": echo, "refused": refused, "ttl": ttl, "sniff": sniff, "inbound": inbound, "flood": flood}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(cmds[sys.argv[1]](*sys.argv[2:])), flush=True)
