/* pagewalk.c: bounded x86 radix page-table walks (long mode, NPT, EPT) over dump memory. */
#include "pagewalk.h"

#include <stdlib.h>
#include <string.h>

#define PT_ENTRIES 512
#define PT_DEFAULT_MASK 0x000ffffffffff000ull

struct walk {
	const struct vmc_pt *pt;
	uint64_t raw_lo, raw_hi; /* index-space range, hi exclusive */
	vmc_pt_leaf_fn *cb;
	void *arg;
	struct vmc_pt_stats *st;
	uint64_t path[6];        /* tables on the current path, for loop detection */
	uint64_t leaves, tables, max_leaves, max_tables;
	uint64_t table[6][PT_ENTRIES]; /* one copy per level: the physmem cache is shared */
	struct vmc_diag *d;
};

static uint64_t addr_mask(const struct vmc_pt *pt)
{
	return pt->addr_mask ? pt->addr_mask : PT_DEFAULT_MASK;
}

static bool present(const struct vmc_pt *pt, uint64_t e)
{
	return pt->format == VMC_PT_EPT ? (e & 7) != 0 : (e & 1) != 0;
}

static unsigned space_bits(const struct vmc_pt *pt)
{
	return 12 + 9 * pt->levels;
}

/* index space -> the address the caller sees (canonical for long-mode virtual addresses) */
static uint64_t raw_to_va(const struct vmc_pt *pt, uint64_t raw)
{
	unsigned top = space_bits(pt) - 1;
	if (pt->format == VMC_PT_X86_64 && top < 63 && (raw >> top) & 1)
		return raw | ~((1ull << (top + 1)) - 1);
	return raw;
}

static bool is_leaf(const struct vmc_pt *pt, uint64_t e, unsigned level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & 0x80));
}

static enum vmc_status read_table(const struct vmc_pt *pt, uint64_t table_pa, uint64_t *out, struct vmc_diag *d)
{
	const uint8_t *p = vmc_physmem_frame(pt->pm, table_pa >> pt->pm->dump->page_shift, d);
	if (!p)
		return d->status;
	memcpy(out, p + (table_pa & (pt->pm->dump->page_size - 1) & ~0xfffull), PT_ENTRIES * 8);
	return VMC_OK;
}

static enum vmc_status walk_level(struct walk *w, unsigned level, uint64_t table_pa, uint64_t base)
{
	const struct vmc_pt *pt = w->pt;
	unsigned shift = 12 + 9 * (level - 1);
	uint64_t span = 1ull << shift, *tab = w->table[level];
	uint64_t mask = addr_mask(pt);
	struct vmc_diag tmp;
	enum vmc_status rc;
	unsigned first = 0, last = PT_ENTRIES - 1;

	if (++w->tables > w->max_tables)
		return vmc_fail(w->d, VMC_ERR_LIMIT, "page-table walk from 0x%llx read more than %llu tables (a loop or aliasing tables?)",
				(unsigned long long)pt->root, (unsigned long long)w->max_tables);
	vmc_diag_init(&tmp);
	if (read_table(pt, table_pa, tab, &tmp)) {
		if (w->st) {
			if (!w->st->tables_absent)
				w->st->first_bad_table = table_pa;
			w->st->tables_absent++;
		}
		return VMC_OK;
	}
	if (w->st)
		w->st->tables++;
	if (w->raw_lo > base)
		first = (unsigned)((w->raw_lo - base) >> shift);
	if (w->raw_hi - 1 < base + (span << 9) - 1)
		last = (unsigned)((w->raw_hi - 1 - base) >> shift);
	for (unsigned i = first; i <= last; i++) {
		uint64_t e = tab[i], raw = base + (uint64_t)i * span, pa;
		bool leaf;

		if (!pt->entry_ok && !present(pt, e))
			continue;
		leaf = is_leaf(pt, e, level);
		pa = e & mask;
		if (leaf)
			pa &= ~(span - 1);
		if (pt->entry_ok) {
			if (!pt->entry_ok(e, level, leaf, &pa, pt->entry_arg))
				continue;
		} else if (!present(pt, e))
			continue;
		if (leaf) {
			if (++w->leaves > w->max_leaves)
				return vmc_fail(w->d, VMC_ERR_LIMIT, "page-table walk from 0x%llx maps more than %llu pages (a loop or aliasing tables?)",
						(unsigned long long)pt->root, (unsigned long long)w->max_leaves);
			if (w->st)
				w->st->leaves[level == 1 ? 0 : level == 2 ? 1 : 2]++;
			if ((rc = w->cb(raw_to_va(pt, raw), pa, span, e, w->arg)))
				return rc;
			continue;
		}
		pa &= ~0xfffull;
		bool loop = false;
		for (unsigned l = level; l <= pt->levels; l++)
			if (w->path[l] == pa)
				loop = true;
		if (loop) {
			if (w->st)
				w->st->loops++;
			continue;
		}
		w->path[level - 1] = pa;
		rc = walk_level(w, level - 1, pa, raw);
		w->path[level - 1] = ~0ull;
		if (rc)
			return rc;
	}
	return VMC_OK;
}

enum vmc_status vmc_pt_walk(const struct vmc_pt *pt, uint64_t va_lo, uint64_t va_hi, vmc_pt_leaf_fn *cb,
			    void *arg, struct vmc_pt_stats *st, struct vmc_diag *d)
{
	struct walk *wp; /* 24 KiB of table copies: keep them off the stack; callbacks may walk too */
	enum vmc_status rc;
	uint64_t space_mask;

	if (pt->levels != 4 && pt->levels != 5)
		return vmc_fail(d, VMC_ERR_ARGS, "page tables with %u levels are not supported", pt->levels);
	space_mask = (1ull << space_bits(pt)) - 1;
	if (!(wp = calloc(1, sizeof(*wp))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
#define w (*wp)
	w.pt = pt;
	w.raw_lo = va_lo & space_mask;
	w.raw_hi = va_hi ? ((va_hi - 1) & space_mask) + 1 : space_mask + 1;
	if (w.raw_hi <= w.raw_lo) {
		free(wp);
		return VMC_OK;
	}
	w.cb = cb;
	w.arg = arg;
	w.st = st;
	w.d = d;
	w.max_leaves = pt->max_leaves ? pt->max_leaves : 1ull << 28;
	w.max_tables = w.max_leaves / 256 + 4096;
	for (unsigned i = 0; i < 6; i++)
		w.path[i] = ~0ull;
	w.path[pt->levels] = pt->root & ~0xfffull;
	rc = walk_level(&w, pt->levels, pt->root & ~0xfffull, 0);
#undef w
	free(wp);
	return rc;
}

enum vmc_status vmc_pt_translate(const struct vmc_pt *pt, uint64_t va, uint64_t *pa, uint64_t *page_size,
				 struct vmc_diag *d)
{
	uint64_t table = pt->root & ~0xfffull, mask = addr_mask(pt);

	if (pt->levels != 4 && pt->levels != 5)
		return vmc_fail(d, VMC_ERR_ARGS, "page tables with %u levels are not supported", pt->levels);
	for (unsigned level = pt->levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t e, span = 1ull << shift, epa;
		bool leaf;
		enum vmc_status rc = vmc_physmem_read_u64(pt->pm, table + ((va >> shift) & 511) * 8, &e, d);

		if (rc)
			return vmc_wrap(d, rc, "translating 0x%llx", (unsigned long long)va);
		leaf = is_leaf(pt, e, level);
		epa = e & mask;
		if (leaf)
			epa &= ~(span - 1);
		if (pt->entry_ok ? !pt->entry_ok(e, level, leaf, &epa, pt->entry_arg) : !present(pt, e))
			return vmc_fail(d, VMC_ERR_MISSING, "0x%llx is not mapped (level %u entry 0x%llx in table 0x%llx)",
					(unsigned long long)va, level, (unsigned long long)e, (unsigned long long)table);
		if (leaf) {
			*pa = epa + (va & (span - 1));
			if (page_size)
				*page_size = span;
			return VMC_OK;
		}
		table = epa & ~0xfffull;
	}
	return vmc_fail(d, VMC_ERR_CORRUPT, "page-table walk fell through");
}
