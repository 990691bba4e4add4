# The lab's names and addresses, shared by lab.sh, demo.sh and (read by) tests/lab.
# Source it after common.sh.

WS_NAMESPACES=(ws-edge ws-switch ws-office ws-guest ws-isp1 ws-isp2 ws-inet)
WS_OFFICE_IP=192.168.10.10
WS_OFFICE_GW=192.168.10.1
WS_GUEST_IP=192.168.20.10
WS_GUEST_GW=192.168.20.1
WS_GUEST_VLAN=20
# What the internet sees as the source of a flow: the edge's address on each line (its NAT; the ISP routers only
# route).
WS_ISP_FIBER_SRC=100.64.1.2
WS_ISP_LTE_SRC=100.64.2.2
WS_SERVERS=(203.0.113.10 198.51.100.10 198.51.100.20 52.112.0.10)

# True when every namespace, the edge's three ports and the switch's VLAN tagger exist.
lab_is_up() {
    local ns have
    have="$(ip netns list 2>/dev/null | awk '{print $1}')"
    for ns in "${WS_NAMESPACES[@]}"; do
        grep -qx "$ns" <<<"$have" || return 1
    done
    for i in lan0 fiber0 lte0; do
        ip netns exec ws-edge ip link show "$i" >/dev/null 2>&1 || return 1
    done
    ip netns exec ws-inet ip link show isp2 >/dev/null 2>&1 || return 1
    # the guest VLAN tagger must be alive in the switch
    [ -n "$(ip netns pids ws-switch 2>/dev/null)" ] || return 1
}

# The overlay's hub (lab.sh hub up|down, issue 13): not in WS_NAMESPACES, so `up` and lab_is_up stay as they were;
# `down` removes it with every other ws-* namespace. Its public address sits on its link to ws-inet (as on a
# cloud VM), so what it masquerades leaves from that address.
WS_HUB_NS=ws-hub
WS_HUB_IP=203.0.113.50
WS_HUB_PORT=51820
WS_HUB_IF=wshub0             # the hub's WireGuard interface (wireguard-go, through wg-quick)
WS_HUB_INNER=10.200.0.1/24   # the hub's own inner address
WS_HUB_INET_IP=198.18.3.1    # ws-inet's end of the link to the hub (198.18.1.0/30, .2.0/30 are the ISPs')
