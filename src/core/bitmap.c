/* bitmap.c: dense bitmaps (see bitmap.h). */
#include "bitmap.h"

#include <stdlib.h>
#include <string.h>

enum vmc_status vmc_bitmap_init(struct vmc_bitmap *b, uint64_t nbits, struct vmc_diag *d)
{
	uint64_t nwords = (nbits + 63) / 64;

	b->nbits = 0;
	b->words = calloc(nwords ? nwords : 1, sizeof(uint64_t));
	if (!b->words)
		return vmc_fail(d, VMC_ERR_NOMEM, "bitmap of %llu bits", (unsigned long long)nbits);
	b->nbits = nbits;
	return VMC_OK;
}

void vmc_bitmap_release(struct vmc_bitmap *b)
{
	free(b->words);
	b->words = NULL;
	b->nbits = 0;
}

/* Set or clear [start, start + count), clipped to the bitmap, a word at a time where it can. */
static void fill_range(struct vmc_bitmap *b, uint64_t start, uint64_t count, bool value)
{
	uint64_t end;

	if (start >= b->nbits)
		return;
	end = count > b->nbits - start ? b->nbits : start + count;
	for (; start < end && (start & 63); start++)
		value ? vmc_bitmap_set(b, start) : vmc_bitmap_clear(b, start);
	for (; start + 64 <= end; start += 64)
		b->words[start >> 6] = value ? ~0ull : 0;
	for (; start < end; start++)
		value ? vmc_bitmap_set(b, start) : vmc_bitmap_clear(b, start);
}

void vmc_bitmap_set_range(struct vmc_bitmap *b, uint64_t start, uint64_t count)
{
	fill_range(b, start, count, true);
}

void vmc_bitmap_clear_range(struct vmc_bitmap *b, uint64_t start, uint64_t count)
{
	fill_range(b, start, count, false);
}

uint64_t vmc_bitmap_count_range(const struct vmc_bitmap *b, uint64_t start, uint64_t count)
{
	uint64_t end, n = 0;

	if (start >= b->nbits)
		return 0;
	end = count > b->nbits - start ? b->nbits : start + count;
	while (start < end && (start & 63))
		n += vmc_bitmap_test(b, start++);
	while (start + 64 <= end) {
		n += (uint64_t)__builtin_popcountll(b->words[start >> 6]);
		start += 64;
	}
	while (start < end)
		n += vmc_bitmap_test(b, start++);
	return n;
}

uint64_t vmc_bitmap_next_set(const struct vmc_bitmap *b, uint64_t i)
{
	while (i < b->nbits) {
		uint64_t w = b->words[i >> 6] >> (i & 63);
		if (w)
			return i + (uint64_t)__builtin_ctzll(w) < b->nbits ? i + (uint64_t)__builtin_ctzll(w) : b->nbits;
		i = (i | 63) + 1;
	}
	return b->nbits;
}

uint64_t vmc_bitmap_next_clear(const struct vmc_bitmap *b, uint64_t i)
{
	while (i < b->nbits) {
		uint64_t w = ~b->words[i >> 6] >> (i & 63);
		if (w)
			return i + (uint64_t)__builtin_ctzll(w) < b->nbits ? i + (uint64_t)__builtin_ctzll(w) : b->nbits;
		i = (i | 63) + 1;
	}
	return b->nbits;
}

uint64_t vmc_bitmap_next_clear_before(const struct vmc_bitmap *b, uint64_t i, uint64_t end)
{
	if (end > b->nbits)
		end = b->nbits;
	while (i < end) {
		uint64_t w = ~b->words[i >> 6] >> (i & 63);
		if (w)
			return i + (uint64_t)__builtin_ctzll(w) < end ? i + (uint64_t)__builtin_ctzll(w) : end;
		i = (i | 63) + 1;
	}
	return end;
}

uint64_t vmc_bitmap_count(const struct vmc_bitmap *b)
{
	uint64_t n = 0, nwords = (b->nbits + 63) / 64;

	for (uint64_t i = 0; i < nwords; i++)
		n += (uint64_t)__builtin_popcountll(b->words[i]);
	return n;
}

void vmc_bitmap_from_bytes(struct vmc_bitmap *b, const uint8_t *bytes, size_t nbytes)
{
	uint64_t nwords = (b->nbits + 63) / 64;

	for (uint64_t w = 0; w < nwords; w++) {
		uint64_t v = 0;
		for (unsigned k = 0; k < 8; k++) {
			uint64_t idx = w * 8 + k;
			if (idx < nbytes)
				v |= (uint64_t)bytes[idx] << (8 * k);
		}
		b->words[w] = v;
	}
	if (b->nbits & 63)
		b->words[nwords - 1] &= (1ull << (b->nbits & 63)) - 1;
}

void vmc_bitmap_to_bytes(const struct vmc_bitmap *b, uint8_t *bytes, size_t nbytes)
{
	memset(bytes, 0, nbytes);
	for (size_t i = 0; i < nbytes && i / 8 < (b->nbits + 63) / 64; i++)
		bytes[i] = (uint8_t)(b->words[i / 8] >> (8 * (i % 8)));
}
