// SPDX-License-Identifier: GPL-2.0
/*
 * xenlab_guest: test-guest helper module for the xen-privcmd-eventfd lab.
 *
 * Counts two kinds of interrupts dom0 sends to this guest and exposes the
 * counts as read-only module parameters for the guest agent:
 *   isa_irq / isa_count        an ISA IRQ (HVM only: PVH has no PIC/IOAPIC),
 *                              raised by XEN_DMOP_set_isa_irq_level from dom0
 *   evtchn_port / evtchn_count an unbound event channel allocated for dom0
 *                              (remote domain 0); dom0 binds interdomain to
 *                              it and notifies
 */
#include <linux/atomic.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <xen/events.h>
#include <xen/xen.h>
#include <xen/interface/event_channel.h>
#include <asm/xen/hypercall.h>

/*
 * 7 (LPT, no such device in the lab guest). Not 5/10/11: hvmloader routes
 * the PCI INTx links there as level/active-low, so a pulse storms.
 */
static int isa_irq = 7;
module_param(isa_irq, int, 0444);
MODULE_PARM_DESC(isa_irq, "ISA IRQ to count (HVM), -1 once request failed");

static unsigned long isa_count;
module_param(isa_count, ulong, 0444);
MODULE_PARM_DESC(isa_count, "interrupts seen on isa_irq");

static unsigned int evtchn_port;
module_param(evtchn_port, uint, 0444);
MODULE_PARM_DESC(evtchn_port, "unbound event channel for dom0, 0 if none");

static unsigned long evtchn_count;
module_param(evtchn_count, ulong, 0444);
MODULE_PARM_DESC(evtchn_count, "notifications seen on evtchn_port");

static int evtchn_irq = -1;
static bool isa_requested;

static irqreturn_t isa_handler(int irq, void *dev_id)
{
	WRITE_ONCE(isa_count, READ_ONCE(isa_count) + 1);
	return IRQ_HANDLED;
}

static irqreturn_t evtchn_handler(int irq, void *dev_id)
{
	WRITE_ONCE(evtchn_count, READ_ONCE(evtchn_count) + 1);
	return IRQ_HANDLED;
}

static int setup_evtchn(void)
{
	struct evtchn_alloc_unbound alloc = {
		.dom = DOMID_SELF,
		.remote_dom = 0,
	};
	int err;

	err = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &alloc);
	if (err)
		return err;
	/* On failure bind_evtchn_to_irqhandler() leaves the port open. */
	err = bind_evtchn_to_irqhandler(alloc.port, evtchn_handler, 0,
					"xenlab-evtchn", NULL);
	if (err < 0) {
		struct evtchn_close close = { .port = alloc.port };

		HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
		return err;
	}
	evtchn_irq = err;
	evtchn_port = alloc.port;
	return 0;
}

static int __init xenlab_guest_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;
	/* Only HVM guests have the emulated PIC/IOAPIC behind ISA IRQs. */
	if (isa_irq >= 0 && xen_hvm_domain() && !xen_pvh_domain()) {
		err = request_irq(isa_irq, isa_handler, 0, "xenlab-isa", NULL);
		if (err)
			pr_warn("xenlab_guest: ISA IRQ %d: %d\n", isa_irq, err);
		else
			isa_requested = true;
	}
	if (!isa_requested)
		isa_irq = -1;
	err = setup_evtchn();
	if (err)
		pr_warn("xenlab_guest: event channel: %d\n", err);
	pr_info("xenlab_guest: isa_irq %d evtchn_port %u\n", isa_irq,
		evtchn_port);
	return 0;
}

static void __exit xenlab_guest_exit(void)
{
	if (evtchn_irq >= 0)
		unbind_from_irqhandler(evtchn_irq, NULL);	/* closes the port */
	if (isa_requested)
		free_irq(isa_irq, NULL);
}

module_init(xenlab_guest_init);
module_exit(xenlab_guest_exit);
MODULE_DESCRIPTION("xen-privcmd-eventfd lab: guest interrupt counters");
MODULE_LICENSE("GPL");
