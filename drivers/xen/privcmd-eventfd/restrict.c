// SPDX-License-Identifier: GPL-2.0
/*
 * Which domains a file may name.
 *
 * A restricted file acts on its one domain only; an unrestricted one on
 * any, but only while the caller has CAP_SYS_ADMIN, so a device model that
 * dropped its privileges cannot reach other guests. In a domU every file
 * starts restricted to the target domain the toolstack wrote to xenstore,
 * as privcmd does (XSA-482), unless the "unrestricted" parameter says
 * otherwise and the kernel is not locked down.
 */
#define pr_fmt(fmt) "xen-privcmd-eventfd: " fmt

#include <linux/capability.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/moduleparam.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <xen/xen.h>
#include <xen/xenbus.h>
#include <xen/interface/xen.h>

#include "privcmd_eventfd.h"

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

/**
 * pe_restrict_init() - in a domU, restrict new files to the target domain
 *
 * Unless told not to (and the kernel is not locked down).
 */
void pe_restrict_init(void)
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

/**
 * pe_restrict_exit() - undo pe_restrict_init()
 */
void pe_restrict_exit(void)
{
	if (pe_domu_notifier)
		unregister_xenstore_notifier(&pe_domu_nb);
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

/* Has @pf registered anything for a domain other than @dom? */
static bool pe_has_other_domain(struct pe_file *pf, domid_t dom)
{
	struct pe_ioreq_server *srv;

	lockdep_assert_held(&pf->lock);
	list_for_each_entry(srv, &pf->servers, node)
		if (srv->dom != dom)
			return true;
	return pe_irqfd_other_domain(pf, dom);
}

/**
 * pe_restrict_initial() - the restriction a new file starts with
 *
 * In a domU, waits until the target domain has been read from xenstore.
 *
 * Context: process context, may sleep.
 * Return: the domain, PE_NO_DOMAIN for none, or -EINTR.
 */
int pe_restrict_initial(void)
{
	/* Pairs with pe_domu_target_read(): then pe_domu_target is set. */
	if (wait_event_interruptible(pe_domu_wq, !smp_load_acquire(&pe_domu_wait)))
		return -EINTR;
	return pe_domu_target;
}

/**
 * pe_restrict_check() - PRIVCMD_EVENTFD_IOC_RESTRICT, its fields
 * @arg: struct privcmd_eventfd_restrict
 *
 * Return: 0 or -EINVAL.
 */
int pe_restrict_check(const void *arg)
{
	const struct privcmd_eventfd_restrict *r = arg;

	return r->pad || r->flags || r->dom >= DOMID_FIRST_RESERVED ? -EINVAL : 0;
}

/**
 * pe_restrict() - PRIVCMD_EVENTFD_IOC_RESTRICT
 * @pf: the file; its lock is held
 * @arg: struct privcmd_eventfd_restrict, checked by pe_restrict_check()
 *
 * Registrations for another domain would outlive the restriction, out of
 * reach of the file that made them (every request naming their domain now
 * fails): refuse with EBUSY until they are removed, rather than tear down
 * what the device model did not ask to remove.
 *
 * Return: 0, -EPERM (restricted to another domain already, or an
 * unrestricted file whose caller lacks CAP_SYS_ADMIN) or -EBUSY.
 */
int pe_restrict(struct pe_file *pf, void *arg)
{
	const struct privcmd_eventfd_restrict *r = arg;

	lockdep_assert_held(&pf->lock);
	if (pf->restrict_dom != PE_NO_DOMAIN && pf->restrict_dom != r->dom)
		return -EPERM;
	/* An unprivileged caller would gain a domain, not lose the others. */
	if (pf->restrict_dom == PE_NO_DOMAIN && !pe_may_name_any_domain())
		return -EPERM;
	if (pe_has_other_domain(pf, r->dom))
		return -EBUSY;
	pf->restrict_dom = r->dom;
	return 0;
}
