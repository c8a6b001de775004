# git:auth, git:auth-status, git:allow-host, git:generate-deploy-key,
# git:public-key and git:sync over ssh with the deploy key and known_hosts; the
# git:set properties (archive limits, keep-git-dir, rev-env-var, source-image)
# and what git:report shows of them.
#
# The berth user's home is BERTH_ROOT here (no BERTH_AUTHORIZED_KEYS) unless a
# test says otherwise; the ssh tests use ssh_access.sh's sshd on loopback,
# whose BERTH_AUTHORIZED_KEYS is $TEST_TMP/authorized_keys: ~/.ssh is $TEST_TMP.

# shellcheck source=tests/integration/ssh_access.sh
. "$TEST_TOP/tests/integration/ssh_access.sh"

test_git_auth_keeps_a_private_netrc_and_auth_status_answers() {
	local status netrc=$BERTH_ROOT/.netrc
	run_status status berth git:auth 2>"$TEST_TMP/err"
	assert_eq "1| !     Please supply a git host" "$status|$(cat "$TEST_TMP/err")"
	run_status status berth git:auth github.com someone 2>"$TEST_TMP/err" </dev/null
	assert_eq "1| !     Missing password for netrc auth entry" "$status|$(cat "$TEST_TMP/err")"
	[ ! -e "$netrc" ] || fail "a refused git:auth made $netrc"

	assert_eq "-----> Removing netrc auth entry for host github.com" "$(berth git:auth github.com)"
	[ ! -e "$netrc" ] || fail "removing from no netrc made one"
	assert_eq "-----> Setting netrc auth entry for host github.com" "$(berth git:auth github.com someone s3cret)"
	assert_eq "-----> Setting netrc auth entry for host other.example.com" \
		"$(printf 'piped-pw\n' | berth git:auth other.example.com piped)"
	assert_eq "machine github.com
  login someone
  password s3cret
machine other.example.com
  login piped
  password piped-pw" "$(cat "$netrc")"
	assert_eq "600 root" "$(stat -c '%a %U' "$netrc")"
	# Setting it again replaces the entry in place.
	berth git:auth github.com someone n3w >/dev/null
	assert_eq "machine github.com
  login someone
  password n3w" "$(head -3 "$netrc")"

	run_status status berth git:auth-status github.com someone n3w
	assert_eq 0 "$status" "auth-status of the entry"
	run_status status berth git:auth-status github.com someone s3cret
	assert_eq 1 "$status" "auth-status with an old password"
	run_status status berth git:auth-status github.com other n3w
	assert_eq 1 "$status" "auth-status with another login"
	run_status status berth git:auth-status github.com
	assert_eq 1 "$status" "auth-status 'none' of a host that has one"
	run_status status berth git:auth-status nothere.example.com
	assert_eq 0 "$status" "auth-status 'none' of a host that has none"
	status=0
	printf n3w | berth git:auth-status github.com someone >"$TEST_TMP/out" 2>&1 || status=$?
	assert_eq "0 " "$status $(cat "$TEST_TMP/out")" "auth-status with the password on stdin prints nothing"

	# A value the file cannot hold bare is refused; nothing changes.
	cp "$netrc" "$TEST_TMP/before"
	run_status status berth git:auth github.com "two words" pw 2>"$TEST_TMP/err"
	assert_eq "1| !     The username for a netrc auth entry may not hold white space, quotes, backslashes or control characters" \
		"$status|$(cat "$TEST_TMP/err")"
	cmp -s "$netrc" "$TEST_TMP/before" || fail "a refused git:auth changed the netrc"

	# Someone made it world-readable: removing an entry makes it private again.
	chmod 644 "$netrc"
	assert_eq "-----> Removing netrc auth entry for host github.com" "$(berth git:auth github.com)"
	assert_eq "600" "$(stat -c '%a' "$netrc")"
	assert_eq "machine other.example.com
  login piped
  password piped-pw" "$(cat "$netrc")"
}

test_git_auth_writes_the_home_of_the_user_that_owns_authorized_keys() {
	# ~/.ssh is the directory of BERTH_AUTHORIZED_KEYS; its owner is the user.
	export BERTH_AUTHORIZED_KEYS=$TEST_TMP/home/.ssh/authorized_keys
	mkdir -p "$TEST_TMP/home/.ssh"
	chown nobody:nogroup "$TEST_TMP/home/.ssh"
	berth git:auth example.com bot tok >/dev/null
	assert_eq "600 nobody:nogroup" "$(stat -c '%a %U:%G' "$TEST_TMP/home/.netrc")"
	[ ! -e "$BERTH_ROOT/.netrc" ] || fail "the netrc went to BERTH_ROOT"
	run_status status berth git:public-key 2>"$TEST_TMP/err"
	assert_contains "$(head -1 "$TEST_TMP/err")" "There is no deploy key associated with the nobody user."
}

test_git_public_key_and_generate_deploy_key() {
	local status
	run_status status berth git:public-key 2>"$TEST_TMP/err"
	assert_eq "1" "$status" "git:public-key without a key"
	assert_eq " !     There is no deploy key associated with the berth user.
 !     Generate an ssh key with the following command:
 !       berth git:generate-deploy-key
 !     As an alternative, configure the netrc authentication via the git:auth command" "$(cat "$TEST_TMP/err")"

	berth git:generate-deploy-key >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "Your public key has been saved in $BERTH_ROOT/.ssh/id_ed25519.pub"
	assert_eq "600" "$(stat -c '%a' "$BERTH_ROOT/.ssh/id_ed25519")"
	assert_eq "700" "$(stat -c '%a' "$BERTH_ROOT/.ssh")"
	assert_eq "$(cat "$BERTH_ROOT/.ssh/id_ed25519.pub")" "$(berth git:public-key)"
	assert_contains "$(berth git:public-key)" "ssh-ed25519 "

	run_status status berth git:generate-deploy-key 2>"$TEST_TMP/err"
	assert_eq "0| !     A deploy key already exists for this host" "$status|$(cat "$TEST_TMP/err")"

	# An rsa key that is there already is shown as well (Dokku's id_rsa).
	rm "$BERTH_ROOT/.ssh/id_ed25519" "$BERTH_ROOT/.ssh/id_ed25519.pub"
	ssh-keygen -q -t rsa -b 2048 -N '' -f "$BERTH_ROOT/.ssh/id_rsa"
	assert_eq "$(cat "$BERTH_ROOT/.ssh/id_rsa.pub")" "$(berth git:public-key)"
}

test_git_allow_host_adds_what_ssh_keyscan_finds() {
	local status kh
	ssh_start
	kh=$TEST_TMP/known_hosts
	run_status status berth git:allow-host 2>"$TEST_TMP/err"
	assert_eq "1| !     Please supply a git host" "$status|$(cat "$TEST_TMP/err")"
	# Nobody listens there: nothing is added.
	run_status status berth git:allow-host "127.0.0.1:$((SSH_PORT + 1))" >/dev/null 2>"$TEST_TMP/err"
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/err")" " !     No host key found for 127.0.0.1:$((SSH_PORT + 1)): ssh-keyscan got no answer"
	[ ! -e "$kh" ] || fail "a failed git:allow-host wrote $kh"

	assert_eq "-----> 127.0.0.1:$SSH_PORT added to known hosts" \
		"$(berth git:allow-host "127.0.0.1:$SSH_PORT" 2>/dev/null)"
	assert_eq "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$TEST_TMP/sshd/host_key.pub")" "$(cat "$kh")"
	# As Dokku: a second call adds the key again.
	berth git:allow-host "127.0.0.1:$SSH_PORT" >/dev/null 2>&1
	assert_eq 2 "$(wc -l <"$kh")"
}

test_git_sync_over_ssh_uses_the_deploy_key_and_refuses_unknown_host_keys() {
	local status sha kh
	# Under ASan: whole allocation stacks, so that tests/lsan.supp can tell
	# libgit2's own ssh leaks (under git_remote_connect_ext) from berth's.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
	# The test's sshd is on loopback, where an app's fetch may not go unless
	# the host allows it (docs/security.md).
	export BERTH_FETCH_LOCAL=allow
	ssh_start
	kh=$TEST_TMP/known_hosts
	git_ssh_env dev
	hello_repo "$TEST_TMP/src"
	berth git:sync upstream "file://$TEST_TMP/src" main >/dev/null
	sha=$(git -C "$TEST_TMP/src" rev-parse HEAD)
	local url="ssh://root@127.0.0.1:$SSH_PORT/upstream"

	# No deploy key yet, and the host is not known: the host key is refused first.
	run_status status berth git:sync copy "$url" main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status" "sync from an unknown host"
	assert_contains "$(cat "$TEST_TMP/out")" "127.0.0.1:$SSH_PORT is not a known host: add its key with git:allow-host 127.0.0.1:$SSH_PORT"

	berth git:allow-host "127.0.0.1:$SSH_PORT" >/dev/null 2>&1
	run_status status berth git:sync copy "$url" main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status" "sync without a deploy key"
	assert_contains "$(cat "$TEST_TMP/out")" "127.0.0.1 asks for an ssh key and there is no deploy key: make one with git:generate-deploy-key"

	berth git:generate-deploy-key >/dev/null
	run_status status berth git:sync copy "$url" main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status" "sync with a key the server does not know"
	assert_contains "$(cat "$TEST_TMP/out")" "127.0.0.1 refused the deploy key: give it the key that git:public-key prints"

	berth git:public-key | berth ssh-keys:add deploy >/dev/null
	berth git:sync copy "$url" main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out" "$TEST_TMP/sshd/sshd.log"; fail "sync over ssh failed"; }
	assert_eq "$sha" "$(berth git:report copy --git-sha)"

	# The host's key changed (another key of the same type): refused.
	ssh-keygen -q -t ed25519 -N '' -f "$TEST_TMP/other"
	printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$TEST_TMP/other.pub")" >"$kh"
	run_status status berth git:sync copy "$url" main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status" "sync from a host whose key changed"
	assert_contains "$(cat "$TEST_TMP/out")" "the ssh-ed25519 host key of 127.0.0.1:$SSH_PORT is not the one in $kh: refused"
}

test_git_set_properties_and_git_report_raw_global_and_computed() {
	local status
	berth apps:create props >/dev/null
	assert_eq "       Git archive max files:          
       Git archive max size:           
       Git branches:                   0
       Git computed archive max files: 10000
       Git computed archive max size:  1073741824
       Git computed deploy branch:     master
       Git computed keep git dir:      false
       Git deploy branch:              
       Git global archive max files:   
       Git global archive max size:    
       Git global deploy branch:       
       Git global keep git dir:        
       Git keep git dir:               
       Git last updated at:            
       Git rev env var:                GIT_REV
       Git sha:                        
       Git source image:               " "$(berth git:report props | tail -n +2)"

	assert_eq "-----> Setting keep-git-dir to true" "$(berth git:set --global keep-git-dir true)"
	berth git:set props keep-git-dir false >/dev/null
	berth git:set props source-image alpine:3.20 >/dev/null
	berth git:set props rev-env-var COMMIT_SHA >/dev/null
	berth git:set --global archive-max-size 2147483648 >/dev/null
	berth git:set props archive-max-files 50 >/dev/null
	assert_eq "false true false alpine:3.20 COMMIT_SHA 2147483648 2147483648 50 10000" \
		"$(for f in keep-git-dir global-keep-git-dir computed-keep-git-dir source-image rev-env-var \
			global-archive-max-size computed-archive-max-size computed-archive-max-files; do
			printf '%s ' "$(berth git:report props "--git-$f")"; done; berth git:report --global --git-computed-archive-max-files)"
	assert_eq '{"computed-archive-max-files":"10000","computed-archive-max-size":"2147483648","computed-deploy-branch":"master","computed-keep-git-dir":"true","git-computed-archive-max-files":"10000","git-computed-archive-max-size":"2147483648","git-computed-deploy-branch":"master","git-computed-keep-git-dir":"true","git-global-archive-max-files":"","git-global-archive-max-size":"2147483648","git-global-deploy-branch":"","git-global-keep-git-dir":"true","global-archive-max-files":"","global-archive-max-size":"2147483648","global-deploy-branch":"","global-keep-git-dir":"true"}' \
		"$(berth git:report --global --format json)"

	# rev-env-var left empty turns the variable off (Dokku keeps it empty).
	assert_eq "-----> Unsetting rev-env-var" "$(berth git:set props rev-env-var)"
	assert_eq "" "$(berth git:report props --git-rev-env-var)"
	assert_eq '{"rev-env-var":""}' "$(cat "$BERTH_ROOT/apps/props/git.json" | jq -c '{"rev-env-var"}')"
	# Other properties go back to the global value or the default.
	berth git:set props keep-git-dir >/dev/null
	berth git:set props source-image "" >/dev/null
	assert_eq "true|" "$(berth git:report props --git-computed-keep-git-dir)|$(berth git:report props --git-source-image)"

	run_status status berth git:set props no-such-key 1 2>"$TEST_TMP/err"
	assert_eq "1| !     Invalid key specified, valid keys include: archive-max-files, archive-max-size, deploy-branch, keep-git-dir, rev-env-var, source-image" \
		"$status|$(cat "$TEST_TMP/err")"
	cp "$BERTH_ROOT/apps/props/git.json" "$TEST_TMP/before"
	for bad in "keep-git-dir yes" "archive-max-size 1g" "archive-max-files 0" "rev-env-var 1BAD"; do
		# shellcheck disable=SC2086
		run_status status berth git:set props $bad 2>/dev/null
		assert_eq 1 "$status" "git:set props $bad"
	done
	cmp -s "$BERTH_ROOT/apps/props/git.json" "$TEST_TMP/before" || fail "a refused git:set changed git.json"
}

test_git_from_archive_is_bounded_by_archive_max_size_and_files() {
	local status
	berth stacks:create busybox >/dev/null
	mkdir -p "$TEST_TMP/src"
	cp -r "$TEST_TOP/examples/hello/." "$TEST_TMP/src/"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/app.tar" .
	local entries
	entries=$(tar -tf "$TEST_TMP/app.tar" | wc -l)
	berth apps:create bounded >/dev/null

	berth git:set --global archive-max-size 1000 >/dev/null
	run_status status berth git:from-archive bounded "$TEST_TMP/app.tar" >/dev/null 2>"$TEST_TMP/err"
	assert_eq "1| !     Archive exceeds maximum allowed size of 1000 bytes" "$status|$(cat "$TEST_TMP/err")"
	# From stdin too, and an endless one stops at the bound.
	run_status status bash -c "yes | \"$BERTH_BIN\" git:from-archive bounded - >/dev/null 2>'$TEST_TMP/err'"
	assert_eq "1| !     Archive exceeds maximum allowed size of 1000 bytes" "$status|$(cat "$TEST_TMP/err")"
	# The app's own bound wins over the global one.
	berth git:set bounded archive-max-size 100000000 >/dev/null
	berth git:set bounded archive-max-files $((entries - 1)) >/dev/null
	run_status status berth git:from-archive bounded - <"$TEST_TMP/app.tar" >/dev/null 2>"$TEST_TMP/err"
	assert_eq "1| !     Archive contains more than $((entries - 1)) entries which exceeds the maximum of $((entries - 1))" \
		"$status|$(cat "$TEST_TMP/err")"
	[ -z "$(berth releases bounded 2>/dev/null | grep -E '^ *v[0-9]')" ] || fail "a refused archive made a release"

	berth git:set bounded archive-max-files "$entries" >/dev/null
	berth git:from-archive bounded "$TEST_TMP/app.tar" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "an archive within the bounds was refused"; }
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed"
}

test_rev_env_var_names_the_variable_that_carries_the_source_version() {
	berth stacks:create busybox >/dev/null
	mkdir -p "$TEST_TMP/src"
	cp -r "$TEST_TOP/examples/hello/." "$TEST_TMP/src/"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/app.tar" .
	berth apps:create rev >/dev/null
	berth git:from-archive rev "$TEST_TMP/app.tar" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	local sha
	sha=$(sha256sum "$TEST_TMP/app.tar" | cut -d' ' -f1)
	assert_eq "$sha|" "$(berth run rev 'echo "$GIT_REV|$COMMIT_SHA"')" "GIT_REV by default"
	berth git:set rev rev-env-var COMMIT_SHA >/dev/null
	assert_eq "|$sha" "$(berth run rev 'echo "$GIT_REV|$COMMIT_SHA"')" "rev-env-var COMMIT_SHA"
	berth git:set rev rev-env-var >/dev/null
	assert_eq "|" "$(berth run rev 'echo "$GIT_REV|$COMMIT_SHA"')" "rev-env-var off"
}

test_the_host_git_commands_need_an_admin_key_over_ssh() {
	local status c
	ssh_start
	new_key dev
	berth ssh-keys:add dev "$TEST_TMP/keys/dev.pub" >/dev/null
	for c in "git:auth example.com u p" "git:auth-status example.com" "git:allow-host example.com" \
		"git:generate-deploy-key" "git:public-key"; do
		run_status status bssh dev "$c" 2>"$TEST_TMP/err"
		assert_eq "1| !     ${c%% *} needs an admin key: key dev manages apps only (ssh-keys:add --admin)" \
			"$status|$(cat "$TEST_TMP/err")"
	done
	[ ! -e "$BERTH_ROOT/.netrc" ] || fail "an app key's git:auth wrote the netrc"
	new_key boss
	berth ssh-keys:add --admin boss "$TEST_TMP/keys/boss.pub" >/dev/null
	assert_eq "-----> Setting netrc auth entry for host example.com" "$(bssh boss "git:auth example.com u p")"
	run_status status bssh boss "git:auth-status example.com u p"
	assert_eq 0 "$status" "an admin key's git:auth-status"
}
