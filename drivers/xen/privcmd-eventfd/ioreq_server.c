// SPDX-License-Identifier: GPL-2.0
/*
 * ioreq servers: the per-vCPU event channel handler that serves guest
 * writes matching an ioeventfd straight from the shared ioreq page.
 *
 * Claiming a request. Xen sets a vCPU's slot to STATE_IOREQ_READY after
 * filling it in, and the vCPU stays blocked until someone stores
 * STATE_IORESP_READY and notifies its port. The handler and a device model
 * may look at the same READY request at the same time, so whoever serves it
 * first claims it by changing the state byte from READY to INPROCESS with
 * one compare-and-swap of the whole byte (the state is a 4-bit field
 * sharing the byte with the direction and pointer flags). The handler
 * decides whether it wants the request before claiming it, so a device
 * model never sees a request that it must serve transiently claimed.
 *
 * Between that decision and the claim, the request could in theory have
 * been completed and replaced by another with the same flags byte (the
 * ABA case). The handler therefore first marks the request in the byte's
 * padding bit, which Xen neither reads nor carries over to the next
 * request, checks that the marked request is the one it decided on, and
 * only then claims it. If it is not, it clears the mark and looks again.
 * Xen sees READY throughout: the state never goes backwards, which Xen
 * punishes with domain_crash() when the vCPU happens to look.
 *
 * Upstream mode when the device model lets go first. The device model's
 * /dev/xen/evtchn binds each port with the late-EOI chip: every event
 * leaves the port masked until evtchn.c acknowledges it on the device
 * model's behalf. Our shared handler never acknowledges, and our
 * evtchn_get() reference keeps the port bound when the device model
 * unbinds it or closes /dev/xen/evtchn first. evtchn.c then also leaves
 * the IRQ disabled (it calls disable_irq() before unbinding), so from then
 * on nobody would run our handler or unmask the port, and the next guest
 * kick would block its vCPU for good.
 *
 * A per-server watchdog (process context, every UPSTREAM_WATCH_PERIOD)
 * takes such a port over. It starts probing when it finds the IRQ
 * disabled, which evtchn.c does only on its way out. The probe removes our
 * shared action and installs it again without IRQF_SHARED: the IRQ core
 * grants that, under the descriptor's lock, only when no other action is
 * left, so it is exact proof that evtchn.c is gone, and from that moment
 * no other handler can join. If the probe fails, evtchn.c is still there
 * (mid-unbind): the shared action goes back and the watchdog tries again.
 * Once the module is the sole action (@sole) its handler serves, completes
 * what it does not match with the default semantics (nobody else can be
 * told about it any more), and acknowledges every event. So at any time
 * exactly one party acknowledges the port, or none while the IRQ is
 * disabled; events of that gap stay pending and are replayed when the IRQ
 * starts up again, and the take-over also serves the slot once itself.
 */
#define pr_fmt(fmt) "xen-privcmd-eventfd: " fmt

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <xen/events.h>
#include <xen/interface/event_channel.h>

#include <asm/byteorder.h>
#include <asm/xen/hypercall.h>

#include "privcmd_eventfd.h"

/* Byte 30 of struct ioreq: state:4, data_is_ptr:1, dir:1, df:1. */
#define IOREQ_FLAGS_OFFSET	30
#define IOREQ_STATE_MASK	0x0f
#define IOREQ_DATA_IS_PTR	BIT(4)
#define IOREQ_DIR_READ		BIT(5)
#define IOREQ_MARK		BIT(7)	/* _pad1: the handler's tentative claim */

/*
 * The masks above are the bit positions of Xen's bitfields as a
 * little-endian compiler allocates them (x86 and Arm64, the architectures
 * with ioreq servers); a big-endian one would allocate them the other way.
 */
#ifndef __LITTLE_ENDIAN_BITFIELD
#error "struct ioreq's flags byte is decoded as little-endian bitfields"
#endif

static_assert(sizeof(struct ioreq) == 32);
static_assert(offsetof(struct ioreq, vp_eport) == 24);
static_assert(offsetof(struct ioreq, type) == IOREQ_FLAGS_OFFSET + 1);

static u8 *ioreq_flags(struct ioreq *req)
{
	return (u8 *)req + IOREQ_FLAGS_OFFSET;
}

static u8 with_state(u8 flags, u8 state)
{
	return (flags & ~(IOREQ_STATE_MASK | IOREQ_MARK)) | state;
}

/* Change the flags byte from @old to @new if nobody changed it meanwhile. */
static bool pe_ioreq_flags_cas(struct ioreq *req, u8 old, u8 new)
{
	return cmpxchg(ioreq_flags(req), old, new) == old;
}

/* What the handler read of a READY request. */
struct pe_ioreq_snap {
	u64 addr;
	u64 data;
	u32 count;
	u32 size;
	u8 flags;
	u8 type;
};

static void pe_ioreq_snap_fields(struct ioreq *req, struct pe_ioreq_snap *s)
{
	s->addr = READ_ONCE(req->addr);
	s->data = READ_ONCE(req->data);
	s->count = READ_ONCE(req->count);
	s->size = READ_ONCE(req->size);
	s->type = READ_ONCE(req->type);
}

static bool pe_ioreq_snap_read(struct ioreq *req, struct pe_ioreq_snap *s)
{
	/* Xen fills the request in before it publishes the state. */
	s->flags = smp_load_acquire(ioreq_flags(req));
	/* Marked: the handler on another CPU is claiming it. */
	if ((s->flags & (IOREQ_STATE_MASK | IOREQ_MARK)) != STATE_IOREQ_READY)
		return false;
	pe_ioreq_snap_fields(req, s);
	return true;
}

static bool pe_ioreq_snap_equal(const struct pe_ioreq_snap *a,
				const struct pe_ioreq_snap *b)
{
	return a->addr == b->addr && a->data == b->data &&
	       a->count == b->count && a->size == b->size &&
	       a->type == b->type &&
	       (a->flags & ~IOREQ_STATE_MASK) == (b->flags & ~IOREQ_STATE_MASK);
}

/* A single, direct write of 1, 2, 4 or 8 bytes is all an ioeventfd sees. */
static bool pe_ioreq_snap_key(const struct pe_ioreq_snap *s, struct pe_ioeventfd_key *k)
{
	if (s->flags & (IOREQ_DATA_IS_PTR | IOREQ_DIR_READ) || s->count != 1)
		return false;
	if (s->size != 1 && s->size != 2 && s->size != 4 && s->size != 8)
		return false;

	switch (s->type) {
	case IOREQ_TYPE_COPY:
		k->space = PE_IOEVENTFD_SPACE_MMIO;
		break;
	case IOREQ_TYPE_PIO:
		k->space = PE_IOEVENTFD_SPACE_PIO;
		break;
	default:
		return false;
	}
	k->addr = s->addr;
	k->len = s->size;
	k->data = s->size == 8 ? s->data : s->data & GENMASK_ULL(s->size * 8 - 1, 0);
	k->mask = 0;
	return true;
}

/* Claim a READY request for the kernel. */
static bool pe_ioreq_claim(struct ioreq *req, u8 ready_flags)
{
	return pe_ioreq_flags_cas(req, ready_flags,
				  with_state(ready_flags, STATE_IOREQ_INPROCESS));
}

/* Complete a claimed request and wake the vCPU. */
static void pe_ioreq_respond(struct pe_ioreq_port *p, struct ioreq *req, u8 flags)
{
	/*
	 * The response must be visible before Xen can see IORESP_READY;
	 * pairs with Xen's read barrier after it reads the state.
	 */
	smp_store_release(ioreq_flags(req),
			  with_state(flags, STATE_IORESP_READY));
	notify_remote_via_evtchn(p->port);
}

/*
 * Complete a request nobody serves the way Xen completes I/O that no
 * server claims: writes are dropped, reads return all ones.
 */
static void pe_ioreq_respond_default(struct pe_ioreq_port *p, struct ioreq *req,
				     u8 flags)
{
	if ((flags & IOREQ_DIR_READ) && !(flags & IOREQ_DATA_IS_PTR))
		WRITE_ONCE(req->data, ~0ULL);
	pe_ioreq_respond(p, req, flags);
}

enum pe_ioreq_outcome {
	PE_IOREQ_NOTHING,		/* no READY request, or someone else took it */
	PE_IOREQ_SERVED,		/* matched an ioeventfd and completed */
	PE_IOREQ_UNMATCHED,	/* READY, and left READY for someone else */
	PE_IOREQ_REPLACED,	/* marked a newer request than the one matched */
};

static enum pe_ioreq_outcome pe_ioreq_serve_once(struct pe_ioreq_port *p)
{
	struct pe_ioreq_server *srv = p->srv;
	struct ioreq *req = &srv->page.ioreq[p->vcpu];
	enum pe_ioreq_outcome ret = PE_IOREQ_UNMATCHED;
	struct pe_ioreq_snap s, now;
	struct pe_ioeventfd_key key;
	struct pe_ioeventfd *ev;

	if (!pe_ioreq_snap_read(req, &s))
		return PE_IOREQ_NOTHING;
	if (!pe_ioreq_snap_key(&s, &key))
		return PE_IOREQ_UNMATCHED;

	rcu_read_lock();
	ev = pe_ioeventfd_match(srv, &key);
	if (!ev)
		goto out;

	/* Mark, check, claim: see "the ABA case" at the top of the file. */
	if (!pe_ioreq_flags_cas(req, s.flags, s.flags | IOREQ_MARK)) {
		ret = PE_IOREQ_NOTHING;
		goto out;
	}
	now.flags = s.flags;
	pe_ioreq_snap_fields(req, &now);
	if (!pe_ioreq_snap_equal(&s, &now)) {
		/* Fails only if a device model took the marked request. */
		pe_ioreq_flags_cas(req, s.flags | IOREQ_MARK, s.flags);
		ret = PE_IOREQ_REPLACED;
		goto out;
	}
	if (!pe_ioreq_claim(req, s.flags | IOREQ_MARK)) {
		ret = PE_IOREQ_NOTHING;
		goto out;
	}

	pe_ioeventfd_fire(ev);
	pe_ioreq_respond(p, req, s.flags);
	atomic64_inc(&srv->stat_served);
	ret = PE_IOREQ_SERVED;
out:
	rcu_read_unlock();
	return ret;
}

/* A replaced request is looked at again, a bounded number of times. */
#define PE_IOREQ_SERVE_TRIES	4

static enum pe_ioreq_outcome pe_ioreq_serve(struct pe_ioreq_port *p)
{
	enum pe_ioreq_outcome ret = PE_IOREQ_REPLACED;
	unsigned int i;

	for (i = 0; i < PE_IOREQ_SERVE_TRIES && ret == PE_IOREQ_REPLACED; i++)
		ret = pe_ioreq_serve_once(p);
	/* Still replaced each time: let the device model have it. */
	return ret == PE_IOREQ_REPLACED ? PE_IOREQ_UNMATCHED : ret;
}

/* The device model did not get this request: hand it over or finish it. */
static void pe_ioreq_unmatched(struct pe_ioreq_port *p)
{
	struct pe_ioreq_server *srv = p->srv;
	struct ioreq *req = &srv->page.ioreq[p->vcpu];
	struct pe_ioreq_snap s;

	if (srv->dm_ctx) {
		atomic64_inc(&srv->stat_forwarded);
		pe_eventfd_signal(srv->dm_ctx);
		return;
	}
	if (pe_ioreq_snap_read(req, &s) && pe_ioreq_claim(req, s.flags)) {
		atomic64_inc(&srv->stat_defaulted);
		pe_ioreq_respond_default(p, req, s.flags);
	}
}

/*
 * Complete @p's request with default semantics if it is READY, or also if
 * it is INPROCESS when @inprocess_too (its claimer is gone). Return: true
 * if a request was completed.
 */
static bool pe_ioreq_slot_default(struct pe_ioreq_port *p, bool inprocess_too)
{
	struct ioreq *req = &p->srv->page.ioreq[p->vcpu];
	/* Pairs with Xen's write barrier before it publishes READY. */
	u8 flags = smp_load_acquire(ioreq_flags(req));
	u8 state = flags & IOREQ_STATE_MASK;

	if (state != STATE_IOREQ_READY &&
	    !(inprocess_too && state == STATE_IOREQ_INPROCESS))
		return false;
	if (cmpxchg(ioreq_flags(req), flags,
		    with_state(flags, STATE_IOREQ_INPROCESS)) != flags)
		return false;
	atomic64_inc(&p->srv->stat_defaulted);
	pe_ioreq_respond_default(p, req, flags);
	return true;
}

/*
 * An event that finds no request is not acknowledged as spurious: Linux
 * delays the unmask of a port after consecutive spurious events (up to a
 * second), a defence against a guest flooding a port. Only Xen sends on an
 * ioreq port, once per request, and the guest cannot (the remote end is
 * Xen's own); such an event means that a device model serving the page
 * itself won the claim, and its next request must not wait.
 */
static void pe_ioreq_port_process(struct pe_ioreq_port *p)
{
	switch (pe_ioreq_serve(p)) {
	case PE_IOREQ_NOTHING:
		atomic64_inc(&p->srv->stat_spurious);
		break;
	case PE_IOREQ_UNMATCHED:
		pe_ioreq_unmatched(p);
		break;
	case PE_IOREQ_SERVED:
	case PE_IOREQ_REPLACED:	/* pe_ioreq_serve() never returns it */
		break;
	}
}

static irqreturn_t pe_ioreq_port_interrupt(int irq, void *dev_id)
{
	struct pe_ioreq_port *p = dev_id;
	struct pe_ioreq_server *srv = p->srv;

	/* Upstream mode: /dev/xen/evtchn owns the port and its EOI... */
	if (srv->mode == PE_IOREQ_SERVER_UPSTREAM && !READ_ONCE(p->sole))
		return pe_ioreq_serve(p) == PE_IOREQ_SERVED ? IRQ_HANDLED : IRQ_NONE;

	/* ...unless it let go of it: then we do, as in the owned mode. */

	if (!READ_ONCE(srv->dying))
		pe_ioreq_port_process(p);
	else if (READ_ONCE(srv->flush_ready))
		pe_ioreq_slot_default(p, false);
	/* The port stays masked until this late EOI: never skip it. */
	xen_irq_lateeoi(irq, 0);
	return IRQ_HANDLED;
}

/* Is local @port an interdomain channel to @dom's @remote? */
static bool evtchn_connects(evtchn_port_t port, domid_t dom,
			    evtchn_port_t remote)
{
	evtchn_port_t r;

	return pe_evtchn_interdomain(port, dom, &r) && r == remote;
}

static int pe_port_bind_owned(struct pe_ioreq_port *p)
{
	struct pe_ioreq_server *srv = p->srv;
	struct evtchn_bind_interdomain bind = {
		.remote_dom = srv->dom,
		.remote_port = READ_ONCE(srv->page.ioreq[p->vcpu].vp_eport),
	};
	struct evtchn_close close;
	int irq, rc;

	/* Xen fills vp_eport in when the server is enabled. */
	if (!bind.remote_port) {
		pr_debug("d%u vcpu %u: no vp_eport, server not enabled?\n",
			 srv->dom, p->vcpu);
		return -EINVAL;
	}

	rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bind);
	if (rc) {
		pr_debug("d%u vcpu %u: bind_interdomain(%u): %d\n", srv->dom,
			 p->vcpu, bind.remote_port, rc);
		/* Xen says EINVAL when the port is not unbound any more. */
		return rc == -EINVAL ? -EBUSY : pe_errno_from_xen(rc);
	}

	p->port = bind.local_port;
	irq = bind_evtchn_to_irqhandler_lateeoi(p->port, pe_ioreq_port_interrupt,
						0, p->name, p);
	if (irq < 0) {
		pr_debug("d%u vcpu %u: bind port %u: %d\n", srv->dom, p->vcpu,
			 p->port, irq);
		/* Unless the failed bind already closed it, close it here. */
		if (evtchn_connects(p->port, srv->dom, bind.remote_port)) {
			close.port = p->port;
			HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
		}
		return irq;
	}
	p->irq = irq;
	return 0;
}

static int pe_port_share_upstream(struct pe_ioreq_port *p, evtchn_port_t port)
{
	int rc;

	/* Hold the binding: the device model may close it before we do. */
	rc = evtchn_get(port);
	if (rc)
		return -EINVAL;

	p->port = port;
	rc = request_irq(irq_from_evtchn(port), pe_ioreq_port_interrupt,
			 IRQF_SHARED, p->name, p);
	if (rc) {
		evtchn_put(port);
		return rc;
	}
	p->irq = irq_from_evtchn(port);
	p->has_action = true;
	return 0;
}

/* How often the upstream watchdog looks for ports evtchn.c let go of. */
#define UPSTREAM_WATCH_PERIOD	(HZ / 10)

/*
 * Try to become the only action on @p's IRQ (see the comment at the top).
 * Return: true if the module now owns the IRQ and its acknowledgment.
 */
static bool pe_upstream_take_over(struct pe_ioreq_port *p)
{
	if (p->has_action)
		free_irq(p->irq, p);
	p->has_action = false;

	/*
	 * Set first: the handler may run as soon as request_irq() returns.
	 * IRQF_PROBE_SHARED without IRQF_SHARED: refused (quietly) while any
	 * other action is left.
	 */
	WRITE_ONCE(p->sole, true);
	if (!request_irq(p->irq, pe_ioreq_port_interrupt, IRQF_PROBE_SHARED,
			 p->name, p)) {
		p->has_action = true;
		/* evtchn.c may have left the port masked for its late EOI. */
		xen_irq_lateeoi(p->irq, 0);
		/* Whatever waited through the gap; the claim arbitrates. */
		if (pe_ioreq_serve(p) == PE_IOREQ_UNMATCHED)
			pe_ioreq_unmatched(p);
		pr_debug("d%u vcpu %u: port %u released by its device model, taken over\n",
			 p->srv->dom, p->vcpu, p->port);
		return true;
	}
	WRITE_ONCE(p->sole, false);

	/* Someone else still has the IRQ: share it again (or retry). */
	p->has_action = !request_irq(p->irq, pe_ioreq_port_interrupt, IRQF_SHARED,
				     p->name, p);
	return false;
}

/* Return: true once the module is the sole owner of @p's IRQ. */
static bool pe_upstream_port_check(struct pe_ioreq_port *p)
{
	bool disabled;

	if (p->sole)
		return true;
	disabled = irqd_irq_disabled(irq_get_irq_data(p->irq));
	if (!disabled && !p->suspect && p->has_action)
		return false;
	if (pe_upstream_take_over(p))
		return true;
	/*
	 * Probe again next time while the IRQ stays disabled (evtchn.c is
	 * still unbinding); also if it was disabled now, in case evtchn.c left
	 * between our two requests and our shared one enabled the IRQ again.
	 */
	p->suspect = disabled;
	return false;
}

static void pe_upstream_watch(struct work_struct *work)
{
	struct pe_ioreq_server *srv = container_of(to_delayed_work(work),
						struct pe_ioreq_server, watch);
	bool all_sole = true;
	unsigned int i;

	for (i = 0; i < srv->vcpus; i++)
		all_sole &= pe_upstream_port_check(&srv->ports[i]);
	if (!all_sole)
		queue_delayed_work(system_power_efficient_wq, &srv->watch,
				   UPSTREAM_WATCH_PERIOD);
}

static void pe_port_release(struct pe_ioreq_port *p)
{
	if (!p->irq)
		return;
	if (p->srv->mode == PE_IOREQ_SERVER_OWNED) {
		unbind_from_irqhandler(p->irq, p);	/* also closes the port */
	} else {
		if (p->has_action)
			free_irq(p->irq, p);
		p->has_action = false;
		evtchn_put(p->port);
	}
	p->irq = 0;
}

static struct pe_ioreq_server *pe_ioreq_server_alloc(struct pe_file *pf,
						     enum pe_ioreq_server_mode mode,
					       domid_t dom, unsigned int vcpus)
{
	struct pe_ioreq_server *srv;
	unsigned int i;

	srv = kzalloc(sizeof(*srv), GFP_KERNEL_ACCOUNT);
	if (!srv)
		return NULL;

	srv->ports = kcalloc(vcpus, sizeof(*srv->ports), GFP_KERNEL_ACCOUNT);
	if (!srv->ports) {
		kfree(srv);
		return NULL;
	}
	srv->file = pf;
	srv->mode = mode;
	srv->dom = dom;
	srv->vcpus = vcpus;
	pe_ioeventfd_init(srv);
	INIT_DELAYED_WORK(&srv->watch, pe_upstream_watch);
	for (i = 0; i < vcpus; i++) {
		srv->ports[i].srv = srv;
		srv->ports[i].vcpu = i;
		snprintf(srv->ports[i].name, sizeof(srv->ports[i].name),
			 "xen-ioeventfd-d%u-v%u", dom, i);
	}
	return srv;
}

/*
 * Owned mode, the device model gone (release, crash): answer every request
 * still outstanding, also one it had claimed, so that no vCPU stays blocked
 * on a server nobody serves any more.
 */
static void pe_ioreq_server_flush(struct pe_ioreq_server *srv)
{
	unsigned int i;

	for (i = 0; i < srv->vcpus; i++)
		pe_ioreq_slot_default(&srv->ports[i], true);
}

/**
 * pe_ioreq_server_destroy() - unbind, unmap and free a server
 * @srv: the server, already removed from its file's list
 *
 * Context: process context; the file's lock is held.
 */
void pe_ioreq_server_destroy(struct pe_ioreq_server *srv)
{
	unsigned int i;

	lockdep_assert_held(&srv->file->lock);
	/* The watchdog changes the ports' IRQ actions: stop it first. */
	cancel_delayed_work_sync(&srv->watch);
	/*
	 * Only a server that was serving may answer for the device model,
	 * and only when the device model is gone: after a detach it serves
	 * on (it may hold a request, or find one READY on its mapping).
	 * Until the ports close, the handler answers what still arrives.
	 */
	WRITE_ONCE(srv->dying, true);
	for (i = 0; i < srv->vcpus; i++)
		if (srv->ports[i].irq)
			synchronize_irq(srv->ports[i].irq);

	if (srv->mode == PE_IOREQ_SERVER_OWNED && srv->serving && !srv->handover) {
		/* The handler is quiet: take INPROCESS requests too. */
		pe_ioreq_server_flush(srv);
		/*
		 * From now on it answers READY requests itself; one that came
		 * before it could see the flag is answered here. The claim
		 * arbitrates between the two.
		 */
		WRITE_ONCE(srv->flush_ready, true);
		smp_mb();	/* the flag before the second look */
		for (i = 0; i < srv->vcpus; i++)
			pe_ioreq_slot_default(&srv->ports[i], false);
	}

	/* After this no handler can run, so nothing reads the table. */
	for (i = 0; i < srv->vcpus; i++)
		pe_port_release(&srv->ports[i]);

	pe_ioeventfd_release_all(srv);
	if (srv->page.ioreq)
		pe_ioreq_page_unmap(&srv->page);
	if (srv->dm_ctx)
		eventfd_ctx_put(srv->dm_ctx);
	kfree(srv->ports);
	kfree(srv);
}

/**
 * pe_ioreq_server_find() - look up a server of a file
 * @pf: the file; its lock must be held
 * @dom: the guest
 * @id: the ioreq server id
 *
 * Return: the owned-mode server, or NULL.
 */
struct pe_ioreq_server *pe_ioreq_server_find(struct pe_file *pf, domid_t dom, u32 id)
{
	struct pe_ioreq_server *srv;

	lockdep_assert_held(&pf->lock);
	list_for_each_entry(srv, &pf->servers, node)
		if (srv->mode == PE_IOREQ_SERVER_OWNED && srv->dom == dom &&
		    srv->id == id)
			return srv;
	return NULL;
}

static int pe_ioreq_server_attach_ports(struct pe_ioreq_server *srv)
{
	unsigned int i;
	int rc;

	for (i = 0; i < srv->vcpus; i++) {
		rc = pe_port_bind_owned(&srv->ports[i]);
		if (rc)
			return rc;
	}
	srv->serving = true;
	/*
	 * Serve whatever was already waiting before the ports were bound. The
	 * handler may run concurrently on another CPU: the claim (cmpxchg on
	 * the state byte) lets only one of us complete a request, and a
	 * forward signalled twice only makes the device model scan once more.
	 * No need to disable interrupts, and on PREEMPT_RT we must not: the
	 * eventfd's wait-queue lock sleeps there.
	 */
	for (i = 0; i < srv->vcpus; i++)
		if (pe_ioreq_serve(&srv->ports[i]) == PE_IOREQ_UNMATCHED)
			pe_ioreq_unmatched(&srv->ports[i]);
	return 0;
}

static int pe_ioreq_server_detach(struct pe_file *pf,
				  const struct privcmd_eventfd_server *req)
{
	struct pe_ioreq_server *srv = pe_ioreq_server_find(pf, req->dom, req->id);

	if (!srv)
		return -ENOENT;
	list_del(&srv->node);
	srv->handover = true;
	pe_ioreq_server_destroy(srv);
	return 0;
}

/**
 * pe_ioreq_server_check() - PRIVCMD_EVENTFD_IOC_SERVER, its fields
 * @arg: struct privcmd_eventfd_server
 *
 * Return: 0 or -EINVAL.
 */
int pe_ioreq_server_check(const void *arg)
{
	const struct privcmd_eventfd_server *req = arg;

	if ((req->flags & ~PRIVCMD_EVENTFD_SERVER_FLAG_DETACH) || req->pad ||
	    req->reserved[0] || req->reserved[1] || req->reserved[2])
		return -EINVAL;
	return 0;
}

/**
 * pe_ioreq_server_attach() - PRIVCMD_EVENTFD_IOC_SERVER
 * @pf: the file; its lock is held
 * @arg: struct privcmd_eventfd_server, checked by pe_ioreq_server_check()
 *
 * Return: 0 or the errno documented for PRIVCMD_EVENTFD_IOC_SERVER.
 */
int pe_ioreq_server_attach(struct pe_file *pf, void *arg)
{
	const struct privcmd_eventfd_server *req = arg;
	struct pe_ioreq_server *srv;
	int rc;

	lockdep_assert_held(&pf->lock);
	if (req->flags & PRIVCMD_EVENTFD_SERVER_FLAG_DETACH)
		return pe_ioreq_server_detach(pf, req);

	if (req->vcpus == 0 || req->vcpus > PRIVCMD_EVENTFD_MAX_VCPUS)
		return -EINVAL;
	if (pe_ioreq_server_find(pf, req->dom, req->id))
		return -EEXIST;

	srv = pe_ioreq_server_alloc(pf, PE_IOREQ_SERVER_OWNED, req->dom, req->vcpus);
	if (!srv)
		return -ENOMEM;
	srv->id = req->id;

	if (req->dm_fd != -1) {
		srv->dm_ctx = pe_eventfd_get(req->dm_fd);
		if (IS_ERR(srv->dm_ctx)) {
			rc = PTR_ERR(srv->dm_ctx);
			srv->dm_ctx = NULL;
			goto err;
		}
	}

	rc = pe_ioreq_page_map(&srv->page, srv->dom, srv->id);
	if (rc)
		goto err;

	rc = pe_ioreq_server_attach_ports(srv);
	if (rc)
		goto err;

	list_add(&srv->node, &pf->servers);
	return 0;

err:
	pe_ioreq_server_destroy(srv);
	return rc;
}

/* ---- Upstream mode (IOCTL_PRIVCMD_IOEVENTFD) ---- */

/* Largest ioreq server id Xen hands out (MAX_NR_IOREQ_SERVERS - 1). */
#define IOREQ_SERVER_ID_MAX	7

/*
 * The ioreq address must be the start of a privcmd mapping populated by
 * IOCTL_PRIVCMD_MMAP_RESOURCE (or MMAPBATCH: told apart by its contents).
 */
static int pe_upstream_check_vma(u64 uaddr)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int rc = -EINVAL;

	if (!PAGE_ALIGNED(uaddr))
		return -EINVAL;

	mmap_read_lock(mm);
	vma = find_vma(mm, uaddr);
	if (vma && vma->vm_start <= uaddr && vma->vm_file &&
	    vma->vm_file->f_op == &xen_privcmd_fops && vma->vm_private_data)
		rc = 0;
	mmap_read_unlock(mm);
	return rc;
}

/*
 * The remote end of each local port must be the vp_eport the device
 * model's ioreq page shows for that vCPU.
 */
static int pe_upstream_read_ports(const struct privcmd_ioeventfd *req,
				  evtchn_port_t *local, evtchn_port_t *remote)
{
	struct ioreq __user *uioreq = u64_to_user_ptr(req->ioreq);
	unsigned int i;

	if (copy_from_user(local, u64_to_user_ptr(req->ports),
			   req->vcpus * sizeof(*local)))
		return -EFAULT;

	for (i = 0; i < req->vcpus; i++) {
		u32 uport;

		if (get_user(uport, &uioreq[i].vp_eport))
			return -EFAULT;
		if (!local[i] || !evtchn_connects(local[i], req->dom, uport))
			return -EINVAL;
		remote[i] = uport;
	}
	return 0;
}

/* Find the server whose ioreq page carries these ports, and map it. */
static int pe_upstream_map_page(struct pe_ioreq_server *srv,
				const evtchn_port_t *remote)
{
	unsigned int i;
	u32 id;

	for (id = 0; id <= IOREQ_SERVER_ID_MAX; id++) {
		if (pe_ioreq_page_map(&srv->page, srv->dom, id))
			continue;
		for (i = 0; i < srv->vcpus; i++)
			if (READ_ONCE(srv->page.ioreq[i].vp_eport) != remote[i])
				break;
		if (i == srv->vcpus) {
			srv->id = id;
			return 0;
		}
		pe_ioreq_page_unmap(&srv->page);
	}
	return -EINVAL;
}

static struct pe_ioreq_server *pe_upstream_find(struct pe_file *pf,
						const struct privcmd_ioeventfd *req)
{
	struct pe_ioreq_server *srv;

	list_for_each_entry(srv, &pf->servers, node)
		if (srv->mode == PE_IOREQ_SERVER_UPSTREAM &&
		    srv->dom == req->dom && srv->uioreq == req->ioreq)
			return srv;
	return NULL;
}

static int pe_upstream_same_ports(struct pe_ioreq_server *srv, const evtchn_port_t *local)
{
	unsigned int i;

	for (i = 0; i < srv->vcpus; i++)
		if (srv->ports[i].port != local[i])
			return -EINVAL;
	return 0;
}

static int pe_upstream_create(struct pe_file *pf, const struct privcmd_ioeventfd *req,
			      const evtchn_port_t *local, const evtchn_port_t *remote,
			   struct pe_ioreq_server **srvp)
{
	struct pe_ioreq_server *srv;
	unsigned int i;
	int rc;

	srv = pe_ioreq_server_alloc(pf, PE_IOREQ_SERVER_UPSTREAM, req->dom,
				    req->vcpus);
	if (!srv)
		return -ENOMEM;
	srv->uioreq = req->ioreq;

	rc = pe_upstream_map_page(srv, remote);
	if (rc)
		goto err;

	for (i = 0; i < srv->vcpus; i++) {
		rc = pe_port_share_upstream(&srv->ports[i], local[i]);
		if (rc)
			goto err;
	}
	list_add(&srv->node, &pf->servers);
	queue_delayed_work(system_power_efficient_wq, &srv->watch,
			   UPSTREAM_WATCH_PERIOD);
	*srvp = srv;
	return 0;

err:
	pe_ioreq_server_destroy(srv);
	return rc;
}

/**
 * pe_ioreq_server_upstream_get() - the server an IOCTL_PRIVCMD_IOEVENTFD names
 * @pf: the file; its lock is held
 * @req: the request, flags and sizes already checked
 * @srvp: the server found or created
 *
 * Return: 0, -EINVAL for a mapping or ports that are not those of an
 * ioreq server of @req->dom, -EBUSY if the ports cannot be shared on this
 * kernel, -EFAULT or -ENOMEM.
 */
int pe_ioreq_server_upstream_get(struct pe_file *pf,
				 const struct privcmd_ioeventfd *req,
			      struct pe_ioreq_server **srvp)
{
	evtchn_port_t *local, *remote;
	struct pe_ioreq_server *srv;
	int rc;

	lockdep_assert_held(&pf->lock);
	rc = pe_upstream_check_vma(req->ioreq);
	if (rc)
		return rc;

	local = kcalloc(2 * req->vcpus, sizeof(*local), GFP_KERNEL);
	if (!local)
		return -ENOMEM;
	remote = local + req->vcpus;

	rc = pe_upstream_read_ports(req, local, remote);
	if (rc)
		goto out;

	srv = pe_upstream_find(pf, req);
	if (srv) {
		rc = srv->vcpus == req->vcpus ? pe_upstream_same_ports(srv, local)
					       : -EINVAL;
		if (!rc)
			*srvp = srv;
	} else {
		rc = pe_upstream_create(pf, req, local, remote, srvp);
	}
out:
	kfree(local);
	return rc;
}

/**
 * pe_ioreq_server_complete_check() - PRIVCMD_EVENTFD_IOC_COMPLETE, its fields
 * @arg: struct privcmd_eventfd_complete
 *
 * Return: 0 or -EINVAL.
 */
int pe_ioreq_server_complete_check(const void *arg)
{
	const struct privcmd_eventfd_complete *req = arg;

	return req->pad || req->flags ? -EINVAL : 0;
}

/**
 * pe_ioreq_server_complete() - PRIVCMD_EVENTFD_IOC_COMPLETE
 * @pf: the file; its lock is held
 * @arg: struct privcmd_eventfd_complete, checked by
 *	pe_ioreq_server_complete_check()
 *
 * Return: 0, -EINVAL (bad vcpu), -ENOENT (no such server).
 */
int pe_ioreq_server_complete(struct pe_file *pf, void *arg)
{
	const struct privcmd_eventfd_complete *req = arg;
	struct pe_ioreq_server *srv;

	lockdep_assert_held(&pf->lock);
	srv = pe_ioreq_server_find(pf, req->dom, req->id);
	if (!srv)
		return -ENOENT;
	if (req->vcpu >= srv->vcpus)
		return -EINVAL;
	notify_remote_via_evtchn(srv->ports[req->vcpu].port);
	return 0;
}

/**
 * pe_ioreq_server_show() - debugfs view of a server
 * @m: the seq_file
 * @srv: the server; its file's lock is held
 */
void pe_ioreq_server_show(struct seq_file *m, struct pe_ioreq_server *srv)
{
	unsigned int i;

	seq_printf(m, "  server dom %u id %u mode %s vcpus %u dm_fd %s\n",
		   srv->dom, srv->id,
		   srv->mode == PE_IOREQ_SERVER_OWNED ? "owned" : "upstream",
		   srv->vcpus, srv->dm_ctx ? "yes" : "no");
	seq_printf(m, "    served %lld forwarded %lld defaulted %lld spurious %lld\n",
		   (long long)atomic64_read(&srv->stat_served),
		   (long long)atomic64_read(&srv->stat_forwarded),
		   (long long)atomic64_read(&srv->stat_defaulted),
		   (long long)atomic64_read(&srv->stat_spurious));
	for (i = 0; i < srv->vcpus; i++)
		seq_printf(m, "    vcpu %u port %u irq %d%s\n", i,
			   srv->ports[i].port, srv->ports[i].irq,
			   srv->ports[i].sole ? " taken-over" : "");
	pe_ioeventfd_show(m, srv);
}
