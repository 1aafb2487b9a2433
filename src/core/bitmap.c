/* bitmap.c: sparse two-level bitmaps (see bitmap.h). Invariant: bits at or past nbits are
 * clear, so scans need not mask the tail (hence only chunks wholly below nbits are FULL). */
#include "bitmap.h"
#include "le.h"

#include <stdlib.h>
#include <string.h>

#define CSHIFT VMC_BITMAP_CHUNK_SHIFT
#define CBITS VMC_BITMAP_CHUNK_BITS
#define CWORDS VMC_BITMAP_CHUNK_WORDS
#define CBYTES (CBITS / 8)
#define FULL VMC_BITMAP_FULL

/* 4096 words of ones, written out by the preprocessor (8^4) */
#define ONES8(x) x, x, x, x, x, x, x, x
_Static_assert(CWORDS == 4096, "vmc_bitmap_full's initialiser writes 4096 words");
const uint64_t vmc_bitmap_full[CWORDS] = { ONES8(ONES8(ONES8(ONES8(~0ull)))) };

enum vmc_status vmc_bitmap_init(struct vmc_bitmap *b, uint64_t nbits, struct vmc_diag *d)
{
	uint64_t nchunks = nbits / CBITS + !!(nbits % CBITS);

	memset(b, 0, sizeof(*b));
	b->chunk = calloc(nchunks ? nchunks : 1, sizeof(*b->chunk));
	b->present = calloc(nchunks ? (nchunks + 63) / 64 : 1, sizeof(*b->present));
	if (!b->chunk || !b->present) {
		vmc_bitmap_release(b);
		return vmc_fail(d, VMC_ERR_NOMEM, "bitmap of %llu bits", (unsigned long long)nbits);
	}
	b->nbits = nbits;
	b->nchunks = nchunks;
	return VMC_OK;
}

/* First allocated chunk at or after k, or nchunks. */
static uint64_t next_present(const struct vmc_bitmap *b, uint64_t k)
{
	while (k < b->nchunks) {
		uint64_t w = b->present[k >> 6] >> (k & 63);
		if (w)
			return k + (uint64_t)__builtin_ctzll(w);
		k = (k | 63) + 1;
	}
	return b->nchunks;
}

static void drop_chunk(struct vmc_bitmap *b, uint64_t k)
{
	if (b->chunk[k] != FULL)
		free(b->chunk[k]);
	b->chunk[k] = NULL;
	b->present[k >> 6] &= ~(1ull << (k & 63));
}

void vmc_bitmap_release(struct vmc_bitmap *b)
{
	if (b->chunk)
		for (uint64_t k = next_present(b, 0); k < b->nchunks; k = next_present(b, k + 1))
			if (b->chunk[k] != FULL)
				free(b->chunk[k]);
	free(b->chunk);
	free(b->present);
	memset(b, 0, sizeof(*b));
}

enum vmc_status vmc_bitmap_check(const struct vmc_bitmap *b, const char *what, struct vmc_diag *d)
{
	if (b->nomem)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory for the %s bitmap (%llu bits)", what,
				(unsigned long long)b->nbits);
	return VMC_OK;
}

uint64_t *vmc_bitmap_chunk_new(struct vmc_bitmap *b, uint64_t k)
{
	uint64_t *c = calloc(CWORDS, sizeof(uint64_t));

	if (!c) {
		b->nomem = true;
		return NULL;
	}
	b->chunk[k] = c;
	b->present[k >> 6] |= 1ull << (k & 63);
	return c;
}

uint64_t *vmc_bitmap_chunk_own(struct vmc_bitmap *b, uint64_t k)
{
	uint64_t *c = malloc(CWORDS * sizeof(uint64_t));

	if (!c) {
		b->nomem = true;
		return NULL;
	}
	memset(c, 0xff, CWORDS * sizeof(uint64_t));
	b->chunk[k] = c;
	return c;
}

/* Chunk k (wholly below nbits) becomes FULL, its own memory freed. */
static void set_full(struct vmc_bitmap *b, uint64_t k)
{
	if (b->chunk[k] != FULL)
		free(b->chunk[k]);
	b->chunk[k] = FULL;
	b->present[k >> 6] |= 1ull << (k & 63);
}

/* Whether chunk k lies wholly below nbits (may be FULL). */
static bool whole_chunk(const struct vmc_bitmap *b, uint64_t k)
{
	return (k + 1) << CSHIFT <= b->nbits;
}

/* Set or clear bits [lo, hi) of one chunk, a word at a time. */
static void fill_chunk(uint64_t *c, uint64_t lo, uint64_t hi, bool value)
{
	while (lo < hi) {
		uint64_t w = lo >> 6, b0 = lo & 63, n = 64 - b0 < hi - lo ? 64 - b0 : hi - lo;
		uint64_t mask = (n == 64 ? ~0ull : (1ull << n) - 1) << b0;
		c[w] = value ? c[w] | mask : c[w] & ~mask;
		lo += n;
	}
}

/* Set or clear [start, start + count), clipped to the bitmap, a chunk at a time: clearing
 * skips absent chunks and frees wholly cleared ones. */
static void fill_range(struct vmc_bitmap *b, uint64_t start, uint64_t count, bool value)
{
	uint64_t end;

	if (start >= b->nbits)
		return;
	end = count > b->nbits - start ? b->nbits : start + count;
	while (start < end) {
		uint64_t k = start >> CSHIFT, base = k << CSHIFT;
		uint64_t cend = end - base < CBITS ? end : base + CBITS;
		uint64_t *c = b->chunk[k];
		if (!value && c && start == base && (cend == base + CBITS || cend == b->nbits))
			drop_chunk(b, k);
		else if (value && start == base && cend == base + CBITS)
			set_full(b, k);
		else if (c == FULL && value)
			; /* already set */
		else if (c == FULL && !(c = vmc_bitmap_chunk_own(b, k)))
			return; /* out of memory: b->nomem says so */
		else if (c || (value && (c = vmc_bitmap_chunk_new(b, k))))
			fill_chunk(c, start - base, cend - base, value);
		else if (value)
			return; /* out of memory: b->nomem says so */
		start = cend;
	}
}

void vmc_bitmap_set_range(struct vmc_bitmap *b, uint64_t start, uint64_t count)
{
	fill_range(b, start, count, true);
}

void vmc_bitmap_clear_range(struct vmc_bitmap *b, uint64_t start, uint64_t count)
{
	fill_range(b, start, count, false);
}

/* Set bits in [lo, hi) of one chunk. */
static uint64_t count_chunk(const uint64_t *c, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	while (lo < hi) {
		uint64_t w = lo >> 6, b0 = lo & 63, k = 64 - b0 < hi - lo ? 64 - b0 : hi - lo;
		uint64_t mask = (k == 64 ? ~0ull : (1ull << k) - 1) << b0;
		n += (uint64_t)__builtin_popcountll(c[w] & mask);
		lo += k;
	}
	return n;
}

uint64_t vmc_bitmap_count_range(const struct vmc_bitmap *b, uint64_t start, uint64_t count)
{
	uint64_t end, n = 0;

	if (start >= b->nbits)
		return 0;
	end = count > b->nbits - start ? b->nbits : start + count;
	for (uint64_t k = next_present(b, start >> CSHIFT); k < b->nchunks && k << CSHIFT < end;
	     k = next_present(b, k + 1)) {
		uint64_t base = k << CSHIFT, lo = start > base ? start - base : 0;
		uint64_t hi = end - base < CBITS ? end - base : CBITS;
		n += b->chunk[k] == FULL ? hi - lo : count_chunk(b->chunk[k], lo, hi);
	}
	return n;
}

uint64_t vmc_bitmap_count(const struct vmc_bitmap *b)
{
	return vmc_bitmap_count_range(b, 0, b->nbits);
}

/* First bit at or after chunk offset lo whose value is `want`, or CBITS. */
static uint64_t scan_chunk(const uint64_t *c, uint64_t lo, bool want)
{
	for (uint64_t w = lo >> 6; w < CWORDS; w++) {
		uint64_t v = want ? c[w] : ~c[w];
		if (w == lo >> 6)
			v &= ~0ull << (lo & 63);
		if (v)
			return w * 64 + (uint64_t)__builtin_ctzll(v);
	}
	return CBITS;
}

uint64_t vmc_bitmap_next_set(const struct vmc_bitmap *b, uint64_t i)
{
	if (i >= b->nbits)
		return b->nbits;
	for (uint64_t k = next_present(b, i >> CSHIFT); k < b->nchunks; k = next_present(b, k + 1)) {
		uint64_t base = k << CSHIFT, lo = i > base ? i - base : 0;
		uint64_t at = b->chunk[k] == FULL ? lo : scan_chunk(b->chunk[k], lo, true);
		if (at < CBITS)
			return base + at; /* below nbits: the bits past it are clear */
	}
	return b->nbits;
}

uint64_t vmc_bitmap_next_clear(const struct vmc_bitmap *b, uint64_t i)
{
	while (i < b->nbits) {
		uint64_t k = i >> CSHIFT, base = k << CSHIFT, at;
		if (!b->chunk[k])
			return i;
		if (b->chunk[k] != FULL && (at = scan_chunk(b->chunk[k], i - base, false)) < CBITS)
			return base + at < b->nbits ? base + at : b->nbits;
		i = base + CBITS;
	}
	return b->nbits;
}

uint64_t vmc_bitmap_next_clear_before(const struct vmc_bitmap *b, uint64_t i, uint64_t end)
{
	if (end > b->nbits)
		end = b->nbits;
	while (i < end) {
		uint64_t w;
		if (b->chunk[i >> CSHIFT] == FULL) { /* (i < end <= nbits) */
			i = ((i >> CSHIFT) + 1) << CSHIFT;
			continue;
		}
		w = ~vmc_bitmap_word(b, i >> 6) >> (i & 63);
		if (w)
			return i + (uint64_t)__builtin_ctzll(w) < end ? i + (uint64_t)__builtin_ctzll(w) : end;
		i = (i | 63) + 1;
	}
	return end;
}

enum vmc_status vmc_bitmap_copy(struct vmc_bitmap *dst, const struct vmc_bitmap *src, struct vmc_diag *d)
{
	enum vmc_status rc;

	if ((rc = vmc_bitmap_init(dst, src->nbits, d)))
		return rc;
	for (uint64_t k = next_present(src, 0); k < src->nchunks; k = next_present(src, k + 1)) {
		uint64_t *c;
		if (src->chunk[k] == FULL) {
			set_full(dst, k);
			continue;
		}
		c = vmc_bitmap_chunk_new(dst, k);
		if (!c) {
			vmc_bitmap_release(dst);
			return vmc_fail(d, VMC_ERR_NOMEM, "copy of a bitmap of %llu bits", (unsigned long long)src->nbits);
		}
		memcpy(c, src->chunk[k], CWORDS * sizeof(uint64_t));
	}
	return VMC_OK;
}

void vmc_bitmap_or(struct vmc_bitmap *dst, const struct vmc_bitmap *src)
{
	for (uint64_t k = next_present(src, 0); k < src->nchunks && k < dst->nchunks; k = next_present(src, k + 1)) {
		uint64_t *c = dst->chunk[k], base = k << CSHIFT;
		if (c == FULL)
			continue;
		if (src->chunk[k] == FULL && whole_chunk(dst, k)) {
			set_full(dst, k);
			continue;
		}
		if (!c && vmc_bytes_zero((const uint8_t *)src->chunk[k], CWORDS * sizeof(uint64_t)))
			continue;
		if (!c && !(c = vmc_bitmap_chunk_new(dst, k)))
			continue;
		for (uint64_t w = 0; w < CWORDS; w++)
			c[w] |= src->chunk[k][w];
		if (dst->nbits - base < CBITS) /* src is longer: keep dst's tail clear */
			fill_chunk(c, dst->nbits - base, CBITS, false);
	}
}

static bool bytes_ones(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0xff)
			return false;
	return true;
}

/* Byte j of a chunk in kdump's order, and its store. */
static uint8_t get_byte(const uint64_t *c, uint64_t j)
{
	return (uint8_t)(c[j >> 3] >> (8 * (j & 7)));
}

static void put_byte(uint64_t *c, uint64_t j, uint8_t v)
{
	unsigned sh = 8 * (unsigned)(j & 7);
	c[j >> 3] = (c[j >> 3] & ~(0xffull << sh)) | ((uint64_t)v << sh);
}

void vmc_bitmap_from_bytes_at(struct vmc_bitmap *b, uint64_t byte_off, const uint8_t *bytes, size_t nbytes)
{
	uint64_t nb = b->nbits / 8 + !!(b->nbits & 7), last;

	if (byte_off >= nb)
		return;
	if (nbytes > nb - byte_off)
		nbytes = (size_t)(nb - byte_off);
	for (size_t i = 0; i < nbytes;) {
		uint64_t p = byte_off + i, k = p / CBYTES, j = p % CBYTES;
		size_t len = nbytes - i < CBYTES - j ? nbytes - i : (size_t)(CBYTES - j);
		uint64_t *c = b->chunk[k];
		bool ones = (c == FULL || (j == 0 && len == CBYTES && whole_chunk(b, k))) && bytes_ones(bytes + i, len);
		if (ones) {
			if (c != FULL)
				set_full(b, k);
			i += len;
			continue;
		}
		if (c == FULL && !(c = vmc_bitmap_chunk_own(b, k)))
			return; /* out of memory: b->nomem says so */
		if (!c && !vmc_bytes_zero(bytes + i, len) && !(c = vmc_bitmap_chunk_new(b, k)))
			return; /* out of memory: b->nomem says so */
		for (size_t n = 0; c && n < len; n++)
			put_byte(c, j + n, bytes[i + n]);
		i += len;
	}
	/* bits past nbits in the last byte loaded stay clear */
	last = b->nbits - 1;
	if ((b->nbits & 7) && byte_off + nbytes == nb && b->chunk[last >> CSHIFT])
		b->chunk[last >> CSHIFT][(last & (CBITS - 1)) >> 6] &= ~(~0ull << (b->nbits & 63));
}

void vmc_bitmap_from_bytes(struct vmc_bitmap *b, const uint8_t *bytes, size_t nbytes)
{
	for (uint64_t k = next_present(b, 0); k < b->nchunks; k = next_present(b, k + 1))
		drop_chunk(b, k);
	vmc_bitmap_from_bytes_at(b, 0, bytes, nbytes);
}

void vmc_bitmap_to_bytes_at(const struct vmc_bitmap *b, uint64_t byte_off, uint8_t *bytes, size_t nbytes)
{
	memset(bytes, 0, nbytes);
	for (uint64_t k = next_present(b, byte_off / CBYTES); k < b->nchunks && k * CBYTES < byte_off + nbytes;
	     k = next_present(b, k + 1)) {
		uint64_t base = k * CBYTES, lo = byte_off > base ? byte_off - base : 0;
		uint64_t hi = byte_off + nbytes - base < CBYTES ? byte_off + nbytes - base : CBYTES;
		if (b->chunk[k] == FULL)
			memset(bytes + base + lo - byte_off, 0xff, hi - lo);
		else
			for (uint64_t j = lo; j < hi; j++)
				bytes[base + j - byte_off] = get_byte(b->chunk[k], j);
	}
}

void vmc_bitmap_to_bytes(const struct vmc_bitmap *b, uint8_t *bytes, size_t nbytes)
{
	vmc_bitmap_to_bytes_at(b, 0, bytes, nbytes);
}
