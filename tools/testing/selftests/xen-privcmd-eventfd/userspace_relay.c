// SPDX-License-Identifier: GPL-2.0
/*
 * Lab smoke test and baseline, no module needed: a plain userspace ioreq
 * server (lib/xenlab.c) relays the guest's MMIO/PIO accesses, and dom0
 * raises interrupts in the guest. The "# relay: N writes/s" line is the
 * number the module's in-kernel ioeventfd path has to beat.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xenlab.h"

#define NOTIFY_VALUE	0x1234abcdu
#define READ_VALUE	0xdeadbeefu
#define NR_WRITES	1000

struct relay_stats {
	uint64_t addr;		/* expected address */
	unsigned int size;	/* expected size */
	uint64_t value;		/* expected data of writes, returned by reads */
	unsigned int type;	/* IOREQ_TYPE_COPY (MMIO) or IOREQ_TYPE_PIO */
	unsigned int writes, reads, bad, other;
	int last_vcpu;
};

static void relay_cb(struct ioreq *req, unsigned int vcpu, void *opaque)
{
	struct relay_stats *st = opaque;

	if (req->type != st->type) {
		st->other++;	/* e.g. IOREQ_TYPE_INVALIDATE broadcasts */
		return;
	}
	st->last_vcpu = vcpu;
	if (req->addr != st->addr || req->size != st->size || req->count != 1 ||
	    req->data_is_ptr) {
		st->bad++;
		return;
	}
	if (req->dir == IOREQ_READ) {
		req->data = st->value;
		st->reads++;
	} else if (req->data == st->value) {
		st->writes++;
	} else {
		st->bad++;
	}
}

/* Serve until want accesses were seen, or timeout; 0 or -errno. */
static int relay_until(struct xl_server *s, struct relay_stats *st,
		       unsigned int want, int timeout_ms)
{
	uint64_t deadline = xl_now_us() + timeout_ms * 1000ull;

	while (st->writes + st->reads + st->bad < want) {
		int n = xl_server_serve(s, 100, relay_cb, st);

		if (n < 0)
			return n;
		if (xl_now_us() > deadline)
			return -ETIMEDOUT;
	}
	return 0;
}

FIXTURE(relay) {
	struct xl_server s;
	int domid;
};

FIXTURE_VARIANT(relay) {
	int pvh;
};

FIXTURE_VARIANT_ADD(relay, hvm) {
	.pvh = 0,
};

FIXTURE_VARIANT_ADD(relay, pvh) {
	.pvh = 1,
};

FIXTURE_SETUP(relay)
{
	self->domid = variant->pvh ? xl_pvh_domid() : xl_guest_domid();
	if (self->domid < 0)
		SKIP(return, "no %s guest in this lab run", variant->pvh ? "PVH" : "HVM");
	ASSERT_EQ(0, xl_server_create(&self->s, self->domid, 0));
	ASSERT_EQ(0, xl_server_map_mmio(&self->s, XL_MMIO_BASE, XL_MMIO_BASE + 0xfff));
	ASSERT_EQ(0, xl_server_map_pio(&self->s, XL_PIO_BASE, XL_PIO_END));
	ASSERT_EQ(0, xl_server_enable(&self->s));
	ASSERT_EQ(0, xl_server_bind_ports(&self->s));
}

FIXTURE_TEARDOWN(relay)
{
	xl_server_destroy(&self->s);
}

/* 1000 x 32-bit writes to QUEUE_NOTIFY, each seen with the right addr/size/data. */
TEST_F_TIMEOUT(relay, mmio_notify_writes, 300)
{
	struct relay_stats st = {
		.addr = XL_MMIO_NOTIFY, .size = 4, .value = NOTIFY_VALUE,
		.type = IOREQ_TYPE_COPY,
	};
	uint64_t usecs = 0, t0 = xl_now_us();

	ASSERT_EQ(0, xl_guest_write_start(self->domid, 0, XL_MMIO_NOTIFY, 4,
					  NOTIFY_VALUE, NR_WRITES, -1));
	ASSERT_EQ(0, relay_until(&self->s, &st, NR_WRITES, 240000));
	ASSERT_EQ(0, xl_guest_wait(self->domid, 30000, &usecs));
	EXPECT_EQ(0U, st.bad);
	EXPECT_EQ((unsigned int)NR_WRITES, st.writes);
	if (!usecs)
		usecs = 1;
	printf("# relay: %" PRIu64 " writes/s (%s guest, %u writes in %" PRIu64
	       " us guest time, %" PRIu64 " us dom0 time)\n",
	       (uint64_t)NR_WRITES * 1000000 / usecs, variant->pvh ? "PVH" : "HVM",
	       NR_WRITES, usecs, xl_now_us() - t0);
}

/* A guest MMIO read returns what dom0 put in ioreq.data. */
TEST_F_TIMEOUT(relay, mmio_read, 120)
{
	struct relay_stats st = {
		.addr = XL_MMIO_BASE + 0x10, .size = 4, .value = READ_VALUE,
		.type = IOREQ_TYPE_COPY,
	};
	uint64_t v = 0;

	ASSERT_EQ(0, xl_guest_read_start(self->domid, 0, XL_MMIO_BASE + 0x10, 4));
	ASSERT_EQ(0, relay_until(&self->s, &st, 1, 60000));
	ASSERT_EQ(0, xl_guest_wait(self->domid, 30000, &v));
	EXPECT_EQ(1U, st.reads);
	EXPECT_EQ(READ_VALUE, v);
}

/* Port I/O in the lab's PIO window: 16-bit writes, then an 8-bit read. */
TEST_F_TIMEOUT(relay, pio_write_read, 120)
{
	struct relay_stats st = {
		.addr = XL_PIO_BASE + 4, .size = 2, .value = 0xbeef,
		.type = IOREQ_TYPE_PIO,
	};
	uint64_t v = 0;

	ASSERT_EQ(0, xl_guest_write_start(self->domid, 1, XL_PIO_BASE + 4, 2,
					  0xbeef, 10, -1));
	ASSERT_EQ(0, relay_until(&self->s, &st, 10, 60000));
	ASSERT_EQ(0, xl_guest_wait(self->domid, 30000, NULL));
	EXPECT_EQ(10U, st.writes);
	EXPECT_EQ(0U, st.bad);

	memset(&st, 0, sizeof(st));
	st.addr = XL_PIO_BASE + 1;
	st.size = 1;
	st.value = 0x5a;
	st.type = IOREQ_TYPE_PIO;
	ASSERT_EQ(0, xl_guest_read_start(self->domid, 1, XL_PIO_BASE + 1, 1));
	ASSERT_EQ(0, relay_until(&self->s, &st, 1, 60000));
	ASSERT_EQ(0, xl_guest_wait(self->domid, 30000, &v));
	EXPECT_EQ(0x5aU, v);
}

/* Accesses from each vCPU arrive on that vCPU's ioreq slot and port. */
TEST_F_TIMEOUT(relay, per_vcpu, 120)
{
	unsigned int v;

	if (self->s.vcpus < 2)
		SKIP(return, "guest has %u vCPU", self->s.vcpus);
	for (v = 0; v < self->s.vcpus; v++) {
		struct relay_stats st = {
			.addr = XL_MMIO_NOTIFY, .size = 4, .value = v,
			.type = IOREQ_TYPE_COPY, .last_vcpu = -1,
		};

		ASSERT_EQ(0, xl_guest_write_start(self->domid, 0, XL_MMIO_NOTIFY,
						  4, v, 5, v));
		ASSERT_EQ(0, relay_until(&self->s, &st, 5, 60000));
		ASSERT_EQ(0, xl_guest_wait(self->domid, 30000, NULL));
		EXPECT_EQ(5U, st.writes);
		EXPECT_EQ((int)v, st.last_vcpu);
	}
}

/* Wait until the guest's counter moves past before; 0 or -ETIMEDOUT. */
static int wait_count(int domid, int evtchn, uint64_t before, uint64_t *now)
{
	int i;

	for (i = 0; i < 100; i++) {
		uint64_t isa = 0, ev = 0;
		int err = xl_guest_irqcount(domid, &isa, &ev);

		if (err)
			return err;
		*now = evtchn ? ev : isa;
		if (*now > before)
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

/* XEN_DMOP_set_isa_irq_level 1 then 0 raises the guest's ISA IRQ once. */
TEST(isa_irq_pulse)
{
	int domid = xl_guest_domid(), irq;
	uint64_t before = 0, after = 0, t0;

	if (domid < 0)
		SKIP(return, "no HVM guest in this lab run");
	irq = xl_guest_isa_irq(domid);
	if (irq < 0)
		SKIP(return, "guest module has no ISA IRQ");
	ASSERT_EQ(0, xl_guest_irqcount(domid, &before, NULL));
	t0 = xl_now_us();
	ASSERT_EQ(0, xl_isa_irq_pulse(domid, irq));
	printf("# isa_irq_pulse: %" PRIu64 " us for the dm_op pair\n",
	       xl_now_us() - t0);
	ASSERT_EQ(0, wait_count(domid, 0, before, &after));
	EXPECT_EQ(before + 1, after);
}

/* Bind interdomain to the guest module's unbound port and notify it. */
static void evtchn_notify(struct __test_metadata *_metadata, int domid)
{
	xenevtchn_handle *xce;
	uint64_t before = 0, after = 0;
	uint32_t rport = 0;
	int lport;

	ASSERT_EQ(0, xl_guest_evtchn_port(domid, &rport));
	ASSERT_EQ(0, xl_guest_irqcount(domid, NULL, &before));
	xce = xenevtchn_open(NULL, 0);
	ASSERT_NE(NULL, xce);
	lport = xenevtchn_bind_interdomain(xce, domid, rport);
	ASSERT_LE(0, lport);
	EXPECT_EQ(0, xenevtchn_notify(xce, lport));
	EXPECT_EQ(0, wait_count(domid, 1, before, &after));
	EXPECT_LT(before, after);
	xenevtchn_unbind(xce, lport);
	xenevtchn_close(xce);
}

TEST(evtchn_notify_hvm)
{
	if (xl_guest_domid() < 0)
		SKIP(return, "no HVM guest in this lab run");
	evtchn_notify(_metadata, xl_guest_domid());
}

TEST(evtchn_notify_pvh)
{
	if (xl_pvh_domid() < 0)
		SKIP(return, "no PVH guest in this lab run");
	evtchn_notify(_metadata, xl_pvh_domid());
}

TEST_HARNESS_MAIN
