# runtime/ as a library a long-running process holds: containers made by one
# process, watched and collected by it or found again by another after it exited.
# tests/helpers/rtctl.c drives the API (built by make as $UNIT_DIR/rtctl).
# shellcheck source=tests/helpers/runtime.sh
. "$TEST_TOP/tests/helpers/runtime.sh"

rtctl() { "$UNIT_DIR/rtctl" "$@"; }

# populated ID: is anything alive in the container's cgroup?
populated() { grep -q "populated 1" "$(berth_cgroup_dir)/$1/cgroup.events"; }

test_a_new_process_finds_stops_and_collects_a_container_its_creator_left() {
	local out id pid1 pid status
	[ -x "$UNIT_DIR/rtctl" ] || fail "no $UNIT_DIR/rtctl (make bin/tests/rtctl)"
	out=$(rtctl three "$(busybox_rootfs)" "$TEST_TMP")
	# The creator collected the two that ended, in one poll loop over pidfds.
	assert_eq 2 "$(grep -c '^exited ' <<<"$out")" "containers collected by their creator ($out)"
	assert_contains "$(grep '^exited ' <<<"$out" | cut -d' ' -f3 | sort | tr '\n' ' ')" "3 4 " "statuses"
	# ...from a threaded process that ignores SIGCHLD, whose mount namespace,
	# signal mask and handlers, working directory and umask stayed as they were.
	assert_contains "$out" "caller unchanged"
	assert_eq one "$(cat "$TEST_TMP/1.out")" "first container's stdout (a file the creator chose)"
	assert_eq two "$(cat "$TEST_TMP/2.out")" "second container's stdout"
	id=$(awk '/^running / { print $2 }' <<<"$out")
	[ -n "$id" ] || fail "no running container reported: $out"
	# The creator has exited; the third container runs on, findable by id.
	wait_for_line "$TEST_TMP/3.out" three
	populated "$id" || fail "container $id stopped with its creator"
	assert_eq "$id" "$(rtctl list)" "containers with state"
	pid1=$(jq -r .pid "$BERTH_RUN/containers/$id.json")
	assert_eq berth-init "$(cat "/proc/$pid1/comm")" "the state's pid 1"
	[ "$(awk '/^PPid:/ { print $2 }' "/proc/$pid1/status")" != "$$" ] || fail "pid 1 is a child of the test shell"
	# pid 1 holds stdio and, as 3, its status file, write-only; the command only stdio.
	assert_eq "0 1 2 3" "$(ls "/proc/$pid1/fd" | sort -n | xargs)" "pid 1's descriptors"
	assert_eq "$BERTH_RUN/containers/$id.status" "$(readlink "/proc/$pid1/fd/3")" "pid 1's fd 3"
	[[ "$(awk '/^flags:/ { print $2 }' "/proc/$pid1/fdinfo/3")" =~ 1$ ]] ||
		fail "pid 1's status file is not write-only: $(cat "/proc/$pid1/fdinfo/3")"
	for pid in $(cat "$(berth_cgroup_dir)/$id/cgroup.procs"); do
		[ "$pid" = "$pid1" ] || assert_eq "0 1 2" "$(ls "/proc/$pid/fd" | sort -n | xargs)" \
			"descriptors of $(cat "/proc/$pid/comm")"
	done
	# Another process: signal it (its pid 1 forwards SIGTERM to the command, whose
	# trap exits 42), collect the status pid 1 left, destroy it.
	rtctl kill "$id" 15
	status=$(rtctl wait "$id")
	assert_eq 42 "$status" "status collected by a process that is not pid 1's parent"
	assert_eq "$(printf 'three\nterm')" "$(cat "$TEST_TMP/3.out")" "third container's output"
	assert_eq "" "$(rtctl list)" "containers with state after destroy"
	assert_nothing_left
}

test_a_status_outlives_its_container_until_collected() {
	local id status
	id=$(rtctl start "$(busybox_rootfs)" "$TEST_TMP/out" -- /bin/sh -c 'read x; exit 9')
	[ -n "$id" ] || fail "no id"
	# stdin is /dev/null: the command ends at once, with nobody of berth's waiting.
	wait_for bash -c "! grep -q 'populated 1' '$(berth_cgroup_dir)/$id/cgroup.events'" ||
		fail "container $id did not end"
	assert_eq "9" "$(cat "$BERTH_RUN/containers/$id.status")" "status file"
	status=$(rtctl wait "$id")
	assert_eq 9 "$status" "status collected after the container ended"
	assert_nothing_left
}

test_a_container_killed_outright_reports_137_to_whoever_adopts_it() {
	local id status
	id=$(rtctl start "$(busybox_rootfs)" "$TEST_TMP/out" -- /bin/sh -c 'echo up; exec sleep 1000')
	wait_for_line "$TEST_TMP/out" up
	rtctl kill "$id" 9
	status=$(rtctl wait "$id")
	assert_eq 137 "$status" "status of a container whose pid 1 was SIGKILLed"
	assert_nothing_left
}

test_destroying_a_running_container_ends_every_process_in_it() {
	local id cg
	id=$(rtctl start "$(busybox_rootfs)" "$TEST_TMP/out" -- /bin/sh -c \
		'sleep 1000 & sleep 1000 & trap "" TERM; echo up; wait')
	wait_for_line "$TEST_TMP/out" up
	cg=$(berth_cgroup_dir)/$id
	assert_eq 4 "$(grep -c . "$cg/cgroup.procs")" "processes in $id (init, sh, two sleeps)"
	rtctl destroy "$id"
	[ ! -e "$cg" ] || fail "$cg is left after destroy"
	assert_nothing_left
}

test_one_container_per_id_and_bad_ids_are_refused() {
	local out status
	run_status status rtctl wait no-such-container 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "wait for an unknown id"
	assert_contains "$(cat "$TEST_TMP/err")" "no container no-such-container"
	run_status status rtctl wait ../../etc 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "not a container id"
	assert_nothing_left
}

test_runtime_run_containers_die_with_berth_and_the_next_start_collects_them() {
	# runtime:run makes its container die with it: SIGKILL berth and the
	# container is gone, and what is left is collected by the next start. Such a
	# container is berth's alone: no state file, its cgroup names its creator.
	local out=$TEST_TMP/out status cg
	start_container "$out" --layer "$(busybox_rootfs)" -- sh -c 'echo ready; exec sleep 1000'
	wait_for_line "$out" ready
	assert_eq "" "$(ls "$BERTH_RUN/containers")" "state files while it runs"
	cg=$(container_cgroup)
	# "pid start-time" (field 22 of /proc/PID/stat; berth's name has no space).
	assert_eq "$MONITOR $(cut -d' ' -f22 "/proc/$MONITOR/stat")" \
		"$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.berth.creator").decode())' "$cg")" \
		"creator recorded on $cg"
	kill -KILL "$MONITOR"
	wait "$MONITOR" || true
	wait_for bash -c "! grep -q 'populated 1' $(berth_cgroup_dir)/run-*/cgroup.events" ||
		fail "the container outlived berth"
	run_bb -- true
	assert_nothing_left
}
