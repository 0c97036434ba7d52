/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels this module builds for (5.10 to the
 * newest). Every shim names the kernel version or feature that changed;
 * the rest of the module uses only the names defined here.
 */
#ifndef _PRIVCMD_EVENTFD_COMPAT_H
#define _PRIVCMD_EVENTFD_COMPAT_H

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/version.h>

/*
 * <xen/interface/hvm/ioreq.h> appeared in 6.7. Choose by version, not
 * __has_include(): sparse 0.6.4 (Debian 12) cannot parse the latter.
 * Both copies share one include guard.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <xen/interface/hvm/ioreq.h>
#else
#include "../../../include/xen/interface/hvm/ioreq.h"
#endif

/* 6.8 dropped the counter argument of eventfd_signal(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define pe_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define pe_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

/* 6.12 made struct fd opaque: use fd_file() where it exists. */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

/*
 * LOCKDOWN_XEN_USER_ACTIONS came with privcmd's domU restriction (XSA-482)
 * and was backported piecemeal (Debian's 6.1.192 and 6.12.117 have it,
 * 5.10.223 has not); 7.2 is the oldest mainline tree checked here. It is
 * an enum, so #ifdef cannot find it: elsewhere use LOCKDOWN_MODULE_PARAMETERS,
 * which is in the same integrity tier, so lockdown answers the same and
 * only the reason it logs differs.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 2, 0)
#define PE_LOCKDOWN_UNRESTRICTED	LOCKDOWN_XEN_USER_ACTIONS
#else
#define PE_LOCKDOWN_UNRESTRICTED	LOCKDOWN_MODULE_PARAMETERS
#endif

/*
 * /dev/xen/evtchn binds ports with IRQF_SHARED since 6.7 (backported to
 * 6.6.19), which lets IOCTL_PRIVCMD_IOEVENTFD add its handler to a port
 * the device model bound. Before that, request_irq() fails with -EBUSY.
 * Only advisory (PRIVCMD_EVENTFD_FEAT_UPSTREAM_SHARED): the ioctl itself
 * reports what request_irq() says.
 */
static inline bool pe_evtchn_shares_irq(void)
{
	return LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0) ||
	       (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 19) &&
		LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0));
}

#endif /* _PRIVCMD_EVENTFD_COMPAT_H */
