# Attacks by an app's owner through what they push (source, .buildpacks, config)
# and through the buildpacks they choose: none may reach host files, another app's
# files, or berth's memory and deploy lock. See docs/security.md.

setup_app() { # APP
	berth stacks:create busybox >/dev/null 2>&1 || true
	berth apps:create "$1" >/dev/null
}

deploy_dir() { # APP DIR
	tar -C "$2" -cf - . | berth git:from-archive "$1" -
}

# A root-only host file holding a secret line; nothing of it may come back.
host_secret() { # PATH TEXT
	printf '%s\n' "$2" >"$1"
	chmod 0600 "$1"
}

# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

# serve_dir DIR [loopback]: an HTTP server for DIR (dies by itself after 120 s)
# in the test's "outside" namespace, the way a buildpack host on the network is
# reached (berth refuses to fetch an app's URLs from this host itself:
# common/fetch_guard.h); on 127.0.0.1 with "loopback". Sets HTTP_HOST (ADDR:PORT)
# and HTTP_PID.
serve_dir() {
	local addr=127.0.0.1 prefix=()
	if [ "${2:-}" != loopback ]; then
		[ -n "${OUTSIDE_NS:-}" ] || outside_setup
		addr=$OUTSIDE.2 prefix=(ip netns exec "$OUTSIDE_NS")
	fi
	"${prefix[@]}" timeout 120 python3 -u -m http.server --bind "$addr" --directory "$1" 0 \
		>"$TEST_TMP/http.log" 2>&1 &
	HTTP_PID=$!
	wait_for grep -q 'port [0-9]' "$TEST_TMP/http.log" || fail "the test's HTTP server did not start"
	HTTP_HOST=$addr:$(grep -o 'port [0-9]*' "$TEST_TMP/http.log" | head -n 1 | cut -d' ' -f2)
}

# A buildpack at DIR whose compile runs SCRIPT (sh) as the build user.
make_buildpack() { # DIR SCRIPT
	mkdir -p "$1/bin"
	printf '#!/bin/sh\necho Attacker\n' >"$1/bin/detect"
	printf '#!/bin/sh\n%s\n' "$2" >"$1/bin/compile"
	chmod +x "$1"/bin/*
}

test_pushed_dot_buildpacks_cannot_copy_another_apps_config_into_the_build() {
	setup_app victim
	berth config:set --no-restart victim SECRET=victim-topsecret >/dev/null
	setup_app attacker
	# The attacker's own buildpack, from a URL (allowed), prints whatever the
	# other "buildpack", a host path, brought into the build container.
	make_buildpack "$TEST_TMP/www/evil" 'cat /tmp/buildpacks/*/config.json 2>&1; ls -l /tmp/buildpacks'
	tar -C "$TEST_TMP/www/evil" -czf "$TEST_TMP/www/evil.tgz" .
	serve_dir "$TEST_TMP/www"
	mkdir -p "$TEST_TMP/src"
	printf 'http://%s/evil.tgz\n%s\n' "$HTTP_HOST" "$BERTH_ROOT/apps/victim" \
		>"$TEST_TMP/src/.buildpacks"
	local status
	run_status status deploy_dir attacker "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	kill "$HTTP_PID" 2>/dev/null || true
	assert_eq 1 "$status" "deploy naming a host path in .buildpacks"
	assert_not_contains "$(cat "$TEST_TMP/out")" "victim-topsecret"
	assert_contains "$(cat "$TEST_TMP/out")" ".buildpacks line 2"
	assert_contains "$(cat "$TEST_TMP/out")" "only be set by the operator"
}

test_buildpack_url_config_cannot_name_a_root_only_host_directory() {
	setup_app attacker
	# A root-only host directory that happens to look like a buildpack.
	make_buildpack "$TEST_TMP/private/bp" 'echo "secret-of-a-root-only-dir"'
	chmod 0700 "$TEST_TMP/private"
	mkdir -p "$TEST_TMP/src" && echo x >"$TEST_TMP/src/x"
	local spec status
	for spec in "file://$TEST_TMP/private/bp" "$TEST_TMP/private/bp" "../../../../$TEST_TMP/private/bp"; do
		berth config:set --no-restart attacker "BUILDPACK_URL=$spec" >/dev/null
		run_status status deploy_dir attacker "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
		assert_eq 1 "$status" "deploy with BUILDPACK_URL=$spec"
		assert_not_contains "$(cat "$TEST_TMP/out")" "secret-of-a-root-only-dir"
		assert_contains "$(cat "$TEST_TMP/out")" "BUILDPACK_URL: '$spec' is not a buildpack URL"
	done
	# A shipped name cannot climb out of berth's buildpack directory either.
	setup_app climber
	for spec in .. . ../build; do
		printf '%s\n' "$spec" >"$TEST_TMP/src/.buildpacks"
		run_status status deploy_dir climber "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
		assert_eq 1 "$status" "deploy with .buildpacks naming '$spec'"
		assert_contains "$(cat "$TEST_TMP/out")" "is not a buildpack URL"
	done
}

test_pushed_buildpack_urls_and_shipped_names_still_work() {
	setup_app fine
	make_buildpack "$TEST_TMP/www/ok" 'echo from-url >"$1/marker"'
	tar -C "$TEST_TMP/www/ok" -czf "$TEST_TMP/www/ok.tgz" .
	serve_dir "$TEST_TMP/www"
	mkdir -p "$TEST_TMP/src"
	printf 'http://%s/ok.tgz\nprocfile\n' "$HTTP_HOST" >"$TEST_TMP/src/.buildpacks"
	printf 'web: cat marker\n' >"$TEST_TMP/src/Procfile"
	deploy_dir fine "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_eq from-url "$(berth run fine cat /app/marker)"
	berth config:set --no-restart fine "BUILDPACK_URL=http://$HTTP_HOST/ok.tgz" >/dev/null
	berth ps:rebuild fine >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "rebuild failed"; }
	kill "$HTTP_PID" 2>/dev/null || true
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: fine v2"
}

test_source_procfile_symlink_to_a_host_file_is_refused_unread() {
	setup_app leak
	host_secret "$TEST_TMP/host-file" "host-secret-procfile"
	mkdir -p "$TEST_TMP/src"
	ln -s "$TEST_TMP/host-file" "$TEST_TMP/src/Procfile"
	local status
	run_status status deploy_dir leak "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_not_contains "$(cat "$TEST_TMP/out")" "host-secret-procfile"
	assert_contains "$(cat "$TEST_TMP/out")" "Procfile is a symbolic link"
}

test_source_dot_buildpacks_symlink_to_a_host_file_is_refused_unread() {
	setup_app leak
	host_secret "$TEST_TMP/host-file" "host-secret-buildpacks"
	mkdir -p "$TEST_TMP/src/sub"
	ln -s "$TEST_TMP/host-file" "$TEST_TMP/src/.buildpacks"
	local status
	run_status status deploy_dir leak "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_not_contains "$(cat "$TEST_TMP/out")" "host-secret-buildpacks"
	assert_contains "$(cat "$TEST_TMP/out")" ".buildpacks is a symbolic link"
	# A relative link that climbs out of the source is no better.
	rm "$TEST_TMP/src/.buildpacks"
	ln -s ../../../../../../../../../.."$TEST_TMP/host-file" "$TEST_TMP/src/.buildpacks"
	run_status status deploy_dir leak "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_not_contains "$(cat "$TEST_TMP/out")" "host-secret-buildpacks"
}

test_buildpack_cannot_make_berth_read_a_host_file_through_its_output() {
	setup_app outleak
	host_secret "$TEST_TMP/host-procfile" "web: echo host-secret-output"
	printf 'default_process_types:\n  web: echo host-secret-yaml\n' >"$TEST_TMP/host-yaml"
	chmod 0600 "$TEST_TMP/host-yaml"
	# The buildpack plants, where berth reads the build's results, a symlink to
	# a host path (dangling inside the container, live on the host).
	make_buildpack "$TEST_TMP/bp" 'ln -s "$(cat "$1/target")" "/tmp/berth/out/$(cat "$1/name")"'
	berth buildpacks:set outleak "$TEST_TMP/bp"
	local name target status
	for name in Procfile release-1.yml; do
		target=$TEST_TMP/host-procfile
		[ "$name" = Procfile ] || target=$TEST_TMP/host-yaml
		rm -rf "$TEST_TMP/src" && mkdir -p "$TEST_TMP/src"
		echo "$name" >"$TEST_TMP/src/name"
		echo "$target" >"$TEST_TMP/src/target"
		run_status status deploy_dir outleak "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
		assert_eq 1 "$status" "deploy with a planted $name"
		assert_not_contains "$(cat "$TEST_TMP/out")" "host-secret"
		assert_contains "$(cat "$TEST_TMP/out")" "is a symbolic link"
		[ ! -e "$BERTH_ROOT/apps/outleak/current" ] || fail "a release was made from a planted $name"
	done
}

test_source_procfile_symlink_to_dev_zero_fails_without_eating_memory() {
	setup_app zero
	mkdir -p "$TEST_TMP/src"
	ln -s /dev/zero "$TEST_TMP/src/Procfile"
	local status limit=4000000
	# The bound keeps a broken berth from taking the host down with it (ASan
	# reserves more address space than any bound, and never needs one here).
	case "$BERTH_BIN" in *asan*) limit=unlimited ;; esac
	run_status status bash -c "ulimit -v $limit; tar -C '$TEST_TMP/src' -cf - . | timeout 60 '$BERTH_BIN' git:from-archive zero -" \
		>"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "Procfile is a symbolic link"
}

test_huge_procfile_left_by_a_buildpack_is_refused_with_a_bound() {
	setup_app huge
	make_buildpack "$TEST_TMP/bp" 'dd if=/dev/zero of=/tmp/berth/out/Procfile bs=1048576 seek=64 count=0 2>/dev/null'
	berth buildpacks:set huge "$TEST_TMP/bp"
	mkdir -p "$TEST_TMP/src" && echo x >"$TEST_TMP/src/x"
	local status
	run_status status deploy_dir huge "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "is larger than 1048576 bytes"
}

test_fifo_left_by_a_buildpack_fails_the_deploy_without_blocking_it() {
	setup_app fifo
	make_buildpack "$TEST_TMP/bp" 'mkfifo "/tmp/berth/out/$(cat "$1/name")"'
	berth buildpacks:set fifo "$TEST_TMP/bp"
	local name status
	for name in Procfile release-1.yml; do
		rm -rf "$TEST_TMP/src" && mkdir -p "$TEST_TMP/src"
		echo "$name" >"$TEST_TMP/src/name"
		run_status status bash -c "tar -C '$TEST_TMP/src' -cf - . | timeout 60 '$BERTH_BIN' git:from-archive fifo -" \
			>"$TEST_TMP/out" 2>&1
		assert_eq 1 "$status" "deploy with a FIFO as $name (124: it blocked)"
		assert_contains "$(cat "$TEST_TMP/out")" "is a FIFO"
	done
	# The deploy lock went with it: the next deploy runs.
	berth buildpacks:clear fifo
	printf 'web: echo ok\n' >"$TEST_TMP/src/Procfile"
	deploy_dir fifo "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy after the FIFO failed"; }
}

test_process_type_names_from_bin_release_follow_the_procfile_rules() {
	setup_app names
	make_buildpack "$TEST_TMP/bp" 'true'
	cat >"$TEST_TMP/bp/bin/release" <<-'SH'
	#!/bin/sh
	cat <<'YAML'
	default_process_types:
	  "../x=1 y\nz": echo evil
	  web: echo ok
	YAML
	SH
	chmod +x "$TEST_TMP/bp/bin/release"
	berth buildpacks:set names "$TEST_TMP/bp"
	mkdir -p "$TEST_TMP/src" && echo x >"$TEST_TMP/src/x"
	local status
	run_status status deploy_dir names "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "bin/release: a process type name in 'default_process_types' (line 2) is not valid"
	[ ! -e "$BERTH_ROOT/apps/names/current" ] || fail "a release was made with a bad process type name"
	assert_not_contains "$(cat "$BERTH_ROOT/apps/names/settings.json")" "../x"
}

# redirect_server: an HTTP server in the outside namespace that sends every
# request on to $1 (302); sets REDIRECT_HOST.
redirect_server() {
	[ -n "${OUTSIDE_NS:-}" ] || outside_setup
	ip netns exec "$OUTSIDE_NS" timeout 120 python3 -u -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", sys.argv[2] + self.path)
        self.end_headers()
s = http.server.HTTPServer((sys.argv[1], 0), H)
print("port", s.server_port, flush=True)
s.serve_forever()
' "$OUTSIDE.2" "$1" >"$TEST_TMP/redirect.log" 2>&1 &
	track $!
	wait_for grep -q 'port [0-9]' "$TEST_TMP/redirect.log" || fail "the redirecting server did not start"
	REDIRECT_HOST=$OUTSIDE.2:$(grep -o 'port [0-9]*' "$TEST_TMP/redirect.log" | cut -d' ' -f2)
}

test_buildpack_urls_cannot_reach_this_hosts_own_services() {
	setup_app probe
	make_buildpack "$TEST_TMP/www/ok" 'echo from-url >"$1/marker"'
	tar -C "$TEST_TMP/www/ok" -czf "$TEST_TMP/www/ok.tgz" .
	git init -q --bare "$TEST_TMP/www/ok.git"
	serve_dir "$TEST_TMP/www" loopback
	local loop=$HTTP_HOST spec status
	mkdir -p "$TEST_TMP/src"
	printf 'web: cat marker\n' >"$TEST_TMP/src/Procfile"
	redirect_server "http://$loop"
	# A tarball and a git URL on loopback, the cloud metadata address, this
	# host's address on the test's veth, and a redirect from outside to loopback.
	for spec in "http://$loop/ok.tgz" "http://$loop/ok.git" "http://169.254.169.254/latest.tgz" \
		"http://$OUTSIDE.1:${loop#*:}/ok.tgz" "http://$REDIRECT_HOST/ok.tgz"; do
		berth config:set --no-restart probe "BUILDPACK_URL=$spec" >/dev/null
		run_status status deploy_dir probe "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1
		assert_eq 1 "$status" "deploy with BUILDPACK_URL=$spec"
		assert_contains "$(cat "$TEST_TMP/out")" "berth does not fetch from there for an app" "$spec"
	done
	assert_eq "" "$(grep -E 'GET /ok' "$TEST_TMP/http.log")" "requests that reached the loopback server"
	# The operator may allow it.
	berth config:set --no-restart probe "BUILDPACK_URL=http://$loop/ok.tgz" >/dev/null
	BERTH_FETCH_LOCAL=allow deploy_dir probe "$TEST_TMP/src" >"$TEST_TMP/out" 2>&1 ||
		{ cat "$TEST_TMP/out"; fail "BERTH_FETCH_LOCAL=allow"; }
	assert_eq from-url "$(berth run probe cat /app/marker)"
}
