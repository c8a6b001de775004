# The router on more host ports than its main one (ports:add APP http:PORT:...),
# apps without vhosts (domains:disable) served on their own ports only, and the
# router's end on SIGTERM. Everything on 127.0.0.1 ports of the test's range.
# shellcheck source=tests/helpers/net.sh
. "$TEST_TOP/tests/helpers/net.sh"

EXTRA=$((TEST_PORT_BASE + 51))
EXTRA2=$((TEST_PORT_BASE + 52))

# on PORT CMD...: CMD (get, status_of) against the router's PORT.
on() {
	local port=$1
	shift
	ROUTER=127.0.0.1:$port "$@"
}

port_closed() { ! tcp_open 127.0.0.1 "$1"; }

# answers WANT CMD...: CMD prints WANT (for wait_for, which takes a command).
answers() { [ "$("${@:2}")" = "$1" ]; }

# new_worker OLD: the router has a worker and it is not OLD.
new_worker() { local n; n=$(router_worker_pid); [ -n "$n" ] && [ "$n" != "$1" ]; }

# Two apps on the main port with one backend each, as the daemon would feed them.
two_apps() {
	backend 1 alpha
	backend 2 beta
	berth apps:create hello >/dev/null
	berth apps:create other >/dev/null
	berth domains:set-global berth.test >/dev/null
	berth ports:set hello "http:80:$((TEST_PORT_BASE + 1))" >/dev/null
	berth ports:set other "http:80:$((TEST_PORT_BASE + 2))" >/dev/null
	printf '{"version": "1", "apps": {"hello": {"backends": ["127.0.0.1:%s"]}, "other": {"backends": ["127.0.0.1:%s"]}}}\n' \
		"$((TEST_PORT_BASE + 1))" "$((TEST_PORT_BASE + 2))" >"$TABLE"
	router_default
}

test_router_listens_on_every_http_host_port_the_apps_name() {
	two_apps
	port_closed "$EXTRA" || fail "port $EXTRA open before any map names it"
	# hello's web processes answer on its container port 1 there: beta's port.
	after "$(loads)" berth ports:add hello "http:$EXTRA:$((TEST_PORT_BASE + 2))"
	wait_for tcp_open 127.0.0.1 "$EXTRA" || { cat "$TEST_TMP/router.log"; fail "router not listening on $EXTRA"; }
	assert_eq "beta" "$(on "$EXTRA" get hello.berth.test /)" "Host on the extra port, its container port"
	assert_eq "alpha" "$(get hello.berth.test /)" "the main port unchanged"
	assert_eq 404 "$(on "$EXTRA" status_of other.berth.test /)" "an app without a map on that port"
	assert_eq 404 "$(on "$EXTRA" status_of nothere.berth.test /)" "unknown host"
	assert_contains "$(on "$EXTRA" get hello.berth.test /headers)" "X-Forwarded-Port: $EXTRA" "forwarded port"
	# A second app on the same port: both by Host.
	after "$(loads)" berth ports:add other "http:$EXTRA:$((TEST_PORT_BASE + 1))"
	assert_eq "alpha" "$(on "$EXTRA" get other.berth.test /)" "second app on the shared port"
	after "$(loads)" berth ports:remove hello "http:$EXTRA"
	assert_eq 404 "$(on "$EXTRA" status_of hello.berth.test /)" "removed map"
	tcp_open 127.0.0.1 "$EXTRA" || fail "closed while other still names it"
	after "$(loads)" berth ports:remove other "$EXTRA"
	wait_for port_closed "$EXTRA" || fail "still listening on $EXTRA with no map naming it"
	# The worker killed: its successor serves every port the supervisor holds.
	after "$(loads)" berth ports:add hello "http:$EXTRA2:$((TEST_PORT_BASE + 1))"
	local w
	w=$(router_worker_pid)
	kill -9 "$w"
	wait_for new_worker "$w" || fail "no new worker"
	assert_eq "alpha" "$(on "$EXTRA2" get hello.berth.test /)" "extra port after a worker restart"
}

test_ports_refuse_a_busy_http_port_and_warn_about_https() {
	berth apps:create hello >/dev/null
	berth apps:create other >/dev/null
	tcp_server 127.0.0.1 "$EXTRA" busy
	local out rc
	run_status rc berth ports:add hello "http:$EXTRA:5000" 2>"$TEST_TMP/err"
	assert_eq 1 "$rc" "http map on a port a host service uses"
	assert_contains "$(cat "$TEST_TMP/err")" "Host port tcp/$EXTRA is in use by a service on this host"
	assert_eq "http:80:5000" "$(berth --quiet ports:report hello --ports-map-detected)" "nothing changed"
	berth ports:add hello "tcp:$EXTRA2:5000" >/dev/null
	run_status rc berth ports:add other "http:$EXTRA2:5000" 2>"$TEST_TMP/err"
	assert_eq 1 "$rc" "http map on a port another app forwards"
	assert_contains "$(cat "$TEST_TMP/err")" "Host port $EXTRA2 is used by app hello (tcp:$EXTRA2:5000) already"
	out=$(berth ports:add other "https:$((TEST_PORT_BASE + 53)):5000" 2>&1) || fail "https map refused"
	assert_contains "$out" "https:$((TEST_PORT_BASE + 53)):5000 is kept but not served: berth's router has no TLS"
}

test_domains_disable_serves_the_app_on_its_own_port_only() {
	two_apps
	after "$(loads)" berth ports:add hello "http:$EXTRA:$((TEST_PORT_BASE + 1))"
	local out
	out=$(berth domains:disable hello)
	assert_eq "-----> App virtual host support disabled" "$out" "disable"
	wait_for answers 404 status_of hello.berth.test / || fail "still routed by Host on the main port"
	assert_eq "alpha" "$(on "$EXTRA" get anything.example /)" "any Host on its own port"
	assert_eq "alpha" "$(on "$EXTRA" get other.berth.test /)" "even another app's name"
	assert_eq "beta" "$(get other.berth.test /)" "the other app untouched"
	assert_eq "false" "$(berth domains:report hello --domains-app-enabled)" "report"
	assert_eq "" "$(berth domains:report hello --domains-app-vhosts)" "no vhosts"
	assert_eq "-----> Domains (VHOST) support is already disabled for app (hello)" \
		"$(berth domains:disable hello)" "twice"
	out=$(berth domains:enable hello)
	assert_eq "" "$out" "enable says nothing, as Dokku"
	wait_for answers alpha get hello.berth.test / || fail "not routed by Host again"
	assert_eq 404 "$(on "$EXTRA" status_of anything.example /)" "Host routing on its port again"
	assert_eq "hello.berth.test" "$(berth domains:report hello --domains-app-vhosts)" "default vhosts back"
	assert_eq "-----> Domains (VHOST) support is already enabled for app (hello)" \
		"$(berth domains:enable hello)" "twice"
}

test_domains_enable_disable_cli() {
	berth apps:create hello >/dev/null
	berth apps:create other >/dev/null
	local rc out
	# No global domain: no vhosts, nothing to say but the warning about ports.
	out=$(berth domains:disable hello 2>"$TEST_TMP/err")
	assert_eq "" "$out" "no vhosts to disable"
	assert_contains "$(cat "$TEST_TMP/err")" "hello has no http port but the router's: it gets no traffic until ports:add hello http:PORT:5000"
	berth domains:add hello www.hello.test >/dev/null
	assert_eq "true" "$(berth domains:report hello --domains-app-enabled)" "domains:add enables"
	assert_eq "www.hello.test" "$(berth domains:report hello --domains-app-vhosts)" "only the added name"
	out=$(berth domains:disable --all 2>/dev/null)
	assert_eq "-----> App virtual host support disabled" "$out" "--all: hello had vhosts, other none"
	assert_eq "false false" "$(berth domains:report hello --domains-app-enabled) $(berth domains:report other --domains-app-enabled)"
	berth domains:enable --all >/dev/null
	assert_eq "true true" "$(berth domains:report hello --domains-app-enabled) $(berth domains:report other --domains-app-enabled)"
	run_status rc berth domains:disable nosuch 2>"$TEST_TMP/err"
	assert_eq 20 "$rc" "unknown app (Dokku's code)"
	assert_contains "$(cat "$TEST_TMP/err")" "App nosuch does not exist"
	run_status rc berth domains:enable 2>"$TEST_TMP/err"
	assert_eq 1 "$rc" "no app"
	assert_contains "$(cat "$TEST_TMP/err")" "Please specify an app to run the command on"
	run_status rc berth domains:enable --all hello 2>/dev/null
	assert_eq 1 "$rc" "--all and an app"
}

# Each process of a router group: the supervisor and its children.
router_procs() { echo "$ROUTER_PID"; pgrep -P "$ROUTER_PID"; }
# Gone: no process, or a zombie its parent (this shell, a reaper) has not collected.
all_gone() {
	local p
	for p in "$@"; do
		[ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && return 1
	done
	return 0
}

test_router_dies_on_sigterm_with_every_child_even_with_clients_open() {
	two_apps
	after "$(loads)" berth ports:add hello "http:$EXTRA:$((TEST_PORT_BASE + 1))"
	wait_for tcp_open 127.0.0.1 "$EXTRA" || fail "no extra port"
	# An idle keep-alive client (one answered request, the connection kept) and
	# a slow one in the middle of its head.
	python3 - "$ROUTER_PORT" >"$TEST_TMP/ka" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: hello.berth.test\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode(), flush=True)
t = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t.sendall(b"GET / HTTP/1.1\r\nHo")
time.sleep(120)
EOF
	track $!
	wait_for grep -q "200" "$TEST_TMP/ka" || fail "keep-alive client not served"
	local procs
	procs=$(router_procs | tr '\n' ' ')
	kill -TERM "$ROUTER_PID"
	WAIT_FOR_SECONDS=5 wait_for all_gone $procs || { cat "$TEST_TMP/router.log"; fail "router processes $procs alive 5 s after SIGTERM"; }
	port_closed "$ROUTER_PORT" || fail "main port still open"
	port_closed "$EXTRA" || fail "extra port still open"
}

test_router_dies_on_sigterm_when_started_with_sigchld_ignored() {
	backend 1 alpha
	table 1 "{\"hello\": {\"backends\": [\"$(backend_addr 1)\"]}}"
	# A parent that ignores SIGCHLD passes that on through exec.
	python3 -c 'import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])' \
		"$BERTH_BIN" router --table "$TEST_TMP/table.json" 2>>"$TEST_TMP/router.log" &
	track $!
	# python3 may be a wrapper that starts the real one: the router's pid from its file.
	wait_for test -s "$BERTH_RUN/router/router.pid" || { cat "$TEST_TMP/router.log"; fail "router did not start"; }
	ROUTER_PID=$(cat "$BERTH_RUN/router/router.pid")
	track "$ROUTER_PID"
	wait_for pgrep -P "$ROUTER_PID" || { cat "$TEST_TMP/router.log"; fail "no worker"; }
	local w
	w=$(router_worker_pid)
	kill -9 "$w"
	wait_for new_worker "$w" || fail "killed worker not replaced"
	assert_eq "alpha" "$(get hello.berth.test /)" "served by the new worker"
	local procs
	procs=$(router_procs | tr '\n' ' ')
	kill -TERM "$ROUTER_PID"
	WAIT_FOR_SECONDS=5 wait_for all_gone $procs || fail "router processes $procs alive 5 s after SIGTERM"
}

test_containers_reach_the_router_on_its_other_ports_and_no_other_host_port() {
	two_apps
	after "$(loads)" berth ports:add hello "http:$EXTRA:$((TEST_PORT_BASE + 2))"
	wait_for tcp_open 127.0.0.1 "$EXTRA" || fail "router not listening on $EXTRA"
	# The router listens on 127.0.0.1 here: a container reaches it on the
	# gateway's port all the same (DNAT from the bridge to the router's address).
	local req="GET / HTTP/1.0\r\nHost: hello.berth.test\r\n\r\n" out
	out=$(run_net -- sh -c "printf '$req' | nc -w 3 $TEST_NET.1 $EXTRA; echo; nc -w 2 $TEST_NET.1 $((TEST_PORT_BASE + 1)) </dev/null || echo refused")
	assert_contains "$out" "beta" "the router's extra port, from a container"
	assert_contains "$out" "refused" "a host service's port stays closed to containers"
	assert_not_contains "$out" "alpha" "the host's backend on 127.0.0.1"
	# No map names it any more: the way in goes with it.
	after "$(loads)" berth ports:remove hello "http:$EXTRA"
	assert_eq "" "$(nft list table ip "berth_${TEST_BRIDGE}_fw" 2>/dev/null | grep "dport $EXTRA")" "rule left"
}
