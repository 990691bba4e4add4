"""Process hygiene of the real binary: after SIGTERM wansteer leaves no runtime files behind (DPDK's runtime
directory /var/run/dpdk/wansteer-<pid> with its config and sockets), so a service that restarts piles nothing up;
when another DPDK process holds its runtime directory, it says so instead of DPDK's "Success"."""
import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import traffic as T
from test_pipeline import BUILD, run_wansteer

REPO = Path(__file__).resolve().parents[2]

RUNTIME_ROOT = Path("/var/run/dpdk")


def test_no_runtime_directory_left_after_sigterm(tmp_path):
    # No EAL arguments: wansteer's own defaults (--file-prefix=wansteer-<pid>), as an operator runs it.
    run = run_wansteer(tmp_path, T.main_scenario(), T.MAIN_POLICY_LISTS, eal_args=())
    assert run.exit_code == 0, run.stderr[-2000:]
    assert run.final, f"no final stats: {run.stderr[-2000:]}"   # it really ran, and stopped in order
    left = RUNTIME_ROOT / f"wansteer-{run.pid}"
    assert not left.exists(), f"{left} left behind: {sorted(p.name for p in left.iterdir())}"


def test_runtime_directory_in_use_is_named_as_the_cause():
    # DPDK's primary process holds a write lock on <runtime dir>/config; here this test holds it, as a second
    # wansteer (or testpmd) started with the same --file-prefix would.
    prefix = f"wansteer-locktest-{os.getpid()}"
    run_dir = RUNTIME_ROOT / prefix
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with open(run_dir / "config", "a+") as held:
            fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            r = subprocess.run([str(BUILD / "control" / "wansteer"), "--policy", str(REPO / "policies" / "office.yaml"),
                                "--", "--no-pci", "--no-huge", "--file-prefix", prefix],
                               capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    assert r.returncode == 1, r.stdout + r.stderr
    line = next((s for s in r.stderr.splitlines() if s.startswith("wansteer: EAL initialisation failed")), "")
    assert "same --file-prefix" in line and "Success" not in line, r.stderr[-2000:]
