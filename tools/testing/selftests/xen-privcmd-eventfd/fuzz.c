// SPDX-License-Identifier: GPL-2.0
/*
 * A randomized ioctl fuzzer: every command of the device, the upstream
 * ones included, with boundary values and garbage in every field, against
 * a real ioreq server of the lab's HVM guest. Each result must be success
 * or an errno the documented contract allows for that command
 * (Documentation/xen-privcmd-eventfd.rst, "Errno contract"). Afterwards
 * the module must hold nothing (no IRQ, no server, no reference) and the
 * guest's next write must be served.
 *
 * XENLAB_FUZZ_ITERS (default 50000) and XENLAB_FUZZ_SEED (default: the
 * time; printed) make a run repeatable.
 */
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>

#include <xen/hvm/dm_op.h>

#include "kselftest_harness.h"
#include "pe_util.h"

/* The errnos a command may return, as a bit set: EOPNOTSUPP (95) is bit 63. */
static unsigned long long errbit(int e)
{
	return 1ull << (e == EOPNOTSUPP ? 63 : e);
}

#define E(x)	errbit(x)

#define ERR_SERVER	(E(EINVAL) | E(EBADF) | E(EEXIST) | E(ENOENT) | E(EPERM) | \
			 E(EBUSY) | E(EFAULT) | E(ENOMEM))
#define ERR_IOEVENTFD	(E(EINVAL) | E(EBADF) | E(EEXIST) | E(ENOENT) | E(EPERM) | \
			 E(EFAULT) | E(ENOMEM) | E(ENOSPC) | E(EOPNOTSUPP))
#define ERR_COMPLETE	(E(EINVAL) | E(ENOENT) | E(EPERM) | E(EFAULT))
#define ERR_IRQFD	(E(EINVAL) | E(EBADF) | E(EEXIST) | E(ENOENT) | E(EPERM) | \
			 E(EFAULT) | E(ENOMEM) | E(EOPNOTSUPP))
#define ERR_UPSTREAM	(ERR_IOEVENTFD | E(EBUSY))
#define ERR_VERSION	E(EFAULT)

struct fuzz {
	int pe, dom, efd[3], irq_efd[3], pipefd[2];
	struct xl_server *s;
	void *unmapped;
	struct xen_dm_op op;
	unsigned int ports[4];
	unsigned long long seed;
};

static uint64_t rnd64(void)
{
	return ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^ random();
}

/* One value of @n, each equally likely. */
#define PICK(...) ({ const unsigned long long __v[] = { __VA_ARGS__ }; \
		     __v[random() % ARRAY_SIZE(__v)]; })

static uint16_t fz_dom(struct fuzz *f)
{
	return PICK(f->dom, f->dom, f->dom, 0, 0x7ff0, 0x7ff4, 0xffff, 999,
		    rnd64() & 0xffff);
}

static int32_t fz_fd(struct fuzz *f, const int *pool)
{
	return PICK(pool[0], pool[1], pool[2], pool[0], -1, 9999,
		    f->pipefd[0], f->pe, (int32_t)rnd64());
}

static uint32_t fz_small(void)
{
	return PICK(0, 1, 2, 3, 4, 8, 16, 127, 128, 129, 0xffffffffu,
		    (uint32_t)rnd64());
}

/* Mostly zero: a non-zero pad or reserved field must be EINVAL. */
static uint64_t fz_pad(void)
{
	return random() % 8 ? 0 : rnd64();
}

static uint64_t fz_ptr(struct fuzz *f, void *good)
{
	return PICK((uintptr_t)good, (uintptr_t)good, 0, 1,
		    (uintptr_t)f->unmapped, rnd64(), 0xffff800000000000ull);
}

static uint64_t fz_addr(void)
{
	return PICK(PE_NOTIFY, PE_MMIO_START, PE_MMIO_END, PE_NOTIFY + 4, 0,
		    0xffff, 0x10000, XL_PIO_BASE, ~0ull, rnd64());
}

/* A plausible interrupt dm_op, often with a field out of range. */
static void fz_dm_op(struct fuzz *f)
{
	struct xen_dm_op *op = &f->op;

	memset(op, 0, sizeof(*op));
	op->op = PICK(XEN_DMOP_set_isa_irq_level, XEN_DMOP_set_pci_intx_level,
		      XEN_DMOP_inject_msi, XEN_DMOP_set_irq_level,
		      XEN_DMOP_remote_shutdown, XEN_DMOP_create_ioreq_server,
		      rnd64() & 0xffffffff);
	op->pad = fz_pad();
	switch (op->op) {
	case XEN_DMOP_set_isa_irq_level:
		/* Never a valid line the guest uses: 16+ or level 2. */
		op->u.set_isa_irq_level.isa_irq = PICK(16, 255, 7);
		op->u.set_isa_irq_level.level = PICK(2, 255, 0);
		break;
	case XEN_DMOP_set_pci_intx_level:
		op->u.set_pci_intx_level.device = PICK(32, 255, 3);
		op->u.set_pci_intx_level.intx = PICK(4, 0);
		op->u.set_pci_intx_level.level = PICK(2, 0);
		break;
	default: {
		unsigned char *b = (unsigned char *)&op->u;
		size_t k;

		for (k = 0; k < sizeof(op->u); k++)
			b[k] = random();
		break;
	}
	}
}

static unsigned long fz_cmd(struct fuzz *f, void *arg, size_t *len,
			    unsigned long long *allowed, const char **name)
{
	switch (random() % 8) {
	case 0: {
		struct privcmd_eventfd_server *r = arg;

		*len = sizeof(*r);
		r->dom = fz_dom(f);
		r->id = PICK(f->s->id, f->s->id, 0, 7, 8, rnd64());
		r->vcpus = fz_small();
		/* A detach of the lab server is put right at the end. */
		r->flags = PICK(0, 0, PRIVCMD_EVENTFD_SERVER_FLAG_DETACH, 2,
				rnd64());
		r->dm_fd = fz_fd(f, f->efd);
		r->pad = fz_pad();
		r->reserved[random() % 3] = fz_pad();
		*allowed = ERR_SERVER;
		*name = "SERVER";
		return PRIVCMD_EVENTFD_IOC_SERVER;
	}
	case 1:
	case 2: {
		struct privcmd_eventfd_ioeventfd *r = arg;

		*len = sizeof(*r);
		r->addr = fz_addr();
		r->datamatch = PICK(0, 0xff, 0x100, 0xffffffff, ~0ull, rnd64());
		r->len = fz_small();
		r->fd = fz_fd(f, f->efd);
		r->flags = PICK(0, PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN,
				PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH,
				PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO, 7, 8, rnd64());
		r->dom = fz_dom(f);
		r->id = PICK(f->s->id, f->s->id, 0, 8, rnd64());
		r->pad = fz_pad();
		r->reserved = fz_pad();
		*allowed = ERR_IOEVENTFD;
		*name = "IOEVENTFD";
		return PRIVCMD_EVENTFD_IOC_IOEVENTFD;
	}
	case 3: {
		struct privcmd_eventfd_complete *r = arg;

		/* Only with a vCPU that has no request: notifying is harmless. */
		*len = sizeof(*r);
		r->dom = fz_dom(f);
		r->id = PICK(f->s->id, 0, 8, rnd64());
		r->vcpu = fz_small();
		r->flags = fz_pad();
		r->pad = fz_pad();
		*allowed = ERR_COMPLETE;
		*name = "COMPLETE";
		return PRIVCMD_EVENTFD_IOC_COMPLETE;
	}
	case 4: {
		struct privcmd_eventfd_irqfd *r = arg;

		fz_dm_op(f);
		*len = sizeof(*r);
		r->dm_op = fz_ptr(f, &f->op);
		r->size = PICK(0, 10, 14, 16, 24, sizeof(f->op), 257, fz_small());
		r->fd = fz_fd(f, f->irq_efd);
		r->flags = PICK(0, 0, PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN, 2, 4,
				rnd64());
		r->dom = fz_dom(f);
		r->port = PICK(0, f->ports[0], 1, 4096, rnd64());
		r->pad = fz_pad();
		r->reserved = fz_pad();
		*allowed = ERR_IRQFD;
		*name = "IRQFD";
		return PRIVCMD_EVENTFD_IOC_IRQFD;
	}
	case 5: {
		struct privcmd_ioeventfd *r = arg;

		*len = sizeof(*r);
		r->ioreq = fz_ptr(f, f->s->page);
		r->ports = fz_ptr(f, f->ports);
		r->addr = fz_addr();
		r->addr_len = fz_small();
		r->event_fd = fz_fd(f, f->efd);
		r->vcpus = fz_small();
		r->vq = PICK(0, 1, 0xffff, 0x10000, rnd64());
		r->flags = PICK(0, PRIVCMD_IOEVENTFD_FLAG_DEASSIGN, 2, rnd64());
		r->dom = fz_dom(f);
		r->pad[0] = fz_pad();
		*allowed = ERR_UPSTREAM;
		*name = "PRIVCMD_IOEVENTFD";
		return IOCTL_PRIVCMD_IOEVENTFD;
	}
	case 6: {
		struct privcmd_irqfd *r = arg;

		fz_dm_op(f);
		*len = sizeof(*r);
		r->dm_op = fz_ptr(f, &f->op);
		r->size = PICK(0, 10, 14, 16, 24, sizeof(f->op), 257, fz_small());
		r->fd = fz_fd(f, f->irq_efd);
		r->flags = PICK(0, PRIVCMD_IRQFD_FLAG_DEASSIGN, 2, rnd64());
		r->dom = fz_dom(f);
		r->pad[1] = fz_pad();
		*allowed = ERR_IRQFD;
		*name = "PRIVCMD_IRQFD";
		return IOCTL_PRIVCMD_IRQFD;
	}
	default:
		*len = sizeof(struct privcmd_eventfd_version);
		*allowed = ERR_VERSION;
		*name = "VERSION";
		return PRIVCMD_EVENTFD_IOC_VERSION;
	}
}

/* Lines of /proc/interrupts that name the module's handlers. */
static int module_irqs(void)
{
	char line[512];
	int n = 0;
	FILE *p = fopen("/proc/interrupts", "r");

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		n += strstr(line, "xen-ioeventfd") || strstr(line, "privcmd-eventfd") ||
		     strstr(line, "xen-irqfd");
	fclose(p);
	return n;
}

static long module_refcnt(void)
{
	char buf[32] = "";
	int fd = open("/sys/module/xen_privcmd_eventfd/refcnt", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return strtol(buf, NULL, 10);
}

FIXTURE(fuzz) {
	struct xl_server s;
	int dom;
};

FIXTURE_SETUP(fuzz)
{
	int pe;

	memset(&self->s, 0, sizeof(self->s));
	self->dom = xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	pe = pe_open();
	if (pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	close(pe);
	ASSERT_EQ(0, pe_server_setup(&self->s, self->dom));
}

FIXTURE_TEARDOWN(fuzz)
{
	xl_server_destroy(&self->s);
}

TEST_F_TIMEOUT(fuzz, every_errno_is_documented, PE_TEST_TIMEOUT_S)
{
	const char *env = getenv("XENLAB_FUZZ_ITERS");
	unsigned long iters = env ? strtoul(env, NULL, 0) : 50000;
	unsigned long i, ok = 0, bad = 0, by_errno[256] = { 0 };
	struct fuzz f = { .dom = self->dom, .s = &self->s };
	long refcnt0 = module_refcnt();
	int irqs0 = module_irqs(), j, dmfd;

	env = getenv("XENLAB_FUZZ_SEED");
	f.seed = env ? strtoull(env, NULL, 0) : (unsigned long long)time(NULL);
	srandom(f.seed);
	TH_LOG("seed %llu, %lu iterations (XENLAB_FUZZ_SEED, XENLAB_FUZZ_ITERS)",
	       f.seed, iters);

	f.pe = pe_open();
	ASSERT_LE(0, f.pe);
	for (j = 0; j < 3; j++) {
		f.efd[j] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		f.irq_efd[j] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	}
	ASSERT_EQ(0, pipe(f.pipefd));
	f.unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f.unmapped);
	ASSERT_EQ(0, munmap(f.unmapped, 4096));
	for (j = 0; j < 4; j++)
		f.ports[j] = self->s.remote_port[j % self->s.vcpus];

	for (i = 0; i < iters; i++) {
		union {
			struct privcmd_eventfd_server server;
			struct privcmd_eventfd_ioeventfd ioeventfd;
			struct privcmd_eventfd_complete complete;
			struct privcmd_eventfd_irqfd irqfd;
			struct privcmd_eventfd_version version;
			struct privcmd_ioeventfd up_ioeventfd;
			struct privcmd_irqfd up_irqfd;
			unsigned char raw[128];
		} arg;
		unsigned long long allowed;
		const char *name;
		unsigned long cmd;
		size_t len;
		int rc;

		memset(&arg, 0, sizeof(arg));
		cmd = fz_cmd(&f, &arg, &len, &allowed, &name);
		/* Now and then a bad argument pointer or an unknown command. */
		switch (random() % 50) {
		case 0:
			rc = ioctl(f.pe, cmd, f.unmapped);
			allowed = E(EFAULT);
			break;
		case 1:
			cmd = _IOW(PRIVCMD_EVENTFD_IOC_MAGIC, 6 + random() % 200,
				   struct privcmd_eventfd_server);
			rc = ioctl(f.pe, cmd, &arg);
			allowed = E(ENOTTY);
			name = "unknown";
			break;
		default:
			rc = ioctl(f.pe, cmd, &arg);
			break;
		}
		if (!rc) {
			ok++;
			continue;
		}
		by_errno[errno & 0xff]++;
		if ((errno < 63 || errno == EOPNOTSUPP) && (allowed & E(errno)))
			continue;
		if (bad++ < 10) {
			char hex[2 * 128 + 1];
			size_t k;

			for (k = 0; k < len && k < 64; k++)
				sprintf(hex + 2 * k, "%02x", arg.raw[k]);
			TH_LOG("%s: errno %d (%s) not in its contract; arg %s",
			       name, errno, strerror(errno), hex);
		}
	}
	TH_LOG("%lu ok; EINVAL %lu EBADF %lu EEXIST %lu ENOENT %lu EPERM %lu",
	       ok, by_errno[EINVAL], by_errno[EBADF], by_errno[EEXIST],
	       by_errno[ENOENT], by_errno[EPERM]);
	TH_LOG("EBUSY %lu EFAULT %lu ENOTTY %lu EOPNOTSUPP %lu",
	       by_errno[EBUSY], by_errno[EFAULT], by_errno[ENOTTY],
	       by_errno[EOPNOTSUPP]);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, ok);

	/* Closing the file leaves nothing behind. */
	close(f.pe);
	EXPECT_EQ(irqs0, module_irqs());
	EXPECT_EQ(refcnt0, module_refcnt());
	/* debugfs lists every open file of the module: none is left. */
	EXPECT_EQ(0, pe_debugfs_has("file ")) {
		pe_debugfs_dump("after the fuzzer");
	}

	/* And the guest's next write is served through a fresh attachment. */
	f.pe = pe_open();
	ASSERT_LE(0, f.pe);
	dmfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_EQ(0, pe_attach(f.pe, self->dom, self->s.id, self->s.vcpus, dmfd));
	ASSERT_EQ(0, pe_ioeventfd(f.pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  f.efd[0], 0, 0));
	efd_take(f.efd[0]);
	EXPECT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 1, 0,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(1, efd_take(f.efd[0]));
	close(f.pe);
	close(dmfd);
	for (j = 0; j < 3; j++) {
		close(f.efd[j]);
		close(f.irq_efd[j]);
	}
	close(f.pipefd[0]);
	close(f.pipefd[1]);
}

TEST_HARNESS_MAIN
