"""`wansteer overlay keygen` and `wansteer overlay hub-config` (issue 13) as an operator runs them: the key file is
0600, `wg pubkey` agrees with the printed key, the private key is never printed, an existing file is never replaced;
the hub's config from policies/office-overlay.yaml has the site's key and LAN networks, the hub's key and port,
and wg-quick reads it. The example policy itself passes `wansteer --check` once its key file exists."""
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "policies" / "office-overlay.yaml"
PLACEHOLDER_HUB_KEY = "ReplaceWithTheHubsPublicKeyFromWgPubkey000A="


@pytest.fixture
def wansteer(build_dir):
    exe = build_dir / "control" / "wansteer"

    def run(*args, check=False):
        return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, check=check, timeout=30)
    return run


def wg_pubkey(private_key_text):
    if shutil.which("wg") is None:
        pytest.skip("wireguard-tools (wg) not installed")
    return subprocess.run(["wg", "pubkey"], input=private_key_text, capture_output=True, text=True,
                          check=True).stdout.strip()


def keygen(wansteer, path):
    r = wansteer("overlay", "keygen", "--out", path)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def site_dir(wansteer, tmp_path, hub_public_key):
    """policies/office-overlay.yaml in tmp_path with this hub key, its site key made by keygen, prefix lists linked."""
    (tmp_path / "prefixes").symlink_to(REPO / "policies" / "prefixes")
    site_pub = keygen(wansteer, tmp_path / "overlay.key")
    policy = tmp_path / "office-overlay.yaml"
    policy.write_text(EXAMPLE.read_text().replace(PLACEHOLDER_HUB_KEY, hub_public_key))
    return policy, site_pub


def sections(config_text):
    """wg-quick text -> [(section, [(key, value)])], comments dropped."""
    out = []
    for line in config_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            out.append((line, []))
        else:
            key, value = (x.strip() for x in line.split("=", 1))
            out[-1][1].append((key, value))
    return out


def test_keygen_writes_a_0600_key_that_wg_agrees_with(wansteer, tmp_path):
    key = tmp_path / "site.key"
    r = wansteer("overlay", "keygen", "--out", key)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    private = key.read_text()
    assert len(private.strip()) == 44
    assert r.stdout.strip() == wg_pubkey(private)
    assert private.strip() not in r.stdout + r.stderr  # never printed


def test_keygen_never_replaces_a_file(wansteer, tmp_path):
    key = tmp_path / "site.key"
    keygen(wansteer, key)
    before = key.read_text()
    r = wansteer("overlay", "keygen", "--out", key)
    assert r.returncode == 1 and "exists already" in r.stderr, r.stderr
    assert r.stdout == "" and key.read_text() == before


def test_keygen_refuses_a_directory_anyone_can_write(wansteer, tmp_path):
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    r = wansteer("overlay", "keygen", "--out", open_dir / "k")
    assert r.returncode == 1 and "writable by every user" in r.stderr, r.stderr
    assert not (open_dir / "k").exists()


def test_bad_command_lines(wansteer):
    assert wansteer("overlay").returncode == 2
    assert wansteer("overlay", "keygen").returncode == 2  # --out is required
    r = wansteer("overlay", "hub-config")
    assert r.returncode == 2 and "--policy" in r.stderr, r.stderr


def test_the_example_policy_checks_once_its_key_exists(wansteer, tmp_path):
    hub_pub = keygen(wansteer, tmp_path / "hub.key")
    policy, _ = site_dir(wansteer, tmp_path, hub_pub)
    r = wansteer("--check", policy)
    assert r.returncode == 0, r.stderr
    (tmp_path / "overlay.key").chmod(0o644)
    r = wansteer("--check", policy)
    assert r.returncode == 1 and "chmod 600" in r.stderr, r.stderr


def test_hub_config_from_the_site_policy(wansteer, tmp_path):
    hub_pub = keygen(wansteer, tmp_path / "hub.key")
    policy, site_pub = site_dir(wansteer, tmp_path, hub_pub)
    r = wansteer("overlay", "hub-config", "--policy", policy, "--hub-private-key-file", tmp_path / "hub.key",
                 "--hub-address", "10.200.0.1/24")
    assert r.returncode == 0, r.stderr
    (iface, ikeys), (peer, pkeys) = sections(r.stdout)
    assert (iface, peer) == ("[Interface]", "[Peer]")
    i = dict(ikeys)
    assert wg_pubkey(i["PrivateKey"]) == hub_pub
    assert (i["ListenPort"], i["Address"], i["MTU"]) == ("51820", "10.200.0.1/24", "1420")
    hooks = [v for k, v in ikeys if k == "PostUp"]
    assert any("ip_forward=1" in h for h in hooks) and any("masquerade" in h for h in hooks), hooks
    assert dict(pkeys) == {"PublicKey": site_pub, "AllowedIPs": "192.168.10.0/24, 192.168.20.0/24"}
    # wg-quick reads it: `strip` leaves what wg(8) gets
    conf = tmp_path / "wshub0.conf"
    conf.write_text(r.stdout)
    conf.chmod(0o600)
    if shutil.which("wg-quick"):
        stripped = subprocess.run(["wg-quick", "strip", str(conf)], capture_output=True, text=True, check=True)
        assert f"PublicKey = {site_pub}" in stripped.stdout and "PostUp" not in stripped.stdout


def test_hub_config_refuses_a_hub_key_the_policy_does_not_name(wansteer, tmp_path):
    policy, _ = site_dir(wansteer, tmp_path, keygen(wansteer, tmp_path / "hub.key"))
    keygen(wansteer, tmp_path / "other.key")
    r = wansteer("overlay", "hub-config", "--policy", policy, "--hub-private-key-file", tmp_path / "other.key")
    assert r.returncode == 1 and "never complete a handshake" in r.stderr, r.stderr
    assert r.stdout == ""


def test_hub_config_without_the_hub_key_and_with_other_networks(wansteer, tmp_path):
    policy, _ = site_dir(wansteer, tmp_path, keygen(wansteer, tmp_path / "hub.key"))
    r = wansteer("overlay", "hub-config", "--policy", policy, "--site-networks", "10.9.0.0/16", "192.168.10.0/24")
    assert r.returncode == 0, r.stderr
    assert "PrivateKey" not in r.stdout
    assert "PostUp = wg set %i private-key /etc/wireguard/wansteer-hub.key" in r.stdout
    assert "AllowedIPs = 10.9.0.0/16, 192.168.10.0/24" in r.stdout
    r = wansteer("overlay", "hub-config", "--policy", policy, "--site-networks", "10.9.0.1/16")
    assert r.returncode == 2 and "10.9.0.1/16" in r.stderr, r.stderr


def test_hub_config_reports_policy_errors_at_their_line(wansteer, tmp_path):
    policy, _ = site_dir(wansteer, tmp_path, keygen(wansteer, tmp_path / "hub.key"))
    text = policy.read_text().replace('endpoint: "203.0.113.50:51820"', 'endpoint: "203.0.113.50"')
    policy.write_text(text)
    line = next(n for n, l in enumerate(text.splitlines(), 1) if 'endpoint: "203.0.113.50"' in l)
    r = wansteer("overlay", "hub-config", "--policy", policy)
    assert r.returncode == 1 and f"{policy}:{line}:" in r.stderr and "IPv4:PORT" in r.stderr, r.stderr


def test_hub_config_for_a_site_given_by_key(wansteer, tmp_path):
    site_pub = keygen(wansteer, tmp_path / "site.key")
    r = wansteer("overlay", "hub-config", "--site-public-key", site_pub, "--site-networks", "192.168.10.0/24")
    assert r.returncode == 0, r.stderr
    assert f"PublicKey = {site_pub}" in r.stdout and "ListenPort = 51820" in r.stdout
