#!/usr/bin/python3
"""A paced UDP stream for failover measurements (RTP-like: one datagram every 1/rate s).

  udpstream.py recv BIND_ADDR PORT OUTFILE      one line per datagram: "recv_ns src seq send_ns" (CLOCK_MONOTONIC,
                                                shared by every namespace of this machine); prints "ready" first
  udpstream.py send DST PORT RATE SECONDS [--sport N] [--tos T] [--size B] [--new-flows 1] [--src ADDR]
                                                datagrams of 172 bytes (a G.711 20 ms frame + RTP header), or
                                                B bytes of UDP payload (a paced flood, e.g. for rate limits);
                                                --new-flows 1: each datagram from a new socket (a new source
                                                port: a new flow each time, like DNS queries); --src ADDR:
                                                send from that local address (a second host on one namespace)

Run each inside its namespace (ip netns exec ...). The receiver keeps going until SIGTERM.
The analysis helpers (load, gaps) are imported by tests/lab and bench/failover.
"""
import os
import signal
import socket
import struct
import sys
import time

HEADER = struct.Struct("!IQ")  # seq, send time (ns, CLOCK_MONOTONIC)
PAYLOAD = 172
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux (asm-generic); Python 3.11 lacks the name


def arrival_monotonic_ns(ancillary):
    """The kernel's receive stamp (SO_TIMESTAMPNS, CLOCK_REALTIME) as CLOCK_MONOTONIC; now if there is none."""
    mono, real = time.clock_gettime_ns(time.CLOCK_MONOTONIC), time.clock_gettime_ns(time.CLOCK_REALTIME)
    for level, kind, cdata in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(cdata) >= 16:
            sec, nsec = struct.unpack_from("qq", cdata)
            return mono - max(0, real - (sec * 1_000_000_000 + nsec))
    return mono


def recv(bind, port, outfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((bind, int(port)))
    # The kernel stamps each datagram as it arrives (CLOCK_REALTIME): the arrival time written is that stamp moved
    # to CLOCK_MONOTONIC, so a receiver descheduled on a busy machine does not add its own wait to the delay.
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(outfile, "w", buffering=1) as out:
        print("ready", flush=True)
        while True:
            data, anc, _, (src, _) = s.recvmsg(2048, 64)
            now = arrival_monotonic_ns(anc)
            if len(data) < HEADER.size:
                continue
            seq, sent = HEADER.unpack_from(data)
            out.write(f"{now} {src} {seq} {sent}\n")


def udp_socket(sport, tos, src="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if tos:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    if sport or src != "0.0.0.0":
        s.bind((src, sport))
    return s


def send(dst, port, rate, seconds, sport=0, tos=0, size=PAYLOAD, new_flows=False, src="0.0.0.0"):
    s = udp_socket(sport, tos, src)
    period = 1e9 / float(rate)
    n = int(float(rate) * float(seconds))
    start = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    pad = b"\0" * (max(size, HEADER.size) - HEADER.size)
    for seq in range(n):
        due = start + int(seq * period)
        while True:  # sleep most of the wait, spin the last bit: keeps the pacing within ~0.1 ms
            left = due - time.clock_gettime_ns(time.CLOCK_MONOTONIC)
            if left <= 0:
                break
            time.sleep(left / 1e9 - 0.0002 if left > 400_000 else 0)
        if new_flows:
            s.close()
            s = udp_socket(sport, tos, src)
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        try:
            s.sendto(HEADER.pack(seq, now) + pad, (dst, int(port)))
        except OSError:
            pass  # no route for a moment: that datagram is lost, which is what we measure
    print(f"sent {n}", flush=True)


def load(path):
    """[(recv_ns, src, seq, send_ns)] in arrival order."""
    rows = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 4:
                rows.append((int(p[0]), p[1], int(p[2]), int(p[3])))
    return rows


def max_gap_ms(rows, start_ns=None, end_ns=None):
    """Longest time between consecutive arrivals whose arrival lies in [start_ns, end_ns]."""
    t = [r[0] for r in rows if (start_ns is None or r[0] >= start_ns) and (end_ns is None or r[0] <= end_ns)]
    if len(t) < 2:
        return float("inf")
    return max(b - a for a, b in zip(t, t[1:])) / 1e6


def first_from(rows, src, after_ns):
    """Arrival time of the first datagram from `src` that was sent after after_ns (None if none)."""
    for r in rows:
        if r[1] == src and r[3] >= after_ns:
            return r[0]
    return None


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["recv"] and len(a) == 4:
        recv(a[1], a[2], a[3])
    elif a[:1] == ["send"] and len(a) >= 5:
        opts = {"--sport": 0, "--tos": 0, "--size": PAYLOAD, "--new-flows": 0, "--src": "0.0.0.0"}
        rest = a[5:]
        for k, v in zip(rest[::2], rest[1::2]):
            opts[k] = v if k == "--src" else int(v, 0)
        send(a[1], a[2], a[3], a[4], opts["--sport"], opts["--tos"], opts["--size"], bool(opts["--new-flows"]),
             opts["--src"])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
