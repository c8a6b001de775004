# Bad input to stacks:import: one clear line naming the entry, exit 1, and no
# layer, temp directory, lease or stack left behind.

mktar() { python3 "$TEST_TOP/tests/integration/images-mktar.py" "$@"; }

assert_nothing_left() {
	local left
	left=$(find "$BERTH_ROOT/layers" "$BERTH_ROOT/tmp" "$BERTH_ROOT/leases" "$BERTH_ROOT/stacks" \
		"$BERTH_ROOT/refs" -mindepth 1 ! -name .lock ! -name stack 2>/dev/null || true)
	[ -z "$left" ] || fail "left behind: $left"
}

# import_fails STACK SOURCE EXPECTED... : exit 1, one line on stderr with each EXPECTED.
import_fails() {
	local name=$1 src=$2 status err
	shift 2
	run_status status berth stacks:import "$name" "$src" >/dev/null 2>"$TEST_TMP/err"
	err=$(cat "$TEST_TMP/err")
	assert_eq 1 "$status" "exit status ($err)"
	assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "stderr lines ($err)"
	assert_contains "$err" " !     stacks:import $name: "
	local want
	for want in "$@"; do
		assert_contains "$err" "$want" "error"
	done
	run_status status berth stacks:report "$name"
	assert_eq 1 "$status" "stacks:report of the failed stack"
	assert_nothing_left
}

test_import_refuses_absolute_paths() {
	mktar "$TEST_TMP/t.tar" file:ok:1 file:/etc/berth-evil:x
	import_fails abs "$TEST_TMP/t.tar" "archive entry /etc/berth-evil" "absolute path"
	[ ! -e /etc/berth-evil ] || fail "/etc/berth-evil was written"
}

test_import_refuses_dotdot_in_paths() {
	mktar "$TEST_TMP/t.tar" dir:a file:a/../../berth-evil:x
	import_fails dotdot "$TEST_TMP/t.tar" "archive entry a/../../berth-evil" "'..'"
}

test_import_refuses_to_write_through_a_symlink_leaving_the_layer() {
	mkdir "$TEST_TMP/outside"
	mktar "$TEST_TMP/t.tar" "symlink:evil:$TEST_TMP/outside" file:evil/planted:x
	import_fails sym "$TEST_TMP/t.tar" "archive entry evil/planted" "symlink"
	[ ! -e "$TEST_TMP/outside/planted" ] || fail "a file was written through the symlink"
}

test_import_refuses_a_relative_symlink_climbing_out() {
	mkdir "$TEST_TMP/outside"
	mktar "$TEST_TMP/t.tar" symlink:up:../../../../../../../../.. "file:up${TEST_TMP}/outside/planted:x"
	import_fails relsym "$TEST_TMP/t.tar" "archive entry up" "symlink"
	[ ! -e "$TEST_TMP/outside/planted" ] || fail "a file was written through the symlink"
}

test_import_refuses_hard_links_out_of_the_layer() {
	local links
	links=$(stat -c %h /etc/passwd)
	mktar "$TEST_TMP/abs.tar" hardlink:h:/etc/passwd
	import_fails hl1 "$TEST_TMP/abs.tar" "archive entry h" "hard link to /etc/passwd"
	mktar "$TEST_TMP/up.tar" hardlink:h:../../../../etc/passwd
	import_fails hl2 "$TEST_TMP/up.tar" "archive entry h" "'..'"
	mktar "$TEST_TMP/via.tar" symlink:etc:/etc hardlink:h:etc/passwd
	import_fails hl3 "$TEST_TMP/via.tar" "archive entry h" "not in this layer"
	assert_eq "$links" "$(stat -c %h /etc/passwd)" "link count of /etc/passwd"
}

test_import_refuses_device_nodes() {
	mktar "$TEST_TMP/t.tar" dir:dev chardev:dev/null:1:3
	import_fails dev "$TEST_TMP/t.tar" "archive entry dev/null" "device nodes"
}

test_import_refuses_a_truncated_archive() {
	mktar "$TEST_TMP/t.tar" file:a:1 big:big:2 file:z:1
	head -c 1200000 "$TEST_TMP/t.tar" >"$TEST_TMP/cut.tar"
	import_fails cut "$TEST_TMP/cut.tar" "archive entry big" "runcated"
}

test_import_refuses_a_corrupt_compressed_archive() {
	mktar "$TEST_TMP/t.tar.gz" file:a:1 big:big:1 file:z:1
	# Overwrite the middle of the deflate stream.
	dd if=/dev/zero of="$TEST_TMP/t.tar.gz" bs=1 seek=4000 count=3000 conv=notrunc status=none
	import_fails corrupt "$TEST_TMP/t.tar.gz" "$TEST_TMP/t.tar.gz"
}

test_import_refuses_an_image_archive_without_its_manifest() {
	mkdir -p "$TEST_TMP/oci/blobs/sha256"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$TEST_TMP/oci/oci-layout"
	tar -C "$TEST_TMP/oci" -cf "$TEST_TMP/oci.tar" oci-layout blobs
	import_fails nomanifest "$TEST_TMP/oci.tar" "index.json is missing"
	mkdir -p "$TEST_TMP/save"
	echo '{}' >"$TEST_TMP/save/repositories"
	tar -C "$TEST_TMP/save" -cf "$TEST_TMP/save.tar" repositories
	import_fails nodocker "$TEST_TMP/save.tar" "manifest is missing"
}

test_import_refuses_a_layer_blob_that_does_not_match_its_digest() {
	local blob
	berth stacks:create busybox >/dev/null
	berth images:export --stack busybox "$TEST_TMP/bb.tar" >/dev/null
	berth stacks:remove busybox >/dev/null
	berth images:gc >/dev/null
	mkdir "$TEST_TMP/oci"
	tar -C "$TEST_TMP/oci" -xf "$TEST_TMP/bb.tar"
	blob=$(jq -r '.[0].Layers[0]' "$TEST_TMP/oci/manifest.json")
	printf 'x' >>"$TEST_TMP/oci/$blob"
	import_fails digest "$TEST_TMP/oci" "$blob" "is corrupt"
}

test_import_refuses_an_existing_stack_name_and_a_missing_file() {
	local status
	berth stacks:create busybox >/dev/null
	run_status status berth stacks:import busybox "$TEST_TMP/none.tar" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "stack busybox already exists"
	run_status status berth stacks:import other "$TEST_TMP/none.tar" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "$TEST_TMP/none.tar: No such file or directory"
}

test_import_on_a_full_disk_fails_cleanly() {
	local small=$TEST_TMP/small
	mkdir "$small"
	mount -t tmpfs -o size=3m tmpfs "$small"
	trap 'umount "$small" 2>/dev/null' RETURN
	export BERTH_ROOT=$small/root
	mktar "$TEST_TMP/t.tar" file:a:1 big:big1:2 big:big2:2 file:z:1
	import_fails full "$TEST_TMP/t.tar" "No space left on device" "archive entry big"
}

test_import_refuses_layout_files_that_lead_out_of_the_layout() {
	local blob
	berth stacks:create busybox >/dev/null
	berth images:export --stack busybox "$TEST_TMP/bb.tar" >/dev/null
	berth stacks:remove busybox >/dev/null
	berth images:gc >/dev/null
	mkdir "$TEST_TMP/oci"
	tar -C "$TEST_TMP/oci" -xf "$TEST_TMP/bb.tar"
	blob=$(jq -r '.[0].Layers[0]' "$TEST_TMP/oci/manifest.json")
	cp "$TEST_TMP/oci/$blob" "$TEST_TMP/outside-blob"
	ln -sf "$TEST_TMP/outside-blob" "$TEST_TMP/oci/$blob"
	import_fails escape "$TEST_TMP/oci" "$blob leads out of the image"
}
