/* bigmem.h: zeroed buffers of a few MiB backed by huge pages where the kernel gives them. */
#ifndef VMC_BIGMEM_H
#define VMC_BIGMEM_H

#include <stddef.h>

/* n zeroed bytes, or NULL. bigmem alone decides what is big: from 1 MiB up the mapping is
 * whole 2 MiB pages, 2 MiB aligned and advised for transparent huge pages (below, the heap): a writer's dedup table, batches and write buffer are
 * touched all over, and under virtualisation each 4 KiB first-touch fault is dear (30 us
 * here; 3.2 k of them per convert -l of the KVM bed before, 5.3 k with zstd). Best effort:
 * without THP it is plain anonymous memory. Free with vmc_bigmem_free and the same n. */
void *vmc_bigmem_alloc(size_t n);
void vmc_bigmem_free(void *p, size_t n);

#endif
