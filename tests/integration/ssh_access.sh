# ssh access: the host's own OpenSSH sshd on 127.0.0.1, berth's authorized_keys
# with forced commands, the real ssh and git clients.
#
# The test sshd runs as root from TEST_TMP with its own config, host key, pid
# file and BERTH_AUTHORIZED_KEYS; it logs in the account running the tests
# (root, with PermitRootLogin forced-commands-only: a key can only ever run its
# forced command) so no system user is created. StrictModes is off because the
# test tree lives under /tmp. It is stopped by its pid at the end of the test.

ssh_start() {
	local d=$TEST_TMP/sshd
	mkdir -p "$d" /run/sshd
	export BERTH_AUTHORIZED_KEYS=$TEST_TMP/authorized_keys
	SSH_PORT=$((TEST_PORT_BASE + 22))
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	cat >"$d/sshd_config" <<-CONF
	ListenAddress 127.0.0.1:$SSH_PORT
	HostKey $d/host_key
	PidFile $d/sshd.pid
	AuthorizedKeysFile $BERTH_AUTHORIZED_KEYS
	PermitRootLogin forced-commands-only
	AllowUsers root
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	StrictModes no
	PrintMotd no
	LogLevel VERBOSE
	CONF
	/usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" || fail "sshd did not start: $(cat "$d/sshd.log")"
	trap 'rc=$?; set +e; ssh_stop; (exit $rc); cleanup' EXIT
	wait_for test -s "$d/sshd.pid" || fail "sshd wrote no pid file"
	wait_for bash -c "exec 3<>/dev/tcp/127.0.0.1/$SSH_PORT" || fail "sshd does not listen on $SSH_PORT"
}

ssh_stop() {
	local pidfile=$TEST_TMP/sshd/sshd.pid
	[ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	return 0
}

new_key() { # NAME -> $TEST_TMP/keys/NAME{,.pub}
	mkdir -p "$TEST_TMP/keys"
	ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$TEST_TMP/keys/$1"
}

# ssh as key NAME; the rest is the remote command as one string, as ssh sends it.
bssh() { # NAME COMMAND
	ssh -F /dev/null -i "$TEST_TMP/keys/$1" -p "$SSH_PORT" -o IdentitiesOnly=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o BatchMode=yes root@127.0.0.1 "$2"
}

git_ssh_env() { # NAME
	export GIT_SSH_COMMAND="ssh -F /dev/null -i $TEST_TMP/keys/$1 -p $SSH_PORT -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes"
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
	export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
	export HOME=$TEST_TMP GIT_CONFIG_NOSYSTEM=1
	git config --global init.defaultBranch main
}

hello_repo() { # DIR
	mkdir -p "$1"
	cp -r "$TEST_TOP/examples/hello/." "$1/"
	git -C "$1" init -q
	git -C "$1" add -A
	git -C "$1" commit -qm "hello"
}

test_git_push_and_clone_over_ssh_deploy_and_fetch_the_app() {
	ssh_start
	berth stacks:create busybox >/dev/null
	new_key dev
	berth ssh-keys:add dev "$TEST_TMP/keys/dev.pub" >/dev/null
	git_ssh_env dev
	hello_repo "$TEST_TMP/src"
	git -C "$TEST_TMP/src" push root@127.0.0.1:myapp main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out" "$TEST_TMP/sshd/sshd.log"; fail "push over ssh failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "remote: =====> Application deployed: myapp v1"
	echo two >"$TEST_TMP/src/public/two.txt"
	git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm two
	git -C "$TEST_TMP/src" push "ssh://root@127.0.0.1:$SSH_PORT/myapp.git" main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "second push failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: myapp v2"
	git clone -q root@127.0.0.1:myapp "$TEST_TMP/copy"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(git -C "$TEST_TMP/copy" rev-parse HEAD)" "cloned head"
	assert_contains "$(berth events)" "[dev] git-receive-pack myapp"
}

test_ssh_commands_keep_quotes_and_treat_metacharacters_as_data() {
	ssh_start
	new_key dev
	berth ssh-keys:add dev "$TEST_TMP/keys/dev.pub" >/dev/null
	bssh dev 'apps:create quoted' >/dev/null
	local cmd
	cmd=$(cat <<-'CMD'
	config:set --no-restart quoted K="hello world" Q='it is; $(id)'
	CMD
	)
	bssh dev "$cmd" >/dev/null
	assert_eq "hello world" "$(berth config:get quoted K)"
	assert_eq 'it is; $(id)' "$(berth config:get quoted Q)"
	local status marker=$TEST_TMP/pwned
	run_status status bssh dev "apps:list; touch $marker" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "apps:list; is not a berth command"
	run_status status bssh dev "apps:list | touch $marker" >/dev/null 2>&1
	run_status status bssh dev "apps:exists \$(touch $marker)" >/dev/null 2>&1
	run_status status bssh dev "apps:exists \`touch $marker\`" >/dev/null 2>&1
	[ ! -e "$marker" ] || fail "a shell ran the client's command"
	assert_contains "$(bssh dev apps:list)" "quoted"
	assert_contains "$(berth events)" "[dev] config:set --no-restart quoted K=hello world"
}

test_unknown_and_removed_keys_are_refused() {
	ssh_start
	new_key dev
	new_key stranger
	berth ssh-keys:add dev "$TEST_TMP/keys/dev.pub" >/dev/null
	bssh dev version >/dev/null
	local status
	run_status status bssh stranger version >/dev/null 2>&1
	assert_eq 255 "$status" "ssh status for an unknown key"
	berth ssh-keys:remove dev >/dev/null
	run_status status bssh dev version >/dev/null 2>&1
	assert_eq 255 "$status" "ssh status for a removed key"
}

test_only_admin_keys_run_host_commands() {
	ssh_start
	new_key dev
	new_key boss
	berth ssh-keys:add dev "$TEST_TMP/keys/dev.pub" >/dev/null
	berth ssh-keys:add --admin boss <"$TEST_TMP/keys/boss.pub" >/dev/null
	local status
	run_status status bssh dev 'stacks:create busybox' >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "stacks:create needs an admin key"
	run_status status bssh dev "ssh-keys:add --admin sneaky $TEST_TMP/keys/dev.pub" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	run_status status bssh dev "git:from-archive x /etc/passwd" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "names something on the host"
	berth apps:create keep >/dev/null
	run_status status bssh dev "config:import keep /etc/shadow" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "'/etc/shadow' names something on the host"
	run_status status bssh dev "config:import --format json keep $BERTH_ROOT/settings.json" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	run_status status bssh dev "config:set --global SNEAKY=1" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	run_status status bssh dev "config:set --global=true SNEAKY=1" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_eq "" "$(berth config:keys --global)"
	for cmd in "ps:set --global restart-policy no" "logs:set --global max-size 4k" \
		"git:set --global deploy-branch x"; do
		run_status status bssh dev "$cmd" >"$TEST_TMP/out" 2>&1
		assert_eq 1 "$status" "$cmd"
	done
	assert_eq "" "$(berth ps:report --global --ps-global-restart-policy)"
	assert_eq "" "$(berth git:report --global --git-global-deploy-branch)"
	bssh dev "ps:report --global" >/dev/null
	assert_eq "" "$(berth config:keys keep)"
	echo "A=1" | bssh dev "config:import keep -" >/dev/null
	assert_eq "1" "$(berth config:get keep A)"
	assert_not_contains "$(berth ssh-keys:list)" "sneaky"
	bssh boss 'stacks:create busybox' >/dev/null
	assert_contains "$(bssh boss stacks:list)" "busybox"
	assert_contains "$(bssh boss 'ssh-keys:list --format json')" '"name":"boss"'
}

test_keys_cannot_forward_ports() {
	ssh_start
	new_key dev
	berth ssh-keys:add dev "$TEST_TMP/keys/dev.pub" >/dev/null
	local status
	# -W asks sshd for a direct-tcpip channel (what -L and ProxyJump use).
	run_status status timeout 20 ssh -F /dev/null -i "$TEST_TMP/keys/dev" -p "$SSH_PORT" \
		-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -W "127.0.0.1:$SSH_PORT" root@127.0.0.1 </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	[ "$status" != 0 ] || fail "a forwarding channel was opened"
	assert_contains "$(cat "$TEST_TMP/err")" "prohibited"
	assert_not_contains "$(cat "$TEST_TMP/out")" "SSH-2.0"
}
