// SPDX-License-Identifier: GPL-2.0
/*
 * Upstream ABI (IOCTL_PRIVCMD_IOEVENTFD): the device model maps the ioreq
 * page through privcmd and binds the vCPU ports through /dev/xen/evtchn;
 * the module shares the ports' IRQs. Covers the upstream defects: mappings
 * that are not an ioreq page, too many vCPUs, bad ports, munmap while
 * registered, two processes at the same address, deassign from another
 * file, and the device model unbinding its ports (or closing
 * /dev/xen/evtchn) before it deassigns.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "pe_util.h"

/* A device model that only acknowledges events (never reads the page). */
struct acker {
	xenevtchn_handle *xce;
	int stop;
};

static void *acker_fn(void *arg)
{
	struct acker *a = arg;
	struct pollfd p = { .fd = xenevtchn_fd(a->xce), .events = POLLIN };

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		xenevtchn_port_or_error_t port;

		if (poll(&p, 1, 20) <= 0)
			continue;
		port = xenevtchn_pending(a->xce);
		if (port >= 0)
			xenevtchn_unmask(a->xce, port);
	}
	return NULL;
}

FIXTURE(upstream) {
	struct xl_server s;
	int dom, pe, efd, shared;
	struct acker ack;
	pthread_t acker;
	int acking;
	struct privcmd_ioeventfd req;
};

FIXTURE_SETUP(upstream)
{
	int rc;

	memset(&self->s, 0, sizeof(self->s));
	self->pe = -1;
	self->efd = -1;
	self->acking = 0;
	self->dom = xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	self->pe = pe_open();
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	self->shared = !!(pe_features(self->pe) &
			  PRIVCMD_EVENTFD_FEAT_UPSTREAM_SHARED);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(self->efd, 0);
	ASSERT_EQ(0, pe_server_setup(&self->s, self->dom));
	/* Teardown does not run after a failed setup: clean up here. */
	self->ack.xce = self->s.xce;
	self->ack.stop = 0;
	rc = xl_server_bind_ports(&self->s);
	if (!rc) {
		self->ack.xce = self->s.xce;
		rc = -pthread_create(&self->acker, NULL, acker_fn, &self->ack);
	}
	if (rc)
		xl_server_destroy(&self->s);
	ASSERT_EQ(0, rc);
	self->acking = 1;

	memset(&self->req, 0, sizeof(self->req));
	self->req.ioreq = (uintptr_t)self->s.page;
	self->req.ports = (uintptr_t)self->s.local_port;
	self->req.addr = PE_MMIO_START;
	self->req.addr_len = 4;
	self->req.event_fd = self->efd;
	self->req.vcpus = self->s.vcpus;
	self->req.vq = 0;
	self->req.dom = self->dom;
}

FIXTURE_TEARDOWN(upstream)
{
	if (self->acking) {
		__atomic_store_n(&self->ack.stop, 1, __ATOMIC_RELEASE);
		pthread_join(self->acker, NULL);
	}
	if (self->pe >= 0)
		close(self->pe);
	xl_server_destroy(&self->s);
	if (self->efd >= 0)
		close(self->efd);
}

static int assign(int pe, struct privcmd_ioeventfd *req)
{
	return pe_ioctl(pe, IOCTL_PRIVCMD_IOEVENTFD, req);
}

#define NO_SHARING \
	"evtchn binds ports without IRQF_SHARED before Linux 6.7: " \
	"upstream mode returns EBUSY (refuses_unshareable_ports)"

TEST_F_TIMEOUT(upstream, refuses_unshareable_ports, PE_TEST_TIMEOUT_S)
{
	int rc = assign(self->pe, &self->req);

	if (self->shared) {
		EXPECT_EQ(0, rc);
	} else {
		EXPECT_EQ(-EBUSY, rc);
		/* Nothing is left half set up. */
		EXPECT_EQ(0, pe_debugfs_has("mode upstream"));
	}
}

TEST_F_TIMEOUT(upstream, queue_notify_signals, PE_TEST_TIMEOUT_S)
{
	if (!self->shared)
		SKIP(return, NO_SHARING);
	ASSERT_EQ(0, assign(self->pe, &self->req));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 100, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(100, efd_take(self->efd));
	/* The low 16 bits carry the queue; the rest is notification data. */
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0x70000, 10, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(10, efd_take(self->efd));
}

TEST_F_TIMEOUT(upstream, survives_munmap_of_ioreq_page, PE_TEST_TIMEOUT_S)
{
	if (!self->shared)
		SKIP(return, NO_SHARING);
	ASSERT_EQ(0, assign(self->pe, &self->req));
	ASSERT_EQ(0, xenforeignmemory_unmap_resource(self->s.fmem, self->s.res));
	self->s.res = NULL;
	self->s.page = NULL;
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 50, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(50, efd_take(self->efd));
}

TEST_F_TIMEOUT(upstream, ioreq_must_be_an_ioreq_page, PE_TEST_TIMEOUT_S)
{
	struct privcmd_ioeventfd r = self->req;
	xenforeignmemory_handle *fm;
	void *anon, *zero, *unpop, *ram;
	xen_pfn_t gfn = 0x100;
	int zfd, pfd, err = 0;

	anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	r.ioreq = (uintptr_t)anon;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));

	zfd = open("/dev/zero", O_RDWR);
	ASSERT_GE(zfd, 0);
	zero = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, zfd, 0);
	ASSERT_NE(MAP_FAILED, zero);
	r.ioreq = (uintptr_t)zero;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));

	/* A privcmd mapping that nothing populated. */
	pfd = open("/dev/xen/privcmd", O_RDWR);
	ASSERT_GE(pfd, 0);
	unpop = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
	ASSERT_NE(MAP_FAILED, unpop);
	r.ioreq = (uintptr_t)unpop;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));

	/* A privcmd mapping of guest RAM (MMAPBATCH), not of the ioreq page. */
	fm = xenforeignmemory_open(NULL, 0);
	ASSERT_NE(NULL, fm);
	ram = xenforeignmemory_map(fm, self->dom, PROT_READ | PROT_WRITE, 1,
				   &gfn, &err);
	ASSERT_NE(NULL, ram);
	ASSERT_EQ(0, err);
	r.ioreq = (uintptr_t)ram;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));

	/* Not the start of the page. */
	r.ioreq = self->req.ioreq + 32;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));

	r.ioreq = 0;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	EXPECT_EQ(0, pe_debugfs_has("mode upstream"));

	xenforeignmemory_unmap(fm, ram, 1);
	xenforeignmemory_close(fm);
	munmap(unpop, 4096);
	close(pfd);
	munmap(zero, 4096);
	close(zfd);
	munmap(anon, 4096);
}

TEST_F_TIMEOUT(upstream, bad_fields_are_refused, PE_TEST_TIMEOUT_S)
{
	struct privcmd_ioeventfd r = self->req;
	uint32_t ports[PRIVCMD_EVENTFD_MAX_VCPUS + 1] = { 0 };
	xenevtchn_handle *xce;
	uint32_t remote;
	int unbound, other;

	r.vcpus = PRIVCMD_EVENTFD_MAX_VCPUS + 1;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	r.vcpus = 0;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	r = self->req;
	r.addr_len = 3;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	/* Refused before anything shifts by addr_len * 8 (UBSAN kernels). */
	r.addr_len = 9;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	r.addr_len = 16;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	r.addr_len = 0;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	r = self->req;
	r.vq = 0x10000;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	r = self->req;
	r.flags = 2;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	r = self->req;
	r.pad[0] = 1;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	r = self->req;
	r.ports = 8;
	EXPECT_EQ(-EFAULT, assign(self->pe, &r));
	EXPECT_EQ(-EFAULT, pe_ioctl(self->pe, IOCTL_PRIVCMD_IOEVENTFD, NULL));

	/* Port 0, an unbound port, and a port to the wrong remote end. */
	r = self->req;
	memcpy(ports, self->s.local_port, self->s.vcpus * sizeof(ports[0]));
	r.ports = (uintptr_t)ports;
	ports[0] = 0;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));

	xce = xenevtchn_open(NULL, 0);
	ASSERT_NE(NULL, xce);
	unbound = xenevtchn_bind_unbound_port(xce, self->dom);
	ASSERT_GE(unbound, 0);
	ports[0] = unbound;
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));

	if (xl_guest_evtchn_port(self->dom, &remote) == 0) {
		other = xenevtchn_bind_interdomain(xce, self->dom, remote);
		ASSERT_GE(other, 0);
		ports[0] = other;
		EXPECT_EQ(-EINVAL, assign(self->pe, &r));
		xenevtchn_unbind(xce, other);
	}
	r.dom = self->dom + 1;
	memcpy(ports, self->s.local_port, self->s.vcpus * sizeof(ports[0]));
	EXPECT_EQ(-EINVAL, assign(self->pe, &r));
	EXPECT_EQ(0, pe_debugfs_has("mode upstream"));

	xenevtchn_unbind(xce, unbound);
	xenevtchn_close(xce);
}

TEST_F_TIMEOUT(upstream, deassign, PE_TEST_TIMEOUT_S)
{
	struct privcmd_ioeventfd r = self->req;
	int other;

	if (!self->shared)
		SKIP(return, NO_SHARING);
	ASSERT_EQ(0, assign(self->pe, &self->req));
	/* Another file cannot remove what this one registered. */
	other = pe_open();
	ASSERT_GE(other, 0);
	r.flags = PRIVCMD_IOEVENTFD_FLAG_DEASSIGN;
	EXPECT_EQ(-ENOENT, assign(other, &r));
	close(other);

	/* Same queue again collides; another queue does not. */
	EXPECT_EQ(-EEXIST, assign(self->pe, &self->req));

	EXPECT_EQ(0, assign(self->pe, &r));
	EXPECT_EQ(-ENOENT, assign(self->pe, &r));
	/* The last deassign released the server and its IRQ handlers. */
	EXPECT_EQ(0, pe_debugfs_has("mode upstream"));
}

/*
 * Upstream keys its registrations by (domain, ioreq page address) in one
 * global list, so two device models using the same address collide. Here
 * a registration belongs to its file: a second file at the same address
 * gets its own, and closing it leaves the first one working.
 */
TEST_F_TIMEOUT(upstream, two_files_same_address, PE_TEST_TIMEOUT_S)
{
	struct privcmd_ioeventfd r = self->req;
	int pe2, efd2;

	if (!self->shared)
		SKIP(return, NO_SHARING);
	ASSERT_EQ(0, assign(self->pe, &self->req));
	pe2 = pe_open();
	ASSERT_GE(pe2, 0);
	efd2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(efd2, 0);
	r.event_fd = efd2;
	/* Same queue, same address: no collision across files. */
	EXPECT_EQ(0, assign(pe2, &r));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 10, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	/* Exactly one of the two serves each write. */
	EXPECT_EQ(10, efd_take(self->efd) + efd_take(efd2));
	close(pe2);
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 20, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(20, efd_take(self->efd));
	EXPECT_EQ(0, efd_take(efd2));
	close(efd2);
}

/* Short: a vCPU the module fails to answer stays blocked for good. */
#define LET_GO_TIMEOUT_MS	15000

static void acker_stop(struct acker *a, pthread_t t, int *acking)
{
	if (!*acking)
		return;
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	*acking = 0;
}

/* The device model lets go of its ports while still registered. */
static void dm_lets_go(struct xl_server *s, int close_handle)
{
	unsigned int v;

	if (close_handle) {
		xenevtchn_close(s->xce);
		s->xce = NULL;
	} else {
		for (v = 0; v < s->nbound; v++)
			xenevtchn_unbind(s->xce, s->local_port[v]);
	}
	s->nbound = 0;
}

/*
 * /dev/xen/evtchn disables the IRQ and stops acknowledging the ports; the
 * module still holds them and must serve and acknowledge every kick from
 * then on. After the deassign the ports are closed, so a new device model
 * can bind the vCPUs' vp_eports again.
 */
static void evtchn_goes_first(struct __test_metadata *_metadata,
			      FIXTURE_DATA(upstream) * self, int close_handle)
{
	struct privcmd_ioeventfd r = self->req;
	xenevtchn_handle *xce;
	unsigned int v;
	int port;

	if (!self->shared)
		SKIP(return, NO_SHARING);
	ASSERT_EQ(0, assign(self->pe, &self->req));
	acker_stop(&self->ack, self->acker, &self->acking);
	dm_lets_go(&self->s, close_handle);

	/* Each access blocks its vCPU until the module completes it. */
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 1, -1,
				    LET_GO_TIMEOUT_MS, NULL));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 10, -1,
				    LET_GO_TIMEOUT_MS, NULL));
	EXPECT_EQ(11, efd_take(self->efd));
	EXPECT_EQ(1, pe_debugfs_has("taken-over"));

	r.flags = PRIVCMD_IOEVENTFD_FLAG_DEASSIGN;
	ASSERT_EQ(0, assign(self->pe, &r));
	EXPECT_EQ(0, pe_debugfs_has("mode upstream"));
	xce = xenevtchn_open(NULL, 0);
	ASSERT_NE(NULL, xce);
	for (v = 0; v < self->s.vcpus; v++) {
		port = xenevtchn_bind_interdomain(xce, self->dom,
						  self->s.remote_port[v]);
		EXPECT_GE(port, 0) TH_LOG("vcpu %u: vp_eport %u still held",
					  v, self->s.remote_port[v]);
		if (port >= 0)
			xenevtchn_unbind(xce, port);
	}
	xenevtchn_close(xce);
}

TEST_F_TIMEOUT(upstream, evtchn_unbound_first, PE_TEST_TIMEOUT_S)
{
	evtchn_goes_first(_metadata, self, 0);
}

TEST_F_TIMEOUT(upstream, evtchn_closed_first, PE_TEST_TIMEOUT_S)
{
	evtchn_goes_first(_metadata, self, 1);
}

TEST_HARNESS_MAIN
