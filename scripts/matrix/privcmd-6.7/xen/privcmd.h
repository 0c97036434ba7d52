/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for the <xen/privcmd.h> of a Linux 6.7 or newer linux-libc-dev,
 * for the include-order checks of scripts/matrix/static.sh
 * (uapi-order-*). Written for this test: it only has what matters for
 * those checks, the include guard, the <xen/interface/xen.h> include and
 * the names of the irqfd/ioeventfd ABI of the real header, with that ABI's
 * layout; one struct stands for the rest (hypercall, mmap, dm_op).
 */
#ifndef __LINUX_PUBLIC_PRIVCMD_H__
#define __LINUX_PUBLIC_PRIVCMD_H__

#include <linux/types.h>
#include <linux/ioctl.h>
#include <xen/interface/xen.h>

struct privcmd_hypercall {
	__u64 op;
	__u64 arg[5];
};

#define PRIVCMD_IRQFD_FLAG_DEASSIGN 0x1

struct privcmd_irqfd {
	__u64 dm_op;
	__u32 size;
	__u32 fd;
	__u32 flags;
	__u16 dom;
	__u8 pad[2];
};

#define PRIVCMD_IOEVENTFD_FLAG_DEASSIGN 0x1

struct privcmd_ioeventfd {
	__u64 ioreq;
	__u64 ports;
	__u64 addr;
	__u32 addr_len;
	__u32 event_fd;
	__u32 vcpus;
	__u32 vq;
	__u32 flags;
	__u16 dom;
	__u8 pad[2];
};

#define IOCTL_PRIVCMD_HYPERCALL \
	_IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))
#define IOCTL_PRIVCMD_IRQFD \
	_IOW('P', 8, struct privcmd_irqfd)
#define IOCTL_PRIVCMD_IOEVENTFD \
	_IOW('P', 9, struct privcmd_ioeventfd)

#endif /* __LINUX_PUBLIC_PRIVCMD_H__ */
