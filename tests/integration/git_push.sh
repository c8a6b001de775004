# git push to berth: the real git client against `berth git-receive-pack` (what
# ssh runs; here git starts it directly through its local transport, so these
# tests need no sshd: tests/integration/ssh_*.sh cover the ssh path).

git_setup() { git_client_env; }

# A working copy of examples/hello in DIR, committed on main.
hello_repo() { # DIR
	mkdir -p "$1"
	cp -r "$TEST_TOP/examples/hello/." "$1/"
	git -C "$1" init -q
	git -C "$1" add -A
	git -C "$1" commit -qm "hello"
}

# git push through berth's receive-pack; remote is /APP, APP, APP.git...
bpush() { # DIR REMOTE ARGS...
	local dir=$1 remote=$2
	shift 2
	git -C "$dir" push --receive-pack="$BERTH_BIN git-receive-pack" "$remote" "$@"
}

repo_of() { echo "$BERTH_ROOT/apps/$1/repo.git"; }
ref_of() { git --git-dir="$(repo_of "$1")" rev-parse --verify -q "$2" || true; }

# A pkt-line of text (printf's format: may hold \0).
pkt() { # FORMAT ARGS...
	local n
	n=$(printf "$@" | wc -c)
	printf '%04x' $((n + 4))
	printf "$@"
}

test_first_push_creates_and_deploys_the_app_and_a_second_push_a_new_release() {
	git_setup
	hello_repo "$TEST_TMP/src"
	bpush "$TEST_TMP/src" /hello main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "first push failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "remote: =====> Application deployed: hello v1"
	berth apps:exists hello
	local c1
	c1=$(git -C "$TEST_TMP/src" rev-parse HEAD)
	assert_eq "$c1" "$(ref_of hello refs/heads/main)" "pushed ref"
	assert_contains "$(cat "$BERTH_ROOT/apps/hello/releases/v1.json")" "$c1"
	echo "v2" >"$TEST_TMP/src/public/version.txt"
	git -C "$TEST_TMP/src" add -A
	git -C "$TEST_TMP/src" commit -qm v2
	bpush "$TEST_TMP/src" hello.git main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "second push failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: hello v2"
	assert_eq 2 "$(cat "$BERTH_ROOT/apps/hello/current")" "active release"
	assert_eq "v2" "$(berth run hello cat /app/public/version.txt)"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(ref_of hello refs/heads/main)"
}

test_failing_build_rejects_the_push_and_neither_release_nor_ref_moves() {
	git_setup
	hello_repo "$TEST_TMP/src"
	bpush "$TEST_TMP/src" /keep main >/dev/null 2>&1
	local c1 status
	c1=$(ref_of keep refs/heads/main)
	printf 'web: echo a\nweb: echo b\n' >"$TEST_TMP/src/Procfile"
	git -C "$TEST_TMP/src" commit -qam broken
	run_status status bpush "$TEST_TMP/src" /keep main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status" "git push status"
	assert_contains "$(cat "$TEST_TMP/out")" "duplicate process type 'web'"
	assert_contains "$(cat "$TEST_TMP/out")" "[remote rejected] main -> main (deploy failed)"
	assert_eq "$c1" "$(ref_of keep refs/heads/main)" "ref after a failed deploy"
	assert_eq 1 "$(cat "$BERTH_ROOT/apps/keep/current")" "active release"
	[ ! -e "$BERTH_ROOT/apps/keep/releases/v2.json" ] || fail "a failed deploy recorded a release"
}

test_two_concurrent_pushes_to_one_app_leave_one_winner_whose_commit_runs() {
	git_setup
	hello_repo "$TEST_TMP/a"
	bpush "$TEST_TMP/a" /race main >/dev/null 2>&1
	git clone -q --no-local "$TEST_TMP/a" "$TEST_TMP/b"
	echo a >"$TEST_TMP/a/public/who.txt"
	git -C "$TEST_TMP/a" add -A && git -C "$TEST_TMP/a" commit -qm a
	echo b >"$TEST_TMP/b/public/who.txt"
	git -C "$TEST_TMP/b" add -A && git -C "$TEST_TMP/b" commit -qm b
	local sa sb
	bpush "$TEST_TMP/a" /race main >"$TEST_TMP/outa" 2>&1 &
	local pa=$!
	run_status sb bpush "$TEST_TMP/b" /race main >"$TEST_TMP/outb" 2>&1
	run_status sa wait "$pa"
	[ $((sa + sb)) -eq 1 ] || fail "expected exactly one push to win: a=$sa b=$sb
$(cat "$TEST_TMP/outa" "$TEST_TMP/outb")"
	local winner=a
	[ "$sb" = 0 ] && winner=b
	assert_eq "$(git -C "$TEST_TMP/$winner" rev-parse HEAD)" "$(ref_of race refs/heads/main)" "ref"
	assert_eq 2 "$(cat "$BERTH_ROOT/apps/race/current")" "active release"
	assert_eq "$winner" "$(berth run race cat /app/public/who.txt)" "running code"
}

# Commands and a pack, by hand: what a broken or hostile client sends.
raw_push_input() { # APP_NEW_SHA PACKFILE BYTES
	pkt '%040d %s refs/heads/main\0report-status agent=test\n' 0 "$1"
	printf '0000'
	head -c "$3" "$2"
}

test_truncated_pack_is_refused_with_unpack_error_and_changes_nothing() {
	git_setup
	hello_repo "$TEST_TMP/src"
	local sha size
	sha=$(git -C "$TEST_TMP/src" rev-parse HEAD)
	git -C "$TEST_TMP/src" rev-list --objects HEAD | git -C "$TEST_TMP/src" pack-objects --stdout >"$TEST_TMP/pack"
	size=$(stat -c %s "$TEST_TMP/pack")
	raw_push_input "$sha" "$TEST_TMP/pack" $((size / 2)) >"$TEST_TMP/in"
	berth git-receive-pack trunc <"$TEST_TMP/in" >"$TEST_TMP/out" 2>&1 || true
	assert_contains "$(tr -d '\0' <"$TEST_TMP/out")" "unpack the pack ended early"
	assert_contains "$(tr -d '\0' <"$TEST_TMP/out")" "ng refs/heads/main unpacker error"
	run_status s berth apps:exists trunc
	[ "$s" != 0 ] || fail "a truncated first push created the app"
	[ -z "$(ls -d "$BERTH_ROOT"/tmp/work-git-* 2>/dev/null)" ] || fail "the quarantine was left behind"
	# One left by a receiver that died is removed by the next push.
	mkdir -p "$BERTH_ROOT/tmp/work-git-dead/pack"
	# A whole pack works, so the half one was refused for being cut.
	raw_push_input "$sha" "$TEST_TMP/pack" "$size" >"$TEST_TMP/in"
	berth git-receive-pack ok <"$TEST_TMP/in" >"$TEST_TMP/out" 2>&1
	assert_contains "$(tr -d '\0' <"$TEST_TMP/out")" "ok refs/heads/main"
	[ ! -e "$BERTH_ROOT/tmp/work-git-dead" ] || fail "a dead receiver's quarantine stayed"
}

test_pack_with_a_corrupt_object_is_refused_and_the_repository_is_untouched() {
	git_setup
	hello_repo "$TEST_TMP/src"
	bpush "$TEST_TMP/src" /corrupt main >/dev/null 2>&1
	local before bad
	before=$(ref_of corrupt refs/heads/main)
	# A commit naming a tree that exists nowhere: the indexer's checks catch it.
	bad=$(printf 'tree 1111111111111111111111111111111111111111\nparent %s\nauthor t <t@e> 1 +0000\ncommitter t <t@e> 1 +0000\n\nbad\n' "$before" |
		git -C "$TEST_TMP/src" hash-object -t commit -w --literally --stdin)
	echo "$bad" | git -C "$TEST_TMP/src" pack-objects --stdout >"$TEST_TMP/pack"
	{
		pkt '%s %s refs/heads/main\0report-status\n' "$before" "$bad"
		printf '0000'
		cat "$TEST_TMP/pack"
	} >"$TEST_TMP/in"
	berth git-receive-pack corrupt <"$TEST_TMP/in" >"$TEST_TMP/out" 2>&1 || true
	assert_contains "$(tr -d '\0' <"$TEST_TMP/out")" "unpack "
	assert_not_contains "$(tr -d '\0' <"$TEST_TMP/out")" "unpack ok"
	assert_eq "$before" "$(ref_of corrupt refs/heads/main)" "ref"
	assert_eq 1 "$(ls "$(repo_of corrupt)/objects/pack/"*.pack | wc -l)" "packs in the repository"
	# A flipped byte inside the object data is caught too.
	git -C "$TEST_TMP/src" commit -q --allow-empty -m next
	local next=$(git -C "$TEST_TMP/src" rev-parse HEAD)
	echo "$next" | git -C "$TEST_TMP/src" pack-objects --stdout >"$TEST_TMP/pack"
	printf '\xff' | dd of="$TEST_TMP/pack" bs=1 seek=20 conv=notrunc status=none
	{
		pkt '%s %s refs/heads/main\0report-status\n' "$before" "$next"
		printf '0000'
		cat "$TEST_TMP/pack"
	} >"$TEST_TMP/in"
	berth git-receive-pack corrupt <"$TEST_TMP/in" >"$TEST_TMP/out" 2>&1 || true
	assert_not_contains "$(tr -d '\0' <"$TEST_TMP/out")" "unpack ok"
	assert_eq "$before" "$(ref_of corrupt refs/heads/main)" "ref"
}

test_oversized_pack_is_refused() {
	git_setup
	hello_repo "$TEST_TMP/src"
	head -c 200000 /dev/urandom >"$TEST_TMP/src/public/big.bin"
	git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm big
	local status
	BERTH_GIT_MAX_PACK=64k run_status status bpush "$TEST_TMP/src" /big main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "larger than the limit of 65536 bytes"
	run_status status berth apps:exists big
	[ "$status" != 0 ] || fail "a refused first push created the app"
}

test_non_fast_forward_push_needs_force() {
	git_setup
	hello_repo "$TEST_TMP/src"
	echo one >"$TEST_TMP/src/one" && git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm one
	bpush "$TEST_TMP/src" /nff main >/dev/null 2>&1
	local pushed status
	pushed=$(git -C "$TEST_TMP/src" rev-parse HEAD)
	git -C "$TEST_TMP/src" reset -q --hard HEAD~1
	echo other >"$TEST_TMP/src/other" && git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm other
	run_status status bpush "$TEST_TMP/src" /nff main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "rejected"
	assert_eq "$pushed" "$(ref_of nff refs/heads/main)" "ref after a refused push"
	bpush "$TEST_TMP/src" /nff main --force >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "forced push failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: nff v2"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(ref_of nff refs/heads/main)"
}

test_other_branches_are_stored_without_deploy_and_can_be_deleted() {
	git_setup
	hello_repo "$TEST_TMP/src"
	bpush "$TEST_TMP/src" /br main >/dev/null 2>&1
	git -C "$TEST_TMP/src" checkout -q -b feature
	echo f >"$TEST_TMP/src/f" && git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm f
	bpush "$TEST_TMP/src" /br feature >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "feature stored; only main (or master) deploys"
	assert_not_contains "$(cat "$TEST_TMP/out")" "Application deployed"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(ref_of br refs/heads/feature)"
	assert_eq 1 "$(cat "$BERTH_ROOT/apps/br/current")" "active release"
	bpush "$TEST_TMP/src" /br :feature >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "[deleted]"
	assert_eq "" "$(ref_of br refs/heads/feature)" "deleted ref"
	local status
	run_status status bpush "$TEST_TMP/src" /br :main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "deleting the deploy branch is refused"
}

test_master_deploys_by_default_and_git_set_changes_the_deploy_branch() {
	git_setup
	hello_repo "$TEST_TMP/src"
	git -C "$TEST_TMP/src" branch -m master
	bpush "$TEST_TMP/src" /db master >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: db v1"
	berth git:set db deploy-branch prod >/dev/null
	echo x >"$TEST_TMP/src/x" && git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm x
	bpush "$TEST_TMP/src" /db master >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "master stored; only prod deploys"
	bpush "$TEST_TMP/src" /db master:prod >"$TEST_TMP/out" 2>&1
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: db v2"
	assert_contains "$(berth git:report db)" "prod"
}

test_repository_paths_other_than_an_app_name_are_refused() {
	git_setup
	local bad status
	for bad in ../etc /etc/passwd 'a/b' 'UPPER' '' '~/../x' 'app;id'; do
		run_status status berth git-receive-pack "$bad" </dev/null >"$TEST_TMP/out" 2>&1
		assert_eq 1 "$status" "status for '$bad'"
		assert_contains "$(cat "$TEST_TMP/out")" "is not an app's repository"
	done
	berth git-receive-pack '~/fine.git' </dev/null >"$TEST_TMP/out"
	assert_contains "$(cat "$TEST_TMP/out")" "capabilities^{}"
	run_status status berth apps:exists fine
	[ "$status" != 0 ] || fail "looking at refs created the app"
}

test_clone_and_fetch_get_what_was_pushed() {
	git_setup
	git config --global protocol.ext.allow always
	hello_repo "$TEST_TMP/src"
	bpush "$TEST_TMP/src" /cl main >/dev/null 2>&1
	# ext:: runs `berth git-upload-pack cl` as ssh's forced command would.
	git clone -q "ext::$BERTH_BIN %S cl" "$TEST_TMP/copy"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(git -C "$TEST_TMP/copy" rev-parse HEAD)" "cloned head"
	cmp "$TEST_TMP/src/Procfile" "$TEST_TMP/copy/Procfile"
	git -C "$TEST_TMP/copy" fsck --strict
	git -C "$TEST_TMP/src" checkout -q -b topic
	echo t >"$TEST_TMP/src/t" && git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm t
	git -C "$TEST_TMP/src" tag -a -m "a tag" v1
	bpush "$TEST_TMP/src" /cl topic v1 >/dev/null 2>&1
	git -C "$TEST_TMP/copy" fetch -q origin --tags
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse topic)" "$(git -C "$TEST_TMP/copy" rev-parse origin/topic)" "fetched branch"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse v1)" "$(git -C "$TEST_TMP/copy" rev-parse v1)" "fetched tag"
	local status
	run_status status git clone -q --depth 1 "ext::$BERTH_BIN %S cl" "$TEST_TMP/shallow" 2>"$TEST_TMP/err"
	[ "$status" != 0 ] || fail "a shallow clone was served"
	run_status status git clone -q "ext::$BERTH_BIN %S nosuchapp" "$TEST_TMP/none" 2>"$TEST_TMP/err"
	[ "$status" != 0 ] || fail "a clone of a missing app worked"
	assert_contains "$(cat "$TEST_TMP/err")" "nothing to fetch"
}

test_git_sync_fetches_a_remote_and_deploys_it_with_build() {
	git_setup
	hello_repo "$TEST_TMP/upstream"
	berth git:sync synced "file://$TEST_TMP/upstream" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "sync failed"; }
	assert_eq "$(git -C "$TEST_TMP/upstream" rev-parse HEAD)" "$(ref_of synced refs/heads/main)" "synced ref"
	[ ! -e "$BERTH_ROOT/apps/synced/current" ] || fail "git:sync without --build deployed"
	berth git:sync --build synced "file://$TEST_TMP/upstream" main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "sync --build failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: synced v1"
	local status
	run_status status berth git:sync synced "file://$TEST_TMP/upstream" nosuchbranch
	assert_eq 1 "$status"
}

test_build_output_streams_to_the_pusher_while_the_build_runs() {
	git_setup
	berth apps:create live >/dev/null
	local bp=$TEST_TMP/bp
	mkdir -p "$bp/bin"
	printf '#!/bin/sh\necho Slow\n' >"$bp/bin/detect"
	# Longer than the 5 s keepalive interval, and silent meanwhile.
	printf '#!/bin/sh\necho compile-started\nsleep 7\necho compile-done\n' >"$bp/bin/compile"
	chmod +x "$bp"/bin/*
	berth buildpacks:set live "$bp" >/dev/null
	hello_repo "$TEST_TMP/src"
	GIT_TRACE_PACKET=$TEST_TMP/trace bpush "$TEST_TMP/src" /live main >"$TEST_TMP/out" 2>&1 &
	local pid=$!
	wait_for grep -q compile-started "$TEST_TMP/out" || fail "no build output while the build runs: $(cat "$TEST_TMP/out")"
	kill -0 "$pid" 2>/dev/null || fail "the push had already ended"
	assert_not_contains "$(cat "$TEST_TMP/out")" "compile-done"
	wait "$pid" || { cat "$TEST_TMP/out"; fail "push failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "compile-done"
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: live v1"
	# An empty band-1 packet kept the connection alive during the silence.
	grep -aq 'sideband< \\1$' "$TEST_TMP/trace" || fail "no keepalive packet: $(grep -a sideband "$TEST_TMP/trace")"
}

test_keep_git_dir_gives_the_app_a_git_repository_at_the_pushed_commit() {
	git_setup
	hello_repo "$TEST_TMP/src"
	echo two >"$TEST_TMP/src/two.txt"
	git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm two
	berth apps:create kept >/dev/null
	berth git:set kept keep-git-dir true >/dev/null
	bpush "$TEST_TMP/src" /kept main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "push failed"; }
	# The app's /app, copied out: a repository on main at the commit, its
	# history whole, the tracked files as committed, owned by the app's user.
	mkdir "$TEST_TMP/copy"
	berth run kept 'tar -C /app -cf - .' | tar --no-same-owner -xf - -C "$TEST_TMP/copy"
	assert_eq "$(git -C "$TEST_TMP/src" rev-parse HEAD)" "$(git -C "$TEST_TMP/copy" rev-parse HEAD)"
	assert_eq "ref: refs/heads/main" "$(cat "$TEST_TMP/copy/.git/HEAD")"
	assert_eq "two hello" "$(git -C "$TEST_TMP/copy" log --format=%s | tr '\n' ' ' | sed 's/ $//')"
	git -C "$TEST_TMP/copy" fsck --no-progress 2>&1 || fail "the .git is not whole"
	git -C "$TEST_TMP/copy" diff --quiet HEAD || fail "the tracked files differ from the commit"
	assert_eq "" "$(git -C "$TEST_TMP/copy" status --porcelain --untracked-files=no)"
	assert_eq "" "$(berth run kept 'find /app/.git ! -user app')" "owned by the app's user"

	# Off again: the next push's source has no .git (it is not left below).
	berth git:set kept keep-git-dir false >/dev/null
	echo three >"$TEST_TMP/src/three.txt"
	git -C "$TEST_TMP/src" add -A && git -C "$TEST_TMP/src" commit -qm three
	bpush "$TEST_TMP/src" /kept main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "push failed"; }
	assert_eq "three|none" "$(berth run kept 'cat /app/three.txt; test -e /app/.git && echo there || echo none' | tr '\n' '|' | sed 's/|$//')"

	# git:sync --build keeps one too.
	berth git:set --global keep-git-dir true >/dev/null
	berth git:set kept keep-git-dir >/dev/null
	berth git:sync --build synced "file://$TEST_TMP/src" main >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "sync --build failed"; }
	assert_eq "ref: refs/heads/main" "$(berth run synced cat /app/.git/HEAD)"
}

test_apps_clone_copies_the_pushed_repository() {
	git_setup
	hello_repo "$TEST_TMP/w"
	bpush "$TEST_TMP/w" src main >"$TEST_TMP/push.out" 2>&1 || { cat "$TEST_TMP/push.out"; fail "push"; }
	berth apps:clone --skip-deploy src dst >/dev/null
	assert_eq "$(ref_of src refs/heads/main)" "$(ref_of dst refs/heads/main)" "the clone's main"
	git --git-dir="$(repo_of dst)" fsck --no-progress >/dev/null 2>&1 || fail "the copied repository is broken"
	# The next push to the clone sends only the new commit and deploys it.
	echo more >"$TEST_TMP/w/more.txt"
	git -C "$TEST_TMP/w" add -A
	git -C "$TEST_TMP/w" commit -qm more
	bpush "$TEST_TMP/w" dst main >"$TEST_TMP/push2.out" 2>&1 || { cat "$TEST_TMP/push2.out"; fail "push to the clone"; }
	assert_eq "$(git -C "$TEST_TMP/w" rev-parse HEAD)" "$(ref_of dst refs/heads/main)" "pushed to the clone"
	assert_eq "$(git -C "$TEST_TMP/w" rev-parse HEAD~1)" "$(ref_of src refs/heads/main)" "the source app unchanged"
}

test_git_initialize_makes_the_repository_and_git_report_says_when_the_branch_moved() {
	git_setup
	berth apps:create ini >/dev/null
	[ ! -e "$(repo_of ini)" ] || fail "a repository before any push"
	assert_eq "-----> Initializing git repository for ini" "$(berth git:initialize ini)"
	git --git-dir="$(repo_of ini)" rev-parse --is-bare-repository >/dev/null || fail "no bare repository"
	assert_eq "" "$(berth git:report ini --git-last-updated-at)" "no deploy branch yet"
	# Again: the repository stays as it is.
	berth git:initialize ini >/dev/null || fail "a second git:initialize"
	run_status st berth git:initialize nosuch 2>"$TEST_TMP/err"
	assert_eq 20 "$st" "a missing app"
	run_status st berth git:initialize ini extra 2>"$TEST_TMP/err"
	assert_eq " !     Unexpected argument(s): extra" "$(cat "$TEST_TMP/err")"
	hello_repo "$TEST_TMP/w"
	bpush "$TEST_TMP/w" ini main >"$TEST_TMP/push.out" 2>&1 || { cat "$TEST_TMP/push.out"; fail "push"; }
	assert_eq "$(stat -c %Y "$(repo_of ini)/refs/heads/main")" "$(berth git:report ini --git-last-updated-at)" \
		"the deploy branch's last write"
}
