// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd: interrupt a guest whenever an eventfd is signalled.
 *
 * Each irqfd waits on its eventfd's wait queue. The wakeup callback runs
 * under the eventfd's wait-queue spinlock, possibly in interrupt context,
 * so it only issues the stored hypercall (HYPERVISOR_dm_op or an event
 * channel notification; neither sleeps) and never takes a sleeping lock.
 * The dm_ops it may issue are the four that set an interrupt of the guest
 * (see pe_irqfd_dm_op_check()): each is O(1) in Xen, has no continuation,
 * and is not written back.
 * It does not consume the eventfd counter, so a userspace poll() on the
 * same eventfd still sees it readable.
 *
 * Teardown. Whoever removes an irqfd from its file's list (under
 * pe_file.irqfd_lock) owns its teardown: deassign and release do it at
 * once, the wakeup callback on EPOLLHUP (the eventfd's last reference
 * went away) defers it to a work item because it cannot remove itself
 * from the wait queue it is called from. Removing the wait entry takes the
 * wait-queue lock, so once it returns no callback is running, and the
 * eventfd context reference is dropped only after that.
 */
#define pr_fmt(fmt) "xen-privcmd-eventfd: " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/lockdep.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <xen/events.h>
#include <xen/interface/hvm/dm_op.h>

#include <asm/xen/hypercall.h>

#include "privcmd_eventfd.h"

/*
 * From Xen's public hvm/dm_op.h (a stable ABI), which no kernel header
 * carries: the operations an irqfd may store, and the layout of struct
 * xen_dm_op with the members of those operations.
 */
#define PE_DMOP_SET_PCI_INTX_LEVEL	8
#define PE_DMOP_SET_ISA_IRQ_LEVEL	9
#define PE_DMOP_INJECT_MSI		14
#define PE_DMOP_SET_IRQ_LEVEL		19

/**
 * struct pe_dm_op - struct xen_dm_op, restricted to interrupt operations
 * @op: PE_DMOP_*
 * @pad: zero
 * @u: the operation's arguments
 * @u.pci_intx: PE_DMOP_SET_PCI_INTX_LEVEL (x86)
 * @u.isa_irq: PE_DMOP_SET_ISA_IRQ_LEVEL (x86)
 * @u.msi: PE_DMOP_INJECT_MSI (x86)
 * @u.irq: PE_DMOP_SET_IRQ_LEVEL (Arm)
 * @u.raw: the size of the union in Xen's header
 */
struct pe_dm_op {
	u32 op;
	u32 pad;
	union {
		struct {
			u16 domain;
			u8 bus, device, intx, level;
		} pci_intx;
		struct {
			u8 isa_irq, level;
		} isa_irq;
		struct {
			u32 data;
			u32 pad;
			aligned_u64 addr;
		} msi;
		struct {
			u32 irq;
			u8 level;
			u8 pad[3];
		} irq;
		u8 raw[24];
	} u;
};

#define PE_DM_OP_HDR	offsetof(struct pe_dm_op, u)
static_assert(PE_DM_OP_HDR == 8);
static_assert(sizeof(struct pe_dm_op) == 32);

/**
 * struct pe_irqfd - one eventfd bound to an interrupt of a guest
 * @node: in pe_file.irqfds; see there for its locking
 * @ctx: the eventfd; referenced until the irqfd is freed
 * @wqh: the eventfd's wait queue (lives as long as @ctx)
 * @wait: our entry in @wqh
 * @pt: used once, to add @wait through vfs_poll()
 * @shutdown: deferred teardown after EPOLLHUP
 * @dom: the guest
 * @evtchn: notify @port instead of issuing @dm_op
 * @port: local event channel port, interdomain to @dom; we hold a
 *	reference on its binding (evtchn_get()) until the irqfd is freed, so
 *	the port cannot be closed and handed to another domain meanwhile
 * @injected: number of interrupts issued
 * @failed: number of hypercalls that failed
 * @size: bytes of @dm_op passed to Xen
 * @dm_op: the stored operation, checked by pe_irqfd_dm_op_check(); never
 *	written after assign (each call issues a copy of it)
 */
struct pe_irqfd {
	struct list_head node;
	struct eventfd_ctx *ctx;
	wait_queue_head_t *wqh;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct shutdown;
	domid_t dom;
	bool evtchn;
	evtchn_port_t port;
	atomic64_t injected;
	atomic64_t failed;
	u32 size;
	struct pe_dm_op dm_op;
};

static struct workqueue_struct *irqfd_wq;

static void pe_irqfd_inject(struct pe_irqfd *irqfd)
{
	struct xen_dm_op_buf buf;
	struct pe_dm_op op;
	int rc;

	if (irqfd->evtchn) {
		notify_remote_via_evtchn(irqfd->port);
		atomic64_inc(&irqfd->injected);
		return;
	}

	/*
	 * Xen copies a non-const operation back into the buffer; none of
	 * the stored ones is, but wakeups on several CPUs (and the inject at
	 * assign) run concurrently: give each call its own copy all the same.
	 */
	op = irqfd->dm_op;
	set_xen_guest_handle(buf.h, &op);
	buf.size = irqfd->size;
	rc = HYPERVISOR_dm_op(irqfd->dom, 1, &buf);
	if (rc) {
		atomic64_inc(&irqfd->failed);
		pr_warn_ratelimited("dm_op for domain %u failed: %d\n",
				    irqfd->dom, rc);
		return;
	}
	atomic64_inc(&irqfd->injected);
}

/* Called with the eventfd's wait-queue lock held, interrupts off. */
static int pe_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			   void *key)
{
	struct pe_irqfd *irqfd = container_of(wait, struct pe_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct pe_file *pf = wait->private;

	if (flags & EPOLLIN) {
		u64 cnt;

		/* The signal is the irqfd's: consume it (KVM and privcmd do). */
		eventfd_ctx_do_read(irqfd->ctx, &cnt);
		pe_irqfd_inject(irqfd);
	}

	if (flags & EPOLLHUP) {
		unsigned long irqflags;

		spin_lock_irqsave(&pf->irqfd_lock, irqflags);
		if (!list_empty(&irqfd->node)) {
			list_del_init(&irqfd->node);
			queue_work(irqfd_wq, &irqfd->shutdown);
		}
		spin_unlock_irqrestore(&pf->irqfd_lock, irqflags);
	}
	return 0;
}

static void pe_irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
				poll_table *pt)
{
	struct pe_irqfd *irqfd = container_of(pt, struct pe_irqfd, pt);

	irqfd->wqh = wqh;
	add_wait_queue(wqh, &irqfd->wait);
}

/* The caller has taken @irqfd off its list, so it alone tears it down. */
static void pe_irqfd_free(struct pe_irqfd *irqfd)
{
	/* Every signal was consumed by the wakeup: just leave the queue. */
	if (irqfd->wqh)
		remove_wait_queue(irqfd->wqh, &irqfd->wait);
	eventfd_ctx_put(irqfd->ctx);
	if (irqfd->evtchn)
		evtchn_put(irqfd->port);
	kfree(irqfd);
}

static void pe_irqfd_shutdown_work(struct work_struct *work)
{
	pe_irqfd_free(container_of(work, struct pe_irqfd, shutdown));
}

static struct pe_irqfd *pe_irqfd_find(struct pe_file *pf, struct eventfd_ctx *ctx)
{
	struct pe_irqfd *irqfd;

	list_for_each_entry(irqfd, &pf->irqfds, node)
		if (irqfd->ctx == ctx)
			return irqfd;
	return NULL;
}

/**
 * pe_irqfd_dm_op_check() - may an irqfd store this dm_op?
 * @op: the operation, copied from the caller; bytes past @size are zero
 * @size: its size in bytes, PE_DM_OP_HDR to sizeof(*op)
 *
 * Only operations that set an interrupt of the guest are allowed, each in
 * a buffer of exactly its own size (header and member) or of the whole
 * struct xen_dm_op, as libxendevicemodel passes it. Fields Xen would
 * refuse at every signal are refused here. Xen treats all four as const
 * (it never writes them back) and completes them without continuation.
 *
 * Return: 0, -EINVAL for any other operation, size or bad field, or
 * -EOPNOTSUPP for an interrupt operation this architecture's Xen does not
 * implement (set_irq_level is Arm's, the others x86's).
 */
static int pe_irqfd_dm_op_check(const struct pe_dm_op *op, u32 size)
{
	bool valid, x86 = true;
	size_t len;

	switch (op->op) {
	case PE_DMOP_SET_PCI_INTX_LEVEL:
		len = sizeof(op->u.pci_intx);
		valid = !op->u.pci_intx.domain && !op->u.pci_intx.bus &&
			op->u.pci_intx.device <= 0x1f &&
			op->u.pci_intx.intx <= 3 && op->u.pci_intx.level <= 1;
		break;
	case PE_DMOP_SET_ISA_IRQ_LEVEL:
		len = sizeof(op->u.isa_irq);
		valid = op->u.isa_irq.isa_irq <= 15 &&
			op->u.isa_irq.level <= 1;
		break;
	case PE_DMOP_INJECT_MSI:
		len = sizeof(op->u.msi);
		valid = !op->u.msi.pad;
		break;
	case PE_DMOP_SET_IRQ_LEVEL:
		len = sizeof(op->u.irq);
		valid = op->u.irq.level <= 1 && !op->u.irq.pad[0] &&
			!op->u.irq.pad[1] && !op->u.irq.pad[2];
		x86 = false;
		break;
	default:
		return -EINVAL;
	}
	if (size != PE_DM_OP_HDR + len && size != sizeof(*op))
		return -EINVAL;
	if (op->pad || !valid)
		return -EINVAL;
	if (x86 != IS_ENABLED(CONFIG_X86))
		return -EOPNOTSUPP;
	return 0;
}

/* Copy the caller's dm_op into @irqfd and check it. */
static int pe_irqfd_dm_op_get(struct pe_irqfd *irqfd, u64 uptr, u32 size)
{
	if (size < PE_DM_OP_HDR || size > sizeof(irqfd->dm_op))
		return -EINVAL;
	if (copy_from_user(&irqfd->dm_op, u64_to_user_ptr(uptr), size))
		return -EFAULT;
	irqfd->size = size;
	return pe_irqfd_dm_op_check(&irqfd->dm_op, size);
}

static int pe_irqfd_assign(struct pe_file *pf, const struct privcmd_eventfd_irqfd *req)
{
	struct pe_irqfd *irqfd;
	struct fd f;
	__poll_t events;
	int rc;

	lockdep_assert_held(&pf->lock);

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;

	INIT_LIST_HEAD(&irqfd->node);
	INIT_WORK(&irqfd->shutdown, pe_irqfd_shutdown_work);
	irqfd->dom = req->dom;
	if (req->flags & PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN) {
		/*
		 * Pin the binding first, then check it: a port that is not
		 * bound through /dev/xen/evtchn (a kernel driver's, or none)
		 * cannot be pinned and is refused.
		 */
		if (evtchn_get(req->port)) {
			rc = -EINVAL;
			goto err_free;
		}
		irqfd->evtchn = true;
		irqfd->port = req->port;
		if (!pe_evtchn_interdomain(req->port, req->dom, NULL)) {
			rc = -EINVAL;
			goto err_free;
		}
	} else {
		rc = pe_irqfd_dm_op_get(irqfd, req->dm_op, req->size);
		if (rc)
			goto err_free;
	}

	f = fdget(req->fd);
	if (!fd_file(f)) {
		rc = -EBADF;
		goto err_free;
	}
	irqfd->ctx = eventfd_ctx_fileget(fd_file(f));
	if (IS_ERR(irqfd->ctx)) {
		rc = -EBADF;
		goto err_fdput;
	}

	init_waitqueue_func_entry(&irqfd->wait, pe_irqfd_wakeup);
	irqfd->wait.private = pf;
	init_poll_funcptr(&irqfd->pt, pe_irqfd_queue_proc);

	spin_lock_irq(&pf->irqfd_lock);
	if (pe_irqfd_find(pf, irqfd->ctx)) {
		spin_unlock_irq(&pf->irqfd_lock);
		rc = -EEXIST;
		goto err_ctx;
	}
	list_add_tail(&irqfd->node, &pf->irqfds);
	spin_unlock_irq(&pf->irqfd_lock);

	/*
	 * From here on the eventfd may signal or hang up at any time; the
	 * file reference we hold keeps the hang-up from happening before our
	 * wait entry is in place.
	 */
	events = vfs_poll(fd_file(f), &irqfd->pt);
	if ((events & EPOLLIN) && irqfd->wqh) {
		u64 cnt = 0;

		/*
		 * Signalled before the assign: inject once, and consume it.
		 * Look again under the lock: a wakeup since may have taken
		 * the count already (and a semaphore eventfd must not be read
		 * at zero).
		 */
		spin_lock_irq(&irqfd->wqh->lock);
		if (vfs_poll(fd_file(f), NULL) & EPOLLIN)
			eventfd_ctx_do_read(irqfd->ctx, &cnt);
		spin_unlock_irq(&irqfd->wqh->lock);
		if (cnt)
			pe_irqfd_inject(irqfd);
	}

	fdput(f);
	return 0;

err_ctx:
	eventfd_ctx_put(irqfd->ctx);
err_fdput:
	fdput(f);
err_free:
	if (irqfd->evtchn)
		evtchn_put(irqfd->port);
	kfree(irqfd);
	return rc;
}

static int pe_irqfd_deassign(struct pe_file *pf, const struct privcmd_eventfd_irqfd *req)
{
	struct eventfd_ctx *ctx;
	struct pe_irqfd *irqfd;

	lockdep_assert_held(&pf->lock);

	ctx = pe_eventfd_get(req->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	spin_lock_irq(&pf->irqfd_lock);
	irqfd = pe_irqfd_find(pf, ctx);
	if (irqfd && irqfd->dom == req->dom)
		list_del_init(&irqfd->node);
	else
		irqfd = NULL;
	spin_unlock_irq(&pf->irqfd_lock);
	eventfd_ctx_put(ctx);

	if (!irqfd)
		return -ENOENT;
	pe_irqfd_free(irqfd);
	return 0;
}

static bool pe_irqfd_size_valid(u32 size)
{
	return size && size <= PRIVCMD_EVENTFD_DM_OP_MAX;
}

/**
 * pe_irqfd_upstream_check() - IOCTL_PRIVCMD_IRQFD, its fields
 * @arg: struct privcmd_irqfd
 *
 * Return: 0 or -EINVAL.
 */
int pe_irqfd_upstream_check(const void *arg)
{
	const struct privcmd_irqfd *up = arg;

	if ((up->flags & ~PRIVCMD_IRQFD_FLAG_DEASSIGN) || up->pad[0] || up->pad[1])
		return -EINVAL;
	if (!(up->flags & PRIVCMD_IRQFD_FLAG_DEASSIGN) &&
	    !pe_irqfd_size_valid(up->size))
		return -EINVAL;
	return 0;
}

#define IRQFD_FLAGS	(PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN | \
			 PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN)

/**
 * pe_irqfd_check() - PRIVCMD_EVENTFD_IOC_IRQFD, its fields
 * @arg: struct privcmd_eventfd_irqfd
 *
 * Return: 0 or -EINVAL.
 */
int pe_irqfd_check(const void *arg)
{
	const struct privcmd_eventfd_irqfd *req = arg;

	if ((req->flags & ~IRQFD_FLAGS) || req->pad || req->reserved)
		return -EINVAL;
	if (req->flags & PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN)
		return 0;
	if (req->flags & PRIVCMD_EVENTFD_IRQFD_FLAG_EVTCHN)
		return req->size || req->dm_op ? -EINVAL : 0;
	return pe_irqfd_size_valid(req->size) ? 0 : -EINVAL;
}

/**
 * pe_irqfd_request() - PRIVCMD_EVENTFD_IOC_IRQFD
 * @pf: the file; its lock is held
 * @arg: struct privcmd_eventfd_irqfd, checked by pe_irqfd_check()
 *
 * Return: 0 or the documented errno.
 */
int pe_irqfd_request(struct pe_file *pf, void *arg)
{
	const struct privcmd_eventfd_irqfd *req = arg;

	lockdep_assert_held(&pf->lock);
	if (req->flags & PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN)
		return pe_irqfd_deassign(pf, req);
	return pe_irqfd_assign(pf, req);
}

/**
 * pe_irqfd_upstream_request() - IOCTL_PRIVCMD_IRQFD
 * @pf: the file; its lock is held
 * @arg: struct privcmd_irqfd, checked by pe_irqfd_upstream_check()
 *
 * Return: 0 or the documented errno.
 */
int pe_irqfd_upstream_request(struct pe_file *pf, void *arg)
{
	const struct privcmd_irqfd *up = arg;
	struct privcmd_eventfd_irqfd req = {
		.dm_op = up->dm_op,
		.size = up->size,
		.fd = up->fd,
		.dom = up->dom,
	};

	if (up->flags & PRIVCMD_IRQFD_FLAG_DEASSIGN)
		req.flags = PRIVCMD_EVENTFD_IRQFD_FLAG_DEASSIGN;
	return pe_irqfd_request(pf, &req);
}

/**
 * pe_irqfd_release_all() - tear down every irqfd of a released file
 * @pf: the file
 */
void pe_irqfd_release_all(struct pe_file *pf)
{
	struct pe_irqfd *irqfd;

	/*
	 * Take them off one at a time: the wait-queue lock nests outside
	 * irqfd_lock (see pe_irqfd_wakeup()), so pe_irqfd_free() must run unlocked.
	 */
	spin_lock_irq(&pf->irqfd_lock);
	while (!list_empty(&pf->irqfds)) {
		irqfd = list_first_entry(&pf->irqfds, struct pe_irqfd, node);
		list_del_init(&irqfd->node);
		spin_unlock_irq(&pf->irqfd_lock);
		pe_irqfd_free(irqfd);
		spin_lock_irq(&pf->irqfd_lock);
	}
	spin_unlock_irq(&pf->irqfd_lock);

	/* Hang-ups that won the race above still run on the workqueue. */
	flush_workqueue(irqfd_wq);
}

/**
 * pe_irqfd_other_domain() - does a file have an irqfd for another domain?
 * @pf: the file; its lock is held
 * @dom: the domain
 *
 * Return: true if some irqfd of @pf interrupts a domain other than @dom.
 */
bool pe_irqfd_other_domain(struct pe_file *pf, domid_t dom)
{
	struct pe_irqfd *irqfd;
	bool found = false;

	spin_lock_irq(&pf->irqfd_lock);
	list_for_each_entry(irqfd, &pf->irqfds, node)
		if (irqfd->dom != dom)
			found = true;
	spin_unlock_irq(&pf->irqfd_lock);
	return found;
}

/**
 * pe_irqfd_show() - debugfs view of a file's irqfds
 * @m: the seq_file
 * @pf: the file; its lock is held
 */
void pe_irqfd_show(struct seq_file *m, struct pe_file *pf)
{
	struct pe_irqfd *irqfd;

	spin_lock_irq(&pf->irqfd_lock);
	list_for_each_entry(irqfd, &pf->irqfds, node) {
		if (irqfd->evtchn)
			seq_printf(m, "  irqfd dom %u evtchn %u", irqfd->dom,
				   irqfd->port);
		else
			seq_printf(m, "  irqfd dom %u dm_op %u bytes", irqfd->dom,
				   irqfd->size);
		seq_printf(m, " injected %lld failed %lld\n",
			   (long long)atomic64_read(&irqfd->injected),
			   (long long)atomic64_read(&irqfd->failed));
	}
	spin_unlock_irq(&pf->irqfd_lock);
}

/**
 * pe_irqfd_init() - create the teardown workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int pe_irqfd_init(void)
{
	irqfd_wq = alloc_workqueue("xen-privcmd-irqfd", WQ_UNBOUND, 0);
	return irqfd_wq ? 0 : -ENOMEM;
}

/**
 * pe_irqfd_exit() - destroy the teardown workqueue (waits for pending work)
 */
void pe_irqfd_exit(void)
{
	destroy_workqueue(irqfd_wq);
}
