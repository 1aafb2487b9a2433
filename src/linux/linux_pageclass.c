/* linux_pageclass.c: makedumpfile's page classification (__exclude_unnecessary_pages() of
 * 1.7.2, with upstream's later encodings) over the kernel's struct page array. Every rule is
 * chosen by which VMCOREINFO keys exist, never by the kernel version; a key set not listed
 * here keeps every page. */
#include "linux_pageclass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "notes.h"

enum {
	PAGE_MAPPING_ANON = 1,
	SECTION_MARKED_PRESENT = 1,
	SECTION_MAP_MASK = 0x1f,     /* SECTION_MAP_LAST_BIT (1 << 5) - 1: flag bits below mem_map */
	WINDOW_PAGES = 512,          /* makedumpfile's PGMM_CACHED */
	MAX_COMPOUND_ORDER = 18,     /* 1 GiB: the largest x86_64 folio; more is corrupt data */
	MAX_SECTION_WARNINGS = 8,
};

/* ---- the key set ---- */

struct keys {
	const uint8_t *text;
	size_t len;
	char *why;
	size_t whysz;
	bool ok;
};

static bool has(struct keys *k, const char *key)
{
	char v[4];
	return vmcoreinfo_get(k->text, k->len, key, v, sizeof(v));
}

/* A required key: a missing one makes the set not understood (the first is named). */
static uint64_t need(struct keys *k, const char *key)
{
	uint64_t v = 0;
	if (!vmcoreinfo_get_u64(k->text, k->len, key, 10, &v) && k->ok) {
		snprintf(k->why, k->whysz, "VMCOREINFO has no %s", key);
		k->ok = false;
	}
	return v;
}

static int bit_or_none(struct keys *k, const char *key)
{
	uint64_t v;
	if (!vmcoreinfo_get_u64(k->text, k->len, key, 10, &v))
		return -1;
	if (v >= 64 && k->ok) {
		snprintf(k->why, k->whysz, "%s = %llu is not a page flag bit", key, (unsigned long long)v);
		k->ok = false;
	}
	return (int)v;
}

static int need_bit(struct keys *k, const char *key)
{
	int b = bit_or_none(k, key);
	if (b < 0 && k->ok) {
		snprintf(k->why, k->whysz, "VMCOREINFO has no %s", key);
		k->ok = false;
	}
	return b;
}

/* Compound order and hugetlb: 4.16-6.2 page[1].compound_*, 6.3-6.5 folio._folio_*, 6.6-6.8
 * order in page[1].flags with PG_hugetlb there, 6.9+ the same order with a hugetlb page type. */
static void parse_compound(struct keys *k, struct vmc_pgc_layout *l)
{
	uint64_t v;

	if (has(k, "OFFSET(page.compound_order)") || has(k, "OFFSET(page.compound_dtor)")) {
		l->order_src = VMC_PGC_ORDER_U8;
		l->off_order = (uint32_t)need(k, "OFFSET(page.compound_order)");
		l->off_dtor = (uint32_t)need(k, "OFFSET(page.compound_dtor)");
	} else if (has(k, "OFFSET(folio._folio_order)") || has(k, "OFFSET(folio._folio_dtor)")) {
		l->order_src = VMC_PGC_ORDER_U8;
		l->off_order = (uint32_t)(need(k, "OFFSET(folio._folio_order)") - l->size);
		l->off_dtor = (uint32_t)(need(k, "OFFSET(folio._folio_dtor)") - l->size);
		if (k->ok && (l->off_order >= l->size || l->off_dtor >= l->size)) {
			snprintf(k->why, k->whysz, "folio._folio_order/_folio_dtor are not in the first tail page");
			k->ok = false;
		}
	} else if (has(k, "NUMBER(PG_hugetlb)") || has(k, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)")) {
		l->order_src = VMC_PGC_ORDER_FLAGS1;
	} else if (k->ok) {
		snprintf(k->why, k->whysz, "VMCOREINFO says nowhere where a compound page's order is");
		k->ok = false;
	}
	if (l->order_src == VMC_PGC_ORDER_U8 && vmcoreinfo_get_u64(k->text, k->len, "NUMBER(HUGETLB_PAGE_DTOR)", 10, &v)) {
		l->huge = VMC_PGC_HUGE_DTOR;
		l->huge_val = v;
	} else if (has(k, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)")) {
		l->huge = VMC_PGC_HUGE_TYPE;
		l->huge_val = (uint32_t)need(k, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)");
	} else if (has(k, "NUMBER(PG_hugetlb)")) {
		l->huge = VMC_PGC_HUGE_FLAG1;
		l->huge_val = (uint64_t)need_bit(k, "NUMBER(PG_hugetlb)");
	}
}

/* Page types in _mapcount: ~PG_x up to 6.11, PGTY_x << 24 (a value in the top byte) from 6.12. */
static void parse_types(struct keys *k, struct vmc_pgc_layout *l)
{
	uint64_t v;

	l->buddy_type = (uint32_t)need(k, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	l->type_top_byte = (l->buddy_type & 0xffffff) == 0;
	l->pg_slab = bit_or_none(k, "NUMBER(PG_slab)");
	if (vmcoreinfo_get_u64(k->text, k->len, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)", 10, &v)) {
		l->has_slab_type = true;
		l->slab_type = (uint32_t)v;
	}
	if (l->pg_slab < 0 && !l->has_slab_type && k->ok) {
		snprintf(k->why, k->whysz, "VMCOREINFO has neither NUMBER(PG_slab) nor NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
		k->ok = false;
	}
	if (vmcoreinfo_get_u64(k->text, k->len, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)", 10, &v)) {
		l->has_offline = true;
		l->offline_type = (uint32_t)v;
	}
}

bool vmc_pgc_layout_parse(const uint8_t *text, size_t len, struct vmc_pgc_layout *l, char *why, size_t whysz)
{
	struct keys k = { text, len, why, whysz, true };

	memset(l, 0, sizeof(*l));
	l->size = (uint32_t)need(&k, "SIZE(page)");
	l->off_flags = (uint32_t)need(&k, "OFFSET(page.flags)");
	l->off_mapping = (uint32_t)need(&k, "OFFSET(page.mapping)");
	l->off_mapcount = (uint32_t)need(&k, "OFFSET(page._mapcount)");
	l->off_private = (uint32_t)need(&k, "OFFSET(page.private)");
	l->off_head = (uint32_t)need(&k, "OFFSET(page.compound_head)");
	l->pg_lru = need_bit(&k, "NUMBER(PG_lru)");
	l->pg_private = need_bit(&k, "NUMBER(PG_private)");
	l->pg_swapcache = need_bit(&k, "NUMBER(PG_swapcache)");
	l->pg_swapbacked = bit_or_none(&k, "NUMBER(PG_swapbacked)");
	l->pg_hwpoison = bit_or_none(&k, "NUMBER(PG_hwpoison)");
	l->head_mask = need(&k, "NUMBER(PG_head_mask)");
	l->free_orders = (uint32_t)need(&k, "LENGTH(zone.free_area)");
	parse_types(&k, l);
	parse_compound(&k, l);
	if (k.ok && (l->size < 32 || l->size > 512 || l->off_flags + 8 > l->size || l->off_mapping + 8 > l->size ||
		     l->off_mapcount + 4 > l->size || l->off_private + 8 > l->size || l->off_head + 8 > l->size ||
		     l->off_order + 1 > l->size || l->off_dtor + 1 > l->size || l->free_orders == 0 ||
		     l->free_orders > 64 || !l->head_mask)) {
		snprintf(why, whysz, "struct page offsets outside SIZE(page) = %u", l->size);
		k.ok = false;
	}
	return k.ok;
}

/* ---- one window of struct pages ---- */

struct pg {
	uint64_t flags, mapping, private, head;
	uint32_t mapcount;
};

static void pg_read(const struct vmc_pgc_layout *l, const uint8_t *p, struct pg *g)
{
	g->flags = vmc_le64(p + l->off_flags);
	g->mapping = vmc_le64(p + l->off_mapping);
	g->private = vmc_le64(p + l->off_private);
	g->head = vmc_le64(p + l->off_head);
	g->mapcount = vmc_le32(p + l->off_mapcount);
}

static bool flag(uint64_t flags, int bit)
{
	return bit >= 0 && (flags >> bit) & 1;
}

/* The page type in _mapcount is `type` (exact before 6.12, as makedumpfile; top byte after). */
static bool is_type(const struct vmc_pgc_layout *l, uint32_t mapcount, uint32_t type)
{
	return l->type_top_byte ? (mapcount >> 24) == (type >> 24) : mapcount == type;
}

static bool is_slab(const struct vmc_pgc_layout *l, const struct pg *g)
{
	return flag(g->flags, l->pg_slab) || (l->has_slab_type && is_type(l, g->mapcount, l->slab_type));
}

static bool is_cache(const struct vmc_pgc_layout *l, const struct pg *g)
{
	return flag(g->flags, l->pg_lru) ||
	       (flag(g->flags, l->pg_swapcache) && (l->pg_swapbacked < 0 || flag(g->flags, l->pg_swapbacked)));
}

/* Order and hugetlb-ness of a compound head, from its first tail page (NULL: none in the window). */
static unsigned compound(const struct vmc_pgc_layout *l, uint64_t pfn, const struct pg *g, const uint8_t *tail,
			 bool *huge, struct vmc_pgc_counts *c)
{
	unsigned order = 0;
	uint64_t flags1 = 0;

	*huge = l->huge == VMC_PGC_HUGE_TYPE && is_type(l, g->mapcount, (uint32_t)l->huge_val);
	if (!(g->flags & l->head_mask) || !tail)
		return 0;
	flags1 = vmc_le64(tail + l->off_flags);
	if (l->order_src == VMC_PGC_ORDER_U8) {
		order = tail[l->off_order];
		if (l->huge == VMC_PGC_HUGE_DTOR)
			*huge = tail[l->off_dtor] == l->huge_val;
	} else {
		order = flags1 & 0xff;
		if (l->huge == VMC_PGC_HUGE_FLAG1)
			*huge = flag(flags1, (int)l->huge_val);
	}
	/* makedumpfile resets orders >= 64 and misaligned heads; beyond 1 GiB is corrupt too */
	if (order > MAX_COMPOUND_ORDER || (pfn & ((1ull << order) - 1))) {
		c->bad_order++;
		order = 0;
	}
	return order;
}

static void drop(struct vmc_bitmap *keep, uint64_t pfn, uint64_t n, uint64_t *counter)
{
	uint64_t end = pfn + n > keep->nbits ? keep->nbits : pfn + n;

	/* only the frames still kept are visited: a range may be long and mostly empty */
	for (pfn = vmc_bitmap_next_set(keep, pfn); pfn < end; pfn = vmc_bitmap_next_set(keep, pfn + 1)) {
		vmc_bitmap_clear(keep, pfn);
		(*counter)++;
	}
}

/* makedumpfile's decision chain for one page: the class to drop it as (and *n frames), or -1. */
static int decide(const struct vmc_pgc_layout *l, unsigned level, uint64_t pfn, const struct pg *g,
		  const uint8_t *tail, uint64_t *n, struct vmc_pgc_counts *c)
{
	bool slab = is_slab(l, g), huge, anon = !slab && (g->mapping & PAGE_MAPPING_ANON);
	unsigned order;

	*n = 1;
	if (g->head & 1)
		return -1; /* a tail: its head's block covers it */
	if ((level & VMC_DL_FREE) && !slab && is_type(l, g->mapcount, l->buddy_type)) {
		if (g->private >= l->free_orders) {
			c->bad_free_order++;
			return -1;
		}
		*n = 1ull << g->private;
		return VMC_PGC_FREE;
	}
	order = compound(l, pfn, g, tail, &huge, c);
	*n = 1ull << order;
	if ((level & VMC_DL_CACHE) && is_cache(l, g) && !flag(g->flags, l->pg_private) && !anon)
		return VMC_PGC_CACHE;
	if ((level & VMC_DL_CACHE_PRI) && is_cache(l, g) && !anon)
		return flag(g->flags, l->pg_private) ? VMC_PGC_CACHE_PRI : VMC_PGC_CACHE;
	if ((level & VMC_DL_USER) && (anon || huge))
		return VMC_PGC_USER;
	if (flag(g->flags, l->pg_hwpoison))
		return VMC_PGC_HWPOISON;
	if (l->has_offline && !slab && is_type(l, g->mapcount, l->offline_type))
		return VMC_PGC_OFFLINE;
	*n = 1;
	return -1;
}

uint64_t vmc_pgc_classify(const struct vmc_pgc_layout *l, unsigned level, uint64_t pfn0, const uint8_t *pages,
			  size_t count, uint64_t from, struct vmc_bitmap *keep, struct vmc_pgc_counts *c)
{
	uint64_t pfn = from < pfn0 ? pfn0 : from, n;
	struct pg g;
	int cls;

	while (pfn - pfn0 < count) {
		size_t i = (size_t)(pfn - pfn0);
		pg_read(l, pages + i * l->size, &g);
		cls = decide(l, level, pfn, &g, i + 1 < count ? pages + (i + 1) * l->size : NULL, &n, c);
		if (cls >= 0)
			drop(keep, pfn, n, &c->n[cls]);
		pfn += n;
	}
	return pfn;
}

/* ---- the walk over mem_section ---- */

struct walk {
	struct vmc_lkmem *km;
	struct vmc_pgc_layout l;
	unsigned level;
	struct vmc_bitmap *keep;
	struct vmc_pgc_counts *c;
	uint64_t roots_va, nroots, per_root, sec_size, sec_map_off, pages_per_sec, nsec;
	uint64_t *roots;
	uint8_t *buf;
	uint64_t next; /* first pfn not yet covered by an earlier block */
	unsigned warnings;
	struct vmc_diag *d;
};

static void warn_section(struct walk *w, uint64_t nr, const char *why)
{
	uint64_t lo = nr * w->pages_per_sec;
	if (w->warnings++ < MAX_SECTION_WARNINGS)
		vmc_warn(w->d, "-d: section %llu (pfn 0x%llx-0x%llx): %s; its frames are kept", (unsigned long long)nr,
			 (unsigned long long)lo, (unsigned long long)(lo + w->pages_per_sec - 1), why);
}

/* SPARSEMEM_EXTREME: LENGTH(mem_section) roots of PAGESIZE / SIZE(mem_section) sections. */
static enum vmc_status walk_setup(struct walk *w, const uint8_t *vi, size_t len, struct vmc_diag *d)
{
	uint64_t shift, maxphys, psize = w->km->dump->page_size, need_roots;
	char why[120] = "";
	struct keys k = { vi, len, why, sizeof(why), true };

	w->sec_size = need(&k, "SIZE(mem_section)");
	w->sec_map_off = need(&k, "OFFSET(mem_section.section_mem_map)");
	w->nroots = need(&k, "LENGTH(mem_section)");
	shift = need(&k, "NUMBER(SECTION_SIZE_BITS)");
	maxphys = need(&k, "NUMBER(MAX_PHYSMEM_BITS)");
	if (k.ok && !vmcoreinfo_get_u64(vi, len, "SYMBOL(mem_section)", 16, &w->roots_va))
		snprintf(why, sizeof(why), "VMCOREINFO has no SYMBOL(mem_section) (not SPARSEMEM)"), k.ok = false;
	if (k.ok && (w->sec_size < 8 || w->sec_size > psize || w->sec_map_off + 8 > w->sec_size ||
		     shift < (uint64_t)w->km->dump->page_shift || shift > 40 || maxphys > 52 || maxphys <= shift))
		snprintf(why, sizeof(why), "mem_section geometry out of range"), k.ok = false;
	if (k.ok) {
		w->per_root = psize / w->sec_size;
		need_roots = ((1ull << (maxphys - shift)) + w->per_root - 1) / w->per_root;
		if (w->nroots != need_roots)
			snprintf(why, sizeof(why), "LENGTH(mem_section) %llu is not SPARSEMEM_EXTREME's %llu",
				 (unsigned long long)w->nroots, (unsigned long long)need_roots),
				k.ok = false;
	}
	if (!k.ok)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s", why);
	w->pages_per_sec = 1ull << (shift - w->km->dump->page_shift);
	w->nsec = (w->km->dump->max_pfn + w->pages_per_sec - 1) / w->pages_per_sec;
	if (w->nsec > w->nroots * w->per_root)
		w->nsec = w->nroots * w->per_root;
	w->roots = calloc(w->nroots, 8);
	w->buf = malloc((size_t)WINDOW_PAGES * w->l.size);
	if (!w->roots || !w->buf)
		return vmc_fail(d, VMC_ERR_NOMEM, "mem_section");
	return vmc_wrap(d, vmc_lkmem_read(w->km, w->roots_va, w->roots, w->nroots * 8, d), "mem_section roots at 0x%llx",
			(unsigned long long)w->roots_va);
}

/* The section's mem_map (the struct page of its first pfn), or 0 when it has none. */
static uint64_t section_map(struct walk *w, uint64_t nr)
{
	uint64_t root = w->roots[nr / w->per_root], map;
	struct vmc_diag d2;

	if (!root)
		return 0;
	vmc_diag_init(&d2);
	if (vmc_lkmem_read_u64(w->km, root + (nr % w->per_root) * w->sec_size + w->sec_map_off, &map, &d2)) {
		warn_section(w, nr, d2.msg);
		return 0;
	}
	if (!(map & SECTION_MARKED_PRESENT))
		return 0;
	return (map & ~(uint64_t)SECTION_MAP_MASK) + nr * w->pages_per_sec * w->l.size;
}

static void walk_section(struct walk *w, uint64_t nr)
{
	uint64_t lo = nr * w->pages_per_sec, map = 0, hi = lo + w->pages_per_sec;
	bool mapped = false;
	struct vmc_diag d2;

	if (hi > w->keep->nbits)
		hi = w->keep->nbits;
	for (uint64_t p = lo; p < hi; p += WINDOW_PAGES) {
		uint64_t n = hi - p < WINDOW_PAGES ? hi - p : WINDOW_PAGES;
		/* nothing to write here (and no block running into it): its struct pages are not needed */
		if (w->next <= p && vmc_bitmap_next_set(w->keep, p) >= p + n)
			continue;
		if (!mapped && !(mapped = true, map = section_map(w, nr)))
			return;
		vmc_diag_init(&d2);
		if (vmc_lkmem_read(w->km, map + (p - lo) * w->l.size, w->buf, n * w->l.size, &d2)) {
			warn_section(w, nr, d2.msg); /* the rest of the section is kept too: one warning */
			w->next = hi;
			return;
		}
		w->next = vmc_pgc_classify(&w->l, w->level, p, w->buf, n, w->next, w->keep, w->c);
	}
}

/* makedumpfile lowers max_mapnr to the end of the last section with a mem_map: the frames
 * after it are memory the kernel does not manage. */
static void drop_unmapped(struct walk *w)
{
	uint64_t nr = w->nsec;

	while (nr > 0 && !section_map(w, nr - 1))
		nr--;
	if (nr > 0)
		w->c->nomap_from = nr * w->pages_per_sec;
	if (nr > 0)
		drop(w->keep, nr * w->pages_per_sec, w->keep->nbits - nr * w->pages_per_sec, &w->c->n[VMC_PGC_NOMAP]);
}

enum vmc_status vmc_linux_pageclass(struct vmc_lkmem *km, unsigned level, struct vmc_bitmap *keep,
				    struct vmc_pgc_counts *c, struct vmc_diag *d)
{
	struct walk w = { .km = km, .level = level, .keep = keep, .c = c, .d = d };
	char why[160] = "";
	enum vmc_status rc;

	memset(c, 0, sizeof(*c));
	c->nomap_from = ~0ull;
	if (!vmc_pgc_layout_parse(km->vmcoreinfo, km->vmcoreinfo_len, &w.l, why, sizeof(why))) {
		vmc_warn(d, "%s: -d %u: %s: struct pages cannot be classified, no page is dropped by class", km->dump->name,
			 level, why);
		return VMC_OK;
	}
	if ((rc = walk_setup(&w, km->vmcoreinfo, km->vmcoreinfo_len, d))) {
		if (rc != VMC_ERR_NOMEM) {
			vmc_warn(d, "%s: -d %u: %s: no page is dropped by class", km->dump->name, level, d->msg);
			vmc_diag_clear(d);
			rc = VMC_OK;
		}
	} else {
		for (uint64_t nr = 0; nr < w.nsec; nr++)
			walk_section(&w, nr);
		drop_unmapped(&w);
		if (w.warnings > MAX_SECTION_WARNINGS)
			vmc_warn(d, "-d: %u more sections kept whole for unreadable struct pages",
				 w.warnings - MAX_SECTION_WARNINGS);
		if (c->bad_order || c->bad_free_order)
			vmc_warn(d, "-d: %llu compound head(s) with an impossible order taken as single pages, %llu free block(s) with an impossible order kept",
				 (unsigned long long)c->bad_order, (unsigned long long)c->bad_free_order);
	}
	free(w.roots);
	free(w.buf);
	return rc;
}
