# ports:* with Dokku's rules and output (tests/unit/ports.bats in Dokku).

test_ports_add_set_remove_clear_as_dokku() {
	# Dokku's test uses 1234, 8080 and 12345; here ports of the test's range, as
	# a new http map is refused on a port a host service listens on.
	local a=$((TEST_PORT_BASE + 71)) b=$((TEST_PORT_BASE + 72)) c=$((TEST_PORT_BASE + 73))
	berth apps:create web >/dev/null
	assert_eq "" "$(berth --quiet ports:report web --ports-map)" "nothing set"
	assert_eq "http:80:5000" "$(berth --quiet ports:report web --ports-map-detected)"
	berth ports:set web http:$a:5001
	assert_eq "http:$a:5001" "$(berth --quiet ports:report web --ports-map)"
	berth --quiet ports:report web --ports-map-json |
		jq -e --argjson a "$a" 'length == 1 and .[0].scheme == "http" and .[0].host_port == $a and .[0].container_port == 5001' >/dev/null ||
		fail "ports-map-json"
	berth ports:add web http:$b:5002 https:8443:5003
	assert_eq "http:$a:5001 http:$b:5002 https:8443:5003" "$(berth --quiet ports:report web --ports-map)"
	local status
	for bad in "http:$b:5000 https:8443:5000 http:$a:5001 http:$a:5002"; do
		run_status status berth ports:set web $bad 2>/dev/null
		assert_eq 1 "$status" "ports:set $bad"
	done
	for bad in "http:$c:5002 http:$c:5004" "http:$a:5003 http:$c:5004" "http:$a:5001" \
		"tcp:$b:22" "http:0:5000" "http:80:70000" "ftp:21:21" "http:80" "http:80:5000:1" ""; do
		run_status status berth ports:add web $bad 2>/dev/null
		assert_eq 1 "$status" "ports:add '$bad'"
	done
	assert_eq "http:$a:5001 http:$b:5002 https:8443:5003" "$(berth --quiet ports:report web --ports-map)" \
		"refused maps changed nothing"
	berth ports:remove web $b
	assert_eq "http:$a:5001 https:8443:5003" "$(berth --quiet ports:report web --ports-map)" "remove by host port"
	berth ports:remove web http:$a:5001
	assert_eq "https:8443:5003" "$(berth --quiet ports:report web --ports-map)" "remove a map"
	berth ports:add web tcp:2222:22
	assert_eq "    -----> scheme  host port  container port
    https          8443       5003
    tcp            2222       22" "$(berth ports:list web | tail -n +2)"
	berth ports:clear web
	assert_eq "" "$(berth --quiet ports:report web --ports-map)" "clear"
	assert_eq "    http  80  5000" "$(berth --quiet ports:list web)" "the detected map is in force"
	run_status status berth ports:add nosuchapp http:80:5000 2>/dev/null
	assert_eq 20 "$status"
}
