"""Observability fixtures: one wansteer on net_null ports with its exporter on a free loopback port, and a real
Prometheus server scraping it every second. No namespaces, no root: everything stays on 127.0.0.1.

    def test_x(wansteer_metrics, prometheus):
        text = wansteer_metrics.scrape()                 # GET /metrics, the exposition text
        prometheus.wait_query('wansteer_link_up == 1')   # polls /api/v1/query until it has results
"""
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
POLICY = HERE / "policy.yaml"
EAL_ARGS = ["-l", "0-1", "--no-pci", "--in-memory", "--log-level=error"]


@pytest.fixture(scope="session")
def observability_env():
    """POLICY and EAL_ARGS for tests that start wansteer themselves (module name 'conftest' is ambiguous)."""
    import types
    return types.SimpleNamespace(POLICY=POLICY, EAL_ARGS=EAL_ARGS)


def free_port():
    """A loopback port nothing listens on now (the kernel picks it; small race until it is bound again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


class Exporter:
    def __init__(self, ws, port):
        self.ws, self.port = ws, port
        self.url = f"http://127.0.0.1:{port}/metrics"

    def scrape(self):
        return http_get(self.url)

    def ctl(self, *args, **kw):
        return self.ws.ctl(*args, **kw)


@pytest.fixture(scope="module")
def wansteer_metrics(wansteer_tools, tmp_path_factory):
    """wansteer (1 worker) on the net_null policy, metrics on a free port; stopped after the module."""
    build = wansteer_tools.find_build_dir()
    if not (build / "control" / "wansteer").exists():
        pytest.fail(f"{build}/control/wansteer missing: build first (ninja -C {build})")
    port = free_port()
    ws = wansteer_tools.Wansteer(build, POLICY, workers=1, eal_args=EAL_ARGS,
                                 extra_args=["--metrics", f"127.0.0.1:{port}"],
                                 workdir=tmp_path_factory.mktemp("wansteer"))
    try:
        ws.wait_running(30)
        exp = Exporter(ws, port)
        wansteer_tools.wait_for(exp.scrape, timeout=10, what=f"metrics on {exp.url}")
        yield exp
    finally:
        try:
            ws.stop()
        except AssertionError:
            ws.kill()


class Prometheus:
    def __init__(self, proc, port, workdir):
        self.proc, self.port, self.workdir = proc, port, workdir
        self.base = f"http://127.0.0.1:{port}"

    def query(self, expr):
        """Instant query; returns the result list ([{metric: {...}, value: [ts, "v"]}, ...])."""
        url = f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        body = json.loads(http_get(url))
        assert body["status"] == "success", body
        return body["data"]["result"]

    def api(self, path):
        body = json.loads(http_get(f"{self.base}/api/v1/{path}"))
        assert body["status"] == "success", body
        return body["data"]

    def wait_query(self, expr, predicate=bool, timeout=20.0, what=None):
        """Polls the query until predicate(result) is truthy (Prometheus scrapes every second); returns it."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited with {self.proc.returncode}:\n{self.log()}")
            try:
                last = self.query(expr)
                if predicate(last):
                    return last
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or expr}; last result {last}")
            time.sleep(0.2)

    def log(self):
        return (self.workdir / "prometheus.log").read_text()


@pytest.fixture(scope="module")
def prometheus(wansteer_metrics, repo_root, tmp_path_factory):
    """A real Prometheus (Debian's /usr/bin/prometheus) scraping wansteer every second, with our alert rules."""
    exe = shutil.which("prometheus")
    if exe is None:
        pytest.skip("prometheus not installed (apt-get install prometheus)")
    workdir = tmp_path_factory.mktemp("prometheus")
    rules = repo_root / "docs" / "monitoring" / "wansteer-alerts.yml"
    (workdir / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{rules}']\n"
        "scrape_configs:\n"
        "  - job_name: wansteer\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{wansteer_metrics.port}']}}]\n")
    port = free_port()
    log = open(workdir / "prometheus.log", "w")
    proc = subprocess.Popen([exe, f"--config.file={workdir / 'prometheus.yml'}",
                             f"--storage.tsdb.path={workdir / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
    prom = Prometheus(proc, port, workdir)
    try:
        yield prom
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
