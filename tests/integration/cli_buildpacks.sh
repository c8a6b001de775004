# buildpacks:* with Dokku's rules and output (tests/unit/buildpacks.bats in Dokku).

gh() { echo "https://github.com/heroku/heroku-buildpack-$1.git"; }

test_buildpacks_add_stores_shorthand_as_github_urls_at_an_index() {
	berth apps:create bp >/dev/null
	berth buildpacks:add bp heroku/nodejs
	berth buildpacks:add bp heroku/ruby
	berth buildpacks:add --index 1 bp heroku/golang
	berth buildpacks:add --index 2 bp heroku/python
	berth buildpacks:add --index 100 bp heroku-community/php
	assert_eq "$(gh golang) $(gh python) $(gh nodejs) $(gh ruby) $(gh php)" "$(berth --quiet buildpacks:list bp | xargs)"
	assert_eq "-----> bp buildpack urls
       $(gh golang)" "$(berth buildpacks:list bp | head -n2)"
	berth buildpacks:add bp heroku/ruby
	assert_eq 6 "$(berth --quiet buildpacks:list bp | wc -l)" "duplicates are allowed, as in Dokku"
}

test_buildpacks_invalid_names_are_refused() {
	berth apps:create bp >/dev/null
	local status spec
	for spec in "" nodejs /nodejs http://nodejs "a b/c"; do
		run_status status berth buildpacks:add bp $spec 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "buildpacks:add '$spec'"
	done
	run_status status berth buildpacks:set bp nodejs 2>"$TEST_TMP/err"
	assert_eq " !     Invalid buildpack specified: nodejs" "$(cat "$TEST_TMP/err")"
	mkdir -p "$TEST_TMP/local-bp"
	berth buildpacks:set bp "$TEST_TMP/local-bp"
	berth buildpacks:add bp "file://$TEST_TMP/local-bp#v1"
	assert_eq "$TEST_TMP/local-bp file://$TEST_TMP/local-bp#v1" "$(berth --quiet buildpacks:list bp | xargs)"
}

test_buildpacks_set_index_and_replace() {
	berth apps:create bp >/dev/null
	berth buildpacks:set bp heroku/nodejs
	berth buildpacks:set bp heroku/ruby
	assert_eq "$(gh ruby)" "$(berth --quiet buildpacks:list bp | xargs)"
	berth buildpacks:set --index 2 bp heroku/python
	berth buildpacks:set --index 100 bp heroku/php
	assert_eq "$(gh ruby) $(gh python) $(gh php)" "$(berth --quiet buildpacks:list bp | xargs)"
	local status
	run_status status berth buildpacks:set bp heroku/nodejs heroku/ruby 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "--replace"
	run_status status berth buildpacks:set --replace bp 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "buildpacks:clear"
	run_status status berth buildpacks:set --replace --index 1 bp heroku/nodejs 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "--index"
	run_status status berth buildpacks:set --replace bp heroku/ruby nodejs 2>/dev/null
	assert_eq 1 "$status"
	assert_eq "$(gh ruby) $(gh python) $(gh php)" "$(berth --quiet buildpacks:list bp | xargs)" "an invalid entry changes nothing"
	berth buildpacks:set --replace bp heroku/ruby heroku/golang
	assert_eq "$(gh ruby) $(gh golang)" "$(berth --quiet buildpacks:list bp | xargs)"
}

test_buildpacks_remove_by_url_or_index_and_clear() {
	berth apps:create bp >/dev/null
	berth buildpacks:set --replace bp heroku/nodejs heroku/ruby https://github.com/yespark/heroku-imagemagick-buildpack
	assert_eq "-----> Removing $(gh nodejs)" "$(berth buildpacks:remove bp heroku/nodejs)"
	assert_eq "-----> Removing $(gh ruby)" "$(berth buildpacks:remove bp --index 1)"
	local status
	run_status status berth buildpacks:remove bp heroku/php 2>/dev/null
	assert_eq 1 "$status"
	berth buildpacks:clear bp
	berth buildpacks:clear bp
	assert_eq "" "$(berth --quiet buildpacks:list bp)"
}

test_buildpacks_report_rows_flags_and_json() {
	berth apps:create bp >/dev/null
	berth stacks:create busybox >/dev/null
	berth buildpacks:add bp heroku/ruby
	assert_eq "=====> bp buildpacks information
       Buildpacks computed stack:     busybox
       Buildpacks global stack:       
       Buildpacks list:               $(gh ruby)
       Buildpacks stack:              " "$(berth buildpacks:report bp)"
	assert_eq "$(gh ruby)" "$(berth buildpacks:report bp --buildpacks-list)"
	berth buildpacks:set-property --global stack busybox
	assert_eq busybox "$(berth buildpacks:report bp --format json | jq -r '."buildpacks-global-stack"')"
	assert_eq "true" "$(berth buildpacks:report bp --format json | jq -r 'has("list") and has("buildpacks-list")')"
	assert_eq busybox "$(berth buildpacks:report --global --buildpacks-global-stack)"
	local status
	run_status status berth buildpacks:report bp --nope 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Invalid flag passed, valid flags: --buildpacks-computed-stack, --buildpacks-global-stack, --buildpacks-list, --buildpacks-stack" \
		"$(cat "$TEST_TMP/err")"
}

test_concurrent_buildpacks_adds_lose_nothing() {
	berth apps:create bp >/dev/null
	local i pids=()
	for i in $(seq 1 20); do
		berth buildpacks:add bp "https://example.com/org/bp-$i.git" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	assert_eq 20 "$(berth --quiet buildpacks:list bp | wc -l)" "buildpacks kept of 20 concurrent adds"
}
