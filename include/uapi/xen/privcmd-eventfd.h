/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * privcmd-eventfd.h - ioeventfd and irqfd for Xen dom0 device models.
 *
 * Interface of /dev/xen/privcmd-eventfd. The device accepts the upstream
 * Linux IOCTL_PRIVCMD_IRQFD and IOCTL_PRIVCMD_IOEVENTFD requests bit for bit
 * (a backend written for upstream only changes the path it opens), plus the
 * PRIVCMD_EVENTFD_IOC_* extensions below. See
 * Documentation/xen-privcmd-eventfd.rst for semantics and the errno contract.
 *
 * Everything registered through an open file descriptor belongs to it and
 * is torn down when that file is released.
 */
#ifndef _UAPI_XEN_PRIVCMD_EVENTFD_H
#define _UAPI_XEN_PRIVCMD_EVENTFD_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* ---- Upstream-compatible ABI (Linux 6.7 include/uapi/xen/privcmd.h) ---- */

/*
 * A 6.7+ <xen/privcmd.h> defines the upstream ABI below unconditionally, so
 * if it came after this header it would redefine it. In userspace it is
 * therefore included first, whenever it can be: it needs a
 * <xen/interface/xen.h> that linux-libc-dev does not ship, and without one
 * it cannot be included at all and is left alone. Its include guard makes
 * a later #include <xen/privcmd.h> a no-op; before 6.7 it has no
 * IOCTL_PRIVCMD_IRQFD and the definitions below are used. (The quoted
 * form of __has_include finds what <> finds: no xen/xen/ directory next
 * to this header.)
 */
#if !defined(__KERNEL__) && defined(__has_include)
#if __has_include("xen/privcmd.h") && __has_include("xen/interface/xen.h")
#include <xen/privcmd.h>
#endif
#endif

#ifndef IOCTL_PRIVCMD_IRQFD

/** PRIVCMD_IRQFD_FLAG_DEASSIGN - remove the irqfd bound to &privcmd_irqfd.fd */
#define PRIVCMD_IRQFD_FLAG_DEASSIGN	(1U << 0)

/**
 * struct privcmd_irqfd - bind an eventfd to a device-model operation
 * @dm_op: user address of one dm_op buffer (a struct xen_dm_op) that is
 *	copied at assign time and issued with HYPERVISOR_dm_op() each time
 *	the eventfd is signalled. This device accepts only the interrupt
 *	operations XEN_DMOP_set_isa_irq_level, XEN_DMOP_set_pci_intx_level,
 *	XEN_DMOP_inject_msi (x86) and XEN_DMOP_set_irq_level (Arm); others
 *	fail with EINVAL
 * @size: size of the buffer at @dm_op in bytes: the operation's own size
 *	(header plus its member) or sizeof(struct xen_dm_op); never more
 *	than PRIVCMD_EVENTFD_DM_OP_MAX
 * @fd: the eventfd
 * @flags: 0 to assign, PRIVCMD_IRQFD_FLAG_DEASSIGN to remove
 * @dom: target domain of the dm_op
 * @pad: must be zero
 */
struct privcmd_irqfd {
	__u64 dm_op;
	__u32 size;
	__u32 fd;
	__u32 flags;
	__u16 dom;
	__u8 pad[2];
};

/** PRIVCMD_IOEVENTFD_FLAG_DEASSIGN - remove the ioeventfd bound to event_fd */
#define PRIVCMD_IOEVENTFD_FLAG_DEASSIGN	(1U << 0)

/**
 * struct privcmd_ioeventfd - signal an eventfd on a virtio-mmio queue notify
 * @ioreq: user address of the synchronous ioreq page of an ioreq server,
 *	mapped with privcmd's IOCTL_PRIVCMD_MMAP_RESOURCE (frame 1 of
 *	XENMEM_resource_ioreq_server)
 * @ports: user address of @vcpus __u32 local event channel ports, bound
 *	by the caller (through /dev/xen/evtchn) to each vCPU's vp_eport
 * @addr: guest physical base address of the virtio-mmio device; writes to
 *	@addr + 0x50 (VIRTIO_MMIO_QUEUE_NOTIFY) whose low 16 bits equal @vq
 *	signal @event_fd
 * @addr_len: size of the notify write in bytes: 1, 2, 4 or 8
 * @event_fd: the eventfd to signal
 * @vcpus: number of vCPUs of the guest (entries at @ports), 1 to 128
 * @vq: virtqueue index
 * @flags: 0 to assign, PRIVCMD_IOEVENTFD_FLAG_DEASSIGN to remove
 * @dom: the guest
 * @pad: must be zero
 */
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

/** IOCTL_PRIVCMD_IRQFD - assign or deassign an irqfd (upstream ABI) */
#define IOCTL_PRIVCMD_IRQFD		_IOW('P', 8, struct privcmd_irqfd)
/** IOCTL_PRIVCMD_IOEVENTFD - assign or deassign an ioeventfd (upstream ABI) */
#define IOCTL_PRIVCMD_IOEVENTFD		_IOW('P', 9, struct privcmd_ioeventfd)

#endif /* IOCTL_PRIVCMD_IRQFD */

/* ---- Extensions ---- */

/** PRIVCMD_EVENTFD_ABI_VERSION - reported by PRIVCMD_EVENTFD_IOC_VERSION */
#define PRIVCMD_EVENTFD_ABI_VERSION	1

/**
 * PRIVCMD_EVENTFD_DM_OP_MAX - bound of an irqfd's dm_op size; the interrupt
 * operations an irqfd may store are at most sizeof(struct xen_dm_op)
 */
#define PRIVCMD_EVENTFD_DM_OP_MAX	256

/** PRIVCMD_EVENTFD_MAX_VCPUS - ioreq slots in one 4 KiB ioreq frame */
#define PRIVCMD_EVENTFD_MAX_VCPUS	128

/** PRIVCMD_EVENTFD_MAX_IOEVENTFDS - ioeventfds per server; one more: ENOSPC */
#define PRIVCMD_EVENTFD_MAX_IOEVENTFDS	1024

/* Feature bits of &privcmd_eventfd_version.features */
/** PRIVCMD_EVENTFD_FEAT_UPSTREAM - IOCTL_PRIVCMD_IOEVENTFD/IRQFD accepted */
#define PRIVCMD_EVENTFD_FEAT_UPSTREAM		(1ULL << 0)
/**
 * PRIVCMD_EVENTFD_FEAT_UPSTREAM_SHARED - this kernel's evtchn driver binds
 * ports with IRQF_SHARED, so IOCTL_PRIVCMD_IOEVENTFD can share the ports a
 * backend bound through /dev/xen/evtchn (Linux 6.7, 6.6.19). Without it,
 * that ioctl fails with EBUSY: use the owned mode.
 */
#define PRIVCMD_EVENTFD_FEAT_UPSTREAM_SHARED	(1ULL << 1)
/** PRIVCMD_EVENTFD_FEAT_SERVER - owned mode: PRIVCMD_EVENTFD_IOC_SERVER */
#define PRIVCMD_EVENTFD_FEAT_SERVER		(1ULL << 2)
/** PRIVCMD_EVENTFD_FEAT_PIO - port I/O ioeventfds (x86 only) */
#define PRIVCMD_EVENTFD_FEAT_PIO		(1ULL << 3)
/** PRIVCMD_EVENTFD_FEAT_IRQFD_EVTCHN - irqfd that notifies an event channel */
#define PRIVCMD_EVENTFD_FEAT_IRQFD_EVTCHN	(1ULL << 4)
/** PRIVCMD_EVENTFD_FEAT_RESTRICT - PRIVCMD_EVENTFD_IOC_RESTRICT */
#define PRIVCMD_EVENTFD_FEAT_RESTRICT		(1ULL << 5)

/**
 * struct privcmd_eventfd_version - what the running module supports
 * @version: out: PRIVCMD_EVENTFD_ABI_VERSION
 * @flags: in: must be zero
 * @features: out: PRIVCMD_EVENTFD_FEAT_* bits
 * @reserved: out: zero
 */
struct privcmd_eventfd_version {
	__u32 version;
	__u32 flags;
	__u64 features;
	__u64 reserved[2];
};

/**
 * struct privcmd_eventfd_restrict - limit a file to one domain
 * @dom: the only domain this file may act on from now on
 * @pad: must be zero
 * @flags: must be zero
 *
 * Once restricted, every request naming another domain fails with EPERM,
 * and restricting again to another domain fails with EPERM. An
 * unrestricted file may name any domain only while the caller has
 * CAP_SYS_ADMIN (otherwise EPERM, this request included), so restrict it
 * before dropping privileges. In a domU, files start restricted to the
 * target domain named in xenstore.
 */
struct privcmd_eventfd_restrict {
	__u16 dom;
	__u16 pad;
	__u32 flags;
};

/** PRIVCMD_EVENTFD_SERVER_FLAG_DETACH - detach from the server instead */
#define PRIVCMD_EVENTFD_SERVER_FLAG_DETACH	(1U << 0)

/**
 * struct privcmd_eventfd_server - serve an ioreq server in the kernel (owned mode)
 * @dom: the guest
 * @pad: must be zero
 * @id: ioreq server id (XEN_DMOP_create_ioreq_server); the server must be
 *	enabled, so that its vCPU event channels exist
 * @vcpus: number of vCPUs to serve, 1 to PRIVCMD_EVENTFD_MAX_VCPUS
 * @flags: 0 to attach, PRIVCMD_EVENTFD_SERVER_FLAG_DETACH to detach
 * @dm_fd: eventfd the module signals when a request arrives that no
 *	ioeventfd matches; the device model then claims it on its own mapping
 *	of the ioreq page (compare-and-swap of state READY to INPROCESS),
 *	completes it and calls PRIVCMD_EVENTFD_IOC_COMPLETE. -1: the module
 *	completes such requests itself (writes are dropped, reads return all
 *	ones), as Xen does for I/O no server claims.
 * @reserved: must be zero
 *
 * On attach the module maps the server's ioreq page itself and binds every
 * vCPU's event channel; the device model must not bind them. Matching
 * writes are then completed in the event channel handler without waking
 * userspace.
 */
struct privcmd_eventfd_server {
	__u16 dom;
	__u16 pad;
	__u32 id;
	__u32 vcpus;
	__u32 flags;
	__s32 dm_fd;
	__u32 reserved[3];
};

/* Flags of &privcmd_eventfd_ioeventfd.flags */
/** PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN - remove instead of add */
#define PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN	(1U << 0)
/** PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH - match @datamatch, not any value */
#define PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH	(1U << 1)
/** PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO - port I/O address (x86) */
#define PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO	(1U << 2)

/**
 * struct privcmd_eventfd_ioeventfd - signal an eventfd on a guest write
 * @addr: guest physical MMIO address, or I/O port with FLAG_PIO
 * @datamatch: value the write must carry (with FLAG_DATAMATCH)
 * @len: size of the write in bytes: 1, 2, 4 or 8
 * @fd: the eventfd
 * @flags: PRIVCMD_EVENTFD_IOEVENTFD_FLAG_*
 * @dom: the guest
 * @pad: must be zero
 * @id: ioreq server id, attached with PRIVCMD_EVENTFD_IOC_SERVER
 * @reserved: must be zero
 *
 * Two registrations collide (EEXIST) when they have the same address
 * space, address and length and either has no datamatch or both match the
 * same value, as KVM's KVM_IOEVENTFD does.
 */
struct privcmd_eventfd_ioeventfd {
	__u64 addr;
	__u64 datamatch;
	__u32 len;
	__s32 fd;
	__u32 flags;
	__u16 dom;
	__u16 pad;
	__u32 id;
	__u32 reserved;
};

/**
 * struct privcmd_eventfd_complete - a forwarded request has been completed
 * @dom: the guest
 * @pad: must be zero
 * @id: ioreq server id
 * @vcpu: the vCPU whose ioreq the device model set to IORESP_READY
 * @flags: must be zero
 *
 * Notifies Xen on that vCPU's event channel (owned mode only).
 */
struct privcmd_eventfd_complete {
	__u16 dom;
	__u16 pad;
	__u32 id;
	__u32 vcpu;
	__u32 flags;
};

/* Flags of &privcmd_eventfd_irqfd.flags */
/** PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN - remove instead of add */
#define PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN	(1U << 0)
/** PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN - notify @port instead of a dm_op */
#define PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN	(1U << 1)

/**
 * struct privcmd_eventfd_irqfd - interrupt a guest when an eventfd is signalled
 * @dm_op: user address of one dm_op buffer (unless FLAG_EVTCHN), one of
 *	the interrupt operations listed at &struct privcmd_irqfd
 * @size: its size, as for &struct privcmd_irqfd (0 with FLAG_EVTCHN)
 * @fd: the eventfd
 * @flags: PRIVCMD_EVENTFD_IRQFD_FLAG_*
 * @dom: the guest
 * @pad: must be zero
 * @port: with FLAG_EVTCHN, a local event channel port of the caller,
 *	interdomain-bound to @dom, to notify
 * @reserved: must be zero
 */
struct privcmd_eventfd_irqfd {
	__u64 dm_op;
	__u32 size;
	__s32 fd;
	__u32 flags;
	__u16 dom;
	__u16 pad;
	__u32 port;
	__u32 reserved;
};

/* Free in Documentation/userspace-api/ioctl/ioctl-number.rst (7.2). */
#define PRIVCMD_EVENTFD_IOC_MAGIC	0xBB

/** PRIVCMD_EVENTFD_IOC_VERSION - query ABI version and features */
#define PRIVCMD_EVENTFD_IOC_VERSION \
	_IOWR(PRIVCMD_EVENTFD_IOC_MAGIC, 0, struct privcmd_eventfd_version)
/** PRIVCMD_EVENTFD_IOC_RESTRICT - restrict this file to one domain */
#define PRIVCMD_EVENTFD_IOC_RESTRICT \
	_IOW(PRIVCMD_EVENTFD_IOC_MAGIC, 1, struct privcmd_eventfd_restrict)
/** PRIVCMD_EVENTFD_IOC_SERVER - attach to or detach from an ioreq server */
#define PRIVCMD_EVENTFD_IOC_SERVER \
	_IOW(PRIVCMD_EVENTFD_IOC_MAGIC, 2, struct privcmd_eventfd_server)
/** PRIVCMD_EVENTFD_IOC_IOEVENTFD - add or remove an ioeventfd (owned mode) */
#define PRIVCMD_EVENTFD_IOC_IOEVENTFD \
	_IOW(PRIVCMD_EVENTFD_IOC_MAGIC, 3, struct privcmd_eventfd_ioeventfd)
/** PRIVCMD_EVENTFD_IOC_COMPLETE - notify Xen of a completed forwarded request */
#define PRIVCMD_EVENTFD_IOC_COMPLETE \
	_IOW(PRIVCMD_EVENTFD_IOC_MAGIC, 4, struct privcmd_eventfd_complete)
/** PRIVCMD_EVENTFD_IOC_IRQFD - add or remove an irqfd (dm_op or event channel) */
#define PRIVCMD_EVENTFD_IOC_IRQFD \
	_IOW(PRIVCMD_EVENTFD_IOC_MAGIC, 5, struct privcmd_eventfd_irqfd)

#endif /* _UAPI_XEN_PRIVCMD_EVENTFD_H */
