// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit caller of /dev/xen/privcmd-eventfd, built -m32 -static and
 * driven by the compat test program over stdin/stdout, one command a line:
 *
 *   version                                   -> ok VERSION FEATURES
 *   attach DOM ID VCPUS DMFD                  -> ok | err ERRNO
 *   ioeventfd DOM ID ADDR LEN FD FLAGS MATCH  -> ok | err ERRNO
 *   irqfd DOM FD ISA_IRQ LEVEL FLAGS          -> ok | err ERRNO
 *   quit
 *
 * irqfd stores an XEN_DMOP_set_isa_irq_level in this process's memory and
 * passes its 32-bit address in the upstream struct privcmd_irqfd, which is
 * the pointer a compat ioctl must get right. Eventfds are inherited.
 */
#define __XEN_TOOLS__ 1
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xen/privcmd-eventfd.h>
#include <xen/hvm/dm_op.h>

#define MAX_OPS	16

/* Each irqfd keeps its own dm_op buffer for as long as it is assigned. */
static struct xen_dm_op ops[MAX_OPS];
static unsigned int nr_ops;

static void reply(int rc)
{
	if (rc)
		printf("err %d\n", errno);
	else
		printf("ok\n");
}

static int do_irqfd(int pe, char *args)
{
	unsigned int dom, fd, irq, level, flags;
	struct privcmd_irqfd req;
	struct xen_dm_op *op;

	if (sscanf(args, "%u %u %u %u %u", &dom, &fd, &irq, &level, &flags) != 5 ||
	    nr_ops == MAX_OPS) {
		errno = EINVAL;
		return -1;
	}
	op = &ops[nr_ops++];
	memset(op, 0, sizeof(*op));
	op->op = XEN_DMOP_set_isa_irq_level;
	op->u.set_isa_irq_level.isa_irq = irq;
	op->u.set_isa_irq_level.level = level;
	memset(&req, 0, sizeof(req));
	req.dm_op = (uintptr_t)op;
	req.size = sizeof(*op);
	req.fd = fd;
	req.flags = flags;
	req.dom = dom;
	return ioctl(pe, IOCTL_PRIVCMD_IRQFD, &req);
}

static int do_ioeventfd(int pe, char *args)
{
	struct privcmd_eventfd_ioeventfd req;
	unsigned int dom, id, len, fd, flags;
	unsigned long long addr, match;

	if (sscanf(args, "%u %u %llx %u %u %u %llx", &dom, &id, &addr, &len,
		   &fd, &flags, &match) != 7) {
		errno = EINVAL;
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.addr = addr;
	req.datamatch = match;
	req.len = len;
	req.fd = fd;
	req.flags = flags;
	req.dom = dom;
	req.id = id;
	return ioctl(pe, PRIVCMD_EVENTFD_IOC_IOEVENTFD, &req);
}

static int do_attach(int pe, char *args)
{
	struct privcmd_eventfd_server req;
	unsigned int dom, id, vcpus;
	int dmfd;

	if (sscanf(args, "%u %u %u %d", &dom, &id, &vcpus, &dmfd) != 4) {
		errno = EINVAL;
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.dom = dom;
	req.id = id;
	req.vcpus = vcpus;
	req.dm_fd = dmfd;
	return ioctl(pe, PRIVCMD_EVENTFD_IOC_SERVER, &req);
}

int main(void)
{
	struct privcmd_eventfd_version v;
	char line[256];
	int pe;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pe = open("/dev/xen/privcmd-eventfd", O_RDWR | O_CLOEXEC);
	if (pe < 0) {
		printf("err %d\n", errno);
		return 1;
	}
	printf("ready %zu\n", sizeof(void *));
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, "quit")) {
			break;
		} else if (!strcmp(line, "version")) {
			memset(&v, 0, sizeof(v));
			if (ioctl(pe, PRIVCMD_EVENTFD_IOC_VERSION, &v))
				reply(-1);
			else
				printf("ok %u %llu\n", v.version,
				       (unsigned long long)v.features);
		} else if (!strncmp(line, "attach ", 7)) {
			reply(do_attach(pe, line + 7));
		} else if (!strncmp(line, "ioeventfd ", 10)) {
			reply(do_ioeventfd(pe, line + 10));
		} else if (!strncmp(line, "irqfd ", 6)) {
			reply(do_irqfd(pe, line + 6));
		} else {
			printf("err %d\n", EINVAL);
		}
	}
	close(pe);
	return 0;
}
