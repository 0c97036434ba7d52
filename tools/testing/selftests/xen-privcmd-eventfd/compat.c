// SPDX-License-Identifier: GPL-2.0
/*
 * 32-bit callers (compat_ioctl): a -m32 static helper (compat32/) opens the
 * device and issues the ioctls, including the upstream irqfd whose dm_op
 * pointer is a 32-bit address; this program sets up the Xen side, drives
 * the guest and checks what the helper's registrations did.
 */
#include <libgen.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "pe_util.h"

struct helper {
	pid_t pid;
	FILE *to, *from;
};

/* Start ./pe_compat32 next to this program. Returns its "ready" line. */
static int helper_start(struct helper *h, char *first, size_t len)
{
	char exe[4096], path[4200];
	int in[2], out[2];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/pe_compat32", dirname(exe));
	if (access(path, X_OK))
		return -ENOENT;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (!h->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(path, path, (char *)NULL);
		printf("exec-failed %d\n", errno);
		fflush(stdout);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	h->to = fdopen(in[1], "w");
	h->from = fdopen(out[0], "r");
	setvbuf(h->to, NULL, _IOLBF, 0);
	if (!fgets(first, len, h->from))
		return -EIO;
	first[strcspn(first, "\n")] = 0;
	return 0;
}

static void helper_stop(struct helper *h)
{
	if (h->pid <= 0)
		return;
	fprintf(h->to, "quit\n");
	fclose(h->to);
	fclose(h->from);
	waitpid(h->pid, NULL, 0);
	h->pid = 0;
}

/* Send one command; 0 for "ok ...", else the helper's errno, negated. */
static int helper_cmd(struct helper *h, char *reply, size_t len,
		      const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vfprintf(h->to, fmt, ap);
	va_end(ap);
	fputc('\n', h->to);
	fflush(h->to);
	if (!reply) {
		reply = buf;
		len = sizeof(buf);
	}
	if (!fgets(reply, len, h->from))
		return -EIO;
	if (!strncmp(reply, "ok", 2))
		return 0;
	return sscanf(reply, "err %d", &err) == 1 ? -err : -EIO;
}

FIXTURE(compat) {
	struct xl_server s;
	struct helper h;
	int dom, pe, efd, lo;
};

FIXTURE_SETUP(compat)
{
	char first[128];
	int rc;

	memset(&self->s, 0, sizeof(self->s));
	memset(&self->h, 0, sizeof(self->h));
	self->efd = -1;
	self->lo = -1;
	self->dom = xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	self->pe = pe_open();	/* loads the module if the lab asks */
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	/* Inherited by the helper: no close-on-exec. */
	self->efd = eventfd(0, EFD_NONBLOCK);
	self->lo = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	ASSERT_LE(0, self->lo);
	rc = helper_start(&self->h, first, sizeof(first));
	ASSERT_NE(-ENOENT, rc) TH_LOG("pe_compat32 was not built (gcc -m32: libc6-dev-i386)");
	ASSERT_EQ(0, rc);
	if (!strcmp(first, "exec-failed 8")) {
		helper_stop(&self->h);
		SKIP(return, "this kernel does not run 32-bit programs (no IA32 emulation)");
	}
	ASSERT_STREQ("ready 4", first);
}

FIXTURE_TEARDOWN(compat)
{
	/* The helper's file goes first: it lets go of the server's ports. */
	helper_stop(&self->h);
	xl_server_destroy(&self->s);
	if (self->pe >= 0)
		close(self->pe);
	if (self->efd >= 0)
		close(self->efd);
	if (self->lo >= 0)
		close(self->lo);
}

TEST_F_TIMEOUT(compat, version_matches_native, PE_TEST_TIMEOUT_S)
{
	struct privcmd_eventfd_version v = { 0 };
	unsigned long long features;
	unsigned int version;
	char reply[128];
	int n;

	ASSERT_EQ(0, pe_ioctl(self->pe, PRIVCMD_EVENTFD_IOC_VERSION, &v));
	ASSERT_EQ(0, helper_cmd(&self->h, reply, sizeof(reply), "version"));
	n = sscanf(reply, "ok %u %llu", &version, &features);
	ASSERT_EQ(2, n);
	EXPECT_EQ(v.version, version);
	EXPECT_EQ(v.features, features);
}

/* Owned mode set up entirely by a 32-bit process; the guest's kicks count. */
TEST_F_TIMEOUT(compat, owned_ioeventfd, PE_TEST_TIMEOUT_S)
{
	const unsigned int dm = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH;
	const unsigned int deassign = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN;

	ASSERT_EQ(0, pe_server_setup(&self->s, self->dom));
	ASSERT_EQ(0, helper_cmd(&self->h, NULL, 0, "attach %d %u %u -1",
				self->dom, self->s.id, self->s.vcpus));
	EXPECT_EQ(-EINVAL, helper_cmd(&self->h, NULL, 0, "ioeventfd %d %u %llx 4 %d %u 0",
				      self->dom, self->s.id, (unsigned long long)PE_NOTIFY,
				      self->efd, 1u << 31));
	ASSERT_EQ(0, helper_cmd(&self->h, NULL, 0, "ioeventfd %d %u %llx 4 %d %u 3",
				self->dom, self->s.id, (unsigned long long)PE_NOTIFY,
				self->efd, dm));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 3, 5, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(5, efd_take(self->efd));
	EXPECT_EQ(0, helper_cmd(&self->h, NULL, 0, "ioeventfd %d %u %llx 4 %d %u 3",
				self->dom, self->s.id, (unsigned long long)PE_NOTIFY,
				self->efd, dm | deassign));
	EXPECT_EQ(-ENOENT, helper_cmd(&self->h, NULL, 0, "ioeventfd %d %u %llx 4 %d %u 3",
				      self->dom, self->s.id,
				      (unsigned long long)PE_NOTIFY, self->efd,
				      dm | deassign));
}

/* Upstream irqfd with the dm_op at a 32-bit address: the guest sees edges. */
TEST_F_TIMEOUT(compat, upstream_irqfd_dm_op_pointer, PE_TEST_TIMEOUT_S)
{
	uint64_t before = 0, now = 0, ev, deadline;
	int irq = xl_guest_isa_irq(self->dom), i;
	uint64_t one = 1;

	if (irq < 0)
		SKIP(return, "guest counts no ISA IRQ");
	ASSERT_EQ(0, helper_cmd(&self->h, NULL, 0, "irqfd %d %d %d 1 0",
				self->dom, self->efd, irq));
	ASSERT_EQ(0, helper_cmd(&self->h, NULL, 0, "irqfd %d %d %d 0 0",
				self->dom, self->lo, irq));
	ASSERT_EQ(0, xl_guest_irqcount(self->dom, &before, &ev));
	for (i = 1; i <= 5; i++) {
		ASSERT_EQ(sizeof(one), write(self->efd, &one, sizeof(one)));
		ASSERT_EQ(sizeof(one), write(self->lo, &one, sizeof(one)));
		deadline = xl_now_us() + 10000000ull;
		do {
			usleep(20000);
			ASSERT_EQ(0, xl_guest_irqcount(self->dom, &now, &ev));
		} while (now < before + i && xl_now_us() < deadline);
		ASSERT_EQ(before + i, now);
	}
}

TEST_HARNESS_MAIN
