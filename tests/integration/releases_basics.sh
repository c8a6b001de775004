# releases, releases:info, releases:rollback, releases:set: every build and every
# config change is a numbered release; a rollback restores an image and its
# config vars; old releases and their layers go (docs/releases.md).
. "$TEST_TOP/tests/lib/daemon.sh"

# deploy_src APP 'PROCFILE' [FILE CONTENT]: deploy a busybox app from a Procfile
# (and one more file), creating the app the first time.
deploy_src() {
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:exists "$1" 2>/dev/null || berth apps:create "$1" >/dev/null
	rm -rf "$TEST_TMP/src-$1" && mkdir -p "$TEST_TMP/src-$1"
	printf '%b' "$2" >"$TEST_TMP/src-$1/Procfile"
	[ -z "${3:-}" ] || printf '%s' "$4" >"$TEST_TMP/src-$1/$3"
	tar -C "$TEST_TMP/src-$1" -cf "$TEST_TMP/src-$1.tar" .
	berth git:from-archive "$1" -- <"$TEST_TMP/src-$1.tar" >"$TEST_TMP/deploy-$1.out" 2>&1 ||
		{ cat "$TEST_TMP/deploy-$1.out"; fail "deploy of $1 failed"; }
}

release_count() { ls "$BERTH_ROOT/apps/$1/releases" | grep -c '^v[0-9]*\.json$'; }

test_config_set_makes_a_release_with_dokku_lines() {
	deploy_src rl 'web: sleep 1000\n'
	out=$(berth config:set rl GREETING='hello world')
	assert_contains "$out" "-----> Setting config vars
       GREETING:  hello world
-----> Restarting app rl"
	assert_contains "$out" "Releasing rl v2: Set GREETING"
	assert_contains "$(berth releases rl)" "v1    Deploy $(sha256sum <"$TEST_TMP/src-rl.tar" | cut -c1-12)"
	berth config:set rl A=1 B=2 >/dev/null
	berth config:unset rl A B >/dev/null
	berth config:clear rl >/dev/null
	printf 'X=1\n' | berth config:import rl - >/dev/null
	berth releases rl >"$TEST_TMP/list"
	assert_eq "=====> rl Releases - Current: v6" "$(head -n 1 "$TEST_TMP/list")"
	desc=$(sed -n '2,$p' "$TEST_TMP/list" | sed 's/  [0-9]\{4\}\/.*//; s/ *$//')
	assert_eq "v6    Config import
v5    Unset GREETING
v4    Unset A, B
v3    Set A, B
v2    Set GREETING" "$desc"   # v1 went: 5 are kept by default
	sed -n 2p "$TEST_TMP/list" | grep -Eq ' [0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \+0000$' ||
		fail "no date: $(sed -n 2p "$TEST_TMP/list")"
	json=$(berth releases rl --format json)
	assert_eq 5 "$(echo "$json" | jq length)"
	assert_eq "6 true Config import" "$(echo "$json" | jq -r '.[0] | "\(.version) \(.current) \(.description)"')"
	assert_eq "false" "$(echo "$json" | jq -r '.[1].current')"
}

test_config_change_of_an_app_never_deployed_only_stores() {
	berth apps:create nd >/dev/null
	assert_eq "-----> Setting config vars
       K:  v" "$(berth config:set nd K=v)"
	assert_eq "v" "$(berth config:get nd K)"
	assert_eq 0 "$(berth releases nd --format json | jq length)"
}

test_config_set_no_restart_waits_for_the_next_deploy() {
	deploy_src nr 'web: sleep 1000\n'
	assert_eq "-----> Setting config vars
       LATER:  yes" "$(berth config:set --no-restart nr LATER=yes)"
	assert_eq 1 "$(release_count nr)"
	assert_eq "" "$(berth releases:info nr | grep LATER || true)"
	berth ps:rebuild nr >/dev/null 2>&1 || fail "rebuild: $(berth ps:rebuild nr 2>&1)"
	assert_eq 2 "$(berth releases nr --format json | jq '.[0].version')"
	assert_contains "$(berth releases:info nr)" "LATER:  yes"
	# global vars are never a release of their own
	berth config:set --global G=1 >"$TEST_TMP/out"
	assert_not_contains "$(cat "$TEST_TMP/out")" "Restarting"
	assert_eq 2 "$(release_count nr)"
}

test_releases_info_shows_one_release_and_its_vars() {
	deploy_src inf 'web: sleep 1000\nworker: sleep 2000\n'
	berth config:set inf 'Q=it is "quoted"' >/dev/null
	out=$(berth releases:info inf)
	assert_contains "$out" "=====> inf v2 release information"
	assert_contains "$out" "Release description:"
	assert_contains "$out" "Set Q"
	assert_contains "$out" "=====> v2 config vars
Q:  it is \"quoted\""
	assert_eq "Deploy $(sha256sum <"$TEST_TMP/src-inf.tar" | cut -c1-12)" \
		"$(berth releases:info inf v1 --release-description)"
	assert_eq "false" "$(berth releases:info inf 1 --release-current)"
	assert_eq "web worker" "$(berth releases:info inf v1 --release-process-types)"
	assert_eq "true" "$(berth releases:info inf --format json | jq -r '."release-current"')"
	run_status st berth releases:info inf v9 2>"$TEST_TMP/err"
	assert_eq 1 "$st"
	assert_contains "$(cat "$TEST_TMP/err")" "has no release v9"
	run_status st berth releases:info inf vx 2>"$TEST_TMP/err"
	assert_eq " !     Invalid release version 'vx': use vN, e.g. v3" "$(cat "$TEST_TMP/err")"
}

test_rollback_restores_the_image_and_the_config() {
	deploy_src rb 'web: sleep 1000\n' VERSION one
	berth config:set rb COLOR=blue >/dev/null           # v2
	deploy_src rb 'web: sleep 1000\n' VERSION two        # v3
	berth config:set rb COLOR=red EXTRA=1 >/dev/null     # v4
	out=$(berth releases:rollback rb v2)
	assert_contains "$out" "Rolling back rb to v2"
	assert_contains "$out" "Releasing rb v5: Rollback to v2"
	assert_eq "Rollback to v2" "$(berth releases:info rb --release-description)"
	assert_eq "$(jq -c .layers "$BERTH_ROOT/apps/rb/releases/v2.json")" \
		"$(jq -c .layers "$BERTH_ROOT/apps/rb/releases/v5.json")"
	assert_eq "one" "$(berth run rb cat VERSION)"
	assert_eq "blue" "$(berth config:get rb COLOR)"
	run_status st berth config:get rb EXTRA
	assert_eq 1 "$st"
	assert_eq "blue" "$(berth run rb 'echo $COLOR')"
	# without a version: the one before the active release
	berth releases:rollback rb >/dev/null
	assert_eq "Rollback to v4" "$(berth releases:info rb --release-description)"
	assert_eq "two red" "$(berth run rb 'echo $(cat VERSION) $COLOR')"
	run_status st berth releases:rollback rb v42 2>"$TEST_TMP/err"
	assert_eq 1 "$st"
	assert_eq " !     App rb has no release v42 (see 'releases rb')" "$(cat "$TEST_TMP/err")"
}

test_global_vars_apply_under_the_release_vars() {
	deploy_src gl 'web: sleep 1000\n'
	berth config:set --global SHARED=global ONLY_GLOBAL=g >/dev/null
	berth config:set gl SHARED=app >/dev/null
	assert_eq "app g" "$(berth run gl 'echo $SHARED $ONLY_GLOBAL')"
	berth config:unset --global ONLY_GLOBAL >/dev/null
	assert_eq "app" "$(berth run gl 'echo $SHARED $ONLY_GLOBAL')"
}

test_retention_drops_old_releases_and_their_layers() {
	berth releases:set --global keep 2 >/dev/null
	deploy_src kp 'web: sleep 1000\n' VERSION one
	v1_layers=$(jq -r '.layers[]' "$BERTH_ROOT/apps/kp/releases/v1.json")
	deploy_src kp 'web: sleep 1000\n' VERSION two
	deploy_src kp 'web: sleep 1000\n' VERSION three
	assert_eq "v3.json v2.json" "$(ls -r "$BERTH_ROOT/apps/kp/releases" | xargs)"
	# v1's own layers (not shared with v2 or v3) left the store
	kept=$(jq -r '.layers[]' "$BERTH_ROOT/apps/kp/releases/v2.json" "$BERTH_ROOT/apps/kp/releases/v3.json")
	store=$(berth images:list --format json | jq -r '.[].id')
	own=0
	for l in $v1_layers; do
		echo "$kept" | grep -qx "$l" && continue
		own=$((own + 1))
		echo "$store" | grep -qx "$l" && fail "layer $l of dropped v1 is still in the store"
	done
	[ "$own" -ge 1 ] || fail "v1 had no layer of its own: the test proves nothing"
	# an app's own setting wins over the global one
	assert_eq "-----> Setting keep to 3" "$(berth releases:set kp keep 3)"
	berth config:set kp A=1 >/dev/null
	berth config:set kp A=2 >/dev/null
	assert_eq "v5.json v4.json v3.json" "$(ls -r "$BERTH_ROOT/apps/kp/releases" | xargs)"
	run_status st berth releases:set kp keep 0 2>"$TEST_TMP/err"
	assert_eq 1 "$st"
	run_status st berth releases:set kp color 3 2>"$TEST_TMP/err"
	assert_eq " !     Invalid property specified, valid properties include: keep" "$(cat "$TEST_TMP/err")"
}

test_rollback_keeps_the_active_release_beyond_keep() {
	berth releases:set --global keep 1 >/dev/null
	deploy_src ka 'web: sleep 1000\n' VERSION one
	deploy_src ka 'web: sleep 1000\n' VERSION two
	assert_eq "v2.json" "$(ls "$BERTH_ROOT/apps/ka/releases" | xargs)"
	run_status st berth releases:rollback ka v1 2>/dev/null
	assert_eq 1 "$st"
	assert_eq "two" "$(berth run ka cat VERSION)"
}
