// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the module's files: errno translation, eventfd and
 * event channel lookups. Nothing here keeps state.
 */
#define pr_fmt(fmt) "xen-privcmd-eventfd: " fmt

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/eventfd.h>

#include <xen/interface/event_channel.h>

#include <asm/xen/hypercall.h>

#include "privcmd_eventfd.h"

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
