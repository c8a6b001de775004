# resource:limit, resource:limit-clear, resource:report: limits per process type,
# stored in the app's settings, applied to every process of the app (run, and the
# daemon's through release_spec), and said to be "not enforced" where this host
# cannot enforce them.
# shellcheck source=tests/helpers/proc.sh
. "$TEST_TOP/tests/helpers/proc.sh"

controller_available() {
	grep -qw "$1" "$(cgroup2_root)/cgroup.subtree_control"
}

test_resource_limit_sets_shows_and_clears_limits_per_process_type() {
	deploy_app l "web: sleep 1000" "worker: sleep 1000"
	local out
	out=$(berth resource:limit l --memory 512m --cpu 1.5 2>/dev/null)
	assert_eq "=====> Setting resource limits for l
       cpu: 1.5
       memory: 512m" "$out"
	out=$(berth resource:limit --process-type worker --pids 100 l 2>/dev/null)
	assert_eq "=====> Setting resource limits for l (worker)
       pids: 100" "$out"
	assert_eq "=====> resource limits l information [defaults]
       cpu: 1.5
       memory: 512m
       pids:" "$(berth resource:limit l)"
	assert_eq "=====> resource limits l information (worker)
       cpu:
       memory:
       pids: 100" "$(berth resource:limit --process-type worker l)"
	assert_eq 512m "$(berth resource:report l --resource-_default_.limit.memory)"
	assert_eq 100 "$(berth resource:report l --resource-worker.limit.pids)"
	assert_eq "" "$(berth resource:report l --resource-web.limit.pids)"
	# One value cleared with "clear", then a type's, then all.
	assert_contains "$(berth resource:limit l --cpu clear 2>/dev/null)" "cpu: cleared"
	assert_eq "" "$(berth resource:report l --resource-_default_.limit.cpu)"
	berth resource:limit-clear --process-type worker l >/dev/null
	assert_eq "" "$(berth resource:report l --resource-worker.limit.pids)"
	assert_eq 512m "$(berth resource:report l --resource-_default_.limit.memory)"
	berth resource:limit-clear l >/dev/null
	assert_eq "" "$(berth resource:report l --resource-_default_.limit.memory)"
}

test_resource_limit_refuses_absurd_values_and_unknown_names_without_change() {
	deploy_app l
	berth resource:limit l --memory 256m >/dev/null 2>&1
	cp "$BERTH_ROOT/apps/l/settings.json" "$TEST_TMP/before"
	local status args
	while IFS='|' read -r args expected; do
		# shellcheck disable=SC2086
		run_status status berth resource:limit $args 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "resource:limit $args"
		assert_eq " !     $expected" "$(cat "$TEST_TMP/err")" "resource:limit $args"
	done <<-'EOF_CASES'
	l --memory 12|Invalid --memory '12': use a size between 6m and 1p with a unit b, k, m, g or t (e.g. 512m)
	l --memory 99999999t|Invalid --memory '99999999t': use a size between 6m and 1p with a unit b, k, m, g or t (e.g. 512m)
	l --memory -1m|Invalid --memory '-1m': use a size between 6m and 1p with a unit b, k, m, g or t (e.g. 512m)
	l --cpu 0|Invalid --cpu '0': use a number of CPUs between 0.01 and 1024 (e.g. 1.5)
	l --cpu 5000|Invalid --cpu '5000': use a number of CPUs between 0.01 and 1024 (e.g. 1.5)
	l --cpu nan|Invalid --cpu 'nan': use a number of CPUs between 0.01 and 1024 (e.g. 1.5)
	l --cpu 1 --pids 1|Invalid --pids '1': use a number of processes between 2 and 4194304
	l --pids 99999999|Invalid --pids '99999999': use a number of processes between 2 and 4194304
	l --pids 12abc|Invalid --pids '12abc': use a number of processes between 2 and 4194304
	l --process-type nope --cpu 1|Process type nope is not in app l's Procfile
	l --process-type ../x --cpu 1|Invalid process type '../x'
	l --swap 1g|resource:limit: unknown flag --swap; see 'berth resource:limit --help'
	EOF_CASES
	cmp -s "$TEST_TMP/before" "$BERTH_ROOT/apps/l/settings.json" || fail "a refused limit changed the settings"
	run_status status berth resource:limit nope --cpu 1 2>"$TEST_TMP/err"
	assert_eq 20 "$status"
	assert_eq " !     App nope does not exist" "$(cat "$TEST_TMP/err")"
	run_status status berth resource:report nope 2>"$TEST_TMP/err"
	assert_eq 20 "$status"
}

test_resource_limits_reach_the_app_processes() {
	deploy_app l "web: sleep 1000" "worker: sleep 1000"
	berth resource:limit l --pids 77 --memory 64m --cpu 0.5 >/dev/null 2>&1
	berth resource:limit --process-type run l --pids 66 >/dev/null 2>&1
	local id cg limits
	id=$(berth run:detached l sleep 60)
	cg=$(berth_cgroup_dir)/$id
	limits=$(berth enter l "${id#l.}" cat /proc/self/limits)
	# pids: the run type's own value wins over the default. Enforced by the pids
	# controller where the host has it, else by the container's RLIMIT_NPROC.
	if controller_available pids; then
		assert_eq 66 "$(cat "$cg/pids.max")"
	else
		assert_contains "$limits" "Max processes             66                   66"
	fi
	if controller_available memory; then
		assert_eq $((64 << 20)) "$(cat "$cg/memory.max")"
	fi
	if controller_available cpu; then
		assert_eq "50000 100000" "$(cat "$cg/cpu.max")"
	fi
	# Attached runs get them too.
	if ! controller_available pids; then
		assert_contains "$(berth run l cat /proc/self/limits)" "Max processes             66"
	fi
}

test_resource_report_says_what_this_host_does_not_enforce() {
	deploy_app l
	local out key
	out=$(berth resource:report l)
	assert_contains "$out" "=====> l resource information"
	for key in memory cpu pids; do
		if controller_available "$key"; then
			assert_eq enforced "$(berth resource:report l --resource-host.$key)"
		else
			assert_contains "$(berth resource:report l --resource-host.$key)" "not enforced"
		fi
	done
	# Setting a limit this host ignores says so at once.
	if ! controller_available memory; then
		berth resource:limit l --memory 1g >/dev/null 2>"$TEST_TMP/err"
		assert_contains "$(cat "$TEST_TMP/err")" "memory limit: not enforced"
	fi
	berth resource:report --format json l | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "host.memory" in d, d'
}
