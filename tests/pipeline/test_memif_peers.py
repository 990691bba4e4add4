"""memif peers that come and go (issue 14): wansteer's LAN and fiber ports are memif servers; a dpdk-testpmd client
connects, sends at full rate and is killed (SIGKILL and SIGINT alternate), ten times against one wansteer. wansteer
must stay up through every disconnect, have received traffic in every cycle, and end with every mbuf back in its
pool. Before the memif guard (dataplane/setup/memif_guard.cpp) it died with SIGSEGV in about 1 of 6 cycles here;
bench/memif_churn (which this runs) repeats it as often as asked."""
import os
import re
import shutil
import subprocess
import sys

CYCLES = 10


def test_wansteer_survives_memif_peers_that_come_and_go(build_dir, repo_root):
    assert shutil.which("dpdk-testpmd"), "dpdk-testpmd missing: scripts/setup.sh installs dpdk-dev"
    env = dict(os.environ, WANSTEER_BUILD=str(build_dir))
    proc = subprocess.run([sys.executable, str(repo_root / "bench" / "memif_churn"), "--cycles", str(CYCLES),
                           "--hold", "0.2"], capture_output=True, text=True, env=env, timeout=300)
    out = proc.stdout + proc.stderr
    m = re.search(r"memif_churn cycles=(\d+) crashes=(\d+) cycles_with_traffic=(\d+) mempool_in_use=(-?\d+) "
                  r"lan_rx_packets=(\d+) guard=(\w+) guard_waits=(\d+)", out)
    assert m, out[-3000:]
    cycles, crashes, with_traffic, in_use, rx, guard, waits = m.groups()
    assert guard == "on", out[-3000:]
    # every cycle the LAN port's peer (whose traffic arrived) left, and the unmap of its regions waited first
    assert int(waits) >= CYCLES, out[-3000:]
    assert int(crashes) == 0, out[-3000:]
    assert int(with_traffic) == CYCLES, f"wansteer saw the peer's traffic in {with_traffic} of {cycles} cycles"
    assert int(rx) > 0
    assert int(in_use) == 0, "mbufs left out of the pool after the peers came and went"
    assert proc.returncode == 0, out[-3000:]
