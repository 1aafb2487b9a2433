/* xen_pvcanon.c: a PV domain in its own frame space (pfn), with canonical page tables: every
 * frame Xen's frame table types as a page table in use (L1..L4, validated or pinned) is
 * rewritten as the guest itself reads it through pte_val() and as Xen's migration stream
 * writes it (xg_sr_save_x86_pv.c normalise_pagetable): each present entry's machine frame
 * replaced by the domain's pfn for it, Xen's L4 slots 256..271 zeroed, and entries that point
 * at frames the domain does not own cleared (frame 0, present bit off, other flags kept: what
 * Linux's pte_mfn_to_pfn returns for an unknown mfn). Every other page is copied unchanged.
 * The work is one pass over each table page: hostile tables cost no more than honest ones.
 * Tables are rewritten twice: while carving, for the counts list -v shows, and when the output
 * reads them (a gmap transform), so no copy of them is kept. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "runfind.h"
#include "xen_pvcanon.h"

#define ENTRIES 512u
#define PTE_PRESENT 0x1ull
#define PTE_PSE 0x80ull
#define PTE_FRAME 0x000ffffffffff000ull
#define XEN_L4_FIRST 256u  /* HYPERVISOR_VIRT_START_X86_64 >> 39 */
#define XEN_L4_LAST 271u   /* HYPERVISOR_VIRT_END_X86_64 (0xffff87ffffffffff) >> 39 */
#define XEN_L4_LINEAR 258u /* LINEAR_PT_VIRT_START: every validated L4 maps itself here */

/* The run holding mfn (try *hint first: a table's entries mostly run on), or NULL. */
static const struct xen_pvrun *find_run(const struct xen_pvrun *r, size_t n, uint64_t mfn, size_t *hint)
{
	/* the runs are disjoint: only the last one starting at or below mfn can hold it */
	size_t i = vmc_runfind(r, n, sizeof(*r), offsetof(struct xen_pvrun, mfn), 8, mfn, hint);

	return i < n && mfn - r[i].mfn < r[i].count ? &r[i] : NULL;
}

/* Where the mfn of a present entry goes. */
static uint64_t canon_entry(const struct xen_pvcanon *c, uint64_t e, struct xen_pvcanon_stats *st, size_t hint[2])
{
	uint64_t mfn = (e & PTE_FRAME) >> 12, flags = e & ~PTE_FRAME;
	const struct xen_pvrun *r;
	uint32_t o;

	if ((r = find_run(c->runs, c->nruns, mfn, &hint[0]))) {
		st->translated++;
		return flags | ((r->pfn + (mfn - r->mfn)) << 12);
	}
	if (find_run(c->ident, c->nident, mfn, &hint[1])) {
		st->identity++;
		return e;
	}
	o = c->x ? vmc_xen_frames_owner(c->x, mfn) : 0;
	if (o && XEN_OWNER_ID(o) == c->pickled)
		(o & XEN_OWNER_HEAP) ? st->xen_heap++ : st->unmapped++;
	else if (o)
		st->foreign++;
	else
		st->other++;
	return flags & ~PTE_PRESENT;
}

void vmc_xen_pvcanon_page(const struct xen_pvcanon *c, uint64_t *ent, unsigned level, struct xen_pvcanon_stats *st)
{
	size_t hint[2] = { 0, 0 };

	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t e = ent[i];
		if (level == 4 && i >= XEN_L4_FIRST && i <= XEN_L4_LAST) {
			st->xen_slots += (e & PTE_PRESENT) != 0;
			ent[i] = 0;
			continue;
		}
		if (!(e & PTE_PRESENT))
			continue;
		if (level >= 2 && (e & PTE_PSE)) {
			/* PV has no superpages (get_page_from_l2e refuses PSE): corruption */
			st->pse++;
			ent[i] = (e & ~PTE_FRAME) & ~PTE_PRESENT;
			continue;
		}
		ent[i] = canon_entry(c, e, st, hint);
	}
	st->tables++;
}

/* Append mfn -> pfn to the runs, extending the last one when it continues it. */
static enum vmc_status add_run(struct xen_pvrun **r, size_t *n, size_t *cap, uint64_t mfn, uint64_t pfn,
			       struct vmc_diag *d)
{
	struct xen_pvrun *last = *n ? &(*r)[*n - 1] : NULL;

	if (last && last->mfn + last->count == mfn && last->pfn + last->count == pfn) {
		last->count++;
		return VMC_OK;
	}
	if (*n == *cap && vmc_grow(r, cap, *n + 1, 64, d))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the p2m inverse runs");
	(*r)[(*n)++] = (struct xen_pvrun){ .mfn = mfn, .pfn = pfn, .count = 1 };
	return VMC_OK;
}

/* An identity (MMIO) range of the p2m keeps pfn = mfn (e is the p2m's entry at mfn), unless
 * a domain owns the frame. */
static bool identity_kept(const struct xen_pvcanon *c, uint64_t mfn, uint64_t e)
{
	uint32_t o;

	if (!(e & XEN_P2M_IDENTITY_BIT) || (e & ~(XEN_P2M_IDENTITY_BIT | XEN_P2M_FOREIGN_BIT)) != mfn)
		return false;
	o = vmc_xen_frames_owner(c->x, mfn);
	return !o || (c->dom_io && XEN_OWNER_ID(o) == c->dom_io && !(o & XEN_OWNER_HEAP));
}

static int run_by_mfn(const void *a, const void *b)
{
	const struct xen_pvrun *ra = a, *rb = b;

	return ra->mfn < rb->mfn ? -1 : ra->mfn > rb->mfn;
}

static int run_by_pfn(const void *a, const void *b)
{
	const struct xen_pvrun *ra = a, *rb = b;

	return ra->pfn < rb->pfn ? -1 : ra->pfn > rb->pfn;
}

/* The domain's own RAM: p2m entries to frames it owns (not Xen-heap), the first pfn naming a
 * frame winning (seen: 1 bit per host frame), as runs, built in pfn order and sorted by mfn:
 * the runs are maximal either way, a pair (mfn, pfn) followed by (mfn + 1, pfn + 1). In the
 * same pass over the p2m (each pass reads all its leaf pages), the identity frames as runs by
 * mfn, what rewriting a table looks up besides the inverse. */
static enum vmc_status build_inverse(struct xen_pvcanon *c, const struct xen_p2m *p, struct vmc_diag *d)
{
	struct xen_host *x = c->x;
	struct vmc_bitmap seen;
	size_t cap = 0, icap = 0;
	enum vmc_status rc;

	if ((rc = vmc_bitmap_init(&seen, x->nowner, d)))
		return rc;
	for (uint64_t pfn = 0; pfn < p->npfn && !rc; pfn++) {
		uint64_t e = vmc_xen_p2m_get(p, pfn);
		if (identity_kept(c, pfn, e)) {
			rc = add_run(&c->ident, &c->nident, &icap, pfn, pfn, d);
			continue;
		}
		if (e == XEN_P2M_INVALID || (e & (XEN_P2M_IDENTITY_BIT | XEN_P2M_FOREIGN_BIT)) || e >= x->nowner ||
		    !vmc_xen_frames_own_ram(x, e, c->pickled))
			continue;
		if (vmc_bitmap_test(&seen, e)) {
			c->duplicates++;
			continue;
		}
		vmc_bitmap_set(&seen, e);
		rc = add_run(&c->runs, &c->nruns, &cap, e, pfn, d);
	}
	if (!rc)
		rc = vmc_bitmap_check(&seen, "p2m inverse", d);
	vmc_bitmap_release(&seen);
	if (!rc && c->nruns > 1)
		qsort(c->runs, c->nruns, sizeof(*c->runs), run_by_mfn);
	return rc;
}

bool vmc_xen_pvcanon_own(const struct xen_pvcanon *c, uint64_t pfn, size_t *hint)
{
	uint64_t mfn = vmc_xen_p2m_get(c->p2m, pfn);
	const struct xen_pvrun *r = find_run(c->runs, c->nruns, mfn, hint);

	return r && r->pfn + (mfn - r->mfn) == pfn;
}

enum vmc_status vmc_xen_pvcanon_init(struct xen_pvcanon *c, struct xen_host *x, const struct xen_p2m *p,
				     uint32_t pickled, uint32_t dom_io, struct vmc_diag *d)
{
	enum vmc_status rc;

	memset(c, 0, sizeof(*c));
	c->x = x;
	c->p2m = p;
	c->np2m = p->npfn;
	c->pickled = pickled;
	c->dom_io = dom_io;
	if ((rc = build_inverse(c, p, d)))
		vmc_xen_pvcanon_release(c);
	return rc;
}

void vmc_xen_pvcanon_release(struct xen_pvcanon *c)
{
	free(c->runs);
	free(c->ident);
	free(c->own);
	c->runs = c->ident = c->own = NULL;
	c->nruns = c->nident = c->nown = 0;
}

/* type_info is at the offset assumed only if the domain's L4s say so: at least one frame
 * typed L4 in use, every one of them with Xen's linear self-map in slot 258, and the guest
 * kernel's own top-level table (swapper_pg_dir, when known) L4, validated and pinned. */
bool vmc_xen_pvcanon_check(struct xen_host *x, uint32_t pickled, uint64_t swapper_mfn, char *why, size_t len)
{
	uint64_t n4 = 0, bad = 0, first_bad = 0;
	uint8_t ptype;

	if (!x->has_ptype) {
		snprintf(why, len, "struct page_info has no known type_info offset (SIZE %llu, count_info @%llu, _domain @%llu)",
			 (unsigned long long)x->size_page_info, (unsigned long long)x->off_pi_count_info,
			 (unsigned long long)x->off_pi_domain);
		return false;
	}
	for (uint64_t mfn = vmc_bitmap_next_set(&x->ptab4, 0); mfn < x->ptab4.nbits; mfn = vmc_bitmap_next_set(&x->ptab4, mfn + 1)) {
		uint64_t e;
		if (!vmc_xen_frames_owned_by(x, mfn, pickled))
			continue;
		n4++;
		if (!vmc_physmem_peek(&x->pm, mfn, XEN_L4_LINEAR * 8, &e, 8))
			continue; /* not in the dump: nothing to judge */
		if (!(e & PTE_PRESENT) || ((e & PTE_FRAME) >> 12) != mfn) {
			if (!bad++)
				first_bad = mfn;
		}
	}
	if (!n4) {
		snprintf(why, len, "type_info @%llu gives the domain no L4 page table in use",
			 (unsigned long long)x->off_pi_type_info);
		return false;
	}
	if (bad) {
		snprintf(why, len, "%llu of %llu frames type_info @%llu calls L4 (first mfn 0x%llx) lack Xen's linear self-map in slot %u",
			 (unsigned long long)bad, (unsigned long long)n4, (unsigned long long)x->off_pi_type_info,
			 (unsigned long long)first_bad, XEN_L4_LINEAR);
		return false;
	}
	if (swapper_mfn != ~0ull && (ptype = vmc_xen_frames_ptype_of(x, swapper_mfn)) != (4 | XEN_PT_VALIDATED | XEN_PT_PINNED)) {
		snprintf(why, len, "the kernel's swapper_pg_dir (mfn 0x%llx) is not typed L4|validated|pinned (0x%x)",
			 (unsigned long long)swapper_mfn, ptype);
		return false;
	}
	snprintf(why, len, "%llu L4 tables with Xen's self-map%s", (unsigned long long)n4,
		 swapper_mfn != ~0ull ? ", swapper_pg_dir L4|validated|pinned" : "");
	return true;
}

/* The run a miss at a table frame reads: the page-table frames that follow it (a domain's
 * tables come in runs of consecutive frames, about six on the test bed's dom0). */
static uint64_t table_run(void *arg, uint64_t mfn, uint64_t max, uint64_t *first)
{
	const struct xen_host *x = arg;
	uint64_t n = 1;

	while (n < max && vmc_bitmap_test(&x->ptab, mfn + n) && vmc_bitmap_test(&x->dump->stored, mfn + n))
		n++;
	*first = mfn;
	return n;
}

/* One frame of the output: the host frame, or, when it is a page table the host dump holds,
 * the host frame rewritten on reading; it is rewritten here too, for the counts. */
static enum vmc_status map_one(struct xen_host *x, const struct xen_pvcanon *c, struct vmc_guest *g,
			       struct vmc_physmem_window *win, uint64_t pfn, uint64_t mfn, struct xen_pvcanon_stats *st,
			       struct vmc_diag *d)
{
	unsigned level = XEN_PT_LEVEL(vmc_xen_frames_ptype_of(x, mfn));
	uint64_t page[ENTRIES];
	const uint8_t *src;
	struct vmc_diag tmp;

	if (!level)
		return vmc_gmap_add(&g->map, pfn, mfn, 1, d);
	vmc_diag_init(&tmp);
	if (!vmc_bitmap_test(&x->dump->stored, mfn) || !(src = vmc_physmem_window_frame(win, mfn, table_run, x, &tmp))) {
		st->absent_tables++;
		return vmc_gmap_add(&g->map, pfn, mfn, 1, d); /* written as the host dump has it: not at all */
	}
	memcpy(page, src, sizeof(page));
	st->by_level[level]++;
	vmc_xen_pvcanon_page(c, page, level, st);
	return vmc_gmap_add_xform(&g->map, pfn, mfn, 1, (uint8_t)level, d);
}

/* Identity p2m leaf i: p2m[pfn] = pfn where pfn is the domain's own RAM, ~0 elsewhere. */
static void identity_leaf(const struct xen_pvcanon *c, uint64_t i, uint64_t *ent)
{
	size_t hint = 0;

	for (uint64_t j = 0; j < ENTRIES; j++) {
		uint64_t pfn = i * ENTRIES + j;
		size_t k = vmc_runfind(c->own, c->nown, sizeof(*c->own), offsetof(struct xen_pvrun, pfn), 8, pfn, &hint);
		ent[j] = k < c->nown && pfn - c->own[k].pfn < c->own[k].count ? pfn : XEN_P2M_INVALID;
	}
}

/* The gmap transform: a table page as the output reads it, or an identity p2m leaf. */
static enum vmc_status xform_page(const void *ctx, uint64_t mfn, unsigned level, void *page, struct vmc_diag *d)
{
	uint64_t ent[ENTRIES];
	struct xen_pvcanon_stats st = { 0 };

	if (level == XEN_PVCANON_GEN_IDENTITY) {
		identity_leaf(ctx, mfn, ent);
		memcpy(page, ent, sizeof(ent));
		return VMC_OK;
	}
	if (level < 1 || level > 4)
		return vmc_fail(d, VMC_ERR_CORRUPT, "mfn 0x%llx: page-table level %u", (unsigned long long)mfn, level);
	memcpy(ent, page, sizeof(ent)); /* the reader's buffer need not be aligned for uint64_t */
	vmc_xen_pvcanon_page(ctx, ent, level, &st);
	memcpy(page, ent, sizeof(ent));
	return VMC_OK;
}

static void xform_free(void *ctx)
{
	struct xen_pvcanon *c = ctx;

	if (c)
		vmc_xen_pvcanon_release(c);
	free(c);
}

/* Hand the runs to g's map: the output's rewrite needs them, not the per-frame tables. */
static enum vmc_status attach_xform(const struct xen_pvcanon *c, struct vmc_guest *g, struct vmc_diag *d)
{
	struct xen_pvcanon *w = calloc(1, sizeof(*w));

	if (!w)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	w->pickled = c->pickled;
	w->dom_io = c->dom_io;
	w->nruns = c->nruns;
	w->nident = c->nident;
	w->runs = malloc((c->nruns ? c->nruns : 1) * sizeof(*w->runs));
	w->ident = malloc((c->nident ? c->nident : 1) * sizeof(*w->ident));
	if (!w->runs || !w->ident) {
		xform_free(w);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the p2m inverse runs");
	}
	if (c->nruns)
		memcpy(w->runs, c->runs, c->nruns * sizeof(*w->runs));
	if (c->nident)
		memcpy(w->ident, c->ident, c->nident * sizeof(*w->ident));
	if (!(w->own = malloc((c->nruns ? c->nruns : 1) * sizeof(*w->own)))) {
		xform_free(w);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the p2m inverse runs");
	}
	w->nown = c->nruns;
	if (c->nruns)
		memcpy(w->own, c->runs, c->nruns * sizeof(*w->own));
	qsort(w->own, w->nown, sizeof(*w->own), run_by_pfn);
	vmc_gmap_set_xform(&g->map, xform_page, w, xform_free);
	return VMC_OK;
}

enum vmc_status vmc_xen_pvcanon_add_identity(struct vmc_guest *g, uint64_t base, uint64_t nleaf, struct vmc_diag *d)
{
	return vmc_gmap_add_gen(&g->map, base, 0, nleaf, XEN_PVCANON_GEN_IDENTITY, d);
}

enum vmc_status vmc_xen_pvcanon_map(struct xen_host *x, const struct xen_pvcanon *c, struct vmc_guest *g,
				    struct xen_pvcanon_stats *st, struct vmc_diag *d)
{
	struct vmc_physmem_window win;
	enum vmc_status rc;
	size_t hint = 0;

	if ((rc = attach_xform(c, g, d)))
		return rc;
	vmc_physmem_window_init(&win, &x->pm);
	for (uint64_t pfn = 0; pfn < c->np2m && !rc; pfn++) {
		uint64_t mfn;
		if (!vmc_xen_pvcanon_own(c, pfn, &hint))
			continue; /* not the domain's own RAM (refused and counted by the caller), or a duplicate */
		mfn = vmc_xen_p2m_get(c->p2m, pfn);
		if (!(rc = map_one(x, c, g, &win, pfn, mfn, st, d)))
			st->pages++;
	}
	vmc_physmem_window_fini(&win);
	return rc;
}
