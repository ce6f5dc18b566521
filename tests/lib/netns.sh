# A host that is not loopback, made for one test and removed after it: a
# network namespace joined to this one by a veth pair with private
# addresses. Nothing it carries leaves the machine. Needs root and ip(8).
#   netns_up        sets NETNS, NETNS_ADDR (inside) and NETNS_PEER (this side)
#   netns_listen LOG [PORT]   runs fake_server.py listen inside on NETNS_ADDR; sets NETNS_PORT
#   netns_down      removes it all (call it from the test's EXIT trap)
# shellcheck shell=bash

netns_up() {
    command -v ip >/dev/null 2>&1 || return 1
    [ "$(id -u)" = 0 ] || return 1
    local id=$(( $$ % 60000 ))
    NETNS=fgsec$$
    NETNS_VETH=fgs$$
    NETNS_PEER=10.$(( 200 + id / 250 % 50 )).$(( id % 250 )).1
    NETNS_ADDR=${NETNS_PEER%.1}.2
    ip netns add "$NETNS" || return 1
    ip link add "${NETNS_VETH}a" type veth peer name "${NETNS_VETH}b" &&
        ip link set "${NETNS_VETH}b" netns "$NETNS" &&
        ip addr add "$NETNS_PEER/30" dev "${NETNS_VETH}a" &&
        ip link set "${NETNS_VETH}a" up &&
        ip netns exec "$NETNS" ip addr add "$NETNS_ADDR/30" dev "${NETNS_VETH}b" &&
        ip netns exec "$NETNS" ip link set "${NETNS_VETH}b" up &&
        ip netns exec "$NETNS" ip link set lo up
}

netns_listen() {
    local log=$1 port=${2:-18082}
    : >"$log"
    rm -f "$log.port"
    ip netns exec "$NETNS" python3 "$(dirname "${BASH_SOURCE[0]}")/fake_server.py" listen "$NETNS_ADDR" "$port" "$log" "$log.port" &
    NETNS_LISTENER=$!
    for _ in $(seq 1 50); do
        [ -s "$log.port" ] && { NETNS_PORT=$(cat "$log.port"); return 0; }
        sleep 0.1
    done
    return 1
}

netns_down() {
    [ -n "${NETNS_LISTENER:-}" ] && kill "$NETNS_LISTENER" 2>/dev/null && wait "$NETNS_LISTENER" 2>/dev/null
    NETNS_LISTENER=
    [ -n "${NETNS:-}" ] && ip netns del "$NETNS" 2>/dev/null
    [ -n "${NETNS_VETH:-}" ] && ip link del "${NETNS_VETH}a" 2>/dev/null
    NETNS=
    return 0
}
