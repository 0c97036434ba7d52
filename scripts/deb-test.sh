#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb-check: the Debian packages as a user gets them.
#
#   1. make deb (scripts/deb-build.sh) and lintian (no error, no warning);
#   2. a fresh Debian 12 chroot (mmdebstrap, bookworm + bookworm-security)
#      with dkms and the newest linux-headers-6.1.0-<abi>-amd64 (resolved
#      in the chroot at run time), then our two .debs: DKMS must have built
#      and installed the module for that kernel (dkms status, the .ko under
#      /lib/modules/<kver>/updates/dkms/, its modinfo name and vermagic),
#      <xen/privcmd-eventfd.h> must compile, and purging must remove it;
#   3. a second fresh chroot with the other order, our .debs first and the
#      headers after (the headers package's DKMS hook must build it).
#
# One "ok NAME" / "not ok NAME - reason" line per step, then
# "N passed, N failed" (out/deb.tally); logs and packages in out/deb/.
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/xen-privcmd-eventfd/deb/
#   bookworm-<date>.tar   the chroot base (apt, dkms and its compiler), one
#                         per day; the chroots themselves are always fresh
#   archives/             .debs apt downloaded in the chroots
set -uo pipefail
TALLY_NAME=deb
. "$(dirname "$0")/matrix/lib.sh"

DC=${XDG_CACHE_HOME:-$HOME/.cache}/xen-privcmd-eventfd/deb
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security
HOST_PKGS=(debhelper dh-dkms dpkg-dev fakeroot lintian mmdebstrap)
NAME=xen-privcmd-eventfd
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO/dkms.conf")
MODULE=$(sed -n 's/^BUILT_MODULE_NAME\[0\]="\(.*\)"$/\1/p' "$REPO/dkms.conf")
MOUNTS=()
CHROOTS=()

cleanup() {
	local i d
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${MOUNTS[i]}" 2>/dev/null
	done
	MOUNTS=()
	for d in "${CHROOTS[@]}"; do
		# never remove through a mount that is still there
		findmnt -rn -o TARGET | grep -q "^$d/" && continue
		rm -rf --one-file-system "$d"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# in_chroot DIR CMD...: run a shell command in the chroot
in_chroot() {
	local d=$1
	shift
	chroot "$d" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 /bin/sh -ec "$*"
}

# base_tarball: the chroot base of today, made once (atomically)
base_tarball() {
	local tar=$DC/$SUITE-$(date +%Y%m%d).tar log=$LOGDIR/mmdebstrap.log
	mkdir -p "$DC/archives"
	if [ ! -s "$tar" ]; then
		rm -f "$DC/$SUITE"-*.tar "$DC"/.tmp.*.tar
		mmdebstrap --variant=apt --include=dkms \
			--aptopt='Apt::Install-Recommends "false"' \
			--aptopt='Acquire::Check-Valid-Until "false"' \
			"$SUITE" "$DC/.tmp.$$.tar" \
			"deb $MIRROR $SUITE main" \
			"deb $SECURITY $SUITE-security main" >"$log" 2>&1 ||
			{ rm -f "$DC/.tmp.$$.tar"; return 1; }
		mv "$DC/.tmp.$$.tar" "$tar"
	fi
	echo "$tar"
}

# new_chroot NAME TARBALL: a fresh chroot in out/deb/NAME, /proc and /dev
# mounted (DKMS and the kernel build use them), apt's archives cached
new_chroot() {
	local d=$LOGDIR/$1
	CHROOTS+=("$d")
	mkdir -p "$d"
	tar -C "$d" -xf "$2" || return 1
	cp /etc/resolv.conf "$d/etc/resolv.conf"
	echo 'Acquire::Check-Valid-Until "false";' >"$d/etc/apt/apt.conf.d/99valid-until"
	mount -t proc proc "$d/proc" && MOUNTS+=("$d/proc") || return 1
	mount --bind /dev "$d/dev" && MOUNTS+=("$d/dev") || return 1
	mount --bind "$DC/archives" "$d/var/cache/apt/archives" &&
		MOUNTS+=("$d/var/cache/apt/archives") || return 1
	mkdir -p "$d/debs"
	cp "$OUT"/deb/"$NAME"-dkms_"$VERSION"_all.deb \
		"$OUT"/deb/"$NAME"-dev_"$VERSION"_all.deb "$d/debs/"
	in_chroot "$d" "apt-get -q update"
}

# drop_chroot: unmount and remove the chroots (the next one starts fresh)
drop_chroot() {
	cleanup
	CHROOTS=()
}

# newest_headers DIR: the newest linux-headers-6.1.0-<abi>-amd64 that the
# chroot's apt can install (mirrors move: never a fixed ABI)
newest_headers() {
	local p
	for p in $(in_chroot "$1" "apt-cache pkgnames linux-headers-6.1.0-" |
		   grep -E '^linux-headers-6\.1\.0-[0-9]+-amd64$' | sort -t- -k4,4nr); do
		if in_chroot "$1" "apt-cache madison $p" | grep -q "^ *$p |"; then
			echo "$p"
			return 0
		fi
	done
}

# check_module DIR KVER TAG: DKMS built and installed the module for KVER
check_module() {
	local d=$1 kver=$2 tag=$3 log=$LOGDIR/$3-module.log ko status
	status=$(in_chroot "$d" "dkms status -m $NAME -v $VERSION -k $kver" 2>&1)
	echo "dkms status: $status" >"$log"
	if ! grep -q ": installed" <<<"$status"; then
		not_ok "$tag-dkms-installed" "dkms status for $kver: ${status:-nothing}" "$log"
	else
		ok "$tag-dkms-installed"
	fi
	ko=$(cd "$d" && ls lib/modules/"$kver"/updates/dkms/"$MODULE".ko* 2>/dev/null | head -n 1)
	if [ -z "$ko" ]; then
		not_ok "$tag-ko" "no $MODULE.ko* in /lib/modules/$kver/updates/dkms" "$log"
		return
	fi
	ok "$tag-ko"
	in_chroot "$d" "modinfo /$ko" >>"$log" 2>&1
	if ! grep -Eq "^name: +${MODULE//-/_}\$" "$log"; then
		not_ok "$tag-modinfo" "modinfo name is not ${MODULE//-/_}" "$log"
	elif ! grep -Eq "^vermagic: +$kver SMP " "$log"; then
		not_ok "$tag-modinfo" "vermagic is not $kver: $(grep vermagic "$log")" "$log"
	else
		ok "$tag-modinfo"
	fi
}

T0=$(date +%s)
# a run killed before its trap leaves mounts: never rm -rf through them
findmnt -rn -o TARGET | grep "^$OUT/deb/" | sort -r | xargs -r -n1 umount -l
tally_start deb

# ---- packages ---------------------------------------------------------------
if ! "$APT_SETUP" install "${HOST_PKGS[@]}" >"$LOGDIR/host-setup.log" 2>&1; then
	not_ok host-setup "apt: $(step_reason "$LOGDIR/host-setup.log")" "$LOGDIR/host-setup.log"
	tally_end
	exit
fi

t=$(date +%s)
if make -C "$REPO" -s deb >"$LOGDIR/build.log" 2>&1 &&
   [ -s "$OUT/deb/${NAME}-dkms_${VERSION}_all.deb" ] &&
   [ -s "$OUT/deb/${NAME}-dev_${VERSION}_all.deb" ]; then
	ok build
	echo "# make deb took $(($(date +%s) - t)) s"
else
	not_ok build "$(grep -m1 -E 'error|rror:' "$LOGDIR/build.log" || echo 'no .debs')" "$LOGDIR/build.log"
	tally_end
	exit
fi

# every tag, including pedantic and info ones, is shown; errors and
# warnings fail (overrides in debian/, each with its reason)
if lintian --fail-on error,warning --pedantic -I \
	"$OUT/deb/${NAME}_${VERSION}_"*.changes >"$LOGDIR/lintian.log" 2>&1; then
	ok lintian
else
	not_ok lintian "$(grep -m1 -E '^[EW]: ' "$LOGDIR/lintian.log" || tail -n1 "$LOGDIR/lintian.log")" \
		"$LOGDIR/lintian.log"
fi
grep -E '^[EWIP]: ' "$LOGDIR/lintian.log" | sed 's/^/#   /'

contents=$(dpkg-deb -c "$OUT/deb/${NAME}-dkms_${VERSION}_all.deb"
	   dpkg-deb -c "$OUT/deb/${NAME}-dev_${VERSION}_all.deb")
missing=
for f in "usr/src/$NAME-$VERSION/dkms.conf" "usr/src/$NAME-$VERSION/Kbuild" \
	 "usr/src/$NAME-$VERSION/drivers/xen/privcmd-eventfd/main.c" \
	 "usr/src/$NAME-$VERSION/include/uapi/xen/privcmd-eventfd.h" \
	 usr/include/xen/privcmd-eventfd.h; do
	grep -q " \./$f\$" <<<"$contents" || missing="$missing /$f"
done
if [ -z "$missing" ]; then ok contents; else not_ok contents "missing:$missing"; fi

# ---- chroot A: headers first, then our packages ---------------------------------
if ! tar=$(base_tarball); then
	not_ok chroot-base "mmdebstrap failed" "$LOGDIR/mmdebstrap.log"
	tally_end
	exit
fi
ok chroot-base
echo "# chroot base: $tar"

a=chroot-headers-first
if ! new_chroot "$a" "$tar" >"$LOGDIR/$a.log" 2>&1; then
	not_ok "$a" "chroot setup failed" "$LOGDIR/$a.log"
	tally_end
	exit
fi
hdr=$(newest_headers "$LOGDIR/$a")
kver=${hdr#linux-headers-}
if [ -z "$hdr" ]; then
	not_ok resolve-headers "no linux-headers-6.1.0-*-amd64 in $SUITE" "$LOGDIR/$a.log"
	tally_end
	exit
fi
ok resolve-headers
echo "# headers: $hdr"
echo "# host kernel (uname -r in the chroot): $(uname -r); target: $kver"

if in_chroot "$LOGDIR/$a" "apt-get -q -y --no-install-recommends install $hdr" \
	>>"$LOGDIR/$a.log" 2>&1; then
	ok "$a-headers"
else
	not_ok "$a-headers" "apt-get install $hdr failed" "$LOGDIR/$a.log"
fi
if in_chroot "$LOGDIR/$a" "apt-get -q -y --no-install-recommends install \
	/debs/${NAME}-dkms_${VERSION}_all.deb /debs/${NAME}-dev_${VERSION}_all.deb" \
	>>"$LOGDIR/$a.log" 2>&1; then
	ok "$a-install"
else
	not_ok "$a-install" "apt-get install of our .debs failed" "$LOGDIR/$a.log"
fi
check_module "$LOGDIR/$a" "$kver" "$a"

cat >"$LOGDIR/$a/tmp/use-header.c" <<'EOF'
#include <stdio.h>
#include <xen/privcmd-eventfd.h>

int main(void)
{
	struct privcmd_eventfd_version v = { 0 };

	printf("%lu %lx\n", (unsigned long)sizeof(v),
	       (unsigned long)PRIVCMD_EVENTFD_IOC_VERSION);
	return 0;
}
EOF
# a backend's build: libc headers (not needed by DKMS) plus ours
if in_chroot "$LOGDIR/$a" "apt-get -q -y --no-install-recommends install libc6-dev &&
	gcc -Wall -Wextra -Werror -o /tmp/use-header /tmp/use-header.c &&
	/tmp/use-header" >"$LOGDIR/$a-header.log" 2>&1 &&
   [ "$(tail -n 1 "$LOGDIR/$a-header.log")" = "32 c020bb00" ]; then
	ok "$a-dev-header"
else
	not_ok "$a-dev-header" "$(step_reason "$LOGDIR/$a-header.log")" "$LOGDIR/$a-header.log"
fi

if in_chroot "$LOGDIR/$a" "apt-get -q -y purge ${NAME}-dkms ${NAME}-dev" \
	>>"$LOGDIR/$a.log" 2>&1 &&
   ! ls "$LOGDIR/$a/lib/modules/$kver/updates/dkms/$MODULE".ko* >/dev/null 2>&1 &&
   [ ! -e "$LOGDIR/$a/usr/src/$NAME-$VERSION" ] &&
   [ ! -e "$LOGDIR/$a/var/lib/dkms/$NAME" ]; then
	ok "$a-purge"
else
	not_ok "$a-purge" "module, source or DKMS tree left after purge" "$LOGDIR/$a.log"
fi
drop_chroot

# ---- chroot B: our packages first, then the headers ------------------------------
b=chroot-package-first
if ! new_chroot "$b" "$tar" >"$LOGDIR/$b.log" 2>&1; then
	not_ok "$b" "chroot setup failed" "$LOGDIR/$b.log"
else
	if in_chroot "$LOGDIR/$b" "apt-get -q -y --no-install-recommends install \
		/debs/${NAME}-dkms_${VERSION}_all.deb" >>"$LOGDIR/$b.log" 2>&1; then
		ok "$b-install"
	else
		not_ok "$b-install" "apt-get install of our .deb without headers failed" "$LOGDIR/$b.log"
	fi
	if in_chroot "$LOGDIR/$b" "apt-get -q -y --no-install-recommends install $hdr" \
		>>"$LOGDIR/$b.log" 2>&1; then
		ok "$b-headers"
	else
		not_ok "$b-headers" "apt-get install $hdr failed" "$LOGDIR/$b.log"
	fi
	check_module "$LOGDIR/$b" "$kver" "$b"
fi
drop_chroot

echo "# deb took $(($(date +%s) - T0)) s"
tally_end
