# lib.sh - helpers for integration tests. Sourced by tests/lib/one-test.
# A test is a function test_NAME that fails by returning non-zero (set -e is on)
# or by calling fail; skip with `skip "reason"` (exit 77).

berth() { "$BERTH_BIN" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*"; exit 77; }

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain '$2': $1" ;; esac
}

assert_not_contains() {
	case "$1" in *"$2"*) fail "${3:-output} contains '$2': $1" ;; esac
}

# run_status VAR CMD... : run CMD, store its exit status in VAR, never trip set -e.
run_status() {
	local __var=$1
	shift
	local __s=0
	"$@" || __s=$?
	printf -v "$__var" '%s' "$__s"
}

# busybox_rootfs: print the path of a busybox root filesystem (made once per run,
# shared read-only by tests: layers are never modified). Built from Debian's
# busybox-static: every applet linked, /etc with root and app (1000) users.
busybox_rootfs() {
	local dir=$TEST_CACHE/busybox-rootfs
	if [ ! -d "$dir" ]; then
		local tmp
		tmp=$(mktemp -d "$TEST_CACHE/bb.XXXXXX")
		make_busybox_rootfs "$tmp"
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

make_busybox_rootfs() {
	local d=$1 bb
	bb=$(command -v busybox) || fail "busybox-static is not installed"
	mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,etc,root,home/app,proc,sys,dev,var/tmp}
	install -d -m 1777 "$d/tmp"
	cp "$bb" "$d/bin/busybox"
	local applet
	for applet in $("$bb" --list); do
		[ -e "$d/bin/$applet" ] || ln -s busybox "$d/bin/$applet"
	done
	cat >"$d/etc/passwd" <<-PW
	root:x:0:0:root:/root:/bin/sh
	app:x:1000:1000:app:/home/app:/bin/sh
	nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	PW
	cat >"$d/etc/group" <<-GR
	root:x:0:
	tty:x:5:
	app:x:1000:
	nogroup:x:65534:
	GR
	: >"$d/etc/hosts"
	: >"$d/etc/hostname"
	chown 1000:1000 "$d/home/app"
}

# wait_for CMD... : retry CMD for up to WAIT_FOR_SECONDS (30) seconds.
# A busy host (parallel tests under ASan) can take seconds to start a container:
# the bound is generous, and costs only a test that fails anyway.
wait_for() {
	local i
	for i in $(seq 1 "$((${WAIT_FOR_SECONDS:-30} * 10))"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# git_client_env: a git client of the test's own (identity, HOME, main as the
# first branch, file:// allowed) and the busybox stack that pushes build on.
git_client_env() {
	berth stacks:create busybox >/dev/null
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
	export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
	export GIT_CONFIG_NOSYSTEM=1 HOME=$TEST_TMP
	git config --global init.defaultBranch main
	git config --global protocol.file.allow always
}
