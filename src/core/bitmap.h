/* bitmap.h: sparse one-bit-per-frame bitmaps (kdump's 1st/2nd bitmaps, RAM and stored sets):
 * a directory of fixed-size chunks allocated on first set, so memory follows the frames a dump
 * describes, not its highest address; a chunk whose bits are all set is the shared read-only
 * VMC_BITMAP_FULL, so what a header claims (a PT_LOAD's p_memsz) costs no chunk either. */
#ifndef VMC_BITMAP_H
#define VMC_BITMAP_H

#include "diag.h"

/* 2^18 bits (32 KiB, 1 GiB of 4 KiB frames) a chunk: the directory stays 2 MiB at the
 * highest supported frame (2^36) while a dense dump pays at most one partial chunk. */
#define VMC_BITMAP_CHUNK_SHIFT 18u
#define VMC_BITMAP_CHUNK_BITS (1ull << VMC_BITMAP_CHUNK_SHIFT)
#define VMC_BITMAP_CHUNK_WORDS (VMC_BITMAP_CHUNK_BITS / 64)

struct vmc_bitmap {
	uint64_t nbits;
	uint64_t nchunks;
	uint64_t **chunk;  /* nchunks entries; NULL: every bit of the chunk is clear; VMC_BITMAP_FULL:
			    * every bit set (only a chunk wholly below nbits) */
	uint64_t *present; /* bit k: chunk[k] is allocated, so scans skip 64 absent chunks a word */
	bool nomem;        /* a set could not allocate its chunk: see vmc_bitmap_check() */
};

enum vmc_status vmc_bitmap_init(struct vmc_bitmap *b, uint64_t nbits, struct vmc_diag *d);
void vmc_bitmap_release(struct vmc_bitmap *b);
/* Initialised (and not released): what a lazily created bitmap tests before its first use. */
static inline bool vmc_bitmap_live(const struct vmc_bitmap *b)
{
	return b->chunk != NULL;
}
/* VMC_ERR_NOMEM if a set, range or copy ever failed to allocate (bits were lost), else VMC_OK. */
enum vmc_status vmc_bitmap_check(const struct vmc_bitmap *b, const char *what, struct vmc_diag *d);
/* The zeroed chunk k, allocated now; NULL (and b->nomem) when memory runs out. */
uint64_t *vmc_bitmap_chunk_new(struct vmc_bitmap *b, uint64_t k);
/* The all-ones chunk every full chunk shares: read-only (a set into it is a no-op; a clear
 * gives the bitmap its own copy first, vmc_bitmap_chunk_own), never freed. */
extern const uint64_t vmc_bitmap_full[VMC_BITMAP_CHUNK_WORDS];
#define VMC_BITMAP_FULL ((uint64_t *)vmc_bitmap_full)
/* Chunk k (VMC_BITMAP_FULL) replaced by a writable all-ones copy; NULL (and b->nomem) when
 * memory runs out. */
uint64_t *vmc_bitmap_chunk_own(struct vmc_bitmap *b, uint64_t k);

static inline bool vmc_bitmap_test(const struct vmc_bitmap *b, uint64_t i)
{
	const uint64_t *c;

	if (i >= b->nbits)
		return false;
	c = b->chunk[i >> VMC_BITMAP_CHUNK_SHIFT];
	return c && (c[(i & (VMC_BITMAP_CHUNK_BITS - 1)) >> 6] >> (i & 63)) & 1;
}
static inline void vmc_bitmap_set(struct vmc_bitmap *b, uint64_t i)
{
	uint64_t *c;

	if (i >= b->nbits)
		return;
	c = b->chunk[i >> VMC_BITMAP_CHUNK_SHIFT];
	if (!c && !(c = vmc_bitmap_chunk_new(b, i >> VMC_BITMAP_CHUNK_SHIFT)))
		return;
	if (c != VMC_BITMAP_FULL)
		c[(i & (VMC_BITMAP_CHUNK_BITS - 1)) >> 6] |= 1ull << (i & 63);
}
static inline void vmc_bitmap_clear(struct vmc_bitmap *b, uint64_t i)
{
	uint64_t *c;

	if (i >= b->nbits || !(c = b->chunk[i >> VMC_BITMAP_CHUNK_SHIFT]))
		return;
	if (c == VMC_BITMAP_FULL && !(c = vmc_bitmap_chunk_own(b, i >> VMC_BITMAP_CHUNK_SHIFT)))
		return;
	c[(i & (VMC_BITMAP_CHUNK_BITS - 1)) >> 6] &= ~(1ull << (i & 63));
}
/* The 64 bits [64w, 64w + 64) as one word (bit i of the word = bit 64w + i); 0 past the end. */
static inline uint64_t vmc_bitmap_word(const struct vmc_bitmap *b, uint64_t w)
{
	uint64_t k = w / VMC_BITMAP_CHUNK_WORDS;

	return k < b->nchunks && b->chunk[k] ? b->chunk[k][w % VMC_BITMAP_CHUNK_WORDS] : 0;
}
/* Claims bits [first, first + n) (n > 0) of a word array shared between threads, clipped to
 * first's word and masked by want (~0: all), with one relaxed atomic or: returns the bits that
 * were clear before (bit i = bit 64 * (first / 64) + i); *covered = how many of the n that word held. */
static inline uint64_t vmc_bitmap_words_claim(uint64_t *words, uint64_t first, uint64_t n, uint64_t want,
					      uint64_t *covered)
{
	uint64_t lo = first & 63, len = 64 - lo < n ? 64 - lo : n;
	uint64_t mask = (len == 64 ? ~0ull : (1ull << len) - 1) << lo & want;

	*covered = len;
	return mask ? mask & ~__atomic_fetch_or(&words[first >> 6], mask, __ATOMIC_RELAXED) : 0;
}
/* Range operations clip to the bitmap; a start past the end does nothing. Clearing a whole
 * chunk frees it; setting a whole chunk makes it VMC_BITMAP_FULL (its memory freed). */
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
/* dst = a new bitmap holding src's bits (dst uninitialised or released). */
enum vmc_status vmc_bitmap_copy(struct vmc_bitmap *dst, const struct vmc_bitmap *src, struct vmc_diag *d);
/* dst |= src over their common bits. */
void vmc_bitmap_or(struct vmc_bitmap *dst, const struct vmc_bitmap *src);
/* Load/store kdump's on-disk byte order (bit p = byte[p/8] bit p%8). from_bytes replaces the
 * whole bitmap (bytes past nbytes read as zero); the _at forms cover bytes [byte_off,
 * byte_off + nbytes) only, so a caller can stream a huge bitmap a block at a time. All-zero
 * bytes allocate nothing, nor do a whole chunk's all-ones bytes. */
void vmc_bitmap_from_bytes(struct vmc_bitmap *b, const uint8_t *bytes, size_t nbytes);
void vmc_bitmap_from_bytes_at(struct vmc_bitmap *b, uint64_t byte_off, const uint8_t *bytes, size_t nbytes);
void vmc_bitmap_to_bytes(const struct vmc_bitmap *b, uint8_t *bytes, size_t nbytes);
void vmc_bitmap_to_bytes_at(const struct vmc_bitmap *b, uint64_t byte_off, uint8_t *bytes, size_t nbytes);

#endif
