#!/usr/bin/python3
"""A long TCP connection whose stalls are measured, for failover tests and benchmarks (issue 13).

    tcpstream.py server ADDR PORT          echoes every byte back on one connection at a time; prints "ready"
    tcpstream.py client ADDR PORT SECONDS [INTERVAL_MS]
        sends a 512-byte record every INTERVAL_MS (default 10) for SECONDS, reads the echo, and prints one JSON line:
        {"ok": connection never failed, "error", "sent", "echoed" (records back), "max_gap_ms" (longest time without
         an echoed record while the client sent), "gaps": [[start_s, ms], ...] over 200 ms, "t_error_s"}

Runs under /usr/bin/python3 in a network namespace (ip netns exec); nothing beyond the standard library."""
import json
import socket
import sys
import threading
import time

RECORD = 512


def server(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(8)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def echo(conn):
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    finally:
        conn.close()


def client(addr, port, seconds, interval_ms=10):
    seconds, interval = float(seconds), float(interval_ms) / 1000
    res = {"ok": True, "error": None, "sent": 0, "echoed": 0, "max_gap_ms": 0.0, "gaps": [], "t_error_s": None}
    t0 = time.monotonic()
    s = socket.create_connection((addr, int(port)), timeout=5)
    s.settimeout(None)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    last = [time.monotonic()]
    done = threading.Event()

    def fail(e):
        if res["ok"]:
            res["ok"], res["error"], res["t_error_s"] = False, str(e) or type(e).__name__, time.monotonic() - t0

    def reader():
        got = 0
        try:
            while not done.is_set():
                data = s.recv(65536)
                if not data:
                    if not done.is_set():  # our own shutdown at the end reads as EOF too
                        fail("connection closed by the peer")
                    return
                got += len(data)
                now = time.monotonic()
                if got // RECORD > res["echoed"]:
                    gap = (now - last[0]) * 1000
                    if gap > 200:
                        res["gaps"].append([round(last[0] - t0, 3), round(gap, 1)])
                    res["max_gap_ms"] = max(res["max_gap_ms"], round(gap, 1))
                    res["echoed"] = got // RECORD
                    last[0] = now
        except OSError as e:
            if not done.is_set():
                fail(e)

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    payload = b"x" * (RECORD - 1) + b"\n"
    next_t = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds and res["ok"]:
            s.sendall(payload)
            res["sent"] += 1
            next_t += interval
            time.sleep(max(0.0, next_t - time.monotonic()))
    except OSError as e:
        fail(e)
    # what is still in flight gets a moment to come back before the verdict
    deadline = time.monotonic() + 3
    while res["ok"] and res["echoed"] < res["sent"] and time.monotonic() < deadline:
        time.sleep(0.02)
    if res["ok"] and res["echoed"] < res["sent"]:
        gap = (time.monotonic() - last[0]) * 1000
        res["max_gap_ms"] = max(res["max_gap_ms"], round(gap, 1))
    done.set()
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    cmds = {"server": server, "client": client}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
