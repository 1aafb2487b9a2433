/* pagehash.c: XXH3_64bits of a page, the AVX2 build where the CPU has it (see pagehash.h). */
#include "pagehash.h"

#include <xxhash.h>

#include "pagehash_avx2.h"

uint64_t vmc_pagehash(const void *p, size_t len)
{
#if VMC_PAGEHASH_AVX2
	/* a load and a test of libgcc's CPU model (filled at start-up), no shared state of ours */
	if (__builtin_cpu_supports("avx2"))
		return vmc_pagehash_avx2(p, len);
#endif
	return XXH3_64bits(p, len);
}
