#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: build the Debian packages (debian/) into out/deb/:
#   xen-privcmd-eventfd-dkms_<v>_all.deb   module source for DKMS
#   xen-privcmd-eventfd-dev_<v>_all.deb    /usr/include/xen/privcmd-eventfd.h
# plus the native source package, .buildinfo and .changes.
#
# dpkg-buildpackage writes next to the tree it builds, so the tree is
# staged as a copy (tracked and new files as they are now, no out/ or .git)
# in out/deb/xen-privcmd-eventfd-<v>/ and the repository stays clean.
# Version: dkms.conf's PACKAGE_VERSION (debian/rules checks the changelog).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/out/deb
PKGS=(debhelper dh-dkms dpkg-dev fakeroot)

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO/dkms.conf")
[ -n "$ver" ] || { echo "deb-build: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then
	"$REPO/scripts/apt-setup.sh" install "${PKGS[@]}" >/dev/null
fi

mkdir -p "$OUT"
rm -rf "$OUT"/xen-privcmd-eventfd-* "$OUT"/xen-privcmd-eventfd_* "$OUT"/*.deb
stage=$OUT/xen-privcmd-eventfd-$ver
mkdir -p "$stage"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar -c --null -T - | tar -C "$stage" -x)

cd "$stage"
dpkg-buildpackage -us -uc -ui
cd "$OUT"
ls -1 "$OUT"/*.deb
