# daemon.sh - helpers for the daemon's integration tests (sourced by them).

# deploy_app APP 'PROCFILE TEXT': a busybox app deployed from a Procfile.
deploy_app() {
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:create "$1" >/dev/null
	mkdir -p "$TEST_TMP/src-$1"
	printf '%b' "$2" >"$TEST_TMP/src-$1/Procfile"
	tar -C "$TEST_TMP/src-$1" -cf "$TEST_TMP/src-$1.tar" .
	berth git:from-archive "$1" -- <"$TEST_TMP/src-$1.tar" >"$TEST_TMP/deploy-$1.out" 2>&1 ||
		{ cat "$TEST_TMP/deploy-$1.out"; fail "deploy of $1 failed"; }
}

# The daemon starts no router unless a test asks (BERTH_ROUTER=on).
export BERTH_ROUTER=${BERTH_ROUTER:-off}

daemon_answers() { berth ps:restore >/dev/null 2>&1; }

# daemon_reap: the test's daemon killed and gone. Before one-test's clean-up
# kills the containers: a daemon still running would restart them meanwhile, in
# cgroups the clean-up has already listed, and they would outlive the test.
daemon_reap() {
	[ -n "${DAEMON_PID:-}" ] || return 0
	kill -9 "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null || true
	return 0
}

# daemon_start: berth daemon in the background of the test, its pid in $DAEMON_PID.
daemon_start() {
	case "$(trap -p EXIT)" in
	*daemon_reap*) ;;  # the test's own trap reaps it already
	*) trap 'rc=$?; set +e; daemon_reap; (exit $rc); cleanup' EXIT ;;
	esac
	"$BERTH_BIN" daemon >>"$TEST_TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	echo "$DAEMON_PID" >>"$TEST_TMP/pids"
	wait_for test -S "$BERTH_RUN/daemon/daemon.sock" || { cat "$TEST_TMP/daemon.log"; fail "daemon did not start"; }
	wait_for daemon_answers || fail "daemon does not answer"
}

daemon_kill9() {
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
}

# report_value APP FLAG
report_value() { berth ps:report "$1" "$2"; }

count_running() { # APP
	berth ps:report "$1" --format json | grep -o '"status-[^"]*": *"running' | wc -l
}

running_is() { [ "$(count_running "$1")" = "$2" ]; }

pid_of() { # APP TYPE N
	berth ps:report "$1" "--status-$2-$3" | sed -n 's/.*(pid \([0-9]*\),.*/\1/p'
}

