# The router against bad clients: oversized and malformed heads, smuggling forms,
# slow heads and bodies, too many connections. Every case gets an answer or a
# close in bounded time, and the router keeps serving others.
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

one_app() {
	backend 1 alpha
	table 1 "{\"hello\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	router_start
}

# send_raw TEXT: printf-format TEXT to the router; print the status line.
send_raw() {
	printf "$1" | raw 2>/dev/null | head -n 1 | tr -d '\r'
}

assert_still_serving() {
	assert_eq alpha "$(get hello.berth.test /)" "a good request after the bad one"
}

test_router_refuses_an_oversized_head_with_431() {
	one_app
	local big
	big=$(head -c 9000 /dev/zero | tr '\0' a)
	assert_eq "HTTP/1.1 431 Request Header Fields Too Large" \
		"$(send_raw "GET / HTTP/1.1\r\nHost: hello.berth.test\r\nX-Big: $big\r\n\r\n")"
	big=$(head -c 9000 /dev/zero | tr '\0' b)
	assert_eq "HTTP/1.1 431 Request Header Fields Too Large" \
		"$(send_raw "GET /$big HTTP/1.1\r\nHost: hello.berth.test\r\n\r\n")" "oversized URL"
	assert_still_serving
}

test_router_refuses_malformed_requests_with_400() {
	one_app
	assert_eq "HTTP/1.1 400 Bad Request" "$(send_raw "HELLO\r\n\r\n")" "not HTTP"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "GET / HTTP/1.1\r\nHost hello.berth.test\r\n\r\n")" "header without a colon"
	assert_eq "HTTP/1.1 400 Bad Request" "$(send_raw "GET / HTTP/1.1\r\n\r\n")" "HTTP/1.1 without Host"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")" "two Host headers"
	assert_eq "HTTP/1.1 505 HTTP Version Not Supported" \
		"$(send_raw "GET / HTTP/9.9\r\nHost: hello.berth.test\r\n\r\n")" "unknown version"
	assert_still_serving
}

test_router_refuses_request_smuggling_forms() {
	one_app
	local h="POST /echo HTTP/1.1\r\nHost: hello.berth.test\r\n"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")" "CL + TE"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n")" "TE + CL"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello")" "duplicate CL"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")" "two different CLs"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Content-Length: 5, 5\r\n\r\nhello")" "CL list"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n")" "TE list"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n")" "unknown TE"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")" "two TE headers"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n")" "space before the colon"
	assert_eq "HTTP/1.1 400 Bad Request" \
		"$(send_raw "${h}Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n")" "bad chunk size"
	assert_still_serving
}

test_router_times_out_a_slow_head_with_408() {
	BERTH_ROUTER_HEAD_TIMEOUT_MS=1500 one_app
	local out
	out=$(client slowhead hello.berth.test 0.2)
	assert_contains "$out" "HTTP/1.1 408 Request Timeout" "slowloris head"
	local t
	t=$(echo "$out" | sed -n 's/^elapsed //p')
	[ "${t%.*}" -le 4 ] || fail "the slow head was cut after $t s (limit 1.5 s)"
	assert_still_serving
}

test_router_times_out_a_stalled_body_with_408() {
	BERTH_ROUTER_BODY_TIMEOUT_MS=1500 one_app
	local out
	out=$(client slowbody hello.berth.test)
	assert_contains "$out" "HTTP/1.1 408 Request Timeout" "stalled body"
	local t
	t=$(echo "$out" | sed -n 's/^elapsed //p')
	[ "${t%.*}" -le 4 ] || fail "the stalled body was cut after $t s (limit 1.5 s)"
	assert_still_serving
}

test_router_bounds_connections_and_logs_it() {
	BERTH_ROUTER_MAX_CONNS=5 one_app
	assert_eq "HTTP/1.1 503 Service Unavailable" "$(client maxconns hello.berth.test 5)" "sixth connection"
	assert_contains "$(cat "$TEST_TMP/router.log")" "the limit" "log"
	wait_for sh -c "curl -s -m 2 -H 'Host: hello.berth.test' http://$ROUTER/ | grep -q alpha" ||
		fail "no service after the connections closed"
}

test_router_closes_an_idle_keepalive_connection() {
	BERTH_ROUTER_IDLE_TIMEOUT_MS=1000 one_app
	local out
	out=$(printf 'GET / HTTP/1.1\r\nHost: hello.berth.test\r\n\r\n' | raw 2>&1 | tr -d '\r')
	assert_contains "$out" "alpha" "the answer"
	local t
	t=$(echo "$out" | sed -n 's/^elapsed //p')
	[ "${t%.*}" -le 3 ] || fail "an idle connection stayed $t s (limit 1 s)"
}
