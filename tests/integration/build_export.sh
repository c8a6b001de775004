# An app's release leaves berth as an OCI image that other runtimes run.

need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || skip "$t is not installed"
	done
}

test_app_release_exports_as_an_oci_image_that_runc_runs() {
	local id=berth-test-export-$$ out cfg
	need_tools skopeo umoci runc jq
	berth stacks:create busybox >/dev/null
	berth apps:create hello >/dev/null
	berth config:set --no-restart hello SECRET=not-exported >/dev/null
	tar -C "$TEST_TOP/examples/hello" -cf - . | berth git:from-archive hello - >/dev/null 2>&1
	berth images:export hello "$TEST_TMP/hello.tar" >/dev/null
	cfg=$(skopeo inspect --config "oci-archive:$TEST_TMP/hello.tar")
	assert_eq "/app 1000:1000" "$(echo "$cfg" | jq -r '"\(.config.WorkingDir) \(.config.User)"')" "image config"
	assert_contains "$(echo "$cfg" | jq -r '.config.Cmd | join(" ")')" "httpd -f -p 0.0.0.0:\$PORT -h /app/public"
	assert_not_contains "$(echo "$cfg" | jq -c '.config.Env')" "SECRET"
	assert_eq 3 "$(skopeo inspect "oci-archive:$TEST_TMP/hello.tar" | jq '.Layers | length')" "layers: stack, source, build"
	skopeo copy -q "oci-archive:$TEST_TMP/hello.tar" "oci:$TEST_TMP/layout:latest"
	umoci unpack --image "$TEST_TMP/layout:latest" "$TEST_TMP/bundle" >/dev/null
	jq '.process.terminal = false | .process.args = ["/bin/sh", "-c", "id -u; cat /app/public/index.html | head -2 | tail -1"]' \
		"$TEST_TMP/bundle/config.json" >"$TEST_TMP/config.json"
	mv "$TEST_TMP/config.json" "$TEST_TMP/bundle/config.json"
	trap 'runc delete -f "$id" >/dev/null 2>&1' RETURN
	out=$(timeout 60 runc run -b "$TEST_TMP/bundle" "$id" </dev/null)
	assert_eq "1000
<title>hello from berth</title>" "$out" "runc output"
}

test_export_of_an_app_without_a_release_is_refused() {
	berth stacks:create busybox >/dev/null
	berth apps:create empty >/dev/null
	local status
	run_status status berth images:export empty "$TEST_TMP/x.tar" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "has not been deployed"
	[ ! -e "$TEST_TMP/x.tar" ] || fail "a refused export wrote a file"
}

test_stack_in_use_by_a_release_is_not_removed_without_force() {
	berth stacks:create busybox >/dev/null
	berth apps:create hello >/dev/null
	tar -C "$TEST_TOP/examples/hello" -cf - . | berth git:from-archive hello - >/dev/null 2>&1
	local status
	run_status status berth stacks:remove busybox 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "release:hello/v1"
	assert_contains "$(berth images:list)" "release:hello/v1"
	# gc keeps what the release uses: the app still runs.
	berth images:gc >/dev/null
	assert_eq 1000 "$(berth run hello id -u)"
}
