# The command line as Dokku's users type it: global flags before the command,
# help pages, unknown commands and exit statuses. Expected output is drawn from
# Dokku's documentation and its unit tests.

test_global_app_flag_becomes_the_first_argument() {
	berth --app one apps:create | grep -qx -- "-----> Creating one..."
	berth --app one config:set --no-restart A=1 >/dev/null
	assert_eq 1 "$(berth --app one config:get A)"
	assert_eq 1 "$(berth --app=one config:get A)"
	local status
	run_status status berth --app one apps:list 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "--app on a command that takes no app"
}

test_global_quiet_drops_headers_but_not_data() {
	berth apps:create q >/dev/null
	assert_eq "q" "$(berth --quiet apps:list)"
	assert_eq "" "$(berth --quiet config:set q A=1)"
	assert_eq "A:  1" "$(berth --quiet config:show q)"
}

test_global_force_destroys_without_asking() {
	berth apps:create gone >/dev/null
	assert_eq "-----> Destroying gone (including all add-ons)" "$(berth --force apps:destroy gone)"
	local status
	run_status status berth apps:exists gone 2>/dev/null
	assert_eq 20 "$status"
	berth apps:create kept >/dev/null
	run_status status berth apps:destroy kept <<<"wrong" >/dev/null 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "a wrong confirmation"
	assert_contains "$(cat "$TEST_TMP/err")" "Confirmation did not match kept. Aborted."
	berth apps:exists kept
	berth apps:destroy kept <<<"kept" >/dev/null 2>&1
	run_status status berth apps:exists kept 2>/dev/null
	assert_eq 20 "$status"
}

test_topic_help_is_the_same_page_three_ways() {
	local page
	page=$(berth apps:help)
	assert_eq "Usage: berth apps[:COMMAND]" "$(head -n1 <<<"$page")"
	assert_eq "Manage apps" "$(sed -n 3p <<<"$page")"
	assert_eq "Additional commands:" "$(sed -n 5p <<<"$page")"
	assert_contains "$page" "    apps:create <app>"
	assert_eq "$page" "$(berth apps --help)"
	assert_eq "$page" "$(berth help apps)"
	assert_contains "$(berth config --help)" "Manage global and app-specific config vars"
	assert_eq "$(berth config:help)" "$(berth config --help)"
	assert_contains "$(berth buildpacks)" "Manage buildpacks settings for an app"
	assert_eq "$(berth buildpacks)" "$(berth buildpacks:help)"
}

test_command_help_flag_is_not_an_argument() {
	berth apps:create h >/dev/null
	assert_contains "$(berth config:set --help)" "Usage: berth config:set [--encoded] [--no-restart] (<app>|--global) KEY1=VALUE1"
	assert_eq "" "$(berth config:keys h)" "config:set --help changed nothing"
}

test_help_lists_topics_and_all_commands() {
	local out
	out=$(berth help)
	assert_eq "Usage: berth [--quiet|--trace|--force] COMMAND <app> [command-specific-options]" "$(head -n1 <<<"$out")"
	assert_contains "$out" "    apps        Manage apps"
	assert_contains "$(berth help --all)" "config:unset [--no-restart] (<app>|--global) KEY1 [KEY2 ...]"
}

test_unknown_command_says_so_as_dokku_does() {
	local status
	run_status status berth fakecommand arg >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq "" "$(cat "$TEST_TMP/out")"
	assert_eq " !     \`fakecommand arg\` is not a berth command.
 !     See \`berth help\` for a list of available commands." "$(cat "$TEST_TMP/err")"
	run_status status berth apps: 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "is not a berth command"
	run_status status berth --bogus apps:list 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "an unknown global flag"
}

test_missing_app_exits_20_and_bad_input_exits_1() {
	local status cmd
	for cmd in "config:show nope" "config:get nope A" "config:set nope A=1" "buildpacks:list nope" \
		"buildpacks:add nope heroku/ruby" "apps:exists nope" "run nope true" "ps:rebuild nope"; do
		# shellcheck disable=SC2086
		run_status status berth $cmd 2>"$TEST_TMP/err"
		assert_eq 20 "$status" "$cmd"
		assert_eq " !     App nope does not exist" "$(cat "$TEST_TMP/err")" "$cmd"
	done
	run_status status berth config:show 'Bad_Name' 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "an invalid name is not a missing app"
	run_status status berth config:show 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Please specify an app to run the command on" "$(cat "$TEST_TMP/err")"
}
