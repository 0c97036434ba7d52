#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages the Xen lab needs and build its cache:
#   $LAB_CACHE/debs/                    downloaded kernel/source .debs
#   $LAB_CACHE/kernel-<abi>_<ver>[...]/ dpkg -x of image + headers + kbuild
#   $LAB_CACHE/ksft-<ver>/              kselftest_harness.h, kselftest.h
#   $LAB_CACHE/rootfs-xen-<ver>/        trixie dom0 root (9p-shared read-only)
#   $LAB_CACHE/xen-<ver>                uncompressed hypervisor for -kernel
#   $LAB_CACHE/series-<series>.env      the kernel build chosen for a series
#   $LAB_CACHE/versions.env             everything the lab runs on
#
#   setup.sh [--series 6.12[,6.1]] [--no-ksft]
#
# --series: the kernel series to set up (default: every series of lab.conf);
# --no-ksft: skip the kselftest headers (make demo runs no kselftest).
#
# Versions are resolved against the mirror as it is now (scripts/resolve.sh;
# lab.conf's pins are preferences). Every directory name carries the version
# it was made from and a .done stamp: a second run downloads nothing that is
# already there. The 6.12 build is always set up: it is the guests' kernel.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../../.." && pwd)
# shellcheck source=lab.conf
. "$LAB_DIR/lab.conf"
# shellcheck source=../../../scripts/resolve.sh
. "$REPO/scripts/resolve.sh"

[ "$(id -u)" = 0 ] || { echo "setup: must run as root" >&2; exit 1; }
# One set-up at a time (a lab run may go on meanwhile).
[ -n "${XENLAB_SETUP_LOCK_HELD:-}" ] ||
	exec env XENLAB_SETUP_LOCK_HELD=1 flock /run/lock/xen-privcmd-eventfd-setup.lock "$0" "$@"

series_all="$K612_SERIES $K61_SERIES"
series=$series_all
ksft=1
while [ $# -gt 0 ]; do
	case $1 in
	--series) series=${2//,/ }; shift 2;;
	--no-ksft) ksft=0; shift;;
	*) echo "setup: unknown argument $1" >&2; exit 2;;
	esac
done
case " $series " in *" $K612_SERIES "*) ;; *) series="$K612_SERIES $series";; esac

T0=$SECONDS
step_t=$SECONDS
step() { echo "setup: $* ..."; step_t=$SECONDS; }
done_step() { echo "setup:   done in $((SECONDS - step_t)) s"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

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
# apt-setup.sh also refreshes apt's lists (at most every 12 h), which the
# resolution below reads.
"$REPO/scripts/apt-setup.sh" install busybox-static mmdebstrap cpio zstd \
	xz-utils kmod libxen-dev gcc make libc6-dev dwarves gcc-12-multilib
[ "$(qemu_major)" -ge 10 ] || die "need qemu >= 10"
QEMU_VER=$(qemu-system-x86_64 --version | head -1 | awk '{print $4}')
echo "setup:   qemu $QEMU_VER"
done_step

# fetch_deb PKG VER: path of the .deb, downloaded once
fetch_deb() {
	local pkg=$1 ver=$2 f
	f=$(find "$LAB_CACHE/debs" -name "${pkg}_${ver//:/%3a}_*.deb" | head -1)
	if [ -z "$f" ]; then
		(cd "$LAB_CACHE/debs" &&
		 apt-get -q -o APT::Sandbox::User=root download "$pkg=$ver" >&2) ||
			die "cannot download $pkg=$ver"
		f=$(find "$LAB_CACHE/debs" -name "${pkg}_${ver//:/%3a}_*.deb" | head -1)
	fi
	echo "$f"
}

# newest_or_pref PKG PREF SUITE_RE: PREF if the mirror has it, else the
# newest version of PKG in a suite matching SUITE_RE (say why on stderr)
newest_or_pref() {
	local pkg=$1 pref=$2 suite_re=$3 list v
	list=$(apt-cache madison "$pkg" 2>/dev/null |
		awk -F'|' -v s="$suite_re" '$3 ~ / Packages *$/ && $3 ~ s { gsub(/ /, "", $2); print $2 }' |
		sort -u)
	if grep -qxF "$pref" <<<"$list"; then
		echo "$pref"
		return 0
	fi
	v=
	while read -r w; do
		[ -n "$w" ] || continue
		if [ -z "$v" ] || rs_newer "$w" "$v"; then v=$w; fi
	done <<<"$list"
	[ -n "$v" ] || die "no $pkg on the mirror (suites matching '$suite_re')"
	echo "setup:   $pkg $pref is gone from the mirror: using the newest, $v" >&2
	echo "$v"
}

# 2. Dom0 (and guest) kernels, resolved, extracted, not installed ------------
# series_conf SERIES: "PREFIX ABI_RE PREF_ABI PREF_VER" from lab.conf
series_conf() {
	case $1 in
	"$K612_SERIES") echo "K612 $K612_ABI_RE $K612_ABI $K612_VER";;
	"$K61_SERIES") echo "K61 $K61_ABI_RE $K61_ABI $K61_VER";;
	*) die "unknown kernel series $1 (lab.conf has $series_all)";;
	esac
}

# resolve_series SERIES: choose the build from $LISTING (scripts/resolve.sh),
# fetch and extract it, and write $LAB_CACHE/series-SERIES.env.
resolve_series() {
	local s=$1 p abi_re pref_abi pref_ver out dir link tgt
	read -r p abi_re pref_abi pref_ver <<<"$(series_conf "$s")"
	out=$(resolve_kernel "$s" "$abi_re" amd64 1 "$pref_abi" "$pref_ver" <<<"$LISTING") ||
		die "kernel $s: nothing to boot (see the resolve: line above)"
	eval "$out"
	echo "setup:   kernel $s: $R_ABI $R_HEADERS_VER: $R_WHY"

	dir=$LAB_CACHE/kernel-${R_ABI}_$R_HEADERS_VER
	[ "$R_KBUILD_VER" = "$R_HEADERS_VER" ] || dir+=_kbuild-$R_KBUILD_VER
	[ "$R_COMMON_VER" = "$R_HEADERS_VER" ] || dir+=_common-$R_COMMON_VER
	if [ ! -e "$dir/.done" ]; then
		step "kernel $R_ABI"
		rm -rf "$dir"; mkdir -p "$dir"
		dpkg -x "$(fetch_deb "linux-image-$R_ABI-amd64" "$R_IMAGE_VER")" "$dir"
		dpkg -x "$(fetch_deb "linux-headers-$R_ABI-amd64" "$R_HEADERS_VER")" "$dir"
		dpkg -x "$(fetch_deb "linux-headers-$R_ABI-common" "$R_COMMON_VER")" "$dir"
		dpkg -x "$(fetch_deb "$R_KBUILD_PKG" "$R_KBUILD_VER")" "$dir"
		# The headers tree points at -common and kbuild through
		# symlinks; turn any absolute one into a path inside the tree.
		find "$dir/usr/src" "$dir/usr/lib/linux-kbuild-"* -type l 2>/dev/null |
		while read -r link; do
			tgt=$(readlink "$link")
			case $tgt in /*) ln -sfn "$dir$tgt" "$link";; esac
		done
		# The arch headers Makefile includes the -common one by
		# absolute path.
		sed -i "s|^include /usr/src/|include $dir/usr/src/|" \
			"$dir/usr/src/linux-headers-$R_ABI-amd64/Makefile"
		[ -e "$dir/usr/src/linux-headers-$R_ABI-amd64/scripts/basic/fixdep" ] ||
			die "broken headers tree in $dir"
		touch "$dir/.done"
		done_step
	fi
	cat >"$LAB_CACHE/series-$s.env" <<-ENV
	${p}_ABI=$R_ABI
	${p}_VER=$R_HEADERS_VER
	${p}_PKGS="linux-image-$R_ABI-amd64=$R_IMAGE_VER linux-headers-$R_ABI-amd64=$R_HEADERS_VER linux-headers-$R_ABI-common=$R_COMMON_VER $R_KBUILD_PKG=$R_KBUILD_VER"
	${p}_DIR=$dir
	${p}_WHY="$R_WHY"
	ENV
}
step "resolve kernels $series"
specs=()
for s in $series; do
	read -r p abi_re pref_abi _ <<<"$(series_conf "$s")"
	specs+=("$s:$abi_re:$pref_abi")
done
LISTING=$(rs_live_listing amd64 "${specs[@]}")
done_step
for s in $series; do
	resolve_series "$s"
done

# 3. kselftest harness headers from the linux-source package -------------
set_up_ksft() {
step "resolve $KSFT_SRC_PKG"
KSFT_SRC_VER=$(newest_or_pref "$KSFT_SRC_PKG" "$KSFT_SRC_VER" 'bookworm')
echo "setup:   $KSFT_SRC_PKG $KSFT_SRC_VER"
KSFT=$LAB_CACHE/ksft-$KSFT_SRC_VER
if [ ! -e "$KSFT/.done" ]; then
	step "kselftest headers ($KSFT_SRC_PKG $KSFT_SRC_VER)"
	rm -rf "$KSFT" "$KSFT.tmp"; mkdir -p "$KSFT.tmp"
	deb=$(fetch_deb "$KSFT_SRC_PKG" "$KSFT_SRC_VER")
	tarball=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | grep -m1 '/linux-source-.*\.tar\.xz$')
	top=$(basename "$tarball" .tar.xz)
	mkdir -p "$KSFT/selftests"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" |
		tar -xJ -C "$KSFT.tmp" "$top/tools/testing/selftests/kselftest_harness.h" \
			"$top/tools/testing/selftests/kselftest.h"
	cp "$KSFT.tmp/$top/tools/testing/selftests/"kselftest*.h "$KSFT/selftests/"
	rm -rf "$KSFT.tmp"
	# The source .deb is 150 MB and no longer needed.
	rm -f "$deb"
	touch "$KSFT/.done"
	done_step
fi
}
KSFT=
if [ "$ksft" = 1 ]; then
	set_up_ksft
elif [ -e "$LAB_CACHE/versions.env" ]; then
	# keep what an earlier set-up recorded
	KSFT=$(sed -n 's|^KSFT_DIR=\(.*\)/selftests$|\1|p' "$LAB_CACHE/versions.env")
	KSFT_SRC_VER=$(sed -n 's/^KSFT_SRC_VER=//p' "$LAB_CACHE/versions.env")
fi

# 4. Dom0 root filesystem with Xen (trixie) ------------------------------
step "resolve xen $XEN_SERIES"
XEN_VER=$(newest_or_pref "xen-hypervisor-$XEN_SERIES-amd64" "$XEN_VER" " $DOM0_SUITE/")
echo "setup:   xen $XEN_VER"
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

# 5. Kernel modules of every set-up series inside the rootfs ----------------
for f in "$LAB_CACHE"/series-*.env; do
	# shellcheck disable=SC1090
	. "$f"
done
for p in K612 K61; do
	abi_var=${p}_ABI dir_var=${p}_DIR
	[ -n "${!dir_var:-}" ] || continue	# series not set up
	kv=${!abi_var}-amd64 kdir=${!dir_var} m=$ROOTFS/usr/lib/modules/${!abi_var}-amd64
	[ "$(cat "$m/.done" 2>/dev/null)" = "$kdir" ] && continue
	step "modules $kv into rootfs"
	rm -rf "$m"
	mkdir -p "$ROOTFS/usr/lib/modules"
	cp -a "$kdir/lib/modules/$kv" "$ROOTFS/usr/lib/modules/" 2>/dev/null ||
		cp -a "$kdir/usr/lib/modules/$kv" "$ROOTFS/usr/lib/modules/"
	rm -f "$m/build" "$m/source"
	depmod -b "$ROOTFS/usr" "$kv" 2>/dev/null || depmod -b "$ROOTFS" "$kv"
	echo "$kdir" >"$m/.done"
	done_step
done

{
	echo "# written by tools/testing/xen-lab/setup.sh on $(date -u +%F)"
	cat "$LAB_CACHE"/series-*.env
	cat <<-EOF
	XEN_VER=$XEN_VER
	ROOTFS=$ROOTFS
	XEN_BIN=$XEN_BIN
	KSFT_SRC_VER=${KSFT_SRC_VER:-}
	KSFT_DIR=${KSFT:+$KSFT/selftests}
	QEMU_VER=$QEMU_VER
	EOF
} >"$LAB_CACHE/versions.env.tmp"
mv "$LAB_CACHE/versions.env.tmp" "$LAB_CACHE/versions.env"
echo "setup: cache $LAB_CACHE ($(du -sh "$LAB_CACHE" 2>/dev/null | cut -f1))"
echo "setup: all done in $((SECONDS - T0)) s"
