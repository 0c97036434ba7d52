# SPDX-License-Identifier: GPL-2.0
#
# The kernel trees of the matrix. Each tree_* function makes its tree once
# (cached, see lib.sh) and prints the directory to pass as KDIR. Sourced
# after lib.sh, not run.

# Host packages (pinned through scripts/apt-setup.sh). 5.10 and 6.1 headers
# install cleanly (5.10 pulls gcc-10 from bullseye) and are what DKMS builds
# against; 6.12's headers depend on its linux-image, initramfs-tools and a
# newer libudev1, so they are only unpacked (dpkg -x) into the cache.
# dwarves: pahole, which 6.12's BTF step runs for every module.
# gcc-12-multilib: the selftests' 32-bit caller (build-selftests).
MATRIX_PKGS=(
	bc bison flex libelf-dev libssl-dev kmod xz-utils make dwarves
	gcc-aarch64-linux-gnu clang-19 lld-19 llvm-19 gcc-12-multilib
	dkms openssl libxen-dev
)
# gcc-multilib conflicts with every cross gcc; gcc-12-multilib does not.
STATIC_PKGS=(
	sparse coccinelle ocaml-nox libpython3.11-dev
	gcc-12-multilib g++-12-multilib dpkg-dev
)

# Debian packages fetched with apt-get download (never installed); set by
# matrix_kernels.
MATRIX_DEBS=()

# The matrix's kernel series: "VAR:SERIES:ABI_RE", VAR holding the
# preferred ABI (above). +deb12 only for 6.12 (+deb13 builds need trixie's
# tools); 7 is whatever 7.x sid has.
MK_SERIES=('K510:5.10:5\.10\.0-[0-9]+' 'K61:6.1:6\.1\.0-[0-9]+'
	   'K612:6.12:6\.12\.[0-9]+\+deb12' 'K72:7:7\.[0-9]+\.[0-9]+\+deb1[4-9]')

# mk_pref VAR: the preferred ABI held in VAR, without a flavour suffix
mk_pref() {
	local v=${!1}
	echo "${v%-amd64}"
}

# matrix_kernels: choose the matrix's kernels from what the mirror offers
# now (the values above are preferences), once per refresh of apt's lists;
# kept in $MC/kernels.env, whose comments say what was chosen and why.
matrix_kernels() {
	local f=$MC/kernels.env stamp=/var/lib/apt/lists/.xen-privcmd-eventfd-updated
	local e var series re specs=() list out tmp mm up
	if ! [ -s "$f" ] || [ "$stamp" -nt "$f" ]; then
		for e in "${MK_SERIES[@]}"; do
			IFS=: read -r var series re <<<"$e"
			specs+=("$series:$re:$(mk_pref "$var")")
		done
		list=$(rs_live_listing amd64 "${specs[@]}")
		tmp=$(mktemp "$f.XXXXXX")
		echo "# written by scripts/matrix (matrix_kernels) on $(date -u +%F)" >"$tmp"
		for e in "${MK_SERIES[@]}"; do
			IFS=: read -r var series re <<<"$e"
			out=$(resolve_kernel "$series" "$re" amd64 0 "$(mk_pref "$var")" "" \
			      <<<"$list") || { rm -f "$tmp"; return 1; }
			eval "$out"
			printf '# %s: %s %s: %s\n%s=%s\n%s_VER=%s\n' "$series" "$R_ABI" \
				"$R_HEADERS_VER" "$R_WHY" "$var" "$R_ABI" "$var" "$R_HEADERS_VER" >>"$tmp"
		done
		mv "$tmp" "$f"
	fi
	# shellcheck disable=SC1090
	. "$f"
	K510=$K510-amd64
	# 7.x comes as linux-source-<major.minor> of the same upstream version
	up=$(rs_upstream "$K72_VER")
	mm=${up%.*}
	SRC72_VER=$mm K72_UP=$up
	MATRIX_DEBS=(
		"linux-source-$SRC72_VER" "linux-config-$SRC72_VER"
		"linux-headers-$K72-amd64" "linux-headers-$K72-arm64:arm64"
		"linux-headers-$K612-amd64" "linux-headers-$K612-common" "linux-kbuild-$K612"
		"linux-headers-$K612-arm64:arm64" "linux-headers-$K61-arm64:arm64"
	)
	grep '^# [0-9]' "$f" | sed 's/^# /kernels: /'
}

# host_setup PKG...: the host packages, the kernels (matrix_kernels: their
# headers, where they are installed), arm64 as foreign architecture (for
# apt-get download of arm64 headers) and the version table VER.
host_setup() {
	local log=$OUT/$TALLY_NAME/host-setup.log
	if ! { "$APT_SETUP" && need_arm64_arch; } >"$log" 2>&1; then
		not_ok host-setup "apt: $(step_reason "$log")" "$log"
		return 1
	fi
	if ! matrix_kernels 2>>"$log"; then
		not_ok host-setup "kernels: $(grep -m1 '^resolve:' "$log")" "$log"
		return 1
	fi
	if ! host_install "$@" "linux-headers-$K510/bullseye" "linux-headers-$K61-amd64" \
	     >>"$log" 2>&1; then
		not_ok host-setup "apt: $(step_reason "$log")" "$log"
		return 1
	fi
	resolve "${MATRIX_DEBS[@]}"
	if [ "${VER[linux-source-$SRC72_VER:amd64]:-(none)}" = "(none)" ] ||
	   [ "$(rs_upstream "${VER[linux-source-$SRC72_VER:amd64]}")" != "$K72_UP" ]; then
		not_ok host-setup "no linux-source-$SRC72_VER $K72_UP for the $K72 headers"
		return 1
	fi
}

hdr_dir() { echo "$1/usr/src/linux-headers-$2"; }

# Debian's flavour Makefile includes /usr/src/linux-headers-*-common/Makefile
# by absolute path; point it at the unpacked copy.
fix_common_include() {
	sed -i "s|^include /usr/src/|include $1/usr/src/|" "$2/Makefile"
}

tree_5.10-amd64() {
	local d=/usr/src/linux-headers-$K510
	[ -e "$d/Module.symvers" ] || { echo "$d missing" >&2; return 1; }
	echo "$d"
}

tree_6.1-amd64() {
	local d=/usr/src/linux-headers-$K61-amd64
	[ -e "$d/Module.symvers" ] || { echo "$d missing" >&2; return 1; }
	echo "$d"
}

tree_6.12-amd64() {
	local v=${VER[linux-headers-$K612-amd64:amd64]} r
	r=$(xroot "hdr-$v-amd64" "linux-headers-$K612-amd64" \
		"linux-headers-$K612-common" "linux-kbuild-$K612") || return 1
	fix_common_include "$r" "$(hdr_dir "$r" "$K612-amd64")"
	hdr_dir "$r" "$K612-amd64"
}

tree_6.12-arm64() {
	local v=${VER[linux-headers-$K612-arm64:arm64]} r
	# scripts/ of the arm64 package are host (amd64) tools: Debian's
	# linux-kbuild package of the same version
	r=$(xroot "hdr-$v-arm64" "linux-headers-$K612-arm64:arm64" \
		"linux-headers-$K612-common" "linux-kbuild-$K612") || return 1
	fix_common_include "$r" "$(hdr_dir "$r" "$K612-arm64")"
	hdr_dir "$r" "$K612-arm64"
}

tree_6.1-arm64() {
	local v=${VER[linux-headers-$K61-arm64:arm64]} r
	# -common (arch all) and linux-kbuild-6.1 (amd64) are installed with
	# the amd64 headers; link them into the unpacked root
	tree_6.1-amd64 >/dev/null || return 1
	r=$(xroot "hdr-$v-arm64" "linux-headers-$K61-arm64:arm64") || return 1
	mkdir -p "$r/usr/lib"
	ln -sfn "/usr/lib/linux-kbuild-6.1" "$r/usr/lib/linux-kbuild-6.1"
	hdr_dir "$r" "$K61-arm64"
}

# src72: the unpacked linux-source-7.2 tree (also used by make static)
src72() {
	local v=${VER[linux-source-$SRC72_VER:amd64]} d deb
	d=$MC/src/linux-source-${SRC72_VER}_$v
	if [ ! -e "$d/.done" ]; then
		fetch_debs "linux-source-$SRC72_VER" || return 1
		deb=$(debfile "linux-source-$SRC72_VER") || return 1
		rm -rf "$d"
		mkdir -p "$d"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO "./usr/src/linux-source-$SRC72_VER.tar.xz" |
			xz -T"$JOBS" -dc | tar -x -C "$d" || return 1
		touch "$d/.done"
	fi
	echo "$d/linux-source-$SRC72_VER"
}

# prep72 FLAVOUR: 7.2 build dir (O=) configured with Debian's config and
# prepared with modules_prepare by the local toolchain; Module.symvers comes
# from Debian's headers package, so modpost resolves every import.
# FLAVOUR: amd64 (gcc), arm64 (aarch64-linux-gnu-gcc), clang (amd64, LLVM=-19).
prep72() {
	local fl=$1 src v hv arch cfg o cc args=() hroot
	src=$(src72) || return 1
	v=${VER[linux-source-$SRC72_VER:amd64]}
	case $fl in
	amd64)	arch=amd64; cc="gcc$(gcc -dumpfullversion)" ;;
	arm64)	arch=arm64; cc="aarch64-gcc$(aarch64-linux-gnu-gcc -dumpfullversion)"
		args=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-) ;;
	clang)	arch=amd64; cc="clang$(clang-19 -dumpversion)"; args=(LLVM=-19) ;;
	esac
	hv=${VER[linux-headers-$K72-$arch:$arch]}
	# the tree's .config records the pahole it was prepared with (BTF);
	# Kbuild warns on every module once another one is installed
	o=$MC/build/7.2_$v-$fl-$cc-hdr$hv-pahole$(pahole --version 2>/dev/null || echo none)
	if [ ! -e "$o/.done" ]; then
		hroot=$(xroot "hdr-$hv-$arch-7.2" "linux-headers-$K72-$arch:$arch") || return 1
		rm -rf "$o"
		mkdir -p "$o"
		if [ "$arch" = amd64 ]; then
			# linux-config-7.2 carries the amd64 configs; the arm64 one is
			# the .config of Debian's arm64 headers package
			fetch_debs "linux-config-$SRC72_VER" || return 1
			cfg=$(debfile "linux-config-$SRC72_VER") || return 1
			dpkg-deb --fsys-tarfile "$cfg" |
				tar -xO "./usr/src/linux-config-$SRC72_VER/config.amd64_none_amd64.xz" |
				xz -dc >"$o/.config" || return 1
		else
			cp "$(hdr_dir "$hroot" "$K72-arm64")/.config" "$o/.config" || return 1
		fi
		"$src/scripts/config" --file "$o/.config" \
			--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
			--set-str MODULE_SIG_KEY "" --disable MODULE_SIG_ALL || return 1
		make -s -C "$src" O="$o" "${args[@]}" olddefconfig || return 1
		make -s -C "$src" O="$o" "${args[@]}" -j"$JOBS" modules_prepare || return 1
		cp "$(hdr_dir "$hroot" "$K72-$arch")/Module.symvers" "$o/" || return 1
		touch "$o/.done"
	fi
	echo "$o"
}

tree_7.2-amd64() { prep72 amd64; }
tree_7.2-arm64() { prep72 arm64; }
tree_7.2-clang() { prep72 clang; }

# sparse72: sid's sparse (0.6.4 cannot parse 7.x headers and C=2 then does
# nothing), built from Debian's source package with the local gcc.
sparse72() {
	local v d
	v=$(candidate_in sparse sid)
	[ -n "$v" ] || { echo "no sparse in sid" >&2; return 1; }
	d=$MC/sparse/$v
	if [ ! -e "$d/.done" ]; then
		rm -rf "$d"
		mkdir -p "$d"
		(cd "$d" && apt-get -q -o APT::Sandbox::User=root source --download-only \
			"sparse=$v" && dpkg-source -x ./*.dsc src) >&2 || return 1
		make -s -C "$d/src" CC=gcc -j"$JOBS" sparse >&2 || return 1
		touch "$d/.done"
	fi
	echo "$d/src/sparse"
}

# candidate_in PKG SUITE: the version of source package PKG in SUITE
candidate_in() {
	apt-cache madison "$1" 2>/dev/null |
		awk -F'|' -v s="$2/" '$3 ~ s && $3 ~ /Sources/ { gsub(/ /, "", $2); print $2; exit }'
}
