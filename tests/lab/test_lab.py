"""Lab: real hosts in namespaces send through wansteer (ws-edge, policies/office.yaml) to the
internet namespace. Assertions read what the servers saw (which ISP's masquerade address a flow
came from) and the per class x link counters."""
import pytest


# (class, LAN host, proto, server, port[, IP TOS])
TRAFFIC = [
    ("voip", "office", "udp", "203.0.113.10", 5060),          # SIP over UDP
    ("voip", "office", "tcp", "203.0.113.10", 5060),          # SIP over TCP
    ("voip", "office", "udp", "203.0.113.10", 16384),         # RTP
    ("voip", "office", "udp", "203.0.113.10", 8080, 0xb8),    # DSCP 46 (EF) on any port
    ("payments", "office", "tcp", "198.51.100.20", 443),      # 198.51.100.16/28, TCP 443
    ("m365", "office", "tcp", "52.112.0.10", 443),            # Teams 52.112.0.0/14
    ("m365", "office", "udp", "52.112.0.10", 3478),
    ("default", "office", "tcp", "203.0.113.10", 8080),
    ("default", "office", "udp", "203.0.113.10", 8080),
    ("default", "office", "tcp", "198.51.100.10", 443),       # outside the payments /28
    ("guest", "guest", "tcp", "203.0.113.10", 8080),          # VLAN 20
    ("guest", "guest", "udp", "203.0.113.10", 8080),
    ("guest", "guest", "tcp", "52.112.0.10", 443),            # guest rule comes before m365
]
LINKS = ("fiber", "lte")


def flow_id(t):
    cls, host, proto, dst, port = t[:5]
    return f"{cls}-{proto}-{dst}:{port}" + (f"-tos{t[5]:#x}" if len(t) > 5 else "")


def run_flow(lab, flow, expect_link, timeout=2.0):
    """Send one flow; assert the server saw it via expect_link (None: must not arrive) and the
    class x link counters moved on that link only. Returns (before, after) counters."""
    cls, host, proto, dst, port = flow[:5]
    tos = flow[5:]
    tag = lab.tag(flow_id(flow))
    before = lab.counters()
    res = lab.send(host, [(tag, proto, dst, port, *tos)], timeout=timeout)[tag]
    if expect_link is None:
        assert not res["ok"], f"{tag} got an echo although no link may carry it: {res}"
        assert lab.carried_by(tag) is None, f"{tag} reached the internet: {lab.sink_records(tag)}"
        return before, lab.counters()
    assert res["ok"], f"{tag}: no echo from {dst}:{port}/{proto}: {res}"
    assert lab.carried_by(tag) == expect_link, \
        f"{tag} expected via {expect_link}, server saw {lab.sink_records(tag)}"
    after = lab.tools.wait_for(
        lambda: (c := lab.counters()) and
        lab.class_link_packets(c, cls, expect_link) > lab.class_link_packets(before, cls, expect_link)
        and c, timeout=3, what=f"classes.{cls}.links.{expect_link}.packets to grow")
    for other in LINKS:
        if other != expect_link:
            assert lab.class_link_packets(after, cls, other) == \
                lab.class_link_packets(before, cls, other), \
                f"classes.{cls}.links.{other} moved although {cls} should use {expect_link}"
    return before, after


@pytest.mark.parametrize("host", ["office", "guest"])
def test_ping_edge_lan_address(lab, host):
    r = lab.ping(host, lab.EDGE_LAN[host])
    assert r.returncode == 0, f"no echo reply from the edge {lab.EDGE_LAN[host]}:\n{r.stdout}{r.stderr}"


def test_ping_through_edge(lab):
    lab.set_link("fiber", "up")
    r = lab.ping("office", "203.0.113.10")
    assert r.returncode == 0, f"no echo reply from 203.0.113.10 through the edge:\n{r.stdout}{r.stderr}"
    assert "ttl=" in r.stdout


@pytest.mark.parametrize("wan_address", ["100.64.1.2", "100.64.2.2"])
def test_ping_edge_wan_address_from_lan(lab, wan_address):
    """The edge's own WAN addresses are the edge's: answered from the LAN, not sent to the ISP."""
    r = lab.ping("office", wan_address)
    assert r.returncode == 0, f"no echo reply from the edge's {wan_address}:\n{r.stdout}{r.stderr}"


@pytest.mark.parametrize("host", ["office", "guest"])
def test_ttl_1_answered_with_time_exceeded_by_the_edge(lab, host):
    """Traceroute's first hop: a real host's TTL-1 ping gets a time exceeded from the edge's LAN address."""
    lab.set_link("fiber", "up")
    r = lab.ping(host, "203.0.113.10", count=2, args=("-t", "1"))
    want = f"From {lab.EDGE_LAN[host]} icmp_seq=1 Time to live exceeded"
    assert want in r.stdout, f"expected {want!r}:\n{r.stdout}{r.stderr}"


@pytest.mark.parametrize("flow", TRAFFIC, ids=flow_id)
def test_class_uses_fiber(lab, flow):
    lab.set_link("fiber", "up")
    run_flow(lab, flow, "fiber")


@pytest.mark.parametrize("flow", TRAFFIC, ids=flow_id)
def test_fiber_down_moves_to_lte(lab, flow):
    lab.set_link("fiber", "down")
    if flow[0] == "guest":
        # guest may only use fiber: dropped and counted, never sent to lte
        before, _ = run_flow(lab, flow, None, timeout=1.5)
        base = before["classes"]["guest"]["no_link_drops"]
        lab.tools.wait_for(lambda: lab.counters()["classes"]["guest"]["no_link_drops"] > base,
                           timeout=3, what="classes.guest.no_link_drops to grow")
        after = lab.counters()
        for link in LINKS:
            assert lab.class_link_packets(after, "guest", link) == \
                lab.class_link_packets(before, "guest", link)
    else:
        run_flow(lab, flow, "lte")


def test_fiber_up_returns_new_flows(lab):
    """After fiber is back, new flows take it again, except voip: office.yaml steers voip per host pair
    with on_recovery: stay, so the office phone's pair with 203.0.113.10 (its calls went over LTE while
    fiber was down) stays on LTE until it has been idle, and a call in progress is not moved twice."""
    lab.set_link("fiber", "down")
    lab.set_link("fiber", "up")
    links = lab.counters()["links"]
    assert links["fiber"]["admin"] == "up"
    seen = set()
    for flow in TRAFFIC:
        if flow[0] in seen:
            continue
        seen.add(flow[0])
        run_flow(lab, flow, "lte" if flow[0] == "voip" and flow[3] == "203.0.113.10" else "fiber")


def test_counters_consistent(lab):
    c = lab.counters()
    assert c["ports"]["lan"]["rx_packets"] > 0
    for link in LINKS:
        assert c["ports"][link]["tx_packets"] > 0, f"nothing was sent on {link}"
        assert c["links"][link]["gateway_resolved"]
    assert c["mempool"]["in_use"] < c["mempool"]["size"]


def test_stops_cleanly_with_final_stats(lab):
    """Last: SIGTERM stops the daemon within its promised second; every mbuf is back in the pool."""
    final = lab.stop_cleanly()
    assert final["classes"]["guest"]["no_link_drops"] > 0
