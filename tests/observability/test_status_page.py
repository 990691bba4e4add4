"""Status page without a browser: /status.json and the HTML served next to /metrics show both links, where each
class runs, the events and a history per link; an operator action shows up in both; the page is read-only and
brings nothing from elsewhere.

Run: BUILD_DIR=build /usr/bin/python3 -m pytest -q tests/observability/test_status_page.py    (no root needed)
"""
import json
import re
import urllib.error
import urllib.request

import pytest


def get(exp, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{exp.port}{path}", timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def status(exp):
    code, ctype, body = get(exp, "/status.json")
    assert code == 200 and ctype == "application/json", (code, ctype)
    return json.loads(body)


def by_name(items):
    return {i["name"]: i for i in items}


def test_status_json_shows_links_classes_and_history(wansteer_metrics, wansteer_tools):
    s = status(wansteer_metrics)
    assert s["site"] == "observability"
    links = by_name(s["links"])
    assert set(links) == {"fiber", "lte"}
    assert links["fiber"]["state"] == "up" and links["fiber"]["role"] == "primary"
    assert links["lte"]["role"] == "backup"
    classes = by_name(s["classes"])
    assert classes["voip"]["links"] == ["fiber"] and not classes["voip"]["blocked"]
    assert classes["guest"]["links"] == ["fiber"]
    assert s["budgets"] == []
    # control samples each link once a second: the history grows while the daemon runs
    first = len(links["fiber"]["history"])
    wansteer_tools.wait_for(lambda: len(by_name(status(wansteer_metrics)["links"])["fiber"]["history"]) >= first + 2,
                            timeout=10, what="two more history samples")
    sample = by_name(status(wansteer_metrics)["links"])["fiber"]["history"][-1]
    assert sample["state"] == "up" and sample["unix_ms"] > 0


def test_link_down_shows_in_json_and_html(wansteer_metrics):
    try:
        wansteer_metrics.ctl("link", "down", "fiber", as_json=False)
        s = status(wansteer_metrics)
        links, classes = by_name(s["links"]), by_name(s["classes"])
        assert links["fiber"]["state"] == "down" and links["fiber"]["admin_up"] is False
        assert classes["voip"]["links"] == ["lte"] and classes["default"]["links"] == ["lte"]
        assert classes["guest"]["blocked"] and "fiber down" in classes["guest"]["why"], classes["guest"]
        assert any(e["event"] == "admin" and e["cause"] == "admin_down" for e in s["events"]), s["events"]
        assert len(s["events"]) <= 20
        for path in ("/status", "/"):
            code, ctype, html = get(wansteer_metrics, path)
            assert code == 200 and ctype == "text/html; charset=utf-8"
            assert '<tr class="link" data-link="fiber" data-state="down">' in html
            assert '<tr class="class" data-class="voip" data-links="lte" data-blocked="0">' in html
            assert '<tr class="class" data-class="guest" data-links="" data-blocked="1">' in html
            assert '<p id="budgets">no metered links</p>' in html
            assert 'http-equiv="refresh"' in html
            # self-contained: no script, stylesheet, image or font from anywhere, not even this server
            assert not re.search(r'<(script|link|img|iframe)\b|\bsrc=|url\(', html), html[:2000]
    finally:
        wansteer_metrics.ctl("link", "up", "fiber", as_json=False)
    assert by_name(status(wansteer_metrics)["links"])["fiber"]["admin_up"] is True


def test_status_page_is_read_only(wansteer_metrics):
    req = urllib.request.Request(f"http://127.0.0.1:{wansteer_metrics.port}/status", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 405
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{wansteer_metrics.port}/nope", timeout=10)
    assert e.value.code == 404
    # and /metrics still answers beside it
    assert "wansteer_link_up" in wansteer_metrics.scrape()
