// SPDX-License-Identifier: GPL-2.0
/*
 * xenlab: dom0 helpers for the xen-privcmd-eventfd selftests.
 * See xenlab.h for the API and Documentation/lab.md for the lab.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>
#include <xen/memory.h>

#include "xenlab.h"

#ifndef XENMEM_resource_ioreq_server
#define XENMEM_resource_ioreq_server 0
#endif
#ifndef HVM_IOREQSRV_BUFIOREQ_OFF
#define HVM_IOREQSRV_BUFIOREQ_OFF 0	/* xen/hvm/hvm_op.h, tools-only */
#endif
#define IOREQ_PAGE_FRAME	1	/* frame 0 is the buffered ioreq page */
#define STATE_BYTE_OFFSET	30	/* the byte holding state:4 in struct ioreq */

_Static_assert(sizeof(struct ioreq) == 32, "struct ioreq layout");

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

uint64_t xl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------------- */
/* Userspace ioreq server                                                  */
/* ---------------------------------------------------------------------- */

int xl_server_create(struct xl_server *s, uint16_t domid, unsigned int vcpus)
{
	void *addr = NULL;
	int err;

	memset(s, 0, sizeof(*s));
	s->domid = domid;
	s->dmod = xendevicemodel_open(NULL, 0);
	if (!s->dmod)
		return neg_errno();
	if (!vcpus) {
		if (xendevicemodel_nr_vcpus(s->dmod, domid, &vcpus))
			return neg_errno();
	}
	if (vcpus > XL_MAX_VCPUS)
		return -E2BIG;
	s->vcpus = vcpus;
	s->fmem = xenforeignmemory_open(NULL, 0);
	if (!s->fmem)
		return neg_errno();
	if (xendevicemodel_create_ioreq_server(s->dmod, domid,
					       HVM_IOREQSRV_BUFIOREQ_OFF, &s->id))
		return neg_errno();
	s->created = 1;
	/* The page must be mapped before the server is enabled. */
	s->res = xenforeignmemory_map_resource(s->fmem, domid,
					       XENMEM_resource_ioreq_server,
					       s->id, IOREQ_PAGE_FRAME, 1, &addr,
					       PROT_READ | PROT_WRITE, 0);
	if (!s->res) {
		err = neg_errno();
		return err;
	}
	s->page = addr;
	return 0;
}

int xl_server_map_mmio(struct xl_server *s, uint64_t start, uint64_t end)
{
	if (xendevicemodel_map_io_range_to_ioreq_server(s->dmod, s->domid,
							s->id, 1, start, end))
		return neg_errno();
	return 0;
}

int xl_server_map_pio(struct xl_server *s, uint64_t start, uint64_t end)
{
	if (xendevicemodel_map_io_range_to_ioreq_server(s->dmod, s->domid,
							s->id, 0, start, end))
		return neg_errno();
	return 0;
}

int xl_server_enable(struct xl_server *s)
{
	unsigned int v;

	if (xendevicemodel_set_ioreq_server_state(s->dmod, s->domid, s->id, 1))
		return neg_errno();
	s->enabled = 1;
	/* Xen fills vp_eport when the server is enabled. */
	for (v = 0; v < s->vcpus; v++)
		s->remote_port[v] = __atomic_load_n(&s->page[v].vp_eport,
						    __ATOMIC_ACQUIRE);
	return 0;
}

int xl_server_bind_ports(struct xl_server *s)
{
	unsigned int v;
	xenevtchn_port_or_error_t p;

	if (!s->xce) {
		s->xce = xenevtchn_open(NULL, 0);
		if (!s->xce)
			return neg_errno();
	}
	for (v = s->nbound; v < s->vcpus; v++) {
		p = xenevtchn_bind_interdomain(s->xce, s->domid,
					       s->remote_port[v]);
		if (p < 0)
			return neg_errno();
		s->local_port[v] = p;
		s->nbound = v + 1;
	}
	return 0;
}

/* Complete vCPU v's ioreq if it is READY; returns 1 if one was served. */
static int serve_one(struct xl_server *s, unsigned int v, xl_ioreq_cb cb,
		     void *opaque)
{
	struct ioreq *req = &s->page[v];
	uint8_t *statep = (uint8_t *)req + STATE_BYTE_OFFSET;
	uint8_t old = __atomic_load_n(statep, __ATOMIC_ACQUIRE);
	uint8_t new;

	if ((old & 0xf) != STATE_IOREQ_READY)
		return 0;
	/*
	 * Claim with a CAS on the whole byte: another consumer (e.g. the
	 * module) may race for the same ioreq, and the byte also holds
	 * data_is_ptr/dir/df which a plain store of the nibble could tear.
	 */
	new = (old & ~0xf) | STATE_IOREQ_INPROCESS;
	if (!__atomic_compare_exchange_n(statep, &old, new, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return 0;
	if (cb)
		cb(req, v, opaque);
	new = (new & ~0xf) | STATE_IORESP_READY;
	__atomic_store_n(statep, new, __ATOMIC_RELEASE);
	xenevtchn_notify(s->xce, s->local_port[v]);
	return 1;
}

int xl_server_serve(struct xl_server *s, int timeout_ms, xl_ioreq_cb cb,
		    void *opaque)
{
	struct pollfd pfd = { .fd = xenevtchn_fd(s->xce), .events = POLLIN };
	int served = 0, n, wait = timeout_ms;
	xenevtchn_port_or_error_t port;
	unsigned int v;

	if (!s->xce || s->nbound < (int)s->vcpus)
		return -EINVAL;
	for (;;) {
		n = poll(&pfd, 1, wait);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		port = xenevtchn_pending(s->xce);
		if (port < 0)
			return neg_errno();
		/* Unmask first: an event arriving meanwhile is not lost. */
		xenevtchn_unmask(s->xce, port);
		for (v = 0; v < s->vcpus; v++)
			if (s->local_port[v] == (uint32_t)port)
				served += serve_one(s, v, cb, opaque);
		/* Drain whatever else is already pending, then return. */
		wait = 0;
	}
	/* An ioreq whose event we consumed earlier may still be READY. */
	for (v = 0; v < s->vcpus; v++)
		served += serve_one(s, v, cb, opaque);
	return served;
}

void xl_server_destroy(struct xl_server *s)
{
	int v;

	/* Pitfall: unmap and destroy before the guest is destroyed. */
	if (s->res)
		xenforeignmemory_unmap_resource(s->fmem, s->res);
	s->res = NULL;
	s->page = NULL;
	for (v = 0; v < s->nbound; v++)
		xenevtchn_unbind(s->xce, s->local_port[v]);
	s->nbound = 0;
	if (s->xce)
		xenevtchn_close(s->xce);
	s->xce = NULL;
	if (s->enabled)
		xendevicemodel_set_ioreq_server_state(s->dmod, s->domid, s->id, 0);
	s->enabled = 0;
	if (s->created)
		xendevicemodel_destroy_ioreq_server(s->dmod, s->domid, s->id);
	s->created = 0;
	if (s->fmem)
		xenforeignmemory_close(s->fmem);
	s->fmem = NULL;
	if (s->dmod)
		xendevicemodel_close(s->dmod);
	s->dmod = NULL;
}

int xl_isa_irq_pulse(uint16_t domid, unsigned int irq)
{
	xendevicemodel_handle *dmod = xendevicemodel_open(NULL, 0);
	int err = 0;

	if (!dmod)
		return neg_errno();
	if (xendevicemodel_set_isa_irq_level(dmod, domid, irq, 1) ||
	    xendevicemodel_set_isa_irq_level(dmod, domid, irq, 0))
		err = neg_errno();
	xendevicemodel_close(dmod);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Guest control through xenstore (protocol: guest/xenlab-agent.c)         */
/* ---------------------------------------------------------------------- */

static struct xs_handle *xsh;

/* The last command sent per domain, to match the reply. */
static struct {
	int domid;
	char seq[32];
} pending[8];

static struct xs_handle *xs(void)
{
	if (!xsh)
		xsh = xs_open(0);
	return xsh;
}

void xl_guest_reconnect(void)
{
	if (xsh)
		xs_close(xsh);
	xsh = NULL;
	memset(pending, 0, sizeof(pending));
}

static int env_domid(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : -1;
}

int xl_guest_domid(void)
{
	return env_domid("XENLAB_GUEST_DOMID");
}

int xl_pvh_domid(void)
{
	return env_domid("XENLAB_PVH_DOMID");
}

/*
 * Move the guest's balloon target by delta_kb (memory/target, what
 * `xl mem-set` writes). Shrinking makes the guest's balloon driver hand
 * pages back with XENMEM_decrease_reservation, after which Xen broadcasts
 * an IOREQ_TYPE_INVALIDATE request to every ioreq server of the domain.
 */
int xl_guest_balloon(int domid, long delta_kb)
{
	char path[128], val[32];
	unsigned int n;
	long target;
	char *v;

	if (!xs())
		return neg_errno();
	snprintf(path, sizeof(path), "/local/domain/%d/memory/target", domid);
	v = xs_read(xsh, XBT_NULL, path, &n);
	if (!v)
		return neg_errno();
	target = strtol(v, NULL, 10);
	free(v);
	if (target + delta_kb <= 0)
		return -EINVAL;
	snprintf(val, sizeof(val), "%ld", target + delta_kb);
	if (!xs_write(xsh, XBT_NULL, path, val, strlen(val)))
		return neg_errno();
	return 0;
}

/* Read /local/domain/<domid>/data/xenlab/<key> into buf. */
static int guest_read(int domid, const char *key, char *buf, size_t len)
{
	char path[128];
	unsigned int n;
	char *v;

	if (!xs())
		return neg_errno();
	snprintf(path, sizeof(path), "/local/domain/%d/data/xenlab/%s", domid, key);
	v = xs_read(xsh, XBT_NULL, path, &n);
	if (!v)
		return neg_errno();
	snprintf(buf, len, "%s", v);
	free(v);
	return 0;
}

static long guest_read_long(int domid, const char *key)
{
	char buf[32];
	int err = guest_read(domid, key, buf, sizeof(buf));

	return err ? err : strtol(buf, NULL, 0);
}

int xl_guest_vcpus(int domid)
{
	return guest_read_long(domid, "vcpus");
}

int xl_guest_isa_irq(int domid)
{
	long irq = guest_read_long(domid, "isa_irq");

	return irq < 0 ? -1 : irq;
}

int xl_guest_evtchn_port(int domid, uint32_t *port)
{
	long p = guest_read_long(domid, "evtchn");

	if (p <= 0)
		return p < 0 ? p : -ENOENT;
	*port = p;
	return 0;
}

static int guest_send(int domid, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int guest_send(int domid, const char *fmt, ...)
{
	static unsigned int counter;
	char path[128], cmd[256], seq[32];
	unsigned int i, slot = 0;
	va_list ap;
	int n;

	if (domid < 0)
		return -ENODEV;
	if (!xs())
		return neg_errno();
	/* Unique across processes: tests are separate programs. */
	snprintf(seq, sizeof(seq), "%d.%u.%" PRIu64, getpid(), ++counter,
		 xl_now_us() % 1000000);
	n = snprintf(cmd, sizeof(cmd), "%s ", seq);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	for (i = 0; i < 8; i++) {
		if (pending[i].domid == domid && pending[i].seq[0]) {
			slot = i;
			break;
		}
		if (!pending[i].seq[0])
			slot = i;
	}
	pending[slot].domid = domid;
	snprintf(pending[slot].seq, sizeof(pending[slot].seq), "%s", seq);
	snprintf(path, sizeof(path), "/local/domain/%d/data/xenlab/cmd", domid);
	if (!xs_write(xsh, XBT_NULL, path, cmd, strlen(cmd)))
		return neg_errno();
	return 0;
}

/* Wait for the reply to the last command; rest gets the text after rc. */
static int guest_reply(int domid, int timeout_ms, char *rest, size_t len)
{
	char path[128], token[32], reply[256], rseq[32];
	uint64_t deadline = xl_now_us() + (uint64_t)timeout_ms * 1000;
	const char *seq = NULL;
	int i, rc, off, err = -ETIMEDOUT;
	unsigned int n;

	for (i = 0; i < 8; i++)
		if (pending[i].domid == domid && pending[i].seq[0])
			seq = pending[i].seq;
	if (!seq)
		return -EINVAL;
	snprintf(path, sizeof(path), "/local/domain/%d/data/xenlab/reply", domid);
	snprintf(token, sizeof(token), "xl%d", getpid());
	xs_watch(xsh, path, token);
	for (;;) {
		char *v = xs_read(xsh, XBT_NULL, path, &n);
		struct pollfd pfd = { .fd = xs_fileno(xsh), .events = POLLIN };
		int64_t left;

		if (v) {
			snprintf(reply, sizeof(reply), "%s", v);
			free(v);
			if (sscanf(reply, "%31s %d %n", rseq, &rc, &off) >= 2 &&
			    !strcmp(rseq, seq)) {
				snprintf(rest, len, "%s", reply + off);
				err = rc ? -EIO : 0;
				break;
			}
		}
		left = (int64_t)(deadline - xl_now_us());
		if (left <= 0)
			break;
		/* Woken by the watch; re-read at least every 100 ms anyway. */
		if (poll(&pfd, 1, left / 1000 > 100 ? 100 : left / 1000 + 1) > 0) {
			char **w;

			while ((w = xs_check_watch(xsh)))
				free(w);
		}
	}
	xs_unwatch(xsh, path, token);
	if (err != -ETIMEDOUT)
		for (i = 0; i < 8; i++)
			if (pending[i].domid == domid)
				pending[i].seq[0] = '\0';
	return err;
}

int xl_guest_write_start(int domid, int pio, uint64_t addr, unsigned int size,
			 uint64_t value, unsigned int count, int vcpu)
{
	return guest_send(domid, "W %d 0x%" PRIx64 " %u 0x%" PRIx64 " %u %d",
			  !!pio, addr, size, value, count, vcpu);
}

int xl_guest_kick_start(int domid, int pio, uint64_t addr, unsigned int size,
			uint64_t value, unsigned int count, unsigned int nvcpus)
{
	return guest_send(domid, "K %d 0x%" PRIx64 " %u 0x%" PRIx64 " %u %u",
			  !!pio, addr, size, value, count, nvcpus);
}

int xl_guest_read_start(int domid, int pio, uint64_t addr, unsigned int size)
{
	return guest_send(domid, "R %d 0x%" PRIx64 " %u", !!pio, addr, size);
}

int xl_guest_rep_start(int domid, uint64_t addr, unsigned int count, int ptr)
{
	return guest_send(domid, "S 0x%" PRIx64 " %u %d", addr, count, !!ptr);
}

int xl_guest_wait(int domid, int timeout_ms, uint64_t *usecs_or_value)
{
	char rest[128];
	int err = guest_reply(domid, timeout_ms, rest, sizeof(rest));

	if (!err && usecs_or_value)
		*usecs_or_value = strtoull(rest, NULL, 0);
	return err;
}

int xl_guest_write(int domid, int pio, uint64_t addr, unsigned int size,
		   uint64_t value, unsigned int count, int vcpu, int timeout_ms,
		   uint64_t *usecs)
{
	int err = xl_guest_write_start(domid, pio, addr, size, value, count, vcpu);

	return err ? err : xl_guest_wait(domid, timeout_ms, usecs);
}

int xl_guest_irqcount(int domid, uint64_t *isa_count, uint64_t *evtchn_count)
{
	unsigned long long isa = 0, ev = 0;
	char rest[128];
	int err = guest_send(domid, "I");

	if (err)
		return err;
	err = guest_reply(domid, 10000, rest, sizeof(rest));
	if (err)
		return err;
	if (sscanf(rest, "%llu %llu", &isa, &ev) != 2)
		return -EIO;
	if (isa_count)
		*isa_count = isa;
	if (evtchn_count)
		*evtchn_count = ev;
	return 0;
}
