// SPDX-License-Identifier: GPL-2.0
/*
 * Doorbell kicks through the module's owned-mode ioeventfd, as a test: the
 * assertions are the ones noise cannot break. Every guest write completes
 * and signals the eventfd exactly once, with one registration and with the
 * server full (1024); the rates go to the log only.
 *
 * Speed is not asserted here: the fair gain over a userspace relay is
 * 1.2-1.4x on a 1-CPU lab, inside the +-30 % between boots, and no
 * threshold is both meaningful and safe. The speed comparison is the
 * benchmark, `make bench` (tools/testing/xen-lab/bench/).
 */
#include "kselftest_harness.h"
#include "pe_util.h"

#define NR_KICKS	1000

/*
 * Kick the notify address NR_KICKS times through the module with @extra
 * more registrations on the server (other addresses, same eventfd).
 * Returns the guest-timed rate, or -1 with *got the signals counted.
 */
static double module_kicks(int pe, int dom, unsigned int extra, uint64_t *got)
{
	struct xl_server s = { 0 };
	uint64_t us = 0;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), rc = -1;
	unsigned int i;

	*got = 0;
	if (efd < 0 || pe_server_setup(&s, dom))
		goto out;
	if (pe_attach(pe, dom, s.id, s.vcpus, -1) ||
	    pe_ioeventfd(pe, dom, s.id, PE_NOTIFY, 4, efd, 0, 0))
		goto detach;
	/* PE_NOTIFY is 0xfe000050: the others go around it, 4 bytes apart. */
	for (i = 0; i < extra; i++)
		if (pe_ioeventfd(pe, dom, s.id, PE_MMIO_START + 0x100 + 4 * i, 4,
				 efd, 0, 0))
			goto detach;
	rc = xl_guest_write(dom, 0, PE_NOTIFY, 4, 0, NR_KICKS, 0,
			    300 * 1000, &us);
	*got = efd_take(efd);
	if (extra)
		pe_debugfs_dump("full server");
detach:
	pe_detach(pe, dom, s.id);
out:
	xl_server_destroy(&s);
	if (efd >= 0)
		close(efd);
	return rc || !us ? -1 : NR_KICKS * 1e6 / us;
}

FIXTURE(bench) {
	int dom, pe;
};

FIXTURE_SETUP(bench)
{
	self->pe = -1;
	self->dom = xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	self->pe = pe_open();
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
}

FIXTURE_TEARDOWN(bench)
{
	if (self->pe >= 0)
		close(self->pe);
}

/* A module that never signals, or never completes a write, fails here. */
TEST_F_TIMEOUT(bench, module_serves_every_kick, 2 * PE_TEST_TIMEOUT_S)
{
	uint64_t got;
	double rate = module_kicks(self->pe, self->dom, 0, &got);

	EXPECT_EQ(NR_KICKS, got);
	ASSERT_GT(rate, 0);
	/* Not a comparison with anything: that is make bench. */
	printf("# bench: %d kicks through owned-mode ioeventfd, no reader: %.0f/s\n",
	       NR_KICKS, rate);
}

TEST_F_TIMEOUT(bench, full_server_serves_every_kick, 2 * PE_TEST_TIMEOUT_S)
{
	const unsigned int extra = PRIVCMD_EVENTFD_MAX_IOEVENTFDS - 1;
	uint64_t got_one, got_full;
	double one, full;

	one = module_kicks(self->pe, self->dom, 0, &got_one);
	full = module_kicks(self->pe, self->dom, extra, &got_full);
	EXPECT_EQ(NR_KICKS, got_one);
	EXPECT_EQ(NR_KICKS, got_full);
	ASSERT_GT(one, 0);
	ASSERT_GT(full, 0);
	printf("# bench: %d kicks: 1 registration %.0f/s, %u registrations %.0f/s, ratio %.2f\n",
	       NR_KICKS, one, extra + 1, full, full / one);
}

TEST_HARNESS_MAIN
