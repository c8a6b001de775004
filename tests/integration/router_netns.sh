# The router connects to a backend from inside the backend's own network
# namespace when the table names a pid there (net/router_netns.c): over that
# namespace's loopback, not through the host. A pid that is not in the backend's
# namespace, or a loopback backend, takes the way through the host.
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

# ns_backend PORT: an http-backend named "ns" in the outside namespace, on every
# address there; its pid (the namespace's) in NS_PID.
ns_backend() {
	outside_setup
	ip netns exec "$OUTSIDE_NS" "$(http_backend_bin)" "$1" ns 0.0.0.0 &
	NS_PID=$!
	track $NS_PID
	wait_for tcp_open 0.0.0.0 "$1" "$OUTSIDE_NS" || fail "backend in $OUTSIDE_NS did not start"
}

test_router_connects_to_a_backend_from_inside_its_network_namespace() {
	local port=$((TEST_PORT_BASE + 1))
	ns_backend "$port"
	table 1 "{\"app\": {\"backends\": [\"$OUTSIDE.2:$port\"], \"netns\": {\"$OUTSIDE.2\": $NS_PID}}}"
	router_start
	# The backend sees its own address: the connection never left its namespace.
	assert_eq "ns peer $OUTSIDE.2" "$(get app.berth.test /peer)" "peer seen by the backend"
	assert_eq "ns" "$(get app.berth.test /)" "plain request"
	# Pooled: the next request reuses that connection.
	assert_eq "ns conn 1" "$(get app.berth.test /conn)" "one upstream connection"
}

test_router_takes_the_host_path_when_the_pid_is_not_in_the_backends_namespace() {
	local port=$((TEST_PORT_BASE + 1))
	ns_backend "$port"
	# $$ is in the host's namespace, which does not have $OUTSIDE.2: as if the
	# backend's pid had exited and been reused.
	table 1 "{\"app\": {\"backends\": [\"$OUTSIDE.2:$port\"], \"netns\": {\"$OUTSIDE.2\": $$}}}"
	router_start
	assert_eq "ns peer $OUTSIDE.1" "$(get app.berth.test /peer)" "reached over the veth from the host"
	# A pid that no longer exists at all: the same.
	table 2 "{\"app\": {\"backends\": [\"$OUTSIDE.2:$port\"], \"netns\": {\"$OUTSIDE.2\": 4194303}}}"
	router_reload 2
	assert_eq "ns peer $OUTSIDE.1" "$(get app.berth.test /peer)" "no such pid"
}

test_router_never_enters_a_namespace_for_a_loopback_backend() {
	local port=$((TEST_PORT_BASE + 1))
	ns_backend "$port"
	backend 2 host
	# 127.0.0.1 is local in every namespace: entering the outside namespace would
	# reach its own backend ("ns") instead of the host's.
	table 1 "{\"app\": {\"backends\": [\"$(backend_addr 2)\"], \"netns\": {\"127.0.0.1\": $NS_PID}}}"
	router_start
	assert_eq "host" "$(get app.berth.test /)" "the host's backend"
}

test_router_refuses_a_table_whose_netns_is_not_a_pid() {
	backend 1 alpha
	table 1 "{\"app\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	router_start
	table 2 "{\"app\": {\"backends\": [\"$(backend_addr 1)\"], \"netns\": {\"127.0.0.1\": \"x\"}}}"
	berth router:reload
	wait_for grep -q "netns of 127.0.0.1 is not a pid" "$TEST_TMP/router.log" ||
		fail "bad netns accepted: $(cat "$TEST_TMP/router.log")"
	assert_eq "alpha" "$(get app.berth.test /)" "the previous table stays in force"
}
