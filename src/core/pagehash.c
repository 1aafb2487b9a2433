/* pagehash.c: XXH3_64bits of a page, the AVX2 build where the CPU has it (see pagehash.h). */
#include "pagehash.h"

#include <xxhash.h>

#include "pagehash_avx2.h"

uint64_t vmc_pagehash(const void *p, size_t len)
{
#if VMC_PAGEHASH_AVX2
	static int avx2 = -1; /* racy but idempotent: every thread computes the same answer */

	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
	if (avx2)
		return vmc_pagehash_avx2(p, len);
#endif
	return XXH3_64bits(p, len);
}
