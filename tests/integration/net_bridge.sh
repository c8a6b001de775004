# runtime:run --net bridge: eth0 on berth's bridge, NAT outwards, isolation, IPAM,
# resolv.conf/hosts, teardown. Every address is the test's own (see helpers/net.sh).
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

test_bridge_container_has_only_eth0_and_lo_with_address_mtu_and_default_route() {
	local out
	out=$(run_net -- sh -c 'ls /sys/class/net | tr "\n" " "; echo; ip -4 -o addr show eth0; cat /sys/class/net/eth0/mtu /sys/class/net/eth0/operstate /sys/class/net/lo/operstate; ip route')
	assert_contains "$out" "eth0 lo " "interfaces"
	assert_contains "$out" "inet $TEST_NET.2/24" "eth0 address"
	assert_contains "$out" "1500" "eth0 mtu"
	assert_contains "$out" "default via $TEST_NET.1 dev eth0" "default route"
	assert_eq 2 "$(echo "$out" | head -n 1 | wc -w)" "interface count"
	assert_eq "" "$(ip -o link show master "$TEST_BRIDGE")" "veths left on the bridge after the container ended"
	berth net:teardown >/dev/null
	assert_eq "" "$(net_leftovers)" "leftovers after net:teardown"
}

test_gateway_answers_dns_and_the_router_but_no_other_host_service() {
	local out
	# The bridge exists once a container ran; the host serves on the gateway.
	run_net -- true
	tcp_server "$TEST_NET.1" 53 dns-ok
	tcp_server "$TEST_NET.1" "$TEST_PORT_BASE" router-ok  # BERTH_HTTP_ADDR's port
	tcp_server "$TEST_NET.1" 8080 host-service
	out=$(run_net -- sh -c "nc -w 2 $TEST_NET.1 53; nc -w 2 $TEST_NET.1 $TEST_PORT_BASE; echo; nc -w 2 $TEST_NET.1 8080 || echo refused-8080")
	assert_contains "$out" "dns-ok" "gateway port 53"
	assert_contains "$out" "router-ok" "the router's port"
	assert_not_contains "$out" "host-service" "gateway port 8080"
	assert_contains "$out" "refused-8080"
	berth net:teardown >/dev/null
	assert_eq "" "$(net_leftovers)" "leftovers"
}

test_egress_reaches_an_outside_namespace_through_nat() {
	local out
	outside_setup
	tcp_server "$OUTSIDE.2" 8080 PEER "$OUTSIDE_NS"
	# A loaded host (ASan, parallel tests) once timed a first attempt out: three tries.
	out=$(run_net -- sh -c "for i in 1 2 3; do nc -w 5 $OUTSIDE.2 8080 && break; done")
	# The outside host saw the host's address on its link, never the container's.
	assert_eq "$OUTSIDE.1" "$out" "source address seen outside"
	berth net:teardown >/dev/null
	assert_eq "" "$(net_leftovers)" "leftovers"
}

test_two_containers_cannot_reach_each_other() {
	local share=$TEST_TMP/share pid a out
	mkdir -p "$share"
	chmod 0777 "$share"
	(exec "$BERTH_BIN" runtime:run --net bridge --layer "$(busybox_rootfs)" --bind "$share:/share" -- sh -c \
		'ip -4 -o addr show eth0 | awk "{print \$4}" | cut -d/ -f1 >/share/a.tmp; mv /share/a.tmp /share/a
		 while :; do echo from-a | nc -l -p 8080; done') &
	pid=$!
	track $pid
	wait_for test -s "$share/a" || fail "container a did not start"
	a=$(cat "$share/a")
	# The host reaches a (so a listens) ...
	wait_for sh -c "busybox nc -w 1 $a 8080 | grep -q from-a" || fail "a does not answer the host"
	# ... another container on the same bridge does not.
	out=$(run_net -- sh -c "nc -w 2 $a 8080 || echo unreachable")
	assert_contains "$out" "unreachable" "b -> a"
	assert_not_contains "$out" "from-a" "b -> a"
	kill "$pid"
	wait "$pid" || true
	berth net:teardown >/dev/null
	assert_eq "" "$(net_leftovers)" "leftovers"
}

test_fifty_concurrent_starts_get_fifty_distinct_addresses() {
	local share=$TEST_TMP/share i pids=() n
	mkdir -p "$share"
	chmod 0777 "$share"
	for i in $(seq 1 50); do
		run_net --bind "$share:/share" --hostname "c$i" -- sh -c \
			'ip -4 -o addr show eth0 | awk "{print \$4}" >/share/$HOSTNAME' &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fail "a start failed"; done
	n=$(cat "$share"/c* | sort -u | wc -l)
	assert_eq 50 "$n" "distinct addresses"
	assert_eq 50 "$(cat "$share"/c* | wc -l)" "containers that got an address"
	assert_contains "$(berth net:report)" "Net leases:" "report"
	assert_eq 0 "$(berth net:report | awk '/Net leases:/ {print $3}')" "leases left"
	assert_eq "" "$(ip -o link show master "$TEST_BRIDGE")" "veths left"
	berth net:teardown >/dev/null
	assert_eq "" "$(net_leftovers)" "leftovers"
}

test_freed_address_is_not_reused_at_once_and_dead_owners_leases_are_reclaimed() {
	local first second pid
	first=$(run_net -- sh -c 'ip -4 -o addr show eth0 | awk "{print \$4}"')
	second=$(run_net -- sh -c 'ip -4 -o addr show eth0 | awk "{print \$4}"')
	assert_eq "$TEST_NET.2/24" "$first" "first address"
	assert_eq "$TEST_NET.3/24" "$second" "second address (the first was freed, not reused)"
	# A monitor killed with SIGKILL cannot give its lease back; the next start does.
	(exec "$BERTH_BIN" runtime:run --net bridge --layer "$(busybox_rootfs)" -- sleep 60) &
	pid=$!
	track $pid
	wait_for sh -c "\"\$BERTH_BIN\" net:report | grep -q 'Net leases: *1'" || fail "no lease while running"
	kill -9 "$pid"
	wait "$pid" || true
	assert_contains "$(berth net:report)" "Net leases:" "report"
	assert_eq 0 "$(berth net:report | awk '/Net leases:/ {print $3}')" "lease of a dead monitor"
	berth net:teardown >/dev/null
	assert_eq "" "$(net_leftovers)" "leftovers"
}

test_container_gets_resolv_conf_and_hosts_naming_it() {
	local out want
	out=$(run_net --hostname web-1 -- sh -c 'cat /etc/resolv.conf; echo ---; cat /etc/hosts')
	if grep -qE '^nameserver (127\.|::1)' /etc/resolv.conf && ! grep -E '^nameserver ' /etc/resolv.conf | grep -qvE ' (127\.|::1)'; then
		want="nameserver $TEST_NET.1"
	else
		want=$(grep -E '^nameserver [0-9.]+$' /etc/resolv.conf | grep -v ' 127\.' | head -n 1)
	fi
	assert_contains "$out" "$want" "resolv.conf"
	assert_not_contains "$out" "nameserver 127." "resolv.conf"
	assert_contains "$out" "web-1" "hosts"
	assert_contains "$out" "localhost" "hosts"
	berth net:teardown >/dev/null
}

test_bad_network_settings_are_refused_with_one_line() {
	local status
	run_status status berth runtime:run --net bogus --layer "$(busybox_rootfs)" -- true 2>"$TEST_TMP/err"
	assert_eq 125 "$status" "exit status for --net bogus"
	assert_contains "$(cat "$TEST_TMP/err")" "--net 'bogus'"
	assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "error lines"
	run_status status env BERTH_SUBNET=10.1.2.3/24 "$BERTH_BIN" runtime:run --net bridge --layer "$(busybox_rootfs)" -- true 2>"$TEST_TMP/err"
	assert_eq 125 "$status" "exit status for a subnet with host bits"
	assert_contains "$(cat "$TEST_TMP/err")" "BERTH_SUBNET"
	run_status status env BERTH_BRIDGE="bad name" "$BERTH_BIN" net:report 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "exit status for a bad bridge name"
	berth net:report >/dev/null
	assert_eq "" "$(net_leftovers)" "nothing made"
}

# A bridge nobody gave a MAC takes its lowest port's and changes it as ports come
# and go: the gateway's MAC would change under every other container when one ends
# (their replies then go nowhere until ARP probes again: gaps and hangs in a
# deploy's request loop). berth pins one of its own.
test_the_bridges_mac_stays_when_containers_come_and_go() {
	local before during after
	run_net -- true
	assert_eq 3 "$(cat "/sys/class/net/$TEST_BRIDGE/addr_assign_type")" "the bridge's MAC is set (NET_ADDR_SET)"
	before=$(cat "/sys/class/net/$TEST_BRIDGE/address")
	# a connection attempt to the gateway makes the container resolve its MAC
	during=$(run_net -- sh -c "nc -w 2 $TEST_NET.1 9 </dev/null; cat /proc/net/arp" 2>/dev/null |
		awk -v gw="$TEST_NET.1" '$1 == gw { print $4 }')
	after=$(cat "/sys/class/net/$TEST_BRIDGE/address")
	assert_eq "$before" "$after" "the bridge's MAC after a container came and went"
	assert_eq "$before" "$during" "the gateway's MAC as a container saw it"
	berth net:teardown >/dev/null
}
