/* testdump.h: build small ELF vmcores in memory for the unit tests and the fuzz seed
 * generator, with page contents that are a pure function of (seed, physical address) so
 * every test can compute the expected bytes of any frame. */
#ifndef VMC_TESTDUMP_H
#define VMC_TESTDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_seg {
	uint64_t paddr, memsz, filesz; /* bytes; filesz <= memsz */
};

/* bytes laid over the generated content at a physical address (e.g. a utsname) */
struct td_patch {
	uint64_t paddr;
	const void *data;
	size_t len;
};

struct td_spec {
	int elfclass;            /* 64 (default when 0) or 32 */
	uint16_t machine;        /* EM_X86_64 when 0 */
	const struct td_seg *segs;
	unsigned nsegs;
	const char *vmcoreinfo;  /* VMCOREINFO note text, NULL for none */
	unsigned nprstatus;      /* CORE/NT_PRSTATUS notes (zero-filled) */
	uint32_t seed;
	bool ktext;              /* add kexec's kernel-text PT_LOAD aliasing segs[0] */
	bool pnxnum;             /* write e_phnum = PN_XNUM with the count in section 0 */
	uint32_t e_flags;
	const struct td_patch *patches;
	unsigned npatches;
};

/* Byte-address content: each 4 KiB frame is zero, one of two shared pages, random, or a
 * compressible pattern, chosen from (seed, frame). */
void td_fill(uint32_t seed, uint64_t paddr, uint8_t *buf, size_t len);
/* The spec's content at a physical address: td_fill plus the patches. */
void td_fill_spec(const struct td_spec *s, uint64_t paddr, uint8_t *buf, size_t len);
/* Expected content of frame pfn with page size ps: stored bytes of the spec, else zeros.
 * Returns whether any byte of the frame is stored. */
bool td_expected_page(const struct td_spec *s, uint64_t pfn, uint32_t ps, uint8_t *buf);
/* Build the ELF file; returns malloc'ed bytes (NULL on OOM). */
uint8_t *td_build_elf(const struct td_spec *s, size_t *len);

/* Append one ELF note (Elf64_Nhdr layout) to a growing buffer. */
void td_add_note(uint8_t **blob, size_t *len, const char *name, uint32_t type, const void *desc, size_t desclen);

/* Rewrite a single kdump (as the kdump writer makes it) into part `part` of an n-way split
 * set whose parts start at the given pfns (ascending, first 0). Returns malloc'ed bytes. */
uint8_t *td_kdump_split_part(const uint8_t *kd, size_t len, const uint64_t *starts, unsigned n, unsigned part,
			     size_t *outlen);

/* Deterministic PRNG for tests. */
static inline uint64_t td_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
