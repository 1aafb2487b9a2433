/* t_pageclass.c: the dump-level classifier (src/linux/linux_pageclass.c) on hand-made struct
 * page arrays, for the VMCOREINFO key sets of 6.1, 6.6 and 6.12 kernels: every class, compound
 * pages (THP, hugetlb, large page-cache folios) including one that crosses a section, bad
 * orders, and the exact frames kept at every level 1..31. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "linux_pageclass.h"
#include "pgc_keysets.h"

enum { NPAGES = 2048, SEC_PAGES = 512, ALWAYS = 0x100 };
#define HEAD_VA 0xffffea0000000000ull
#define ANON_MAPPING 0xffff888001234561ull
#define FILE_MAPPING 0xffff888001234560ull

struct fx {
	struct vmc_pgc_layout l;
	uint8_t *pages;
};

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint8_t *pg(struct fx *f, uint64_t pfn) { return f->pages + pfn * f->l.size; }

static void page(struct fx *f, uint64_t pfn, uint64_t flags, uint64_t mapping, uint32_t mapcount, uint64_t private)
{
	put64(pg(f, pfn) + f->l.off_flags, flags);
	put64(pg(f, pfn) + f->l.off_mapping, mapping);
	put32(pg(f, pfn) + f->l.off_mapcount, mapcount);
	put64(pg(f, pfn) + f->l.off_private, private);
}

static uint64_t bit(int b) { return b >= 0 ? 1ull << b : 0; }

/* A compound page of 2^order frames: head flags/mapping/type as given, tails pointing at it. */
static void compound(struct fx *f, uint64_t pfn, unsigned order, uint64_t flags, uint64_t mapping, uint32_t type,
		     bool hugetlb)
{
	page(f, pfn, flags | f->l.head_mask, mapping, type, 0);
	for (uint64_t i = 1; i < (1ull << order); i++) {
		page(f, pfn + i, 0, 0, 0xffffffff, 0);
		put64(pg(f, pfn + i) + f->l.off_head, (HEAD_VA + pfn * f->l.size) | 1);
	}
	if (f->l.order_src == VMC_PGC_ORDER_U8) {
		pg(f, pfn + 1)[f->l.off_order] = (uint8_t)order;
		if (hugetlb)
			pg(f, pfn + 1)[f->l.off_dtor] = (uint8_t)f->l.huge_val;
	} else {
		uint64_t f1 = order | (hugetlb && f->l.huge == VMC_PGC_HUGE_FLAG1 ? 1ull << f->l.huge_val : 0);
		put64(pg(f, pfn + 1) + f->l.off_flags, f1);
		if (hugetlb && f->l.huge == VMC_PGC_HUGE_TYPE)
			put32(pg(f, pfn) + f->l.off_mapcount, (uint32_t)f->l.huge_val);
	}
}

struct expect {
	uint64_t pfn, n;
	unsigned mask; /* the level bits that drop these frames, ALWAYS = any level */
};

static const struct expect expected[] = {
	{ 3, 1, 8 },             /* anonymous */
	{ 4, 1, 2 | 4 },         /* page cache */
	{ 5, 1, 4 },             /* page cache with private data */
	{ 6, 1, 2 | 4 },         /* swap cache */
	{ 8, 8, 16 },            /* a free order-3 block */
	{ 17, 1, ALWAYS },       /* hardware-poisoned */
	{ 18, 1, ALWAYS },       /* offline */
	{ 32, 16, 8 },           /* THP */
	{ 64, 8, 8 },            /* hugetlb */
	{ 80, 8, 2 | 4 },        /* a large page-cache folio */
	{ 100, 1, 8 },           /* an anonymous head with an impossible order: itself only */
	{ 511, 1, 8 },           /* a head at a window's last index: order 0 (makedumpfile) */
	{ 1024, 1024, 8 },       /* THP of order 10 across two sections */
};

/* Every page a kernel page, then the cases of the table (and the ones that must be kept). */
static void build(struct fx *f, const char *keys)
{
	char why[160] = "";
	uint32_t slab_type;
	bool ok = vmc_pgc_layout_parse((const uint8_t *)keys, strlen(keys), &f->l, why, sizeof(why));

	if (!ok)
		harness_note("%s", why);
	REQUIRE(ok);
	const struct vmc_pgc_layout *l = &f->l;
	slab_type = l->has_slab_type ? l->slab_type : 0xffffffff;
	f->pages = calloc(NPAGES, l->size);
	REQUIRE(f->pages);
	for (uint64_t p = 0; p < NPAGES; p++)
		page(f, p, 0, 0, 0xffffffff, 0);
	page(f, 2, bit(l->pg_slab), ANON_MAPPING, slab_type, 0); /* slab with an odd word in mapping: kept */
	page(f, 3, bit(l->pg_lru) | bit(l->pg_swapbacked), ANON_MAPPING, 0, 0);
	page(f, 4, bit(l->pg_lru), FILE_MAPPING, 0, 0);
	page(f, 5, bit(l->pg_lru) | bit(l->pg_private), FILE_MAPPING, 0, 0xffff888000001000ull);
	page(f, 6, bit(l->pg_swapcache) | bit(l->pg_swapbacked), FILE_MAPPING, 0, 0);
	page(f, 7, bit(l->pg_swapcache), FILE_MAPPING, 0, 0); /* swapcache without swapbacked: not cache */
	page(f, 8, 0, 0, l->buddy_type, 3);
	page(f, 16, 0, 0, l->buddy_type, l->free_orders); /* impossible free order: kept */
	page(f, 17, bit(l->pg_hwpoison), 0, 0xffffffff, 0);
	page(f, 18, 0, 0, l->offline_type, 0);
	if (l->pg_slab >= 0)
		page(f, 19, bit(l->pg_slab), 0, l->offline_type, 0); /* offline-looking slab: kept */
	compound(f, 32, 4, bit(l->pg_lru) | bit(l->pg_swapbacked), ANON_MAPPING, 0, false);
	compound(f, 64, 3, 0, FILE_MAPPING, 0xffffffff, true);
	compound(f, 80, 3, bit(l->pg_lru), FILE_MAPPING, 0, false);
	compound(f, 96, 1, bit(l->pg_slab), ANON_MAPPING, slab_type, false); /* a slab folio: kept */
	compound(f, 100, 1, bit(l->pg_lru), ANON_MAPPING, 0, false);
	if (l->order_src == VMC_PGC_ORDER_U8)
		pg(f, 101)[l->off_order] = 40;
	else
		put64(pg(f, 101) + l->off_flags, 0x1f); /* order 31; bits 0-4 carry no flag these key sets test */
	put64(pg(f, 101) + l->off_head, 0); /* so that 101 is a page of its own */
	page(f, 511, l->head_mask | bit(l->pg_lru), ANON_MAPPING, 0, 0);
	compound(f, 1024, 10, bit(l->pg_lru) | bit(l->pg_swapbacked), ANON_MAPPING, 0, false);
}

/* Classify window by window as the mem_section walk does and compare with the table. */
static void check_levels(struct fx *f)
{
	struct vmc_bitmap keep, want;
	struct vmc_pgc_counts c;
	struct vmc_diag d;

	vmc_diag_init(&d);
	for (unsigned level = 1; level <= 31; level++) {
		uint64_t next = 0;
		REQUIRE(vmc_bitmap_init(&keep, NPAGES, &d) == VMC_OK && vmc_bitmap_init(&want, NPAGES, &d) == VMC_OK);
		vmc_bitmap_set_range(&keep, 0, NPAGES);
		vmc_bitmap_set_range(&want, 0, NPAGES);
		memset(&c, 0, sizeof(c));
		for (uint64_t w = 0; w < NPAGES; w += SEC_PAGES)
			next = vmc_pgc_classify(&f->l, level, w, pg(f, w), SEC_PAGES, next, &keep, &c);
		for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
			if ((expected[i].mask & ALWAYS) || (level & expected[i].mask))
				vmc_bitmap_clear_range(&want, expected[i].pfn, expected[i].n);
		for (uint64_t p = 0; p < NPAGES; p++)
			if (vmc_bitmap_test(&keep, p) != vmc_bitmap_test(&want, p)) {
				harness_note("level %u: pfn %llu kept %d, expected %d", level, (unsigned long long)p,
					     vmc_bitmap_test(&keep, p), vmc_bitmap_test(&want, p));
				CHECK(0);
				break;
			}
		if (level == 31) {
			CHECK_EQ(c.n[VMC_PGC_USER], 1 + 16 + 8 + 1 + 1 + 1024);
			CHECK_EQ(c.n[VMC_PGC_CACHE], 1 + 1 + 8);
			CHECK_EQ(c.n[VMC_PGC_CACHE_PRI], 1);
			CHECK_EQ(c.n[VMC_PGC_FREE], 8);
			CHECK_EQ(c.n[VMC_PGC_HWPOISON], 1);
			CHECK_EQ(c.n[VMC_PGC_OFFLINE], 1);
			CHECK_EQ(c.bad_order, 1);
			CHECK_EQ(c.bad_free_order, 1);
		}
		vmc_bitmap_release(&keep);
		vmc_bitmap_release(&want);
	}
	free(f->pages);
}

TEST(linux61)
{
	struct fx f;
	build(&f, PGC_KEYS_61);
	CHECK_EQ(f.l.order_src, VMC_PGC_ORDER_U8);
	CHECK_EQ(f.l.huge, VMC_PGC_HUGE_DTOR);
	CHECK(!f.l.type_top_byte);
	check_levels(&f);
}

TEST(linux66)
{
	struct fx f;
	build(&f, PGC_KEYS_66);
	CHECK_EQ(f.l.order_src, VMC_PGC_ORDER_FLAGS1);
	CHECK_EQ(f.l.huge, VMC_PGC_HUGE_FLAG1);
	check_levels(&f);
}

TEST(linux612)
{
	struct fx f;
	build(&f, PGC_KEYS_612);
	CHECK_EQ(f.l.order_src, VMC_PGC_ORDER_FLAGS1);
	CHECK_EQ(f.l.huge, VMC_PGC_HUGE_TYPE);
	CHECK(f.l.type_top_byte);
	CHECK(f.l.pg_slab < 0 && f.l.has_slab_type);
	check_levels(&f);
}

/* Key sets this code does not know are refused (the caller then keeps every page). */
TEST(unknown_keysets)
{
	struct vmc_pgc_layout l;
	char why[160], *t;
	const char *drop[] = { "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", "OFFSET(page.compound_head)", "NUMBER(PG_slab)",
			       "OFFSET(page.compound_order)", "SIZE(page)" };

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
		char *p, *e;
		t = strdup(PGC_KEYS_61);
		REQUIRE(t);
		p = strstr(t, drop[i]);
		REQUIRE(p);
		e = strchr(p, '\n');
		memmove(p, e + 1, strlen(e + 1) + 1);
		why[0] = 0;
		CHECK(!vmc_pgc_layout_parse((const uint8_t *)t, strlen(t), &l, why, sizeof(why)));
		CHECK(why[0] != 0);
		free(t);
	}
	/* offsets past SIZE(page) */
	t = strdup(PGC_KEYS_61);
	REQUIRE(t);
	memcpy(strstr(t, "SIZE(page)=64"), "SIZE(page)=16", 13);
	CHECK(!vmc_pgc_layout_parse((const uint8_t *)t, strlen(t), &l, why, sizeof(why)));
	free(t);
}
