#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the extra Debian suites this project needs reachable through apt,
# pinned so that nothing from them ever upgrades the host's base system.
# Idempotent; sourced or run by the lab and build-matrix scripts.
#
#   scripts/apt-setup.sh                 add sources + pins, apt-get update
#   scripts/apt-setup.sh install PKG...  the above, then install PKG (pinned)
set -euo pipefail

SRC=/etc/apt/sources.list.d/xen-privcmd-eventfd.sources
PIN=/etc/apt/preferences.d/xen-privcmd-eventfd
STAMP=/var/lib/apt/lists/.xen-privcmd-eventfd-updated

want_sources() {
	cat <<'SRC'
# Added by xen-privcmd-eventfd scripts/apt-setup.sh
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm-backports trixie sid bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

want_pins() {
	cat <<'PIN'
# Added by xen-privcmd-eventfd scripts/apt-setup.sh: never upgrade the
# host from newer suites; packages from them only when asked by name/-t.
Package: *
Pin: release n=bookworm
Pin-Priority: 700

Package: *
Pin: release n=bookworm-security
Pin-Priority: 700

Package: *
Pin: release n=bookworm-updates
Pin-Priority: 700

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 650

Package: *
Pin: release n=trixie
Pin-Priority: 200

Package: *
Pin: release n=bullseye
Pin-Priority: 150

Package: *
Pin: release n=sid
Pin-Priority: 100
PIN
}

APT_OPTS=(-y -q -o DPkg::Lock::Timeout=1200 -o APT::Get::Upgrade-By-Source-Package=false
	  --no-install-recommends --no-upgrade)

setup() {
	local changed=0
	if ! cmp -s <(want_sources) "$SRC" 2>/dev/null; then
		want_sources >"$SRC"; changed=1
	fi
	if ! cmp -s <(want_pins) "$PIN" 2>/dev/null; then
		want_pins >"$PIN"; changed=1
	fi
	# Refresh at most every 12 hours unless the sources changed.
	if [ $changed = 1 ] || [ ! -e "$STAMP" ] ||
	   [ -n "$(find "$STAMP" -mmin +720 2>/dev/null)" ]; then
		apt-get -q -o DPkg::Lock::Timeout=1200 update >/dev/null
		touch "$STAMP"
	fi
}

# apt_install [-t SUITE] PKG...: install only what is missing.
apt_install() {
	local suite=() missing=() p
	if [ "${1:-}" = "-t" ]; then suite=(-t "$2"); shift 2; fi
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "${p%%/*}" 2>/dev/null |
			grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" "${suite[@]}" \
		install "${missing[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ "$(id -u)" = 0 ] || { echo "apt-setup: must run as root" >&2; exit 1; }
	setup
	if [ "${1:-}" = install ]; then shift; apt_install "$@"; fi
fi
