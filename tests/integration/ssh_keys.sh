# ssh-keys:add|list|remove: the authorized_keys file berth writes (no sshd
# needed here; tests/integration/ssh_access.sh logs in with these keys).

keys_setup() {
	export BERTH_AUTHORIZED_KEYS=$TEST_TMP/home/.ssh/authorized_keys
	mkdir -p "$TEST_TMP/keys"
	ssh-keygen -q -t ed25519 -N '' -C one -f "$TEST_TMP/keys/one"
	ssh-keygen -q -t rsa -b 2048 -N '' -C two -f "$TEST_TMP/keys/two"
}

test_added_keys_get_a_forced_command_with_their_name_and_no_forwarding() {
	keys_setup
	berth ssh-keys:add one "$TEST_TMP/keys/one.pub" >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "$(ssh-keygen -lf "$TEST_TMP/keys/one.pub" | cut -d' ' -f2)"
	berth ssh-keys:add --admin two - <"$TEST_TMP/keys/two.pub" >/dev/null
	local f=$BERTH_AUTHORIZED_KEYS
	assert_eq 600 "$(stat -c %a "$f")" "mode of authorized_keys"
	assert_eq 2 "$(wc -l <"$f")" "lines"
	assert_contains "$(sed -n 1p "$f")" "ssh:serve 'one'\",restrict,pty ssh-ed25519 "
	assert_contains "$(sed -n 2p "$f")" "ssh:serve --admin 'two'\",restrict,pty ssh-rsa "
	assert_contains "$(sed -n 1p "$f")" "BERTH_ROOT='$BERTH_ROOT'"
	# OpenSSH itself accepts every line (ssh-keygen -l reads authorized_keys).
	assert_eq 2 "$(ssh-keygen -lf "$f" | wc -l)" "keys OpenSSH reads"
	local list
	list=$(berth ssh-keys:list)
	assert_contains "$list" 'NAME="one" ADMIN="false"'
	assert_contains "$list" 'NAME="two" ADMIN="true"'
	assert_eq '["one","two"]' "$(berth ssh-keys:list --format json | jq -c '[.[].name]')"
	berth ssh-keys:remove one >/dev/null
	assert_eq 1 "$(wc -l <"$f")" "lines after remove"
	assert_not_contains "$(cat "$f")" "'one'"
}

test_bad_and_duplicate_keys_are_refused_and_the_file_is_unchanged() {
	keys_setup
	berth ssh-keys:add one "$TEST_TMP/keys/one.pub" >/dev/null
	echo "# a line someone else wrote" >>"$BERTH_AUTHORIZED_KEYS"
	local before status
	before=$(cat "$BERTH_AUTHORIZED_KEYS")
	run_status status berth ssh-keys:add again "$TEST_TMP/keys/one.pub" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "already added as one"
	run_status status berth ssh-keys:add one "$TEST_TMP/keys/two.pub" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "A key named one already exists"
	echo "ssh-ed25519 bm90IGEga2V5 x" >"$TEST_TMP/bad.pub"
	run_status status berth ssh-keys:add bad "$TEST_TMP/bad.pub" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" "not an ssh public key"
	run_status status berth ssh-keys:add bad "$TEST_TMP/keys/one" 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "not an ssh public key"
	printf 'command="sh" %s' "$(cat "$TEST_TMP/keys/two.pub")" >"$TEST_TMP/opts.pub"
	run_status status berth ssh-keys:add opts "$TEST_TMP/opts.pub" 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	run_status status berth ssh-keys:add 'bad name' "$TEST_TMP/keys/two.pub" 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "is not a valid key name"
	run_status status berth ssh-keys:remove nobody 2>"$TEST_TMP/err"
	assert_contains "$(cat "$TEST_TMP/err")" "No key named nobody"
	assert_eq "$before" "$(cat "$BERTH_AUTHORIZED_KEYS")" "authorized_keys"
}
