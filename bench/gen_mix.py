#!/usr/bin/python3
"""Writes the benchmark traffic pcap: minimum-size Ethernet+IPv4+UDP frames over many flows, office class mix.

Usage: bench/gen_mix.py --out mix.pcap [--packets 4000] [--flows 4000] [--seed 1] [--one-subnet] [--tcp PCT]
                        [--replies replies.pcap --link-ip 100.64.1.2] [--queues N [--lan-hash]]
Frames are 60 bytes in the pcap (64 on the wire with the FCS). The frame builders live in
tests/pipeline/traffic.py (bench_mix), shared with the pipeline tests.
--tcp PCT makes about PCT % of the flows other than voip's TCP (ACK segments, 60-byte frames too); 0 (the
default) is the UDP-only mix every figure in bench/README.md before 2026-12-02's TCP rows was measured with.
--queues N (N > 1) also writes each rx queue's share, as RSS would deal the flows on a NIC: mix-q0.pcap ... by
source port (traffic.lan_queue), replies-q0.pcap ... by a hash of addresses and ports (traffic.wan_queue).
--lan-hash deals the LAN frames by that hash too, as a NIC's RSS (or af_packet's fanout) would: about (N-1)/N of
the flows then arrive at a worker other than their source port's, which hands them to it (NAT: the port's owner
makes its mappings).
"""
import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "pipeline"))
import traffic  # noqa: E402


def write_queues(path: str, frames: list[bytes], queues: int, queue_of) -> None:
    if queues <= 1:
        return
    shares = traffic.split_queues(frames, queues, queue_of)
    for q, share in enumerate(shares):
        traffic.write_raw_pcap(traffic.queue_pcap(path, q), share)
    print(f"gen_mix: {path} split into {queues} rx queues of {', '.join(str(len(s)) for s in shares)} frames")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--packets", type=int, default=4000,
                    help="frames in the pcap; net_pcap infinite_rx keeps them all in the port's mempool")
    ap.add_argument("--flows", type=int, default=4000, help="distinct (src ip, src port) flows")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tcp", type=float, default=0.0, help="percent of the non-voip flows sent as TCP (0-100)")
    ap.add_argument("--one-subnet", action="store_true", help="every source in 192.168.10.0/24 (office.yaml's staff)")
    ap.add_argument("--replies", help="also write each flow's server reply to --link-ip here (WAN to LAN runs)")
    ap.add_argument("--link-ip", default="100.64.1.2", help="the NAT address the replies go to")
    ap.add_argument("--queues", type=int, default=1, help="also split the pcaps into this many rx queues' shares")
    ap.add_argument("--lan-hash", action="store_true", help="deal LAN frames to queues by RSS-like hash, not port")
    args = ap.parse_args()
    if not 0 <= args.tcp <= 100:
        ap.error("--tcp must be a percentage, 0 to 100")
    frames = traffic.bench_mix(args.packets, args.flows, args.seed, args.one_subnet, args.tcp / 100)
    traffic.write_raw_pcap(args.out, frames)
    write_queues(args.out, frames, args.queues, traffic.wan_queue if args.lan_hash else traffic.lan_queue)
    if args.replies:
        # Probe ports (40860 + ids) are never handed out: flows from those source ports get another outside port.
        replies = traffic.bench_replies(frames, args.link_ip, range(40860, 40860 + 128))
        traffic.write_raw_pcap(args.replies, replies)
        write_queues(args.replies, replies, args.queues, traffic.wan_queue)
        print(f"gen_mix: {len(replies)} replies to {args.link_ip} -> {args.replies}")
    dports = collections.Counter(int.from_bytes(f[36:38], "big") for f in frames)
    flows = len({f[26:30] + f[34:36] for f in frames})
    voip = sum(n for p, n in dports.items() if p in (5060, 5061) or 16384 <= p <= 32767)
    tcp = sum(1 for f in frames if f[23] == 6)
    print(f"gen_mix: {len(frames)} frames of {len(frames[0])} bytes, {flows} distinct flows, "
          f"tcp {tcp / len(frames):.0%}, 443 {dports[443] / len(frames):.0%}, "
          f"voip ports {voip / len(frames):.0%} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
