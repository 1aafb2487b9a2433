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

#endif
