"""The programs' command lines as an operator meets them: `--check` on several files, `--version`, problems on
stderr and results on stdout, the exit codes --help promises, wansteerctl refusing a bad command without a daemon,
--json on every command, `show events` as a table, and events on stdout as pure JSON lines."""
import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "tests" / "observability" / "policy.yaml"   # net_null ports: runs without root, pcaps or a lab
EAL_ARGS = ["-l", "0-1", "--no-pci", "--in-memory", "--log-level=error"]
BAD_POLICY = """lan:
  device: eth1
  subnets: [{address: 192.168.10.1/24}]
links:
  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1, capacity: {up: 2Mbit}}
  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1, capacity: {upload: 20M}}
classes:
  - {name: voip, links: [fiber, lte]}
rules:
  - {class: voip, dscp: [EF, AF41, CS9]}
"""


def run(build_dir, program, *args, timeout=30):
    return subprocess.run([str(build_dir / "control" / program), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def test_check_reports_every_file_and_fails_if_any_does(build_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_POLICY)
    good2 = REPO / "policies" / "remote-worker.yaml"
    p = run(build_dir, "wansteer", "--check", POLICY, bad, good2)
    assert p.returncode == 1, p.stdout + p.stderr
    # Each good file's verdict on stdout, in order; every problem of the bad one on stderr, FILE:LINE:COLUMN first.
    assert re.search(rf"^{re.escape(str(POLICY))}: ok \(", p.stdout, re.M), p.stdout
    assert re.search(rf"^{re.escape(str(good2))}: ok \(", p.stdout, re.M), p.stdout
    assert str(bad) not in p.stdout
    errs = [line for line in p.stderr.splitlines() if line.startswith(f"{bad}:")]
    assert f"{bad}:2:11: lan device \"eth1\" is not a DPDK port" in p.stderr, p.stderr
    assert "did you mean \"net_af_packet0,iface=eth1\"?" in p.stderr
    assert f"{bad}:6:" in p.stderr and "unknown key \"upload\" (did you mean \"up\"?)" in p.stderr
    assert f"{bad}:10:" in p.stderr and "\"CS9\" is not a DSCP value" in p.stderr
    assert "2Mbit" not in p.stderr and "\"EF\"" not in p.stderr and "AF41" not in p.stderr   # accepted as written
    assert errs[-1] == f"{bad}: invalid (4 errors)", p.stderr
    # All good: exit 0, nothing on stderr.
    p = run(build_dir, "wansteer", "--check", POLICY, good2)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert len(p.stdout.splitlines()) == 2


def test_tab_in_indentation_is_named(build_dir, tmp_path):
    f = tmp_path / "tab.yaml"
    f.write_text(POLICY.read_text().replace("  subnets:", "\tsubnets:", 1))
    p = run(build_dir, "wansteer", "--check", f)
    assert p.returncode == 1
    line = next(i for i, text in enumerate(f.read_text().splitlines(), 1) if text.startswith("\t"))
    assert f"{f}:{line}:1: tab in indentation" in p.stderr, p.stderr


@pytest.mark.parametrize("program", ["wansteer", "wansteerctl", "wansteer-reflector"])
def test_version_and_exit_codes_in_help(build_dir, program):
    meson = (REPO / "meson.build").read_text()
    version = re.search(r"version\s*:\s*'([^']+)'", meson).group(1)
    p = run(build_dir, program, "--version")
    assert p.returncode == 0 and p.stdout == f"{program} {version}\n", p.stdout + p.stderr
    h = run(build_dir, program, "--help")
    assert h.returncode == 0 and "Exit status: 0 " in h.stdout, h.stdout
    assert re.search(r"\b2 bad command line", h.stdout) and re.search(r"\b1 \w", h.stdout), h.stdout
    bad = run(build_dir, program, "--no-such-option")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr, bad.stdout


def test_wansteer_usage_errors_go_to_stderr(build_dir):
    p = run(build_dir, "wansteer", "--workers", "1")   # no --policy
    assert p.returncode == 2 and p.stdout == "" and "--policy FILE is required" in p.stderr


def test_wansteerctl_checks_commands_without_a_daemon(build_dir, tmp_path):
    nowhere = tmp_path / "none.sock"
    for args, says in [(["show", "bogus"], 'unknown command "show bogus"; try: show counters'),
                       (["frobnicate"], 'unknown command "frobnicate"'),
                       (["show", "events", "ten"], "N must be a whole number"),
                       (["drill", "fiber", "soon"], "SECONDS must be a whole number"),
                       (["link", "down"], "link down NAME")]:
        p = run(build_dir, "wansteerctl", "--ctl", nowhere, *args)
        assert p.returncode == 2, (args, p.stderr)
        assert says in p.stderr and "cannot reach" not in p.stderr, (args, p.stderr)
        assert p.stdout == ""
    p = run(build_dir, "wansteerctl", "--ctl", nowhere, "ping")    # a valid command: now it needs the daemon
    assert p.returncode == 3 and "cannot reach wansteer" in p.stderr
    h = run(build_dir, "wansteerctl", "--help").stdout
    for command in ["show counters", "show links", "show classes", "show events", "show flows", "link down",
                    "link up", "drill start", "drill status", "drill stop", "drill LINK SECONDS", "reload", "ping"]:
        assert f"  {command}" in h, command


def test_every_command_answers_json_and_events_are_pure_json_lines(start_wansteer, build_dir):
    ws = start_wansteer(POLICY, workers=1, eal_args=EAL_ARGS, extra_args=["--no-metrics"])

    def ctl(*args):
        return run(build_dir, "wansteerctl", "--ctl", ws.ctl_path, *args, timeout=10)

    answers = {}
    for args in [["ping"], ["show", "counters"], ["show", "links"], ["show", "classes"], ["show", "events"],
                 ["show", "flows"], ["link", "down", "lte"], ["link", "up", "lte"], ["drill", "status"],
                 ["reload"], ["drill", "stop"], ["link", "down", "nosuch"]]:
        p = ctl("--json", *args)
        answers[" ".join(args)] = (p.returncode, json.loads(p.stdout))   # every reply is JSON
    assert answers["ping"] == (0, {"ok": True, "message": "ok"})
    assert answers["reload"][0] == 0 and answers["reload"][1]["ok"] is True
    assert "loaded" in answers["reload"][1]["message"]
    assert answers["link down lte"] == (0, {"ok": True, "message": "link lte: admin down"})
    code, j = answers["link down nosuch"]
    assert code == 1 and j["ok"] is False and "unknown link" in j["error"]
    assert answers["drill stop"][0] == 1 and answers["drill stop"][1]["ok"] is False   # no drill running
    assert isinstance(answers["show events"][1], list)
    # Text: a refusal on stderr with exit 1; show events as a table with the admin changes above.
    p = ctl("link", "up", "nosuch")
    assert p.returncode == 1 and p.stdout == "" and "unknown link" in p.stderr
    table = ctl("show", "events").stdout
    lines = table.splitlines()
    assert lines[0].split() == ["TIME", "EVENT", "LINK/CLASS", "DETAIL"], table
    assert any(" admin " in f" {line} " and "lte" in line and "up -> down, admin_down" in line for line in lines), table
    assert "{" not in table
    # The daemon's stdout: each event a JSON object alone on its line, the same events show events lists.
    ws.stop()
    events = [json.loads(line) for line in ws.lines if line.startswith("{")]
    assert any(e["event"] == "admin" and e["link"] == "lte" and e["to"] == "down" for e in events), ws.output
    assert not any("event {" in line for line in ws.lines if not line.startswith("{")), ws.output
