#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the doorbell benchmark (bench/xenlab-bench.c) in the lab,
# one boot per combination, nothing else run; then the tables and the
# "bench:" lines of every boot. See Documentation/lab.md, "Benchmark".
#   bench.sh [--combo pv-6.12,pvh-6.12-smp ...]
# XENLAB_BENCH_KICKS (writes per sample and vCPU, 500), XENLAB_BENCH_REPS (5).
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../../.." && pwd)
WORK=${XENLAB_WORK:-$REPO/out/lab}
combos=pv-6.12,pv-6.12-smp,pvh-6.12,pvh-6.12-smp
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--combo) combos=$2; shift 2;;
	--combo=*) combos=${1#*=}; shift;;
	*) args+=("$1"); shift;;
	esac
done
# The benchmark takes longer than a test program.
export XENLAB_TEST_TIMEOUT=${XENLAB_TEST_TIMEOUT:-1800}
log=$WORK.bench.log
mkdir -p "$(dirname "$log")"
# The lab's own progress on the terminal, everything in the log.
"$LAB_DIR/run.sh" --combo "$combos" --bench "${args[@]}" 2>&1 | tee "$log" |
	grep --line-buffered -a '^lab:'
rc=${PIPESTATUS[0]}
echo
echo "# ===== make bench: $(date -u +%Y-%m-%d), full log $log ====="
for c in ${combos//,/ }; do
	tap=$WORK/$c/share/out/tap/xenlab-bench.sh.tap
	if [ ! -s "$tap" ]; then
		echo "# $c: no benchmark output (see $WORK/$c/serial.log)"
		continue
	fi
	# The tables, the bench: lines, count errors and failed samples.
	grep -a -v '^# \(sample: \|.*rep [0-9]*/\|.*userspace acked\)' "$tap"
done
tail -1 "$log"
exit "$rc"
