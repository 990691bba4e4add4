"""Process hygiene of the real binary: after SIGTERM wansteer leaves no runtime files behind (DPDK's runtime
directory /var/run/dpdk/wansteer-<pid> with its config and sockets), so a service that restarts piles nothing up."""
from pathlib import Path

import traffic as T
from test_pipeline import run_wansteer

RUNTIME_ROOT = Path("/var/run/dpdk")


def test_no_runtime_directory_left_after_sigterm(tmp_path):
    # No EAL arguments: wansteer's own defaults (--file-prefix=wansteer-<pid>), as an operator runs it.
    run = run_wansteer(tmp_path, T.main_scenario(), T.MAIN_POLICY_LISTS, eal_args=())
    assert run.exit_code == 0, run.stderr[-2000:]
    assert run.final, f"no final stats: {run.stderr[-2000:]}"   # it really ran, and stopped in order
    left = RUNTIME_ROOT / f"wansteer-{run.pid}"
    assert not left.exists(), f"{left} left behind: {sorted(p.name for p in left.iterdir())}"
