# make install: the installed binaries (PREFIX/bin/berth, PREFIX/lib/berth/berth-full
# and berth-daemon, the buildpacks in PREFIX/lib/berth/buildpacks) build and run an
# app on their own, without the source tree or BERTH_BUILDPACKS.

test_installed_berth_finds_its_buildpacks_and_deploys_an_app() {
	local dest=$TEST_TMP/dest prefix=/opt/berth bin=${BERTH_BIN#"$TEST_TOP"/}
	# The build under test (bin/berth or bin/berth-asan), already built by make.
	make -s -C "$TEST_TOP" install BIN="$bin" DESTDIR="$dest" PREFIX="$prefix" \
		SYSTEMD_UNIT_DIR=/lib/systemd/system >"$TEST_TMP/make.out" 2>&1 ||
		{ cat "$TEST_TMP/make.out"; fail "make install failed"; }
	# Installing twice leaves one copy of the buildpacks, not buildpacks/buildpacks.
	make -s -C "$TEST_TOP" install BIN="$bin" DESTDIR="$dest" PREFIX="$prefix" \
		SYSTEMD_UNIT_DIR=/lib/systemd/system >/dev/null 2>&1
	[ ! -e "$dest$prefix/lib/berth/buildpacks/buildpacks" ] || fail "a second install nested the buildpacks"
	local ib=$dest$prefix/bin/berth
	[ -x "$dest$prefix/lib/berth/berth-full" ] || fail "berth-full is not installed"
	unset BERTH_BUILDPACKS
	"$ib" stacks:create busybox >/dev/null
	"$ib" apps:create inst >/dev/null
	cp -r "$TEST_TOP/examples/hello" "$TEST_TMP/src"
	tar -C "$TEST_TMP/src" -cf "$TEST_TMP/src.tar" .
	# Detection reads the shipped buildpacks: a wrong prefix fails here.
	"$ib" git:from-archive inst - <"$TEST_TMP/src.tar" >"$TEST_TMP/out" 2>&1 ||
		{ cat "$TEST_TMP/out"; fail "deploy with the installed berth failed"; }
	assert_contains "$(cat "$TEST_TMP/out")" "Application deployed: inst v1"
	assert_contains "$("$ib" run inst cat /app/public/index.html)" "<"
}
