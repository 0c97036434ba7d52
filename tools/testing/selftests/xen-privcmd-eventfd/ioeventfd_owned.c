// SPDX-License-Identifier: GPL-2.0
/*
 * Owned mode (PRIVCMD_EVENTFD_IOC_SERVER + PRIVCMD_EVENTFD_IOC_IOEVENTFD):
 * the module binds the ioreq server's vCPU ports, serves matching guest
 * writes in its handler and hands everything else to the device model.
 * A real guest performs every access.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "pe_util.h"

#define DM_READ_VALUE	0xcafef00dull

struct dm_log {
	unsigned int writes, reads, other, multi, ptr;
	uint64_t last_addr, last_data;
	unsigned int last_size;
};

static void dm_cb(struct ioreq *req, unsigned int vcpu, void *opaque)
{
	struct dm_log *log = opaque;

	if (req->type != IOREQ_TYPE_COPY && req->type != IOREQ_TYPE_PIO) {
		log->other++;
		return;
	}
	log->multi += req->count > 1;
	log->ptr += req->data_is_ptr;
	log->last_addr = req->addr;
	log->last_size = req->size;
	if (req->dir == IOREQ_READ) {
		req->data = DM_READ_VALUE;
		log->reads++;
	} else {
		log->last_data = req->data;
		log->writes++;
	}
}

FIXTURE(owned) {
	struct xl_server s;
	int dom, pe, dmfd, efd;
};

FIXTURE_SETUP(owned)
{
	memset(&self->s, 0, sizeof(self->s));
	self->pe = -1;
	self->dmfd = -1;
	self->efd = -1;
	self->dom = xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	self->pe = pe_open();
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));

	self->dmfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(self->dmfd, 0);
	ASSERT_GE(self->efd, 0);
	ASSERT_EQ(0, pe_owned_attach(self->pe, &self->s, self->dom, self->dmfd));
}

FIXTURE_TEARDOWN(owned)
{
	pe_owned_teardown(self->pe, &self->s, self->efd, self->dmfd);
}

/* Let the device model serve until the guest's accesses are done. */
static int dm_until_guest_done(int pe, struct xl_server *s, int dmfd,
			       struct dm_log *log, uint64_t *result)
{
	uint64_t deadline = xl_now_us() + PE_GUEST_TIMEOUT_MS * 1000ull;
	int rc;

	for (;;) {
		pe_dm_serve(pe, s, dmfd, 50, dm_cb, log);
		rc = xl_guest_wait(s->domid, 50, result);
		if (rc != -ETIMEDOUT || xl_now_us() > deadline)
			return rc;
	}
}

/* Serve the server from userspace (its ports bound here) until the guest is done. */
static int dm_relay_until_guest_done(struct xl_server *s)
{
	uint64_t deadline = xl_now_us() + PE_GUEST_TIMEOUT_MS * 1000ull;
	struct dm_log log = { 0 };
	int rc;

	for (;;) {
		xl_server_serve(s, 50, dm_cb, &log);
		rc = xl_guest_wait(s->domid, 50, NULL);
		if (rc != -ETIMEDOUT || xl_now_us() > deadline)
			return rc;
	}
}

TEST_F_TIMEOUT(owned, datamatch_write_signals_without_userspace, PE_TEST_TIMEOUT_S)
{
	uint64_t us;

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH,
				  0));
	/* Nobody serves the device model's eventfd: the module must. */
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 200, -1,
				    PE_GUEST_TIMEOUT_MS, &us));
	EXPECT_EQ(200, efd_take(self->efd));
	EXPECT_EQ(0, efd_take(self->dmfd));
	EXPECT_EQ(1, pe_debugfs_has("hits 200"));
	TH_LOG("200 kicks in %llu us", (unsigned long long)us);
}

TEST_F_TIMEOUT(owned, wildcard_matches_any_value, PE_TEST_TIMEOUT_S)
{
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 7, 20, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0xffffffff, 20,
				    -1, PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(40, efd_take(self->efd));
}

TEST_F_TIMEOUT(owned, other_value_goes_to_device_model, PE_TEST_TIMEOUT_S)
{
	struct dm_log log = { 0 };

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH,
				  0));
	ASSERT_EQ(0, xl_guest_write_start(self->dom, 0, PE_NOTIFY, 4, 1, 20, -1));
	ASSERT_EQ(0, dm_until_guest_done(self->pe, &self->s, self->dmfd, &log, NULL));
	EXPECT_EQ(20, log.writes);
	EXPECT_EQ(PE_NOTIFY, log.last_addr);
	EXPECT_EQ(1, log.last_data);
	EXPECT_EQ(0, efd_take(self->efd));
}

TEST_F_TIMEOUT(owned, size_must_match, PE_TEST_TIMEOUT_S)
{
	struct dm_log log = { 0 };

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, xl_guest_write_start(self->dom, 0, PE_NOTIFY, 2, 0, 10, -1));
	ASSERT_EQ(0, dm_until_guest_done(self->pe, &self->s, self->dmfd, &log, NULL));
	EXPECT_EQ(10, log.writes);
	EXPECT_EQ(2, log.last_size);
	EXPECT_EQ(0, efd_take(self->efd));
}

TEST_F_TIMEOUT(owned, reads_go_to_device_model, PE_TEST_TIMEOUT_S)
{
	struct dm_log log = { 0 };
	uint64_t value = 0;

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, xl_guest_read_start(self->dom, 0, PE_NOTIFY, 4));
	ASSERT_EQ(0, dm_until_guest_done(self->pe, &self->s, self->dmfd, &log, &value));
	EXPECT_EQ(1, log.reads);
	EXPECT_EQ(DM_READ_VALUE & 0xffffffff, value);
	EXPECT_EQ(0, efd_take(self->efd));
}

/* Is some vCPU's slot READY (a request nobody has taken yet)? */
static int slot_ready(struct xl_server *s)
{
	unsigned int v;

	for (v = 0; v < s->vcpus; v++)
		if ((__atomic_load_n(ioreq_flags_byte(&s->page[v]),
				     __ATOMIC_ACQUIRE) & 0xf) == STATE_IOREQ_READY)
			return 1;
	return 0;
}

/*
 * A request already READY when the module attaches (its event went to a
 * port nobody had bound) is served at attach time, from process context:
 * here forwarded to the device model, which answers the guest's read.
 */
TEST_F_TIMEOUT(owned, attach_with_pending_request, PE_TEST_TIMEOUT_S)
{
	uint64_t deadline, value = 0;
	struct dm_log log = { 0 };

	ASSERT_EQ(0, pe_detach(self->pe, self->dom, self->s.id));
	ASSERT_EQ(0, xl_guest_read_start(self->dom, 0, PE_NOTIFY, 4));
	deadline = xl_now_us() + 10000000;
	while (!slot_ready(&self->s) && xl_now_us() < deadline)
		usleep(10000);
	ASSERT_EQ(1, slot_ready(&self->s));
	efd_take(self->dmfd);
	ASSERT_EQ(0, pe_attach(self->pe, self->dom, self->s.id, self->s.vcpus,
			       self->dmfd));
	/*
	 * Forwarded by the time attach returns: by the attach-time serve, or
	 * by the handler for the event Xen raises on a freshly bound port.
	 */
	ASSERT_EQ(1, efd_wait(self->dmfd, 0));
	ASSERT_EQ(0, dm_until_guest_done(self->pe, &self->s, self->dmfd, &log, &value));
	EXPECT_EQ(1, log.reads);
	EXPECT_EQ(DM_READ_VALUE & 0xffffffff, value);
}

/* Multi-count and pointer requests are never matched: the device model gets them. */
TEST_F_TIMEOUT(owned, string_writes_go_to_device_model, PE_TEST_TIMEOUT_S)
{
	struct dm_log log = { 0 };
	int ptr;

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	for (ptr = 0; ptr <= 1; ptr++) {
		ASSERT_EQ(0, xl_guest_rep_start(self->dom, PE_NOTIFY, 8, ptr));
		ASSERT_EQ(0, dm_until_guest_done(self->pe, &self->s, self->dmfd,
						 &log, NULL));
	}
	TH_LOG("device model got %u writes, %u multi-count, %u data_is_ptr",
	       log.writes, log.multi, log.ptr);
	EXPECT_GE(log.multi + log.ptr, 1);
	EXPECT_GE(log.ptr, 1);
	EXPECT_EQ(0, efd_take(self->efd));
}

TEST_F_TIMEOUT(owned, pio_write_signals, PE_TEST_TIMEOUT_S)
{
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, XL_PIO_BASE, 2,
				  self->efd, PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO |
				  PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH, 0x1234));
	ASSERT_EQ(0, xl_guest_write(self->dom, 1, XL_PIO_BASE, 2, 0x1234, 50, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(50, efd_take(self->efd));
}

TEST_F_TIMEOUT(owned, mmio_registration_ignores_pio, PE_TEST_TIMEOUT_S)
{
	struct dm_log log = { 0 };

	/* Same number in the other address space must not match. */
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, XL_PIO_BASE, 2,
				  self->efd, 0, 0));
	ASSERT_EQ(0, xl_guest_write_start(self->dom, 1, XL_PIO_BASE, 2, 0, 5, -1));
	ASSERT_EQ(0, dm_until_guest_done(self->pe, &self->s, self->dmfd, &log, NULL));
	EXPECT_EQ(5, log.writes);
	EXPECT_EQ(0, efd_take(self->efd));
}

TEST_F_TIMEOUT(owned, every_vcpu_is_served, PE_TEST_TIMEOUT_S)
{
	unsigned int v, n = xl_guest_vcpus(self->dom);

	if (n < 2)
		SKIP(return, "guest has %u vCPU(s), need 2", n);
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	for (v = 0; v < n; v++) {
		ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, v, 25, v,
					    PE_GUEST_TIMEOUT_MS, NULL));
		EXPECT_EQ(25, efd_take(self->efd));
	}
}

TEST_F_TIMEOUT(owned, deassign_stops_signalling, PE_TEST_TIMEOUT_S)
{
	struct dm_log log = { 0 };
	uint32_t dm = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH;
	uint32_t de = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN;

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, dm, 0));
	/* KVM's rule: deassign names the same key and eventfd. */
	EXPECT_EQ(-ENOENT, pe_ioeventfd(self->pe, self->dom, self->s.id,
					PE_NOTIFY, 4, self->efd, de | dm, 1));
	EXPECT_EQ(-ENOENT, pe_ioeventfd(self->pe, self->dom, self->s.id,
					PE_NOTIFY, 4, self->dmfd, de | dm, 0));
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, de | dm, 0));
	EXPECT_EQ(-ENOENT, pe_ioeventfd(self->pe, self->dom, self->s.id,
					PE_NOTIFY, 4, self->efd, de | dm, 0));

	ASSERT_EQ(0, xl_guest_write_start(self->dom, 0, PE_NOTIFY, 4, 0, 5, -1));
	ASSERT_EQ(0, dm_until_guest_done(self->pe, &self->s, self->dmfd, &log, NULL));
	EXPECT_EQ(5, log.writes);
	EXPECT_EQ(0, efd_take(self->efd));
}

TEST_F_TIMEOUT(owned, overlapping_registrations_collide, PE_TEST_TIMEOUT_S)
{
	uint32_t dm = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH;
	uint32_t pio = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO;
	int id = self->s.id, d = self->dom, pe = self->pe, e = self->efd;

	ASSERT_EQ(0, pe_ioeventfd(pe, d, id, PE_NOTIFY, 4, e, dm, 1));
	EXPECT_EQ(-EEXIST, pe_ioeventfd(pe, d, id, PE_NOTIFY, 4, e, dm, 1));
	EXPECT_EQ(-EEXIST, pe_ioeventfd(pe, d, id, PE_NOTIFY, 4, self->dmfd, 0, 0));
	EXPECT_EQ(0, pe_ioeventfd(pe, d, id, PE_NOTIFY, 4, e, dm, 2));
	EXPECT_EQ(0, pe_ioeventfd(pe, d, id, PE_NOTIFY, 2, e, 0, 0));
	EXPECT_EQ(-EEXIST, pe_ioeventfd(pe, d, id, PE_NOTIFY, 2, e, dm, 3));
	EXPECT_EQ(0, pe_ioeventfd(pe, d, id, PE_NOTIFY + 4, 4, e, 0, 0));
	/* The same number in the two address spaces is two addresses. */
	EXPECT_EQ(0, pe_ioeventfd(pe, d, id, 0x50, 4, e, dm, 1));
	EXPECT_EQ(0, pe_ioeventfd(pe, d, id, 0x50, 4, e, pio | dm, 1));
	EXPECT_EQ(-EEXIST, pe_ioeventfd(pe, d, id, 0x50, 4, e, pio, 0));
}

TEST_F_TIMEOUT(owned, bad_requests_are_refused, PE_TEST_TIMEOUT_S)
{
	struct privcmd_eventfd_ioeventfd req = {
		.addr = PE_NOTIFY, .len = 4, .fd = self->efd,
		.dom = self->dom, .id = self->s.id,
	};
	uint32_t dm = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH;
	int id = self->s.id, d = self->dom, pe = self->pe, e = self->efd;

	EXPECT_EQ(-EINVAL, pe_ioeventfd(pe, d, id, PE_NOTIFY, 3, e, 0, 0));
	EXPECT_EQ(-EINVAL, pe_ioeventfd(pe, d, id, PE_NOTIFY, 0, e, 0, 0));
	EXPECT_EQ(-EINVAL, pe_ioeventfd(pe, d, id, PE_NOTIFY, 16, e, 0, 0));
	EXPECT_EQ(-EINVAL, pe_ioeventfd(pe, d, id, PE_NOTIFY, 4, e, 1u << 31, 0));
	EXPECT_EQ(-EINVAL, pe_ioeventfd(pe, d, id, PE_NOTIFY, 2, e, dm, 0x10000));
	EXPECT_EQ(-EINVAL, pe_ioeventfd(pe, d, id, 0x10000, 2, e,
					PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO, 0));
	EXPECT_EQ(-EBADF, pe_ioeventfd(pe, d, id, PE_NOTIFY, 4, -1, 0, 0));
	EXPECT_EQ(-EBADF, pe_ioeventfd(pe, d, id, PE_NOTIFY, 4, pe, 0, 0));
	EXPECT_EQ(-ENOENT, pe_ioeventfd(pe, d, id + 1, PE_NOTIFY, 4, e, 0, 0));

	req.pad = 1;
	EXPECT_EQ(-EINVAL, pe_ioctl(pe, PRIVCMD_EVENTFD_IOC_IOEVENTFD, &req));
	req.pad = 0;
	req.reserved = 1;
	EXPECT_EQ(-EINVAL, pe_ioctl(pe, PRIVCMD_EVENTFD_IOC_IOEVENTFD, &req));
	EXPECT_EQ(-EFAULT, pe_ioctl(pe, PRIVCMD_EVENTFD_IOC_IOEVENTFD, NULL));
	/* None of that left a registration behind. */
	EXPECT_EQ(0, pe_debugfs_has("ioeventfd mmio"));
}

TEST_F_TIMEOUT(owned, attach_errors, PE_TEST_TIMEOUT_S)
{
	int pe = self->pe, d = self->dom, id = self->s.id;
	struct privcmd_eventfd_server req = {
		.dom = d, .id = id, .vcpus = 1, .dm_fd = -1, .reserved = { 1 },
	};

	EXPECT_EQ(-EEXIST, pe_attach(pe, d, id, self->s.vcpus, -1));
	EXPECT_EQ(-EINVAL, pe_attach(pe, d, id + 1, 0, -1));
	EXPECT_EQ(-EINVAL, pe_attach(pe, d, id + 1, PRIVCMD_EVENTFD_MAX_VCPUS + 1, -1));
	EXPECT_EQ(-EBADF, pe_attach(pe, d, id + 1, 1, 1000));
	EXPECT_EQ(-ENOENT, pe_attach(pe, d, id + 3, 1, -1));
	EXPECT_EQ(-EINVAL, pe_ioctl(pe, PRIVCMD_EVENTFD_IOC_SERVER, &req));
	EXPECT_EQ(-ENOENT, pe_detach(pe, d, id + 1));
	EXPECT_EQ(-ENOENT, pe_complete(pe, d, id + 1, 0));
	EXPECT_EQ(-EINVAL, pe_complete(pe, d, id, PRIVCMD_EVENTFD_MAX_VCPUS));
}

/* Detach and attach again: the ports were released and can be rebound. */
TEST_F_TIMEOUT(owned, detach_then_reattach, PE_TEST_TIMEOUT_S)
{
	ASSERT_EQ(0, pe_detach(self->pe, self->dom, self->s.id));
	ASSERT_EQ(0, pe_attach(self->pe, self->dom, self->s.id, self->s.vcpus,
			       self->dmfd));
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 10, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(10, efd_take(self->efd));
}

/* The device model's own mapping of the page does not matter to the module. */
TEST_F_TIMEOUT(owned, device_model_unmaps_its_page, PE_TEST_TIMEOUT_S)
{
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, xenforeignmemory_unmap_resource(self->s.fmem, self->s.res));
	self->s.res = NULL;
	self->s.page = NULL;
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 50, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(50, efd_take(self->efd));
}

/*
 * A device model that detaches to serve the server on its own keeps the
 * request it claimed: the module must not complete it behind its back
 * (the device model's late answer would then complete the next request,
 * or find the slot idle, which Xen calls a bad IO state).
 */
TEST_F_TIMEOUT(owned, detach_leaves_claimed_request_to_device_model,
	       PE_TEST_TIMEOUT_S)
{
	uint64_t deadline, value = 0;
	int slot = -1, v;
	uint8_t *fb = NULL, old = 0;

	ASSERT_EQ(0, xl_guest_read_start(self->dom, 0, PE_NOTIFY, 4));
	/* Forwarded to the device model, which claims it... */
	ASSERT_EQ(1, efd_wait(self->dmfd, 10000));
	deadline = xl_now_us() + 10000000;
	while (slot < 0 && xl_now_us() < deadline) {
		for (v = 0; v < (int)self->s.vcpus && slot < 0; v++) {
			fb = ioreq_flags_byte(&self->s.page[v]);
			old = __atomic_load_n(fb, __ATOMIC_ACQUIRE);
			if ((old & 0xf) == STATE_IOREQ_READY &&
			    __atomic_compare_exchange_n(fb, &old,
							(old & ~0xf) | STATE_IOREQ_INPROCESS,
							0, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				slot = v;
		}
	}
	ASSERT_LE(0, slot);
	/* ...and detaches, holding it, to answer on its own ports. */
	ASSERT_EQ(0, pe_detach(self->pe, self->dom, self->s.id));
	EXPECT_EQ(STATE_IOREQ_INPROCESS, __atomic_load_n(fb, __ATOMIC_ACQUIRE) & 0xf);
	ASSERT_EQ(0, xl_server_bind_ports(&self->s));
	self->s.page[slot].data = DM_READ_VALUE;
	__atomic_store_n(fb, (old & ~0xf) | STATE_IORESP_READY, __ATOMIC_RELEASE);
	ASSERT_EQ(0, xenevtchn_notify(self->s.xce, self->s.local_port[slot]));
	ASSERT_EQ(0, xl_guest_wait(self->dom, PE_GUEST_TIMEOUT_MS, &value));
	EXPECT_EQ(DM_READ_VALUE & 0xffffffff, value);
	/* And the guest's next access still works (no bad IO state). */
	EXPECT_EQ(0, xl_guest_read_start(self->dom, 0, PE_NOTIFY, 4));
	EXPECT_EQ(0, dm_relay_until_guest_done(&self->s));
}

struct racer {
	int pe, stop;
	struct xl_server *s;
	struct dm_log log;
};

/* A device model that grabs every READY request it sees, all the time. */
static void *racer_fn(void *arg)
{
	struct racer *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		pe_dm_scan(r->pe, r->s, dm_cb, &r->log);
	return NULL;
}

TEST_F_TIMEOUT(owned, device_model_races_the_handler, PE_TEST_TIMEOUT_S)
{
	struct racer r = { .pe = self->pe, .s = &self->s };
	uint64_t signalled;
	pthread_t t;

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, racer_fn, &r));
	/* Every write must be served exactly once, by one or the other. */
	EXPECT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 300, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	signalled = efd_take(self->efd);
	EXPECT_EQ(300, signalled + r.log.writes);
	TH_LOG("handler served %llu, racing device model %u",
	       (unsigned long long)signalled, r.log.writes);
}

/*
 * A device model that dies while it holds a forwarded request must not
 * leave the vCPU blocked: release completes it.
 */
TEST_F_TIMEOUT(owned, crashed_device_model_does_not_hang_guest, PE_TEST_TIMEOUT_S)
{
	int ready[2], pid, status;
	uint64_t value = 0;
	char c;

	/* The fixture's attachment would serve the request itself. */
	ASSERT_EQ(0, pe_detach(self->pe, self->dom, self->s.id));
	ASSERT_EQ(0, pipe(ready));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int pe = pe_open(), dmfd = eventfd(0, 0);

		if (pe < 0 || pe_attach(pe, self->dom, self->s.id,
					self->s.vcpus, dmfd))
			_exit(1);
		write(ready[1], "r", 1);
		pause();	/* never serves the forwarded read */
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, xl_guest_read_start(self->dom, 0, PE_NOTIFY, 4));
	usleep(500000);
	EXPECT_EQ(-ETIMEDOUT, xl_guest_wait(self->dom, 100, &value));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ASSERT_EQ(0, xl_guest_wait(self->dom, PE_GUEST_TIMEOUT_MS, &value));
	EXPECT_EQ(0xffffffffull, value);
	close(ready[0]);
	close(ready[1]);
}

/*
 * A server holds PRIVCMD_EVENTFD_MAX_IOEVENTFDS registrations; one more is
 * ENOSPC and changes nothing. Lookup is hashed: with the table full, a kick
 * at the last address registered is still served.
 */
TEST_F_TIMEOUT(owned, full_server_is_enospc, PE_TEST_TIMEOUT_S)
{
	const uint64_t base = PE_MMIO_START;
	const uint64_t last = base + 4 * (PRIVCMD_EVENTFD_MAX_IOEVENTFDS - 1);
	const uint32_t deassign = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN;
	unsigned int i;

	for (i = 0; i < PRIVCMD_EVENTFD_MAX_IOEVENTFDS; i++)
		ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id,
					  base + 4 * i, 4, self->efd, 0, 0));
	EXPECT_EQ(-ENOSPC, pe_ioeventfd(self->pe, self->dom, self->s.id,
					base + 0x1000, 4, self->efd, 0, 0));
	EXPECT_EQ(-ENOENT, pe_ioeventfd(self->pe, self->dom, self->s.id,
					base + 0x1000, 4, self->efd, deassign, 0));
	ASSERT_EQ(0, xl_guest_write(self->dom, 0, last, 4, 1, 3, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	EXPECT_EQ(3, efd_take(self->efd));
	/* A freed slot can be taken again. */
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, base, 4,
				  self->efd, deassign, 0));
	EXPECT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id,
				  base + 0x1000, 4, self->efd, 0, 0));
}

/*
 * ENOMEM: every allocation of an assign fails in turn (fail-nth fault
 * injection); each failure is ENOMEM and leaves nothing registered.
 */
TEST_F_TIMEOUT(owned, enomem_leaves_nothing_behind, PE_TEST_TIMEOUT_S)
{
	char path[64], nth[16];
	int fd, n, rc;

	snprintf(path, sizeof(path), "/proc/thread-self/fail-nth");
	fd = open(path, O_RDWR);
	if (fd < 0)
		SKIP(return, "ENOMEM not reachable: no fail-nth (CONFIG_FAULT_INJECTION off)");
	for (n = 1; n < 64; n++) {
		snprintf(nth, sizeof(nth), "%d", n);
		ASSERT_EQ(strlen(nth), pwrite(fd, nth, strlen(nth), 0));
		rc = pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0);
		ASSERT_EQ(strlen("0"), pwrite(fd, "0", 1, 0));
		if (!rc)
			break;
		ASSERT_EQ(-ENOMEM, rc);
		EXPECT_EQ(0, pe_debugfs_has("mmio 0xfe000050 "));
	}
	close(fd);
	EXPECT_EQ(1, pe_debugfs_has("mmio 0xfe000050 "));
}

/* Port I/O exists only on x86; elsewhere a PIO ioeventfd is EOPNOTSUPP. */
TEST_F_TIMEOUT(owned, pio_off_x86_is_eopnotsupp, PE_TEST_TIMEOUT_S)
{
	int rc = pe_ioeventfd(self->pe, self->dom, self->s.id, XL_PIO_BASE, 2,
			      self->efd, PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO, 0);

	if (pe_arch_has_pio())
		SKIP(return, "x86 has port I/O (assign: %d); EOPNOTSUPP is the Arm answer", rc);
	EXPECT_EQ(-EOPNOTSUPP, rc);
}

/*
 * What the invalidate tests take back: 64 pages, one decrease_reservation
 * batch of the guest's balloon driver, so about one INVALIDATE. The
 * balloon works asynchronously: each test waits until the requests stop
 * (QUIET_US without one) so none spills into the next test.
 */
#define BALLOON_KB	256
#define QUIET_US	1500000ull

/* Be the device model until @want non-I/O requests came, then quiet. */
static void dm_serve_until_quiet(int pe, struct xl_server *s, int dmfd,
				 struct dm_log *log, unsigned int want)
{
	uint64_t now = xl_now_us(), quiet_since = now;
	uint64_t deadline = now + PE_GUEST_TIMEOUT_MS * 1000ull;
	unsigned int seen = log->other;

	while (now < deadline) {
		pe_dm_serve(pe, s, dmfd, 50, dm_cb, log);
		now = xl_now_us();
		if (log->other != seen) {
			seen = log->other;
			quiet_since = now;
		} else if (seen >= want && now - quiet_since > QUIET_US) {
			return;
		}
	}
}

/*
 * A guest that returns memory makes Xen broadcast IOREQ_TYPE_INVALIDATE to
 * every ioreq server, synchronously: the device model gets it, completes
 * it, and the guest's vCPUs go on (a kick on each one is still served).
 */
TEST_F_TIMEOUT(owned, invalidate_broadcast_reaches_device_model, PE_TEST_TIMEOUT_S)
{
	struct dm_log log = { 0 };
	unsigned int v, before;

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, xl_guest_balloon(self->dom, -BALLOON_KB));
	dm_serve_until_quiet(self->pe, &self->s, self->dmfd, &log, 1);
	EXPECT_LE(1, log.other);
	EXPECT_EQ(0, log.writes + log.reads);
	before = log.other;
	for (v = 0; v < self->s.vcpus; v++) {
		ASSERT_EQ(0, xl_guest_write_start(self->dom, 0, PE_NOTIFY, 4, v,
						  1, v));
		EXPECT_EQ(0, dm_until_guest_done(self->pe, &self->s, self->dmfd,
						 &log, NULL));
	}
	EXPECT_EQ(self->s.vcpus, efd_take(self->efd));
	EXPECT_EQ(0, log.writes + log.reads);
	/* Growing back sends nothing; keep the guest the size it was. */
	ASSERT_EQ(0, xl_guest_balloon(self->dom, BALLOON_KB));
	dm_serve_until_quiet(self->pe, &self->s, self->dmfd, &log, 0);
	TH_LOG("invalidate requests: %u while shrinking, %u after", before,
	       log.other - before);
}

FIXTURE(owned_nodm) {
	struct xl_server s;
	int dom, pe;
};

FIXTURE_SETUP(owned_nodm)
{
	int rc;

	memset(&self->s, 0, sizeof(self->s));
	self->pe = -1;
	self->dom = xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no lab guest (XENLAB_GUEST_DOMID unset)");
	self->pe = pe_open();
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	ASSERT_EQ(0, pe_server_setup(&self->s, self->dom));
	rc = pe_attach(self->pe, self->dom, self->s.id, self->s.vcpus, -1);
	if (rc)
		xl_server_destroy(&self->s);
	ASSERT_EQ(0, rc);
}

FIXTURE_TEARDOWN(owned_nodm)
{
	if (self->pe >= 0)
		close(self->pe);
	xl_server_destroy(&self->s);
}

/* Without a device model, what nobody matches completes as unclaimed I/O. */
TEST_F_TIMEOUT(owned_nodm, unmatched_requests_complete_by_default, PE_TEST_TIMEOUT_S)
{
	uint64_t value = 0;

	ASSERT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 9, 20, -1,
				    PE_GUEST_TIMEOUT_MS, NULL));
	ASSERT_EQ(0, xl_guest_read_start(self->dom, 0, PE_NOTIFY, 4));
	ASSERT_EQ(0, xl_guest_wait(self->dom, PE_GUEST_TIMEOUT_MS, &value));
	EXPECT_EQ(0xffffffffull, value);
	EXPECT_EQ(1, pe_debugfs_has("defaulted 21"));
}

/* Wait until the "defaulted" counter moved past @from and then stood still. */
static long long defaulted_settle(long long from)
{
	uint64_t now = xl_now_us(), quiet_since = now;
	uint64_t deadline = now + PE_GUEST_TIMEOUT_MS * 1000ull;
	long long seen = from, c;

	while (now < deadline) {
		usleep(50000);
		c = pe_debugfs_counter("defaulted");
		now = xl_now_us();
		if (c != seen) {
			seen = c;
			quiet_since = now;
		} else if (seen > from && now - quiet_since > QUIET_US) {
			break;
		}
	}
	return seen;
}

/* Without a device model, the module itself completes INVALIDATE. */
TEST_F_TIMEOUT(owned_nodm, invalidate_broadcast_is_completed, PE_TEST_TIMEOUT_S)
{
	long long before = pe_debugfs_counter("defaulted"), after;
	unsigned int v;

	ASSERT_LE(0, before);
	ASSERT_EQ(0, xl_guest_balloon(self->dom, -BALLOON_KB));
	after = defaulted_settle(before);
	EXPECT_LT(before, after);
	/* No vCPU was left blocked on an unanswered request. */
	for (v = 0; v < self->s.vcpus; v++)
		EXPECT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, v, 1, v,
					    PE_GUEST_TIMEOUT_MS, NULL));
	ASSERT_EQ(0, xl_guest_balloon(self->dom, BALLOON_KB));
	usleep(QUIET_US);
	TH_LOG("invalidate requests completed by the module: %lld", after - before);
}

/*
 * Review B6: Xen frees a destroyed domain only when the last mapping of its
 * ioreq page goes, and the module's attachment holds one. The domain stays
 * a zombie while a file is attached, and goes once the file lets go.
 */
#define ZOMBIE_NAME	"xenlab-zombie"

/* Is @dom still known to Xen (a zombie shows as "(null)" in xl list)? */
static int domain_exists(int dom)
{
	char line[256];
	int found = 0, id;
	FILE *f = popen("xl list 2>/dev/null", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %d", &id) == 1 && id == dom)
			found = 1;
	pclose(f);
	return found;
}

static int domain_gone_within(int dom, int seconds)
{
	while (seconds-- > 0) {
		if (domain_exists(dom) == 0)
			return 1;
		sleep(1);
	}
	return 0;
}

/*
 * A paused PVH domain that never runs: enough for an ioreq server. Return
 * its domid, or -1 with xl's last words in @why.
 */
static int zombie_create(char *why, size_t len)
{
	const char *cfg = "/tmp/" ZOMBIE_NAME ".cfg";
	char out[64] = "";
	FILE *f = fopen(cfg, "w");

	snprintf(why, len, "cannot write %s", cfg);
	if (!f)
		return -1;
	fprintf(f, "name = \"%s\"\ntype = \"pvh\"\nmemory = 192\nvcpus = 1\n"
		"kernel = \"/tmp/guest/vmlinuz\"\non_crash = \"destroy\"\n",
		ZOMBIE_NAME);
	fclose(f);
	f = popen("xl create -p /tmp/" ZOMBIE_NAME ".cfg >/tmp/" ZOMBIE_NAME ".log 2>&1; "
		  "cp /tmp/" ZOMBIE_NAME ".log \"${XENLAB_OUT:-/tmp}\"/ 2>/dev/null; "
		  "grep -i -m1 'error\\|fail\\|panic' /tmp/" ZOMBIE_NAME ".log", "r");
	if (!f)
		return -1;
	if (!fgets(why, len, f))
		why[0] = 0;
	pclose(f);
	f = popen("xl domid " ZOMBIE_NAME " 2>/dev/null", "r");
	if (!f)
		return -1;
	if (!fgets(out, sizeof(out), f))
		out[0] = 0;
	pclose(f);
	return out[0] ? atoi(out) : -1;
}

static void zombie_destroy(int dom)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "xl destroy %d >/dev/null 2>&1", dom);
	if (system(cmd))
		return;
}

FIXTURE(zombie) {
	int dom;
};

FIXTURE_SETUP(zombie)
{
	char why[256];

	if (xl_guest_domid() < 0)
		SKIP(return, "no lab (XENLAB_GUEST_DOMID unset)");

	self->dom = zombie_create(why, sizeof(why));
	ASSERT_LT(0, self->dom) TH_LOG("xl create -p of a PVH domain: %s", why);
}

FIXTURE_TEARDOWN(zombie)
{
	if (self->dom > 0 && domain_exists(self->dom) == 1)
		zombie_destroy(self->dom);
}

static void zombie_check(struct __test_metadata *_metadata, int dom, int detach)
{
	struct xl_server s;
	int pe = pe_open(), dmfd = eventfd(0, EFD_CLOEXEC);
	uint32_t id;
	int rc;

	if (pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	ASSERT_LE(0, dmfd);
	ASSERT_EQ(0, pe_server_setup(&s, dom));
	ASSERT_EQ(0, pe_attach(pe, dom, s.id, s.vcpus, dmfd));
	id = s.id;
	/* The test's own mapping goes; the module's stays. */
	xl_server_destroy(&s);
	zombie_destroy(dom);
	sleep(2);
	EXPECT_EQ(1, domain_exists(dom)) TH_LOG("d%d went while attached", dom);
	rc = detach ? pe_detach(pe, dom, id) : close(pe);
	EXPECT_EQ(0, rc);
	EXPECT_TRUE(domain_gone_within(dom, 20))
		TH_LOG("d%d still there after the %s", dom, detach ? "detach" : "close");
	if (detach)
		close(pe);
	close(dmfd);
}

TEST_F_TIMEOUT(zombie, destroyed_guest_goes_on_close, PE_TEST_TIMEOUT_S)
{
	zombie_check(_metadata, self->dom, 0);
}

TEST_F_TIMEOUT(zombie, destroyed_guest_goes_on_detach, PE_TEST_TIMEOUT_S)
{
	zombie_check(_metadata, self->dom, 1);
}

TEST_HARNESS_MAIN
