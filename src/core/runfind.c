/* runfind.c: the binary search behind vmc_runfind() (runfind.h). */
#include "runfind.h"

size_t vmc_runfind_search(const void *base, size_t n, size_t size, size_t off, unsigned width, uint64_t x)
{
	size_t lo = 0, hi = n;

	if (!n || x < vmc_runfind_key(base, 0, size, off, width))
		return n;
	while (hi - lo > 1) { /* key(lo) <= x, and x < key(hi) when hi < n */
		size_t mid = lo + (hi - lo) / 2;
		if (vmc_runfind_key(base, mid, size, off, width) <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}
