#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of scripts/resolve.sh, the set-up's choice of kernel builds, on
# recorded `apt-cache madison` listings (scripts/tests/data/): no network.
# Each case feeds a listing and asserts what is picked, or that nothing is
# and the message says what is missing. One "ok"/"not ok" line per
# assertion, then "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DATA=$HERE/data
# shellcheck source=../resolve.sh
. "$HERE/../resolve.sh"

PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok $PASS - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok $((PASS + FAIL)) - $1"; }

RE61='6\.1\.0-[0-9]+'
RE612='6\.12\.[0-9]+\+deb12'

# pick NAME EXPECT SERIES RE NEED_IMAGE PREF_ABI PREF_VER < LISTING:
# resolve, then compare "R_ABI R_HEADERS_VER R_IMAGE_VER R_COMMON_VER
# R_KBUILD_PKG R_KBUILD_VER" with EXPECT. Returns 1 on a mismatch.
pick() {
	local name=$1 expect=$2 out got
	shift 2
	if ! out=$(resolve_kernel "$@" 2>/tmp/resolve-test.$$); then
		not_ok "$name: resolver failed: $(cat /tmp/resolve-test.$$)"
		return 1
	fi
	eval "$out"
	got="$R_ABI $R_HEADERS_VER $R_IMAGE_VER $R_COMMON_VER $R_KBUILD_PKG $R_KBUILD_VER"
	if [ "$got" = "$expect" ]; then
		ok "$name: $got ($R_WHY)"
	else
		not_ok "$name: got '$got', expected '$expect'"
		return 1
	fi
}

# fails NAME PATTERN SERIES RE NEED_IMAGE PREF_ABI PREF_VER < LISTING: the
# resolver must fail, and its message must match PATTERN (grep -E).
fails() {
	local name=$1 pat=$2 msg
	shift 2
	if resolve_kernel "$@" >/dev/null 2>/tmp/resolve-test.$$; then
		not_ok "$name: resolver picked a build where none is complete"
		return 1
	fi
	msg=$(cat /tmp/resolve-test.$$)
	if grep -qE "$pat" <<<"$msg"; then
		ok "$name: fails with: $msg"
	else
		not_ok "$name: message '$msg' does not match '$pat'"
		return 1
	fi
}
trap 'rm -f /tmp/resolve-test.$$' EXIT

L61=$DATA/madison-6.1-2026-12-02.txt
L612=$DATA/madison-6.12-2026-12-02.txt

# 1. The 2026-12-02 mirror: linux-kbuild-6.1 moved to 6.1.192-3 while the
#    6.1.0-56 image, headers and -common stayed at 6.1.192-2 (the
#    failure that stopped a fresh machine's set-up).
pick "6.1, pinned revision of kbuild gone, same upstream taken" \
	"6.1.0-56 6.1.192-2 6.1.192-2 6.1.192-2 linux-kbuild-6.1 6.1.192-3" \
	6.1 "$RE61" amd64 1 6.1.0-56 6.1.192-2 <"$L61"

# 2. Pin gone entirely: the newest complete build. 6.12.118's headers,
#    -common and kbuild are there but its image is not: 6.12.117 it is.
pick "6.12, pinned 6.12.113 gone, 6.12.118 has no image: 6.12.117" \
	"6.12.117+deb12 6.12.117-1~deb12u1 6.12.117-1~deb12u1 6.12.117-1~deb12u1 linux-kbuild-6.12.117+deb12 6.12.117-1~deb12u1" \
	6.12 "$RE612" amd64 1 6.12.100+deb12 6.12.100-1~deb12u1 <"$L612"

# 3. Without the image requirement (the build matrix) 6.12.118 is complete.
pick "6.12 headers only: the newest, 6.12.118" \
	"6.12.118+deb12 6.12.118-1~deb12u1  6.12.118-1~deb12u1 linux-kbuild-6.12.118+deb12 6.12.118-1~deb12u1" \
	6.12 "$RE612" amd64 0 "" "" <"$L612"

# 4. A complete preferred build wins over a newer one (stable caches).
pick "6.12, preferred 6.12.115 complete, kept" \
	"6.12.115+deb12 6.12.115-2~deb12u1 6.12.115-2~deb12u1 6.12.115-2~deb12u1 linux-kbuild-6.12.115+deb12 6.12.115-2~deb12u1" \
	6.12 "$RE612" amd64 1 6.12.115+deb12 6.12.115-2~deb12u1 <"$L612"

# 5. kbuild of another upstream version does not complete a build: with
#    6.1.192's kbuild replaced by 6.1.190's, only 6.1.0-54 (6.1.190) is
#    complete.
pick "6.1, kbuild only for 6.1.190: 6.1.0-54" \
	"6.1.0-54 6.1.190-1 6.1.190-1 6.1.190-1 linux-kbuild-6.1 6.1.190-1" \
	6.1 "$RE61" amd64 1 6.1.0-56 6.1.192-2 \
	< <(sed 's/^linux-kbuild-6.1 |  6.1.192-3 |/linux-kbuild-6.1 |  6.1.190-1 |/' "$L61")

# 5b. No preference: the newest complete build (6.1.0-57 on that day).
pick "6.1, no preference: the newest, 6.1.0-57" \
	"6.1.0-57 6.1.192-3 6.1.192-3 6.1.192-3 linux-kbuild-6.1 6.1.192-3" \
	6.1 "$RE61" amd64 1 "" "" <"$L61"

# 6. Nothing of the series: fail, naming what is missing.
fails "6.1, no kbuild at all: fails naming linux-kbuild" \
	'no complete 6\.1 \(amd64\) kernel build.*newest, 6\.1\.0-57 6\.1\.192-3, lacks linux-kbuild-6\.1\.0-57\|linux-kbuild-6\.1 \(6\.1\.192\)' \
	6.1 "$RE61" amd64 1 6.1.0-56 6.1.192-2 < <(grep -v '^linux-kbuild' "$L61")
fails "6.12, no image anywhere: fails naming linux-image" \
	'lacks linux-image-6\.12\.118\+deb12-amd64' \
	6.12 "$RE612" amd64 1 "" "" < <(grep -v '^linux-image' "$L612")
fails "5.10 asked of a 6.1 listing: fails naming the headers it looked for" \
	'no complete 5\.10 .*no linux-headers-<abi>-amd64 matching' \
	5.10 '5\.10\.0-[0-9]+' amd64 1 "" "" <"$L61"

# 7. arm64 headers with the host's (amd64) kbuild; an arm64-only kbuild
#    never stands in for the host's.
arm=$(sed -e 's/^linux-headers-6\.12\.117+deb12-amd64 /linux-headers-6.12.117+deb12-arm64 /' \
	-e '/6.12.117+deb12-arm64 /s/ amd64 Packages/ arm64 Packages/' "$L612")
pick "arm64 flavour, amd64 kbuild" \
	"6.12.117+deb12 6.12.117-1~deb12u1  6.12.117-1~deb12u1 linux-kbuild-6.12.117+deb12 6.12.117-1~deb12u1" \
	6.12 "$RE612" arm64 0 6.12.117+deb12 "" <<<"$arm"
fails "arm64 kbuild only: not taken for an amd64 host" 'lacks .*linux-kbuild' \
	6.12 "$RE612" amd64 1 6.12.117+deb12 6.12.117-1~deb12u1 \
	< <(grep -v '^linux-kbuild' "$L612"; grep '^linux-kbuild-6.12.117' "$L612" | sed 's/ amd64 Packages/ arm64 Packages/')

# 8. The harness itself can fail: a wrong expectation must be reported.
if (pick "self-check" "6.1.0-56 wrong" 6.1 "$RE61" amd64 1 6.1.0-56 6.1.192-2 <"$L61" >/dev/null); then
	not_ok "a wrong expectation is reported as not ok"
else
	ok "a wrong expectation is reported as not ok"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
