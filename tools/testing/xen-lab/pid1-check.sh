#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-only check (no Xen) of dom0-init.sh's process handling: runs the
# script's own pause/limit helpers as PID 1 of a fresh PID namespace, as
# dom0 does. Dom0's one vCPU often loses the physical CPU for longer than
# a 0.1 s pause under TCG; a pause shorter than bash's own path from
# arming the timer to its first read puts bash in the same state
# deterministically: the timeout has passed before the read starts (bash
# 5.2's read -t then restores an uninitialised signal mask; fixed in 5.3).
#
#   pid1-check.sh [DOM0_INIT_SH]      (root: unshare -p; gcc for xenlab-init)
#
# A script that uses xenlab-init gets it built from xenlab-init.c next to
# this file and runs under it as PID 1, as dom0 does.
#
# Fails when a bounded /bin/true hits its deadline (a child that exited
# but was not noticed), when a zombie outlives 3 s, or when the shell's
# blocked-signal mask is no longer empty (inherited by every child).
set -u
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
SCRIPT=${1:-$LAB_DIR/dom0-init.sh}
N=${XENLAB_CHECK_ITERS:-60}
W=$(mktemp -d /tmp/xenlab-pid1.XXXX)
trap 'rm -rf "$W"' EXIT
INIT=""
if grep -q xenlab-init "$SCRIPT"; then
	INIT=$W/xenlab-init
	gcc -static -O2 -Wall -Wextra -o "$INIT" "$LAB_DIR/xenlab-init.c" || exit 2
fi

# The helpers exactly as the script defines them: from "# pause SECONDS"
# up to "# xs CMD".
sed -n '/^# pause SECONDS/,/^# xs CMD/p' "$SCRIPT" | sed 's#/run/#'"$W"'/#g' >"$W/helpers.sh"
[ -s "$W/helpers.sh" ] || { echo "pid1-check: no helpers found in $SCRIPT"; exit 2; }

cat >"$W/body.sh" <<BODY
#!/bin/bash
XI=$INIT
. $W/helpers.sh
bad=0
for i in \$(seq $N); do
	a=\$(cut -d' ' -f1 /proc/uptime)
	limit 3 /bin/true
	rc=\$?
	b=\$(cut -d' ' -f1 /proc/uptime)
	while IFS=\$'\\t' read -r k v; do [ "\$k" = SigBlk: ] && blk=\$v; done </proc/\$\$/status
	z=\$(awk '\$3 == "Z" { n++ } END { print n + 0 }' /proc/[0-9]*/stat 2>/dev/null)
	if [ "\$rc" != 0 ] || [ "\$blk" != 0000000000000000 ]; then
		bad=\$((bad + 1))
		echo "iter \$i: limit 3 /bin/true rc=\$rc in \$(awk -v a=\$a -v b=\$b 'BEGIN { print b - a }')s, zombies \$z, shell SigBlk \$blk"
	fi
	( /bin/true & )		# an orphan for PID 1 to reap
	pause 0.000001		# a pause whose time is up before it starts
done
sleep 3
z=\$(awk '\$3 == "Z" { print \$1, \$2 }' /proc/[0-9]*/stat 2>/dev/null)
[ -n "\$z" ] && { echo "zombies left: \$z"; bad=\$((bad + 1)); }
echo "pid1-check: shell pid \$\$ (PID 1: \$(tr '\0' ' ' </proc/1/cmdline)), \$bad bad of $N"
[ "\$bad" = 0 ]
BODY
chmod +x "$W/body.sh"

if [ -n "$INIT" ]; then
	XENLAB_INIT_EXIT=1 unshare -fp --mount-proc "$INIT" "$W/body.sh" &
else
	unshare -fp --mount-proc "$W/body.sh" &
fi
us=$!
wait "$us"
rc=$?
echo "pid1-check: $([ $rc = 0 ] && echo PASS || echo FAIL) ($SCRIPT)"
exit $rc
