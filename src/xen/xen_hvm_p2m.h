/* xen_hvm_p2m.h: HVM/PVH domains: Xen's p2m (EPT or p2m-pt) found from struct domain by
 * invariants, walked into a guest-physical frame map. */
#ifndef VMC_XEN_HVM_P2M_H
#define VMC_XEN_HVM_P2M_H

#include "xen_host.h"

struct xen_hvm_layout {
	uint64_t off_d_p2m;   /* struct domain -> struct p2m_domain * (d->arch.p2m) */
	uint64_t off_back;    /* p2m_domain.domain (points back at the domain) */
	uint64_t off_root;    /* p2m_domain.phys_table (MFN of the root table) */
	enum vmc_pt_format fmt;
	uint64_t root_mfn;
	const char *source;   /* NULL until found */
};

/* Find d->arch.p2m and its root for this domain; when lay->source is set already (another
 * domain's), only that layout is checked. */
enum vmc_status vmc_xen_hvm_discover(struct xen_host *x, const struct xen_domain *dom, struct xen_hvm_layout *lay,
				     struct vmc_diag *d);
/* Fill g->map (guest-physical) from the p2m: RAM the domain owns, zero pages for PoD. */
enum vmc_status vmc_xen_hvm_map(struct xen_host *x, const struct xen_domain *dom, const struct xen_hvm_layout *lay,
				struct vmc_guest *g, struct vmc_diag *d);

/* xen_hvm_vcpu.c: where an HVM/PVH vCPU's state is in struct vcpu (one Xen-heap page), found
 * by invariants on the first vCPU that shows them and checked on every other. */
struct xen_hvm_vcpu_layout {
	uint64_t off_vmcb;       /* arch.hvm.svm.{vmcb, vmcb_pa}: a direct-map pointer, then its address */
	uint64_t off_user_regs;  /* arch.user_regs (same place as in a PV vCPU) */
	uint64_t off_guest_cr;   /* arch.hvm.guest_cr[5], then guest_efer; 0 = the VMCB's are used */
	const char *regs_source; /* how off_user_regs was found */
};
/* Every vCPU of dom into g, with its registers (AMD SVM: the VMCB save area for segments and
 * control registers, the GPRs Xen saved in user_regs, or the pCPU's state for a vCPU that was
 * running); g->no_vcpu_notes when one of them cannot be had, with a warning saying why. */
void vmc_xen_hvm_vcpus(struct xen_host *x, const struct xen_domain *dom, const struct xen_layout *lay,
		       const struct xen_hvm_layout *hl, struct xen_hvm_vcpu_layout *vl, struct vmc_guest *g);

#endif
