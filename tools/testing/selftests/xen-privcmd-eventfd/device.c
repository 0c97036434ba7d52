// SPDX-License-Identifier: GPL-2.0
/*
 * The device itself: version and features, unknown ioctls, the domain
 * restriction (EPERM), CAP_SYS_ADMIN for unrestricted files, and unloading
 * the module while a file still holds live registrations.
 */
#define __XEN_TOOLS__ 1
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

/*
 * Drop CAP_SYS_ADMIN for good, as a device model deprivileges itself:
 * from the bounding set, then from the effective, permitted and
 * inheritable sets. The process keeps its uid (root) and its open files.
 */
static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = 1u << CAP_SYS_ADMIN;	/* in the first word */

	if (syscall(SYS_capget, &h, d))
		return -errno;
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0))
		return -errno;
	d[0].effective &= ~bit;
	d[0].permitted &= ~bit;
	d[0].inheritable &= ~bit;
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

/* One bit per check of the deprivileged child below. */
enum {
	NOCAP_DROP = 1 << 0,
	NOCAP_IRQFD = 1 << 1,
	NOCAP_SERVER = 1 << 2,
	NOCAP_COMPLETE = 1 << 3,
	NOCAP_RESTRICT = 1 << 4,
	NOCAP_UP_IOEVENTFD = 1 << 5,
	NOCAP_IOEVENTFD = 1 << 6,
	NOCAP_VERSION = 1 << 7,
	NOCAP_R_ASSIGN = 1 << 8,
	NOCAP_R_INTERRUPT = 1 << 9,
	NOCAP_R_DEASSIGN = 1 << 10,
	NOCAP_R_RESTRICT = 1 << 11,
};

static const char *const nocap_what[] = {
	"dropping CAP_SYS_ADMIN",
	"unrestricted: irqfd assign not EPERM",
	"unrestricted: SERVER attach not EPERM",
	"unrestricted: COMPLETE not EPERM",
	"unrestricted: RESTRICT (into a domain) not EPERM",
	"unrestricted: IOCTL_PRIVCMD_IOEVENTFD not EPERM",
	"unrestricted: PRIVCMD_EVENTFD_IOC_IOEVENTFD not EPERM",
	"unrestricted: VERSION failed",
	"restricted: irqfd assign failed",
	"restricted: the guest did not see the edge",
	"restricted: irqfd deassign failed",
	"restricted: RESTRICT to its own/another domain not 0/EPERM",
};

static int nocap_irqfd(int pe, int dom, int efd, struct xen_dm_op *op,
		       uint32_t flags)
{
	struct privcmd_irqfd req = {
		.dm_op = (uintptr_t)op, .size = op ? sizeof(*op) : 0,
		.fd = efd, .flags = flags, .dom = dom,
	};

	return pe_ioctl(pe, IOCTL_PRIVCMD_IRQFD, &req);
}

/*
 * The child: drop CAP_SYS_ADMIN, then use the unrestricted file @pe and the
 * file @pe_r restricted to @dom. Returns the bits of the checks that failed.
 */
static int nocap_child(int pe, int pe_r, int dom, int irq)
{
	struct privcmd_eventfd_restrict r = { .dom = dom };
	struct privcmd_ioeventfd io = { .dom = dom,
		.flags = PRIVCMD_IOEVENTFD_FLAG_DEASSIGN };
	struct privcmd_eventfd_version v = { 0 };
	struct xen_dm_op up = isa_low, down = isa_low;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int lo = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int bad = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t one = 1, isa = 0, ev, want;
	int i, fail = 0;

	if (efd < 0 || lo < 0 || bad < 0 || drop_cap_sys_admin())
		return NOCAP_DROP;

	/* Unrestricted file: everything that names a domain is EPERM. */
	if (nocap_irqfd(pe, dom, bad, &down, 0) != -EPERM)
		fail |= NOCAP_IRQFD;
	if (pe_attach(pe, dom, 7, 1, -1) != -EPERM)
		fail |= NOCAP_SERVER;
	if (pe_complete(pe, dom, 7, 0) != -EPERM)
		fail |= NOCAP_COMPLETE;
	if (pe_ioctl(pe, PRIVCMD_EVENTFD_IOC_RESTRICT, &r) != -EPERM)
		fail |= NOCAP_RESTRICT;
	io.event_fd = bad;
	if (pe_ioctl(pe, IOCTL_PRIVCMD_IOEVENTFD, &io) != -EPERM)
		fail |= NOCAP_UP_IOEVENTFD;
	if (pe_ioeventfd(pe, dom, 7, PE_NOTIFY, 4, bad, 0, 0) != -EPERM)
		fail |= NOCAP_IOEVENTFD;
	if (pe_ioctl(pe, PRIVCMD_EVENTFD_IOC_VERSION, &v))
		fail |= NOCAP_VERSION;

	/* The restricted file keeps working: an edge reaches the guest. */
	up.u.set_isa_irq_level.isa_irq = irq;
	up.u.set_isa_irq_level.level = 1;
	down.u.set_isa_irq_level.isa_irq = irq;
	if (nocap_irqfd(pe_r, dom, efd, &up, 0) ||
	    nocap_irqfd(pe_r, dom, lo, &down, 0)) {
		fail |= NOCAP_R_ASSIGN;
	} else {
		if (xl_guest_irqcount(dom, &isa, &ev))
			fail |= NOCAP_R_INTERRUPT;
		want = isa + 1;
		if (write(efd, &one, sizeof(one)) != sizeof(one) ||
		    write(lo, &one, sizeof(one)) != sizeof(one))
			fail |= NOCAP_R_INTERRUPT;
		for (i = 0; i < 500 && isa < want; i++) {
			usleep(20000);
			if (xl_guest_irqcount(dom, &isa, &ev))
				break;
		}
		if (isa != want)
			fail |= NOCAP_R_INTERRUPT;
		if (nocap_irqfd(pe_r, dom, efd, NULL, PRIVCMD_IRQFD_FLAG_DEASSIGN) ||
		    nocap_irqfd(pe_r, dom, lo, NULL, PRIVCMD_IRQFD_FLAG_DEASSIGN))
			fail |= NOCAP_R_DEASSIGN;
	}
	if (pe_ioctl(pe_r, PRIVCMD_EVENTFD_IOC_RESTRICT, &r))
		fail |= NOCAP_R_RESTRICT;
	r.dom = dom + 1;
	if (pe_ioctl(pe_r, PRIVCMD_EVENTFD_IOC_RESTRICT, &r) != -EPERM)
		fail |= NOCAP_R_RESTRICT;
	return fail;
}

/*
 * A device model that dropped CAP_SYS_ADMIN can no longer name any domain
 * through an unrestricted file (it could otherwise act on every guest), but
 * a file restricted to its guest before it dropped privileges keeps working.
 */
TEST_F_TIMEOUT(dev, unrestricted_file_needs_cap_sys_admin, PE_TEST_TIMEOUT_S)
{
	struct privcmd_eventfd_restrict r;
	int pe_r, irq, status, fail = -1, p[2];
	unsigned int i;
	pid_t pid;

	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	irq = xl_guest_isa_irq(self->dom);
	if (irq < 0)
		SKIP(return, "guest counts no ISA IRQ");
	pe_r = pe_open();
	ASSERT_GE(pe_r, 0);
	r = (struct privcmd_eventfd_restrict){ .dom = self->dom };
	ASSERT_EQ(0, pe_ioctl(pe_r, PRIVCMD_EVENTFD_IOC_RESTRICT, &r));

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		fail = nocap_child(self->pe, pe_r, self->dom, irq);
		_exit(write(p[1], &fail, sizeof(fail)) != sizeof(fail));
	}
	close(p[1]);
	ASSERT_EQ(sizeof(fail), read(p[0], &fail, sizeof(fail)));
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	close(pe_r);
	for (i = 0; i < ARRAY_SIZE(nocap_what); i++)
		if (fail & (1 << i))
			TH_LOG("child: %s", nocap_what[i]);
	EXPECT_EQ(0, fail);
}

/*
 * In a domU (not the initial domain) every new file is restricted to the
 * domain the toolstack names in xenstore ("target"), as privcmd does since
 * XSA-482, unless the module was loaded with unrestricted=1 on a kernel
 * that is not locked down.
 */
static const char domu_reason[] =
	"dom0 lab: the domU default (target domain) needs a device-model domU to test";

TEST_F_TIMEOUT(dev, domu_files_start_restricted, PE_TEST_TIMEOUT_S)
{
	SKIP(return, "%s", domu_reason);
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
