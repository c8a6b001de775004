# Attacks by other local users of the host on what berth keeps (app state, build
# work directories, the build cache), and what killed deploys leave behind.
# See docs/security.md.

setup_app() { # APP
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:create "$1" >/dev/null
}

# as_user UID CMD...: run CMD as a plain host user (no groups, no capabilities).
as_user() {
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all -- "$@"
}

# A build that waits (up to 60 s) until the test creates the app's cache/go, so
# the test can look at it while it runs. Sets BUILD_PID; the output is in
# $TEST_TMP/APP.out.
start_waiting_build() { # APP
	local bp=$TEST_TMP/bp-$1
	mkdir -p "$bp/bin" "$TEST_TMP/src-$1"
	printf '#!/bin/sh\necho Waiter\n' >"$bp/bin/detect"
	cat >"$bp/bin/compile" <<-'SH'
	#!/bin/sh
	echo "build is waiting"
	i=0
	while [ ! -e /tmp/cache/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	echo "done" >"$1/built"
	SH
	chmod +x "$bp"/bin/*
	berth buildpacks:set "$1" "$bp"
	printf 'web: cat built\n' >"$TEST_TMP/src-$1/Procfile"
	tar -C "$TEST_TMP/src-$1" -cf "$TEST_TMP/src-$1.tar" .
	"$BERTH_BIN" git:from-archive "$1" "$TEST_TMP/src-$1.tar" >"$TEST_TMP/$1.out" 2>&1 &
	BUILD_PID=$!
	wait_for grep -q "build is waiting" "$TEST_TMP/$1.out" || { cat "$TEST_TMP/$1.out"; fail "the build of $1 did not start"; }
}

release_build() { # APP
	: >"$BERTH_ROOT/apps/$1/cache/go"
}

test_local_users_cannot_read_app_config_or_release_secrets() {
	setup_app secrets
	berth config:set --no-restart secrets DATABASE_URL=postgres://u:host-user-must-not-see@db/x >/dev/null
	printf 'web: echo hi\n' >"$TEST_TMP/Procfile"
	tar -C "$TEST_TMP" -cf - Procfile | berth git:from-archive secrets - >/dev/null 2>&1
	local f uid
	for f in config.json releases/v1.json settings.json; do
		[ -f "$BERTH_ROOT/apps/secrets/$f" ] || fail "no $f"
		for uid in 65534 1000; do
			if as_user "$uid" cat "$BERTH_ROOT/apps/secrets/$f" 2>/dev/null; then
				fail "host uid $uid read apps/secrets/$f"
			fi
		done
		assert_eq 600 "$(stat -c %a "$BERTH_ROOT/apps/secrets/$f")" "mode of $f"
	done
	assert_eq 700 "$(stat -c %a "$BERTH_ROOT/apps")" "mode of apps/"
	assert_eq 700 "$(stat -c %a "$BERTH_ROOT/apps/secrets")" "mode of apps/secrets"
	assert_eq 700 "$(stat -c %a "$BERTH_ROOT/apps/secrets/releases")" "mode of releases/"
}

test_an_older_open_app_directory_is_closed_by_the_next_deploy() {
	setup_app old
	chmod 0755 "$BERTH_ROOT/apps" "$BERTH_ROOT/apps/old"
	printf 'web: echo hi\n' >"$TEST_TMP/Procfile"
	tar -C "$TEST_TMP" -cf - Procfile | berth git:from-archive old - >/dev/null 2>&1
	assert_eq 700 "$(stat -c %a "$BERTH_ROOT/apps")" "mode of apps/"
	assert_eq 700 "$(stat -c %a "$BERTH_ROOT/apps/old")" "mode of apps/old"
}

test_build_env_dir_and_work_dir_are_closed_to_other_host_users_during_the_build() {
	setup_app envdir
	berth config:set --no-restart envdir SECRET=env-dir-secret >/dev/null
	start_waiting_build envdir
	local env
	env=$(ls -d "$BERTH_ROOT"/tmp/*/env 2>/dev/null | head -n 1)
	[ -n "$env" ] && [ -f "$env/SECRET" ] || fail "no ENV_DIR with SECRET under $BERTH_ROOT/tmp"
	local uid
	for uid in 65534 1000; do
		if as_user "$uid" cat "$env/SECRET" 2>/dev/null; then
			fail "host uid $uid read the build's ENV_DIR"
		fi
		if as_user "$uid" ls "$BERTH_ROOT/tmp" >/dev/null 2>&1; then
			fail "host uid $uid listed the build work directories"
		fi
	done
	assert_eq 700 "$(stat -c %a "$BERTH_ROOT/tmp")" "mode of tmp/"
	assert_eq 700 "$(stat -c %a "$(dirname "$env")")" "mode of the work dir"
	assert_eq 600 "$(stat -c %a "$env/SECRET")" "mode of ENV_DIR/SECRET"
	release_build envdir
	wait "$BUILD_PID" || { cat "$TEST_TMP/envdir.out"; fail "the build failed"; }
	# The build itself still read its ENV_DIR and wrote its cache.
	assert_eq done "$(berth run envdir cat /app/built)"
}

test_host_uid_1000_cannot_poison_the_build_cache_or_the_buildpacks() {
	setup_app poison
	start_waiting_build poison
	local cache=$BERTH_ROOT/apps/poison/cache compile
	compile=$(ls -d "$BERTH_ROOT"/tmp/*/buildpacks/01-*/bin/compile 2>/dev/null | head -n 1)
	[ -n "$compile" ] || fail "no fetched buildpack under $BERTH_ROOT/tmp"
	# uid 1000 is the build user's id inside the container; on the host it is
	# whoever was created first. It must reach nothing of the build.
	if as_user 1000 sh -c "echo poisoned >'$cache/evil'" 2>/dev/null; then
		fail "host uid 1000 wrote into the app's build cache"
	fi
	if as_user 1000 sh -c "echo 'echo poisoned' >>'$compile'" 2>/dev/null; then
		fail "host uid 1000 changed a buildpack of a running build"
	fi
	[ ! -e "$cache/evil" ] || fail "poison in the cache"
	assert_not_contains "$(cat "$compile")" "poisoned"
	assert_eq 700 "$(stat -c %a "$cache")" "mode of the cache"
	release_build poison
	wait "$BUILD_PID" || { cat "$TEST_TMP/poison.out"; fail "the build failed"; }
	assert_eq done "$(berth run poison cat /app/built)"
}

test_killed_deploy_leftovers_with_secrets_are_removed_by_the_next_deploy() {
	setup_app killed
	berth config:set --no-restart killed LEFTOVER=killed-deploy-secret >/dev/null
	start_waiting_build killed
	kill -9 "$BUILD_PID"
	wait "$BUILD_PID" 2>/dev/null || true
	grep -rls killed-deploy-secret "$BERTH_ROOT/tmp" >/dev/null ||
		fail "the killed deploy left nothing to clean (the test proves nothing)"
	# The next deploy waits for the lock the killed build's monitor held.
	berth buildpacks:clear killed
	printf 'web: echo ok\n' >"$TEST_TMP/src-killed/Procfile"
	wait_for sh -c "tar -C '$TEST_TMP/src-killed' -cf - . | '$BERTH_BIN' git:from-archive killed -" ||
		fail "the deploy after the killed one failed"
	if grep -rls killed-deploy-secret "$BERTH_ROOT/tmp"; then
		fail "the killed deploy's work dir, with its secrets, is still there"
	fi
	assert_eq "" "$(ls -A "$BERTH_ROOT/tmp")" "leftovers in tmp/"
}

test_images_gc_removes_dead_deploy_dirs_but_never_a_live_one() {
	setup_app dead
	setup_app live
	berth config:set --no-restart dead MARK=dead-deploy >/dev/null
	berth config:set --no-restart live MARK=live-deploy >/dev/null
	start_waiting_build dead
	kill -9 "$BUILD_PID"
	wait "$BUILD_PID" 2>/dev/null || true
	start_waiting_build live
	local live_pid=$BUILD_PID
	# Its monitor may take a moment to follow it; then gc removes what it left.
	wait_for sh -c "'$BERTH_BIN' images:gc && ! grep -rqs dead-deploy '$BERTH_ROOT/tmp'" ||
		fail "images:gc left a dead deploy's work dir"
	grep -rlqs live-deploy "$BERTH_ROOT/tmp" || fail "images:gc removed a live deploy's work dir"
	release_build live
	wait "$live_pid" || { cat "$TEST_TMP/live.out"; fail "the live deploy failed after images:gc"; }
	assert_eq done "$(berth run live cat /app/built)"
}
