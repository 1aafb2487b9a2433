/* pagehash_avx2.c: xxhash's XXH3_64bits compiled inline for AVX2 (its own vector code, picked
 * by __AVX2__), called only on CPUs that have it (pagehash.c). */
#include "pagehash_avx2.h"

#if VMC_PAGEHASH_AVX2
#pragma GCC target("avx2")
#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t vmc_pagehash_avx2(const void *p, size_t len)
{
	return XXH3_64bits(p, len);
}
#else
typedef int vmc_pagehash_avx2_none; /* ISO C wants a declaration in every file */
#endif
