# berth init: the host prepared idempotently, and a push over ssh as the user it
# made. A throwaway user (BERTH_USER=berthtest<pid>) is created and removed with
# its sudo rule; a real `berth` user is never touched. The daemon and router init
# starts are stopped by their pid files, the test sshd by its own.

init_cleanup() {
	local f
	for f in "$BERTH_RUN/daemon/daemon.pid" "$BERTH_RUN/router/router.pid" "$TEST_TMP/sshd/sshd.pid"; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	if [ -n "${BERTH_USER:-}" ] && getent passwd "$BERTH_USER" >/dev/null; then
		userdel "$BERTH_USER" 2>/dev/null
	fi
	rm -f "/etc/sudoers.d/berth-${BERTH_USER:-none}"
	return 0
}

init_user() {
	export BERTH_USER=berthtest$$
	getent passwd "$BERTH_USER" >/dev/null && fail "user $BERTH_USER exists already"
	trap 'rc=$?; set +e; init_cleanup; (exit $rc); cleanup' EXIT
}

# What init leaves, in one text: the user, owners and modes, settings, network.
host_state() {
	getent passwd "$BERTH_USER" | cut -d: -f1,6,7
	stat -c '%n %U %a' "$BERTH_ROOT/.ssh" "$BERTH_ROOT/.ssh/authorized_keys" "/etc/sudoers.d/berth-$BERTH_USER"
	cat "$BERTH_ROOT/berth.conf"
	ip -o link show "$BERTH_BRIDGE" | awk '{print $2}'
	nft list table ip "berth_$BERTH_BRIDGE" >/dev/null && echo "table berth_$BERTH_BRIDGE"
	berth stacks:list
}

test_init_twice_prepares_the_same_host_and_prints_the_remote() {
	init_user
	berth init --no-daemon >"$TEST_TMP/out1" 2>&1 || { cat "$TEST_TMP/out1"; fail "init failed"; }
	host_state >"$TEST_TMP/state1"
	berth init --no-daemon >"$TEST_TMP/out2" 2>&1 || { cat "$TEST_TMP/out2"; fail "second init failed"; }
	host_state >"$TEST_TMP/state2"
	assert_eq "$(cat "$TEST_TMP/state1")" "$(cat "$TEST_TMP/state2")" "host after a second init"
	assert_contains "$(cat "$TEST_TMP/state1")" "$BERTH_USER:$BERTH_ROOT:/bin/sh"
	assert_contains "$(cat "$TEST_TMP/state1")" "$BERTH_ROOT/.ssh $BERTH_USER 700"
	assert_contains "$(cat "$TEST_TMP/state1")" "$BERTH_ROOT/.ssh/authorized_keys $BERTH_USER 600"
	assert_contains "$(cat "$TEST_TMP/state1")" "/etc/sudoers.d/berth-$BERTH_USER root 440"
	assert_contains "$(cat "$TEST_TMP/state1")" "BERTH_BRIDGE=$BERTH_BRIDGE"
	assert_contains "$(cat "$TEST_TMP/state1")" "busybox"
	assert_contains "$(cat "$TEST_TMP/out1")" "Created user $BERTH_USER"
	assert_contains "$(cat "$TEST_TMP/out1")" "git remote add berth $BERTH_USER@$(hostname):APP"
	assert_contains "$(cat "$TEST_TMP/out2")" "User $BERTH_USER exists"
	assert_contains "$(cat "$TEST_TMP/out2")" "Stack busybox exists"
	assert_contains "$(cat "$TEST_TMP/out2")" "git remote add berth $BERTH_USER@$(hostname):APP"
	visudo -c -f "/etc/sudoers.d/berth-$BERTH_USER" >/dev/null || fail "sudoers rule does not parse"
	# A key added later stays the user's: sshd reads the file as that user.
	mkdir -p "$TEST_TMP/keys"
	ssh-keygen -q -t ed25519 -N '' -C dev -f "$TEST_TMP/keys/dev"
	berth ssh-keys:add dev "$TEST_TMP/keys/dev.pub" >/dev/null
	assert_eq "$BERTH_USER 600" "$(stat -c '%U %a' "$BERTH_ROOT/.ssh/authorized_keys")" "keys after ssh-keys:add"
}

test_init_refuses_a_bad_user_name_and_changes_nothing() {
	local s
	run_status s env BERTH_USER='Bad;name' "$BERTH_BIN" init --no-daemon 2>"$TEST_TMP/err"
	assert_eq 1 "$s" "exit status"
	assert_contains "$(cat "$TEST_TMP/err")" " !     invalid user name Bad;name"
	[ ! -e "$BERTH_ROOT/.ssh" ] || fail "init made .ssh for a bad user name"
	run_status s "$BERTH_BIN" init --frobnicate 2>"$TEST_TMP/err"
	assert_eq 1 "$s" "exit status of an unknown option"
	assert_contains "$(cat "$TEST_TMP/err")" "Usage: berth init"
}

# sshd on loopback logging in the user init made, with its home's authorized_keys.
init_sshd() {
	local d=$TEST_TMP/sshd
	mkdir -p "$d" /run/sshd
	SSH_PORT=$((TEST_PORT_BASE + 22))
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	cat >"$d/sshd_config" <<-CONF
	ListenAddress 127.0.0.1:$SSH_PORT
	HostKey $d/host_key
	PidFile $d/sshd.pid
	AllowUsers $BERTH_USER
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	StrictModes no
	PrintMotd no
	CONF
	/usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" || fail "sshd did not start: $(cat "$d/sshd.log")"
	wait_for test -s "$d/sshd.pid" || fail "sshd wrote no pid file"
	wait_for bash -c "exec 3<>/dev/tcp/127.0.0.1/$SSH_PORT" || fail "sshd does not listen on $SSH_PORT"
}

test_init_then_git_push_over_ssh_as_the_berth_user_reaches_the_router() {
	command -v sudo >/dev/null || skip "sudo is not installed"
	init_user
	berth init --background >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "init failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "Started the daemon in the background"
	berth domains:set-global berth.test >/dev/null
	init_sshd
	mkdir -p "$TEST_TMP/keys" "$TEST_TMP/src"
	ssh-keygen -q -t ed25519 -N '' -C dev -f "$TEST_TMP/keys/dev"
	berth ssh-keys:add dev "$TEST_TMP/keys/dev.pub" >/dev/null
	local ssh="ssh -F /dev/null -i $TEST_TMP/keys/dev -p $SSH_PORT -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes"
	export GIT_SSH_COMMAND=$ssh HOME=$TEST_TMP GIT_CONFIG_NOSYSTEM=1
	export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
	cp -r "$TEST_TOP/examples/hello/." "$TEST_TMP/src/"
	git -C "$TEST_TMP/src" init -q -b main
	git -C "$TEST_TMP/src" add -A
	git -C "$TEST_TMP/src" commit -qm hello
	git -C "$TEST_TMP/src" push "$BERTH_USER@127.0.0.1:hello" main >"$TEST_TMP/push" 2>&1 ||
		{ cat "$TEST_TMP/push" "$TEST_TMP/sshd/sshd.log"; fail "push failed"; }
	assert_contains "$(cat "$TEST_TMP/push")" "Application deployed: hello"
	wait_for sh -c "curl -s -m 2 -H 'Host: hello.berth.test' http://$BERTH_HTTP_ADDR/ | grep -q 'hello from berth'" ||
		fail "the router does not answer for hello: $(cat "$BERTH_ROOT/logs/router.log" 2>/dev/null)"
	assert_contains "$($ssh "$BERTH_USER@127.0.0.1" ps:report hello)" "running"
	$ssh "$BERTH_USER@127.0.0.1" logs hello -n 5 >"$TEST_TMP/logs" || fail "logs over ssh failed"
	assert_contains "$(cat "$TEST_TMP/logs")" "web.1"
	# The events log names the key; the command ran as root through the sudo rule.
	assert_contains "$(berth events)" "dev"
}
