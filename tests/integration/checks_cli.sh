# checks:* as Dokku has them (output, flags, exit codes), checks:run against
# running processes, and the checks a source defines (app.json, CHECKS).
. "$TEST_TOP/tests/lib/daemon.sh"

test_checks_report_and_set_follow_dokku() {
	berth apps:create ck >/dev/null
	assert_eq "" "$(berth checks:report ck --checks-wait-to-retire)" "unset"
	assert_eq 60 "$(berth checks:report ck --checks-computed-wait-to-retire)" "default"
	out=$(berth checks:set ck wait-to-retire 30)
	assert_contains "$out" "=====> Setting wait-to-retire to 30"
	assert_eq 30 "$(berth checks:report ck --checks-wait-to-retire)"
	assert_eq 30 "$(berth checks:report ck --checks-computed-wait-to-retire)"
	out=$(berth checks:report ck --checks-invalid-flag 2>&1) && fail "an invalid flag was accepted"
	assert_contains "$out" "Invalid flag passed"
	out=$(berth checks:report ck)
	assert_contains "$out" "=====> ck checks information"
	assert_contains "$out" "Checks disabled list:"
	assert_contains "$out" "Checks computed wait to retire:"
	# --global
	berth checks:set --global wait-to-retire >/dev/null
	assert_eq "" "$(berth checks:report --global --format json | jq -r '."global-wait-to-retire"')"
	assert_eq 60 "$(berth checks:report --global --format json | jq -r '."computed-wait-to-retire"')"
	berth checks:set --global wait-to-retire 90 >/dev/null
	assert_eq 90 "$(berth checks:report --global --format json | jq -r '."global-wait-to-retire"')"
	assert_eq 90 "$(berth checks:report --global --checks-computed-wait-to-retire)"
	assert_contains "$(berth checks:report --global)" "global checks information"
	berth checks:set ck wait-to-retire >/dev/null
	assert_eq 90 "$(berth checks:report ck --checks-computed-wait-to-retire)" "the global value"
	# bad input: one line, exit 1, nothing changed
	out=$(berth checks:set ck 2>&1) && fail "no key accepted"
	assert_contains "$out" "No key specified"
	out=$(berth checks:set ck nosuch 5 2>&1) && fail "an unknown key accepted"
	assert_contains "$out" "Invalid key specified, valid keys include: wait-to-retire"
	out=$(berth checks:set ck wait-to-retire soon 2>&1) && fail "a bad value accepted"
	assert_contains "$out" "Invalid value for wait-to-retire"
	out=$(berth checks:report nosuchapp 2>&1) && fail "an unknown app accepted"
	assert_contains "$out" "App nosuchapp does not exist"
	berth checks:set ck wait 2 >/dev/null
	berth checks:set --global default-wait 3 >/dev/null
	true
}

test_checks_disable_enable_and_skip_keep_dokkus_lists() {
	berth apps:create ck >/dev/null
	assert_eq "-----> Disabling zero downtime for app (ck)" "$(berth checks:disable ck)"
	assert_eq _all_ "$(berth checks:report ck --checks-disabled-list)"
	assert_eq none "$(berth checks:report ck --checks-skipped-list)"
	assert_eq "-----> Enabling zero downtime for app's (ck)" "$(berth checks:enable ck)"
	assert_eq none "$(berth checks:report ck --checks-disabled-list)"
	assert_eq "-----> Disabling zero downtime for app's (ck) proctypes (web,worker,urgentworker,notifications)" \
		"$(berth checks:disable ck web,worker,urgentworker,notifications)"
	assert_eq web,worker,urgentworker,notifications "$(berth checks:report ck --checks-disabled-list)"
	assert_eq "-----> Skipping zero downtime for app's (ck) proctypes (urgentworker,worker)" \
		"$(berth checks:skip ck urgentworker,worker)"
	assert_eq urgentworker,worker "$(berth checks:report ck --checks-skipped-list)"
	assert_eq web,notifications "$(berth checks:report ck --checks-disabled-list)"
	assert_eq "-----> Skipping zero downtime for app (ck)" "$(berth checks:skip ck)"
	assert_eq _all_ "$(berth checks:report ck --checks-skipped-list)"
	assert_eq none "$(berth checks:report ck --checks-disabled-list)"
	berth checks:enable ck web >/dev/null
	assert_eq _all_ "$(berth checks:report ck --checks-skipped-list)"
	out=$(berth checks:disable 2>&1) && fail "no app accepted"
	assert_contains "$out" "Please specify an app to run the command on"
	out=$(berth checks:skip ck 'web;rm' 2>&1) && fail "a bad type list accepted"
	assert_contains "$out" "Invalid process type list"
	assert_contains "$(berth help checks 2>&1 || berth checks:help 2>&1)" "checks:skip"
}

# ck_app: a web process answering "ok <release>" at / on $PORT, and a worker.
ck_app() {
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:create ck >/dev/null
	mkdir -p "$TEST_TMP/src"
	echo "$1" >"$TEST_TMP/src/VERSION"
	printf 'web: mkdir -p /tmp/www && echo "ok $(cat /app/VERSION)" >/tmp/www/index.html && exec httpd -f -p $PORT -h /tmp/www\nworker: exec sleep 1000\n' >"$TEST_TMP/src/Procfile"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src.tar" .
}

ck_deploy() {
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src.tar" .
	berth git:from-archive ck -- <"$TEST_TMP/src.tar" >"$TEST_TMP/deploy.out" 2>&1
}

test_checks_run_checks_running_processes() {
	ck_app v1
	ck_deploy || { cat "$TEST_TMP/deploy.out"; fail "deploy"; }
	daemon_start
	berth ps:scale ck worker=1 >/dev/null
	wait_for running_is ck 2 || fail "not running: $(berth ps:report ck)"
	out=$(berth checks:run ck 2>&1) || { echo "$out"; fail "checks:run failed"; }
	assert_contains "$out" "-----> Running pre-flight checks"
	assert_contains "$out" "-----> Running checks for app (ck.web.1)"
	assert_contains "$out" "Running healthcheck name='port listening check'"
	assert_contains "$out" "All checks successful (web.1)"
	assert_contains "$out" "-----> Running checks for app (ck.worker.1)"
	berth checks:run ck web.1 >/dev/null || fail "checks:run web.1"
	berth checks:run ck web,worker >/dev/null || fail "checks:run web,worker"
	out=$(berth checks:run ck web.3 2>&1) && fail "web.3 accepted"
	assert_contains "$out" "Invalid container index specified (ck.web.3)"
	out=$(berth checks:run ck nosuch 2>&1) && fail "an unknown type accepted"
	assert_contains "$out" "Invalid process type specified (ck.nosuch)"
	berth checks:disable ck worker >/dev/null
	assert_contains "$(berth checks:run ck worker)" "Zero downtime is disabled for app (ck.worker). Skipping checks"
}

test_the_checks_file_and_app_json_of_the_source_are_used() {
	ck_app v1
	ck_deploy || { cat "$TEST_TMP/deploy.out"; fail "deploy"; }
	berth checks:set ck wait-to-retire 0 >/dev/null
	daemon_start
	wait_for running_is ck 1 || fail "not running"
	# the legacy CHECKS file: WAIT, ATTEMPTS and "path content" lines
	printf 'WAIT=0\nATTEMPTS=2\n# the page says which release\n/ ok v2\n' >"$TEST_TMP/src/CHECKS"
	echo v2 >"$TEST_TMP/src/VERSION"
	ck_deploy || { cat "$TEST_TMP/deploy.out"; fail "deploy with CHECKS"; }
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "Deprecated: Usage of the CHECKS file is deprecated"
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "Healthcheck succeeded name='startup check /'"
	# content not found: the deploy fails, v2 stays
	printf 'WAIT=0\nATTEMPTS=1\n/ nowhere-to-be-found\n' >"$TEST_TMP/src/CHECKS"
	echo v3 >"$TEST_TMP/src/VERSION"
	ck_deploy && { cat "$TEST_TMP/deploy.out"; fail "a failing CHECKS content passed"; }
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "without the expected content 'nowhere-to-be-found'"
	# a bad app.json healthcheck: refused at deploy, before anything starts
	rm "$TEST_TMP/src/CHECKS"
	printf '{"healthchecks": {"web": [{"type": "bogus", "path": "/"}]}}\n' >"$TEST_TMP/src/app.json"
	ck_deploy && fail "a bad healthcheck type passed"
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "app.json healthchecks.web[0]: unknown type 'bogus'"
	# checks:skip: no checks, even failing ones, but still a deploy
	printf '{"healthchecks": {"web": [{"path": "/nosuch", "attempts": 1}]}}\n' >"$TEST_TMP/src/app.json"
	echo v4 >"$TEST_TMP/src/VERSION"
	berth checks:skip ck web >/dev/null
	ck_deploy || { cat "$TEST_TMP/deploy.out"; fail "deploy with checks skipped"; }
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "Zero downtime checks have been skipped (web.1)"
	# checks:disable: the old process stops before the new one starts
	berth checks:disable ck web >/dev/null
	echo v5 >"$TEST_TMP/src/VERSION"
	ck_deploy || { cat "$TEST_TMP/deploy.out"; fail "deploy with checks disabled"; }
	assert_contains "$(cat "$TEST_TMP/deploy.out")" "Zero downtime is disabled, stopping currently running containers (web)"
	# (the new process starts once the old one has gone, at an address of its own)
	wait_for sh -c "curl -s -m 1 http://\$(jq -r .addr '$BERTH_RUN/daemon/procs/ck/web.1.json')/ | grep -q 'ok v5'" ||
		fail "v5 not running: $(berth ps:report ck)"
}
