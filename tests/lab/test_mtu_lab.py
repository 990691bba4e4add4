"""Lab: a real LAN host's path MTU discovery through a 1300-byte link. `ping -M do -s 1372` (a 1400-byte DF packet)
gets "Frag needed ... (mtu = 1300)" from the edge's LAN address and never reaches the internet; a 1300-byte one does;
the drop is counted as too_big_df and a real TCP transfer's SYN leaves with its MSS clamped (counted)."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MTU = 1300


def lab_policy(workdir):
    """office.yaml with mtu: 1300 on both links (absolute prefix paths: the file lives in the work directory)."""
    text = (REPO / "policies" / "office.yaml").read_text()
    text = text.replace("prefixes/", str(REPO / "policies" / "prefixes") + "/")
    for role in ("    role: primary\n", "    role: backup "):
        assert role in text
        text = text.replace(role, f"    mtu: {MTU}\n{role}", 1)
    path = Path(workdir) / "office-mtu.yaml"
    path.write_text(text)
    return path


def test_df_ping_over_the_link_mtu_gets_frag_needed(lab):
    lab.set_link("fiber", "up")
    before = lab.counters()["drops"].get("too_big_df", 0)
    r = lab.ping("office", "203.0.113.10", count=2, args=("-M", "do", "-s", str(MTU + 100 - 28)))
    out = r.stdout + r.stderr
    want = f"From {lab.EDGE_LAN['office']} icmp_seq=1 Frag needed and DF set (mtu = {MTU})"
    assert want in out, f"expected {want!r}:\n{out}"
    assert " 0 received" in out, f"a packet over the MTU got an answer:\n{out}"
    assert lab.counters()["drops"].get("too_big_df", 0) > before


def test_ping_at_the_link_mtu_passes(lab):
    lab.set_link("fiber", "up")
    r = lab.ping("office", "203.0.113.10", count=3, args=("-M", "do", "-s", str(MTU - 28)))
    assert r.returncode == 0, f"a {MTU}-byte DF ping did not pass:\n{r.stdout}{r.stderr}"


def test_tcp_syn_mss_clamped(lab):
    lab.set_link("fiber", "up")
    before = lab.counters().get("tcp", {}).get("mss_clamped", 0)
    tag = lab.tag("mss")
    # Not 203.0.113.10: after the pings above the host knows that path's MTU and its SYN already says 1260.
    res = lab.send("office", [(tag, "tcp", "198.51.100.10", 443)])
    assert res[tag]["ok"], res
    assert lab.counters()["tcp"]["mss_clamped"] >= before + 2, "SYN and SYN-ACK not both clamped"
