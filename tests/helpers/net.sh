# net.sh - helpers for tests/integration/net_*.sh and router_*.sh (sourced by them).
# Every address here is the test's own: its bridge's /24 ($TEST_NET.0/24), a /30 to
# an "outside" namespace it creates, or loopback.

# track PID: one-test kills it at the end, pass or fail.
track() { echo "$1" >>"$TEST_TMP/pids"; }

run_net() { berth runtime:run --net bridge --layer "$(busybox_rootfs)" "$@"; }

# The test's outside host: a namespace ${TEST_BRIDGE}o joined to the host by a veth
# pair ${TEST_BRIDGE}x (host, $OUTSIDE.1) / ${TEST_BRIDGE}y ($OUTSIDE.2). It has no
# route to the containers' subnet: only NAT lets them talk to it.
outside_setup() {
	local b=${TEST_NET#10.}
	b=${b%%.*}
	OUTSIDE=10.$((b + 10)).${TEST_NET##*.}
	OUTSIDE_NS=${TEST_BRIDGE}o
	ip netns add "$OUTSIDE_NS"
	ip link add "${TEST_BRIDGE}x" type veth peer name "${TEST_BRIDGE}y"
	ip link set "${TEST_BRIDGE}y" netns "$OUTSIDE_NS"
	ip addr add "$OUTSIDE.1/30" dev "${TEST_BRIDGE}x"
	ip link set "${TEST_BRIDGE}x" up
	ip -n "$OUTSIDE_NS" addr add "$OUTSIDE.2/30" dev "${TEST_BRIDGE}y"
	ip -n "$OUTSIDE_NS" link set "${TEST_BRIDGE}y" up
	ip -n "$OUTSIDE_NS" link set lo up
	# Replies come back in on this interface: forwarding for it alone.
	echo 1 >"/proc/sys/net/ipv4/conf/${TEST_BRIDGE}x/forwarding"
}

# tcp_server ADDR PORT REPLY [NETNS]: answer every connection with REPLY (PEER: the
# peer's address) and close it; in the background, tracked.
tcp_server() {
	local prefix=()
	[ -n "${4:-}" ] && prefix=(ip netns exec "$4")
	"${prefix[@]}" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
while True:
    c, a = s.accept()
    c.sendall((a[0] if sys.argv[3] == "PEER" else sys.argv[3]).encode() + b"\n")
    c.close()
' "$1" "$2" "$3" &
	track $!
	wait_for tcp_open "$1" "$2" "${4:-}" || fail "server on $1:$2 did not start"
}

# tcp_open ADDR PORT [NETNS]: is something listening there?
tcp_open() {
	local prefix=()
	[ -n "${3:-}" ] && prefix=(ip netns exec "$3")
	"${prefix[@]}" ss -Hltn "src $1 and sport = :$2" | grep -q LISTEN
}

# net_leftovers: what berth's network left on the host for this test's bridge.
net_leftovers() {
	ip link show "$TEST_BRIDGE" >/dev/null 2>&1 && echo "bridge $TEST_BRIDGE"
	nft list table ip "berth_$TEST_BRIDGE" >/dev/null 2>&1 && echo "nft table berth_$TEST_BRIDGE"
	nft list table ip "berth_${TEST_BRIDGE}_fw" >/dev/null 2>&1 && echo "nft table berth_${TEST_BRIDGE}_fw"
	[ -e "$BERTH_ROOT/net/$TEST_BRIDGE" ] && echo "leases $BERTH_ROOT/net/$TEST_BRIDGE"
	[ -e "$BERTH_RUN/net/$TEST_BRIDGE" ] && echo "files $BERTH_RUN/net/$TEST_BRIDGE"
	true
}

# ---- router tests: backends and the router on 127.0.0.1 ports from TEST_PORT_BASE ----

ROUTER=127.0.0.1:$TEST_PORT_BASE
ROUTER_PORT=$TEST_PORT_BASE

# http_backend_bin: tests/helpers/http-backend.c built statically once per run.
http_backend_bin() {
	local out=$TEST_CACHE/helpers/http-backend tmp
	if [ ! -x "$out" ]; then
		mkdir -p "$TEST_CACHE/helpers"
		tmp=$(mktemp "$out.XXXXXX")
		cc -static -O2 -Wall -Wextra -Werror -o "$tmp" "$TEST_TOP/tests/helpers/http-backend.c" ||
			fail "cannot build tests/helpers/http-backend.c"
		mv -f "$tmp" "$out"
	fi
	echo "$out"
}

# backend N NAME: a backend on port TEST_PORT_BASE+N; its pid in BACKEND_PID[N].
declare -A BACKEND_PID=()
backend() {
	local port=$((TEST_PORT_BASE + $1))
	"$(http_backend_bin)" "$port" "$2" 127.0.0.1 &
	BACKEND_PID[$1]=$!
	track $!
	wait_for tcp_open 127.0.0.1 "$port" || fail "backend $2 did not start"
}

backend_addr() { echo "127.0.0.1:$((TEST_PORT_BASE + $1))"; }

# table VERSION JSON-APPS: write the router's table atomically, domain berth.test.
table() {
	printf '{"version": "%s", "domain": "berth.test", "apps": %s}\n' "$1" "$2" >"$TEST_TMP/table.tmp"
	mv -f "$TEST_TMP/table.tmp" "$TEST_TMP/table.json"
}

# router_start: `berth router` on $ROUTER with $TEST_TMP/table.json; log in router.log.
router_start() {
	(exec "$BERTH_BIN" router --table "$TEST_TMP/table.json" 2>>"$TEST_TMP/router.log") &
	ROUTER_PID=$!
	track $ROUTER_PID
	wait_for tcp_open 127.0.0.1 "$ROUTER_PORT" || { cat "$TEST_TMP/router.log"; fail "router did not start"; }
	# The supervisor listens before its worker exists: wait for the worker too.
	wait_for pgrep -P "$ROUTER_PID" || fail "the router has no worker"
}

router_worker_pid() { pgrep -P "$ROUTER_PID" | head -n 1; }

# router_reload VERSION: reload and wait until the worker says it loaded VERSION.
router_reload() {
	berth router:reload
	wait_for grep -q "table $1 loaded" "$TEST_TMP/router.log" || fail "table $1 was not loaded"
}

# get HOST PATH [curl options...]: the body (status in $STATUS via -w).
get() {
	local host=$1 path=$2
	shift 2
	curl -s -m 10 -H "Host: $host" "$@" "http://$ROUTER$path"
}

status_of() {
	local host=$1 path=$2
	shift 2
	curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Host: $host" "$@" "http://$ROUTER$path"
}

# raw: send stdin as-is to the router, print what comes back until it closes.
raw() { python3 "$TEST_TOP/tests/helpers/http-client.py" raw 127.0.0.1 "$ROUTER_PORT" "$@"; }
client() { python3 "$TEST_TOP/tests/helpers/http-client.py" "$1" 127.0.0.1 "$ROUTER_PORT" "${@:2}"; }

# ---- the router with its default table, as the daemon runs it (domains:*, ports:*) ----

TABLE=$BERTH_RUN/router/table.json

loads() { grep -c "table .* loaded" "$TEST_TMP/router.log" || true; }
more_loads_than() { [ "$(loads)" -gt "$1" ]; }

# router_default: `berth router` with its default table, as the daemon runs it.
router_default() {
	mkdir -p "$BERTH_RUN/router"
	(exec "$BERTH_BIN" router 2>>"$TEST_TMP/router.log") &
	ROUTER_PID=$!
	track $ROUTER_PID
	wait_for tcp_open 127.0.0.1 "$ROUTER_PORT" || { cat "$TEST_TMP/router.log"; fail "router did not start"; }
	wait_for pgrep -P "$ROUTER_PID" || fail "the router has no worker"
	wait_for grep -q "loaded" "$TEST_TMP/router.log" || fail "no table loaded"
}

# after N CMD...: run CMD, then wait until the router has loaded more than N tables.
after() {
	local n=$1
	shift
	"$@" >/dev/null
	wait_for more_loads_than "$n" || { cat "$TEST_TMP/router.log"; cat "$TABLE"; fail "the router did not reload after: $*"; }
}
