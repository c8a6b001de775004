# Hostile source archives: each is refused with the entry named, and nothing of
# it lands anywhere.

setup_app() {
	berth stacks:create busybox >/dev/null
	berth apps:create "$1" >/dev/null
}

# make_tar OUT KIND: a tar with one hostile entry, written with Python's tarfile.
make_tar() {
	python3 - "$1" "$2" "$TEST_TMP" <<-'PY'
	import io, sys, tarfile
	out, kind, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
	with tarfile.open(out, "w") as t:
	    def add(name, data=b"x", **kw):
	        info = tarfile.TarInfo(name)
	        for k, v in kw.items():
	            setattr(info, k, v)
	        info.size = len(data) if info.type == tarfile.REGTYPE else 0
	        t.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
	    add("Procfile", b"web: true\n")
	    if kind == "dotdot":
	        add("../escaped-dotdot", b"evil")
	    elif kind == "absolute":
	        add(tmp + "/escaped-absolute", b"evil")
	    elif kind == "symlink":
	        add("link", type=tarfile.SYMTYPE, linkname=tmp)
	        add("link/escaped-symlink", b"evil")
	    elif kind == "relsymlink":
	        add("sub/link", type=tarfile.SYMTYPE, linkname="../../../../" + tmp)
	        add("sub/link/escaped-relsymlink", b"evil")
	    elif kind == "hardlink":
	        add("hard", type=tarfile.LNKTYPE, linkname=tmp + "/victim")
	    elif kind == "device":
	        add("dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
	PY
}

expect_refused() { # KIND WORD
	local app=bad-$1 status
	berth apps:create "$app" >/dev/null
	make_tar "$TEST_TMP/$1.tar" "$1"
	run_status status berth git:from-archive "$app" "$TEST_TMP/$1.tar" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status" "deploy of a $1 archive"
	assert_contains "$(cat "$TEST_TMP/out")" "$2"
	[ ! -e "$BERTH_ROOT/apps/$app/current" ] || fail "$1 archive produced a release"
	[ -z "$(find "$TEST_TMP" -name 'escaped-*')" ] || fail "$1 archive wrote outside: $(find "$TEST_TMP" -name 'escaped-*')"
	[ -z "$(ls -A "$BERTH_ROOT/tmp" 2>/dev/null)" ] || fail "$1 archive left work files: $(ls -A "$BERTH_ROOT/tmp")"
}

test_source_with_dotdot_is_refused() {
	berth stacks:create busybox >/dev/null
	expect_refused dotdot "Archive contains entries with parent directory traversal: '../escaped-dotdot'"
}

test_source_with_absolute_path_is_refused() {
	berth stacks:create busybox >/dev/null
	expect_refused absolute "Archive contains entries with absolute paths: '$TEST_TMP/escaped-absolute'"
}

test_source_writing_through_a_symlink_is_refused() {
	berth stacks:create busybox >/dev/null
	expect_refused symlink "Archive contains symlinks with absolute targets: 'link' -> '$TEST_TMP'"
}

test_source_writing_through_a_relative_symlink_that_climbs_out_is_refused() {
	berth stacks:create busybox >/dev/null
	expect_refused relsymlink \
		"Archive contains symlinks pointing outside extraction directory: 'sub/link' -> '../../../../$TEST_TMP'"
}

test_source_with_hardlink_out_is_refused() {
	berth stacks:create busybox >/dev/null
	echo victim >"$TEST_TMP/victim"
	expect_refused hardlink "hard"
	assert_eq victim "$(cat "$TEST_TMP/victim")"
}

test_source_with_device_node_is_refused() {
	berth stacks:create busybox >/dev/null
	expect_refused device "'dev' is a device"
}

test_truncated_or_garbage_archive_is_refused() {
	setup_app garbage
	head -c 5000 /dev/urandom >"$TEST_TMP/garbage.tar"
	local status
	run_status status berth git:from-archive garbage "$TEST_TMP/garbage.tar" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq 1 "$(wc -l <"$TEST_TMP/err")"
	mkdir -p "$TEST_TMP/src" && head -c 100000 /dev/urandom >"$TEST_TMP/src/big"
	tar -C "$TEST_TMP/src" -czf - . | head -c 20000 >"$TEST_TMP/trunc.tgz"
	run_status status berth git:from-archive garbage "$TEST_TMP/trunc.tgz" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "source archive"
	[ ! -e "$BERTH_ROOT/apps/garbage/current" ] || fail "garbage produced a release"
}

test_empty_archive_is_refused() {
	setup_app empty
	tar -cf "$TEST_TMP/empty.tar" -T /dev/null
	local status
	run_status status berth git:from-archive empty "$TEST_TMP/empty.tar" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "empty"
}
