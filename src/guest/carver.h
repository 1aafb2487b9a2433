/* carver.h: a carver recognises one kind of host dump (Xen, KVM) and finds its guests. Carvers
 * plug in through these ops, the way readers and writers do; src/registry.c holds the list. */
#ifndef VMC_CARVER_H
#define VMC_CARVER_H

#include "dump.h"
#include "guest.h"

struct vmc_carve_opts {
	const char *xen_syms;       /* --xen-syms FILE: Xen's symbol table (ELF .symtab, DWARF if any) */
	const char *vmcs_layout;    /* --vmcs-layout FILE: VMCS field offsets ("FIELD(NAME)=0xOFF" lines) */
	const char *host_debuginfo; /* --host-debuginfo DIR: host vmlinux and kvm*.ko with DWARF */
	const char *only;           /* build the map of this guest id only (NULL = all) */
	const char *force;          /* --hypervisor xen|kvm: skip probing */
	bool names_late;            /* Xen: xenstore searched as dom0 is written, or when asked (vmc_hv_late_ops) */
};

struct vmc_carver_ops {
	const char *name; /* "xen", "kvm" */
	/* 0 (not mine) .. 100 (certain), from the host dump's notes and memory. */
	int (*probe)(struct vmc_dump *host, const struct vmc_carve_opts *o);
	/* Find the hypervisor and every guest: fill hv. A guest that cannot be carved stays in
	 * the list with status/error set; fail only when no guest at all can be listed. */
	enum vmc_status (*scan)(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
				struct vmc_diag *d);
};

#endif
