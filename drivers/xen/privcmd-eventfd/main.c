// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/xen/privcmd-eventfd: per-file state and ioctl dispatch.
 *
 * Every registration belongs to the open file that made it and is torn
 * down in release(), so a device model that exits or crashes leaves
 * nothing behind. The device is root-only, like /dev/xen/privcmd.
 *
 * Which domains a file may name: a restricted file only its domain; an
 * unrestricted one any, but only while the caller has CAP_SYS_ADMIN, so a
 * device model that dropped its privileges cannot reach other guests. In
 * a domU every file starts restricted to the target domain the toolstack
 * wrote to xenstore, as privcmd does (XSA-482).
 */
#define pr_fmt(fmt) "xen-privcmd-eventfd: " fmt

#include <linux/capability.h>
#include <linux/errno.h>
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <xen/xen.h>
#include <xen/xenbus.h>
#include <xen/interface/xen.h>

#include <asm/xen/hypercall.h>

#include "privcmd_eventfd.h"

/* The upstream ABI, bit for bit (Linux 6.7 include/uapi/xen/privcmd.h). */
static_assert(sizeof(struct privcmd_irqfd) == 24);
static_assert(offsetof(struct privcmd_irqfd, dom) == 20);
static_assert(IOCTL_PRIVCMD_IRQFD == 0x40185008);
static_assert(sizeof(struct privcmd_ioeventfd) == 48);
static_assert(offsetof(struct privcmd_ioeventfd, vq) == 36);
static_assert(offsetof(struct privcmd_ioeventfd, dom) == 44);
static_assert(IOCTL_PRIVCMD_IOEVENTFD == 0x40305009);
/* Extensions: no implicit padding, same layout for 32-bit callers. */
static_assert(sizeof(struct privcmd_eventfd_version) == 32);
static_assert(sizeof(struct privcmd_eventfd_restrict) == 8);
static_assert(sizeof(struct privcmd_eventfd_server) == 32);
static_assert(sizeof(struct privcmd_eventfd_ioeventfd) == 40);
static_assert(sizeof(struct privcmd_eventfd_complete) == 16);
static_assert(sizeof(struct privcmd_eventfd_irqfd) == 32);

static bool unrestricted;
module_param(unrestricted, bool, 0444);
MODULE_PARM_DESC(unrestricted,
		 "In a domU, do not restrict new files to the target domain (ignored when the kernel is locked down)");

/*
 * In a domU: the domain every new file is restricted to, read from
 * xenstore once it is up. pe_domu_wait is set until then; open() waits
 * for it. PE_NO_DOMAIN (dom0, or unrestricted=1) leaves files unrestricted.
 */
static int pe_domu_target = PE_NO_DOMAIN;
static bool pe_domu_wait;
static bool pe_domu_notifier;
static DECLARE_WAIT_QUEUE_HEAD(pe_domu_wq);

static int pe_domu_target_read(struct notifier_block *nb,
			       unsigned long event, void *data)
{
	unsigned int dom;
	char *target;

	/* No target: restrict to a domain no request can name usefully. */
	pe_domu_target = DOMID_IDLE;
	target = xenbus_read(XBT_NIL, "target", "", NULL);
	if (IS_ERR(target) || kstrtouint(target, 10, &dom) ||
	    dom >= DOMID_FIRST_RESERVED)
		pr_err("no target domain in xenstore: every request will fail\n");
	else
		pe_domu_target = dom;
	if (!IS_ERR(target))
		kfree(target);

	/* Pairs with pe_open(): the target is set before the wait ends. */
	smp_store_release(&pe_domu_wait, false);
	wake_up_all(&pe_domu_wq);
	return NOTIFY_DONE;
}

static struct notifier_block pe_domu_nb = {
	.notifier_call = pe_domu_target_read,
};

/* In a domU, restrict new files unless told not to (and not locked down). */
static void pe_domu_restrict_init(void)
{
	if (xen_initial_domain())
		return;
	if (unrestricted) {
		if (!security_locked_down(PE_LOCKDOWN_UNRESTRICTED))
			return;
		pr_warn("kernel is locked down: parameter \"unrestricted\" ignored\n");
	}
	pe_domu_wait = true;
	pe_domu_notifier = true;
	register_xenstore_notifier(&pe_domu_nb);
}

static void pe_domu_restrict_exit(void)
{
	if (pe_domu_notifier)
		unregister_xenstore_notifier(&pe_domu_nb);
}

/**
 * pe_errno_from_xen() - a Linux errno for a hypercall's result
 * @xen_err: 0 or a negative Xen errno value
 *
 * Xen's errno values match Linux's for every code its memory and event
 * channel operations return here; anything out of range becomes -EIO.
 *
 * Return: 0 or a negative Linux errno.
 */
int pe_errno_from_xen(int xen_err)
{
	if (xen_err >= 0)
		return 0;
	if (xen_err < -MAX_ERRNO)
		return -EIO;
	return xen_err;
}

/**
 * pe_eventfd_get() - the eventfd context behind a file descriptor
 * @fd: the descriptor
 *
 * Return: a referenced context (release with eventfd_ctx_put()), or
 * ERR_PTR(-EBADF) when @fd is not open or not an eventfd: the errno
 * contract has one answer for both.
 */
struct eventfd_ctx *pe_eventfd_get(int fd)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fdget(fd);

	return IS_ERR(ctx) ? ERR_PTR(-EBADF) : ctx;
}

/**
 * pe_evtchn_interdomain() - is a local port an interdomain channel to @dom?
 * @port: local event channel port
 * @dom: the domain its remote end must be in
 * @remote: if not NULL, set to the remote port
 *
 * Return: true if @port is bound interdomain to @dom.
 */
bool pe_evtchn_interdomain(evtchn_port_t port, domid_t dom,
			   evtchn_port_t *remote)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = port };

	if (HYPERVISOR_event_channel_op(EVTCHNOP_status, &st) ||
	    st.status != EVTCHNSTAT_interdomain || st.u.interdomain.dom != dom)
		return false;
	if (remote)
		*remote = st.u.interdomain.port;
	return true;
}

/*
 * An unrestricted file reaches every domain. Check the caller's privilege
 * at each request, not at open: a device model opens the device as root
 * and then drops privileges, and must lose every domain but the one it
 * restricted the file to.
 */
static bool pe_may_name_any_domain(void)
{
	return capable(CAP_SYS_ADMIN);
}

/**
 * pe_check_domain() - may this file act on @dom?
 * @pf: the file; its lock is held
 * @dom: the domain a request names
 *
 * Context: process context (the capability check may audit).
 * Return: 0, or -EPERM if the file is restricted to another domain, or
 * unrestricted and the caller lacks CAP_SYS_ADMIN.
 */
int pe_check_domain(struct pe_file *pf, domid_t dom)
{
	lockdep_assert_held(&pf->lock);
	if (pf->restrict_dom != PE_NO_DOMAIN)
		return pf->restrict_dom == dom ? 0 : -EPERM;
	return pe_may_name_any_domain() ? 0 : -EPERM;
}

static int pe_ioc_version(void __user *argp)
{
	struct privcmd_eventfd_version v;

	if (copy_from_user(&v, argp, sizeof(v)))
		return -EFAULT;
	if (v.flags)
		return -EINVAL;

	memset(&v, 0, sizeof(v));
	v.version = PRIVCMD_EVENTFD_ABI_VERSION;
	v.features = PRIVCMD_EVENTFD_FEAT_UPSTREAM |
		     PRIVCMD_EVENTFD_FEAT_SERVER |
		     PRIVCMD_EVENTFD_FEAT_IRQFD_EVTCHN |
		     PRIVCMD_EVENTFD_FEAT_RESTRICT;
	if (IS_ENABLED(CONFIG_X86))
		v.features |= PRIVCMD_EVENTFD_FEAT_PIO;
	if (pe_evtchn_shares_irq())
		v.features |= PRIVCMD_EVENTFD_FEAT_UPSTREAM_SHARED;

	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

/* Has @pf registered anything for a domain other than @dom? */
static bool pe_has_other_domain(struct pe_file *pf, domid_t dom)
{
	struct ioreq_server *srv;

	lockdep_assert_held(&pf->lock);
	list_for_each_entry(srv, &pf->servers, node)
		if (srv->dom != dom)
			return true;
	return irqfd_other_domain(pf, dom);
}

/*
 * Registrations for another domain would outlive the restriction, out of
 * reach of the file that made them (every request naming their domain now
 * fails): refuse with EBUSY until they are removed, rather than tear down
 * what the device model did not ask to remove.
 */
static int pe_ioc_restrict(struct pe_file *pf, void __user *argp)
{
	struct privcmd_eventfd_restrict r;
	int rc = 0;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.pad || r.flags || r.dom >= DOMID_FIRST_RESERVED)
		return -EINVAL;

	mutex_lock(&pf->lock);
	if (pf->restrict_dom != PE_NO_DOMAIN && pf->restrict_dom != r.dom)
		rc = -EPERM;
	else if (pf->restrict_dom == PE_NO_DOMAIN && !pe_may_name_any_domain())
		rc = -EPERM;	/* it would gain a domain, not lose the others */
	else if (pe_has_other_domain(pf, r.dom))
		rc = -EBUSY;
	else
		pf->restrict_dom = r.dom;
	mutex_unlock(&pf->lock);
	return rc;
}

static int pe_ioc_server(struct pe_file *pf, void __user *argp)
{
	struct privcmd_eventfd_server req;
	int rc;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~PRIVCMD_EVENTFD_SERVER_FLAG_DETACH) || req.pad ||
	    req.reserved[0] || req.reserved[1] || req.reserved[2])
		return -EINVAL;

	mutex_lock(&pf->lock);
	rc = pe_check_domain(pf, req.dom);
	if (!rc)
		rc = ioreq_server_attach(pf, &req);
	mutex_unlock(&pf->lock);
	return rc;
}

static int pe_ioc_complete(struct pe_file *pf, void __user *argp)
{
	struct privcmd_eventfd_complete req;
	int rc;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.pad || req.flags)
		return -EINVAL;

	mutex_lock(&pf->lock);
	rc = pe_check_domain(pf, req.dom);
	if (!rc)
		rc = ioreq_server_complete(pf, &req);
	mutex_unlock(&pf->lock);
	return rc;
}

static long pe_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pe_file *pf = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case IOCTL_PRIVCMD_IOEVENTFD:
		return ioeventfd_upstream_ioctl(pf, argp);
	case IOCTL_PRIVCMD_IRQFD:
		return irqfd_upstream_ioctl(pf, argp);
	case PRIVCMD_EVENTFD_IOC_VERSION:
		return pe_ioc_version(argp);
	case PRIVCMD_EVENTFD_IOC_RESTRICT:
		return pe_ioc_restrict(pf, argp);
	case PRIVCMD_EVENTFD_IOC_SERVER:
		return pe_ioc_server(pf, argp);
	case PRIVCMD_EVENTFD_IOC_IOEVENTFD:
		return ioeventfd_ioctl(pf, argp);
	case PRIVCMD_EVENTFD_IOC_COMPLETE:
		return pe_ioc_complete(pf, argp);
	case PRIVCMD_EVENTFD_IOC_IRQFD:
		return irqfd_ioctl(pf, argp);
	default:
		return -ENOTTY;
	}
}

static int pe_open(struct inode *inode, struct file *file)
{
	struct pe_file *pf;
	int rc;

	/* Pairs with pe_domu_target_read(): then pe_domu_target is set. */
	rc = wait_event_interruptible(pe_domu_wq, !smp_load_acquire(&pe_domu_wait));
	if (rc)
		return -EINTR;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return -ENOMEM;

	mutex_init(&pf->lock);
	INIT_LIST_HEAD(&pf->servers);
	INIT_LIST_HEAD(&pf->irqfds);
	spin_lock_init(&pf->irqfd_lock);
	pf->restrict_dom = pe_domu_target;
	pe_debugfs_add_file(pf);

	file->private_data = pf;
	return 0;
}

static int pe_release(struct inode *inode, struct file *file)
{
	struct pe_file *pf = file->private_data;
	struct ioreq_server *srv, *tmp;

	pe_debugfs_remove_file(pf);
	irqfd_release_all(pf);

	mutex_lock(&pf->lock);
	list_for_each_entry_safe(srv, tmp, &pf->servers, node) {
		list_del(&srv->node);
		ioreq_server_destroy(srv);
	}
	mutex_unlock(&pf->lock);

	mutex_destroy(&pf->lock);
	kfree(pf);
	return 0;
}

static const struct file_operations pe_fops = {
	.owner		= THIS_MODULE,
	.open		= pe_open,
	.release	= pe_release,
	.unlocked_ioctl	= pe_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice pe_miscdev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "xen/privcmd-eventfd",
	.fops		= &pe_fops,
	.mode		= 0600,
};

static int __init pe_init(void)
{
	int rc;

	if (!xen_domain())
		return -ENODEV;

	rc = irqfd_init();
	if (rc)
		return rc;

	pe_domu_restrict_init();
	pe_debugfs_init();
	rc = misc_register(&pe_miscdev);
	if (rc)
		goto err;
	return 0;

err:
	pe_debugfs_exit();
	pe_domu_restrict_exit();
	irqfd_exit();
	return rc;
}

static void __exit pe_exit(void)
{
	misc_deregister(&pe_miscdev);
	pe_debugfs_exit();
	pe_domu_restrict_exit();
	irqfd_exit();
}

module_init(pe_init);
module_exit(pe_exit);

MODULE_DESCRIPTION("ioeventfd and irqfd for Xen dom0 device models");
MODULE_LICENSE("GPL");
