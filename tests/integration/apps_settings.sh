# apps:set (Dokku's properties, disable-autocreation at work on git push and
# git:sync) and config:import of a host file, read as the berth user.

git_env() {
	git_client_env
	mkdir -p "$TEST_TMP/src"
	printf 'web: sleep 1000\n' >"$TEST_TMP/src/Procfile"
	git -C "$TEST_TMP/src" init -q
	git -C "$TEST_TMP/src" add -A
	git -C "$TEST_TMP/src" commit -qm one
}

push() { # APP
	git -C "$TEST_TMP/src" push --receive-pack="$BERTH_BIN git-receive-pack" "/$1" main
}

test_apps_set_global_disable_autocreation_refuses_a_push_to_a_missing_app() {
	git_env
	assert_eq "" "$(berth apps:report --global --app-global-disable-autocreation)"
	assert_eq "-----> Setting disable-autocreation to true" \
		"$(berth apps:set --global disable-autocreation true)"
	assert_eq "true" "$(berth apps:report --global --format json | jq -r '."global-disable-autocreation"')"
	local status
	run_status status push nope >"$TEST_TMP/out" 2>&1
	[ "$status" != 0 ] || fail "the push to a missing app succeeded: $(cat "$TEST_TMP/out")"
	assert_contains "$(cat "$TEST_TMP/out")" "App nope does not exist and app auto-creation is disabled: create it with 'apps:create nope'"
	run_status status berth apps:exists nope 2>/dev/null
	assert_eq 20 "$status" "apps:exists after the refused push"
	run_status status berth git:sync synced "file://$TEST_TMP/src" 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "git:sync to a missing app"
	assert_contains "$(cat "$TEST_TMP/err")" "app auto-creation is disabled"
	[ ! -e "$BERTH_ROOT/apps/synced" ] || fail "git:sync created the app"
	# An app created first takes pushes.
	berth apps:create made >/dev/null
	push made >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "push to an existing app"; }
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: made v1"
	# Unset: pushes create apps again.
	assert_eq "-----> Unsetting disable-autocreation" "$(berth apps:set --global disable-autocreation)"
	push fresh >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "push after unset"; }
	berth apps:exists fresh >/dev/null
}

test_apps_set_rejects_what_dokku_rejects() {
	berth apps:create a1 >/dev/null
	local status
	run_status status berth apps:set --global deploy-source git 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Property cannot be specified globally" "$(cat "$TEST_TMP/err")"
	run_status status berth apps:set a1 disable-autocreation true 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Property can only be specified globally" "$(cat "$TEST_TMP/err")"
	run_status status berth apps:set a1 colour blue 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid property specified, valid properties include: deploy-source, deploy-source-metadata, disable-autocreation" "$(cat "$TEST_TMP/err")"
	run_status status berth apps:set --global disable-autocreation yes 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid disable-autocreation value 'yes': true or false" "$(cat "$TEST_TMP/err")"
	assert_eq "" "$(berth apps:report --global --app-global-disable-autocreation)" "nothing was set"
	run_status status berth apps:set nosuch deploy-source git 2>"$TEST_TMP/err"
	assert_eq 20 "$status"
	# deploy-source per app: stored, reported, unset.
	berth apps:set a1 deploy-source git >/dev/null
	berth apps:set a1 deploy-source-metadata abc123 >/dev/null
	assert_eq "git abc123" "$(berth apps:report a1 --format json | jq -r '"\(."deploy-source") \(."app-deploy-source-metadata")"')"
	berth apps:set a1 deploy-source >/dev/null
	assert_eq "" "$(berth apps:report a1 --app-deploy-source)"
}

test_config_import_reads_a_host_file_as_the_berth_user_not_as_root() {
	berth apps:create ci >/dev/null
	printf 'SECRET=1\n' >"$TEST_TMP/root-only.env"
	chmod 0600 "$TEST_TMP/root-only.env"
	local status
	run_status status berth config:import ci "$TEST_TMP/root-only.env" >/dev/null 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "a root-only file"
	assert_eq " !     config:import $TEST_TMP/root-only.env: Permission denied: berth reads the file as user nobody, as Dokku reads it as dokku; make it readable by nobody, or give it on stdin (config:import APP - < FILE)" "$(cat "$TEST_TMP/err")"
	run_status status berth config:get ci SECRET
	assert_eq 1 "$status" "SECRET was set"
	run_status status berth config:import ci /dev/null >/dev/null 2>"$TEST_TMP/err"
	assert_eq " !     config:import /dev/null: not a regular file" "$(cat "$TEST_TMP/err")"
	# The berth user's own file (berth init makes its authorized_keys theirs).
	chown nobody "$TEST_TMP/root-only.env"
	berth config:import --no-restart ci "$TEST_TMP/root-only.env" >/dev/null
	assert_eq 1 "$(berth config:get ci SECRET)"
	# stdin stays open to root's files: the operator chose to pipe it.
	printf 'OTHER=2\n' >"$TEST_TMP/mine.env"
	chmod 0600 "$TEST_TMP/mine.env"
	berth config:import --no-restart ci - <"$TEST_TMP/mine.env" >/dev/null
	assert_eq 2 "$(berth config:get ci OTHER)"
	# With a berth user, it is that user (the authorized_keys' owner).
	mkdir -p "$BERTH_ROOT/.ssh"
	: >"$BERTH_ROOT/.ssh/authorized_keys"
	chown daemon "$BERTH_ROOT/.ssh/authorized_keys"
	run_status status env -u BERTH_AUTHORIZED_KEYS "$BERTH_BIN" config:import ci "$TEST_TMP/root-only.env" >/dev/null 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "nobody's file read as daemon"
	assert_contains "$(cat "$TEST_TMP/err")" "make it readable by daemon"
}

test_each_deploy_records_its_source_in_apps_report() {
	git_env
	berth apps:create src >/dev/null
	tar -C "$TEST_TMP/src" --exclude .git -cf "$TEST_TMP/src.tar" .
	berth git:from-archive src - <"$TEST_TMP/src.tar" >/dev/null 2>&1 || fail "archive deploy"
	assert_eq "tar" "$(berth apps:report src --app-deploy-source)" "archive"
	assert_eq "" "$(berth apps:report src --app-deploy-source-metadata)" "stdin: no URL"
	push src >/dev/null 2>&1 || fail "push"
	assert_eq "git-push" "$(berth apps:report src --app-deploy-source)" "push"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(berth apps:report src --app-deploy-source-metadata)" "the commit"
	git init -q --bare "$TEST_TMP/remote.git"
	git -C "$TEST_TMP/src" commit -q --allow-empty -m two
	git -C "$TEST_TMP/src" push -q "$TEST_TMP/remote.git" main
	berth git:sync --build src "$TEST_TMP/remote.git" main >/dev/null 2>&1 || fail "git:sync --build"
	assert_eq "git-sync" "$(berth apps:report src --app-deploy-source)" "git:sync"
	assert_eq "$TEST_TMP/remote.git#$(git -C "$TEST_TMP/src" rev-parse HEAD)" \
		"$(berth apps:report src --app-deploy-source-metadata)" "URL#commit"
	assert_contains "$(berth builds:list src)" "git:sync" "the sync's build record"
}
