# builder:set and builder:report (Dokku's builder plugin): their output and exit
# codes, and what a deploy makes of them: build-dir builds an app from a
# subdirectory of its source (a monorepo), selected accepts berth's one
# builder (herokuish) and refuses a deploy with another, skip-cleanup keeps
# what a deploy's end would remove.

# src_deploy APP DIR: APP deployed from the tree DIR; its output in $TEST_TMP/deploy-APP.out.
src_deploy() {
	tar -C "$2" -cf "$TEST_TMP/src-$1.tar" .
	berth git:from-archive "$1" -- <"$TEST_TMP/src-$1.tar" >"$TEST_TMP/deploy-$1.out" 2>&1
}

test_builder_set_and_report_print_dokkus_rows_and_refuse_bad_values() {
	berth apps:create b >/dev/null
	local status
	assert_eq "-----> Setting build-dir to apps/web" "$(berth builder:set b build-dir apps/web)"
	assert_eq "-----> Setting selected to herokuish" "$(berth builder:set --global selected herokuish)"
	assert_eq "-----> Setting skip-cleanup to true" "$(berth builder:set --global skip-cleanup true)"
	assert_eq "=====> b builder information
       Builder build dir:             apps/web
       Builder computed build dir:    apps/web
       Builder computed selected:     herokuish
       Builder computed skip cleanup: true
       Builder detected:              
       Builder global build dir:      
       Builder global selected:       herokuish
       Builder global skip cleanup:   true
       Builder selected:              
       Builder skip cleanup:          " "$(berth builder:report b)"
	assert_eq "=====> --global builder information
       Builder computed skip cleanup: true
       Builder global build dir:      
       Builder global selected:       herokuish
       Builder global skip cleanup:   true" "$(berth builder:report --global)"
	assert_eq '{"build-dir":"apps/web","builder-build-dir":"apps/web","builder-computed-build-dir":"apps/web","builder-computed-selected":"herokuish","builder-computed-skip-cleanup":"true","builder-detected":"","builder-global-build-dir":"","builder-global-selected":"herokuish","builder-global-skip-cleanup":"true","builder-selected":"","builder-skip-cleanup":"","computed-build-dir":"apps/web","computed-selected":"herokuish","computed-skip-cleanup":"true","detected":"","global-build-dir":"","global-selected":"herokuish","global-skip-cleanup":"true","selected":"","skip-cleanup":""}' \
		"$(berth builder:report b --format json)"
	berth builder:set b skip-cleanup false >/dev/null
	assert_eq "false" "$(berth builder:report b --builder-computed-skip-cleanup)"
	assert_eq "-----> Unsetting skip-cleanup" "$(berth builder:set --global skip-cleanup)"
	berth builder:set b skip-cleanup >/dev/null
	assert_eq "false" "$(berth builder:report b --builder-computed-skip-cleanup)"
	assert_eq "" "$(berth builder:report b --builder-skip-cleanup)"
	# Dokku's other builders are stored (a deploy refuses them).
	for builder in dockerfile pack lambda nixpacks railpack null; do
		berth builder:set b selected "$builder" >/dev/null || fail "selected $builder"
	done
	assert_eq "null|herokuish|null" \
		"$(berth builder:report b --format json | jq -r '"\(.selected)|\(."global-selected")|\(."computed-selected")"')"
	# detected is what a build found: read-only, as in Dokku (a warning, exit 0).
	berth builder:set b detected pack >"$TEST_TMP/out" 2>"$TEST_TMP/err" || fail "detected"
	assert_eq " !     detected is a read-only property" "$(cat "$TEST_TMP/err")"
	# Refused with one line and exit 1, and nothing changes.
	for bad in /srv/app ../other a/../../b ./web 'a b' 'x;id' web/; do
		run_status status berth builder:set b build-dir "$bad" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "build-dir '$bad'"
		assert_eq " !     Invalid build-dir '$bad': a directory's path relative to the source's root (letters, digits, '.', '_', '-', '/'; no '..')" "$(cat "$TEST_TMP/err")"
	done
	run_status status berth builder:set --global build-dir ../up 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "global build-dir"
	run_status status berth builder:set b selected docker 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid selected builder 'docker': herokuish (berth's buildpacks), or one of Dokku's other builders dockerfile, lambda, nixpacks, null, pack, railpack (stored; a deploy with them fails)" "$(cat "$TEST_TMP/err")"
	run_status status berth builder:set b skip-cleanup yes 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid skip-cleanup value 'yes': true or false" "$(cat "$TEST_TMP/err")"
	run_status status berth builder:set b colour blue 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid property specified, valid properties include: build-dir, selected, skip-cleanup" "$(cat "$TEST_TMP/err")"
	run_status status berth builder:set nope build-dir web 2>"$TEST_TMP/err"
	assert_eq 20 "$status" "Dokku's exit code for a missing app"
	assert_eq " !     App nope does not exist" "$(cat "$TEST_TMP/err")"
	run_status status berth builder:set b 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	run_status status berth builder:report b --builder-nope 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid flag passed, valid flags: --builder-build-dir, --builder-computed-build-dir, --builder-computed-selected, --builder-computed-skip-cleanup, --builder-detected, --builder-global-build-dir, --builder-global-selected, --builder-global-skip-cleanup, --builder-selected, --builder-skip-cleanup" "$(cat "$TEST_TMP/err")"
	assert_eq "apps/web|null||" \
		"$(berth builder:report b --format json | jq -r '"\(."build-dir")|\(.selected)|\(."global-build-dir")|\(."skip-cleanup")"')"
	berth builder:help >"$TEST_TMP/help"
	assert_contains "$(cat "$TEST_TMP/help")" "builder:report [<app>|--global] [<flag>] [--format json]"
	assert_contains "$(cat "$TEST_TMP/help")" "builder:set (<app>|--global) <key> [<value>]"
}

# A monorepo: two apps, each built from its own directory with its own Procfile.
make_monorepo() {
	local src=$TEST_TMP/mono
	mkdir -p "$src/api/bin" "$src/web/static" "$src/docs"
	printf 'web: echo root\n' >"$src/Procfile"
	printf 'web: echo api; exec sleep 1000\nworker: echo api-worker; exec sleep 1000\n' >"$src/api/Procfile"
	printf '#!/bin/sh\necho api tool\n' >"$src/api/bin/tool"
	chmod 755 "$src/api/bin/tool"
	printf 'web: echo web; exec sleep 1000\n' >"$src/web/Procfile"
	echo '<p>web</p>' >"$src/web/static/index.html"
	echo 'readme' >"$src/docs/README"
	# What the build reads of the source comes from the directory alone: the
	# root's .buildpacks and (broken) app.json would fail these builds.
	echo python >"$src/.buildpacks"
	echo '{broken' >"$src/app.json"
	echo static >"$src/web/.buildpacks"
	printf 'WAIT=1\n/static/index.html web\n' >"$src/web/CHECKS"
}

test_a_monorepo_deploys_two_apps_each_from_its_build_dir() {
	berth stacks:create busybox >/dev/null
	make_monorepo
	berth apps:create api >/dev/null
	berth apps:create site >/dev/null
	berth builder:set api build-dir api >/dev/null
	berth builder:set site build-dir web >/dev/null
	src_deploy api "$TEST_TMP/mono" || { cat "$TEST_TMP/deploy-api.out"; fail "deploy of api"; }
	src_deploy site "$TEST_TMP/mono" || { cat "$TEST_TMP/deploy-site.out"; fail "deploy of site"; }
	assert_contains "$(cat "$TEST_TMP/deploy-api.out")" "-----> Using build-dir api"
	assert_contains "$(cat "$TEST_TMP/deploy-api.out")" "       worker: echo api-worker; exec sleep 1000"
	assert_not_contains "$(cat "$TEST_TMP/deploy-api.out")" "echo root"
	assert_not_contains "$(cat "$TEST_TMP/deploy-api.out")" "python"
	assert_contains "$(cat "$TEST_TMP/deploy-site.out")" "-----> Fetching buildpack static"
	assert_contains "$(cat "$TEST_TMP/deploy-site.out")" " !     Deprecated: Usage of the CHECKS file is deprecated in favor of healthchecks in app.json"
	assert_eq "/static/index.html" "$(jq -r '.healthchecks.web[0].path' "$BERTH_ROOT/apps/site/releases/v1.json")"
	# /app is the directory's tree, nothing else of the source.
	assert_eq "Procfile
bin" "$(berth run api ls /app | grep -v '^\.')"
	assert_eq "api tool" "$(berth run api /app/bin/tool)"
	assert_eq "web: echo web; exec sleep 1000" "$(berth run site cat /app/Procfile)"
	assert_eq "<p>web</p>" "$(berth run site cat /app/static/index.html)"
	assert_eq "missing" "$(berth run site 'test -e /app/docs || test -e /app/api && echo present || echo missing')"
	assert_eq '[{"process_type":"web","quantity":1},{"process_type":"worker","quantity":0}]' \
		"$(berth ps:scale api --format json)"
	assert_eq "herokuish" "$(berth builder:report api --builder-detected)"
	# An unchanged build-dir keeps its build; another one is a new build.
	berth ps:rebuild api >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "rebuild"; }
	assert_contains "$(cat "$TEST_TMP/out")" "No change since v1 (same source, stack, buildpacks and config): keeping its build"
	berth builder:set api build-dir web >/dev/null
	berth ps:rebuild api >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "rebuild with web"; }
	assert_not_contains "$(cat "$TEST_TMP/out")" "No change since"
	assert_eq "web: echo web; exec sleep 1000" "$(berth run api cat /app/Procfile)"
	# Unset: the whole source again (the root's .buildpacks would build it with python).
	berth builder:set api build-dir >/dev/null
	rm "$TEST_TMP/mono/.buildpacks" "$TEST_TMP/mono/app.json"
	src_deploy api "$TEST_TMP/mono" || { cat "$TEST_TMP/deploy-api.out"; fail "deploy without build-dir"; }
	assert_eq "web: echo root" "$(berth run api cat /app/Procfile)"
	assert_eq "present" "$(berth run api 'test -d /app/docs && echo present')"
}

test_a_build_dir_missing_from_the_source_fails_the_deploy_and_keeps_the_release() {
	berth stacks:create busybox >/dev/null
	make_monorepo
	berth apps:create api >/dev/null
	berth builder:set --global build-dir api >/dev/null
	src_deploy api "$TEST_TMP/mono" || { cat "$TEST_TMP/deploy-api.out"; fail "deploy of api"; }
	local status
	berth builder:set api build-dir services/api >/dev/null
	echo change >"$TEST_TMP/mono/api/change"
	run_status status src_deploy api "$TEST_TMP/mono"
	assert_eq 1 "$status" "deploy with a missing build-dir"
	assert_eq " !     Specified build-dir not found in the source of api: services/api (builder:set api build-dir)" \
		"$(grep '^ !' "$TEST_TMP/deploy-api.out")"
	assert_eq 1 "$(cat "$BERTH_ROOT/apps/api/current")" "the active release"
	assert_eq "" "$(ls "$BERTH_ROOT/apps/api/releases" | grep -v '^v1.json$')"
	# A file is not a directory to build from.
	berth builder:set api build-dir api/Procfile >/dev/null
	run_status status berth ps:rebuild api 2>"$TEST_TMP/err" >/dev/null
	assert_eq 1 "$status" "a file as build-dir"
	assert_eq " !     Specified build-dir not found in the source of api: api/Procfile (builder:set api build-dir)" \
		"$(cat "$TEST_TMP/err")"
	assert_eq 1 "$(cat "$BERTH_ROOT/apps/api/current")"
}

test_a_deploy_with_another_builder_selected_fails_and_keeps_the_release() {
	berth stacks:create busybox >/dev/null
	make_monorepo
	berth apps:create site >/dev/null
	berth builder:set site build-dir web >/dev/null
	src_deploy site "$TEST_TMP/mono" || { cat "$TEST_TMP/deploy-site.out"; fail "deploy"; }
	local status
	berth builder:set site selected dockerfile >/dev/null
	echo change >"$TEST_TMP/mono/web/change"
	run_status status src_deploy site "$TEST_TMP/mono"
	assert_eq 1 "$status" "deploy with dockerfile selected"
	assert_eq " !     App site has builder 'dockerfile' selected (builder:set site selected): berth builds with buildpacks only (herokuish)" \
		"$(grep '^ !' "$TEST_TMP/deploy-site.out")"
	assert_eq 1 "$(cat "$BERTH_ROOT/apps/site/current")"
	# The global value applies to an app without its own; herokuish builds.
	berth builder:set site selected >/dev/null
	berth builder:set --global selected pack >/dev/null
	run_status status berth ps:rebuild site 2>"$TEST_TMP/err" >/dev/null
	assert_eq 1 "$status" "rebuild with pack selected globally"
	assert_eq " !     App site has builder 'pack' selected (builder:set site selected): berth builds with buildpacks only (herokuish)" "$(cat "$TEST_TMP/err")"
	berth builder:set site selected herokuish >/dev/null
	src_deploy site "$TEST_TMP/mono" || { cat "$TEST_TMP/deploy-site.out"; fail "deploy with herokuish"; }
	assert_eq 2 "$(cat "$BERTH_ROOT/apps/site/current")"
}

test_skip_cleanup_keeps_the_releases_a_deploy_would_remove() {
	berth stacks:create busybox >/dev/null
	berth apps:create k >/dev/null
	berth releases:set k keep 1 >/dev/null
	berth builder:set k skip-cleanup true >/dev/null
	mkdir -p "$TEST_TMP/k"
	for v in 1 2 3; do
		printf 'web: echo v%s\n' "$v" >"$TEST_TMP/k/Procfile"
		src_deploy k "$TEST_TMP/k" || { cat "$TEST_TMP/deploy-k.out"; fail "deploy $v"; }
	done
	assert_contains "$(cat "$TEST_TMP/deploy-k.out")" "       Skipping cleanup (builder:set skip-cleanup): old releases and unused layers are kept"
	assert_eq "v1.json v2.json v3.json" "$(ls "$BERTH_ROOT/apps/k/releases" | tr '\n' ' ' | sed 's/ $//')"
	# Without it, the next deploy's end removes them.
	berth builder:set k skip-cleanup >/dev/null
	printf 'web: echo v4\n' >"$TEST_TMP/k/Procfile"
	src_deploy k "$TEST_TMP/k" || { cat "$TEST_TMP/deploy-k.out"; fail "deploy 4"; }
	assert_not_contains "$(cat "$TEST_TMP/deploy-k.out")" "Skipping cleanup"
	assert_eq "v4.json" "$(ls "$BERTH_ROOT/apps/k/releases" | tr '\n' ' ' | sed 's/ $//')"
}

# A push's source is a chain of layers (each push's changes over the last);
# the build-dir's tree is the merged one: changed, new and deleted files of the
# directory as the pushed commit has them.
test_build_dir_follows_pushes_that_change_and_delete_files_in_it() {
	git_client_env
	local repo=$TEST_TMP/repo
	mkdir -p "$repo/svc/lib" "$repo/other"
	git init -q "$repo"
	printf 'web: exec sleep 1000\n' >"$repo/svc/Procfile"
	echo one >"$repo/svc/lib/a"
	echo gone >"$repo/svc/lib/b"
	echo other >"$repo/other/x"
	git -C "$repo" add -A
	git -C "$repo" commit -q -m one
	berth apps:create svc >/dev/null
	berth builder:set svc build-dir svc >/dev/null
	git -C "$repo" push -q --receive-pack="$BERTH_BIN git-receive-pack" /svc main >"$TEST_TMP/push.out" 2>&1 ||
		{ cat "$TEST_TMP/push.out"; fail "first push"; }
	assert_eq "one|gone" "$(berth run svc 'cat /app/lib/a; cat /app/lib/b' | tr '\n' '|' | sed 's/|$//')"
	echo two >"$repo/svc/lib/a"
	git -C "$repo" rm -q svc/lib/b
	echo new >"$repo/svc/c"
	git -C "$repo" add -A
	git -C "$repo" commit -q -m two
	git -C "$repo" push -q --receive-pack="$BERTH_BIN git-receive-pack" /svc main >"$TEST_TMP/push.out" 2>&1 ||
		{ cat "$TEST_TMP/push.out"; fail "second push"; }
	local src
	src=$(jq -r .source_layer "$BERTH_ROOT/apps/svc/releases/v2.json")
	[ -n "$(jq -r '.parent // empty' "$BERTH_ROOT/layers/$src/layer.json")" ] ||
		fail "the second push's source is not a layer over the first's"
	assert_eq "Procfile c lib lib/a" "$(berth run svc 'cd /app && find . -mindepth 1 | sort | sed s,^./,,' | tr '\n' ' ' | sed 's/ $//')"
	assert_eq "two|new" "$(berth run svc 'cat /app/lib/a; cat /app/c' | tr '\n' '|' | sed 's/|$//')"
}
