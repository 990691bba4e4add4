"""Observability tests: the exporter's output passes promtool, the shipped alert rules and dashboard use only
metric names the exporter emits, and a real Prometheus server scrapes wansteer and sees operator actions.

Run: WANSTEER_BUILD_DIR=build /usr/bin/python3 -m pytest -q tests/observability    (no root needed)
"""
import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "docs" / "monitoring"
LINKS = ("fiber", "lte")
CLASSES = ("voip", "m365", "guest", "default")
NAME = re.compile(r"\bwansteer_[a-z0-9_]+")


def promtool():
    exe = shutil.which("promtool")
    if exe is None:
        pytest.skip("promtool not installed (apt-get install prometheus)")
    return exe


def samples(text):
    """{(name, frozenset(labels)): value} from exposition text (enough for our own label values)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        assert m, f"unparsable exposition line: {line!r}"
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def families(text):
    """Family names the exporter declares (# TYPE), and every sample name (histograms add _bucket etc.)."""
    names = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    return names | {name for name, _ in samples(text)}


def value(text, name, **labels):
    return samples(text)[(name, frozenset(labels.items()))]


def test_scrape_passes_promtool_check_metrics(wansteer_metrics):
    text = wansteer_metrics.scrape()
    p = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"promtool check metrics:\n{p.stdout}{p.stderr}"
    assert (p.stdout + p.stderr).strip() == "", f"promtool lint findings:\n{p.stdout}{p.stderr}"


def test_every_link_and_class_has_its_series(wansteer_metrics):
    text = wansteer_metrics.scrape()
    for link in LINKS:
        for state in ("up", "degraded", "down"):
            value(text, "wansteer_link_state", link=link, state=state)
        for name in ("wansteer_link_up", "wansteer_link_admin_up", "wansteer_link_loss_ratio",
                     "wansteer_link_rtt_seconds", "wansteer_link_jitter_seconds", "wansteer_link_probes_sent_total",
                     "wansteer_link_rx_bytes_total", "wansteer_link_tx_packets_total"):
            value(text, name, link=link)
        for cls in CLASSES:
            for name in ("wansteer_class_link_packets_total", "wansteer_class_link_bytes_total",
                         "wansteer_class_active_link"):
                value(text, name, **{"class": cls, "link": link})
            value(text, "wansteer_egress_queue_depth_packets", **{"class": cls, "link": link})
    assert value(text, "wansteer_link_info", link="lte", role="backup") == 1
    assert value(text, "wansteer_link_state", link="fiber", state="up") == 1
    assert value(text, "wansteer_class_active_link", **{"class": "voip", "link": "fiber"}) == 1
    assert value(text, "wansteer_class_active_link", **{"class": "voip", "link": "lte"}) == 0
    assert value(text, "wansteer_worker_loops_total", worker="0") > 0
    assert value(text, "wansteer_drops_total", reason="no_route") == 0
    assert value(text, "wansteer_policy_generation") == 1
    assert value(text, "wansteer_mempool_size_mbufs") > 0
    assert value(text, "wansteer_failover_duration_seconds_bucket", le="+Inf") == 0


def test_reloads_are_counted_by_result(wansteer_metrics):
    before = wansteer_metrics.scrape()
    ok0 = value(before, "wansteer_policy_reloads_total", result="ok")
    assert "loaded" in wansteer_metrics.ctl("reload", as_json=False)
    after = wansteer_metrics.scrape()
    assert value(after, "wansteer_policy_reloads_total", result="ok") == ok0 + 1
    assert value(after, "wansteer_policy_reloads_total", result="failed") == 0
    assert value(after, "wansteer_policy_generation") == value(before, "wansteer_policy_generation") + 1


def test_alert_rules_pass_promtool():
    rules = MONITORING / "wansteer-alerts.yml"
    p = subprocess.run([promtool(), "check", "rules", str(rules)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"promtool check rules:\n{p.stdout}{p.stderr}"
    p = subprocess.run([promtool(), "check", "config", str(MONITORING / "prometheus-example.yml")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"promtool check config:\n{p.stdout}{p.stderr}"


def dashboard_exprs():
    dash = json.loads((MONITORING / "grafana-wansteer-site.json").read_text())
    exprs = []

    def walk(panels):
        for p in panels:
            exprs.extend(t["expr"] for t in p.get("targets", []) if t.get("expr"))
            walk(p.get("panels", []))
    walk(dash["panels"])
    for v in dash["templating"]["list"]:
        q = v.get("query")
        exprs.append(q.get("query", "") if isinstance(q, dict) else (q or ""))
    exprs.extend(a.get("expr", "") for a in dash.get("annotations", {}).get("list", []))
    assert any(v["type"] == "datasource" for v in dash["templating"]["list"]), "dashboard needs a datasource variable"
    return exprs


def alert_exprs():
    import yaml  # python3-yaml
    doc = yaml.safe_load((MONITORING / "wansteer-alerts.yml").read_text())
    return [r["expr"] for g in doc["groups"] for r in g["rules"]]


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_metric_used_is_exported(wansteer_metrics, source):
    exprs = dashboard_exprs() if source == "dashboard" else alert_exprs()
    used = {n for e in exprs for n in NAME.findall(e)}
    assert used, f"no wansteer_* names found in the {source}"
    emitted = families(wansteer_metrics.scrape())
    missing = sorted(used - emitted)
    assert not missing, f"{source} uses metrics the exporter does not emit: {missing}"


def test_prometheus_scrapes_and_sees_link_admin_down(wansteer_metrics, prometheus):
    def both_links(result):
        return {r["metric"].get("link") for r in result} == set(LINKS)

    res = prometheus.wait_query("wansteer_link_admin_up", both_links, what="wansteer_link_admin_up for both links")
    assert all(r["value"][1] == "1" for r in res), res
    up = prometheus.query('up{job="wansteer"}')
    assert up and up[0]["value"][1] == "1", up
    # The operator takes the backup down: within a scrape or two Prometheus has the 0.
    try:
        wansteer_metrics.ctl("link", "down", "lte", as_json=False)
        prometheus.wait_query('wansteer_link_admin_up{link="lte"} == 0', what="lte admin down in Prometheus")
        prometheus.wait_query('wansteer_link_up{link="lte"} == 0', what="lte not usable in Prometheus")
        fiber = prometheus.query('wansteer_link_admin_up{link="fiber"}')
        assert fiber[0]["value"][1] == "1", fiber
        # the shipped alert rules loaded into the real server and evaluate without error
        groups = prometheus.api("rules")["groups"]
        assert {g["name"] for g in groups} >= {"wansteer-links", "wansteer-classes", "wansteer-daemon"}
        bad = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r.get("health") == "err"]
        assert not bad, bad
    finally:
        wansteer_metrics.ctl("link", "up", "lte", as_json=False)
    prometheus.wait_query('wansteer_link_admin_up{link="lte"} == 1', what="lte admin up again")


def test_taken_metrics_port_is_a_clear_error(wansteer_tools, observability_env, tmp_path):
    build = wansteer_tools.find_build_dir()
    env = observability_env
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        addr = f"127.0.0.1:{s.getsockname()[1]}"
        p = subprocess.run([str(build / "control" / "wansteer"), "--policy", str(env.POLICY), "--ctl",
                            str(tmp_path / "ctl.sock"), "--metrics", addr, "--", *env.EAL_ARGS],
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 1, p.stdout + p.stderr
    assert addr in p.stderr, p.stderr


def test_worker_cycles_are_counted(wansteer_metrics, wansteer_tools):
    """The worker measures its own load: with nothing to receive (net_null no-rx), its cycles are idle ones."""
    def idle():
        return value(wansteer_metrics.scrape(), "wansteer_worker_idle_cycles_total", worker="0")
    first = idle()
    wansteer_tools.wait_for(lambda: idle() > first, timeout=5, what="idle cycles rising")
    assert value(wansteer_metrics.scrape(), "wansteer_worker_busy_cycles_total", worker="0") == 0
