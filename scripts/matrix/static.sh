#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make static: sparse (C=2) against every amd64 kernel of the matrix,
# checkpatch.pl --strict on every .c/.h of ours, coccicheck, and the uapi
# header checks (standalone C/C++ -m64/-m32, no padding, layout, ioctl
# numbers, ioctl magic registration). One "ok NAME" / "not ok NAME - reason"
# line per step, then "N passed, N failed" (also in out/static.tally).
# Ignored findings: scripts/matrix/ignores.sh, nowhere else.
#
#   scripts/matrix/static.sh [NAME...]    only the steps whose name matches
#
# Environment: SRC=<dir> checks that tree instead of the repository.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/trees.sh"
. "$(dirname "$0")/ignores.sh"

ONLY=("$@")
UAPI=include/uapi/xen/privcmd-eventfd.h

wanted() {
	local p
	[ ${#ONLY[@]} = 0 ] && return 0
	for p in "${ONLY[@]}"; do [[ $1 == *$p* ]] && return 0; done
	return 1
}

# ---- sparse ------------------------------------------------------------------

# sparse_step KERNEL CHECKER: C=2 (check every file) on a fresh copy; any
# diagnostic fails, and so does a run in which sparse checked fewer files
# than Kbuild compiles (a checker that silently did nothing).
sparse_step() {
	local name=sparse-$1 log=$LOGDIR/sparse-$1.log kdir b want got checker
	wanted "$name" || return 0
	# preparation output (kernel and sparse builds) is not ours: apart
	if ! kdir=$("tree_$1" 2>"$LOGDIR/$name.prep.log") ||
	   ! checker=$("$2" 2>>"$LOGDIR/$name.prep.log"); then
		not_ok "$name" "tree or sparse preparation failed" "$LOGDIR/$name.prep.log"
		return
	fi
	: >"$log"
	b=$LOGDIR/$name
	copy_src "$b"
	if ! make -C "$b" KDIR="$kdir" C=2 CHECK="$checker" W=1 KCFLAGS=-Werror \
	     -j"$JOBS" modules >>"$log" 2>&1; then
		not_ok "$name" "$(step_reason "$log")" "$log"
		return
	fi
	want=$(find "$b/drivers" -name '*.c' | wc -l)
	got=$(grep -c '^  CHECK ' "$log")
	if ! log_clean "$log"; then
		not_ok "$name" "$(step_reason "$log")" "$log"
	elif [ "$got" -lt "$want" ]; then
		not_ok "$name" "sparse checked $got of $want files" "$log"
	else
		ok "$name"
	fi
}

sparse_bookworm() { command -v sparse; }

# ---- checkpatch --------------------------------------------------------------

# Our C sources and headers: the module, its headers, the selftests, the
# lab's guest agent, guest module and demo (tools/testing/xen-lab) and the
# userspace tests of scripts/matrix. Tracked and new files alike.
our_c_files() {
	(cd "$SRC" && find drivers include tools/testing/selftests/xen-privcmd-eventfd \
		tools/testing/xen-lab scripts/matrix -name '*.[ch]' 2>/dev/null |
		sed 's|^\./||' | sort)
}

checkpatch_ignores() {
	local f=$1 g list
	list=$(IFS=,; echo "${CHECKPATCH_IGNORE_ALL[*]}")
	for g in "${!CHECKPATCH_IGNORE_FILE[@]}"; do
		# shellcheck disable=SC2053
		[[ $f == $g ]] && list=$list,${CHECKPATCH_IGNORE_FILE[$g]}
	done
	echo "$list"
}

checkpatch_all() {
	local src f name log
	if ! src=$(src72 2>"$LOGDIR/checkpatch.log"); then
		not_ok checkpatch "linux-source-7.2 unpack failed" "$LOGDIR/checkpatch.log"
		return
	fi
	# run on a copy outside git: in a git tree --strict leaves a
	# .checkpatch-camelcase.git.* cache file behind
	rm -rf "$LOGDIR/checkpatch-src"
	mkdir -p "$LOGDIR/checkpatch-src"
	our_c_files | tar -C "$SRC" -c -T - | tar -C "$LOGDIR/checkpatch-src" -x
	for f in $(our_c_files); do
		name=checkpatch:$f
		wanted "$name" || continue
		log=$LOGDIR/checkpatch-${f//\//_}.log
		(cd "$LOGDIR/checkpatch-src" && "$src/scripts/checkpatch.pl" --strict --no-tree --root="$src" --terse \
			--show-types --no-summary --ignore "$(checkpatch_ignores "$f")" \
			-f "$f") >"$log" 2>&1
		if [ -s "$log" ]; then
			not_ok "$name" "$(wc -l <"$log") finding(s): $(head -n1 "$log" | cut -c1-140)"
			sed -n '2,$p' "$log" | head -n 20 | sed 's/^/#   /'
		else
			ok "$name"
		fi
	done
}

# ---- coccicheck --------------------------------------------------------------

coccicheck_step() {
	local name=coccicheck log=$LOGDIR/coccicheck.log src b found pat
	wanted "$name" || return 0
	if ! src=$(src72 2>"$log"); then
		not_ok "$name" "linux-source-7.2 unpack failed" "$log"
		return
	fi
	b=$LOGDIR/cocci-src
	copy_src "$b"
	if ! make -C "$src" coccicheck MODE=report M="$b" J="$JOBS" >>"$log" 2>&1; then
		not_ok "$name" "coccicheck failed to run" "$log"
		return
	fi
	# reports name our files: ./drivers/...c:LINE:COL-COL: message
	found=$(grep -E '^\.?/?[^ ]+\.[ch]:[0-9]+' "$log" | grep -v '^/usr/bin/spatch')
	for pat in "${COCCI_IGNORE[@]}"; do
		found=$(grep -vE -- "$pat" <<<"$found")
	done
	if ! grep -q 'spatch' "$log"; then
		not_ok "$name" "no spatch run in the log" "$log"
	elif [ -n "$found" ]; then
		not_ok "$name" "$(wc -l <<<"$found") report(s): $(head -n1 <<<"$found" | cut -c1-140)"
		sed -n '2,$p' <<<"$found" | head -n 20 | sed 's/^/#   /'
	else
		ok "$name"
	fi
}

# ---- uapi header -------------------------------------------------------------

# gcc -m32 finds <asm/*.h> in /usr/include/i386-linux-gnu, which only the
# i386 linux-libc-dev provides; gcc-multilib (which conflicts with the
# aarch64 cross compiler) would symlink /usr/include/asm. The x86 asm uapi
# headers are bi-arch, so point -m32 at the amd64 ones, in the cache.
m32_include() {
	mkdir -p "$MC/m32-include"
	ln -sfn /usr/include/x86_64-linux-gnu/asm "$MC/m32-include/asm"
	echo "$MC/m32-include"
}

# uapi_compile NAME COMPILER FLAGS...: the header alone in one translation unit
uapi_compile() {
	local name=$1 log=$LOGDIR/$1.log
	shift
	wanted "$name" || return 0
	if echo "#include <xen/privcmd-eventfd.h>" |
	   "$@" -I"$SRC/include/uapi" -isystem "$(m32_include)" \
		-Wall -Wextra -Werror -c -o /dev/null - >"$log" 2>&1; then
		ok "$name"
	else
		not_ok "$name" "$(step_reason "$log")" "$log"
	fi
}

# uapi_order NAME FIRST SECOND: a backend that also includes the <xen/privcmd.h>
# of a 6.7+ linux-libc-dev (IOCTL_PRIVCMD_IRQFD, struct privcmd_irqfd;
# the stand-in in scripts/matrix/privcmd-6.7) must compile with either
# include order, in C and C++.
uapi_order() {
	local name=$1 log=$LOGDIR/$1.log cc
	wanted "$name" || return 0
	: >"$log"
	for cc in "gcc -x c" "g++ -x c++" "gcc -x c -std=c90 -pedantic"; do
		echo "== $cc: $2 then $3" >>"$log"
		# shellcheck disable=SC2086
		printf '#include <%s>\n#include <%s>\n' "$2" "$3" |
			$cc -I"$SRC/include/uapi" -I"$REPO/scripts/matrix/privcmd-6.7" \
			-Wall -Wextra -Werror -c -o /dev/null - >>"$log" 2>&1 || {
			not_ok "$name" "$cc: $(step_reason "$log")" "$log"
			return
		}
	done
	ok "$name"
}

# uapi_layout.c holds one table of expected sizes, offsets and ioctl
# numbers as _Static_asserts; it is compiled (-c, never run: the host may
# not execute 32-bit binaries) once per ABI. Both compiling means both ABIs
# have that one layout, so -m64 equals -m32.
declare -A LAYOUT_OK
uapi_layout() {
	local m log
	for m in 64 32; do
		log=$LOGDIR/uapi-layout-m$m.log
		wanted "uapi-layout-m$m" || wanted uapi-layout-m64-equals-m32 || continue
		if gcc -m$m -Wall -Wextra -Werror -I"$SRC/include/uapi" \
			-isystem "$(m32_include)" -c -o "$LOGDIR/uapi_layout-m$m.o" \
			"$REPO/scripts/matrix/uapi_layout.c" >"$log" 2>&1; then
			LAYOUT_OK[$m]=1
			wanted "uapi-layout-m$m" && ok "uapi-layout-m$m"
		else
			wanted "uapi-layout-m$m" &&
				not_ok "uapi-layout-m$m" "$(step_reason "$log")" "$log"
		fi
	done
	wanted uapi-layout-m64-equals-m32 || return 0
	if [ -n "${LAYOUT_OK[64]:-}" ] && [ -n "${LAYOUT_OK[32]:-}" ]; then
		ok uapi-layout-m64-equals-m32
	else
		not_ok uapi-layout-m64-equals-m32 \
			"uapi_layout.c's one table does not hold on$([ -n "${LAYOUT_OK[64]:-}" ] || echo ' -m64')$([ -n "${LAYOUT_OK[32]:-}" ] || echo ' -m32')"
	fi
}

# Every struct of the header, every member of each struct and every ioctl
# number must have its line in uapi_layout.c (SIZE, FIELD, IOCTL).
uapi_all_structs() {
	local lay=$REPO/scripts/matrix/uapi_layout.c s m missing=
	wanted uapi-layout-all-structs || return 0
	for s in $(sed -n 's/^struct \([a-z0-9_]*\) {.*/\1/p' "$SRC/$UAPI"); do
		grep -q "^SIZE($s, [0-9]*);" "$lay" || missing="$missing $s"
		for m in $(awk -v s="$s" '
			$0 ~ "^struct " s " {" { on = 1; next }
			on && /^};/ { on = 0 }
			on && /;/ { sub(/\[.*/, ""); sub(/;.*/, ""); print $NF }' "$SRC/$UAPI"); do
			grep -q "^FIELD($s, [0-9]*, [0-9]*, $m);" "$lay" ||
				missing="$missing $s.$m"
		done
	done
	for m in $(sed -n 's/^#define \([A-Z0-9_]*\)[[:space:]].*_IO[RW]*(.*/\1/p; s/^#define \([A-Z0-9_]*\)[[:space:]]*\\$/\1/p' \
			"$SRC/$UAPI"); do
		grep -q "^IOCTL($m, " "$lay" || missing="$missing $m"
	done
	if [ -z "$missing" ]; then
		ok uapi-layout-all-structs
	else
		not_ok uapi-layout-all-structs "not in scripts/matrix/uapi_layout.c:$missing"
	fi
}

# PRIVCMD_EVENTFD_IOC_MAGIC against 7.2's ioctl-number.rst
ioctl_magic() {
	local name=ioctl-magic src magic rst users
	wanted "$name" || return 0
	magic=$(sed -n 's/^#define PRIVCMD_EVENTFD_IOC_MAGIC[[:space:]]*\(0x[0-9A-Fa-f]*\).*/\1/p' \
		"$SRC/$UAPI")
	if [ -z "$magic" ] || ! src=$(src72 2>/dev/null); then
		not_ok "$name" "no PRIVCMD_EVENTFD_IOC_MAGIC or no 7.2 tree"
		return
	fi
	rst=$src/Documentation/userspace-api/ioctl/ioctl-number.rst
	magic=$(printf '0x%02X' "$magic")
	users=$(grep -i "^$magic " "$rst" | awk '{ print $3 }' | sort -u | tr '\n' ' ')
	if [ -n "$users" ]; then
		not_ok "$name" "$magic is registered in ioctl-number.rst (7.2) to: $users"
	else
		ok "$name"
	fi
}

T0=$(date +%s)
tally_start static
if host_setup "${MATRIX_PKGS[@]}" "${STATIC_PKGS[@]}"; then
	sparse_step 5.10-amd64 sparse_bookworm
	sparse_step 6.1-amd64 sparse_bookworm
	sparse_step 6.12-amd64 sparse_bookworm
	sparse_step 7.2-amd64 sparse72
	checkpatch_all
	coccicheck_step
	uapi_compile uapi-header-c-m64 gcc -m64 -x c
	uapi_compile uapi-header-c90-m64 gcc -m64 -x c -std=c90 -pedantic
	uapi_compile uapi-header-c++-m64 g++ -m64 -x c++
	uapi_compile uapi-header-c-m32 gcc -m32 -x c
	uapi_compile uapi-header-c90-m32 gcc -m32 -x c -std=c90 -pedantic
	uapi_compile uapi-header-c++-m32 g++ -m32 -x c++
	uapi_compile uapi-header-clang-m64 clang-19 -m64 -x c
	uapi_compile uapi-nopad-m64 gcc -m64 -x c -Wpadded
	uapi_compile uapi-nopad-m32 gcc -m32 -x c -Wpadded
	uapi_order uapi-order-privcmd-first xen/privcmd.h xen/privcmd-eventfd.h
	uapi_order uapi-order-eventfd-first xen/privcmd-eventfd.h xen/privcmd.h
	uapi_layout
	uapi_all_structs
	ioctl_magic
fi
echo "# static took $(($(date +%s) - T0)) s"
tally_end
