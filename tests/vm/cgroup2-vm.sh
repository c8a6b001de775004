#!/usr/bin/env bash
# cgroup2-vm.sh BERTH_BIN WORKDIR - boot Debian's cloud kernel under qemu (TCG, no
# KVM) with a pure cgroup v2 hierarchy, run berth's limit checks in it, and print
# the serial console. Lines "VMTEST <name> <value...>" carry the results.
#
# The guest is a busybox initramfs holding BERTH_BIN and the shared libraries it
# needs. The layer and BERTH_ROOT sit on an ext4 image on a loop device: Linux 6.1
# cannot idmap tmpfs. Exit status: 0 when the guest ran to the end, 77 when qemu or the
# kernel is not installed (the reason on stderr), 1 otherwise.
set -euo pipefail
berth=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)

qemu=$(command -v qemu-system-x86_64 || true)
kernel=$(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$qemu" ] || [ -z "$kernel" ]; then
	echo "needs qemu-system-x86 and linux-image-cloud-amd64 (scripts/install-deps)" >&2
	exit 77
fi
kver=${kernel#/boot/vmlinuz-}
mods=/lib/modules/$kver/kernel
for m in fs/overlayfs/overlay drivers/block/loop; do
	if [ ! -e "$mods/$m.ko" ] && [ ! -e "$mods/$m.ko.xz" ]; then
		echo "kernel $kver has no module $m (and needs it)" >&2
		exit 77
	fi
done
command -v mkfs.ext4 >/dev/null || { echo "needs mkfs.ext4 (e2fsprogs)" >&2; exit 77; }

rm -rf "$work"
mkdir -p "$work/initrd"/{bin,dev,proc,sys,tmp,data,modules,etc}
root=$work/initrd

# busybox, berth (with berth-full and berth-daemon beside it, which the chain
# test needs) and what they link against, at the paths ldd names.
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in $(busybox --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
cp "$berth" "$root/bin/berth"
bins=$berth
for extra in full daemon; do
	if [ -x "$berth-$extra" ]; then
		cp "$berth-$extra" "$root/bin/berth-$extra"
		bins="$bins $berth-$extra"
	fi
done
for lib in $(ldd $bins | grep -v ':$' | grep -o '/[^ ]*' | sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# The modules the guest loads, in dependency order (modprobe -S resolves them for
# the guest's kernel): overlay and loop for the layers, then the bridge, veth and
# the nftables parts berth's table uses.
: >"$root/modules/order"
for m in overlay loop veth bridge nf_tables nft_chain_nat nft_masq nft_nat nft_ct nft_fib_inet; do
	modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	name=$(basename "${ko%.xz}")
	case $ko in
	*.xz) xz -dc "$ko" >"$root/modules/$name" ;;
	*) cp "$ko" "$root/modules/$name" ;;
	esac
	echo "$name" >>"$root/modules/order"
done

# The layer: the busybox rootfs the integration tests use, on ext4.
# shellcheck source=tests/lib/lib.sh
. "$here/../lib/lib.sh"
# BERTH_ROOT lives there too: where berth keeps a writable layer when tmpfs cannot.
make_busybox_rootfs "$work/fs/busybox"
mkdir -p "$work/fs/root"

# The chain (issue 9): an app deployed here, with its limits, that the guest's daemon
# starts on the guest's bridge and its router serves. Built on this side into the
# guest's BERTH_ROOT (the guest has no build tools); nothing here runs it.
if [ -x "$berth-full" ] && [ -x "$berth-daemon" ]; then
	prep_cgroup=${BERTH_CGROUP:-berth-vm-$$}/vmprep
	(
		export BERTH_ROOT=$work/fs/root BERTH_RUN=$work/prep-run BERTH_CGROUP=$prep_cgroup
		mkdir -p "$work/chain-src"
		printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\necho "chain $DYNO memory=$(cat /sys/fs/cgroup/memory.max) pids=$(cat /sys/fs/cgroup/pids.max) cpu=$(cat /sys/fs/cgroup/cpu.max | tr " " /)"\n' \
			>"$work/chain-src/limits.cgi"
		printf '%s\n' 'web: mkdir -p /tmp/www/cgi-bin && cp /app/limits.cgi /tmp/www/cgi-bin/limits && chmod +x /tmp/www/cgi-bin/limits && exec httpd -f -p $PORT -h /tmp/www' \
			>"$work/chain-src/Procfile"
		tar -C "$work/chain-src" -cf "$work/chain.tar" .
		"$berth" stacks:create busybox >/dev/null
		"$berth" apps:create chain >/dev/null
		"$berth" resource:limit chain --memory 48m --pids 30 --cpu 0.5 >/dev/null
		"$berth" domains:set-global vm.test >/dev/null
		"$berth" git:from-archive chain - <"$work/chain.tar" >"$work/chain-deploy.log" 2>&1
	) || { echo "deploying the chain app for the guest failed: $(tail -n 5 "$work/chain-deploy.log" 2>/dev/null)" >&2; exit 1; }
	rmdir "/sys/fs/cgroup/unified/$prep_cgroup" 2>/dev/null || true
	[ -n "${BERTH_CGROUP:-}" ] || rmdir "/sys/fs/cgroup/unified/${prep_cgroup%/vmprep}" 2>/dev/null || true
	rm -rf "$work/prep-run"
fi
mkfs.ext4 -q -F -O ^has_journal -d "$work/fs" "$root/data.img" 96M

cp "$here/guest-init.sh" "$root/init"
chmod 0755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initrd.cpio"

# -no-reboot with panic=-1: a guest that dies ends qemu instead of looping.
timeout -k 5 "${VM_TIMEOUT:-240}" "$qemu" -accel tcg -machine pc -cpu max -smp 2 -m 768 \
	-nographic -no-reboot -monitor none -serial stdio -nic none \
	-kernel "$kernel" -initrd "$work/initrd.cpio" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" </dev/null |
	tr -d '\r' | tee "$work/console.log"
grep -q '^VMTEST done' "$work/console.log"
