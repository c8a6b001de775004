#!/bin/sh
# guest-init.sh - /init of the cgroup v2 test VM (see cgroup2-vm.sh). Mounts a pure
# cgroup v2 hierarchy with memory, pids and cpu enabled at its root, runs berth's
# limit checks, prints each result as "VMTEST <name> <value...>", powers off.
export PATH=/bin
# pivot_root cannot move away from the initramfs's rootfs (it has no parent
# mount), so first move onto a tmpfs, as a real system's initramfs would.
if [ "$1" != on-tmpfs ]; then
	mkdir /newroot
	mount -t tmpfs -o mode=0755 root /newroot
	for f in /*; do
		[ "$f" = /newroot ] || cp -a "$f" /newroot/
	done
	exec switch_root /newroot /init on-tmpfs
fi
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o mode=0755 run /tmp
while read -r m; do insmod "/modules/$m"; done </modules/order
mount -o loop /data.img /data
mount -t cgroup2 none /sys/fs/cgroup
echo "+memory +pids +cpu" >/sys/fs/cgroup/cgroup.subtree_control
export BERTH_ROOT=/data/root BERTH_RUN=/tmp/berth BERTH_CGROUP=berth HOME=/
result() { echo "VMTEST $*"; }
run() { berth runtime:run --layer /data/busybox "$@"; }

echo
result kernel "$(uname -r)"
result root_controllers "$(cat /sys/fs/cgroup/cgroup.subtree_control)"

berth doctor >/tmp/doctor 2>&1
result doctor_status $?
for c in memory pids cpu; do
	result "doctor_$c" "$(grep "$c controller" /tmp/doctor | awk '{print $3}')"
done

# The three limits land in the container's own group (its cgroup namespace root).
run --memory 32m --pids 20 --cpus 0.5 -- sh -c \
	'echo $(cat /sys/fs/cgroup/memory.max) $(cat /sys/fs/cgroup/pids.max) $(cat /sys/fs/cgroup/cpu.max)' \
	>/tmp/out 2>/tmp/err.limits
result limits_status $?
result limits "$(cat /tmp/out)"

# A memory hog as the command: the OOM killer ends it, berth exits 128+SIGKILL.
run --memory 32m -- awk 'BEGIN { s = "x"; while (1) s = s s }' >/dev/null 2>/tmp/err.oom
result oom_status $?
# The same hog under a shell that reports the kill and the group's oom_kill count.
run --memory 32m -- sh -c 'awk "BEGIN { s = \"x\"; while (1) s = s s }"; echo awk=$?
	while read -r k v; do [ "$k" = oom_kill ] && echo oom_kill=$v; done </sys/fs/cgroup/memory.events' \
	>/tmp/out 2>>/tmp/err.oom
result oom_report $(cat /tmp/out)

# A fork bomb against --pids 20: every shell forks two more and sleeps; the main
# shell waits with builtins only, then counts the group's processes and events.
run --pids 20 -- sh -c 'mkfifo /tmp/f && exec 3<>/tmp/f
	bomb() { bomb & bomb & sleep 30; }
	bomb 2>/dev/null &
	read -t 3 x <&3
	n=0; while read -r p; do n=$((n + 1)); done </sys/fs/cgroup/cgroup.procs
	read -r cur </sys/fs/cgroup/pids.current
	while read -r k v; do [ "$k" = max ] && ev=$v; done </sys/fs/cgroup/pids.events
	echo procs=$n current=$cur max_events=$ev' >/tmp/out 2>/tmp/err.pids
result pids_status $?
result pids $(cat /tmp/out)

# --cpus 0.5: two seconds of busy loop get throttled.
run --cpus 0.5 -- sh -c 'read -r s _ </proc/uptime; s=${s%.*}
	while :; do read -r n _ </proc/uptime; [ "${n%.*}" -ge $((s + 2)) ] && break; done
	while read -r k v; do [ "$k" = nr_throttled ] && echo nr_throttled=$v; done </sys/fs/cgroup/cpu.stat
	exit 0' \
	>/tmp/out 2>/tmp/err.cpu
result cpu_status $?
result cpu $(cat /tmp/out)

# Replacing a lower directory needs an opaque directory in the upper layer.
run --user 0 -- sh -c 'rm -rf /home && mkdir /home && ls -A /home | wc -l' >/tmp/out 2>/tmp/err.opaque
result opaque_status $? $(cat /tmp/out)
result opaque_stderr "$(cat /tmp/err.opaque)"

result not_enforced_warnings "$(cat /tmp/err.* | grep -c 'not enforced')"
result stderr "$(cat /tmp/err.limits /tmp/err.pids /tmp/err.cpu | tr '\n' '|')"
result cgroups_left "$(find /sys/fs/cgroup/berth -mindepth 1 -type d | wc -l)"
result scratch_left "$(ls -A /data/root/runtime 2>/dev/null | wc -l)"
# The chain: the app deployed on the build side (BERTH_ROOT on /data) is started by
# the daemon on the guest's bridge with its resource limits, and answers through
# the router from the guest's own side (its loopback, the "host" here).
if [ -x /bin/berth-daemon ]; then
	ip link set lo up
	export BERTH_HTTP_ADDR=127.0.0.1:8080 BERTH_BRIDGE=berthvm0 BERTH_ROUTER=on
	berth daemon --background >/tmp/daemon.out 2>&1
	result chain_daemon_status $?
	out= i=0
	while [ $i -lt 120 ]; do
		# (busybox's wget crashes in this static build: nc and a request by hand)
		resp=$(printf 'GET /cgi-bin/limits HTTP/1.0\r\nHost: chain.vm.test\r\n\r\n' |
			nc -w 5 127.0.0.1 8080 2>/dev/null | tr -d '\r')
		case $resp in
		"HTTP/1."?" 200 "*) out=$(echo "$resp" | sed '1,/^$/d'); break ;;
		esac
		sleep 0.5
		i=$((i + 1))
	done
	result chain_http "$out"
	result chain_ps "$(berth ps:report chain --status-web-1 2>&1 | cut -d" " -f1)"
	result chain_not_enforced "$(berth resource:report chain 2>&1 | grep -c 'not enforced')"
	[ -n "$out" ] || { echo "last answer: $resp"; cat /tmp/daemon.out; cat /data/root/logs/router.log /data/root/logs/chain/* 2>/dev/null; }
fi

result done
poweroff -f
