# The python and nodejs buildpacks on a stack that has the interpreters. Such a
# stack is assembled offline from the host's own python3 and node (with the
# libraries they load) on top of a busybox root, then imported.

# lang_stack NAME WHAT...: import a stack with busybox and the given tools
# (python, node); skips when the host lacks one.
lang_stack() {
	local name=$1 d=$TEST_TMP/langroot
	shift
	make_busybox_rootfs "$d"
	local what bins=()
	for what in "$@"; do
		case $what in
		python)
			[ -x /usr/bin/python3.11 ] && dpkg -s libpython3.11-minimal >/dev/null 2>&1 ||
				skip "the host has no Debian python3.11 to build a python stack from"
			dpkg -L libpython3.11-minimal python3.11-minimal | while read -r f; do
				[ -f "$f" ] || continue
				mkdir -p "$d${f%/*}" && cp -a "$f" "$d$f"
			done
			ln -sf python3.11 "$d/usr/bin/python3"
			bins+=(/usr/bin/python3.11)
			;;
		node)
			[ -x /usr/bin/node ] || skip "the host has no /usr/bin/node to build a node stack from"
			cp -a /usr/bin/node "$d/usr/bin/node"
			bins+=(/usr/bin/node)
			;;
		esac
	done
	local lib
	for lib in $(ldd "${bins[@]}" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u); do
		mkdir -p "$d${lib%/*}" && cp -L "$lib" "$d$lib"
	done
	berth stacks:import "$name" "$d" >/dev/null
}

deploy_dir() { # APP DIR
	tar -C "$2" -cf - . | berth git:from-archive "$1" -
}

test_python_app_builds_and_runs_on_a_stack_with_python3() {
	lang_stack py python
	berth apps:create pyapp >/dev/null
	local src=$TEST_TMP/py
	mkdir -p "$src"
	printf '# no dependencies: builds offline\n' >"$src/requirements.txt"
	printf 'import os\nprint("python says", os.environ["GREETING"])\n' >"$src/app.py"
	printf 'web: python3 app.py\n' >"$src/Procfile"
	berth config:set --no-restart pyapp GREETING=hello >/dev/null
	deploy_dir pyapp "$src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Python app detected"
	assert_contains "$(cat "$TEST_TMP/out")" "Using Python 3.11"
	assert_contains "$(cat "$TEST_TMP/out")" "No requirements to install"
	assert_eq "python says hello" "$(berth run pyapp python3 app.py)"
	# .profile.d/python.sh puts the buildpack's package dir on the path.
	assert_eq True "$(berth run pyapp 'python3 -c "import sys; print(\"/app/.berth/python\" in sys.path)"')"
}

test_python_requirements_without_pip_is_a_clear_error() {
	lang_stack py python
	berth apps:create pyreq >/dev/null
	mkdir -p "$TEST_TMP/py"
	echo "flask==3.0.0" >"$TEST_TMP/py/requirements.txt"
	local status
	run_status status deploy_dir pyreq "$TEST_TMP/py" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "the stack's python3 has no pip"
}

test_node_app_builds_and_runs_on_a_stack_with_node() {
	lang_stack js node
	berth apps:create jsapp >/dev/null
	local src=$TEST_TMP/js
	mkdir -p "$src"
	printf '{"name": "jsapp", "version": "1.0.0"}\n' >"$src/package.json"
	printf 'console.log("node says", process.env.NODE_ENV);\n' >"$src/server.js"
	deploy_dir jsapp "$src" >"$TEST_TMP/out" 2>&1 || { cat "$TEST_TMP/out"; fail "deploy failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "-----> Node.js app detected"
	assert_contains "$(cat "$TEST_TMP/out")" "No dependencies to install"
	# No Procfile: web comes from bin/release's default_process_types.
	assert_contains "$(cat "$TEST_TMP/out")" "web: node server.js"
	assert_eq "node says production" "$(berth run jsapp node server.js)"
}

test_node_bad_package_json_is_a_clear_error() {
	lang_stack js node
	berth apps:create jsbad >/dev/null
	mkdir -p "$TEST_TMP/js"
	printf '{"name": ' >"$TEST_TMP/js/package.json"
	local status
	run_status status deploy_dir jsbad "$TEST_TMP/js" >"$TEST_TMP/out" 2>&1
	assert_eq 1 "$status"
	assert_contains "$(cat "$TEST_TMP/out")" "package.json is not valid JSON"
}
