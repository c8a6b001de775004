# proc.sh - helpers for the tests of app processes: run, run:detached, enter,
# resource:*, storage:*. Sourced by tests/integration/{run,enter,resource,storage}_*.sh.
# shellcheck source=tests/helpers/runtime.sh
. "$TEST_TOP/tests/helpers/runtime.sh"

# deploy_app APP [PROCFILE_LINE...]: the busybox stack, APP created and deployed
# from a Procfile (default "web: sleep 1000") plus whatever $TEST_TMP/src holds.
deploy_app() {
	local app=$1
	shift
	[ $# -gt 0 ] || set -- "web: sleep 1000"
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:create "$app" >/dev/null
	mkdir -p "$TEST_TMP/src"
	printf '%s\n' "$@" >"$TEST_TMP/src/Procfile"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src.tar" .
	berth git:from-archive "$app" -- <"$TEST_TMP/src.tar" >"$TEST_TMP/deploy.out" 2>&1 ||
		{ cat "$TEST_TMP/deploy.out"; fail "deploy of $app failed"; }
}

# pty_run ARGS...: tests/helpers/pty-drive.py (a terminal user, as ssh -t gives one).
pty_run() { python3 "$TEST_TOP/tests/helpers/pty-drive.py" "$@"; }

# container_pid ID: the host pid of a container's pid 1 (from its state file).
container_pid() {
	sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$BERTH_RUN/containers/$1.json"
}

# command_pid ID: the host pid of the container's command (pid 1's child).
command_pid() {
	local p
	p=$(container_pid "$1")
	cat "/proc/$p/task/$p/children" | awk '{print $1}'
}
