"""Lab fixture: the namespaces of scripts/lab.sh, echo servers in ws-inet, wansteer in ws-edge
with policies/office.yaml. Module scoped; torn down after the module, also when a test fails."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
from lablock import acquire_lab_lock  # noqa: E402
LAB_SH = REPO / "scripts" / "lab.sh"
LABTOOL = REPO / "scripts" / "lib" / "labtool.sh"

HOSTS = {"office": "ws-office", "guest": "ws-guest"}
ISP_SOURCE = {"100.64.1.2": "fiber", "100.64.2.2": "lte"}  # the edge's address on each line (its NAT)
EDGE_LAN = {"office": "192.168.10.1", "guest": "192.168.20.1"}


class Lab:
    EDGE_LAN = EDGE_LAN
    ISP_SOURCE = ISP_SOURCE
    def __init__(self, tools, build_dir, workdir, policy="policies/office.yaml", wansteer_kw=None):
        self.policy = policy
        self.wansteer_kw = wansteer_kw or {}  # more Wansteer(...) arguments: workers, eal_args, extra_args
        self.tools = tools
        self.build_dir = build_dir
        self.workdir = workdir
        self.sink_log = workdir / "sink.jsonl"
        self.sink = None
        self.ws = None
        self.final_stats = None
        self._round = 0

    # --- lifecycle -------------------------------------------------------------------------
    def up(self):
        self._lock = acquire_lab_lock()
        env = dict(os.environ, BUILD_DIR=str(self.build_dir), WS_STATE=str(self.workdir))
        subprocess.run(["bash", str(LAB_SH), "down"], check=True, env=env, capture_output=True)
        subprocess.run(["bash", str(LAB_SH), "up"], check=True, env=env, capture_output=True)
        self.sink_log.touch()
        self.sink = subprocess.Popen(["ip", "netns", "exec", "ws-inet", str(LABTOOL), "sink",
                                      str(self.sink_log)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.sink.stdout.readline()
        assert "sink: ready" in line, f"echo servers did not start: {line}"
        self.ws = self.tools.Wansteer(self.build_dir, self.policy, netns="ws-edge",
                                      workdir=self.workdir, **self.wansteer_kw)
        self.ws.wait_running(30)
        # ready for traffic once both gateways are resolved by ARP and both links answer probes
        self.tools.wait_for(lambda: all(l.get("gateway_resolved") and l.get("state") == "up"
                                        for l in self.counters()["links"].values()),
                            timeout=10, what="links resolved and answering probes")

    def down(self):
        try:
            if self.ws is not None:
                self.final_stats = self.ws.stop()
        finally:
            if self.ws is not None:
                self.ws.kill()
            if self.sink is not None and self.sink.poll() is None:
                self.sink.send_signal(signal.SIGTERM)
                try:
                    self.sink.wait(3)
                except subprocess.TimeoutExpired:
                    self.sink.kill()
            subprocess.run(["bash", str(LAB_SH), "down"], capture_output=True)
            if getattr(self, "_lock", None) is not None:
                self._lock.close()
                self._lock = None

    def stop_cleanly(self, within_s=2.0):
        """SIGTERM: the daemon exits 0 within its promised second (checked with margin), writes --final-stats, and
        every mbuf is back in the pool. Returns the final stats."""
        t0 = time.monotonic()
        final = self.ws.stop(timeout=5)
        took = time.monotonic() - t0
        assert self.ws.proc.returncode == 0, f"exit status {self.ws.proc.returncode}:\n{self.ws.output}"
        assert took < within_s, f"stopping took {took:.2f}s"
        assert final is not None, "no --final-stats file written"
        assert final["mempool"]["in_use"] == 0, f"mbufs leaked: {final['mempool']}"
        return final

    # --- faults (nftables on the ISP routers, see scripts/lab.sh fault) ---------------------
    def fault(self, isp, *what):
        env = dict(os.environ, BUILD_DIR=str(self.build_dir), WS_STATE=str(self.workdir))
        subprocess.run(["bash", str(LAB_SH), "fault", isp, *what], check=True, env=env, capture_output=True)

    # --- daemon ----------------------------------------------------------------------------
    def counters(self):
        return self.ws.ctl("show", "counters")

    def class_link_packets(self, counters, cls, link):
        return counters["classes"][cls]["links"].get(link, {}).get("packets", 0)

    def set_link(self, name, state):
        if self.counters()["links"][name]["admin"] == state:
            return
        self.ws.ctl("link", state, name, as_json=False)
        self.tools.wait_for(lambda: self.counters()["links"][name]["admin"] == state,
                            timeout=5, what=f"link {name} admin {state}")

    # --- traffic ---------------------------------------------------------------------------
    def tag(self, label):
        self._round += 1
        return f"{label}-{self._round}"

    def send(self, host, specs, timeout=2.0):
        """specs: [(tag, proto, dst, dport[, tos])] from a LAN host; returns {tag: result}."""
        args = [",".join(str(x) for x in s) for s in specs]
        env = dict(os.environ, LAB_TIMEOUT=str(timeout))
        out = subprocess.run(["ip", "netns", "exec", HOSTS[host], str(LABTOOL), "send", *args],
                             capture_output=True, text=True, env=env, timeout=timeout + 10)
        assert out.returncode == 0, out.stderr
        results = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
        return {r["tag"]: r for r in results}

    def sink_records(self, tag):
        with open(self.sink_log) as f:
            return [r for r in map(json.loads, filter(str.strip, f)) if r["tag"] == tag]

    def carried_by(self, tag):
        """Which ISP the internet saw the flow tagged `tag` arrive from (None if it never did)."""
        recs = self.sink_records(tag)
        links = {ISP_SOURCE.get(r["src"], r["src"]) for r in recs}
        assert len(links) <= 1, f"flow {tag} arrived from several sources: {recs}"
        return links.pop() if links else None

    def ping(self, host, dst, count=3, args=()):
        return subprocess.run(["ip", "netns", "exec", HOSTS[host], "ping", "-c", str(count),
                               "-i", "0.2", "-W", "1", "-w", "5", *args, dst],
                              capture_output=True, text=True)


@pytest.fixture(scope="module")
def lab(request, wansteer_tools, build_dir, tmp_path_factory):
    """The lab with policies/office.yaml, or with the policy a test module's lab_policy(workdir) writes; a module's
    LAB_WANSTEER dict adds arguments for the daemon (Wansteer's workers, eal_args, extra_args)."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    workdir = tmp_path_factory.mktemp("lab")
    make_policy = getattr(request.module, "lab_policy", None)
    lab = Lab(wansteer_tools, build_dir, workdir, make_policy(workdir) if make_policy else "policies/office.yaml",
              getattr(request.module, "LAB_WANSTEER", None))
    try:
        lab.up()
        yield lab
    finally:
        lab.down()
