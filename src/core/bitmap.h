/* bitmap.h: dense one-bit-per-frame bitmaps (kdump's 1st/2nd bitmaps, RAM and stored sets). */
#ifndef VMC_BITMAP_H
#define VMC_BITMAP_H

#include "diag.h"

struct vmc_bitmap {
	uint64_t nbits;
	uint64_t *words;
};

enum vmc_status vmc_bitmap_init(struct vmc_bitmap *b, uint64_t nbits, struct vmc_diag *d);
void vmc_bitmap_release(struct vmc_bitmap *b);
static inline bool vmc_bitmap_test(const struct vmc_bitmap *b, uint64_t i)
{
	return i < b->nbits && (b->words[i >> 6] >> (i & 63)) & 1;
}
static inline void vmc_bitmap_set(struct vmc_bitmap *b, uint64_t i)
{
	if (i < b->nbits)
		b->words[i >> 6] |= 1ull << (i & 63);
}
static inline void vmc_bitmap_clear(struct vmc_bitmap *b, uint64_t i)
{
	if (i < b->nbits)
		b->words[i >> 6] &= ~(1ull << (i & 63));
}
/* Range operations clip to the bitmap; a start past the end does nothing. */
void vmc_bitmap_set_range(struct vmc_bitmap *b, uint64_t start, uint64_t count);
void vmc_bitmap_clear_range(struct vmc_bitmap *b, uint64_t start, uint64_t count);
uint64_t vmc_bitmap_count_range(const struct vmc_bitmap *b, uint64_t start, uint64_t count);
/* First set bit at or after i, or b->nbits. */
uint64_t vmc_bitmap_next_set(const struct vmc_bitmap *b, uint64_t i);
/* First clear bit at or after i, or b->nbits. */
uint64_t vmc_bitmap_next_clear(const struct vmc_bitmap *b, uint64_t i);
/* The same, looking no further than end: end when bits i .. end - 1 are all set. */
uint64_t vmc_bitmap_next_clear_before(const struct vmc_bitmap *b, uint64_t i, uint64_t end);
uint64_t vmc_bitmap_count(const struct vmc_bitmap *b);
/* Load/store kdump's on-disk byte order (bit p = byte[p/8] bit p%8). */
void vmc_bitmap_from_bytes(struct vmc_bitmap *b, const uint8_t *bytes, size_t nbytes);
void vmc_bitmap_to_bytes(const struct vmc_bitmap *b, uint8_t *bytes, size_t nbytes);

#endif
