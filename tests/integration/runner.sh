# tests/run itself and the binaries it tests: a unit-test program is judged by its
# exit too, not only by the "ok" lines it printed; bin/berth stays lean.

# fake_unit NAME BODY: an executable unit-test program in $TEST_TMP/units.
fake_unit() {
	mkdir -p "$TEST_TMP/units"
	printf '#!/bin/sh\n%s\n' "$2" >"$TEST_TMP/units/$1"
	chmod +x "$TEST_TMP/units/$1"
}

# run_runner: tests/run over the fake programs only; output in $TEST_TMP/run.out.
run_runner() {
	local status
	run_status status env UNIT_DIR="$TEST_TMP/units" "$TEST_TOP/tests/run" fakeunit >"$TEST_TMP/run.out" 2>&1
	echo "$status"
}

test_runner_fails_a_unit_program_that_crashes_after_passing() {
	fake_unit test_fakeunit_crash 'echo "ok - fakeunit_first"; kill -SEGV $$'
	assert_eq 1 "$(run_runner)" "runner exit status ($(cat "$TEST_TMP/run.out"))"
	assert_contains "$(cat "$TEST_TMP/run.out")" "FAIL test_fakeunit_crash (exit 139"
	assert_contains "$(cat "$TEST_TMP/run.out")" "1 passed, 1 failed"
}

test_runner_fails_a_unit_program_whose_sanitizer_reports_after_the_tests() {
	fake_unit test_fakeunit_leak 'echo "ok - fakeunit_leaky"; echo "ERROR: LeakSanitizer: detected memory leaks" >&2; exit 99'
	assert_eq 1 "$(run_runner)" "runner exit status ($(cat "$TEST_TMP/run.out"))"
	assert_contains "$(cat "$TEST_TMP/run.out")" "FAIL test_fakeunit_leak (exit 99"
	assert_contains "$(cat "$TEST_TMP/run.out")" "LeakSanitizer"
}

test_runner_counts_failed_and_passed_unit_tests_once() {
	fake_unit test_fakeunit_mixed 'echo "ok - fakeunit_good"; echo "# why"; echo "not ok - fakeunit_bad"; exit 1'
	fake_unit test_fakeunit_fine 'echo "ok - fakeunit_fine"'
	assert_eq 1 "$(run_runner)" "runner exit status ($(cat "$TEST_TMP/run.out"))"
	assert_contains "$(cat "$TEST_TMP/run.out")" "FAIL test_fakeunit_mixed:fakeunit_bad"
	assert_contains "$(cat "$TEST_TMP/run.out")" "2 passed, 1 failed"
	rm "$TEST_TMP/units/test_fakeunit_mixed"
	assert_eq 0 "$(run_runner)" "runner exit status with passing programs only"
	assert_contains "$(cat "$TEST_TMP/run.out")" "1 passed, 0 failed"
}

# bin/berth starts fast because it links none of the heavy libraries: the
# commands needing them run in berth-full (see the Makefile).
test_berth_binary_stays_lean() {
	command -v ldd >/dev/null || skip "ldd is not installed"
	local libs lib
	libs=$(ldd "$BERTH_BIN")
	assert_contains "$libs" "libc.so" "ldd $BERTH_BIN"
	for lib in libgit2 libcurl libarchive libcrypto libyaml libnl; do
		assert_not_contains "$libs" "$lib" "ldd $BERTH_BIN"
	done
	[ -x "${BERTH_BIN}-full" ] || fail "${BERTH_BIN}-full is missing"
	assert_contains "$(ldd "${BERTH_BIN}-full")" "libarchive" "ldd ${BERTH_BIN}-full"
}
