/* split_plan.c: the frame ranges of a split set's parts, balanced by stored pages. */
#include "split_plan.h"

static uint64_t word_of(const struct vmc_bitmap *a, const struct vmc_bitmap *b, uint64_t w)
{
	return vmc_bitmap_word(a, w) | (b ? vmc_bitmap_word(b, w) : 0);
}

/* The word holding the next set bit of a|b at or after word w's start: sparse bitmaps skip
 * their absent chunks. */
static uint64_t next_word(const struct vmc_bitmap *a, const struct vmc_bitmap *b, uint64_t w)
{
	uint64_t na = vmc_bitmap_next_set(a, w * 64), nb = b ? vmc_bitmap_next_set(b, w * 64) : UINT64_MAX;
	uint64_t n = na < a->nbits ? na : UINT64_MAX;

	if (b && nb < b->nbits && nb < n)
		n = nb;
	return n == UINT64_MAX ? UINT64_MAX : n / 64;
}

/* The frame holding the page of rank `rank` (0-based) among the set bits of a|b below
 * max_pfn; max_pfn when there are not that many. */
static uint64_t pfn_of_rank(const struct vmc_bitmap *a, const struct vmc_bitmap *b, uint64_t max_pfn, uint64_t rank)
{
	uint64_t nwords = (max_pfn + 63) / 64, seen = 0;

	for (uint64_t w = 0; w < nwords; w++) {
		uint64_t v = word_of(a, b, w);
		unsigned n;

		if (!v && (w = next_word(a, b, w) - 1) >= nwords - 1)
			break; /* no set bit left (UINT64_MAX - 1), or only past max_pfn */
		if (!v)
			continue;
		if (w == nwords - 1 && (max_pfn & 63))
			v &= (1ull << (max_pfn & 63)) - 1;
		n = (unsigned)__builtin_popcountll(v);
		if (seen + n > rank) {
			for (uint64_t k = rank - seen; k; k--)
				v &= v - 1; /* drop the lowest set bit */
			return w * 64 + (uint64_t)__builtin_ctzll(v);
		}
		seen += n;
	}
	return max_pfn;
}

static uint64_t count_below(const struct vmc_bitmap *a, const struct vmc_bitmap *b, uint64_t max_pfn)
{
	uint64_t nwords = (max_pfn + 63) / 64, n = 0;

	for (uint64_t w = 0; w < nwords; w++) {
		uint64_t v = word_of(a, b, w);
		if (!v && (w = next_word(a, b, w) - 1) >= nwords - 1)
			break;
		if (!v)
			continue;
		if (w == nwords - 1 && (max_pfn & 63))
			v &= (1ull << (max_pfn & 63)) - 1;
		n += (uint64_t)__builtin_popcountll(v);
	}
	return n;
}

void vmc_split_plan_range(const struct vmc_bitmap *a, const struct vmc_bitmap *b, uint64_t max_pfn, unsigned nparts,
			  unsigned index, uint64_t *start_pfn, uint64_t *end_pfn)
{
	uint64_t total = count_below(a, b, max_pfn);
	/* part k begins at the page of rank floor(k * total / nparts); 128-bit: no overflow */
	unsigned __int128 lo = (unsigned __int128)total * index / nparts;
	unsigned __int128 hi = (unsigned __int128)total * (index + 1) / nparts;

	/* boundaries on whole bitmap words: crash counts a part's pages from its start_pfn in
	 * 64-bit words of the bitmap (diskdump.c read_dump_header), so it misreads any other */
	*start_pfn = index == 0 ? 0 : pfn_of_rank(a, b, max_pfn, (uint64_t)lo) & ~(uint64_t)63;
	*end_pfn = index + 1 >= nparts ? max_pfn : pfn_of_rank(a, b, max_pfn, (uint64_t)hi) & ~(uint64_t)63;
}
