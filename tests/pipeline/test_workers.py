"""Several workers on multi-queue virtual ports: wansteer --workers 2 with a LAN pcap port of two rx queues (one
rx_pcap each, the flows dealt by source port as RSS would deal them on a NIC) forwards every frame, and each worker
handled exactly its own queue's frames and made the NAT sessions of its own flows.

net_pcap gives a port one rx queue per rx_pcap (and as many tx queues, which drop); net_null takes the queue count
from the configure. Runs without root (no hugepages) in a few seconds; bench/throughput --workers N measures it.
"""
import os
import re
import socket
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402

FRAMES, FLOWS = 600, 120
POLICY = """\
name: two-workers
lan:
  device: "net_pcap0,rx_pcap={q0},rx_pcap={q1}"
  subnets:
    - address: 192.168.10.1/24
probing: {{enabled: false}}   # net_null ports answer no probes
links:
  - {{name: fiber, device: "net_null1,no-rx=1", address: 100.64.1.2/30, gateway: 100.64.1.1, gateway_mac: "02:00:00:00:01:01", role: primary}}
  - {{name: lte, device: "net_null2,no-rx=1", address: 100.64.2.2/30, gateway: 100.64.2.1, gateway_mac: "02:00:00:00:02:01", role: backup}}
classes:
  - {{name: m365, links: [lte, fiber]}}
  - {{name: default, links: [fiber, lte]}}
rules:
  - {{class: m365, dst: [52.96.0.0/14], protocol: udp, dst_ports: 443}}
"""


def eal_args() -> list[str]:
    """Three lcores (main + two workers) on whatever CPUs we may use: lcores may share a CPU."""
    cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))
    return ["--lcores", f"(0-2)@({cpus})", "--no-pci", "--in-memory", "--log-level=error"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_metric(metrics: str, name: str) -> dict[int, int]:
    with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {int(w): int(float(v)) for w, v in re.findall(rf'^{name}\{{worker="(\d+)"\}} (\S+)$', text, re.M)}


def test_two_workers_forward_everything_each_from_its_own_queue(start_wansteer, tmp_path, wansteer_tools):
    frames = T.bench_mix(FRAMES, FLOWS, one_subnet=True)
    queues = T.split_queues(frames, 2, T.lan_queue)
    for q, share in enumerate(queues):
        T.write_raw_pcap(str(tmp_path / f"lan-q{q}.pcap"), share)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(q0=tmp_path / "lan-q0.pcap", q1=tmp_path / "lan-q1.pcap"))
    metrics = f"127.0.0.1:{free_port()}"
    ws = start_wansteer(policy, workers=2, eal_args=eal_args(), extra_args=["--metrics", metrics])

    def forwarded():
        c = ws.counters()
        return c if c["ports"]["fiber"]["tx_packets"] + c["ports"]["lte"]["tx_packets"] >= FRAMES else None

    c = wansteer_tools.wait_for(forwarded, timeout=10, what=f"{FRAMES} frames forwarded")
    assert c["ports"]["lan"]["rx_packets"] == FRAMES
    assert c["ports"]["fiber"]["tx_packets"] > 0 and c["ports"]["lte"]["tx_packets"] > 0  # both classes' links
    assert not {k: v for k, v in c["drops"].items() if v}, c["drops"]
    assert c["workers"]["handoff_sent"] == 0  # unshaped links, unlimited classes: each worker sends its own
    # Worker i polls queue i of every port: exactly its queue's frames, and one NAT session per flow of it.
    assert worker_metric(metrics, "wansteer_worker_packets_total") == {0: len(queues[0]), 1: len(queues[1])}
    flows = [len({f[26:30] + f[34:36] for f in share}) for share in queues]
    assert min(flows) > 0
    assert worker_metric(metrics, "wansteer_nat_session_entries") == {0: flows[0], 1: flows[1]}
    final = ws.stop()
    assert final["mempool"]["in_use"] == 0
