// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: /sys/kernel/debug/xen-privcmd-eventfd/state lists every open
 * file's ioreq servers, ioeventfds (with hit counts) and irqfds.
 */
#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>

#include "privcmd_eventfd.h"

/* Every open file; protected by pe_files_lock, which nests outside pe_file.lock. */
static LIST_HEAD(pe_files);
static DEFINE_MUTEX(pe_files_lock);
static struct dentry *pe_debugfs_dir;

static int pe_state_show(struct seq_file *m, void *unused)
{
	struct pe_ioreq_server *srv;
	struct pe_file *pf;

	mutex_lock(&pe_files_lock);
	list_for_each_entry(pf, &pe_files, node) {
		mutex_lock(&pf->lock);
		seq_printf(m, "file %p restrict %d\n", pf, pf->restrict_dom);
		list_for_each_entry(srv, &pf->servers, node)
			pe_ioreq_server_show(m, srv);
		pe_irqfd_show(m, pf);
		mutex_unlock(&pf->lock);
	}
	mutex_unlock(&pe_files_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pe_state);

/**
 * pe_debugfs_add_file() - list a newly opened file
 * @pf: the file
 */
void pe_debugfs_add_file(struct pe_file *pf)
{
	mutex_lock(&pe_files_lock);
	list_add_tail(&pf->node, &pe_files);
	mutex_unlock(&pe_files_lock);
}

/**
 * pe_debugfs_remove_file() - unlist a file being released
 * @pf: the file
 */
void pe_debugfs_remove_file(struct pe_file *pf)
{
	mutex_lock(&pe_files_lock);
	list_del(&pf->node);
	mutex_unlock(&pe_files_lock);
}

/**
 * pe_debugfs_init() - create the debugfs directory (failure is harmless)
 */
void pe_debugfs_init(void)
{
	pe_debugfs_dir = debugfs_create_dir("xen-privcmd-eventfd", NULL);
	debugfs_create_file("state", 0400, pe_debugfs_dir, NULL, &pe_state_fops);
}

/**
 * pe_debugfs_exit() - remove the debugfs directory
 */
void pe_debugfs_exit(void)
{
	debugfs_remove_recursive(pe_debugfs_dir);
}
