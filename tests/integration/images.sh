# The layer store and stacks: busybox stacks, listing, reports, removal, garbage
# collection, and build layers committed from a container's writable layer.

layer_count() { find "$BERTH_ROOT/layers" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l; }

stack_layers() { berth stacks:report "$1" --format json | jq -r '.layers | join(" ")'; }

test_stacks_create_busybox_makes_a_stack_that_runs() {
	local out start end
	start=$(date +%s%N)
	berth stacks:create busybox >"$TEST_TMP/out"
	end=$(date +%s%N)
	assert_contains "$(cat "$TEST_TMP/out")" "=====> Creating stack busybox from busybox-static"
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Stack busybox created: 1 layer"
	[ $(((end - start) / 1000000)) -lt 3000 ] || fail "stacks:create busybox took $(((end - start) / 1000000)) ms"
	out=$(berth runtime:run --stack busybox -- sh -c 'id -un; stat -c %a /tmp; grep -c "^root:\|^app:" /etc/passwd; ls /usr/bin/awk')
	assert_eq "app
1777
2
/usr/bin/awk" "$out"
	if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
		berth runtime:run --stack busybox -- test -s /etc/ssl/certs/ca-certificates.crt ||
			fail "the host's CA certificates are missing from the stack"
	fi
}

test_stacks_create_busybox_twice_stores_one_layer() {
	berth stacks:create busybox >/dev/null
	berth stacks:create busybox tiny >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "already stored"
	assert_eq 1 "$(layer_count)" "layers"
	assert_eq "$(stack_layers busybox)" "$(stack_layers tiny)"
}

test_stacks_create_refuses_an_existing_name_and_a_bad_one() {
	local status
	berth stacks:create busybox >/dev/null
	run_status status berth stacks:create busybox 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "stack busybox already exists"
	run_status status berth stacks:create busybox 'Bad/Name' 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "not a valid stack name"
	run_status status berth stacks:create alpine 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "unknown kind 'alpine'"
}

test_stacks_list_and_report_describe_the_stack() {
	local json
	berth stacks:create busybox >/dev/null
	assert_contains "$(berth stacks:list)" "busybox"
	assert_contains "$(berth stacks:report busybox)" "       Stack layers:              1"
	assert_contains "$(berth stacks:report busybox)" "Stack env:                 PATH=/usr/local/sbin"
	json=$(berth stacks:list --format json)
	assert_eq busybox "$(echo "$json" | jq -r '.[0].name')"
	[ "$(echo "$json" | jq -r '.[0].size')" -gt 1000000 ] || fail "stack size: $json"
	assert_eq 1 "$(berth images:list --format json | jq length)" "layers in images:list"
	assert_eq "stack:busybox" "$(berth images:list --format json | jq -r '.[0].used_by[0]')"
}

test_stacks_remove_then_gc_frees_the_layer() {
	berth stacks:create busybox >/dev/null
	berth stacks:remove busybox >/dev/null
	assert_contains "$(berth images:list)" "(unused: images:gc removes it)"
	berth images:gc >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "Removed layer"
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Freed 1 layer, 2."
	assert_eq 0 "$(layer_count)" "layers after gc"
	berth images:gc >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "Nothing to free"
}

test_images_gc_keeps_layers_another_stack_uses() {
	berth stacks:create busybox >/dev/null
	berth stacks:create busybox other >/dev/null
	berth stacks:remove busybox >/dev/null
	berth images:gc >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "Nothing to free"
	assert_eq 1 "$(layer_count)"
	assert_eq hi "$(berth runtime:run --stack other -- echo hi)"
}

test_images_gc_removes_leftovers_of_dead_imports() {
	berth stacks:create busybox >/dev/null
	mkdir -p "$BERTH_ROOT/layers/.tmp-999999-abcdef/root/etc" "$BERTH_ROOT/tmp/import-999999-abcdef"
	mkdir -p "$BERTH_ROOT/layers/.tmp-$$-live"
	berth images:gc >/dev/null
	[ ! -e "$BERTH_ROOT/layers/.tmp-999999-abcdef" ] || fail "a dead import's temp layer is left"
	[ ! -e "$BERTH_ROOT/tmp/import-999999-abcdef" ] || fail "a dead import's scratch space is left"
	[ -d "$BERTH_ROOT/layers/.tmp-$$-live" ] || fail "gc removed the temp layer of a live process"
	assert_eq 1 "$(layer_count)"
}

test_runtime_run_with_an_unknown_stack_is_one_clear_line() {
	local status
	run_status status berth runtime:run --stack nope -- true 2>"$TEST_TMP/err"
	assert_eq 125 "$status"
	assert_eq " !     runtime:run: stack nope does not exist; see 'berth stacks:list'" "$(cat "$TEST_TMP/err")"
}

test_images_commit_turns_a_kept_upper_layer_into_a_layer() {
	local id out
	berth stacks:create busybox >/dev/null
	berth runtime:run --stack busybox --user 0 --keep-upper "$TEST_TMP/up" -- sh -c \
		'rm /etc/os-release; mkdir /srv; echo hi >/srv/x; rm -rf /var/tmp; mkdir /var/tmp; touch /var/tmp/n; rm -rf /home/app'
	id=$(berth images:commit "$TEST_TMP/up")
	[ ! -e "$TEST_TMP/up" ] || fail "the committed directory is still there"
	out=$(berth runtime:run --stack busybox --layer "$BERTH_ROOT/layers/$id/root" -- sh -c \
		'ls /etc/os-release 2>&1; cat /srv/x; ls -A /var/tmp; ls -A /home')
	assert_eq "ls: /etc/os-release: No such file or directory
hi
n" "$out" "deleted file, new file, opaque directory, deleted directory"
	berth images:verify "$id" >/dev/null
	# The same change again is the same layer.
	berth runtime:run --stack busybox --user 0 --keep-upper "$TEST_TMP/up2" -- sh -c 'rm /etc/os-release'
	berth runtime:run --stack busybox --user 0 --keep-upper "$TEST_TMP/up3" -- sh -c 'rm /etc/os-release'
	touch -d @1700000000 "$TEST_TMP/up2" "$TEST_TMP/up2/etc" "$TEST_TMP/up3" "$TEST_TMP/up3/etc"
	assert_eq "$(berth images:commit "$TEST_TMP/up2")" "$(berth images:commit "$TEST_TMP/up3")" "ids of equal changes"
	[ ! -e "$TEST_TMP/up3" ] || fail "a directory equal to a stored layer was not removed"
}

test_images_commit_copies_from_another_filesystem() {
	local id
	mkdir "$TEST_TMP/other"
	mount -t tmpfs tmpfs "$TEST_TMP/other"
	trap 'umount "$TEST_TMP/other" 2>/dev/null' RETURN
	mkdir -p "$TEST_TMP/other/up/etc"
	echo hello >"$TEST_TMP/other/up/etc/motd"
	ln "$TEST_TMP/other/up/etc/motd" "$TEST_TMP/other/up/etc/motd2"
	mknod "$TEST_TMP/other/up/etc/gone" c 0 0
	setfattr -n user.overlay.opaque -v y "$TEST_TMP/other/up/etc" 2>/dev/null ||
		python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.overlay.opaque", b"y")' "$TEST_TMP/other/up/etc"
	id=$(berth images:commit "$TEST_TMP/other/up")
	[ ! -e "$TEST_TMP/other/up" ] || fail "the source directory is still there"
	local root=$BERTH_ROOT/layers/$id/root
	assert_eq "hello" "$(cat "$root/etc/motd")"
	assert_eq "$(stat -c %i "$root/etc/motd")" "$(stat -c %i "$root/etc/motd2")" "hard link kept"
	assert_eq "character special file 0,0" "$(stat -c '%F %t,%T' "$root/etc/gone")" "whiteout kept"
	assert_eq "y" "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' "$root/etc")"
	berth images:verify "$id" >/dev/null
}

test_stacks_create_debian_without_a_mirror_is_one_clear_line() {
	local status
	command -v debootstrap >/dev/null || skip "debootstrap is not installed"
	run_status status berth stacks:create debian --mirror http://127.0.0.1:9/debian >/dev/null 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "stderr lines"
	assert_contains "$(cat "$TEST_TMP/err")" "no Debian mirror reachable at http://127.0.0.1:9/debian"
	[ -z "$(find "$BERTH_ROOT/tmp" "$BERTH_ROOT/stacks" -mindepth 1)" ] ||
		fail "left behind: $(find "$BERTH_ROOT/tmp" "$BERTH_ROOT/stacks" -mindepth 1)"
	assert_eq 0 "$(layer_count)"
}

test_stacks_create_debian_stores_what_debootstrap_made() {
	# A stand-in for debootstrap: the same arguments, a tiny tree, device nodes.
	cat >"$TEST_TMP/debootstrap" <<-'SH'
	#!/bin/sh
	echo "I: stand-in debootstrap $*"
	for target; do :; done
	eval "target=\${$(($#-1))}"
	mkdir -p "$target/etc" "$target/dev" "$target/var/cache/apt/archives" "$target/bin"
	cp "$(command -v busybox)" "$target/bin/sh"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$target/etc/passwd"
	echo 'root:x:0:' >"$target/etc/group"
	mknod "$target/dev/null" c 1 3
	echo deb >"$target/var/cache/apt/archives/x.deb"
	SH
	chmod +x "$TEST_TMP/debootstrap"
	BERTH_DEBOOTSTRAP=$TEST_TMP/debootstrap berth stacks:create debian deb --suite trixie --include curl,git >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "I: stand-in debootstrap --variant=minbase --include=curl,git trixie"
	assert_contains "$(cat "$TEST_TMP/out")" "Stack deb created: 1 layer"
	assert_eq "app 1000" "$(berth runtime:run --stack deb -- /bin/sh -c 'grep ^app: /etc/passwd | cut -d: -f1; stat -c %u /home/app' | tr '\n' ' ' | sed 's/ $//')"
	[ ! -e "$BERTH_ROOT/layers/$(stack_layers deb)/root/var/cache/apt/archives/x.deb" ] || fail "apt cache kept"
	[ ! -e "$BERTH_ROOT/layers/$(stack_layers deb)/root/dev/null" ] || fail "device node kept"
	[ -z "$(ls -A "$BERTH_ROOT/tmp")" ] || fail "scratch space left"
}

test_images_verify_detects_a_changed_layer() {
	local status
	berth stacks:create busybox >/dev/null
	berth images:verify >/dev/null
	echo tampered >>"$BERTH_ROOT/layers/$(stack_layers busybox)/root/etc/passwd"
	run_status status berth images:verify >/dev/null 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "its content no longer matches its id"
}
