/* t_roundtrip.c: whole-pipeline tests in memory: hand-built ELF vmcores are opened with
 * vmc_dump_open_srcs, converted by vmc_convert into memory sinks (kdump with every codec,
 * ELF, flattened, split sets made from the kdump output), reopened, and compared page by
 * page with the ground truth of testdump.c. */
#include <elf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "convert.h"
#include "harness.h"
#include "kdump_layout.h"
#include "notes.h"
#include "registry.h"
#include "testdump.h"
#include "flat.h"

/* inline: for XXH3_kSecret, to build a collision */
#define XXH_INLINE_ALL
#include <xxhash.h>

static struct vmc_diag d;

#define P4K 4096ull
static const char vmci_std[] = "OSRELEASE=5.10.0-test\nPAGESIZE=4096\nNUMBER(phys_base)=16777216\nKERNELOFFSET=0\n";
static const struct td_seg segs_a[] = {
	{ 0, 32 * P4K, 32 * P4K },                    /* frames 0-31 */
	{ 0x100000, 40 * P4K, 30 * P4K },             /* frames 256-295, 286-295 RAM but not stored */
	{ 1000 * P4K, 10 * P4K, 10 * P4K },           /* frames 1000-1009 */
	{ 0x500800, 0x1800, 0x1000 },                 /* starts mid-frame: 0x500-0x501 stored */
};
static const struct td_spec spec_a = { .segs = segs_a, .nsegs = 4, .vmcoreinfo = vmci_std, .nprstatus = 2, .seed = 1 };
static const struct td_seg segs_b[] = { { 0, 1200 * P4K, 1200 * P4K }, { 0x1000000, 500 * P4K, 500 * P4K } };
static const struct td_spec spec_b = { .segs = segs_b, .nsegs = 2, .vmcoreinfo = vmci_std, .nprstatus = 1, .seed = 2 };

struct buf {
	uint8_t *p;
	size_t len;
};

static struct vmc_dump *open_bufs(const struct buf *b, unsigned n)
{
	struct vmc_bytesrc *srcs[4];
	struct vmc_dump *dump = NULL;

	vmc_diag_init(&d);
	for (unsigned i = 0; i < n; i++)
		if (vmc_bytesrc_new_mem(i ? "part" : "mem", b[i].p, b[i].len, &srcs[i], &d))
			return NULL;
	if (vmc_dump_open_srcs(srcs, n, &dump, &d)) {
		harness_note("open: %s", d.msg);
		for (unsigned i = 0; i < n; i++)
			vmc_bytesrc_free(srcs[i]);
		return NULL;
	}
	return dump;
}

static struct vmc_dump *open_buf(struct buf b)
{
	return open_bufs(&b, 1);
}

struct conv {
	const struct vmc_writer_ops *writer;
	enum vmc_codec_id codec;
	unsigned threads;
	bool dedup, partial, flat;
};

static enum vmc_status convert(struct vmc_dump *dump, const struct conv *c, struct buf *out,
			       struct vmc_writer_stats *st)
{
	struct vmc_bytesink *mem, *sink;
	struct vmc_convert_opts o = { .writer = c->writer ? c->writer : &vmc_writer_kdump,
				      .wopts = { .codec = c->codec, .threads = c->threads, .dedup = c->dedup },
				      .partial = c->partial };
	struct vmc_writer_stats dummy;
	enum vmc_status rc;
	const uint8_t *data;

	vmc_diag_init(&d);
	out->p = NULL;
	out->len = 0;
	if (vmc_bytesink_new_mem(&mem, &d))
		return VMC_ERR_NOMEM;
	sink = mem;
	if (c->flat && vmc_bytesink_new_flat(mem, &sink, &d)) {
		vmc_bytesink_free(mem);
		return VMC_ERR_NOMEM;
	}
	rc = vmc_convert(dump, sink, &o, st ? st : &dummy, &d);
	if (rc == VMC_OK) {
		data = vmc_bytesink_mem_data(mem, &out->len);
		out->p = malloc(out->len ? out->len : 1);
		memcpy(out->p, data, out->len);
	} else {
		harness_note("convert: %s", d.msg);
	}
	vmc_bytesink_free(sink);
	return rc;
}

static bool bitmaps_equal(const struct vmc_bitmap *a, const struct vmc_bitmap *b)
{
	if (a->nbits != b->nbits)
		return false;
	for (uint64_t i = 0; i < a->nbits; i++)
		if (vmc_bitmap_test(a, i) != vmc_bitmap_test(b, i)) {
			harness_note("bit 0x%llx differs", (unsigned long long)i);
			return false;
		}
	return true;
}

/* Every frame of the dump against the spec: stored exactly where the spec stores bytes,
 * RAM where it has memory, and the bytes equal. `missing` frames may be absent. */
static void check_against_spec(struct vmc_dump *dump, const struct td_spec *s)
{
	uint32_t ps = dump->page_size;
	uint8_t *want = malloc(ps), *got = malloc(ps), *scratch = malloc(dump->scratch_size + 1);
	uint64_t max = 0, bad = 0;

	for (unsigned i = 0; i < s->nsegs; i++)
		if ((s->segs[i].paddr + s->segs[i].memsz + ps - 1) / ps > max)
			max = (s->segs[i].paddr + s->segs[i].memsz + ps - 1) / ps;
	CHECK_EQ(dump->max_pfn, max);
	for (uint64_t pfn = 0; pfn < dump->max_pfn && bad < 5; pfn++) {
		bool stored = td_expected_page(s, pfn, ps, want), ram = false;
		for (unsigned i = 0; i < s->nsegs; i++)
			if (pfn * ps < s->segs[i].paddr + s->segs[i].memsz && (pfn + 1) * ps > s->segs[i].paddr)
				ram = true;
		if (vmc_bitmap_live(&dump->missing) && vmc_bitmap_test(&dump->missing, pfn)) {
			CHECK(!vmc_bitmap_test(&dump->stored, pfn));
			CHECK_EQ(vmc_dump_read_page(dump, pfn, got, scratch, &d), VMC_ERR_MISSING);
			continue;
		}
		if (vmc_bitmap_test(&dump->ram, pfn) != ram || vmc_bitmap_test(&dump->stored, pfn) != stored) {
			harness_note("frame 0x%llx: ram %d stored %d, expected %d %d", (unsigned long long)pfn,
				     vmc_bitmap_test(&dump->ram, pfn), vmc_bitmap_test(&dump->stored, pfn), ram, stored);
			CHECK(0);
			bad++;
			continue;
		}
		if (!stored) {
			CHECK_EQ(vmc_dump_read_page(dump, pfn, got, scratch, &d), VMC_ERR_MISSING);
			continue;
		}
		memset(got, 0xcc, ps);
		vmc_diag_init(&d);
		if (vmc_dump_read_page(dump, pfn, got, scratch, &d) != VMC_OK || memcmp(got, want, ps)) {
			harness_note("frame 0x%llx differs (%s)", (unsigned long long)pfn, d.msg);
			CHECK(0);
			bad++;
		}
	}
	free(want);
	free(got);
	free(scratch);
}

/* Two dumps hold the same frames with the same bytes. */
static void check_same_pages(struct vmc_dump *a, struct vmc_dump *b)
{
	uint8_t *pa, *pb, *sa, *sb;

	REQUIRE(a->page_size == b->page_size);
	CHECK_EQ(a->max_pfn, b->max_pfn);
	CHECK(bitmaps_equal(&a->stored, &b->stored));
	CHECK(bitmaps_equal(&a->ram, &b->ram));
	pa = malloc(a->page_size), pb = malloc(a->page_size);
	sa = malloc(a->scratch_size + 1), sb = malloc(b->scratch_size + 1);
	for (uint64_t pfn = vmc_bitmap_next_set(&a->stored, 0); pfn < a->max_pfn; pfn = vmc_bitmap_next_set(&a->stored, pfn + 1)) {
		vmc_diag_init(&d);
		if (vmc_dump_read_page(a, pfn, pa, sa, &d) || vmc_dump_read_page(b, pfn, pb, sb, &d) ||
		    memcmp(pa, pb, a->page_size)) {
			harness_note("frame 0x%llx differs (%s)", (unsigned long long)pfn, d.msg);
			CHECK(0);
			break;
		}
	}
	free(pa);
	free(pb);
	free(sa);
	free(sb);
}

static void check_same_meta(struct vmc_dump *a, struct vmc_dump *b)
{
	CHECK_EQ(a->notes_len, b->notes_len);
	CHECK(a->notes_len == b->notes_len && (!a->notes_len || memcmp(a->notes, b->notes, a->notes_len) == 0));
	CHECK_EQ(a->has_phys_base, b->has_phys_base);
	CHECK_EQ(a->phys_base, b->phys_base);
	CHECK(strcmp(a->uts.release, b->uts.release) == 0);
	CHECK_EQ(a->e_machine, b->e_machine);
}

static struct buf build(const struct td_spec *s)
{
	struct buf b;
	b.p = td_build_elf(s, &b.len);
	return b;
}

TEST(elf_opens_and_reads_every_page)
{
	struct buf e = build(&spec_a);
	struct vmc_dump *dump = open_buf(e);
	struct vmc_note n;

	REQUIRE(dump);
	CHECK(strcmp(dump->format, "elf64") == 0);
	CHECK_EQ(dump->page_size, 4096);
	CHECK_EQ(dump->page_shift, 12);
	CHECK_EQ(dump->e_machine, EM_X86_64);
	CHECK(dump->has_phys_base && dump->phys_base == 16777216);
	CHECK(strcmp(dump->uts.release, "5.10.0-test") == 0);
	CHECK(vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &n));
	CHECK_EQ(vmc_notes_count(dump->notes, dump->notes_len, "CORE", VMC_NT_PRSTATUS), 2);
	CHECK_EQ(dump->nmissing, 0);
	CHECK(!dump->incomplete_flag);
	CHECK_EQ(vmc_bitmap_count(&dump->stored), 32 + 30 + 10 + 2);
	CHECK_EQ(vmc_bitmap_count(&dump->ram), 32 + 40 + 10 + 2);
	check_against_spec(dump, &spec_a);
	vmc_dump_close(dump);
	free(e.p);
}

TEST(elf32_and_pnxnum_open)
{
	static const struct td_seg segs[] = { { 0, 8 * P4K, 8 * P4K }, { 0x20000, 4 * P4K, 2 * P4K } };
	struct td_spec s32 = { .elfclass = 32, .machine = EM_386, .segs = segs, .nsegs = 2, .vmcoreinfo = vmci_std, .seed = 3 };
	struct td_spec sx = { .segs = segs, .nsegs = 2, .vmcoreinfo = vmci_std, .seed = 4, .pnxnum = true };
	struct buf e32 = build(&s32), ex = build(&sx);
	struct vmc_dump *dump;

	REQUIRE((dump = open_buf(e32)));
	CHECK(strcmp(dump->format, "elf32") == 0);
	CHECK_EQ(dump->e_machine, EM_386);
	check_against_spec(dump, &s32);
	vmc_dump_close(dump);
	REQUIRE((dump = open_buf(ex)));
	check_against_spec(dump, &sx);
	vmc_dump_close(dump);
	free(e32.p);
	free(ex.p);
}

TEST(ktext_segment_recognised_and_kept)
{
	static const struct td_seg segs[] = { { 0x2000000, 16 * P4K, 16 * P4K } };
	struct td_spec s = { .segs = segs, .nsegs = 1, .vmcoreinfo = "OSRELEASE=6.1\n", .seed = 5, .ktext = true };
	struct buf e = build(&s), out;
	struct vmc_dump *dump, *back;

	REQUIRE((dump = open_buf(e)));
	CHECK(dump->has_ktext);
	CHECK_EQ(dump->ktext.vaddr, 0xffffffff81000000ull);
	CHECK_EQ(dump->ktext.paddr, 0x2000000);
	/* no NUMBER(phys_base): derived from the kernel-text mapping */
	CHECK(dump->has_phys_base && dump->phys_base == 0x2000000 - 0x1000000);
	check_against_spec(dump, &s);
	REQUIRE(convert(dump, &(struct conv){ .writer = &vmc_writer_elf }, &out, NULL) == VMC_OK);
	REQUIRE((back = open_buf(out)));
	CHECK(back->has_ktext && back->ktext.vaddr == dump->ktext.vaddr && back->ktext.paddr == dump->ktext.paddr &&
	      back->ktext.size == dump->ktext.size);
	check_same_pages(dump, back);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(out.p);
	free(e.p);
}

TEST(kdump_round_trip_every_codec)
{
	struct buf e = build(&spec_a);
	struct vmc_dump *dump = open_buf(e);

	REQUIRE(dump);
	for (int c = 0; c < VMC_CODEC_COUNT; c++) {
		for (int dd = 0; dd < 2; dd++) {
			struct buf out;
			struct vmc_writer_stats st;
			struct vmc_dump *back;
			harness_note("codec %s dedup %d", vmc_codec_get(c)->name, dd);
			REQUIRE(convert(dump, &(struct conv){ .codec = c, .threads = 1, .dedup = dd }, &out, &st) == VMC_OK);
			CHECK_EQ(st.pages, vmc_bitmap_count(&dump->stored));
			CHECK_EQ(st.missing_pages, 0);
			REQUIRE((back = open_buf(out)));
			CHECK(strcmp(back->format, "kdump") == 0);
			CHECK_EQ(back->page_size, 4096);
			CHECK(!back->incomplete_flag && back->nmissing == 0);
			CHECK_EQ(back->codecs & ~vmc_codec_get(c)->kdump_flag, 0);
			if (c)
				CHECK(back->codecs & vmc_codec_get(c)->kdump_flag);
			check_same_meta(dump, back);
			check_against_spec(back, &spec_a);
			vmc_dump_close(back);
			free(out.p);
		}
	}
	vmc_dump_close(dump);
	free(e.p);
}

TEST(threads_1_vs_3_byte_identical)
{
	struct buf e = build(&spec_b);
	struct vmc_dump *dump = open_buf(e);

	REQUIRE(dump);
	for (int c = 0; c < VMC_CODEC_COUNT; c++) {
		for (int dd = 0; dd < 2; dd++) {
			struct buf o1, o3, o2;
			REQUIRE(convert(dump, &(struct conv){ .codec = c, .threads = 1, .dedup = dd }, &o1, NULL) == VMC_OK);
			REQUIRE(convert(dump, &(struct conv){ .codec = c, .threads = 3, .dedup = dd }, &o3, NULL) == VMC_OK);
			REQUIRE(convert(dump, &(struct conv){ .codec = c, .threads = 2, .dedup = dd }, &o2, NULL) == VMC_OK);
			if (o1.len != o3.len || memcmp(o1.p, o3.p, o1.len) || o1.len != o2.len || memcmp(o1.p, o2.p, o1.len)) {
				harness_note("codec %s dedup %d: outputs differ (%zu, %zu, %zu bytes)", vmc_codec_get(c)->name, dd,
					     o1.len, o2.len, o3.len);
				CHECK(0);
			}
			if (c == VMC_CODEC_ZSTD && dd) {
				struct vmc_dump *back = open_buf(o3);
				REQUIRE(back);
				check_against_spec(back, &spec_b);
				vmc_dump_close(back);
			}
			free(o1.p);
			free(o2.p);
			free(o3.p);
		}
	}
	vmc_dump_close(dump);
	free(e.p);
}

TEST(dedup_on_and_off_read_back_equal)
{
	struct buf e = build(&spec_b), on, off;
	struct vmc_dump *dump = open_buf(e), *bon = NULL, *boff = NULL;
	struct vmc_writer_stats son, soff;

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 2, .dedup = true }, &on, &son) == VMC_OK);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 2, .dedup = false }, &off, &soff) == VMC_OK);
	CHECK(son.dedup_pages > 0);
	CHECK(son.zero_pages > 0);
	CHECK_EQ(soff.dedup_pages, 0);
	CHECK_EQ(soff.zero_pages, 0);
	CHECK_EQ(son.pages, soff.pages);
	CHECK(on.len < off.len);
	REQUIRE((bon = open_buf(on)) && (boff = open_buf(off)));
	check_same_pages(bon, boff);
	check_same_meta(bon, boff);
	check_against_spec(bon, &spec_b);
	vmc_dump_close(bon);
	vmc_dump_close(boff);
	vmc_dump_close(dump);
	free(on.p);
	free(off.p);
	free(e.p);
}

/* Two different pages with the same XXH3-64: XXH3 adds each 8-byte word of a stripe to the
 * neighbouring lane as it is, and multiplies the two halves of (word ^ secret) into its own
 * lane; with the low half of (word ^ secret) zero that product is 0 whatever the high half,
 * so moving 2^32 from the first word of stripe 0 to the first word of stripe 1 keeps the
 * hash. The writer must then store both (the dedup byte check), even where it skipped
 * compressing the second one as a likely duplicate. */
static uint8_t coll_x[4096], coll_y[4096];

static void make_collision(void)
{
	uint64_t seed = 99, s0, s1, w0, w1;

	for (size_t i = 0; i < sizeof(coll_x); i += 8) {
		uint64_t v = td_rand(&seed);
		memcpy(coll_x + i, &v, 8);
	}
	memcpy(&s0, XXH3_kSecret, 8);
	memcpy(&s1, XXH3_kSecret + 8, 8);
	w0 = (td_rand(&seed) << 32) | (s0 & 0xffffffffu);
	w1 = (td_rand(&seed) << 32) | (s1 & 0xffffffffu);
	memcpy(coll_x, &w0, 8);
	memcpy(coll_x + 64, &w1, 8);
	memcpy(coll_y, coll_x, sizeof(coll_y));
	w0 += 1ull << 32;
	w1 -= 1ull << 32;
	memcpy(coll_y, &w0, 8);
	memcpy(coll_y + 64, &w1, 8);
}

/* dump converted with dedup at 1 thread: the duplicates and pages counted as given, more than
 * min_len bytes, every page read back as the spec wrote it; and at 3 threads the same bytes. */
static void dedup_twice(struct vmc_dump *dump, const struct td_spec *spec, enum vmc_codec_id c, uint64_t dedup_pages,
			uint64_t pages, size_t min_len)
{
	struct buf o1, o3;
	struct vmc_dump *back;
	struct vmc_writer_stats st;

	REQUIRE(convert(dump, &(struct conv){ .codec = c, .threads = 1, .dedup = true }, &o1, &st) == VMC_OK);
	CHECK(o1.len > min_len);
	CHECK_EQ(st.dedup_pages, dedup_pages);
	CHECK_EQ(st.pages, pages);
	REQUIRE((back = open_buf(o1)));
	check_against_spec(back, spec);
	vmc_dump_close(back);
	REQUIRE(convert(dump, &(struct conv){ .codec = c, .threads = 3, .dedup = true }, &o3, NULL) == VMC_OK);
	CHECK(o1.len == o3.len && memcmp(o1.p, o3.p, o1.len) == 0);
	free(o1.p);
	free(o3.p);
}

TEST(dedup_keeps_pages_whose_hashes_collide)
{
	/* frames: x x y y x y x; the dedup table holds the last stored page of a hash */
	static const struct td_seg seg[] = { { 0, 7 * P4K, 7 * P4K } };
	struct td_patch patch[7];
	struct td_spec spec = { .segs = seg, .nsegs = 1, .vmcoreinfo = vmci_std, .nprstatus = 1, .seed = 5,
				.patches = patch, .npatches = 7 };
	struct buf e;
	struct vmc_dump *dump;

	make_collision();
	REQUIRE(memcmp(coll_x, coll_y, sizeof(coll_x)) != 0);
	REQUIRE(XXH3_64bits(coll_x, sizeof(coll_x)) == XXH3_64bits(coll_y, sizeof(coll_y)));
	for (unsigned i = 0; i < 7; i++)
		patch[i] = (struct td_patch){ i * P4K, (0x2cu >> i) & 1 ? coll_y : coll_x, P4K };
	e = build(&spec);
	REQUIRE((dump = open_buf(e)));
	for (enum vmc_codec_id c = VMC_CODEC_ZLIB; c < VMC_CODEC_COUNT; c++) {
		harness_note("codec %s", vmc_codec_get(c)->name);
		/* x at 1 refers to 0, y at 3 to 2; 4-6 each follow a stored page of the other kind */
		dedup_twice(dump, &spec, c, 2, 7, 0);
	}
	vmc_dump_close(dump);
	free(e.p);
}

/* Read-backs past the 4 MiB data buffer go through the writer's window, which reads ahead while
 * they go in order: a run of pages stored twice, the second copy with two pages swapped (the
 * window starts afresh) and one page changed (no duplicate). Raw and compressible pages mixed,
 * so stored sizes vary and the window's edges fall inside pages. Every duplicate must be found
 * and every page read back as written, at 1 and 3 threads alike. */
TEST(dedup_reads_back_in_order_past_the_data_buffer)
{
	enum { N = 2000, BITS = 18 };
	static const enum vmc_codec_id codecs[] = { VMC_CODEC_LZO, VMC_CODEC_ZSTD };
	static const struct td_seg seg[] = { { 0, 2 * N * P4K, 2 * N * P4K } };
	uint8_t *a = malloc((size_t)N * P4K), *b = malloc((size_t)N * P4K);
	struct td_patch patch[2] = { { 0, a, (size_t)N * P4K }, { (uint64_t)N * P4K, b, (size_t)N * P4K } };
	struct td_spec spec = { .segs = seg, .nsegs = 1, .vmcoreinfo = vmci_std, .nprstatus = 1, .seed = 11,
				.patches = patch, .npatches = 2 };
	uint64_t seed = 17, *slot = calloc((size_t)1 << BITS, sizeof(*slot)), want = 0;
	struct buf e;
	struct vmc_dump *dump;

	REQUIRE(a && b && slot);
	for (size_t i = 0; i < (size_t)N * P4K; i += 8) {
		/* every third page half zero: it compresses; the rest random: stored raw */
		uint64_t v = (i / P4K) % 3 == 0 && i % P4K >= P4K / 2 ? 0 : td_rand(&seed);
		memcpy(a + i, &v, 8);
	}
	memcpy(b, a, (size_t)N * P4K);
	memcpy(b + 500 * P4K, a + 501 * P4K, P4K);
	memcpy(b + 501 * P4K, a + 500 * P4K, P4K);
	b[700 * P4K + 9] ^= 1;
	/* the duplicates a table of 2^18 slots by hash finds (a later page takes its slot) */
	for (unsigned i = 0; i < 2 * N; i++) {
		uint64_t h = XXH3_64bits((i < N ? a : b) + (size_t)(i % N) * P4K, P4K), *t = &slot[h & (((uint64_t)1 << BITS) - 1)];
		if (*t == h)
			want++;
		*t = h;
	}
	REQUIRE(want > N - 20);
	e = build(&spec);
	REQUIRE((dump = open_buf(e)));
	for (unsigned k = 0; k < 2; k++) {
		enum vmc_codec_id c = codecs[k];
		harness_note("codec %s", vmc_codec_get(c)->name);
		dedup_twice(dump, &spec, c, want, 2 * N, (size_t)N * P4K / 2);
	}
	vmc_dump_close(dump);
	free(e.p);
	free(a);
	free(b);
	free(slot);
}

TEST(elf_output_round_trip)
{
	struct buf e = build(&spec_a), out, out2;
	struct vmc_dump *dump = open_buf(e), *back, *back2;
	struct vmc_writer_stats st;

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .writer = &vmc_writer_elf }, &out, &st) == VMC_OK);
	CHECK_EQ(st.pages, vmc_bitmap_count(&dump->stored));
	REQUIRE((back = open_buf(out)));
	CHECK(strcmp(back->format, "elf64") == 0);
	check_same_meta(dump, back);
	check_same_pages(dump, back);
	check_against_spec(back, &spec_a);
	/* ELF -> ELF again is a fixed point */
	REQUIRE(convert(back, &(struct conv){ .writer = &vmc_writer_elf }, &out2, NULL) == VMC_OK);
	CHECK(out.len == out2.len && memcmp(out.p, out2.p, out.len) == 0);
	REQUIRE((back2 = open_buf(out2)));
	vmc_dump_close(back2);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(out.p);
	free(out2.p);
	free(e.p);
}

TEST(kdump_to_kdump_is_a_fixed_point)
{
	struct buf e = build(&spec_a), k1, k2, el;
	struct vmc_dump *dump = open_buf(e), *b1, *b2;

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_ZLIB, .threads = 1, .dedup = true }, &k1, NULL) == VMC_OK);
	REQUIRE((b1 = open_buf(k1)));
	REQUIRE(convert(b1, &(struct conv){ .codec = VMC_CODEC_ZLIB, .threads = 1, .dedup = true }, &k2, NULL) == VMC_OK);
	CHECK(k1.len == k2.len && memcmp(k1.p, k2.p, k1.len) == 0);
	/* kdump -> ELF keeps everything too */
	REQUIRE(convert(b1, &(struct conv){ .writer = &vmc_writer_elf }, &el, NULL) == VMC_OK);
	REQUIRE((b2 = open_buf(el)));
	check_same_pages(b1, b2);
	check_against_spec(b2, &spec_a);
	vmc_dump_close(b2);
	vmc_dump_close(b1);
	vmc_dump_close(dump);
	free(k1.p);
	free(k2.p);
	free(el.p);
	free(e.p);
}

TEST(flattened_output_round_trip)
{
	struct buf e = build(&spec_a), fk, fe;
	struct vmc_dump *dump = open_buf(e), *bk, *be;

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_SNAPPY, .threads = 2, .dedup = true, .flat = true }, &fk, NULL) ==
		VMC_OK);
	REQUIRE(convert(dump, &(struct conv){ .writer = &vmc_writer_elf, .flat = true }, &fe, NULL) == VMC_OK);
	REQUIRE((bk = open_buf(fk)));
	CHECK(strcmp(bk->format, "flattened kdump") == 0);
	CHECK(!bk->incomplete_flag);
	check_same_meta(dump, bk);
	check_against_spec(bk, &spec_a);
	REQUIRE((be = open_buf(fe)));
	check_against_spec(be, &spec_a);
	vmc_dump_close(bk);
	vmc_dump_close(be);
	vmc_dump_close(dump);
	free(fk.p);
	free(fe.p);
	free(e.p);
}

TEST(truncated_elf_needs_partial)
{
	struct buf e = build(&spec_a), out, fl, el;
	struct vmc_dump *dump, *back, *bf, *be;
	struct vmc_writer_stats st;
	uint64_t nmiss;

	e.len -= 5 * P4K + 100; /* cuts into the last PT_LOAD data */
	REQUIRE((dump = open_buf(e)));
	CHECK(dump->nmissing > 0);
	CHECK(dump->missing_why[0] != 0);
	nmiss = dump->nmissing;
	CHECK_EQ(convert(dump, &(struct conv){ .threads = 1 }, &out, NULL), VMC_ERR_MISSING);
	CHECK(out.p == NULL);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_ZSTD, .threads = 1, .partial = true }, &out, &st) == VMC_OK);
	CHECK_EQ(st.missing_pages, nmiss);
	REQUIRE((back = open_buf(out)));
	CHECK(back->incomplete_flag);
	CHECK_EQ(back->nmissing, nmiss);
	CHECK(vmc_bitmap_live(&back->missing) && bitmaps_equal(&back->missing, &dump->missing));
	check_against_spec(back, &spec_a);
	CHECK_EQ(convert(back, &(struct conv){ .threads = 1 }, &el, NULL), VMC_ERR_MISSING);
	/* through a flattened sink, the status word is rewritten by a later record */
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 1, .partial = true, .flat = true }, &fl, NULL) == VMC_OK);
	REQUIRE((bf = open_buf(fl)));
	CHECK(bf->incomplete_flag);
	CHECK_EQ(bf->nmissing, nmiss);
	/* ELF output marks itself incomplete */
	REQUIRE(convert(dump, &(struct conv){ .writer = &vmc_writer_elf, .partial = true }, &el, NULL) == VMC_OK);
	REQUIRE((be = open_buf(el)));
	CHECK(be->incomplete_flag);
	vmc_dump_close(be);
	vmc_dump_close(bf);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(el.p);
	free(fl.p);
	free(out.p);
	free(e.p);
}

static void split_and_check(const struct buf *kd, struct vmc_dump *ref, const uint64_t *starts, unsigned n, bool reverse)
{
	struct buf parts[4] = { 0 };
	struct vmc_dump *sp;

	for (unsigned i = 0; i < n; i++) {
		unsigned k = reverse ? n - 1 - i : i;
		parts[i].p = td_kdump_split_part(kd->p, kd->len, starts, n, k, &parts[i].len);
	}
	sp = open_bufs(parts, n);
	CHECK(sp != NULL);
	if (sp) {
		CHECK(strcmp(sp->format, "split kdump") == 0);
		CHECK_EQ(sp->nfiles, n);
		CHECK_EQ(sp->nmissing, 0);
		check_same_pages(ref, sp);
		check_same_meta(ref, sp);
		vmc_dump_close(sp);
	}
	for (unsigned i = 0; i < n; i++)
		free(parts[i].p);
}

TEST(split_set_reads_back)
{
	struct buf e = build(&spec_a), kd;
	struct vmc_dump *dump = open_buf(e), *ref;
	static const uint64_t two[] = { 0, 270 }, three[] = { 0, 20, 1005 }, edge[] = { 0, 0x502 };

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_ZLIB, .threads = 1, .dedup = true }, &kd, NULL) == VMC_OK);
	REQUIRE((ref = open_buf(kd)));
	split_and_check(&kd, ref, two, 2, false);
	split_and_check(&kd, ref, three, 3, false);
	split_and_check(&kd, ref, three, 3, true);
	split_and_check(&kd, ref, edge, 2, false); /* an empty last part */
	vmc_dump_close(ref);
	vmc_dump_close(dump);
	free(kd.p);
	free(e.p);
}

TEST(split_set_with_a_part_left_out)
{
	struct buf e = build(&spec_a), kd, parts[2];
	struct vmc_dump *dump = open_buf(e), *sp;
	static const uint64_t three[] = { 0, 20, 1005 };

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 1 }, &kd, NULL) == VMC_OK);
	parts[0].p = td_kdump_split_part(kd.p, kd.len, three, 3, 0, &parts[0].len);
	parts[1].p = td_kdump_split_part(kd.p, kd.len, three, 3, 2, &parts[1].len);
	REQUIRE((sp = open_bufs(parts, 2)));
	/* frames 20..1004 that are stored belong to the missing part */
	CHECK_EQ(sp->nmissing, (32 - 20) + 30 + 5);
	{
		struct buf none;
		CHECK_EQ(convert(sp, &(struct conv){ .threads = 1 }, &none, NULL), VMC_ERR_MISSING);
		CHECK(none.p == NULL);
	}
	vmc_dump_close(sp);
	/* the same part twice is refused */
	parts[1].p = memcpy(parts[1].p, parts[0].p, parts[0].len);
	CHECK(open_bufs(parts, 2) == NULL);
	CHECK_EQ(d.status, VMC_ERR_ARGS);
	free(parts[0].p);
	free(parts[1].p);
	vmc_dump_close(dump);
	free(kd.p);
	free(e.p);
}

TEST(kdump_header_versions)
{
	struct buf e = build(&spec_a), kd, v;
	struct vmc_dump *dump = open_buf(e), *back;
	struct vmc_note n;

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_ZSTD, .threads = 1, .dedup = true }, &kd, NULL) == VMC_OK);
	v.p = malloc(kd.len);
	v.len = kd.len;
	for (uint32_t ver = 1; ver <= 6; ver++) {
		memcpy(v.p, kd.p, kd.len);
		kd_put32(v.p + KDH_VERSION, ver);
		harness_note("header_version %u", ver);
		REQUIRE((back = open_buf(v)));
		check_against_spec(back, &spec_a);
		CHECK(back->has_phys_base && back->phys_base == dump->phys_base);
		/* v4+ has the whole note blob; v3 only VMCOREINFO; older none */
		CHECK_EQ(vmc_notes_find(back->notes, back->notes_len, "VMCOREINFO", &n), ver >= 3);
		CHECK_EQ(vmc_notes_count(back->notes, back->notes_len, "CORE", VMC_NT_PRSTATUS), ver >= 4 ? 2 : 0);
		vmc_dump_close(back);
	}
	/* diskdump signature */
	memcpy(v.p, kd.p, kd.len);
	memcpy(v.p, DISKDUMP_SIGNATURE, 8);
	REQUIRE((back = open_buf(v)));
	CHECK(strcmp(back->format, "diskdump") == 0);
	vmc_dump_close(back);
	/* an unknown version is refused */
	kd_put32(v.p + KDH_VERSION, 7);
	CHECK(open_buf(v) == NULL);
	CHECK_EQ(d.status, VMC_ERR_UNSUPPORTED);
	free(v.p);
	vmc_dump_close(dump);
	free(kd.p);
	free(e.p);
}

TEST(kdump_truncated_output_marks_missing)
{
	struct buf e = build(&spec_a), kd;
	struct vmc_dump *dump = open_buf(e), *back;

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_NONE, .threads = 1 }, &kd, NULL) == VMC_OK);
	kd.len -= 3 * P4K;
	REQUIRE((back = open_buf(kd)));
	CHECK(back->nmissing >= 3);
	check_against_spec(back, &spec_a);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(kd.p);
	free(e.p);
}

TEST(page_size_from_vmcoreinfo)
{
	static const struct td_seg segs[] = { { 0, 12 * 8192, 12 * 8192 }, { 0x40000, 4 * 8192, 3 * 8192 } };
	struct td_spec s = { .segs = segs, .nsegs = 2, .vmcoreinfo = "PAGESIZE=8192\n", .seed = 8 };
	struct buf e = build(&s), kd;
	struct vmc_dump *dump = open_buf(e), *back;

	REQUIRE(dump);
	CHECK_EQ(dump->page_size, 8192);
	CHECK_EQ(dump->page_shift, 13);
	check_against_spec(dump, &s);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_SNAPPY, .threads = 1, .dedup = true }, &kd, NULL) == VMC_OK);
	REQUIRE((back = open_buf(kd)));
	CHECK_EQ(back->page_size, 8192);
	check_against_spec(back, &s);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(kd.p);
	free(e.p);
}

TEST(empty_dump_converts)
{
	struct td_spec s = { .vmcoreinfo = vmci_std, .seed = 9 };
	struct buf e = build(&s), kd, el;
	struct vmc_dump *dump = open_buf(e), *back;
	struct vmc_writer_stats st;

	REQUIRE(dump);
	CHECK_EQ(dump->max_pfn, 0);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_ZLIB, .threads = 3, .dedup = true }, &kd, &st) == VMC_OK);
	CHECK_EQ(st.pages, 0);
	REQUIRE((back = open_buf(kd)));
	CHECK_EQ(back->max_pfn, 0);
	check_same_meta(dump, back);
	vmc_dump_close(back);
	REQUIRE(convert(dump, &(struct conv){ .writer = &vmc_writer_elf }, &el, NULL) == VMC_OK);
	REQUIRE((back = open_buf(el)));
	CHECK_EQ(back->max_pfn, 0);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(kd.p);
	free(el.p);
	free(e.p);
}

static uint64_t last_done, last_total;
static unsigned ncalls;
static void progress(uint64_t done, uint64_t total, void *arg)
{
	(void)arg;
	last_done = done, last_total = total;
	ncalls++;
}

TEST(progress_reaches_total)
{
	struct buf e = build(&spec_b);
	struct vmc_dump *dump = open_buf(e);
	struct vmc_bytesink *mem = NULL;
	struct vmc_convert_opts o = { .writer = &vmc_writer_kdump, .wopts = { .codec = VMC_CODEC_LZO, .threads = 1 },
				      .progress = progress };

	REQUIRE(dump && vmc_bytesink_new_mem(&mem, &d) == VMC_OK);
	REQUIRE(vmc_convert(dump, mem, &o, NULL, &d) == VMC_OK);
	CHECK(ncalls >= 1);
	CHECK_EQ(last_total, vmc_bitmap_count(&dump->stored));
	CHECK_EQ(last_done, last_total);
	vmc_bytesink_free(mem);
	vmc_dump_close(dump);
	free(e.p);
}

TEST(open_rejects_garbage_and_keeps_sources)
{
	uint8_t junk[4096];
	uint64_t seed = 3;
	struct vmc_bytesrc *src[2];
	struct vmc_dump *dump = NULL;
	struct buf e = build(&spec_a), kd;
	struct vmc_dump *ok = open_buf(e);

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)td_rand(&seed);
	vmc_diag_init(&d);
	REQUIRE(vmc_bytesrc_new_mem("junk", junk, sizeof(junk), &src[0], &d) == VMC_OK);
	CHECK_EQ(vmc_dump_open_srcs(src, 1, &dump, &d), VMC_ERR_UNSUPPORTED);
	CHECK(d.msg[0] != 0);
	vmc_bytesrc_free(src[0]); /* still ours after a failed open */
	REQUIRE(vmc_bytesrc_new_mem("empty", junk, 0, &src[0], &d) == VMC_OK);
	CHECK(vmc_dump_open_srcs(src, 1, &dump, &d) != VMC_OK);
	vmc_bytesrc_free(src[0]);
	CHECK_EQ(vmc_dump_open_srcs(src, 0, &dump, &d), VMC_ERR_ARGS);
	/* two ELF files are not a split set; ELF + kdump neither */
	REQUIRE(ok);
	REQUIRE(convert(ok, &(struct conv){ .threads = 1 }, &kd, NULL) == VMC_OK);
	REQUIRE(vmc_bytesrc_new_mem("a", e.p, e.len, &src[0], &d) == VMC_OK);
	REQUIRE(vmc_bytesrc_new_mem("b", e.p, e.len, &src[1], &d) == VMC_OK);
	CHECK_EQ(vmc_dump_open_srcs(src, 2, &dump, &d), VMC_ERR_ARGS);
	vmc_bytesrc_free(src[1]);
	REQUIRE(vmc_bytesrc_new_mem("b", kd.p, kd.len, &src[1], &d) == VMC_OK);
	CHECK_EQ(vmc_dump_open_srcs(src, 2, &dump, &d), VMC_ERR_ARGS);
	vmc_bytesrc_free(src[0]);
	/* two copies of an unsplit kdump are refused too */
	REQUIRE(vmc_bytesrc_new_mem("a", kd.p, kd.len, &src[0], &d) == VMC_OK);
	CHECK_EQ(vmc_dump_open_srcs(src, 2, &dump, &d), VMC_ERR_ARGS);
	vmc_bytesrc_free(src[0]);
	vmc_bytesrc_free(src[1]);
	vmc_dump_close(ok);
	free(kd.p);
	free(e.p);
}

TEST(overlapping_segments_keep_one_view)
{
	static const struct td_seg segs[] = { { 0, 16 * P4K, 16 * P4K }, { 8 * P4K, 16 * P4K, 16 * P4K }, { 2 * P4K, 2 * P4K, P4K } };
	struct td_spec s = { .segs = segs, .nsegs = 3, .seed = 10 };
	struct buf e = build(&s), kd;
	struct vmc_dump *dump = open_buf(e), *back;

	REQUIRE(dump);
	CHECK_EQ(dump->max_pfn, 24);
	CHECK_EQ(vmc_bitmap_count(&dump->stored), 24);
	check_against_spec(dump, &s);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 1 }, &kd, NULL) == VMC_OK);
	REQUIRE((back = open_buf(kd)));
	check_same_pages(dump, back);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(kd.p);
	free(e.p);
}

/* A PT_LOAD that ends in the last page of the 64-bit address space: rounding the highest
 * end up to a frame (max_end + page_size - 1) wraps, max_pfn becomes 0 and the whole dump
 * silently comes out empty (the ordinary segment at 0 vanishes too) instead of being refused
 * as beyond the supported range. Either open fails (VMC_ERR_LIMIT), or the frames must be
 * part of the dump. */
TEST(elf_segment_at_top_of_address_space_not_dropped)
{
	static const struct td_seg segs[] = { { 0, 4 * P4K, 4 * P4K }, { 0xfffffffffffff000ull, 0x800, 0x800 } };
	struct td_spec s = { .machine = EM_AARCH64, .segs = segs, .nsegs = 2, .seed = 11 }; /* not x86_64: no kernel-text view */
	struct buf e = build(&s);
	struct vmc_dump *dump = open_buf(e);

	if (dump) {
		harness_note("opened with max_pfn 0x%llx, %llu stored frames", (unsigned long long)dump->max_pfn,
			     (unsigned long long)vmc_bitmap_count(&dump->stored));
		CHECK(dump->max_pfn > 0xfffffffffffffull);
		vmc_dump_close(dump);
	} else {
		CHECK_EQ(d.status, VMC_ERR_LIMIT);
	}
	free(e.p);
}

/* More than 65534 RAM runs: the ELF writer switches to PN_XNUM extended numbering. */
TEST(elf_output_with_pn_xnum)
{
	enum { NSEG = 70000 };
	struct td_seg *segs = calloc(NSEG + 1, sizeof(*segs));
	struct td_spec s = { .segs = segs, .nsegs = NSEG + 1, .seed = 12, .pnxnum = true };
	struct buf e, el;
	struct vmc_dump *dump, *back;
	uint8_t *raw;

	REQUIRE(segs);
	segs[0] = (struct td_seg){ 0, 4 * P4K, 4 * P4K };
	for (unsigned i = 1; i <= NSEG; i++) /* RAM without data, one frame every other frame */
		segs[i] = (struct td_seg){ (8 + 2 * (uint64_t)i) * P4K, P4K, 0 };
	e = build(&s);
	REQUIRE((dump = open_buf(e)));
	CHECK_EQ(vmc_bitmap_count(&dump->ram), 4 + NSEG);
	CHECK_EQ(vmc_bitmap_count(&dump->stored), 4);
	REQUIRE(convert(dump, &(struct conv){ .writer = &vmc_writer_elf }, &el, NULL) == VMC_OK);
	raw = el.p;
	CHECK_EQ(raw[56] | raw[57] << 8, PN_XNUM); /* e_phnum */
	REQUIRE((back = open_buf(el)));
	check_same_pages(dump, back);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(el.p);
	free(e.p);
	free(segs);
}

/* kdump input with several threads reads ahead on a worker pool; the output must not change,
 * also when frames are missing or fail to read (--partial). */
TEST(kdump_input_read_ahead_identical)
{
	struct buf e = build(&spec_b), kd, o1, o3;
	struct vmc_dump *dump = open_buf(e), *kdump;

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 1, .dedup = true }, &kd, NULL) == VMC_OK);
	vmc_dump_close(dump);
	/* whole, cut short (missing frames), and with a corrupted compressed page */
	for (int variant = 0; variant < 3; variant++) {
		struct buf in = kd;
		bool partial = variant > 0;
		uint8_t *copy = malloc(kd.len);
		memcpy(copy, kd.p, kd.len);
		in.p = copy;
		if (variant == 1)
			in.len -= 100 * P4K;
		if (variant == 2) {
			/* the first descriptor with a compressed page: garble its data */
			uint32_t bs = kd_get32(copy + KDH_BLOCK_SIZE);
			uint64_t desc = ((uint64_t)1 + kd_get32(copy + KDH_SUB_HDR_SIZE) + kd_get32(copy + KDH_BITMAP_BLOCKS)) * bs;
			for (uint64_t p = desc;; p += KPD_BYTES)
				if (kd_get32(copy + p + KPD_FLAGS)) {
					memset(copy + kd_get64(copy + p + KPD_OFFSET), 0xfe, kd_get32(copy + p + KPD_SIZE));
					break;
				}
		}
		REQUIRE((kdump = open_buf(in)));
		for (int c = 0; c < VMC_CODEC_COUNT; c += 2) {
			enum vmc_status r1 = convert(kdump, &(struct conv){ .codec = c, .threads = 1, .dedup = true, .partial = partial }, &o1, NULL);
			enum vmc_status r3 = convert(kdump, &(struct conv){ .codec = c, .threads = 3, .dedup = true, .partial = partial }, &o3, NULL);
			CHECK_EQ(r1, VMC_OK);
			CHECK_EQ(r3, VMC_OK);
			if (r1 == VMC_OK && r3 == VMC_OK && (o1.len != o3.len || memcmp(o1.p, o3.p, o1.len))) {
				harness_note("variant %d codec %s: threads 1 and 3 differ", variant, vmc_codec_get(c)->name);
				CHECK(0);
			}
			free(o1.p);
			free(o3.p);
		}
		/* without --partial the damaged inputs are refused with either thread count */
		if (variant) {
			CHECK(convert(kdump, &(struct conv){ .threads = 1 }, &o1, NULL) != VMC_OK);
			CHECK(convert(kdump, &(struct conv){ .threads = 3 }, &o3, NULL) != VMC_OK);
		}
		vmc_dump_close(kdump);
		free(copy);
	}
	free(kd.p);
	free(e.p);
}

/* The same bytes as a file on disk, opened by path (the reader then maps it). */
static struct vmc_dump *open_as_file(struct buf e)
{
	char path[] = "/tmp/vmc-t_roundtrip-XXXXXX";
	const char *paths[1] = { path };
	struct vmc_dump *file = NULL;
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "wb");
	if (!f || fwrite(e.p, 1, e.len, f) != e.len || fclose(f) != 0) {
		unlink(path);
		return NULL;
	}
	vmc_diag_init(&d);
	if (vmc_dump_open(paths, 1, &file, &d) != VMC_OK)
		file = NULL;
	unlink(path);
	return file;
}

/* Opened from a file, the ELF reader hands out pages from a mapping (stable pages); the
 * output must be the same as from a memory source. */
TEST(elf_from_file_matches_memory_source)
{
	struct buf e = build(&spec_b), om, of, of3, ef;
	struct vmc_dump *mem = open_buf(e), *file = open_as_file(e);

	REQUIRE(mem && file);
	REQUIRE(convert(mem, &(struct conv){ .codec = VMC_CODEC_ZSTD, .threads = 1, .dedup = true }, &om, NULL) == VMC_OK);
	REQUIRE(convert(file, &(struct conv){ .codec = VMC_CODEC_ZSTD, .threads = 1, .dedup = true }, &of, NULL) == VMC_OK);
	REQUIRE(convert(file, &(struct conv){ .codec = VMC_CODEC_ZSTD, .threads = 3, .dedup = true }, &of3, NULL) == VMC_OK);
	CHECK(om.len == of.len && memcmp(om.p, of.p, om.len) == 0);
	CHECK(om.len == of3.len && memcmp(om.p, of3.p, om.len) == 0);
	REQUIRE(convert(file, &(struct conv){ .writer = &vmc_writer_elf }, &ef, NULL) == VMC_OK);
	{
		struct vmc_dump *back = open_buf(ef);
		REQUIRE(back);
		check_against_spec(back, &spec_b);
		vmc_dump_close(back);
	}
	vmc_dump_close(file);
	vmc_dump_close(mem);
	free(om.p);
	free(of.p);
	free(of3.p);
	free(ef.p);
	free(e.p);
}

/* CPU time of this process: what the open costs, whatever else the machine is doing */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A 128-byte ELF whose one PT_LOAD declares 2 TiB of file data: every frame past the end of
 * the file is marked missing one call at a time (elf_read.c, "lies past the end of the
 * file"), so open() time grows with the declared size, not the file: 2^29 calls here,
 * about 2.5 s in a release build; 2^44 bytes take 34 s and 1.5 GiB, and the 2^48 the
 * limit allows would take minutes and 24 GiB. Marking the range at once (or bounding the
 * stored frames by the file size) keeps this at bitmap speed. Timing-based: the bound is
 * ~10x what the bitmaps alone cost. */
TEST(elf_huge_segment_past_eof_opens_fast)
{
	struct td_seg small = { 0, P4K, P4K };
	struct td_spec s1 = { .segs = &small, .nsegs = 1, .seed = 13 };
	struct buf e = build(&s1); /* a 1-page file ... */
	struct vmc_dump *dump;
	double t0, dt;

	/* ... whose PT_LOAD then claims 2 TiB */
	{
		Elf64_Phdr ph;
		memcpy(&ph, e.p + sizeof(Elf64_Ehdr), sizeof(ph));
		ph.p_filesz = ph.p_memsz = 1ull << 41;
		memcpy(e.p + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	}
	t0 = now();
	dump = open_buf(e);
	dt = now() - t0;
	REQUIRE(dump);
	CHECK_EQ(dump->nmissing, (1ull << 29) - 1);
	harness_note("open took %.2f s", dt);
	/* per-frame marking took 3.5 s here in a release build; range marking takes milliseconds.
	 * Sanitizer builds run the word loops several times slower, so they get more room. */
#if defined(__SANITIZE_ADDRESS__)
	CHECK(dt < 5.0);
#else
	CHECK(dt < 1.5);
#endif
	vmc_dump_close(dump);
	free(e.p);
}

/* Run fn in a child process; true when it finishes within `secs` and exits 0. */
static bool finishes_within(void (*fn)(void), unsigned secs)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		fn();
		_exit(harness_failures() ? 1 : 0);
	}
	REQUIRE(pid > 0);
	for (unsigned i = 0; i < secs * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	harness_note("still running after %u s: killed", secs);
	return false;
}

static void open_split_beyond_max(void)
{
	struct buf e = build(&spec_a), kd, parts[2];
	struct vmc_dump *dump = open_buf(e), *sp;
	static const uint64_t two[] = { 0, 270 };
	uint32_t bs;
	uint64_t max;

	REQUIRE(dump);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 1 }, &kd, NULL) == VMC_OK);
	for (unsigned i = 0; i < 2; i++)
		parts[i].p = td_kdump_split_part(kd.p, kd.len, two, 2, i, &parts[i].len);
	/* part 2 claims a range past the set's max_mapnr (its own sub-header's max_mapnr_64 is
	 * larger; only the main headers are compared) */
	bs = kd_get32(kd.p + KDH_BLOCK_SIZE);
	max = kd_get64(kd.p + bs + KSH_MAX_MAPNR_64);
	kd_put64(parts[1].p + bs + KSH_START_PFN_64, max + 10);
	kd_put64(parts[1].p + bs + KSH_END_PFN_64, max + 20);
	kd_put64(parts[1].p + bs + KSH_MAX_MAPNR_64, max + 20);
	sp = open_bufs(parts, 2);
	CHECK(sp == NULL);
	vmc_dump_close(sp);
	free(parts[0].p);
	free(parts[1].p);
	vmc_dump_close(dump);
	free(kd.p);
	free(e.p);
}

/* A split part whose start/end lie beyond the max_mapnr of the set (taken from the first
 * part) sends kdump_open's "in no part of the split set" loop around forever:
 * vmc_bitmap_next_set() returns nbits, which is below the part's start, and
 * vmc_dump_mark_missing() ignores the out-of-range frame. Must be refused instead. */
TEST(split_part_beyond_max_mapnr_refused)
{
	CHECK(finishes_within(open_split_beyond_max, 10));
}

/* vmc_convert completes utsname from the kernel's init_uts_ns and derives the kernel-text
 * mapping from SYMBOL(_stext) (src/linux_info.c); both must reach the outputs. */
struct uts_case {
	const char *vmcoreinfo;
	uint64_t uts_pa; /* where struct new_utsname lies */
	bool expect;
};

static void check_linux_info(const struct uts_case *uc)
{
	static const struct td_seg segs[] = { { 0x1000000, 32 * P4K, 32 * P4K }, { 0, 16 * P4K, 16 * P4K } };
	static const char fields[6][65] = { "Linux", "testhost", "6.1.0-test", "#1 SMP PREEMPT_DYNAMIC", "x86_64", "(none)" };
	struct td_patch patch = { uc->uts_pa, fields, sizeof(fields) };
	struct td_spec s = { .segs = segs, .nsegs = 2, .vmcoreinfo = uc->vmcoreinfo, .seed = 14, .patches = &patch, .npatches = 1 };
	struct buf e = build(&s), kd, el;
	struct vmc_dump *dump = open_buf(e), *bk = NULL, *be = NULL;

	REQUIRE(dump);
	check_against_spec(dump, &s);
	CHECK(!dump->has_ktext);
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_ZLIB, .threads = 1 }, &kd, NULL) == VMC_OK);
	REQUIRE(convert(dump, &(struct conv){ .writer = &vmc_writer_elf }, &el, NULL) == VMC_OK);
	REQUIRE((bk = open_buf(kd)) && (be = open_buf(el)));
	if (uc->expect) {
		CHECK(strcmp(bk->uts.sysname, "Linux") == 0);
		CHECK(strcmp(bk->uts.nodename, "testhost") == 0);
		CHECK(strcmp(bk->uts.release, "6.1.0-test") == 0);
		CHECK(strcmp(bk->uts.version, "#1 SMP PREEMPT_DYNAMIC") == 0);
		CHECK(strcmp(bk->uts.machine, "x86_64") == 0);
		CHECK(strcmp(bk->uts.domainname, "(none)") == 0);
		/* ELF output: the kernel-text segment from _stext to the end of its stored run */
		CHECK(be->has_ktext);
		CHECK_EQ(be->ktext.vaddr, 0xffffffff81000000ull);
		CHECK_EQ(be->ktext.paddr, 0x1000000);
		CHECK_EQ(be->ktext.size, 32 * P4K);
	} else {
		CHECK(bk->uts.nodename[0] == 0);
	}
	check_against_spec(bk, &s);
	check_against_spec(be, &s);
	vmc_dump_close(bk);
	vmc_dump_close(be);
	vmc_dump_close(dump);
	free(kd.p);
	free(el.p);
	free(e.p);
}

TEST(utsname_and_ktext_from_vmcoreinfo)
{
	static const struct uts_case cases[] = {
		/* current kernels name the offset */
		{ "OSRELEASE=6.1.0-test\nNUMBER(phys_base)=0\nSYMBOL(init_uts_ns)=ffffffff81004000\n"
		  "OFFSET(uts_namespace.name)=4\nSYMBOL(_stext)=ffffffff81000000\n", 0x1004004, true },
		/* older ones: found by looking for the sysname after the kref */
		{ "NUMBER(phys_base)=0x0\nSYMBOL(init_uts_ns)=ffffffff81005000\nSYMBOL(_stext)=ffffffff81000000\n", 0x1005008,
		  true },
		/* init_uts_ns in memory the dump does not hold: left alone */
		{ "NUMBER(phys_base)=0\nSYMBOL(init_uts_ns)=ffffffff89000000\nOFFSET(uts_namespace.name)=4\n", 0x1004004, false },
		/* an offset pointing at garbage: not taken */
		{ "NUMBER(phys_base)=0\nSYMBOL(init_uts_ns)=ffffffff81004000\nOFFSET(uts_namespace.name)=900\n", 0x1004004, false },
		/* a symbol below the kernel map: ignored */
		{ "NUMBER(phys_base)=0\nSYMBOL(init_uts_ns)=1004000\nOFFSET(uts_namespace.name)=4\n", 0x1004004, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		harness_note("case %zu", i);
		check_linux_info(&cases[i]);
	}
}

/* A sink that fails its n-th write with "no space", to walk every error path of the writers
 * and the pipeline: the conversion must fail cleanly (no leak, no hang, the sink aborted and
 * never finished). */
struct fail_sink {
	struct vmc_bytesink *inner;
	long calls, fail_at;
	int finishes, aborts;
};

static enum vmc_status fs_pwrite(struct vmc_bytesink *s, const void *buf, size_t len, uint64_t off, struct vmc_diag *dg)
{
	struct fail_sink *f = s->priv;
	if (f->calls++ == f->fail_at)
		return vmc_fail(dg, VMC_ERR_NOSPC, "injected write failure");
	return f->inner->ops->pwrite(f->inner, buf, len, off, dg);
}

static enum vmc_status fs_pread(struct vmc_bytesink *s, void *buf, size_t len, uint64_t off, struct vmc_diag *dg)
{
	struct fail_sink *f = s->priv;
	return f->inner->ops->pread(f->inner, buf, len, off, dg);
}

static enum vmc_status fs_finish(struct vmc_bytesink *s, struct vmc_diag *dg)
{
	((struct fail_sink *)s->priv)->finishes++;
	return VMC_OK;
}

static void fs_abort(struct vmc_bytesink *s)
{
	((struct fail_sink *)s->priv)->aborts++;
}

static void fs_free(struct vmc_bytesink *s)
{
	vmc_bytesink_free(((struct fail_sink *)s->priv)->inner);
}

static const struct vmc_bytesink_ops fail_ops = {
	.pwrite = fs_pwrite, .pread = fs_pread, .finish = fs_finish, .abort = fs_abort, .free = fs_free,
};

/* returns the number of writes a successful run made (fail_at < 0) */
static long run_failing(struct vmc_dump *dump, const struct conv *c, long fail_at)
{
	struct fail_sink f = { .fail_at = fail_at };
	struct vmc_bytesink s = { .ops = &fail_ops, .name = (char *)"failing", .priv = &f };
	struct vmc_convert_opts o = { .writer = c->writer ? c->writer : &vmc_writer_kdump,
				      .wopts = { .codec = c->codec, .threads = c->threads, .dedup = c->dedup } };
	enum vmc_status rc;

	REQUIRE(vmc_bytesink_new_mem(&f.inner, &d) == VMC_OK);
	vmc_diag_init(&d);
	rc = vmc_convert(dump, &s, &o, NULL, &d);
	if (fail_at < 0) {
		CHECK_EQ(rc, VMC_OK);
		CHECK_EQ(f.finishes, 1);
	} else {
		CHECK_EQ(rc, VMC_ERR_NOSPC);
		CHECK(strstr(d.msg, "injected") != NULL);
		CHECK_EQ(f.finishes, 0);
		CHECK(f.aborts >= 1);
	}
	fs_free(&s);
	return f.calls;
}

TEST(sink_write_failure_cleans_up)
{
	struct buf e = build(&spec_b), kd;
	struct vmc_dump *edump = open_buf(e), *kdump;
	const struct conv convs[] = {
		{ .codec = VMC_CODEC_LZO, .threads = 1, .dedup = true },
		{ .codec = VMC_CODEC_ZSTD, .threads = 3, .dedup = true },
		{ .writer = &vmc_writer_elf, .threads = 3 },
	};

	REQUIRE(edump);
	REQUIRE(convert(edump, &(struct conv){ .codec = VMC_CODEC_SNAPPY, .threads = 1 }, &kd, NULL) == VMC_OK);
	REQUIRE((kdump = open_buf(kd)));
	for (size_t c = 0; c < sizeof(convs) / sizeof(convs[0]); c++) {
		struct vmc_dump *inputs[2] = { edump, kdump };
		for (int in = 0; in < 2; in++) {
			long total = run_failing(inputs[in], &convs[c], -1);
			CHECK(total >= 3);
			for (long k = 0; k < total; k++)
				run_failing(inputs[in], &convs[c], k);
		}
	}
	vmc_dump_close(kdump);
	vmc_dump_close(edump);
	free(kd.p);
	free(e.p);
}

/* A memory source whose reads start failing (I/O error) after a countdown: read errors during
 * the conversion (also on the read-ahead workers) must end it with that error, not a hang. */
struct flaky {
	const uint8_t *buf;
	long left;  /* reads before failing; < 0: never */
	long fails; /* then this many reads fail (0: one); < 0: every read from then on */
	long nread; /* reads since left was set (reset it with left) */
};

static enum vmc_status flaky_pread(struct vmc_bytesrc *src, void *buf, size_t len, uint64_t off, size_t *got,
				   struct vmc_diag *dg)
{
	struct flaky *f = src->priv;
	size_t n = 0;

	if (f->left >= 0) {
		long i = __atomic_fetch_add(&f->nread, 1, __ATOMIC_SEQ_CST);
		if (i >= f->left && (f->fails < 0 || i < f->left + (f->fails ? f->fails : 1)))
			return vmc_fail_at(dg, VMC_ERR_IO, src->name, off, "injected read failure");
	}
	if (off < src->size)
		n = src->size - off < len ? (size_t)(src->size - off) : len;
	memcpy(buf, f->buf + off, n);
	*got = n;
	return VMC_OK;
}

static const struct vmc_bytesrc_ops flaky_ops = { .pread = flaky_pread };

TEST(source_read_failure_ends_conversion)
{
	struct buf e = build(&spec_b), kd, out;
	struct vmc_dump *edump = open_buf(e), *dump = NULL;
	struct flaky fl = { .left = -1 };
	struct vmc_bytesrc *src;

	REQUIRE(edump);
	REQUIRE(convert(edump, &(struct conv){ .codec = VMC_CODEC_ZLIB, .threads = 1 }, &kd, NULL) == VMC_OK);
	vmc_dump_close(edump);
	fl.buf = kd.p;
	src = vmc_bytesrc_alloc(&flaky_ops, "flaky");
	REQUIRE(src);
	src->priv = &fl;
	src->size = kd.len;
	REQUIRE(vmc_dump_open_srcs(&src, 1, &dump, &d) == VMC_OK);
	for (long k = 0; k < 3000; k += 1 + k / 4) {
		for (unsigned th = 1; th <= 3; th += 2) {
			for (int partial = 0; partial < 2; partial++) {
				enum vmc_status rc;
				fl.nread = 0;
				fl.left = k;
				rc = convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = th, .partial = partial }, &out, NULL);
				fl.left = -1;
				if (rc == VMC_OK) {
					free(out.p);
					continue;
				}
				CHECK_EQ(rc, VMC_ERR_IO);
				CHECK(strstr(d.msg, "injected") != NULL);
			}
		}
	}
	vmc_dump_close(dump);
	free(kd.p);
	free(e.p);
}

/* The kdump writer's workers read ELF runs themselves (pages handed over unread): a run read
 * that fails is read again frame by frame, and a frame that still fails is read again in frame
 * order by the page stream (redo). One failed read is always recovered from, with the same
 * output; two are unless both hit one frame (a frame of a segment that starts mid-frame has
 * no run read); failures that persist end the conversion with the read's error. */
TEST(unread_pages_failed_reads_redone)
{
	static const struct td_seg segs[] = { { 0, 300 * P4K, 300 * P4K }, { 0x200000, 200 * P4K, 200 * P4K },
					      { 0x500800, 0x1800, 0x1000 } };
	static const struct td_spec s = { .segs = segs, .nsegs = 3, .vmcoreinfo = vmci_std, .nprstatus = 1, .seed = 9 };
	struct buf e = build(&s), ref, out;
	struct vmc_dump *dump = NULL;
	struct flaky fl = { .left = -1 };
	struct vmc_bytesrc *src = vmc_bytesrc_alloc(&flaky_ops, "flaky");
	unsigned recovered = 0, failed = 0;
	long nreads;

	REQUIRE(src);
	fl.buf = e.p;
	src->priv = &fl;
	src->size = e.len;
	REQUIRE(vmc_dump_open_srcs(&src, 1, &dump, &d) == VMC_OK);
	fl.left = 1L << 40; /* counts the reads of one conversion */
	REQUIRE(convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 1 }, &ref, NULL) == VMC_OK);
	nreads = fl.nread;
	CHECK(nreads > 4);
	for (long k = 0; k < nreads; k++) {
		for (unsigned th = 1; th <= 3; th += 2) {
			for (long fails = -1; fails <= 2; fails++) {
				enum vmc_status rc;
				if (!fails)
					continue; /* the same as 1 */
				fl.nread = 0;
				fl.fails = fails;
				fl.left = k;
				rc = convert(dump, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = th }, &out, NULL);
				fl.left = -1;
				if (fails == 1)
					REQUIRE(rc == VMC_OK);
				if (rc == VMC_OK) {
					CHECK(fails > 0);
					CHECK(out.len == ref.len && memcmp(out.p, ref.p, ref.len) == 0);
					free(out.p);
					recovered++;
					continue;
				}
				CHECK_EQ(rc, VMC_ERR_IO);
				CHECK(strstr(d.msg, "injected") != NULL);
				failed++;
			}
		}
	}
	CHECK(recovered > 0 && failed > 0);
	vmc_dump_close(dump);
	free(ref.p);
	free(e.p);
}

/* An ELF file larger than the source's resident window (32 MiB + 16 MiB slack, bytesrc.c):
 * pages handed out from the mapping must stay valid while the writer still holds them
 * (batches in flight) after older mapped ranges were dropped. */
TEST(elf_file_beyond_drop_behind_window)
{
	static const struct td_seg segs[] = { { 0, 12000 * P4K, 12000 * P4K }, { 0x40000000, 3000 * P4K, 3000 * P4K } };
	struct td_spec s = { .segs = segs, .nsegs = 2, .vmcoreinfo = vmci_std, .seed = 15 };
	struct buf e = build(&s), om, of1, of3;
	struct vmc_dump *mem = open_buf(e), *file = open_as_file(e);

	REQUIRE(mem && file);
	REQUIRE(convert(mem, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 1, .dedup = true }, &om, NULL) == VMC_OK);
	REQUIRE(convert(file, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 1, .dedup = true }, &of1, NULL) == VMC_OK);
	REQUIRE(convert(file, &(struct conv){ .codec = VMC_CODEC_LZO, .threads = 3, .dedup = true }, &of3, NULL) == VMC_OK);
	CHECK(om.len == of1.len && memcmp(om.p, of1.p, om.len) == 0);
	CHECK(om.len == of3.len && memcmp(om.p, of3.p, om.len) == 0);
	{
		struct vmc_dump *back = open_buf(of3);
		REQUIRE(back);
		check_against_spec(back, &s);
		vmc_dump_close(back);
	}
	vmc_dump_close(file);
	vmc_dump_close(mem);
	free(om.p);
	free(of1.p);
	free(of3.p);
	free(e.p);
}

/* A sink that sets the cancel flag at its n-th write (as a signal would, mid-run); it has a
 * reserve op, like a file, so a kdump writer can keep what it wrote. */
static volatile sig_atomic_t cancel_flag;
static unsigned kept_runs; /* runs that kept an INCOMPLETE output */

static enum vmc_status cs_pwrite(struct vmc_bytesink *s, const void *buf, size_t len, uint64_t off, struct vmc_diag *dg)
{
	struct fail_sink *f = s->priv;
	if (f->calls++ == f->fail_at)
		cancel_flag = 1;
	return f->inner->ops->pwrite(f->inner, buf, len, off, dg);
}

static enum vmc_status cs_reserve(struct vmc_bytesink *s, uint64_t off, uint64_t len, struct vmc_diag *dg)
{
	(void)s, (void)off, (void)len, (void)dg;
	return VMC_OK; /* the memory sink reads unwritten bytes as zeros */
}

static const struct vmc_bytesink_ops cancel_ops = {
	.pwrite = cs_pwrite, .pread = fs_pread, .reserve = cs_reserve, .finish = fs_finish, .abort = fs_abort,
	.free = fs_free,
};

/* Cancelled at write `at`: VMC_ERR_CANCELLED and the sink aborted, or (kdump, keep) finished as
 * an INCOMPLETE dump whose every present frame equals the input's; or, when the flag came
 * after the last page, a complete output. Returns the writes of the run. */
static long run_cancelled(struct vmc_dump *dump, const struct conv *c, long at, bool keep)
{
	struct fail_sink f = { .fail_at = at };
	struct vmc_bytesink s = { .ops = &cancel_ops, .name = (char *)"cancelled", .priv = &f };
	struct vmc_convert_opts o = { .writer = c->writer ? c->writer : &vmc_writer_kdump,
				      .wopts = { .codec = c->codec, .threads = c->threads, .dedup = c->dedup },
				      .cancel = &cancel_flag, .keep_partial = keep };
	struct vmc_writer_stats st = { 0 };
	enum vmc_status rc;

	REQUIRE(vmc_bytesink_new_mem(&f.inner, &d) == VMC_OK);
	vmc_diag_init(&d);
	cancel_flag = 0;
	rc = vmc_convert(dump, &s, &o, &st, &d);
	if (rc == VMC_OK) {
		CHECK_EQ(f.finishes, 1);
		CHECK(!st.partial_kept && st.missing_pages == 0);
	} else if (st.partial_kept) {
		struct buf out;
		struct vmc_dump *back;
		const uint8_t *data = vmc_bytesink_mem_data(f.inner, &out.len);
		uint8_t *pa = malloc(dump->page_size), *pb = malloc(dump->page_size);
		uint8_t *sa = malloc(dump->scratch_size + 1), *sb = malloc(dump->scratch_size + 1);
		uint64_t present = 0;

		CHECK_EQ(rc, VMC_ERR_CANCELLED);
		CHECK(keep && o.writer == &vmc_writer_kdump && f.finishes == 1 && f.aborts == 0);
		CHECK(strstr(d.msg, "interrupted; kept") != NULL);
		out.p = (uint8_t *)data;
		REQUIRE((back = open_buf(out)));
		CHECK(back->incomplete_flag);
		CHECK_EQ(back->nmissing, st.missing_pages);
		CHECK(bitmaps_equal(&dump->ram, &back->ram));
		/* every frame of the input is either kept (and equal) or missing, never zeros */
		for (uint64_t pfn = vmc_bitmap_next_set(&dump->stored, 0); pfn < dump->max_pfn;
		     pfn = vmc_bitmap_next_set(&dump->stored, pfn + 1)) {
			if (vmc_bitmap_live(&back->missing) && vmc_bitmap_test(&back->missing, pfn))
				continue;
			present++;
			if (!vmc_bitmap_test(&back->stored, pfn) || vmc_dump_read_page(dump, pfn, pa, sa, &d) || vmc_dump_read_page(back, pfn, pb, sb, &d) ||
			    memcmp(pa, pb, dump->page_size)) {
				harness_note("cancelled at write %ld: frame 0x%llx differs", at, (unsigned long long)pfn);
				CHECK(0);
				break;
			}
		}
		CHECK_EQ(present, st.pages);
		kept_runs++;
		vmc_dump_close(back);
		free(pa), free(pb), free(sa), free(sb);
	} else {
		CHECK_EQ(rc, VMC_ERR_CANCELLED);
		CHECK(f.finishes == 0 && f.aborts >= 1);
	}
	fs_free(&s);
	return f.calls;
}

TEST(cancelled_write_removes_or_keeps_incomplete)
{
	struct buf e = build(&spec_b);
	struct vmc_dump *dump = open_buf(e);
	const struct conv convs[] = {
		{ .codec = VMC_CODEC_LZO, .threads = 1, .dedup = true },
		{ .codec = VMC_CODEC_ZSTD, .threads = 3, .dedup = true },
		{ .codec = VMC_CODEC_NONE, .threads = 2 },
		{ .writer = &vmc_writer_elf, .threads = 3 },
	};

	REQUIRE(dump);
	kept_runs = 0;
	for (size_t c = 0; c < sizeof(convs) / sizeof(convs[0]); c++)
		for (int keep = 0; keep < 2; keep++) {
			long total = run_cancelled(dump, &convs[c], -1, keep);
			CHECK(total >= 3);
			/* the first writes, then about 12 points spread over the run */
			for (long k = 0; k < total; k = k < 4 ? k + 1 : k + (total + 11) / 12) {
				unsigned before = harness_failures();
				run_cancelled(dump, &convs[c], k, keep);
				if (harness_failures() != before)
					break;
			}
		}
	CHECK(kept_runs > 0);
	vmc_dump_close(dump);
	free(e.p);
}
