# Smoke tests: the binary runs and a container starts.

test_version_prints_berth_version() {
	local out
	out=$(berth version)
	assert_contains "$out" "berth "
}

test_unknown_command_is_dokkus_error() {
	local status err
	run_status status berth no-such-command 2>"$TEST_TMP/err"
	err=$(cat "$TEST_TMP/err")
	assert_eq 1 "$status" "exit status"
	# Dokku's two lines (docs/commands.md), with berth's name.
	assert_eq 2 "$(wc -l <"$TEST_TMP/err")" "stderr lines"
	assert_contains "$err" "\`no-such-command\` is not a berth command."
}

test_runtime_runs_a_command_in_busybox() {
	local out
	out=$(berth runtime:run --layer "$(busybox_rootfs)" -- echo hello)
	assert_eq hello "$out"
}
