# berth run: a pty when the caller has a terminal (tty inside, window size and
# its changes, ^C), exit statuses, signals sent to berth, the environment of app
# processes; run:detached.
# shellcheck source=tests/helpers/proc.sh
. "$TEST_TOP/tests/helpers/proc.sh"

test_run_from_a_terminal_gives_the_command_a_pty_of_the_same_size() {
	deploy_app r
	local out status
	run_status status pty_run --size 33x101 -- "$BERTH_BIN" run r 'test -t 0 && test -t 1 && echo TTY-YES; stty size' >"$TEST_TMP/out"
	out=$(tr -d '\r' <"$TEST_TMP/out")
	assert_eq 0 "$status" "exit status"
	assert_contains "$out" "TTY-YES"
	assert_contains "$out" "33 101"
}

test_run_without_a_terminal_or_with_no_tty_gives_no_pty() {
	deploy_app r
	assert_eq "no" "$(berth run r 'test -t 0 && echo yes || echo no' </dev/null)"
	# With a pty the command leads a session of its own (its session id is its
	# pid); with --no-tty it stays in berth's (outside its pid namespace: 0).
	local session='read -r l </proc/$$/stat; set -- $l; [ "$6" = $$ ] && echo own || echo none'
	pty_run -- "$BERTH_BIN" run r "$session" >"$TEST_TMP/out"
	assert_eq "own" "$(tr -d '\r' <"$TEST_TMP/out")" "session with a pty"
	pty_run -- "$BERTH_BIN" run --no-tty r "$session" >"$TEST_TMP/out"
	assert_eq "none" "$(tr -d '\r' <"$TEST_TMP/out")" "session with --no-tty"
}

test_run_passes_ctrl_c_from_the_terminal_to_the_command() {
	deploy_app r
	local status
	run_status status pty_run --expect READY --send '\x03' -- "$BERTH_BIN" run r \
		'trap "echo GOT-INT; exit 9" INT; echo READY; while :; do sleep 1; done' >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "GOT-INT"
	assert_eq 9 "$status" "the command's status after its INT trap"
	# Without a trap the command dies of SIGINT: 130, as a shell reports it.
	run_status status pty_run --expect READY --send '\x03' -- "$BERTH_BIN" run r \
		'echo READY; exec sleep 100' >"$TEST_TMP/out"
	assert_eq 130 "$status" "killed by ^C"
}

test_run_passes_window_size_changes_to_the_command() {
	deploy_app r
	local status
	run_status status pty_run --size 24x80 --expect READY --resize 40x120 -- "$BERTH_BIN" run r \
		'trap "stty size; exit 5" WINCH; echo READY; while :; do sleep 1; done' >"$TEST_TMP/out"
	assert_eq 5 "$status"
	assert_contains "$(tr -d '\r' <"$TEST_TMP/out")" "40 120"
}

test_run_passes_the_exit_status_back_with_and_without_a_pty() {
	deploy_app r
	local status
	run_status status berth run r 'exit 42'
	assert_eq 42 "$status"
	run_status status pty_run -- "$BERTH_BIN" run r 'exit 43' >/dev/null
	assert_eq 43 "$status"
	run_status status berth run r /no/such/program 2>/dev/null
	assert_eq 127 "$status"
}

test_run_forwards_sigterm_sent_to_berth() {
	deploy_app r
	"$BERTH_BIN" run r 'trap "echo GOT-TERM; exit 3" TERM; echo READY; while :; do sleep 1; done' \
		>"$TEST_TMP/out" 2>&1 &
	local pid=$! status=0
	echo "$pid" >>"$TEST_TMP/pids"
	wait_for grep -q READY "$TEST_TMP/out" || fail "the command did not start"
	kill -TERM "$pid"
	wait "$pid" || status=$?
	assert_eq 3 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "GOT-TERM"
}

test_run_gives_port_dyno_git_rev_config_and_profile_d() {
	mkdir -p "$TEST_TMP/src/.profile.d"
	echo 'export FROM_PROFILE="profile saw PORT=$PORT"' >"$TEST_TMP/src/.profile.d/a.sh"
	deploy_app env
	local out rev
	out=$(berth run env 'echo "$PORT|$DYNO|$GIT_REV|$FROM_PROFILE"')
	rev=$(sed -n 's/.*"source_version": "\([0-9a-f]*\)".*/\1/p' "$BERTH_ROOT/apps/env/releases/v1.json")
	[ -n "$rev" ] || fail "no source_version in the release"
	[[ $out =~ ^5000\|run\.[0-9]+\|$rev\|profile\ saw\ PORT=5000$ ]] || fail "environment: $out"
	berth config:set --no-restart env PORT=8080 GREETING=hi >/dev/null
	assert_eq "8080 hi" "$(berth run env 'echo $PORT $GREETING')"
}

test_run_detached_names_the_container_app_run_n_and_returns_at_once() {
	deploy_app d
	local id1 id2
	id1=$(berth run:detached d 'echo $DYNO >/tmp/dyno; sleep 60')
	id2=$(berth run:detached d sleep 60)
	assert_eq d.run.1 "$id1"
	assert_eq d.run.2 "$id2"
	# Running, in their own cgroups, found again by name.
	kill -0 "$(container_pid d.run.1)" || fail "d.run.1 is not running"
	[ -d "$(berth_cgroup_dir)/d.run.2" ] || fail "no cgroup for d.run.2"
	wait_for berth enter d run.1 test -s /tmp/dyno || fail "the detached command did not run"
	assert_eq run.1 "$(berth enter d run.1 cat /tmp/dyno)"
}

test_run_refuses_unknown_apps_and_undeployed_ones() {
	local status
	run_status status berth run nope true 2>"$TEST_TMP/err"
	assert_eq 20 "$status"
	assert_eq " !     App nope does not exist" "$(cat "$TEST_TMP/err")"
	berth apps:create empty >/dev/null
	run_status status berth run:detached empty true 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     App empty has not been deployed" "$(cat "$TEST_TMP/err")"
	run_status status berth run:detached 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
}

test_run_ttl_seconds_kills_a_command_that_runs_too_long() {
	deploy_app r
	local status start
	start=$SECONDS
	run_status status berth run --ttl-seconds 1 r sleep 100
	assert_eq 137 "$status" "killed at its TTL"
	[ $((SECONDS - start)) -lt 30 ] || fail "the TTL did not end it"
	assert_eq ok "$(berth run --ttl-seconds 100 r echo ok)"
}

test_run_with_a_pty_keeps_output_and_status_when_the_command_closes_its_terminal() {
	deploy_app r
	local status
	# The slave is closed while the command runs on: berth waits without output.
	run_status status pty_run -- "$BERTH_BIN" run r 'echo BYE; exec >/dev/null 2>&1 </dev/null; sleep 1; exit 6' >"$TEST_TMP/out"
	assert_eq 6 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "BYE"
}
