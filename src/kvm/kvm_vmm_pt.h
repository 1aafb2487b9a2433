/* kvm_vmm_pt.h: the memslot route without KVM symbols: find the VMM process whose page
 * tables map the host frames a VM's NPT/EPT maps, and infer its guest-RAM slots (gfn range ->
 * VMM virtual address) from those pairs. Needs only the host VMCOREINFO (init_top_pgt,
 * phys_base, pgtable_l5_enabled, sme_mask). */
#ifndef VMC_KVM_VMM_PT_H
#define VMC_KVM_VMM_PT_H

#include "linux_kvm.h"

/* One run of guest frames the nested tables map: gfn..gfn+count -> hpfn.. */
struct vmc_gfn_ext {
	uint64_t gfn, hpfn, count;
};

struct vmc_vmm_guess {
	uint64_t pgd_pa;          /* 0 when no VMM was found */
	unsigned levels;
	uint64_t addr_mask;       /* page-table address bits (SME bit removed) */
	uint64_t pages_matched;   /* NPT-known frames the VMM maps at the chosen offsets */
	uint64_t pages_known;     /* NPT-known frames (distinct host frames) */
	uint64_t runner_up;       /* best match of any other page-table root */
	struct vmc_kvm_memslot *slots;
	unsigned nslots;
};

/* Collecting candidate user page-table roots during a pass over every frame (the VMCB scan's
 * pass: see vmc_svm_scan_with): new fails (NULL, d says why) when the VMCOREINFO lacks what
 * is needed; vmc_pgd_scan_frame is the per-frame callback. */
struct vmc_pgd_scan;
struct vmc_pgd_scan *vmc_pgd_scan_new(struct vmc_dump *host, struct vmc_diag *d);
enum vmc_status vmc_pgd_scan_frame(uint64_t pfn, const uint8_t *page, void *scan);
void vmc_pgd_scan_free(struct vmc_pgd_scan *s);

/* For each of nvms VMs (ext[i], n[i]: its NPT extents sorted by gfn), guess the VMM among
 * the roots ps collected. */
enum vmc_status vmc_vmm_guess(struct vmc_dump *host, const struct vmc_pgd_scan *ps, struct vmc_gfn_ext *const *ext,
			      const size_t *n, unsigned nvms, struct vmc_vmm_guess *out, char *why, size_t whysz,
			      struct vmc_diag *d);
void vmc_vmm_guess_free(struct vmc_vmm_guess *g);

/* The host kernel's paging facts from VMCOREINFO: 4/5 levels and the SME-free address mask. */
bool vmc_host_paging(struct vmc_dump *host, unsigned *levels, uint64_t *addr_mask, uint64_t *init_top_pgt_pa);

#endif
