# runtime:run basics: exit status, stdio, signals, options, layers, pid 1.
# shellcheck source=tests/helpers/runtime.sh
. "$TEST_TOP/tests/helpers/runtime.sh"

test_exit_status_is_the_commands() {
	local status
	run_status status run_bb -- sh -c 'exit 3'
	assert_eq 3 "$status" "exit 3"
	run_status status run_bb -- sh -c 'exit 0'
	assert_eq 0 "$status" "exit 0"
	run_status status run_bb -- sh -c 'exit 255'
	assert_eq 255 "$status" "exit 255"
	run_status status run_bb -- false
	assert_eq 1 "$status" "false"
}

test_command_not_found_exits_127_with_one_line() {
	local status
	run_status status run_bb -- no-such-command 2>"$TEST_TMP/err"
	assert_eq 127 "$status" "exit status"
	assert_one_error_line "$TEST_TMP/err" "no-such-command: command not found in the container"
	run_status status run_bb -- /no/such/path 2>"$TEST_TMP/err"
	assert_eq 127 "$status" "exit status for a missing path"
}

test_command_not_executable_exits_126() {
	local status
	run_status status run_bb -- /etc/passwd 2>"$TEST_TMP/err"
	assert_eq 126 "$status" "exit status for a file without x bit"
	assert_one_error_line "$TEST_TMP/err" "Permission denied"
	run_status status run_bb -- /etc 2>"$TEST_TMP/err"
	assert_eq 126 "$status" "exit status for a directory"
}

test_berth_error_exits_125_with_one_line() {
	local status
	run_status status run_bb --workdir /no/such/dir -- true 2>"$TEST_TMP/err"
	assert_eq 125 "$status" "exit status"
	assert_one_error_line "$TEST_TMP/err" "/no/such/dir"
}

test_command_killed_by_signal_exits_128_plus_signal() {
	local status
	run_status status run_bb -- sh -c 'kill -KILL $$'
	assert_eq 137 "$status" "SIGKILL"
	run_status status run_bb -- sh -c 'kill -TERM $$'
	assert_eq 143 "$status" "SIGTERM"
	run_status status run_bb -- sh -c 'kill -SEGV $$'
	assert_eq 139 "$status" "SIGSEGV"
}

test_stdin_passes_through_unchanged() {
	local out
	out=$(printf 'one\ntwo\n' | run_bb -- cat)
	assert_eq "$(printf 'one\ntwo')" "$out" "small input"
	head -c 3000000 /dev/urandom >"$TEST_TMP/big"
	out=$(run_bb -- sha256sum <"$TEST_TMP/big" | cut -d' ' -f1)
	assert_eq "$(sha256sum <"$TEST_TMP/big" | cut -d' ' -f1)" "$out" "3 MB of binary input"
}

test_stdout_and_stderr_pass_through_separately() {
	run_bb -- sh -c 'echo to-out; echo to-err >&2; echo more-out' >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq "$(printf 'to-out\nmore-out')" "$(cat "$TEST_TMP/out")" "stdout"
	assert_eq "to-err" "$(cat "$TEST_TMP/err")" "stderr"
}

# Sent with kill(2) to berth, a signal must reach the command, whose trap decides the
# exit status. (Background jobs of a script start with SIGINT ignored; the container
# must still get default dispositions so that its trap can be set.)
signal_reaches_command() { # SIGNAME EXPECTED_STATUS
	local out=$TEST_TMP/out status
	start_container "$out" --layer "$(busybox_rootfs)" -- sh -c \
		"trap 'echo got-$1; exit $2' $1; echo ready; while :; do sleep 0.05; done"
	wait_for_line "$out" ready
	kill -s "$1" "$MONITOR"
	wait_monitor status
	assert_eq "$2" "$status" "exit status after SIG$1"
	assert_contains "$(cat "$out")" "got-$1"
	assert_nothing_left
}

test_sigterm_sent_to_berth_reaches_the_command() { signal_reaches_command TERM 42; }
test_sigint_sent_to_berth_reaches_the_command() { signal_reaches_command INT 43; }

test_signal_dispositions_start_at_default_in_the_container() {
	local out
	# The test runs berth as a background job: SIGINT and SIGQUIT are ignored here.
	out=$( (trap '' INT QUIT HUP; run_bb -- grep -E '^Sig(Ign|Blk):' /proc/self/status) )
	assert_contains "$out" "SigIgn:	0000000000000000"
	assert_contains "$out" "SigBlk:	0000000000000000"
}

test_hostname_option_sets_hostname_and_etc_files() {
	local out
	out=$(run_bb --hostname web-1.example -- sh -c \
		'hostname; cat /etc/hostname; echo "$HOSTNAME"; grep -c "127.0.1.1.*web-1.example" /etc/hosts')
	assert_eq "$(printf 'web-1.example\nweb-1.example\nweb-1.example\n1')" "$out"
}

test_default_hostname_is_berth() {
	assert_eq berth "$(run_bb -- hostname)"
}

test_env_option_sets_variables_and_keeps_defaults() {
	local out
	out=$(run_bb --env FOO=bar --env 'SPACED=a b=c' --env HOME=/home/app -- env)
	assert_contains "$out" "FOO=bar"
	assert_contains "$out" "SPACED=a b=c"
	assert_contains "$out" "HOME=/home/app"
	assert_contains "$out" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	assert_contains "$out" "HOSTNAME=berth"
	# Nothing of berth's own environment leaks in.
	assert_not_contains "$out" "BERTH_ROOT"
	assert_not_contains "$out" "TEST_TMP"
}

test_workdir_option_sets_the_working_directory() {
	assert_eq /home/app "$(run_bb --workdir /home/app -- pwd)"
	assert_eq / "$(run_bb -- pwd)"
}

test_default_user_is_1000_without_root() {
	assert_eq "1000 1000 1000" "$(run_bb -- sh -c 'echo $(id -u) $(id -g) $(id -G)')"
}

test_user_option_sets_uid_gid_and_groups() {
	assert_eq "1234 2345 2345" "$(run_bb --user 1234:2345 -- sh -c 'echo $(id -u) $(id -g) $(id -G)')"
	assert_eq "4321 4321" "$(run_bb --user 4321 -- sh -c 'echo $(id -u) $(id -g)')"
	assert_eq "0 0" "$(run_bb --user 0 -- sh -c 'echo $(id -u) $(id -g)')"
}

test_bind_rw_shares_files_with_the_host_in_container_ids() {
	local dir=$TEST_TMP/shared out
	mkdir -p "$dir"
	echo from-host >"$dir/in"
	chown 1000:1000 "$dir"
	out=$(run_bb --bind "$dir:/data" -- sh -c 'cat /data/in; echo from-container >/data/out; stat -c %u /data/out')
	assert_eq "$(printf 'from-host\n1000')" "$out"
	assert_eq from-container "$(cat "$dir/out")" "file written in the container"
	# Bind sources are idmapped like layers: container uid 1000 is uid 1000 on disk.
	assert_eq 1000 "$(stat -c %u "$dir/out")" "owner on the host"
}

test_bind_ro_cannot_be_written() {
	local dir=$TEST_TMP/ro out status
	mkdir -p "$dir"
	echo keep >"$dir/f"
	chown -R 1000:1000 "$dir"
	run_status status run_bb --bind "$dir:/ro:ro" -- sh -c 'cat /ro/f; echo x >/ro/f' >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "exit status of a write to a read-only bind"
	assert_eq keep "$(cat "$TEST_TMP/out")"
	assert_contains "$(cat "$TEST_TMP/err")" "Read-only file system"
	assert_eq keep "$(cat "$dir/f")" "host file"
	run_status status run_bb --user 0 --bind "$dir:/ro:ro" -- touch /ro/new 2>/dev/null
	assert_eq 1 "$status" "root's write to a read-only bind"
	[ ! -e "$dir/new" ] || fail "container root created a file in a read-only bind"
}

test_bind_of_a_single_file() {
	echo one-file >"$TEST_TMP/file"
	assert_eq one-file "$(run_bb --bind "$TEST_TMP/file:/etc/app.conf:ro" -- cat /etc/app.conf)"
}

test_layers_stack_with_the_last_on_top() {
	local a=$TEST_TMP/a b=$TEST_TMP/b out
	mkdir -p "$a/etc" "$b/etc"
	echo from-a >"$a/etc/both"
	echo only-a >"$a/etc/only-a"
	echo from-b >"$b/etc/both"
	echo only-b >"$b/etc/only-b"
	out=$(berth runtime:run --layer "$(busybox_rootfs)" --layer "$a" --layer "$b" -- \
		cat /etc/both /etc/only-a /etc/only-b)
	assert_eq "$(printf 'from-b\nonly-a\nonly-b')" "$out" "b over a"
	out=$(berth runtime:run --layer "$(busybox_rootfs)" --layer "$b" --layer "$a" -- cat /etc/both)
	assert_eq from-a "$out" "a over b"
}

test_layers_are_never_modified() {
	local bb low=$TEST_TMP/low before_bb before_low status
	bb=$(busybox_rootfs)
	mkdir -p "$low/data/dir/sub" "$low/gone"
	echo original >"$low/data/file"
	echo nested >"$low/data/dir/sub/f"
	echo bye >"$low/gone/f"
	ln -s file "$low/data/link"
	chown -R 1000:1000 "$low/data"
	before_bb=$(tree_digest "$bb")
	before_low=$(tree_digest "$low")
	# As container root: modify, chmod, chown, delete, replace a deleted directory,
	# rename, hard link, and truncate files that live in the lower layers.
	run_status status berth runtime:run --user 0 --layer "$bb" --layer "$low" -- sh -e -c '
		echo changed >/data/file
		chmod 600 /data/file
		chown 4:4 /data/dir
		rm -rf /gone /data/dir/sub
		mkdir /gone && echo new >/gone/f
		mv /data/link /data/link2
		ln /bin/busybox /bin/hard
		: >/bin/busybox.copy && rm /bin/sh
		touch -d 2001-01-01 /etc/passwd
		rm -rf /home
		test "$(cat /gone/f)" = new
		test ! -e /data/dir/sub
		test ! -e /bin/sh'
	assert_eq 0 "$status" "changes inside the container"
	assert_eq "$before_bb" "$(tree_digest "$bb")" "busybox layer digest"
	assert_eq "$before_low" "$(tree_digest "$low")" "second layer digest"
	# And the changes were private to that container.
	assert_eq original "$(berth runtime:run --layer "$bb" --layer "$low" -- cat /data/file)"
}

test_keep_upper_holds_new_files_and_whiteouts() {
	local low=$TEST_TMP/low keep=$TEST_TMP/kept
	mkdir -p "$low/data"
	echo old >"$low/data/old"
	echo mod >"$low/data/mod"
	chown -R 1000:1000 "$low/data"
	run_bb --layer "$low" --keep-upper "$keep" -- sh -e -c '
		echo new >/data/new
		echo changed >/data/mod
		rm /data/old
		mkdir /home/app/made'
	assert_eq new "$(cat "$keep/data/new")" "new file"
	assert_eq changed "$(cat "$keep/data/mod")" "modified file (copied up)"
	# Ownership in the kept layer is in container id space, as in any layer.
	assert_eq "1000:1000" "$(stat -c %u:%g "$keep/data/new")" "owner of a new file"
	assert_eq "1000:1000" "$(stat -c %u:%g "$keep/home/app/made")" "owner of a new directory"
	# A deleted lower file is an overlayfs whiteout: a 0/0 character device.
	assert_eq "character special file 0:0" "$(stat -c '%F %t:%T' "$keep/data/old")" "whiteout"
	[ -e "$low/data/old" ] || fail "the lower file was deleted"
	assert_eq "" "$(ls -A "$TEST_TMP" | grep -F 'kept.tmp' || true)" "temporary directories"
	# The kept layer works as a layer: stacked, it reproduces the container's view.
	assert_eq "changed new" "$(run_bb --layer "$low" --layer "$keep" -- sh -c \
		'echo $(cat /data/mod) $(cat /data/new); test ! -e /data/old')"
	assert_nothing_left
}

test_pid1_reaps_orphaned_zombies() {
	local out
	# Each subshell exits at once, orphaning its sleep, which pid 1 inherits. The
	# sleeps exit soon after; unreaped, they would stay zombies (state Z).
	# Wait until every sleep has exited, then (10 s at most) until none is a zombie.
	out=$(run_bb -- sh -c '
		for i in 1 2 3 4 5; do (sleep 0.1 &); done
		i=0; while cat /proc/[0-9]*/stat 2>/dev/null | grep -q "(sleep) [^Z]" && [ $i -lt 100 ]; do
			i=$((i + 1)); usleep 100000
		done
		i=0; while cut -d" " -f3 /proc/[0-9]*/stat 2>/dev/null | grep -q Z && [ $i -lt 100 ]; do
			i=$((i + 1)); usleep 100000
		done
		echo zombies: $(cut -d" " -f3 /proc/[0-9]*/stat | grep -c Z)')
	assert_contains "$out" "zombies: 0"
}

test_writable_layer_takes_more_than_the_stage_size() {
	local out
	out=$(run_bb -- sh -c 'dd if=/dev/zero of=/tmp/big bs=1M count=64 2>/dev/null && stat -c %s /tmp/big')
	assert_eq $((64 << 20)) "$out" "size of a 64 MB file written in the container"
}
