#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check's "setup" step: offline tests of the set-up and of the lab's
# own machinery, none of which needs the network or a Xen boot.
#   resolve-test.sh   the choice of kernel builds from a moving mirror
#   pid1-check.sh     dom0's PID 1 reaps every child; bounded commands end
#                     when their child does (tools/testing/xen-lab)
# Ends with "N passed, N failed".
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pass=0 fail=0

out=$("$REPO/scripts/tests/resolve-test.sh" 2>&1)
echo "$out"
line=$(tail -n 1 <<<"$out")
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	pass=$((pass + BASH_REMATCH[1])) fail=$((fail + BASH_REMATCH[2]))
else
	fail=$((fail + 1)); echo "not ok resolve-test: no tally"
fi

if "$REPO/tools/testing/xen-lab/pid1-check.sh" 2>&1 | sed 's/^/# /'; then
	pass=$((pass + 1)); echo "ok pid1-check"
else
	fail=$((fail + 1)); echo "not ok pid1-check"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
