# Interop with the OCI tools Debian ships: what berth exports, skopeo reads, umoci
# unpacks and runc runs; what umoci builds (with a file deleted in an upper layer),
# berth imports and runs without that file.

need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || skip "$t is not installed"
	done
}

stack_layers() { berth stacks:report "$1" --format json | jq -r '.layers | join(" ")'; }

test_export_is_read_by_skopeo_unpacked_by_umoci_and_run_by_runc() {
	local id=berth-test-$$ out
	need_tools skopeo umoci runc
	berth stacks:create busybox >/dev/null
	berth images:export --stack busybox "$TEST_TMP/bb.tar" >/dev/null
	out=$(skopeo inspect "oci-archive:$TEST_TMP/bb.tar")
	assert_eq "linux amd64 1" "$(echo "$out" | jq -r '"\(.Os) \(.Architecture) \(.Layers | length)"')" "skopeo inspect"
	skopeo copy -q "oci-archive:$TEST_TMP/bb.tar" "oci:$TEST_TMP/layout:latest"
	umoci unpack --image "$TEST_TMP/layout:latest" "$TEST_TMP/bundle" >/dev/null
	jq '.process.terminal = false | .process.args = ["/bin/sh", "-c", "echo hello from runc; cat /etc/os-release | head -1"]' \
		"$TEST_TMP/bundle/config.json" >"$TEST_TMP/config.json"
	mv "$TEST_TMP/config.json" "$TEST_TMP/bundle/config.json"
	trap 'runc delete -f "$id" >/dev/null 2>&1' RETURN
	out=$(timeout 60 runc run -b "$TEST_TMP/bundle" "$id" </dev/null)
	assert_eq 'hello from runc
NAME="berth busybox"' "$out" "runc output"
}

test_export_then_import_gives_back_the_same_layers() {
	berth stacks:create busybox >/dev/null
	berth images:export --stack busybox "$TEST_TMP/bb.tar" >/dev/null
	berth stacks:import copy "$TEST_TMP/bb.tar" >/dev/null
	assert_eq "$(stack_layers busybox)" "$(stack_layers copy)" "layer ids after a round trip"
	berth images:export --stack copy - >"$TEST_TMP/copy.tar"
	assert_eq "$(tar -xOf "$TEST_TMP/bb.tar" manifest.json | jq -c '.[0].Layers')" \
		"$(tar -xOf "$TEST_TMP/copy.tar" manifest.json | jq -c '.[0].Layers')" "layer blobs of both exports"
}

test_umoci_image_with_a_deleted_file_runs_without_it() {
	local out
	need_tools umoci skopeo
	berth stacks:create busybox >/dev/null
	umoci init --layout "$TEST_TMP/img"
	umoci new --image "$TEST_TMP/img:app"
	umoci unpack --image "$TEST_TMP/img:app" "$TEST_TMP/b1" >/dev/null
	cp -a "$BERTH_ROOT/layers/$(stack_layers busybox)/root/." "$TEST_TMP/b1/rootfs/"
	echo secret >"$TEST_TMP/b1/rootfs/etc/secret"
	mkdir -p "$TEST_TMP/b1/rootfs/srv/old"
	echo a >"$TEST_TMP/b1/rootfs/srv/old/a"
	umoci repack --image "$TEST_TMP/img:app" "$TEST_TMP/b1" >/dev/null
	umoci unpack --image "$TEST_TMP/img:app" "$TEST_TMP/b2" >/dev/null
	rm "$TEST_TMP/b2/rootfs/etc/secret"
	rm -r "$TEST_TMP/b2/rootfs/srv/old"
	umoci repack --image "$TEST_TMP/img:app" "$TEST_TMP/b2" >/dev/null
	umoci config --image "$TEST_TMP/img:app" --config.env GREETING=hi --config.workingdir /srv >/dev/null
	# The layout as umoci left it, and as skopeo copies it into an archive.
	skopeo copy -q "oci:$TEST_TMP/img:app" "oci-archive:$TEST_TMP/img.tar"
	berth stacks:import fromdir "$TEST_TMP/img" >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "OCI image, "
	berth stacks:import fromtar "$TEST_TMP/img.tar" >/dev/null
	assert_eq "$(stack_layers fromdir)" "$(stack_layers fromtar)" "layers of the directory and the archive"
	out=$(berth runtime:run --stack fromtar -- sh -c 'ls /etc/secret 2>&1; ls -A /srv; echo "$GREETING $(pwd)"')
	assert_eq "ls: /etc/secret: No such file or directory
hi /srv" "$out" "the deleted file and directory are gone"
	[ -f "$BERTH_ROOT/layers/$(stack_layers fromtar | cut -d' ' -f1)/root/etc/secret" ] ||
		fail "the lower layer lost the file: whiteouts must hide it, not delete it"
	berth images:verify >/dev/null
}
