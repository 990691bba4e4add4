#!/usr/bin/env bash
# The office lab in network namespaces: LAN hosts behind a VLAN switch, the edge, two ISP routers that only
# route (no NAT, no route back to the office: the edge's own NAT makes traffic work), the LTE one handing out the
# edge's address by DHCP (dnsmasq, like an LTE router), and an "internet" with the servers. All names start ws-.
#
#   ws-office (192.168.10.10) ─┐                       ┌─ fiber0 ── edge0 ws-isp1 inet0 ──┐
#                              ├ ws-switch ── lan0 ws-edge                                  ws-inet
#   ws-guest  (192.168.20.10) ─┘  (br0, VLAN 20         └─ lte0 ─── edge0 ws-isp2 inet0 ──┘ 203.0.113.10
#              untagged access     tagged on the trunk)                                     198.51.100.10/.20
#                                                                                           52.112.0.10
# Usage: lab.sh up | down | status | standin on|off | fault ISP drop|loss PCT|clear | hub up [OPTS]|down|key|show
#        | site2 up|down
#   fault isp1 drop: the fiber ISP stops forwarding (a hard outage beyond the modem; it still answers ARP)
#   fault isp1 loss 5: 5 % random loss on what the edge sends through that ISP (nftables numgen)
#   fault isp1 clear: back to normal
#   standin on: make the ws-edge kernel route between the ports (addresses + ip_forward), to prove
#   the plumbing without wansteer; standin off removes that again so wansteer owns the ports.
#   hub up: the overlay's WireGuard hub (issue 13) in ws-hub, 203.0.113.50:51820, on the lab that is up; without
#   OPTS for the site of $WS_STATE/office-overlay.yaml (written from policies/office-overlay.yaml with the hub's key
#   and a new site key), else for `wansteer overlay hub-config OPTS` (e.g. --site-public-key K --site-networks N).
#   hub key: the hub's public key (made on first use); hub show: `wg show` there; hub down: hub gone.
#   site2 up: a second office for the site-to-site overlay (scripts/lib/labsite2.sh): ws-site2 with ports wan0
#   (203.0.113.62/30, into ws-inet) and lan0, a host in ws-lan2 (192.168.110.10); its wansteer is started by the
#   caller (tests/lab/site2.py). site2 down: both namespaces gone.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/labnet.sh"

usage() {
    echo "usage: $0 up|down|status|standin on|off|fault isp1|isp2 drop|loss PCT|clear|hub up [OPTS]|down|key|show" \
        "|site2 up|down" >&2
    exit 2
}

nsx() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }

# A namespace with loopback up, IPv6 off (the edge must see no kernel chatter on its ports).
make_ns() {
    local ns="$1"
    ip netns add "$ns"
    nsx "$ns" ip link set lo up
    nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# The kernel leaves TCP/UDP checksums unfinished on veth (CHECKSUM_PARTIAL); af_packet on the edge
# would forward them unfinished. Interfaces that send towards the edge compute them in software.
csum_off() { nsx "$1" ethtool -K "$2" tx off >/dev/null; }

lab_up() {
    if lab_is_up; then ws_log "lab already up"; return 0; fi
    lab_down quiet
    ws_log "creating lab namespaces"
    for ns in "${WS_NAMESPACES[@]}"; do make_ns "$ns"; done

    # --- edge ports: plain veth ends, up, no addresses
    ip link add lan0 netns ws-edge type veth peer name trunk0 netns ws-switch
    ip link add fiber0 netns ws-edge type veth peer name edge0 netns ws-isp1
    ip link add lte0 netns ws-edge type veth peer name edge0 netns ws-isp2
    for i in lan0 fiber0 lte0; do nsx ws-edge ip link set "$i" mtu 1500 up; done

    # --- LAN: a switch with a trunk to the edge: staff untagged through a Linux bridge; the guest
    # access port is carried as VLAN 20 by a small tagger (this kernel has neither 802.1Q nor bridge
    # VLAN filtering, so the tagging is done in user space, like the switch's ASIC would)
    ip link add office0 netns ws-switch type veth peer name eth0 netns ws-office
    ip link add guest0 netns ws-switch type veth peer name eth0 netns ws-guest
    nsx ws-switch ip link add br0 type bridge stp_state 0
    for p in trunk0 office0; do nsx ws-switch ip link set "$p" master br0; done
    for p in trunk0 office0 guest0 br0; do nsx ws-switch ip link set "$p" up; done
    csum_off ws-switch trunk0
    csum_off ws-switch guest0
    mkdir -p "$WS_STATE"
    nsx ws-switch setsid "$WS_ROOT/scripts/lib/labtool.sh" tagger guest0 trunk0 "$WS_GUEST_VLAN" \
        </dev/null >"$WS_STATE/tagger.log" 2>&1 &
    echo $! > "$WS_STATE/tagger.pid"

    nsx ws-office ip addr add "$WS_OFFICE_IP/24" dev eth0
    nsx ws-office ip link set eth0 up
    nsx ws-office ip route add default via "$WS_OFFICE_GW"
    csum_off ws-office eth0
    nsx ws-guest ip addr add "$WS_GUEST_IP/24" dev eth0
    nsx ws-guest ip link set eth0 up
    nsx ws-guest ip route add default via "$WS_GUEST_GW"
    csum_off ws-guest eth0

    # --- ISP routers: forward, nothing else. The internet routes each line's /30 to its router (the edge's
    # address is a public one in real life); the office's private subnets are known to nobody but the edge.
    local n
    for n in 1 2; do
        local ns="ws-isp$n"
        nsx "$ns" ip addr add "100.64.$n.1/30" dev edge0
        nsx "$ns" ip link set edge0 up
        csum_off "$ns" edge0
        ip link add inet0 netns "$ns" type veth peer name "isp$n" netns ws-inet
        nsx "$ns" ip addr add "198.18.$n.1/30" dev inet0
        nsx "$ns" ip link set inet0 up
        nsx ws-inet ip addr add "198.18.$n.2/30" dev "isp$n"
        nsx ws-inet ip link set "isp$n" up
        nsx "$ns" ip route add default via "198.18.$n.2"
        nsx ws-inet ip route add "100.64.$n.0/30" via "198.18.$n.1"
        nsx "$ns" sysctl -qw net.ipv4.ip_forward=1
    done
    lte_dhcp_server

    # --- the internet: servers on loopback, reachable through either ISP
    for a in "${WS_SERVERS[@]}"; do nsx ws-inet ip addr add "$a/32" dev lo; done

    # --- a STAMP reflector on 203.0.113.10: the edge's probes reach it through either ISP
    mkdir -p "$WS_STATE"
    local refl="$WS_BUILD/control/wansteer-reflector"
    if [ -x "$refl" ]; then
        nsx ws-inet setsid "$refl" --listen 203.0.113.10 </dev/null >"$WS_STATE/reflector.log" 2>&1 &
        echo $! > "$WS_STATE/reflector.pid"
    else
        ws_warn "$refl is not built: no STAMP reflector in the lab (ICMP probes still work)"
    fi

    mkdir -p "$WS_STATE"
    ws_log "lab up: $(printf '%s ' "${WS_NAMESPACES[@]}")"
}

# The LTE router's DHCP server: the edge's lte0 gets 100.64.2.2/30, gateway 100.64.2.1 (policies/office.yaml
# says `address: dhcp` there). dnsmasq's shortest lease, 2 minutes, so renewals happen while the lab runs.
lte_dhcp_server() {
    command -v dnsmasq >/dev/null || ws_die "dnsmasq missing: run scripts/setup.sh (package dnsmasq-base)"
    nsx ws-isp2 setsid dnsmasq --no-daemon --conf-file=/dev/null --port=0 --user=root --interface=edge0 \
        --bind-interfaces --dhcp-authoritative --dhcp-range=100.64.2.2,100.64.2.2,255.255.255.252,2m \
        --dhcp-option=3,100.64.2.1 --dhcp-leasefile="$WS_STATE/isp2-dhcp.leases" \
        </dev/null >"$WS_STATE/isp2-dhcp.log" 2>&1 &
    echo $! > "$WS_STATE/isp2-dhcp.pid"
}

lab_down() {
    local quiet="${1:-}"
    local ns
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^ws-' || true); do
        # End whatever still runs inside (a daemon or a server left by a crashed run): by pid.
        local pids
        pids="$(ip netns pids "$ns" 2>/dev/null || true)"
        [ -n "$pids" ] && kill $pids 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    [ -z "$quiet" ] && ws_log "lab down"
    return 0
}

lab_status() {
    local ns
    if ! lab_is_up; then echo "lab: down (or incomplete)"; ip netns list | grep '^ws-' || true; return 1; fi
    echo "lab: up"
    for ns in "${WS_NAMESPACES[@]}"; do
        printf '  %-10s %s\n' "$ns" "$(nsx "$ns" ip -br addr show | awk '$1!="lo"{printf "%s[%s] %s  ", $1, $2, $3}')"
    done
}

standin() {
    lab_is_up || ws_die "lab is not up"
    case "${1:-}" in
    on)
        nsx ws-edge sysctl -qw net.ipv4.ip_forward=1
        nsx ws-edge ip addr replace "$WS_OFFICE_GW/24" dev lan0
        # (no 802.1Q in this kernel: the stand-in routes staff only, guest VLAN 20 needs wansteer)
        nsx ws-edge ip addr replace 100.64.1.2/30 dev fiber0
        nsx ws-edge ip addr replace 100.64.2.2/30 dev lte0
        nsx ws-edge ip route replace default via 100.64.1.1
        nsx ws-edge nft -f - <<EOF
table ip ws_standin {
    chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "fiber0" masquerade; }
}
EOF
        ws_log "stand-in on: the ws-edge kernel routes and masquerades LAN <-> fiber (no steering)"
        ;;
    off)
        for i in lan0 fiber0 lte0; do nsx ws-edge ip addr flush dev "$i"; done
        nsx ws-edge nft delete table ip ws_standin 2>/dev/null || true
        nsx ws-edge sysctl -qw net.ipv4.ip_forward=0
        ws_log "stand-in off: ws-edge ports are bare again"
        ;;
    *) usage ;;
    esac
}

# Faults on an ISP router, with nftables (this kernel has no netem): table ws_fault, replaced each time.
fault() {
    local isp="${1:-}" what="${2:-}" pct="${3:-}"
    case "$isp" in isp1|isp2) ;; *) usage ;; esac
    local ns="ws-$isp"
    nsx "$ns" nft delete table ip ws_fault 2>/dev/null || true
    case "$what" in
    drop)
        nsx "$ns" nft -f - <<EOF
table ip ws_fault {
    chain forward { type filter hook forward priority -10; policy drop; }
    chain input { type filter hook input priority -10; policy accept; iifname "edge0" ip protocol icmp drop; }
}
EOF
        ws_log "$isp: forwarding stopped (hard outage)" ;;
    loss)
        [[ "$pct" =~ ^[0-9]+$ ]] && [ "$pct" -le 100 ] || ws_die "fault $isp loss PCT: PCT is a whole percentage"
        nsx "$ns" nft -f - <<EOF
table ip ws_fault {
    chain forward {
        type filter hook forward priority -10; policy accept;
        iifname "edge0" numgen random mod 100 < $pct drop
    }
}
EOF
        ws_log "$isp: ${pct} % random loss on traffic from the edge" ;;
    clear) ws_log "$isp: no fault" ;;
    *) usage ;;
    esac
}

. "$(dirname "$0")/lib/labhub.sh"
. "$(dirname "$0")/lib/labsite2.sh"

ws_require_root "$@"
case "${1:-}" in
up) lab_up ;;
down) lab_down ;;
status) lab_status ;;
standin) standin "${2:-}" ;;
fault) shift; fault "$@" ;;
hub) shift; hub "$@" ;;
site2) shift; site2 "$@" ;;
*) usage ;;
esac
