/* fuzz_common.h: shared pieces of the fuzz targets: opening dumps from memory, reading
 * pages with bounded work, and invariant checks that abort (so libFuzzer reports them). */
#ifndef VMC_FUZZ_COMMON_H
#define VMC_FUZZ_COMMON_H

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "notes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_ASSERT(cond)                                                                            \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Bounds on the work one input may cause, so the fuzzer keeps its speed. */
enum { FZ_MAX_PAGES = 4096 };

static inline bool fz_status_known(enum vmc_status st)
{
	return st >= VMC_ERR_LIMIT && st <= VMC_DONE;
}

/* VMC_FUZZ_VERBOSE=1 prints what each input opened as (for triage and corpus checks). */
static inline bool fz_verbose(void)
{
	static int v = -1;
	if (v < 0)
		v = getenv("VMC_FUZZ_VERBOSE") != NULL;
	return v;
}

/* An x86_64 ELF core header with nph program headers right after it (the harnesses that
 * build a vmcore around fuzz bytes fill the headers in). Returns the first one. */
static inline Elf64_Phdr *fz_elf_header(uint8_t *file, size_t nph)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)file;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (uint16_t)nph;
	return (Elf64_Phdr *)(file + sizeof(*eh));
}

/* Open nsrc memory buffers as one dump; NULL (with the sources freed) on failure. */
static inline struct vmc_dump *fz_open(const uint8_t *const *bufs, const size_t *lens, unsigned nsrc, struct vmc_diag *d)
{
	struct vmc_bytesrc *srcs[4] = { 0 };
	struct vmc_dump *dump = NULL;
	enum vmc_status rc;

	vmc_diag_init(d);
	for (unsigned i = 0; i < nsrc; i++)
		if (vmc_bytesrc_new_mem(i ? "part" : "input", bufs[i], lens[i], &srcs[i], d))
			goto fail;
	rc = vmc_dump_open_srcs(srcs, nsrc, &dump, d);
	FZ_ASSERT(fz_status_known(rc) && rc != VMC_DONE);
	if (fz_verbose()) {
		if (rc == VMC_OK)
			fprintf(stderr, "open: %s, page size %u, max_pfn 0x%llx, %llu stored, %llu missing%s\n", dump->format,
				dump->page_size, (unsigned long long)dump->max_pfn,
				(unsigned long long)vmc_bitmap_count(&dump->stored), (unsigned long long)dump->nmissing,
				dump->incomplete_flag ? ", incomplete" : "");
		else
			fprintf(stderr, "open: %s: %s\n", vmc_status_name(rc), d->msg);
	}
	if (rc == VMC_OK)
		return dump;
	FZ_ASSERT(d->msg[0] != 0);
fail:
	for (unsigned i = 0; i < nsrc; i++)
		vmc_bytesrc_free(srcs[i]);
	return NULL;
}

/* Structural invariants of an opened dump. */
static inline void fz_check_dump(const struct vmc_dump *dump)
{
	FZ_ASSERT(dump->page_size >= 1024 && dump->page_size <= VMC_PAGE_SIZE_MAX);
	FZ_ASSERT((dump->page_size & (dump->page_size - 1)) == 0);
	FZ_ASSERT(1u << dump->page_shift == dump->page_size);
	FZ_ASSERT(dump->max_pfn <= VMC_MAX_PFN_LIMIT);
	FZ_ASSERT(dump->ram.nbits == dump->max_pfn && dump->stored.nbits == dump->max_pfn);
	FZ_ASSERT(dump->notes_len == 0 || dump->notes != NULL);
	FZ_ASSERT(dump->format && dump->name);
	if (dump->nmissing) {
		FZ_ASSERT(vmc_bitmap_live(&dump->missing) && dump->missing_why[0]);
		FZ_ASSERT(vmc_bitmap_count(&dump->missing) == dump->nmissing);
	}
}

/* utsname fields stay NUL-terminated; a kernel-text mapping lies in stored RAM. */
static inline void fz_check_uts(const struct vmc_dump *dump)
{
	const char *f[6] = { dump->uts.sysname, dump->uts.nodename, dump->uts.release,
			     dump->uts.version, dump->uts.machine, dump->uts.domainname };

	for (int i = 0; i < 6; i++)
		FZ_ASSERT(memchr(f[i], 0, 65) != NULL);
	if (dump->has_ktext && dump->ktext.size)
		FZ_ASSERT(dump->ktext.paddr + dump->ktext.size >= dump->ktext.paddr);
}

/* Walk the notes the way the writers do. */
static inline void fz_touch_notes(const struct vmc_dump *dump)
{
	struct vmc_note n;
	size_t pos = 0;
	char v[80];

	while (vmc_note_next(dump->notes, dump->notes_len, &pos, &n) == VMC_OK)
		FZ_ASSERT(n.desc + n.desc_len <= dump->notes + dump->notes_len);
	FZ_ASSERT(vmc_notes_valid_len(dump->notes, dump->notes_len) == dump->notes_len);
	if (vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &n))
		(void)vmcoreinfo_get(n.desc, n.desc_len, "OSRELEASE", v, sizeof(v));
}

/* Read up to `limit` stored frames; returns how many read back OK. Reads of frames that are
 * not stored must say VMC_ERR_MISSING. */
static inline unsigned fz_read_pages(struct vmc_dump *dump, unsigned limit)
{
	uint8_t *buf = malloc(dump->page_size), *scratch = malloc(dump->scratch_size ? dump->scratch_size : 1);
	unsigned n = 0, ok = 0;
	struct vmc_diag d;
	uint64_t pfn;

	FZ_ASSERT(buf && scratch);
	for (pfn = vmc_bitmap_next_set(&dump->stored, 0); pfn < dump->max_pfn && n < limit;
	     pfn = vmc_bitmap_next_set(&dump->stored, pfn + 1), n++) {
		enum vmc_status rc;
		vmc_diag_init(&d);
		rc = vmc_dump_read_page(dump, pfn, buf, scratch, &d);
		FZ_ASSERT(fz_status_known(rc) && rc != VMC_DONE);
		if (rc == VMC_OK)
			ok++;
		else
			FZ_ASSERT(d.msg[0] != 0);
	}
	pfn = vmc_bitmap_next_clear(&dump->stored, 0);
	if (pfn < dump->max_pfn) {
		vmc_diag_init(&d);
		FZ_ASSERT(vmc_dump_read_page(dump, pfn, buf, scratch, &d) == VMC_ERR_MISSING);
	}
	free(buf);
	free(scratch);
	return ok;
}

#endif
