# runtime:run resources: the container's cgroup, limits (enforced or announced as
# not enforced, never silent), the fork-bomb stop, and that nothing is left behind.
# shellcheck source=tests/helpers/runtime.sh
. "$TEST_TOP/tests/helpers/runtime.sh"

# controller_available NAME: can berth's group hand NAME to a container? (What a
# new group under the hierarchy's root gets is the root's subtree_control.)
controller_available() {
	grep -qw "$1" "$(cgroup2_root)/cgroup.subtree_control"
}

test_container_cgroup_exists_while_running_and_is_gone_after() {
	local out=$TEST_TMP/out cg status pid
	start_container "$out" --layer "$(busybox_rootfs)" -- sh -c 'echo ready; sleep 30'
	wait_for_line "$out" ready
	cg=$(container_cgroup)
	[ -d "$cg" ] || fail "no cgroup $cg while the container runs"
	assert_eq "$(berth_cgroup_dir)" "$(dirname "$cg")" "the container's group is under BERTH_CGROUP"
	# Both pid 1 and the command are in it, and nothing else is.
	assert_eq 2 "$(grep -c . "$cg/cgroup.procs")" "processes in $cg"
	for pid in $(cat "$cg/cgroup.procs"); do
		assert_contains "$(cat "/proc/$pid/cgroup")" "0::/$BERTH_CGROUP/$(basename "$cg")" "cgroup of pid $pid"
	done
	kill -TERM "$MONITOR"
	wait_monitor status
	assert_eq 143 "$status" "exit status after SIGTERM (sh does not trap it)"
	[ ! -e "$cg" ] || fail "$cg is left after the container exited"
	assert_nothing_left
}

# run_with_limits ARGS...: run `echo ran` with limit options; stderr to $TEST_TMP/err.
run_with_limits() {
	local out status
	run_status status run_bb "$@" -- echo ran >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 0 "$status" "exit status with $* (stderr: $(cat "$TEST_TMP/err"))"
	assert_eq ran "$(cat "$TEST_TMP/out")" "output with $*"
}

# warning_count TEXT: how many lines of $TEST_TMP/err contain TEXT.
warning_count() { grep -c -F -- "$1" "$TEST_TMP/err" || true; }

test_each_limit_is_enforced_or_warned_about_exactly_once() {
	local opt controller text lines
	for opt in memory:--memory=32m pids:--pids=50 cpu:--cpus=0.5; do
		controller=${opt%%:*}
		run_with_limits "${opt#*:}"
		if controller_available "$controller"; then
			assert_eq 0 "$(wc -l <"$TEST_TMP/err")" "stderr for an enforced $controller limit"
		else
			text="$controller limit is not enforced"
			assert_eq 1 "$(warning_count "$text")" "'$text' warnings"
			assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "stderr lines for $controller"
			assert_contains "$(cat "$TEST_TMP/err")" " !     warning: "
		fi
	done
	# All three at once: one line per limit, no more.
	run_with_limits --memory 32m --pids 50 --cpus 0.5
	lines=0
	for controller in memory pids cpu; do
		controller_available "$controller" && continue
		assert_eq 1 "$(warning_count "$controller limit is not enforced")" "$controller warnings"
		lines=$((lines + 1))
	done
	assert_eq "$lines" "$(wc -l <"$TEST_TMP/err")" "stderr lines with three limits"
}

test_no_warning_without_limit_options() {
	run_with_limits
	assert_eq "" "$(cat "$TEST_TMP/err")" "stderr"
}

test_limits_are_written_where_controllers_are_available() {
	local out
	controller_available memory || controller_available pids || controller_available cpu ||
		skip "no memory, pids or cpu controller in cgroup v2 on this host (hybrid); tests/vm covers it"
	out=$(run_bb --memory 32m --pids 50 --cpus 0.5 -- sh -c \
		'for f in memory.max pids.max cpu.max; do [ -e /sys/fs/cgroup/$f ] && echo "$f $(cat /sys/fs/cgroup/$f)"; done')
	controller_available memory && assert_contains "$out" "memory.max 33554432"
	controller_available pids && assert_contains "$out" "pids.max 50"
	controller_available cpu && assert_contains "$out" "cpu.max 50000 100000"
	return 0
}

test_default_process_limit_applies_without_pids_option() {
	local out
	out=$(run_bb -- sh -c 'ulimit -u; cat /sys/fs/cgroup/pids.max 2>/dev/null || echo none')
	if controller_available pids; then
		assert_eq 4096 "$(echo "$out" | tail -1)" "pids.max"
	else
		assert_eq 4096 "$(echo "$out" | head -1)" "RLIMIT_NPROC (ulimit -u)"
	fi
}

test_pids_limit_stops_a_fork_bomb() {
	local out=$TEST_TMP/out cg n max=0 i status
	start_container "$out" --pids 20 --layer "$(busybox_rootfs)" -- sh -c \
		'mkfifo /tmp/never && exec 3<>/tmp/never
		bomb() { bomb & bomb & sleep 30; }
		bomb 2>/dev/null &
		echo ready; read -t 30 x <&3'
	wait_for_line "$out" ready
	cg=$(container_cgroup)
	# Every shell forks two more, then sleeps; the main shell waits with builtins
	# only. Watch from the host until the bomb has got going (a busy host slows
	# it: up to 30 s), then 40 samples more: it fills the limit and stays there.
	local after=0
	for i in $(seq 1 600); do
		n=$(grep -c . "$cg/cgroup.procs") || fail "the container ended early: $(cat "$out")"
		[ "$n" -gt "$max" ] && max=$n
		[ "$max" -ge 10 ] && after=$((after + 1))
		[ "$after" -ge 40 ] && break
		sleep 0.05
	done
	echo "most processes seen: $max"
	[ "$max" -le 20 ] || fail "the fork bomb reached $max processes with --pids 20"
	[ "$max" -ge 10 ] || fail "the fork bomb never got going ($max processes): the test proves nothing"
	kill -TERM "$MONITOR"
	wait_monitor status
	assert_nothing_left
}

test_nothing_is_left_after_normal_runs() {
	run_bb -- true
	run_bb --keep-upper "$TEST_TMP/kept" --bind "$TEST_TMP:/mnt" -- sh -c 'echo x >/tmp/x'
	rm -rf "$TEST_TMP/kept"
	assert_nothing_left
}

test_nothing_is_left_after_failures() {
	local status
	run_status status run_bb --workdir /nope -- true 2>/dev/null
	assert_eq 125 "$status" "missing workdir"
	run_status status run_bb --bind "$TEST_TMP:/etc/passwd/sub" -- true 2>/dev/null
	assert_eq 125 "$status" "bind onto a path below a file"
	run_status status run_bb -- no-such-command 2>/dev/null
	assert_eq 127 "$status" "missing command"
	run_status status run_bb --keep-upper "$TEST_TMP/k" -- sh -c 'kill -KILL $$'
	assert_eq 137 "$status" "killed command"
	run_status status run_bb --keep-upper "$TEST_TMP/k2" --workdir /nope -- true 2>/dev/null
	assert_eq 125 "$status" "failure with --keep-upper"
	[ ! -e "$TEST_TMP/k2" ] || fail "--keep-upper directory made for a container that never ran"
	assert_eq "" "$(ls -A "$TEST_TMP" | grep -F '.tmp-' || true)" "temporary directories"
	assert_nothing_left
}

test_killing_berth_kills_the_container_and_the_next_run_collects_its_cgroup() {
	local out=$TEST_TMP/out cg i
	start_container "$out" --layer "$(busybox_rootfs)" -- sh -c 'echo ready; sleep 30'
	wait_for_line "$out" ready
	cg=$(container_cgroup)
	kill -KILL "$MONITOR"
	wait "$MONITOR" || true
	# The container's pid 1 dies with berth (parent-death signal), and with it
	# every process of the pid namespace.
	for i in $(seq 1 50); do
		grep -q . "$cg/cgroup.procs" 2>/dev/null || break
		sleep 0.1
	done
	assert_eq "" "$(cat "$cg/cgroup.procs" 2>/dev/null)" "processes left after berth was killed"
	# Only the state and empty group of a killed berth can be left; the next start
	# removes them.
	run_bb -- true
	[ ! -e "$cg" ] || fail "stale cgroup $cg not collected"
	assert_nothing_left
}
