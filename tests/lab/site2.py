"""A second office for the site-to-site overlay in the lab (issue 13): `scripts/lab.sh site2 up` (ws-site2 with
ports wan0 and lan0, a host 192.168.110.10 in ws-lan2) and a second wansteer there with its own policy, key, control
socket and DPDK file prefix. The lab (site A, ws-edge) must be up, and the lab lock held by the caller.

    from site2 import second_site                # tests/lab is on sys.path for its test modules
    with second_site(tools, build_dir, workdir, site_a_public_key, ["192.168.10.0/24"]) as b:
        b.public_key, b.endpoint                 # what site A's policy needs (overlay: peer:)
        b.ws.ctl("show", "overlay")"""
import contextlib
import os
import subprocess
from pathlib import Path

from overlay_hub import lab_sh

SITE2_NS = "ws-site2"
LAN2_NS = "ws-lan2"
SITE2_ADDRESS = "203.0.113.62"
SITE2_PORT = 51820
LAN2_HOST = "192.168.110.10"
LAN2_SUBNET = "192.168.110.0/24"


def genkey(path):
    """A WireGuard private key at path (0600, made unless it exists); returns its public key."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True).stdout)
    return subprocess.run(["wg", "pubkey"], input=path.read_text(), capture_output=True, text=True,
                          check=True).stdout.strip()


def site2_key(workdir):
    """Site B's key in workdir/site2 (made on first use): its public key, for site A's policy."""
    return genkey(Path(workdir) / "site2" / "site2.key")


def site2_policy(peer_public_key, peer_networks, key_file="site2.key"):
    """Site B: one WAN link in use (the other unplugged), its LAN, site A as its overlay peer (no endpoint: learned when A calls), voice
    duplicated (to A's two endpoints: B has one link of its own)."""
    nets = ", ".join(peer_networks)
    return f"""name: site2
lan:
  device: "net_af_packet0,iface=lan0,qdisc_bypass=1"
  subnets:
    - address: 192.168.110.1/24
probing:
  targets:
    - {{address: 203.0.113.10, kind: stamp}}
    - {{address: 198.51.100.20, kind: icmp}}
  interval_ms: 20
links:
  - name: wan
    device: "net_af_packet1,iface=wan0,qdisc_bypass=1"
    address: {SITE2_ADDRESS}/30
    gateway: 203.0.113.61
  - name: spare                       # unplugged in the lab: a policy names 2 to 8 links, site B runs on one
    device: "net_af_packet2,iface=wan1,qdisc_bypass=1"
    address: 192.0.2.2/30
    gateway: 192.0.2.1
overlay:
  peer:
    public_key: "{peer_public_key}"
    allowed_ips: [{nets}]
  private_key_file: {key_file}
classes:
  - name: voip
    links: [wan]
    paths: [overlay]
    duplicate: always
  - name: default
    links: [wan]
rules:
  - class: voip
    protocol: udp
    dst_ports: "16384-32767"
"""


class SecondSite:
    def __init__(self, tools, build_dir, workdir):
        self.tools = tools
        self.build_dir = build_dir
        self.workdir = Path(workdir) / "site2"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, BUILD_DIR=str(build_dir), WS_STATE=str(workdir))
        self.public_key = site2_key(workdir)
        self.endpoint = f"{SITE2_ADDRESS}:{SITE2_PORT}"
        self.ws = None

    def _lab(self, *args, check=True):
        return lab_sh(self.env, "site2", *args, check=check)

    def up(self, peer_public_key, peer_networks):
        self._lab("up")
        policy = self.workdir / "site2.yaml"
        policy.write_text(site2_policy(peer_public_key, peer_networks))
        # its own DPDK files (the prefix) and no huge pages: site A's daemon holds those
        eal = ["-l", "0-1", "--no-pci", f"--file-prefix=wansteer-site2-{os.getpid()}", "--no-huge", "-m", "1024",
               "--log-level=lib.eal:error"]
        self.ws = self.tools.Wansteer(self.build_dir, policy, netns=SITE2_NS, workdir=self.workdir, eal_args=eal)
        self.ws.wait_running(30)
        self.tools.wait_for(lambda: (lambda l: l.get("gateway_resolved") and l.get("state") == "up")(
                                self.ws.counters()["links"]["wan"]),
                            timeout=10, what="site2's link resolved and answering probes")
        return self

    def down(self):
        try:
            if self.ws is not None:
                self.ws.stop()
        finally:
            if self.ws is not None:
                self.ws.kill()
            self._lab("down", check=False)


@contextlib.contextmanager
def second_site(tools, build_dir, workdir, peer_public_key, peer_networks):
    site = SecondSite(tools, build_dir, workdir)
    try:
        yield site.up(peer_public_key, peer_networks)
    finally:
        site.down()
