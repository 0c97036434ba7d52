#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make matrix: build xen-privcmd-eventfd.ko with W=1 KCFLAGS=-Werror against
# every kernel of the matrix (Documentation/build.md), build the selftests,
# and run DKMS add/build/install against 5.10, 6.1 and 6.12.
# One "ok NAME" / "not ok NAME - reason" line per step, then
# "N passed, N failed" (also written to out/matrix.tally).
#
#   scripts/matrix/matrix.sh [NAME...]    only the builds whose name matches
#
# Environment: SRC=<dir> builds that tree instead of the repository (used to
# prove that a deliberately broken copy turns the matrix red), JOBS (2).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/trees.sh"

ONLY=("$@")

wanted() {
	local p
	[ ${#ONLY[@]} = 0 ] && return 0
	for p in "${ONLY[@]}"; do [[ $1 == *$p* ]] && return 0; done
	return 1
}

# build NAME KO_ARCH VERMAGIC_PREFIX MAKE_ARGS...: one module build
build() {
	local name=$1 karch=$2 vm=$3 log=$LOGDIR/$1.log kdir b ko
	shift 3
	wanted "$name" || return 0
	# tree preparation (download, modules_prepare) logs apart: its
	# warnings are the kernel's, not ours
	if ! kdir=$("tree_${name#build-}" 2>"$LOGDIR/$name.prep.log"); then
		not_ok "$name" "tree preparation failed: $(tail -n1 "$LOGDIR/$name.prep.log")" \
			"$LOGDIR/$name.prep.log"
		return
	fi
	: >"$log"
	b=$LOGDIR/$name
	copy_src "$b"
	if ! make -C "$b" KDIR="$kdir" W=1 KCFLAGS=-Werror -j"$JOBS" "$@" modules \
	     >>"$log" 2>&1; then
		not_ok "$name" "$(step_reason "$log")" "$log"
		return
	fi
	ko=$b/xen-privcmd-eventfd.ko
	if ! log_clean "$log"; then
		not_ok "$name" "$(step_reason "$log")" "$log"
	elif ! file "$ko" | grep -q "$karch"; then
		not_ok "$name" "$ko is not $karch: $(file -b "$ko" | cut -c1-60)"
	elif ! modinfo -F vermagic "$ko" | grep -q "^$vm"; then
		not_ok "$name" "vermagic $(modinfo -F vermagic "$ko") is not $vm"
	else
		ok "$name"
	fi
}

# The selftests (Makefile by the lab): built for the host against the
# kselftest harness of the 7.2 source tree, warnings as errors.
selftests() {
	local name=build-selftests log=$LOGDIR/build-selftests.log d src
	d=$SRC/tools/testing/selftests/xen-privcmd-eventfd
	wanted "$name" || return 0
	if [ ! -e "$d/Makefile" ]; then
		not_ok "$name" "$d/Makefile missing"
		return
	fi
	if ! src=$(src72 2>"$LOGDIR/$name.prep.log"); then
		not_ok "$name" "linux-source-7.2 unpack failed" "$LOGDIR/$name.prep.log"
		return
	fi
	rm -rf "$LOGDIR/selftests"
	mkdir -p "$LOGDIR/selftests"
	if make -C "$d" KSFT_DIR="$src/tools/testing/selftests" \
	     OUTPUT="$LOGDIR/selftests" CFLAGS="-O2 -g -Werror" -j"$JOBS" >"$log" 2>&1 &&
	   log_clean "$log"; then
		ok "$name"
	else
		not_ok "$name" "$(step_reason "$log")" "$log"
	fi
}

DKMS_VER=$(sed -n 's/^PACKAGE_VERSION="\?\([^"]*\)"\?/\1/p' "$SRC/dkms.conf" 2>/dev/null)

# dkms KVER KDIR: dkms add/build/install/remove in a scratch DKMS tree, so
# the host's /var/lib/dkms and /lib/modules are untouched.
dkms_one() {
	local kver=$1 kdir=$2 s=$LOGDIR/dkms-$1 pkg=xen-privcmd-eventfd ko
	local opts=(--dkmstree "$s/tree" --sourcetree "$s/src" --installtree "$s/install")
	rm -rf "$s"
	# dkms install wants the kernel's module directory to exist
	mkdir -p "$s/tree" "$s/install/$kver"
	copy_src "$s/src/$pkg-$DKMS_VER"
	cp "$SRC/dkms.conf" "$s/src/$pkg-$DKMS_VER/"
	dkms "${opts[@]}" add -m "$pkg" -v "$DKMS_VER" &&
	dkms "${opts[@]}" build -m "$pkg" -v "$DKMS_VER" -k "$kver" \
		--kernelsourcedir "$kdir" &&
	dkms "${opts[@]}" install -m "$pkg" -v "$DKMS_VER" -k "$kver" \
		--kernelsourcedir "$kdir" --no-depmod &&
	dkms "${opts[@]}" status -m "$pkg" -v "$DKMS_VER" -k "$kver" | tee /dev/stderr |
		grep -q ": installed" || return 1
	ko=$(find "$s/install" -name "$pkg.ko*" | head -n1)
	[ -n "$ko" ] || { echo "no $pkg.ko below $s/install" >&2; return 1; }
	modinfo -F vermagic "$ko" | grep -q "^$kver " ||
		{ echo "vermagic of $ko is not $kver" >&2; return 1; }
	dkms "${opts[@]}" remove -m "$pkg" -v "$DKMS_VER" --all --no-depmod || return 1
	[ -z "$(find "$s/install" -name "$pkg.ko*")" ] ||
		{ echo "remove left $ko" >&2; return 1; }
}

dkms_step() {
	local name=dkms-$1 kver=$2 log=$LOGDIR/dkms-$1.log kdir
	wanted "$name" || return 0
	if [ -z "$DKMS_VER" ]; then
		not_ok "$name" "no PACKAGE_VERSION in $SRC/dkms.conf"
		return
	fi
	if ! kdir=$("tree_$1" 2>"$LOGDIR/$name.prep.log"); then
		not_ok "$name" "tree preparation failed" "$LOGDIR/$name.prep.log"
		return
	fi
	if dkms_one "$kver" "$kdir" >>"$log" 2>&1; then
		ok "$name"
	else
		not_ok "$name" "$(grep -m1 -iE 'error|not |failed' "$log" | cut -c1-160)" "$log"
	fi
}

T0=$(date +%s)
tally_start matrix
if host_setup "${MATRIX_PKGS[@]}"; then
	build build-5.10-amd64 x86-64 "$K510 "
	build build-6.1-amd64 x86-64 "$K61-amd64 "
	build build-6.12-amd64 x86-64 "$K612-amd64 "
	build build-7.2-amd64 x86-64 "$K72_UP "
	build build-7.2-clang x86-64 "$K72_UP " LLVM=-19
	build build-6.1-arm64 aarch64 "$K61-arm64 " ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	build build-6.12-arm64 aarch64 "$K612-arm64 " ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	build build-7.2-arm64 aarch64 "$K72_UP " ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	selftests
	dkms_step 5.10-amd64 "$K510"
	dkms_step 6.1-amd64 "$K61-amd64"
	dkms_step 6.12-amd64 "$K612-amd64"
fi
echo "# matrix took $(($(date +%s) - T0)) s"
tally_end
