// SPDX-License-Identifier: GPL-2.0
/*
 * Character device and ioctl dispatch of xen-privcmd-eventfd.
 */
#define pr_fmt(fmt) "xen-privcmd-eventfd: " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <xen/xen.h>

#include <xen/privcmd-eventfd.h>

static long privcmd_eventfd_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	return -ENOTTY;
}

static const struct file_operations privcmd_eventfd_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= privcmd_eventfd_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice privcmd_eventfd_dev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "xen/privcmd-eventfd",
	.fops		= &privcmd_eventfd_fops,
	.mode		= 0600,
};

static int __init privcmd_eventfd_init(void)
{
	if (!xen_domain())
		return -ENODEV;

	return misc_register(&privcmd_eventfd_dev);
}

static void __exit privcmd_eventfd_exit(void)
{
	misc_deregister(&privcmd_eventfd_dev);
}

module_init(privcmd_eventfd_init);
module_exit(privcmd_eventfd_exit);

MODULE_DESCRIPTION("ioeventfd and irqfd for Xen dom0 device models");
MODULE_LICENSE("GPL");
