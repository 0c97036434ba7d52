#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages the Xen lab needs and build its cache:
#   $LAB_CACHE/debs/                 downloaded kernel/source .debs
#   $LAB_CACHE/kernel-<abi>/         dpkg -x of image + headers + kbuild
#   $LAB_CACHE/ksft-<ver>/           kselftest_harness.h, kselftest.h
#   $LAB_CACHE/rootfs-xen-<ver>/     trixie dom0 root (9p-shared read-only)
#   $LAB_CACHE/xen-<ver>             uncompressed hypervisor for -kernel
#   $LAB_CACHE/versions.env          what was actually used
# Idempotent: each step has a stamp file; a second run downloads nothing.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../../.." && pwd)
# shellcheck source=lab.conf
. "$LAB_DIR/lab.conf"

[ "$(id -u)" = 0 ] || { echo "setup: must run as root" >&2; exit 1; }

T0=$SECONDS
step_t=$SECONDS
step() { echo "setup: $* ..."; step_t=$SECONDS; }
done_step() { echo "setup:   done in $((SECONDS - step_t)) s"; }

mkdir -p "$LAB_CACHE/debs"

# 1. Host packages -------------------------------------------------------
step "host packages"
qemu_major() {
	qemu-system-x86_64 --version 2>/dev/null |
		sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p'
}
if [ "$(qemu_major)" = "" ] || [ "$(qemu_major)" -lt 10 ]; then
	# Bookworm's 7.2 crashes a PV dom0 under TCG; the backports build works.
	"$REPO/scripts/apt-setup.sh" install -t bookworm-backports qemu-system-x86
	if [ "$(qemu_major)" -lt 10 ] 2>/dev/null; then
		# An old 7.2 was installed: apt_install skips installed packages.
		DEBIAN_FRONTEND=noninteractive apt-get -y -q \
			-o DPkg::Lock::Timeout=1200 --no-install-recommends \
			-t bookworm-backports install qemu-system-x86
	fi
fi
"$REPO/scripts/apt-setup.sh" install busybox-static mmdebstrap cpio zstd \
	xz-utils kmod libxen-dev gcc make libc6-dev dwarves gcc-12-multilib
[ "$(qemu_major)" -ge 10 ] || { echo "setup: need qemu >= 10" >&2; exit 1; }
echo "setup:   qemu $(qemu-system-x86_64 --version | head -1 | awk '{print $4}')"
done_step

# 2. Dom0 (and guest) kernels + headers, extracted, not installed ------------
fetch_deb() {	# fetch_deb PKG VER -> prints path of the .deb
	local pkg=$1 ver=$2 f
	f=$(ls "$LAB_CACHE/debs/${pkg}_"*.deb 2>/dev/null |
		grep -F "_${ver//:/%3a}_" | head -1 || true)
	if [ -z "$f" ]; then
		(cd "$LAB_CACHE/debs" &&
		 apt-get -q -o APT::Sandbox::User=root download "$pkg=$ver" >&2)
		f=$(ls "$LAB_CACHE/debs/${pkg}_"*.deb | grep -F "_${ver//:/%3a}_" | head -1)
	fi
	echo "$f"
}

extract_kernel() {	# extract_kernel ABI VER KBUILD
	local abi=$1 ver=$2 kbuild=$3 dir=$LAB_CACHE/kernel-$1 p link tgt
	[ -e "$dir/.done" ] && return 0
	step "kernel $abi ($ver)"
	rm -rf "$dir"; mkdir -p "$dir"
	for p in "linux-image-$abi-amd64" "linux-headers-$abi-amd64" \
		 "linux-headers-$abi-common" "$kbuild"; do
		dpkg -x "$(fetch_deb "$p" "$ver")" "$dir"
	done
	# The headers tree points at -common and kbuild through symlinks; turn
	# any absolute one into a path inside the extracted tree.
	find "$dir/usr/src" "$dir/usr/lib/linux-kbuild-"* -type l 2>/dev/null |
	while read -r link; do
		tgt=$(readlink "$link")
		case $tgt in /*) ln -sfn "$dir$tgt" "$link";; esac
	done
	# The arch headers Makefile includes the -common one by absolute path.
	sed -i "s|^include /usr/src/|include $dir/usr/src/|" \
		"$dir/usr/src/linux-headers-$abi-amd64/Makefile"
	[ -e "$dir/usr/src/linux-headers-$abi-amd64/scripts/basic/fixdep" ] ||
		{ echo "setup: broken headers tree in $dir" >&2; exit 1; }
	touch "$dir/.done"
	done_step
}
extract_kernel "$K612_ABI" "$K612_VER" "$K612_KBUILD"
extract_kernel "$K61_ABI" "$K61_VER" "$K61_KBUILD"

# 3. kselftest harness headers from the linux-source package -------------
KSFT=$LAB_CACHE/ksft-$KSFT_SRC_VER
if [ ! -e "$KSFT/.done" ]; then
	step "kselftest headers ($KSFT_SRC_PKG $KSFT_SRC_VER)"
	rm -rf "$KSFT" "$KSFT.tmp"; mkdir -p "$KSFT.tmp"
	dpkg -x "$(fetch_deb "$KSFT_SRC_PKG" "$KSFT_SRC_VER")" "$KSFT.tmp"
	tarball=$(ls "$KSFT.tmp"/usr/src/linux-source-*.tar.xz)
	top=$(basename "$tarball" .tar.xz)
	mkdir -p "$KSFT/selftests"
	tar -xJf "$tarball" -C "$KSFT.tmp" \
		"$top/tools/testing/selftests/kselftest_harness.h" \
		"$top/tools/testing/selftests/kselftest.h"
	cp "$KSFT.tmp/$top/tools/testing/selftests/"kselftest*.h "$KSFT/selftests/"
	rm -rf "$KSFT.tmp"
	# The source .deb is 150 MB and no longer needed.
	rm -f "$LAB_CACHE/debs/${KSFT_SRC_PKG}_"*.deb
	touch "$KSFT/.done"
	done_step
fi

# 4. Dom0 root filesystem with Xen (trixie) ------------------------------
madison=$(apt-cache madison "xen-hypervisor-$XEN_SERIES-amd64")
if ! grep -qF " $XEN_VER " <<<"$madison"; then
	cand=$(awk '/ trixie\// {print $3; exit}' <<<"$madison")
	echo "setup: WARNING: xen $XEN_VER gone from the mirror, using $cand" >&2
	XEN_VER=$cand
fi
ROOTFS=$LAB_CACHE/rootfs-xen-$XEN_VER
XEN_BIN=$LAB_CACHE/xen-$XEN_VER
if [ ! -e "$ROOTFS/.done" ]; then
	step "dom0 rootfs ($DOM0_SUITE, xen $XEN_VER)"
	rm -rf "$ROOTFS"
	x="=$XEN_VER"
	mmdebstrap --variant=essential --quiet \
		--include="xen-utils-$XEN_SERIES$x,xen-hypervisor-$XEN_SERIES-amd64$x,xenstore-utils$x,libxenstore4$x,libxendevicemodel1$x,libxenforeignmemory1$x,libxenevtchn1$x,libxentoolcore1$x,qemu-system-xen,busybox,kmod,mount,procps" \
		"$DOM0_SUITE" "$ROOTFS" "$DOM0_MIRROR"
	# Mount points the dom0 init uses; the root itself is read-only.
	mkdir -p "$ROOTFS/lab" "$ROOTFS/var/lib/xen" "$ROOTFS/var/lib/xenstored" \
		"$ROOTFS/var/log/xen"
	chroot "$ROOTFS" dpkg-query -W >"$ROOTFS/.packages"
	rm -rf "$ROOTFS/var/cache/apt/archives/"*.deb
	touch "$ROOTFS/.done"
	done_step
fi
if [ ! -e "$XEN_BIN" ]; then
	gunzip -c "$ROOTFS/boot/xen-$XEN_SERIES-amd64.gz" >"$XEN_BIN.tmp" ||
		gunzip -c "$(ls "$ROOTFS"/boot/xen-*.gz | head -1)" >"$XEN_BIN.tmp"
	mv "$XEN_BIN.tmp" "$XEN_BIN"
fi

# 5. Dom0 kernel modules inside the rootfs ---------------------------------
for abi in "$K612_ABI" "$K61_ABI"; do
	kv=$abi-amd64
	[ -e "$ROOTFS/usr/lib/modules/$kv/.done" ] && continue
	step "modules $kv into rootfs"
	rm -rf "$ROOTFS/usr/lib/modules/$kv"
	mkdir -p "$ROOTFS/usr/lib/modules"
	cp -a "$LAB_CACHE/kernel-$abi/lib/modules/$kv" "$ROOTFS/usr/lib/modules/" 2>/dev/null ||
		cp -a "$LAB_CACHE/kernel-$abi/usr/lib/modules/$kv" "$ROOTFS/usr/lib/modules/"
	rm -f "$ROOTFS/usr/lib/modules/$kv/build" "$ROOTFS/usr/lib/modules/$kv/source"
	depmod -b "$ROOTFS/usr" "$kv" 2>/dev/null || depmod -b "$ROOTFS" "$kv"
	touch "$ROOTFS/usr/lib/modules/$kv/.done"
	done_step
done

cat >"$LAB_CACHE/versions.env.tmp" <<EOF
# written by tools/testing/xen-lab/setup.sh
K612_ABI=$K612_ABI
K612_VER=$K612_VER
K61_ABI=$K61_ABI
K61_VER=$K61_VER
XEN_VER=$XEN_VER
ROOTFS=$ROOTFS
XEN_BIN=$XEN_BIN
KSFT_DIR=$KSFT/selftests
QEMU_VER=$(qemu-system-x86_64 --version | head -1 | awk '{print $4}')
EOF
mv "$LAB_CACHE/versions.env.tmp" "$LAB_CACHE/versions.env"
echo "setup: cache $LAB_CACHE ($(du -sh "$LAB_CACHE" 2>/dev/null | cut -f1))"
echo "setup: all done in $((SECONDS - T0)) s"
