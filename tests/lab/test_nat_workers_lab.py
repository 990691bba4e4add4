"""Lab: NAT with two workers. Every af_packet port has two queues (qpairs=2), one per worker; the kernel spreads
flows over them by hash, and moves a busy flow to the other queue when its own fills (af_packet fanout's
rollover). The worker owning an inside port (port % workers) makes all of that endpoint's mappings, so a LAN
socket is seen from one external port whichever queue each of its flows arrives on, and keeps its port.
Found with bench/idle --workers 2: an iperf3 -u stream at 100k packets/s got a second external port mid-stream,
the server's port unreachable for it came back as ECONNREFUSED, and iperf3 stopped."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from office_policy import office_policy  # noqa: E402
from nat_ports import expected_outside_port_ok  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NATPROBE = str(REPO / "scripts" / "lib" / "natprobe.py")
FIBER_ADDR = "100.64.1.2"
SERVERS = ("203.0.113.10", "198.51.100.10")  # the lab's echo servers (port 8080), class default: over fiber
SOCKETS = 8
_CPUS = ",".join(map(str, sorted(os.sched_getaffinity(0))))
LAB_WANSTEER = {"workers": 2,
                # main + two workers on whatever CPUs we may use (they may share one)
                "eal_args": ["--lcores", f"(0-2)@({_CPUS})", "--no-pci", "--in-memory", "--log-level=lib.eal:error"]}


def lab_policy(workdir):
    edits = [(f"iface={i},qdisc_bypass=1\"", f"iface={i},qdisc_bypass=1,qpairs=2\"") for i in ("lan0", "fiber0", "lte0")]
    return office_policy(workdir, "office-nat-two-workers.yaml", edits)


def natprobe(*args):
    r = subprocess.run(["ip", "netns", "exec", "ws-office", "/usr/bin/python3", NATPROBE, *map(str, args)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_one_external_port_per_inside_endpoint_across_workers(lab):
    """RFC 4787 REQ-1 with two workers: each socket talks to two servers, so its two flows land on different
    queues half the time (8 sockets: all on one queue once in 2^8); every flow of a socket is seen from fiber's
    address and the socket's own port (another one for a probe port: nat_ports.py)."""
    lab.set_link("fiber", "up")
    before = lab.counters()["workers"]["handoff_sent"]
    seen = {}
    for i in range(SOCKETS):
        tags = [lab.tag(f"nw-{i}-{s}") for s in SERVERS]
        res = natprobe("echo", 0, 8080, *(f"{t}@{s}" for t, s in zip(tags, SERVERS)))
        assert res["ok"] == [True, True], res
        recs = [r for t in tags for r in lab.sink_records(t)]
        assert len({r["tag"] for r in recs}) == 2, recs
        seen[res["sport"]] = {(r["src"], r["sport"]) for r in recs}
    for inside, outside in seen.items():
        assert len(outside) == 1, f"socket :{inside} seen as {outside} (all: {seen})"
        addr, port = next(iter(outside))
        assert addr == FIBER_ADDR and expected_outside_port_ok(inside, port), \
            f"socket :{inside} seen as {outside} (all: {seen})"
    # 16 flows on queues chosen by the kernel's hash: some arrived on the worker not owning their port
    assert lab.counters()["workers"]["handoff_sent"] > before


def test_busy_udp_stream_keeps_its_mapping(lab):
    """The case that found it: iperf3 -u, 64-byte datagrams at ~50k packets/s for 4 s through two workers on two
    shared cores, where queues fill and the kernel moves the stream between them. A second mapping would draw a
    port unreachable from the server, which the client reports as a failed write."""
    lab.set_link("fiber", "up")
    srv = subprocess.Popen(["ip", "netns", "exec", "ws-inet", "iperf3", "-s", "-1", "-B", SERVERS[0], "-p", "5301",
                            "--forceflush"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while "listening" not in (line := srv.stdout.readline()):
            assert line and time.monotonic() < deadline, f"iperf3 server did not start: {line!r}"
        cli = subprocess.run(["ip", "netns", "exec", "ws-office", "iperf3", "-c", SERVERS[0], "-p", "5301", "-u",
                              "-l", "64", "-b", str(50000 * 64 * 8), "-t", "4", "--json"],
                             capture_output=True, text=True, timeout=60)
        report = json.loads(cli.stdout)
        assert cli.returncode == 0 and "error" not in report, report.get("error", cli.stderr)
        assert report["end"]["sum"]["packets"] > 50000, report["end"]["sum"]  # the stream really ran
    finally:
        if srv.poll() is None:
            srv.terminate()
        srv.wait(10)


def test_stops_with_every_mbuf_back(lab):
    lab.stop_cleanly()
