# run:detached --ttl-seconds: the daemon kills a one-off container at its
# deadline, whoever watches, also when it was down at the deadline.
. "$TEST_TOP/tests/lib/daemon.sh"

exists() { [ -e "$BERTH_RUN/containers/$1.json" ]; }
gone() { ! exists "$1"; }
past() { [ "$(date +%s)" -gt "$1" ]; }

test_run_detached_ttl_kills_the_container_when_nobody_watches() {
	deploy_app tt 'web: exec sleep 1000\n'
	daemon_start
	local id keep
	id=$(berth run:detached --ttl-seconds 2 tt sleep 300)
	keep=$(berth run:detached tt sleep 300)
	assert_contains "$id" "tt.run."
	exists "$id" || fail "$id did not start"
	wait_for gone "$id" || fail "$id still there past its --ttl-seconds"
	[ ! -d "/sys/fs/cgroup/unified/$BERTH_CGROUP/$id" ] || fail "cgroup of $id left"
	[ ! -e "$BERTH_RUN/oneoff/$id.deadline" ] || fail "deadline file left"
	exists "$keep" || fail "the one without --ttl-seconds was killed (default: 24 h)"
	local left=$(($(cat "$BERTH_RUN/oneoff/$keep.deadline") - $(date +%s)))
	[ "$left" -gt 86000 ] && [ "$left" -le 86400 ] || fail "default deadline in $left s, not 24 h"
	assert_contains "$(cat "$TEST_TMP/daemon.log")" "$id: --ttl-seconds reached"
}

test_run_detached_ttl_holds_across_a_daemon_that_was_down() {
	deploy_app tt 'web: exec sleep 1000\n'
	daemon_start
	local id deadline
	id=$(berth run:detached --ttl-seconds 2 tt sleep 300)
	deadline=$(cat "$BERTH_RUN/oneoff/$id.deadline")
	daemon_kill9
	wait_for past "$deadline" || fail "the clock did not pass $deadline"
	exists "$id" || fail "$id ended without the daemon"
	daemon_start
	wait_for gone "$id" || fail "$id not killed by the restarted daemon"
	# Started without a daemon: killed once one runs.
	daemon_kill9
	id=$(berth run:detached --ttl-seconds 1 tt sleep 300 2>"$TEST_TMP/err")
	assert_contains "$(cat "$TEST_TMP/err")" "the berth daemon is not running: $id is killed after 1 seconds only once it is"
	daemon_start
	wait_for gone "$id" || fail "$id started without a daemon not killed"
}

test_the_daemon_collects_a_one_off_that_exited_before_it_started() {
	deploy_app tt 'web: exec sleep 1000\n'
	local id
	id=$(berth run:detached tt true 2>/dev/null)
	exists "$id" || fail "$id did not start"
	# Exited (its pid 1 gone) before any daemon ran: no pidfd to wait on.
	wait_for test -e "$BERTH_RUN/containers/$id.status" || fail "$id did not exit"
	daemon_start
	wait_for gone "$id" || fail "$id not collected: $(ls "$BERTH_RUN/containers")"
	[ ! -d "/sys/fs/cgroup/unified/$BERTH_CGROUP/$id" ] || fail "cgroup of $id left"
}
