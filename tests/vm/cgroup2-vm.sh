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

# busybox, berth and what berth links against, at the paths ldd names.
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in $(busybox --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
cp "$berth" "$root/bin/berth"
for lib in $(ldd "$berth" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
for m in fs/overlayfs/overlay drivers/block/loop; do
	if [ -e "$mods/$m.ko" ]; then
		cp "$mods/$m.ko" "$root/modules/"
	else
		xz -dc "$mods/$m.ko.xz" >"$root/modules/$(basename "$m").ko"
	fi
done

# The layer: the busybox rootfs the integration tests use, on ext4.
# shellcheck source=tests/lib/lib.sh
. "$here/../lib/lib.sh"
# BERTH_ROOT lives there too: where berth keeps a writable layer when tmpfs cannot.
make_busybox_rootfs "$work/fs/busybox"
mkdir -p "$work/fs/root"
mkfs.ext4 -q -F -O ^has_journal -d "$work/fs" "$root/data.img" 24M

cp "$here/guest-init.sh" "$root/init"
chmod 0755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initrd.cpio"

# -no-reboot with panic=-1: a guest that dies ends qemu instead of looping.
timeout -k 5 "${VM_TIMEOUT:-150}" "$qemu" -accel tcg -machine pc -cpu max -smp 2 -m 768 \
	-nographic -no-reboot -monitor none -serial stdio -nic none \
	-kernel "$kernel" -initrd "$work/initrd.cpio" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" </dev/null |
	tr -d '\r' | tee "$work/console.log"
grep -q '^VMTEST done' "$work/console.log"
