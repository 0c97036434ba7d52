# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of scripts/matrix/{matrix,static}.sh: result lines and
# tally, the download cache, and the kernel trees both scripts build against.
# Sourced, not run.
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/xen-privcmd-eventfd/matrix/
#   debs/<pkg>_<version>_<arch>.deb   exactly what apt-get download fetched
#   root/<name>-<version>/            dpkg -x of related .debs (headers trees)
#   src/linux-source-<v>_<version>/   unpacked linux-source tarball
#   build/<v>_<version>-<flavour>/    O= trees prepared with modules_prepare
#   sparse/<version>/                 sparse built from Debian's source
# Every directory name carries the Debian version it was made from, and a
# .done stamp marks it complete, so a second run downloads and builds nothing
# that is already there, and a new Debian upload gets a fresh directory.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MC=${XDG_CACHE_HOME:-$HOME/.cache}/xen-privcmd-eventfd/matrix
OUT=${OUT:-$REPO/out}
JOBS=${JOBS:-2}		# the machine's 2 cores are shared with the Xen lab
APT_SETUP=$REPO/scripts/apt-setup.sh
SRC=${SRC:-$REPO}		# the tree under test (a broken copy to prove red)

# The kernels of the matrix (Debian ABI names; see Documentation/build.md).
# Preferences only: matrix_kernels (trees.sh) resolves them against the
# mirror as it is now and may replace each by the newest complete build of
# its series.
K510=5.10.0-32-amd64			# bullseye
K61=6.1.0-56				# bookworm-security
K612=6.12.117+deb12			# bookworm-security
K72=7.2.13+deb14			# sid (the newest 7.x)
SRC72_VER=7.2				# sid linux-source-7.2
K72_UP=7.2.13				# its upstream version (vermagic)
# shellcheck source=../resolve.sh
. "$REPO/scripts/resolve.sh"

mkdir -p "$MC/debs" "$MC/root" "$MC/src" "$MC/build" "$OUT"

PASS=0 FAIL=0 SKIP=0
TALLY_NAME=

# tally_start NAME: results go to $OUT/NAME.tally, logs to $OUT/NAME/
tally_start() {
	TALLY_NAME=$1
	LOGDIR=$OUT/$1
	rm -rf "$LOGDIR"
	mkdir -p "$LOGDIR"
	: >"$OUT/$1.results"
}

ok() {
	PASS=$((PASS + 1))
	echo "ok $1" | tee -a "$OUT/$TALLY_NAME.results"
}

# not_ok NAME REASON [LOG]: print the failure and the tail of its log
not_ok() {
	FAIL=$((FAIL + 1))
	echo "not ok $1 - $2" | tee -a "$OUT/$TALLY_NAME.results"
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		grep -E 'error|warning|WARNING|ERROR|CHECK' "$3" | head -n 15 |
			sed 's/^/#   /'
		echo "#   (full log: $3)"
	fi
}

# skipped NAME REASON: only for steps whose skip is documented in
# Documentation/build.md; anything else that cannot run is a failure.
skipped() {
	SKIP=$((SKIP + 1))
	echo "ok $1 # SKIP $2" | tee -a "$OUT/$TALLY_NAME.results"
}

tally_end() {
	local line="$PASS passed, $FAIL failed"
	[ $SKIP = 0 ] || line="$line, $SKIP skipped"
	echo "$line" >"$OUT/$TALLY_NAME.tally"
	echo "$line"
	[ $FAIL = 0 ]
}

# The first error/warning of a log, as the reason of a failed step.
step_reason() {
	local r
	r=$(grep -m1 -E 'error:|warning:|ERROR:|WARNING:|CHECK:|Error [0-9]' "$1" |
		sed 's/^[[:space:]]*//' | cut -c1-160)
	echo "${r:-exit status non-zero}"
}

# copy_src DIR: the module sources as they are now (tracked or not, without
# build products), so concurrent builds never share object files
copy_src() {
	rm -rf "$1"
	mkdir -p "$1"
	tar -C "$SRC" -c --exclude=.git --exclude=./out --exclude='*.o' \
		--exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod*' \
		--exclude=Module.symvers --exclude=modules.order \
		Makefile Kbuild drivers include | tar -C "$1" -x
}

# A build log with any compiler or modpost diagnostic fails the step, also
# when make succeeded (modpost warnings are not errors by default).
log_clean() {
	! grep -E -q '(warning|error):|WARNING:|ERROR:' "$1"
}

# ---- apt --------------------------------------------------------------------

# host_install [-t SUITE] PKG...: through scripts/apt-setup.sh (sources+pins)
host_install() {
	"$APT_SETUP" install "$@"
}

need_arm64_arch() {
	dpkg --print-foreign-architectures | grep -qx arm64 && return 0
	dpkg --add-architecture arm64
	apt-get -q -o DPkg::Lock::Timeout=1200 update >/dev/null
}

# resolve PKG[:ARCH]...: candidate versions (pins apply) into VER[pkg:arch],
# in one apt-cache call (each call costs ~5 s with five suites and arm64).
declare -A VER
resolve() {
	local line name native
	native=$(dpkg --print-architecture)
	while IFS= read -r line; do
		case $line in
		" "*Candidate:*)
			[ -z "$name" ] || VER[$name]=${line##* } ;;
		[a-z0-9]*:)
			name=${line%:}
			[[ $name == *:* ]] || name=$name:$native ;;
		esac
	done < <(apt-cache policy "$@" 2>/dev/null)
}

# qual PKG[:ARCH]: PKG:ARCH with the native arch filled in
qual() {
	[[ $1 == *:* ]] && echo "$1" || echo "$1:$(dpkg --print-architecture)"
}

# debfile PKG[:ARCH]: where fetch_debs keeps it (needs resolve first)
debfile() {
	local q ver
	q=$(qual "$1")
	ver=${VER[$q]:-}
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 1
	echo "$MC/debs/${q%%:*}_${ver//:/%3a}_${q#*:}.deb"
}

# fetch_debs PKG[:ARCH]...: download what is not in $MC/debs yet, in one go.
fetch_debs() {
	local p q f want=() tmp unknown=()
	for p in "$@"; do
		q=$(qual "$p")
		[ -n "${VER[$q]:-}" ] || unknown+=("$q")
	done
	[ ${#unknown[@]} = 0 ] || resolve "${unknown[@]}"
	for p in "$@"; do
		q=$(qual "$p")
		f=$(debfile "$q") || { echo "fetch_debs: no candidate for $q" >&2; return 1; }
		[ -s "$f" ] || want+=("$q=${VER[$q]}")
	done
	[ ${#want[@]} = 0 ] && return 0
	tmp=$MC/debs/.tmp.$$
	mkdir -p "$tmp"
	echo "download: ${want[*]}" >&2
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "${want[@]}" >&2) ||
		{ rm -rf "$tmp"; return 1; }
	for p in "$@"; do
		q=$(qual "$p")
		f=$(debfile "$q")
		[ -s "$f" ] && continue
		# arch-all packages arrive as _all.deb
		mv "$tmp/$(basename "${f%_*}")"_*.deb "$f" || { rm -rf "$tmp"; return 1; }
	done
	rm -rf "$tmp"
}

# xroot NAME PKG[:ARCH]...: dpkg -x the packages into $MC/root/NAME once.
# NAME must carry the Debian version (callers take it from VER after resolve).
xroot() {
	local name=$1 dir=$MC/root/$1 p deb
	shift
	[ -e "$dir/.done" ] && { echo "$dir"; return 0; }
	rm -rf "$dir"
	mkdir -p "$dir"
	fetch_debs "$@" || return 1
	for p in "$@"; do
		deb=$(debfile "$p") || return 1
		dpkg -x "$deb" "$dir" || return 1
	done
	touch "$dir/.done"
	echo "$dir"
}

# relink_abs DIR ROOT: rewrite absolute symlinks below DIR to point into ROOT
# (dpkg -x keeps /usr/lib/linux-kbuild-* links that only exist when installed)
relink_abs() {
	local l t
	find "$1" -maxdepth 3 -type l | while read -r l; do
		t=$(readlink "$l")
		case $t in /*) [ -e "$2$t" ] && ln -sfn "$2$t" "$l" ;; esac
	done
}
