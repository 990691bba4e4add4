"""The DHCP client against a real server: Debian's dnsmasq (2-minute leases, its minimum) in a namespace of its own
on a veth, wansteer's LTE port an af_packet on the other end. The lease is bound (the link comes up), renewed at T1,
and once dnsmasq is stopped it expires and takes the link down. Own namespace names (wsd-*), not the lab's, so the
lab lock is not needed; about 3 minutes, most of it waiting for the lease's timers."""
import json
import shutil
import signal
import subprocess

import pytest

EDGE, ISP = "wsd-edge", "wsd-isp"
SERVER = "10.77.0.1"

POLICY = """\
name: dhcp-lab
lan:
  device: "net_af_packet0,iface=dlan0,qdisc_bypass=1"
  subnets:
    - address: 192.168.77.1/24
links:
  - name: fiber
    device: "net_af_packet1,iface=dfib0,qdisc_bypass=1"
    address: 100.64.77.2/30
    gateway: 100.64.77.1
  - name: lte
    device: "net_af_packet2,iface=dlte0,qdisc_bypass=1"
    address: dhcp
    role: backup
classes:
  - name: voip
    links: [fiber, lte]
"""


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


def ns(name, *cmd, check=True):
    return sh("ip", "netns", "exec", name, *cmd, check=check)


def topology_down():
    for n in (EDGE, ISP):
        sh("ip", "netns", "del", n, check=False)


def topology_up():
    topology_down()
    sh("ip", "netns", "add", EDGE)
    sh("ip", "netns", "add", ISP)
    sh("ip", "link", "add", "dlan0", "netns", EDGE, "type", "veth", "peer", "name", "dlanp", "netns", EDGE)
    sh("ip", "link", "add", "dfib0", "netns", EDGE, "type", "veth", "peer", "name", "dfibp", "netns", EDGE)
    sh("ip", "link", "add", "dlte0", "netns", EDGE, "type", "veth", "peer", "name", "dlte", "netns", ISP)
    ns(EDGE, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    for dev in ("lo", "dlan0", "dlanp", "dfib0", "dfibp", "dlte0"):
        ns(EDGE, "ip", "link", "set", dev, "up")
    ns(ISP, "ip", "addr", "add", f"{SERVER}/24", "dev", "dlte")
    ns(ISP, "ip", "link", "set", "lo", "up")
    ns(ISP, "ip", "link", "set", "dlte", "up")
    # veth leaves UDP checksums to an offload that never happens; the client refuses a wrong checksum, so compute it
    # (as scripts/lab.sh does for every namespace).
    ns(ISP, "ethtool", "-K", "dlte", "tx", "off")
    ns(ISP, "sysctl", "-qw", "net.ipv6.conf.dlte.disable_ipv6=1")


def events(ws, kind):
    """The events of `kind` wansteer logged so far (one JSON line each on stdout)."""
    out = []
    for line in list(ws.lines):
        if line.startswith("{"):
            e = json.loads(line)
            if e.get("event") == kind:
                out.append(e)
    return out


@pytest.fixture
def dhcp_lab(tmp_path, wansteer_tools, build_dir):
    if shutil.which("dnsmasq") is None:
        pytest.fail("dnsmasq missing: run scripts/setup.sh (package dnsmasq-base)")
    topology_up()
    dnsmasq = subprocess.Popen(
        ["ip", "netns", "exec", ISP, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root",
         "--interface=dlte", "--bind-interfaces", "--dhcp-authoritative", "--log-dhcp",
         "--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,2m", f"--dhcp-option=3,{SERVER}",
         f"--dhcp-leasefile={tmp_path / 'leases'}", f"--pid-file={tmp_path / 'dnsmasq.pid'}"],
        stdin=subprocess.DEVNULL, stdout=open(tmp_path / "dnsmasq.log", "w"), stderr=subprocess.STDOUT)
    policy = tmp_path / "dhcp.yaml"
    policy.write_text(POLICY)
    ws = None
    try:
        (tmp_path / "ws").mkdir()
        ws = wansteer_tools.Wansteer(build_dir, policy, netns=EDGE, workdir=tmp_path / "ws")
        ws.wait_running(30)
        yield ws, dnsmasq
    finally:
        if ws is not None:
            try:
                ws.stop()
            except AssertionError:
                ws.kill()
        if dnsmasq.poll() is None:
            dnsmasq.send_signal(signal.SIGTERM)
            dnsmasq.wait(5)
        topology_down()


def test_dhcp_lease_bound_renewed_and_lost(dhcp_lab, wansteer_tools):
    ws, dnsmasq = dhcp_lab
    wait_for = wansteer_tools.wait_for

    def lte():
        return ws.ctl("show", "links")["links"]["lte"]

    # Down until bound; then the lease's address and gateway, the gateway ARPed and probes answered.
    wait_for(lambda: lte()["dhcp"]["state"] == "bound", timeout=30, what="a DHCP lease on lte")
    lease = lte()["dhcp"]
    assert lease["address"].startswith("10.77.0.") and lease["address"].endswith("/24"), lease
    assert lease["gateway"] == SERVER and lease["server"] == SERVER, lease
    assert 0 < lease["seconds_left"] <= 120, lease
    wait_for(lambda: lte()["state"] == "up", timeout=20, what="lte up on its lease")
    assert len(events(ws, "dhcp_bound")) == 1
    text = ws.ctl("show", "links", as_json=False)
    assert "lte: dhcp bound, lease 10.77.0." in text, text

    # T1 is half the 2-minute lease: renewed by unicast to the server, the same address kept.
    wait_for(lambda: events(ws, "dhcp_renewed"), timeout=90, interval=0.5, what="the lease renewed at T1")
    assert lte()["dhcp"]["address"] == lease["address"]
    assert lte()["state"] == "up"

    # No server: renew and rebind go unanswered and expiry takes the link down (at most 120 s after the renewal).
    dnsmasq.send_signal(signal.SIGTERM)
    dnsmasq.wait(5)
    wait_for(lambda: events(ws, "dhcp_lost"), timeout=150, interval=0.5, what="the lease lost at expiry")
    wait_for(lambda: lte()["state"] == "down", timeout=5, what="lte down without a lease")
    after = lte()["dhcp"]
    assert after["state"] in ("init", "selecting"), after
    assert after["address"] == "" and after["seconds_left"] == 0, after
