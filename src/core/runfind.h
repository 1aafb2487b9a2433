/* runfind.h: the one search over sorted runs (frame owners, owner classes, p2m inverse runs):
 * the last element whose key is at or below x, trying a hint first, since lookups mostly walk
 * frames in order. Elements are `size` bytes, ascending by a 4- or 8-byte key at byte `off`.
 * The hint path is inline (it is what the per-frame loops hit); the search is runfind.c. */
#ifndef VMC_RUNFIND_H
#define VMC_RUNFIND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The key of element i (width 4: a uint32_t, else a uint64_t). */
static inline uint64_t vmc_runfind_key(const void *base, size_t i, size_t size, size_t off, unsigned width)
{
	const unsigned char *p = (const unsigned char *)base + i * size + off;

	if (width == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The binary search alone: the last of n elements with key <= x, or n when there is none. */
size_t vmc_runfind_search(const void *base, size_t n, size_t size, size_t off, unsigned width, uint64_t x);

/* The last of n elements with key <= x, or n when there is none (n == 0, or x below the
 * first key). *hint (any value) and the element after it are tried first; *hint is set to
 * the index found and left alone when none is. */
static inline size_t vmc_runfind(const void *base, size_t n, size_t size, size_t off, unsigned width, uint64_t x,
				 size_t *hint)
{
	size_t h = *hint, i;

	for (unsigned k = 0; k < 2 && h < n; k++, h++)
		if (vmc_runfind_key(base, h, size, off, width) <= x &&
		    (h + 1 == n || x < vmc_runfind_key(base, h + 1, size, off, width))) {
			*hint = h;
			return h;
		}
	i = vmc_runfind_search(base, n, size, off, width, x);
	if (i < n)
		*hint = i;
	return i;
}

#endif
