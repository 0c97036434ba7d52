/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of xen-privcmd-eventfd.
 *
 * Ownership: everything hangs off the struct pe_file of the open file that
 * registered it, and is torn down when that file is released.
 *
 *   pe_file --< ioreq_server --< ioreq_port (one per vCPU)
 *      |              `--< ioeventfd (hash table, read under RCU)
 *      `--< irqfd
 */
#ifndef _PRIVCMD_EVENTFD_H
#define _PRIVCMD_EVENTFD_H

#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/interrupt.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <xen/interface/event_channel.h>
#include <xen/interface/xen.h>

#include <xen/privcmd-eventfd.h>

#include "compat.h"

struct eventfd_ctx;
struct seq_file;

#define PE_NO_DOMAIN	-1

/**
 * struct pe_file - state of one open /dev/xen/privcmd-eventfd
 * @lock: serialises every request of this file that changes its servers
 *	or irqfds; taken in process context only
 * @servers: the file's ioreq servers; protected by @lock
 * @irqfds: the file's irqfds; changed under both @lock and @irqfd_lock,
 *	so either protects a reader
 * @irqfd_lock: protects @irqfds against the eventfd wakeup callback
 * @restrict_dom: the only domain this file may act on, or PE_NO_DOMAIN;
 *	protected by @lock
 * @node: in the global list shown in debugfs; protected by pe_files_lock
 */
struct pe_file {
	struct mutex lock;		/* protects servers, restrict_dom, irqfd changes */
	struct list_head servers;
	struct list_head irqfds;
	spinlock_t irqfd_lock;		/* protects irqfds against the wakeup */
	int restrict_dom;
	struct list_head node;
};

/**
 * struct pe_ioreq_page - the kernel's own mapping of an ioreq server's page
 * @ioreq: the vCPU slots
 * @page: auto-translated domains (PVH, Arm): the unpopulated page whose
 *	frame Xen points at the ioreq page
 * @area: x86 PV: the vmalloc()ed page whose PTE we point at the frame
 * @saved_pte: x86 PV: the PTE of @area before we changed it
 *
 * Because the module maps the page itself, it stays valid however the
 * device model's own mapping of it changes (munmap, exit).
 */
struct pe_ioreq_page {
	struct ioreq *ioreq;
	struct page *page;
	void *area;
	u64 saved_pte;
};

/**
 * struct pe_ioreq_port - one vCPU's event channel of an ioreq server
 * @srv: the server
 * @vcpu: index of the vCPU, and of its slot in the ioreq page
 * @port: local event channel port
 * @irq: Linux IRQ of @port, or 0 when not bound
 * @has_action: upstream mode: our handler is installed on @irq
 * @sole: upstream mode: /dev/xen/evtchn let go of @port and the module
 *	took the IRQ over; the handler then acknowledges every event
 * @suspect: upstream mode: @irq was seen disabled, /dev/xen/evtchn may be
 *	unbinding; the watchdog probes until it knows
 * @name: IRQ name shown in /proc/interrupts
 *
 * @has_action, @sole and @suspect change only in the server's watchdog or
 * while the server is set up or destroyed; the handler reads @sole.
 */
struct pe_ioreq_port {
	struct pe_ioreq_server *srv;
	unsigned int vcpu;
	evtchn_port_t port;
	int irq;
	bool has_action;
	bool sole;
	bool suspect;
	char name[40];
};

/**
 * enum pe_ioreq_server_mode - who binds and acknowledges the vCPU ports
 * @PE_IOREQ_SERVER_UPSTREAM: the device model bound the ports through
 *	/dev/xen/evtchn and acknowledges every event; the module shares the
 *	IRQs and only serves the writes it matches (IOCTL_PRIVCMD_IOEVENTFD)
 * @PE_IOREQ_SERVER_OWNED: the module binds the ports, acknowledges every
 *	event and forwards what it does not match (PRIVCMD_EVENTFD_IOC_SERVER)
 */
enum pe_ioreq_server_mode {
	PE_IOREQ_SERVER_UPSTREAM,
	PE_IOREQ_SERVER_OWNED,
};

#define IOEVENTFD_HASH_BITS	6

/**
 * struct pe_ioreq_server - an ioreq server whose requests the module sees
 * @node: in pe_file.servers; protected by pe_file.lock
 * @file: the owning file
 * @mode: see enum pe_ioreq_server_mode
 * @dom: the guest
 * @id: Xen's ioreq server id
 * @uioreq: upstream mode: the device model's address of the ioreq page,
 *	which names the server in IOCTL_PRIVCMD_IOEVENTFD
 * @vcpus: number of entries in @ports
 * @page: the kernel's mapping of the ioreq page
 * @ports: one per vCPU
 * @dm_ctx: owned mode: eventfd for requests no ioeventfd matches, or NULL
 * @serving: owned mode: every port is bound, the module answers for
 *	the server (and so completes what is outstanding when it goes away)
 * @dying: set before the ports are unbound; the handler then only
 *	acknowledges events, and completes requests if @flush_ready
 * @handover: owned mode: an explicit detach; the device model lives on
 *	and keeps the requests it claimed (INPROCESS) and the ones left
 *	READY, so the module completes none of them
 * @flush_ready: owned mode, while dying: the module answers every READY
 *	request with default semantics, up to the moment its ports close
 * @ioeventfds: registrations, hashed by address; changed under
 *	pe_file.lock, read by the handler under RCU
 * @nr_ioeventfds: number of registrations; protected by pe_file.lock
 * @watch: upstream mode: notices when /dev/xen/evtchn lets go of a port
 * @stat_served: writes the handler completed after signalling an eventfd
 * @stat_forwarded: requests handed to the device model
 * @stat_defaulted: requests the module completed with default semantics
 * @stat_spurious: events that found no ready request
 */
struct pe_ioreq_server {
	struct list_head node;
	struct pe_file *file;
	enum pe_ioreq_server_mode mode;
	domid_t dom;
	u32 id;
	u64 uioreq;
	unsigned int vcpus;
	struct pe_ioreq_page page;
	struct pe_ioreq_port *ports;
	struct eventfd_ctx *dm_ctx;
	bool serving;
	bool dying;
	bool handover;
	bool flush_ready;
	DECLARE_HASHTABLE(ioeventfds, IOEVENTFD_HASH_BITS);
	unsigned int nr_ioeventfds;
	struct delayed_work watch;
	atomic64_t stat_served;
	atomic64_t stat_forwarded;
	atomic64_t stat_defaulted;
	atomic64_t stat_spurious;
};

/* Address spaces of an ioeventfd, after the ioreq type they match. */
enum pe_ioeventfd_space {
	PE_IOEVENTFD_SPACE_MMIO,
	PE_IOEVENTFD_SPACE_PIO,
};

/**
 * struct pe_ioeventfd_key - what a registration matches
 * @addr: guest physical address or I/O port
 * @data: value to match, under @mask
 * @mask: bits of the written value that must equal @data; 0 = any value
 * @len: access size in bytes
 * @space: enum pe_ioeventfd_space
 */
struct pe_ioeventfd_key {
	u64 addr;
	u64 data;
	u64 mask;
	u32 len;
	u32 space;
};

/* privcmd's file operations (exported, declared in no public header). */
extern const struct file_operations xen_privcmd_fops;

/*
 * Every ioctl is handled the same way by main.c: the argument is copied in
 * and its fields checked by a *_check() function (no lock), the file's
 * lock is taken, the domain the request names is checked against the
 * file's restriction, and the acting function runs with the lock held
 * (it asserts it). Lock order: pe_files_lock (debugfs), then
 * pe_file.lock, then an eventfd's wait-queue lock, then
 * pe_file.irqfd_lock.
 */

/* common.c */
struct eventfd_ctx *pe_eventfd_get(int fd);
bool pe_evtchn_interdomain(evtchn_port_t port, domid_t dom,
			   evtchn_port_t *remote);
int pe_errno_from_xen(int xen_err);

/* restrict.c */
void pe_restrict_init(void);
void pe_restrict_exit(void);
int pe_restrict_initial(void);
int pe_check_domain(struct pe_file *pf, domid_t dom);
int pe_restrict_check(const void *arg);
int pe_restrict(struct pe_file *pf, void *arg);

/* ioreq_page.c */
int pe_ioreq_page_map(struct pe_ioreq_page *ip, domid_t dom, u32 id);
void pe_ioreq_page_unmap(struct pe_ioreq_page *ip);

/* ioreq_server.c */
struct pe_ioreq_server *pe_ioreq_server_find(struct pe_file *pf, domid_t dom,
					     u32 id);
int pe_ioreq_server_check(const void *arg);
int pe_ioreq_server_attach(struct pe_file *pf, void *arg);
int pe_ioreq_server_upstream_get(struct pe_file *pf,
				 const struct privcmd_ioeventfd *req,
			      struct pe_ioreq_server **srvp);
void pe_ioreq_server_destroy(struct pe_ioreq_server *srv);
int pe_ioreq_server_complete_check(const void *arg);
int pe_ioreq_server_complete(struct pe_file *pf, void *arg);
void pe_ioreq_server_show(struct seq_file *m, struct pe_ioreq_server *srv);

/* ioeventfd.c */
struct pe_ioeventfd;
void pe_ioeventfd_init(struct pe_ioreq_server *srv);
struct pe_ioeventfd *pe_ioeventfd_match(struct pe_ioreq_server *srv,
					const struct pe_ioeventfd_key *write);
void pe_ioeventfd_fire(struct pe_ioeventfd *ev);
void pe_ioeventfd_release_all(struct pe_ioreq_server *srv);
void pe_ioeventfd_show(struct seq_file *m, struct pe_ioreq_server *srv);
int pe_ioeventfd_check(const void *arg);
int pe_ioeventfd_request(struct pe_file *pf, void *arg);
int pe_ioeventfd_upstream_check(const void *arg);
int pe_ioeventfd_upstream_request(struct pe_file *pf, void *arg);

/* irqfd.c */
int pe_irqfd_check(const void *arg);
int pe_irqfd_request(struct pe_file *pf, void *arg);
int pe_irqfd_upstream_check(const void *arg);
int pe_irqfd_upstream_request(struct pe_file *pf, void *arg);
void pe_irqfd_release_all(struct pe_file *pf);
bool pe_irqfd_other_domain(struct pe_file *pf, domid_t dom);
void pe_irqfd_show(struct seq_file *m, struct pe_file *pf);
int pe_irqfd_init(void);
void pe_irqfd_exit(void);

/* debugfs.c */
void pe_debugfs_init(void);
void pe_debugfs_exit(void);
void pe_debugfs_add_file(struct pe_file *pf);
void pe_debugfs_remove_file(struct pe_file *pf);

#endif /* _PRIVCMD_EVENTFD_H */
