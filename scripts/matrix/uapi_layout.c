// SPDX-License-Identifier: GPL-2.0
/*
 * Layout check of include/uapi/xen/privcmd-eventfd.h at compile time.
 *
 * scripts/matrix/static.sh compiles this file twice, with -m64 -c and with
 * -m32 -c, and runs nothing: every expected value below is a _Static_assert,
 * so a struct size, a member offset, a member size or an ioctl number that
 * differs from this one table fails the compilation on that ABI. Both
 * compilations succeeding means both ABIs have exactly this layout, hence
 * the same layout (a 32-bit device model needs no compat_ioctl
 * translation).
 *
 * static.sh also checks that every struct of the header and every member of
 * each struct has its line here (uapi-layout-all-structs), so nothing of the
 * header escapes the check.
 *
 * The upstream structs and ioctl numbers are those of Linux 6.7's
 * include/uapi/xen/privcmd.h (IOCTL_PRIVCMD_IRQFD/IOEVENTFD).
 */
#include <stddef.h>
#include <linux/ioctl.h>

#include <xen/privcmd-eventfd.h>

/* the size of struct @type is @n bytes */
#define SIZE(type, n) \
	_Static_assert(sizeof(struct type) == (n), "sizeof(struct " #type ")")

/*
 * the member (the variadic argument, so that it may appear twice) of
 * struct @type is at byte @off and is @len bytes long
 */
#define FIELD(type, off, len, ...) \
	_Static_assert(offsetof(struct type, __VA_ARGS__) == (off) && \
		       sizeof(((struct type *)0)->__VA_ARGS__) == (len), \
		       "offset or size of " #type "." #__VA_ARGS__)

/* ioctl @n has the number @v */
#define IOCTL(n, v) \
	_Static_assert((unsigned int)(n) == (v), #n)

/* Linux 6.7 include/uapi/xen/privcmd.h */
SIZE(privcmd_irqfd, 24);
FIELD(privcmd_irqfd, 0, 8, dm_op);
FIELD(privcmd_irqfd, 8, 4, size);
FIELD(privcmd_irqfd, 12, 4, fd);
FIELD(privcmd_irqfd, 16, 4, flags);
FIELD(privcmd_irqfd, 20, 2, dom);
FIELD(privcmd_irqfd, 22, 2, pad);

SIZE(privcmd_ioeventfd, 48);
FIELD(privcmd_ioeventfd, 0, 8, ioreq);
FIELD(privcmd_ioeventfd, 8, 8, ports);
FIELD(privcmd_ioeventfd, 16, 8, addr);
FIELD(privcmd_ioeventfd, 24, 4, addr_len);
FIELD(privcmd_ioeventfd, 28, 4, event_fd);
FIELD(privcmd_ioeventfd, 32, 4, vcpus);
FIELD(privcmd_ioeventfd, 36, 4, vq);
FIELD(privcmd_ioeventfd, 40, 4, flags);
FIELD(privcmd_ioeventfd, 44, 2, dom);
FIELD(privcmd_ioeventfd, 46, 2, pad);

/* _IOW('P', 8, 24 bytes) and _IOW('P', 9, 48 bytes), as upstream userspace has them */
IOCTL(IOCTL_PRIVCMD_IRQFD, 0x40185008u);
IOCTL(IOCTL_PRIVCMD_IOEVENTFD, 0x40305009u);
IOCTL(IOCTL_PRIVCMD_IRQFD, _IOC(_IOC_WRITE, 'P', 8, 24));
IOCTL(IOCTL_PRIVCMD_IOEVENTFD, _IOC(_IOC_WRITE, 'P', 9, 48));

/* Extensions */
SIZE(privcmd_eventfd_version, 32);
FIELD(privcmd_eventfd_version, 0, 4, version);
FIELD(privcmd_eventfd_version, 4, 4, flags);
FIELD(privcmd_eventfd_version, 8, 8, features);
FIELD(privcmd_eventfd_version, 16, 16, reserved);

SIZE(privcmd_eventfd_restrict, 8);
FIELD(privcmd_eventfd_restrict, 0, 2, dom);
FIELD(privcmd_eventfd_restrict, 2, 2, pad);
FIELD(privcmd_eventfd_restrict, 4, 4, flags);

SIZE(privcmd_eventfd_server, 32);
FIELD(privcmd_eventfd_server, 0, 2, dom);
FIELD(privcmd_eventfd_server, 2, 2, pad);
FIELD(privcmd_eventfd_server, 4, 4, id);
FIELD(privcmd_eventfd_server, 8, 4, vcpus);
FIELD(privcmd_eventfd_server, 12, 4, flags);
FIELD(privcmd_eventfd_server, 16, 4, dm_fd);
FIELD(privcmd_eventfd_server, 20, 12, reserved);

SIZE(privcmd_eventfd_ioeventfd, 40);
FIELD(privcmd_eventfd_ioeventfd, 0, 8, addr);
FIELD(privcmd_eventfd_ioeventfd, 8, 8, datamatch);
FIELD(privcmd_eventfd_ioeventfd, 16, 4, len);
FIELD(privcmd_eventfd_ioeventfd, 20, 4, fd);
FIELD(privcmd_eventfd_ioeventfd, 24, 4, flags);
FIELD(privcmd_eventfd_ioeventfd, 28, 2, dom);
FIELD(privcmd_eventfd_ioeventfd, 30, 2, pad);
FIELD(privcmd_eventfd_ioeventfd, 32, 4, id);
FIELD(privcmd_eventfd_ioeventfd, 36, 4, reserved);

SIZE(privcmd_eventfd_complete, 16);
FIELD(privcmd_eventfd_complete, 0, 2, dom);
FIELD(privcmd_eventfd_complete, 2, 2, pad);
FIELD(privcmd_eventfd_complete, 4, 4, id);
FIELD(privcmd_eventfd_complete, 8, 4, vcpu);
FIELD(privcmd_eventfd_complete, 12, 4, flags);

SIZE(privcmd_eventfd_irqfd, 32);
FIELD(privcmd_eventfd_irqfd, 0, 8, dm_op);
FIELD(privcmd_eventfd_irqfd, 8, 4, size);
FIELD(privcmd_eventfd_irqfd, 12, 4, fd);
FIELD(privcmd_eventfd_irqfd, 16, 4, flags);
FIELD(privcmd_eventfd_irqfd, 20, 2, dom);
FIELD(privcmd_eventfd_irqfd, 22, 2, pad);
FIELD(privcmd_eventfd_irqfd, 24, 4, port);
FIELD(privcmd_eventfd_irqfd, 28, 4, reserved);

/* _IOWR/_IOW(0xBB, 0..5, size): the numbers compiled into device models */
IOCTL(PRIVCMD_EVENTFD_IOC_VERSION, 0xc020bb00u);
IOCTL(PRIVCMD_EVENTFD_IOC_RESTRICT, 0x4008bb01u);
IOCTL(PRIVCMD_EVENTFD_IOC_SERVER, 0x4020bb02u);
IOCTL(PRIVCMD_EVENTFD_IOC_IOEVENTFD, 0x4028bb03u);
IOCTL(PRIVCMD_EVENTFD_IOC_COMPLETE, 0x4010bb04u);
IOCTL(PRIVCMD_EVENTFD_IOC_IRQFD, 0x4020bb05u);
