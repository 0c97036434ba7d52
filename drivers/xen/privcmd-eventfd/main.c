// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/xen/privcmd-eventfd: the device, per-file state and ioctl dispatch.
 *
 * Every registration belongs to the open file that made it and is torn
 * down in release(), so a device model that exits or crashes leaves
 * nothing behind. The device is root-only, like /dev/xen/privcmd; which
 * domains a file may name is restrict.c's business.
 */
#define pr_fmt(fmt) "xen-privcmd-eventfd: " fmt

#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/ioctl.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <xen/xen.h>

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

static int pe_version_check(const void *arg)
{
	const struct privcmd_eventfd_version *v = arg;

	return v->flags ? -EINVAL : 0;
}

static int pe_version(struct pe_file *pf, void *arg)
{
	struct privcmd_eventfd_version *v = arg;

	memset(v, 0, sizeof(*v));
	v->version = PRIVCMD_EVENTFD_ABI_VERSION;
	v->features = PRIVCMD_EVENTFD_FEAT_UPSTREAM |
		      PRIVCMD_EVENTFD_FEAT_SERVER |
		      PRIVCMD_EVENTFD_FEAT_IRQFD_EVTCHN |
		      PRIVCMD_EVENTFD_FEAT_RESTRICT;
	if (IS_ENABLED(CONFIG_X86))
		v->features |= PRIVCMD_EVENTFD_FEAT_PIO;
	if (pe_evtchn_shares_irq())
		v->features |= PRIVCMD_EVENTFD_FEAT_UPSTREAM_SHARED;
	return 0;
}

/* What the dispatcher does around an ioctl's acting function. */
#define PE_IOC_LOCK	BIT(0)	/* under the file's lock */
#define PE_IOC_DOMAIN	BIT(1)	/* the domain it names passes the restriction */
#define PE_IOC_OUT	BIT(2)	/* the argument is copied back */

/**
 * struct pe_ioctl_desc - how one ioctl is handled
 * @cmd: the command; its size field is the argument's size
 * @flags: PE_IOC_*
 * @dom_offset: where the argument holds the domain (with PE_IOC_DOMAIN)
 * @check: checks the argument's fields; no lock held
 * @act: does it; with PE_IOC_LOCK the file's lock is held
 */
struct pe_ioctl_desc {
	unsigned int cmd;
	unsigned int flags;
	size_t dom_offset;
	int (*check)(const void *arg);
	int (*act)(struct pe_file *pf, void *arg);
};

/* Refuses to build unless @_type has a u16 dom. */
#define PE_IOCTL(_cmd, _type, _flags, _check, _act)			\
	{ .cmd = (_cmd),						\
	  .flags = (_flags),						\
	  .dom_offset = offsetof(_type, dom) +				\
		 BUILD_BUG_ON_ZERO(sizeof_field(_type, dom) != sizeof(u16)), \
	  .check = (_check), .act = (_act) }

static const struct pe_ioctl_desc pe_ioctls[] = {
	{ .cmd = PRIVCMD_EVENTFD_IOC_VERSION, .flags = PE_IOC_OUT,
	  .check = pe_version_check, .act = pe_version },
	PE_IOCTL(PRIVCMD_EVENTFD_IOC_RESTRICT, struct privcmd_eventfd_restrict,
		 PE_IOC_LOCK, pe_restrict_check, pe_restrict),
	PE_IOCTL(PRIVCMD_EVENTFD_IOC_SERVER, struct privcmd_eventfd_server,
		 PE_IOC_LOCK | PE_IOC_DOMAIN, pe_ioreq_server_check,
		 pe_ioreq_server_attach),
	PE_IOCTL(PRIVCMD_EVENTFD_IOC_IOEVENTFD, struct privcmd_eventfd_ioeventfd,
		 PE_IOC_LOCK | PE_IOC_DOMAIN, pe_ioeventfd_check,
		 pe_ioeventfd_request),
	PE_IOCTL(PRIVCMD_EVENTFD_IOC_COMPLETE, struct privcmd_eventfd_complete,
		 PE_IOC_LOCK | PE_IOC_DOMAIN, pe_ioreq_server_complete_check,
		 pe_ioreq_server_complete),
	PE_IOCTL(PRIVCMD_EVENTFD_IOC_IRQFD, struct privcmd_eventfd_irqfd,
		 PE_IOC_LOCK | PE_IOC_DOMAIN, pe_irqfd_check, pe_irqfd_request),
	PE_IOCTL(IOCTL_PRIVCMD_IOEVENTFD, struct privcmd_ioeventfd,
		 PE_IOC_LOCK | PE_IOC_DOMAIN, pe_ioeventfd_upstream_check,
		 pe_ioeventfd_upstream_request),
	PE_IOCTL(IOCTL_PRIVCMD_IRQFD, struct privcmd_irqfd,
		 PE_IOC_LOCK | PE_IOC_DOMAIN, pe_irqfd_upstream_check,
		 pe_irqfd_upstream_request),
};

/* Room for the largest argument; every one is a plain struct. */
union pe_ioctl_arg {
	struct privcmd_eventfd_version version;
	struct privcmd_eventfd_restrict restr;
	struct privcmd_eventfd_server server;
	struct privcmd_eventfd_ioeventfd ioeventfd;
	struct privcmd_eventfd_complete complete;
	struct privcmd_eventfd_irqfd irqfd;
	struct privcmd_ioeventfd up_ioeventfd;
	struct privcmd_irqfd up_irqfd;
};

/*
 * Copy in, check the fields, lock, check the domain against the file's
 * restriction, act, unlock, copy out: the same for every ioctl, so no
 * request can skip a step.
 */
static long pe_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pe_file *pf = file->private_data;
	void __user *argp = (void __user *)arg;
	const struct pe_ioctl_desc *d = NULL;
	union pe_ioctl_arg buf;
	unsigned int i;
	size_t size;
	u16 dom;
	int rc;

	for (i = 0; i < ARRAY_SIZE(pe_ioctls); i++)
		if (pe_ioctls[i].cmd == cmd)
			d = &pe_ioctls[i];
	if (!d)
		return -ENOTTY;
	size = _IOC_SIZE(cmd);
	if (WARN_ON_ONCE(size > sizeof(buf)))
		return -ENOTTY;

	if (copy_from_user(&buf, argp, size))
		return -EFAULT;
	rc = d->check(&buf);
	if (rc)
		return rc;

	if (d->flags & PE_IOC_LOCK)
		mutex_lock(&pf->lock);
	if (d->flags & PE_IOC_DOMAIN) {
		memcpy(&dom, (u8 *)&buf + d->dom_offset, sizeof(dom));
		rc = pe_check_domain(pf, dom);
	}
	if (!rc)
		rc = d->act(pf, &buf);
	if (d->flags & PE_IOC_LOCK)
		mutex_unlock(&pf->lock);

	if (!rc && (d->flags & PE_IOC_OUT) && copy_to_user(argp, &buf, size))
		rc = -EFAULT;
	return rc;
}

static int pe_open(struct inode *inode, struct file *file)
{
	struct pe_file *pf;
	int dom;

	/* The domain a new file is restricted to (domU), or PE_NO_DOMAIN. */
	dom = pe_restrict_initial();
	if (dom == -EINTR)
		return dom;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return -ENOMEM;

	mutex_init(&pf->lock);
	INIT_LIST_HEAD(&pf->servers);
	INIT_LIST_HEAD(&pf->irqfds);
	spin_lock_init(&pf->irqfd_lock);
	pf->restrict_dom = dom;
	pe_debugfs_add_file(pf);

	file->private_data = pf;
	return 0;
}

static int pe_release(struct inode *inode, struct file *file)
{
	struct pe_file *pf = file->private_data;
	struct pe_ioreq_server *srv, *tmp;

	pe_debugfs_remove_file(pf);
	pe_irqfd_release_all(pf);

	mutex_lock(&pf->lock);
	list_for_each_entry_safe(srv, tmp, &pf->servers, node) {
		list_del(&srv->node);
		pe_ioreq_server_destroy(srv);
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

	rc = pe_irqfd_init();
	if (rc)
		return rc;

	pe_restrict_init();
	pe_debugfs_init();
	rc = misc_register(&pe_miscdev);
	if (rc)
		goto err;
	return 0;

err:
	pe_debugfs_exit();
	pe_restrict_exit();
	pe_irqfd_exit();
	return rc;
}

static void __exit pe_exit(void)
{
	misc_deregister(&pe_miscdev);
	pe_debugfs_exit();
	pe_restrict_exit();
	pe_irqfd_exit();
}

module_init(pe_init);
module_exit(pe_exit);

MODULE_DESCRIPTION("ioeventfd and irqfd for Xen dom0 device models");
MODULE_LICENSE("GPL");
