# berth doctor: what the host's kernel offers berth, each row checked against the
# kernel's own view.
# shellcheck source=tests/helpers/runtime.sh
. "$TEST_TOP/tests/helpers/runtime.sh"

# row OUTPUT NAME: the status word ("ok"/"missing") of a doctor row.
row_status() {
	echo "$1" | sed -n "s/^       $2 *\(ok\|missing\) .*/\1/p"
}

test_doctor_reports_what_the_kernel_offers() {
	local out status mnt
	run_status status berth doctor >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	out=$(cat "$TEST_TMP/out")
	assert_eq 0 "$status" "doctor's exit status on a host that can run containers ($out)"
	assert_eq "" "$(cat "$TEST_TMP/err")" "doctor's stderr"
	assert_eq "=====> berth doctor" "$(echo "$out" | head -1)"
	assert_contains "$out" "$(uname -r)" "kernel row"
	grep -qw overlay /proc/filesystems || modprobe -q overlay || true
	assert_eq ok "$(row_status "$out" overlayfs)" "overlayfs row"
	assert_eq ok "$(row_status "$out" "user namespaces")" "user namespaces row"
	assert_eq ok "$(row_status "$out" "idmapped mounts")" "idmapped mounts row"
	assert_eq ok "$(row_status "$out" seccomp)" "seccomp row"
	mnt=$(cgroup2_root)
	assert_eq ok "$(row_status "$out" "cgroup v2")" "cgroup v2 row"
	assert_contains "$out" "mounted at $mnt"
	assert_contains "$out" "BERTH_ROOT                      $BERTH_ROOT"
}

test_doctor_controller_rows_match_the_hierarchy() {
	local out c want
	out=$(berth doctor)
	for c in memory pids cpu io; do
		# A new group under the root gets what the root's subtree_control offers.
		if grep -qw "$c" "$(cgroup2_root)/cgroup.subtree_control"; then want=ok; else want=missing; fi
		assert_eq "$want" "$(row_status "$out" "$c controller")" "$c controller row"
	done
	if [ "$(row_status "$out" "memory controller")" = missing ]; then
		assert_contains "$out" "memory limits are NOT enforced"
	fi
}

test_doctor_creates_nothing() {
	berth doctor >/dev/null
	[ ! -e "$(berth_cgroup_dir)" ] || fail "doctor created cgroup $(berth_cgroup_dir)"
	assert_nothing_left
}

test_doctor_fails_when_berth_root_cannot_be_idmapped() {
	local status out
	# sysfs supports no idmapped mounts: berth could not show layers there.
	run_status status env BERTH_ROOT=/sys/kernel/berth-doctor-test "$BERTH_BIN" doctor >"$TEST_TMP/out"
	out=$(cat "$TEST_TMP/out")
	assert_eq 1 "$status" "doctor's exit status"
	assert_eq missing "$(row_status "$out" "idmapped mounts")" "idmapped mounts row"
	assert_contains "$out" "cannot be idmapped"
}
