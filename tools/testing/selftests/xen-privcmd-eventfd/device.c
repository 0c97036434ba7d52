// SPDX-License-Identifier: GPL-2.0
/*
 * The device itself: version and features, unknown ioctls, the domain
 * restriction (EPERM), and unloading the module while a file still holds
 * live registrations.
 */
#define __XEN_TOOLS__ 1
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "pe_util.h"

#include <xen/hvm/dm_op.h>

/*
 * A dm_op an irqfd may store (ISA IRQ 5 low); the tests never signal the
 * eventfds they assign it to.
 */
static struct xen_dm_op isa_low = {
	.op = XEN_DMOP_set_isa_irq_level,
	.u.set_isa_irq_level = { .isa_irq = 5, .level = 0 },
};

FIXTURE(dev) {
	int pe, dom;
	struct xl_server s;	/* destroyed by teardown whatever a test did */
};

FIXTURE_SETUP(dev)
{
	memset(&self->s, 0, sizeof(self->s));
	self->pe = pe_open();
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	self->dom = xl_guest_domid();
}

FIXTURE_TEARDOWN(dev)
{
	if (self->pe >= 0)
		close(self->pe);
	xl_server_destroy(&self->s);
}

TEST_F_TIMEOUT(dev, version_and_features, PE_TEST_TIMEOUT_S)
{
	struct privcmd_eventfd_version v = { .flags = 1 };

	EXPECT_EQ(-EINVAL, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_VERSION, &v));
	v.flags = 0;
	ASSERT_EQ(0, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_VERSION, &v));
	EXPECT_EQ(PRIVCMD_EVENTFD_ABI_VERSION, v.version);
	EXPECT_TRUE(v.features & PRIVCMD_EVENTFD_FEAT_UPSTREAM);
	EXPECT_TRUE(v.features & PRIVCMD_EVENTFD_FEAT_SERVER);
	EXPECT_TRUE(v.features & PRIVCMD_EVENTFD_FEAT_RESTRICT);
	EXPECT_EQ(pe_arch_has_pio(), !!(v.features & PRIVCMD_EVENTFD_FEAT_PIO));
	EXPECT_EQ(0, v.reserved[0] | v.reserved[1]);
	EXPECT_EQ(-EFAULT, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_VERSION, NULL));
}

TEST_F_TIMEOUT(dev, unknown_ioctl, PE_TEST_TIMEOUT_S)
{
	int x = 0;

	EXPECT_EQ(-ENOTTY, pe_ioctl(self->pe, _IO(PRIVCMD_EVENTFD_IOC_MAGIC, 99), &x));
	EXPECT_EQ(-ENOTTY, pe_ioctl(self->pe, _IOW('P', 0, int), &x));
}

TEST_F_TIMEOUT(dev, restrict_to_one_domain, PE_TEST_TIMEOUT_S)
{
	struct privcmd_eventfd_restrict r = { .dom = 7 };
	struct privcmd_irqfd irqfd = { .size = sizeof(isa_low), .dom = 8 };
	struct privcmd_ioeventfd io = { .addr_len = 4, .vcpus = 1, .dom = 8 };
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_GE(efd, 0);
	r.pad = 1;
	EXPECT_EQ(-EINVAL, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_RESTRICT, &r));
	r.pad = 0;
	r.dom = 0x7ff0;	/* DOMID_FIRST_RESERVED */
	EXPECT_EQ(-EINVAL, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_RESTRICT, &r));
	r.dom = 7;
	ASSERT_EQ(0, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_RESTRICT, &r));
	EXPECT_EQ(0, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_RESTRICT, &r));
	r.dom = 8;
	EXPECT_EQ(-EPERM, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_RESTRICT, &r));

	EXPECT_EQ(-EPERM, pe_attach(self->pe, 8, 1, 1, -1));
	EXPECT_EQ(-EPERM, pe_ioeventfd(self->pe, 8, 1, PE_NOTIFY, 4, efd, 0, 0));
	EXPECT_EQ(-EPERM, pe_complete(self->pe, 8, 1, 0));
	irqfd.fd = efd;
	irqfd.dm_op = (uintptr_t)&isa_low;
	EXPECT_EQ(-EPERM, pe_ioctl(self->pe, IOCTL_PRIVCMD_IRQFD, &irqfd));
	io.event_fd = efd;
	EXPECT_EQ(-EPERM, pe_ioctl(self->pe, IOCTL_PRIVCMD_IOEVENTFD, &io));
	/* The allowed domain gets past the restriction to the next check. */
	EXPECT_EQ(-ENOENT, pe_ioeventfd(self->pe, 7, 1, PE_NOTIFY, 4, efd, 0, 0));
	close(efd);
}

/* Errno contract: a domain Xen does not know is ENOENT, not Xen's ESRCH. */
TEST_F_TIMEOUT(dev, nonexistent_domain_is_enoent, PE_TEST_TIMEOUT_S)
{
	/* Below DOMID_FIRST_RESERVED, far above anything the lab creates. */
	EXPECT_EQ(-ENOENT, pe_attach(self->pe, 32000, 0, 1, -1));
	EXPECT_EQ(0, pe_debugfs_has("mode owned"));
}

static int irqfd_op(int pe, uint16_t dom, int efd, uint32_t flags)
{
	struct privcmd_irqfd req = {
		.dm_op = (uintptr_t)&isa_low, .size = sizeof(isa_low), .fd = efd,
		.flags = flags, .dom = dom,
	};

	return pe_ioctl(pe, IOCTL_PRIVCMD_IRQFD, &req);
}

/*
 * RESTRICT with registrations for another domain still live is refused
 * (EBUSY): they would stay live and could no longer be removed. Those for
 * the domain named do not stand in the way.
 */
TEST_F_TIMEOUT(dev, restrict_with_other_domain_registered, PE_TEST_TIMEOUT_S)
{
	struct privcmd_eventfd_restrict r = { .dom = 7 };
	int efd7 = eventfd(0, EFD_CLOEXEC), efd8 = eventfd(0, EFD_CLOEXEC);

	ASSERT_GE(efd7, 0);
	ASSERT_GE(efd8, 0);
	ASSERT_EQ(0, irqfd_op(self->pe, 7, efd7, 0));
	ASSERT_EQ(0, irqfd_op(self->pe, 8, efd8, 0));
	EXPECT_EQ(-EBUSY, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_RESTRICT, &r));
	/* Still unrestricted: the registration for 8 can be removed. */
	EXPECT_EQ(0, irqfd_op(self->pe, 8, efd8, PRIVCMD_IRQFD_FLAG_DEASSIGN));
	EXPECT_EQ(0, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_RESTRICT, &r));
	EXPECT_EQ(0, irqfd_op(self->pe, 7, efd7, PRIVCMD_IRQFD_FLAG_DEASSIGN));
	close(efd7);
	close(efd8);
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/*
 * The open file pins the module; closing it tears everything down, after
 * which the module unloads and loads again and the ports are free again.
 */
TEST_F_TIMEOUT(dev, unload_with_live_registrations, PE_TEST_TIMEOUT_S)
{
	const char *ko = getenv("XENLAB_MODULE");
	struct xl_server *s = &self->s;
	struct privcmd_irqfd irqfd = { .size = sizeof(isa_low) };
	char cmd[512];
	int efd, pe2;

	if (!ko)
		SKIP(return, "XENLAB_MODULE unset: do not know how to reload");
	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	ASSERT_EQ(0, pe_server_setup(s, self->dom));
	ASSERT_EQ(0, pe_attach(self->pe, self->dom, s->id, s->vcpus, -1));
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, s->id, PE_NOTIFY, 4, efd, 0, 0));
	irqfd.fd = efd;
	irqfd.dm_op = (uintptr_t)&isa_low;
	irqfd.dom = self->dom;
	ASSERT_EQ(0, pe_ioctl(self->pe, IOCTL_PRIVCMD_IRQFD, &irqfd));

	EXPECT_NE(0, sh("rmmod xen_privcmd_eventfd 2>/dev/null"));
	close(self->pe);
	self->pe = -1;
	ASSERT_EQ(0, sh("rmmod xen_privcmd_eventfd"));
	snprintf(cmd, sizeof(cmd), "insmod %s dyndbg=+p", ko);
	ASSERT_EQ(0, sh(cmd));

	pe2 = pe_open();
	ASSERT_GE(pe2, 0);
	ASSERT_EQ(0, pe_attach(pe2, self->dom, s->id, s->vcpus, -1));
	ASSERT_EQ(0, pe_ioeventfd(pe2, self->dom, s->id, PE_NOTIFY, 4, efd, 0, 0));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 10, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(10, efd_take(efd));
	close(pe2);
	close(efd);
}

TEST_HARNESS_MAIN
