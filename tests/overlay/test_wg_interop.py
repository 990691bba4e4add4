"""Our WireGuard implementation against a standard peer: wireguard-go with wireguard-tools in a network namespace of
its own, our tests/overlay/wg_peer (handshake, transport, ICMP inside the tunnel) in another, joined by a veth pair;
nothing leaves the machine. Either side initiates; pings cross the tunnel both ways; `wg show` on the wireguard-go
side reports the handshake and the bytes. A peer configured with another key never completes a handshake."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

TAG = f"{os.getpid() % 100000}"
NS_US, NS_GO = f"wsovl{TAG}a", f"wsovl{TAG}b"
WG_IF = f"wsovl{TAG}"  # the wireguard-go interface; its UAPI socket is /var/run/wireguard/<name>.sock
OUTER_US, OUTER_GO = "10.213.0.1", "10.213.0.2"
INNER_US, INNER_GO = "10.214.0.2", "10.214.0.1"
PORT_US, PORT_GO = 51821, 51820


def wait_for(predicate, timeout, what):
    """Poll predicate() until truthy (a module-local helper: tests/lab's conftest shadows the top one by name)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def sh(*cmd, check=True, **kw):
    return subprocess.run([str(c) for c in cmd], check=check, capture_output=True, text=True, **kw)


def in_ns(ns, *cmd, **kw):
    return sh("ip", "netns", "exec", ns, *cmd, **kw)


def genkey():
    priv = sh("wg", "genkey").stdout.strip()
    pub = subprocess.run(["wg", "pubkey"], input=priv, capture_output=True, text=True, check=True).stdout.strip()
    return priv, pub


class Lab:
    """Two namespaces, a veth pair, wireguard-go running in one of them."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.go_priv, self.go_pub = genkey()
        self.us_priv, self.us_pub = genkey()
        self.wireguard_go = None
        for ns in (NS_US, NS_GO):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "wsovlva", "netns", NS_US, "type", "veth", "peer", "name", "wsovlvb", "netns", NS_GO)
        sh("ip", "-n", NS_US, "addr", "add", f"{OUTER_US}/30", "dev", "wsovlva")
        sh("ip", "-n", NS_GO, "addr", "add", f"{OUTER_GO}/30", "dev", "wsovlvb")
        sh("ip", "-n", NS_US, "link", "set", "wsovlva", "up")
        sh("ip", "-n", NS_GO, "link", "set", "wsovlvb", "up")

    def start_wireguard_go(self, peer_pub, endpoint=None):
        env = dict(os.environ, WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD="1")
        self.wireguard_go = subprocess.Popen(["ip", "netns", "exec", NS_GO, "wireguard-go", "-f", WG_IF], env=env,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sock = Path(f"/var/run/wireguard/{WG_IF}.sock")
        wait_for(sock.exists, timeout=15, what=f"wireguard-go's socket {sock}")
        key = self.tmp / "go.key"
        key.write_text(self.go_priv + "\n")
        key.chmod(0o600)
        cmd = ["wg", "set", WG_IF, "private-key", key, "listen-port", PORT_GO, "peer", peer_pub,
               "allowed-ips", f"{INNER_US}/32"]
        if endpoint:
            cmd += ["endpoint", endpoint]
        in_ns(NS_GO, *cmd)
        sh("ip", "-n", NS_GO, "addr", "add", f"{INNER_GO}/24", "dev", WG_IF)
        sh("ip", "-n", NS_GO, "link", "set", WG_IF, "up")

    def wg_show(self, what):
        """`wg show IF WHAT` on the wireguard-go side: the first peer's fields after its key."""
        line = in_ns(NS_GO, "wg", "show", WG_IF, what).stdout.split("\n")[0]
        return [int(x) for x in line.split()[1:]] if line else []

    def close(self):
        if self.wireguard_go is not None:
            self.wireguard_go.terminate()
            try:
                self.wireguard_go.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.wireguard_go.kill()
                self.wireguard_go.wait()
        for ns in (NS_US, NS_GO):
            sh("ip", "netns", "del", ns, check=False)
        Path(f"/var/run/wireguard/{WG_IF}.sock").unlink(missing_ok=True)


@pytest.fixture
def lab(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    for tool in ("wireguard-go", "wg"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (scripts/setup.sh installs wireguard-go and wireguard-tools)")
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.close()


def start_wg_peer(build_dir, lab, *args, timeout=20):
    exe = build_dir / "tests" / "overlay" / "wg_peer"
    assert exe.exists(), f"{exe} not built"
    cmd = ["ip", "netns", "exec", NS_US, exe, "--private-key", lab.us_priv, "--peer-public-key", lab.go_pub,
           "--bind", f"{OUTER_US}:{PORT_US}", "--inner", INNER_US, "--timeout", timeout, *args]
    return subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc, timeout=30):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def test_we_initiate_and_ping_through_both_ways(build_dir, lab):
    lab.start_wireguard_go(lab.us_pub)
    peer = start_wg_peer(build_dir, lab, "--endpoint", f"{OUTER_GO}:{PORT_GO}", "--ping", INNER_GO, "--count", 3,
                         "--answer", 3)
    try:
        wait_for(lambda: (lab.wg_show("latest-handshakes") or [0])[0] > 0, timeout=15,
                 what="wireguard-go to report a handshake with our peer")
        ping = in_ns(NS_GO, "ping", "-c", 3, "-i", "0.3", "-W", 3, INNER_US, check=False)
    finally:
        rc, out = finish(peer)
    assert "handshake completed role=initiator" in out, out
    assert rc == 0 and "replies=3 answered=3" in out, out  # our pings answered by the kernel behind wireguard-go
    assert ping.returncode == 0 and " 0% packet loss" in ping.stdout, ping.stdout + out  # its pings answered by us
    rx, tx = lab.wg_show("transfer")
    assert rx > 0 and tx > 0
    endpoints = in_ns(NS_GO, "wg", "show", WG_IF, "endpoints").stdout
    assert f"{OUTER_US}:{PORT_US}" in endpoints  # it learned our address from the handshake


def test_wireguard_go_initiates_and_we_respond(build_dir, lab):
    lab.start_wireguard_go(lab.us_pub, endpoint=f"{OUTER_US}:{PORT_US}")
    peer = start_wg_peer(build_dir, lab, "--answer", 3)
    try:
        time.sleep(0.2)  # our socket is bound before the first initiation (a lost one would cost a 5 s retry)
        # wireguard-go holds the first packets while it runs the handshake, then sends them.
        ping = in_ns(NS_GO, "ping", "-c", 5, "-i", "0.3", "-W", 6, INNER_US, check=False)
    finally:
        rc, out = finish(peer)
    assert "handshake completed role=responder" in out, out
    assert rc == 0 and "answered=3" in out, out
    assert ping.returncode == 0, ping.stdout + out
    assert (lab.wg_show("latest-handshakes") or [0])[0] > 0


def test_peer_with_another_key_never_completes(build_dir, lab):
    _, stranger_pub = genkey()
    lab.start_wireguard_go(stranger_pub)  # wireguard-go expects someone else
    peer = start_wg_peer(build_dir, lab, "--endpoint", f"{OUTER_GO}:{PORT_GO}", "--ping", INNER_GO, "--count", 1,
                         timeout=3)
    rc, out = finish(peer)
    assert rc == 1, out
    assert "initiation sent" in out and "handshake completed" not in out, out
    assert lab.wg_show("latest-handshakes") == [0]
