# `berth help CMD` and `berth CMD --help` for every command berth has, and for the
# process commands (run, run:detached, enter, resource:*, storage:*) their usage.

test_every_command_has_help_and_dash_dash_help() {
	local cmds c out n=0
	cmds=$(berth help --all | awk '/^    / {print $1}')
	for c in $cmds; do
		n=$((n + 1))
		out=$(berth help "$c") || fail "berth help $c failed"
		assert_contains "$out" "Usage: berth $c" "berth help $c"
		out=$(berth "$c" --help) || fail "berth $c --help failed"
		assert_contains "$out" "Usage: berth $c" "berth $c --help"
		out=$(berth "$c" -h) || fail "berth $c -h failed"
		assert_contains "$out" "Usage: berth $c" "berth $c -h"
	done
	[ "$n" -ge 60 ] || fail "only $n commands listed by help --all"
	for c in run run:detached enter resource:limit resource:limit-clear resource:report \
		storage:mount storage:unmount storage:list; do
		assert_contains "$cmds" "$c" "help --all"
	done
}

test_help_of_process_commands_gives_their_usage() {
	assert_contains "$(berth help run:detached)" "Usage: berth run:detached [-e|--env KEY=VALUE]"
	assert_contains "$(berth enter --help)" "<app> <process-type>.<n> [<command>...]"
	assert_contains "$(berth resource:limit --help)" "[--process-type <process-type>] [--cpu CPUS] [--memory SIZE] [--pids N] [--no-restart] <app>"
	assert_contains "$(berth storage:mount --help)" "<app> <host-dir:container-dir[:ro]>"
	# Topics list their commands.
	local out
	out=$(berth help resource)
	assert_contains "$out" "resource:limit-clear"
	assert_contains "$out" "resource:report"
	out=$(berth storage:help)
	assert_contains "$out" "storage:unmount"
	assert_contains "$(berth help run)" "run:detached"
}

test_help_of_an_unknown_command_fails() {
	local status
	run_status status berth help no-such-command 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "is not a berth command"
}
