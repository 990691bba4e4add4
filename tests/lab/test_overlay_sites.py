"""Lab: two wansteer sites as each other's WireGuard peers (issue 13, site to site). Site A is the lab's edge
(ws-edge, fiber and LTE, policies/office-overlay.yaml with `overlay: peer:` naming site B); site B is a second
wansteer in ws-site2 (scripts/lab.sh site2, tests/lab/site2.py) with one WAN link and no endpoint for A (it answers,
and learns where A is). Hosts in both LANs reach each other through the overlay; a hard outage of A's fiber moves
the tunnel to LTE (B follows A's new source) and, with `duplicate: always`, loses nothing in either direction: A
sends each voice packet over both links, B sends one copy to each of A's two recent endpoints, and each receiver
discards the second copy (counted as overlay duplicates_discarded, not as a drop)."""
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from site2 import LAN2_HOST, LAN2_NS, LAN2_SUBNET, SITE2_ADDRESS, genkey, second_site, site2_key

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
import udpstream  # noqa: E402

OFFICE_HOST = "192.168.10.10"
SITE_A_NETS = ["192.168.10.0/24", "192.168.20.0/24"]
UDPSTREAM = str(REPO / "scripts" / "lib" / "udpstream.py")


def lab_policy(workdir):
    """policies/office-overlay.yaml with site B as its overlay peer instead of the hub, voice duplicated."""
    workdir = Path(workdir)
    genkey(workdir / "overlay.key")
    peer = site2_key(workdir)
    text = (REPO / "policies" / "office-overlay.yaml").read_text()
    text = text.replace("prefixes/", str(REPO / "policies" / "prefixes") + "/")
    hub = re.compile(r"^  hub:\n    public_key: .*\n    endpoint: .*\n", re.M)
    assert hub.search(text), "office-overlay.yaml's hub block changed"
    text = hub.sub(f'  peer:\n    public_key: "{peer}"\n    endpoint: "{SITE2_ADDRESS}:51820"\n'
                   f"    allowed_ips: [{LAN2_SUBNET}]\n", text)
    text, n = re.subn(r"^(  - name: voip\b.*\n)", r"\1    duplicate: always\n", text, flags=re.M)
    assert n == 1
    path = workdir / "office-sites.yaml"
    path.write_text(text)
    return path


def site_a_public_key(workdir):
    return subprocess.run(["wg", "pubkey"], input=(Path(workdir) / "overlay.key").read_text(), capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def site_b(lab, build_dir):
    with second_site(lab.tools, build_dir, lab.workdir, site_a_public_key(lab.workdir), SITE_A_NETS) as b:
        lab.tools.wait_for(lambda: lab.ws.ctl("show", "overlay")["session"] and b.ws.ctl("show", "overlay")["session"],
                           timeout=40, what="the handshake between site A and site B")
        yield b


def ns(name, *cmd, **kw):
    return subprocess.run(["ip", "netns", "exec", name, *cmd], capture_output=True, text=True, **kw)


def ping(netns, dst):
    return ns(netns, "ping", "-c", "3", "-i", "0.2", "-W", "1", "-w", "6", dst)


def discarded(ws):
    """Second copies a site's workers opened and discarded (show counters: overlay duplicates_discarded)."""
    return ws.counters()["overlay"]["duplicates_discarded"]


class Stream:
    """A paced UDP stream (scripts/lib/udpstream.py) from one namespace to a host in another."""

    def __init__(self, src_ns, dst_ns, dst, port, seconds, rate=50):
        self.path = Path(f"/tmp/wansteer-sites-{port}-{time.monotonic_ns()}.txt")
        self.rx = subprocess.Popen(["ip", "netns", "exec", dst_ns, "/usr/bin/python3", UDPSTREAM, "recv", dst,
                                    str(port), str(self.path)], stdout=subprocess.PIPE, text=True)
        assert self.rx.stdout.readline().strip() == "ready"
        self.tx = subprocess.Popen(["ip", "netns", "exec", src_ns, "/usr/bin/python3", UDPSTREAM, "send", dst,
                                    str(port), str(rate), str(seconds)], stdout=subprocess.PIPE, text=True)
        self.sent = rate * seconds

    def flowing(self):
        return self.path.exists() and self.path.stat().st_size > 2000

    def finish(self):
        try:
            self.tx.wait(60)
            time.sleep(0.3)  # the last datagrams are in flight
        finally:
            self.rx.terminate()
            self.rx.wait(5)
        rows = udpstream.load(self.path)
        self.path.unlink()
        seqs = [r[2] for r in rows]
        return {"received": len(seqs), "unique": len(set(seqs)), "lost": self.sent - len(set(seqs)),
                "gap_ms": udpstream.max_gap_ms(rows)}


def wait_on_fiber(lab, *classes):
    lab.tools.wait_for(lambda: all(lab.ws.ctl("show", "classes")[c]["links"] == ["fiber"] for c in classes),
                       timeout=40, what=f"{', '.join(classes)} on fiber")


def test_hosts_in_both_sites_reach_each_other(lab, site_b):
    r = ping("ws-office", LAN2_HOST)
    assert r.returncode == 0, r.stdout + r.stderr
    r = ping(LAN2_NS, OFFICE_HOST)
    assert r.returncode == 0, r.stdout + r.stderr
    a_to_b = Stream("ws-office", LAN2_NS, LAN2_HOST, 9100, 1)  # class default at A, not duplicated
    b_to_a = Stream(LAN2_NS, "ws-office", OFFICE_HOST, 9101, 1)
    ra, rb = a_to_b.finish(), b_to_a.finish()
    assert ra["lost"] == 0 and rb["lost"] == 0, (ra, rb)
    ov_b = site_b.ws.ctl("show", "overlay")
    assert ov_b["hub"].startswith("100.64.1.2:"), ov_b  # B learned A's endpoint: its fiber address
    assert ov_b["counters"]["opened"] > 0 and ov_b["counters"]["sealed"] > 0, ov_b
    assert lab.ws.ctl("show", "overlay")["counters"]["opened"] > 0


def test_fiber_outage_at_a_loses_no_duplicated_voice_either_way(lab, site_b):
    wait_on_fiber(lab, "voip", "default")
    before_a, before_b = discarded(lab.ws), discarded(site_b.ws)
    dups_b = site_b.ws.counters()["overlay"]["duplicates"]
    seconds = 6
    streams = {"voice a->b": Stream("ws-office", LAN2_NS, LAN2_HOST, 20000, seconds),
               "voice b->a": Stream(LAN2_NS, "ws-office", OFFICE_HOST, 20002, seconds),
               "plain a->b": Stream("ws-office", LAN2_NS, LAN2_HOST, 9200, seconds),
               "plain b->a": Stream(LAN2_NS, "ws-office", OFFICE_HOST, 9202, seconds)}
    lab.tools.wait_for(lambda: all(s.flowing() for s in streams.values()), timeout=10, what="the streams flowing")
    # B hears A over both links before the outage: it is discarding A's voice copies
    lab.tools.wait_for(lambda: discarded(site_b.ws) >= before_b + 10, timeout=10, what="B discarding A's copies")
    lab.fault("isp1", "drop")
    try:
        results = {name: s.finish() for name, s in streams.items()}
        b_sends_to = site_b.ws.ctl("show", "overlay")["hub"]
    finally:
        lab.fault("isp1", "clear")
    after_a, after_b = discarded(lab.ws), discarded(site_b.ws)
    print(f"sites: {results}; second copies discarded at A {after_a - before_a}, at B {after_b - before_b}; "
          f"B sent {site_b.ws.counters()['overlay']['duplicates'] - dups_b} copies")
    for name in ("voice a->b", "voice b->a"):
        r = results[name]
        assert r["received"] == r["unique"], f"{name}: a second copy reached the host: {r}"
        assert r["lost"] == 0, f"{name}: duplicated voice lost packets in the outage: {r}"
    for name in ("plain a->b", "plain b->a"):  # not duplicated: a gap, then on over LTE (B following A there)
        plain = results[name]
        assert plain["received"] == plain["unique"], f"{name}: a copy reached the host: {plain}"
        assert plain["lost"] < 0.5 * 50 * seconds and plain["gap_ms"] < 5000, f"{name}: {plain}"
    assert after_b - before_b >= 25, "B discarded no second copies of A's duplicated voice"
    assert after_a - before_a >= 25, "A discarded no second copies of B's duplicated voice (B sent to one endpoint)"
    assert b_sends_to.startswith("100.64.2.2:"), b_sends_to  # B followed A to its LTE address
