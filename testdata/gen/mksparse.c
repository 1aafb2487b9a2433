/*
 * mksparse: a huge ELF vmcore as a sparse file, for the memory benchmark (scripts/bench/memory):
 * RAM of any size (default 1 TiB) in equal PT_LOAD segments, each storing its first STORED
 * bytes in the file (holes, which read as zeros and cost no disk) and leaving the rest as a
 * p_filesz < p_memsz tail, with a few real pages (deterministic pseudo-random bytes) spread
 * over the stored data. Shares no code with vmcarve.
 *
 * Usage: mksparse OUT [RAM_GIB [SEGMENTS [STORED_MIB_PER_SEGMENT [REAL_PAGES [HIGH_PADDR]]]]]
 *   defaults: 1024 GiB of RAM, 64 segments, 64 MiB stored per segment, 256 real pages.
 *   STORED_MIB_PER_SEGMENT = all: every segment wholly stored (the file is RAM_GIB big, sparse).
 *   HIGH_PADDR: the last segment starts at this physical address instead (e.g. 0x400000000000,
 *   2^46), as an odd or hostile dump can have: the highest frame far above the RAM there is.
 * Prints the RAM, stored and real page counts, and the highest frame + 1 (max_pfn).
 */
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096ull

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next64(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static void put(int fd, const void *buf, size_t len, uint64_t off)
{
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len) {
		perror("mksparse: pwrite");
		exit(1);
	}
}

/* one VMCOREINFO note, so the dump has a page size and a release like a real one */
static size_t vmcoreinfo_note(uint8_t *buf)
{
	static const char text[] = "OSRELEASE=6.1.0-sparse\nPAGESIZE=4096\n";
	Elf64_Nhdr nh = { .n_namesz = 11, .n_descsz = sizeof(text) - 1, .n_type = 0 };
	size_t off = 0;

	memcpy(buf, &nh, sizeof(nh)), off += sizeof(nh);
	memcpy(buf + off, "VMCOREINFO", 11), off += 12;
	memcpy(buf + off, text, sizeof(text) - 1), off += (sizeof(text) - 1 + 3) & ~3ul;
	return off;
}

int main(int argc, char **argv)
{
	uint64_t ram_gib = argc > 2 ? strtoull(argv[2], NULL, 0) : 1024;
	uint64_t nseg = argc > 3 ? strtoull(argv[3], NULL, 0) : 64;
	int all = argc > 4 && strcmp(argv[4], "all") == 0;
	uint64_t stored_mib = argc > 4 && !all ? strtoull(argv[4], NULL, 0) : 64;
	uint64_t nreal = argc > 5 ? strtoull(argv[5], NULL, 0) : 256;
	uint64_t high = argc > 6 ? strtoull(argv[6], NULL, 0) : 0;
	uint64_t ram = ram_gib << 30, segsz, filesz, data_off, nstored, off, top = 0;
	uint8_t note[256], page[PAGE];
	size_t note_len = vmcoreinfo_note(note);
	Elf64_Ehdr eh = { 0 };
	int fd;

	if (argc < 2 || !nseg || !ram_gib || (ram / nseg) % PAGE || nseg > 60000 || high % PAGE ||
	    (high && high < ram - ram / nseg)) {
		fprintf(stderr, "usage: mksparse OUT [RAM_GIB [SEGMENTS [STORED_MIB|all [REAL_PAGES [HIGH_PADDR]]]]]\n"
				"  (HIGH_PADDR page-aligned, above the other segments)\n");
		return 2;
	}
	segsz = ram / nseg;
	filesz = all ? segsz : stored_mib << 20;
	if (filesz > segsz)
		filesz = segsz;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64, eh.e_ident[EI_DATA] = ELFDATA2LSB, eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE, eh.e_machine = EM_X86_64, eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh), eh.e_phentsize = sizeof(Elf64_Phdr), eh.e_phnum = (uint16_t)(nseg + 1);
	eh.e_ehsize = sizeof(eh);
	put(fd, &eh, sizeof(eh), 0);
	off = sizeof(eh) + (nseg + 1) * sizeof(Elf64_Phdr);
	Elf64_Phdr pn = { .p_type = PT_NOTE, .p_offset = off, .p_filesz = note_len };
	put(fd, &pn, sizeof(pn), sizeof(eh));
	put(fd, note, note_len, off);
	data_off = (off + note_len + PAGE - 1) & ~(PAGE - 1);
	for (uint64_t i = 0; i < nseg; i++) {
		Elf64_Phdr p = { .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = data_off + i * filesz,
				 .p_paddr = high && i + 1 == nseg ? high : i * segsz, .p_filesz = filesz, .p_memsz = segsz };
		put(fd, &p, sizeof(p), sizeof(eh) + (i + 1) * sizeof(p));
		top = p.p_paddr + segsz;
	}
	nstored = nseg * filesz / PAGE;
	if (nreal > nstored)
		nreal = nstored;
	/* the real pages: evenly spread over the stored frames, each its own random bytes */
	for (uint64_t r = 0; r < nreal; r++) {
		uint64_t k = r * (nstored / nreal); /* k-th stored frame */
		for (size_t b = 0; b < PAGE; b += 8) {
			uint64_t v = next64();
			memcpy(page + b, &v, 8);
		}
		put(fd, page, PAGE, data_off + k * PAGE);
	}
	if (ftruncate(fd, (off_t)(data_off + nseg * filesz)) || close(fd)) {
		perror("mksparse: ftruncate");
		return 1;
	}
	printf("ram_pages=%llu stored_pages=%llu real_pages=%llu segments=%llu max_pfn=0x%llx\n",
	       (unsigned long long)(ram / PAGE), (unsigned long long)nstored, (unsigned long long)nreal,
	       (unsigned long long)nseg, (unsigned long long)(top / PAGE));
	return 0;
}
