# The HTTP router: Host routing, round-robin, keep-alive both sides, streaming,
# websockets, 100-continue, forwarded headers, HTTP/1.0, its own error pages.
# Everything listens on 127.0.0.1 (see helpers/net.sh).
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

two_backends() {
	backend 1 alpha
	backend 2 beta
	table 1 "{\"hello\": {\"domains\": [\"hello.example\"], \"backends\": [\"$(backend_addr 1)\", \"$(backend_addr 2)\"]},
	          \"other\": {\"backends\": [\"$(backend_addr 2)\"]}}"
	router_start
}

test_router_routes_by_host_with_round_robin_over_backends() {
	two_backends
	local seen
	seen=$(for i in 1 2 3 4; do get hello.berth.test /; done | tr '\n' ' ')
	assert_eq "alpha beta alpha beta " "$seen" "round-robin over web.1, web.2"
	assert_eq "beta" "$(get other.berth.test /)" "APP.<domain> default vhost"
	assert_contains "$(get HELLO.Example:8080 /)" "a" "custom domain, case and port ignored"
	assert_eq 404 "$(status_of nothere.berth.test /)" "unknown host"
}

test_router_keeps_connections_alive_on_both_sides() {
	two_backends
	local u="http://$ROUTER/conn" out
	# One client connection for three requests ...
	out=$(curl -s -m 10 -H 'Host: other.berth.test' -w '%{num_connects}\n' "$u" "$u" "$u")
	assert_eq "1 0 0" "$(echo "$out" | grep -v conn | tr '\n' ' ' | sed 's/ $//')" "client connections opened"
	# ... and one upstream connection, pooled across client connections.
	out=$(for i in 1 2 3; do get other.berth.test /conn; done | sort -u)
	assert_eq "beta conn 1" "$out" "upstream connections used"
}

test_router_streams_chunked_uploads_and_responses() {
	two_backends
	head -c 3000000 /dev/urandom >"$TEST_TMP/upload"
	local want got
	want=$(md5sum <"$TEST_TMP/upload")
	got=$(get other.berth.test /echo -H 'Transfer-Encoding: chunked' --data-binary @"$TEST_TMP/upload" | md5sum)
	assert_eq "$want" "$got" "chunked upload echoed"
	got=$(get other.berth.test /echo --data-binary @"$TEST_TMP/upload" | md5sum)
	assert_eq "$want" "$got" "upload with a length echoed"
	got=$(curl -s -m 10 -i -H 'Host: other.berth.test' "http://$ROUTER/chunked" | tr -d '\r')
	assert_contains "$got" "Transfer-Encoding: chunked" "chunked response to HTTP/1.1"
	assert_contains "$got" "one
two
three" "chunked body"
}

test_router_serves_http10_clients() {
	two_backends
	local got
	got=$(curl -s -m 10 -0 -i -H 'Host: other.berth.test' "http://$ROUTER/chunked" | tr -d '\r')
	assert_contains "$got" "HTTP/1.1 200" "status"
	assert_not_contains "$got" "Transfer-Encoding" "no chunks for HTTP/1.0"
	assert_contains "$got" "Connection: close" "close-delimited for HTTP/1.0"
	assert_contains "$got" "one
two
three" "decoded body"
	got=$(printf 'GET / HTTP/1.0\r\nHost: other.berth.test\r\n\r\n' | raw 2>/dev/null | tr -d '\r')
	assert_contains "$got" "beta" "plain HTTP/1.0 request"
}

test_router_passes_websocket_upgrades_through() {
	two_backends
	local out
	out=$(client ws other.berth.test)
	assert_contains "$out" "HTTP/1.1 101" "switching protocols"
	assert_contains "$out" "hello through the router" "echoed frame"
}

test_router_handles_expect_100_continue() {
	two_backends
	head -c 200000 /dev/urandom >"$TEST_TMP/upload"
	local out
	out=$(curl -s -v -m 10 -H 'Host: other.berth.test' -H 'Expect: 100-continue' \
		--data-binary @"$TEST_TMP/upload" -o "$TEST_TMP/echoed" "http://$ROUTER/echo" 2>&1)
	assert_contains "$out" "HTTP/1.1 100 Continue" "interim response"
	cmp "$TEST_TMP/upload" "$TEST_TMP/echoed" || fail "body after 100-continue differs"
}

test_router_sets_forwarded_headers_and_request_start() {
	two_backends
	local out before
	before=$(date +%s)
	out=$(get other.berth.test /headers -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Forwarded-Proto: https' | tr -d '\r')
	assert_contains "$out" "X-Forwarded-For: 203.0.113.7, 127.0.0.1" "X-Forwarded-For extended"
	assert_contains "$out" "X-Forwarded-Proto: http" "X-Forwarded-Proto"
	assert_not_contains "$out" "X-Forwarded-Proto: https" "client's X-Forwarded-Proto"
	assert_contains "$out" "X-Forwarded-Port: $ROUTER_PORT" "X-Forwarded-Port"
	local t
	t=$(echo "$out" | sed -n 's/^X-Request-Start: t=//p')
	[ -n "$t" ] && [ $((t / 1000)) -ge "$before" ] && [ $((t / 1000)) -le $((before + 10)) ] ||
		fail "X-Request-Start: t=$t (epoch ms expected)"
}

test_router_answers_404_502_503_and_504_with_short_pages() {
	backend 1 alpha
	table 1 "{\"down\": {\"backends\": [\"$(backend_addr 9)\"]},
	          \"none\": {\"backends\": []},
	          \"booting\": {\"backends\": [], \"starting\": true},
	          \"slow\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	BERTH_ROUTER_UPSTREAM_TIMEOUT_MS=1000 router_start
	local page
	page=$(get nothere.berth.test /)
	assert_contains "$page" "404 Not Found" "unknown host page"
	[ "${#page}" -lt 512 ] || fail "the 404 page is not short: ${#page} bytes"
	assert_eq 502 "$(status_of down.berth.test /)" "backend refusing"
	assert_eq 502 "$(status_of none.berth.test /)" "no live backend"
	assert_eq 503 "$(status_of booting.berth.test /)" "app starting"
	local t0=$SECONDS
	assert_eq 504 "$(status_of slow.berth.test /hang)" "backend not answering"
	[ $((SECONDS - t0)) -le 5 ] || fail "504 took $((SECONDS - t0)) s"
	assert_eq alpha "$(get slow.berth.test /)" "the router still serves"
}
