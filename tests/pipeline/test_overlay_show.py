"""`wansteerctl show overlay` and the overlay's metrics as an operator meets them on an edge whose hub is not there
(net_null ports: initiations leave, nothing answers): the overlay enabled, no session, our public key the one
`wg pubkey` derives from the key file, the private key nowhere (replies, metrics, status page, the daemon's log),
and wansteer_overlay_session_up 0 in a scrape."""
import json
import os
import socket
import subprocess
import urllib.request

EAL_ARGS = ["-l", "0-1", "--no-pci", "--in-memory", "--log-level=error"]
POLICY = """name: overlay-show
lan:
  device: "net_null0,no-rx=1"
  subnets: [{{address: 192.168.10.1/24}}]
probing: {{enabled: false}}   # net_null ports answer no probes: links count as healthy while up
links:
  - {{name: fiber, device: "net_null1,no-rx=1", address: 100.64.1.2/30, gateway: 100.64.1.1, gateway_mac: "02:00:00:00:01:01"}}
  - {{name: lte, device: "net_null2,no-rx=1", address: 100.64.2.2/30, gateway: 100.64.2.1, gateway_mac: "02:00:00:00:02:01", role: backup}}
overlay:
  hub: {{public_key: "{hub_key}", endpoint: "203.0.113.9:51820"}}
  private_key_file: wg.key
classes:
  - {{name: voip, links: [fiber, lte], paths: [overlay via fiber, direct via fiber, direct via lte]}}
  - {{name: default, links: [fiber, lte]}}
rules:
  - {{class: voip, dscp: 46}}
"""


def wg(*args, stdin=None):
    return subprocess.run(["wg", *args], input=stdin, capture_output=True, text=True, check=True).stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(address, path):
    with urllib.request.urlopen(f"http://{address}{path}", timeout=5) as r:
        return r.read().decode()


def test_show_overlay_reports_our_public_key_and_never_the_private_one(start_wansteer, build_dir, tmp_path):
    private = wg("genkey")
    key_file = tmp_path / "wg.key"
    key_file.touch(mode=0o600)
    os.chmod(key_file, 0o600)  # whatever the umask
    key_file.write_text(private + "\n")
    ours = wg("pubkey", stdin=private + "\n")
    hub = wg("pubkey", stdin=wg("genkey") + "\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(hub_key=hub))
    metrics = f"127.0.0.1:{free_port()}"
    ws = start_wansteer(policy, workers=1, eal_args=EAL_ARGS, extra_args=["--metrics", metrics])

    def ctl(*args):
        p = subprocess.run([str(build_dir / "control" / "wansteerctl"), "--ctl", str(ws.ctl_path), *args],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        return p.stdout

    shown = ctl("--json", "show", "overlay")
    j = json.loads(shown)
    assert j["enabled"] is True and j["session"] is False, j
    assert j["public_key"] == ours and j["hub"] == "203.0.113.9:51820", j
    assert j["last_handshake_age_ms"] is None and j["counters"]["handshakes_completed"] == 0, j
    assert set(j["links"]) == {"fiber", "lte"} and j["links"]["fiber"]["classes"] == [], j   # no session: direct
    assert all(name.startswith("overlay_") for name in j["drops"]) and "overlay_no_key" in j["drops"], j
    assert j["counters"]["duplicates_discarded"] == 0 and "overlay_replayed" in j["drops"], j
    counters = json.loads(ctl("--json", "show", "counters"))
    assert list(counters)[-1] == "overlay", list(counters)  # new blocks go last; the overlay is the last one
    assert list(counters["overlay"])[-1] == "duplicates_discarded", counters["overlay"]  # and its new key last
    text = ctl("show", "overlay")
    assert "overlay to hub 203.0.113.9:51820: session down" in text and ours in text, text
    classes = json.loads(ctl("--json", "show", "classes"))
    assert classes["voip"]["overlay_links"] == [] and classes["voip"]["links"], classes
    scrape = get(metrics, "/metrics")
    assert "\nwansteer_overlay_session_up 0\n" in scrape, scrape
    assert "wansteer_overlay_last_handshake_age_seconds" not in scrape   # no handshake yet
    assert 'wansteer_overlay_messages_total{direction="sealed"} 0' in scrape
    status = json.loads(get(metrics, "/status.json"))
    assert status["overlay"]["public_key"] == ours and status["overlay"]["session"] is False, status["overlay"]
    ws.stop()
    for where, what in [("show overlay --json", shown), ("show overlay", text), ("metrics", scrape),
                        ("status.json", json.dumps(status)), ("the daemon's log", ws.output),
                        ("the log file", (ws.workdir / "wansteer.log").read_text())]:
        assert private not in what, f"the private key appears in {where}"
