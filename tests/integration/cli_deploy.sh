# git:from-archive, run and ps:rebuild with Dokku's flags and output.

setup_deployed() { # APP
	berth stacks:create busybox >/dev/null
	berth apps:create "$1" >/dev/null
	mkdir -p "$TEST_TMP/src"
	printf 'web: echo web\nconsole: echo console says\n' >"$TEST_TMP/src/Procfile"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src.tar" .
	berth git:from-archive "$1" -- <"$TEST_TMP/src.tar" >"$TEST_TMP/deploy.out" 2>&1 ||
		{ cat "$TEST_TMP/deploy.out"; fail "deploy of $1 failed"; }
}

test_from_archive_reads_stdin_with_dashes_and_takes_flags_anywhere() {
	setup_deployed fa
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "-----> Fetching tar file from stdin"
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "=====> Application deployed"
	echo changed >"$TEST_TMP/src/new"
	tar -C "$TEST_TMP/src" -czf "$TEST_TMP/src.tgz" .
	berth git:from-archive fa "$TEST_TMP/src.tgz" "Some One" one@example.com --archive-type tar.gz >/dev/null 2>&1
	assert_eq changed "$(berth run fa cat /app/new)"
}

test_from_archive_of_an_unchanged_archive_exits_early() {
	setup_deployed same
	local status
	run_status status berth git:from-archive same "$TEST_TMP/src.tar" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 0 "$status"
	assert_eq " !     No changes detected, skipping git commit
 !     Call 'ps:rebuild' on app to rebuild the app from existing source" "$(cat "$TEST_TMP/err")"
	assert_not_contains "$(cat "$TEST_TMP/out")" "Building"
	[ ! -e "$BERTH_ROOT/apps/same/releases/v2.json" ] || fail "a release was made"
}

test_from_archive_needs_an_archive() {
	berth apps:create fa >/dev/null
	local status
	run_status status berth git:from-archive fa 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Please specify an archive url or -- to fetch the archive from stdin" "$(cat "$TEST_TMP/err")"
}

test_run_takes_dokku_flags_and_procfile_types() {
	setup_deployed r
	assert_eq "a b" "$(berth run --env 'X=a b' r 'echo $X')"
	assert_eq "1 2" "$(berth run --env=X=1 -e=Y=2 --no-tty r 'echo $X $Y')"
	assert_eq "ok" "$(berth run --ttl-seconds 600 --force-tty r echo ok)"
	local out
	out=$(berth run r console extra)
	assert_eq "-----> Found 'console' in Procfile, running that command
console says extra" "$out"
	[[ $(berth run r 'echo $DYNO') =~ ^run\.[0-9]+$ ]] || fail "DYNO is not run.N: $(berth run r 'echo $DYNO')"
	local status
	run_status status berth run --no-tty --force-tty r true 2>"$TEST_TMP/err"
	assert_eq " !     Cannot specify both --force-tty and --no-tty" "$(cat "$TEST_TMP/err")"
	run_status status berth run --ttl-seconds soon r true 2>"$TEST_TMP/err"
	assert_eq " !     --ttl-seconds must be a positive integer" "$(cat "$TEST_TMP/err")"
}

test_ps_rebuild_all_rebuilds_every_deployed_app() {
	setup_deployed one
	berth apps:create undeployed >/dev/null
	berth git:from-archive two -- <"$TEST_TMP/src.tar" >/dev/null 2>&1 && fail "two does not exist yet"
	berth apps:create two >/dev/null
	berth git:from-archive two -- <"$TEST_TMP/src.tar" >/dev/null 2>&1
	berth config:set --no-restart one CHANGED=1 >/dev/null
	berth ps:rebuild --all --parallel 2 >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "ps:rebuild --all"; }
	assert_eq 1 "$(berth run one 'echo $CHANGED')" "one was rebuilt with its new config"
	[ -e "$BERTH_ROOT/apps/one/releases/v2.json" ] || fail "one has no new release"
	assert_contains "$(cat "$TEST_TMP/out")" "Skipping undeployed: not deployed"
}

test_a_locked_app_refuses_deploys_until_unlocked() {
	setup_deployed locked
	berth apps:lock locked >/dev/null
	echo more >"$TEST_TMP/src/more"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src2.tar" .
	local status
	run_status status berth git:from-archive locked "$TEST_TMP/src2.tar" >/dev/null 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "App locked is locked for deployment"
	run_status status berth ps:rebuild locked 2>/dev/null
	assert_eq 1 "$status"
	berth apps:unlock locked >/dev/null
	berth git:from-archive locked "$TEST_TMP/src2.tar" >/dev/null 2>&1
	assert_eq more "$(berth run locked cat /app/more)"
}

test_global_config_vars_reach_processes_and_app_vars_win() {
	setup_deployed g
	berth config:set --global G=global O=global >/dev/null
	berth config:set --no-restart g O=app >/dev/null
	assert_eq "global app" "$(berth run g 'echo $G $O')"
}
