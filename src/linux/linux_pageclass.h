/* linux_pageclass.h: makedumpfile's dump levels (-d): which frames of a Linux dump are page
 * cache, user data, free or poisoned, from the kernel's own struct page array, with every
 * offset and constant taken from VMCOREINFO. */
#ifndef VMC_LINUX_PAGECLASS_H
#define VMC_LINUX_PAGECLASS_H

#include "linux_kvmem.h"

/* makedumpfile's level bits */
enum {
	VMC_DL_ZERO = 1,
	VMC_DL_CACHE = 2,      /* page cache without private data */
	VMC_DL_CACHE_PRI = 4,  /* all page cache */
	VMC_DL_USER = 8,       /* anonymous memory, hugetlb, THP */
	VMC_DL_FREE = 16,      /* buddy allocator free blocks */
	VMC_DL_MAX = 31,
};

enum vmc_pgc {
	VMC_PGC_ZERO,
	VMC_PGC_CACHE,
	VMC_PGC_CACHE_PRI,
	VMC_PGC_USER,
	VMC_PGC_FREE,
	VMC_PGC_HWPOISON,
	VMC_PGC_OFFLINE,
	VMC_PGC_NOMAP, /* past the last section with a struct page array (makedumpfile's max_mapnr) */
	VMC_PGC_N,
};

/* How compound pages (folios) give their order and say they are hugetlb. */
enum vmc_pgc_order { VMC_PGC_ORDER_U8, VMC_PGC_ORDER_FLAGS1 };
enum vmc_pgc_huge { VMC_PGC_HUGE_NONE, VMC_PGC_HUGE_DTOR, VMC_PGC_HUGE_FLAG1, VMC_PGC_HUGE_TYPE };

/* The struct page encoding of one kernel, as VMCOREINFO describes it. */
struct vmc_pgc_layout {
	uint32_t size;  /* SIZE(page) */
	uint32_t off_flags, off_mapping, off_mapcount, off_private, off_head;
	enum vmc_pgc_order order_src;
	uint32_t off_order, off_dtor; /* within the first tail page (ORDER_U8) */
	enum vmc_pgc_huge huge;
	uint64_t huge_val; /* dtor value, PG_hugetlb bit, or page type value */
	int pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison; /* -1: none */
	uint64_t head_mask;
	bool has_slab_type, has_offline, type_top_byte;
	uint32_t slab_type, buddy_type, offline_type;
	uint32_t free_orders; /* LENGTH(zone.free_area) */
};

/* Fill l from a VMCOREINFO text. False when the keys are not a set this code understands;
 * why then says which key is missing or odd. */
bool vmc_pgc_layout_parse(const uint8_t *text, size_t len, struct vmc_pgc_layout *l, char *why, size_t whysz);

struct vmc_pgc_counts {
	uint64_t n[VMC_PGC_N];     /* frames excluded per class (only those that were to be written) */
	uint64_t bad_order;        /* compound heads with an impossible order (treated as order 0) */
	uint64_t bad_free_order;   /* buddy blocks with an impossible order (kept) */
	uint64_t nomap_from;       /* the VMC_PGC_NOMAP frames are those from here on (~0: none) */
};

/* Classify the struct pages of pfns [pfn0, pfn0 + count) (count * l->size bytes at pages),
 * starting at pfn `from` (>= pfn0), clearing the frames to drop at `level` in keep. Returns the
 * pfn where the next call must start (past a block that ran beyond this window). */
uint64_t vmc_pgc_classify(const struct vmc_pgc_layout *l, unsigned level, uint64_t pfn0, const uint8_t *pages,
			  size_t count, uint64_t from, struct vmc_bitmap *keep, struct vmc_pgc_counts *c);

/* Clear from keep (a copy of the frames to write) every frame `level` drops, by walking the
 * dump's mem_section / struct page array through km. Frames whose struct pages cannot be read
 * are kept with a warning in d naming the section and pfn range; a VMCOREINFO this code does
 * not understand keeps everything with one warning. As makedumpfile, frames past the end of
 * the last section that has a struct page array (memory the kernel does not manage: mem=,
 * a guest's firmware ROM) go at every level. Zero pages are not looked at here. */
enum vmc_status vmc_linux_pageclass(struct vmc_lkmem *km, unsigned level, struct vmc_bitmap *keep,
				    struct vmc_pgc_counts *c, struct vmc_diag *d);

#endif
