# Config vars through releases to running processes: hostile values (spaces,
# quotes, $, backslashes, newlines) survive every round trip and reach a
# supervised process unchanged; a config change restarts it on a new release, a
# --no-restart one does not; a rollback brings the old vars back to it.
. "$TEST_TOP/tests/lib/daemon.sh"

SPACES='a  b   c '
QUOTES=$'it\'s "double" and \'single\''
DOLLAR='$HOME ${PATH} $(id) `id` $'
BACKSL='back\slash \n \\ \" end\'
NEWLINES=$'line one\nline two\n\n'
EQUALS='a=b==c'
UNICODE='héllo ✓'

# The environment of app $1's web.1 command (the child of its container's pid 1)
# compared with the expected values above; prints what differs.
check_env() {
	local pid1 child
	pid1=$(pid_of "$1" web 1)
	child=$(cat "/proc/$pid1/task/$pid1/children" | awk '{print $1}')
	[ -n "$child" ] || { echo "no command process under pid $pid1"; return; }
	E_SPACES=$SPACES E_QUOTES=$QUOTES E_DOLLAR=$DOLLAR E_BACKSL=$BACKSL E_NEWLINES=$NEWLINES \
	E_EQUALS=$EQUALS E_UNICODE=$UNICODE python3 - "$child" <<'EOF'
import os, sys
raw = open("/proc/%s/environ" % sys.argv[1], "rb").read().split(b"\0")
env = dict(kv.decode().split("=", 1) for kv in raw if b"=" in kv)
for k in ["SPACES", "QUOTES", "DOLLAR", "BACKSL", "NEWLINES", "EQUALS", "UNICODE"]:
    if env.get(k) != os.environ["E_" + k]:
        print("%s: got %r, want %r" % (k, env.get(k), os.environ["E_" + k]))
EOF
}

# wait until app $1's web.1 runs release $2
runs_release() {
	[ "$(jq -r .release "$BERTH_RUN/daemon/procs/$1/web.1.json" 2>/dev/null)" = "$2" ] &&
		[ "$(jq -r .state "$BERTH_RUN/daemon/procs/$1/web.1.json")" = running ]
}

test_hostile_values_reach_the_process_unchanged_through_every_round_trip() {
	deploy_app hv 'web: exec sleep 1000\n'
	berth checks:skip hv >/dev/null  # a web process that listens on nothing
	daemon_start
	wait_for running_is hv 1 || fail "did not start"
	berth config:set hv "SPACES=$SPACES" "QUOTES=$QUOTES" "DOLLAR=$DOLLAR" "BACKSL=$BACKSL" \
		"NEWLINES=$NEWLINES" "EQUALS=$EQUALS" "UNICODE=$UNICODE" >"$TEST_TMP/out" ||
		fail "config:set: $(cat "$TEST_TMP/out")"
	wait_for runs_release hv 2 || fail "web.1 not on v2: $(berth ps:report hv)"
	assert_eq "" "$(check_env hv)" "config:set"
	# config:get and config:get --quoted as a shell reads it back
	assert_eq "$DOLLAR" "$(berth config:get hv DOLLAR)"
	eval "q=$(berth config:get --quoted hv NEWLINES)"
	assert_eq "$NEWLINES" "$q" "--quoted"
	# exports, read by a shell
	(
		eval "$(berth config:export --format exports hv)"
		[ "$BACKSL" = "$(printf '%s' 'back\slash \n \\ \" end\')" ] || exit 1
		[ "$NEWLINES" = $'line one\nline two\n\n' ] || exit 2
		[ "$QUOTES" = $'it\'s "double" and \'single\'' ] || exit 3
	) || fail "exports did not read back ($?)"
	# envfile out, clear, envfile in: a new release with the same values
	berth config:export --format envfile hv >"$TEST_TMP/env"
	berth config:clear --no-restart hv >/dev/null
	berth config:import hv "$TEST_TMP/env" >/dev/null
	wait_for runs_release hv 3 || fail "web.1 not on v3: $(berth ps:report hv)"
	assert_eq "" "$(check_env hv)" "envfile round trip"
	# json out, clear, json in
	berth config:export --format json hv >"$TEST_TMP/json"
	berth config:clear --no-restart hv >/dev/null
	berth config:import --format json hv "$TEST_TMP/json" >/dev/null
	wait_for runs_release hv 4 || fail "web.1 not on v4: $(berth ps:report hv)"
	assert_eq "" "$(check_env hv)" "json round trip"
	# json-list and docker-args hold every value too
	got=$(berth config:export --format json-list hv | jq -j '.[] | select(.name == "NEWLINES") | .value'; printf x)
	assert_eq "${NEWLINES}x" "$got" "json-list"
}

test_config_set_restarts_on_a_new_release_and_no_restart_does_not() {
	deploy_app cr 'web: exec sleep 1000\n'
	berth checks:skip cr >/dev/null  # a web process that listens on nothing
	daemon_start
	wait_for running_is cr 1 || fail "did not start"
	pid=$(pid_of cr web 1)
	berth config:set --no-restart cr LATER=1 >/dev/null
	assert_eq "$pid" "$(pid_of cr web 1)" "--no-restart restarted"
	assert_eq 1 "$(jq -r .release "$BERTH_RUN/daemon/procs/cr/web.1.json")"
	assert_eq 1 "$(berth releases cr --format json | jq length)"
	berth config:set cr NOW=1 >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Restarting app cr"
	wait_for runs_release cr 2 || fail "not restarted on v2: $(berth ps:report cr)"
	[ "$(pid_of cr web 1)" != "$pid" ] || fail "same process after config:set"
	child() { local p; p=$(pid_of cr web 1); awk '{print $1}' "/proc/$p/task/$p/children"; }
	env_of() { tr '\0' '\n' <"/proc/$(child)/environ" | grep -E "^(LATER|NOW|NEW|G)=" | sort | xargs; }
	# the pending --no-restart var came with the next release
	assert_eq "LATER=1 NOW=1" "$(env_of)"
	# ps:restart makes a release of pending vars
	berth config:unset --no-restart cr LATER >/dev/null
	berth config:set --no-restart cr NEW=1 >/dev/null
	berth ps:restart cr >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "Releasing cr v3: Set NEW; Unset LATER"
	wait_for runs_release cr 3 || fail "not on v3 after ps:restart: $(berth ps:report cr)"
	assert_eq "NEW=1 NOW=1" "$(env_of)"
	# a rollback brings v1's vars back to the process
	berth releases:rollback cr v1 >/dev/null
	wait_for runs_release cr 4 || fail "not on v4 after rollback: $(berth ps:report cr)"
	assert_eq "" "$(env_of)"
	# a global var reaches it at its next start, under the app's own
	berth config:set cr NOW=app >/dev/null
	wait_for runs_release cr 5 || fail "not on v5: $(berth ps:report cr)"
	berth config:set --global G=global NOW=global >/dev/null
	berth ps:restart cr >/dev/null
	has_global() { tr '\0' '\n' <"/proc/$(child)/environ" | grep -qx G=global; }
	wait_for has_global ||
		fail "global var not seen after ps:restart"
	assert_eq "G=global NOW=app" "$(env_of)"
}

test_a_second_config_change_waits_for_a_running_deploy() {
	deploy_app wt 'web: exec sleep 1000\n'
	berth checks:skip wt >/dev/null  # a web process that listens on nothing
	exec 8>"$BERTH_ROOT/apps/wt/deploy.lock"
	flock 8
	berth config:set wt A=1 >"$TEST_TMP/out" 2>&1 &
	setter=$!
	wait_for grep -q "Waiting for the deploy of wt in progress to finish" "$TEST_TMP/out" ||
		fail "no waiting message: $(cat "$TEST_TMP/out")"
	flock -u 8
	exec 8>&-
	wait "$setter" || fail "config:set failed: $(cat "$TEST_TMP/out")"
	assert_eq "Set A" "$(berth releases:info wt --release-description)"
}
