# Dokku parity of ps, ssh-keys, resource, storage and version: the exact text and
# exit statuses Dokku's docs and unit tests (tests/unit/*.bats) give.
. "$TEST_TOP/tests/lib/daemon.sh"

test_version_v_and_dash_dash_version_print_dokkus_form() {
	local want
	want=$(berth version)
	[[ $want =~ ^berth\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "version: $want"
	assert_eq "$want" "$(berth -v)"
	assert_eq "$want" "$(berth --version)"
	assert_eq "$want" "$(berth --quiet -v)"
}

test_ps_report_has_raw_global_and_computed_policy_and_timeout() {
	berth apps:create p >/dev/null
	assert_eq "" "$(berth ps:report p --ps-restart-policy)"
	assert_eq "on-failure:10" "$(berth ps:report p --ps-computed-restart-policy)"
	assert_eq "" "$(berth ps:report p --ps-global-restart-policy)"
	assert_eq "30" "$(berth ps:report p --ps-computed-stop-timeout-seconds)"
	assert_eq "-----> Setting restart-policy to always" "$(berth ps:set --global restart-policy always)"
	assert_eq "always" "$(berth ps:report p --ps-global-restart-policy)"
	assert_eq "always" "$(berth ps:report p --ps-computed-restart-policy)"
	assert_eq "" "$(berth ps:report p --ps-restart-policy)"
	berth ps:set p restart-policy on-failure >/dev/null
	assert_eq "on-failure" "$(berth ps:report p --ps-restart-policy)"
	assert_eq "on-failure" "$(berth ps:report p --ps-computed-restart-policy)"
	assert_eq "-----> Unsetting restart-policy" "$(berth ps:set p restart-policy)"
	assert_eq "always" "$(berth ps:report p --ps-computed-restart-policy)"
	berth ps:set --global stop-timeout-seconds 90 >/dev/null
	berth ps:set p stop-timeout-seconds 45 >/dev/null
	local json
	json=$(berth ps:report p --format json)
	assert_eq "45 90 45 45" "$(jq -r '[."ps-stop-timeout-seconds", ."ps-global-stop-timeout-seconds", ."ps-computed-stop-timeout-seconds", ."stop-timeout-seconds"] | join(" ")' <<<"$json")"
	json=$(berth ps:report --global --format json)
	assert_eq "always 90" "$(jq -r '[."global-restart-policy", ."computed-stop-timeout-seconds"] | join(" ")' <<<"$json")"
	berth ps:set --global restart-policy >/dev/null
	assert_eq "" "$(berth ps:report --global --ps-global-restart-policy)"
	assert_eq "on-failure:10" "$(berth ps:report --global --ps-computed-restart-policy)"
}

test_ps_set_refuses_a_bad_policy_with_dokkus_words_and_changes_nothing() {
	berth apps:create p >/dev/null
	berth ps:set p restart-policy no >/dev/null
	local status
	for bad in bogus "always;reboot" '$(id)' "on-failure:x"; do
		run_status status berth ps:set p restart-policy "$bad" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "policy $bad"
		assert_contains "$(cat "$TEST_TMP/err")" " !     Invalid restart-policy specified"
		assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "one line"
		run_status status berth ps:set --global restart-policy "$bad" 2>/dev/null
		assert_eq 1 "$status" "global policy $bad"
	done
	assert_eq "no" "$(berth ps:report p --ps-restart-policy)"
	assert_eq "" "$(berth ps:report --global --ps-global-restart-policy)"
}

test_a_global_restart_policy_reaches_the_daemon() {
	deploy_app g 'web: exit 3\n'
	berth ps:set --global restart-policy no >/dev/null
	daemon_start
	wait_for sh -c "'$BERTH_BIN' ps:report g --status-web-1 | grep -q '^exited\|^crashed'" ||
		fail "web.1 was restarted under restart-policy no: $(berth ps:report g)"
	assert_contains "$(berth ps:report g --status-web-1)" "restarts 0"
}

test_ps_scale_prints_dokkus_formation_and_json() {
	deploy_app s 'web: sleep 1000\nworker: sleep 1000\n'
	berth ps:scale s --skip-deploy web=2 worker=1 >/dev/null 2>&1 || true
	local out
	out=$(berth ps:scale s)
	assert_eq $'-----> Scaling for s\nproctype: qty\n--------: ---' "$(head -3 <<<"$out")"
	assert_contains "$out" "web:  "
	assert_eq "$(berth --quiet ps:scale s | sed 's/ *[0-9]*$//')" $'web:\nworker:'
	berth --quiet ps:scale s | grep -qx 'web:  [0-9]*' || fail "web row: $(berth --quiet ps:scale s)"
	assert_eq '["web","worker"]' "$(berth ps:scale s --format json | jq -c '[.[].process_type]')"
	assert_eq "number" "$(berth ps:scale s --format json | jq -r '.[0].quantity | type')"
	local status
	run_status status berth ps:scale s --format yaml 2>/dev/null
	assert_eq 1 "$status"
}

keys_make() {
	export BERTH_AUTHORIZED_KEYS=$TEST_TMP/home/.ssh/authorized_keys
	mkdir -p "$TEST_TMP/keys"
	ssh-keygen -q -t ed25519 -N '' -C one -f "$TEST_TMP/keys/one"
	ssh-keygen -q -t ed25519 -N '' -C two -f "$TEST_TMP/keys/two"
}

test_ssh_keys_add_takes_one_key_and_list_filters_by_name() {
	keys_make
	cat "$TEST_TMP/keys/one.pub" "$TEST_TMP/keys/two.pub" >"$TEST_TMP/keys/double.pub"
	local status
	run_status status berth ssh-keys:add both "$TEST_TMP/keys/double.pub" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq " !     Too many keys provided, set one per invocation of berth ssh-keys:add <NAME> <KEY_FILE>" "$(cat "$TEST_TMP/err")"
	: >"$TEST_TMP/keys/empty.pub"
	run_status status berth ssh-keys:add none "$TEST_TMP/keys/empty.pub" 2>"$TEST_TMP/err"
	assert_eq " !     Empty key was specified" "$(cat "$TEST_TMP/err")"
	printf '%s' "$(cat "$TEST_TMP/keys/one.pub")" | berth ssh-keys:add one >/dev/null
	berth ssh-keys:add two "$TEST_TMP/keys/two.pub" >/dev/null
	assert_eq 1 "$(berth ssh-keys:list one | wc -l)"
	assert_contains "$(berth ssh-keys:list --format text one)" 'NAME="one"'
	assert_eq '["two"]' "$(berth ssh-keys:list --format json two | jq -c '[.[].name]')"
	assert_eq '[]' "$(berth ssh-keys:list --format json nobody)"
	run_status status berth ssh-keys:list nobody >"$TEST_TMP/out" 2>&1
	assert_eq "1 0" "$status $(wc -c <"$TEST_TMP/out")" "no key of that name: exit 1, silent"
	run_status status berth ssh-keys:list --format yaml 2>"$TEST_TMP/err"
	assert_eq " !     Invalid output format specified, supported formats: json, text" "$(cat "$TEST_TMP/err")"
}

test_ssh_keys_remove_by_fingerprint_and_twice_is_fine() {
	keys_make
	berth ssh-keys:add one "$TEST_TMP/keys/one.pub" >/dev/null
	berth ssh-keys:add two "$TEST_TMP/keys/two.pub" >/dev/null
	local fp status
	fp=$(berth ssh-keys:list one | cut -d' ' -f1)
	assert_eq "-----> Removed key $fp" "$(berth ssh-keys:remove --fingerprint "$fp")"
	assert_eq 0 "$(berth ssh-keys:list one 2>/dev/null | wc -l)"
	assert_eq 1 "$(berth ssh-keys:list | wc -l)"
	run_status status berth ssh-keys:remove one 2>/dev/null
	assert_eq 0 "$status" "removing an absent key"
	run_status status berth ssh-keys:remove 2>"$TEST_TMP/err"
	assert_eq " !     A name is required to remove a key, ie: berth ssh-keys:remove <name>" "$(cat "$TEST_TMP/err")"
	run_status status berth ssh-keys:remove --fingerprint 2>/dev/null
	assert_eq 1 "$status"
	cp "$BERTH_AUTHORIZED_KEYS" "$TEST_TMP/before"
	run_status status berth ssh-keys:remove "two; rm -rf /" 2>/dev/null
	cmp -s "$BERTH_AUTHORIZED_KEYS" "$TEST_TMP/before" || fail "a hostile name changed the keys"
}

test_resource_report_names_the_defaults_as_dokku() {
	berth apps:create r >/dev/null
	local status
	run_status status berth resource:report r --resource-_default_.limit.memory 2>/dev/null
	assert_eq 1 "$status" "no defaults row before a default is set"
	berth resource:limit --memory 512MB r >/dev/null 2>&1
	assert_eq 512MB "$(berth resource:report r --resource-_default_.limit.memory)"
	berth resource:limit --process-type _default_ --cpu 1 r >/dev/null 2>&1
	assert_eq 1 "$(berth resource:report r --resource-_default_.limit.cpu)"
	berth resource:limit --memory clear r >/dev/null
	assert_eq "" "$(berth resource:report r --resource-_default_.limit.memory)"
}

test_storage_report_and_quiet_list_as_dokku() {
	berth apps:create st >/dev/null
	mkdir -p "$BERTH_ROOT/storage/st"
	assert_eq "" "$(berth storage:report st --format json | jq -r '."storage-deploy-mounts"')"
	berth storage:mount st "$BERTH_ROOT/storage/st:/data" >/dev/null
	assert_eq "-v $BERTH_ROOT/storage/st:/data" "$(berth storage:report st --storage-deploy-mounts)"
	assert_eq "-v $BERTH_ROOT/storage/st:/data" "$(berth storage:report st --format json | jq -r '."run-mounts"')"
	assert_eq "" "$(berth storage:report st --storage-build-mounts)"
	assert_eq "$BERTH_ROOT/storage/st:/data" "$(berth --quiet storage:list st)"
}

test_topic_help_pages_use_dokkus_descriptions() {
	assert_contains "$(berth ssh-keys:help)" "Manage public ssh keys used for deployment"
	assert_eq "$(berth ssh-keys:help)" "$(berth ssh-keys)"
	assert_contains "$(berth events:help)" "Manage event logging"
	assert_contains "$(berth enter:help)" "Enter running app containers"
}

test_logs_set_max_size_is_reported_and_rotates_the_apps_log_files() {
	# bursts of 40 lines (1.6k), ten a second: a rotation at 8k within a second
	deploy_app lg 'web: while true; do for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40; do echo 0123456789012345678901234567890123456789; done; sleep 0.1; done\n'
	assert_eq "10m" "$(berth logs:report lg --logs-computed-max-size)"
	assert_eq "-----> Setting max-size to 1g" "$(berth logs:set --global max-size 1g)"
	assert_eq "1g" "$(berth logs:report lg --logs-computed-max-size)"
	berth logs:set lg max-size 8k >/dev/null
	assert_eq "8k 1g 8k" "$(berth logs:report lg --format json | jq -r '[."max-size", ."global-max-size", ."computed-max-size"] | join(" ")')"
	daemon_start
	wait_for test -e "$BERTH_ROOT/logs/lg/web.1.log.1" || fail "no rotation at 8k: $(ls -l "$BERTH_ROOT/logs/lg")"
	local size
	size=$(stat -c %s "$BERTH_ROOT/logs/lg/web.1.log.1")
	[ "$size" -lt 16384 ] || fail "rotated file of $size bytes for max-size 8k"
	assert_eq "-----> Unsetting max-size" "$(berth logs:set lg max-size)"
	assert_eq "1g" "$(berth logs:report lg --logs-computed-max-size)"
}

test_logs_set_refuses_bad_input_and_changes_nothing() {
	berth apps:create lb >/dev/null
	berth logs:set lb max-size 20m >/dev/null
	local status bad
	for bad in 1k -5 10q '20m;id' '$(id)'; do
		run_status status berth logs:set lb max-size "$bad" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "max-size $bad"
		assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "one line for $bad"
	done
	run_status status berth logs:set lb vector-sink console:// 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "vector-sink"
	run_status status berth logs:set 2>"$TEST_TMP/err"
	assert_eq " !     Please specify an app to run the command on" "$(cat "$TEST_TMP/err")"
	run_status status berth logs:set nosuch max-size 20m 2>/dev/null
	assert_eq 20 "$status"
	assert_eq "20m" "$(berth logs:report lb --logs-max-size)"
	run_status status berth logs:report lb --logs-vector-sink 2>"$TEST_TMP/err"
	assert_eq " !     Invalid flag passed, valid flags: --logs-computed-max-size, --logs-global-max-size, --logs-max-size" "$(cat "$TEST_TMP/err")"
}

test_git_report_and_a_global_deploy_branch_as_dokku() {
	berth stacks:create busybox >/dev/null
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
	export GIT_CONFIG_NOSYSTEM=1 HOME=$TEST_TMP
	berth apps:create gr >/dev/null
	assert_eq "" "$(berth git:report gr --git-deploy-branch)"
	assert_eq "master" "$(berth git:report gr --git-computed-deploy-branch)"
	berth git:set gr deploy-branch main >/dev/null
	assert_eq "main main" "$(berth git:report gr --format json | jq -r '[."deploy-branch", ."computed-deploy-branch"] | join(" ")')"
	berth git:set gr deploy-branch >/dev/null
	assert_eq "-----> Setting deploy-branch to prod" "$(berth git:set --global deploy-branch prod)"
	assert_eq "prod" "$(berth git:report --global --git-global-deploy-branch)"
	assert_eq "prod" "$(berth git:report gr --git-computed-deploy-branch)"
	local status
	run_status status berth git:report gr --git-invalid-flag 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "Invalid flag passed"
	run_status status berth git:set gr no-such-property true 2>/dev/null
	assert_eq 1 "$status" "a property berth does not have"
	# the global branch is the one a push deploys
	mkdir -p "$TEST_TMP/src"
	cp -r "$TEST_TOP/examples/hello/." "$TEST_TMP/src/"
	git -C "$TEST_TMP/src" init -q -b main && git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm hello
	git -C "$TEST_TMP/src" push --receive-pack="$BERTH_BIN git-receive-pack" /gr main >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "only prod deploys"
	git -C "$TEST_TMP/src" push --receive-pack="$BERTH_BIN git-receive-pack" /gr main:prod >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: gr v1"
	berth git:set --global deploy-branch >/dev/null
	assert_eq "master" "$(berth git:report gr --git-computed-deploy-branch)"
}

test_storage_ensure_directory_makes_an_owned_directory_under_the_root_only() {
	mkdir -p "$BERTH_ROOT/storage"
	local out status
	out=$(berth storage:ensure-directory data)
	assert_eq "-----> Ensuring $BERTH_ROOT/storage/data exists
       Setting directory ownership to 1000:1000
       Directory ready for mounting" "$out"
	assert_eq "1000:1000" "$(stat -c %u:%g "$BERTH_ROOT/storage/data")"
	berth storage:ensure-directory --chown herokuish data >/dev/null
	assert_eq "32767:32767" "$(stat -c %u:%g "$BERTH_ROOT/storage/data")"
	berth storage:ensure-directory --chown=false other >/dev/null
	assert_eq "0:0" "$(stat -c %u:%g "$BERTH_ROOT/storage/other")"
	ln -s /etc "$BERTH_ROOT/storage/evil"
	for bad in ../x a/b '' '.' 'x;id' evil '$(id)'; do
		run_status status berth storage:ensure-directory "$bad" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "directory '$bad'"
		assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "one line for '$bad'"
	done
	assert_eq "0:0" "$(stat -c %u:%g /etc)" "/etc through the symlink"
	run_status status berth storage:ensure-directory --chown 70000 big 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "Unsupported chown permissions"
	assert_eq "data evil other" "$(ls "$BERTH_ROOT/storage" | xargs)" "nothing else made"
}

test_report_prints_the_host_then_every_report_of_the_app() {
	local out status
	out=$(berth report 2>"$TEST_TMP/err")
	assert_contains "$out" "-----> berth version: berth version "
	assert_contains "$(cat "$TEST_TMP/err")" "You haven't deployed any applications yet"
	berth apps:create rp >/dev/null
	out=$(berth report rp)
	for topic in app buildpacks domains git logs ports ps resource storage; do
		assert_contains "$out" "=====> rp $topic information"
	done
	assert_contains "$(berth report)" "=====> rp ps information"
	run_status status berth report nosuch 2>/dev/null
	assert_eq 20 "$status"
	run_status status berth report 'rp;id' 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_eq 1 "$(wc -l <"$TEST_TMP/err")"
}

test_a_report_refuses_format_json_with_an_info_flag_as_dokku() {
	berth apps:create fj >/dev/null
	local status cmd
	for cmd in apps:report ps:report git:report logs:report storage:report domains:report; do
		run_status status berth "$cmd" fj --format json "--${cmd%%:*}-x" 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "$cmd"
		assert_eq " !     --format flag cannot be specified when specifying an info flag" "$(cat "$TEST_TMP/err")"
	done
}

test_extra_arguments_and_bad_mappings_are_one_line_errors_that_change_nothing() {
	# A port of the test's own range: a fixed one may be busy on the host.
	local hp=$((TEST_PORT_BASE + 40))
	berth apps:create hx >/dev/null
	berth ports:add hx "http:$hp:5000" >/dev/null
	berth resource:limit --memory 64m hx >/dev/null 2>&1
	local before status cmd
	before=$(cat "$BERTH_ROOT/apps/hx/settings.json")
	for cmd in "buildpacks:list hx x" "buildpacks:clear hx x" "resource:limit-clear hx x" \
		"resource:report hx x" "storage:list hx x" "ports:remove hx x;id" "ports:remove hx http:99999" \
		"ports:remove hx 0" "ports:remove hx HTTP:$hp" "ports:remove hx http:$hp:x"; do
		run_status status berth $cmd 2>"$TEST_TMP/err"
		assert_eq 1 "$status" "$cmd"
		assert_eq 1 "$(wc -l <"$TEST_TMP/err")" "one line: $cmd"
	done
	assert_eq "$before" "$(cat "$BERTH_ROOT/apps/hx/settings.json")" "settings"
	berth ports:remove hx "http:$hp" >/dev/null
	assert_eq "" "$(berth ports:report hx --ports-map)"
	export BERTH_AUTHORIZED_KEYS=$TEST_TMP/keys
	run_status status berth ssh-keys:remove 'a;id' 2>"$TEST_TMP/err"
	assert_eq 1 "$status" "a key name that cannot be"
	[ ! -e "$TEST_TMP/keys" ] || fail "a bad name touched the keys file"
}
