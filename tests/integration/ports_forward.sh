# The TCP port forwarder: ports:add APP tcp:HOST-PORT:CONTAINER-PORT forwards
# connections to any of the host's addresses on HOST-PORT to the app's web
# container (nftables DNAT, table berth_<bridge>_fw). Clients: the test's own
# outside namespace and loopback; the app: a container on the test's bridge.
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

# app_container: a container answering "from-app" on port 7000 (a persistent
# server: never between two listens when a client comes); its address in APP_IP.
app_container() {
	local share=$TEST_TMP/share
	mkdir -p "$share"
	chmod 0777 "$share"
	(exec "$BERTH_BIN" runtime:run --net bridge --layer "$(busybox_rootfs)" --bind "$share:/share" -- sh -c \
		'ip -4 -o addr show eth0 | awk "{print \$4}" | cut -d/ -f1 >/share/ip.tmp; mv /share/ip.tmp /share/ip
		 exec nc -ll -p 7000 -e echo from-app') &
	track $!
	wait_for test -s "$share/ip" || fail "the app's container did not start"
	APP_IP=$(cat "$share/ip")
	wait_for sh -c "busybox nc -w 1 $APP_IP 7000 | grep -q from-app" || fail "the app does not answer"
}

# live_backend APP ADDR: what the daemon does, the app's live web backend in the table.
live_backend() {
	mkdir -p "$BERTH_RUN/router"
	printf '{"version": "1", "apps": {"%s": {"backends": ["%s:5000"]}}}\n' "$1" "$2" >"$BERTH_RUN/router/table.json"
}

test_tcp_port_maps_forward_to_the_apps_container() {
	local hp=$((TEST_PORT_BASE + 60)) out
	outside_setup
	app_container
	berth apps:create fwd >/dev/null
	live_backend fwd "$APP_IP"
	berth ports:add fwd "tcp:$hp:7000"
	out=$(ip netns exec "$OUTSIDE_NS" busybox nc -w 3 "$OUTSIDE.1" "$hp" || true)
	assert_eq "from-app" "$out" "from outside, to the host's address"
	out=$(busybox nc -w 3 127.0.0.1 "$hp" || true)
	assert_eq "from-app" "$out" "from the host's loopback"
	# Only connections to this host's addresses: the port on other addresses is not taken.
	nft list table ip "berth_${TEST_BRIDGE}_fw" | grep -q 'fib daddr type local' || fail "no local-only match"
	berth ports:remove fwd "$hp"
	out=$(busybox nc -w 2 127.0.0.1 "$hp" 2>&1 || echo refused)
	assert_not_contains "$out" "from-app" "forward removed with the map"
	assert_eq "" "$(nft list table ip "berth_${TEST_BRIDGE}_fw" 2>/dev/null)" "no forward table left"
}

test_net_teardown_removes_the_forward_table() {
	app_container
	berth apps:create fwd >/dev/null
	live_backend fwd "$APP_IP"
	berth ports:add fwd "tcp:$((TEST_PORT_BASE + 61)):7000" "http:$((TEST_PORT_BASE + 61)):5000" 2>/dev/null &&
		fail "tcp and http on one host port were accepted"
	berth ports:add fwd "tcp:$((TEST_PORT_BASE + 61)):7000" "udp:$((TEST_PORT_BASE + 61)):7000"
	nft list table ip "berth_${TEST_BRIDGE}_fw" | grep -q "udp dport $((TEST_PORT_BASE + 61))" || fail "no udp forward"
	nft list table ip "berth_${TEST_BRIDGE}_fw" >/dev/null || fail "no forward table"
	berth net:teardown >/dev/null
	assert_eq "" "$(net_leftovers)" "leftovers"
}

test_tcp_maps_never_take_a_host_services_or_another_apps_port() {
	local busy=$((TEST_PORT_BASE + 62)) status
	tcp_server 127.0.0.1 "$busy" host-service
	berth apps:create one >/dev/null
	berth apps:create two >/dev/null
	run_status status berth ports:add one "tcp:$busy:7000" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "Host port tcp/$busy is in use by a service on this host"
	run_status status berth ports:add one "tcp:$TEST_PORT_BASE:7000" 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "the router's port"
	berth ports:add one "tcp:$((TEST_PORT_BASE + 63)):7000"
	run_status status berth ports:add two "tcp:$((TEST_PORT_BASE + 63)):7001" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "forwarded to app one already"
	assert_eq "" "$(berth --quiet ports:report two --ports-map)" "nothing stored for two"
}
