# logs:failed: the output of an app's last failed deploy (kept by the deploy,
# bounded), as Dokku shows it, and the logs of its failed processes.

# try_deploy APP 'PROCFILE TEXT': git:from-archive of a busybox app; its status.
try_deploy() {
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:exists "$1" 2>/dev/null || berth apps:create "$1" >/dev/null
	rm -rf "$TEST_TMP/src-$1"
	mkdir -p "$TEST_TMP/src-$1"
	printf '%b' "$2" >"$TEST_TMP/src-$1/Procfile"
	tar -C "$TEST_TMP/src-$1" -cf "$TEST_TMP/src-$1.tar" .
	berth git:from-archive "$1" -- <"$TEST_TMP/src-$1.tar" >"$TEST_TMP/deploy-$1.out" 2>&1
}

test_logs_failed_shows_the_last_failed_deploy() {
	local out rc
	try_deploy lf 'web: sleep 1000\n' || { cat "$TEST_TMP/deploy-lf.out"; fail "first deploy failed"; }
	out=$(berth logs:failed lf 2>"$TEST_TMP/err")
	assert_contains "$out" "=====> lf failed deploy logs"
	assert_contains "$(cat "$TEST_TMP/err")" " !     No failed deploy found"
	run_status rc try_deploy lf 'web: sleep 1000\nrelease: echo release-said-this; exit 3\n'
	assert_eq 1 "$rc" "a failing release phase fails the deploy"
	out=$(berth logs:failed lf)
	assert_contains "$out" "=====> lf failed deploy logs"
	assert_contains "$out" "-----> Building lf on stack busybox"
	assert_contains "$out" "release-said-this"
	assert_contains "$out" " !     Release phase failed (exit 3)"
	assert_contains "$out" "No failed processes for lf"
	# A later successful deploy leaves the last failure's output in place.
	try_deploy lf 'web: sleep 1001\n' || fail "third deploy failed"
	assert_contains "$(berth logs:failed lf)" "release-said-this" "kept after a success"
	berth apps:create other >/dev/null
	out=$(berth logs:failed --all 2>/dev/null)
	assert_contains "$out" "-----> Running logs:failed against app lf"
	assert_contains "$out" "-----> Running logs:failed against app other"
	assert_contains "$out" "=====> other failed deploy logs"
	run_status rc berth logs:failed nosuch 2>/dev/null
	assert_eq 20 "$rc" "unknown app"
}

test_logs_failed_keeps_only_the_end_of_a_long_deploy() {
	local rc size
	run_status rc try_deploy big 'web: sleep 1000\nrelease: i=0; while [ $i -lt 6000 ]; do echo "line $i of a long release phase that fills the log quickly"; i=$((i + 1)); done; exit 4\n'
	assert_eq 1 "$rc" "failed deploy"
	size=$(stat -c %s "$BERTH_ROOT/apps/big/failed-deploy.log")
	[ "$size" -le $((256 * 1024 + 1024)) ] || fail "failed-deploy.log is $size bytes"
	out=$(berth logs:failed big)
	assert_contains "$out" "line 5999 of a long release phase"
	assert_not_contains "$out" "line 0 of a long"
	assert_contains "$out" " !     Release phase failed (exit 4)"
}
