/* pagehash.h: the 64-bit hash dedup keys pages by (XXH3_64bits, the same value everywhere). */
#ifndef VMC_PAGEHASH_H
#define VMC_PAGEHASH_H

#include <stddef.h>
#include <stdint.h>

/* XXH3_64bits(p, len). libxxhash's own is built for baseline x86-64 (SSE2); where the CPU
 * has AVX2 an AVX2 build of the same function runs instead: 2.5-3x faster on a 4 KiB page,
 * the same value (the key of the dedup table, so outputs stay byte-identical). */
uint64_t vmc_pagehash(const void *p, size_t len);

#endif
