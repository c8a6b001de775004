# berth daemon: supervising app processes, the control socket, adoption after
# kill -9, restore after a "reboot", the ps:* commands.
. "$TEST_TOP/tests/lib/daemon.sh"

test_daemon_runs_the_formation_and_ps_scale_changes_it() {
	deploy_app sc 'web: while true; do echo tick $DYNO $PORT; sleep 0.2; done\nworker: sleep 1000\n'
	daemon_start
	wait_for running_is sc 1 || fail "web.1 did not start: $(berth ps:report sc)"
	berth ps:scale sc web=2 worker=1 >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "Scaling sc processes: web to 2"
	wait_for running_is sc 3 || fail "not 3 processes: $(berth ps:report sc)"
	out=$(berth ps:scale sc)
	assert_contains "$out" "web:  2"
	assert_contains "$out" "worker: 1"
	wait_for sh -c "'$BERTH_BIN' logs sc -p web.2 | grep -q 'tick web.2 5000'" ||
		fail "no log line of web.2: $(berth logs sc)"
	line=$(berth logs sc -p web.1 -n 1)
	[[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ app\[web\.1\]:\ tick\ web.1\ 5000$ ]] ||
		fail "log line format: $line"
	assert_eq "tick web.1 5000" "$(berth logs sc -p web.1 -n 1 -q)" "quiet line"
	berth ps:scale sc web=1 worker=0 >/dev/null
	wait_for running_is sc 1 || fail "scale down: $(berth ps:report sc)"
	assert_eq "" "$(berth ps:report sc --status-worker-1)" "worker.1 row gone"
}

test_ps_stop_start_restart_and_report() {
	deploy_app st 'web: echo started; exec sleep 1000\n'
	# it listens on no port: no checks, still a new process before the old goes
	berth checks:skip st >/dev/null
	daemon_start
	wait_for running_is st 1 || fail "did not start"
	pid=$(pid_of st web 1)
	berth ps:restart st >/dev/null
	wait_for running_is st 1 || fail "did not restart"
	[ "$(pid_of st web 1)" != "$pid" ] || fail "restart kept pid $pid"
	berth ps:stop st >/dev/null
	assert_eq 0 "$(count_running st)" "running after ps:stop"
	assert_eq false "$(report_value st --running)"
	assert_eq false "$(report_value st --restore)"
	berth ps:start st >/dev/null
	wait_for running_is st 1 || fail "did not start again"
	assert_eq true "$(report_value st --running)"
	assert_eq on-failure:10 "$(report_value st --ps-computed-restart-policy)"
	json=$(berth ps:report st --format json)
	assert_contains "$json" '"ps-computed-restart-policy":"on-failure:10"'
	# logs of exited processes remain
	[ "$(berth logs st -q | grep -c '^started$')" -ge 3 ] || fail "logs lost: $(berth logs st)"
}

test_daemon_kill9_leaves_apps_running_and_the_new_one_adopts_them() {
	deploy_app k 'web: i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done\n'
	berth ps:scale k web=2 >/dev/null 2>&1 || true
	daemon_start
	berth ps:scale k web=2 >/dev/null
	wait_for running_is k 2 || fail "did not start"
	p1=$(pid_of k web 1) p2=$(pid_of k web 2)
	daemon_kill9
	kill -0 "$p1" && kill -0 "$p2" || fail "processes died with the daemon"
	out=$(berth ps:scale k web=3 2>&1) && fail "scale without a daemon succeeded"
	assert_contains "$out" "berth daemon is not running"
	# reads work without it
	assert_contains "$(berth ps:report k)" "running"
	before=$(berth logs k -p web.1 -n 1 -q)
	# while the daemon is down, lines wait in the pipe
	sleep 1
	daemon_start
	assert_eq "$p1 $p2" "$(pid_of k web 1) $(pid_of k web 2)" "pids after adoption"
	n1=${before#line }
	wait_for sh -c "'$BERTH_BIN' logs k -p web.1 -n 1 -q | awk '{exit !(\$2 > $n1 + 25)}'" ||
		fail "no new lines after adoption: $(berth logs k -p web.1 -n 3)"
	# every line number is there, none lost while the daemon was down
	berth logs k -p web.1 -n 0 -q | awk '{print $2}' >"$TEST_TMP/nums"
	first=$(head -n 1 "$TEST_TMP/nums") last=$(tail -n 1 "$TEST_TMP/nums")
	assert_eq "$((last - first + 1))" "$(wc -l <"$TEST_TMP/nums")" "lines $first..$last"
	assert_eq 2 "$(count_running k)"
}

test_a_second_daemon_on_the_same_run_dir_refuses() {
	daemon_start
	run_status st "$BERTH_BIN" daemon 2>"$TEST_TMP/err"
	assert_eq 1 "$st"
	assert_contains "$(cat "$TEST_TMP/err")" "already running"
}

test_a_reboot_brings_running_apps_back_at_scale_and_stopped_ones_stay_stopped() {
	deploy_app up 'web: exec sleep 1000\n'
	deploy_app down 'web: exec sleep 1000\n'
	daemon_start
	berth ps:scale up web=2 >/dev/null
	wait_for running_is up 2 || fail "up did not start"
	wait_for running_is down 1 || fail "down did not start"
	berth ps:stop down >/dev/null
	# the reboot: the daemon and every container die, /run is emptied
	daemon_kill9
	for cg in /sys/fs/cgroup/unified/$BERTH_CGROUP/*/; do echo 1 >"$cg/cgroup.kill"; done
	wait_for sh -c "! ls -d /sys/fs/cgroup/unified/$BERTH_CGROUP/*/cgroup.procs >/dev/null 2>&1 || [ -z \"\$(cat /sys/fs/cgroup/unified/$BERTH_CGROUP/*/cgroup.procs)\" ]"
	daemon_start
	wait_for running_is up 2 || fail "up not back at scale: $(berth ps:report up)"
	assert_eq 0 "$(count_running down)" "stopped app started"
}

test_ps_commands_refuse_bad_input() {
	deploy_app bad 'web: exec sleep 1000\n'
	daemon_start
	run_status st berth ps:scale bad web=-1
	assert_eq 1 "$st"
	out=$(berth ps:scale bad web=1000 2>&1) && fail "absurd scale accepted"
	assert_contains "$out" "at most 100"
	out=$(berth ps:scale bad nosuch=1 2>&1) && fail "unknown type accepted"
	assert_contains "$out" "nosuch is not a valid process name"
	out=$(berth ps:scale nosuchapp web=1 2>&1) && fail "unknown app accepted"
	assert_contains "$out" "App nosuchapp does not exist"
	out=$(berth ps:restart bad nosuch 2>&1) && fail "unknown process type accepted"
	assert_contains "$out" "nosuch is not a process type"
	out=$(berth ps:set bad restart-policy sometimes 2>&1) && fail "bad policy accepted"
	assert_contains "$out" "Invalid restart-policy specified"
	out=$(berth ps:set bad stop-timeout-seconds -3 2>&1) && fail "bad timeout accepted"
	assert_contains "$out" "Invalid stop-timeout-seconds"
	assert_contains "$(berth ps:scale bad)" "web:  1"
}

test_daemon_background_writes_its_pid_file_and_sigterm_leaves_apps_running() {
	deploy_app bg 'web: exec sleep 1000\n'
	berth daemon --background >"$TEST_TMP/bg.out" 2>&1 || { cat "$TEST_TMP/bg.out"; fail "daemon --background"; }
	pid=$(cat "$BERTH_RUN/daemon/daemon.pid")
	echo "$pid" >>"$TEST_TMP/pids"
	kill -0 "$pid" || fail "no daemon at pid $pid"
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "not in a session of its own"
	wait_for running_is bg 1 || fail "did not start"
	app=$(pid_of bg web 1)
	kill -TERM "$pid"
	wait_for sh -c "! kill -0 $pid" || fail "daemon did not stop on SIGTERM"
	kill -0 "$app" || fail "the app stopped with the daemon"
	[ ! -e "$BERTH_RUN/daemon/daemon.sock" ] || fail "socket left behind"
	daemon_start
	assert_eq "$app" "$(pid_of bg web 1)" "adopted after a clean stop"
}

test_daemon_tells_systemd_it_is_ready() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
open(sys.argv[1] + ".bound", "w").close()
print(s.recv(256).decode(), flush=True)
' "$TEST_TMP/notify" >"$TEST_TMP/notify.out" &
	echo $! >>"$TEST_TMP/pids"
	wait_for test -e "$TEST_TMP/notify.bound"
	NOTIFY_SOCKET=$TEST_TMP/notify daemon_start
	wait_for grep -q READY=1 "$TEST_TMP/notify.out" || fail "no READY=1: $(cat "$TEST_TMP/notify.out")"
}

test_make_install_installs_the_daemon_unit_that_spares_apps() {
	make -s -C "$TEST_TOP" install DESTDIR="$TEST_TMP/dest" PREFIX=/opt/b >/dev/null
	unit=$TEST_TMP/dest/etc/systemd/system/berth.service
	[ -f "$unit" ] || fail "no unit"
	assert_contains "$(cat "$unit")" "Type=notify"
	assert_contains "$(cat "$unit")" "KillMode=process"
	assert_contains "$(cat "$unit")" "ExecStart=/opt/b/bin/berth daemon"
}

test_ps_stop_all_then_the_daemon_stopped_leaves_nothing_behind() {
	deploy_app n1 'web: exec sleep 1000\nworker: exec sleep 1000\n'
	deploy_app n2 'web: exec sleep 1000\n'
	daemon_start
	berth ps:scale n1 web=2 worker=1 >/dev/null
	wait_for running_is n1 3 || fail "n1 did not start"
	wait_for running_is n2 1 || fail "n2 did not start"
	berth ps:stop --all >/dev/null
	kill "$DAEMON_PID"
	wait "$DAEMON_PID" || true
	left=$(find "/sys/fs/cgroup/unified/$BERTH_CGROUP" -mindepth 1 -type d 2>/dev/null)
	assert_eq "" "$left" "cgroups left"
	assert_eq "" "$(ls "$BERTH_RUN/containers" 2>/dev/null)" "container state left"
	assert_eq "" "$(find "$BERTH_RUN/daemon/procs" -type f 2>/dev/null)" "records left"
	assert_eq "" "$(ip -o link show master "$TEST_BRIDGE" 2>/dev/null)" "veths left"
	assert_eq 0 "$(jq '.leases | length' "$BERTH_ROOT/net/$TEST_BRIDGE/leases.json" 2>/dev/null || echo 0)" "leases left"
	# the logs stay, the daemon's own files go
	[ -f "$BERTH_ROOT/logs/n1/web.2.log" ] || fail "logs removed"
	assert_eq "" "$(ls "$BERTH_RUN/daemon")" "daemon files left"
}

test_apps_destroy_stops_the_apps_processes_and_removes_its_logs() {
	deploy_app gone 'web: exec sleep 1000\n'
	daemon_start
	wait_for running_is gone 1 || fail "did not start"
	pid=$(pid_of gone web 1)
	berth --force apps:destroy gone >/dev/null
	! kill -0 "$pid" 2>/dev/null || fail "process $pid still runs"
	[ ! -e "$BERTH_ROOT/logs/gone" ] || fail "logs left"
	assert_eq "" "$(find "$BERTH_RUN/daemon/procs" -type f 2>/dev/null)" "records left"
	daemon_answers || fail "daemon stopped answering"
}

test_ps_stop_and_start_of_one_process_type() {
	deploy_app pt 'web: exec sleep 1000\nworker: exec sleep 1000\n'
	daemon_start
	berth ps:scale pt web=1 worker=2 >/dev/null
	wait_for running_is pt 3 || fail "did not start"
	web=$(pid_of pt web 1)
	berth ps:stop pt worker >/dev/null
	assert_eq 1 "$(count_running pt)" "running after ps:stop pt worker"
	assert_eq "$web" "$(pid_of pt web 1)" "web untouched"
	berth ps:restore >/dev/null
	assert_eq 1 "$(count_running pt)" "a stopped type stays stopped on restore"
	berth ps:start pt worker >/dev/null
	wait_for running_is pt 3 || fail "worker did not start again"
	assert_eq "$web" "$(pid_of pt web 1)" "web untouched by ps:start pt worker"
}

test_enter_joins_a_process_the_daemon_runs() {
	deploy_app en 'web: exec sleep 1000\n'
	daemon_start
	wait_for running_is en 1 || fail "did not start"
	out=$(berth enter en web.1 'echo $DYNO; cat /proc/1/cmdline | tr "\\0" " "' </dev/null)
	assert_contains "$out" "web.1"
	assert_contains "$(berth ps:report en --status-web-1)" "running"
}

test_the_daemon_removes_exited_one_off_containers() {
	deploy_app oo 'web: exec sleep 1000\n'
	# one started before the daemon, one after
	id1=$(berth run:detached oo 'sleep 0.5' | tail -n 1)
	daemon_start
	id2=$(berth run:detached oo 'sleep 0.5' | tail -n 1)
	long=$(berth run:detached oo 'sleep 1000' | tail -n 1)
	assert_contains "$id2" "oo.run."
	wait_for sh -c "[ ! -e '$BERTH_RUN/containers/$id1.json' ] && [ ! -e '$BERTH_RUN/containers/$id2.json' ]" ||
		fail "exited one-offs left: $(ls "$BERTH_RUN/containers")"
	[ ! -d "/sys/fs/cgroup/unified/$BERTH_CGROUP/$id2" ] || fail "cgroup of $id2 left"
	[ -e "$BERTH_RUN/containers/$long.json" ] || fail "a running one-off was removed"
	wait_for running_is oo 1 || fail "web not running"
}
