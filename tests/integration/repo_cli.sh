# repo:gc and repo:purge-cache: the app's pushed repository compacted (libgit2,
# no git binary), its build cache emptied.

rsetup() { # APP
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:create "$1" >/dev/null
}

# Deploy DIR (a different source each time: a change means a build).
rdeploy() { # APP DIR
	tar -C "$2" -cf - . | berth git:from-archive "$1" -
}

test_repo_purge_cache_empties_the_build_cache_for_the_next_build() {
	rsetup rpc
	local bp=$TEST_TMP/bp cache=$BERTH_ROOT/apps/rpc/cache
	mkdir -p "$bp/bin" "$TEST_TMP/src"
	printf '#!/bin/sh\necho Counter\n' >"$bp/bin/detect"
	printf '#!/bin/sh\nn=$(cat "$2/count" 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n >"$2/count"\nmkdir -p "$2/deps/a"\necho dep >"$2/deps/a/b"\necho $n >"$1/builds"\n' >"$bp/bin/compile"
	chmod +x "$bp"/bin/*
	berth buildpacks:set rpc "$bp"
	echo 1 >"$TEST_TMP/src/a"
	rdeploy rpc "$TEST_TMP/src" >/dev/null 2>&1 || fail "first deploy failed"
	echo 2 >"$TEST_TMP/src/a"
	rdeploy rpc "$TEST_TMP/src" >/dev/null 2>&1 || fail "second deploy failed"
	assert_eq 2 "$(berth run rpc cat /app/builds)" "the cache counted two builds"
	[ -n "$(ls -A "$cache")" ] || fail "the cache is empty before the purge"
	local owner
	owner=$(stat -c %u:%a "$cache")
	berth repo:purge-cache rpc >"$TEST_TMP/out" || fail "purge failed"
	assert_contains "$(cat "$TEST_TMP/out")" "Purged the build cache of rpc"
	[ -d "$cache" ] || fail "the cache directory went"
	assert_eq "" "$(ls -A "$cache")" "cache after the purge"
	assert_eq "$owner" "$(stat -c %u:%a "$cache")" "the cache's owner and mode"
	echo 3 >"$TEST_TMP/src/a"
	rdeploy rpc "$TEST_TMP/src" >/dev/null 2>&1 || fail "third deploy failed"
	assert_eq 1 "$(berth run rpc cat /app/builds)" "the next build started with an empty cache"
	# Twice is fine; an app never built has nothing to purge.
	berth repo:purge-cache rpc >/dev/null || fail "second purge failed"
	berth apps:create rpc2 >/dev/null
	assert_eq "" "$(berth repo:purge-cache rpc2)"
	local rc
	run_status rc berth repo:purge-cache nosuch 2>/dev/null
	assert_eq 20 "$rc" "unknown app"
}

test_repo_purge_cache_waits_for_no_build_and_is_refused_during_one() {
	rsetup rpb
	local bp=$TEST_TMP/bp
	mkdir -p "$bp/bin" "$TEST_TMP/src"
	printf '#!/bin/sh\necho Slow\n' >"$bp/bin/detect"
	printf '#!/bin/sh\necho compiling\nwhile :; do sleep 1; done\n' >"$bp/bin/compile"
	chmod +x "$bp"/bin/*
	berth buildpacks:set rpb "$bp"
	echo x >"$TEST_TMP/src/x"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src.tar" .
	"$BERTH_BIN" git:from-archive rpb "$TEST_TMP/src.tar" >"$TEST_TMP/first" 2>&1 &
	local first=$! rc
	echo "$first" >>"$TEST_TMP/pids"
	wait_for grep -q compiling "$TEST_TMP/first" || fail "the build did not start"
	run_status rc berth repo:purge-cache rpb 2>"$TEST_TMP/err"
	assert_eq 1 "$rc" "purge during a build"
	assert_contains "$(cat "$TEST_TMP/err")" "is being deployed"
	berth builds:cancel rpb >/dev/null
	wait "$first" 2>/dev/null || true
	berth repo:purge-cache rpb >/dev/null || fail "purge after the build failed"
}

rgit_setup() {
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t
	export GIT_COMMITTER_EMAIL=t@example.com GIT_CONFIG_NOSYSTEM=1 HOME=$TEST_TMP
	berth stacks:create busybox >/dev/null
	mkdir -p "$TEST_TMP/src"
	cp -r "$TEST_TOP/examples/hello/." "$TEST_TMP/src/"
	git -C "$TEST_TMP/src" init -q -b main
	git -C "$TEST_TMP/src" add -A
	git -C "$TEST_TMP/src" commit -qm one
}

rpush() { # APP ARGS...
	local app=$1
	shift
	git -C "$TEST_TMP/src" push -q --receive-pack="$BERTH_BIN git-receive-pack" "/$app" "$@"
}

rcommit() { # FILE
	echo "$1" >"$TEST_TMP/src/$1"
	git -C "$TEST_TMP/src" add -A
	git -C "$TEST_TMP/src" commit -qm "$1"
}

test_repo_gc_packs_the_repository_keeps_it_valid_and_a_later_push_works() {
	rgit_setup
	local repo=$BERTH_ROOT/apps/rgc/repo.git out
	rpush rgc main >/dev/null 2>&1 || fail "first push failed"
	rcommit two
	git -C "$TEST_TMP/src" tag -a v2 -m "annotated"
	rpush rgc main v2 >/dev/null 2>&1 || fail "second push failed"
	# A commit that a force-push leaves unreachable: kept (loose) by gc.
	rcommit dropped
	local dropped
	dropped=$(git -C "$TEST_TMP/src" rev-parse HEAD)
	rpush rgc main >/dev/null 2>&1 || fail "third push failed"
	git -C "$TEST_TMP/src" reset -q --hard HEAD~1
	rpush rgc +main >/dev/null 2>&1 || fail "force push failed"
	[ "$(ls "$repo/objects/pack/"*.pack | wc -l)" -ge 2 ] || fail "expected several packs before gc"
	out=$(berth repo:gc rgc) || fail "repo:gc failed"
	assert_contains "$out" "objects in one pack"
	git --git-dir="$repo" fsck --full --strict >"$TEST_TMP/fsck" 2>&1 || { cat "$TEST_TMP/fsck"; fail "fsck after gc"; }
	assert_eq 1 "$(ls "$repo/objects/pack/"*.pack | wc -l)" "packs after gc"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(git --git-dir="$repo" rev-parse main)"
	assert_eq "tag" "$(git --git-dir="$repo" cat-file -t v2)"
	assert_eq "commit" "$(git --git-dir="$repo" cat-file -t "$dropped")" "an unreachable commit is kept for two weeks"
	# Every reachable object is in the pack; loose are only the unreachable
	# commit, its root tree and its new file.
	assert_eq 3 "$(git --git-dir="$repo" count-objects -v | sed -n 's/^count: //p')" "loose objects"
	# A later push sends what the pack lacks and deploys.
	rcommit three
	rpush rgc main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "push after gc failed"; }
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(git --git-dir="$repo" rev-parse main)"
	# Unreachable loose objects older than two weeks go, as with git gc.
	find "$repo/objects" -path '*/pack' -prune -o -type f -exec touch -d '-15 days' {} +
	berth repo:gc rgc >/dev/null || fail "second gc"
	git --git-dir="$repo" fsck --full --strict >/dev/null 2>&1 || fail "fsck after the second gc"
	assert_eq 0 "$(git --git-dir="$repo" count-objects -v | sed -n 's/^count: //p')" "old loose objects"
	! git --git-dir="$repo" cat-file -e "$dropped" 2>/dev/null || fail "the old unreachable commit is still there"
	git clone -q "$repo" "$TEST_TMP/clone" || fail "clone after gc"
	assert_eq "three" "$(cat "$TEST_TMP/clone/three")"
}

test_repo_gc_of_an_app_never_pushed_and_bad_input() {
	berth apps:create rgn >/dev/null
	local rc
	assert_contains "$(berth repo:gc rgn)" "Nothing to compact"
	run_status rc berth repo:gc nosuch 2>/dev/null
	assert_eq 20 "$rc" "unknown app"
	run_status rc berth repo:gc 2>"$TEST_TMP/err"
	assert_eq 1 "$rc"
	assert_contains "$(cat "$TEST_TMP/err")" "Please specify an app"
	run_status rc berth repo:gc rgn extra 2>/dev/null
	assert_eq 1 "$rc"
	assert_contains "$(berth repo:help)" "Manage the app's repo"
	assert_eq "$(berth repo:help)" "$(berth repo)"
}
