# domains:* with Dokku's rules and output (tests/unit/domains.bats in Dokku).

test_domains_default_to_app_under_each_global_domain() {
	berth apps:create web >/dev/null
	assert_eq "" "$(berth domains:report web --domains-app-vhosts)" "no global domain: no vhost"
	assert_eq "false" "$(berth domains:report --global --domains-global-enabled)"
	assert_eq "-----> Added global1.test
-----> Added global2.test" "$(berth domains:add-global global1.test GLOBAL2.test)"
	assert_eq "-----> Skipping global1.test: already added" "$(berth domains:add-global global1.test)"
	assert_eq "web.global1.test web.global2.test" "$(berth domains:report web --domains-app-vhosts)"
	berth domains:set-global global3.test >/dev/null
	assert_eq "web.global3.test" "$(berth domains:report web --domains-app-vhosts)" "set-global replaces"
	berth apps:create my.site.test >/dev/null
	assert_eq "my.site.test" "$(berth domains:report my.site.test --domains-app-vhosts)" "a dotted app name is its own vhost"
	assert_eq "-----> Removed global3.test" "$(berth domains:remove-global global3.test)"
	assert_eq "" "$(berth domains:report --global --domains-global-vhosts)"
	berth domains:add-global a.test b.test >/dev/null
	berth domains:clear-global >/dev/null
	assert_eq "" "$(berth domains:report --global --domains-global-vhosts)" "clear-global"
	assert_contains "$(berth domains:report --global)" "global domains information"
}

test_domains_add_remove_set_clear_and_reset_an_apps_vhosts() {
	berth domains:set-global example.test >/dev/null
	berth apps:create web >/dev/null
	assert_eq "-----> Added *.example.test to web
-----> Added www.web.io to web" "$(berth domains:add web '*.example.test' WWW.web.io)"
	assert_eq "-----> Skipping: www.web.io already added to web" "$(berth domains:add web www.web.io)"
	assert_eq "web.example.test *.example.test www.web.io" "$(berth domains:report web --domains-app-vhosts)" \
		"the first change starts from the default vhost"
	assert_eq "-----> Removed *.example.test from web" "$(berth domains:remove web '*.example.test')"
	assert_eq "web.example.test www.web.io" "$(berth domains:report web --domains-app-vhosts)"
	assert_eq "-----> Set a.test b.test for web" "$(berth domains:set web a.test b.test)"
	assert_eq "a.test b.test" "$(berth domains:report web --domains-app-vhosts)"
	assert_eq "-----> Cleared domains in web" "$(berth domains:clear web)"
	assert_eq "" "$(berth domains:report web --domains-app-vhosts)"
	berth domains:reset web >/dev/null
	assert_eq "web.example.test" "$(berth domains:report web --domains-app-vhosts)" "reset"
	berth domains:add web _ a--hyphen.test >/dev/null
	assert_eq "web.example.test _ a--hyphen.test" "$(berth domains:report web --domains-app-vhosts)"
	berth domains:report web --format json | jq -e '."domains-app-vhosts" == "web.example.test _ a--hyphen.test"' >/dev/null ||
		fail "json report"
}

test_domains_bad_input_is_refused_and_changes_nothing() {
	berth apps:create web >/dev/null
	berth domains:set web ok.test >/dev/null
	local status
	run_status status berth domains:add web good.test bad_name.test 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     bad_name.test is invalid. exiting..." "$(cat "$TEST_TMP/err")"
	assert_eq "ok.test" "$(berth domains:report web --domains-app-vhosts)" "nothing added"
	run_status status berth domains:add web 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "Please specify a domain name"
	run_status status berth domains:add-global 'a b' 2>/dev/null
	assert_eq 1 "$status"
	run_status status berth domains:set nosuchapp a.test 2>"$TEST_TMP/err"
	assert_eq 20 "$status"
	assert_eq " !     App nosuchapp does not exist" "$(cat "$TEST_TMP/err")"
	run_status status berth domains:report web --domains-nonsense 2>/dev/null
	assert_eq 1 "$status"
}

test_domains_global_commands_need_an_admin_key() {
	berth apps:create web >/dev/null
	local status
	SSH_ORIGINAL_COMMAND='domains:add-global evil.test' run_status status berth ssh:serve dev >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "domains:add-global needs an admin key"
	assert_eq "" "$(berth domains:report --global --domains-global-vhosts)"
	SSH_ORIGINAL_COMMAND='domains:add web web.test' berth ssh:serve dev >/dev/null
	assert_eq "web.test" "$(berth domains:report web --domains-app-vhosts)" "an app key manages its app's domains"
	SSH_ORIGINAL_COMMAND='domains:set-global ok.test' berth ssh:serve --admin boss >/dev/null
	assert_eq "ok.test" "$(berth domains:report --global --domains-global-vhosts)"
}
