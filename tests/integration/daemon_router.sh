# The daemon feeds the router: web processes on the bridge, APP.<domain> routed
# to them; a daemon killed with SIGKILL under a request loop fails no request.
. "$TEST_TOP/tests/lib/daemon.sh"
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

# deploy_web APP: busybox httpd serving "APP $DYNO" on $PORT.
deploy_web() {
	mkdir -p "$TEST_TMP/src-$1"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s\\n" "$DYNO"\n' >"$TEST_TMP/src-$1/dyno.cgi"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s %%s\\n" "$DYNO" "$REMOTE_ADDR"\n' >"$TEST_TMP/src-$1/peer.cgi"
	deploy_app "$1" 'web: mkdir -p /tmp/www/cgi-bin && echo hello >/tmp/www/index.html && cp /app/dyno.cgi /tmp/www/cgi-bin/dyno && cp /app/peer.cgi /tmp/www/cgi-bin/peer && chmod +x /tmp/www/cgi-bin/* && echo serving && exec httpd -f -p $PORT -h /tmp/www\n'
}

router_log_has() { grep -q "$1" "$BERTH_ROOT/logs/router.log"; }

test_web_processes_are_routed_and_survive_a_daemon_kill9_under_a_request_loop() {
	export BERTH_ROUTER=on
	deploy_web hello
	berth domains:set-global berth.test >/dev/null
	daemon_start
	wait_for test -s "$BERTH_RUN/router/router.pid" || fail "no router: $(cat "$TEST_TMP/daemon.log")"
	track "$(cat "$BERTH_RUN/router/router.pid")"
	# The router outlives the daemon by design: end it here, pass or fail, before
	# the test's clean-up (a router left on this slot's port would answer the
	# next test that gets the slot).
	trap 'rc=$?; set +e; daemon_reap; kill -9 $(pgrep -P "$(cat "$BERTH_RUN/router/router.pid")") "$(cat "$BERTH_RUN/router/router.pid")" 2>/dev/null || true; (exit $rc); cleanup' EXIT
	# its supervisor listens first: wait for the worker that loads the table
	wait_for router_log_has "worker" || fail "the router has no worker: $(cat "$BERTH_ROOT/logs/router.log")"
	berth ps:scale hello web=2 >/dev/null
	wait_for running_is hello 2 || fail "not running: $(berth ps:report hello)"
	wait_for sh -c "curl -s -m 2 -H 'Host: hello.berth.test' http://$ROUTER/cgi-bin/dyno | grep -q web.2" ||
		fail "web.2 not reached through the router: $(cat "$BERTH_RUN/router/table.json")"
	# the container's own address answers too (no router)
	addr=$(jq -r .addr "$BERTH_RUN/daemon/procs/hello/web.1.json")
	assert_contains "$(curl -s -m 2 "http://$addr/cgi-bin/dyno")" "web.1"
	# The router connects from inside each container's network namespace: the
	# app sees its own address as the peer (net/router_netns.c).
	for i in 1 2; do
		read -r dyno peer <<<"$(curl -s -m 2 -H 'Host: hello.berth.test' "http://$ROUTER/cgi-bin/peer")"
		peer=${peer#\[::ffff:}
		assert_eq "$(jq -r .addr "$BERTH_RUN/daemon/procs/hello/$dyno.json" | cut -d: -f1)" "${peer%]}" "$dyno's peer (busybox httpd: [::ffff:ADDR])"
	done
	# the app's own domains, and ports:* choose PORT
	berth domains:add hello www.hello.example >/dev/null
	wait_for sh -c "curl -s -m 2 -H 'Host: www.hello.example' http://$ROUTER/ | grep -q hello" ||
		fail "domains:add not routed: $(cat "$BERTH_RUN/router/table.json")"
	assert_contains "$addr" ":5000"
	p1=$(pid_of hello web 1) p2=$(pid_of hello web 2)
	rpid=$(cat "$BERTH_RUN/router/router.pid")
	client loop hello.berth.test "$TEST_TMP/stop" fresh >"$TEST_TMP/loop.out" &
	loop=$!
	wait_for sh -c "curl -s -m 2 -H 'Host: hello.berth.test' http://$ROUTER/cgi-bin/dyno | grep -q web"
	daemon_kill9
	for i in $(seq 1 30); do
		curl -s -m 5 -H 'Host: hello.berth.test' "http://$ROUTER/cgi-bin/dyno" | grep -q web ||
			fail "request $i not served while the daemon is down"
	done
	daemon_start
	assert_eq "$p1 $p2" "$(pid_of hello web 1) $(pid_of hello web 2)" "pids after adoption"
	assert_eq "$rpid" "$(cat "$BERTH_RUN/router/router.pid")" "the same router"
	# the new daemon's tables reach the router: scaling down under the loop
	berth ps:scale hello web=1 >/dev/null
	wait_for running_is hello 1 || fail "scale down"
	assert_eq 1 "$(jq '.apps.hello.backends | length' "$BERTH_RUN/router/table.json")" "backends"
	touch "$TEST_TMP/stop"
	wait "$loop"
	cat "$TEST_TMP/loop.out"
	assert_contains "$(cat "$TEST_TMP/loop.out")" "failed=0 refused=0" "request loop"
}

test_a_web_process_listens_on_the_apps_http_port() {
	deploy_web pp
	berth ports:set pp http:80:8080 >/dev/null
	daemon_start
	wait_for running_is pp 1 || fail "not running: $(berth ps:report pp)"
	addr=$(jq -r .addr "$BERTH_RUN/daemon/procs/pp/web.1.json")
	assert_contains "$addr" ":8080"
	# running: started, not yet listening (the Procfile line copies files first)
	wait_for sh -c "curl -s -m 5 http://$addr/ | grep -q hello" || fail "$addr does not answer"
	# in the router's table once its checks passed (a moment after it answers)
	wait_for sh -c "jq -c .apps.pp.backends '$BERTH_RUN/router/table.json' | grep -qF '$addr'" ||
		fail "$addr not in the router's table: $(jq -c .apps.pp "$BERTH_RUN/router/table.json")"
}
