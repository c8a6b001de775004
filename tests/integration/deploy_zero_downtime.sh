# Zero-downtime deploys: new processes start next to the old ones, pass their
# checks, get the traffic, and only then do the old ones go. A request loop
# through the router fails no request across deploys, restarts and scaling; a
# failed check or start, a killed deploy and a killed daemon leave the old
# release serving.
. "$TEST_TOP/tests/lib/daemon.sh"
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

VHOST=zd.berth.test

# zd_source VERSION [PROCFILE]: the app's source: httpd serving VERSION at /,
# with any *.cgi of the source under /cgi-bin.
zd_source() {
	local src=$TEST_TMP/src-zd
	mkdir -p "$src"
	echo "$1" >"$src/VERSION"
	printf '%b' "${2:-web: mkdir -p /tmp/www/cgi-bin && cp /app/VERSION /tmp/www/index.html && echo ok >/tmp/www/alive && for f in /app/*.cgi; do [ -f \$f ] && cp \$f /tmp/www/cgi-bin/\$(basename \$f .cgi) && chmod +x /tmp/www/cgi-bin/*; done; echo serving \$(cat /app/VERSION); exec httpd -f -p \$PORT -h /tmp/www\n}" >"$src/Procfile"
	tar -C "$src" -cf "$TEST_TMP/src-zd.tar" .
}

# zd_deploy: git:from-archive of the source; its output in $TEST_TMP/deploy.out.
zd_deploy() { berth git:from-archive zd -- <"$TEST_TMP/src-zd.tar" >"$TEST_TMP/deploy.out" 2>&1; }

served() { curl -s -m 2 -H "Host: $VHOST" "http://$ROUTER/"; }
serves() { [ "$(served)" = "$1" ]; }

# zd_start: the app v1 deployed, a daemon and its router serving it.
zd_start() {
	export BERTH_ROUTER=on
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:create zd >/dev/null
	berth domains:set-global berth.test >/dev/null
	berth checks:set zd wait-to-retire 0 >/dev/null
	zd_source v1
	zd_deploy || { cat "$TEST_TMP/deploy.out"; fail "first deploy"; }
	daemon_start
	wait_for test -s "$BERTH_RUN/router/router.pid" || fail "no router: $(cat "$TEST_TMP/daemon.log")"
	track "$(cat "$BERTH_RUN/router/router.pid")"
	trap 'rc=$?; set +e; daemon_reap; kill -9 $(pgrep -P "$(cat "$BERTH_RUN/router/router.pid")") "$(cat "$BERTH_RUN/router/router.pid")" 2>/dev/null || true; (exit $rc); cleanup' EXIT
	wait_for serves v1 || fail "v1 not served: $(served) $(cat "$BERTH_RUN/router/table.json") $(berth logs zd) $(berth ps:report zd) $(cat "$TEST_TMP/daemon.log")"
}

loop_start() {
	rm -f "$TEST_TMP/stop"
	client loop "$VHOST" "$TEST_TMP/stop" fresh >"$TEST_TMP/loop.out" &
	LOOP=$!
	track $LOOP
}

loop_end() {
	touch "$TEST_TMP/stop"
	wait "$LOOP"
	cat "$TEST_TMP/loop.out"
	assert_contains "$(cat "$TEST_TMP/loop.out")" "failed=0 refused=0" "request loop"
}

test_deploys_a_restart_scaling_config_sets_and_a_rollback_fail_no_request_under_a_loop() {
	zd_start
	loop_start
	for v in 2 3 4 5 6; do
		zd_source "v$v"
		zd_deploy || { cat "$TEST_TMP/deploy.out"; fail "deploy v$v"; }
		wait_for serves "v$v" || fail "v$v not served after its deploy: $(served)"
	done
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "Deploying web (count=1)"
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "Shutting down old containers in 0 seconds"
	pid=$(pid_of zd web 1)
	berth ps:restart zd >"$TEST_TMP/restart.out" 2>&1 || { cat "$TEST_TMP/restart.out"; fail "ps:restart"; }
	[ "$(pid_of zd web 1)" != "$pid" ] || fail "ps:restart kept pid $pid"
	berth ps:scale zd web=2 >/dev/null
	wait_for sh -c "[ \$(jq '.apps.zd.backends | length' '$BERTH_RUN/router/table.json') = 2 ]" ||
		fail "scale up: $(cat "$BERTH_RUN/router/table.json")"
	berth ps:scale zd web=1 >/dev/null
	wait_for running_is zd 1 || fail "scale down: $(berth ps:report zd)"
	# two config changes (each a release rolled out) and a rollback to v5's release
	for g in one two; do
		berth config:set zd GREETING=$g >"$TEST_TMP/config.out" 2>&1 ||
			{ cat "$TEST_TMP/config.out"; fail "config:set GREETING=$g"; }
	done
	assert_contains "$(cat "$TEST_TMP/config.out")" "-----> Restarting app zd"
	berth releases:rollback zd v5 >"$TEST_TMP/rollback.out" 2>&1 ||
		{ cat "$TEST_TMP/rollback.out"; fail "releases:rollback zd v5"; }
	wait_for serves v5 || fail "v5 not served after the rollback: $(served)"
	loop_end
	assert_contains "$(cat "$TEST_TMP/loop.out")" "v6:"
	assert_contains "$(cat "$TEST_TMP/loop.out")" "v5:"
	# the old containers are gone (wait-to-retire 0), the slot record names the new one
	wait_for sh -c "[ -z \"\$(ls '$BERTH_RUN/daemon/procs/zd/extra' 2>/dev/null)\" ]" ||
		fail "old containers left: $(ls "$BERTH_RUN/daemon/procs/zd/extra")"
	assert_eq v5 "$(berth enter zd web.1 cat /app/VERSION)" "enter finds the current container"
}

test_a_failing_startup_check_keeps_the_old_release_serving() {
	zd_start
	printf '#!/bin/sh\nprintf "Status: 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nsick\\n"\n' >"$TEST_TMP/src-zd/health.cgi"
	printf '{"healthchecks": {"web": [{"type": "startup", "name": "health", "path": "/cgi-bin/health", "attempts": 2, "wait": 0, "timeout": 2}]}}\n' >"$TEST_TMP/src-zd/app.json"
	zd_source v2
	zd_deploy && { cat "$TEST_TMP/deploy.out"; fail "a deploy with a failing check succeeded"; }
	out=$(cat "$TEST_TMP/deploy.out")
	assert_contains "$out" "Running healthcheck name='health' path='/cgi-bin/health'"
	assert_contains "$out" "answered with status 500"
	assert_contains "$out" "App zd v2 was not deployed"
	assert_eq v1 "$(served)" "the old release serves"
	assert_eq 1 "$(tr -dc 0-9 <"$BERTH_ROOT/apps/zd/current")" "the active release"
	[ ! -e "$BERTH_ROOT/apps/zd/releases/v2.json" ] || fail "the failed release v2 was kept"
	# the candidate is gone, the old process keeps its slot
	wait_for sh -c "[ -z \"\$(ls '$BERTH_RUN/daemon/procs/zd/extra' 2>/dev/null)\" ]" || fail "candidate left"
	# fixed: the next deploy goes through
	rm "$TEST_TMP/src-zd/app.json"
	zd_source v3
	zd_deploy || { cat "$TEST_TMP/deploy.out"; fail "deploy v3"; }
	wait_for serves v3 || fail "v3 not served: $(served)"
}

test_an_app_that_exits_at_start_fails_the_deploy_with_its_last_lines() {
	zd_start
	zd_source v2 'web: echo "boom: DATABASE_URL is not set"; exit 3\n'
	zd_deploy && { cat "$TEST_TMP/deploy.out"; fail "a deploy of a crashing app succeeded"; }
	out=$(cat "$TEST_TMP/deploy.out")
	assert_contains "$out" "boom: DATABASE_URL is not set"
	assert_contains "$out" "the process exited with status 3"
	assert_contains "$out" "Start of zd container output (web.1)"
	assert_eq v1 "$(served)" "the old release serves"
	assert_contains "$(berth ps:report zd --status-web-1)" "running"
}

test_a_liveness_failure_restarts_the_process() {
	zd_start
	printf '{"healthchecks": {"web": [{"type": "liveness", "path": "/alive", "attempts": 2, "wait": 1, "timeout": 1}]}}\n' >"$TEST_TMP/src-zd/app.json"
	zd_source v2
	zd_deploy || { cat "$TEST_TMP/deploy.out"; fail "deploy v2"; }
	pid=$(pid_of zd web 1)
	berth enter zd web.1 rm /tmp/www/alive
	wait_for sh -c "'$BERTH_BIN' logs zd -p web.1 | grep -q 'Liveness checks failed'" || fail "no liveness failure: $(berth logs zd)"
	wait_for sh -c "[ \"\$('$BERTH_BIN' ps:report zd --status-web-1 | sed -n 's/.*(pid \\([0-9]*\\),.*/\\1/p')\" != $pid ]" ||
		fail "not restarted: $(berth ps:report zd)"
	wait_for serves v2 || fail "not serving after the restart"
	assert_contains "$(berth logs zd -p web.1)" "/alive answered with status 404"
}

# A deploy whose new process takes a while to pass its check (initialDelay).
slow_source() {
	printf '{"healthchecks": {"web": [{"type": "startup", "path": "/", "initialDelay": 3}]}}\n' >"$TEST_TMP/src-zd/app.json"
	zd_source "$1"
}

candidate_running() { ls "$BERTH_RUN/daemon/procs/zd/extra/"*.json >/dev/null 2>&1; }

test_a_second_deploy_of_the_app_at_once_is_refused_clearly() {
	zd_start
	slow_source v2
	zd_deploy &
	first=$!
	wait_for candidate_running || fail "the first deploy did not start its process"
	out=$(berth git:from-archive zd -- <"$TEST_TMP/src-zd.tar" 2>&1) && fail "a second deploy ran at once"
	assert_contains "$out" "App zd is being deployed by another push"
	wait "$first" || { cat "$TEST_TMP/deploy.out"; fail "the first deploy failed"; }
	wait_for serves v2 || fail "v2 not served: $(served)"
}

test_a_deploy_killed_mid_rollout_leaves_the_old_release_serving() {
	zd_start
	slow_source v2
	loop_start
	"$BERTH_BIN" git:from-archive zd -- <"$TEST_TMP/src-zd.tar" >"$TEST_TMP/deploy.out" 2>&1 &
	deploy=$!
	wait_for candidate_running || fail "the deploy did not start its process"
	kill -9 "$deploy"
	wait "$deploy" 2>/dev/null || true
	wait_for sh -c "! ls '$BERTH_RUN/daemon/procs/zd/extra/'*.json" || fail "the candidate stayed"
	assert_eq v1 "$(served)" "the old release serves"
	loop_end
	assert_not_contains "$(cat "$TEST_TMP/loop.out")" "v2:"
	rm "$TEST_TMP/src-zd/app.json"
	zd_source v3
	zd_deploy || { cat "$TEST_TMP/deploy.out"; fail "the next deploy"; }
	wait_for serves v3 || fail "v3 not served: $(served)"
}

test_a_daemon_killed_mid_rollout_leaves_the_old_release_serving() {
	zd_start
	slow_source v2
	loop_start
	zd_deploy &
	deploy=$!
	wait_for candidate_running || fail "the deploy did not start its process"
	cand=$(jq -r .id "$BERTH_RUN/daemon/procs/zd/extra/"*.json)
	daemon_kill9
	wait "$deploy" && fail "the deploy succeeded without its daemon"
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "the berth daemon stopped during the deploy of zd"
	daemon_start
	wait_for sh -c "! ls '$BERTH_RUN/daemon/procs/zd/extra/'*.json" || fail "the candidate stayed"
	wait_for sh -c "[ ! -e '$BERTH_RUN/containers/$cand.json' ]" || fail "container $cand stayed"
	assert_eq v1 "$(served)" "the old release serves"
	loop_end
	rm "$TEST_TMP/src-zd/app.json"
	zd_source v3
	zd_deploy || { cat "$TEST_TMP/deploy.out"; fail "the next deploy"; }
	wait_for serves v3 || fail "v3 not served: $(served)"
}
