# runtime:run isolation: namespaces, id maps, the root filesystem, /proc /sys /dev,
# capabilities, no_new_privs and seccomp, each proven from inside the container.
# shellcheck source=tests/helpers/runtime.sh
. "$TEST_TOP/tests/helpers/runtime.sh"

ID_BASE=1000000000

test_container_has_new_mount_pid_uts_ipc_net_cgroup_user_namespaces() {
	local ns inside host
	for ns in mnt pid uts ipc net cgroup user; do
		inside=$(run_bb -- readlink "/proc/self/ns/$ns")
		host=$(readlink "/proc/self/ns/$ns")
		assert_contains "$inside" "$ns:[" "$ns namespace inside"
		[ "$inside" != "$host" ] || fail "$ns namespace is the host's ($host)"
	done
}

test_uid_and_gid_maps_send_0_to_65535_to_an_unprivileged_range() {
	local out
	out=$(run_bb -- sh -c 'cat /proc/self/uid_map /proc/self/gid_map' | tr -s ' ')
	assert_eq "$(printf ' 0 %s 65536\n 0 %s 65536' $ID_BASE $ID_BASE)" "$out"
}

# Every process of the container, seen from the host: found through the container's
# cgroup while it runs, each must have the mapped host uid, never 0.
container_host_uids() { # OUT_VAR berth-args...
	local __var=$1 out=$TEST_TMP/out cg pids pid __uids="" status
	shift
	start_container "$out" --layer "$(busybox_rootfs)" "$@" -- sh -c 'echo ready; sleep 30'
	wait_for_line "$out" ready
	cg=$(container_cgroup)
	pids=$(cat "$cg/cgroup.procs")
	[ -n "$pids" ] || fail "no process in $cg"
	for pid in $pids; do
		__uids="$__uids $(awk '/^Uid:/ {print $2 ":" $3 ":" $4 ":" $5}' "/proc/$pid/status")"
	done
	kill -TERM "$MONITOR"
	wait_monitor status
	printf -v "$__var" '%s' "${__uids# }"
}

test_container_processes_have_the_mapped_unprivileged_host_uid() {
	local uids u=$((ID_BASE + 1000))
	container_host_uids uids
	# pid 1 (berth's init, after dropping to the user) and sh; sleep may be a third.
	assert_contains "$uids" "$u:$u:$u:$u $u:$u:$u:$u" "host uids of the container's processes"
	assert_not_contains " $uids" " 0:" "host uids"
	[ "$(echo "$uids" | tr ' ' '\n' | grep -cv "^$u:$u:$u:$u$")" = 0 ] || fail "unexpected host uids: $uids"
}

test_container_root_is_an_unprivileged_host_uid() {
	local uids u=$ID_BASE
	container_host_uids uids --user 0
	[ "$(echo "$uids" | tr ' ' '\n' | grep -cv "^$u:$u:$u:$u$")" = 0 ] ||
		fail "container root should be host uid $u everywhere: $uids"
}

test_host_filesystem_is_not_reachable() {
	local out marker=$TEST_TMP/host-marker
	echo host-secret >"$marker"
	chmod 0644 "$marker"
	out=$(run_bb -- sh -c "
		cat $marker 2>/dev/null || echo no-marker
		cd /.. && pwd && ls -A | tr '\n' ' ' && echo
		readlink /proc/self/root
		grep -c -e '$TEST_TMP' -e '$BERTH_RUN' /proc/self/mountinfo || true")
	assert_eq "$(printf 'no-marker\n/\n%s\n/\n0' "$(ls -A "$(busybox_rootfs)" | tr '\n' ' ')")" "$out"
}

test_descriptors_open_in_berths_caller_do_not_reach_the_container() {
	local out
	# fd 7 is a host directory: passed on, it would open the whole host tree.
	out=$(exec 7</etc 8>"$TEST_TMP/w"; run_bb -- sh -c 'ls /proc/self/fd/7/ 2>&1 | head -n 1')
	assert_contains "$out" "No such file or directory" "fd 7 in the container"
	# Seen from the host while it runs: pid 1 (berth's init) and the command hold
	# exactly stdin, stdout and stderr.
	(
		exec 7</etc 8>"$TEST_TMP/w"
		start_container "$TEST_TMP/out" --layer "$(busybox_rootfs)" -- sh -c 'echo ready; exec sleep 30'
		wait_for_line "$TEST_TMP/out" ready
		for pid in $(cat "$(container_cgroup)/cgroup.procs"); do
			echo "$(cat "/proc/$pid/comm"): $(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')"
		done >"$TEST_TMP/fds"
		kill -TERM "$MONITOR"
		wait_monitor status
	)
	assert_eq "$(printf 'berth-init: 0 1 2 \nsleep: 0 1 2 ')" "$(sort "$TEST_TMP/fds")" "descriptors in the container"
}

test_proc_masks_dockers_paths_present_on_this_kernel() {
	local p checked="" out
	for p in /proc/asound /proc/acpi /proc/interrupts /proc/kcore /proc/keys \
		/proc/latency_stats /proc/timer_list /proc/timer_stats /proc/sched_debug \
		/proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
		[ -e "$p" ] || continue
		checked="$checked $p"
		if [ -d "$p" ]; then
			out=$(run_bb --user 0 -- sh -c "ls -A $p | wc -l; touch $p/x 2>&1 || true")
			assert_contains "$out" "0" "entries in $p"
			assert_contains "$out" "Read-only file system" "write into $p"
		else
			# Docker's way: /dev/null bound over it, so writes go nowhere too.
			out=$(run_bb --user 0 -- sh -c "wc -c <$p; stat -c '%F %t:%T' $p")
			assert_eq "$(printf '0\ncharacter special file 1:3')" "$out" "$p"
		fi
	done
	[ -n "$checked" ] || fail "none of Docker's masked paths exists on this kernel"
	echo "masked:$checked"
}

# mount_opts PATH: the mount options of the mount at PATH inside a container.
mount_opts_inside() {
	run_bb --user 0 -- awk -v p="$1" '$5 == p {print $6}' /proc/self/mountinfo | tail -1
}

test_proc_sys_and_other_kernel_files_are_read_only() {
	local p out
	for p in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do
		[ -e "$p" ] || continue
		assert_contains ",$(mount_opts_inside "$p")," ",ro," "mount options of $p"
	done
	# Container root owns its network namespace, so only the read-only mount stops
	# it from changing that namespace's sysctls.
	out=$(run_bb --user 0 -- sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward' 2>&1 || true)
	assert_contains "$out" "Read-only file system"
	if [ -e /proc/sysrq-trigger ]; then
		out=$(run_bb --user 0 -- sh -c 'echo h >/proc/sysrq-trigger' 2>&1 || true)
		assert_contains "$out" "Read-only file system"
	fi
}

test_sys_is_read_only_with_firmware_masked() {
	local out
	assert_contains ",$(mount_opts_inside /sys)," ",ro," "mount options of /sys"
	assert_contains ",$(mount_opts_inside /sys/fs/cgroup)," ",ro," "mount options of /sys/fs/cgroup"
	out=$(run_bb --user 0 -- sh -c 'touch /sys/x 2>&1; echo 1 >/sys/kernel/profiling 2>&1; ls -A /sys/firmware | wc -l')
	assert_contains "$out" "touch: /sys/x: Read-only file system"
	assert_eq 0 "$(echo "$out" | tail -1)" "entries in /sys/firmware"
}

test_dev_is_minimal() {
	local out
	out=$(run_bb -- sh -c 'ls -A /dev | tr "\n" " "; echo; ls -A /dev/pts | tr "\n" " "')
	assert_eq "$(printf 'fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero \nptmx ')" "$out" "/dev and /dev/pts"
	out=$(run_bb -- sh -c '
		echo discard >/dev/null && echo null-ok
		head -c 4 /dev/zero | od -An -tx1 | tr -d " "
		echo x 2>&1 >/dev/full | grep -c "No space left"
		head -c 16 /dev/urandom | wc -c
		touch /dev/shm/x && echo shm-ok')
	assert_eq "$(printf 'null-ok\n00000000\n1\n16\nshm-ok')" "$out" "device behaviour"
}

test_non_root_user_has_no_capabilities_no_new_privs_and_seccomp() {
	local out
	out=$(run_bb -- grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\t')
	assert_eq "$(printf 'CapInh:0000000000000000\nCapPrm:0000000000000000\nCapEff:0000000000000000\nCapBnd:0000000000000000\nCapAmb:0000000000000000\nNoNewPrivs:1\nSeccomp:2')" "$out"
}

test_container_root_keeps_only_harmless_capabilities() {
	local out eff bnd cap
	out=$(run_bb --user 0 -- grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\t')
	eff=$((16#$(echo "$out" | sed -n 's/^CapEff://p')))
	bnd=$((16#$(echo "$out" | sed -n 's/^CapBnd://p')))
	# NET_ADMIN 12, NET_RAW 13, SYS_MODULE 16, SYS_PTRACE 19, SYS_ADMIN 21, MKNOD 27,
	# SYS_TIME 25, SYSLOG 34, BPF 39, PERFMON 38.
	for cap in 12 13 16 19 21 25 27 34 38 39; do
		[ $(((eff | bnd) >> cap & 1)) = 0 ] || fail "container root holds capability $cap ($out)"
	done
	# CHOWN 0 and NET_BIND_SERVICE 10 stay, as in Docker.
	[ $((eff & 1)) = 1 ] && [ $((eff >> 10 & 1)) = 1 ] || fail "container root lacks CHOWN/NET_BIND_SERVICE: $out"
	assert_contains "$out" "NoNewPrivs:1"
	assert_contains "$out" "Seccomp:2"
	out=$(run_bb --user 0 -- sh -c 'mount -t tmpfs none /mnt 2>&1; mknod /tmp/sda b 8 0 2>&1' || true)
	assert_contains "$out" "mount: permission denied"
	assert_contains "$out" "Operation not permitted"
}

# The probe's arguments make each call fail harmlessly without a filter; on the host
# (no filter) the answer is never EPERM, in the container it must be.
test_seccomp_denies_escape_and_kernel_attack_syscalls() {
	local host inside name want got
	host=$("$(helper_bin syscall-probe)")
	inside=$(berth runtime:run --user 0 --layer "$(busybox_rootfs)" --layer "$(probe_layer)" -- syscall-probe)
	for name in mount umount2 pivot_root chroot fsopen open_tree move_mount unshare setns \
		keyctl add_key request_key bpf perf_event_open userfaultfd kexec_load init_module \
		finit_module delete_module ptrace clone_newuser clone_newns clone_newpid \
		clone_newnet clone_newuts clone_newipc clone_newcgroup io_uring_setup \
		ioctl_tiocsti ioctl_tiocsti_high clone3; do
		want=EPERM
		[ "$name" = clone3 ] && want=ENOSYS  # so that libc falls back to clone
		got=$(echo "$inside" | awk -v n="$name" '$1 == n {print $2}')
		assert_eq "$want" "$got" "$name in the container"
		got=$(echo "$host" | awk -v n="$name" '$1 == n {print $2}')
		[ -n "$got" ] && [ "$got" != EPERM ] && [ "$got" != ok ] ||
			fail "control: $name on the host gave '$got'; the probe cannot tell seccomp from a permission check"
	done
	# vsock sockets reach the hypervisor; there is no harmless call to compare with.
	assert_contains "$inside" "socket_vsock EPERM"
	assert_contains "$inside" "socket_vsock_high EPERM"
	# What ordinary programs do still works under the filter.
	assert_contains "$inside" "getpid ok"
	assert_contains "$inside" "fork ok"
	assert_contains "$inside" "socket_inet ok"
	assert_contains "$inside" "ioctl_tcgets EBADF"
}

test_ordinary_programs_run_under_the_filter() {
	local out
	out=$(run_bb -- sh -e -c '
		mkdir -p /tmp/site /tmp/t && echo served >/tmp/site/index.html
		httpd -p 127.0.0.1:8080 -h /tmp/site
		i=0; until wget -q -O - http://127.0.0.1:8080/ 2>/dev/null; do
			i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1
		done
		tar -C /etc -cf /tmp/t/etc.tar passwd group && tar -tf /tmp/t/etc.tar | sort | tr "\n" " "
		echo; echo abc | sha256sum | cut -c1-8
		seq 1 1000 | sort -rn | head -1
		date +%Y >/dev/null && echo date-ok
		ps -o pid,comm >/dev/null && echo ps-ok')
	assert_eq "$(printf 'served\ngroup passwd \nedeaaff3\n1000\ndate-ok\nps-ok')" "$out"
}

test_network_namespace_has_only_loopback_up() {
	local out
	out=$(run_bb -- sh -c 'ls /sys/class/net | tr "\n" " "; echo; ip -o link show lo | grep -c "UP"')
	assert_eq "$(printf 'lo \n1')" "$out"
}

test_container_sees_only_its_own_processes() {
	local out
	out=$(run_bb -- sh -c 'echo /proc/[0-9]*; cat /proc/1/comm /proc/1/cmdline | tr "\0" " "')
	# pid 1 (berth's init, named so without the host's command line) and sh (pid 2).
	assert_eq "$(printf '/proc/1 /proc/2\nberth-init\nberth-init ')" "$out"
}

test_cgroup_namespace_roots_the_container_in_its_own_group() {
	local out
	# Counted with builtins only: pid 1 and sh are the group's members.
	out=$(run_bb -- sh -c 'grep "^0::" /proc/self/cgroup; n=0
		while read -r p; do n=$((n + 1)); done </sys/fs/cgroup/cgroup.procs; echo $n')
	assert_eq "$(printf '0::/\n2')" "$out"
}
