# App sources go through images/' extractor: what it refuses and what it leaves.

# A 10 KB archive of an 8 GiB sparse file: refused before its holes are written,
# hashed or built, with nothing left behind.
test_source_with_a_huge_sparse_file_is_refused() {
	berth stacks:create busybox >/dev/null
	berth apps:create sparse >/dev/null
	mkdir "$TEST_TMP/src"
	echo 'web: true' >"$TEST_TMP/src/Procfile"
	truncate -s 8G "$TEST_TMP/src/huge"
	tar -C "$TEST_TMP/src" --sparse -cf "$TEST_TMP/sparse.tar" Procfile huge
	[ "$(stat -c %s "$TEST_TMP/sparse.tar")" -lt 100000 ] || fail "the test archive is not small"
	local status
	run_status status timeout 60 "$BERTH_BIN" git:from-archive sparse "$TEST_TMP/sparse.tar" \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "exit status ($(cat "$TEST_TMP/err"))"
	assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "stderr lines"
	assert_contains "$(cat "$TEST_TMP/err")" "source archive entry 'huge'"
	assert_contains "$(cat "$TEST_TMP/err")" "BERTH_SOURCE_MAX_FILE_BYTES"
	[ ! -e "$BERTH_ROOT/apps/sparse/current" ] || fail "the archive produced a release"
	[ -z "$(ls -A "$BERTH_ROOT/tmp" 2>/dev/null)" ] || fail "work files left: $(ls -A "$BERTH_ROOT/tmp")"
	[ -z "$(find "$BERTH_ROOT/layers" -mindepth 1 -maxdepth 1 -name '.tmp-*')" ] || fail "a temp layer was left"
	[ -z "$(find "$BERTH_ROOT/refs" -path '*/deploy/*' 2>/dev/null)" ] || fail "a deploy reference was left"
}

# The bound on the whole source is configurable, and counts every file.
test_source_bigger_than_berth_source_max_bytes_is_refused() {
	berth stacks:create busybox >/dev/null
	berth apps:create capped >/dev/null
	mkdir "$TEST_TMP/src"
	echo 'web: true' >"$TEST_TMP/src/Procfile"
	head -c 300000 /dev/zero >"$TEST_TMP/src/a"
	head -c 300000 /dev/zero >"$TEST_TMP/src/b"
	tar -C "$TEST_TMP/src" -czf "$TEST_TMP/src.tgz" .
	local status
	BERTH_SOURCE_MAX_BYTES=500k run_status status "$BERTH_BIN" git:from-archive capped "$TEST_TMP/src.tgz" \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "exit status ($(cat "$TEST_TMP/err"))"
	assert_contains "$(cat "$TEST_TMP/err")" "BERTH_SOURCE_MAX_BYTES"
	[ ! -e "$BERTH_ROOT/apps/capped/current" ] || fail "the archive produced a release"
	BERTH_SOURCE_MAX_BYTES=nonsense run_status status "$BERTH_BIN" git:from-archive capped "$TEST_TMP/src.tgz" \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "exit status with a bad setting"
	assert_contains "$(cat "$TEST_TMP/err")" "BERTH_SOURCE_MAX_BYTES"
}
