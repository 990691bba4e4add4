"""The overlay's hub in the lab, for tests (issue 13): `scripts/lab.sh hub up` (ws-hub, wireguard-go through
wg-quick, 203.0.113.50:51820, NAT towards ws-inet) for a site given by its public key and networks, or for the lab's
site policy; `wg show wshub0 dump` read back; `hub down`. The lab must be up, and the lab lock held by the caller.

    from overlay_hub import overlay_hub          # tests/lab is on sys.path for its test modules
    with overlay_hub(build_dir, state_dir, site_public_key, ["192.168.10.0/24"]) as hub:
        hub.public_key, hub.endpoint             # what the site's policy needs (overlay: hub:)
        hub.peer(site_public_key)                # {"endpoint", "allowed_ips", "latest_handshake", "rx_bytes", ...}

Without a site key, `hub.up()` uses $WS_STATE/office-overlay.yaml, which lab.sh writes from
policies/office-overlay.yaml with this hub's key and a new site key ($WS_STATE/overlay.key): `hub.site_policy`."""
import contextlib
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_SH = REPO / "scripts" / "lab.sh"

HUB_NS = "ws-hub"
HUB_IF = "wshub0"
HUB_ADDRESS = "203.0.113.50"
HUB_PORT = 51820
HUB_INNER = "10.200.0.1"


def lab_sh(env, *args, check=True):
    """scripts/lab.sh ARGS (e.g. "hub", "up") with env; fails the test when it does, unless check is False."""
    r = subprocess.run(["bash", str(LAB_SH), *args], env=env, capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"lab.sh {' '.join(args)} failed: {r.stdout}{r.stderr}")
    return r


class OverlayHub:
    def __init__(self, build_dir, state_dir):
        self.state_dir = Path(state_dir)
        self.env = dict(os.environ, BUILD_DIR=str(build_dir), WS_STATE=str(self.state_dir))
        self.public_key = None
        self.endpoint = f"{HUB_ADDRESS}:{HUB_PORT}"
        self.inner_address = HUB_INNER
        self.site_policy = None

    def _lab(self, *args, check=True):
        return lab_sh(self.env, "hub", *args, check=check)

    def up(self, site_public_key=None, site_networks=()):
        """Brings the hub up (replacing one that is up); returns self."""
        args = []
        if site_public_key is not None:
            args = ["--site-public-key", site_public_key, "--site-networks", *site_networks]
        self._lab("up", *args)
        self.public_key = self._lab("key").stdout.strip()
        self.site_policy = None if args else self.state_dir / "office-overlay.yaml"
        return self

    def dump(self):
        """`wg show wshub0 dump`, parsed: {"listen_port": N, "peers": {public_key: {...}}} (no private key)."""
        lines = self._lab("show", "dump").stdout.splitlines()
        iface = lines[0].split("\t")  # private-key public-key listen-port fwmark: the private key is dropped here
        peers = {}
        for line in lines[1:]:
            f = line.split("\t")
            peers[f[0]] = {"endpoint": None if f[2] == "(none)" else f[2], "allowed_ips": f[3].split(","),
                           "latest_handshake": int(f[4]), "rx_bytes": int(f[5]), "tx_bytes": int(f[6])}
        return {"public_key": iface[1], "listen_port": int(iface[2]), "peers": peers}

    def peer(self, public_key):
        """The hub's view of one site: endpoint, allowed IPs, latest handshake (unix seconds, 0 = none), bytes."""
        return self.dump()["peers"][public_key]

    def down(self):
        self._lab("down", check=False)


@contextlib.contextmanager
def overlay_hub(build_dir, state_dir, site_public_key=None, site_networks=()):
    hub = OverlayHub(build_dir, state_dir)
    try:
        yield hub.up(site_public_key, site_networks)
    finally:
        hub.down()
