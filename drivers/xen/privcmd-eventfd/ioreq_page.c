// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own mapping of an ioreq server's synchronous ioreq page.
 *
 * The module never dereferences the device model's mapping: it acquires
 * the page from Xen itself (XENMEM_acquire_resource), so the page stays
 * mapped for as long as the module needs it, whatever the device model
 * does with its own mapping.
 *
 * Auto-translated domains (PVH dom0, Arm) give Xen the frame number of an
 * unpopulated page, which Xen then backs with the ioreq page. An x86 PV
 * domain gets the machine frame back instead and must map it itself: the
 * module points the PTE of a private vmalloc() page at it with a foreign
 * mmu_update, and puts the original PTE back on unmap.
 */
#define pr_fmt(fmt) "xen-privcmd-eventfd: " fmt

#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/vmalloc.h>

#include <xen/features.h>
#include <xen/interface/xen.h>
#include <xen/interface/memory.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/xen-ops.h>

#include <asm/xen/hypercall.h>

#include "privcmd_eventfd.h"

/* Frame 0 is the buffered ioreq page, frame 1 the first synchronous one. */
#define IOREQ_SERVER_FRAME_IOREQ	1

static int acquire_ioreq_frame(domid_t dom, u32 id, xen_pfn_t *frame)
{
	struct xen_mem_acquire_resource xdata = {
		.domid = dom,
		.type = XENMEM_resource_ioreq_server,
		.id = id,
		.frame = IOREQ_SERVER_FRAME_IOREQ,
		.nr_frames = 1,
	};

	int rc;

	set_xen_guest_handle(xdata.frame_list, frame);
	rc = HYPERVISOR_memory_op(XENMEM_acquire_resource, &xdata);
	if (rc)
		pr_debug("d%u ioreq server %u: acquire_resource: %d\n", dom, id, rc);
	/* No such domain: the contract says ENOENT, as for no such server. */
	if (rc == -ESRCH)
		return -ENOENT;
	return pe_errno_from_xen(rc);
}

static int map_xlate(struct pe_ioreq_page *ip, domid_t dom, u32 id)
{
	struct xen_remove_from_physmap xrp = { .domid = DOMID_SELF };
	xen_pfn_t frame;
	int rc;

	rc = xen_alloc_unpopulated_pages(1, &ip->page);
	if (rc)
		return -ENOMEM;

	frame = xen_page_to_gfn(ip->page);
	rc = acquire_ioreq_frame(dom, id, &frame);
	if (rc)
		goto err_free;

	ip->ioreq = page_to_virt(ip->page);
	return 0;

err_free:
	/* Xen may have mapped part of the request before failing. */
	xrp.gpfn = xen_page_to_gfn(ip->page);
	HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &xrp);
	xen_free_unpopulated_pages(1, &ip->page);
	ip->page = NULL;
	return rc;
}

static void unmap_xlate(struct pe_ioreq_page *ip)
{
	struct xen_remove_from_physmap xrp = {
		.domid = DOMID_SELF,
		.gpfn = xen_page_to_gfn(ip->page),
	};

	HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &xrp);
	xen_free_unpopulated_pages(1, &ip->page);
	ip->page = NULL;
}

#ifdef CONFIG_XEN_PV
/*
 * Point the kernel PTE of @va at machine address @pteval, a frame owned by
 * @dom. The frame is a machine frame even when @dom is translated (the
 * ioreq page is not in the guest's p2m), so Xen must not translate it.
 */
static int pv_set_kernel_pte(void *va, u64 pteval, domid_t dom)
{
	struct mmu_update u;
	struct mmuext_op flush = {
		.cmd = MMUEXT_INVLPG_ALL,
		.arg1.linear_addr = (unsigned long)va,
	};
	unsigned int level;
	pte_t *ptep;
	int rc;

	ptep = lookup_address((unsigned long)va, &level);
	if (!ptep || level != PG_LEVEL_4K) {
		pr_debug("no 4K PTE for %p (level %u)\n", va, level);
		return -EFAULT;
	}

	u.ptr = arbitrary_virt_to_machine(ptep).maddr |
		(dom == DOMID_SELF ? MMU_NORMAL_PT_UPDATE :
				     MMU_PT_UPDATE_NO_TRANSLATE);
	u.val = pteval;
	rc = HYPERVISOR_mmu_update(&u, 1, NULL, dom);
	if (rc) {
		pr_debug("mmu_update(%#llx, %#llx, d%u): %d\n",
			 (unsigned long long)u.ptr, (unsigned long long)u.val, dom, rc);
		return pe_errno_from_xen(rc);
	}

	/* Other CPUs may still cache the vmalloc() mapping of @va. */
	HYPERVISOR_mmuext_op(&flush, 1, NULL, DOMID_SELF);
	return 0;
}

static int map_pv(struct pe_ioreq_page *ip, domid_t dom, u32 id)
{
	xen_pfn_t mfn = 0;
	unsigned int level;
	pte_t *ptep;
	int rc;

	rc = acquire_ioreq_frame(dom, id, &mfn);
	if (rc)
		return rc;

	ip->area = vmalloc(PAGE_SIZE);
	if (!ip->area)
		return -ENOMEM;

	ptep = lookup_address((unsigned long)ip->area, &level);
	if (!ptep || level != PG_LEVEL_4K) {
		rc = -EFAULT;
		goto err_free;
	}
	/* A PV guest's page tables hold machine addresses: keep it raw. */
	ip->saved_pte = pte_val_ma(*ptep);

	rc = pv_set_kernel_pte(ip->area,
			       ((u64)mfn << PAGE_SHIFT) |
			       (ip->saved_pte & ~PTE_PFN_MASK), dom);
	if (rc)
		goto err_free;

	ip->ioreq = ip->area;
	return 0;

err_free:
	vfree(ip->area);
	ip->area = NULL;
	return rc;
}

static void unmap_pv(struct pe_ioreq_page *ip)
{
	/*
	 * Restoring the PTE drops the foreign mapping (and Xen's reference on
	 * the ioreq page); only then may vfree() see the page again. If that
	 * failed, leaking the area is the only safe choice.
	 */
	if (pv_set_kernel_pte(ip->area, ip->saved_pte, DOMID_SELF)) {
		pr_err("cannot unmap ioreq page, leaking it\n");
		return;
	}
	vfree(ip->area);
	ip->area = NULL;
}
#else
static int map_pv(struct pe_ioreq_page *ip, domid_t dom, u32 id)
{
	return -EOPNOTSUPP;
}

static void unmap_pv(struct pe_ioreq_page *ip)
{
}
#endif

/**
 * pe_ioreq_page_map() - map the synchronous ioreq page of a server
 * @ip: zeroed mapping descriptor to fill in
 * @dom: the guest
 * @id: the ioreq server id
 *
 * Return: 0, -ENOENT if the domain or server does not exist, -EPERM if
 * the server belongs to another device model domain, -ENOMEM, or another
 * error Xen reported.
 */
int pe_ioreq_page_map(struct pe_ioreq_page *ip, domid_t dom, u32 id)
{
	if (xen_feature(XENFEAT_auto_translated_physmap))
		return map_xlate(ip, dom, id);
	return map_pv(ip, dom, id);
}

/**
 * pe_ioreq_page_unmap() - undo pe_ioreq_page_map()
 * @ip: a mapping made by pe_ioreq_page_map()
 */
void pe_ioreq_page_unmap(struct pe_ioreq_page *ip)
{
	if (ip->page)
		unmap_xlate(ip);
	else if (ip->area)
		unmap_pv(ip);
	ip->ioreq = NULL;
}
