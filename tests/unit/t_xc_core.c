/* t_xc_core.c: the xc_core (xl dump-core) reader: pfn index, invalid and repeated entries,
 * .xen_pfn for auto-translated guests, truncation, malformed section tables. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "harness.h"

static struct vmc_diag d;

/* sections: null, .shstrtab, .note.Xen (empty), .xen_pages, .xen_p2m or .xen_pfn */
static uint8_t *build(const uint64_t *pfns, unsigned n, bool pv, size_t *len)
{
	static const char names[] = "\0.shstrtab\0.note.Xen\0.xen_pages\0.xen_p2m\0.xen_pfn";
	size_t entsz = pv ? 16 : 8, pages_off = 0x1000, idx_off = pages_off + n * 4096ul;
	size_t str_off = idx_off + n * entsz, sh_off = (str_off + sizeof(names) + 7) & ~7ul;
	uint8_t *f = calloc(1, sh_off + 5 * sizeof(Elf64_Shdr));
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Shdr *sh = (Elf64_Shdr *)(f + sh_off);

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shoff = sh_off;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 5;
	eh->e_shstrndx = 1;
	for (unsigned i = 0; i < n; i++) {
		memset(f + pages_off + i * 4096ul, 0x10 + i, 4096);
		if (pv) {
			uint64_t e[2] = { pfns[i], 0x1000 + i };
			memcpy(f + idx_off + i * 16ul, e, 16);
		} else
			memcpy(f + idx_off + i * 8ul, &pfns[i], 8);
	}
	memcpy(f + str_off, names, sizeof(names));
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_STRTAB, .sh_offset = str_off, .sh_size = sizeof(names) };
	sh[2] = (Elf64_Shdr){ .sh_name = 11, .sh_type = SHT_NOTE, .sh_offset = str_off, .sh_size = 0 };
	sh[3] = (Elf64_Shdr){ .sh_name = 21, .sh_type = SHT_PROGBITS, .sh_offset = pages_off, .sh_size = n * 4096ul };
	sh[4] = (Elf64_Shdr){ .sh_name = pv ? 32 : 41, .sh_type = SHT_PROGBITS, .sh_offset = idx_off, .sh_size = n * entsz };
	*len = sh_off + 5 * sizeof(Elf64_Shdr);
	return f;
}

static struct vmc_dump *open_named(const char *name, const uint8_t *f, size_t len)
{
	struct vmc_bytesrc *src;
	struct vmc_dump *dump = NULL;

	vmc_diag_init(&d);
	if (vmc_bytesrc_new_mem(name, f, len, &src, &d))
		return NULL;
	if (vmc_dump_open_srcs(&src, 1, &dump, &d)) {
		vmc_bytesrc_free(src);
		return NULL;
	}
	return dump;
}

static struct vmc_dump *open_mem(const uint8_t *f, size_t len)
{
	return open_named("x.xc_core", f, len);
}

TEST(pv_index_invalid_and_repeated)
{
	const uint64_t pfns[] = { 5, ~0ull, 2, 5, 3 };
	size_t len;
	uint8_t *f = build(pfns, 5, true, &len), buf[4096];
	struct vmc_dump *dump = open_mem(f, len);

	REQUIRE(dump != NULL);
	CHECK(strcmp(dump->format, "xc_core") == 0);
	CHECK_EQ(dump->max_pfn, 6);
	CHECK_EQ(vmc_bitmap_count(&dump->stored), 3);
	CHECK(vmc_bitmap_test(&dump->stored, 2) && vmc_bitmap_test(&dump->stored, 3) && vmc_bitmap_test(&dump->stored, 5));
	CHECK_EQ(d.nwarn, 1); /* pfn 5 twice */
	REQUIRE(vmc_dump_read_page(dump, 5, buf, NULL, &d) == VMC_OK);
	CHECK(buf[0] == 0x10 && buf[4095] == 0x10); /* the first page for pfn 5 wins */
	REQUIRE(vmc_dump_read_page(dump, 2, buf, NULL, &d) == VMC_OK);
	CHECK(buf[17] == 0x12);
	REQUIRE(vmc_dump_read_page(dump, 3, buf, NULL, &d) == VMC_OK);
	CHECK(buf[17] == 0x14);
	CHECK_EQ(vmc_dump_read_page(dump, 4, buf, NULL, &d), VMC_ERR_MISSING);
	vmc_dump_close(dump);
	free(f);
}

TEST(hvm_pfn_list_and_runs)
{
	const uint64_t pfns[] = { 0, 1, 2, 10 };
	size_t len;
	uint8_t *f = build(pfns, 4, false, &len), buf[3 * 4096];
	struct vmc_dump *dump = open_mem(f, len);

	REQUIRE(dump != NULL);
	CHECK_EQ(dump->max_pfn, 11);
	CHECK_EQ(vmc_bitmap_count(&dump->stored), 4);
	REQUIRE(dump->ops->read_run(dump, 0, 3, buf, &d) == VMC_OK);
	CHECK(buf[0] == 0x10 && buf[4096] == 0x11 && buf[8192] == 0x12);
	CHECK_EQ(dump->ops->read_run(dump, 1, 3, buf, &d), VMC_ERR_UNSUPPORTED); /* 2 -> 10 is not a run */
	vmc_dump_close(dump);
	free(f);
}

TEST(truncated_pages_are_missing_and_bad_tables_refused)
{
	const uint64_t pfns[] = { 0, 1, 2 };
	size_t len;
	uint8_t *f = build(pfns, 3, true, &len), *cut;
	struct vmc_dump *dump;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;

	/* keep the section table but cut the last page: rebuild with the table first */
	cut = malloc(len);
	memcpy(cut, f, len);
	dump = open_mem(cut, 0x1000 + 2 * 4096 + 100); /* section headers now past the end */
	CHECK(dump == NULL);
	CHECK(strstr(d.msg, "x.xc_core") != NULL);
	free(cut);
	eh->e_shstrndx = 9;
	CHECK(open_mem(f, len) == NULL);
	CHECK(strstr(d.msg, "e_shstrndx") != NULL);
	eh->e_shstrndx = 1;
	eh->e_shnum = 200;
	CHECK(open_mem(f, len) == NULL);
	eh->e_shnum = 5;
	/* a page index entry beyond the limit */
	{
		uint64_t big = 1ull << 40;
		Elf64_Shdr *sh = (Elf64_Shdr *)(f + eh->e_shoff);
		memcpy(f + sh[4].sh_offset + 16, &big, 8);
		CHECK(open_mem(f, len) == NULL);
		CHECK(strstr(d.msg, "pfn 0x10000000000") != NULL);
	}
	free(f);
}

TEST(pages_past_eof_are_missing)
{
	const uint64_t pfns[] = { 0, 1, 2 };
	size_t len;
	uint8_t *f = build(pfns, 3, true, &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Shdr *sh = (Elf64_Shdr *)(f + eh->e_shoff);
	struct vmc_dump *dump;

	/* .xen_pages claims more than the file holds: move it to the end */
	sh[3].sh_offset = len - 4096;
	dump = open_mem(f, len);
	REQUIRE(dump != NULL);
	CHECK_EQ(dump->nmissing, 2);
	CHECK(strstr(dump->missing_why, "past the end") != NULL);
	vmc_dump_close(dump);
	free(f);
}

/* The first missing frame's reason keeps its offset and its why behind a long path (it had
 * 160 bytes: a path of 150 cut it to "offset 0", and the error line then had no offset). */
TEST(missing_why_whole_behind_a_long_path)
{
	const uint64_t pfns[] = { 0, 1, 2 };
	char name[400];
	size_t len;
	uint8_t *f = build(pfns, 3, true, &len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Shdr *sh = (Elf64_Shdr *)(f + eh->e_shoff);
	struct vmc_dump *dump;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	sh[3].sh_offset = len - 4096;
	dump = open_named(name, f, len);
	REQUIRE(dump != NULL);
	CHECK(strncmp(dump->missing_why, name, sizeof(name) - 1) == 0);
	CHECK(strstr(dump->missing_why, ": offset 0x") != NULL);
	CHECK(strstr(dump->missing_why, "past the end") != NULL);
	vmc_dump_close(dump);
	free(f);
}
