"""Pipeline tests of IPv4 fragmentation (`mtu: 1300` on both links, `fragment: true` by default, NAT on).

LAN packets over the link's MTU with DF clear leave in fragments of at most 1300 bytes: each with a valid header
checksum, offsets in 8-byte units, MF on all but the last, the same IP id; reassembled (here, from the output pcap)
they give back the packet as NAT made it: the link's address, the inside port kept, the whole payload, a valid UDP
or TCP checksum. Small packets pass whole; nothing is dropped; every mbuf, the fragmentation pools' too, is back
in its pool at the end. The LAN frames fit one rx burst.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic as T  # noqa: E402
from scapy.all import IP, TCP, UDP, Ether, Raw  # type: ignore  # noqa: E402
from test_nat import by_marker, checksums_ok  # noqa: E402
from test_pipeline import run_wansteer  # noqa: E402

FIBER = T.LINKS["fiber"]["address"]
FAR = "203.0.113.10"
MTU = 1300


def big(fid: int, size: int, sport: int, tcp: bool = False):
    l4 = TCP(sport=sport, dport=80, flags="A", seq=1) if tcp else UDP(sport=sport, dport=53)
    return T.lan_eth() / IP(src=T.LAN_HOST_IP, dst=FAR, id=0x1000 + fid) / l4 / T.pad_payload(fid, size - 20 - len(l4))


def frag_scenario() -> T.Scenario:
    sc = T.Scenario()
    sc.add("lan", lambda fid: big(fid, 1400, 40020), "UDP 1400 bytes, no DF", out="fiber", extra={"frags": 2})
    sc.add("lan", lambda fid: big(fid, 2000, 40021), "UDP 2000 bytes, no DF", out="fiber", extra={"frags": 2})
    sc.add("lan", lambda fid: big(fid, 1500, 40022, tcp=True), "TCP 1500 bytes, no DF", out="fiber",
           extra={"frags": 2})
    sc.add("lan", lambda fid: big(fid, 1300, 40023), "UDP 1300 bytes: fits", out="fiber", extra={"frags": 1})
    return sc


@pytest.fixture(scope="module")
def frag_run(tmp_path_factory):
    return run_wansteer(tmp_path_factory.mktemp("fragment"), frag_scenario(), T.MAIN_POLICY_LISTS, nat=True,
                        link_keys=f", mtu: {MTU}")


def fragments_by_id(run) -> dict[int, list[Ether]]:
    out = defaultdict(list)
    for p in run.outputs["fiber"]:
        if IP in p:
            out[p[IP].id].append(p)
    return out


def reassemble(frags: list[Ether]) -> IP:
    frags = sorted(frags, key=lambda p: p[IP].frag)
    data = b""
    for p in frags:
        assert p[IP].frag * 8 == len(data), "a gap or an overlap between fragments"
        data += bytes(p[IP].payload)[:p[IP].len - p[IP].ihl * 4]
    first = IP(bytes(frags[0][IP]))
    hdr = first.copy()
    hdr.remove_payload()
    hdr.flags, hdr.frag, hdr.len, hdr.chksum = 0, 0, None, None
    return IP(bytes(hdr / Raw(data)))


def test_oversize_packets_leave_in_fragments_that_fit(frag_run):
    by_id = fragments_by_id(frag_run)
    for f in frag_run.scenario.frames:
        sent = Ether(f.data)
        frags = by_id.get(sent[IP].id)
        assert frags, f"{f.desc}: not sent"
        assert len(frags) == f.extra["frags"], f"{f.desc}: {len(frags)} fragments"
        for p in frags:
            assert p[IP].len <= MTU, f"{f.desc}: a fragment of {p[IP].len} bytes over the MTU"
            assert p[IP].src == FIBER and p[IP].dst == FAR, f.desc
            assert p[IP].ttl == sent[IP].ttl - 1, f.desc
            raw = IP(bytes(p[IP]))
            del raw.chksum
            assert bytes(IP(bytes(raw)))[:20] == bytes(p[IP])[:20], f"{f.desc}: fragment header checksum wrong"
        last = max(frags, key=lambda p: p[IP].frag)
        assert all(p[IP].flags.MF for p in frags if p is not last) and not last[IP].flags.MF, f.desc


def test_fragments_reassemble_into_the_translated_packet(frag_run):
    by_id = fragments_by_id(frag_run)
    for f in frag_run.scenario.frames:
        sent = Ether(f.data)
        whole = reassemble(by_id[sent[IP].id])
        l4, l4_sent = (whole[TCP], sent[TCP]) if TCP in sent else (whole[UDP], sent[UDP])
        assert whole.src == FIBER and l4.sport == l4_sent.sport, f"{f.desc}: not translated as NAT does"
        assert bytes(l4.payload) == bytes(l4_sent.payload), f"{f.desc}: the payload changed"
        assert checksums_ok(Ether() / whole), f"{f.desc}: the reassembled packet's checksum is wrong"


def test_counted_nothing_dropped_every_mbuf_back(frag_run):
    final = frag_run.final
    assert final["fragmentation"]["packets"] == 3
    assert final["fragmentation"]["fragments"] == 6
    drops = final["drops"]
    assert drops.get("too_big_nodf", 0) == 0 and drops.get("fragment_failed", 0) == 0, drops
    assert final["mempool"]["in_use"] == 0, final["mempool"]
    assert final["fragmentation"]["mbufs_in_use"] == 0, final["fragmentation"]
    # Only the first fragment carries the marker: one marked frame per LAN packet.
    assert len(by_marker(frag_run, "fiber")) == len(frag_run.scenario.frames)
