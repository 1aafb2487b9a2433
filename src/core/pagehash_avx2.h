/* pagehash_avx2.h: XXH3_64bits built for AVX2, for pagehash.c to call where the CPU has it. */
#ifndef VMC_PAGEHASH_AVX2_H
#define VMC_PAGEHASH_AVX2_H

#include <stddef.h>
#include <stdint.h>

/* GCC on x86-64 only (its target pragma); elsewhere the library's XXH3_64bits serves alone */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VMC_PAGEHASH_AVX2 1
uint64_t vmc_pagehash_avx2(const void *p, size_t len);
#else
#define VMC_PAGEHASH_AVX2 0
#endif

#endif
