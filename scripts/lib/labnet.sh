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
