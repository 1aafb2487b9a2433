/* physmem.h: byte-addressed reads of a dump's physical memory for the carvers, which follow
 * pointers across frame boundaries. Keeps the last frame read; not thread-safe (one per walker). */
#ifndef VMC_PHYSMEM_H
#define VMC_PHYSMEM_H

#include "dump.h"

struct vmc_physmem {
	struct vmc_dump *dump;
	uint8_t *page;     /* cached frame */
	void *scratch;
	uint64_t cached_pfn;
	bool cached;
	uint64_t reads;    /* frames fetched (statistics, walk budgets) */
	const void *prefaulted; /* the last buffer read_run prefaulted (a scan reuses one per run) */
	size_t prefaulted_len;
};

enum vmc_status vmc_physmem_init(struct vmc_physmem *pm, struct vmc_dump *dump, struct vmc_diag *d);
void vmc_physmem_fini(struct vmc_physmem *pm);

/* The frame's bytes (valid until the next call on pm), or NULL with VMC_ERR_MISSING in d when
 * the dump does not hold the frame (outside RAM, excluded by the dumper, or missing). */
const uint8_t *vmc_physmem_frame(struct vmc_physmem *pm, uint64_t pfn, struct vmc_diag *d);
/* Read len bytes at physical address addr (may cross frames). */
enum vmc_status vmc_physmem_read(struct vmc_physmem *pm, uint64_t addr, void *buf, size_t len,
				 struct vmc_diag *d);
/* Whole frames addr..addr+len (page-aligned), all stored, with the reader's read_run straight
 * into buf: false (nothing reported) when any of that does not hold; then read them as above. */
bool vmc_physmem_read_run(struct vmc_physmem *pm, uint64_t addr, void *buf, size_t len);
/* The same frames in place, in the dump's mapping of its file (valid until the dump is closed),
 * or NULL when the reader maps no such run (compressed, or not contiguous in the file). */
const uint8_t *vmc_physmem_map_run(struct vmc_physmem *pm, uint64_t addr, size_t len);
enum vmc_status vmc_physmem_read_u64(struct vmc_physmem *pm, uint64_t addr, uint64_t *val, struct vmc_diag *d);
enum vmc_status vmc_physmem_read_u32(struct vmc_physmem *pm, uint64_t addr, uint32_t *val, struct vmc_diag *d);
/* Copy len bytes at offset off of a stored frame without reading the whole frame when the
 * dump is a mapped file (scans that look at one header per frame); false when not stored. */
bool vmc_physmem_peek(struct vmc_physmem *pm, uint64_t pfn, uint32_t off, void *buf, size_t len);
/* True when the frame's bytes are in the dump. */
bool vmc_physmem_has(const struct vmc_physmem *pm, uint64_t pfn);

#endif
