/*
 * mkpgcdump: a synthetic x86_64 Linux ELF vmcore whose struct page array holds every page
 * class of makedumpfile's dump levels, and the frames each level keeps (the oracle for the
 * dump-level fixture test). Shares no code with vmcarve.
 *
 * Usage: mkpgcdump 61|66|612 OUT.elf EXPECTDIR
 *   61, 66, 612: the VMCOREINFO key set of that kernel generation (pgc_keysets.h).
 *   EXPECTDIR/keep-N (N = 1..31): the pfns (0x..., one a line) an ELF output at -d N holds.
 *
 * Memory (4 KiB frames, 2 MiB sections, 10 MiB of RAM = sections 0-4):
 *   pfn 0x000-0x7ff  sections 0-3: the pages the struct pages describe (table below), filled
 *                    with a non-zero pattern except the all-zero pfns 0x200-0x209
 *   pfn 0x800-0x827  the struct page array (vmemmap 0xffffea0000000000, one 2 MiB leaf)
 *   pfn 0x900-0x905  page tables (init_top_pgt), mem_section roots and sections
 *   section 4 (pfn 0x800-0x9ff): its mem_map points at unmapped vmemmap: the classifier
 *                    cannot read its struct pages and must keep it whole, with a warning.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgc_keysets.h"

#define PAGE 4096u
#define NPFN 2560u
#define VMEMMAP 0xffffea0000000000ull
#define BAD_VMEMMAP 0xffffeb0000000000ull
#define DMAP 0xffff888000000000ull
#define KTEXT 0xffffffff80000000ull
#define ANON 0xffff888001234561ull
#define FILEMAP 0xffff888001234560ull
enum { MEMMAP_PFN = 0x800, PGD_PFN = 0x900, SEC_PAGES = 512, ALWAYS = 0x100 };

static uint8_t *ram;
static int kset;

/* the key set's numbers, as the kernel generation defines them */
static int pg_lru, pg_private, pg_swapcache, pg_swapbacked = 19, pg_slab, pg_hwpoison, pg_head, pg_hugetlb;
static uint32_t buddy, offline, slabtype, hugetype;

static void keys(void)
{
	if (kset == 61) {
		pg_lru = 4, pg_private = 13, pg_swapcache = 10, pg_slab = 9, pg_hwpoison = 23, pg_head = 16;
		buddy = (uint32_t)-129, offline = (uint32_t)-257, slabtype = 0xffffffff;
	} else {
		pg_lru = 5, pg_private = 15, pg_swapcache = 12, pg_head = 6;
		pg_slab = kset == 66 ? 11 : -1;
		pg_hwpoison = kset == 66 ? 22 : 21;
		pg_hugetlb = 8;
		buddy = kset == 66 ? (uint32_t)-129 : 0xf0000000u;
		offline = kset == 66 ? (uint32_t)-257 : 0xf1000000u;
		hugetype = 0xf4000000u;
		slabtype = kset == 66 ? 0xffffffff : 0xf5000000u;
	}
}

static uint64_t b(int n) { return n >= 0 ? 1ull << n : 0; }
static void put64(uint64_t pa, uint64_t v) { memcpy(ram + pa, &v, 8); }
static void put32(uint64_t pa, uint32_t v) { memcpy(ram + pa, &v, 4); }
static uint64_t sp(uint64_t pfn) { return (uint64_t)MEMMAP_PFN * PAGE + pfn * 64; } /* struct page's pa */

static void page(uint64_t pfn, uint64_t flags, uint64_t mapping, uint32_t mapcount, uint64_t private)
{
	put64(sp(pfn) + 0, flags);
	put64(sp(pfn) + 8, 0);
	put64(sp(pfn) + 24, mapping);
	put64(sp(pfn) + 40, private);
	put32(sp(pfn) + 48, mapcount);
}

static void compound(uint64_t pfn, unsigned order, uint64_t flags, uint64_t mapping, uint32_t type, int hugetlb)
{
	page(pfn, flags | b(pg_head), mapping, type, 0);
	for (uint64_t i = 1; i < (1ull << order); i++) {
		page(pfn + i, 0, 0, 0xffffffff, 0);
		put64(sp(pfn + i) + 8, (VMEMMAP + pfn * 64) | 1);
	}
	if (kset == 61) {
		ram[sp(pfn + 1) + 17] = (uint8_t)order;
		if (hugetlb)
			ram[sp(pfn + 1) + 16] = 2; /* HUGETLB_PAGE_DTOR */
	} else {
		put64(sp(pfn + 1), order | (hugetlb && kset == 66 ? b(pg_hugetlb) : 0));
		if (hugetlb && kset == 612)
			put32(sp(pfn) + 48, hugetype);
	}
}

/* the class -d 31 counts a frame under, in vmcarve info -v's order */
enum { C_ZERO, C_CACHE, C_PRI, C_USER, C_FREE, C_HWP, C_OFF, C_N };
static const char *const cname[C_N] = { "zero", "cache", "cache_private", "user", "free", "hwpoison", "offline" };

struct expect {
	uint64_t pfn, n;
	unsigned mask;
	int cls;
};
static const struct expect table[] = {
	{ 3, 1, 8, C_USER }, { 4, 1, 2 | 4, C_CACHE }, { 5, 1, 4, C_PRI }, { 6, 1, 2 | 4, C_CACHE },
	{ 8, 8, 16, C_FREE }, { 17, 1, ALWAYS, C_HWP }, { 18, 1, ALWAYS, C_OFF }, { 32, 16, 8, C_USER },
	{ 64, 8, 8, C_USER }, { 80, 8, 2 | 4, C_CACHE }, { 511, 1, 8, C_USER },
	{ 768, 256, 16, C_FREE },  /* a free order-8 block */
	{ 1024, 1024, 8, C_USER }, /* THP of order 10 across sections 2 and 3 */
};

static void struct_pages(void)
{
	for (uint64_t p = 0; p < NPFN; p++)
		page(p, 0, 0, 0xffffffff, 0);
	page(2, b(pg_slab), ANON, slabtype, 0);
	page(3, b(pg_lru) | b(pg_swapbacked), ANON, 0, 0);
	page(4, b(pg_lru), FILEMAP, 0, 0);
	page(5, b(pg_lru) | b(pg_private), FILEMAP, 0, 1);
	page(6, b(pg_swapcache) | b(pg_swapbacked), FILEMAP, 0, 0);
	page(7, b(pg_swapcache), FILEMAP, 0, 0);
	page(8, 0, 0, buddy, 3);
	page(16, 0, 0, buddy, 11);
	page(17, b(pg_hwpoison), 0, 0xffffffff, 0);
	page(18, 0, 0, offline, 0);
	compound(32, 4, b(pg_lru) | b(pg_swapbacked), ANON, 0, 0);
	compound(64, 3, 0, FILEMAP, 0xffffffff, 1);
	compound(80, 3, b(pg_lru), FILEMAP, 0, 0);
	compound(96, 1, b(pg_slab), ANON, slabtype, 0);
	page(511, b(pg_head) | b(pg_lru), ANON, 0, 0);
	page(768, 0, 0, buddy, 8);
	compound(1024, 10, b(pg_lru) | b(pg_swapbacked), ANON, 0, 0);
}

/* init_top_pgt: the direct map as one 1 GiB leaf, vmemmap as one 2 MiB leaf; mem_section. */
static void tables(void)
{
	uint64_t pgd = PGD_PFN * (uint64_t)PAGE, pud_d = pgd + PAGE, pud_v = pgd + 2 * PAGE, pmd_v = pgd + 3 * PAGE;
	uint64_t roots = pgd + 4 * PAGE, secs = pgd + 5 * PAGE;

	put64(pgd + ((DMAP >> 39) & 511) * 8, pud_d | 0x63);
	put64(pud_d, 0x0 | 0xe3);
	put64(pgd + ((VMEMMAP >> 39) & 511) * 8, pud_v | 0x63);
	put64(pud_v, pmd_v | 0x63);
	put64(pmd_v, (uint64_t)MEMMAP_PFN * PAGE | 0xe3);
	put64(roots, DMAP + secs);
	for (uint64_t nr = 0; nr < 5; nr++)
		put64(secs + nr * 16, (nr < 4 ? VMEMMAP : BAD_VMEMMAP) | 3);
}

/* A non-zero pattern, except the zero pages and the frames the structures go into. */
static void contents(void)
{
	for (uint64_t p = 0; p < NPFN; p++) {
		int zero = (p >= 0x200 && p < 0x20a) || (p >= MEMMAP_PFN && p < MEMMAP_PFN + NPFN * 64 / PAGE) ||
			   (p >= PGD_PFN && p < PGD_PFN + 6);
		for (unsigned i = 0; i < PAGE; i += 8)
			put64(p * PAGE + i, zero ? 0 : (p << 32 | i) + 1);
	}
}

static void write_elf(const char *path)
{
	char vi[4096];
	FILE *f = fopen(path, "wb");
	size_t vlen, nlen, dataoff = 2 * PAGE;
	uint8_t eh[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 }, ph[2][56], nh[12 + 12];
	const char *set = kset == 61 ? PGC_KEYS_61 : kset == 66 ? PGC_KEYS_66 : PGC_KEYS_612;

	vlen = (size_t)snprintf(vi, sizeof(vi),
				"%sPAGESIZE=4096\nNUMBER(phys_base)=0\nSYMBOL(init_top_pgt)=%llx\n"
				"NUMBER(pgtable_l5_enabled)=0\nSYMBOL(mem_section)=%llx\nLENGTH(mem_section)=1\n"
				"SIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\n"
				"NUMBER(SECTION_SIZE_BITS)=21\nNUMBER(MAX_PHYSMEM_BITS)=29\n",
				set, (unsigned long long)(KTEXT + PGD_PFN * (uint64_t)PAGE),
				(unsigned long long)(DMAP + PGD_PFN * (uint64_t)PAGE + 4 * PAGE));
	nlen = 12 + 12 + ((vlen + 3) & ~3ul);
	memset(eh + 7, 0, sizeof(eh) - 7);
	*(uint16_t *)(eh + 16) = 4;  /* ET_CORE */
	*(uint16_t *)(eh + 18) = 62; /* EM_X86_64 */
	*(uint32_t *)(eh + 20) = 1;
	*(uint64_t *)(eh + 32) = 64;
	*(uint16_t *)(eh + 52) = 64;
	*(uint16_t *)(eh + 54) = 56;
	*(uint16_t *)(eh + 56) = 2;
	memset(ph, 0, sizeof(ph));
	*(uint32_t *)ph[0] = 4; /* PT_NOTE */
	*(uint64_t *)(ph[0] + 8) = PAGE;
	*(uint64_t *)(ph[0] + 32) = nlen;
	*(uint64_t *)(ph[0] + 40) = nlen;
	*(uint32_t *)ph[1] = 1; /* PT_LOAD */
	*(uint32_t *)(ph[1] + 4) = 7;
	*(uint64_t *)(ph[1] + 8) = dataoff;
	*(uint64_t *)(ph[1] + 16) = DMAP;
	*(uint64_t *)(ph[1] + 32) = (uint64_t)NPFN * PAGE;
	*(uint64_t *)(ph[1] + 40) = (uint64_t)NPFN * PAGE;
	memset(nh, 0, sizeof(nh));
	*(uint32_t *)nh = 11;
	*(uint32_t *)(nh + 4) = (uint32_t)vlen;
	memcpy(nh + 12, "VMCOREINFO", 11);
	if (!f || fwrite(eh, 64, 1, f) != 1 || fwrite(ph, sizeof(ph), 1, f) != 1 || fseek(f, PAGE, SEEK_SET) ||
	    fwrite(nh, sizeof(nh), 1, f) != 1 || fwrite(vi, (vlen + 3) & ~3ul, 1, f) != 1 ||
	    fseek(f, (long)dataoff, SEEK_SET) || fwrite(ram, PAGE, NPFN, f) != NPFN || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* stats-31: what vmcarve info -v counts per class at -d 31 ("class N" lines) */
static void write_stats(const char *dir)
{
	uint64_t n[C_N] = { 0 }, remaining = 0;
	char path[4096];
	FILE *f;

	for (uint64_t p = 0; p < NPFN; p++) {
		int cls = p >= 0x200 && p < 0x20a ? C_ZERO : -1;
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]) && cls != C_N; i++)
			if (p >= table[i].pfn && p < table[i].pfn + table[i].n) {
				cls = table[i].cls;
				break;
			}
		if (cls >= 0)
			n[cls]++;
		else
			remaining++;
	}
	snprintf(path, sizeof(path), "%s/stats-31", dir);
	if (!(f = fopen(path, "w"))) {
		perror(path);
		exit(1);
	}
	fprintf(f, "pages %llu\n", (unsigned long long)NPFN);
	for (int c = 0; c < C_N; c++)
		fprintf(f, "%s %llu\n", cname[c], (unsigned long long)n[c]);
	fprintf(f, "unmanaged 0\nremaining %llu\n", (unsigned long long)remaining);
	fclose(f);
}

static void write_expect(const char *dir)
{
	char path[4096];
	for (unsigned level = 1; level <= 31; level++) {
		FILE *f;
		snprintf(path, sizeof(path), "%s/keep-%u", dir, level);
		if (!(f = fopen(path, "w"))) {
			perror(path);
			exit(1);
		}
		for (uint64_t p = 0; p < NPFN; p++) {
			int keep = !((level & 1) && p >= 0x200 && p < 0x20a);
			for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
				if (p >= table[i].pfn && p < table[i].pfn + table[i].n &&
				    ((table[i].mask & ALWAYS) || (level & table[i].mask)))
					keep = 0;
			if (keep)
				fprintf(f, "0x%llx\n", (unsigned long long)p);
		}
		fclose(f);
	}
	write_stats(dir);
}

int main(int argc, char **argv)
{
	if (argc != 4 || ((kset = atoi(argv[1])) != 61 && kset != 66 && kset != 612)) {
		fprintf(stderr, "usage: mkpgcdump 61|66|612 OUT.elf EXPECTDIR\n");
		return 2;
	}
	if (!(ram = calloc(NPFN, PAGE)))
		return 1;
	keys();
	contents();
	struct_pages();
	tables();
	write_elf(argv[2]);
	write_expect(argv[3]);
	free(ram);
	return 0;
}
