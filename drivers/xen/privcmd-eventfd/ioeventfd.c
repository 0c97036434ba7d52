// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd registrations: which guest writes signal which eventfd.
 *
 * A registration matches a write of exactly @len bytes at @addr in one
 * address space (MMIO or port I/O) whose value equals @data under @mask
 * (mask 0: any value). Registrations live in a per-server hash table keyed
 * by address, so the handler's lookup cost does not grow with their
 * number. Two registrations collide (-EEXIST) when space, address and
 * length are equal and some value would match both, which is KVM's rule
 * for KVM_IOEVENTFD extended to masks.
 */
#include <linux/eventfd.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "privcmd_eventfd.h"

/* virtio-mmio's queue notify register, the upstream ABI's fixed offset. */
#define VIRTIO_MMIO_QUEUE_NOTIFY_OFFSET	0x50
#define VIRTIO_MMIO_QUEUE_NOTIFY_MASK	0xffff

/* Port I/O addresses are 16 bits on x86. */
#define PIO_ADDR_MAX			0xffff

/* Bound on what one ioreq server may hold, as KVM bounds its I/O bus. */
#define IOEVENTFD_MAX_PER_SERVER	PRIVCMD_EVENTFD_MAX_IOEVENTFDS

/**
 * struct pe_ioeventfd - one registration
 * @node: in pe_ioreq_server.ioeventfds
 * @key: what it matches
 * @ctx: the eventfd it signals; referenced until the registration is freed
 * @hits: number of writes that signalled it
 */
struct pe_ioeventfd {
	struct hlist_node node;
	struct pe_ioeventfd_key key;
	struct eventfd_ctx *ctx;
	atomic64_t hits;
};

/* The hashtable key: the hashtable API hashes it into a bucket itself. */
static u64 pe_ioeventfd_hkey(u64 addr, u32 space)
{
	return addr ^ ((u64)space << 63);
}

static bool key_same_slot(const struct pe_ioeventfd_key *a,
			  const struct pe_ioeventfd_key *b)
{
	return a->space == b->space && a->addr == b->addr && a->len == b->len;
}

/* Is there a value that both registrations would match? */
static bool key_overlaps(const struct pe_ioeventfd_key *a,
			 const struct pe_ioeventfd_key *b)
{
	return key_same_slot(a, b) &&
	       ((a->data ^ b->data) & a->mask & b->mask) == 0;
}

/**
 * pe_ioeventfd_init() - prepare a server's registration table
 * @srv: the server
 */
void pe_ioeventfd_init(struct pe_ioreq_server *srv)
{
	hash_init(srv->ioeventfds);
}

/**
 * pe_ioeventfd_match() - the registration a guest write signals
 * @srv: the server
 * @write: the write (mask ignored)
 *
 * Context: any; caller holds rcu_read_lock() while it uses the result.
 * Return: the registration, or NULL.
 */
struct pe_ioeventfd *pe_ioeventfd_match(struct pe_ioreq_server *srv,
					const struct pe_ioeventfd_key *write)
{
	struct pe_ioeventfd *ev;

	hash_for_each_possible_rcu(srv->ioeventfds, ev, node,
				   pe_ioeventfd_hkey(write->addr, write->space))
		if (key_same_slot(&ev->key, write) &&
		    ((ev->key.data ^ write->data) & ev->key.mask) == 0)
			return ev;
	return NULL;
}

/**
 * pe_ioeventfd_fire() - signal a registration's eventfd
 * @ev: a registration returned by pe_ioeventfd_match()
 */
void pe_ioeventfd_fire(struct pe_ioeventfd *ev)
{
	atomic64_inc(&ev->hits);
	pe_eventfd_signal(ev->ctx);
}

static void pe_ioeventfd_free(struct pe_ioeventfd *ev)
{
	eventfd_ctx_put(ev->ctx);
	kfree(ev);
}

/* Remove @ev while the handler may be running: wait for its readers. */
static void pe_ioeventfd_unlink(struct pe_ioreq_server *srv, struct pe_ioeventfd *ev)
{
	hash_del_rcu(&ev->node);
	srv->nr_ioeventfds--;
	synchronize_rcu();
	pe_ioeventfd_free(ev);
}

static int pe_ioeventfd_add(struct pe_ioreq_server *srv,
			    const struct pe_ioeventfd_key *key, int fd)
{
	u64 hkey = pe_ioeventfd_hkey(key->addr, key->space);
	struct pe_ioeventfd *ev;

	hash_for_each_possible(srv->ioeventfds, ev, node, hkey)
		if (key_overlaps(&ev->key, key))
			return -EEXIST;
	if (srv->nr_ioeventfds >= IOEVENTFD_MAX_PER_SERVER)
		return -ENOSPC;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev)
		return -ENOMEM;
	ev->ctx = pe_eventfd_get(fd);
	if (IS_ERR(ev->ctx)) {
		kfree(ev);
		return -EBADF;
	}
	ev->key = *key;
	atomic64_set(&ev->hits, 0);

	hash_add_rcu(srv->ioeventfds, &ev->node, hkey);
	srv->nr_ioeventfds++;
	return 0;
}

/* KVM's deassign: the same key and the same eventfd. */
static int pe_ioeventfd_remove(struct pe_ioreq_server *srv,
			       const struct pe_ioeventfd_key *key, int fd)
{
	struct eventfd_ctx *ctx;
	struct pe_ioeventfd *ev;
	int rc = -ENOENT;

	ctx = pe_eventfd_get(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	hash_for_each_possible(srv->ioeventfds, ev, node,
			       pe_ioeventfd_hkey(key->addr, key->space)) {
		if (ev->ctx == ctx && key_same_slot(&ev->key, key) &&
		    ev->key.mask == key->mask && ev->key.data == key->data) {
			pe_ioeventfd_unlink(srv, ev);
			rc = 0;
			break;
		}
	}
	eventfd_ctx_put(ctx);
	return rc;
}

/**
 * pe_ioeventfd_release_all() - free every registration of a dead server
 * @srv: the server; its ports are already unbound, so no reader is left
 */
void pe_ioeventfd_release_all(struct pe_ioreq_server *srv)
{
	struct hlist_node *tmp;
	struct pe_ioeventfd *ev;
	int bkt;

	hash_for_each_safe(srv->ioeventfds, bkt, tmp, ev, node) {
		hash_del(&ev->node);
		pe_ioeventfd_free(ev);
	}
	srv->nr_ioeventfds = 0;
}

/**
 * pe_ioeventfd_show() - debugfs view of a server's registrations
 * @m: the seq_file
 * @srv: the server; its file's lock is held
 */
void pe_ioeventfd_show(struct seq_file *m, struct pe_ioreq_server *srv)
{
	struct pe_ioeventfd *ev;
	int bkt;

	hash_for_each(srv->ioeventfds, bkt, ev, node)
		seq_printf(m, "    ioeventfd %s 0x%llx len %u data 0x%llx mask 0x%llx hits %lld\n",
			   ev->key.space == PE_IOEVENTFD_SPACE_PIO ? "pio" : "mmio",
			   ev->key.addr, ev->key.len, ev->key.data,
			   ev->key.mask, (long long)atomic64_read(&ev->hits));
}

static bool len_valid(u32 len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

static u64 len_mask(u32 len)
{
	return len == 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
}

#define IOEVENTFD_FLAGS	(PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN | \
			 PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH | \
			 PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO)

static int pe_ioeventfd_key_from(const struct privcmd_eventfd_ioeventfd *req,
				 struct pe_ioeventfd_key *key)
{
	bool pio = req->flags & PRIVCMD_EVENTFD_IOEVENTFD_FLAG_PIO;

	if ((req->flags & ~IOEVENTFD_FLAGS) || req->pad || req->reserved ||
	    !len_valid(req->len))
		return -EINVAL;
	if (pio && !IS_ENABLED(CONFIG_X86))
		return -EOPNOTSUPP;
	if (pio && req->addr > PIO_ADDR_MAX)
		return -EINVAL;

	key->space = pio ? PE_IOEVENTFD_SPACE_PIO : PE_IOEVENTFD_SPACE_MMIO;
	key->addr = req->addr;
	key->len = req->len;
	if (req->flags & PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DATAMATCH) {
		if (req->datamatch & ~len_mask(req->len))
			return -EINVAL;
		key->data = req->datamatch;
		key->mask = len_mask(req->len);
	} else {
		key->data = 0;
		key->mask = 0;
	}
	return 0;
}

/**
 * pe_ioeventfd_check() - PRIVCMD_EVENTFD_IOC_IOEVENTFD, its fields
 * @arg: struct privcmd_eventfd_ioeventfd
 *
 * Return: 0, -EINVAL, or -EOPNOTSUPP for port I/O off x86.
 */
int pe_ioeventfd_check(const void *arg)
{
	struct pe_ioeventfd_key key;

	return pe_ioeventfd_key_from(arg, &key);
}

/**
 * pe_ioeventfd_request() - PRIVCMD_EVENTFD_IOC_IOEVENTFD
 * @pf: the file; its lock is held
 * @arg: struct privcmd_eventfd_ioeventfd, checked by pe_ioeventfd_check()
 *
 * Return: 0 or the documented errno.
 */
int pe_ioeventfd_request(struct pe_file *pf, void *arg)
{
	const struct privcmd_eventfd_ioeventfd *req = arg;
	struct pe_ioreq_server *srv;
	struct pe_ioeventfd_key key;
	int rc;

	lockdep_assert_held(&pf->lock);
	rc = pe_ioeventfd_key_from(req, &key);
	if (rc)
		return rc;
	srv = pe_ioreq_server_find(pf, req->dom, req->id);
	if (!srv)
		return -ENOENT;
	if (req->flags & PRIVCMD_EVENTFD_IOEVENTFD_FLAG_DEASSIGN)
		return pe_ioeventfd_remove(srv, &key, req->fd);
	return pe_ioeventfd_add(srv, &key, req->fd);
}

/* Upstream deassign: the first registration with this eventfd in @dom. */
static int pe_upstream_deassign(struct pe_file *pf,
				const struct privcmd_ioeventfd *req)
{
	struct pe_ioreq_server *srv, *tmp;
	struct eventfd_ctx *ctx;
	struct pe_ioeventfd *ev;
	int bkt, rc = -ENOENT;

	ctx = pe_eventfd_get(req->event_fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	list_for_each_entry_safe(srv, tmp, &pf->servers, node) {
		if (srv->mode != PE_IOREQ_SERVER_UPSTREAM || srv->dom != req->dom)
			continue;
		hash_for_each(srv->ioeventfds, bkt, ev, node) {
			if (ev->ctx != ctx)
				continue;
			pe_ioeventfd_unlink(srv, ev);
			/* Like upstream, a server lives as long as its ioeventfds. */
			if (!srv->nr_ioeventfds) {
				list_del(&srv->node);
				pe_ioreq_server_destroy(srv);
			}
			rc = 0;
			goto out;
		}
	}
out:
	eventfd_ctx_put(ctx);
	return rc;
}

static int pe_upstream_assign(struct pe_file *pf,
			      const struct privcmd_ioeventfd *req)
{
	struct pe_ioeventfd_key key;
	struct pe_ioreq_server *srv;
	int rc;

	/* addr_len first: len_mask() shifts by it. */
	if (!len_valid(req->addr_len))
		return -EINVAL;
	key.space = PE_IOEVENTFD_SPACE_MMIO;
	key.addr = req->addr + VIRTIO_MMIO_QUEUE_NOTIFY_OFFSET;
	key.len = req->addr_len;
	key.data = req->vq;
	key.mask = VIRTIO_MMIO_QUEUE_NOTIFY_MASK & len_mask(req->addr_len);

	if (req->vq > key.mask ||
	    req->vcpus == 0 || req->vcpus > PRIVCMD_EVENTFD_MAX_VCPUS ||
	    req->addr > U64_MAX - VIRTIO_MMIO_QUEUE_NOTIFY_OFFSET)
		return -EINVAL;

	rc = pe_ioreq_server_upstream_get(pf, req, &srv);
	if (rc)
		return rc;

	rc = pe_ioeventfd_add(srv, &key, req->event_fd);
	if (rc && !srv->nr_ioeventfds) {
		list_del(&srv->node);
		pe_ioreq_server_destroy(srv);
	}
	return rc;
}

/**
 * pe_ioeventfd_upstream_check() - IOCTL_PRIVCMD_IOEVENTFD, its flags
 * @arg: struct privcmd_ioeventfd
 *
 * The other fields matter only to an assign, which checks them.
 *
 * Return: 0 or -EINVAL.
 */
int pe_ioeventfd_upstream_check(const void *arg)
{
	const struct privcmd_ioeventfd *req = arg;

	if ((req->flags & ~PRIVCMD_IOEVENTFD_FLAG_DEASSIGN) || req->pad[0] ||
	    req->pad[1])
		return -EINVAL;
	return 0;
}

/**
 * pe_ioeventfd_upstream_request() - IOCTL_PRIVCMD_IOEVENTFD
 * @pf: the file; its lock is held
 * @arg: struct privcmd_ioeventfd, checked by pe_ioeventfd_upstream_check()
 *
 * Return: 0 or the documented errno.
 */
int pe_ioeventfd_upstream_request(struct pe_file *pf, void *arg)
{
	const struct privcmd_ioeventfd *req = arg;

	lockdep_assert_held(&pf->lock);
	if (req->flags & PRIVCMD_IOEVENTFD_FLAG_DEASSIGN)
		return pe_upstream_deassign(pf, req);
	return pe_upstream_assign(pf, req);
}
