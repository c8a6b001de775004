# apps:* with Dokku's names, output and formats.

test_app_names_follow_dokku_with_dots() {
	berth apps:create app.example.com >/dev/null
	berth apps:create 1994testapp >/dev/null
	berth apps:exists app.example.com
	local status name
	for name in testapp:latest TestApp test/app test_app 'test;id' 'test$cmd' 'test|cmd' 'test&cmd' .dot; do
		run_status status berth apps:create "$name" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "apps:create '$name'"
		assert_eq " !     App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens" \
			"$(cat "$TEST_TMP/err")" "message for '$name'"
	done
	assert_eq '["1994testapp","app.example.com"]' "$(berth apps:list --format json)"
}

test_apps_list_without_apps_warns_on_stderr() {
	berth apps:list >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq "=====> My Apps" "$(cat "$TEST_TMP/out")"
	assert_eq " !     You haven't deployed any applications yet" "$(cat "$TEST_TMP/err")"
	assert_eq "[]" "$(berth apps:list --format json 2>&1)"
	berth apps:create a1 >/dev/null
	berth apps:list >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq "=====> My Apps
a1" "$(cat "$TEST_TMP/out")"
	assert_eq "" "$(cat "$TEST_TMP/err")"
}

test_apps_list_formats() {
	berth apps:create b2 >/dev/null
	berth apps:create a1 >/dev/null
	assert_eq '["a1","b2"]' "$(berth apps:list --format=json)"
	assert_eq "$(berth apps:list)" "$(berth apps:list --format stdout)"
	assert_eq "$(berth apps:list)" "$(berth apps)"
	local status
	run_status status berth apps:list --format yaml 2>/dev/null
	assert_eq 1 "$status"
}

test_apps_destroy_removes_config_and_releases_references() {
	berth apps:create d >/dev/null
	berth config:set --no-restart d A=1 >/dev/null
	berth --force apps:destroy d >/dev/null
	[ ! -e "$BERTH_ROOT/apps/d" ] || fail "app directory left behind"
	[ -z "$(ls -A "$BERTH_ROOT/apps" | grep -v '^\.create\.lock$')" ] || fail "leftovers: $(ls -A "$BERTH_ROOT/apps")"
	berth apps:create d >/dev/null
	assert_eq "" "$(berth config:keys d)" "a new app of the same name starts clean"
}

test_apps_lock_locked_unlock_and_report() {
	berth apps:create l >/dev/null
	assert_eq false "$(berth apps:report l --app-locked)"
	local status
	run_status status berth apps:locked l 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Deploy lock does not exist" "$(cat "$TEST_TMP/err")"
	assert_eq "-----> Deploy lock created" "$(berth apps:lock l)"
	assert_eq true "$(berth apps:report l --app-locked)"
	assert_eq "Deploy lock exists" "$(berth apps:locked l)"
	assert_eq "-----> Deploy lock removed" "$(berth apps:unlock l)"
	assert_eq false "$(berth apps:report l --app-locked)"
	run_status status berth apps:unlock l 2>/dev/null
	assert_eq 1 "$status" "unlocking an unlocked app"
}

test_apps_report_rows_and_json_keys() {
	berth apps:create rep >/dev/null
	local out
	out=$(berth apps:report rep)
	assert_eq "=====> rep app information" "$(head -n1 <<<"$out")"
	assert_contains "$out" "       App dir:                         $BERTH_ROOT/apps/rep"
	assert_contains "$out" "       App locked:                      false"
	assert_eq "true" "$(berth apps:report rep --format json | jq -r 'has("dir") and has("app-dir") and has("locked") and has("app-locked") and has("deploy-source")')"
	[[ $(berth apps:report rep --app-created-at) =~ ^[0-9]+$ ]] || fail "created-at is not a Unix time"
}
