# stacks:import: root filesystem tarballs in any compression, directories, stdin,
# OCI layouts and docker-save archives; whiteouts; what is kept of the image config.

mktar() { python3 "$TEST_TOP/tests/integration/images-mktar.py" "$@"; }

layer_count() { find "$BERTH_ROOT/layers" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l; }

stack_layers() { berth stacks:report "$1" --format json | jq -r '.layers | join(" ")'; }

sha() { sha256sum "$1" | cut -d' ' -f1; }

# docker_save DIR OUT: a docker-save tarball of two layers over the busybox rootfs:
# layer 2 deletes /a/x (whiteout) and replaces /b (opaque) with /b/new.
docker_save() {
	local d=$1 out=$2 l1 l2 cfg
	mkdir -p "$d/l1" "$d/l2" "$d/r1/a" "$d/r1/b/sub" "$d/r2/a" "$d/r2/b"
	cp -a "$(busybox_rootfs)/." "$d/r1/"
	echo x >"$d/r1/a/x"
	echo y >"$d/r1/a/y"
	echo old >"$d/r1/b/sub/old"
	tar -C "$d/r1" -cf "$d/l1/layer.tar" .
	: >"$d/r2/a/.wh.x"
	: >"$d/r2/b/.wh..wh..opq"
	echo new >"$d/r2/b/new"
	tar -C "$d/r2" -cf "$d/l2/layer.tar" ./a ./b
	l1=$(sha "$d/l1/layer.tar")
	l2=$(sha "$d/l2/layer.tar")
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin:/bin","GREETING=hello"],"WorkingDir":"/b","User":"1000:1000"},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
		"$l1" "$l2" >"$d/config.json"
	cfg=$(sha "$d/config.json")
	mv "$d/config.json" "$d/$cfg.json"
	printf '[{"Config":"%s.json","RepoTags":["test:latest"],"Layers":["l1/layer.tar","l2/layer.tar"]}]' "$cfg" \
		>"$d/manifest.json"
	tar -C "$d" -cf "$out" "$cfg.json" l1 l2 manifest.json
}

test_import_rootfs_tarball_in_every_compression_stores_one_layer() {
	local c out
	tar -C "$(busybox_rootfs)" -cf "$TEST_TMP/rootfs.tar" .
	gzip -k "$TEST_TMP/rootfs.tar"
	xz -k "$TEST_TMP/rootfs.tar"
	zstd -q -k "$TEST_TMP/rootfs.tar"
	bzip2 -k "$TEST_TMP/rootfs.tar"
	for c in tar tar.gz tar.xz tar.zst tar.bz2; do
		berth stacks:import "r-${c//./-}" "$TEST_TMP/rootfs.$c" >"$TEST_TMP/out"
		assert_contains "$(cat "$TEST_TMP/out")" "Stack r-${c//./-} imported: 1 layer"
	done
	assert_eq 1 "$(layer_count)" "layers stored for five imports of the same content"
	out=$(berth runtime:run --stack r-tar-zst -- sh -c 'id -un; cat /etc/group | head -1')
	assert_eq "app
root:x:0:" "$out"
	berth images:verify >/dev/null
}

test_import_gives_the_same_id_whatever_the_entry_order() {
	mkdir -p "$TEST_TMP/t/d"
	echo 1 >"$TEST_TMP/t/z"
	echo 2 >"$TEST_TMP/t/a"
	echo 3 >"$TEST_TMP/t/d/m"
	touch -d @1700000000 "$TEST_TMP/t/z" "$TEST_TMP/t/a" "$TEST_TMP/t/d/m" "$TEST_TMP/t/d" "$TEST_TMP/t"
	tar -C "$TEST_TMP/t" --no-recursion -cf "$TEST_TMP/one.tar" ./z ./d/m ./a ./d .
	tar -C "$TEST_TMP/t" --no-recursion -cf "$TEST_TMP/two.tar" . ./a ./d ./d/m ./z
	tar -C "$TEST_TMP/t" -cf "$TEST_TMP/three.tar" --sort=name .
	berth stacks:import one "$TEST_TMP/one.tar" >/dev/null
	berth stacks:import two "$TEST_TMP/two.tar" >/dev/null
	berth stacks:import three "$TEST_TMP/three.tar" >/dev/null
	assert_eq "$(stack_layers one)" "$(stack_layers two)" "layer ids"
	assert_eq "$(stack_layers one)" "$(stack_layers three)" "layer ids"
	assert_eq 1 "$(layer_count)" "layers"
}

test_import_keeps_numeric_owners_modes_times_and_special_files() {
	local root
	mktar "$TEST_TMP/t.tar" owned:x:1234:5678 symlink:l:x dir:d fifo:d/p file:d/f:hi hardlink:d/h:d/f
	berth stacks:import special "$TEST_TMP/t.tar" >/dev/null
	root=$BERTH_ROOT/layers/$(stack_layers special)/root
	assert_eq "1234:5678 4755 1700000000" "$(stat -c '%u:%g %a %Y' "$root/x")" "owner, mode, mtime of x"
	assert_eq "x" "$(readlink "$root/l")" "symlink target"
	assert_eq "fifo" "$(stat -c %F "$root/d/p")" "fifo"
	assert_eq "$(stat -c %i "$root/d/f")" "$(stat -c %i "$root/d/h")" "hard link inode"
	assert_eq "755 0:0 0" "$(stat -c '%a %u:%g %Y' "$root")" "implied root directory"
	berth images:verify >/dev/null
}

test_import_reads_stdin_for_a_rootfs_and_for_an_image_archive() {
	tar -C "$(busybox_rootfs)" -cf - . | berth stacks:import piped - >/dev/null
	assert_eq hi "$(berth runtime:run --stack piped -- echo hi)"
	berth images:export --stack piped - | berth stacks:import again - >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "OCI image, 1 layer"
	assert_eq "$(stack_layers piped)" "$(stack_layers again)" "layer of the re-imported export"
	[ -z "$(ls -A "$BERTH_ROOT/tmp")" ] || fail "scratch space left: $(ls -A "$BERTH_ROOT/tmp")"
}

test_import_copies_a_root_filesystem_directory() {
	berth stacks:import dir "$(busybox_rootfs)" >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "root filesystem directory"
	assert_eq hi "$(berth runtime:run --stack dir -- echo hi)"
	[ -x "$(busybox_rootfs)/bin/busybox" ] || fail "the source directory was changed"
	berth images:verify >/dev/null
}

test_import_docker_save_applies_whiteouts_opaque_dirs_and_config() {
	local out
	docker_save "$TEST_TMP/save" "$TEST_TMP/save.tar"
	berth stacks:import saved "$TEST_TMP/save.tar" >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "docker save archive, 2 layers"
	out=$(berth runtime:run --stack saved -- sh -c 'ls /a; ls /b; echo "$GREETING $(pwd)"')
	assert_eq "y
new
hello /b" "$out" "files after the whiteout and the opaque directory"
	assert_eq "1000:1000" "$(berth stacks:report saved --format json | jq -r .user)" "image config User"
	berth images:verify >/dev/null
}

test_import_docker_save_checks_layers_against_diff_ids() {
	docker_save "$TEST_TMP/save" "$TEST_TMP/save.tar"
	tar -C "$TEST_TMP/save" -rf "$TEST_TMP/save/l2/layer.tar" manifest.json
	tar -C "$TEST_TMP/save" -cf "$TEST_TMP/bad.tar" "$(cd "$TEST_TMP/save" && ls ./*.json | grep -v manifest)" l1 l2 manifest.json
	local status
	run_status status berth stacks:import bad "$TEST_TMP/bad.tar" >/dev/null 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "layer 2 of 2 (l2/layer.tar) is corrupt"
}

test_runtime_run_stack_env_and_workdir_yield_to_the_command_line() {
	docker_save "$TEST_TMP/save" "$TEST_TMP/save.tar"
	berth stacks:import saved "$TEST_TMP/save.tar" >/dev/null
	assert_eq "hello /b" "$(berth runtime:run --stack saved -- sh -c 'echo "$GREETING $(pwd)"')"
	assert_eq "bye /" "$(berth runtime:run --stack saved --env GREETING=bye --workdir / -- sh -c 'echo "$GREETING $(pwd)"')"
}

test_import_oci_layout_as_directory_and_as_tar_match_the_export() {
	berth stacks:create busybox >/dev/null
	berth images:export --stack busybox "$TEST_TMP/bb.tar" >/dev/null
	mkdir "$TEST_TMP/layout"
	tar -C "$TEST_TMP/layout" -xf "$TEST_TMP/bb.tar"
	berth stacks:import fromdir "$TEST_TMP/layout" >/dev/null
	berth stacks:import fromtar "$TEST_TMP/bb.tar" >/dev/null
	assert_eq "$(stack_layers busybox)" "$(stack_layers fromdir)" "layer from the OCI directory"
	assert_eq "$(stack_layers busybox)" "$(stack_layers fromtar)" "layer from the OCI archive"
	assert_eq 1 "$(layer_count)" "layers"
}

test_import_accepts_a_path_archived_twice() {
	echo 1 >"$TEST_TMP/a"
	# GNU tar stores the second copy as a hard link to itself.
	tar -C "$TEST_TMP" -cf "$TEST_TMP/twice.tar" ./a ./a
	tar -tvf "$TEST_TMP/twice.tar" | grep -q "link to" || skip "this tar does not archive repeats as links"
	berth stacks:import twice "$TEST_TMP/twice.tar" >/dev/null
	assert_eq 1 "$(cat "$BERTH_ROOT/layers/$(stack_layers twice)/root/a")" "content of a"
}

test_import_describes_tricky_archives_as_they_land_on_disk() {
	local root
	# Rewritten files, a hard link to the old version, a symlink replaced by a file,
	# repeated directories, implied parents, whiteouts, an opaque marker, a fifo.
	mktar "$TEST_TMP/t.tar" file:a:1 file:a:2 dir:d dir:d hardlink:h:a file:a:3 \
		symlink:s:a file:s:4 file:x/y/z:5 file:w/.wh.gone: file:o/.wh..wh..opq: fifo:p \
		xattr:attr:user.note:kept xattr:forged:user.overlay.redirect:/etc
	berth stacks:import tricky "$TEST_TMP/t.tar" >/dev/null
	root=$BERTH_ROOT/layers/$(stack_layers tricky)/root
	assert_eq "3 2 4" "$(cat "$root/a") $(cat "$root/h") $(cat "$root/s")" "contents of a, h, s"
	assert_eq "character special file" "$(stat -c %F "$root/w/gone")" "whiteout"
	assert_eq "kept []" "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.note").decode(), os.listxattr(sys.argv[2]))' "$root/attr" "$root/forged")" \
		"a user xattr is kept, overlayfs metadata from an image is not"
	berth images:verify >"$TEST_TMP/out" || fail "the layer's id does not match its content: $(cat "$TEST_TMP/out")"
}
