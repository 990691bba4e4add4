#!/usr/bin/env bash
# Prepare a Debian 12 machine to build, run and test wansteer: packages, hugepages, the build.
# Idempotent: a re-run installs nothing that is present and only rebuilds what changed.
# Env: BUILD_DIR (default build), SKIP_BUILD=1 to stop after packages and hugepages.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
ws_require_root "$@"

PACKAGES=(
    # build
    meson ninja-build pkg-config g++ dpdk libdpdk-dev libboost-program-options-dev
    prometheus-cpp-dev libcivetweb-dev libfmt-dev catch2 libyaml-cpp-dev libpcap-dev nlohmann-json3-dev libssl-dev libsodium-dev
    # style checks run by scripts/test.sh; dpdk-testpmd (dpdk-dev) is the benchmarks' baseline
    clang-format clang-tidy dpdk-dev
    # bench/pktgen: Pktgen-DPDK (built apart, bench/README.md) links Lua 5.3
    liblua5.3-0
    # bench/instructions: instructions per packet counted by callgrind
    valgrind
    # fuzz targets (tests/fuzz, bench/fuzz): libFuzzer with ASan/UBSan
    clang-14 libfuzzer-14-dev libclang-rt-14-dev
    # tests and lab
    python3 python3-scapy python3-pytest python3-yaml tcpdump iproute2 nftables iperf3 ethtool
    iputils-ping procps kmod prometheus curl
    # headless browser: tests load the status page and check what it renders
    chromium
    # the DHCP server of tests/lab/test_dhcp.py (the binary only: no system service is started)
    dnsmasq-base
    # the standard WireGuard peer of the overlay's interop test (tests/overlay/test_wg_interop.py)
    wireguard-go wireguard-tools
)

missing=()
for p in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    ws_log "installing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
    ws_log "packages: all ${#PACKAGES[@]} present"
fi

# Hugepages for DPDK. wansteer falls back to --no-huge by itself when none are free; we record
# the fallback in $WS_BUILD/eal-fallback so scripts and tests can say why the run is slower.
HUGEPAGES="${HUGEPAGES:-512}"
hugepage_ok=1
have="$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)"
if [ "$have" -lt "$HUGEPAGES" ]; then
    echo "$HUGEPAGES" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
    have="$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)"
fi
[ "$have" -gt 0 ] || hugepage_ok=0
if ! mountpoint -q /dev/hugepages 2>/dev/null; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || hugepage_ok=0
fi
if [ "$hugepage_ok" = 1 ]; then
    ws_log "hugepages: $have x 2 MiB, hugetlbfs at /dev/hugepages"
else
    ws_warn "could not reserve hugepages or mount hugetlbfs; wansteer will run with --no-huge"
fi

[ "${SKIP_BUILD:-0}" = 1 ] && exit 0

cd "$WS_ROOT"
if [ ! -f "$WS_BUILD/build.ninja" ]; then
    ws_log "meson setup $WS_BUILD"
    meson setup "$WS_BUILD"
fi
mkdir -p "$WS_BUILD"
if [ "$hugepage_ok" = 1 ]; then rm -f "$WS_BUILD/eal-fallback"; else echo "--no-huge" > "$WS_BUILD/eal-fallback"; fi
ws_log "ninja -C $WS_BUILD"
ninja -C "$WS_BUILD" -j"$(nproc)"
