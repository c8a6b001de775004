# resource:limit restarts the processes it applies to (a zero-downtime rollout of
# the active release, as ps:restart), so running processes get the new limits;
# --no-restart leaves them for the next deploy or restart, as Dokku does.
. "$TEST_TOP/tests/lib/daemon.sh"

# the limit as web.1's container sees it (RLIMIT_NPROC stands in for pids.max on
# a host without the pids controller; pids.max where it has one)
nproc_of() { berth enter "$1" "$2" sh -c 'cat /sys/fs/cgroup/pids.max 2>/dev/null | grep -v max || awk "/Max processes/ {print \$3}" /proc/self/limits'; }

test_resource_limit_restarts_the_processes_it_applies_to() {
	deploy_app rr 'web: exec sleep 1000\nworker: exec sleep 1000\n'
	berth checks:skip rr >/dev/null  # a web process that listens on nothing
	daemon_start
	berth ps:scale rr worker=1 >/dev/null
	wait_for running_is rr 2 || fail "not running: $(berth ps:report rr)"
	local web worker out
	web=$(pid_of rr web 1) worker=$(pid_of rr worker 1)
	out=$(berth resource:limit rr --process-type worker --pids 77 2>&1) || fail "resource:limit: $out"
	assert_contains "$out" "-----> Restarting app rr"
	wait_for running_is rr 2 || fail "not running after the restart: $(berth ps:report rr)"
	[ "$(pid_of rr worker 1)" != "$worker" ] || fail "worker.1 was not restarted"
	assert_eq "$web" "$(pid_of rr web 1)" "web.1, which the worker limit does not touch"
	assert_eq 77 "$(nproc_of rr worker.1)" "worker.1's pids limit"
	# --no-restart: stored, nothing restarts
	worker=$(pid_of rr worker 1)
	out=$(berth resource:limit rr --pids 66 --no-restart 2>&1) || fail "resource:limit --no-restart: $out"
	assert_not_contains "$out" "Restarting"
	assert_eq "$web $worker" "$(pid_of rr web 1) $(pid_of rr worker 1)" "pids after --no-restart"
	assert_contains "$(berth resource:report rr)" "66"
}
