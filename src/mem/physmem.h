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

/* A read-ahead window for the scans that look at every frame of a range: runs of up to
 * VMC_PHYSMEM_WINDOW_FRAMES stored frames, one read_run each (under nested paging a copy costs
 * less than faulting a mapping in, and a syscall per frame is dear). */
#define VMC_PHYSMEM_WINDOW_FRAMES 64
struct vmc_physmem_window {
	struct vmc_physmem *pm;
	uint8_t *buf;      /* VMC_PHYSMEM_WINDOW_FRAMES frames, or NULL (no memory): frame by frame */
	uint64_t first, n; /* the frames held: first .. first + n - 1 (n 0: none) */
};
/* The run a miss at pfn reads: sets *first (<= pfn) and returns the count, at most max, that
 * covers pfn (1: pfn alone, read by itself). */
typedef uint64_t (*vmc_physmem_run_fn)(void *arg, uint64_t pfn, uint64_t max, uint64_t *first);

void vmc_physmem_window_init(struct vmc_physmem_window *w, struct vmc_physmem *pm);
void vmc_physmem_window_fini(struct vmc_physmem_window *w);
/* Frames first .. first + n - 1 read into the window with one read_run: true when n is 2 .. the
 * window's size and they were; else false and the window holds nothing. */
bool vmc_physmem_window_read(struct vmc_physmem_window *w, uint64_t first, uint64_t n);
/* Frame pfn's bytes in the window (valid until its next read), or NULL when it does not hold it. */
const uint8_t *vmc_physmem_window_get(const struct vmc_physmem_window *w, uint64_t pfn);
/* Frame pfn's bytes: from the window, else from the run that run() says, read into it, else
 * vmc_physmem_frame()'s (the physmem cache, which any later read of pm reuses: fetch again
 * after one); NULL with d's status when the dump does not hold the frame. */
const uint8_t *vmc_physmem_window_frame(struct vmc_physmem_window *w, uint64_t pfn, vmc_physmem_run_fn run, void *arg,
					struct vmc_diag *d);

#endif
