# storage:mount, storage:unmount, storage:list: host directories under the
# allowed root (BERTH_STORAGE_ROOT, default $BERTH_ROOT/storage) bound into the
# app's processes; anything else refused, symlinks and '..' included, also when
# a symlink appears after the mount.
# shellcheck source=tests/helpers/proc.sh
. "$TEST_TOP/tests/helpers/proc.sh"

storage_dir() { # NAME: a directory under the default root the app user owns
	mkdir -p "$BERTH_ROOT/storage/$1"
	chown 1000:1000 "$BERTH_ROOT/storage/$1"
	echo "$BERTH_ROOT/storage/$1"
}

test_storage_mount_binds_a_host_directory_into_app_processes() {
	deploy_app s
	local data ro
	data=$(storage_dir data)
	ro=$(storage_dir config)
	echo from-host >"$ro/setting"
	berth storage:mount s "$data:/app/storage"
	berth storage:mount s "$ro:/etc/app:ro"
	assert_eq "-----> s volume bind-mounts:
       $data:/app/storage
       $ro:/etc/app:ro" "$(berth storage:list s)"
	berth run s 'echo written >/app/storage/out'
	assert_eq written "$(cat "$data/out")" "what the app wrote, on the host"
	assert_eq from-host "$(berth run s cat /etc/app/setting)"
	local status
	run_status status berth run s 'echo x >/etc/app/setting' 2>/dev/null
	[ "$status" != 0 ] || fail "a read-only mount was writable"
	assert_eq from-host "$(cat "$ro/setting")"
	# Detached processes (as the daemon's) get them too.
	berth run:detached s 'echo detached >/app/storage/d; sleep 60' >/dev/null
	wait_for test -s "$data/d" || fail "the detached process did not see the mount"
	berth storage:list s --format json |
		python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[1]["readonly"] is True and d[0]["container_path"] == "/app/storage", d'
}

test_storage_unmount_removes_exactly_one_mount() {
	deploy_app s
	local data
	data=$(storage_dir data)
	berth storage:mount s "$data:/data"
	berth storage:mount s "$data:/data2:ro"
	berth storage:unmount s "$data:/data"
	assert_eq "$data:/data2:ro" "$(berth storage:list s | tail -n 1 | sed 's/^ *//')"
	local status
	run_status status berth storage:unmount s "$data:/data" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Mount path does not exist: $data:/data" "$(cat "$TEST_TMP/err")"
	run_status status berth storage:mount s "$data:/data2" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "Mount path already exists"
	assert_eq "" "$(berth run s 'test -d /data && echo still-there')"
}

test_storage_refuses_paths_outside_the_root_with_dotdot_or_symlinks() {
	deploy_app s
	local data root=$BERTH_ROOT/storage
	data=$(storage_dir data)
	mkdir -p "$TEST_TMP/outside"
	ln -s "$TEST_TMP/outside" "$root/link"
	ln -s / "$data/up"
	cp "$BERTH_ROOT/apps/s/settings.json" "$TEST_TMP/before"
	local status spec
	while IFS='|' read -r spec expected; do
		run_status status berth storage:mount s "$spec" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "storage:mount $spec"
		assert_contains "$(cat "$TEST_TMP/err")" "$expected" "storage:mount $spec"
	done <<-EOF_CASES
	/etc:/etc2|is outside $root
	$TEST_TMP/outside:/o|is outside $root
	$root:/all|is outside $root
	$root/data/../data:/d|without '.', '..'
	$root/./data:/d|without '.', '..'
	$root//data:/d|without '.', '..'
	$root/link:/l|goes through a symlink
	$root/link/x:/l|does not exist
	$data/up:/l|goes through a symlink
	$data/up/etc:/l|goes through a symlink
	relative/path:/l|must be an absolute path
	$root/missing:/m|does not exist
	$data|must be HOST_PATH:CONTAINER_PATH
	$data:relative|Container path relative must be an absolute path
	$data:/|Container path / must be an absolute path
	$data:/a/../b|Container path /a/../b must be
	$data:/d:rx|Storage option 'rx'
	EOF_CASES
	cmp -s "$TEST_TMP/before" "$BERTH_ROOT/apps/s/settings.json" || fail "a refused mount changed the settings"
	run_status status berth storage:mount nope "$data:/d" 2>"$TEST_TMP/err"
	assert_eq 20 "$status"
	run_status status berth storage:mount s 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
}

test_storage_refuses_a_symlink_swapped_in_after_the_mount() {
	deploy_app s
	local data
	data=$(storage_dir data)
	berth storage:mount s "$data:/data"
	rmdir "$data"
	ln -s /etc "$data"
	local status
	run_status status berth run s ls /data 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "goes through a symlink"
}

test_storage_root_comes_from_berth_storage_root() {
	deploy_app s
	mkdir -p "$TEST_TMP/volumes/v"
	local status
	run_status status berth storage:mount s "$TEST_TMP/volumes/v:/v" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	BERTH_STORAGE_ROOT=$TEST_TMP/volumes berth storage:mount s "$TEST_TMP/volumes/v:/v"
	echo hi >"$TEST_TMP/volumes/v/f"
	assert_eq hi "$(BERTH_STORAGE_ROOT=$TEST_TMP/volumes berth run s cat /v/f)"
	# A root that does not exist allows nothing.
	BERTH_STORAGE_ROOT=$TEST_TMP/none run_status status "$BERTH_BIN" storage:mount s "$TEST_TMP/none/x:/x" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
}
