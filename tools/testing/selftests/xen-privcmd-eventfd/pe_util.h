/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the xen-privcmd-eventfd selftests: the module's ioctls,
 * eventfd counting, and the device-model side of the owned mode.
 */
#ifndef PE_UTIL_H
#define PE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <xen/privcmd-eventfd.h>

#include "xenlab.h"

#ifndef XENMEM_resource_ioreq_server
#define XENMEM_resource_ioreq_server	0	/* Xen public/memory.h */
#endif

#define PE_DEV		"/dev/xen/privcmd-eventfd"
#define PE_DEBUGFS	"/sys/kernel/debug/xen-privcmd-eventfd/state"

/* The window the guest tests use; one ioreq server claims all of it. */
#define PE_MMIO_START	XL_MMIO_BASE
#define PE_MMIO_END	(XL_MMIO_BASE + 0xfff)
#define PE_NOTIFY	XL_MMIO_NOTIFY

/* Offset of the byte that holds the 4-bit state in struct ioreq. */
#define PE_IOREQ_FLAGS	30

#define PE_GUEST_TIMEOUT_MS	60000
/*
 * A test the harness kills skips its teardown and so leaks its Xen ioreq
 * server (8 per domain): give guest-driven tests room under TCG.
 */
#define PE_TEST_TIMEOUT_S	150

/*
 * Open the device; if the module is not loaded and the lab told us where
 * it is (XENLAB_MODULE), load it first. The module imports from
 * xen-privcmd, hence the modprobe.
 */
static inline int pe_open(void)
{
	const char *ko = getenv("XENLAB_MODULE");
	char cmd[512];
	int fd = open(PE_DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT || !ko || !*ko)
		return fd;
	snprintf(cmd, sizeof(cmd),
		 "modprobe xen-privcmd 2>/dev/null; insmod %s dyndbg=+p 2>/dev/null",
		 ko);
	if (system(cmd) == -1)
		return -1;
	return open(PE_DEV, O_RDWR | O_CLOEXEC);
}

static inline int pe_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int pe_attach(int fd, uint16_t dom, uint32_t id,
			    unsigned int vcpus, int dm_fd)
{
	struct privcmd_eventfd_server req = {
		.dom = dom, .id = id, .vcpus = vcpus, .dm_fd = dm_fd,
	};

	return pe_ioctl(fd, PRIVCMD_EVENTFD_IOC_SERVER, &req);
}

static inline int pe_detach(int fd, uint16_t dom, uint32_t id)
{
	struct privcmd_eventfd_server req = {
		.dom = dom, .id = id, .vcpus = 1, .dm_fd = -1,
		.flags = PRIVCMD_EVENTFD_SERVER_FLAG_DETACH,
	};

	return pe_ioctl(fd, PRIVCMD_EVENTFD_IOC_SERVER, &req);
}

static inline int pe_ioeventfd(int fd, uint16_t dom, uint32_t id,
			       uint64_t addr, uint32_t len, int efd,
			       uint32_t flags, uint64_t datamatch)
{
	struct privcmd_eventfd_ioeventfd req = {
		.addr = addr, .datamatch = datamatch, .len = len, .fd = efd,
		.flags = flags, .dom = dom, .id = id,
	};

	return pe_ioctl(fd, PRIVCMD_EVENTFD_IOC_IOEVENTFD, &req);
}

static inline int pe_complete(int fd, uint16_t dom, uint32_t id,
			      unsigned int vcpu)
{
	struct privcmd_eventfd_complete req = {
		.dom = dom, .id = id, .vcpu = vcpu,
	};

	return pe_ioctl(fd, PRIVCMD_EVENTFD_IOC_COMPLETE, &req);
}

/* Port I/O exists on x86 only. */
static inline int pe_arch_has_pio(void)
{
	struct utsname u;

	return !uname(&u) && (!strcmp(u.machine, "x86_64") ||
			      (u.machine[0] == 'i' && !strcmp(u.machine + 2, "86")));
}

static inline uint64_t pe_features(int fd)
{
	struct privcmd_eventfd_version v = { 0 };

	return pe_ioctl(fd, PRIVCMD_EVENTFD_IOC_VERSION, &v) ? 0 : v.features;
}

/* Read (and reset) a non-blocking eventfd's counter; 0 if unsignalled. */
static inline uint64_t efd_take(int efd)
{
	uint64_t v;

	return read(efd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static inline int efd_wait(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	return poll(&p, 1, timeout_ms);
}

static inline uint8_t *ioreq_flags_byte(struct ioreq *req)
{
	return (uint8_t *)req + PE_IOREQ_FLAGS;
}

/*
 * Device-model side of the owned mode: claim a READY request with a
 * compare-and-swap of the state nibble (as the module does), let @cb
 * handle it, store IORESP_READY with release semantics and ask the module
 * to notify Xen. Returns the number of requests served.
 */
static inline int pe_dm_scan(int pe, struct xl_server *s, xl_ioreq_cb cb,
			     void *opaque)
{
	unsigned int v;
	int served = 0;

	for (v = 0; v < s->vcpus; v++) {
		struct ioreq *req = &s->page[v];
		uint8_t *fb = ioreq_flags_byte(req);
		uint8_t old = __atomic_load_n(fb, __ATOMIC_ACQUIRE);

		if ((old & 0xf) != STATE_IOREQ_READY)
			continue;
		if (!__atomic_compare_exchange_n(fb, &old,
						 (old & ~0xf) | STATE_IOREQ_INPROCESS,
						 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			continue;
		if (cb)
			cb(req, v, opaque);
		__atomic_store_n(fb, (old & ~0xf) | STATE_IORESP_READY,
				 __ATOMIC_RELEASE);
		if (pe_complete(pe, s->domid, s->id, v) == 0)
			served++;
	}
	return served;
}

/* Wait for the module's forward signal on @dmfd, then scan. */
static inline int pe_dm_serve(int pe, struct xl_server *s, int dmfd,
			      int timeout_ms, xl_ioreq_cb cb, void *opaque)
{
	if (efd_wait(dmfd, timeout_ms) <= 0)
		return 0;
	efd_take(dmfd);
	return pe_dm_scan(pe, s, cb, opaque);
}

/*
 * Create an ioreq server on @dom for the test windows, without binding
 * its ports (the module does that in the owned mode).
 */
static inline int pe_server_setup(struct xl_server *s, int dom)
{
	int rc;

	rc = xl_server_create(s, dom, 0);
	if (!rc)
		rc = xl_server_map_mmio(s, PE_MMIO_START, PE_MMIO_END);
	if (!rc)
		rc = xl_server_map_pio(s, XL_PIO_BASE, XL_PIO_END);
	if (!rc)
		rc = xl_server_enable(s);
	/* Xen keeps at most 8 servers per domain: never leak one. */
	if (rc)
		xl_server_destroy(s);
	return rc;
}

/*
 * The owned-mode fixture of several programs: a server on @dom for the
 * test windows and @pe attached to it, forwarding to @dmfd. On failure
 * nothing is left (the harness runs no teardown after a failed setup).
 */
static inline int pe_owned_attach(int pe, struct xl_server *s, int dom, int dmfd)
{
	int rc = pe_server_setup(s, dom);

	if (rc)
		return rc;
	rc = pe_attach(pe, dom, s->id, s->vcpus, dmfd);
	if (rc)
		xl_server_destroy(s);
	return rc;
}

/* Its teardown: the module lets go of the ports before the server goes. */
static inline void pe_owned_teardown(int pe, struct xl_server *s, int efd, int dmfd)
{
	if (pe >= 0)
		close(pe);
	xl_server_destroy(s);
	if (efd >= 0)
		close(efd);
	if (dmfd >= 0)
		close(dmfd);
}

/* Read the debugfs state into @buf (NUL-terminated); -1 if unreadable. */
static inline int pe_debugfs_read(char *buf, size_t len)
{
	int fd = open(PE_DEBUGFS, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* Does the debugfs state contain @needle? -1 if debugfs is unreadable. */
static inline int pe_debugfs_has(const char *needle)
{
	char buf[16384];

	if (pe_debugfs_read(buf, sizeof(buf)))
		return -1;
	return !!strstr(buf, needle);
}

/*
 * The first "<name> N" counter in the debugfs state (the tests run one
 * server at a time); -1 if debugfs is unreadable or has no such counter.
 */
static inline long long pe_debugfs_counter(const char *name)
{
	char buf[16384], key[64];
	char *at;

	if (pe_debugfs_read(buf, sizeof(buf)))
		return -1;
	snprintf(key, sizeof(key), " %s ", name);
	at = strstr(buf, key);
	return at ? strtoll(at + strlen(key), NULL, 10) : -1;
}

/* Copy the debugfs state into the TAP output as comments. */
static inline void pe_debugfs_dump(const char *what)
{
	char line[256];
	FILE *f = fopen(PE_DEBUGFS, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("# %s: %s", what, line);
	fclose(f);
}

#endif /* PE_UTIL_H */
