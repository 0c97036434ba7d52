#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: the whole verification of the project, in one command.
#
#   0. set-up tests   (scripts/tests: choice of kernel builds, dom0 PID 1)
#   1. build matrix   (scripts/matrix: every kernel, arm64, clang, DKMS)
#   2. static checks  (sparse, checkpatch, coccicheck, uapi header)
#      deb            (Debian packages: lintian, DKMS install in a chroot)
#   3. lab            (kselftests in a real Xen dom0 under QEMU, every combo)
#
# Each step prints its own "N passed, N failed" line; this script runs them
# all (a failing step does not hide the others), then prints one line that
# adds them up and exits non-zero if anything failed or a step produced no
# tally at all. Logs: out/check/<step>.log.
#
#   scripts/check.sh [setup] [matrix] [static] [deb] [lab]     (default: all)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/out/check
mkdir -p "$OUT"

# Every dom0 setup by default (LAB=all); LAB=pv-6.12 etc. for one.
lab_combos=${LAB:-all}
# The -smp combinations (the module's handler beside ioctls and releases
# on a second dom0 vCPU) are opt-in, LAB=pv-6.12-smp,pv-6.1-smp: under
# multi-threaded TCG the guests triple-fault now and then (see
# Documentation/lab.md), which would make every make check a gamble.
[ "$lab_combos" = all ] && lab_combos=pv-6.12,pvh-6.12,pv-6.1

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(setup matrix static deb lab)

total_pass=0
total_fail=0
total_skip=0
summary=()

run_step() {
	local name=$1 log=$OUT/$1.log t0=$SECONDS rc line p f s
	shift
	echo "=== check: $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		p=0; f=1; s=0
		echo "=== check: $name printed no tally (exit $rc): counted as a failure"
	else
		p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
		s=0
		if grep -q skipped <<<"$line"; then
			s=$(sed -E 's/.*\b([0-9]+) skipped.*/\1/' <<<"$line")
		fi
		# A step that failed without counting it still fails the run.
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			f=1
			echo "=== check: $name exited $rc with 0 failed: counted as a failure"
		fi
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	summary+=("$(printf '%-7s %4d passed, %3d failed, %3d skipped  (%ds)' \
		"$name" "$p" "$f" "$s" $((SECONDS - t0)))")
}

for step in "${steps[@]}"; do
	case $step in
	setup)	run_step setup "$REPO/scripts/tests/run.sh" ;;
	matrix) run_step matrix "$REPO/scripts/matrix/matrix.sh" ;;
	static) run_step static "$REPO/scripts/matrix/static.sh" ;;
	deb)	run_step deb "$REPO/scripts/deb-test.sh" ;;
	lab)	run_step lab "$REPO/tools/testing/xen-lab/run.sh" --combo "$lab_combos" ;;
	*) echo "check: unknown step $step" >&2; exit 2 ;;
	esac
done

echo "=== check summary (${SECONDS}s)"
printf '%s\n' "${summary[@]}"
# What the results ran on, as set-up chose it from the mirror.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/xen-privcmd-eventfd
sed -n 's/^# \([0-9.]*\): \([^:]*\):.*/versions: matrix kernel \1: \2/p' \
	"$cache/matrix/kernels.env" 2>/dev/null
sed -n -e 's/^K6[0-9]*_PKGS="\(linux-image-[^ ]*\).*/versions: lab kernel \1/p' \
	-e 's/^\(XEN_VER\|QEMU_VER\)=\(.*\)/versions: lab \1 \2/p' \
	"$cache/lab/versions.env" 2>/dev/null
if [ "$total_skip" -gt 0 ]; then
	echo "check: $total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "check: $total_pass passed, $total_fail failed"
fi
[ "$total_fail" = 0 ]
