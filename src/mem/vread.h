/* vread.h: the one virtual-read loop: a read of virtual memory split at page boundaries, each
 * page translated by the caller's function and read from physical memory. */
#ifndef VMC_VREAD_H
#define VMC_VREAD_H

#include "physmem.h"

/* Virtual -> physical for one address; any failure message is the translator's own. */
typedef enum vmc_status vmc_translate_fn(void *arg, uint64_t va, uint64_t *pa, struct vmc_diag *d);

/* Read len bytes at va: page by page through translate, then from pm. A failed physical read
 * is wrapped as "<what> 0x<va of that page piece>". */
enum vmc_status vmc_vread(vmc_translate_fn *translate, void *arg, struct vmc_physmem *pm, const char *what,
			  uint64_t va, void *buf, size_t len, struct vmc_diag *d);

/* The len bytes at va in place (the dump's mapping, valid until it is closed) when they are one
 * physically contiguous run the reader maps; else NULL (then vmc_vread). No translation failure
 * is reported: the caller reads instead, with its messages. */
const void *vmc_vmap(vmc_translate_fn *translate, void *arg, struct vmc_physmem *pm, uint64_t va, size_t len);

#endif
