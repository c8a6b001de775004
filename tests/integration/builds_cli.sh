# builds:*: every deploy leaves a record (Dokku's schema) and its output under
# $BERTH_ROOT/apps/APP/builds; builds:cancel really stops a running build.

bsetup() { # APP
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:create "$1" >/dev/null
}

# A tar of a Procfile app, deployed with git:from-archive.
bdeploy() { # APP PROCFILE-TEXT
	mkdir -p "$TEST_TMP/src-$1"
	printf '%b' "$2" >"$TEST_TMP/src-$1/Procfile"
	tar -C "$TEST_TMP/src-$1" -cf "$TEST_TMP/src-$1.tar" .
	berth git:from-archive "$1" "$TEST_TMP/src-$1.tar"
}

# A buildpack whose compile says a word, then runs CMD.
make_buildpack() { # DIR CMD
	mkdir -p "$1/bin"
	printf '#!/bin/sh\necho Testpack\n' >"$1/bin/detect"
	printf '#!/bin/sh\necho compile-started\n%s\n' "$2" >"$1/bin/compile"
	chmod +x "$1"/bin/*
}

records() { ls "$BERTH_ROOT/apps/$1/builds/"*.json 2>/dev/null | wc -l; }
newest_id() { berth builds:list "$1" --format json | jq -r '.[0].id'; }

test_a_deploy_leaves_a_succeeded_record_with_its_output() {
	bsetup bok
	local out id json
	assert_eq "No builds recorded for this app" "$(berth builds:list bok)"
	bdeploy bok 'web: sleep 1000\n' >/dev/null 2>&1 || fail "deploy failed"
	out=$(berth builds:list bok)
	assert_contains "$out" "succeeded"
	assert_contains "$out" "git:from-archive"
	id=$(newest_id bok)
	json=$(berth builds:info bok "$id" --format json)
	assert_eq "build" "$(jq -r .kind <<<"$json")"
	assert_eq "succeeded" "$(jq -r .status <<<"$json")"
	assert_eq 0 "$(jq -r .exit_code <<<"$json")"
	assert_eq "$BERTH_ROOT/apps/bok/builds/$id.log" "$(jq -r .log_path <<<"$json")"
	[ "$(jq -r .finished_at <<<"$json")" != null ] || fail "no finished_at"
	# The record is Dokku's schema, written whole.
	jq -e '.id and .app and .kind and .pid and .started_at and .finished_at and .status and .source' \
		"$BERTH_ROOT/apps/bok/builds/$id.json" >/dev/null || fail "record lacks fields"
	out=$(berth builds:output bok "$id")
	assert_contains "$out" "-----> Unpacking source"
	assert_contains "$out" "=====> Application deployed: bok v1"
	assert_contains "$(berth builds:info bok "$id")" "Log:"
	# A rebuild is a build, a config change a deploy, each with its source.
	berth ps:rebuild bok >/dev/null 2>&1 || fail "rebuild failed"
	berth config:set bok A=1 >/dev/null 2>&1 || fail "config:set failed"
	json=$(berth builds:list bok --format json)
	assert_eq "config-redeploy deploy" "$(jq -r '.[0] | "\(.source) \(.kind)"' <<<"$json")"
	assert_eq "ps:rebuild build" "$(jq -r '.[1] | "\(.source) \(.kind)"' <<<"$json")"
	assert_eq 2 "$(berth builds:list bok --kind build --format json | jq length)"
	assert_eq 1 "$(berth builds:list bok --kind deploy --format json | jq length)"
	assert_eq "succeeded" "$(berth builds:report bok --build-status)"
	assert_eq "config-redeploy" "$(berth builds:report bok --build-source)"
	# The records move with the app.
	berth apps:rename bok bok2 >/dev/null 2>&1 || fail "rename failed"
	json=$(berth builds:info bok2 "$id" --format json)
	assert_eq "bok2 $BERTH_ROOT/apps/bok2/builds/$id.log" "$(jq -r '"\(.app) \(.log_path)"' <<<"$json")"
	assert_contains "$(berth builds:output bok2 "$id")" "Application deployed: bok v1"
}

test_a_git_push_leaves_a_git_hook_record() {
	berth stacks:create busybox >/dev/null
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t
	export GIT_COMMITTER_EMAIL=t@example.com GIT_CONFIG_NOSYSTEM=1 HOME=$TEST_TMP
	mkdir -p "$TEST_TMP/src"
	cp -r "$TEST_TOP/examples/hello/." "$TEST_TMP/src/"
	git -C "$TEST_TMP/src" init -q -b main
	git -C "$TEST_TMP/src" add -A
	git -C "$TEST_TMP/src" commit -qm hello
	git -C "$TEST_TMP/src" push -q --receive-pack="$BERTH_BIN git-receive-pack" /bpush main \
		>"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "push failed"; }
	assert_eq "git-hook build succeeded" \
		"$(berth builds:list bpush --format json | jq -r '.[0] | "\(.source) \(.kind) \(.status)"')"
	assert_contains "$(berth builds:output bpush "$(newest_id bpush)")" "Application deployed: bpush v1"
}

test_a_failing_build_leaves_a_failed_record_with_the_reason() {
	bsetup bfail
	make_buildpack "$TEST_TMP/bp" 'echo "boom: the compiler broke"; exit 3'
	berth buildpacks:set bfail "$TEST_TMP/bp"
	local rc id json out
	run_status rc bdeploy bfail 'web: sleep 1000\n' >/dev/null 2>&1
	assert_eq 1 "$rc" "failing deploy"
	id=$(newest_id bfail)
	json=$(berth builds:info bfail "$id" --format json)
	assert_eq "failed" "$(jq -r .status <<<"$json")"
	assert_eq 1 "$(jq -r .exit_code <<<"$json")"
	out=$(berth builds:output bfail "$id")
	assert_contains "$out" "boom: the compiler broke"
	assert_contains "$out" " !     "
	assert_contains "$out" "exit 3"
	assert_contains "$(berth builds:list bfail --status failed)" "$id"
	# logs:failed still shows the failed deploy.
	assert_contains "$(berth logs:failed bfail 2>/dev/null)" "boom: the compiler broke"
}

no_cgroup_left() {
	local cg
	for cg in /sys/fs/cgroup/unified/$BERTH_CGROUP /sys/fs/cgroup/$BERTH_CGROUP; do
		[ -d "$cg" ] || continue
		[ -z "$(find "$cg" -mindepth 1 -type d)" ] || return 1
	done
}

test_builds_cancel_stops_a_build_that_never_ends_and_frees_the_deploy_lock() {
	bsetup bcan
	make_buildpack "$TEST_TMP/bp" 'while :; do sleep 1; done'
	berth buildpacks:set bcan "$TEST_TMP/bp"
	mkdir -p "$TEST_TMP/src-bcan"
	printf 'web: sleep 1000\n' >"$TEST_TMP/src-bcan/Procfile"
	tar -C "$TEST_TMP/src-bcan" -cf "$TEST_TMP/src-bcan.tar" .
	"$BERTH_BIN" git:from-archive bcan "$TEST_TMP/src-bcan.tar" >"$TEST_TMP/first" 2>&1 &
	local first=$! rc start took id pid json
	echo "$first" >>"$TEST_TMP/pids"
	wait_for grep -q compile-started "$TEST_TMP/first" || fail "the build did not start"
	id=$(newest_id bcan)
	json=$(berth builds:list --format json)
	assert_eq "$id running" "$(jq -r '.[0] | "\(.id) \(.display_status)"' <<<"$json")" "running builds"
	assert_eq "$id" "$(berth builds:report bcan --build-id)"
	pid=$(jq -r '.[0].pid' <<<"$json")
	# builds:output current follows the live build until it ends.
	"$BERTH_BIN" builds:output bcan current >"$TEST_TMP/follow" 2>&1 &
	local follower=$!
	echo "$follower" >>"$TEST_TMP/pids"
	wait_for grep -q compile-started "$TEST_TMP/follow" || fail "builds:output current did not follow"
	start=$(date +%s)
	out=$(berth builds:cancel bcan)
	took=$(($(date +%s) - start))
	assert_contains "$out" "-----> Killing app deploy"
	[ "$took" -le 8 ] || fail "builds:cancel took ${took}s"
	run_status rc wait "$first"
	[ "$rc" -ne 0 ] || fail "the canceled deploy succeeded"
	! kill -0 "$pid" 2>/dev/null || fail "the deploy process $pid is still there"
	wait_for no_cgroup_left || fail "a cgroup is left: $(find /sys/fs/cgroup/unified/$BERTH_CGROUP -mindepth 1 -type d)"
	! grep -q "$TEST_TMP" /proc/self/mountinfo || fail "a mount is left"
	wait "$follower" || fail "builds:output current failed"
	assert_contains "$(cat "$TEST_TMP/follow")" "compile-started"
	assert_contains "$(cat "$TEST_TMP/follow")" "Build canceled"
	json=$(berth builds:info bcan "$id" --format json)
	assert_eq "canceled -1" "$(jq -r '"\(.status) \(.exit_code)"' <<<"$json")"
	assert_eq "No builds currently running" "$(berth builds:list)"
	assert_contains "$(berth builds:cancel bcan)" "App not currently deploying"
	# The lock is free: the next deploy runs at once.
	berth buildpacks:clear bcan
	bdeploy bcan 'web: sleep 1001\n' >"$TEST_TMP/second" 2>&1 || { cat "$TEST_TMP/second"; fail "the next deploy failed"; }
	assert_eq "succeeded" "$(berth builds:report bcan --build-status)"
}

test_a_killed_deploy_shows_abandoned_and_is_finalised_as_failed() {
	bsetup bab
	make_buildpack "$TEST_TMP/bp" 'while :; do sleep 1; done'
	berth buildpacks:set bab "$TEST_TMP/bp"
	mkdir -p "$TEST_TMP/src-bab"
	printf 'web: sleep 1000\n' >"$TEST_TMP/src-bab/Procfile"
	tar -C "$TEST_TMP/src-bab" -cf "$TEST_TMP/src-bab.tar" .
	"$BERTH_BIN" git:from-archive bab "$TEST_TMP/src-bab.tar" >"$TEST_TMP/first" 2>&1 &
	local first=$! id
	echo "$first" >>"$TEST_TMP/pids"
	wait_for grep -q compile-started "$TEST_TMP/first" || fail "the build did not start"
	id=$(newest_id bab)
	kill -9 "$first"
	wait "$first" 2>/dev/null || true
	assert_contains "$(berth builds:list bab)" "abandoned"
	assert_eq "abandoned" "$(berth builds:report bab --build-status)"
	assert_contains "$(berth builds:cancel bab)" "Build $id was already terminated, marking failed"
	assert_eq "failed -1" "$(berth builds:info bab "$id" --format json | jq -r '"\(.status) \(.exit_code)"')"
}

test_retention_prunes_old_records_and_their_logs() {
	bsetup bret
	bdeploy bret 'web: sleep 1000\n' >/dev/null 2>&1 || fail "deploy failed"
	berth builds:set bret retention 2 | grep -q "Setting retention to 2" || fail "set said nothing"
	assert_eq 2 "$(berth builds:report bret --builds-retention)"
	assert_eq 2 "$(berth builds:report bret --builds-computed-retention)"
	local i
	for i in 1 2 3; do
		berth config:set bret "K=$i" >/dev/null 2>&1 || fail "config:set $i failed"
	done
	assert_eq 2 "$(records bret)" "records kept"
	assert_eq 2 "$(ls "$BERTH_ROOT/apps/bret/builds/"*.log | wc -l)" "logs kept"
	assert_eq "config-redeploy" "$(berth builds:list bret --format json | jq -r '.[1].source')"
	# Cleared: the global setting, then Dokku's default of 20.
	berth builds:set --global retention 7 >/dev/null
	berth builds:set bret retention >/dev/null
	assert_eq "" "$(berth builds:report bret --builds-retention)"
	assert_eq 7 "$(berth builds:report bret --builds-computed-retention)"
	assert_eq 7 "$(berth builds:report --global --builds-global-retention)"
	berth builds:set --global retention 1 >/dev/null
	berth builds:prune bret
	assert_eq 1 "$(records bret)" "after builds:prune"
	berth builds:set --global retention "" >/dev/null
	assert_eq 20 "$(berth builds:report bret --builds-computed-retention)"
	local rc
	for bad in 0 abc -3; do
		run_status rc berth builds:set bret retention "$bad" 2>"$TEST_TMP/err"
		assert_eq 1 "$rc" "retention $bad"
		assert_contains "$(cat "$TEST_TMP/err")" "Invalid retention"
	done
	run_status rc berth builds:set bret keep 3 2>"$TEST_TMP/err"
	assert_eq 1 "$rc"
	assert_contains "$(cat "$TEST_TMP/err")" 'Invalid property "keep" (allowed: retention)'
}

test_builds_commands_refuse_bad_input_with_one_line() {
	bsetup bbad
	local rc
	run_status rc berth builds:list bbad --kind=garbage 2>"$TEST_TMP/err"
	assert_eq 1 "$rc"
	assert_contains "$(cat "$TEST_TMP/err")" "Invalid --kind"
	run_status rc berth builds:list bbad --format yaml 2>"$TEST_TMP/err"
	assert_eq 1 "$rc"
	run_status rc berth builds:info bbad nonexistent 2>"$TEST_TMP/err"
	assert_eq 1 "$rc"
	assert_eq " !     No build record found for bbad/nonexistent" "$(cat "$TEST_TMP/err")"
	run_status rc berth builds:info bbad ../../config 2>/dev/null
	assert_eq 1 "$rc" "an id with a path"
	run_status rc berth builds:list nosuch 2>/dev/null
	assert_eq 20 "$rc" "unknown app"
	run_status rc berth builds:cancel nosuch 2>/dev/null
	assert_eq 20 "$rc" "unknown app"
	assert_contains "$(berth builds:cancel bbad)" "App not currently deploying"
	assert_contains "$(berth builds:output bbad)" "App not currently deploying"
	assert_contains "$(berth builds:help)" "Manage running and historical builds"
	assert_contains "$(berth builds)" "builds:cancel"
	[ ! -e "$BERTH_ROOT/apps/bbad/builds" ] || fail "bad input left a builds directory"
}
