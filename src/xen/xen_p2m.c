/* xen_p2m.c: a PV domain's pfn -> mfn table, as the guest published it in shared_info.arch:
 * the 3-level frame-list tree (pfn_to_mfn_frame_list_list), or the linear list at p2m_vaddr in
 * the address space p2m_cr3 roots (what Xen >= 4.7 toolstacks make domUs publish; their
 * frame_list_list is ~0). Both are guest-controlled: every table and leaf page must be a frame
 * the domain owns, sizes are bounded, and page-table loops are cut by the walker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen_host.h"

#define PER_PAGE ((uint64_t)XEN_P2M_PER_PAGE)
#define MA_MASK 0x000ffffffffff000ull
#define MAX_PFN_LIMIT (1ull << 28) /* 1 TiB of guest: bounds the leaf array (4 MiB) a hostile max_pfn asks for */

struct lin {
	struct xen_host *x;
	const struct xen_domain *dom;
	struct xen_p2m *p;
	uint64_t vbase;
	uint64_t refused, first_refused;
};

static bool owned(struct xen_host *x, const struct xen_domain *dom, uint64_t mfn)
{
	return vmc_xen_frames_owned_by(x, mfn, dom->pickled);
}

/* Tables of the p2m address space must be the domain's own frames (a PV guest can only
 * make its own pages page tables). */
static bool table_ok(uint64_t entry, unsigned level, bool leaf, uint64_t *pa, void *arg)
{
	struct lin *l = arg;
	(void)level;
	if (!(entry & 1))
		return false;
	if (leaf)
		return true; /* leaves are checked by the callback, which counts them */
	if (!owned(l->x, l->dom, *pa >> 12)) {
		if (!l->refused++)
			l->first_refused = *pa;
		return false;
	}
	return true;
}

static enum vmc_status lin_leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct lin *l = arg;
	(void)entry;
	for (uint64_t off = 0; off < size; off += 4096) {
		uint64_t idx = (va + off - l->vbase) >> 12, mfn = (pa + off) >> 12;
		if (va + off < l->vbase || idx >= l->p->nleaf)
			continue;
		if (!owned(l->x, l->dom, mfn)) {
			if (!l->refused++)
				l->first_refused = pa + off;
			continue;
		}
		l->p->leaf[idx] = mfn;
	}
	return VMC_OK;
}

static enum vmc_status tree(struct xen_host *x, const struct xen_domain *dom, struct xen_p2m *p, struct vmc_diag *d)
{
	uint64_t fll[PER_PAGE], fl[PER_PAGE];
	enum vmc_status rc;

	if (!owned(x, dom, dom->fll_mfn))
		return vmc_fail(d, VMC_ERR_CORRUPT, "domain %u: pfn_to_mfn_frame_list_list 0x%llx is not a frame the domain owns",
				dom->domid, (unsigned long long)dom->fll_mfn);
	if ((rc = vmc_physmem_read(&x->pm, dom->fll_mfn << 12, fll, sizeof(fll), d)))
		return vmc_wrap(d, rc, "domain %u: frame_list_list", dom->domid);
	p->tables++;
	for (uint64_t i = 0; i < PER_PAGE && i * PER_PAGE < p->nleaf; i++) {
		if (!fll[i])
			break; /* as crash and makedumpfile read it: the list ends at the first 0 */
		if (!owned(x, dom, fll[i])) {
			vmc_fail(d, VMC_ERR_CORRUPT, "domain %u: frame list %llu at mfn 0x%llx is not the domain's", dom->domid,
				 (unsigned long long)i, (unsigned long long)fll[i]);
			return d->status;
		}
		if ((rc = vmc_physmem_read(&x->pm, fll[i] << 12, fl, sizeof(fl), d)))
			return vmc_wrap(d, rc, "domain %u: frame list %llu", dom->domid, (unsigned long long)i);
		p->tables++;
		for (uint64_t j = 0; j < PER_PAGE && i * PER_PAGE + j < p->nleaf; j++) {
			if (!fl[j])
				break;
			if (owned(x, dom, fl[j]))
				p->leaf[i * PER_PAGE + j] = fl[j];
		}
	}
	return VMC_OK;
}

enum vmc_status vmc_xen_p2m_read(struct xen_host *x, const struct xen_domain *dom, struct xen_p2m *p,
				 struct vmc_diag *d)
{
	enum vmc_status rc = VMC_OK;
	uint64_t bound = (dom->owned + dom->owned_heap + 1024) * 64;

	memset(p, 0, sizeof(*p));
	p->npfn = dom->max_pfn;
	if (!p->npfn || p->npfn > MAX_PFN_LIMIT || p->npfn > bound)
		return vmc_fail(d, VMC_ERR_CORRUPT, "domain %u: shared_info.arch.max_pfn 0x%llx is implausible (the domain owns %llu frames)",
				dom->domid, (unsigned long long)dom->max_pfn, (unsigned long long)dom->owned);
	p->pm = &x->pm;
	p->nleaf = (p->npfn + PER_PAGE - 1) / PER_PAGE;
	p->leaf = malloc(p->nleaf * sizeof(*p->leaf));
	p->page = malloc(sizeof(*p->page));
	if (!p->page || !p->leaf) {
		vmc_xen_p2m_free(p);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for domain %u's p2m", dom->domid);
	}
	p->page->leaf = ~0ull;
	memset(p->leaf, 0xff, p->nleaf * sizeof(*p->leaf));
	if (dom->fll_mfn && dom->fll_mfn != ~0ull) {
		rc = tree(x, dom, p, d);
	} else if (dom->p2m_cr3 && dom->p2m_vaddr) {
		struct vmc_pt pt = { 0 };
		struct vmc_pt_stats st = { 0 };
		struct lin l = { x, dom, p, dom->p2m_vaddr, 0, 0 };
		uint64_t va_end = dom->p2m_vaddr + p->nleaf * 4096;

		p->linear = true;
		/* the p2m must be guest virtual, not in Xen's slots 256-271 (as libxenguest checks) */
		if (va_end < dom->p2m_vaddr ||
		    (dom->p2m_vaddr < 0xffff880000000000ull && va_end > 0xffff800000000000ull) || (dom->p2m_vaddr & 0xfff))
			return vmc_xen_p2m_free(p), vmc_fail(d, VMC_ERR_CORRUPT, "domain %u: p2m_vaddr 0x%llx..0x%llx is not a guest address",
							 dom->domid, (unsigned long long)dom->p2m_vaddr, (unsigned long long)va_end);
		if (!owned(x, dom, (dom->p2m_cr3 & MA_MASK) >> 12))
			return vmc_xen_p2m_free(p), vmc_fail(d, VMC_ERR_CORRUPT, "domain %u: p2m_cr3 0x%llx is not a frame the domain owns",
							 dom->domid, (unsigned long long)dom->p2m_cr3);
		pt.pm = &x->pm;
		pt.format = VMC_PT_X86_64;
		pt.levels = 4;
		pt.root = dom->p2m_cr3 & MA_MASK;
		pt.entry_ok = table_ok;
		pt.entry_arg = &l;
		pt.max_leaves = p->nleaf * 2 + 1024;
		rc = vmc_pt_walk(&pt, dom->p2m_vaddr, va_end, lin_leaf, &l, &st, d);
		p->tables = st.tables;
		if (l.refused)
			snprintf(p->warn, sizeof(p->warn),
				 "%llu entries of the p2m's page tables (root 0x%llx) point at frames the domain does not own (first 0x%llx); skipped",
				 (unsigned long long)l.refused, (unsigned long long)pt.root, (unsigned long long)l.first_refused);
		else if (!rc && st.tables_absent)
			snprintf(p->warn, sizeof(p->warn), "%llu p2m page tables are not in the dump (first at 0x%llx)",
				 (unsigned long long)st.tables_absent, (unsigned long long)st.first_bad_table);
		p->loops = st.loops;
	} else {
		vmc_xen_p2m_free(p);
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "domain %u publishes no p2m (frame_list_list 0x%llx, p2m_cr3 0x%llx)",
				dom->domid, (unsigned long long)dom->fll_mfn, (unsigned long long)dom->p2m_cr3);
	}
	if (rc)
		vmc_xen_p2m_free(p);
	return rc;
}

/* The page as it was read whole into an array before (a hole or an unreadable page: all
 * invalid; the last page's entries past npfn too), so every lookup answers as that did. */
void vmc_xen_p2m_load(const struct xen_p2m *p, uint64_t i)
{
	uint64_t n = p->npfn - i * PER_PAGE < PER_PAGE ? p->npfn - i * PER_PAGE : PER_PAGE;
	const uint8_t *pg = NULL;
	struct vmc_diag tmp;

	p->page->leaf = i;
	vmc_diag_init(&tmp);
	if (p->leaf[i] != XEN_P2M_INVALID)
		pg = vmc_physmem_frame(p->pm, p->leaf[i], &tmp);
	memset(p->page->mfn, 0xff, sizeof(p->page->mfn));
	if (pg)
		memcpy(p->page->mfn, pg, n * 8);
}

void vmc_xen_p2m_free(struct xen_p2m *p)
{
	free(p->leaf);
	free(p->page);
	p->leaf = NULL;
	p->page = NULL;
}
