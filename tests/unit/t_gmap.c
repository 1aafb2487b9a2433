/* t_gmap.c: a guest's frame map (guest/gmap.h): merging on append, finish's conflict rule
 * (the extent starting lower wins, then the one added first), lookup, seek and end. */
#include <string.h>

#include "gmap.h"
#include "harness.h"

static struct vmc_diag d;

/* gfn maps to an extent of this kind whose source at gfn is src, argument arg. */
static void ext_is(const struct vmc_gmap *m, uint64_t gfn, enum vmc_gmap_kind kind, uint64_t src, uint64_t arg)
{
	struct vmc_gmap_ext one;

	REQUIRE(vmc_gmap_lookup(m, gfn, &one));
	CHECK_EQ(one.kind, kind);
	CHECK_EQ(one.src, src);
	CHECK_EQ(one.arg, arg);
}

TEST(append_merges_continuing_extents)
{
	struct vmc_gmap m;

	vmc_gmap_init(&m, 4096);
	REQUIRE(vmc_gmap_add(&m, 0, 100, 4, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add(&m, 4, 104, 4, &d) == VMC_OK);  /* continues both: merged */
	REQUIRE(vmc_gmap_add(&m, 8, 200, 2, &d) == VMC_OK);  /* host frame jumps: new extent */
	REQUIRE(vmc_gmap_add_zero(&m, 10, 2, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add_zero(&m, 12, 3, &d) == VMC_OK); /* zero pages merge by pfn alone */
	REQUIRE(vmc_gmap_add(&m, 20, 0, 0, &d) == VMC_OK);   /* empty: ignored */
	CHECK_EQ(m.n, 3);
	CHECK_EQ(m.ext[0].count, 8);
	CHECK_EQ(m.ext[2].count, 5);
	CHECK(vmc_gmap_add(&m, UINT64_MAX - 1, 0, 4, &d) == VMC_ERR_CORRUPT);
	REQUIRE(vmc_gmap_finish(&m, &d) == VMC_OK);
	CHECK_EQ(m.npages, 15);
	CHECK_EQ(m.nconflicts, 0);
	CHECK_EQ(vmc_gmap_end(&m), 15);
	vmc_gmap_free(&m);
	CHECK(m.ext == NULL && m.n == 0 && m.page_size == 4096);
}

TEST(finish_sorts_and_resolves_conflicts)
{
	struct vmc_gmap m;
	struct vmc_gmap_ext one;

	vmc_gmap_init(&m, 4096);
	REQUIRE(vmc_gmap_add(&m, 10, 1000, 10, &d) == VMC_OK);     /* 10..20 */
	REQUIRE(vmc_gmap_add(&m, 10, 5000, 2, &d) == VMC_OK);      /* same start, added later: loses */
	REQUIRE(vmc_gmap_add(&m, 5, 2000, 7, &d) == VMC_OK);       /* 5..12: starts lower, wins 10..11 */
	REQUIRE(vmc_gmap_add_absent(&m, 30, 5, &d) == VMC_OK);
	REQUIRE(vmc_gmap_finish(&m, &d) == VMC_OK);
	CHECK(m.finished);
	/* 5..12 from 2000, 12..20 from 1002, 30..35 absent */
	REQUIRE(m.n == 3);
	CHECK_EQ(m.ext[0].pfn, 5);
	CHECK_EQ(m.ext[0].count, 7);
	CHECK_EQ(m.ext[1].pfn, 12);
	CHECK_EQ(m.ext[1].src, 1002);
	CHECK_EQ(m.ext[1].count, 8);
	CHECK_EQ(m.ext[2].kind, VMC_GMAP_ABSENT);
	CHECK_EQ(m.nconflicts, 2 + 2);
	CHECK_EQ(m.first_conflict_pfn, 10);
	CHECK_EQ(m.npages, 7 + 8 + 5);
	REQUIRE(vmc_gmap_lookup(&m, 11, &one));
	CHECK_EQ(one.src, 2006);
	CHECK_EQ(one.count, 1);
	REQUIRE(vmc_gmap_lookup(&m, 19, &one));
	CHECK_EQ(one.src, 1009);
	CHECK(!vmc_gmap_lookup(&m, 20, &one));
	CHECK(!vmc_gmap_lookup(&m, 4, &one));
	REQUIRE(vmc_gmap_lookup(&m, 34, &one));
	CHECK_EQ(one.kind, VMC_GMAP_ABSENT);
	CHECK_EQ(one.src, 0);
	CHECK_EQ(vmc_gmap_seek(&m, 0), 0);
	CHECK_EQ(vmc_gmap_seek(&m, 25), 2);
	CHECK_EQ(vmc_gmap_seek(&m, 35), 3);
	CHECK_EQ(vmc_gmap_end(&m), 35);
	vmc_gmap_free(&m);
}

TEST(synth_pages_are_copied)
{
	struct vmc_gmap m;
	uint8_t page[4096];
	struct vmc_gmap_ext one;

	vmc_gmap_init(&m, 4096);
	for (int i = 0; i < 40; i++) { /* past the first growth */
		memset(page, i, sizeof(page));
		REQUIRE(vmc_gmap_add_synth(&m, 100 + (uint64_t)i, page, &d) == VMC_OK);
	}
	memset(page, 0xff, sizeof(page));
	REQUIRE(vmc_gmap_finish(&m, &d) == VMC_OK);
	CHECK_EQ(m.n, 1); /* consecutive synthesised pages merge */
	REQUIRE(vmc_gmap_lookup(&m, 139, &one));
	CHECK_EQ(one.kind, VMC_GMAP_SYNTH);
	REQUIRE(vmc_gmap_synth_page(&m, one.src) != NULL);
	CHECK_EQ(vmc_gmap_synth_page(&m, one.src)[4095], 39);
	CHECK(vmc_gmap_synth_page(&m, 40) == NULL);
	vmc_gmap_free(&m);
}

TEST(gen_extents_merge_and_keep_their_index)
{
	struct vmc_gmap m;

	vmc_gmap_init(&m, 4096);
	REQUIRE(vmc_gmap_add_gen(&m, 1000, 0, 3, 0x80, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add_gen(&m, 1003, 3, 2, 0x80, &d) == VMC_OK); /* continues: merged */
	REQUIRE(vmc_gmap_add_gen(&m, 1005, 9, 1, 0x80, &d) == VMC_OK); /* index jumps: its own */
	REQUIRE(vmc_gmap_add_xform(&m, 1006, 10, 1, 0x80, &d) == VMC_OK); /* another kind */
	REQUIRE(vmc_gmap_finish(&m, &d) == VMC_OK);
	CHECK_EQ(m.n, 3);
	CHECK_EQ(m.npages, 7);
	ext_is(&m, 1004, VMC_GMAP_GEN, 4, 0x80);
	ext_is(&m, 1005, VMC_GMAP_GEN, 9, 0x80);
	CHECK(!vmc_gmap_kind_host(VMC_GMAP_GEN)); /* no host frame behind it */
	CHECK_EQ(m.nsynth, 0);                     /* nothing held */
	vmc_gmap_free(&m);
}

static int xform_frees;
static void count_free(void *ctx)
{
	(void)ctx;
	xform_frees++;
}

TEST(xform_extents_keep_arg_and_own_the_transform)
{
	struct vmc_gmap m;
	int ctx = 0;

	vmc_gmap_init(&m, 4096);
	REQUIRE(vmc_gmap_add_xform(&m, 0, 50, 1, 1, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add_xform(&m, 1, 51, 1, 1, &d) == VMC_OK); /* same arg, continues: merged */
	REQUIRE(vmc_gmap_add_xform(&m, 2, 52, 1, 2, &d) == VMC_OK); /* another arg: its own extent */
	REQUIRE(vmc_gmap_add(&m, 3, 53, 1, &d) == VMC_OK);          /* plain host frame: not merged */
	CHECK_EQ(m.n, 3);
	REQUIRE(vmc_gmap_add_xform(&m, 1, 900, 1, 3, &d) == VMC_OK); /* inside 0..1, which starts lower: loses */
	REQUIRE(vmc_gmap_add_xform(&m, 4, 60, 2, 2, &d) == VMC_OK);
	/* 3..4 loses 3 to the host frame added first; starting lower than 4..5, it wins 4 */
	REQUIRE(vmc_gmap_add_xform(&m, 3, 70, 2, 2, &d) == VMC_OK);
	REQUIRE(vmc_gmap_finish(&m, &d) == VMC_OK);
	CHECK_EQ(m.nconflicts, 1 + 1 + 1);
	ext_is(&m, 1, VMC_GMAP_XFORM, 51, 1);
	ext_is(&m, 2, VMC_GMAP_XFORM, 52, 2);
	ext_is(&m, 3, VMC_GMAP_HOST, 53, 0);
	ext_is(&m, 5, VMC_GMAP_XFORM, 61, 2); /* the cut extent's source moved with its start */
	CHECK(vmc_gmap_kind_host(VMC_GMAP_XFORM) && vmc_gmap_kind_host(VMC_GMAP_HOST));
	CHECK(!vmc_gmap_kind_host(VMC_GMAP_SYNTH) && !vmc_gmap_kind_host(VMC_GMAP_ZERO));
	xform_frees = 0;
	vmc_gmap_set_xform(&m, NULL, &ctx, count_free);
	vmc_gmap_set_xform(&m, NULL, &ctx, count_free); /* the same context again: not freed */
	CHECK_EQ(xform_frees, 0);
	vmc_gmap_free(&m);
	CHECK_EQ(xform_frees, 1);
	CHECK(m.xform_ctx == NULL);
}
