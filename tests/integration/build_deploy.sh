# Deploys: failures leave the running release alone, the release phase, rebuilds
# that reuse, one deploy at a time, buildpacks from git and tarballs.

setup_app() { # APP
	berth stacks:create busybox >/dev/null
	berth apps:create "$1" >/dev/null
}

deploy_dir() { # APP DIR
	tar -C "$2" -cf - . | berth git:from-archive "$1" -
}

procfile_app() { # DIR TEXT
	mkdir -p "$1"
	printf '%s\n' "$2" >"$1/Procfile"
}

test_failing_compile_shows_output_and_records_no_release() {
	setup_app fails
	local bp=$TEST_TMP/bp
	mkdir -p "$bp/bin" "$TEST_TMP/src"
	printf '#!/bin/sh\necho Failing\n' >"$bp/bin/detect"
	printf '#!/bin/sh\necho "boom: the compiler broke"\nexit 3\n' >"$bp/bin/compile"
	chmod +x "$bp"/bin/*
	echo x >"$TEST_TMP/src/x"
	berth buildpacks:set fails "$bp"
	local status
	run_status status deploy_dir fails "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "boom: the compiler broke"
	assert_contains "$(cat "$TEST_TMP/out")" "failed to compile the app (exit 3)"
	[ ! -e "$BERTH_ROOT/apps/fails/current" ] || fail "a failed build activated a release"
	[ -z "$(ls "$BERTH_ROOT/apps/fails/releases")" ] || fail "a failed build recorded a release"
	run_status status berth run fails true 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "has not been deployed"
}

test_failed_deploy_keeps_the_active_release() {
	setup_app keep
	procfile_app "$TEST_TMP/v1" "web: echo v1"
	deploy_dir keep "$TEST_TMP/v1" >/dev/null 2>&1
	procfile_app "$TEST_TMP/v2" "web: echo v2
web: echo duplicate"
	local status
	run_status status deploy_dir keep "$TEST_TMP/v2" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "Procfile line 2: duplicate process type 'web'"
	assert_eq 1 "$(cat "$BERTH_ROOT/apps/keep/current")" "active release"
	assert_contains "$(berth run keep cat /app/Procfile)" "v1"
}

test_release_phase_runs_before_activation_and_its_failure_fails_the_deploy() {
	setup_app relphase
	procfile_app "$TEST_TMP/ok" "web: echo web
release: echo release-ran-as-\$(id -u)"
	deploy_dir relphase "$TEST_TMP/ok" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "release-ran-as-1000"
	procfile_app "$TEST_TMP/bad" "web: echo web2
release: echo migrating; exit 4"
	local status
	run_status status deploy_dir relphase "$TEST_TMP/bad" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "Release phase failed (exit 4)"
	assert_eq 1 "$(cat "$BERTH_ROOT/apps/relphase/current")" "active release"
	[ ! -e "$BERTH_ROOT/apps/relphase/releases/v2.json" ] || fail "the failed release was kept"
}

test_rebuild_without_change_reuses_and_config_change_rebuilds() {
	setup_app rb
	procfile_app "$TEST_TMP/src" "web: echo hi"
	deploy_dir rb "$TEST_TMP/src" >/dev/null 2>&1
	berth ps:rebuild rb >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "No change since v1"
	[ ! -e "$BERTH_ROOT/apps/rb/releases/v2.json" ] || fail "a no-change rebuild made a release"
	berth config:set --no-restart rb NEW=1 >/dev/null
	berth ps:rebuild rb >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: rb v2"
}

test_second_deploy_is_refused_while_one_runs_and_a_killed_one_leaves_no_lock() {
	setup_app busy
	local bp=$TEST_TMP/bp
	mkdir -p "$bp/bin" "$TEST_TMP/src"
	printf '#!/bin/sh\necho Slow\n' >"$bp/bin/detect"
	printf '#!/bin/sh\necho compiling; sleep 30\n' >"$bp/bin/compile"
	chmod +x "$bp"/bin/*
	berth buildpacks:set busy "$bp"
	echo x >"$TEST_TMP/src/x"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src.tar" .
	"$BERTH_BIN" git:from-archive busy "$TEST_TMP/src.tar" >"$TEST_TMP/first" 2>&1 &
	local first=$!
	wait_for grep -q compiling "$TEST_TMP/first" || fail "first deploy did not start"
	local status
	run_status status berth git:from-archive busy "$TEST_TMP/src.tar" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "is being deployed by another push"
	kill -9 "$first"
	wait "$first" 2>/dev/null || true
	# The killed deploy's container goes away with it, and with it the lock.
	berth buildpacks:clear busy
	procfile_app "$TEST_TMP/src" "web: echo ok"
	wait_for sh -c "tar -C '$TEST_TMP/src' -cf - . | '$BERTH_BIN' git:from-archive busy -" ||
		fail "the lock of a killed deploy was not released"
}

test_buildpack_from_git_with_ref_and_from_tgz() {
	setup_app gitbp
	local repo=$TEST_TMP/repo
	mkdir -p "$repo/bin" "$TEST_TMP/src"
	git -C "$repo" init -q
	printf '#!/bin/sh\necho Versioned\n' >"$repo/bin/detect"
	printf '#!/bin/sh\necho v1 >"$1/version"\n' >"$repo/bin/compile"
	chmod +x "$repo"/bin/*
	git -C "$repo" add -A && git -C "$repo" -c user.email=t@t -c user.name=t commit -qm v1 && git -C "$repo" tag v1
	printf '#!/bin/sh\necho v2 >"$1/version"\n' >"$repo/bin/compile"
	git -C "$repo" -c user.email=t@t -c user.name=t commit -qam v2
	echo x >"$TEST_TMP/src/x"
	berth buildpacks:set gitbp "file://$repo#v1"
	deploy_dir gitbp "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_eq v1 "$(berth run gitbp cat /app/version)"
	tar -C "$repo" --exclude .git -czf "$TEST_TMP/bp.tgz" .
	berth buildpacks:set gitbp "file://$TEST_TMP/bp.tgz"
	# Same source: as in Dokku, a buildpack change takes effect on ps:rebuild.
	berth ps:rebuild gitbp >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "rebuild failed"; }
	assert_eq v2 "$(berth run gitbp cat /app/version)"
}

test_unreachable_buildpack_url_is_a_clear_error() {
	setup_app net
	mkdir -p "$TEST_TMP/src" && echo x >"$TEST_TMP/src/x"
	berth config:set --no-restart net "BUILDPACK_URL=https://127.0.0.1:9/buildpack.tgz" >/dev/null
	local status
	run_status status deploy_dir net "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "buildpack: download https://127.0.0.1:9/buildpack.tgz"
}

test_run_passes_env_and_exit_status() {
	setup_app runner
	procfile_app "$TEST_TMP/src" "web: echo hi"
	deploy_dir runner "$TEST_TMP/src" >/dev/null 2>&1
	assert_eq "a b" "$(berth run -e 'X=a b' runner 'echo $X')"
	assert_eq "1 2" "$(berth run runner echo 1 2)"
	local status
	run_status status berth run runner 'exit 7'
	assert_eq 7 "$status"
	assert_eq "1000" "$(berth run runner id -u)"
}

test_zip_archive_with_dokku_archive_type_flag_deploys() {
	setup_app zipped
	command -v python3 >/dev/null || skip "python3 is needed to write a zip"
	procfile_app "$TEST_TMP/src" "web: echo zipped"
	(cd "$TEST_TMP/src" && python3 -c 'import zipfile; z = zipfile.ZipFile("../app.zip", "w"); z.write("Procfile"); z.close()')
	berth git:from-archive --archive-type zip zipped "$TEST_TMP/app.zip" >"$TEST_TMP/out" 2>&1 ||
		{ cat "$TEST_TMP/out"; fail "zip deploy failed"; }
	assert_contains "$(berth run zipped cat /app/Procfile)" "web: echo zipped"
	local status
	run_status status berth git:from-archive --archive-type rar zipped "$TEST_TMP/app.zip" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "Invalid archive type specified, valid archive types include: tar, tar.gz, zip"
}

test_buildpack_output_arrives_line_by_line_in_order_with_the_right_prefixes() {
	setup_app chatty
	local bp=$TEST_TMP/bp
	mkdir -p "$bp/bin" "$TEST_TMP/src"
	printf '#!/bin/sh\necho Chatty\n' >"$bp/bin/detect"
	# stdout and stderr interleaved, a line written in two pieces, a long line.
	cat >"$bp/bin/compile" <<-'SH'
	#!/bin/sh
	echo "out-1"
	echo "err-2" >&2
	printf 'out-3 in '
	printf 'two pieces\n'
	echo "err-4" >&2
	head -c 5000 /dev/zero | tr '\0' x; echo
	echo "       indented-5"
	SH
	chmod +x "$bp"/bin/*
	printf 'web: true\n' >"$TEST_TMP/src/Procfile"
	berth buildpacks:set chatty "$bp"
	deploy_dir chatty "$TEST_TMP/src" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || {
		cat "$TEST_TMP/out" "$TEST_TMP/err"; fail "deploy failed"; }
	# The buildpack's lines verbatim on stdout, in the order written, between the
	# deploy's own prefixed steps; nothing of them on stderr.
	grep -v '^xxxx' "$TEST_TMP/out" | grep -E -- '^(-----> Building|out-|err-|       indented-|=====> Application deployed)' >"$TEST_TMP/seen"
	printf '%s\n' "-----> Building chatty on stack busybox" out-1 err-2 "out-3 in two pieces" err-4 \
		"       indented-5" "=====> Application deployed: chatty v1" >"$TEST_TMP/want"
	diff -u "$TEST_TMP/want" "$TEST_TMP/seen" || fail "build output out of order or mangled"
	# A 5000-byte line comes through whole, in pieces of berth's line size.
	assert_eq 5000 "$(grep '^xxxx' "$TEST_TMP/out" | tr -d '\n' | wc -c)" "long line bytes"
	assert_not_contains "$(cat "$TEST_TMP/err")" "err-2" "stderr"
}

# The deploy sets the first formation with a read-modify-write of settings.json
# under the app's state lock, as every settings edit does: an edit that holds
# the lock across its own read and write (config:set, buildpacks:add, git:set)
# is never overwritten with what the deploy read before it, nor the reverse.
test_a_settings_edit_during_the_deploys_formation_write_loses_nothing() {
	setup_app race
	procfile_app "$TEST_TMP/src" "web: echo web"
	local dir=$BERTH_ROOT/apps/race
	mkfifo "$TEST_TMP/release"
	# The concurrent editor: takes the state lock, reads the settings...
	flock "$dir/state.lock" sh -c "cp '$dir/settings.json' '$TEST_TMP/read.json'; touch '$TEST_TMP/held'; timeout 60 cat '$TEST_TMP/release' >/dev/null; python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
s[\"deploy_branch\"] = \"edited\"
json.dump(s, open(sys.argv[2] + \".tmp\", \"w\"))
' '$TEST_TMP/read.json' '$dir/settings.json'; mv '$dir/settings.json.tmp' '$dir/settings.json'" &
	local editor=$!
	echo "$editor" >>"$TEST_TMP/pids"
	wait_for test -e "$TEST_TMP/held" || fail "the editor did not get the lock"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src.tar" .
	"$BERTH_BIN" git:from-archive race - <"$TEST_TMP/src.tar" >"$TEST_TMP/out" 2>&1 &
	local deploy=$!
	echo "$deploy" >>"$TEST_TMP/pids"
	# ...while the deploy comes to the formation (before its release goes
	# live): it either waits for the lock (a waiter in /proc/locks) or, were it
	# not to take it, writes and ends.
	blocked_or_done() {
		! kill -0 "$deploy" 2>/dev/null || grep -q -- "-> FLOCK .* $deploy " /proc/locks
	}
	wait_for blocked_or_done || fail "the deploy neither waited nor ended"
	# ...and writes what it read with its change.
	echo go >"$TEST_TMP/release"
	wait "$editor"
	local status=0
	wait "$deploy" || status=$?
	[ "$status" = 0 ] || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s.get("deploy_branch") == "edited", "the edit was lost: %r" % s
f = s.get("formation")
assert f in (["web=1"], {"web": 1}, {"web": "1"}), "the formation was lost: %r" % s
' "$dir/settings.json" || fail "settings.json: $(cat "$dir/settings.json")"
}
