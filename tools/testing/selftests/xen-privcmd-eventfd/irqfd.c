// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd: an eventfd signal interrupts a real guest, through a stored dm_op
 * (upstream IOCTL_PRIVCMD_IRQFD) or an event channel
 * (PRIVCMD_EVENTFD_IOC_IRQFD with FLAG_EVTCHN); teardown on deassign,
 * eventfd close and file release.
 */
#define __XEN_TOOLS__ 1
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "pe_util.h"

#include <xen/hvm/dm_op.h>

static void isa_level_op(struct xen_dm_op *op, unsigned int irq, int level)
{
	memset(op, 0, sizeof(*op));
	op->op = XEN_DMOP_set_isa_irq_level;
	op->u.set_isa_irq_level.isa_irq = irq;
	op->u.set_isa_irq_level.level = level;
}

static int upstream_irqfd(int pe, uint16_t dom, int efd, void *op,
			  uint32_t size, uint32_t flags)
{
	struct privcmd_irqfd req = {
		.dm_op = (uintptr_t)op, .size = size, .fd = efd,
		.flags = flags, .dom = dom,
	};

	return pe_ioctl(pe, IOCTL_PRIVCMD_IRQFD, &req);
}

static int evtchn_irqfd(int pe, uint16_t dom, int efd, uint32_t port,
			uint32_t flags)
{
	struct privcmd_eventfd_irqfd req = {
		.fd = efd, .flags = PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN | flags,
		.dom = dom, .port = port,
	};

	return pe_ioctl(pe, PRIVCMD_EVENTFD_IOC_IRQFD, &req);
}

static void signal_efd(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		abort();
}

/* Wait until the guest's ISA IRQ count reaches @want. */
static uint64_t isa_count_wait(int dom, uint64_t want, int timeout_ms)
{
	uint64_t deadline = xl_now_us() + timeout_ms * 1000ull, isa = 0, ev;

	while (xl_guest_irqcount(dom, &isa, &ev) == 0 && isa < want &&
	       xl_now_us() < deadline)
		usleep(20000);
	return isa;
}

FIXTURE(irqfd) {
	int dom, pe, irq, hi, lo;
	struct xen_dm_op up, down;
};

FIXTURE_SETUP(irqfd)
{
	self->pe = -1;
	self->hi = -1;
	self->lo = -1;
	self->dom = xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	self->pe = pe_open();
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	self->irq = xl_guest_isa_irq(self->dom);
	if (self->irq < 0)
		SKIP(return, "guest counts no ISA IRQ");
	isa_level_op(&self->up, self->irq, 1);
	isa_level_op(&self->down, self->irq, 0);
	self->hi = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	self->lo = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(self->hi, 0);
	ASSERT_GE(self->lo, 0);
}

FIXTURE_TEARDOWN(irqfd)
{
	if (self->pe >= 0)
		close(self->pe);
	if (self->hi >= 0)
		close(self->hi);
	if (self->lo >= 0)
		close(self->lo);
}

/* An edge on the ISA line: one eventfd raises it, another lowers it. */
TEST_F_TIMEOUT(irqfd, dm_op_interrupts_guest, PE_TEST_TIMEOUT_S)
{
	uint64_t before, ev, after;
	int i;

	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->hi, &self->up,
				    sizeof(self->up), 0));
	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->lo, &self->down,
				    sizeof(self->down), 0));
	ASSERT_EQ(0, xl_guest_irqcount(self->dom, &before, &ev));
	for (i = 0; i < 10; i++) {
		signal_efd(self->hi);
		signal_efd(self->lo);
		/* The guest must take each edge before the next one. */
		ASSERT_EQ(before + i + 1,
			  isa_count_wait(self->dom, before + i + 1, 10000));
	}
	after = isa_count_wait(self->dom, before + 10, 1000);
	EXPECT_EQ(before + 10, after);
	EXPECT_EQ(1, pe_debugfs_has("injected 10 failed 0"));
}

/*
 * The irqfd consumes the count, as KVM's and upstream privcmd's do: the
 * signal is the irqfd's, and a later assign on the same eventfd must not
 * find an old count and replay it.
 */
TEST_F_TIMEOUT(irqfd, signal_is_consumed, PE_TEST_TIMEOUT_S)
{
	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->hi, &self->down,
				    sizeof(self->down), 0));
	signal_efd(self->hi);
	signal_efd(self->hi);
	EXPECT_EQ(0, efd_take(self->hi));
	EXPECT_EQ(1, pe_debugfs_has("injected 2 failed 0"));
}

TEST_F_TIMEOUT(irqfd, reassign_does_not_replay, PE_TEST_TIMEOUT_S)
{
	uint64_t before, ev, after;

	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->hi, &self->up,
				    sizeof(self->up), 0));
	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->lo, &self->down,
				    sizeof(self->down), 0));
	ASSERT_EQ(0, xl_guest_irqcount(self->dom, &before, &ev));
	signal_efd(self->hi);
	signal_efd(self->lo);
	ASSERT_EQ(before + 1, isa_count_wait(self->dom, before + 1, 10000));

	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->hi, NULL, 0,
				    PRIVCMD_IRQFD_FLAG_DEASSIGN));
	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->lo, NULL, 0,
				    PRIVCMD_IRQFD_FLAG_DEASSIGN));
	/* Assigned again: nothing was signalled since, so no edge. */
	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->hi, &self->up,
				    sizeof(self->up), 0));
	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->lo, &self->down,
				    sizeof(self->down), 0));
	after = isa_count_wait(self->dom, before + 2, 1000);
	EXPECT_EQ(before + 1, after);
}

TEST_F_TIMEOUT(irqfd, bad_requests_are_refused, PE_TEST_TIMEOUT_S)
{
	struct privcmd_irqfd req = {
		.dm_op = (uintptr_t)&self->up, .size = sizeof(self->up),
		.fd = self->hi, .dom = self->dom,
	};
	int pe = self->pe, d = self->dom;

	EXPECT_EQ(-EINVAL, upstream_irqfd(pe, d, self->hi, &self->up, 0, 0));
	EXPECT_EQ(-EINVAL, upstream_irqfd(pe, d, self->hi, &self->up, 0xffffffff, 0));
	EXPECT_EQ(-EINVAL, upstream_irqfd(pe, d, self->hi, &self->up,
					  PRIVCMD_EVENTFD_DM_OP_MAX + 1, 0));
	EXPECT_EQ(-EINVAL, upstream_irqfd(pe, d, self->hi, &self->up,
					  sizeof(self->up), 2));
	EXPECT_EQ(-EFAULT, upstream_irqfd(pe, d, self->hi, (void *)8,
					  sizeof(self->up), 0));
	EXPECT_EQ(-EBADF, upstream_irqfd(pe, d, -1, &self->up, sizeof(self->up), 0));
	EXPECT_EQ(-EBADF, upstream_irqfd(pe, d, pe, &self->up, sizeof(self->up), 0));
	EXPECT_EQ(-ENOENT, upstream_irqfd(pe, d, self->hi, NULL, 0,
					  PRIVCMD_IRQFD_FLAG_DEASSIGN));
	req.pad[1] = 1;
	EXPECT_EQ(-EINVAL, pe_ioctl(pe, IOCTL_PRIVCMD_IRQFD, &req));
	EXPECT_EQ(-EFAULT, pe_ioctl(pe, IOCTL_PRIVCMD_IRQFD, NULL));
	EXPECT_EQ(0, pe_debugfs_has("irqfd dom"));

	ASSERT_EQ(0, upstream_irqfd(pe, d, self->hi, &self->up, sizeof(self->up), 0));
	EXPECT_EQ(-EEXIST, upstream_irqfd(pe, d, self->hi, &self->down,
					  sizeof(self->down), 0));
	EXPECT_EQ(0, upstream_irqfd(pe, d, self->hi, NULL, 0,
				    PRIVCMD_IRQFD_FLAG_DEASSIGN));
	EXPECT_EQ(-ENOENT, upstream_irqfd(pe, d, self->hi, NULL, 0,
					  PRIVCMD_IRQFD_FLAG_DEASSIGN));
}

/* Header of struct xen_dm_op, then the member of each operation. */
#define DM_OP_HDR	offsetof(struct xen_dm_op, u)

/* Assign @op (@size bytes) on a fresh, never signalled eventfd. */
static int assign_op(int pe, int dom, struct xen_dm_op *op, uint32_t size)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), rc;

	if (efd < 0)
		return -errno;
	rc = upstream_irqfd(pe, dom, efd, op, size, 0);
	/*
	 * Never let a wrongly accepted operation run: deassign it before
	 * anything can signal the eventfd.
	 */
	if (!rc)
		upstream_irqfd(pe, dom, efd, NULL, 0, PRIVCMD_IRQFD_FLAG_DEASSIGN);
	close(efd);
	return rc;
}

/*
 * An irqfd stores only operations that interrupt the guest, in a buffer of
 * exactly that operation's size (or the whole struct xen_dm_op); anything
 * else is EINVAL at assign and leaves nothing behind. The eventfds are
 * never signalled, so an operation the old module accepted never runs.
 */
TEST_F_TIMEOUT(irqfd, only_interrupt_ops, PE_TEST_TIMEOUT_S)
{
	static const uint32_t refused[] = {
		XEN_DMOP_nr_vcpus, XEN_DMOP_remote_shutdown,
		XEN_DMOP_create_ioreq_server, XEN_DMOP_set_mem_type,
		XEN_DMOP_relocate_memory, XEN_DMOP_set_pci_link_route, 0, 99,
	};
	int pe = self->pe, d = self->dom;
	uint64_t isa0, ev0, isa1, ev1;
	struct xen_dm_op op;
	unsigned int i;

	ASSERT_EQ(0, xl_guest_irqcount(d, &isa0, &ev0));
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		memset(&op, 0, sizeof(op));
		op.op = refused[i];
		op.u.remote_shutdown.reason = 0;	/* SHUTDOWN_poweroff */
		EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, sizeof(op)))
			TH_LOG("dm_op %u was stored", refused[i]);
	}

	/* Interrupt operations: exact size or whole struct, sane fields. */
	isa_level_op(&op, self->irq, 1);
	EXPECT_EQ(0, assign_op(pe, d, &op, DM_OP_HDR + sizeof(op.u.set_isa_irq_level)));
	EXPECT_EQ(0, assign_op(pe, d, &op, sizeof(op)));
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, DM_OP_HDR + 1));
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, DM_OP_HDR + 3));
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, DM_OP_HDR));
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, 4));
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, sizeof(op) + 1));
	op.u.set_isa_irq_level.level = 2;
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, sizeof(op)));
	isa_level_op(&op, 16, 0);
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, sizeof(op)));
	isa_level_op(&op, self->irq, 0);
	op.pad = 1;
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, sizeof(op)));

	memset(&op, 0, sizeof(op));
	op.op = XEN_DMOP_set_pci_intx_level;
	op.u.set_pci_intx_level.device = 3;
	EXPECT_EQ(0, assign_op(pe, d, &op, DM_OP_HDR + sizeof(op.u.set_pci_intx_level)));
	op.u.set_pci_intx_level.intx = 4;
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, sizeof(op)));

	memset(&op, 0, sizeof(op));
	op.op = XEN_DMOP_inject_msi;
	op.u.inject_msi.addr = 0xfee00000;
	op.u.inject_msi.data = 0x40;
	EXPECT_EQ(0, assign_op(pe, d, &op, DM_OP_HDR + sizeof(op.u.inject_msi)));
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, DM_OP_HDR + sizeof(op.u.inject_msi) - 1));
	op.u.inject_msi.pad = 1;
	EXPECT_EQ(-EINVAL, assign_op(pe, d, &op, sizeof(op)));

	/* Arm's operation: x86 Xen does not implement it. */
	memset(&op, 0, sizeof(op));
	op.op = XEN_DMOP_set_irq_level;
	op.u.set_irq_level.irq = 40;
	EXPECT_EQ(pe_arch_has_pio() ? -EOPNOTSUPP : 0,
		  assign_op(pe, d, &op, DM_OP_HDR + sizeof(op.u.set_irq_level)));

	/* Nothing left behind, and the guest still runs and answers. */
	EXPECT_EQ(0, pe_debugfs_has("irqfd dom"));
	usleep(200000);
	ASSERT_EQ(0, xl_guest_irqcount(d, &isa1, &ev1));
	EXPECT_EQ(isa0, isa1);
}

/*
 * A PVH guest has no emulated PIC or IOAPIC, and Xen does not refuse the
 * ISA and PCI INTx level operations for it (a debug hypervisor hits an
 * assertion). The module cannot refuse them either: see the skip reason.
 * Nothing is issued here, so no hypervisor is put at risk.
 */
static const char pvh_reason[] =
	"not enforced: dom0's kernel cannot tell PVH from HVM (xen-privcmd-eventfd.rst)";

TEST(pvh_refuses_line_ops)
{
	SKIP(return, "%s", pvh_reason);
}

/* Closing the eventfd (EPOLLHUP) tears the irqfd down by itself. */
TEST_F_TIMEOUT(irqfd, eventfd_close_tears_down, PE_TEST_TIMEOUT_S)
{
	int i;

	ASSERT_EQ(0, upstream_irqfd(self->pe, self->dom, self->hi, &self->down,
				    sizeof(self->down), 0));
	ASSERT_EQ(1, pe_debugfs_has("irqfd dom"));
	close(self->hi);
	self->hi = -1;
	for (i = 0; i < 100 && pe_debugfs_has("irqfd dom") == 1; i++)
		usleep(10000);
	EXPECT_EQ(0, pe_debugfs_has("irqfd dom"));
}

struct churn {
	int pe, dom, stop, efd;
	struct xen_dm_op *op;
	unsigned long assigned;
};

static void *churn_signaller(void *arg)
{
	struct churn *c = arg;
	uint64_t one = 1;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		int efd = __atomic_load_n(&c->efd, __ATOMIC_ACQUIRE);

		if (efd >= 0)
			(void)!write(efd, &one, sizeof(one));
	}
	return NULL;
}

/*
 * Assign, signal, then deassign or close, racing a signalling thread and
 * the eventfd's own hang-up, many times over. The lab fails the run on
 * any kernel warning this provokes.
 */
TEST_F_TIMEOUT(irqfd, assign_deassign_close_race, PE_TEST_TIMEOUT_S)
{
	struct churn c = { .pe = self->pe, .dom = self->dom, .efd = -1,
			   .op = &self->down };
	pthread_t t;
	int i;

	ASSERT_EQ(0, pthread_create(&t, NULL, churn_signaller, &c));
	for (i = 0; i < 2000; i++) {
		int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

		ASSERT_GE(efd, 0);
		__atomic_store_n(&c.efd, efd, __ATOMIC_RELEASE);
		if (upstream_irqfd(self->pe, self->dom, efd, c.op,
				   sizeof(*c.op), 0) == 0)
			c.assigned++;
		if (i & 1)
			upstream_irqfd(self->pe, self->dom, efd, NULL, 0,
				       PRIVCMD_IRQFD_FLAG_DEASSIGN);
		__atomic_store_n(&c.efd, -1, __ATOMIC_RELEASE);
		close(efd);
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	EXPECT_EQ(2000, c.assigned);
	/* Half were closed with the irqfd live: their hang-up tore them down. */
	for (i = 0; i < 100 && pe_debugfs_has("irqfd dom") == 1; i++)
		usleep(10000);
	EXPECT_EQ(0, pe_debugfs_has("irqfd dom"));
}

FIXTURE(evtchn) {
	int dom, pe, efd;
	xenevtchn_handle *xce;
	uint32_t local;
};

FIXTURE_VARIANT(evtchn) {
	int pvh;
};

FIXTURE_VARIANT_ADD(evtchn, hvm) {
	.pvh = 0,
};

FIXTURE_VARIANT_ADD(evtchn, pvh) {
	.pvh = 1,
};

FIXTURE_SETUP(evtchn)
{
	uint32_t remote;
	int rc;

	self->pe = -1;
	self->efd = -1;
	self->xce = NULL;
	self->dom = variant->pvh ? xl_pvh_domid() : xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no %s lab guest", variant->pvh ? "PVH" : "HVM");
	self->pe = pe_open();
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	ASSERT_EQ(0, xl_guest_evtchn_port(self->dom, &remote));
	self->xce = xenevtchn_open(NULL, 0);
	ASSERT_NE(NULL, self->xce);
	rc = xenevtchn_bind_interdomain(self->xce, self->dom, remote);
	ASSERT_GE(rc, 0);
	self->local = rc;
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(self->efd, 0);
}

FIXTURE_TEARDOWN(evtchn)
{
	if (self->pe >= 0)
		close(self->pe);
	if (self->xce) {
		xenevtchn_unbind(self->xce, self->local);
		xenevtchn_close(self->xce);
	}
	if (self->efd >= 0)
		close(self->efd);
}

TEST_F_TIMEOUT(evtchn, signal_notifies_guest_port, PE_TEST_TIMEOUT_S)
{
	uint64_t isa, before, now = 0, deadline;
	int i;

	ASSERT_EQ(0, evtchn_irqfd(self->pe, self->dom, self->efd, self->local, 0));
	ASSERT_EQ(0, xl_guest_irqcount(self->dom, &isa, &before));
	for (i = 1; i <= 5; i++) {
		signal_efd(self->efd);
		deadline = xl_now_us() + 10000000;
		do {
			ASSERT_EQ(0, xl_guest_irqcount(self->dom, &isa, &now));
		} while (now < before + i && xl_now_us() < deadline &&
			 !usleep(20000));
		ASSERT_EQ(before + i, now);
	}
	EXPECT_EQ(0, evtchn_irqfd(self->pe, self->dom, self->efd, 0,
				  PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN));
}

TEST_F_TIMEOUT(evtchn, port_must_reach_the_domain, PE_TEST_TIMEOUT_S)
{
	struct privcmd_eventfd_irqfd req = {
		.fd = self->efd, .flags = PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN,
		.dom = self->dom, .port = self->local, .size = 4,
	};

	EXPECT_EQ(-EINVAL, evtchn_irqfd(self->pe, self->dom + 1, self->efd,
					self->local, 0));
	EXPECT_EQ(-EINVAL, evtchn_irqfd(self->pe, self->dom, self->efd, 0, 0));
	EXPECT_EQ(-EINVAL, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_IRQFD, &req));
	req.size = 0;
	req.reserved = 1;
	EXPECT_EQ(-EINVAL, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_IRQFD, &req));
}

/* Wait until the guest's event channel count reaches @want. */
static uint64_t evtchn_count_wait(int dom, uint64_t want, int timeout_ms)
{
	uint64_t deadline = xl_now_us() + timeout_ms * 1000ull, isa, ev = 0;

	while (xl_guest_irqcount(dom, &isa, &ev) == 0 && ev < want &&
	       xl_now_us() < deadline)
		usleep(20000);
	return ev;
}

/*
 * The device model closes the port under a live irqfd. The irqfd holds the
 * binding, so the port number cannot be handed to a channel to another
 * domain (which a signal would then interrupt), and the guest it was
 * assigned for still gets the signals.
 */
TEST_F_TIMEOUT(evtchn, port_closed_under_irqfd, PE_TEST_TIMEOUT_S)
{
	int other = variant->pvh ? xl_guest_domid() : xl_pvh_domid();
	uint64_t isa, mine, theirs = 0;
	xenevtchn_handle *xce2 = NULL;
	uint32_t port = self->local, remote;
	int q = -1;

	ASSERT_EQ(0, evtchn_irqfd(self->pe, self->dom, self->efd, port, 0));
	ASSERT_EQ(0, xenevtchn_unbind(self->xce, port));
	self->local = 0;	/* teardown: nothing left to unbind */

	if (other >= 0 && xl_guest_evtchn_port(other, &remote) == 0) {
		xce2 = xenevtchn_open(NULL, 0);
		ASSERT_NE(NULL, xce2);
		q = xenevtchn_bind_interdomain(xce2, other, remote);
		ASSERT_GE(q, 0);
		EXPECT_NE(port, (uint32_t)q) TH_LOG("port %u reused for d%d",
						    port, other);
		ASSERT_EQ(0, xl_guest_irqcount(other, &isa, &theirs));
	} else {
		TH_LOG("no second lab guest: cross-domain check not run");
	}

	ASSERT_EQ(0, xl_guest_irqcount(self->dom, &isa, &mine));
	signal_efd(self->efd);
	EXPECT_EQ(mine + 1, evtchn_count_wait(self->dom, mine + 1, 10000));
	if (xce2) {
		/* Give a stray event time to arrive. */
		usleep(500000);
		EXPECT_EQ(theirs, evtchn_count_wait(other, theirs + 1, 0));
		xenevtchn_unbind(xce2, q);
		xenevtchn_close(xce2);
	}
	EXPECT_EQ(0, evtchn_irqfd(self->pe, self->dom, self->efd, 0,
				  PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN));
}

TEST_HARNESS_MAIN
