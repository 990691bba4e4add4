"""Lab: the overlay's hub (issue 13) as `scripts/lab.sh hub up` makes it: ws-hub at 203.0.113.50:51820, wireguard-go
through wg-quick with the config `wansteer overlay hub-config` writes from the lab's site policy, forwarding and
masquerading towards ws-inet. Until wansteer's data plane carries the overlay, a standard wireguard-go peer stands in
for the site (namespace ws-hubsite, reaching the hub through ws-inet) with the policy's site key and a LAN address:
its ping and TCP reach 203.0.113.10 through the tunnel, the server sees the hub's address, replies come back, and
the hub's `wg show` reports the handshake and the bytes. No wansteer daemon runs here."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overlay_hub import HUB_ADDRESS, HUB_PORT, OverlayHub  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
from lablock import acquire_lab_lock  # noqa: E402

LAB_SH = REPO / "scripts" / "lab.sh"
LABTOOL = REPO / "scripts" / "lib" / "labtool.sh"
SITE_NS = "ws-hubsite"          # ws-*: lab.sh down removes it, and whatever runs in it, after a crashed run
SITE_IF = "wssite0"
SITE_OUTER, SITE_INET = "198.18.4.2", "198.18.4.1"  # its link to ws-inet (not one of labnet.sh's)
SITE_LAN_IP = "192.168.10.77"   # a LAN-side address: what the site's hosts send from, inside the tunnel
SERVER = "203.0.113.10"
WG_ENV = dict(WG_QUICK_USERSPACE_IMPLEMENTATION="wireguard-go", WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD="1")


def wait_until(predicate, timeout, what):
    """Poll predicate() until truthy (module-local: this module's fixtures do not use the lab conftest's Lab)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def sh(*cmd, check=True, **kw):
    return subprocess.run([str(c) for c in cmd], check=check, capture_output=True, text=True, timeout=60, **kw)


def in_ns(ns, *cmd, **kw):
    return sh("ip", "netns", "exec", ns, *cmd, **kw)


class StandInSite:
    """wireguard-go with the site's key in its own namespace: what wansteer will do, done by a standard peer."""

    def __init__(self, workdir, site_key_file, hub_public_key):
        self.conf = workdir / f"{SITE_IF}.conf"
        self.conf.write_text(
            "[Interface]\n"
            f"Address = {SITE_LAN_IP}/32\n"
            f"PostUp = wg set %i private-key {site_key_file}\n"
            "[Peer]\n"
            f"PublicKey = {hub_public_key}\n"
            f"Endpoint = {HUB_ADDRESS}:{HUB_PORT}\n"
            f"AllowedIPs = {SERVER}/32\n"
            "PersistentKeepalive = 25\n")
        self.conf.chmod(0o600)

    def up(self):
        sh("ip", "netns", "add", SITE_NS)
        sh("ip", "-n", SITE_NS, "link", "set", "lo", "up")
        sh("ip", "link", "add", "site0", "netns", "ws-inet", "type", "veth", "peer", "name", "inet0", "netns", SITE_NS)
        sh("ip", "-n", "ws-inet", "addr", "add", f"{SITE_INET}/30", "dev", "site0")
        sh("ip", "-n", "ws-inet", "link", "set", "site0", "up")
        sh("ip", "-n", SITE_NS, "addr", "add", f"{SITE_OUTER}/30", "dev", "inet0")
        sh("ip", "-n", SITE_NS, "link", "set", "inet0", "up")
        sh("ip", "-n", SITE_NS, "route", "add", "default", "via", SITE_INET)
        in_ns(SITE_NS, "wg-quick", "up", self.conf, env=dict(os.environ, **WG_ENV))

    def down(self):
        in_ns(SITE_NS, "wg-quick", "down", self.conf, check=False, env=dict(os.environ, **WG_ENV))
        for pid in sh("ip", "netns", "pids", SITE_NS, check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
        sh("ip", "netns", "del", SITE_NS, check=False)
        Path(f"/var/run/wireguard/{SITE_IF}.sock").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def hub_lab(build_dir, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    for tool in ("wireguard-go", "wg", "wg-quick", "nft"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (scripts/setup.sh installs wireguard-go and wireguard-tools)")
    workdir = tmp_path_factory.mktemp("hub")
    env = dict(os.environ, BUILD_DIR=str(build_dir), WS_STATE=str(workdir))
    lock = acquire_lab_lock()
    hub = OverlayHub(build_dir, workdir)
    site = sink = None
    try:
        sh("bash", LAB_SH, "down", env=env)
        sh("bash", LAB_SH, "up", env=env)
        sink_log = workdir / "sink.jsonl"
        sink_log.touch()
        sink = subprocess.Popen(["ip", "netns", "exec", "ws-inet", str(LABTOOL), "sink", str(sink_log)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert "sink: ready" in sink.stdout.readline()
        hub.up()  # for the lab's site policy: $WS_STATE/office-overlay.yaml with $WS_STATE/overlay.key
        site = StandInSite(workdir, workdir / "overlay.key", hub.public_key)
        site.up()
        yield {"hub": hub, "workdir": workdir, "sink_log": sink_log, "build_dir": build_dir}
    finally:
        if site is not None:
            site.down()
        hub.down()
        if sink is not None:
            sink.terminate()
            sink.wait(5)
        sh("bash", LAB_SH, "down", env=env, check=False)
        lock.close()


def site_public_key(lab):
    return sh("wg", "pubkey", input=(lab["workdir"] / "overlay.key").read_text()).stdout.strip()


def test_the_hub_config_comes_from_the_site_policy(hub_lab):
    conf = (hub_lab["workdir"] / "wshub0.conf").read_text()
    assert f"PublicKey = {site_public_key(hub_lab)}" in conf
    assert "AllowedIPs = 192.168.10.0/24, 192.168.20.0/24" in conf
    policy = hub_lab["hub"].site_policy.read_text()
    assert f'public_key: "{hub_lab["hub"].public_key}"' in policy
    r = sh(hub_lab["build_dir"] / "control" / "wansteer", "--check", hub_lab["hub"].site_policy, check=False)
    assert r.returncode == 0, r.stderr


def test_ping_through_the_hub_from_a_lan_address(hub_lab):
    # the first ping waits for the handshake; poll until one is answered, then a clean run of three
    wait_until(lambda: in_ns(SITE_NS, "ping", "-c", 1, "-W", 1, SERVER, check=False).returncode == 0,
               timeout=20, what="a ping through the hub to answer")
    ping = in_ns(SITE_NS, "ping", "-c", 3, "-i", "0.2", "-W", 2, SERVER, check=False)
    assert ping.returncode == 0 and " 0% packet loss" in ping.stdout, ping.stdout
    peer = hub_lab["hub"].peer(site_public_key(hub_lab))
    assert peer["latest_handshake"] > 0 and peer["rx_bytes"] > 0 and peer["tx_bytes"] > 0, peer
    assert peer["endpoint"].startswith(f"{SITE_OUTER}:"), peer  # learned from the site's handshake
    assert peer["allowed_ips"] == ["192.168.10.0/24", "192.168.20.0/24"], peer


def test_tcp_reaches_the_server_from_the_hub_address(hub_lab):
    out = in_ns(SITE_NS, LABTOOL, "send", f"hub-tcp,tcp,{SERVER},8080", f"hub-udp,udp,{SERVER},3478",
                env=dict(os.environ, LAB_TIMEOUT="5"))
    results = {r["tag"]: r for r in map(json.loads, filter(str.strip, out.stdout.splitlines()))}
    assert results["hub-tcp"]["ok"] and results["hub-udp"]["ok"], results  # the echo came back through the tunnel
    seen = wait_until(lambda: [json.loads(l) for l in hub_lab["sink_log"].read_text().splitlines()
                               if '"hub-' in l], timeout=5, what="the server's records")
    assert {(r["tag"], r["src"]) for r in seen} == {("hub-tcp", HUB_ADDRESS), ("hub-udp", HUB_ADDRESS)}, seen


def test_the_helper_configures_a_site_given_by_key(hub_lab, tmp_path):
    """Another site's key and networks (as the data-plane tests will give): the hub takes them and keeps its key."""
    hub = hub_lab["hub"]
    before = hub.public_key
    key = tmp_path / "other.key"
    other = sh(hub_lab["build_dir"] / "control" / "wansteer", "overlay", "keygen", "--out", key).stdout.strip()
    try:
        hub.up(other, ["192.168.30.0/24", "10.9.0.0/16"])
        dump = hub.dump()
        assert hub.public_key == before and dump["public_key"] == before and dump["listen_port"] == HUB_PORT
        assert dump["peers"] == {other: {"endpoint": None, "allowed_ips": ["192.168.30.0/24", "10.9.0.0/16"],
                                         "latest_handshake": 0, "rx_bytes": 0, "tx_bytes": 0}}
    finally:
        hub.up()  # back to the lab's site, for any test after this one
