# ps:set's Dokku properties at work: procfile-path (the Procfile a deploy
# reads), skip-deploy (built, not deployed), start-cmd (every process's
# command), dockerfile-start-cmd (kept and reported), and their ps:report rows.
. "$TEST_TOP/tests/lib/daemon.sh"

# deploy_src APP: the app deployed from $TEST_TMP/src-APP as it is now.
deploy_src() {
	tar -C "$TEST_TMP/src-$1" -cf "$TEST_TMP/src-$1.tar" .
	berth git:from-archive "$1" -- <"$TEST_TMP/src-$1.tar" >"$TEST_TMP/deploy-$1.out" 2>&1 ||
		{ cat "$TEST_TMP/deploy-$1.out"; fail "deploy of $1 failed"; }
}

test_ps_set_properties_report_raw_global_and_computed_values() {
	berth apps:create p >/dev/null
	local status
	assert_eq "-----> Setting procfile-path to .dokku/Procfile" "$(berth ps:set --global procfile-path .dokku/Procfile)"
	assert_eq ".dokku/Procfile|.dokku/Procfile|" \
		"$(berth ps:report p --format json | jq -r '"\(."computed-procfile-path")|\(."ps-global-procfile-path")|\(."procfile-path")"')"
	berth ps:set p procfile-path deploy/Procfile.web >/dev/null
	assert_eq "deploy/Procfile.web" "$(berth ps:report p --ps-computed-procfile-path)"
	berth ps:set --global procfile-path >/dev/null
	berth ps:set p procfile-path >/dev/null
	assert_eq "Procfile" "$(berth ps:report p --ps-computed-procfile-path)"
	berth ps:set --global skip-deploy true >/dev/null
	berth ps:set p skip-deploy false >/dev/null
	assert_eq "false true false" "$(berth ps:report p --format json | jq -r '"\(."skip-deploy") \(."global-skip-deploy") \(."computed-skip-deploy")"')"
	assert_eq "true" "$(berth ps:report --global --ps-computed-skip-deploy)"
	berth ps:set p start-cmd 'echo hi; exec sleep 1' >/dev/null
	assert_eq "echo hi; exec sleep 1" "$(berth ps:report p --ps-computed-start-cmd)"
	berth ps:set p dockerfile-start-cmd 'node app.js' >/dev/null 2>"$TEST_TMP/err"
	assert_eq " !     berth builds no Dockerfiles: dockerfile-start-cmd is kept and reported, and changes no process (start-cmd sets the command of buildpack apps)" "$(cat "$TEST_TMP/err")"
	assert_eq "node app.js" "$(berth ps:report p --ps-computed-dockerfile-start-cmd)"
	# ps:set's own edits keep the others (ps:stop rewrites ps.json too).
	berth ps:set p restart-policy always >/dev/null
	assert_eq "echo hi; exec sleep 1|node app.js|false" \
		"$(berth ps:report p --format json | jq -r '"\(."start-cmd")|\(."dockerfile-start-cmd")|\(."skip-deploy")"')"
	assert_eq '["computed-procfile-path","computed-restart-policy","computed-skip-deploy","computed-stop-timeout-seconds","global-procfile-path","global-restart-policy","global-skip-deploy","global-stop-timeout-seconds"]' \
		"$(berth ps:report --global --format json | jq -c '[keys[] | select(startswith("ps-") | not)]')"
	# Refused, and nothing changes.
	for args in "--global start-cmd x" "--global dockerfile-start-cmd x"; do
		run_status status berth ps:set $args 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "ps:set $args"
		assert_eq " !     Property cannot be specified globally" "$(cat "$TEST_TMP/err")"
	done
	for bad in /etc/passwd ../Procfile a/../../b ./Procfile 'a b' 'x;id' dir/; do
		run_status status berth ps:set p procfile-path "$bad" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "procfile-path '$bad'"
		assert_eq " !     Invalid procfile-path '$bad': a file's path relative to the source's root (letters, digits, '.', '_', '-', '/'; no '..')" "$(cat "$TEST_TMP/err")"
	done
	run_status status berth ps:set p skip-deploy yes 2>"$TEST_TMP/err"
	assert_eq " !     Invalid skip-deploy value 'yes': true or false" "$(cat "$TEST_TMP/err")"
	run_status status berth ps:set p colour blue 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid property specified, valid properties include: dockerfile-start-cmd, procfile-path, restart-policy, skip-deploy, start-cmd, stop-timeout-seconds" "$(cat "$TEST_TMP/err")"
	assert_eq "Procfile|false" "$(berth ps:report p --format json | jq -r '"\(."computed-procfile-path")|\(."skip-deploy")"')"
}

test_a_deploy_reads_the_procfile_at_procfile_path() {
	berth stacks:create busybox >/dev/null
	berth apps:create mono >/dev/null
	mkdir -p "$TEST_TMP/src-mono/.dokku"
	printf 'web: echo root\n' >"$TEST_TMP/src-mono/Procfile"
	printf 'web: echo chosen\nworker: echo worker\n' >"$TEST_TMP/src-mono/.dokku/Procfile"
	echo '<p>hi</p>' >"$TEST_TMP/src-mono/index.html"
	berth ps:set mono procfile-path .dokku/Procfile >/dev/null
	deploy_src mono
	assert_contains "$(cat "$TEST_TMP/deploy-mono.out")" "       worker: echo worker"
	assert_eq "web: echo chosen
worker: echo worker" "$(berth run mono cat /app/Procfile)" "the Procfile the app runs with"
	assert_eq '[{"process_type":"web","quantity":1},{"process_type":"worker","quantity":0}]' \
		"$(berth ps:scale mono --format json)"
	# The global value applies to an app without its own.
	berth ps:set mono procfile-path >/dev/null
	berth ps:set --global procfile-path .dokku/Procfile >/dev/null
	echo change >"$TEST_TMP/src-mono/change"
	deploy_src mono
	assert_eq "web: echo chosen" "$(berth run mono head -n 1 /app/Procfile)"
	# A path the source lacks: the app has no Procfile (Dokku's), not the root one.
	berth ps:set mono procfile-path missing/Procfile >/dev/null
	echo change2 >"$TEST_TMP/src-mono/change"
	deploy_src mono
	assert_eq "no Procfile" "$(berth run mono 'test -e /app/Procfile && echo Procfile || echo no Procfile')"
	assert_contains "$(cat "$TEST_TMP/deploy-mono.out")" "Static app detected"
	assert_not_contains "$(cat "$TEST_TMP/deploy-mono.out")" "echo root"
	# The chosen file may not be a symbolic link out of the source.
	rm -f "$TEST_TMP/src-mono/.dokku/Procfile"
	ln -s /etc/shadow "$TEST_TMP/src-mono/.dokku/Procfile"
	berth ps:set mono procfile-path .dokku/Procfile >/dev/null
	local status
	tar -C "$TEST_TMP/src-mono" -cf "$TEST_TMP/bad.tar" .
	run_status status berth git:from-archive mono "$TEST_TMP/bad.tar" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status" "a symlinked Procfile"
	assert_contains "$(cat "$TEST_TMP/out")" ".dokku/Procfile is a symbolic link"
	assert_eq 3 "$(cat "$BERTH_ROOT/apps/mono/current")" "the active release after the refused deploy"
}

test_skip_deploy_builds_a_release_but_leaves_the_running_one() {
	deploy_app sk 'web: echo v1; exec sleep 1000\n'
	berth checks:skip sk >/dev/null
	daemon_start
	wait_for running_is sk 1 || fail "v1 did not start"
	local pid
	pid=$(pid_of sk web 1)
	berth ps:set sk skip-deploy true >/dev/null
	printf 'web: echo v2; exec sleep 1000\n' >"$TEST_TMP/src-sk/Procfile"
	deploy_src sk
	assert_contains "$(cat "$TEST_TMP/deploy-sk.out")" "-----> Skipping deployment (ps:set sk skip-deploy): v2 is built, the active release stays"
	assert_not_contains "$(cat "$TEST_TMP/deploy-sk.out")" "Application deployed"
	[ -e "$BERTH_ROOT/apps/sk/releases/v2.json" ] || fail "v2 was not recorded"
	assert_eq 1 "$(cat "$BERTH_ROOT/apps/sk/current")" "active release"
	assert_eq "$pid" "$(pid_of sk web 1)" "the running process"
	assert_eq 1 "$(berth ps:report sk --format json | jq -r '."status-web-1"' | grep -c running)"
	# The global value, overridden by the app's false: deploys go live again.
	berth ps:set --global skip-deploy true >/dev/null
	berth ps:set sk skip-deploy false >/dev/null
	printf 'web: echo v3; exec sleep 1000\n' >"$TEST_TMP/src-sk/Procfile"
	deploy_src sk
	assert_contains "$(cat "$TEST_TMP/deploy-sk.out")" "=====> Application deployed: sk v3"
	wait_for sh -c "'$BERTH_BIN' logs sk -q | grep -qx v3" || fail "v3 did not run: $(berth logs sk)"
	# Only the global one: skipped; releases:rollback makes a skipped build live.
	berth ps:set sk skip-deploy >/dev/null
	printf 'web: echo v4; exec sleep 1000\n' >"$TEST_TMP/src-sk/Procfile"
	deploy_src sk
	assert_contains "$(cat "$TEST_TMP/deploy-sk.out")" "Skipping deployment"
	assert_eq 3 "$(cat "$BERTH_ROOT/apps/sk/current")"
	berth releases:rollback sk v4 >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "rollback to v4"; }
	wait_for sh -c "'$BERTH_BIN' logs sk -q | grep -qx v4" || fail "v4 did not run: $(berth logs sk)"
}

test_skip_deploy_on_a_first_deploy_starts_nothing() {
	berth stacks:create busybox >/dev/null
	berth apps:create first >/dev/null
	berth ps:set --global skip-deploy true >/dev/null
	mkdir -p "$TEST_TMP/src-first"
	printf 'web: exec sleep 1000\n' >"$TEST_TMP/src-first/Procfile"
	daemon_start
	deploy_src first
	assert_contains "$(cat "$TEST_TMP/deploy-first.out")" "-----> Skipping deployment (ps:set first skip-deploy): v1 is built, nothing runs"
	assert_eq "false" "$(berth ps:report first --deployed)"
	assert_eq 0 "$(count_running first)"
}

test_start_cmd_replaces_the_command_of_every_process_type() {
	deploy_app sc 'web: echo procfile $DYNO; exec sleep 1000\nworker: echo procfile $DYNO; exec sleep 1000\n'
	berth checks:skip sc >/dev/null
	berth ps:scale sc worker=1 >/dev/null 2>&1 || true
	daemon_start
	berth ps:scale sc web=1 worker=1 >/dev/null
	wait_for running_is sc 2 || fail "did not start: $(berth ps:report sc)"
	berth ps:set sc start-cmd 'echo start-cmd $DYNO; exec sleep 1000' >/dev/null
	berth ps:restart sc >/dev/null 2>&1
	wait_for sh -c "'$BERTH_BIN' logs sc -q | grep -qx 'start-cmd web.1'" || fail "web.1: $(berth logs sc)"
	wait_for sh -c "'$BERTH_BIN' logs sc -q | grep -qx 'start-cmd worker.1'" || fail "worker.1: $(berth logs sc)"
	# One-off containers keep the command they are given.
	assert_eq "run" "$(berth run sc echo run)"
	berth ps:set sc start-cmd >/dev/null
	berth ps:restart sc >/dev/null 2>&1
	wait_for sh -c "'$BERTH_BIN' logs sc -p web.1 -n 1 -q | grep -qx 'procfile web.1'" || fail "unset: $(berth logs sc)"
}
