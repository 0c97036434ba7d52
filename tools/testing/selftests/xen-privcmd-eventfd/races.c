// SPDX-License-Identifier: GPL-2.0
/*
 * Races with a guest that keeps kicking: the device model changes its
 * registrations, loses claims to the handler or wins them, while a real
 * guest vCPU writes QUEUE_NOTIFY as fast as it can. Each test ends by
 * checking that the guest's next write still completes in time.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "pe_util.h"

/*
 * A guest write the module serves takes a few ms under TCG, but a busy
 * host can stall the emulated CPU for over 100 ms: a write that must
 * merely complete gets a second. Lost claims acknowledged as spurious
 * delayed the next kick by 250-400 ms (pv-6.12-smp), hence the bound of
 * that test.
 */
#define RACE_WRITE_MAX_US	1000000ull
#define RACE_NEXT_KICK_MAX_US	200000ull

/* Kicks of the churn test: about 10 s of them under TCG. */
#define RACE_KICKS		800

FIXTURE(race) {
	struct xl_server s;
	int dom, pe, dmfd, efd;
};

FIXTURE_VARIANT(race) {
	int pvh;
};

FIXTURE_VARIANT_ADD(race, hvm) {
	.pvh = 0,
};

FIXTURE_VARIANT_ADD(race, pvh) {
	.pvh = 1,
};

FIXTURE_SETUP(race)
{
	memset(&self->s, 0, sizeof(self->s));
	self->pe = -1;
	self->dmfd = -1;
	self->efd = -1;
	self->dom = variant->pvh ? xl_pvh_domid() : xl_guest_domid();
	if (self->dom < 0)
		SKIP(return, "no %s lab guest", variant->pvh ? "PVH" : "HVM");
	self->pe = pe_open();
	if (self->pe < 0)
		SKIP(return, "%s: %s (module not loaded)", PE_DEV, strerror(errno));
	self->dmfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(self->dmfd, 0);
	ASSERT_GE(self->efd, 0);
	ASSERT_EQ(0, pe_owned_attach(self->pe, &self->s, self->dom, self->dmfd));
}

FIXTURE_TEARDOWN(race)
{
	pe_owned_teardown(self->pe, &self->s, self->efd, self->dmfd);
}

/* Serve forwarded requests (the guest's own, none expected) until it is done. */
static int race_wait_guest(int pe, struct xl_server *s, int dmfd, uint64_t *usecs)
{
	uint64_t deadline = xl_now_us() + PE_GUEST_TIMEOUT_MS * 1000ull;
	int rc;

	for (;;) {
		pe_dm_serve(pe, s, dmfd, 20, NULL, NULL);
		rc = xl_guest_wait(s->domid, 20, usecs);
		if (rc != -ETIMEDOUT || xl_now_us() > deadline)
			return rc;
	}
}

/* One write the module serves, timed by the guest. */
static int race_one_write(int pe, struct xl_server *s, int dmfd, uint64_t *usecs)
{
	int rc = xl_guest_write_start(s->domid, 0, PE_NOTIFY, 4, 0, 1, 0);

	return rc ? rc : race_wait_guest(pe, s, dmfd, usecs);
}

struct churn {
	int pe, stop, efd, dmfd;
	struct xl_server *s;
	unsigned long loops, assigned, max_us;
	pthread_mutex_t lock;
};

/* The device model: serve forwarded kicks (no registration) at once. */
static void *churn_dm_fn(void *arg)
{
	struct churn *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE))
		pe_dm_serve(c->pe, c->s, c->dmfd, 10, NULL, NULL);
	return NULL;
}

/* Replace the eventfd now and then: close it, open another (same number, likely). */
static void *churn_efd_fn(void *arg)
{
	struct churn *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&c->lock);
		close(c->efd);
		c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		pthread_mutex_unlock(&c->lock);
		usleep(2000);
	}
	return NULL;
}

/* Assign and deassign in a loop; note the slowest ioctl. */
static void *churn_reg_fn(void *arg)
{
	const uint32_t deassign = PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN;
	struct churn *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		uint64_t t0 = xl_now_us(), dt;
		int efd, rc;

		pthread_mutex_lock(&c->lock);
		efd = dup(c->efd);
		pthread_mutex_unlock(&c->lock);
		rc = pe_ioeventfd(c->pe, c->s->domid, c->s->id, PE_NOTIFY, 4, efd, 0, 0);
		if (!rc) {
			c->assigned++;
			pe_ioeventfd(c->pe, c->s->domid, c->s->id, PE_NOTIFY, 4, efd,
				     deassign, 0);
		}
		close(efd);
		dt = xl_now_us() - t0;
		if (dt > c->max_us)
			c->max_us = dt;
		__atomic_add_fetch(&c->loops, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Review item 9: a deassign sat in synchronize_rcu() for minutes while a
 * PVH guest kicked without pause. Registration changes must not wait on
 * the guest's kick rate.
 */
TEST_F_TIMEOUT(race, deassign_while_guest_kicks, PE_TEST_TIMEOUT_S)
{
	struct churn c = { .pe = self->pe, .s = &self->s, .dmfd = self->dmfd,
			   .lock = PTHREAD_MUTEX_INITIALIZER };
	uint64_t deadline, stalled_since, usecs = 0;
	unsigned long last = 0, now;
	pthread_t treg, tefd, tdm;
	int guest = -ETIMEDOUT, stuck = 0;

	c.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_GE(c.efd, 0);
	/*
	 * The guest kicks without pause; kicks that find no registration go
	 * to the device model (this thread).
	 */
	ASSERT_EQ(0, xl_guest_write_start(self->dom, 0, PE_NOTIFY, 4, 0, RACE_KICKS, 0));
	ASSERT_EQ(0, pthread_create(&treg, NULL, churn_reg_fn, &c));
	ASSERT_EQ(0, pthread_create(&tefd, NULL, churn_efd_fn, &c));
	ASSERT_EQ(0, pthread_create(&tdm, NULL, churn_dm_fn, &c));

	deadline = xl_now_us() + PE_GUEST_TIMEOUT_MS * 1000ull;
	stalled_since = xl_now_us();
	while (guest == -ETIMEDOUT && xl_now_us() < deadline) {
		guest = xl_guest_wait(self->dom, 20, NULL);
		now = __atomic_load_n(&c.loops, __ATOMIC_ACQUIRE);
		if (now != last) {
			last = now;
			stalled_since = xl_now_us();
		} else if (xl_now_us() - stalled_since > 20000000) {
			stuck = 1;
			break;
		}
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	if (stuck) {
		/* The thread sits in the kernel: joining it would hang the test. */
		pe_debugfs_dump("stuck");
		ASSERT_FALSE(stuck) TH_LOG("an ioeventfd ioctl has not returned for 20 s");
	}
	pthread_join(tefd, NULL);
	pthread_join(treg, NULL);
	pthread_join(tdm, NULL);
	TH_LOG("%lu loops, %lu assigned, slowest %lu us", c.loops, c.assigned,
	       c.max_us);
	EXPECT_EQ(0, guest) TH_LOG("the guest's %d kicks did not complete", RACE_KICKS);
	EXPECT_LT(c.max_us, 2000000);
	EXPECT_LT(0, c.assigned);
	close(c.efd);

	/* The guest's next write still completes, and fast. */
	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, race_one_write(self->pe, &self->s, self->dmfd, &usecs));
	EXPECT_LT(usecs, RACE_WRITE_MAX_US);
	EXPECT_EQ(1, efd_take(self->efd));
}

struct racer {
	int pe, stop;
	struct xl_server *s;
	unsigned long won;
};

/* A device model that takes every READY request it sees. */
static void *racer_fn(void *arg)
{
	struct racer *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		r->won += pe_dm_scan(r->pe, r->s, NULL, NULL);
	return NULL;
}

/*
 * Review B5: each event whose request a racing device model already took
 * was acknowledged as spurious, and Linux delays the unmask of a port
 * after consecutive spurious events, up to a second: the first kick after
 * the device model stops racing waited for it.
 */
TEST_F_TIMEOUT(race, lost_claims_do_not_delay_the_next_kick, PE_TEST_TIMEOUT_S)
{
	uint64_t usecs, worst = 0;
	unsigned long won = 0;
	int round;

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	for (round = 0; round < 6; round++) {
		struct racer r = { .pe = self->pe, .s = &self->s };
		pthread_t t;

		ASSERT_EQ(0, pthread_create(&t, NULL, racer_fn, &r));
		EXPECT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 40, 0,
					    PE_GUEST_TIMEOUT_MS, NULL));
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		won += r.won;

		usecs = 0;
		ASSERT_EQ(0, race_one_write(self->pe, &self->s, self->dmfd, &usecs));
		if (usecs > worst)
			worst = usecs;
		/* One dom0 vCPU: the handler always runs first. */
		if (round == 1 && !won) {
			round++;
			break;
		}
	}
	TH_LOG("device model won %lu of %d claims; slowest next kick %llu us",
	       won, round * 40, (unsigned long long)worst);
	if (won < 20)
		SKIP(return, "the device model won %lu claims: no race on %s dom0 vCPU(s)",
		     won, getenv("XENLAB_COMBO") ?: "this");
	EXPECT_LT(worst, RACE_NEXT_KICK_MAX_US);
}

/*
 * Issue 8 item 9, second half: the device model destroys its Xen ioreq
 * server (XEN_DMOP_destroy_ioreq_server) while the module is still
 * attached, and the guest goes on using the range. Nobody serves it any
 * more, so Xen must complete the accesses itself (writes dropped, reads
 * all ones); neither the module's leftover ports nor its mapping may
 * leave a vCPU blocked, and closing the file afterwards must work.
 */
TEST_F_TIMEOUT(race, server_destroyed_under_the_module, PE_TEST_TIMEOUT_S)
{
	uint64_t value = 0;

	ASSERT_EQ(0, pe_ioeventfd(self->pe, self->dom, self->s.id, PE_NOTIFY, 4,
				  self->efd, 0, 0));
	ASSERT_EQ(0, race_one_write(self->pe, &self->s, self->dmfd, NULL));
	EXPECT_EQ(1, efd_take(self->efd));

	/* The device model's own page stays mapped: only the server goes. */
	ASSERT_EQ(0, xendevicemodel_destroy_ioreq_server(self->s.dmod, self->dom,
							 self->s.id));
	self->s.created = 0;
	self->s.enabled = 0;

	EXPECT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 20, 0, 20000, NULL))
		TH_LOG("the guest's writes after the server went did not complete");
	EXPECT_EQ(0, efd_take(self->efd));
	EXPECT_EQ(0, xl_guest_read_start(self->dom, 0, PE_NOTIFY, 4));
	EXPECT_EQ(0, xl_guest_wait(self->dom, 20000, &value));
	EXPECT_EQ(0xffffffffull, value);

	/* The file lets go of ports and a page whose server is gone. */
	EXPECT_EQ(0, close(self->pe));
	self->pe = -1;
	EXPECT_EQ(0, xl_guest_write(self->dom, 0, PE_NOTIFY, 4, 0, 1, 0, 20000, NULL));
}

TEST_HARNESS_MAIN
