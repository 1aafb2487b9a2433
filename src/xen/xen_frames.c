/* xen_frames.c: page ownership from Xen's frame table (struct page_info per frame, indexed by
 * pdx): which domain owns each machine frame, and whether it is a Xen-heap page shared with
 * it, kept as runs by mfn (a domain's frames come in long runs: a few bytes per run, not per
 * frame); page tables in use as bitmaps, their level read again from the table when needed.
 * The PGC state bits moved in Xen 4.17 (ae09597da3), so the layout follows the version. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "runfind.h"
#include "xen_host.h"

#define PGC_ALLOCATED (1ull << 63)
#define PGC_XEN_HEAP (1ull << 62)
/* type_info: PGT_type_mask bits 63..61 (1..4 = L1..L4), PGT_pinned 59, PGT_validated 58 */
#define PGT_TYPE_SHIFT 61
#define PGT_PINNED (1ull << 59)
#define PGT_VALIDATED (1ull << 58)
/* runs kept at most: 12 bytes each, so ~1 bit per frame beyond a floor of 12 MiB */
#define FRUNS_FLOOR (1ull << 20)
#define FRAMES_PER_RUN_MIN 96

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

static const struct xen_frun *run_at(const struct xen_host *x, uint64_t mfn, uint64_t *end, size_t *hint)
{
	size_t i;

	if (mfn >= x->nowner || !x->nfruns)
		return NULL;
	/* the last run starting at or below mfn (run 0 starts at 0) */
	i = vmc_runfind(x->fruns, x->nfruns, sizeof(*x->fruns), offsetof(struct xen_frun, mfn), 4, mfn, hint);
	if (i == x->nfruns)
		return NULL;
	*end = i + 1 < x->nfruns ? x->fruns[i + 1].mfn : x->nowner;
	return &x->fruns[i];
}

const struct xen_frun *vmc_xen_frames_run(struct xen_host *x, uint64_t mfn, uint64_t *end)
{
	return run_at(x, mfn, end, &x->frun_hint);
}

uint32_t vmc_xen_frames_owner(struct xen_host *x, uint64_t mfn)
{
	uint64_t end;
	const struct xen_frun *r = vmc_xen_frames_run(x, mfn, &end);

	return r ? r->owner : 0;
}

bool vmc_xen_frames_owned_by(struct xen_host *x, uint64_t mfn, uint32_t pickled)
{
	uint32_t o = vmc_xen_frames_owner(x, mfn);

	return o && XEN_OWNER_ID(o) == pickled;
}

bool vmc_xen_frames_own_ram_at(const struct xen_host *x, uint64_t mfn, uint32_t pickled, size_t *hint)
{
	uint64_t end;
	const struct xen_frun *r = run_at(x, mfn, &end, hint);
	uint32_t o = r ? r->owner : 0;

	return o && !(o & XEN_OWNER_HEAP) && XEN_OWNER_ID(o) == pickled;
}

bool vmc_xen_frames_own_ram(struct xen_host *x, uint64_t mfn, uint32_t pickled)
{
	return vmc_xen_frames_own_ram_at(x, mfn, pickled, &x->frun_hint);
}

#define FT_WINDOW (64 * 1024) /* frame table read ahead by the scan: 16 pages per pread */

/* The frame-table window from va's page on: len bytes (the scan's read-ahead, one page for a
 * look at a single frame), else that page alone; empty when neither is in the dump. */
static void ft_load(struct xen_host *x, uint64_t va, size_t len)
{
	struct vmc_diag tmp;

	x->ft_va = va & ~0xfffull;
	vmc_diag_init(&tmp);
	if (len > 4096 && !vmc_xen_read(x, x->ft_va, x->ft_page, len, &tmp)) {
		x->ft_len = len;
		return;
	}
	vmc_diag_init(&tmp);
	x->ft_len = vmc_xen_read(x, x->ft_va, x->ft_page, 4096, &tmp) ? 0 : 4096;
}

static void take_page_info(const struct xen_host *x, const uint8_t *ent, uint64_t *count, uint64_t *type,
			   uint32_t *owner)
{
	memcpy(count, ent + x->off_pi_count_info, 8);
	memcpy(owner, ent + x->off_pi_domain, 4);
	if (x->off_pi_type_info)
		memcpy(type, ent + x->off_pi_type_info, 8);
}

/* An entry past the window (it straddles its end, or the window's page is not in the dump
 * while the entry's start may be), read on its own: out of line, so that the scan's loop
 * does not set up its buffer and diag for every frame. */
__attribute__((noinline)) static bool page_info_alone(struct xen_host *x, uint64_t va, uint64_t *count,
							uint64_t *type, uint32_t *owner)
{
	uint8_t one[256];
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if ((!x->ft_len && (va & 0xfff) + x->size_page_info <= 4096) || vmc_xen_read(x, va, one, x->size_page_info, &tmp))
		return false;
	take_page_info(x, one, count, type, owner);
	return true;
}

/* count_info, u.inuse.type_info (when the layout has it) and _domain of mfn's struct
 * page_info; false when it is not in the dump. The frame table is read through a window
 * (ahead: FT_WINDOW bytes for the scan's walk in mfn order, else a page) that is kept. */
static bool read_page_info(struct xen_host *x, uint64_t mfn, bool ahead, uint64_t *count, uint64_t *type,
			   uint32_t *owner)
{
	uint64_t sz = x->size_page_info, va = x->frame_table_va + mfn_to_pdx(x, mfn) * sz;

	if (va < x->ft_va || va - x->ft_va >= (x->ft_len ? x->ft_len : 4096))
		ft_load(x, va, ahead ? FT_WINDOW : 4096);
	if (!x->ft_len || va - x->ft_va + sz > x->ft_len)
		return page_info_alone(x, va, count, type, owner);
	take_page_info(x, x->ft_page + (va - x->ft_va), count, type, owner);
	return true;
}

uint8_t vmc_xen_frames_ptype_of(struct xen_host *x, uint64_t mfn)
{
	uint64_t count, type = 0;
	uint32_t owner;

	/* ptab has exactly the frames the scan found a page type for: read it again */
	if (!x->has_ptype || !vmc_bitmap_test(&x->ptab, mfn) || !read_page_info(x, mfn, false, &count, &type, &owner))
		return 0;
	return vmc_xen_frames_ptype(type);
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

/* The owner class of one run's frames (enum vmc_hv_frame). */
static uint32_t frame_class(const struct xen_frun *r, const uint32_t *pickled, const int *guest_of, unsigned n)
{
	uint32_t o = r->owner;

	if (r->state == XEN_PS_FREE)
		return VMC_HV_FRAME_FREE;
	if (r->state != XEN_PS_INUSE)
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
	struct vmc_hv_frun *fo = malloc((x->nfruns ? x->nfruns : 1) * sizeof(*fo));
	size_t k = 0;

	if (!fo)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the frame owners (%zu runs)", x->nfruns);
	for (size_t i = 0; i < x->nfruns; i++) {
		uint32_t cls = frame_class(&x->fruns[i], pickled, guest_of, n);
		if (!k || fo[k - 1].cls != cls)
			fo[k++] = (struct vmc_hv_frun){ .mfn = x->fruns[i].mfn, .cls = cls };
	}
	x->hv->frame_runs = fo;
	x->hv->nframe_runs = k;
	x->hv->nframe_owner = x->nowner;
	return VMC_OK;
}

/* One more frame with this owner and state: the last run grows, or a new one starts. */
static enum vmc_status add_frame(struct xen_host *x, uint64_t mfn, uint32_t owner, uint8_t state, size_t *cap,
				 struct vmc_diag *d)
{
	const struct xen_frun *last = x->nfruns ? &x->fruns[x->nfruns - 1] : NULL;
	uint64_t max;

	if (last && last->owner == owner && last->state == state)
		return VMC_OK;
	max = x->nowner / FRAMES_PER_RUN_MIN > FRUNS_FLOOR ? x->nowner / FRAMES_PER_RUN_MIN : FRUNS_FLOOR;
	if (x->nfruns == max)
		return vmc_fail(d, VMC_ERR_LIMIT, "%s: Xen's frame table changes owner or state more than %llu times in %llu frames (from mfn 0x%llx): too fragmented to hold within the memory budget",
				x->dump->name, (unsigned long long)max, (unsigned long long)x->nowner, (unsigned long long)mfn);
	if (x->nfruns == *cap && vmc_grow(&x->fruns, cap, x->nfruns + 1, 1024, d))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the frame owners (%zu runs)", x->nfruns);
	x->fruns[x->nfruns++] = (struct xen_frun){ .mfn = (uint32_t)mfn, .owner = owner, .state = state };
	return VMC_OK;
}

/* What the frame table says of one readable frame: its owner word and state, and its page
 * type into ptab/ptab4. Returns whether a domain owns it. */
static bool classify(struct xen_host *x, uint64_t mfn, uint64_t count, uint64_t type, uint32_t raw, uint32_t *owner,
		     uint8_t *state)
{
	uint8_t pt;

	*state = frame_state(x, count);
	*owner = 0;
	if ((count & x->pgc_state_mask) != x->pgc_state_inuse || !raw)
		return false;
	if (count & PGC_XEN_HEAP)
		*owner = XEN_OWNER_HEAP | (raw & 0x7fffffffu);
	else if (count & PGC_ALLOCATED)
		*owner = raw & 0x7fffffffu;
	else
		return false;
	if (x->has_ptype && !(count & PGC_XEN_HEAP) && (pt = vmc_xen_frames_ptype(type))) {
		vmc_bitmap_set(&x->ptab, mfn);
		if (XEN_PT_LEVEL(pt) == 4)
			vmc_bitmap_set(&x->ptab4, mfn);
	}
	return true;
}

void vmc_xen_frames_release(struct xen_host *x)
{
	free(x->fruns);
	free(x->ft_page);
	vmc_bitmap_release(&x->ptab);
	vmc_bitmap_release(&x->ptab4);
	x->fruns = NULL;
	x->ft_page = NULL;
	x->nfruns = 0;
}

/* Frames the scan may read: what the dump can hold (a hostile max_page must not size memory). */
static uint64_t scan_frames(const struct xen_host *x)
{
	uint64_t n = x->max_page;

	if (n > x->dump->max_pfn + 1)
		n = x->dump->max_pfn + 1;
	return n > (1ull << 32) ? 1ull << 32 : n;
}

/* Every frame's page_info into fruns, ptab and ptab4. */
static enum vmc_status scan_table(struct xen_host *x, struct vmc_diag *d)
{
	uint64_t holes = 0, used = 0, first_hole = 0;
	size_t cap = 0;
	enum vmc_status rc;

	for (uint64_t mfn = 0; mfn < x->nowner; mfn++) {
		uint64_t count, type = 0;
		uint32_t raw, owner = 0;
		uint8_t state = XEN_PS_UNREAD;

		if (!read_page_info(x, mfn, true, &count, &type, &raw)) {
			if (!holes++)
				first_hole = mfn;
		} else if (classify(x, mfn, count, type, raw, &owner, &state)) {
			used++;
		}
		if ((rc = add_frame(x, mfn, owner, state, &cap, d)))
			return rc;
	}
	if ((rc = vmc_bitmap_check(&x->ptab, "page-table frames", d)) || (rc = vmc_bitmap_check(&x->ptab4, "L4 frames", d)))
		return rc;
	vmc_hv_report(x->hv, "frame_table.frames=%llu owned=%llu unmapped=%llu", (unsigned long long)x->nowner,
		      (unsigned long long)used, (unsigned long long)holes);
	if (holes)
		vmc_hv_report(x->hv, "frame_table.first_unmapped_mfn=0x%llx", (unsigned long long)first_hole);
	return VMC_OK;
}

enum vmc_status vmc_xen_frames_scan(struct xen_host *x, struct vmc_diag *d)
{
	uint64_t n = scan_frames(x), sz = x->size_page_info;
	enum vmc_status rc;

	if (sz < 16 || sz > 256 || x->off_pi_count_info + 8 > sz || x->off_pi_domain + 4 > sz)
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: implausible struct page_info layout (size %llu, count_info %llu, _domain %llu)",
				x->dump->name, (unsigned long long)sz, (unsigned long long)x->off_pi_count_info,
				(unsigned long long)x->off_pi_domain);
	if (!(x->ft_page = malloc(FT_WINDOW)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	x->ft_va = ~0ull;
	x->ft_len = 0;
	x->nowner = n;
	set_pgc_layout(x);
	/* u.inuse.type_info follows count_info in the x86-64 layout (mm.h: list @0, count_info @8,
	 * type_info @16, _domain @24); VMCOREINFO_XEN does not give it, so it is only assumed for
	 * that layout and checked against the domains' page tables before it is trusted (xen_pvcanon.c) */
	if (x->off_pi_count_info == 8 && x->off_pi_domain == 24 && sz >= 32)
		x->off_pi_type_info = 16;
	x->has_ptype = x->off_pi_type_info != 0;
	if ((rc = vmc_bitmap_init(&x->ptab, n, d)) || (rc = vmc_bitmap_init(&x->ptab4, n, d)))
		return rc;
	return scan_table(x, d);
}
