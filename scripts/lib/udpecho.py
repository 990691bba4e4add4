#!/usr/bin/python3
"""A paced UDP stream that comes back: loss counted in both directions of one flow (a rekey under traffic).

  udpecho.py server BIND_ADDR PORT OUTFILE     echoes every datagram to its sender; writes each sequence number
                                               received, one a line; prints "ready" first; runs until SIGTERM
  udpecho.py client DST PORT RATE SECONDS      sends RATE datagrams/s (udpstream's 172-byte format) for SECONDS,
                                               then waits up to 3 s for the last echoes; prints one JSON line:
                                               {"sent", "echoed", "missing_echoes"} (missing: the first 50)

Run each inside its namespace (ip netns exec ...). What the server got (its OUTFILE) against what was sent tells the
outbound loss; what the client got back against what the server got, the return path's.
"""
import json
import signal
import socket
import sys
import threading
import time

from udpstream import HEADER, PAYLOAD


def server(bind, port, outfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((bind, int(port)))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(outfile, "w", buffering=1) as out:
        print("ready", flush=True)
        while True:
            data, peer = s.recvfrom(2048)
            if len(data) < HEADER.size:
                continue
            s.sendto(data, peer)
            out.write(f"{HEADER.unpack_from(data)[0]}\n")


def client(dst, port, rate, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((dst, int(port)))
    s.settimeout(0.2)
    n = int(float(rate) * float(seconds))
    echoed = set()
    done = threading.Event()

    def receive():
        while not done.is_set():
            try:
                data = s.recv(2048)
            except (socket.timeout, ConnectionRefusedError):
                continue
            if len(data) >= HEADER.size:
                echoed.add(HEADER.unpack_from(data)[0])

    t = threading.Thread(target=receive, daemon=True)
    t.start()
    period = 1e9 / float(rate)
    pad = b"\0" * (PAYLOAD - HEADER.size)
    start = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    for seq in range(n):
        left = start + int(seq * period) - time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        if left > 0:
            time.sleep(left / 1e9)
        try:
            s.send(HEADER.pack(seq, time.clock_gettime_ns(time.CLOCK_MONOTONIC)) + pad)
        except OSError:
            pass  # counted as missing
    deadline = time.monotonic() + 3.0
    while len(echoed) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    t.join(1.0)
    missing = [q for q in range(n) if q not in echoed]
    print(json.dumps({"sent": n, "echoed": len(echoed), "missing_echoes": missing[:50]}), flush=True)


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["server"] and len(a) == 4:
        server(*a[1:])
    elif a[:1] == ["client"] and len(a) == 5:
        client(*a[1:])
    else:
        sys.exit(__doc__)
