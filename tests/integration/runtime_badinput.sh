# runtime:run with bad input: one line on stderr that says what is wrong, the right
# exit status, and nothing left behind.
# shellcheck source=tests/helpers/runtime.sh
. "$TEST_TOP/tests/helpers/runtime.sh"

# rejects STATUS TEXT ARGS...: runtime:run ARGS exits STATUS with one error line
# containing TEXT, prints nothing on stdout, and leaves nothing behind.
rejects() {
	local want=$1 text=$2 status
	shift 2
	run_status status berth runtime:run "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq "$want" "$status" "exit status of runtime:run $*"
	assert_one_error_line "$TEST_TMP/err" "$text"
	assert_eq "" "$(cat "$TEST_TMP/out")" "stdout of runtime:run $*"
	assert_nothing_left
}

test_missing_layer_is_rejected() {
	rejects 125 "layer '/no/such/layer' is not a directory" --layer /no/such/layer -- true
	rejects 125 "layer '$TEST_TMP/nope' is not a directory" \
		--layer "$(busybox_rootfs)" --layer "$TEST_TMP/nope" -- true
}

test_layer_that_is_a_file_is_rejected() {
	echo not-a-dir >"$TEST_TMP/file"
	rejects 125 "layer '$TEST_TMP/file' is not a directory" --layer "$TEST_TMP/file" -- true
}

test_no_layer_or_no_command_is_rejected() {
	rejects 125 "no layer given" -- true
	rejects 125 "no command given" --layer "$(busybox_rootfs)"
}

test_bad_size_strings_are_rejected() {
	local size
	for size in 12q 0 -5m 1.5g m ''; do
		rejects 125 "bad size '$size'" --layer "$(busybox_rootfs)" --memory "$size" -- true
	done
}

test_bad_cpus_and_pids_are_rejected() {
	rejects 125 "--cpus abc: use a number of CPUs" --layer "$(busybox_rootfs)" --cpus abc -- true
	rejects 125 "--cpus 0: use a number of CPUs" --layer "$(busybox_rootfs)" --cpus 0 -- true
	rejects 125 "--pids '0'" --layer "$(busybox_rootfs)" --pids 0 -- true
	rejects 125 "--pids 'lots'" --layer "$(busybox_rootfs)" --pids lots -- true
}

test_unknown_option_and_missing_value_are_rejected() {
	rejects 125 "unknown option '--frobnicate'" --layer "$(busybox_rootfs)" --frobnicate -- true
	rejects 125 "option '--memory' needs a value" --layer "$(busybox_rootfs)" --memory
	rejects 125 "--net 'host'" --layer "$(busybox_rootfs)" --net host -- true
}

test_bad_user_is_rejected() {
	rejects 125 "--user abc: uid: 'abc' is not a number" --layer "$(busybox_rootfs)" --user abc -- true
	rejects 125 "--user 70000: uid" --layer "$(busybox_rootfs)" --user 70000 -- true
	rejects 125 "--user 1000:x: gid" --layer "$(busybox_rootfs)" --user 1000:x -- true
	rejects 125 "--user -1: uid" --layer "$(busybox_rootfs)" --user -1 -- true
}

test_bad_bind_is_rejected() {
	local bb
	bb=$(busybox_rootfs)
	echo f >"$TEST_TMP/file"
	rejects 125 "--bind nocolon: use SRC:DST or SRC:DST:ro" --layer "$bb" --bind nocolon -- true
	rejects 125 "--bind :/x: use SRC:DST" --layer "$bb" --bind :/x -- true
	rejects 125 "mode must be ro or rw" --layer "$bb" --bind "$TEST_TMP:/x:rx" -- true
	rejects 125 "bind source /no/such/dir does not exist" --layer "$bb" --bind /no/such/dir:/x -- true
	rejects 125 "bind target 'rel' must be an absolute path" --layer "$bb" --bind "$TEST_TMP:rel" -- true
	rejects 125 "bind target '/a/../etc' must be an absolute path without '..'" \
		--layer "$bb" --bind "$TEST_TMP:/a/../etc" -- true
	rejects 125 "bind target '/' would hide the container's root" --layer "$bb" --bind "$TEST_TMP:/" -- true
	rejects 125 "bind target /proc/x is inside /proc" --layer "$bb" --bind "$TEST_TMP:/proc/x" -- true
	rejects 125 "cannot bind a file onto a directory" --layer "$bb" --bind "$TEST_TMP/file:/etc" -- true
	rejects 125 "cannot bind a directory onto a file" --layer "$bb" --bind "$TEST_TMP:/etc/passwd" -- true
}

test_bad_workdir_hostname_env_and_keep_upper_are_rejected() {
	local bb
	bb=$(busybox_rootfs)
	rejects 125 "working directory 'rel' must be an absolute path" --layer "$bb" --workdir rel -- true
	rejects 125 "working directory /no/such/dir: No such file or directory" \
		--layer "$bb" --workdir /no/such/dir -- true
	rejects 125 "--hostname 'a_b'" --layer "$bb" --hostname a_b -- true
	rejects 125 "--env FOO: use KEY=VALUE" --layer "$bb" --env FOO -- true
	rejects 125 "--keep-upper $TEST_TMP already exists" --layer "$bb" --keep-upper "$TEST_TMP" -- true
	rejects 125 "--keep-upper /no/such/dir/up: directory /no/such/dir does not exist" \
		--layer "$bb" --keep-upper /no/such/dir/up -- true
}

test_command_missing_in_the_rootfs_is_127() {
	rejects 127 "exec no-such-command: command not found in the container" \
		--layer "$(busybox_rootfs)" -- no-such-command
	rejects 127 "exec /usr/bin/python3: command not found in the container" \
		--layer "$(busybox_rootfs)" -- /usr/bin/python3 -c 1
}
