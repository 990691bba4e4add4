"""Shared pytest fixtures: find the build, run the wansteer daemon, talk to it with wansteerctl.

    def test_x(start_wansteer):
        ws = start_wansteer("policies/office.yaml", eal_args=[...])   # waits for "wansteer: running"
        counters = ws.ctl("show", "counters")                           # wansteerctl --json, parsed
        final = ws.stop()                                               # SIGTERM, --final-stats JSON

Build directory: $WANSTEER_BUILD_DIR, else $BUILD_DIR, else <repo>/build (relative paths are taken
from the repo root).
"""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def find_build_dir() -> Path:
    name = os.environ.get("WANSTEER_BUILD_DIR") or os.environ.get("BUILD_DIR") or "build"
    path = Path(name)
    return path if path.is_absolute() else REPO_ROOT / path


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Poll predicate() until it returns something truthy; return that, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # keep polling; report the last error at the deadline
            last_exc = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}"
                                 + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


def wansteerctl(build_dir, ctl_path, *args, as_json=True, timeout=5.0, check=True):
    """Run wansteerctl --ctl PATH [--json] ARGS...; return the parsed JSON (or the text: stdout, or stderr when it
    failed)."""
    cmd = [str(Path(build_dir) / "control" / "wansteerctl"), "--ctl", str(ctl_path)]
    if as_json:
        cmd.append("--json")
    cmd += [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> exit {proc.returncode}: {proc.stderr.strip()}")
    if not as_json:
        # A refusal (exit 1) or a bad command line (2) is on stderr: return it, so callers see why.
        return proc.stdout if proc.returncode == 0 else proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else None


class Wansteer:
    """One wansteer daemon process (optionally inside a network namespace)."""

    READY_LINE = "wansteer: running"

    def __init__(self, build_dir, policy, *, netns=None, workers=None, eal_args=None,
                 ctl_path=None, final_stats=None, extra_args=None, workdir=None):
        self.build_dir = Path(build_dir)
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="wansteer-test-"))
        self.ctl_path = Path(ctl_path or self.workdir / "wansteer.sock")
        self.final_stats_path = Path(final_stats or self.workdir / "final-stats.json")
        policy = Path(policy)
        if not policy.is_absolute():
            policy = REPO_ROOT / policy
        cmd = [str(self.build_dir / "control" / "wansteer"), "--policy", str(policy),
               "--ctl", str(self.ctl_path), "--final-stats", str(self.final_stats_path)]
        if workers is not None:
            cmd += ["--workers", str(workers)]
        cmd += list(extra_args or [])
        if "--state-dir" not in cmd:  # data-budget state of this run only, never the machine's /var/lib/wansteer
            cmd += ["--state-dir", str(self.workdir / "state")]
        if eal_args:
            cmd += ["--"] + [str(a) for a in eal_args]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.cmd = cmd
        self.lines = []
        self._ready = threading.Event()
        self._log = open(self.workdir / "wansteer.log", "w", buffering=1)
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        self.final_stats = None

    def _read_output(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._log.write(line)
            if self.READY_LINE in line:
                self._ready.set()
        self._log.close()

    @property
    def output(self):
        return "\n".join(self.lines)

    def wait_running(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._reader.join(1)
                raise AssertionError(f"wansteer exited with {self.proc.returncode} before running:\n"
                                     f"{' '.join(self.cmd)}\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"wansteer not running after {timeout}s:\n{self.output}")
        wait_for(self.ctl_path.exists, timeout=max(1.0, deadline - time.monotonic()),
                 what=f"control socket {self.ctl_path}")
        return self

    def ctl(self, *args, as_json=True, **kw):
        return wansteerctl(self.build_dir, self.ctl_path, *args, as_json=as_json, **kw)

    def counters(self):
        return self.ctl("show", "counters")

    def stop(self, timeout=5.0):
        """SIGTERM, wait (the daemon promises to stop within 1 s), return the --final-stats JSON."""
        if self.proc.poll() is None:
            # signal the process itself (ip netns exec execs, so this is the daemon's pid)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"wansteer did not stop {timeout}s after SIGTERM:\n{self.output}")
        self._reader.join(2)
        if self.final_stats is None and self.final_stats_path.exists():
            text = self.final_stats_path.read_text()
            self.final_stats = json.loads(text) if text.strip() else None
        return self.final_stats

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def build_dir():
    path = find_build_dir()
    for exe in ("control/wansteer", "control/wansteerctl"):
        if not (path / exe).exists():
            pytest.fail(f"{path / exe} missing: build first (ninja -C {path})")
    return path


@pytest.fixture
def start_wansteer(build_dir, tmp_path):
    """Factory: start_wansteer(policy, netns=None, workers=None, eal_args=None, ...) -> Wansteer,
    already running. Everything it started is stopped at teardown."""
    started = []

    def start(policy, *, ready_timeout=30.0, **kw):
        kw.setdefault("workdir", tmp_path / f"wansteer{len(started)}")
        Path(kw["workdir"]).mkdir(parents=True, exist_ok=True)
        ws = Wansteer(build_dir, policy, **kw)
        started.append(ws)
        return ws.wait_running(ready_timeout)

    yield start
    for ws in started:
        try:
            ws.stop()
        except AssertionError:
            ws.kill()


class _Tools:
    """The helpers above, for conftests/tests in sub-folders (module names 'conftest' clash)."""
    Wansteer = Wansteer
    wansteerctl = staticmethod(wansteerctl)
    wait_for = staticmethod(wait_for)
    find_build_dir = staticmethod(find_build_dir)
    REPO_ROOT = REPO_ROOT


@pytest.fixture(scope="session")
def wansteer_tools():
    """wansteer_tools.Wansteer / .wansteerctl / .wait_for, for fixtures of any scope."""
    return _Tools
