# The Heroku buildpack API as berth runs it: detect, compile, release, ENV_DIR,
# export files between buildpacks, .profile.d, the cache, Procfile rules.

setup_app() { # APP
	berth stacks:create busybox >/dev/null
	berth apps:create "$1" >/dev/null
}

deploy_dir() { # APP DIR
	tar -C "$2" -cf - . | berth git:from-archive "$1" -
}

# A buildpack whose compile records what Heroku's API promises it.
make_recording_buildpack() { # DIR
	mkdir -p "$1/bin"
	cat >"$1/bin/detect" <<-'SH'
	#!/bin/sh
	echo Recorder
	SH
	cat >"$1/bin/compile" <<-'SH'
	#!/bin/sh
	{
		echo "argc=$#"
		echo "argv=$*"
		echo "uid=$(id -u)"
		echo "STACK=$STACK"
		echo "SOURCE_VERSION=$SOURCE_VERSION"
		echo "HOME=$HOME"
		for f in "$3"/*; do [ -f "$f" ] && echo "envdir:$(basename "$f")=$(cat "$f")"; done
		[ -w "$2" ] && echo "cache=writable"
		[ -d /app ] && echo "app=dir"
	} >"$1/.recorded"
	echo "       recorded"
	SH
	cat >"$1/bin/release" <<-'SH'
	#!/bin/sh
	printf -- '---\nconfig_vars:\n  FROM_RELEASE: "yes"\n  QUOTED: "a \\"b\\" $HOME"\ndefault_process_types:\n  web: echo default-web\n  worker: echo default-worker\n'
	SH
	chmod +x "$1"/bin/*
}

test_compile_gets_heroku_arguments_environment_and_env_dir() {
	setup_app api
	make_recording_buildpack "$TEST_TMP/bp"
	mkdir -p "$TEST_TMP/src" && echo hi >"$TEST_TMP/src/file"
	berth buildpacks:set api "$TEST_TMP/bp"
	berth config:set --no-restart api SECRET=s3cr3t 'SPACED=a b' >/dev/null
	deploy_dir api "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Recorder app detected"
	local rec
	rec=$(berth run api cat /app/.recorded)
	assert_contains "$rec" "argc=3"
	assert_contains "$rec" "argv=/tmp/build /tmp/cache /tmp/env"
	assert_contains "$rec" "uid=1000"
	assert_contains "$rec" "STACK=busybox"
	assert_contains "$rec" "SOURCE_VERSION=$(tar -C "$TEST_TMP/src" -cf - . | sha256sum | cut -c1-64)"
	assert_contains "$rec" "HOME=/app"
	assert_contains "$rec" "envdir:SECRET=s3cr3t"
	assert_contains "$rec" "envdir:SPACED=a b"
	assert_contains "$rec" "cache=writable"
	assert_eq hi "$(berth run api cat /app/file)"
}

test_release_yaml_gives_default_processes_and_config_vars() {
	setup_app rel
	make_recording_buildpack "$TEST_TMP/bp"
	mkdir -p "$TEST_TMP/src" && echo x >"$TEST_TMP/src/x"
	berth buildpacks:set rel "$TEST_TMP/bp"
	deploy_dir rel "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "web: echo default-web"
	assert_contains "$(cat "$TEST_TMP/out")" "worker: echo default-worker"
	assert_eq yes "$(berth run rel 'echo $FROM_RELEASE')"
	assert_eq 'a "b" /app' "$(berth run rel 'echo "$QUOTED"')"
	# The app's own config wins over a buildpack's default.
	berth config:set --no-restart rel FROM_RELEASE=mine >/dev/null
	assert_eq mine "$(berth run rel 'echo $FROM_RELEASE')"
}

test_procfile_wins_over_default_process_types() {
	setup_app pf
	make_recording_buildpack "$TEST_TMP/bp"
	mkdir -p "$TEST_TMP/src"
	printf 'web: echo from-procfile\n' >"$TEST_TMP/src/Procfile"
	berth buildpacks:set pf "$TEST_TMP/bp"
	deploy_dir pf "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "web: echo from-procfile"
	assert_not_contains "$(cat "$TEST_TMP/out")" "default-worker"
}

test_multi_buildpacks_run_in_order_and_source_export() {
	setup_app multi
	local one=$TEST_TMP/one two=$TEST_TMP/two
	mkdir -p "$one/bin" "$two/bin" "$TEST_TMP/src"
	printf '#!/bin/sh\necho One\n' >"$one/bin/detect"
	printf '#!/bin/sh\necho first >>"$1/order"\necho "export FROM_ONE=exported" >"$(dirname "$0")/../export"\n' >"$one/bin/compile"
	printf '#!/bin/sh\necho Two\n' >"$two/bin/detect"
	printf '#!/bin/sh\necho "second $FROM_ONE" >>"$1/order"\n' >"$two/bin/compile"
	chmod +x "$one"/bin/* "$two"/bin/*
	# Local buildpacks are the operator's (a pushed .buildpacks may not name them).
	berth buildpacks:add multi "file://$one"
	berth buildpacks:add multi "$two"
	printf 'web: cat order\n' >"$TEST_TMP/src/Procfile"
	deploy_dir multi "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "-----> One app detected"
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Two app detected"
	assert_eq "$(printf 'first\nsecond exported')" "$(berth run multi cat /app/order)"
}

test_profile_d_scripts_are_sourced_at_process_start() {
	setup_app prof
	mkdir -p "$TEST_TMP/src/.profile.d"
	printf 'export GREETING="hello from profile.d"\n' >"$TEST_TMP/src/.profile.d/greet.sh"
	printf 'web: echo $GREETING\n' >"$TEST_TMP/src/Procfile"
	deploy_dir prof "$TEST_TMP/src" >/dev/null 2>&1
	assert_eq "hello from profile.d" "$(berth run prof 'echo $GREETING')"
	assert_eq "/app" "$(berth run prof pwd)"
}

test_build_cache_persists_between_builds() {
	setup_app cache
	local bp=$TEST_TMP/bp
	mkdir -p "$bp/bin" "$TEST_TMP/src"
	printf '#!/bin/sh\necho Counter\n' >"$bp/bin/detect"
	printf '#!/bin/sh\nn=$(cat "$2/count" 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n >"$2/count"\necho $n >"$1/builds"\n' >"$bp/bin/compile"
	chmod +x "$bp"/bin/*
	berth buildpacks:set cache "$bp"
	echo 1 >"$TEST_TMP/src/a"
	deploy_dir cache "$TEST_TMP/src" >/dev/null 2>&1
	assert_eq 1 "$(berth run cache cat /app/builds)"
	echo 2 >"$TEST_TMP/src/a"
	deploy_dir cache "$TEST_TMP/src" >/dev/null 2>&1
	assert_eq 2 "$(berth run cache cat /app/builds)"
}

test_detection_picks_first_matching_shipped_buildpack() {
	setup_app det
	mkdir -p "$TEST_TMP/src/public"
	echo '<p>static</p>' >"$TEST_TMP/src/public/index.html"
	deploy_dir det "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Static app detected"
	# The static site answers on $PORT inside a one-off container.
	local page
	page=$(berth run det 'PORT=8123 /app/bin/static-web & i=0
		until wget -q -O - http://127.0.0.1:8123/ 2>/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done')
	assert_eq '<p>static</p>' "$page"
}

test_no_buildpack_detects_gives_a_clear_error() {
	setup_app none
	mkdir -p "$TEST_TMP/src" && echo x >"$TEST_TMP/src/README"
	local status
	run_status status deploy_dir none "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "Unable to select a buildpack"
}

test_language_buildpacks_say_what_the_stack_lacks() {
	setup_app py
	mkdir -p "$TEST_TMP/py" "$TEST_TMP/js"
	echo "flask" >"$TEST_TMP/py/requirements.txt"
	local status
	run_status status deploy_dir py "$TEST_TMP/py" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Python app detected"
	assert_contains "$(cat "$TEST_TMP/out")" "this stack has no python3"
	berth apps:create js >/dev/null
	echo '{"name":"x","dependencies":{"express":"4"}}' >"$TEST_TMP/js/package.json"
	run_status status deploy_dir js "$TEST_TMP/js" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Node.js app detected"
	assert_contains "$(cat "$TEST_TMP/out")" "this stack has no node"
}
