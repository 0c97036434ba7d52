// SPDX-License-Identifier: GPL-2.0
/*
 * Layout check of include/uapi/xen/privcmd-eventfd.h, built and run by
 * scripts/matrix/static.sh once with -m64 and once with -m32.
 *
 * - The upstream structs and ioctl numbers must be those of Linux's
 *   include/uapi/xen/privcmd.h (IOCTL_PRIVCMD_IRQFD/IOEVENTFD).
 * - The program prints the size of every struct and every ioctl number;
 *   static.sh compares the -m64 and -m32 output, which must be identical
 *   (a 32-bit device model then needs no compat_ioctl translation), and
 *   compiles the header with -Wpadded -Werror, so no struct has implicit
 *   padding on either.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <linux/ioctl.h>

#include <xen/privcmd-eventfd.h>

static int failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		failed = 1;						\
	}								\
} while (0)

#define OFF(type, m)	offsetof(struct type, m)

static void check_ioctl(const char *name, unsigned long got, unsigned long want)
{
	if (got != want) {
		printf("FAIL %s is 0x%08lx, not 0x%08lx\n", name, got, want);
		failed = 1;
	}
}

static void upstream_abi(void)
{
	/* Linux 6.7 include/uapi/xen/privcmd.h */
	CHECK(sizeof(struct privcmd_irqfd) == 24);
	CHECK(OFF(privcmd_irqfd, dm_op) == 0);
	CHECK(OFF(privcmd_irqfd, size) == 8);
	CHECK(OFF(privcmd_irqfd, fd) == 12);
	CHECK(OFF(privcmd_irqfd, flags) == 16);
	CHECK(OFF(privcmd_irqfd, dom) == 20);
	CHECK(OFF(privcmd_irqfd, pad) == 22);

	CHECK(sizeof(struct privcmd_ioeventfd) == 48);
	CHECK(OFF(privcmd_ioeventfd, ioreq) == 0);
	CHECK(OFF(privcmd_ioeventfd, ports) == 8);
	CHECK(OFF(privcmd_ioeventfd, addr) == 16);
	CHECK(OFF(privcmd_ioeventfd, addr_len) == 24);
	CHECK(OFF(privcmd_ioeventfd, event_fd) == 28);
	CHECK(OFF(privcmd_ioeventfd, vcpus) == 32);
	CHECK(OFF(privcmd_ioeventfd, vq) == 36);
	CHECK(OFF(privcmd_ioeventfd, flags) == 40);
	CHECK(OFF(privcmd_ioeventfd, dom) == 44);
	CHECK(OFF(privcmd_ioeventfd, pad) == 46);

	/* _IOW('P', 8, 24 bytes) and _IOW('P', 9, 48 bytes) */
	check_ioctl("IOCTL_PRIVCMD_IRQFD", IOCTL_PRIVCMD_IRQFD,
		    _IOC(_IOC_WRITE, 'P', 8, 24));
	check_ioctl("IOCTL_PRIVCMD_IOEVENTFD", IOCTL_PRIVCMD_IOEVENTFD,
		    _IOC(_IOC_WRITE, 'P', 9, 48));
	/* the numbers as upstream userspace has them compiled in */
	check_ioctl("IOCTL_PRIVCMD_IRQFD", IOCTL_PRIVCMD_IRQFD, 0x40185008u);
	check_ioctl("IOCTL_PRIVCMD_IOEVENTFD", IOCTL_PRIVCMD_IOEVENTFD, 0x40305009u);
}

#define SIZE(type)	printf("struct %s size %zu\n", #type, sizeof(struct type))

/*
 * Every struct of the header: static.sh checks that none is missing here
 * and that -m64 and -m32 print the same sizes. Together with -Wpadded
 * (no implicit padding on either) and fixed-width members, equal sizes
 * mean equal offsets.
 */
static void sizes(void)
{
	SIZE(privcmd_irqfd);
	SIZE(privcmd_ioeventfd);
	SIZE(privcmd_eventfd_version);
	SIZE(privcmd_eventfd_restrict);
	SIZE(privcmd_eventfd_server);
	SIZE(privcmd_eventfd_ioeventfd);
	SIZE(privcmd_eventfd_complete);
	SIZE(privcmd_eventfd_irqfd);
}

#define IOC(n) printf("ioctl %s 0x%08x\n", #n, (unsigned int)(n))

static void ioctls(void)
{
	IOC(IOCTL_PRIVCMD_IRQFD);
	IOC(IOCTL_PRIVCMD_IOEVENTFD);
	IOC(PRIVCMD_EVENTFD_IOC_VERSION);
	IOC(PRIVCMD_EVENTFD_IOC_RESTRICT);
	IOC(PRIVCMD_EVENTFD_IOC_SERVER);
	IOC(PRIVCMD_EVENTFD_IOC_IOEVENTFD);
	IOC(PRIVCMD_EVENTFD_IOC_COMPLETE);
	IOC(PRIVCMD_EVENTFD_IOC_IRQFD);
}

int main(void)
{
	upstream_abi();
	sizes();
	ioctls();
	printf("%s\n", failed ? "layout FAILED" : "layout ok");
	return failed;
}
