// SPDX-License-Identifier: GPL-2.0
/*
 * xenlab-bench: the doorbell benchmark (issue 9), run in the lab's dom0
 * with the lab's real guests (tools/testing/xen-lab/bench.sh, `make bench`).
 *
 * Every path is measured in the same boot, in interleaved repetitions (each
 * path once per repetition, the order rotated), and reported as the median
 * and the spread (min-max) of the guest-timed write rate. Every path that a
 * real backend would read has a thread reading the backend's eventfd:
 *
 *   relay           userspace ioreq server in the shape of rust-vmm's
 *                   xen-vhost-frontend: a thread polls the evtchn fd, claims
 *                   the ioreq, signals an eventfd that a second thread
 *                   reads, completes and notifies
 *   upstream        IOCTL_PRIVCMD_IOEVENTFD on ports the backend bound
 *                   through /dev/xen/evtchn, a thread acking every event,
 *                   an eventfd reader
 *   owned           PRIVCMD_EVENTFD_IOC_SERVER + IOEVENTFD, eventfd reader
 *   owned-noreader  the same without a reader (not what a backend does)
 *   floor           a write Xen completes itself, no dom0 at all (HVM: a
 *                   read-only vHPET register or the ACPI PM1a status port;
 *                   PVH: an address or port no server claims)
 *
 * for MMIO and PIO writes from one guest vCPU and MMIO writes from two
 * vCPUs at once; the ioeventfd lookup with 1 and 1024 registrations; and
 * interrupts: the module's irqfd against a userspace loop (ISA pulses by
 * dm_op on HVM, event channel notifies on both), each signaller waiting
 * for the guest to count an interrupt before it sends the next.
 *
 *   xenlab-bench [-k writes_per_sample] [-r repetitions]
 *
 * Defaults from XENLAB_BENCH_KICKS (500) and XENLAB_BENCH_REPS (5). Prints
 * a Markdown table per run, then one line per median and per ratio:
 *   bench: <combo> <n>cpu <guest> <path> <writes/s>
 *   bench: <combo> <n>cpu <guest> ratio <a>/<b> <x>
 * Exit status 1 if a path lost or invented a kick (counts checked every
 * sample), 0 otherwise; it asserts nothing about speed.
 */
#define __XEN_TOOLS__ 1
#include <inttypes.h>
#include <pthread.h>
#include <sys/eventfd.h>

#include "pe_util.h"

#include <xen/hvm/dm_op.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define MAX_REPS	15
#define KICK_TIMEOUT_MS	300000
#define IRQ_WAIT_MS	5000
#define IRQ_SIGNALS	20	/* per sample: each costs xenstore round trips */

/* Xen-completed targets (the floor). */
#define HVM_HPET_ID	0xfed00000ull	/* vHPET capabilities: read-only */
#define HVM_PM1A_STS	0xb000u		/* ACPI PM1a status: writing 0 clears nothing */

enum shape { S_MMIO, S_PIO, S_MMIO2, NSHAPE };
static const char *const shape_sfx[NSHAPE] = { "", "-pio", "-2vcpu" };
static const char *const shape_col[NSHAPE] = { "MMIO 1 vCPU", "PIO 1 vCPU", "MMIO 2 vCPUs" };

enum path {
	P_RELAY, P_UPSTREAM, P_OWNED, P_NOREADER, P_FLOOR,	/* per shape */
	P_LOOKUP,		/* owned, reader, 1024 registrations (MMIO) */
	P_IRQFD_ISA, P_DMOP_LOOP, P_IRQFD_EVTCHN, P_NOTIFY_LOOP,	/* irqs/s */
	NPATH
};

#define NKICKPATH	(P_FLOOR + 1)

static const char *const path_name[NPATH] = {
	"relay", "upstream", "owned", "owned-noreader", "floor",
	"owned-1024reg",
	"irqfd-isa", "dmop-loop", "irqfd-evtchn", "notify-loop",
};

static const char *const path_label[NPATH] = {
	"relay: evtchn thread claims, signals an eventfd a 2nd thread reads, completes",
	"module, upstream ABI (evtchn-bound ports, acking thread, eventfd reader)",
	"module, owned mode, eventfd reader",
	"module, owned mode, NO reader (not a real backend)",
	"floor: Xen completes the write itself, no dom0",
	"module, owned mode, reader, 1024 registrations",
	"irqfd: ISA IRQ pulses by the module (dm_op)",
	"userspace loop: xendevicemodel_set_isa_irq_level 1, 0",
	"irqfd: event channel notify by the module",
	"userspace loop: xenevtchn_notify",
};

#define NGUEST	2
struct guest {
	const char *name;
	int dom, vcpus, hvm, isa_irq;
	/* samples[path][shape][rep], 0 = not measured or failed */
	double s[NPATH][NSHAPE][MAX_REPS];
};

static struct guest guests[NGUEST];
static unsigned int kicks = 500, reps = 5, ncpu;
static const char *combo = "unknown";
static int features, errors;

/* ---------------------------------------------------------------------- */

struct stopper {
	int fd;		/* eventfd: readable = stop */
};

static int stop_init(struct stopper *st)
{
	st->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return st->fd < 0 ? -errno : 0;
}

static void stop_fire(struct stopper *st)
{
	uint64_t one = 1;

	if (write(st->fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

/* The backend's eventfd reader, as a vhost-user worker has. */
struct reader {
	int efd;
	struct stopper st;
	pthread_t t;
	uint64_t got;	/* atomic */
	int running;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	struct pollfd p[2] = {
		{ .fd = r->efd, .events = POLLIN },
		{ .fd = r->st.fd, .events = POLLIN },
	};
	uint64_t v;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN &&
		    read(r->efd, &v, sizeof(v)) == sizeof(v))
			__atomic_add_fetch(&r->got, v, __ATOMIC_RELAXED);
		if (p[1].revents & POLLIN)
			break;
	}
	return NULL;
}

static int reader_start(struct reader *r, int efd)
{
	memset(r, 0, sizeof(*r));
	r->efd = efd;
	if (stop_init(&r->st))
		return -1;
	if (pthread_create(&r->t, NULL, reader_fn, r)) {
		close(r->st.fd);
		return -1;
	}
	r->running = 1;
	return 0;
}

/* Wait (up to 2 s) for the reader to have seen @want, stop it, return its count. */
static uint64_t reader_stop(struct reader *r, uint64_t want)
{
	uint64_t deadline = xl_now_us() + 2000000;

	if (!r->running)
		return 0;
	while (__atomic_load_n(&r->got, __ATOMIC_RELAXED) < want &&
	       xl_now_us() < deadline)
		usleep(1000);
	stop_fire(&r->st);
	pthread_join(r->t, NULL);
	close(r->st.fd);
	r->running = 0;
	/* Anything signalled after the thread stopped. */
	return r->got + efd_take(r->efd);
}

/* ---------------------------------------------------------------------- */
/* Guest side                                                              */

struct target {
	int pio;
	uint64_t addr;
	unsigned int size;
};

/* The doorbell each shape kicks. */
static struct target doorbell(enum shape sh)
{
	struct target t = { 0, PE_NOTIFY, 4 };

	if (sh == S_PIO) {
		t.pio = 1;
		t.addr = XL_PIO_BASE;
	}
	return t;
}

static unsigned int shape_vcpus(enum shape sh)
{
	return sh == S_MMIO2 ? 2 : 1;
}

/* A xenstore request to the guest failed: say so, start a new connection. */
static void xs_failed(struct guest *g, const char *what, int rc)
{
	printf("# %s: xenstore %s failed: %s; reconnecting\n", g->name, what,
	       strerror(rc < 0 ? -rc : EIO));
	xl_guest_reconnect();
}

static int kick_send(struct guest *g, struct target t, enum shape sh)
{
	if (shape_vcpus(sh) == 1)
		return xl_guest_write_start(g->dom, t.pio, t.addr, t.size, 0,
					    kicks, 0);
	return xl_guest_kick_start(g->dom, t.pio, t.addr, t.size, 0, kicks,
				   shape_vcpus(sh));
}

static int kick_start(struct guest *g, struct target t, enum shape sh)
{
	int rc = kick_send(g, t, sh);

	if (rc) {
		xs_failed(g, "write command", rc);
		rc = kick_send(g, t, sh);
	}
	return rc;
}

/* Writes per second from the guest's own clock, or 0 on failure. */
static double kick_wait(struct guest *g, enum shape sh, const char *what)
{
	uint64_t us = 0;
	int rc = xl_guest_wait(g->dom, KICK_TIMEOUT_MS, &us);

	if (rc || !us) {
		printf("# %s %s%s: guest writes failed: %s\n", g->name, what,
		       shape_sfx[sh], strerror(rc ? -rc : EIO));
		if (rc && rc != -ETIMEDOUT)
			xl_guest_reconnect();
		return 0;
	}
	return (double)kicks * shape_vcpus(sh) * 1e6 / us;
}

static double check(struct guest *g, enum shape sh, enum path p, double rate,
		    uint64_t seen, uint64_t want)
{
	if (rate && seen != want) {
		printf("# %s %s%s: %" PRIu64 " kicks seen for %" PRIu64 " written\n",
		       g->name, path_name[p], shape_sfx[sh], seen, want);
		errors++;
		return 0;
	}
	return rate;
}

/* ---------------------------------------------------------------------- */
/* relay: rust-vmm xen-vhost-frontend's shape                              */

struct relay {
	struct xl_server s;
	struct target t;
	int kick_efd;
	struct stopper st;
	uint64_t served, kicked;
};

static void relay_serve(struct relay *r, unsigned int v)
{
	struct ioreq *req = &r->s.page[v];
	uint8_t *fb = ioreq_flags_byte(req);
	uint8_t old = __atomic_load_n(fb, __ATOMIC_ACQUIRE), inproc;
	uint64_t one = 1;

	if ((old & 0xf) != STATE_IOREQ_READY)
		return;
	inproc = (old & ~0xf) | STATE_IOREQ_INPROCESS;
	if (!__atomic_compare_exchange_n(fb, &old, inproc, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	r->served++;
	if ((req->type == IOREQ_TYPE_COPY || req->type == IOREQ_TYPE_PIO) &&
	    req->type == (r->t.pio ? IOREQ_TYPE_PIO : IOREQ_TYPE_COPY) &&
	    req->dir == IOREQ_WRITE && req->addr == r->t.addr) {
		/* The queue notify: kick the worker. */
		if (write(r->kick_efd, &one, sizeof(one)) == sizeof(one))
			r->kicked++;
	} else if (req->dir == IOREQ_READ && !req->data_is_ptr) {
		req->data = ~0ull;
	}
	__atomic_store_n(fb, (inproc & ~0xf) | STATE_IORESP_READY,
			 __ATOMIC_RELEASE);
	xenevtchn_notify(r->s.xce, r->s.local_port[v]);
}

static void *relay_fn(void *arg)
{
	struct relay *r = arg;
	struct pollfd p[2] = {
		{ .fd = xenevtchn_fd(r->s.xce), .events = POLLIN },
		{ .fd = r->st.fd, .events = POLLIN },
	};
	xenevtchn_port_or_error_t port;
	unsigned int v;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		port = xenevtchn_pending(r->s.xce);
		if (port < 0)
			continue;
		xenevtchn_unmask(r->s.xce, port);
		for (v = 0; v < r->s.vcpus; v++)
			if (r->s.local_port[v] == (uint32_t)port)
				relay_serve(r, v);
	}
	/* Nothing may stay blocked on us. */
	for (v = 0; v < r->s.vcpus; v++)
		relay_serve(r, v);
	return NULL;
}

static double run_relay(struct guest *g, enum shape sh)
{
	struct relay r = { .t = doorbell(sh) };
	struct reader rd = { .running = 0 };
	pthread_t t;
	int started = 0;
	double rate = 0;
	uint64_t seen = 0;

	r.kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r.kick_efd < 0 || stop_init(&r.st))
		goto out;
	if (pe_server_setup(&r.s, g->dom) || xl_server_bind_ports(&r.s))
		goto out;
	if (reader_start(&rd, r.kick_efd))
		goto out;
	if (pthread_create(&t, NULL, relay_fn, &r))
		goto out;
	started = 1;
	if (!kick_start(g, r.t, sh))
		rate = kick_wait(g, sh, "relay");
out:
	if (started) {
		stop_fire(&r.st);
		pthread_join(t, NULL);
	}
	seen = reader_stop(&rd, (uint64_t)kicks * shape_vcpus(sh));
	xl_server_destroy(&r.s);
	if (r.kick_efd >= 0)
		close(r.kick_efd);
	if (r.st.fd > 0)
		close(r.st.fd);
	if (rate && r.kicked != seen) {
		printf("# %s relay%s: relay signalled %" PRIu64 ", reader saw %" PRIu64 "\n",
		       g->name, shape_sfx[sh], r.kicked, seen);
		errors++;
		return 0;
	}
	return check(g, sh, P_RELAY, rate, seen, (uint64_t)kicks * shape_vcpus(sh));
}

/* ---------------------------------------------------------------------- */
/* upstream ABI                                                            */

struct acker {
	xenevtchn_handle *xce;
	struct stopper st;
	uint64_t events;
};

static void *acker_fn(void *arg)
{
	struct acker *a = arg;
	struct pollfd p[2] = {
		{ .fd = xenevtchn_fd(a->xce), .events = POLLIN },
		{ .fd = a->st.fd, .events = POLLIN },
	};
	xenevtchn_port_or_error_t port;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		port = xenevtchn_pending(a->xce);
		if (port >= 0) {
			xenevtchn_unmask(a->xce, port);
			a->events++;
		}
	}
	return NULL;
}

static double run_upstream(struct guest *g, enum shape sh)
{
	struct xl_server s = { 0 };
	struct privcmd_ioeventfd req;
	struct acker a = { .xce = NULL };
	struct reader rd = { .running = 0 };
	pthread_t t;
	int efd, pe, acking = 0, assigned = 0;
	uint64_t seen;
	double rate = 0;

	a.st.fd = -1;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pe = pe_open();
	if (efd < 0 || pe < 0 || stop_init(&a.st))
		goto out;
	if (pe_server_setup(&s, g->dom) || xl_server_bind_ports(&s))
		goto out;
	a.xce = s.xce;
	if (pthread_create(&t, NULL, acker_fn, &a))
		goto out;
	acking = 1;
	/* As an upstream backend registers a virtio-mmio device's queue 0. */
	memset(&req, 0, sizeof(req));
	req.ioreq = (uintptr_t)s.page;
	req.ports = (uintptr_t)s.local_port;
	req.addr = PE_MMIO_START;	/* notify at + 0x50 = PE_NOTIFY */
	req.addr_len = 4;
	req.event_fd = efd;
	req.vcpus = s.vcpus;
	req.vq = 0;
	req.dom = g->dom;
	if (pe_ioctl(pe, IOCTL_PRIVCMD_IOEVENTFD, &req)) {
		printf("# %s upstream%s: IOCTL_PRIVCMD_IOEVENTFD: %s\n", g->name,
		       shape_sfx[sh], strerror(errno));
		goto out;
	}
	assigned = 1;
	if (reader_start(&rd, efd))
		goto out;
	if (!kick_start(g, doorbell(sh), sh))
		rate = kick_wait(g, sh, "upstream");
out:
	seen = reader_stop(&rd, (uint64_t)kicks * shape_vcpus(sh));
	if (assigned) {
		req.flags = PRIVCMD_IOEVENTFD_FLAG_DEASSIGN;
		pe_ioctl(pe, IOCTL_PRIVCMD_IOEVENTFD, &req);
	}
	if (acking) {
		stop_fire(&a.st);
		pthread_join(t, NULL);
	}
	if (pe >= 0)
		close(pe);
	xl_server_destroy(&s);
	if (efd >= 0)
		close(efd);
	if (a.st.fd >= 0)
		close(a.st.fd);
	if (rate)
		printf("# %s upstream%s: userspace acked %" PRIu64 " events, %u kicks\n",
		       g->name, shape_sfx[sh], a.events, kicks * shape_vcpus(sh));
	return check(g, sh, P_UPSTREAM, rate, seen, (uint64_t)kicks * shape_vcpus(sh));
}

/* ---------------------------------------------------------------------- */
/* owned mode                                                              */

static double run_owned(struct guest *g, enum shape sh, enum path p)
{
	struct xl_server s = { 0 };
	struct reader rd = { .running = 0 };
	struct target t = doorbell(sh);
	unsigned int i, extra = p == P_LOOKUP ? PRIVCMD_EVENTFD_MAX_IOEVENTFDS - 1 : 0;
	uint64_t seen = 0, want = (uint64_t)kicks * shape_vcpus(sh);
	int efd, pe, attached = 0;
	double rate = 0;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pe = pe_open();
	if (efd < 0 || pe < 0 || pe_server_setup(&s, g->dom))
		goto out;
	if (pe_attach(pe, g->dom, s.id, s.vcpus, -1))
		goto out;
	attached = 1;
	if (pe_ioeventfd(pe, g->dom, s.id, t.addr, t.size, efd,
			 t.pio ? PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO : 0, 0))
		goto out;
	/* The others around PE_NOTIFY, 4 bytes apart, same eventfd. */
	for (i = 0; i < extra; i++)
		if (pe_ioeventfd(pe, g->dom, s.id, PE_MMIO_START + 0x100 + 4 * i,
				 4, efd, 0, 0))
			goto out;
	if (p != P_NOREADER && reader_start(&rd, efd))
		goto out;
	if (!kick_start(g, t, sh))
		rate = kick_wait(g, sh, path_name[p]);
out:
	if (p != P_NOREADER)
		seen = reader_stop(&rd, want);
	else
		seen = efd_take(efd);
	if (attached)
		pe_detach(pe, g->dom, s.id);
	if (pe >= 0)
		close(pe);
	xl_server_destroy(&s);
	if (efd >= 0)
		close(efd);
	return check(g, sh, p, rate, seen, want);
}

/* ---------------------------------------------------------------------- */
/* floor                                                                   */

static double run_floor(struct guest *g, enum shape sh)
{
	struct target t = doorbell(sh);

	if (g->hvm) {
		/* Unclaimed I/O would go to the guest's QEMU: use Xen's own. */
		if (t.pio) {
			t.addr = HVM_PM1A_STS;
			t.size = 2;
		} else {
			t.addr = HVM_HPET_ID;
		}
	}
	if (kick_start(g, t, sh))
		return 0;
	return kick_wait(g, sh, "floor");
}

/* ---------------------------------------------------------------------- */
/* interrupts, counted in the guest                                        */

static void signal_efd(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static int irq_count(struct guest *g, int isa, uint64_t *n)
{
	uint64_t a = 0, e = 0;
	int rc = xl_guest_irqcount(g->dom, &a, &e);

	if (rc) {
		xs_failed(g, "interrupt count", rc);
		rc = xl_guest_irqcount(g->dom, &a, &e);
	}
	*n = isa ? a : e;
	return rc;
}

/* Wait until the guest counted @want; the count reached, or 0 on error. */
static uint64_t irq_wait(struct guest *g, int isa, uint64_t want)
{
	uint64_t deadline = xl_now_us() + IRQ_WAIT_MS * 1000ull, n = 0;

	while (!irq_count(g, isa, &n) && n < want && xl_now_us() < deadline)
		;
	return n;
}

struct irq_ctx {
	int hi, lo, efd;			/* module: eventfds */
	xendevicemodel_handle *dmod;		/* userspace dm_op loop */
	xenevtchn_handle *xce;			/* userspace notify loop */
	uint32_t port;
};

static int irq_fire(struct guest *g, enum path p, struct irq_ctx *c)
{
	switch (p) {
	case P_IRQFD_ISA:
		signal_efd(c->hi);
		signal_efd(c->lo);
		return 0;
	case P_DMOP_LOOP:
		if (xendevicemodel_set_isa_irq_level(c->dmod, g->dom, g->isa_irq, 1) ||
		    xendevicemodel_set_isa_irq_level(c->dmod, g->dom, g->isa_irq, 0))
			return -1;
		return 0;
	case P_IRQFD_EVTCHN:
		signal_efd(c->efd);
		return 0;
	default:
		return xenevtchn_notify(c->xce, c->port) ? -1 : 0;
	}
}

static void isa_level_op(struct xen_dm_op *op, unsigned int irq, int level)
{
	memset(op, 0, sizeof(*op));
	op->op = XEN_DMOP_set_isa_irq_level;
	op->u.set_isa_irq_level.isa_irq = irq;
	op->u.set_isa_irq_level.level = level;
}

/*
 * Interrupts per second that the guest counted, the signaller sending the
 * next only once the guest has counted the last (so none merge).
 */
static double run_irq(struct guest *g, enum path p)
{
	unsigned int i, n = IRQ_SIGNALS;
	int isa = p == P_IRQFD_ISA || p == P_DMOP_LOOP;
	struct irq_ctx c = { .hi = -1, .lo = -1, .efd = -1 };
	struct xen_dm_op up, down;
	uint64_t before, now = 0, t0, us = 0;
	uint32_t remote;
	int pe = -1, bound = 0;
	double rate = 0;

	if (isa && (!g->hvm || g->isa_irq < 0))
		return 0;
	if (!isa) {
		xenevtchn_port_or_error_t lp;

		if (xl_guest_evtchn_port(g->dom, &remote))
			return 0;
		c.xce = xenevtchn_open(NULL, 0);
		if (!c.xce)
			return 0;
		lp = xenevtchn_bind_interdomain(c.xce, g->dom, remote);
		if (lp < 0) {
			printf("# %s %s: bind to the guest's port %u: %s\n", g->name,
			       path_name[p], remote, strerror(errno));
			goto out;
		}
		c.port = lp;
		bound = 1;
	}
	if (p == P_IRQFD_ISA || p == P_IRQFD_EVTCHN) {
		pe = pe_open();
		if (pe < 0)
			goto out;
	}
	if (p == P_IRQFD_ISA) {
		struct privcmd_irqfd r = { .size = sizeof(up), .dom = g->dom };

		c.hi = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		c.lo = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c.hi < 0 || c.lo < 0)
			goto out;
		isa_level_op(&up, g->isa_irq, 1);
		isa_level_op(&down, g->isa_irq, 0);
		r.dm_op = (uintptr_t)&up;
		r.fd = c.hi;
		if (pe_ioctl(pe, IOCTL_PRIVCMD_IRQFD, &r))
			goto out;
		r.dm_op = (uintptr_t)&down;
		r.fd = c.lo;
		if (pe_ioctl(pe, IOCTL_PRIVCMD_IRQFD, &r))
			goto out;
	} else if (p == P_IRQFD_EVTCHN) {
		struct privcmd_eventfd_irqfd r = {
			.flags = PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN,
			.dom = g->dom,
		};

		c.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c.efd < 0)
			goto out;
		r.fd = c.efd;
		r.port = c.port;
		if (pe_ioctl(pe, PRIVCMD_EVENTFD_IOC_IRQFD, &r))
			goto out;
	} else if (p == P_DMOP_LOOP) {
		c.dmod = xendevicemodel_open(NULL, 0);
		if (!c.dmod)
			goto out;
	}
	if (irq_count(g, isa, &before))
		goto out;
	t0 = xl_now_us();
	for (i = 0; i < n; i++) {
		if (irq_fire(g, p, &c))
			break;
		if (irq_wait(g, isa, before + i + 1) < before + i + 1)
			break;
	}
	us = xl_now_us() - t0;
	if (irq_count(g, isa, &now))
		now = before;
	if (i < n || now != before + n) {
		printf("# %s %s: guest counted %" PRIu64 " interrupts for %u signals\n",
		       g->name, path_name[p], now - before, i);
		errors++;
	} else if (us) {
		rate = n * 1e6 / us;
	}
out:
	if (pe >= 0)
		close(pe);	/* releases the irqfds */
	if (c.hi >= 0)
		close(c.hi);
	if (c.lo >= 0)
		close(c.lo);
	if (c.efd >= 0)
		close(c.efd);
	if (c.dmod)
		xendevicemodel_close(c.dmod);
	if (c.xce) {
		if (bound)
			xenevtchn_unbind(c.xce, c.port);
		xenevtchn_close(c.xce);
	}
	return rate;
}

/* ---------------------------------------------------------------------- */
/* Statistics and report                                                   */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, min and max of the measured samples; 0 samples: returns 0. */
static unsigned int stats(const double *s, double *med, double *lo, double *hi)
{
	double v[MAX_REPS];
	unsigned int i, n = 0;

	for (i = 0; i < reps; i++)
		if (s[i] > 0)
			v[n++] = s[i];
	if (!n)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*lo = v[0];
	*hi = v[n - 1];
	return n;
}

static double median(struct guest *g, enum path p, enum shape sh)
{
	double m = 0, lo, hi;

	stats(g->s[p][sh], &m, &lo, &hi);
	return m;
}

static void cell(struct guest *g, enum path p, enum shape sh)
{
	double m, lo, hi;
	unsigned int n = stats(g->s[p][sh], &m, &lo, &hi);
	char buf[64];

	if (g->dom < 0 || !n) {
		printf(" %-20s |", "n/a");
		return;
	}
	if (n < reps)
		snprintf(buf, sizeof(buf), "%.0f (%.0f-%.0f) %u/%u", m, lo, hi, n, reps);
	else
		snprintf(buf, sizeof(buf), "%.0f (%.0f-%.0f)", m, lo, hi);
	printf(" %-20s |", buf);
}

static void print_table(void)
{
	unsigned int gi, p;
	enum shape sh;

	printf("\n### %s, %u dom0 CPU%s: writes/s, guest-timed, median (min-max)",
	       combo, ncpu, ncpu == 1 ? "" : "s");
	printf(" of %u interleaved reps of %u writes per vCPU\n\n", reps, kicks);
	printf("| path |");
	for (gi = 0; gi < NGUEST; gi++)
		for (sh = 0; sh < NSHAPE; sh++)
			printf(" %s %s |", guests[gi].name, shape_col[sh]);
	printf("\n|---|");
	for (gi = 0; gi < NGUEST * NSHAPE; gi++)
		printf("---|");
	printf("\n");
	for (p = 0; p < NKICKPATH; p++) {
		printf("| %s |", path_label[p]);
		for (gi = 0; gi < NGUEST; gi++)
			for (sh = 0; sh < NSHAPE; sh++) {
				if (p == P_UPSTREAM && sh == S_PIO)
					printf(" %-20s |", "(MMIO only)");
				else
					cell(&guests[gi], p, sh);
			}
		printf("\n");
	}
	printf("\n| lookup and interrupts (MMIO, 1 vCPU) |");
	for (gi = 0; gi < NGUEST; gi++)
		printf(" %s |", guests[gi].name);
	printf("\n|---|");
	for (gi = 0; gi < NGUEST; gi++)
		printf("---|");
	printf("\n| %s, writes/s |", path_label[P_OWNED]);
	for (gi = 0; gi < NGUEST; gi++)
		cell(&guests[gi], P_OWNED, S_MMIO);
	printf("\n");
	for (p = P_LOOKUP; p < NPATH; p++) {
		printf("| %s, %s |", path_label[p],
		       p == P_LOOKUP ? "writes/s" : "interrupts/s counted in the guest");
		for (gi = 0; gi < NGUEST; gi++)
			cell(&guests[gi], p, S_MMIO);
		printf("\n");
	}
	printf("\n");
}

static void ratio(struct guest *g, const char *a, enum path pa, enum shape sa,
		  const char *b, enum path pb, enum shape sb)
{
	double x = median(g, pa, sa), y = median(g, pb, sb);

	if (x > 0 && y > 0)
		printf("bench: %s %ucpu %s %s %s/%s %.2f\n", combo, ncpu, g->name,
		       "ratio", a, b, x / y);
}

static void print_lines(void)
{
	static const struct { enum path a, b; } r[] = {
		{ P_OWNED, P_RELAY }, { P_OWNED, P_UPSTREAM },
		{ P_UPSTREAM, P_RELAY }, { P_NOREADER, P_OWNED },
		{ P_FLOOR, P_OWNED },
	};
	char a[64], b[64];
	unsigned int gi, p, i;
	enum shape sh;

	for (gi = 0; gi < NGUEST; gi++) {
		struct guest *g = &guests[gi];

		if (g->dom < 0)
			continue;
		for (p = 0; p < NPATH; p++)
			for (sh = 0; sh < NSHAPE; sh++) {
				double m = median(g, p, sh);

				if (m > 0)
					printf("bench: %s %ucpu %s %s%s %.0f\n", combo,
					       ncpu, g->name, path_name[p],
					       p < NKICKPATH ? shape_sfx[sh] : "", m);
			}
		for (sh = 0; sh < NSHAPE; sh++)
			for (i = 0; i < ARRAY_SIZE(r); i++) {
				snprintf(a, sizeof(a), "%s%s", path_name[r[i].a], shape_sfx[sh]);
				snprintf(b, sizeof(b), "%s%s", path_name[r[i].b], shape_sfx[sh]);
				ratio(g, a, r[i].a, sh, b, r[i].b, sh);
			}
		ratio(g, "owned-1024reg", P_LOOKUP, S_MMIO, "owned", P_OWNED, S_MMIO);
		ratio(g, "irqfd-isa", P_IRQFD_ISA, S_MMIO, "dmop-loop", P_DMOP_LOOP, S_MMIO);
		ratio(g, "irqfd-evtchn", P_IRQFD_EVTCHN, S_MMIO, "notify-loop",
		      P_NOTIFY_LOOP, S_MMIO);
	}
}

/* ---------------------------------------------------------------------- */

static double measure(struct guest *g, enum path p, enum shape sh)
{
	switch (p) {
	case P_RELAY:
		return run_relay(g, sh);
	case P_UPSTREAM:
		if (sh == S_PIO ||
		    !(features & PRIVCMD_EVENTFD_FEAT_UPSTREAM_SHARED))
			return 0;
		return run_upstream(g, sh);
	case P_OWNED:
	case P_NOREADER:
		return run_owned(g, sh, p);
	case P_FLOOR:
		return run_floor(g, sh);
	case P_LOOKUP:
		return sh == S_MMIO ? run_owned(g, sh, p) : 0;
	default:
		return sh == S_MMIO ? run_irq(g, p) : 0;
	}
}

/* Is there a sample of path p in shape sh for guest g? */
static int applicable(struct guest *g, enum path p, enum shape sh)
{
	if (p == P_UPSTREAM)
		return sh != S_PIO && features & PRIVCMD_EVENTFD_FEAT_UPSTREAM_SHARED;
	if (p < NKICKPATH)
		return 1;
	if (sh != S_MMIO)
		return 0;
	if (p == P_IRQFD_ISA || p == P_DMOP_LOOP)
		return g->hvm && g->isa_irq >= 0;
	return 1;
}

static unsigned int env_uint(const char *name, unsigned int def)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned int)strtoul(v, NULL, 0) : def;
}

int main(int argc, char **argv)
{
	unsigned int rep, gi, i, n, p;
	enum shape sh;
	uint64_t t0 = xl_now_us();
	int opt, pe;

	setvbuf(stdout, NULL, _IOLBF, 0);
	kicks = env_uint("XENLAB_BENCH_KICKS", kicks);
	reps = env_uint("XENLAB_BENCH_REPS", reps);
	while ((opt = getopt(argc, argv, "k:r:")) != -1) {
		switch (opt) {
		case 'k':
			kicks = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-k writes] [-r reps]\n", argv[0]);
			return 2;
		}
	}
	if (!kicks || !reps || reps > MAX_REPS) {
		fprintf(stderr, "bench: 1..%d repetitions, at least 1 write\n", MAX_REPS);
		return 2;
	}
	if (getenv("XENLAB_COMBO"))
		combo = getenv("XENLAB_COMBO");
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	pe = pe_open();
	if (pe < 0) {
		printf("bench: %s: %s (module not loaded)\n", PE_DEV, strerror(errno));
		return 1;
	}
	features = pe_features(pe);
	close(pe);

	guests[0].name = "hvm";
	guests[0].dom = xl_guest_domid();
	guests[0].hvm = 1;
	guests[1].name = "pvh";
	guests[1].dom = xl_pvh_domid();
	for (gi = 0; gi < NGUEST; gi++) {
		struct guest *g = &guests[gi];

		g->isa_irq = g->dom < 0 ? -1 : xl_guest_isa_irq(g->dom);
		g->vcpus = g->dom < 0 ? 0 : xl_guest_vcpus(g->dom);
		printf("# bench: %s guest: domid %d, %d vCPUs, ISA IRQ %d\n",
		       g->name, g->dom, g->vcpus, g->isa_irq);
	}
	printf("# bench: %s, %u dom0 CPUs, %u writes per sample and vCPU, %u reps, features 0x%x\n",
	       combo, ncpu, kicks, reps, features);

	/* Rep by rep, every path once; the order rotates with the rep. */
	for (rep = 0; rep < reps; rep++) {
		for (gi = 0; gi < NGUEST; gi++) {
			struct guest *g = &guests[gi];

			if (g->dom < 0)
				continue;
			for (sh = 0; sh < NSHAPE; sh++) {
				if (shape_vcpus(sh) > (unsigned int)g->vcpus)
					continue;
				for (i = 0; i < NPATH; i++) {
					p = (i + rep) % NPATH;
					g->s[p][sh][rep] = measure(g, p, sh);
					if (g->s[p][sh][rep] > 0)
						/* kept even if the run is cut short */
						printf("# sample: rep %u %s %s%s %.0f\n",
						       rep + 1, g->name, path_name[p],
						       p < NKICKPATH ? shape_sfx[sh] : "",
						       g->s[p][sh][rep]);
					else if (applicable(g, p, sh))
						printf("# %s %s%s: rep %u: no sample\n",
						       g->name, path_name[p],
						       shape_sfx[sh], rep + 1);
				}
			}
		}
		printf("# bench: rep %u/%u done after %.0f s\n", rep + 1, reps,
		       (xl_now_us() - t0) / 1e6);
	}
	print_table();
	print_lines();
	n = 0;
	for (gi = 0; gi < NGUEST; gi++)
		n += guests[gi].dom >= 0;
	printf("# bench: %u guests, %.0f s, %d count errors\n", n,
	       (xl_now_us() - t0) / 1e6, errors);
	return errors ? 1 : 0;
}
