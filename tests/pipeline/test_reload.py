"""Transparent reloads: `wansteerctl reload --dry-run` says what a reload would change and applies nothing;
`reload` lists the changes it applied and the start-only ones it did not; the daemon logs every reload, whoever
asked (control socket or SIGHUP). The daemon runs on net_null ports: no root, pcaps or lab needed."""
import re
import signal
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "tests" / "observability" / "policy.yaml"
EAL_ARGS = ["-l", "0-1", "--no-pci", "--in-memory", "--log-level=error"]
FIBER = ("  - {name: fiber, device: \"net_null1,no-rx=1\", address: 100.64.1.2/30, gateway: 100.64.1.1, "
         "gateway_mac: \"02:00:00:00:01:01\", role: primary}\n")


def ctl(build_dir, ws, *args):
    return subprocess.run([str(build_dir / "control" / "wansteerctl"), "--ctl", str(ws.ctl_path), *args],
                          capture_output=True, text=True, timeout=10)


def test_dry_run_then_reload_report_live_and_start_only_changes(start_wansteer, build_dir, tmp_path, wansteer_tools):
    text = POLICY.read_text()
    assert FIBER in text
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    ws = start_wansteer(policy, workers=1, eal_args=EAL_ARGS, extra_args=["--no-metrics"])

    # A live change (fiber's capacity) and a start-only one (metrics.listen).
    policy.write_text(text.replace("role: primary}", "role: primary, capacity: {up: 10mbit}}")
                      + "metrics: {listen: \"127.0.0.1:9479\"}\n")
    dry = ws.ctl("reload", "--dry-run")
    assert dry["ok"] is True and dry["dry_run"] is True, dry
    assert dry["generation"] == 1, dry   # nothing applied
    changes = {c["key"]: c for c in dry["changes"]}
    assert changes["links.fiber.capacity.up"] == {"key": "links.fiber.capacity.up", "old": "none", "new": "10mbit",
                                                  "live": True}, dry
    assert changes["metrics.listen"]["live"] is False and changes["metrics.listen"]["new"] == "127.0.0.1:9479", dry
    assert len(changes) == 2, dry
    p = ctl(build_dir, ws, "reload", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "dry run" in p.stdout and "nothing applied" in p.stdout, p.stdout
    assert "would apply: links.fiber.capacity.up: none -> 10mbit" in p.stdout, p.stdout
    assert "not applied until restart: metrics.listen: (default) -> 127.0.0.1:9479" in p.stdout, p.stdout
    # Still generation 1: a second dry run says the same.
    assert ws.ctl("reload", "--dry-run")["generation"] == 1

    p = ctl(build_dir, ws, "reload")
    assert p.returncode == 0, p.stderr
    first = p.stdout.splitlines()[0]
    assert "loaded" in first and "(generation 2)" in first and "1 change applied, 1 need a restart" in first, p.stdout
    assert "  applied: links.fiber.capacity.up: none -> 10mbit" in p.stdout, p.stdout
    assert "  not applied until restart: metrics.listen: (default) -> 127.0.0.1:9479" in p.stdout, p.stdout

    # Reloaded again: the capacity runs now, the listen address still waits for a restart.
    again = ws.ctl("reload")
    assert again["generation"] == 3 and [c["key"] for c in again["changes"]] == ["metrics.listen"], again
    assert "no change applied" in again["message"] and "need a restart" in again["message"], again

    # The daemon logs each reload with who asked, the result and the count of changes.
    wansteer_tools.wait_for(lambda: "wansteer: control socket: policy" in ws.output and
                            "re-read: no change applied (generation 3)" in ws.output, timeout=5,
                            what="the reloads in the daemon's log")
    assert re.search(r"^wansteer: control socket \(dry run\): dry run: policy .* would apply 1 change, 1 more need "
                     r"a restart", ws.output, re.M), ws.output
    assert re.search(r"^wansteer: control socket: policy .* loaded: .*\(generation 2\); 1 change applied, 1 need a "
                     r"restart$", ws.output, re.M), ws.output

    # SIGHUP is logged too.
    ws.proc.send_signal(signal.SIGHUP)
    wansteer_tools.wait_for(lambda: re.search(r"^wansteer: SIGHUP: policy .*\(generation 4\)", ws.output, re.M),
                            timeout=10, what="the SIGHUP reload in the log")
    assert "not applied until restart: metrics.listen" in ws.output.split("wansteer: SIGHUP:")[1]


def test_port_change_is_refused_and_dry_run_says_so(start_wansteer, build_dir, tmp_path, wansteer_tools):
    text = POLICY.read_text()
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    ws = start_wansteer(policy, workers=1, eal_args=EAL_ARGS, extra_args=["--no-metrics"])
    policy.write_text(text.replace("net_null2,no-rx=1", "net_null3,no-rx=1"))
    for args in (["reload", "--dry-run"], ["reload"]):
        p = ctl(build_dir, ws, *args)
        assert p.returncode == 1 and p.stdout == "", (args, p.stdout)
        assert "restart wansteer" in p.stderr, p.stderr
        assert "links.lte.device: net_null2,no-rx=1 -> net_null3,no-rx=1" in p.stderr, p.stderr
    j = ws.ctl("reload", check=False)
    assert j["ok"] is False and j["changes"][0]["live"] is False, j
    wansteer_tools.wait_for(lambda: "wansteer: control socket: reload refused (1 change in the file)" in ws.output,
                            timeout=5, what="the refusal in the daemon's log")
    # Nothing changed: the valid running policy is still generation 1.
    policy.write_text(text)
    assert ws.ctl("reload")["generation"] == 2


def test_help_lists_reload_dry_run(build_dir):
    h = subprocess.run([str(build_dir / "control" / "wansteerctl"), "--help"], capture_output=True, text=True)
    assert "  reload --dry-run" in h.stdout, h.stdout


def test_check_against_running_lists_changes_offline(build_dir, tmp_path):
    text = POLICY.read_text()
    new = tmp_path / "new.yaml"
    new.write_text(text.replace("role: primary}", "role: primary, capacity: {up: 10mbit}}")
                   + "flow_cache: {size: 4096}\n")
    wansteer = str(build_dir / "control" / "wansteer")
    p = subprocess.run([wansteer, "--check", new, "--against", POLICY], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith(f"{new}: ok ("), p.stdout
    assert "  links.fiber.capacity.up: none -> 10mbit" in lines, p.stdout
    assert "  flow_cache.size: 65536 -> 4096  (not applied until restart)" in lines, p.stdout
    # A port change: a reload would be refused, so the check fails.
    new.write_text(text.replace("net_null2,no-rx=1", "net_null3,no-rx=1"))
    p = subprocess.run([wansteer, "--check", new, "--against", POLICY], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "a reload would be refused" in p.stderr, p.stdout + p.stderr
    # The same file against itself: no changes.
    p = subprocess.run([wansteer, "--check", POLICY, "--against", POLICY], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "  no changes" in p.stdout.splitlines(), p.stdout
