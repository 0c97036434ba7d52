/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stand-in for the <xen/interface/xen.h> that a userspace build using
 * Linux's <xen/privcmd.h> has to provide (linux-libc-dev does not ship
 * one). The stand-in <xen/privcmd.h> next to it needs nothing from it.
 */
#ifndef __XEN_PUBLIC_XEN_H__
#define __XEN_PUBLIC_XEN_H__

#endif /* __XEN_PUBLIC_XEN_H__ */
