/* xen_hvm_p2m.c: an HVM/PVH domain's gfn -> mfn map from Xen's own p2m (d->arch.p2m, a
 * struct p2m_domain whose phys_table is the root of an EPT (Intel) or p2m-pt (AMD NPT /
 * shadow: long-mode format) table). Without DWARF the fields are found by invariants: a
 * pointer in struct domain to an object that points back at the domain, holding an MFN that
 * roots a table whose RAM leaves are frames the frame table gives this domain. The format
 * and offsets found are reported. Types follow xen/arch/x86/include/asm/p2m.h: ram_rw 0,
 * ram_logdirty 2, ram_ro 3, ram_shared 12 are copied (frames the domain owns, its Xen-heap
 * shared_info and grant frames included), populate_on_demand 6 is a zero page, MMIO, grants,
 * foreign and invalid entries are left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen_hvm_p2m.h"

#define P2M_OBJ_BYTES 2048     /* what is searched of struct p2m_domain */
#define BACKPTR_MAX 512
#define T_RAM_RW 0
#define T_LOGDIRTY 2
#define T_RAM_RO 3
#define T_POD 6
#define T_SHARED 12
/* bits 7:3 of an EPT entry pointing at a table are reserved (SDM 29.3.2); Xen's p2m-pt (AMD
 * NPT / shadow) sets _PAGE_ACCESSED|_PAGE_DIRTY (bits 5, 6) in every entry, so an NPT table
 * read as EPT fails here: the two formats are told apart by the tables themselves */
#define EPT_NONLEAF_RSVD 0xf8ull

struct walk {
	struct xen_host *x;
	const struct xen_domain *dom;
	enum vmc_pt_format fmt;
	struct vmc_guest *g;     /* NULL while scoring a candidate */
	uint64_t owned, heap, refused, pod, skipped, max_gfn, first_refused_gfn, first_refused_mfn;
	struct vmc_diag *d;
};

static unsigned p2m_type(enum vmc_pt_format fmt, uint64_t e)
{
	return (unsigned)(fmt == VMC_PT_EPT ? (e >> 52) & 0x3f : (e >> 52) & 0x7f);
}

static bool entry_ok(uint64_t e, unsigned level, bool leaf, uint64_t *pa, void *arg)
{
	struct walk *w = arg;
	unsigned t;
	(void)level;
	(void)pa;
	if (!leaf) /* EPT table pointers keep bits 7:3 zero; p2m-pt ones carry A/D/PCD/PWT flags */
		return w->fmt == VMC_PT_EPT ? (e & 7) != 0 && !(e & EPT_NONLEAF_RSVD) : (e & 1) != 0;
	if (!e)
		return false;
	t = p2m_type(w->fmt, e);
	if (t == T_POD)
		return true;
	if (t != T_RAM_RW && t != T_LOGDIRTY && t != T_RAM_RO && t != T_SHARED) {
		w->skipped++;
		return false;
	}
	return true;
}

static enum vmc_status leaf(uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t e, void *arg)
{
	struct walk *w = arg;
	uint64_t gfn = gpa >> 12, mfn = hpa >> 12, n = size >> 12;
	enum vmc_status rc;

	if (gfn + n > w->max_gfn)
		w->max_gfn = gfn + n;
	if (p2m_type(w->fmt, e) == T_POD) {
		w->pod += n;
		return w->g ? vmc_gmap_add_zero(&w->g->map, gfn, n, w->d) : VMC_OK;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (!vmc_xen_frames_owned_by(w->x, mfn + i, w->dom->pickled)) {
			if (!w->refused++)
				w->first_refused_gfn = gfn + i, w->first_refused_mfn = mfn + i;
			continue;
		}
		/* the domain's own Xen-heap pages (shared_info, grant-table frames) that the guest
		 * mapped into its physical space: part of it, as xl dump-core writes them */
		if (vmc_xen_frames_owner(w->x, mfn + i) & XEN_OWNER_HEAP)
			w->heap++;
		else
			w->owned++;
		if (w->g && (rc = vmc_gmap_add(&w->g->map, gfn + i, mfn + i, 1, w->d)))
			return rc;
	}
	return VMC_OK;
}

static enum vmc_status walk(struct xen_host *x, const struct xen_domain *dom, uint64_t root_mfn,
			    enum vmc_pt_format fmt, struct walk *w, struct vmc_guest *g, struct vmc_diag *d)
{
	struct vmc_pt pt = { 0 };
	struct vmc_pt_stats st = { 0 };

	memset(w, 0, sizeof(*w));
	w->x = x, w->dom = dom, w->fmt = fmt, w->g = g, w->d = d;
	pt.pm = &x->pm;
	pt.format = fmt;
	pt.levels = 4;
	pt.root = root_mfn << 12;
	pt.entry_ok = entry_ok;
	pt.entry_arg = w;
	/* a guest's p2m maps what it owns (and PoD/MMIO holes): bound the walk by that */
	pt.max_leaves = (dom->owned + 4096) * 4;
	return vmc_pt_walk(&pt, 0, 1ull << 48, leaf, w, &st, d);
}

static uint64_t u64at(const uint8_t *b, size_t off)
{
	uint64_t v;
	memcpy(&v, b + off, 8);
	return v;
}

/* Try one (struct domain offset, back-pointer, root offset, format) candidate: the score is
 * the number of leaves mapping frames this domain owns. */
static uint64_t score(struct xen_host *x, const struct xen_domain *dom, uint64_t root_mfn, enum vmc_pt_format fmt)
{
	struct walk w;
	struct vmc_diag tmp;
	const uint8_t *pg;

	vmc_diag_init(&tmp);
	if (!root_mfn || root_mfn >= x->dump->max_pfn || !(pg = vmc_physmem_frame(&x->pm, root_mfn, &tmp)))
		return 0;
	/* a root table: some entries present, every present one within the dump's frames */
	{
		unsigned present = 0;
		for (unsigned i = 0; i < 512; i++) {
			uint64_t e = u64at(pg, i * 8);
			bool p = fmt == VMC_PT_EPT ? (e & 7) != 0 : (e & 1) != 0;
			if (!p)
				continue;
			if (((e & 0x000ffffffffff000ull) >> 12) >= x->dump->max_pfn || (e & 0x80) ||
			    (fmt == VMC_PT_EPT && (e & EPT_NONLEAF_RSVD)))
				return 0;
			present++;
		}
		if (!present)
			return 0;
	}
	if (walk(x, dom, root_mfn, fmt, &w, NULL, &tmp))
		return 0;
	return w.refused > w.owned ? 0 : w.owned;
}

enum vmc_status vmc_xen_hvm_discover(struct xen_host *x, const struct xen_domain *dom, struct xen_hvm_layout *lay,
				     struct vmc_diag *d)
{
	uint8_t *db = malloc(x->size_domain), *obj = malloc(P2M_OBJ_BYTES);
	uint64_t best = 0;
	struct xen_hvm_layout found = { 0 };
	enum vmc_status rc = VMC_OK;

	if (!db || !obj) {
		free(db);
		free(obj);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	if ((rc = vmc_xen_read(x, dom->va, db, x->size_domain, d)))
		goto out;
	for (uint64_t off = 24; off + 8 <= x->size_domain; off += 8) {
		uint64_t p = u64at(db, off), back = ~0ull;
		struct vmc_diag tmp;

		if (lay->source && off != lay->off_d_p2m)
			continue; /* the layout another domain gave: check only it */
		vmc_diag_init(&tmp);
		if ((p & 7) || !vmc_xen_is_directmap(x, p) || p == dom->va || vmc_xen_read(x, p, obj, P2M_OBJ_BYTES, &tmp))
			continue;
		for (uint64_t k = 0; k < BACKPTR_MAX; k += 8)
			if (u64at(obj, k) == dom->va) {
				back = k;
				break;
			}
		if (back == ~0ull)
			continue;
		for (uint64_t r = 0; r + 8 <= P2M_OBJ_BYTES; r += 8) {
			uint64_t mfn = u64at(obj, r);
			if (lay->source && r != lay->off_root)
				continue;
			for (int f = 0; f < 2; f++) {
				enum vmc_pt_format fmt = f ? VMC_PT_X86_64 : VMC_PT_EPT;
				uint64_t s = score(x, dom, mfn, fmt);
				if (s > best) {
					best = s;
					found = (struct xen_hvm_layout){ off, back, r, fmt, mfn, "discovered by invariants" };
				}
			}
		}
	}
	if (!best) {
		rc = vmc_fail(d, VMC_ERR_UNSUPPORTED,
			      "domain %u publishes no PV p2m and no pointer in its struct domain at 0x%llx leads to a p2m table mapping its frames (not an HVM/PVH domain this carver understands)",
			      dom->domid, (unsigned long long)dom->va);
		goto out;
	}
	found.source = lay->source ? lay->source : "discovered by invariants";
	*lay = found;
out:
	free(db);
	free(obj);
	return rc;
}

enum vmc_status vmc_xen_hvm_map(struct xen_host *x, const struct xen_domain *dom, const struct xen_hvm_layout *lay,
				struct vmc_guest *g, struct vmc_diag *d)
{
	struct walk w;
	enum vmc_status rc = walk(x, dom, lay->root_mfn, lay->fmt, &w, g, d);

	if (rc)
		return vmc_wrap(d, rc, "domain %u: p2m at mfn 0x%llx", dom->domid, (unsigned long long)lay->root_mfn);
	g->pages_refused = w.refused;
	g->max_gfn = w.max_gfn;
	if (w.refused)
		vmc_guest_warn(g, "p2m: %llu entries point at frames domain %u does not own (first gfn 0x%llx -> mfn 0x%llx); not copied",
			       (unsigned long long)w.refused, dom->domid, (unsigned long long)w.first_refused_gfn,
			       (unsigned long long)w.first_refused_mfn);
	vmc_guest_report(g, "p2m.format=%s root_mfn=0x%llx ram=%llu xen_heap=%llu pod=%llu skipped=%llu refused=%llu",
			 lay->fmt == VMC_PT_EPT ? "EPT" : "p2m-pt", (unsigned long long)lay->root_mfn,
			 (unsigned long long)w.owned, (unsigned long long)w.heap, (unsigned long long)w.pod,
			 (unsigned long long)w.skipped, (unsigned long long)w.refused);
	return VMC_OK;
}
