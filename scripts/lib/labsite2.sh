# shellcheck shell=bash
# A second office for the site-to-site overlay (issue 13), sourced by lab.sh after its helpers (nsx, make_ns,
# csum_off): ws-site2 where a second wansteer runs (one WAN port in use, wan0, with a public address on a link into
# ws-inet; wan1, a second line that is unplugged; one LAN port, lan0) and ws-lan2, a host on its LAN. Not in WS_NAMESPACES, so `up` and lab_is_up stay as
# they were; `down` removes both with every other ws-* namespace. The wansteer itself is started by its user
# (tests/lab/site2.py) with a policy naming wan0 and lan0.
#
#   ws-office ── ws-edge (site A) ── ws-isp1/ws-isp2 ── ws-inet ── site2 ── wan0 ws-site2 (site B) lan0 ── ws-lan2
#                                                   198.18.x/30  203.0.113.61/30  .62                   192.168.110.10

WS_SITE2_NS=ws-site2
WS_LAN2_NS=ws-lan2
WS_SITE2_IP=203.0.113.62      # site B's public address, on its WAN port
WS_SITE2_GW=203.0.113.61      # ws-inet's end of that link
WS_SITE2_LAN_IP=192.168.110.1 # site B's LAN address (its hosts' gateway)
WS_LAN2_HOST=192.168.110.10

site2_up() {
    lab_is_up || ws_die "the lab is not up (lab.sh up first)"
    site2_down quiet
    make_ns "$WS_SITE2_NS"
    make_ns "$WS_LAN2_NS"
    # WAN: wan0 (wansteer's port, no address) <-> site2 in ws-inet, which routes the /30 and forwards between the
    # ISPs and site B (site A's tunnel packets reach B through it)
    ip link add wan0 netns "$WS_SITE2_NS" type veth peer name site2 netns ws-inet
    nsx "$WS_SITE2_NS" ip link set wan0 mtu 1500 up
    nsx ws-inet ip addr add "$WS_SITE2_GW/30" dev site2
    nsx ws-inet ip link set site2 up
    csum_off ws-inet site2
    nsx ws-inet sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0
    # a second line, unplugged (a policy names 2 to 8 links): wan1's other end stays down, so site B runs on one
    nsx "$WS_SITE2_NS" ip link add wan1 type veth peer name unplugged0
    nsx "$WS_SITE2_NS" ip link set wan1 mtu 1500 up
    # LAN: lan0 (wansteer's port) <-> eth0 of the host
    ip link add lan0 netns "$WS_SITE2_NS" type veth peer name eth0 netns "$WS_LAN2_NS"
    nsx "$WS_SITE2_NS" ip link set lan0 mtu 1500 up
    nsx "$WS_LAN2_NS" ip addr add "$WS_LAN2_HOST/24" dev eth0
    nsx "$WS_LAN2_NS" ip link set eth0 up
    nsx "$WS_LAN2_NS" ip route add default via "$WS_SITE2_LAN_IP"
    csum_off "$WS_LAN2_NS" eth0
    ws_log "site2 up: $WS_SITE2_NS (wan0 $WS_SITE2_IP/30 via $WS_SITE2_GW, lan0 $WS_SITE2_LAN_IP/24), host $WS_LAN2_HOST"
}

site2_down() {
    local quiet="${1:-}" ns pids
    for ns in "$WS_SITE2_NS" "$WS_LAN2_NS"; do
        ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" || continue
        pids="$(ip netns pids "$ns" 2>/dev/null || true)"
        # shellcheck disable=SC2086  # one pid per word
        [ -z "$pids" ] || kill $pids 2>/dev/null || true
        ip netns del "$ns"
    done
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx ws-inet; then
        # forwarding stays on while the hub is up (it needs it too)
        ip netns list | awk '{print $1}' | grep -qx "$WS_HUB_NS" || nsx ws-inet sysctl -qw net.ipv4.ip_forward=0
    fi
    [ -n "$quiet" ] || ws_log "site2 down"
}

site2() {
    case "${1:-}" in
    up) site2_up ;;
    down) site2_down ;;
    *) usage ;;
    esac
}
