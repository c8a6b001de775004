# berth enter: a command in a running process's container, found by its name
# (<app>.<type>.<n>), in the same namespaces and cgroup, as the same user, with
# no more privileges than the process; a pty from a terminal; bad names.
# shellcheck source=tests/helpers/proc.sh
. "$TEST_TOP/tests/helpers/proc.sh"

# Conditions for wait_for, which runs its arguments again on each try: a
# "$(...)" among them would be evaluated once, before the first.
command_started() { [ -n "$(command_pid "$1")" ]; }
procs_at_least() { [ "$(wc -l <"$1/cgroup.procs")" -ge "$2" ]; }

# start_detached APP: a running process of APP, named APP.run.1.
start_detached() {
	deploy_app "$1"
	assert_eq "$1.run.1" "$(berth run:detached "$1" sleep 300)"
	wait_for command_started "$1.run.1" || fail "the detached command did not start"
}

test_enter_joins_every_namespace_of_the_running_process() {
	start_detached e
	local pid ns inside outside
	pid=$(command_pid e.run.1)
	inside=$(berth enter e run.1 sh -c 'for n in user mnt pid net uts ipc cgroup; do readlink /proc/self/ns/$n; done')
	outside=$(for ns in user mnt pid net uts ipc cgroup; do readlink "/proc/$pid/ns/$ns"; done)
	assert_eq "$outside" "$inside" "namespaces of the entered command and of the process"
	# And not the host's.
	assert_not_contains "$inside" "$(readlink /proc/self/ns/mnt)"
	# It sees the process itself: same pid namespace, same files.
	assert_contains "$(berth enter e run.1 ps)" "sleep 300"
	berth enter e run.1 sh -c 'echo mark >/tmp/entered'
	assert_eq mark "$(cat "/proc/$pid/root/tmp/entered")" "a file written by enter, seen by the process"
}

test_enter_joins_the_cgroup_of_the_process() {
	start_detached e
	local cg=$(berth_cgroup_dir)/e.run.1 pid bg
	# At the root of the container's cgroup namespace: in its group, not above it.
	assert_eq "0::/" "$(berth enter e run.1 grep '^0::' /proc/self/cgroup)"
	pid=$(container_pid e.run.1)
	berth enter e run.1 sh -c 'echo $$ >/tmp/me; exec sleep 30' &
	bg=$!
	echo "$bg" >>"$TEST_TMP/pids"
	wait_for test -s "/proc/$pid/root/tmp/me" || fail "enter did not start"
	# The group holds pid 1, its command, enter's host parent and its command.
	wait_for procs_at_least "$cg" 4 ||
		fail "enter's processes are not in $cg: $(cat "$cg/cgroup.procs")"
	# Destroying the container would take them along: cgroup.kill covers them.
	echo 1 >"$cg/cgroup.kill"
	wait "$bg" || true
}

test_enter_has_no_more_privileges_than_the_process() {
	start_detached e
	local pid mine theirs
	pid=$(command_pid e.run.1)
	mine=$(berth enter e run.1 sh -c 'id -u; id -g; grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status')
	theirs=$(echo 1000; echo 1000; grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" "/proc/$pid/status")
	assert_eq "$theirs" "$mine" "ids, capabilities, no_new_privs, seccomp of enter and of the process"
	assert_contains "$mine" "CapEff:	0000000000000000"
	assert_contains "$mine" "NoNewPrivs:	1"
	assert_contains "$mine" "Seccomp:	2"
	# The seccomp filter is the container's: unshare is refused as it is there.
	local status
	run_status status berth enter e run.1 unshare -U true 2>/dev/null
	[ "$status" != 0 ] || fail "unshare worked inside enter"
	# The host sees it as the app's unprivileged user, not root.
	berth enter e run.1 sh -c 'echo $$ >/tmp/me; sleep 5' &
	local bg=$! root inner host_uid
	echo "$bg" >>"$TEST_TMP/pids"
	root=/proc/$(container_pid e.run.1)/root
	wait_for test -s "$root/tmp/me" || fail "enter did not start"
	for p in $(cat "$(berth_cgroup_dir)/e.run.1/cgroup.procs"); do
		host_uid=$(awk '/^Uid:/ {print $2}' "/proc/$p/status")
		[ "$host_uid" != 0 ] || [ "$p" = "$bg" ] || grep -q "berth" "/proc/$p/comm" ||
			fail "process $p ($(cat "/proc/$p/comm")) runs as host root in the container's group"
	done
	wait "$bg" || true
}

test_enter_passes_the_exit_status_and_gives_a_pty_from_a_terminal() {
	start_detached e
	local status
	run_status status berth enter e run.1 sh -c 'exit 7'
	assert_eq 7 "$status"
	run_status status berth enter e run.1 /no/such/program 2>/dev/null
	assert_eq 127 "$status"
	run_status status pty_run --size 21x77 -- "$BERTH_BIN" enter e run.1 sh -c 'test -t 0 && echo TTY; stty size; exit 4' >"$TEST_TMP/out"
	assert_eq 4 "$status"
	assert_contains "$(tr -d '\r' <"$TEST_TMP/out")" "TTY"
	assert_contains "$(tr -d '\r' <"$TEST_TMP/out")" "21 77"
	# ^C reaches the entered command, not the process.
	run_status status pty_run --expect READY --send '\x03' -- "$BERTH_BIN" enter e run.1 sh -c \
		'trap "echo GOT-INT; exit 9" INT; echo READY; while :; do sleep 1; done' >"$TEST_TMP/out"
	assert_eq 9 "$status"
	kill -0 "$(command_pid e.run.1)" || fail "the process died of enter's ^C"
	# The default command is a shell: stdin goes to it.
	assert_eq hi "$(echo 'echo hi' | berth enter e run.1)"
}

test_enter_finds_the_process_by_container_name() {
	start_detached e
	assert_eq run.1 "$(berth enter e --container-id e.run.1 sh -c 'echo $DYNO')"
	assert_eq run.1 "$(berth enter e run.1 sh -c 'echo $DYNO')"
}

test_enter_of_a_process_that_does_not_exist_fails_clearly() {
	start_detached e
	local status
	run_status status berth enter e web.1 true 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     No process web.1 of app e is running" "$(cat "$TEST_TMP/err")"
	run_status status berth enter e worker true 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid process name 'worker': use TYPE.N, e.g. web.1" "$(cat "$TEST_TMP/err")"
	for bad in ../e.run.1 run.1/.. "run.1 x" run.x; do
		run_status status berth enter e "$bad" true 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "enter e '$bad'"
	done
	run_status status berth enter nope web.1 2>"$TEST_TMP/err"
	assert_eq 20 "$status"
	assert_eq " !     App nope does not exist" "$(cat "$TEST_TMP/err")"
	run_status status berth enter e 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	run_status status berth enter e --container-id other.run.1 2>"$TEST_TMP/err"
	assert_eq " !     Container other.run.1 is not one of app e" "$(cat "$TEST_TMP/err")"
	# A process that has exited is not entered.
	kill -KILL "$(container_pid e.run.1)"
	wait_for sh -c "! kill -0 $(container_pid e.run.1)"
	run_status status berth enter e run.1 true 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "not running"
}
