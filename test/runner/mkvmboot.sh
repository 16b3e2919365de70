#!/bin/sh
# mkvmboot.sh OUTDIR INIT KERNEL_DIR KERNEL_VERSION
#
# Build the PKU test VM's boot files in OUTDIR:
#   kernel             the kernel, decompressed when possible (see below)
#   initramfs.cpio.gz  INIT as /init, plus the modules that reach the host's
#                      files over virtio-9p, decompressed
# KERNEL_DIR is an unpacked Debian linux-image package (scripts/setup-deps.sh).
set -eu
PATH=$PATH:/usr/sbin:/sbin # depmod, modprobe

out=$1 init=$2 kdir=$3 kver=$4
bzimage=$kdir/boot/vmlinuz-$kver
moddir=$kdir/lib/modules/$kver
stage=$out/stage
depmod_root=$out/depmod

die() {
	echo "mkvmboot: $*" >&2
	exit 1
}

# Under TCG the bzImage's boot stub spends about 3 s decompressing the
# kernel, more than the rest of the boot. QEMU boots an uncompressed ELF
# vmlinux directly through its PVH entry point (the XEN_ELFNOTE_PHYS32_ENTRY
# note, CONFIG_PVH=y), so decompress it once here. The compressed payload
# sits payload_offset (at 0x248) bytes into the protected-mode code, which
# starts after (setup_sects (at 0x1f1) + 1) 512-byte sectors; boot protocol
# 2.08+, Documentation/x86/boot.rst. Debian compresses it with xz, with the
# uncompressed size appended, which --single-stream ignores. Any other
# kernel is booted as it is.
make_kernel() {
	rm -f "$out/kernel" "$out/kernel.tmp"
	if grep -qx CONFIG_PVH=y "$kdir/boot/config-$kver" 2>/dev/null; then
		setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$bzimage")
		payload=$(od -An -tu4 -j $((0x248)) -N4 "$bzimage")
		offset=$(((setup_sects + 1) * 512 + payload))
		magic=$(od -An -tx1 -j "$offset" -N6 "$bzimage" | tr -d ' ')
		if [ "$magic" = fd377a585a00 ] &&
			tail -c +$((offset + 1)) "$bzimage" | xz -dc --single-stream >"$out/kernel.tmp"; then
			mv "$out/kernel.tmp" "$out/kernel"
			return
		fi
		rm -f "$out/kernel.tmp"
	fi
	echo "mkvmboot: cannot decompress $bzimage; booting it as it is (slower)" >&2
	ln -s "$bzimage" "$out/kernel"
}

# An unpacked package has no modules.dep (the package's postinst runs
# depmod). Run depmod on a tree of our own that links to the modules, so the
# kernel directory stays read-only. Dependencies come first in
# --show-depends; a module that two of ours need is listed twice, and the
# first one counts. vminit loads the modules in the order of their NN-.
stage_modules() {
	mkdir -p "$stage/modules" "$depmod_root/lib/modules/$kver"
	ln -s "$moddir/kernel" "$depmod_root/lib/modules/$kver/kernel"
	cp "$moddir"/modules.order "$moddir"/modules.builtin* "$depmod_root/lib/modules/$kver/"
	depmod -b "$depmod_root" "$kver"

	n=10
	modprobe -d "$depmod_root" -S "$kver" -a --show-depends virtio_pci 9pnet_virtio 9p |
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue # "builtin NAME": nothing to load
		name=$(basename "$path")
		name=${name%%.ko*}
		ls "$stage/modules"/*-"$name.ko" >/dev/null 2>&1 && continue
		dest=$stage/modules/$n-$name.ko
		case $path in
		*.ko) cp "$path" "$dest" ;;
		*.ko.xz) xz -dc "$path" >"$dest" ;;
		*.ko.zst) zstd -qdc "$path" >"$dest" ;;
		*.ko.gz) gzip -dc "$path" >"$dest" ;;
		*) die "unknown module format: $path" ;;
		esac
		n=$((n + 1))
	done
	for m in virtio_pci 9pnet_virtio 9p; do
		ls "$stage/modules"/*-"$m.ko" >/dev/null 2>&1 || die "no module $m for $kver in $moddir"
	done
}

make_initramfs() {
	cp "$init" "$stage/init"
	(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
		gzip -n >"$out/initramfs.cpio.gz.tmp"
	mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
}

[ -f "$bzimage" ] || die "no kernel $bzimage"
[ -d "$moddir/kernel" ] || die "no modules in $moddir"
rm -rf "$stage" "$depmod_root"
mkdir -p "$out"
make_kernel
stage_modules
make_initramfs
rm -rf "$stage" "$depmod_root"
