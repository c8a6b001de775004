# config:* with Dokku's flags and output (docs/configuration/environment-variables.md
# and tests/unit/config.bats in Dokku), and edits that never lose one another.

setup_cfg() {
	berth apps:create "${1:-cfg}" >/dev/null
}

test_config_show_pads_keys_to_the_widest_plus_two() {
	setup_cfg
	berth --app cfg config:set zKey=true bKey=true BKEY=true aKey=true >/dev/null
	assert_eq "=====> cfg env vars
BKEY:  true
aKey:  true
bKey:  true
zKey:  true" "$(berth --app cfg config:show)"
	berth config:set cfg LONGER_KEY=x >/dev/null
	assert_eq "BKEY:        true" "$(berth config:show cfg | sed -n 2p)"
	assert_eq "LONGER_KEY:  x" "$(berth config:show cfg | grep LONGER)"
	assert_eq "$(berth config:show cfg)" "$(berth config cfg)"
}

test_config_set_echoes_pairs_sorted_and_padded() {
	setup_cfg
	assert_eq "-----> Setting config vars
       A:      1
       ZZ:     two words
       abcde:  x=y" "$(berth config:set --no-restart cfg ZZ='two words' abcde=x=y A=1)"
}

test_config_set_and_unset_need_arguments() {
	setup_cfg
	local status
	run_status status berth config:set cfg >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_eq " !     At least one env pair must be given" "$(cat "$TEST_TMP/out")"
	run_status status berth config:unset cfg >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_eq " !     At least one key must be given" "$(cat "$TEST_TMP/out")"
	run_status status berth config:set cfg NOEQUALS 2>"$TEST_TMP/err"
	assert_eq " !     Invalid env pair: NOEQUALS" "$(cat "$TEST_TMP/err")"
	run_status status berth config:set cfg 1A=x 2>"$TEST_TMP/err"
	assert_eq " !     Invalid key name: '1A'" "$(cat "$TEST_TMP/err")"
}

test_config_unset_skips_absent_keys() {
	setup_cfg
	berth config:set cfg test_var=true >/dev/null
	assert_eq "-----> Skipping nope, it is not set in the environment
-----> Unsetting test_var" "$(berth config:unset cfg nope test_var)"
	local status
	run_status status berth config:get cfg test_var
	assert_eq 1 "$status"
}

test_config_get_values_round_trip_and_quote() {
	setup_cfg
	berth config:set cfg 'test_var2=hello world' "test_var3=with\\nnewline" "Q=it's" $'M=line one\n  line two' 'D=hello  world$' >/dev/null
	assert_eq "hello world" "$(berth config:get cfg test_var2)"
	assert_eq 'with\nnewline' "$(berth config:get cfg test_var3)"
	assert_eq $'line one\n  line two' "$(berth config:get cfg M)"
	assert_eq 'hello  world$' "$(berth config:get cfg D)"
	assert_eq "'it'\\''s'" "$(berth config:get --quoted cfg Q)"
	local status
	run_status status berth config:get cfg A B 2>/dev/null
	assert_eq 1 "$status"
}

test_config_global_vars_and_merged_view() {
	setup_cfg
	berth config:set --global G=global O=global >/dev/null
	berth config:set cfg O=app >/dev/null
	assert_eq "global" "$(berth config:get --global G)"
	assert_eq "=====> global env vars
G:  global
O:  global" "$(berth config:show --global)"
	assert_eq "O" "$(berth config:keys cfg)"
	assert_eq "$(printf 'G\nO')" "$(berth config:keys --merged cfg)"
	assert_eq '{"G":"global","O":"app"}' "$(berth config:export --merged --format json cfg)"
	berth config:unset --global G >/dev/null
	assert_eq "O" "$(berth config:keys --global)"
}

test_config_encoded_values_keep_their_bytes() {
	setup_cfg
	berth config:set --encoded --no-restart cfg "E=$(echo myvalue | base64 -w0)" >/dev/null
	assert_eq 9 "$(berth config:get cfg E | wc -c)"
	berth config:set --encoded --no-restart cfg "P=$(printf myvalue | base64 -w0)" >/dev/null
	assert_eq 8 "$(berth config:get cfg P | wc -c)"
	local status
	run_status status berth config:set --encoded cfg 'X=%%%' 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "illegal base64 data at input byte 0 for key 'X'"
}

test_config_set_refuses_values_that_are_not_utf8() {
	setup_cfg
	berth config:set cfg KEEP=1 >/dev/null
	local status
	run_status status berth config:set cfg "BAD=$(printf 'a\xffb')" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "a non-UTF-8 value"
	assert_eq "" "$(cat "$TEST_TMP/out")" "no success reported"
	assert_contains "$(cat "$TEST_TMP/err")" "Invalid value for key 'BAD': not valid UTF-8"
	run_status status berth config:set --encoded cfg "BAD=$(printf '\xfe' | base64)" 2>/dev/null
	assert_eq 1 "$status" "a non-UTF-8 value, encoded"
	run_status status berth config:set --encoded cfg "NUL=$(printf 'a\0b' | base64)" 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "a NUL byte"
	assert_eq "KEEP" "$(berth config:keys cfg)" "nothing stored"
	berth config:set cfg 'U=héllo ✓' >/dev/null
	assert_eq 'héllo ✓' "$(berth config:get cfg U)" "UTF-8 round-trips byte-exactly"
}

test_config_export_formats() {
	setup_cfg
	berth --app cfg config:set zKey=true bKey=true BKEY=true aKey=true >/dev/null
	assert_eq "--env=BKEY='true' --env=aKey='true' --env=bKey='true' --env=zKey='true'" "$(berth config:export --format docker-args cfg)"
	assert_eq "BKEY='true' aKey='true' bKey='true' zKey='true' " "$(berth config:export --format shell cfg)"
	assert_eq '{"BKEY":"true","aKey":"true","bKey":"true","zKey":"true"}' "$(berth config:export --format json cfg)"
	assert_eq '[{"name":"BKEY","value":"true"},{"name":"aKey","value":"true"},{"name":"bKey","value":"true"},{"name":"zKey","value":"true"}]' \
		"$(berth config:export --format=json-list cfg)"
	assert_eq "--env=BKEY --env=aKey --env=bKey --env=zKey" "$(berth config:export --format docker-args-keys cfg)"
	assert_eq "--env BKEY --env aKey --env bKey --env zKey" "$(berth config:export --format pack-keys cfg)"
	assert_eq "$(printf "export BKEY='true'\nexport aKey='true'\nexport bKey='true'\nexport zKey='true'")" "$(berth config:export cfg)"
	berth config:clear cfg >/dev/null
	berth config:set cfg 'Q=a "b" $c' N=007 >/dev/null
	assert_eq "$(printf 'N=7\nQ="a \\"b\\" \\$c"')" "$(berth config:export --format envfile cfg)"
	local status
	run_status status berth config:export --format yaml cfg 2>"$TEST_TMP/err"
	assert_eq " !     Unknown export format: yaml" "$(cat "$TEST_TMP/err")"
}

test_config_import_envfile_json_stdin_and_replace() {
	setup_cfg
	berth config:set cfg first_key=first_value >/dev/null
	echo 'second_key=second_value' | berth config:import cfg - >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Reading config vars from stdin"
	assert_eq first_value "$(berth config:get cfg first_key)"
	assert_eq second_value "$(berth config:get cfg second_key)"
	printf '# comment\nexport A="x\\ny"\nB='"'"'single $x'"'"'\nC=plain # note\n' >"$TEST_TMP/env"
	berth config:import cfg "$TEST_TMP/env" >/dev/null
	assert_eq "$(printf 'x\ny')" "$(berth config:get cfg A)"
	assert_eq 'single $x' "$(berth config:get cfg B)"
	assert_eq plain "$(berth config:get cfg C)"
	echo '{"test_var": "TESTING3"}' >"$TEST_TMP/env.json"
	berth config:import --replace --format json cfg "$TEST_TMP/env.json" >/dev/null
	assert_eq test_var "$(berth config:keys cfg)"
	local status
	: >"$TEST_TMP/empty"
	run_status status berth config:import cfg "$TEST_TMP/empty" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     No config vars to set" "$(cat "$TEST_TMP/err")"
	echo '{"n": 1}' >"$TEST_TMP/bad.json"
	run_status status berth config:import --format json cfg "$TEST_TMP/bad.json" 2>/dev/null
	assert_eq 1 "$status"
	assert_eq test_var "$(berth config:keys cfg)" "a refused import changes nothing"
}

test_config_clear_unsets_everything() {
	setup_cfg
	berth config:set cfg B=1 A=2 >/dev/null
	assert_eq "-----> Unsetting A
-----> Unsetting B" "$(berth config:clear cfg)"
	assert_eq "" "$(berth config:keys cfg)"
}

test_concurrent_config_sets_lose_nothing() {
	setup_cfg
	local i pids=()
	for i in $(seq 1 30); do
		berth config:set --no-restart cfg "KEY_$i=value $i" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	assert_eq 30 "$(berth config:keys cfg | wc -l)" "keys kept of 30 concurrent config:set"
	assert_eq "value 17" "$(berth config:get cfg KEY_17)"
	assert_eq 600 "$(stat -c %a "$BERTH_ROOT/apps/cfg/config.json")" "config files are private"
}

test_config_set_does_not_wait_for_a_deploy() {
	setup_cfg
	local dir=$BERTH_ROOT/apps/cfg
	# A deploy holds deploy.lock for as long as it builds.
	flock "$dir/deploy.lock" sh -c "touch '$TEST_TMP/held'; while [ ! -e '$TEST_TMP/release' ]; do sleep 0.1; done" &
	local holder=$!
	wait_for test -e "$TEST_TMP/held" || fail "the deploy lock was not taken"
	local status
	run_status status timeout 10 "$BERTH_BIN" config:set --no-restart cfg A=1
	touch "$TEST_TMP/release"
	wait "$holder"
	assert_eq 0 "$status" "config:set while a deploy holds its lock"
	assert_eq 1 "$(berth config:get cfg A)"
}
