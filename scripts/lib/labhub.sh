# The overlay's hub in the lab (issue 13), sourced by lab.sh after its helpers (nsx, make_ns): namespace ws-hub
# joined to ws-inet, wireguard-go run by wg-quick with the config `wansteer overlay hub-config` writes, forwarding
# and masquerading towards the internet hosts. Keys and the config live in $WS_STATE (hub.key, overlay.key).

hub_wansteer() {
    local exe="$WS_BUILD/control/wansteer"
    [ -x "$exe" ] || ws_die "$exe is not built (ninja -C $WS_BUILD)"
    "$exe" "$@"
}

# The hub's private key ($WS_STATE/hub.key, made on first use); prints its public key.
hub_key() {
    mkdir -p "$WS_STATE"
    [ -f "$WS_STATE/hub.key" ] || hub_wansteer overlay keygen --out "$WS_STATE/hub.key" >/dev/null
    wg pubkey <"$WS_STATE/hub.key"
}

# The lab's site policy: policies/office-overlay.yaml with this hub's public key, in $WS_STATE beside its site key
# (overlay.key, relative to the policy) and a link to the prefix lists. Prints the policy's path.
hub_site_policy() {
    local hub_pub="$1" policy="$WS_STATE/office-overlay.yaml"
    [ -f "$WS_STATE/overlay.key" ] || hub_wansteer overlay keygen --out "$WS_STATE/overlay.key" >/dev/null
    ln -sfn "$WS_ROOT/policies/prefixes" "$WS_STATE/prefixes"
    sed "s|ReplaceWithTheHubsPublicKeyFromWgPubkey000A=|$hub_pub|" "$WS_ROOT/policies/office-overlay.yaml" >"$policy"
    echo "$policy"
}

# ws-hub's link to ws-inet: the hub's public address on its end, ws-inet routing that address to it.
hub_link() {
    make_ns "$WS_HUB_NS"
    ip link add hub0 netns ws-inet type veth peer name inet0 netns "$WS_HUB_NS"
    nsx ws-inet ip addr add "$WS_HUB_INET_IP/30" dev hub0
    nsx ws-inet ip link set hub0 up
    nsx ws-inet ip route add "$WS_HUB_IP/32" dev hub0
    # ws-inet now routes between the ISPs and the hub (the edge's tunnel packets reach the hub through it)
    nsx ws-inet sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0
    nsx "$WS_HUB_NS" ip addr add "$WS_HUB_IP/32" dev inet0
    nsx "$WS_HUB_NS" ip link set inet0 up
    nsx "$WS_HUB_NS" ip route add "$WS_HUB_INET_IP/32" dev inet0
    nsx "$WS_HUB_NS" ip route add default via "$WS_HUB_INET_IP" dev inet0
}

hub_wg_quick() {
    nsx "$WS_HUB_NS" env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
        WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wg-quick "$@"
}

hub_up() {
    lab_is_up || ws_die "the lab is not up (lab.sh up first)"
    command -v wireguard-go >/dev/null && command -v wg-quick >/dev/null ||
        ws_die "wireguard-go and wg-quick missing: apt install wireguard-go wireguard-tools"
    hub_down quiet
    local hub_pub policy args=("$@") conf="$WS_STATE/$WS_HUB_IF.conf"
    hub_pub="$(hub_key)"
    if [ ${#args[@]} -eq 0 ]; then
        policy="$(hub_site_policy "$hub_pub")"
        args=(--policy "$policy")
    fi
    # the config holds the hub's private key: written 0600 from the start (wg-quick warns otherwise)
    (umask 077 && hub_wansteer overlay hub-config "${args[@]}" --hub-private-key-file "$WS_STATE/hub.key" \
        --hub-address "$WS_HUB_INNER" >"$conf.new") || ws_die "wansteer overlay hub-config failed"
    mv "$conf.new" "$conf"
    hub_link
    hub_wg_quick up "$conf" >"$WS_STATE/hub-wg-quick.log" 2>&1 ||
        ws_die "wg-quick up failed in $WS_HUB_NS: $(cat "$WS_STATE/hub-wg-quick.log")"
    ws_log "hub up: $WS_HUB_IP:$WS_HUB_PORT, public key $hub_pub, config $conf"
}

hub_down() {
    local quiet="${1:-}" pids
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$WS_HUB_NS"; then
        # wg-quick down runs PostDown and deletes the interface, which ends wireguard-go
        [ ! -f "$WS_STATE/$WS_HUB_IF.conf" ] || hub_wg_quick down "$WS_STATE/$WS_HUB_IF.conf" >/dev/null 2>&1 || true
        pids="$(ip netns pids "$WS_HUB_NS" 2>/dev/null || true)"
        [ -z "$pids" ] || kill $pids 2>/dev/null || true
        ip netns del "$WS_HUB_NS"
    fi
    rm -f "/var/run/wireguard/$WS_HUB_IF.sock"
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx ws-inet; then
        nsx ws-inet sysctl -qw net.ipv4.ip_forward=0
    fi
    [ -n "$quiet" ] || ws_log "hub down"
}

hub() {
    case "${1:-}" in
    up) shift; hub_up "$@" ;;
    down) hub_down ;;
    key) hub_key ;;
    show) shift; nsx "$WS_HUB_NS" wg show "$WS_HUB_IF" "$@" ;;
    *) usage ;;
    esac
}
