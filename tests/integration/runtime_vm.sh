# runtime:run limits on a pure cgroup v2 kernel. This host is hybrid (memory, pids
# and cpu are bound to cgroup v1), so tests/vm/cgroup2-vm.sh boots Debian's cloud
# kernel under qemu (TCG) with a busybox initramfs, enables +memory +pids +cpu at the
# root of a cgroup2 mount and runs the checks; its console carries the results. The
# VM boots once per test run; every test here reads the same console log.
# shellcheck source=tests/helpers/runtime.sh
. "$TEST_TOP/tests/helpers/runtime.sh"

# vm_boot: boot the VM unless another test of this run did; skip or fail as it went.
vm_boot() {
	local dir=$TEST_CACHE/vm status
	(
		flock 9
		if [ ! -e "$dir.status" ]; then
			status=0
			"$TEST_TOP/tests/vm/cgroup2-vm.sh" "$BERTH_BIN" "$dir" >"$dir.out" 2>"$dir.err" || status=$?
			echo "$status" >"$dir.status"
			rm -rf "$dir"  # the initramfs; the console log is kept in $dir.out
		fi
	) 9>"$TEST_CACHE/vm.lock"
	status=$(cat "$dir.status")
	[ "$status" != 77 ] || skip "$(tail -n 1 "$dir.err")"
	[ "$status" = 0 ] || fail "the VM did not run to the end (exit $status): $(tail -n 30 "$dir.out"; tail -n 5 "$dir.err")"
}

# vm_result NAME: what the guest reported for NAME.
vm_result() {
	vm_boot
	awk -v n="$1" '$1 == "VMTEST" && $2 == n { sub(/^VMTEST [^ ]* ?/, ""); print; exit }' \
		"$TEST_CACHE/vm.out"
}

test_vm_limits_land_in_memory_max_pids_max_and_cpu_max() {
	assert_eq "cpu memory pids" "$(vm_result root_controllers)" "controllers enabled at the VM's root"
	assert_eq 0 "$(vm_result limits_status)" "exit status"
	assert_eq "33554432 20 50000 100000" "$(vm_result limits)" "memory.max pids.max cpu.max"
}

test_vm_memory_hog_is_oom_killed_with_status_137() {
	assert_eq 137 "$(vm_result oom_status)" "berth's exit status for an OOM-killed command"
	assert_eq "awk=137 oom_kill=1" "$(vm_result oom_report)" "the kill as the container saw it"
}

test_vm_fork_bomb_stops_at_the_pids_limit() {
	local report procs events
	assert_eq 0 "$(vm_result pids_status)" "exit status"
	report=$(vm_result pids)
	procs=$(echo "$report" | sed -n 's/.*procs=\([0-9]*\).*/\1/p')
	events=$(echo "$report" | sed -n 's/.*max_events=\([0-9]*\).*/\1/p')
	[ -n "$procs" ] && [ "$procs" -le 20 ] || fail "processes with --pids 20: $report"
	[ -n "$events" ] && [ "$events" -gt 0 ] || fail "the bomb never hit pids.max: $report"
}

test_vm_cpu_limit_throttles_a_busy_loop() {
	local n
	assert_eq 0 "$(vm_result cpu_status)" "exit status"
	n=$(vm_result cpu | sed -n 's/^nr_throttled=//p')
	[ -n "$n" ] && [ "$n" -gt 0 ] || fail "no throttling with --cpus 0.5: $(vm_result cpu)"
}

test_vm_enforced_limits_print_no_warning() {
	assert_eq 0 "$(vm_result not_enforced_warnings)" "'not enforced' warnings"
	assert_eq "" "$(vm_result stderr)" "stderr of the limit runs"
	assert_eq 0 "$(vm_result doctor_status)" "doctor's exit status"
	assert_eq "ok ok ok" "$(vm_result doctor_memory) $(vm_result doctor_pids) $(vm_result doctor_cpu)" \
		"doctor's memory, pids and cpu rows"
}

test_vm_replacing_a_layer_directory_works_on_linux_6_1() {
	# Linux 6.1 has no user xattrs on tmpfs, where overlayfs keeps opaque markers.
	assert_eq "0 0" "$(vm_result opaque_status)" "rm -rf /home && mkdir /home (status, entries)"
	assert_eq "" "$(vm_result opaque_stderr)" "stderr"
}

test_vm_nothing_left_after_the_runs() {
	assert_eq 0 "$(vm_result cgroups_left)" "cgroups left under berth's group"
	assert_eq 0 "$(vm_result scratch_left)" "entries left in BERTH_ROOT"
}

# Issue 9's chain on pure cgroup v2: an app process on the guest's bridge, with its
# resource limits, answering through the router from the guest's own side.
test_vm_app_on_the_bridge_answers_through_the_router_with_its_limits() {
	assert_eq 0 "$(vm_result chain_daemon_status)" "berth daemon --background in the guest"
	assert_eq "chain web.1 memory=50331648 pids=30 cpu=50000/100000" "$(vm_result chain_http)" \
		"the app's answer through the router (its own cgroup's limits)"
	assert_eq running "$(vm_result chain_ps)" "ps:report's state of web.1"
	assert_eq 0 "$(vm_result chain_not_enforced)" "resource:report's 'not enforced' lines"
}
