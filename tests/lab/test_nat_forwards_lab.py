"""Lab: port forwards through the NAT edge, with real hosts and sockets. office.yaml, with fiber forwarding UDP 7000
and TCP 7001 to the office host, where echo servers answer with the address they saw the peer at. From the
internet (a socket in ws-inet bound to 203.0.113.10) both forwards reach the office host, which sees the internet
address itself, and the answers come back from the link's address and port; from the guest host (another LAN
subnet) the same forwards work by hairpin through the link's public address, the office host seeing the link's
address (RFC 4787 hairpinning). A port nobody forwards delivers nothing to the office host: its interface, sniffed
through the whole window, receives no frame from the internet address, and the edge counts each drop."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_nat_edge import LINK_ADDR, Sniffer, delta, ns, rx_packets  # noqa: E402

PY = "/usr/bin/python3"
OFFICE = "192.168.10.10"
FAR = "203.0.113.10"
UDP_PORT, TCP_PORT, CLOSED = 7000, 7001, 7002

# Echo servers on the office host: each answers "PEER_IP PEER_PORT" to whatever it receives.
SERVER = f"""
import socket, threading, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", {UDP_PORT}))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("0.0.0.0", {TCP_PORT})); t.listen(8)
def udp():
    while True:
        d, a = u.recvfrom(2048); u.sendto(f"{{a[0]}} {{a[1]}}".encode(), a)
def tcp():
    while True:
        c, a = t.accept(); c.recv(2048); c.sendall(f"{{a[0]}} {{a[1]}}".encode()); c.close()
threading.Thread(target=udp, daemon=True).start(); threading.Thread(target=tcp, daemon=True).start()
print("ready", flush=True); sys.stdin.read()
"""

# A client: UDP and TCP to DST's forwarded ports, from BIND (or any address); prints what came back and from where.
CLIENT = f"""
import json, socket, sys
dst, bind = sys.argv[1], sys.argv[2]
out = {{}}
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((bind, 0)); u.settimeout(1.0)
for _ in range(5):
    u.sendto(b"ping", (dst, {UDP_PORT}))
    try:
        d, a = u.recvfrom(2048); out["udp"] = {{"seen_as": d.decode(), "from": list(a)}}; break
    except socket.timeout:
        pass
try:
    t = socket.create_connection((dst, {TCP_PORT}), timeout=3, source_address=(bind, 0))
    t.sendall(b"ping"); out["tcp"] = {{"seen_as": t.recv(2048).decode()}}; t.close()
except OSError as e:
    out["tcp_error"] = str(e)
print(json.dumps(out))
"""


def lab_policy(workdir):
    """office.yaml with fiber forwarding UDP 7000 and TCP 7001 to the office host."""
    text = (REPO / "policies" / "office.yaml").read_text()
    text = text.replace("prefixes/", str(REPO / "policies" / "prefixes") + "/")
    anchor = "    capacity: {up: 100mbit, down: 500mbit}"
    assert text.count(anchor) == 1
    text = text.replace(anchor, anchor + f"\n    forwards: [{{proto: udp, port: {UDP_PORT}, to: {OFFICE}}}, "
                                         f"{{proto: tcp, port: {TCP_PORT}, to: {OFFICE}}}]")
    path = Path(workdir) / "office-forwards.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def servers(lab):
    p = subprocess.Popen(["ip", "netns", "exec", "ws-office", PY, "-c", SERVER], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    yield p
    p.kill()
    p.wait(10)


def client(host_ns, dst, bind="0.0.0.0"):
    r = ns(host_ns, PY, "-c", CLIENT, dst, bind, timeout=30)
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_forward_reached_from_the_internet(lab, servers):
    lab.set_link("fiber", "up")
    before = lab.counters()
    res = client("ws-inet", LINK_ADDR["fiber"], FAR)
    assert "udp" in res, f"no UDP answer through the forward: {res}"
    # The office host saw the internet address itself (only the destination is translated) ...
    assert res["udp"]["seen_as"].split()[0] == FAR, res
    # ... and its answer left from the link's address and the forwarded port.
    assert res["udp"]["from"] == [LINK_ADDR["fiber"], UDP_PORT], res
    assert "tcp" in res, f"no TCP answer through the forward: {res}"
    assert res["tcp"]["seen_as"].split()[0] == FAR, res
    after = lab.counters()
    assert after["nat"]["forward_hits"] > before["nat"]["forward_hits"]


def test_forward_reached_by_hairpin_from_the_lan(lab, servers):
    lab.set_link("fiber", "up")
    before = lab.counters()
    res = client("ws-guest", LINK_ADDR["fiber"])
    assert "udp" in res, f"no UDP answer by hairpin: {res}"
    # Hairpinned: the office host saw the link's address, and the guest got its answer from there too.
    assert res["udp"]["seen_as"].split()[0] == LINK_ADDR["fiber"], res
    assert res["udp"]["from"] == [LINK_ADDR["fiber"], UDP_PORT], res
    assert "tcp" in res, f"no TCP answer by hairpin: {res}"
    assert res["tcp"]["seen_as"].split()[0] == LINK_ADDR["fiber"], res
    after = lab.counters()
    assert after["nat"]["hairpin"] > before["nat"]["hairpin"]


def test_a_port_not_forwarded_delivers_nothing(lab, servers):
    lab.set_link("fiber", "up")
    count = 20
    sniffer = Sniffer("ws-office")
    rx_before = rx_packets("ws-office")
    before = lab.counters()
    sent = ns("ws-inet", PY, str(REPO / "scripts" / "lib" / "natprobe.py"), "inbound",
              f"udp,{LINK_ADDR['fiber']},{CLOSED},{count}", f"syn,{LINK_ADDR['fiber']},{CLOSED},{count}")
    assert json.loads(sent.stdout.strip().splitlines()[-1])["sent"] == 2 * count
    lab.tools.wait_for(lambda: lab.counters()["drops"]["inbound_no_session"] -
                       before["drops"]["inbound_no_session"] >= 2 * count,
                       timeout=10, what="inbound_no_session to count what was sent")
    after = lab.counters()
    rx_after = rx_packets("ws-office")
    seen = sniffer.stop()
    assert all(not src.startswith("198.18.") and src != FAR for src in seen["by_src"]), seen
    assert rx_after - rx_before <= seen["frames"], (rx_before, rx_after, seen)
    moved = delta(before["drops"], after["drops"])
    assert moved.get("inbound_no_session", 0) >= 2 * count, moved
    assert after["nat"]["forward_hits"] == before["nat"]["forward_hits"]
