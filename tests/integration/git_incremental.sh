# A push stores what changed: its source layer holds the changes from the
# running release's commit (whiteouts for deletions) over that release's source
# layer. These tests check that the chain gives exactly the pushed commit's tree
# after every kind of change, that one changed file costs one small layer, that
# chains stay short, and that gc keeps what releases use.

inc_setup() {
	git_client_env
	umask 022
}

ipush() { # DIR APP
	git -C "$1" push -q --receive-pack="$BERTH_BIN git-receive-pack" "/$2" main >"$TEST_TMP/push.out" 2>&1 ||
		{ cat "$TEST_TMP/push.out"; fail "push to $2 failed"; }
}

commit_all() { # DIR MESSAGE
	git -C "$1" add -A
	git -C "$1" commit -q --allow-empty -m "$2"
}

current_release() { echo "$BERTH_ROOT/apps/$1/releases/v$(cat "$BERTH_ROOT/apps/$1/current").json"; }
source_layer() { jq -r .source_layer "$(current_release "$1")"; }
parent_of() { jq -r '.parent // empty' "$BERTH_ROOT/layers/$1/layer.json"; }

# The source layer's chain, bottom first.
chain_of() { # LAYER
	local id=$1 ids=()
	while [ -n "$id" ]; do
		ids=("$id" "${ids[@]}")
		id=$(parent_of "$id")
	done
	echo "${ids[@]}"
}

# Every entry under $1: path, type, mode and content digest, or link target.
# Runs on the host and in a busybox container alike.
LISTING='cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r f; do
	if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"
	elif [ -d "$f" ]; then echo "$f/"
	else echo "$f $(stat -c %a "$f") $(md5sum <"$f" | cut -d" " -f1)"; fi
done'

# The merged tree of the app's source chain is the tree at DIR, entry by entry.
assert_source_is_tree() { # APP DIR WHAT
	local args=() id
	for id in $(chain_of "$(source_layer "$1")"); do
		args+=(--layer "$BERTH_ROOT/layers/$id/root")
	done
	sh -c "$LISTING" sh "$2" >"$TEST_TMP/want"
	berth runtime:run --stack busybox "${args[@]}" -- sh -c "$LISTING" sh /app >"$TEST_TMP/got" ||
		fail "listing the source chain failed"
	[ -s "$TEST_TMP/got" ] || fail "the source chain of $1 lists nothing"
	diff -u "$TEST_TMP/want" "$TEST_TMP/got" >"$TEST_TMP/diff" ||
		fail "the source chain of $1 is not $3: $(cat "$TEST_TMP/diff")"
}

# ... is the commit checked out in DIR.
assert_source_is_commit() { # APP DIR
	rm -rf "$TEST_TMP/ref"
	git clone -q "$2" "$TEST_TMP/ref"
	rm -rf "$TEST_TMP/ref/.git"
	assert_source_is_tree "$1" "$TEST_TMP/ref" "commit $(git -C "$2" rev-parse --short HEAD)"
}

test_a_chain_of_pushes_gives_each_commits_tree_exactly() {
	inc_setup
	local s=$TEST_TMP/src
	mkdir -p "$s"
	cp -r "$TEST_TOP/examples/hello/." "$s/"
	git -C "$s" init -q
	mkdir -p "$s/a/sub" "$s/d"
	echo 1 >"$s/a/1"; echo 2 >"$s/a/2"; echo 3 >"$s/a/sub/3"
	echo f >"$s/f"; echo x >"$s/d/x"; echo 'echo hi' >"$s/s.sh"
	ln -s public/index.html "$s/l"
	commit_all "$s" one
	ipush "$s" chain
	local first
	first=$(source_layer chain)
	[ -z "$(parent_of "$first")" ] || fail "the first push's source layer has a parent"
	assert_source_is_commit chain "$s"

	# Changed, deleted and renamed files, a mode change, a link's new target.
	echo one >"$s/a/1"; rm "$s/a/2"; mkdir "$s/b"; git -C "$s" mv a/sub/3 b/3
	chmod +x "$s/s.sh"; ln -sfn Procfile "$s/l"
	commit_all "$s" two
	ipush "$s" chain
	assert_eq "$first" "$(parent_of "$(source_layer chain)")" "parent of the second source layer"
	assert_source_is_commit chain "$s"

	# A file becomes a directory, a directory a file, a whole directory goes.
	rm "$s/f"; mkdir "$s/f"; echo in >"$s/f/in"
	rm -r "$s/d"; echo now-a-file >"$s/d"
	git -C "$s" rm -rq a
	commit_all "$s" three
	ipush "$s" chain
	assert_source_is_commit chain "$s"

	# What an earlier push deleted comes back; a link becomes a file and a
	# directory a link.
	mkdir -p "$s/a"; echo again >"$s/a/2"
	rm "$s/l"; echo plain >"$s/l"
	rm -r "$s/f"; ln -s b "$s/f"
	commit_all "$s" four
	ipush "$s" chain
	assert_source_is_commit chain "$s"
	assert_eq 4 "$(chain_of "$(source_layer chain)" | wc -w)" "layers in the source chain"

	# The app itself runs the new tree (build and release mount the chain).
	assert_eq "again" "$(berth run chain cat /app/a/2)"
	assert_eq "plain" "$(berth run chain cat /app/l)"
	run_status st berth run chain test -e /app/a/sub/3
	assert_eq 1 "$st" "a deleted file is absent in the app"

	# The same tree again (an empty commit): the same source layer, no build.
	local before
	before=$(source_layer chain)
	commit_all "$s" empty
	ipush "$s" chain
	assert_eq "$before" "$(source_layer chain)" "source layer of an unchanged tree"
}

test_a_one_file_push_stores_a_small_layer_and_the_app_serves_the_new_file() {
	inc_setup
	local s=$TEST_TMP/src
	mkdir -p "$s"
	cp -r "$TEST_TOP/examples/hello/." "$s/"
	# ~4 MB in 400 files.
	for d in $(seq 1 20); do
		mkdir -p "$s/data/$d"
		for f in $(seq 1 20); do head -c 10000 /dev/urandom >"$s/data/$d/$f"; done
	done
	git -C "$s" init -q
	commit_all "$s" one
	ipush "$s" small
	local before after layer size
	before=$(du -sB1 "$BERTH_ROOT/layers" | cut -f1)
	echo "new page" >"$s/public/index.html"
	commit_all "$s" two
	ipush "$s" small
	after=$(du -sB1 "$BERTH_ROOT/layers" | cut -f1)
	layer=$(source_layer small)
	size=$(jq .size "$BERTH_ROOT/layers/$layer/layer.json")
	assert_eq 9 "$size" "bytes of files in the new source layer"
	[ $((after - before)) -lt 200000 ] || fail "the push added $((after - before)) bytes to the store"
	assert_eq "new page" "$(berth run small cat /app/public/index.html)"
	assert_eq 10000 "$(berth run small wc -c </dev/null /app/data/7/7 | awk '{print $1}')"
	# Layers with parents verify against their ids.
	berth images:verify >"$TEST_TMP/verify" 2>&1 || fail "images:verify: $(cat "$TEST_TMP/verify")"
}

test_source_chains_are_flattened_and_never_grow_past_eight_layers() {
	inc_setup
	local s=$TEST_TMP/src i n max=0 before grew=0
	mkdir -p "$s/data"
	cp -r "$TEST_TOP/examples/hello/." "$s/"
	for i in $(seq 1 200); do head -c 10000 /dev/urandom >"$s/data/$i"; done
	echo gone >"$s/data/old"
	git -C "$s" init -q
	for i in $(seq 1 10); do
		echo "$i" >"$s/public/n.txt"
		[ "$i" = 5 ] && git -C "$s" rm -q data/old
		commit_all "$s" "c$i"
		before=$(du -sB1 "$BERTH_ROOT/layers" | cut -f1)
		ipush "$s" flat
		[ "$i" = 9 ] && grew=$(($(du -sB1 "$BERTH_ROOT/layers" | cut -f1) - before))
		n=$(chain_of "$(source_layer flat)" | wc -w)
		[ "$n" -gt "$max" ] && max=$n
		[ "$i" = 9 ] && assert_source_is_commit flat "$s"
	done
	assert_eq 8 "$max" "the longest source chain"
	# Push 9 started a new chain: push 10 sits on it.
	assert_eq 2 "$n" "layers in the last source chain"
	# Flattening linked the 2 MB of unchanged files instead of writing them.
	[ "$grew" -lt 500000 ] || fail "flattening added $grew bytes to the store"
	assert_source_is_commit flat "$s"
	assert_eq 10 "$(berth run flat cat /app/public/n.txt)"
	berth images:verify >"$TEST_TMP/verify" 2>&1 || fail "images:verify: $(cat "$TEST_TMP/verify")"
}

test_gc_keeps_every_layer_of_the_chains_releases_use() {
	inc_setup
	local s=$TEST_TMP/src
	mkdir -p "$s"
	cp -r "$TEST_TOP/examples/hello/." "$s/"
	git -C "$s" init -q
	commit_all "$s" one
	ipush "$s" kept
	local v1
	v1=$(git -C "$s" rev-parse HEAD)
	for i in 2 3; do
		echo "$i" >"$s/public/v$i.txt"
		commit_all "$s" "c$i"
		ipush "$s" kept
	done
	berth images:gc >/dev/null
	assert_source_is_commit kept "$s"
	assert_eq 3 "$(berth run kept cat /app/public/v3.txt)"
	# Every layer of every release is still there, and rebuilding from the
	# chain works.
	local rel id
	for rel in "$BERTH_ROOT"/apps/kept/releases/v*.json; do
		for id in $(jq -r '.layers[]' "$rel"); do
			[ -d "$BERTH_ROOT/layers/$id" ] || fail "gc removed layer $id of $(basename "$rel")"
		done
	done
	berth ps:rebuild kept >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "ps:rebuild"; }
	assert_eq 3 "$(berth run kept cat /app/public/v3.txt)"
	# A push of an older commit (--force) diffs from the running tree, not from
	# the commit the ref held.
	git -C "$s" reset -q --hard "$v1"
	git -C "$s" push -q -f --receive-pack="$BERTH_BIN git-receive-pack" /kept main >"$TEST_TMP/out" 2>&1 ||
		{ cat "$TEST_TMP/out"; fail "forced push"; }
	assert_source_is_commit kept "$s"
}


test_the_source_size_bound_covers_the_whole_tree_of_a_push_not_only_its_changes() {
	inc_setup
	local s=$TEST_TMP/src st
	mkdir -p "$s"
	cp -r "$TEST_TOP/examples/hello/." "$s/"
	head -c 200000 /dev/urandom >"$s/one"
	git -C "$s" init -q
	commit_all "$s" one
	export BERTH_SOURCE_MAX_BYTES=300000
	ipush "$s" bound
	# 200 KB more: the change is small, the tree is over the bound.
	head -c 200000 /dev/urandom >"$s/two"
	commit_all "$s" two
	run_status st git -C "$s" push --receive-pack="$BERTH_BIN git-receive-pack" /bound main >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$st" "push over the bound"
	assert_contains "$(cat "$TEST_TMP/out")" "bigger than BERTH_SOURCE_MAX_BYTES allows"
	# Without the first file the tree fits again: deletions count too.
	git -C "$s" rm -q one
	commit_all "$s" three
	ipush "$s" bound
	assert_source_is_commit bound "$s"
}
