#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel API facts the module depends on, read from Debian's sources and
# Module.symvers of 5.10, 6.1, 6.12 and 7.2 (not part of make matrix; run by
# hand when a kernel of the matrix changes, results go in the report to the
# module's author). Prints a plain-text table.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/trees.sh"

SYMS=(lookup_address arbitrary_virt_to_machine apply_to_existing_page_range
      xen_alloc_unpopulated_pages xen_privcmd_fops
      bind_evtchn_to_irqhandler_lateeoi xen_irq_lateeoi eventfd_ctx_do_read
      vmap_pfn)
FILES=(drivers/xen/evtchn.c include/xen/interface/memory.h
       include/xen/interface/event_channel.h
       arch/x86/include/asm/xen/hypercall.h include/xen/arm/hypercall.h
       mm/memory.c mm/vmalloc.c fs/eventfd.c drivers/xen/privcmd.c
       drivers/xen/events/events_base.c drivers/xen/unpopulated-alloc.c
       arch/x86/mm/pat/set_memory.c arch/x86/xen/mmu_pv.c arch/x86/xen/mmu.c)

# src_files SERIES SUITE: the FILES of linux-source-SERIES, unpacked once
src_files() {
	local pkg=linux-source-$1 v d deb
	resolve "$pkg"
	v=${VER[$pkg:amd64]}
	d=$MC/facts/${pkg}_$v
	if [ ! -e "$d/.done" ]; then
		fetch_debs "$pkg" || return 1
		deb=$(debfile "$pkg")
		rm -rf "$d"
		mkdir -p "$d"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO --wildcards "./usr/src/$pkg.tar.*" |
			xz -T"$JOBS" -dc |
			tar -x -C "$d" --strip-components=1 --wildcards \
				"${FILES[@]/#/$pkg/}" 2>/dev/null
		touch "$d/.done"
	fi
	echo "$d"
}

symvers() {
	case $1 in
	5.10) echo "/usr/src/linux-headers-$K510/Module.symvers" ;;
	6.1) echo "/usr/src/linux-headers-$K61-amd64/Module.symvers" ;;
	6.12) echo "$(tree_6.12-amd64)/Module.symvers" ;;
	7.2) echo "$(prep72 amd64)/Module.symvers" ;;
	esac
}

resolve "${MATRIX_DEBS[@]}" linux-source-5.10 linux-source-6.1 linux-source-6.12
for k in 5.10 6.1 6.12 7.2; do
	d=$(src_files "$k") || { echo "$k: source unavailable"; continue; }
	sv=$(symvers "$k")
	echo "=== $k (source $(basename "$d"))"
	for s in "${SYMS[@]}"; do
		e=$(awk -v s="$s" '$2 == s { print $4; exit }' "$sv")
		src=$(grep -rhoE "EXPORT_SYMBOL(_GPL)?\($s\)" "$d" 2>/dev/null | head -n1)
		printf '  %-36s symvers(amd64): %-18s source: %s\n' "$s" "${e:-not exported}" \
			"${src:-no EXPORT in the files read}"
	done
	echo "  evtchn.c binds:"
	grep -n -A3 'bind_evtchn_to_irqhandler' "$d/drivers/xen/evtchn.c" | sed 's/^/    /'
	echo "  HYPERVISOR_event_channel_op:"
	grep -n -A1 'HYPERVISOR_event_channel_op(' "$d/arch/x86/include/asm/xen/hypercall.h" \
		"$d/include/xen/arm/hypercall.h" 2>/dev/null | sed "s|$d/||; s/^/    /"
	echo "  event_channel.h structs:"
	grep -nE 'struct evtchn_(status|bind_interdomain) \{|define EVTCHNOP_(status|bind_interdomain)' \
		"$d/include/xen/interface/event_channel.h" | sed 's/^/    /'
	echo "  memory.h acquire_resource:"
	grep -nE 'struct xen_mem_acquire_resource \{|XENMEM_acquire_resource|XENMEM_resource_ioreq_server' \
		"$d/include/xen/interface/memory.h" | sed 's/^/    /'
done
