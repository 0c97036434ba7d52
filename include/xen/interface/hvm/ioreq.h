/* SPDX-License-Identifier: MIT */
/*
 * Xen's ioreq ABI (xen/include/public/hvm/ioreq.h), for kernels that do
 * not ship <xen/interface/hvm/ioreq.h> (it appeared in Linux 6.7).
 *
 * One struct ioreq per vCPU lives in the synchronous ioreq page that an
 * ioreq server shares with Xen; Xen fills it in for each I/O the vCPU
 * performs and blocks the vCPU until the device model sets the state to
 * STATE_IORESP_READY and notifies the vCPU's event channel (vp_eport).
 *
 * The include guard is Xen's and Linux's, so that whichever copy is seen
 * first wins and the two never clash.
 */
#ifndef __XEN_PUBLIC_HVM_IOREQ_H__
#define __XEN_PUBLIC_HVM_IOREQ_H__

#define IOREQ_READ	1
#define IOREQ_WRITE	0

#define STATE_IOREQ_NONE	0
#define STATE_IOREQ_READY	1
#define STATE_IOREQ_INPROCESS	2
#define STATE_IORESP_READY	3

#define IOREQ_TYPE_PIO		0	/* port I/O */
#define IOREQ_TYPE_COPY		1	/* MMIO */
#define IOREQ_TYPE_PCI_CONFIG	2
#define IOREQ_TYPE_TIMEOFFSET	7
#define IOREQ_TYPE_INVALIDATE	8	/* map cache invalidation */

/*
 * 32 bytes. @state shares byte 30 with the direction and pointer flags;
 * code that changes the state of a live request must update that whole
 * byte atomically.
 */
struct ioreq {
	uint64_t addr;		/* guest physical address or I/O port */
	uint64_t data;		/* the value, or a guest address if data_is_ptr */
	uint32_t count;		/* repetitions (rep prefixes) */
	uint32_t size;		/* access size in bytes */
	uint32_t vp_eport;	/* vCPU's event channel, in the guest's space */
	uint16_t _pad0;
	uint8_t state:4;
	uint8_t data_is_ptr:1;
	uint8_t dir:1;		/* IOREQ_READ or IOREQ_WRITE */
	uint8_t df:1;
	uint8_t _pad1:1;
	uint8_t type;		/* IOREQ_TYPE_* */
};

#endif /* __XEN_PUBLIC_HVM_IOREQ_H__ */
