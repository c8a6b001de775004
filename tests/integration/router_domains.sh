# domains:* and ports:* reach a running router: routes_refresh() rewrites
# $BERTH_RUN/router/table.json from the apps' state and the backends in force,
# then signals the router. Everything on 127.0.0.1 (see helpers/net.sh).
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

test_router_follows_domains_and_http_port_maps() {
	backend 1 alpha
	backend 2 beta
	berth apps:create hello >/dev/null
	berth domains:set-global berth.test >/dev/null
	berth ports:set hello "http:$ROUTER_PORT:$((TEST_PORT_BASE + 1))" >/dev/null
	# The daemon's part: the live backends (here one on loopback).
	printf '{"version": "1", "apps": {"hello": {"backends": ["127.0.0.1:%s"]}}}\n' "$((TEST_PORT_BASE + 1))" >"$TABLE"
	router_default
	after "$(loads)" berth domains:add hello www.hello.example '*.wild.example'
	assert_eq "alpha" "$(get hello.berth.test /)" "APP.<global domain>"
	assert_eq "alpha" "$(get WWW.hello.example /)" "an added domain"
	assert_eq "alpha" "$(get a.b.wild.example /)" "a wildcard domain"
	assert_eq 404 "$(status_of wild.example /)" "the wildcard needs a label"
	after "$(loads)" berth domains:remove hello www.hello.example
	assert_eq 404 "$(status_of www.hello.example /)" "a removed domain"
	# The http map on the router's port chooses the container port.
	after "$(loads)" berth ports:set hello "http:$ROUTER_PORT:$((TEST_PORT_BASE + 2))" "http:$((TEST_PORT_BASE + 51)):$((TEST_PORT_BASE + 1))"
	assert_eq "beta" "$(get hello.berth.test /)" "the container port followed ports:set"
	after "$(loads)" berth ports:set hello "tcp:$((TEST_PORT_BASE + 50)):22"
	assert_eq 404 "$(status_of hello.berth.test /)" "no http map: not routed"
	jq -e '.apps | has("hello") | not' "$TABLE" >/dev/null || fail "hello still in the table"
}

test_routes_never_signal_a_pid_that_is_not_the_router() {
	berth apps:create hello >/dev/null
	sleep 300 &
	local victim=$!
	track $victim
	# Once it is sleep (its fork is this script until then, whose name says router).
	wait_for grep -q sleep "/proc/$victim/cmdline" || fail "sleep did not start"
	mkdir -p "$BERTH_RUN/router"
	echo "$victim" >"$BERTH_RUN/router/router.pid"
	berth domains:add hello a.test >/dev/null
	kill -0 "$victim" || fail "a stale router.pid got its process signalled"
	jq -e '.apps.hello.domains == ["a.test"]' "$TABLE" >/dev/null || fail "table not written"
}
