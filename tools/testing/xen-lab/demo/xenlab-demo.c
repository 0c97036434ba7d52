// SPDX-License-Identifier: GPL-2.0
/*
 * xenlab-demo: a virtio backend's notification path through the module, in
 * dom0 of the lab (see tools/testing/xen-lab/demo.sh).
 *
 * As a device model would, it creates an ioreq server for the guest's
 * virtio-mmio window at 0xfe000000 and hands it to the module (owned mode,
 * PRIVCMD_EVENTFD_IOC_SERVER). Guest writes to QUEUE_NOTIFY (0xfe000050)
 * then signal an ioeventfd from the event channel handler, without waking
 * any userspace on the way; this program reads that eventfd and answers
 * each batch of kicks by signalling an irqfd, which the module turns into
 * an event channel notification to the guest (the lab's guest module
 * counts those). Prints the counts at each end.
 *
 *   xenlab-demo [kicks]        (default 1000; guest from XENLAB_GUEST_DOMID)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/types.h>

#include <xen/privcmd-eventfd.h>
#include "xenlab.h"

#define DEVICE	"/dev/xen/privcmd-eventfd"

static void count_notify(struct ioreq *req, unsigned int vcpu, void *opaque)
{
	if (req->type == IOREQ_TYPE_COPY && req->dir == IOREQ_WRITE &&
	    req->addr == XL_MMIO_NOTIFY)
		(*(unsigned int *)opaque)++;
}

/* The same kicks through a plain userspace ioreq server, for comparison. */
static void userspace_baseline(int domid, unsigned int kicks)
{
	struct xl_server s;
	unsigned int seen = 0;
	uint64_t usecs = 0, deadline = xl_now_us() + 120 * 1000000ull;

	if (xl_server_create(&s, domid, 0) ||
	    xl_server_map_mmio(&s, XL_MMIO_BASE, XL_MMIO_BASE + 0xfff) ||
	    xl_server_enable(&s) || xl_server_bind_ports(&s) ||
	    xl_guest_write_start(domid, 0, XL_MMIO_NOTIFY, 4, 0, kicks, -1)) {
		printf("demo: baseline: setup failed\n");
		goto out;
	}
	while (seen < kicks && xl_now_us() < deadline)
		if (xl_server_serve(&s, 100, count_notify, &seen) < 0)
			break;
	if (xl_guest_wait(domid, 30000, &usecs) || !usecs)
		printf("demo: baseline: guest did not finish\n");
	else
		printf("demo: baseline, userspace relay without the module: %u kicks in %"
		       PRIu64 " us (%" PRIu64 " kicks/s)\n", seen, usecs,
		       (uint64_t)kicks * 1000000 / usecs);
out:
	xl_server_destroy(&s);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "xenlab-demo: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

int main(int argc, char **argv)
{
	unsigned int kicks = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
	int domid = xl_guest_domid(), dev = -1, kick_fd = -1, irq_fd = -1;
	uint64_t kicked = 0, wakeups = 0, irqs_sent = 0, usecs = 0;
	uint64_t ev_before = 0, ev_after = 0, t0, deadline;
	struct xl_server s = { 0 };
	xenevtchn_handle *xce = NULL;
	uint32_t guest_port;
	int lport, err, rc = 1;

	if (domid < 0)
		return fail("XENLAB_GUEST_DOMID", ENODEV);
	dev = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return fail(DEVICE, errno);

	/* Device model role: create and enable the server, no port binding. */
	err = xl_server_create(&s, domid, 0);
	if (!err)
		err = xl_server_map_mmio(&s, XL_MMIO_BASE, XL_MMIO_BASE + 0xfff);
	if (!err)
		err = xl_server_enable(&s);
	if (err) {
		fail("ioreq server", err);
		goto out;
	}

	struct privcmd_eventfd_server srv = {
		.dom = domid, .id = s.id, .vcpus = s.vcpus, .dm_fd = -1,
	};
	if (ioctl(dev, PRIVCMD_EVENTFD_IOC_SERVER, &srv)) {
		fail("PRIVCMD_EVENTFD_IOC_SERVER", errno);
		goto out;
	}

	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	irq_fd = eventfd(0, EFD_CLOEXEC);
	struct privcmd_eventfd_ioeventfd ioev = {
		.addr = XL_MMIO_NOTIFY, .len = 4, .fd = kick_fd, .dom = domid,
		.id = s.id,
	};
	if (ioctl(dev, PRIVCMD_EVENTFD_IOC_IOEVENTFD, &ioev)) {
		fail("PRIVCMD_EVENTFD_IOC_IOEVENTFD", errno);
		goto out;
	}

	/* Interrupts back: the guest module's unbound event channel. */
	err = xl_guest_evtchn_port(domid, &guest_port);
	if (err) {
		fail("guest event channel port", err);
		goto out;
	}
	xce = xenevtchn_open(NULL, 0);
	lport = xce ? xenevtchn_bind_interdomain(xce, domid, guest_port) : -1;
	if (lport < 0) {
		fail("bind interdomain", errno);
		goto out;
	}
	struct privcmd_eventfd_irqfd irqfd = {
		.fd = irq_fd, .flags = PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN,
		.dom = domid, .port = lport,
	};
	if (ioctl(dev, PRIVCMD_EVENTFD_IOC_IRQFD, &irqfd)) {
		fail("PRIVCMD_EVENTFD_IOC_IRQFD", errno);
		goto out;
	}

	xl_guest_irqcount(domid, NULL, &ev_before);
	printf("demo: guest %d (%u vCPUs): %u kicks to QUEUE_NOTIFY 0x%llx\n",
	       domid, s.vcpus, kicks, (unsigned long long)XL_MMIO_NOTIFY);
	t0 = xl_now_us();
	err = xl_guest_write_start(domid, 0, XL_MMIO_NOTIFY, 4, 0, kicks, -1);
	if (err) {
		fail("guest write", err);
		goto out;
	}
	deadline = t0 + 120 * 1000000ull;
	while (kicked < kicks && xl_now_us() < deadline) {
		struct pollfd pfd = { .fd = kick_fd, .events = POLLIN };
		uint64_t n, one = 1;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if (read(kick_fd, &n, sizeof(n)) != sizeof(n))
			continue;
		kicked += n;		/* eventfd counts coalesce */
		wakeups++;
		if (write(irq_fd, &one, sizeof(one)) == sizeof(one))
			irqs_sent++;
	}
	err = xl_guest_wait(domid, 30000, &usecs);
	if (err) {
		fail("guest did not finish", err);
		goto out;
	}
	usleep(200000);		/* let the last notification land */
	xl_guest_irqcount(domid, NULL, &ev_after);

	printf("demo: guest wrote %u kicks in %" PRIu64 " us (%" PRIu64 " kicks/s)\n",
	       kicks, usecs, usecs ? (uint64_t)kicks * 1000000 / usecs : 0);
	printf("demo: dom0 received %" PRIu64 " kicks via ioeventfd in %" PRIu64
	       " wakeups\n", kicked, wakeups);
	printf("demo: dom0 sent %" PRIu64 " interrupts via irqfd; guest counted %"
	       PRIu64 " event channel interrupts\n", irqs_sent, ev_after - ev_before);
	rc = kicked == kicks && ev_after > ev_before ? 0 : 1;
	printf("demo: %s\n", rc ? "FAILED" : "OK");
out:
	/* Pitfall: release the module's mapping and the server before xl destroy. */
	if (dev >= 0)
		close(dev);
	if (xce)
		xenevtchn_close(xce);
	if (kick_fd >= 0)
		close(kick_fd);
	if (irq_fd >= 0)
		close(irq_fd);
	xl_server_destroy(&s);
	if (!rc)
		userspace_baseline(domid, kicks);
	return rc;
}
