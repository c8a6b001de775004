# Disk: a deploy leaves the disk no fuller than it found it once old releases
# go; `berth report` shows what each app and the layer store take.

# deploy_big APP N: a busybox app whose source holds 2 MB of fresh random bytes.
deploy_big() {
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:exists "$1" 2>/dev/null || berth apps:create "$1" >/dev/null
	rm -rf "$TEST_TMP/src-$1" && mkdir -p "$TEST_TMP/src-$1"
	printf 'web: sleep 1000\n' >"$TEST_TMP/src-$1/Procfile"
	head -c 2000000 /dev/urandom >"$TEST_TMP/src-$1/blob"
	tar -C "$TEST_TMP/src-$1" -cf "$TEST_TMP/src-$1.tar" .
	berth git:from-archive "$1" -- <"$TEST_TMP/src-$1.tar" >"$TEST_TMP/deploy-$1.out" 2>&1 ||
		{ cat "$TEST_TMP/deploy-$1.out"; fail "deploy of $1 failed"; }
}

store_bytes() { berth report --global --disk-store-bytes; }

test_deploys_beyond_keep_leave_the_store_no_fuller() {
	berth releases:set --global keep 2 >/dev/null
	deploy_big big
	deploy_big big
	before=$(store_bytes)
	[ "$before" -gt 4000000 ] || fail "store holds $before bytes: the releases' layers are not counted"
	deploy_big big
	deploy_big big
	after=$(store_bytes)
	[ "$after" -le $((before + before / 20)) ] || fail "store grew from $before to $after bytes"
	assert_contains "$(cat "$TEST_TMP/deploy-big.out")" "Removed old releases v2"
	assert_eq 0 "$(berth report --global --format json | jq -r '."disk-store-unused-layers"' | grep -vc '^0 B$')" \
		"unused layers left after a deploy"
}

test_report_shows_each_app_and_the_store() {
	deploy_big r1
	berth apps:create r2 >/dev/null
	out=$(berth report)
	assert_contains "$out" "=====> r1 disk information"
	assert_contains "$out" "=====> r2 disk information"
	assert_contains "$out" "=====> store disk information"
	assert_contains "$out" "Disk releases:"
	layers=$(berth report r1 --disk-layers)
	[[ $layers =~ ^2\.[0-9]\ MB\ \([0-9]+\ layers\)$ ]] || fail "r1 layers: $layers"
	assert_eq "1" "$(berth report r1 --disk-releases)"
	json=$(berth report r1 --format json)
	[ "$(echo "$json" | jq -r '."disk-total-bytes"')" -gt 2000000 ] || fail "total: $json"
	assert_eq "$(echo "$json" | jq -r '."disk-logs"')" "$(echo "$json" | jq -r '.logs')"
	run_status st berth report nope 2>"$TEST_TMP/err"
	assert_eq 20 "$st"
	assert_eq " !     App nope does not exist" "$(cat "$TEST_TMP/err")"
}
