# runtime.sh - helpers shared by tests/integration/runtime*.sh (sourced by them).

# The cgroup v2 mount berth uses (pure v2 hosts: /sys/fs/cgroup; hybrid: unified/).
cgroup2_root() {
	local d
	for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		if [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ]; then
			echo "$d"
			return 0
		fi
	done
	fail "no cgroup v2 hierarchy is mounted"
}

# berth's group for this test (one-test gives every test its own BERTH_CGROUP).
berth_cgroup_dir() { echo "$(cgroup2_root)/$BERTH_CGROUP"; }

# helper_bin NAME: tests/helpers/NAME.c built statically once per run; prints its path.
helper_bin() {
	local out=$TEST_CACHE/helpers/$1 tmp
	if [ ! -x "$out" ]; then
		mkdir -p "$TEST_CACHE/helpers"
		tmp=$(mktemp "$out.XXXXXX")
		cc -static -O2 -Wall -Wextra -Werror -o "$tmp" "$TEST_TOP/tests/helpers/$1.c" ||
			fail "cannot build tests/helpers/$1.c (needs gcc and libc6-dev)"
		mv -f "$tmp" "$out"
	fi
	echo "$out"
}

# probe_layer: a layer holding /bin/syscall-probe, to stack over busybox.
probe_layer() {
	local dir=$TEST_CACHE/probe-layer tmp
	if [ ! -d "$dir" ]; then
		tmp=$(mktemp -d "$TEST_CACHE/pl.XXXXXX")
		chmod 0755 "$tmp"
		mkdir -p "$tmp/bin"
		cp "$(helper_bin syscall-probe)" "$tmp/bin/syscall-probe"
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

# run_bb ARGS... -- CMD: berth runtime:run on the busybox rootfs.
run_bb() { berth runtime:run --layer "$(busybox_rootfs)" "$@"; }

# tree_digest DIR: a digest of everything that describes a tree: each entry's path,
# type, mode, owner, size, mtime, ctime (which any metadata or xattr change bumps),
# symlink target and file content. Equal digests mean an unmodified tree.
tree_digest() {
	(
		cd "$1" || exit 1
		find . -printf '%p %y %m %U:%G %s %T@ %C@ %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	) | sha256sum | cut -d' ' -f1
}

# start_container OUT ARGS...: berth runtime:run ARGS in the background with stdout
# and stderr going to OUT; MONITOR is then the pid of berth (the container dies with it).
start_container() {
	local out=$1
	shift
	"$BERTH_BIN" runtime:run "$@" >"$out" 2>&1 &
	MONITOR=$!
}

# wait_monitor VAR: wait (10 s at most) for the background berth and store its exit
# status in VAR; a berth that does not exit is killed and the test fails.
wait_monitor() {
	local i state
	for i in $(seq 1 100); do
		state=$(cut -d' ' -f3 "/proc/$MONITOR/stat" 2>/dev/null) || break
		[ "$state" = Z ] && break
		sleep 0.1
	done
	if [ "$state" != Z ] && [ -e "/proc/$MONITOR" ]; then
		kill -KILL "$MONITOR"
		fail "berth (pid $MONITOR) did not exit within 10 s"
	fi
	run_status "$1" wait "$MONITOR"
}

# The running container's cgroup, named after its id: the one group in this test's
# BERTH_CGROUP (waits until it exists).
container_cgroup() {
	local cg
	wait_for compgen -G "$(berth_cgroup_dir)/run-*" || fail "no container cgroup appeared"
	for cg in "$(berth_cgroup_dir)"/run-*; do echo "$cg"; done
}

# wait_for_line FILE TEXT: until FILE has a line containing TEXT (10 s).
wait_for_line() { wait_for grep -q -- "$2" "$1" || fail "no '$2' in $1: $(cat "$1")"; }

# assert_nothing_left: what a container run may leave once it is over: no mount
# naming BERTH_RUN or BERTH_ROOT in this (the host's) mount namespace, no group below
# berth's cgroup, no process in any of berth's groups, in BERTH_RUN nothing but the
# cached seccomp filter and an empty containers/, in BERTH_ROOT nothing but an
# empty runtime/.
assert_nothing_left() {
	local left cg
	left=$(grep -F -e " $BERTH_RUN" -e " $BERTH_ROOT" /proc/self/mountinfo || true)
	[ -z "$left" ] || fail "mounts left behind: $left"
	cg=$(berth_cgroup_dir)
	if [ -d "$cg" ]; then
		left=$(find "$cg" -mindepth 1 -type d)
		[ -z "$left" ] || fail "cgroups left behind: $left"
	fi
	# A zombie holds nothing but its pid; one adopted by a host init that is slow to
	# reap (after berth itself was killed) is not the container's doing.
	left=$(for f in $(grep -l -F "$BERTH_CGROUP/" /proc/[0-9]*/cgroup 2>/dev/null); do
		[ "$(cut -d' ' -f3 "${f%/cgroup}/stat" 2>/dev/null)" = Z ] || cat "${f%/cgroup}/stat"
	done)
	[ -z "$left" ] || fail "processes left in berth's cgroups: $left"
	if [ -d "$BERTH_RUN" ]; then
		left=$(cd "$BERTH_RUN" && find . -mindepth 1 ! -path ./seccomp \
			! -path './seccomp/profile-*.bpf' ! -path ./containers)
		[ -z "$left" ] || fail "files left in BERTH_RUN: $left"
	fi
	if [ -d "$BERTH_ROOT" ]; then
		# runtime/ is where writable layers go when tmpfs lacks user xattrs.
		left=$(cd "$BERTH_ROOT" && find . -mindepth 1 ! -path ./runtime)
		[ -z "$left" ] || fail "files left in BERTH_ROOT: $left"
	fi
}

# assert_one_error_line FILE TEXT: FILE (stderr) is exactly one " !     " line with TEXT.
assert_one_error_line() {
	local text
	text=$(cat "$1")
	assert_eq 1 "$(wc -l <"$1")" "stderr line count ($text)"
	assert_contains "$text" " !     " "stderr"
	assert_contains "$text" "$2" "stderr"
}
