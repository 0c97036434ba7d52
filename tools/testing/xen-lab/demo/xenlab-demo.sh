#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the lab's dom0 (as the one "test" of run.sh --demo): load the
# module, then let xenlab-demo move kicks and interrupts through it.
cd "$(dirname "$0")" || exit 1
if [ -z "${XENLAB_MODULE:-}" ]; then
	echo "demo: the module did not build for this kernel" >&2
	exit 1
fi
modprobe xen-privcmd 2>/dev/null
grep -q '^xen_privcmd_eventfd ' /proc/modules || insmod "$XENLAB_MODULE" || exit 1
./xenlab-demo "${XENLAB_DEMO_KICKS:-1000}"
