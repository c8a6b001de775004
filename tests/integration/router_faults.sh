# The router through changes and faults: a table switch under a request loop, a
# worker killed with SIGKILL, a broken table, a clean stop.
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

test_router_switch_under_a_request_loop_fails_no_request() {
	backend 1 old
	backend 2 new
	table 1 "{\"hello\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	router_start
	client loop hello.berth.test "$TEST_TMP/stop" keepalive >"$TEST_TMP/ka.out" &
	local ka=$!
	client loop hello.berth.test "$TEST_TMP/stop" fresh >"$TEST_TMP/fresh.out" &
	local fr=$!
	wait_for sh -c "curl -s -m 2 -H 'Host: hello.berth.test' http://$ROUTER/ | grep -q old"
	table 2 "{\"hello\": {\"backends\": [\"$(backend_addr 2)\"]}}"
	router_reload 2
	# After the switch new requests go to the new process; then the old one stops.
	assert_eq new "$(get hello.berth.test /)" "first request after the switch"
	kill "${BACKEND_PID[1]}"
	wait_for sh -c "! ss -Hltn 'sport = :$((TEST_PORT_BASE + 1))' | grep -q LISTEN"
	touch "$TEST_TMP/stop"
	wait "$ka" "$fr"
	cat "$TEST_TMP/ka.out" "$TEST_TMP/fresh.out"
	assert_contains "$(cat "$TEST_TMP/ka.out")" "failed=0 refused=0" "keep-alive loop"
	assert_contains "$(cat "$TEST_TMP/fresh.out")" "failed=0 refused=0" "new-connection loop"
	assert_contains "$(cat "$TEST_TMP/ka.out")" "new:" "requests reached the new backend"
}

test_router_switch_lets_requests_in_flight_finish_on_the_old_backend() {
	backend 1 old
	backend 2 new
	table 1 "{\"hello\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	router_start
	client inflight hello.berth.test "$TEST_TMP/go" >"$TEST_TMP/inflight.out" &
	local pid=$!
	wait_for grep -q started "$TEST_TMP/inflight.out" || fail "the request did not start"
	table 2 "{\"hello\": {\"backends\": [\"$(backend_addr 2)\"]}}"
	router_reload 2
	assert_eq new "$(get hello.berth.test /)" "a new request"
	touch "$TEST_TMP/go"
	wait "$pid"
	local out
	out=$(cat "$TEST_TMP/inflight.out")
	assert_contains "$out" "HTTP/1.1 200 OK" "the request in flight"
	assert_contains "$out" "X-Backend: old" "backend of the request in flight"
	assert_contains "$out" "hello" "its body"
}

test_router_worker_killed_with_sigkill_refuses_no_connection() {
	backend 1 alpha
	table 1 "{\"hello\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	router_start
	client loop hello.berth.test "$TEST_TMP/stop" fresh >"$TEST_TMP/loop.out" &
	local loop=$! i w neww
	for i in 1 2 3 4 5; do
		wait_for pgrep -P "$ROUTER_PID" || fail "no worker"
		w=$(router_worker_pid)
		kill -9 "$w"
		wait_for sh -c "neww=\$(pgrep -P $ROUTER_PID); [ -n \"\$neww\" ] && [ \"\$neww\" != $w ]" ||
			fail "no new worker after kill -9"
		wait_for sh -c "curl -s -m 2 -H 'Host: hello.berth.test' http://$ROUTER/ | grep -q alpha"
	done
	touch "$TEST_TMP/stop"
	wait "$loop"
	cat "$TEST_TMP/loop.out"
	assert_contains "$(cat "$TEST_TMP/loop.out")" "refused=0" "refused connections"
	assert_eq 5 "$(grep -c 'starting another' "$TEST_TMP/router.log")" "restarts logged"
}

test_router_keeps_the_previous_table_when_a_new_one_is_broken() {
	backend 1 alpha
	table 1 "{\"hello\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	router_start
	echo '{"apps": {"hello": {"backends": ["not an address"]}}}' >"$TEST_TMP/table.json"
	berth router:reload
	wait_for grep -q "previous one stays" "$TEST_TMP/router.log" || fail "no log of the broken table"
	assert_eq alpha "$(get hello.berth.test /)" "served from the previous table"
}

test_router_stops_cleanly_on_sigterm() {
	backend 1 alpha
	table 1 "{\"hello\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	router_start
	local w
	w=$(router_worker_pid)
	kill -TERM "$ROUTER_PID"
	wait "$ROUTER_PID" || fail "router exited with $?"
	! kill -0 "$w" 2>/dev/null || fail "worker $w still running"
	! tcp_open 127.0.0.1 "$ROUTER_PORT" || fail "still listening"
	[ ! -e "$BERTH_RUN/router/router.pid" ] || fail "pid file left"
}
