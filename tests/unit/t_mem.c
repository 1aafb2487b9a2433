/* t_mem.c: physical reads (physmem.c) and page-table walks (pagewalk.c) over a dump held in
 * memory by a test reader, so every frame's bytes and presence are set by the test itself. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pagewalk.h"

#define NFRAMES 16

static struct vmc_diag d;

/* The frames of the test dump; frame pfn's bytes are pfn * 16 + (offset & 15) unless a test
 * writes tables there. */
static uint8_t mem[NFRAMES][4096];

static enum vmc_status mem_read_page(struct vmc_dump *dump, uint64_t pfn, void *buf, void *scratch,
				     struct vmc_diag *dg)
{
	(void)dump;
	(void)scratch;
	(void)dg;
	memcpy(buf, mem[pfn], sizeof(mem[pfn]));
	return VMC_OK;
}

static const struct vmc_reader_ops mem_ops = { .name = "test", .read_page = mem_read_page };

/* A dump of NFRAMES frames of RAM, all stored but those in `absent` (excluded by the dumper)
 * and frame `missing` (marked missing; 0 for none). */
static struct vmc_dump *mem_dump(uint64_t absent, uint64_t missing)
{
	struct vmc_dump *dump = calloc(1, sizeof(*dump));

	REQUIRE(dump != NULL);
	dump->ops = &mem_ops;
	dump->name = strdup("mem");
	dump->page_size = 4096;
	dump->page_shift = 12;
	vmc_diag_init(&d);
	REQUIRE(vmc_dump_alloc_bitmaps(dump, NFRAMES, &d) == VMC_OK);
	for (uint64_t pfn = 0; pfn < NFRAMES; pfn++) {
		for (unsigned i = 0; i < 4096; i++)
			mem[pfn][i] = (uint8_t)(pfn * 16 + (i & 15));
		vmc_bitmap_set(&dump->ram, pfn);
		if (!(absent >> pfn & 1))
			vmc_bitmap_set(&dump->stored, pfn);
	}
	if (missing)
		vmc_dump_mark_missing(dump, missing, "mem", 0, "is gone");
	return dump;
}

TEST(physmem_read_crosses_frames)
{
	struct vmc_dump *dump = mem_dump(0, 0);
	struct vmc_physmem pm;
	uint8_t buf[8200];
	uint64_t v;

	REQUIRE(vmc_physmem_init(&pm, dump, &d) == VMC_OK);
	/* 8 bytes at the end of frame 1, 8 at the start of frame 2 */
	REQUIRE(vmc_physmem_read(&pm, 0x1ff8, buf, 16, &d) == VMC_OK);
	for (unsigned i = 0; i < 8; i++) {
		CHECK_EQ(buf[i], 1 * 16 + 8 + i);
		CHECK_EQ(buf[8 + i], 2 * 16 + i);
	}
	/* three frames in one read */
	REQUIRE(vmc_physmem_read(&pm, 0x3ffc, buf, sizeof(buf), &d) == VMC_OK);
	CHECK_EQ(buf[0], 3 * 16 + 12);
	CHECK_EQ(buf[4], 4 * 16);
	CHECK_EQ(buf[4 + 4096], 5 * 16);
	CHECK_EQ(buf[4 + 8192], 6 * 16);
	/* the last frame stays cached: reading it again fetches nothing */
	REQUIRE(vmc_physmem_read_u64(&pm, 0x6010, &v, &d) == VMC_OK);
	CHECK_EQ(pm.reads, 6);
	CHECK_EQ(v & 0xff, 6 * 16);
	vmc_physmem_fini(&pm);
	vmc_dump_close(dump);
}

TEST(physmem_missing_frame_says_where_and_why)
{
	struct vmc_dump *dump = mem_dump(1u << 5, 9);
	struct vmc_physmem pm;
	uint8_t buf[32];
	uint32_t v;

	REQUIRE(vmc_physmem_init(&pm, dump, &d) == VMC_OK);
	/* a read that runs from a stored frame into an excluded one fails there */
	CHECK_EQ(vmc_physmem_read(&pm, 0x4ff0, buf, sizeof(buf), &d), VMC_ERR_MISSING);
	CHECK_EQ(d.status, VMC_ERR_MISSING);
	CHECK(strstr(d.msg, "physical address 0x5000 was excluded by the dumper") != NULL);
	harness_note("%s", d.msg);
	vmc_diag_init(&d);
	CHECK_EQ(vmc_physmem_read_u32(&pm, 0x9004, &v, &d), VMC_ERR_MISSING);
	CHECK(strstr(d.msg, "physical address 0x9000 is missing from the dump") != NULL);
	vmc_diag_init(&d);
	CHECK(vmc_physmem_frame(&pm, NFRAMES + 3, &d) == NULL);
	CHECK(strstr(d.msg, "physical address 0x13000 is not RAM in the dump") != NULL);
	CHECK(!vmc_physmem_has(&pm, 5));
	CHECK(vmc_physmem_has(&pm, 4));
	CHECK(!vmc_physmem_peek(&pm, 5, 0, buf, 4));
	CHECK(vmc_physmem_peek(&pm, 4, 4090, buf, 6));
	CHECK_EQ(buf[0], 4 * 16 + 10);
	CHECK(!vmc_physmem_peek(&pm, 4, 4090, buf, 7)); /* past the end of the frame */
	vmc_physmem_fini(&pm);
	vmc_dump_close(dump);
}

/* The window's test reader: read_page as above, and runs that count themselves and fail on
 * request. */
static unsigned runs_read;
static bool runs_fail;

static enum vmc_status mem_read_run(struct vmc_dump *dump, uint64_t pfn, uint64_t count, void *buf,
				    struct vmc_diag *dg)
{
	(void)dump;
	(void)dg;
	if (runs_fail)
		return VMC_ERR_UNSUPPORTED;
	runs_read++;
	memcpy(buf, mem[pfn], (size_t)count * 4096);
	return VMC_OK;
}

static const struct vmc_reader_ops mem_run_ops = { .name = "test",
						   .read_page = mem_read_page,
						   .read_run = mem_read_run };

/* The run a miss reads: the stored frames from pfn up, at most max, and arg's limit. */
static unsigned runs_asked;

static uint64_t up_run(void *arg, uint64_t pfn, uint64_t max, uint64_t *first)
{
	const struct vmc_physmem_window *w = arg;
	uint64_t n = 1;

	runs_asked++;
	*first = pfn;
	while (n < max && pfn + n < NFRAMES && vmc_physmem_has(w->pm, pfn + n))
		n++;
	return n;
}

/* A frame from the window, a run read on a miss, the fallback to the frame alone. */
TEST(physmem_window_reads_runs_ahead)
{
	struct vmc_dump *dump = mem_dump(1u << 5 | 1u << 8, 0);
	struct vmc_physmem pm;
	struct vmc_physmem_window w;
	const uint8_t *p;

	dump->ops = &mem_run_ops;
	runs_read = runs_asked = 0;
	runs_fail = false;
	REQUIRE(vmc_physmem_init(&pm, dump, &d) == VMC_OK);
	vmc_physmem_window_init(&w, &pm);
	REQUIRE(w.buf != NULL);
	/* a miss at 1 reads 1..4 (5 is excluded) in one run */
	p = vmc_physmem_window_frame(&w, 1, up_run, &w, &d);
	REQUIRE(p != NULL);
	CHECK_EQ(p[0], 1 * 16);
	CHECK_EQ(runs_read, 1);
	CHECK_EQ(w.first, 1);
	CHECK_EQ(w.n, 4);
	CHECK_EQ(pm.reads, 4);
	/* 3 is in the window: no run asked for, nothing read */
	p = vmc_physmem_window_frame(&w, 3, up_run, &w, &d);
	REQUIRE(p != NULL);
	CHECK(p == w.buf + 2 * 4096);
	CHECK_EQ(p[4095], 3 * 16 + 15);
	CHECK_EQ(runs_asked, 1);
	CHECK_EQ(runs_read, 1);
	CHECK(vmc_physmem_window_get(&w, 5) == NULL);
	CHECK(vmc_physmem_window_get(&w, 0) == NULL);
	/* a run of one frame (7: 8 is excluded) is not a run: the frame alone, from physmem */
	p = vmc_physmem_window_frame(&w, 7, up_run, &w, &d);
	REQUIRE(p != NULL);
	CHECK(p == pm.page);
	CHECK_EQ(p[1], 7 * 16 + 1);
	CHECK_EQ(runs_read, 1);
	CHECK_EQ(w.n, 0);
	/* the run fails: the frame alone, the window empty */
	runs_fail = true;
	p = vmc_physmem_window_frame(&w, 10, up_run, &w, &d);
	REQUIRE(p != NULL);
	CHECK(p == pm.page);
	CHECK_EQ(p[0], 10 * 16);
	CHECK_EQ(w.n, 0);
	runs_fail = false;
	/* a frame the dump lacks: NULL and why */
	vmc_diag_init(&d);
	CHECK(vmc_physmem_window_frame(&w, 5, up_run, &w, &d) == NULL);
	CHECK_EQ(d.status, VMC_ERR_MISSING);
	/* the caller's own run: more than the window holds, or a frame not stored, is refused */
	CHECK(!vmc_physmem_window_read(&w, 0, VMC_PHYSMEM_WINDOW_FRAMES + 1));
	CHECK(!vmc_physmem_window_read(&w, 4, 3));
	REQUIRE(vmc_physmem_window_read(&w, 11, 5));
	CHECK_EQ(vmc_physmem_window_get(&w, 15)[0], 15 * 16);
	vmc_physmem_window_fini(&w);
	vmc_physmem_fini(&pm);
	vmc_dump_close(dump);
}

/* Page tables: root (PML4) in frame 1, PDPT 2, PD 3, PT 4. */
static void put_entry(uint64_t table_pfn, unsigned idx, uint64_t e)
{
	memcpy(&mem[table_pfn][idx * 8], &e, 8);
}

static struct vmc_dump *pt_dump(void)
{
	struct vmc_dump *dump = mem_dump(1u << 7, 0);

	for (uint64_t pfn = 1; pfn <= 4; pfn++)
		memset(mem[pfn], 0, sizeof(mem[pfn]));
	put_entry(1, 1, 0x2000 | 3);           /* PML4[1] -> PDPT */
	put_entry(1, 256, 0x2000 | 3);         /* PML4[256]: the high half, same PDPT */
	put_entry(2, 2, 0x3000 | 3);           /* PDPT[2] -> PD */
	put_entry(2, 3, 0x40000000ull | 0x83); /* PDPT[3]: 1 GiB page */
	put_entry(3, 3, 0x4000 | 3);           /* PD[3] -> PT */
	put_entry(3, 4, 0x600000 | 0x83);      /* PD[4]: 2 MiB page */
	put_entry(3, 5, 0x7000 | 3);           /* PD[5] -> a table the dump excluded */
	put_entry(4, 4, 0x5000 | 3);           /* PT[4], PT[5]: 4 KiB pages */
	put_entry(4, 5, 0xa000 | 1);
	put_entry(4, 6, 0xb000);               /* not present */
	return dump;
}

struct leaf {
	uint64_t va, pa, size;
};

struct leaves {
	unsigned n;
	struct leaf l[16];
};

static enum vmc_status add_leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct leaves *lv = arg;

	(void)entry;
	if (lv->n < 16)
		lv->l[lv->n] = (struct leaf){ va, pa, size };
	lv->n++;
	return VMC_OK;
}

#define VA(l4, l3, l2, l1) ((uint64_t)(l4) << 39 | (uint64_t)(l3) << 30 | (uint64_t)(l2) << 21 | (uint64_t)(l1) << 12)

TEST(pagewalk_four_levels)
{
	struct vmc_dump *dump = pt_dump();
	struct vmc_physmem pm;
	struct vmc_pt pt = { .pm = &pm, .format = VMC_PT_X86_64, .levels = 4, .root = 0x1000 };
	struct vmc_pt_stats st = { 0 };
	struct leaves lv = { 0 };
	uint64_t pa, size, hi = 0xffff000000000000ull;

	REQUIRE(vmc_physmem_init(&pm, dump, &d) == VMC_OK);
	REQUIRE(vmc_pt_walk(&pt, 0, 0, add_leaf, &lv, &st, &d) == VMC_OK);
	/* in ascending va: the low half's 4 KiB, 4 KiB, 2 MiB, 1 GiB pages, then the same in the
	 * high half, sign-extended */
	REQUIRE(lv.n == 8);
	CHECK_EQ(lv.l[0].va, VA(1, 2, 3, 4));
	CHECK_EQ(lv.l[0].pa, 0x5000);
	CHECK_EQ(lv.l[0].size, 4096);
	CHECK_EQ(lv.l[1].va, VA(1, 2, 3, 5));
	CHECK_EQ(lv.l[1].pa, 0xa000);
	CHECK_EQ(lv.l[2].va, VA(1, 2, 4, 0));
	CHECK_EQ(lv.l[2].pa, 0x600000);
	CHECK_EQ(lv.l[2].size, 2 << 20);
	CHECK_EQ(lv.l[3].va, VA(1, 3, 0, 0));
	CHECK_EQ(lv.l[3].pa, 0x40000000);
	CHECK_EQ(lv.l[3].size, 1 << 30);
	CHECK_EQ(lv.l[4].va, hi | VA(256, 2, 3, 4));
	CHECK_EQ(lv.l[7].va, hi | VA(256, 3, 0, 0));
	CHECK_EQ(st.tables, 1 + 2 + 2 + 2);
	CHECK_EQ(st.leaves[0], 4);
	CHECK_EQ(st.leaves[1], 2);
	CHECK_EQ(st.leaves[2], 2);
	CHECK_EQ(st.tables_absent, 2);
	CHECK_EQ(st.first_bad_table, 0x7000);
	CHECK_EQ(st.loops, 0);
	/* a range: only the low half's PD */
	lv = (struct leaves){ 0 };
	REQUIRE(vmc_pt_walk(&pt, VA(1, 2, 3, 5), VA(1, 2, 5, 0), add_leaf, &lv, NULL, &d) == VMC_OK);
	CHECK_EQ(lv.n, 2);
	CHECK_EQ(lv.l[0].pa, 0xa000);
	/* translate agrees with the walk */
	REQUIRE(vmc_pt_translate(&pt, VA(1, 2, 4, 0) + 0x12345, &pa, &size, &d) == VMC_OK);
	CHECK_EQ(pa, 0x612345);
	CHECK_EQ(size, 2 << 20);
	REQUIRE(vmc_pt_translate(&pt, hi | (VA(256, 2, 3, 4) + 0x10), &pa, &size, &d) == VMC_OK);
	CHECK_EQ(pa, 0x5010);
	CHECK_EQ(vmc_pt_translate(&pt, VA(1, 2, 3, 6), &pa, NULL, &d), VMC_ERR_MISSING);
	CHECK_EQ(vmc_pt_translate(&pt, VA(1, 2, 5, 0), &pa, NULL, &d), VMC_ERR_MISSING); /* excluded table */
	pt.levels = 3;
	CHECK_EQ(vmc_pt_walk(&pt, 0, 0, add_leaf, &lv, NULL, &d), VMC_ERR_ARGS);
	vmc_physmem_fini(&pm);
	vmc_dump_close(dump);
}

TEST(pagewalk_loop_is_skipped_and_counted)
{
	struct vmc_dump *dump = pt_dump();
	struct vmc_physmem pm;
	struct vmc_pt pt = { .pm = &pm, .format = VMC_PT_X86_64, .levels = 4, .root = 0x1000 };
	struct vmc_pt_stats st = { 0 };
	struct leaves lv = { 0 };

	put_entry(3, 7, 0x2000 | 3); /* PD[7] -> the PDPT above it */
	put_entry(2, 9, 0x1000 | 3); /* PDPT[9] -> the root */
	REQUIRE(vmc_physmem_init(&pm, dump, &d) == VMC_OK);
	REQUIRE(vmc_pt_walk(&pt, 0, 1ull << 47, add_leaf, &lv, &st, &d) == VMC_OK);
	CHECK_EQ(lv.n, 4);
	CHECK_EQ(st.loops, 2);
	vmc_physmem_fini(&pm);
	vmc_dump_close(dump);
}

TEST(pagewalk_budget_gives_limit)
{
	struct vmc_dump *dump = pt_dump();
	struct vmc_physmem pm;
	struct vmc_pt pt = { .pm = &pm, .format = VMC_PT_X86_64, .levels = 4, .root = 0x1000, .max_leaves = 3 };
	struct leaves lv = { 0 };

	REQUIRE(vmc_physmem_init(&pm, dump, &d) == VMC_OK);
	CHECK_EQ(vmc_pt_walk(&pt, 0, 0, add_leaf, &lv, NULL, &d), VMC_ERR_LIMIT);
	CHECK_EQ(lv.n, 3);
	CHECK(strstr(d.msg, "maps more than 3 pages") != NULL);
	harness_note("%s", d.msg);
	pt.max_leaves = 8;
	lv = (struct leaves){ 0 };
	vmc_diag_init(&d);
	CHECK_EQ(vmc_pt_walk(&pt, 0, 0, add_leaf, &lv, NULL, &d), VMC_OK);
	CHECK_EQ(lv.n, 8);
	vmc_physmem_fini(&pm);
	vmc_dump_close(dump);
}

/* entry_ok sees every entry and may move a leaf */
static bool only_small(uint64_t entry, unsigned level, bool leaf, uint64_t *pa, void *arg)
{
	(void)arg;
	if (!(entry & 1) || (leaf && level > 1))
		return false;
	if (leaf)
		*pa += 0x100000;
	return true;
}

TEST(pagewalk_entry_ok_filters_leaves)
{
	struct vmc_dump *dump = pt_dump();
	struct vmc_physmem pm;
	struct vmc_pt pt = { .pm = &pm, .format = VMC_PT_X86_64, .levels = 4, .root = 0x1000, .entry_ok = only_small };
	struct leaves lv = { 0 };

	REQUIRE(vmc_physmem_init(&pm, dump, &d) == VMC_OK);
	REQUIRE(vmc_pt_walk(&pt, 0, 1ull << 47, add_leaf, &lv, NULL, &d) == VMC_OK);
	REQUIRE(lv.n == 2);
	CHECK_EQ(lv.l[0].pa, 0x105000);
	CHECK_EQ(lv.l[1].pa, 0x10a000);
	vmc_physmem_fini(&pm);
	vmc_dump_close(dump);
}
