/* kvm_vmm_pt.c: the memslot route without KVM symbols. KVM maps guest RAM from the VMM
 * process's memory, so the host frames a VM's nested tables map are also mapped by exactly
 * one process's page tables, at one virtual offset per RAM block (hva = gpa + delta). The
 * user page-table roots are the frames whose kernel half equals init_top_pgt's; the one
 * mapping most NPT-known frames is the VMM, and each delta seen becomes a slot whose extent is
 * the VMM's contiguous resident mapping around the NPT-known pages. Also provides the user
 * page walk (PROT_NONE entries keep their pfn inverted) used when linux_kvm.c does not. */
#include "kvm_vmm_pt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "kvm_hw_util.h"
#include "linux_info.h"
#include "notes.h"
#include "ranges.h"

#define MAX_PGDS 65536
#define VOTE_BUDGET (1ull << 26)  /* leaves over all candidate roots: bounded time */
#define ROOT_BUDGET (1ull << 24)  /* leaves of one root */
#define MAX_DELTAS 64
#define USER_TOP_4L (1ull << 47)

bool vmc_host_paging(struct vmc_dump *host, unsigned *levels, uint64_t *addr_mask, uint64_t *init_top_pgt_pa)
{
	struct vmc_note vi;
	uint64_t sym = 0, phys_base = host->phys_base, l5 = 0, sme = 0;

	if (!vmc_notes_find(host->notes, host->notes_len, "VMCOREINFO", &vi) || !vi.desc)
		return false;
	if (!vmcoreinfo_get_u64(vi.desc, vi.desc_len, "SYMBOL(init_top_pgt)", 16, &sym) ||
	    sym < VMC_X86_64_START_KERNEL_MAP)
		return false;
	vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(phys_base)", 0, &phys_base);
	vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(pgtable_l5_enabled)", 0, &l5);
	vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(sme_mask)", 0, &sme);
	*levels = l5 ? 5 : 4;
	*addr_mask = 0x000ffffffffff000ull & ~sme;
	*init_top_pgt_pa = sym - VMC_X86_64_START_KERNEL_MAP + phys_base;
	return true;
}

/* Linux user entries: present with _PAGE_USER, or PROT_NONE (bit 8 without bit 0) with the
 * pfn inverted. */
static bool user_entry_ok(uint64_t e, unsigned level, bool leaf, uint64_t *pa, void *arg)
{
	uint64_t mask = *(const uint64_t *)arg;

	if (e & 1)
		return (e & 4) != 0;
	if (!leaf || !(e & 0x100))
		return false;
	*pa = ~e & mask & ~((1ull << (12 + 9 * (level - 1))) - 1);
	return true;
}

/* A user walk with an explicit leaf budget (the vote walks every candidate root). */
static enum vmc_status budget_uva_walk(struct vmc_physmem *pm, uint64_t pgd_pa, unsigned levels, uint64_t mask,
				       uint64_t uva_lo, uint64_t uva_hi, vmc_pt_leaf_fn *cb, void *arg,
				       uint64_t max_leaves, struct vmc_pt_stats *st, struct vmc_diag *d)
{
	struct vmc_pt pt = { .pm = pm, .format = VMC_PT_X86_64, .levels = levels, .root = pgd_pa & mask,
			     .addr_mask = mask, .entry_ok = user_entry_ok, .entry_arg = &mask,
			     .max_leaves = max_leaves };
	return vmc_pt_walk(&pt, uva_lo, uva_hi, cb, arg, st, d);
}

/* --- user page-table roots --- */

struct vmc_pgd_scan {
	uint64_t itp_pfn;
	unsigned levels;
	uint64_t mask;
	uint64_t k[512];
	uint64_t *pgd_pa;
	size_t n, cap;
	unsigned shift;
	bool full;
};

struct vmc_pgd_scan *vmc_pgd_scan_new(struct vmc_dump *host, struct vmc_diag *d)
{
	struct vmc_pgd_scan *s = calloc(1, sizeof(*s));
	struct vmc_physmem pm;
	uint64_t itp;

	if (!s) {
		vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!vmc_host_paging(host, &s->levels, &s->mask, &itp)) {
		vmc_fail(d, VMC_ERR_NOTFOUND, "no SYMBOL(init_top_pgt) in the host VMCOREINFO");
		free(s);
		return NULL;
	}
	s->shift = host->page_shift;
	s->itp_pfn = itp >> host->page_shift;
	if (vmc_physmem_init(&pm, host, d)) {
		free(s);
		return NULL;
	}
	if (vmc_physmem_read(&pm, itp & ~0xfffull, s->k, sizeof(s->k), d) || !(s->k[511] & 1)) {
		vmc_fail(d, VMC_ERR_MISSING, "init_top_pgt at 0x%llx is not in the dump or maps no kernel",
			 (unsigned long long)itp);
		vmc_physmem_fini(&pm);
		free(s);
		return NULL;
	}
	vmc_physmem_fini(&pm);
	return s;
}

void vmc_pgd_scan_free(struct vmc_pgd_scan *s)
{
	if (s)
		free(s->pgd_pa);
	free(s);
}

enum vmc_status vmc_pgd_scan_frame(uint64_t pfn, const uint8_t *page, void *arg)
{
	struct vmc_pgd_scan *s = arg;
	const uint64_t *e = (const uint64_t *)(const void *)page;
	unsigned same = 0, user = 0;

	if (e[511] != s->k[511] || pfn == s->itp_pfn)
		return VMC_OK;
	for (unsigned i = 256; i < 512; i++)
		same += e[i] == s->k[i];
	if (same < 252) /* a few slots (LDT remap, new vmalloc areas) may differ */
		return VMC_OK;
	/* user mappings carry _PAGE_USER at every level; a root whose low half maps without it
	 * (the real-mode trampoline's identity map, EFI's tables) is not a process */
	for (unsigned i = 0; i < 256; i++) {
		if (!(e[i] & 1))
			continue;
		if (!(e[i] & 4))
			return VMC_OK;
		user++;
	}
	if (!user)
		return VMC_OK;
	if (s->n == s->cap) {
		struct vmc_diag tmp;
		if ((s->cap ? s->cap * 2 : 256) > MAX_PGDS || vmc_grow(&s->pgd_pa, &s->cap, s->n + 1, 256, &tmp)) {
			s->full = true; /* keep the ones we have; the VMCB scan goes on */
			return VMC_OK;
		}
	}
	s->pgd_pa[s->n++] = pfn << s->shift;
	return VMC_OK;
}

/* --- votes: which root maps the NPT-known frames, at which delta --- */

struct inv_ext {
	uint64_t hpfn, gfn, count;
};

struct vote {
	uint64_t delta, pages, gmin, gmax; /* gmin/gmax: NPT gfns seen at this delta */
};

struct vm_votes {
	struct vote v[MAX_DELTAS];
	unsigned n;
	uint64_t total;
};

struct vote_walk {
	struct inv_ext **inv;
	const size_t *ninv;
	unsigned nvms;
	struct vm_votes *cur; /* nvms entries */
	unsigned shift;
};

static int cmp_inv(const void *a, const void *b)
{
	const struct inv_ext *x = a, *y = b;
	return x->hpfn < y->hpfn ? -1 : x->hpfn > y->hpfn;
}

static void add_vote(struct vm_votes *vv, uint64_t delta, uint64_t gfn, uint64_t pages)
{
	unsigned i;

	vv->total += pages;
	for (i = 0; i < vv->n; i++)
		if (vv->v[i].delta == delta)
			break;
	if (i == vv->n) {
		if (vv->n == MAX_DELTAS)
			return;
		vv->v[vv->n++] = (struct vote){ delta, 0, gfn, gfn + pages - 1 };
	}
	vv->v[i].pages += pages;
	if (gfn < vv->v[i].gmin)
		vv->v[i].gmin = gfn;
	if (gfn + pages - 1 > vv->v[i].gmax)
		vv->v[i].gmax = gfn + pages - 1;
}

static enum vmc_status vote_leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct vote_walk *w = arg;
	uint64_t hp = pa >> w->shift, np = size >> w->shift;
	(void)entry;

	for (unsigned v = 0; v < w->nvms; v++) {
		const struct inv_ext *inv = w->inv[v];
		size_t lo = 0, hi = w->ninv[v];
		while (lo < hi) { /* first extent ending after hp */
			size_t mid = lo + (hi - lo) / 2;
			if (inv[mid].hpfn + inv[mid].count <= hp)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < w->ninv[v] && inv[i].hpfn < hp + np; i++) {
			uint64_t a = inv[i].hpfn > hp ? inv[i].hpfn : hp;
			uint64_t b = inv[i].hpfn + inv[i].count < hp + np ? inv[i].hpfn + inv[i].count : hp + np;
			uint64_t gfn = inv[i].gfn + (a - inv[i].hpfn);
			uint64_t hva = va + ((a - hp) << w->shift);
			add_vote(&w->cur[v], hva - (gfn << w->shift), gfn, b - a);
		}
	}
	return VMC_OK;
}

/* --- the chosen VMM's leaves, to extend slots over its contiguous resident mapping --- */

static enum vmc_status keep_leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct vmc_diag tmp; /* make_slots' caller says "out of memory" */
	(void)pa;
	(void)entry;
	return vmc_ranges_add(arg, va, va + size, &tmp) ? VMC_ERR_NOMEM : VMC_OK; /* keep runs, not pages */
}

static int cmp_slot(const void *a, const void *b)
{
	const struct vmc_kvm_memslot *x = a, *y = b;
	return x->base_gfn < y->base_gfn ? -1 : x->base_gfn > y->base_gfn;
}

static int cmp_vote_pages(const void *a, const void *b)
{
	const struct vote *x = a, *y = b;
	return x->pages > y->pages ? -1 : x->pages < y->pages;
}

/* Turn the votes of the chosen root into slots. */
static enum vmc_status make_slots(struct vmc_physmem *pm, struct vmc_vmm_guess *g, struct vm_votes *vv,
				  struct vmc_diag *d)
{
	struct vmc_ranges ls = { 0 };
	struct vmc_pt_stats st = { 0 };
	unsigned shift = pm->dump->page_shift;
	enum vmc_status rc;

	rc = budget_uva_walk(pm, g->pgd_pa, g->levels, g->addr_mask, 0, g->levels == 5 ? (1ull << 56) : USER_TOP_4L,
			     keep_leaf, &ls, ROOT_BUDGET, &st, d);
	if (rc)
		goto out;
	qsort(vv->v, vv->n, sizeof(vv->v[0]), cmp_vote_pages);
	if (!(g->slots = calloc(vv->n ? vv->n : 1, sizeof(*g->slots)))) {
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < vv->n; i++) {
		const struct vote *v = &vv->v[i];
		uint64_t lo_gfn = v->gmin, hi_gfn = v->gmax + 1;
		const struct vmc_range *r;
		bool overlaps = false;

		/* down from the lowest known page, up from the highest, over contiguous runs */
		if ((r = vmc_ranges_find(&ls, v->delta + (lo_gfn << shift)))) {
			while (r > ls.r && r[-1].hi == r->lo)
				r--;
			lo_gfn = r->lo <= v->delta ? 0 : (r->lo - v->delta) >> shift;
		}
		if ((r = vmc_ranges_find(&ls, v->delta + (v->gmax << shift)))) {
			while (r + 1 < ls.r + ls.n && r->hi == r[1].lo)
				r++;
			hi_gfn = (r->hi - v->delta) >> shift;
		}
		if (hi_gfn - lo_gfn > (1ull << 30)) /* 4 TiB: not a RAM block */
			continue;
		for (unsigned k = 0; k < g->nslots; k++)
			if (lo_gfn < g->slots[k].base_gfn + g->slots[k].npages && g->slots[k].base_gfn < hi_gfn)
				overlaps = true;
		if (overlaps) /* a weaker offset over a stronger one's frames: noise, not a RAM block */
			continue;
		g->slots[g->nslots++] = (struct vmc_kvm_memslot){ .base_gfn = lo_gfn, .npages = hi_gfn - lo_gfn,
								  .userspace_addr = v->delta + (lo_gfn << shift),
								  .id = (int16_t)i };
	}
	qsort(g->slots, g->nslots, sizeof(g->slots[0]), cmp_slot);
out:
	vmc_ranges_release(&ls);
	return rc;
}

/* The vote's state: the VMs' inverse NPT maps and each VM's votes (this root's, the best). */
struct guess {
	struct vmc_dump *host;
	const struct vmc_pgd_scan *ps;
	unsigned nvms;
	struct vmc_vmm_guess *out;
	struct vmc_physmem pm;
	struct inv_ext **inv;
	size_t *ninv;
	struct vm_votes *cur, *best;
	uint64_t budget;
	char *why;
	size_t whysz;
};

/* Inverse NPT maps: host frame -> gfn, without frames mapped twice (shared zero page). */
static enum vmc_status invert_npt(struct guess *q, struct vmc_gfn_ext *const *ext, const size_t *n, struct vmc_diag *d)
{
	unsigned nvms = q->nvms;

	q->inv = calloc(nvms, sizeof(*q->inv));
	q->ninv = calloc(nvms, sizeof(*q->ninv));
	q->cur = calloc(nvms, sizeof(*q->cur));
	q->best = calloc(nvms, sizeof(*q->best));
	if (!q->inv || !q->ninv || !q->cur || !q->best)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (unsigned v = 0; v < nvms; v++) {
		struct inv_ext *inv;
		size_t o = 0;
		if (!(inv = q->inv[v] = malloc((n[v] ? n[v] : 1) * sizeof(*inv))))
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < n[v]; i++)
			inv[i] = (struct inv_ext){ ext[v][i].hpfn, ext[v][i].gfn, ext[v][i].count };
		qsort(inv, n[v], sizeof(*inv), cmp_inv);
		for (size_t i = 0; i < n[v]; i++) {
			bool dup = (i && inv[i - 1].hpfn + inv[i - 1].count > inv[i].hpfn) ||
				   (i + 1 < n[v] && inv[i].hpfn + inv[i].count > inv[i + 1].hpfn);
			if (!dup)
				inv[o++] = inv[i];
		}
		q->ninv[v] = o;
		for (size_t i = 0; i < o; i++)
			q->out[v].pages_known += inv[i].count;
	}
	return VMC_OK;
}

/* A root in guest RAM is a guest's forgery, not a process. */
static bool root_in_guest(const struct guess *q, uint64_t pgd_pa)
{
	uint64_t pfn = pgd_pa >> q->host->page_shift;

	for (unsigned v = 0; v < q->nvms; v++)
		for (size_t i = 0; i < q->ninv[v]; i++)
			if (pfn >= q->inv[v][i].hpfn && pfn < q->inv[v][i].hpfn + q->inv[v][i].count)
				return true;
	return false;
}

/* Walk candidate root c and let it vote for every VM; the best root per VM so far wins. */
static enum vmc_status vote_root(struct guess *q, size_t c, struct vmc_diag *d)
{
	const struct vmc_pgd_scan *ps = q->ps;
	struct vote_walk w = { q->inv, q->ninv, q->nvms, q->cur, q->host->page_shift };
	struct vmc_pt_stats st = { 0 };
	struct vmc_vmm_guess *out = q->out;
	struct vmc_diag tmp;
	enum vmc_status rc;
	uint64_t used;

	if (root_in_guest(q, ps->pgd_pa[c]))
		return VMC_OK;
	memset(q->cur, 0, q->nvms * sizeof(*q->cur));
	vmc_diag_init(&tmp);
	rc = budget_uva_walk(&q->pm, ps->pgd_pa[c], ps->levels, ps->mask, 0, ps->levels == 5 ? (1ull << 56) : USER_TOP_4L,
			     vote_leaf, &w, q->budget < ROOT_BUDGET ? q->budget : ROOT_BUDGET, &st, &tmp);
	used = st.leaves[0] + st.leaves[1] + st.leaves[2];
	q->budget = used < q->budget ? q->budget - used : 0;
	if (!q->budget)
		snprintf(q->why, q->whysz, "page-table roots: leaf budget spent after %zu of %zu roots", c + 1, ps->n);
	if (rc == VMC_ERR_NOMEM)
		return vmc_fail(d, rc, "out of memory");
	/* a root over budget or with holes still votes with what it mapped */
	for (unsigned v = 0; v < q->nvms; v++) {
		if (q->cur[v].total > q->best[v].total) {
			out[v].runner_up = q->best[v].total > out[v].runner_up ? q->best[v].total : out[v].runner_up;
			q->best[v] = q->cur[v];
			out[v].pgd_pa = ps->pgd_pa[c];
		} else if (q->cur[v].total > out[v].runner_up)
			out[v].runner_up = q->cur[v].total;
	}
	return VMC_OK;
}

static enum vmc_status guess_phases(struct guess *q, struct vmc_gfn_ext *const *ext, const size_t *n,
				    struct vmc_diag *d)
{
	enum vmc_status rc;

	if ((rc = invert_npt(q, ext, n, d)))
		return rc;
	for (size_t c = 0; c < q->ps->n && q->budget; c++)
		if ((rc = vote_root(q, c, d)))
			return rc;
	for (unsigned v = 0; v < q->nvms; v++) {
		if (!q->out[v].pgd_pa)
			continue;
		q->out[v].levels = q->ps->levels;
		q->out[v].addr_mask = q->ps->mask;
		q->out[v].pages_matched = q->best[v].total;
		if ((rc = make_slots(&q->pm, &q->out[v], &q->best[v], d)))
			return rc;
	}
	return VMC_OK;
}

static void guess_release(struct guess *q)
{
	if (q->inv)
		for (unsigned v = 0; v < q->nvms; v++)
			free(q->inv[v]);
	free(q->inv);
	free(q->ninv);
	free(q->cur);
	free(q->best);
	vmc_physmem_fini(&q->pm);
}

enum vmc_status vmc_vmm_guess(struct vmc_dump *host, const struct vmc_pgd_scan *ps, struct vmc_gfn_ext *const *ext,
			      const size_t *n, unsigned nvms, struct vmc_vmm_guess *out, char *why, size_t whysz,
			      struct vmc_diag *d)
{
	struct guess q = { .host = host, .ps = ps, .nvms = nvms, .out = out, .budget = VOTE_BUDGET, .why = why,
			   .whysz = whysz };
	enum vmc_status rc;

	memset(out, 0, nvms * sizeof(*out));
	why[0] = 0;
	if ((rc = vmc_physmem_init(&q.pm, host, d)))
		return rc;
	if (ps->full)
		snprintf(why, whysz, "more than %u page-table roots; only the first were tried", MAX_PGDS);
	rc = guess_phases(&q, ext, n, d);
	guess_release(&q);
	if (rc && rc != VMC_ERR_UNSUPPORTED)
		for (unsigned v = 0; v < nvms; v++)
			vmc_vmm_guess_free(&out[v]);
	return rc;
}

void vmc_vmm_guess_free(struct vmc_vmm_guess *g)
{
	if (!g)
		return;
	free(g->slots);
	g->slots = NULL;
	g->nslots = 0;
}
