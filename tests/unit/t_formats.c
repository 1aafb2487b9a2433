/* t_formats.c: the format readers' and writers' edge cases of issue 15: overlapping ELF
 * segments, split sets whose parts differ in per-process header fields, outputs other
 * readers must accept (no RAM, no utsname), and refusals that name what the file is. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "harness.h"
#include "kdump_layout.h"
#include "registry.h"
#include "testdump.h"

#define P4K 4096ull
#ifndef EM_AARCH64
#define EM_AARCH64 183
#endif

static struct vmc_diag d;

struct buf {
	uint8_t *p;
	size_t len;
};

static struct vmc_dump *open_bufs(const struct buf *b, unsigned n)
{
	struct vmc_bytesrc *srcs[4];
	struct vmc_dump *dump = NULL;

	vmc_diag_init(&d);
	for (unsigned i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "part%u", i + 1);
		if (vmc_bytesrc_new_mem(name, b[i].p, b[i].len, &srcs[i], &d))
			return NULL;
	}
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

static struct buf build(const struct td_spec *s)
{
	struct buf b;
	b.p = td_build_elf(s, &b.len);
	return b;
}

static enum vmc_status convert(struct vmc_dump *dump, const struct vmc_writer_ops *w, struct buf *out)
{
	struct vmc_bytesink *mem;
	struct vmc_convert_opts o = { .writer = w, .wopts = { .codec = VMC_CODEC_ZLIB, .threads = 1 } };
	struct vmc_writer_stats st;
	enum vmc_status rc;
	const uint8_t *data;

	vmc_diag_init(&d);
	out->p = NULL;
	out->len = 0;
	if (vmc_bytesink_new_mem(&mem, &d))
		return VMC_ERR_NOMEM;
	rc = vmc_convert(dump, mem, &o, &st, &d);
	if (rc == VMC_OK) {
		data = vmc_bytesink_mem_data(mem, &out->len);
		out->p = malloc(out->len ? out->len : 1);
		memcpy(out->p, data, out->len);
	} else {
		harness_note("convert: %s", d.msg);
	}
	vmc_bytesink_free(mem);
	return rc;
}

/* program header i of a td_build_elf ELF64 file */
static Elf64_Phdr *phdr(struct buf *b, unsigned i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)b->p;
	return (Elf64_Phdr *)(void *)(b->p + eh->e_phoff + i * sizeof(Elf64_Phdr));
}

/* the PT_LOAD (after the PT_NOTE) that td_build_elf wrote for segs[i] */
static Elf64_Phdr *load(struct buf *b, unsigned i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)b->p;
	for (unsigned k = 0, n = 0; k < eh->e_phnum; k++)
		if (phdr(b, k)->p_type == PT_LOAD && n++ == i)
			return phdr(b, k);
	return NULL;
}

static bool page_is(struct vmc_dump *dump, uint64_t pfn, const uint8_t *want)
{
	uint8_t page[P4K], scratch[P4K];
	struct vmc_diag rd;

	vmc_diag_init(&rd);
	if (vmc_dump_read_page(dump, pfn, page, scratch, &rd)) {
		harness_note("frame 0x%llx: %s", (unsigned long long)pfn, rd.msg);
		return false;
	}
	return memcmp(page, want, P4K) == 0;
}

static bool page_is_spec(struct vmc_dump *dump, uint32_t seed, uint64_t pfn)
{
	uint8_t want[P4K];
	td_fill(seed, pfn * P4K, want, P4K);
	return page_is(dump, pfn, want);
}

/* A later PT_LOAD's file bytes inside an earlier one's zero-fill tail: stored, never excluded,
 * whichever comes first in the program headers; no warning (nothing disagrees). */
TEST(elf_file_bytes_win_over_zero_fill)
{
	static const struct td_seg fwd[] = { { 0, 16 * P4K, 8 * P4K }, { 8 * P4K, 8 * P4K, 8 * P4K } };
	static const struct td_seg rev[] = { { 8 * P4K, 8 * P4K, 8 * P4K }, { 0, 16 * P4K, 8 * P4K } };
	const struct td_seg *sets[] = { fwd, rev };

	for (unsigned k = 0; k < 2; k++) {
		struct td_spec s = { .segs = sets[k], .nsegs = 2, .seed = 21 };
		struct buf e = build(&s);
		struct vmc_dump *dump = open_buf(e);
		REQUIRE(dump);
		CHECK_EQ(vmc_bitmap_count(&dump->ram), 16);
		CHECK_EQ(vmc_bitmap_count(&dump->stored), 16);
		CHECK_EQ(d.nwarn, 0);
		for (uint64_t pfn = 0; pfn < 16; pfn++)
			CHECK(page_is_spec(dump, 21, pfn));
		vmc_dump_close(dump);
		free(e.p);
	}
}

/* Zero fill that no file data covers stays excluded; file data past a tail that another
 * segment's tail also covers does not resurrect anything. */
TEST(elf_zero_fill_only_where_no_file_data)
{
	static const struct td_seg segs[] = { { 0, 16 * P4K, 4 * P4K }, { 6 * P4K, 12 * P4K, 2 * P4K } };
	struct td_spec s = { .segs = segs, .nsegs = 2, .seed = 22 };
	struct buf e = build(&s);
	struct vmc_dump *dump = open_buf(e);

	REQUIRE(dump);
	CHECK_EQ(vmc_bitmap_count(&dump->ram), 18);
	CHECK_EQ(vmc_bitmap_count(&dump->stored), 6);
	for (uint64_t pfn = 0; pfn < 18; pfn++)
		CHECK_EQ(vmc_bitmap_test(&dump->stored, pfn), pfn < 4 || pfn == 6 || pfn == 7);
	CHECK(page_is_spec(dump, 22, 6) && page_is_spec(dump, 22, 7) && page_is_spec(dump, 22, 3));
	vmc_dump_close(dump);
	free(e.p);
}

/* Two segments with different bytes for a frame: one warning naming the frames; the
 * lower-starting segment's bytes are kept, and at one address the first program header's
 * (whichever order qsort would have left them in). */
TEST(elf_conflicting_bytes_warn_and_tie_break_is_stable)
{
	static const struct td_seg segs[] = { { 0, 4 * P4K, 4 * P4K }, { 2 * P4K, 2 * P4K, 2 * P4K }, { 0, 2 * P4K, 2 * P4K } };
	struct td_spec s = { .segs = segs, .nsegs = 3, .seed = 23 };

	for (unsigned first = 0; first < 2; first++) {
		struct buf e = build(&s);
		struct vmc_dump *dump;
		uint8_t want[P4K];
		/* segs[1] and segs[2] hold bytes other than segs[0]'s; for first = 1, swap the
		 * program headers of segs[0] and segs[2] (both start at 0) */
		for (unsigned i = 1; i < 3; i++)
			for (uint64_t b = 0; b < load(&e, i)->p_filesz; b++)
				e.p[load(&e, i)->p_offset + b] ^= (uint8_t)(0x5a + i);
		if (first) {
			Elf64_Phdr t = *load(&e, 0);
			*load(&e, 0) = *load(&e, 2);
			*load(&e, 2) = t;
		}
		REQUIRE((dump = open_buf(e)));
		CHECK_EQ(d.nwarn, 1);
		CHECK(strstr(d.warn[0], "frames 0x0-0x3") != NULL);
		harness_note("warning: %s", d.warn[0]);
		for (uint64_t pfn = 0; pfn < 4; pfn++) {
			td_fill(23, pfn * P4K, want, P4K);
			if (first && pfn < 2)
				for (unsigned b = 0; b < P4K; b++)
					want[b] ^= 0x5a + 2;
			CHECK(page_is(dump, pfn, want));
		}
		vmc_dump_close(dump);
		free(e.p);
	}
}

static const char vmci_rel[] = "OSRELEASE=5.10.0-test\nPAGESIZE=4096\nNUMBER(phys_base)=16777216\n";
static const struct td_seg segs_k[] = { { 0, 64 * P4K, 64 * P4K }, { 0x100000, 40 * P4K, 30 * P4K } };
static const struct td_spec spec_k = { .segs = segs_k, .nsegs = 2, .vmcoreinfo = vmci_rel, .nprstatus = 1, .seed = 31 };

/* the spec above as a kdump (vmcarve's writer) */
static struct buf kdump_of_spec(void)
{
	struct buf e = build(&spec_k), kd = { 0 };
	struct vmc_dump *dump = open_buf(e);

	if (dump && convert(dump, &vmc_writer_kdump, &kd) != VMC_OK)
		kd.p = NULL;
	vmc_dump_close(dump);
	free(e.p);
	return kd;
}

static bool same_pages(struct vmc_dump *a, struct vmc_dump *b)
{
	uint8_t pa[P4K], pb[P4K], s[P4K];
	struct vmc_diag rd;

	vmc_diag_init(&rd);
	if (a->max_pfn != b->max_pfn || !vmc_bitmap_count(&a->stored))
		return false;
	for (uint64_t pfn = 0; pfn < a->max_pfn; pfn++) {
		if (vmc_bitmap_test(&a->stored, pfn) != vmc_bitmap_test(&b->stored, pfn))
			return false;
		if (vmc_bitmap_test(&a->stored, pfn) &&
		    (vmc_dump_read_page(a, pfn, pa, s, &rd) || vmc_dump_read_page(b, pfn, pb, s, &rd) || memcmp(pa, pb, P4K)))
			return false;
	}
	return true;
}

/* Parts written by separate processes: their main headers differ in the timestamp, status
 * and the per-process block counts; the set opens and reads like the single file. */
TEST(split_parts_differing_in_timestamp_open)
{
	static const uint64_t starts[] = { 0, 40 };
	struct buf kd = kdump_of_spec(), parts[2];
	struct vmc_dump *ref, *sp;

	REQUIRE(kd.p && (ref = open_buf(kd)));
	for (unsigned i = 0; i < 2; i++)
		parts[i].p = td_kdump_split_part(kd.p, kd.len, starts, 2, i, &parts[i].len);
	kd_put64(parts[1].p + KDH_TIMESTAMP, 1700000123);
	kd_put64(parts[1].p + KDH_TIMESTAMP + 8, 4567);
	kd_put32(parts[1].p + KDH_STATUS, kd_get32(parts[1].p + KDH_STATUS) | VMC_KDUMP_INCOMPLETE);
	for (unsigned off = 444; off < KDH_NR_CPUS; off += 4) /* total_ram, device, written blocks, current_cpu */
		kd_put32(parts[1].p + off, 1000 + off);
	REQUIRE((sp = open_bufs(parts, 2)));
	CHECK(same_pages(ref, sp));
	CHECK(sp->incomplete_flag); /* one part says it is incomplete: the set is */
	vmc_dump_close(sp);
	vmc_dump_close(ref);
	for (unsigned i = 0; i < 2; i++)
		free(parts[i].p);
	free(kd.p);
}

/* Parts of really different dumps are refused in one line naming the part and the field. */
TEST(split_parts_of_different_dumps_refused)
{
	static const uint64_t starts[] = { 0, 40 };
	static const struct {
		const char *what;
		unsigned off; /* in the main header, or the sub-header when sub */
		bool sub, bitmap;
	} cases[] = {
		{ "utsname", KDH_UTSNAME + 65 + 2, false, false }, /* nodename */
		{ "max_mapnr", KDH_MAX_MAPNR, false, false },
		{ "nr_cpus", KDH_NR_CPUS, false, false },
		{ "phys_base", KSH_PHYS_BASE + 3, true, false },
		{ "2nd bitmap", 260 / 8, false, true },
	};
	struct buf kd = kdump_of_spec();

	REQUIRE(kd.p);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct buf parts[2];
		uint32_t bs = kd_get32(kd.p + KDH_BLOCK_SIZE);
		uint64_t bm2 = (1 + (uint64_t)kd_get32(kd.p + KDH_SUB_HDR_SIZE)) * bs +
			       (uint64_t)kd_get32(kd.p + KDH_BITMAP_BLOCKS) * bs / 2;
		for (unsigned i = 0; i < 2; i++)
			parts[i].p = td_kdump_split_part(kd.p, kd.len, starts, 2, i, &parts[i].len);
		if (cases[c].bitmap)
			parts[1].p[bm2 + cases[c].off] ^= 0x10; /* frame 260, in part 2's range */
		else
			parts[1].p[cases[c].off + (cases[c].sub ? bs : 0)] ^= 0x01;
		CHECK(open_bufs(parts, 2) == NULL);
		CHECK_EQ(d.status, VMC_ERR_ARGS);
		CHECK(strstr(d.msg, "part2") && strstr(d.msg, cases[c].what) && !strchr(d.msg, '\n'));
		harness_note("%s: %s", cases[c].what, d.msg);
		for (unsigned i = 0; i < 2; i++)
			free(parts[i].p);
	}
	free(kd.p);
}

/* A dump without RAM written as ELF has one empty PT_LOAD (libkdumpfile wants one) and reads
 * back as a dump without RAM. */
TEST(elf_output_without_ram_has_an_empty_load)
{
	struct td_spec s = { .vmcoreinfo = vmci_rel, .seed = 32 };
	struct buf e = build(&s), out;
	struct vmc_dump *dump = open_buf(e), *back;
	unsigned nload = 0;

	REQUIRE(dump);
	REQUIRE(convert(dump, &vmc_writer_elf, &out) == VMC_OK);
	for (unsigned i = 0; i < ((Elf64_Ehdr *)(void *)out.p)->e_phnum; i++) {
		const Elf64_Phdr *p = phdr(&out, i);
		if (p->p_type == PT_LOAD) {
			nload++;
			CHECK(p->p_memsz == 0 && p->p_filesz == 0 && p->p_offset != 0);
		}
	}
	CHECK_EQ(nload, 1);
	REQUIRE((back = open_buf(out)));
	CHECK_EQ(back->max_pfn, 0);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(out.p);
	free(e.p);
}

static const char *uts_field(const struct buf *kd, unsigned i)
{
	return (const char *)kd->p + KDH_UTSNAME + i * 65;
}

/* An input without a utsname (no init_uts_ns): the kdump header still has sysname, release
 * (VMCOREINFO's), version and machine, so that libkdumpfile takes the utsname. */
TEST(kdump_output_utsname_never_empty)
{
	struct buf kd = kdump_of_spec();

	REQUIRE(kd.p);
	CHECK(strcmp(uts_field(&kd, 0), "Linux") == 0);
	CHECK(strcmp(uts_field(&kd, 2), "5.10.0-test") == 0);
	CHECK(strcmp(uts_field(&kd, 3), "unknown") == 0);
	CHECK(strcmp(uts_field(&kd, 4), "x86_64") == 0);
	free(kd.p);
}

/* The header's own release is the dump's even when VMCOREINFO says otherwise, and it is what
 * a conversion writes; VMCOREINFO's fills in only an empty one. */
TEST(kdump_header_release_kept)
{
	struct buf kd = kdump_of_spec(), out;
	struct vmc_dump *dump;

	REQUIRE(kd.p);
	memset(kd.p + KDH_UTSNAME + 2 * 65, 0, 65);
	strcpy((char *)kd.p + KDH_UTSNAME + 2 * 65, "9.9.9-header");
	REQUIRE((dump = open_buf(kd)));
	CHECK(strcmp(dump->uts.release, "9.9.9-header") == 0);
	REQUIRE(convert(dump, &vmc_writer_kdump, &out) == VMC_OK);
	CHECK(strcmp(uts_field(&out, 2), "9.9.9-header") == 0);
	vmc_dump_close(dump);
	free(out.p);
	memset(kd.p + KDH_UTSNAME + 2 * 65, 0, 65);
	REQUIRE((dump = open_buf(kd)));
	CHECK(strcmp(dump->uts.release, "5.10.0-test") == 0);
	vmc_dump_close(dump);
	free(kd.p);
}

/* Refusals name what the file is: a big-endian kdump, a 32-bit-layout ARM kdump (not
 * "i386"), a big-endian ELF. */
TEST(refusals_name_the_machine)
{
	struct buf kd = kdump_of_spec(), e = build(&spec_k), bad;
	struct vmc_dump *dump;

	REQUIRE(kd.p && e.p);
	bad.len = kd.len;
	bad.p = malloc(kd.len);
	/* big-endian: the header's numbers byte-swapped */
	memcpy(bad.p, kd.p, kd.len);
	strcpy((char *)bad.p + KDH_UTSNAME + 4 * 65, "s390x");
	for (unsigned off = KDH_VERSION; off < 12; off += 4)
		kd_put32(bad.p + off, __builtin_bswap32(kd_get32(bad.p + off)));
	for (unsigned off = KDH_STATUS; off < KDH_SIZE; off += 4)
		kd_put32(bad.p + off, __builtin_bswap32(kd_get32(bad.p + off)));
	dump = open_buf(bad);
	CHECK(dump == NULL && d.status == VMC_ERR_UNSUPPORTED);
	CHECK(strstr(d.msg, "big-endian kdump") && strstr(d.msg, "s390x") && !strstr(d.msg, "header_version"));
	harness_note("%s", d.msg);
	vmc_dump_close(dump);
	/* 32-bit layout: an 8-byte timestamp moves status, block_size, ... 12 bytes down */
	memcpy(bad.p, kd.p, kd.len);
	strcpy((char *)bad.p + KDH_UTSNAME + 4 * 65, "armv7l");
	memmove(bad.p + 412, kd.p + KDH_STATUS, KDH_SIZE - KDH_STATUS);
	dump = open_buf(bad);
	CHECK(dump == NULL && d.status == VMC_ERR_UNSUPPORTED);
	CHECK(strstr(d.msg, "32-bit") && strstr(d.msg, "armv7l") && !strstr(d.msg, "i386"));
	harness_note("%s", d.msg);
	vmc_dump_close(dump);
	free(bad.p);
	/* big-endian ELF of s390x */
	e.p[EI_DATA] = ELFDATA2MSB;
	e.p[18] = 0, e.p[19] = EM_S390;
	dump = open_buf(e);
	CHECK(dump == NULL && d.status == VMC_ERR_UNSUPPORTED);
	CHECK(strstr(d.msg, "big-endian ELF (s390x)") != NULL);
	harness_note("%s", d.msg);
	vmc_dump_close(dump);
	free(e.p);
	free(kd.p);
}

/* --- page sizes other than 4 KiB, other machines (issue 15 item 6) --- */

#define P64K 65536ull
static const struct td_seg segs_a64[] = { { 0x40000000, 4 * P64K, 3 * P64K }, { 0x40080000, 2 * P64K, 2 * P64K } };
static const char vmci_a64[] = "OSRELEASE=6.1.0-arm\nPAGESIZE=65536\nNUMBER(VA_BITS)=48\nNUMBER(PHYS_OFFSET)=0x40000000\n";
static const struct td_spec spec_a64 = { .machine = EM_AARCH64, .segs = segs_a64, .nsegs = 2, .vmcoreinfo = vmci_a64,
					 .nprstatus = 2, .seed = 64 };

/* every frame of the spec reads back as its content in 64 KiB pages */
static bool pages_match_a64(struct vmc_dump *dump)
{
	uint8_t *want = malloc(P64K), *got = malloc(P64K), *scratch = malloc(dump->scratch_size + 1);
	unsigned n = 0, bad = 0;

	for (uint64_t pfn = 0; pfn < dump->max_pfn; pfn++) {
		struct vmc_diag rd;
		if (!vmc_bitmap_test(&dump->stored, pfn))
			continue;
		n++;
		vmc_diag_init(&rd);
		td_expected_page(&spec_a64, pfn, (uint32_t)P64K, want);
		if (vmc_dump_read_page(dump, pfn, got, scratch, &rd) || memcmp(got, want, P64K))
			bad++;
	}
	free(want), free(got), free(scratch);
	harness_note("%u frames, %u wrong", n, bad);
	return n == 5 && bad == 0;
}

/* An arm64 ELF vmcore with 64 KiB pages: the page size from PAGESIZE, the machine from
 * e_machine, phys_base from PHYS_OFFSET; kdump output says block_size 65536 and "aarch64",
 * and reads back (and converts back to ELF) page for page. */
TEST(aarch64_64k_elf_kdump_elf)
{
	struct buf e = build(&spec_a64), kd, e2;
	struct vmc_dump *dump = open_buf(e), *back, *back2;

	REQUIRE(dump);
	CHECK_EQ(dump->page_size, P64K);
	CHECK_EQ(dump->page_shift, 16);
	CHECK_EQ(dump->e_machine, EM_AARCH64);
	CHECK(strcmp(dump->uts.machine, "aarch64") == 0);
	CHECK(dump->has_phys_base && dump->phys_base == 0x40000000);
	CHECK(pages_match_a64(dump));
	REQUIRE(convert(dump, &vmc_writer_kdump, &kd) == VMC_OK);
	CHECK_EQ(kd_get32(kd.p + KDH_BLOCK_SIZE), P64K);
	CHECK(strcmp(uts_field(&kd, 4), "aarch64") == 0);
	CHECK_EQ(kd_get64(kd.p + P64K + KSH_PHYS_BASE), 0x40000000);
	REQUIRE((back = open_buf(kd)));
	CHECK_EQ(back->page_size, P64K);
	CHECK_EQ(back->e_machine, EM_AARCH64);
	CHECK(pages_match_a64(back));
	REQUIRE(convert(back, &vmc_writer_elf, &e2) == VMC_OK);
	CHECK_EQ(((Elf64_Ehdr *)(void *)e2.p)->e_machine, EM_AARCH64);
	REQUIRE((back2 = open_buf(e2)));
	CHECK_EQ(back2->page_size, P64K);
	CHECK(pages_match_a64(back2));
	vmc_dump_close(back2);
	vmc_dump_close(back);
	vmc_dump_close(dump);
	free(e2.p), free(kd.p), free(e.p);
}

/* A PAGESIZE that is no power of two in [4 KiB, 256 KiB] is refused as corrupt, naming the
 * file offset of the value; a kdump whose block_size VMCOREINFO contradicts, too. */
TEST(bad_pagesize_refused_at_its_offset)
{
	static const char *const bad[] = { "65537", "1048576", "2048", "0", "6x536", "99999999999999999999" };
	struct buf kd;
	struct vmc_dump *dump;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char txt[160], want[64];
		struct td_spec s = spec_a64;
		struct buf e;
		const uint8_t *at;
		snprintf(txt, sizeof(txt), "OSRELEASE=6.1.0-arm\nPAGESIZE=%s\nNUMBER(PHYS_OFFSET)=0x40000000\n", bad[i]);
		s.vmcoreinfo = txt;
		e = build(&s);
		REQUIRE(e.p);
		at = memmem(e.p, e.len, "PAGESIZE=", 9);
		REQUIRE(at);
		snprintf(want, sizeof(want), "offset 0x%llx:", (unsigned long long)(at + 9 - e.p));
		dump = open_buf(e);
		CHECK(dump == NULL && d.status == VMC_ERR_CORRUPT);
		CHECK(strstr(d.msg, "part1") && strstr(d.msg, want) && strstr(d.msg, "PAGESIZE=") && !strchr(d.msg, '\n'));
		harness_note("%s", d.msg);
		vmc_dump_close(dump);
		free(e.p);
	}
	/* a kdump: block_size 65536, VMCOREINFO rewritten to 16384 */
	{
		struct buf e = build(&spec_a64);
		REQUIRE((dump = open_buf(e)));
		REQUIRE(convert(dump, &vmc_writer_kdump, &kd) == VMC_OK);
		vmc_dump_close(dump);
		free(e.p);
	}
	{
		uint8_t *at = memmem(kd.p, kd.len, "PAGESIZE=65536", 14);
		REQUIRE(at);
		memcpy(at + 9, "16384", 5);
	}
	dump = open_buf(kd);
	CHECK(dump == NULL && d.status == VMC_ERR_CORRUPT);
	CHECK(strstr(d.msg, "block_size 65536 but VMCOREINFO PAGESIZE=16384") != NULL);
	harness_note("%s", d.msg);
	vmc_dump_close(dump);
	free(kd.p);
}

/* A kdump of a machine vmcarve has no e_machine for converts to kdump (the name kept), not to
 * an ELF file that would claim x86_64; carving any non-x86 dump is refused. */
TEST(other_machines_not_passed_off_as_x86)
{
	struct buf kd = kdump_of_spec(), out;
	struct vmc_dump *dump;
	struct vmc_carve_opts co = { 0 };
	struct vmc_hv hv;

	REQUIRE(kd.p);
	memset(kd.p + KDH_UTSNAME + 4 * 65, 0, 65);
	strcpy((char *)kd.p + KDH_UTSNAME + 4 * 65, "riscv64");
	REQUIRE((dump = open_buf(kd)));
	CHECK_EQ(dump->e_machine, 0);
	CHECK(convert(dump, &vmc_writer_elf, &out) == VMC_ERR_UNSUPPORTED && strstr(d.msg, "riscv64") &&
	      strstr(d.msg, "part1: offset 0x110:"));
	harness_note("%s", d.msg);
	REQUIRE(convert(dump, &vmc_writer_kdump, &out) == VMC_OK);
	CHECK(strcmp(uts_field(&out, 4), "riscv64") == 0);
	free(out.p);
	vmc_diag_init(&d);
	CHECK(vmc_carve_scan(dump, &co, &hv, &d) == VMC_ERR_UNSUPPORTED && strstr(d.msg, "machine riscv64"));
	vmc_dump_close(dump);
	strcpy((char *)kd.p + KDH_UTSNAME + 4 * 65, "aarch64");
	REQUIRE((dump = open_buf(kd)));
	CHECK_EQ(dump->e_machine, EM_AARCH64);
	vmc_diag_init(&d);
	CHECK(vmc_carve_scan(dump, &co, &hv, &d) == VMC_ERR_UNSUPPORTED && strstr(d.msg, "machine aarch64"));
	harness_note("%s", d.msg);
	vmc_dump_close(dump);
	free(kd.p);
}
