# apps:destroy leaves nothing of an app anywhere; apps:rename and apps:clone
# with Dokku's semantics (tests/unit/apps_1.bats, apps_2.bats in Dokku).
. "$TEST_TOP/tests/lib/daemon.sh"

# Whatever of app $1 exists anywhere berth keeps things, one line each.
traces_of() {
	local app=$1
	[ -e "$BERTH_ROOT/apps/$app" ] && echo "dir apps/$app"
	[ -e "$BERTH_ROOT/logs/$app" ] && echo "logs/$app"
	[ -e "$BERTH_RUN/daemon/procs/$app" ] && echo "records procs/$app"
	# <app>.<type>.<n>[.<k>]: not the containers of an app named <app>.<more>
	local re="^$(printf '%s' "$app" | sed 's/\./\\./g')\.[A-Za-z_][^.]*\.[0-9]+(\.[0-9]+)?"
	ls "$BERTH_RUN/containers" 2>/dev/null | grep -E "$re(\.json|\.status)?$" | sed 's/^/container /'
	find "/sys/fs/cgroup/unified/$BERTH_CGROUP" -mindepth 1 -type d 2>/dev/null | xargs -rn1 basename |
		grep -E "$re$" | sed 's/^/cgroup /'
	ls "$BERTH_ROOT"/images/refs/release 2>/dev/null | grep "^$app%" | sed 's/^/ref /'
	grep -l "\"$app\"" "$BERTH_RUN/router/table.json" 2>/dev/null | sed 's/^/route /'
	true
}

leases() { jq '.leases | length' "$BERTH_ROOT/net/$TEST_BRIDGE/leases.json" 2>/dev/null || echo 0; }

test_apps_destroy_asks_for_the_name_and_refuses_a_wrong_one() {
	berth apps:create ask >/dev/null
	run_status st berth apps:destroy ask <<<"nope" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	assert_eq 1 "$st"
	assert_eq " !     WARNING: Potentially Destructive Action
 !     This command will destroy app ask.
 !     To proceed, type \"ask\"
Confirmation did not match ask. Aborted." "$(cat "$TEST_TMP/err")"
	assert_eq "> " "$(cat "$TEST_TMP/out")"
	berth apps:exists ask || fail "destroyed without confirmation"
	out=$(berth apps:destroy ask <<<"ask" 2>/dev/null)
	assert_contains "$out" "-----> Destroying ask (including all add-ons)"
	run_status st berth apps:exists ask 2>/dev/null
	assert_eq 20 "$st"
}

test_apps_destroy_of_a_running_app_leaves_nothing_anywhere() {
	deploy_app gone 'web: exec httpd -f -p $PORT -h /app\nworker: exec sleep 1000\n'
	deploy_app stays 'web: exec httpd -f -p $PORT -h /app\n'
	berth ps:scale gone web=2 worker=1 >/dev/null 2>&1 || true
	daemon_start
	berth ps:scale gone web=2 worker=1 >/dev/null
	wait_for running_is gone 3 || fail "gone did not start: $(berth ps:report gone)"
	wait_for running_is stays 1 || fail "stays did not start"
	[ -n "$(traces_of gone)" ] || fail "the test sees nothing of a running app"
	grep -q '"gone"' "$BERTH_RUN/router/table.json" || fail "gone is not in the router table: $(cat "$BERTH_RUN/router/table.json" 2>&1)"
	# a forwarded tcp port: an nftables DNAT rule to one of its containers
	hp=$((TEST_PORT_BASE + 61))
	berth ports:add gone "tcp:$hp:5000" >/dev/null
	wait_for sh -c "nft list table ip 'berth_${TEST_BRIDGE}_fw' | grep -q 'dport $hp'" ||
		fail "no forward rule for port $hp: $(nft list table ip "berth_${TEST_BRIDGE}_fw" 2>&1)"
	leases_before=$(leases)
	[ "$leases_before" -ge 4 ] || fail "expected 4 address leases, got $leases_before"
	own_layers=$(jq -r '.layers[]' "$BERTH_ROOT/apps/gone/releases/v1.json" | grep -vxF "$(jq -r '.layers[]' "$BERTH_ROOT/apps/stays/releases/v1.json")")
	[ -n "$own_layers" ] || fail "gone has no layer of its own: the test proves nothing"
	berth --force apps:destroy gone >/dev/null
	assert_eq "" "$(traces_of gone)" "traces left"
	assert_eq 1 "$(leases)" "address leases (the other app's only)"
	assert_not_contains "$(nft list table ip "berth_${TEST_BRIDGE}_fw" 2>/dev/null)" "dport $hp"
	grep -q '"stays"' "$BERTH_RUN/router/table.json" || fail "the router table lost the other app"
	store=$(berth images:list --format json | jq -r '.[].id')
	for l in $own_layers; do
		echo "$store" | grep -qx "$l" && fail "layer $l only gone used is still in the store"
	done
	# the other app is untouched
	assert_eq 1 "$(count_running stays)"
	[ -d "$BERTH_ROOT/apps/stays" ] || fail "stays lost its files"
	# and the name can be used again from scratch
	berth apps:create gone >/dev/null
	assert_eq 0 "$(berth releases gone --format json | jq length)"
}

test_apps_destroy_without_a_daemon_removes_the_containers_it_left() {
	deploy_app orphan 'web: exec sleep 1000\n'
	# an app whose name starts with the other's: its containers are not the other's
	deploy_app orphan.web 'web: exec sleep 1000\n'
	daemon_start
	wait_for running_is orphan 1 || fail "did not start"
	wait_for running_is orphan.web 1 || fail "orphan.web did not start"
	pid=$(pid_of orphan web 1)
	daemon_kill9
	kill -0 "$pid" || fail "the process died with the daemon"
	berth --force apps:destroy orphan >/dev/null
	assert_eq "" "$(traces_of orphan)" "traces left"
	# gone, or a zombie its new parent has not reaped yet
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo gone)
	[ "$state" = gone ] || [ "$state" = Z ] || fail "process $pid of the destroyed app still runs ($state)"
	assert_eq 1 "$(leases)" "address leases (orphan.web's only)"
	assert_eq "orphan.web.web.1" "$(ls "$BERTH_RUN/containers" | grep -v status | sed 's/\.json$//')"
}

test_apps_rename_moves_the_app_whole_and_restarts_it() {
	deploy_app old 'web: exec sleep 1000\n'
	berth buildpacks:add old https://github.com/heroku/heroku-buildpack-ruby.git >/dev/null
	berth config:set --no-restart old KEY=VALUE-old >/dev/null
	berth git:set old deploy-branch SOME_BRANCH_NAME >/dev/null
	berth resource:limit --memory 100m old >/dev/null
	daemon_start
	wait_for running_is old 1 || fail "did not start"
	assert_eq "-----> Renaming old to new" "$(berth apps:rename old new)"
	run_status st berth apps:exists old 2>/dev/null
	assert_eq 20 "$st"
	assert_eq "" "$(traces_of old)" "traces of the old name"
	assert_eq "https://github.com/heroku/heroku-buildpack-ruby.git" "$(berth buildpacks:report new --buildpacks-list)"
	assert_eq "VALUE-old" "$(berth config:get new KEY)"
	assert_eq "SOME_BRANCH_NAME" "$(jq -r .deploy_branch "$BERTH_ROOT/apps/new/settings.json")"
	assert_contains "$(berth resource:report new)" "100m"
	assert_eq "1" "$(berth releases new --format json | jq length)"
	wait_for running_is new 1 || fail "new did not start: $(berth ps:report new)"
	# layers are referenced by the new name: gc keeps them
	berth images:gc >/dev/null
	assert_eq "" "$(berth run new 'echo ok' | grep -v ok)"
	run_status st berth apps:rename new new 2>"$TEST_TMP/err"
	assert_eq " !     Name is already taken" "$(cat "$TEST_TMP/err")"
	run_status st berth apps:rename new 2>"$TEST_TMP/err"
	assert_eq " !     Please specify an new app name" "$(cat "$TEST_TMP/err")"
	berth apps:rename --skip-deploy new newer >/dev/null
	assert_eq 0 "$(count_running newer)" "--skip-deploy started processes"
}

test_apps_clone_copies_settings_config_and_image() {
	deploy_app src 'web: exec sleep 1000\n'
	berth buildpacks:add src https://github.com/heroku/heroku-buildpack-ruby.git >/dev/null
	berth config:set src KEY=cloned >/dev/null
	berth git:set src deploy-branch SOME_BRANCH_NAME >/dev/null
	berth domains:set src src.example.com >/dev/null
	berth ps:set src procfile-path other/Procfile >/dev/null
	berth builder:set src build-dir sub >/dev/null
	berth checks:set src wait-to-retire 7 >/dev/null
	berth logs:set src max-size 5m >/dev/null
	out=$(berth apps:clone src dst)
	assert_contains "$out" "-----> Cloning src to dst"
	berth apps:exists src || fail "clone removed the source app"
	assert_eq "https://github.com/heroku/heroku-buildpack-ruby.git" "$(berth buildpacks:report dst --buildpacks-list)"
	assert_eq "cloned" "$(berth config:get dst KEY)"
	assert_eq "SOME_BRANCH_NAME" "$(jq -r .deploy_branch "$BERTH_ROOT/apps/dst/settings.json")"
	assert_not_contains "$(berth domains:report dst --domains-app-vhosts)" "src.example.com"
	# Every command's per-app properties, as Dokku clones them.
	assert_eq "other/Procfile" "$(berth ps:report dst --ps-procfile-path)" "ps:set"
	assert_eq "sub" "$(berth builder:report dst --builder-build-dir)" "builder:set"
	assert_eq "7" "$(berth checks:report dst --checks-wait-to-retire)" "checks:set"
	assert_eq "5m" "$(berth logs:report dst --logs-max-size)" "logs:set"
	assert_eq "Clone of src v2" "$(berth releases:info dst --release-description)"
	assert_eq "$(jq -c .layers "$BERTH_ROOT/apps/src/releases/v2.json")" \
		"$(jq -c .layers "$BERTH_ROOT/apps/dst/releases/v1.json")"
	assert_eq "cloned" "$(berth run dst 'echo $KEY')"
	# --skip-deploy: settings only; --ignore-existing: exit 0 when it exists
	berth apps:clone --skip-deploy src dst2 >/dev/null
	assert_eq 0 "$(berth releases dst2 --format json | jq length)"
	run_status st berth apps:clone src dst 2>"$TEST_TMP/err"
	assert_eq 1 "$st"
	assert_eq " !     Name is already taken" "$(cat "$TEST_TMP/err")"
	run_status st berth apps:clone --ignore-existing src dst 2>"$TEST_TMP/err"
	assert_eq 0 "$st"
	assert_eq " !     Name is already taken" "$(cat "$TEST_TMP/err")"
}

test_apps_list_json_and_report_json() {
	assert_eq "[]" "$(berth apps:list --format json)"
	berth apps:create a1 >/dev/null
	berth apps:create a2 >/dev/null
	assert_eq '["a1","a2"]' "$(berth apps:list --format json)"
	json=$(berth apps:report a1 --format json)
	assert_eq "true true true true" "$(echo "$json" | jq -r '[has("dir") and has("app-dir"), has("locked") and has("app-locked"), has("deploy-source") and has("app-deploy-source"), has("global-disable-autocreation") and has("app-global-disable-autocreation")] | map(tostring) | join(" ")')"
	berth apps:lock a1 >/dev/null
	assert_eq "true" "$(berth apps:report a1 --app-locked)"
}

test_apps_destroy_during_a_deploy_is_refused_before_anything_stops() {
	deploy_app busy 'web: exec sleep 1000\n'
	daemon_start
	wait_for running_is busy 1 || fail "did not start"
	pid=$(pid_of busy web 1)
	exec 8>"$BERTH_ROOT/apps/busy/deploy.lock"
	flock 8
	run_status st berth --force apps:destroy busy 2>"$TEST_TMP/err"
	flock -u 8
	exec 8>&-
	assert_eq 1 "$st"
	assert_contains "$(cat "$TEST_TMP/err")" "App busy is being deployed by another push"
	assert_eq "$pid" "$(pid_of busy web 1)" "its process"
	# a locked app (apps:lock refuses deploys) can still be destroyed, as in Dokku
	berth apps:lock busy >/dev/null
	berth --force apps:destroy busy >/dev/null || fail "destroy of a locked app failed"
	assert_eq "" "$(traces_of busy)"
}

# Dokku's domains.bats: a rename moves the app's names under each global domain
# to the new name and keeps every other domain as it was.
test_apps_rename_renames_the_apps_names_under_global_domains_only() {
	berth apps:create dn >/dev/null
	berth domains:set-global one.test two.test >/dev/null
	berth domains:set dn dn.one.test dn.two.test www.dn.one.test dn.other.test >/dev/null
	berth apps:rename --skip-deploy dn dm >/dev/null
	assert_eq "dm.one.test dm.two.test www.dn.one.test dn.other.test" \
		"$(berth domains:report dm --domains-app-vhosts)"
}
