/* xen_frames.c: page ownership from Xen's frame table (struct page_info per frame, indexed by
 * pdx): which domain owns each machine frame, and whether it is a Xen-heap page shared with
 * it. The PGC state bits moved in Xen 4.17 (ae09597da3), so the layout follows the version. */
#include <stdlib.h>
#include <string.h>

#include "xen_host.h"

#define PGC_ALLOCATED (1ull << 63)
#define PGC_XEN_HEAP (1ull << 62)
/* type_info: PGT_type_mask bits 63..61 (1..4 = L1..L4), PGT_pinned 59, PGT_validated 58 */
#define PGT_TYPE_SHIFT 61
#define PGT_PINNED (1ull << 59)
#define PGT_VALIDATED (1ull << 58)

static uint64_t mfn_to_pdx(const struct xen_host *x, uint64_t mfn)
{
	if (!x->pdx_hole_shift)
		return mfn;
	return (mfn & x->pdx_bottom_mask) | ((mfn & x->pdx_top_mask) >> x->pdx_hole_shift);
}

uint8_t vmc_xen_frames_ptype(uint64_t type_info)
{
	unsigned t = (unsigned)(type_info >> PGT_TYPE_SHIFT);
	uint8_t v = 0;

	/* a page table in use now: type L1..L4 and validated or pinned (getpageframeinfo3) */
	if (t >= 1 && t <= 4 && (type_info & (PGT_PINNED | PGT_VALIDATED)))
		v = (uint8_t)t | (type_info & PGT_PINNED ? XEN_PT_PINNED : 0) | (type_info & PGT_VALIDATED ? XEN_PT_VALIDATED : 0);
	return v;
}

uint32_t vmc_xen_frames_pickle(const struct xen_host *x, uint64_t domain_va)
{
	/* page_get_owner(): _domain = virt_to_pdx(d) = (d - DIRECTMAP_VIRT_START) >> 12 */
	return (uint32_t)((domain_va - x->directmap_start) >> 12) & 0x7fffffffu;
}

bool vmc_xen_frames_owned_by(const struct xen_host *x, uint64_t mfn, uint32_t pickled)
{
	return mfn < x->nowner && x->owner[mfn] && XEN_OWNER_ID(x->owner[mfn]) == pickled;
}

/* The frame table read a window of pages at a time (one pread where the window is mapped
 * contiguously), else a page at a time: the page of the last entry is kept. */
#define FT_WINDOW ((uint64_t)64 << 12)
struct frame_reader {
	struct xen_host *x;
	uint8_t *page;     /* the page of the last entry: in win, or in buf */
	uint64_t page_va;
	bool page_ok;
	uint8_t *win, *buf; /* FT_WINDOW bytes (may be NULL: then page by page), 4096 bytes */
	uint64_t win_va, start_va, end_va; /* the pages holding entries: no other page is read */
	bool win_ok;
};

/* Point r->page at the page at page_va: from the window when all of it could be read (a
 * window with a hole in it is read page by page, so a page reads as it would alone). */
static void frame_page(struct frame_reader *r, uint64_t page_va)
{
	uint64_t wva = (page_va & ~(FT_WINDOW - 1)) > r->start_va ? page_va & ~(FT_WINDOW - 1) : r->start_va;
	struct vmc_diag tmp;

	r->page_va = page_va;
	if (r->win && wva != r->win_va) {
		uint64_t len = r->end_va - wva < FT_WINDOW ? r->end_va - wva : FT_WINDOW;
		vmc_diag_init(&tmp);
		r->win_va = wva;
		r->win_ok = page_va < r->end_va && !vmc_xen_read(r->x, wva, r->win, len, &tmp);
	}
	if (r->win && r->win_ok) {
		r->page = r->win + (page_va - wva);
		r->page_ok = true;
		return;
	}
	vmc_diag_init(&tmp);
	r->page = r->buf;
	r->page_ok = !vmc_xen_read(r->x, page_va, r->page, 4096, &tmp);
}

/* count_info, u.inuse.type_info (when the layout has it) and _domain of mfn's struct
 * page_info; false when it is not in the dump. */
static bool read_page_info(struct frame_reader *r, uint64_t mfn, uint64_t *count, uint64_t *type, uint32_t *owner)
{
	struct xen_host *x = r->x;
	uint64_t sz = x->size_page_info, va = x->frame_table_va + mfn_to_pdx(x, mfn) * sz, in = va & 0xfff;
	struct vmc_diag tmp;

	if ((va & ~0xfffull) != r->page_va)
		frame_page(r, va & ~0xfffull);
	if (!r->page_ok || in + sz > 4096) {
		/* an entry straddling pages (sizes that do not divide 4096) is read on its own */
		uint8_t ent[256];
		vmc_diag_init(&tmp);
		if ((!r->page_ok && in + sz <= 4096) || vmc_xen_read(x, va, ent, sz, &tmp))
			return false;
		memcpy(count, ent + x->off_pi_count_info, 8);
		memcpy(owner, ent + x->off_pi_domain, 4);
		if (x->off_pi_type_info)
			memcpy(type, ent + x->off_pi_type_info, 8);
	} else {
		memcpy(count, r->page + in + x->off_pi_count_info, 8);
		memcpy(owner, r->page + in + x->off_pi_domain, 4);
		if (x->off_pi_type_info)
			memcpy(type, r->page + in + x->off_pi_type_info, 8);
	}
	return true;
}

/* Xen 4.17 re-laid the PGC bits: state moved from 56:55 to 59:58 */
static void set_pgc_layout(struct xen_host *x)
{
	bool new_pgc = !x->has_crash_info || x->version_major > 4 || (x->version_major == 4 && x->version_minor >= 17);

	x->pgc_allocated = PGC_ALLOCATED;
	x->pgc_xen_heap = PGC_XEN_HEAP;
	x->pgc_state_mask = new_pgc ? 3ull << 58 : 3ull << 55;
	x->pgc_state_inuse = 0;
	vmc_hv_report(x->hv, "pgc.layout=%s (state mask 0x%llx)%s", new_pgc ? "4.17+" : "4.0-4.16",
		      (unsigned long long)x->pgc_state_mask, x->has_crash_info ? "" : " (assumed: version unknown)");
}

/* PGC_state: inuse 0, offlining 1, offlined 2, free 3 (both layouts) */
static uint8_t frame_state(const struct xen_host *x, uint64_t count)
{
	uint64_t st = count & x->pgc_state_mask, free_st = x->pgc_state_mask; /* both bits set */

	if (st == x->pgc_state_inuse)
		return XEN_PS_INUSE;
	return st == free_st && !(count & PGC_XEN_HEAP) ? XEN_PS_FREE : XEN_PS_OTHER;
}

/* The owner class of one frame (enum vmc_hv_frame). */
static uint32_t frame_class(const struct xen_host *x, uint64_t mfn, const uint32_t *pickled, const int *guest_of,
			    unsigned n)
{
	uint32_t o = x->owner[mfn];

	if (x->pstate[mfn] == XEN_PS_FREE)
		return VMC_HV_FRAME_FREE;
	if (x->pstate[mfn] != XEN_PS_INUSE)
		return VMC_HV_FRAME_UNKNOWN;
	/* in use by no domain (Xen's static data, page tables) or a Xen-heap page */
	if (!o || (o & XEN_OWNER_HEAP))
		return VMC_HV_FRAME_HV;
	for (unsigned i = 0; i < n; i++)
		if (pickled[i] == XEN_OWNER_ID(o))
			return guest_of[i] >= 0 ? VMC_HV_FRAME_GUEST + (uint32_t)guest_of[i] : VMC_HV_FRAME_UNKNOWN;
	return VMC_HV_FRAME_UNKNOWN; /* dom_io, dom_cow, a dying domain: kept */
}

enum vmc_status vmc_xen_frames_owners(struct xen_host *x, const uint32_t *pickled, const int *guest_of, unsigned n,
				      struct vmc_diag *d)
{
	uint32_t *fo = calloc(x->nowner ? x->nowner : 1, sizeof(*fo));

	if (!fo)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the frame owners (%llu frames)",
				(unsigned long long)x->nowner);
	for (uint64_t mfn = 0; mfn < x->nowner; mfn++)
		fo[mfn] = frame_class(x, mfn, pickled, guest_of, n);
	x->hv->frame_owner = fo;
	x->hv->nframe_owner = x->nowner;
	return VMC_OK;
}

enum vmc_status vmc_xen_frames_scan(struct xen_host *x, struct vmc_diag *d)
{
	uint64_t n = x->max_page, holes = 0, used = 0, first_hole = 0, sz = x->size_page_info;
	struct frame_reader r = { .x = x, .buf = malloc(4096), .win = malloc(FT_WINDOW), .page_va = ~0ull, .win_va = ~0ull };

	if (!r.buf)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if (sz < 16 || sz > 256 || x->off_pi_count_info + 8 > sz || x->off_pi_domain + 4 > sz) {
		free(r.buf);
		free(r.win);
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: implausible struct page_info layout (size %llu, count_info %llu, _domain %llu)",
				x->dump->name, (unsigned long long)sz, (unsigned long long)x->off_pi_count_info,
				(unsigned long long)x->off_pi_domain);
	}
	/* frames the dump cannot hold are of no use, and a hostile max_page must not size memory */
	if (n > x->dump->max_pfn + 1)
		n = x->dump->max_pfn + 1;
	if (n > (1ull << 32))
		n = 1ull << 32;
	if (!(x->owner = calloc(n ? n : 1, sizeof(*x->owner)))) {
		free(r.buf);
		free(r.win);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the frame table (%llu frames)", (unsigned long long)n);
	}
	x->nowner = n;
	r.start_va = x->frame_table_va & ~0xfffull;
	if (n) /* the page after the one holding the last entry's end */
		r.end_va = ((x->frame_table_va + mfn_to_pdx(x, n - 1) * sz + sz - 1) | 0xfff) + 1;
	set_pgc_layout(x);
	/* u.inuse.type_info follows count_info in the x86-64 layout (mm.h: list @0, count_info @8,
	 * type_info @16, _domain @24); VMCOREINFO_XEN does not give it, so it is only assumed for
	 * that layout and checked against the domains' page tables before it is trusted (xen_pvcanon.c) */
	if (x->off_pi_count_info == 8 && x->off_pi_domain == 24 && sz >= 32)
		x->off_pi_type_info = 16;
	x->ptype = x->off_pi_type_info ? calloc(n ? n : 1, 1) : NULL;
	if (!(x->pstate = calloc(n ? n : 1, 1))) {
		free(r.buf);
		free(r.win);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the frame table (%llu frames)", (unsigned long long)n);
	}
	for (uint64_t mfn = 0; mfn < n; mfn++) {
		uint64_t count, type = 0;
		uint32_t owner;

		if (!read_page_info(&r, mfn, &count, &type, &owner)) {
			if (!holes++)
				first_hole = mfn;
			continue;
		}
		x->pstate[mfn] = frame_state(x, count);
		if ((count & x->pgc_state_mask) != x->pgc_state_inuse || !owner)
			continue;
		if (count & PGC_XEN_HEAP)
			x->owner[mfn] = XEN_OWNER_HEAP | (owner & 0x7fffffffu);
		else if (count & PGC_ALLOCATED)
			x->owner[mfn] = owner & 0x7fffffffu;
		else
			continue;
		if (x->ptype && !(count & PGC_XEN_HEAP))
			x->ptype[mfn] = vmc_xen_frames_ptype(type);
		used++;
	}
	free(r.buf);
	free(r.win);
	vmc_hv_report(x->hv, "frame_table.frames=%llu owned=%llu unmapped=%llu", (unsigned long long)n,
		      (unsigned long long)used, (unsigned long long)holes);
	if (holes)
		vmc_hv_report(x->hv, "frame_table.first_unmapped_mfn=0x%llx", (unsigned long long)first_hole);
	return VMC_OK;
}
