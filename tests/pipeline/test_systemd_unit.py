"""The systemd units in deploy/systemd, checked where PID 1 is not systemd (so systemd-run cannot start them):
`systemd-analyze verify` on each, then each program run from the command lines, signals and directories its unit
file names, with only the paths moved into a temporary root (binary, /etc/wansteer, /run/wansteer)."""
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
# Same ports as tests/pipeline and tests/observability use, without pcaps: net_null, static gateway MACs.
POLICY = """name: unit-test
lan:
  device: "net_null0,no-rx=1"
  subnets: [{address: 192.168.10.1/24}]
probing: {enabled: false}
links:
  - {name: fiber, device: "net_null1,no-rx=1", address: 100.64.1.2/30, gateway: 100.64.1.1, gateway_mac: "02:00:00:00:01:01", role: primary}
  - {name: lte, device: "net_null2,no-rx=1", address: 100.64.2.2/30, gateway: 100.64.2.1, gateway_mac: "02:00:00:00:02:01", role: backup}
classes:
  - {name: voip, links: [fiber, lte], mode: priority}
  - {name: default, links: [fiber, lte]}
rules:
  - {class: voip, protocol: udp, dst_ports: ["5060-5061"]}
"""


def unit_text(name: str, bindir: Path) -> str:
    """The unit as `meson install` writes it, with the binaries of this build."""
    return (UNITS / f"{name}.in").read_text().replace("@BINDIR@", str(bindir))


def service_settings(text: str) -> dict[str, list[str]]:
    """[Service] KEY=VALUE lines, every value of each key (ExecStartPre may repeat)."""
    settings, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def expand(command: str, env: dict[str, str], moved: dict[str, str]) -> list[str]:
    """systemd's expansion (systemd.service(5)): "$VAR" as a word becomes its whitespace-split words, "${VAR}"
    exactly its value; unset variables are empty. Then each path the test moved is rewritten."""
    words = []
    for word in shlex.split(command):
        if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
            words += env.get(word[1:], "").split()
            continue
        word = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word)
        for old, new in moved.items():
            word = word.replace(old, new)
        words.append(word)
    return words


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def bindir(wansteer_tools) -> Path:
    path = wansteer_tools.find_build_dir() / "control"
    for exe in ("wansteer", "wansteerctl", "wansteer-reflector"):
        if not (path / exe).exists():
            pytest.fail(f"{path / exe} missing: build first")
    return path


@pytest.mark.parametrize("name", ["wansteer.service", "wansteer-reflector.service"])
def test_unit_verifies(tmp_path, bindir, name):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (Debian package systemd): the unit files cannot be verified")
    unit = tmp_path / name
    unit.write_text(unit_text(name, bindir))
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and only warns: any output at all is a mistake in the file.
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr


class WansteerUnit:
    """wansteer started from its unit's ExecStartPre and ExecStart, /etc/wansteer and /run moved under tmp_path;
    stdout and stderr go to a file, not a tty, so they are buffered as under journald."""

    def __init__(self, tmp_path, bindir, wait_for):
        self.s = service_settings(unit_text("wansteer.service", bindir))
        self.etc, run = tmp_path / "etc", tmp_path / "run"
        self.etc.mkdir()
        (self.etc / "policy.yaml").write_text(POLICY)
        self.runtime_dir = run / self.s["RuntimeDirectory"][0]
        self.runtime_dir.mkdir(parents=True, mode=int(self.s["RuntimeDirectoryMode"][0], 8))  # as systemd does
        self.moved = {"/etc/wansteer": str(self.etc), "/run/": f"{run}/"}
        self.metrics = f"127.0.0.1:{free_port()}"
        env = {"WANSTEER_ARGS": f"--metrics {self.metrics}"}  # as /etc/default/wansteer would set it
        for pre in self.s["ExecStartPre"]:
            r = subprocess.run(expand(pre, env, self.moved), capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, f"ExecStartPre {pre}: {r.stdout}{r.stderr}"
        start = expand(self.s["ExecStart"][0], env, self.moved)
        self.ctl = Path(start[start.index("--ctl") + 1])
        self.log = tmp_path / "journal.txt"
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(start, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: self.proc.poll() is not None or "wansteer: running" in self.text(), timeout=60,
                 what="wansteer: running")
        assert self.proc.poll() is None, self.text()

    def text(self) -> str:
        return self.log.read_text()

    def reload(self, policy: str):
        """Writes a new policy and runs the unit's ExecReload."""
        (self.etc / "policy.yaml").write_text(policy)
        subprocess.run(expand(self.s["ExecReload"][0], {"MAINPID": str(self.proc.pid)}, self.moved), check=True,
                       timeout=10)

    def policy_generation(self) -> float:
        with urllib.request.urlopen(f"http://{self.metrics}/metrics", timeout=5) as r:
            return float(re.search(r"^wansteer_policy_generation (\S+)$", r.read().decode(), re.M).group(1))

    def stop(self) -> int:
        """The unit's KillSignal; the exit status (killed after 15 s: the unit's TimeoutStopSec is 15)."""
        if self.proc.poll() is None:
            self.proc.send_signal(getattr(signal, self.s.get("KillSignal", ["SIGTERM"])[0]))
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def wansteer_unit(tmp_path, bindir, wansteer_tools):
    unit = WansteerUnit(tmp_path, bindir, wansteer_tools.wait_for)
    yield unit
    unit.stop()


def test_wansteer_runs_reloads_and_stops_as_its_unit_says(wansteer_unit, bindir, wansteer_tools):
    unit = wansteer_unit
    assert unit.s["Type"] == ["simple"]  # wansteer does not call sd_notify
    assert unit.ctl.parent == unit.runtime_dir, "the control socket must live in the unit's RuntimeDirectory"
    links = wansteer_tools.wait_for(lambda: wansteer_tools.wansteerctl(bindir.parent, unit.ctl, "show", "links"),
                                    timeout=10, what="show links")
    assert "fiber" in str(links) and "lte" in str(links), links

    unit.reload(POLICY + "  - {class: voip, dscp: [46]}\n")
    wansteer_tools.wait_for(lambda: unit.policy_generation() == 2, timeout=10, what="generation 2 after ExecReload")
    assert unit.stop() == 0, unit.text()
    assert re.search(r"wansteer: SIGHUP: policy .*policy.yaml loaded: 2 classes, 2 rules", unit.text()), unit.text()
    assert "wansteer: stopped. Final counters" in unit.text(), unit.text()
    assert not unit.ctl.exists(), "the control socket must be removed at exit"


def test_reload_is_in_the_journal_while_wansteer_runs(wansteer_unit, wansteer_tools):
    wansteer_unit.reload(POLICY)
    wansteer_tools.wait_for(lambda: wansteer_unit.policy_generation() == 2, timeout=10, what="generation 2")
    wansteer_tools.wait_for(lambda: "wansteer: SIGHUP: policy" in wansteer_unit.text(), timeout=5,
                            what="the reload logged before stop")


def test_reflector_runs_unprivileged_with_its_credential(tmp_path, bindir, wansteer_tools):
    """DynamicUser emulated with setpriv (an unprivileged uid, only the unit's ambient capability) and
    LoadCredential with a directory holding the key the way systemd does: 0400, owned by the service user."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv not installed (Debian package util-linux): cannot drop to an unprivileged user")
    # pytest's tmp_path is root-only: the service user gets its own directory, with a copy of the binary.
    home = Path(tempfile.mkdtemp(prefix="wansteer-unit-"))
    os.chmod(home, 0o755)
    shutil.copy2(bindir / "wansteer-reflector", home / "wansteer-reflector")
    s = service_settings(unit_text("wansteer-reflector.service", home))
    assert s["DynamicUser"] == ["yes"]
    cred_name, _, cred_source = s["LoadCredential"][0].partition(":")
    assert cred_source == "/etc/wansteer/stamp.key"
    creds = home / "credentials"
    creds.mkdir()
    (creds / cred_name).write_text(os.urandom(32).hex() + "\n")
    uid = 65534  # nobody
    for p in (creds, creds / cred_name):
        os.chown(p, uid, uid)
    os.chmod(creds, 0o500)
    os.chmod(creds / cred_name, 0o400)
    caps = [c.lower().removeprefix("cap_") for c in s["AmbientCapabilities"][0].split()]
    env = {"CREDENTIALS_DIRECTORY": str(creds), "REFLECTOR_ARGS": "--listen 127.0.0.1 --port 0"}
    start = expand(s["ExecStart"][0], env, {})
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all," + ",".join(f"+{c}" for c in caps),
            "--ambient-caps=" + ",".join(f"+{c}" for c in caps), "--no-new-privs"]
    log = tmp_path / "journal.txt"
    with open(log, "w") as out:
        proc = subprocess.Popen(drop + start, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        listening = wansteer_tools.wait_for(lambda: proc.poll() is not None or re.search(r"listening on \S+:(\d+)", log.read_text()),
                             timeout=30, what="wansteer-reflector: listening")
        assert proc.poll() is None, log.read_text()
        assert "authenticated mode" in log.read_text()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.sendto(bytes(44), ("127.0.0.1", int(listening.group(1))))  # unauthenticated: counted, no reply
        proc.send_signal(getattr(signal, s.get("KillSignal", ["SIGTERM"])[0]))
        assert proc.wait(timeout=15) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(home, ignore_errors=True)
    assert "unauthenticated=1" in log.read_text(), log.read_text()
