# apps:create names and config vars: what users type, and what they must not.

test_apps_create_accepts_dokku_style_names() {
	berth apps:create my-app-1 | grep -q -- "-----> Creating my-app-1"
	berth apps:create 9lives >/dev/null
	berth apps:exists my-app-1
	local out
	out=$(berth apps:list)
	assert_contains "$out" "my-app-1"
	assert_contains "$out" "9lives"
	assert_eq '["9lives","my-app-1"]' "$(berth apps:list --format json)"
}

test_apps_create_rejects_hostile_names_and_changes_nothing() {
	local name status
	for name in "MyApp" "-x" "a_b" "a/b" "../etc" ".a" "a b" '$(id)' "a;rm -rf /" "" \
		"$(printf 'a%.0s' $(seq 1 64))"; do
		run_status status berth apps:create "$name" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "exit status for '$name'"
		assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "error lines for '$name'"
		assert_contains "$(cat "$TEST_TMP/err")" " !     "
	done
	[ ! -d "$BERTH_ROOT/apps" ] || [ -z "$(ls -A "$BERTH_ROOT/apps" | grep -v '^\.create\.lock$')" ] ||
		fail "hostile names left something in apps/: $(ls -A "$BERTH_ROOT/apps")"
}

test_apps_create_twice_is_refused() {
	berth apps:create twice >/dev/null
	local status
	run_status status berth apps:create twice 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "Name is already taken"
}

test_apps_get_distinct_host_id_ranges() {
	berth apps:create one >/dev/null
	berth apps:create two >/dev/null
	local a b
	a=$(grep -o '"id_slot": [0-9]*' "$BERTH_ROOT/apps/one/settings.json")
	b=$(grep -o '"id_slot": [0-9]*' "$BERTH_ROOT/apps/two/settings.json")
	[ -n "$a" ] && [ "$a" != "$b" ] || fail "id slots not distinct: '$a' '$b'"
}

test_config_set_get_unset_round_trip() {
	berth apps:create cfg >/dev/null
	local out
	out=$(berth config:set --no-restart cfg A=1 'B=two words' 'C=x=y')
	assert_contains "$out" "-----> Setting config vars"
	assert_contains "$out" "two words"
	assert_eq 1 "$(berth config:get cfg A)"
	assert_eq "two words" "$(berth config:get cfg B)"
	assert_eq "x=y" "$(berth config:get cfg C)"
	assert_eq "$(printf 'A\nB\nC')" "$(berth config:keys cfg)"
	berth config:unset --no-restart cfg A | grep -q "Unsetting A"
	local status
	run_status status berth config:get cfg A
	assert_eq 1 "$status" "config:get of an unset key"
	assert_contains "$(berth config:show cfg)" "B:"
}

test_config_set_rejects_bad_keys_and_changes_nothing() {
	berth apps:create cfg >/dev/null
	berth config:set --no-restart cfg KEEP=1 >/dev/null
	local status bad
	for bad in "1A=x" "A-B=x" "=x" "NOEQUALS" 'A$B=1'; do
		run_status status berth config:set --no-restart cfg GOOD=1 "$bad" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "config:set with '$bad'"
		assert_eq 1 "$(wc -l <"$TEST_TMP/err")"
	done
	assert_eq KEEP "$(berth config:keys cfg)" "config after refused sets"
}

test_commands_on_missing_app_say_so() {
	local status
	run_status status berth config:get nope A 2>"$TEST_TMP/err"
	assert_eq 20 "$status" "a missing app exits as Dokku's does"
	assert_contains "$(cat "$TEST_TMP/err")" "App nope does not exist"
	run_status status berth run nope true 2>"$TEST_TMP/err"
	assert_eq 20 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "App nope does not exist"
}
