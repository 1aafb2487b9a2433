/* t_carve.c: the carving framework: guest frame maps, bounded page-table walks over a dump,
 * a guest presented as a dump (bitmaps, notes), and writing it through the pipeline. */
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "gmap.h"
#include "guest_dump.h"
#include "harness.h"
#include "notes.h"
#include "pagewalk.h"
#include "registry.h"
#include "testdump.h"

static struct vmc_diag d;

TEST(gmap_merge_and_lookup)
{
	struct vmc_gmap m;
	struct vmc_gmap_ext e;
	uint8_t page[4096];

	vmc_gmap_init(&m, 4096);
	vmc_diag_init(&d);
	REQUIRE(vmc_gmap_add(&m, 10, 100, 5, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add(&m, 15, 105, 5, &d) == VMC_OK); /* continues: merged */
	CHECK_EQ(m.n, 1);
	REQUIRE(vmc_gmap_add(&m, 0, 500, 2, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add_zero(&m, 30, 3, &d) == VMC_OK);
	memset(page, 0xab, sizeof(page));
	REQUIRE(vmc_gmap_add_synth(&m, 40, page, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add_absent(&m, 50, 10, &d) == VMC_OK);
	REQUIRE(vmc_gmap_finish(&m, &d) == VMC_OK);
	CHECK_EQ(m.npages, 10 + 2 + 3 + 1 + 10);
	CHECK_EQ(m.nconflicts, 0);
	CHECK_EQ(vmc_gmap_end(&m), 60);
	REQUIRE(vmc_gmap_lookup(&m, 17, &e));
	CHECK_EQ(e.kind, VMC_GMAP_HOST);
	CHECK_EQ(e.src, 107);
	REQUIRE(vmc_gmap_lookup(&m, 1, &e));
	CHECK_EQ(e.src, 501);
	CHECK(!vmc_gmap_lookup(&m, 2, &e));
	CHECK(!vmc_gmap_lookup(&m, 20, &e));
	REQUIRE(vmc_gmap_lookup(&m, 32, &e));
	CHECK_EQ(e.kind, VMC_GMAP_ZERO);
	REQUIRE(vmc_gmap_lookup(&m, 40, &e));
	CHECK_EQ(e.kind, VMC_GMAP_SYNTH);
	CHECK(vmc_gmap_synth_page(&m, e.src)[100] == 0xab);
	REQUIRE(vmc_gmap_lookup(&m, 59, &e));
	CHECK_EQ(e.kind, VMC_GMAP_ABSENT);
	CHECK(!vmc_gmap_lookup(&m, 60, &e));
	vmc_gmap_free(&m);
}

TEST(gmap_overlaps_counted_first_wins)
{
	struct vmc_gmap m;
	struct vmc_gmap_ext e;

	vmc_gmap_init(&m, 4096);
	vmc_diag_init(&d);
	REQUIRE(vmc_gmap_add(&m, 100, 1000, 10, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add(&m, 100, 2000, 1, &d) == VMC_OK);  /* same start: the first added wins */
	REQUIRE(vmc_gmap_add(&m, 105, 3000, 10, &d) == VMC_OK); /* overlaps 105..109 */
	REQUIRE(vmc_gmap_finish(&m, &d) == VMC_OK);
	CHECK_EQ(m.nconflicts, 1 + 5);
	CHECK_EQ(m.first_conflict_pfn, 100);
	CHECK_EQ(m.npages, 15);
	REQUIRE(vmc_gmap_lookup(&m, 100, &e));
	CHECK_EQ(e.src, 1000);
	REQUIRE(vmc_gmap_lookup(&m, 109, &e));
	CHECK_EQ(e.src, 1009);
	REQUIRE(vmc_gmap_lookup(&m, 110, &e));
	CHECK_EQ(e.src, 3005);
	REQUIRE(vmc_gmap_lookup(&m, 114, &e));
	CHECK_EQ(e.src, 3009);
	CHECK_EQ(vmc_gmap_seek(&m, 0), 0);
	CHECK_EQ(vmc_gmap_seek(&m, 1000), m.n);
	vmc_gmap_free(&m);
}

/* A 16 MiB host with page tables at 1 MiB: 8 small pages at va 0, a 2 MiB page at va 2 MiB,
 * a table outside RAM, a loop back to the root, and an aliasing subtree for the budget. */
#define ROOT 0x100000ull
static uint64_t l4[512], l3[512], l2[512], l1[512], l2alias[512];

static struct vmc_dump *pt_host(uint8_t **file)
{
	static const struct td_seg seg = { 0, 16 << 20, 16 << 20 };
	struct td_patch p[5] = {
		{ ROOT, l4, sizeof(l4) }, { ROOT + 0x1000, l3, sizeof(l3) }, { ROOT + 0x2000, l2, sizeof(l2) },
		{ ROOT + 0x3000, l1, sizeof(l1) }, { ROOT + 0x4000, l2alias, sizeof(l2alias) },
	};
	struct td_spec s = { .segs = &seg, .nsegs = 1, .seed = 7, .patches = p, .npatches = 5 };
	struct vmc_bytesrc *src;
	struct vmc_dump *dump = NULL;
	size_t len;

	memset(l4, 0, sizeof(l4));
	memset(l3, 0, sizeof(l3));
	memset(l2, 0, sizeof(l2));
	memset(l1, 0, sizeof(l1));
	l4[0] = (ROOT + 0x1000) | 3;
	l3[0] = (ROOT + 0x2000) | 3;
	l3[5] = ROOT | 3;                   /* loop: back to the root */
	l3[6] = (ROOT + 0x4000) | 3;        /* 512 entries all pointing at one L1 */
	l2[0] = (ROOT + 0x3000) | 3;
	l2[1] = 0x400000 | 0x83;            /* 2 MiB page */
	l2[2] = 0x40000000ull | 3;          /* a table outside RAM */
	for (int i = 0; i < 8; i++)
		l1[i] = (0x200000ull + i * 0x1000) | 3;
	l1[9] = 0x300000;                   /* not present */
	for (int i = 0; i < 512; i++)
		l2alias[i] = (ROOT + 0x3000) | 3;
	vmc_diag_init(&d);
	*file = td_build_elf(&s, &len);
	if (!*file || vmc_bytesrc_new_mem("host", *file, len, &src, &d))
		return NULL;
	if (vmc_dump_open_srcs(&src, 1, &dump, &d)) {
		vmc_bytesrc_free(src);
		return NULL;
	}
	return dump;
}

struct leaves {
	uint64_t n, bytes, first_va, last_pa;
};

static enum vmc_status count_leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct leaves *l = arg;
	(void)entry;
	if (!l->n)
		l->first_va = va;
	l->n++;
	l->bytes += size;
	l->last_pa = pa;
	return VMC_OK;
}

TEST(pagewalk_translate_walk_loops_budget)
{
	uint8_t *file = NULL;
	struct vmc_dump *host = pt_host(&file);
	struct vmc_physmem pm;
	struct vmc_pt pt = { .pm = &pm, .format = VMC_PT_X86_64, .levels = 4, .root = ROOT };
	struct vmc_pt_stats st = { 0 };
	struct leaves lv = { 0 };
	uint64_t pa, size;

	REQUIRE(host != NULL);
	REQUIRE(vmc_physmem_init(&pm, host, &d) == VMC_OK);
	REQUIRE(vmc_pt_translate(&pt, 0x3123, &pa, &size, &d) == VMC_OK);
	CHECK_EQ(pa, 0x203123);
	CHECK_EQ(size, 4096);
	REQUIRE(vmc_pt_translate(&pt, 0x201234, &pa, &size, &d) == VMC_OK);
	CHECK_EQ(pa, 0x401234);
	CHECK_EQ(size, 2 << 20);
	CHECK_EQ(vmc_pt_translate(&pt, 0x9000, &pa, NULL, &d), VMC_ERR_MISSING);
	CHECK_EQ(vmc_pt_translate(&pt, 0x400000, &pa, NULL, &d), VMC_ERR_MISSING); /* table not in RAM */
	/* the first GiB: 8 + one 2M leaf, one absent table; the loop lies outside it */
	REQUIRE(vmc_pt_walk(&pt, 0, 1ull << 30, count_leaf, &lv, &st, &d) == VMC_OK);
	CHECK_EQ(lv.n, 9);
	CHECK_EQ(lv.bytes, 8 * 4096 + (2 << 20));
	CHECK_EQ(lv.first_va, 0);
	CHECK_EQ(lv.last_pa, 0x400000);
	CHECK_EQ(st.tables_absent, 1);
	CHECK_EQ(st.first_bad_table, 0x40000000);
	CHECK_EQ(st.loops, 0);
	/* GiB 5 points back at the root: skipped and counted, not followed */
	memset(&st, 0, sizeof(st));
	lv = (struct leaves){ 0 };
	REQUIRE(vmc_pt_walk(&pt, 5ull << 30, 6ull << 30, count_leaf, &lv, &st, &d) == VMC_OK);
	CHECK_EQ(st.loops, 1);
	CHECK_EQ(lv.n, 0);
	/* GiB 6 aliases one L1 512 times: 4096 leaves; a budget of 1000 stops the walk */
	lv = (struct leaves){ 0 };
	REQUIRE(vmc_pt_walk(&pt, 6ull << 30, 7ull << 30, count_leaf, &lv, NULL, &d) == VMC_OK);
	CHECK_EQ(lv.n, 4096);
	pt.max_leaves = 1000;
	CHECK_EQ(vmc_pt_walk(&pt, 6ull << 30, 7ull << 30, count_leaf, &lv, NULL, &d), VMC_ERR_LIMIT);
	CHECK(strstr(d.msg, "more than 1000") != NULL);
	/* EPT format: present means any of bits 2:0 */
	pt.max_leaves = 0;
	pt.format = VMC_PT_EPT;
	REQUIRE(vmc_pt_translate(&pt, 0x3123, &pa, NULL, &d) == VMC_OK);
	CHECK_EQ(pa, 0x203123);
	vmc_physmem_fini(&pm);
	vmc_dump_close(host);
	free(file);
}

/* Test transform: XOR every byte with arg, and check it is given the host frame. */
static enum vmc_status xor_page(const void *ctx, uint64_t src, unsigned arg, void *page, struct vmc_diag *dg)
{
	uint8_t *p = page;

	if (src != *(const uint64_t *)ctx)
		return vmc_fail(dg, VMC_ERR_CORRUPT, "transform given host frame 0x%llx", (unsigned long long)src);
	for (size_t i = 0; i < 4096; i++)
		p[i] ^= (uint8_t)arg;
	return VMC_OK;
}

/* A frame mapped as XFORM reads as the host frame through the map's transform; without one it
 * is an error, not the untransformed bytes. */
TEST(guest_dump_reads_xform_through_the_transform)
{
	uint8_t *file = NULL, buf[4096], exp[4096], scratch[64];
	struct vmc_dump *host = pt_host(&file), *gd = NULL;
	struct vmc_guest g;
	uint64_t want_src = 0x2ff;

	REQUIRE(host != NULL);
	memset(&g, 0, sizeof(g));
	vmc_gmap_init(&g.map, 4096);
	strcpy(g.id, "8");
	REQUIRE(vmc_gmap_add(&g.map, 0, 0x300, 1, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add_xform(&g.map, 1, 0x2ff, 1, 0xa5, &d) == VMC_OK);
	g.no_vcpu_notes = true;
	REQUIRE(vmc_guest_dump_open(host, &g, &gd, &d) == VMC_OK);
	CHECK_EQ(vmc_bitmap_count(&gd->stored), 2);
	CHECK(gd->ops->read_page(gd, 1, buf, scratch, &d) != VMC_OK); /* no transform set */
	vmc_gmap_set_xform(&g.map, xor_page, &want_src, NULL);
	REQUIRE(gd->ops->read_page(gd, 1, buf, scratch, &d) == VMC_OK);
	td_fill(7, 0x2ff000, exp, sizeof(exp));
	for (size_t i = 0; i < sizeof(exp); i++)
		exp[i] ^= 0xa5;
	CHECK(memcmp(buf, exp, 4096) == 0);
	REQUIRE(gd->ops->read_page(gd, 0, buf, scratch, &d) == VMC_OK); /* plain host frames as they are */
	td_fill(7, 0x300000, exp, sizeof(exp));
	CHECK(memcmp(buf, exp, 4096) == 0);
	vmc_dump_close(gd);
	vmc_gmap_free(&g.map);
	vmc_dump_close(host);
	free(file);
}

/* A guest of 4 frames: two host frames (reversed), a zero page, a synthesised page, plus two
 * absent frames; its dump view and a kdump written from it. */
TEST(guest_dump_view_and_write)
{
	uint8_t *file = NULL, synth[4096], buf[4096], exp[4096], scratch[64];
	struct vmc_dump *host = pt_host(&file), *gd = NULL, *back = NULL;
	struct vmc_guest g;
	struct vmc_vcpu *v;
	struct vmc_note n;
	size_t pos = 0;
	unsigned ncore = 0, nqemu = 0;
	struct vmc_bytesink *sink = NULL;
	struct vmc_bytesrc *src = NULL;
	struct vmc_convert_opts opts = { 0 };
	struct vmc_writer_stats stats;
	const uint8_t *out;
	size_t outlen;

	REQUIRE(host != NULL);
	memset(&g, 0, sizeof(g));
	vmc_gmap_init(&g.map, 4096);
	strcpy(g.id, "7");
	REQUIRE(vmc_gmap_add(&g.map, 0, 0x300, 1, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add(&g.map, 1, 0x2ff, 1, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add_zero(&g.map, 2, 1, &d) == VMC_OK);
	memset(synth, 0x5a, sizeof(synth));
	REQUIRE(vmc_gmap_add_synth(&g.map, 3, synth, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add_absent(&g.map, 4, 2, &d) == VMC_OK);
	REQUIRE(vmc_gmap_add(&g.map, 6, 0x10000, 1, &d) == VMC_OK); /* host frame outside host RAM */
	REQUIRE((v = vmc_guest_add_vcpu(&g, 0)) != NULL);
	v->rip = 0xffffffff81000000ull;
	v->rsp = 0xffffc90000001000ull;
	v->sregs_valid = true;
	v->cr[3] = 0x1234000;
	v->idt.base = 0xfffffe0000000000ull;
	REQUIRE((v = vmc_guest_add_vcpu(&g, 1)) != NULL);
	v->rip = 0x1111;
	REQUIRE(vmc_guest_add_note(&g, "VMCOREINFO", 0, "OSRELEASE=x\n", 12, &d) == VMC_OK);
	REQUIRE(vmc_guest_dump_open(host, &g, &gd, &d) == VMC_OK);
	CHECK_EQ(gd->max_pfn, 7);
	CHECK_EQ(vmc_bitmap_count(&gd->ram), 7);
	CHECK_EQ(vmc_bitmap_count(&gd->stored), 4); /* absent and outside-host-RAM frames are not */
	REQUIRE(gd->ops->read_page(gd, 1, buf, scratch, &d) == VMC_OK);
	td_fill(7, 0x2ff000, exp, sizeof(exp));
	CHECK(memcmp(buf, exp, 4096) == 0);
	REQUIRE(gd->ops->read_page(gd, 3, buf, scratch, &d) == VMC_OK);
	CHECK(buf[4095] == 0x5a);
	/* notes: CORE, CORE, QEMU (only vCPU 0 has sregs), VMCOREINFO */
	while (vmc_note_next(gd->notes, gd->notes_len, &pos, &n) == VMC_OK) {
		if (vmc_note_is(&n, "CORE")) {
			uint64_t rip;
			uint32_t pid;
			CHECK_EQ(n.desc_len, 336);
			memcpy(&rip, n.desc + 112 + 16 * 8, 8);
			memcpy(&pid, n.desc + 32, 4);
			CHECK_EQ(rip, ncore ? 0x1111 : 0xffffffff81000000ull);
			CHECK_EQ(pid, ncore + 1);
			CHECK_EQ(nqemu, 0); /* every CORE before any QEMU */
			ncore++;
		} else if (vmc_note_is(&n, "QEMU")) {
			uint64_t cr3, idt;
			CHECK_EQ(n.desc_len, 440);
			memcpy(&cr3, n.desc + 8 + 18 * 8 + 10 * 24 + 3 * 8, 8);
			memcpy(&idt, n.desc + 8 + 18 * 8 + 9 * 24 + 16, 8);
			CHECK_EQ(cr3, 0x1234000);
			CHECK_EQ(idt, 0xfffffe0000000000ull);
			nqemu++;
		} else
			CHECK(vmc_note_is(&n, "VMCOREINFO"));
	}
	CHECK_EQ(ncore, 2);
	CHECK_EQ(nqemu, 1);
	/* write it as kdump and read it back */
	opts.writer = vmc_registry_writer("kdump");
	opts.wopts.codec = VMC_CODEC_ZLIB;
	opts.wopts.threads = 2;
	opts.wopts.dedup = true;
	REQUIRE(vmc_bytesink_new_mem(&sink, &d) == VMC_OK);
	REQUIRE(vmc_convert(gd, sink, &opts, &stats, &d) == VMC_OK);
	CHECK_EQ(stats.pages, 4);
	out = vmc_bytesink_mem_data(sink, &outlen);
	REQUIRE(vmc_bytesrc_new_mem("guest.kdump", out, outlen, &src, &d) == VMC_OK);
	REQUIRE(vmc_dump_open_srcs(&src, 1, &back, &d) == VMC_OK);
	CHECK_EQ(vmc_bitmap_count(&back->stored), 4);
	CHECK_EQ(vmc_bitmap_count(&back->ram), 7);
	{
		void *sc = malloc(back->scratch_size + 1);
		REQUIRE(sc != NULL);
		CHECK(vmc_dump_read_page(back, 0, buf, sc, &d) == VMC_OK);
		td_fill(7, 0x300000, exp, sizeof(exp));
		CHECK(memcmp(buf, exp, 4096) == 0);
		CHECK(vmc_dump_read_page(back, 3, buf, sc, &d) == VMC_OK);
		CHECK(buf[0] == 0x5a);
		free(sc);
	}
	vmc_dump_close(back);
	vmc_bytesink_free(sink);
	vmc_dump_close(gd);
	vmc_gmap_free(&g.map);
	free(g.vcpus);
	free(g.notes);
	vmc_dump_close(host);
	free(file);
}
