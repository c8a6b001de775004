# berth daemon under faults: crash loops, processes that ignore SIGTERM, a full
# log disk, strangers on the control socket, deploys while it runs.
. "$TEST_TOP/tests/lib/daemon.sh"

state_is() { # APP TYPE N STATE
	case "$(berth ps:report "$1" "--status-$2-$3")" in "$4 "*) return 0 ;; esac
	return 1
}

test_a_crash_loop_backs_off_exponentially_gives_up_and_keeps_its_logs() {
	deploy_app crash 'web: echo crashing; exit 3\n'
	berth ps:set crash restart-policy on-failure:4 >/dev/null
	daemon_start
	wait_for state_is crash web 1 crashed || fail "not crashed: $(berth ps:report crash)"
	row=$(berth ps:report crash --status-web-1)
	assert_contains "$row" "restarts 4"
	assert_contains "$row" "exit code 3"
	assert_eq 5 "$(berth logs crash -q | grep -c '^crashing$')" "runs logged"
	# the gaps between starts double: 100, 200, 400, 800 ms
	berth logs crash -n 0 | grep 'Starting process' | cut -c12-26 |
		awk -F: '{t = $1 * 3600 + $2 * 60 + $3; if (NR > 1) print int((t - p) * 1000); p = t}' >"$TEST_TMP/gaps"
	assert_eq 4 "$(wc -l <"$TEST_TMP/gaps")" "gaps"
	# each at least its backoff (the rest is the run and the start, noisy here)
	awk '$1 < 100 * 2 ^ (NR - 1) { exit 1 }' "$TEST_TMP/gaps" ||
		fail "no exponential backoff: $(tr '\n' ' ' <"$TEST_TMP/gaps")"
	out=$(berth logs:failed crash)
	assert_contains "$out" "crash web.1 (crashed, exit code 3, 4 restarts)"
	assert_contains "$out" "app[web.1]: crashing"
	assert_contains "$(berth logs:failed --all)" "crash web.1"
}

test_restart_policy_always_restarts_a_clean_exit_and_no_never_does() {
	deploy_app alw 'web: echo run; sleep 0.2\n'
	berth ps:set alw restart-policy always >/dev/null
	deploy_app nev 'web: echo run; exit 1\n'
	berth ps:set nev restart-policy no >/dev/null
	daemon_start
	wait_for sh -c "[ \$('$BERTH_BIN' logs alw -q | grep -c '^run$') -ge 3 ]" || fail "always did not restart"
	wait_for state_is nev web 1 crashed || fail "no: $(berth ps:report nev)"
	assert_contains "$(berth ps:report nev --status-web-1)" "restarts 0"
}

test_a_process_that_ignores_sigterm_is_killed_after_the_stop_timeout() {
	deploy_app stub "web: trap '' TERM; echo up; exec sleep 1000\n"
	berth ps:set stub stop-timeout-seconds 1 >/dev/null
	assert_eq 1 "$(berth ps:report stub --ps-stop-timeout-seconds)"
	daemon_start
	wait_for running_is stub 1 || fail "did not start"
	wait_for sh -c "'$BERTH_BIN' logs stub -q | grep -q up"
	pid=$(pid_of stub web 1)
	start=$(date +%s%N)
	berth ps:stop stub >/dev/null
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -ge 900 ] && [ "$ms" -lt 10000 ] || fail "ps:stop took $ms ms"
	! kill -0 "$pid" 2>/dev/null || fail "pid 1 $pid still there"
	assert_contains "$(berth logs stub)" "Stop timeout reached"
	assert_contains "$(berth logs stub)" "Process exited with status 137"
}

test_a_full_log_disk_keeps_the_daemon_running_and_is_reported() {
	deploy_app full 'web: while true; do echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; sleep 0.01; done\n'
	mkdir -p "$BERTH_ROOT/logs"
	mount -t tmpfs -o size=64k tmpfs "$BERTH_ROOT/logs"
	daemon_start
	wait_for running_is full 1 || fail "did not start"
	wait_for sh -c "'$BERTH_BIN' ps:report full --status-web-1 | grep -q 'No space left'" ||
		fail "full disk not reported: $(berth ps:report full)"
	daemon_answers || fail "daemon stopped answering"
	kill -0 "$DAEMON_PID" || fail "daemon died"
	# room again: lines flow and the report clears
	for f in "$BERTH_ROOT/logs/full/"*; do : >"$f"; done
	wait_for sh -c "! '$BERTH_BIN' ps:report full --status-web-1 | grep -q 'No space left'" ||
		fail "still reported after space was freed"
	berth ps:stop full >/dev/null
	umount "$BERTH_ROOT/logs"
}

test_the_control_socket_refuses_other_users_and_reads_work_without_a_daemon() {
	deploy_app sock 'web: exec sleep 1000\n'
	out=$(berth ps:stop sock 2>&1) && fail "ps:stop without a daemon succeeded"
	assert_contains "$out" "berth daemon is not running"
	assert_contains "$(berth ps:report sock)" "Deployed:"
	berth logs sock >/dev/null
	daemon_start
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH_BIN" ps:restore 2>&1) &&
		fail "nobody was served: $out"
	assert_contains "$out" "permission denied"
	daemon_answers || fail "daemon stopped answering"
}

test_log_files_rotate_at_their_bound() {
	deploy_app rot 'web: i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo line $i; done; exec sleep 1000\n'
	BERTH_LOG_MAX_BYTES=4096 daemon_start
	wait_for sh -c "'$BERTH_BIN' logs rot -q -n 1 | grep -qx 'line 400'" || fail "lines missing: $(berth logs rot -n 3)"
	[ -f "$BERTH_ROOT/logs/rot/web.1.log.1" ] || fail "no rotated file"
	for f in "$BERTH_ROOT/logs/rot/"*; do
		[ "$(stat -c %s "$f")" -le 8192 ] || fail "$f over its bound"
	done
	assert_eq 2 "$(ls "$BERTH_ROOT/logs/rot/" | wc -l)" "files of web.1"
}

test_logs_tail_follows_across_restarts_and_deploys_reach_the_daemon() {
	deploy_app tl 'web: echo hello $GIT_REV; exec sleep 1000\n'
	berth checks:skip tl >/dev/null  # it listens on no port
	daemon_start
	wait_for running_is tl 1 || fail "did not start"
	"$BERTH_BIN" logs tl -t -q >"$TEST_TMP/tail" 2>&1 &
	echo $! >>"$TEST_TMP/pids"
	wait_for grep -q hello "$TEST_TMP/tail" || fail "tail shows nothing"
	pid=$(pid_of tl web 1)
	berth ps:restart tl >/dev/null
	wait_for sh -c "[ \$(grep -c hello '$TEST_TMP/tail') -ge 2 ]" || fail "tail missed the restart: $(cat "$TEST_TMP/tail")"
	# a new deploy restarts the processes on the new release
	printf 'web: echo second release; exec sleep 1000\n' >"$TEST_TMP/src-tl/Procfile"
	tar -C "$TEST_TMP/src-tl" -cf "$TEST_TMP/src-tl.tar" .
	berth git:from-archive tl -- <"$TEST_TMP/src-tl.tar" >/dev/null 2>&1 || fail "second deploy"
	wait_for grep -q "second release" "$TEST_TMP/tail" || fail "deploy did not restart: $(berth ps:report tl)"
	assert_eq 1 "$(count_running tl)"
}

test_long_and_partial_lines_are_kept_whole_or_cut_at_16k() {
	deploy_app ll 'web: head -c 20000 /dev/zero | tr "\\0" x; echo; printf "par"; sleep 0.3; echo "tial"; exec sleep 1000\n'
	daemon_start
	wait_for sh -c "'$BERTH_BIN' logs ll -q | grep -qx partial" || fail "partial line not joined: $(berth logs ll -q | cut -c1-40)"
	berth logs ll -q -n 0 | awk '{print length($0)}' >"$TEST_TMP/lens"
	assert_eq "16384 3616 7" "$(tr '\n' ' ' <"$TEST_TMP/lens" | sed 's/ $//')" "line lengths"
	assert_contains "$(berth logs:failed ll)" "No failed processes for ll"
}
