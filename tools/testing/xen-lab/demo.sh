#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot Xen + a PV dom0 (6.12) + an HVM guest under QEMU; the guest
# kicks QUEUE_NOTIFY (0xfe000050) N times, dom0 receives the kicks through
# the module's ioeventfd and answers through its irqfd (event channel to
# the guest). Prints the counts at both ends.
#   demo.sh [--combo pv-6.1] ...   (XENLAB_DEMO_KICKS=N, default 1000)
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$LAB_DIR/run.sh" --combo pv-6.12 --no-pvh --demo "$@"
