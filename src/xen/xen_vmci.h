/* xen_vmci.h: a PV guest kernel's VMCOREINFO note, searched for over the domain's frames, and
 * the guest's kernel memory read through its p2m. */
#ifndef VMC_XEN_VMCI_H
#define VMC_XEN_VMCI_H

#include "xen_host.h"

/* What the search found: text is the note's text (malloc'd; NULL when no frame held a note
 * that validates), at pfn / mfn; ncand counts the frames that began with the note's name up
 * to it (it included), or all of them when none validated. */
struct xen_vmci {
	uint8_t *text;
	size_t len;
	uint64_t pfn, mfn, ncand;
	unsigned threads; /* that searched: 1, or 2 with the helper */
};

/* The search for the first frame in pfn order that holds a note validated through init_uts_ns:
 * begun here, on a second thread at once when the machine has two CPUs and nothing logs the
 * frames read, so that the caller can go on meanwhile: the search has its own frame cache, held
 * p2m page and frame-run hint, and only reads x's frame runs and p's leaf list, which must stay
 * as they are until vmc_xen_vmci_end. Fails only for memory. */
struct xen_vmci_search;
enum vmc_status vmc_xen_vmci_begin(struct xen_host *x, const struct xen_p2m *p, uint32_t pickled,
				   struct xen_vmci_search **ret, struct vmc_diag *d);
/* The caller's share of the search, then its outcome in r, and s freed. r NULL: the search is
 * given up (s freed as soon as the helper stops). s NULL (begin failed): r is all zero. */
void vmc_xen_vmci_end(struct xen_vmci_search *s, struct xen_vmci *r);

/* len bytes at kernel-image address kva (phys_base as VMCOREINFO gives it) through p, read with
 * pm: false when a page is not the guest's or not in the dump. */
bool vmc_xen_pv_kva_read(struct vmc_physmem *pm, const struct xen_p2m *p, uint64_t kva, uint64_t phys_base, void *buf,
			 size_t len);

#endif
