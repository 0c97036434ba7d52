# SPDX-License-Identifier: GPL-2.0
#
# Choose, at set-up time, which Debian kernel build of a series to fetch,
# from what the mirror offers now. Mirrors move: a security upload replaces
# a revision within weeks, and one package of a build (linux-kbuild-6.1,
# -common) may move to a new Debian revision while the image and headers
# stay. A pinned version is therefore only a preference.
#
# Sourced (by tools/testing/xen-lab/setup.sh, scripts/matrix/lib.sh and
# scripts/tests/resolve-test.sh), not run. Needs dpkg (version comparison).
#
# A build of ABI <abi> (e.g. 6.1.0-56, 6.12.117+deb12), flavour <fl> (amd64,
# arm64), is complete when the mirror has
#   linux-headers-<abi>-<fl>                    version V
#   linux-image-<abi>-<fl>                      V (only when an image is needed)
#   linux-headers-<abi>-common                  V, or another revision of V's
#                                               upstream version
#   linux-kbuild-<abi> or linux-kbuild-<series> the same as -common
# resolve_kernel picks the preferred (pinned) build if it is complete, else
# the newest complete build of the series, and says why.

# Upstream part of a Debian version: 6.1.192-3 -> 6.1.192, 1:2.3-4 -> 2.3.
rs_upstream() {
	local v=${1#*:}
	echo "${v%-*}"
}

rs_newer() {	# rs_newer A B: A is a newer Debian version than B
	dpkg --compare-versions "$1" gt "$2"
}

# rs_parse FLAVOUR < madison listing: "<pkg> <version>" lines for binary
# packages of the host's architecture (RS_HOST_ARCH, amd64), packages of the
# flavour (an arm64 image or headers) and -common (arch all, which madison
# lists under every arch). Other packages of another architecture are
# dropped: an arm64 linux-kbuild never stands in for the host's.
rs_parse() {
	awk -F'|' -v fl="$1" -v host="${RS_HOST_ARCH:-amd64}" '
	NF >= 3 && $3 ~ / Packages *$/ {
		gsub(/ /, "", $1); gsub(/ /, "", $2)
		n = split($3, w, " ")
		if (w[n - 1] == host || $1 ~ ("-" fl "$") || $1 ~ /-common$/)
			print $1, $2
	}' | sort -u
}

# rs_sort < "<version> <anything>" lines: the same lines, newest version
# first (Debian order; the lists are short, an insertion sort will do)
rs_sort() {
	local l i placed out=()
	while read -r l; do
		[ -n "$l" ] || continue
		local rest=()
		placed=0
		for i in "${out[@]}"; do
			if [ $placed = 0 ] && rs_newer "${l%% *}" "${i%% *}"; then
				rest+=("$l"); placed=1
			fi
			rest+=("$i")
		done
		[ $placed = 1 ] || rest+=("$l")
		out=("${rest[@]}")
	done
	[ ${#out[@]} = 0 ] || printf '%s\n' "${out[@]}"
}

# rs_versions PKG: the versions of PKG in $RS_LIST, newest first
rs_versions() {
	awk -v p="$1" '$1 == p { print $2 }' <<<"$RS_LIST" | rs_sort
}

# rs_same_upstream PKG V: V itself if PKG has it, else PKG's newest
# revision of V's upstream version; nothing if neither exists.
rs_same_upstream() {
	local w up
	up=$(rs_upstream "$2")
	for w in $(rs_versions "$1"); do
		[ "$w" = "$2" ] && { echo "$w"; return 0; }
	done
	for w in $(rs_versions "$1"); do
		[ "$(rs_upstream "$w")" = "$up" ] && { echo "$w"; return 0; }
	done
	return 1
}

# rs_build ABI V: fill RB_* for the build of ABI at headers version V, or
# return 1 with RB_MISSING naming what the mirror lacks.
rs_build() {
	local abi=$1 v=$2 kp
	RB_MISSING=
	RB_ABI=$abi RB_HEADERS_VER=$v RB_IMAGE_VER= RB_COMMON_VER= RB_KBUILD_PKG= RB_KBUILD_VER=
	if [ "$RS_IMAGE" = 1 ]; then
		RB_IMAGE_VER=$(rs_same_upstream "linux-image-$abi-$RS_FLAVOUR" "$v") ||
			RB_MISSING+=" linux-image-$abi-$RS_FLAVOUR ($(rs_upstream "$v"))"
	fi
	RB_COMMON_VER=$(rs_same_upstream "linux-headers-$abi-common" "$v") ||
		RB_MISSING+=" linux-headers-$abi-common ($(rs_upstream "$v"))"
	for kp in "linux-kbuild-$abi" "linux-kbuild-$RS_SERIES"; do
		RB_KBUILD_VER=$(rs_same_upstream "$kp" "$v") && { RB_KBUILD_PKG=$kp; break; }
	done
	[ -n "$RB_KBUILD_PKG" ] ||
		RB_MISSING+=" linux-kbuild-$abi|linux-kbuild-$RS_SERIES ($(rs_upstream "$v"))"
	RB_MISSING=${RB_MISSING# }
	[ -z "$RB_MISSING" ]
}

# rs_abis: ABIs of the series in $RS_LIST (headers of the flavour), by
# their newest headers version, newest first: "<abi> <version>" lines
rs_abis() {
	local re="^linux-headers-(${RS_ABI_RE})-${RS_FLAVOUR}\$" name abi
	for name in $(awk '{ print $1 }' <<<"$RS_LIST" | sort -u | grep -E "$re"); do
		abi=${name#linux-headers-}
		abi=${abi%-"$RS_FLAVOUR"}
		echo "$(rs_versions "$name" | head -n 1) $abi"
	done | rs_sort | awk '{ print $2, $1 }'
}

# resolve_kernel SERIES ABI_RE FLAVOUR NEED_IMAGE PREF_ABI PREF_VER < LISTING
#
# PREF_ABI/PREF_VER: the preferred build (PREF_VER empty: the newest build
# of PREF_ABI; both empty: no preference).
# LISTING is `apt-cache madison` output for the candidate packages (see
# rs_live_listing). Prints shell assignments R_ABI, R_HEADERS_VER,
# R_IMAGE_VER, R_COMMON_VER, R_KBUILD_PKG, R_KBUILD_VER and R_WHY (one line
# saying what was chosen and why). Exit status 1, with the reason on stderr,
# when no complete build of the series exists.
resolve_kernel() {
	RS_SERIES=$1 RS_ABI_RE=$2 RS_FLAVOUR=$3 RS_IMAGE=$4
	local pref_abi=$5 pref_ver=$6 why abi v newest_missing= line pref_note=
	RS_LIST=$(rs_parse "$RS_FLAVOUR")
	# A preferred ABI without a version: its newest build.
	[ -z "$pref_abi" ] || [ -n "$pref_ver" ] ||
		pref_ver=$(rs_versions "linux-headers-$pref_abi-$RS_FLAVOUR" | head -n 1)

	if [ -n "$pref_abi" ] && [ -n "$pref_ver" ]; then
		if rs_versions "linux-headers-$pref_abi-$RS_FLAVOUR" | grep -qxF "$pref_ver" &&
		   rs_build "$pref_abi" "$pref_ver"; then
			why="preferred $pref_abi $pref_ver is complete"
			rs_print "$why"
			return 0
		fi
		if rs_versions "linux-headers-$pref_abi-$RS_FLAVOUR" | grep -qxF "$pref_ver"; then
			pref_note="preferred $pref_abi $pref_ver lacks $RB_MISSING"
		else
			pref_note="preferred $pref_abi $pref_ver is gone from the mirror"
		fi
	fi
	while read -r abi v; do
		[ -n "$abi" ] || continue
		for v in $(rs_versions "linux-headers-$abi-$RS_FLAVOUR"); do
			if rs_build "$abi" "$v"; then
				why="newest complete $RS_SERIES build"
				[ -n "$pref_note" ] && why="$pref_note; $why"
				rs_print "$why"
				return 0
			fi
			[ -n "$newest_missing" ] ||
				newest_missing="newest, $abi $v, lacks $RB_MISSING"
		done
	done < <(rs_abis)
	line="no complete $RS_SERIES ($RS_FLAVOUR) kernel build on the mirror"
	if [ -n "$newest_missing" ]; then
		line+=": $newest_missing"
	else
		line+=": no linux-headers-<abi>-$RS_FLAVOUR matching ${RS_ABI_RE}"
	fi
	[ -n "$pref_note" ] && line+="; $pref_note"
	echo "resolve: $line" >&2
	return 1
}

rs_print() {
	local why=$1 sub=
	[ "$RB_COMMON_VER" = "$RB_HEADERS_VER" ] ||
		sub+=", -common at $RB_COMMON_VER"
	[ "$RB_KBUILD_VER" = "$RB_HEADERS_VER" ] ||
		sub+=", $RB_KBUILD_PKG at $RB_KBUILD_VER"
	[ -z "$RB_IMAGE_VER" ] || [ "$RB_IMAGE_VER" = "$RB_HEADERS_VER" ] ||
		sub+=", image at $RB_IMAGE_VER"
	[ -z "$sub" ] || why+=" (${sub#, }: same upstream, another Debian revision)"
	set -- "$why"
	printf 'R_ABI=%q\nR_HEADERS_VER=%q\nR_IMAGE_VER=%q\nR_COMMON_VER=%q\n' \
		"$RB_ABI" "$RB_HEADERS_VER" "$RB_IMAGE_VER" "$RB_COMMON_VER"
	printf 'R_KBUILD_PKG=%q\nR_KBUILD_VER=%q\nR_WHY=%q\n' \
		"$RB_KBUILD_PKG" "$RB_KBUILD_VER" "$1"
}

# rs_live_listing FLAVOUR SERIES:ABI_RE:PREF_ABI...: the madison listing
# resolve_kernel needs for these series, from apt's lists as they are now
# (apt-get update first), in one apt-cache call of each kind (each call reads
# every list: ~10 s). Only the four newest ABIs of each series (and the
# preferred one) are asked for.
rs_live_listing() {
	local fl=$1 spec series re pref names abis a pkgs=()
	shift
	names=$(apt-cache pkgnames linux-headers- 2>/dev/null)
	for spec in "$@"; do
		IFS=: read -r series re pref <<<"$spec"
		abis=$(sed -nE "s/^linux-headers-(${re})-${fl}\$/\\1/p" <<<"$names" |
			sort -V | tail -n 4)
		[ -n "$pref" ] && abis=$(printf '%s\n%s\n' "$abis" "$pref" | sort -u)
		for a in $abis; do
			pkgs+=("linux-image-$a-$fl" "linux-headers-$a-$fl"
			       "linux-headers-$a-common" "linux-kbuild-$a")
		done
		pkgs+=("linux-kbuild-$series")
	done
	apt-cache madison "${pkgs[@]}" 2>/dev/null
}
