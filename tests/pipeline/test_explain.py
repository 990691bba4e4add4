"""wansteer --explain and policy warnings as an operator meets them: what office.yaml does when the fiber fails (text
and a Markdown runbook section), and --check with a policy that loads but cannot work: exit 0 with the warning on
stderr, exit 1 with --strict."""
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OFFICE = REPO / "policies" / "office.yaml"
# Valid, but guest may use only the LTE backup where on_backup blocks it: it can never send (line 9).
NEVER_SENDS = """lan:
  device: net_null0
  subnets: [{address: 192.168.10.1/24}]
links:
  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1, capacity: {up: 100mbit}}
  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1, role: backup, capacity: {up: 5mbit}}
classes:
  - {name: voip, links: [fiber, lte], sla: voice}
  - {name: guest, links: [lte], on_backup: block}
rules:
  - {class: voip, dscp: 46}
  - {class: guest, src: [192.168.10.128/25]}
"""


def wansteer(build_dir, *args):
    return subprocess.run([str(build_dir / "control" / "wansteer"), *map(str, args)], capture_output=True, text=True,
                          timeout=30)


def section(text, start, end_pattern):
    """The lines of `text` from the line `start` up to (without) the next line matching end_pattern."""
    i = text.index(start)
    rest = text[i + len(start):]
    m = re.search(end_pattern, rest, re.M)
    return rest[:m.start()] if m else rest


def row(sect, cls):
    """The table row of class `cls` in a scenario section, as a list of its cells (text columns or | cells)."""
    for line in sect.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if "|" in line else line.split(None, 4)
        if cells and cells[0] == cls:
            return cells
    raise AssertionError(f"no row for {cls} in:\n{sect}")


def test_explain_office_text(build_dir):
    p = wansteer(build_dir, "--explain", OFFICE)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    out = p.stdout
    normal = section(out, "== Normal operation", r"^== ")
    assert row(normal, "voip")[1] == "fiber" and row(normal, "guest")[1] == "fiber", normal
    fiber_down = section(out, "== fiber down ==", r"^== ")
    assert row(fiber_down, "voip")[1:4] == ["lte", "none", "1"], fiber_down   # first in lte's shaper order
    assert "up to 5 Mbit/s, served first" in row(fiber_down, "voip")[-1]
    assert row(fiber_down, "payments")[1] == "lte" and row(fiber_down, "m365")[1] == "lte"
    assert row(fiber_down, "guest")[1] == "-" and "blocked: no link it may use is up (fiber)" in fiber_down
    dflt = row(fiber_down, "default")
    assert dflt[1] == "lte" and dflt[2:4] == ["2", "Mbit/s"], dflt   # on_backup: {limit: {rate: 2mbit}}
    assert "up to 2 Mbit/s, after voip, payments, m365 (unlimited)" in fiber_down
    assert re.search(r"^  blocked: guest$", fiber_down, re.M), fiber_down
    # Out of the voice SLA: voip alone leaves the fiber, the rest stays.
    sla = section(out, "== fiber out of the voice SLA", r"^== ")
    assert "which voip then leave" in sla
    assert row(sla, "voip")[1] == "lte" and row(sla, "payments")[1] == "fiber" and row(sla, "guest")[1] == "fiber"
    # lte's data budget spent while fiber is down: voip and payments (allow) keep lte, the rest is blocked there.
    spent = section(out, "== lte's data budget spent (20 GB monthly", r"^== |^warnings")
    assert row(spent, "voip")[1:3] == ["lte", "none"] and row(spent, "payments")[1] == "lte", spent
    assert row(spent, "default")[1:3] == ["lte", "blocked"] and "data budget spent" in row(spent, "default")[-1]
    assert re.search(r"^  blocked: m365, guest, default$", spent, re.M), spent
    assert out.rstrip().endswith("warnings: none")


def test_explain_office_markdown(build_dir):
    p = wansteer(build_dir, "--explain", OFFICE, "--format", "markdown")
    assert p.returncode == 0, p.stderr
    md = p.stdout
    assert md.startswith("## What staff should expect when a line fails (office)\n")
    fiber = section(md, "### What staff should expect when the fiber fails", r"^### ")
    assert row(fiber, "voip")[:4] == ["voip", "lte", "none", "1 of 5"], fiber
    assert row(fiber, "guest")[:2] == ["guest", "none"] and "blocked" in row(fiber, "guest")[-1]
    assert row(fiber, "default")[:3] == ["default", "lte", "2 Mbit/s"]
    assert "**Not working:** guest." in fiber
    assert "### When the fiber is too poor for calls" in md
    bad = wansteer(build_dir, "--explain", OFFICE, "--format", "html")
    assert bad.returncode == 2 and "--format must be text or markdown" in bad.stderr


def test_check_warns_and_strict_fails(build_dir, tmp_path):
    f = tmp_path / "never.yaml"
    f.write_text(NEVER_SENDS)
    p = wansteer(build_dir, "--check", f)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout == f"{f}: ok (2 links, 3 classes, 2 rules, 1 warning)\n"
    assert p.stderr == (f"{f}:9:5: warning: class \"guest\" can never send: its only links (lte) have role backup "
                        "and it has on_backup: block; add a primary link or drop on_backup: block\n"), p.stderr
    s = wansteer(build_dir, "--check", "--strict", f, OFFICE)
    assert s.returncode == 1, s.stdout + s.stderr
    assert f"{f}:9:5: warning: class \"guest\" can never send" in s.stderr
    assert f"{f}: invalid with --strict (1 warning)" in s.stderr
    assert s.stdout == f"{OFFICE}: ok (2 links, 5 classes, 7 rules)\n"   # the other file still checked
    # --explain lists the warning too.
    e = wansteer(build_dir, "--explain", f)
    assert e.returncode == 0 and "warnings: 1\n" in e.stdout and f"{f}:9:5: warning:" in e.stdout
    # An invalid policy: errors, exit 1, like --check.
    f.write_text(NEVER_SENDS.replace("sla: voice", "sla: voise"))
    e = wansteer(build_dir, "--explain", f)
    assert e.returncode == 1 and e.stdout == "" and f"{f}: invalid (1 error)" in e.stderr
    assert wansteer(build_dir, "--strict", "--explain", f).returncode == 2


def test_daemon_reports_warnings_at_start_and_reload(start_wansteer, tmp_path):
    """A policy with warnings still runs (as --check allows), and says so at start and in the reload reply."""
    text = (REPO / "tests" / "observability" / "policy.yaml").read_text()
    guest_rule = "  - {class: guest, src: [192.168.10.128/25]}\n"
    assert guest_rule in text
    policy = tmp_path / "policy.yaml"
    policy.write_text(text.replace(guest_rule, ""))
    ws = start_wansteer(policy, workers=1, eal_args=["-l", "0-1", "--no-pci", "--in-memory", "--log-level=error"],
                        extra_args=["--no-metrics"])
    assert re.search(rf"^{re.escape(str(policy))}:\d+:5: warning: class \"guest\" has no rule", ws.output, re.M), \
        ws.output
    reply = ws.ctl("reload")
    assert reply["ok"] is True and "loaded" in reply["message"], reply
    assert "warning: class \"guest\" has no rule" in reply["message"], reply
