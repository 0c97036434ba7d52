#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the lab's dom0 (the one program of run.sh --bench): load the
# module (no dynamic debug), then run the benchmark with the lab's guests.
cd "$(dirname "$0")" || exit 1
if [ -z "${XENLAB_MODULE:-}" ]; then
	echo "bench: the module did not build for this kernel" >&2
	exit 1
fi
modprobe xen-privcmd 2>/dev/null
grep -q '^xen_privcmd_eventfd ' /proc/modules || insmod "$XENLAB_MODULE" || exit 1
echo "# bench: dom0 $(uname -r), $(nproc) CPUs, combo ${XENLAB_COMBO:-?}"
exec ./xenlab-bench
