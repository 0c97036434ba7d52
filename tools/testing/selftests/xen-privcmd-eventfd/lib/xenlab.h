/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xenlab: dom0 helpers for the xen-privcmd-eventfd selftests.
 *
 * Two halves:
 *  - a userspace ioreq server (struct xl_server) built on Xen's stable-soname
 *    libraries; it is both the baseline relay and the "device model" role
 *    that creates the server the module then attaches to;
 *  - control of the lab's test guests (tools/testing/xen-lab/guest/), whose
 *    agent executes MMIO/PIO accesses on request through xenstore.
 *
 * All int-returning functions return 0 (or a count) on success, -errno on
 * failure. Link with -lxendevicemodel -lxenforeignmemory -lxenevtchn
 * -lxenstore -lxentoolcore (never libxenctrl: dom0 runs another Xen release).
 */
#ifndef XENLAB_H
#define XENLAB_H

#include <stdint.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xen/hvm/ioreq.h>	/* struct ioreq, IOREQ_*, STATE_* */

#define XL_MAX_VCPUS	128	/* one 32-byte struct ioreq each in one page */

/* Test windows in the guests (see Documentation/lab.md). */
#define XL_MMIO_BASE	0xfe000000ull	/* free in HVM and PVH guests */
#define XL_MMIO_NOTIFY	0xfe000050ull	/* virtio-mmio QUEUE_NOTIFY offset */
#define XL_PIO_BASE	0x5000u		/* 0x5000-0x50ff unclaimed in HVM */
#define XL_PIO_END	0x50ffu

struct xl_server {
	uint16_t domid;
	ioservid_t id;
	unsigned int vcpus;
	xendevicemodel_handle *dmod;
	xenforeignmemory_handle *fmem;
	/* frame 1 = synchronous ioreq page, mapped BEFORE the server is enabled */
	xenforeignmemory_resource_handle *res;
	struct ioreq *page;
	uint32_t remote_port[XL_MAX_VCPUS];	/* vp_eport, after enable */
	xenevtchn_handle *xce;
	uint32_t local_port[XL_MAX_VCPUS];	/* after xl_server_bind_ports */
	/* private */
	int created, enabled, nbound;
};

/* vcpus == 0: ask Xen how many vCPUs the domain has. No buffered ioreqs. */
int xl_server_create(struct xl_server *s, uint16_t domid, unsigned int vcpus);
int xl_server_map_mmio(struct xl_server *s, uint64_t start, uint64_t end);	/* end inclusive */
int xl_server_map_pio(struct xl_server *s, uint64_t start, uint64_t end);
int xl_server_enable(struct xl_server *s);	/* state 1, fills remote_port[] */
int xl_server_bind_ports(struct xl_server *s);	/* interdomain bind per vCPU */

/*
 * Userspace relay: wait up to timeout_ms for events on the bound ports and
 * complete every READY ioreq: claim it by a compare-and-swap of the state
 * nibble READY->INPROCESS, call cb (which may set req->data for reads), store
 * IORESP_READY with release semantics, notify, unmask. Every ioreq type is
 * passed to cb, including IOREQ_TYPE_INVALIDATE broadcasts (pitfall: those
 * must be completed too). Returns the number served (0 on timeout) or -errno.
 */
typedef void (*xl_ioreq_cb)(struct ioreq *req, unsigned int vcpu, void *opaque);
int xl_server_serve(struct xl_server *s, int timeout_ms, xl_ioreq_cb cb, void *opaque);

/* Unmap the page, unbind, disable and destroy; safe on partial setup. */
void xl_server_destroy(struct xl_server *s);

/* Guests started by the lab: env XENLAB_GUEST_DOMID / XENLAB_PVH_DOMID. */
int xl_guest_domid(void);	/* HVM guest, 2 vCPUs; -1 if none */
int xl_pvh_domid(void);		/* PVH guest; -1 if none */
int xl_guest_vcpus(int domid);	/* as reported by the guest agent */

/*
 * Guest commands. The _start forms return at once so the caller can serve
 * ioreqs while the guest is blocked in its accesses; xl_guest_wait() then
 * collects the result: elapsed microseconds for writes, the value for reads.
 * Returns 0, -ETIMEDOUT, or -EIO when the guest reported an error.
 * pio: 0 = MMIO (/dev/mem), 1 = port I/O. vcpu: -1 = any, else pin to it.
 */
int xl_guest_write_start(int domid, int pio, uint64_t addr, unsigned int size,
			 uint64_t value, unsigned int count, int vcpu);
int xl_guest_read_start(int domid, int pio, uint64_t addr, unsigned int size);
/*
 * count writes on each of vCPUs 0..nvcpus-1 at the same time; the wait
 * returns the wall-clock microseconds until the last vCPU is done.
 */
int xl_guest_kick_start(int domid, int pio, uint64_t addr, unsigned int size,
			uint64_t value, unsigned int count, unsigned int nvcpus);
/* One rep stosl (ptr 0) or rep movsl from RAM (ptr 1) of count dwords to MMIO. */
int xl_guest_rep_start(int domid, uint64_t addr, unsigned int count, int ptr);
int xl_guest_wait(int domid, int timeout_ms, uint64_t *usecs_or_value);
int xl_guest_write(int domid, int pio, uint64_t addr, unsigned int size,
		   uint64_t value, unsigned int count, int vcpu, int timeout_ms,
		   uint64_t *usecs);
int xl_guest_irqcount(int domid, uint64_t *isa_count, uint64_t *evtchn_count);
/* Drop the xenstore connection (and pending commands); the next call reopens it. */
void xl_guest_reconnect(void);
int xl_guest_evtchn_port(int domid, uint32_t *port);	/* unbound, for dom0 */
int xl_guest_isa_irq(int domid);	/* the ISA IRQ the guest counts, -1 if none */
/* Move the guest's balloon target (KiB); shrinking broadcasts INVALIDATE. */
int xl_guest_balloon(int domid, long delta_kb);

/* XEN_DMOP_set_isa_irq_level(irq, 1) then (irq, 0). */
int xl_isa_irq_pulse(uint16_t domid, unsigned int irq);

/* Microseconds on CLOCK_MONOTONIC, for rate measurements. */
uint64_t xl_now_us(void);

#endif /* XENLAB_H */
