/* t_bitmap.c: sparse bitmaps against a one-byte-per-bit reference model: word and chunk edges,
 * absent chunks, holes, byte streaming, copy and or. */
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "harness.h"
#include "testdump.h"

static struct vmc_diag d;

static uint64_t ref_next(const uint8_t *ref, uint64_t n, uint64_t i, uint8_t want)
{
	while (i < n && ref[i] != want)
		i++;
	return i < n ? i : n;
}

static void check_against(const struct vmc_bitmap *b, const uint8_t *ref, uint64_t n)
{
	uint64_t cnt = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (vmc_bitmap_test(b, i) != ref[i]) {
			harness_note("bit %llu differs", (unsigned long long)i);
			CHECK(0);
			return;
		}
		cnt += ref[i];
	}
	CHECK_EQ(vmc_bitmap_count(b), cnt);
	for (uint64_t i = 0; i <= n + 3; i += 1 + i / 7) {
		CHECK_EQ(vmc_bitmap_next_set(b, i), ref_next(ref, n, i, 1));
		CHECK_EQ(vmc_bitmap_next_clear(b, i), ref_next(ref, n, i, 0));
		for (uint64_t end = i; end <= n + 70; end += 1 + end / 5) {
			uint64_t want = ref_next(ref, n, i, 0), lim = end < n ? end : n;
			CHECK_EQ(vmc_bitmap_next_clear_before(b, i, end), want < lim ? want : lim);
		}
	}
}

TEST(empty_bitmap)
{
	struct vmc_bitmap b;

	REQUIRE(vmc_bitmap_init(&b, 0, &d) == VMC_OK);
	CHECK_EQ(b.nbits, 0);
	CHECK(!vmc_bitmap_test(&b, 0));
	vmc_bitmap_set(&b, 0); /* out of range: ignored */
	vmc_bitmap_set_range(&b, 0, 100);
	CHECK_EQ(vmc_bitmap_count(&b), 0);
	CHECK_EQ(vmc_bitmap_next_set(&b, 0), 0);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 0), 0);
	vmc_bitmap_release(&b);
	CHECK(!vmc_bitmap_live(&b));
}

TEST(set_clear_test_word_edges)
{
	struct vmc_bitmap b;
	uint64_t idx[] = { 0, 1, 62, 63, 64, 65, 127, 128, 199 };

	REQUIRE(vmc_bitmap_init(&b, 200, &d) == VMC_OK);
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		vmc_bitmap_set(&b, idx[i]);
	vmc_bitmap_set(&b, 200); /* == nbits: ignored */
	vmc_bitmap_set(&b, UINT64_MAX);
	CHECK_EQ(vmc_bitmap_count(&b), 9);
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		CHECK(vmc_bitmap_test(&b, idx[i]));
	CHECK(!vmc_bitmap_test(&b, 2));
	CHECK(!vmc_bitmap_test(&b, 200));
	CHECK_EQ(vmc_bitmap_next_set(&b, 2), 62);
	CHECK_EQ(vmc_bitmap_next_set(&b, 66), 127);
	CHECK_EQ(vmc_bitmap_next_set(&b, 129), 199);
	CHECK_EQ(vmc_bitmap_next_set(&b, 200), 200);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 62), 66);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 199), 200); /* bits past nbits never count */
	vmc_bitmap_clear(&b, 63);
	vmc_bitmap_clear(&b, 1000);
	CHECK(!vmc_bitmap_test(&b, 63));
	CHECK_EQ(vmc_bitmap_next_clear(&b, 62), 63);
	CHECK_EQ(vmc_bitmap_count(&b), 8);
	vmc_bitmap_release(&b);
}

TEST(full_last_word_next_clear)
{
	struct vmc_bitmap b;

	REQUIRE(vmc_bitmap_init(&b, 128, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, 0, 128);
	CHECK_EQ(vmc_bitmap_count(&b), 128);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 0), 128);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 127), 128);
	CHECK_EQ(vmc_bitmap_next_set(&b, 127), 127);
	vmc_bitmap_release(&b);
}

TEST(set_range_cases)
{
	struct vmc_bitmap b;
	uint8_t ref[300];
	struct { uint64_t start, count; } r[] = {
		{ 3, 0 }, { 5, 1 }, { 10, 54 }, { 64, 64 }, { 130, 100 }, { 250, 1000 }, { 299, 1 }, { 290, UINT64_MAX },
	};

	REQUIRE(vmc_bitmap_init(&b, 300, &d) == VMC_OK);
	memset(ref, 0, sizeof(ref));
	for (size_t k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
		vmc_bitmap_set_range(&b, r[k].start, r[k].count);
		for (uint64_t i = r[k].start; i < 300 && i - r[k].start < r[k].count; i++)
			ref[i] = 1;
		check_against(&b, ref, 300);
	}
	vmc_bitmap_release(&b);
}

TEST(set_range_start_beyond_end_is_noop)
{
	struct vmc_bitmap b;

	REQUIRE(vmc_bitmap_init(&b, 300, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, 300, 10);
	vmc_bitmap_set_range(&b, 1000, 64);
	vmc_bitmap_set_range(&b, 1ull << 40, 1ull << 20);
	CHECK_EQ(vmc_bitmap_count(&b), 0);
	vmc_bitmap_release(&b);
}

/* A start near 2^64 must be ignored like any other out-of-range start; `start + 64`
 * wraps, and a word loop would then write far out of bounds. */
TEST(set_range_start_near_u64_max_is_noop)
{
	struct vmc_bitmap b;

	REQUIRE(vmc_bitmap_init(&b, 300, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, UINT64_MAX - 10, 5);
	CHECK_EQ(vmc_bitmap_count(&b), 0);
	vmc_bitmap_release(&b);
}

/* One random operation on b and the same on ref (a byte per bit, n bits): 0 set bit i, 1 clear
 * it, 2 set bits [i, i + c), 3 clear them as a range, REF_CLEAR_EACH clear them one by one. */
enum { REF_CLEAR_EACH = 4 };
static void ref_apply(struct vmc_bitmap *b, uint8_t *ref, uint64_t n, unsigned op, uint64_t i, uint64_t c)
{
	if (op == 0)
		vmc_bitmap_set(b, i);
	else if (op == 1)
		vmc_bitmap_clear(b, i);
	else if (op == 2)
		vmc_bitmap_set_range(b, i, c);
	else if (op == 3)
		vmc_bitmap_clear_range(b, i, c);
	else
		for (uint64_t k = i; k < n && k < i + c; k++)
			vmc_bitmap_clear(b, k);
	if (op < 2) {
		if (i < n)
			ref[i] = op == 0;
		return;
	}
	for (uint64_t k = i; k < n && k < i + c; k++)
		ref[k] = op == 2;
}

TEST(random_ops_match_reference)
{
	uint64_t seed = 42;

	for (int round = 0; round < 40; round++) {
		uint64_t n = td_rand(&seed) % 700;
		struct vmc_bitmap b;
		uint8_t *ref = calloc(n + 1, 1);

		REQUIRE(ref && vmc_bitmap_init(&b, n, &d) == VMC_OK);
		for (int op = 0; op < 200; op++) {
			uint64_t i = td_rand(&seed) % (n + 70), c = td_rand(&seed) % 150;
			unsigned kind = (unsigned)(td_rand(&seed) % 4);
			ref_apply(&b, ref, n, kind == 3 ? REF_CLEAR_EACH : kind, i, c);
		}
		check_against(&b, ref, n);
		vmc_bitmap_release(&b);
		free(ref);
	}
}

TEST(bytes_round_trip_and_bit_order)
{
	struct vmc_bitmap b;
	uint8_t bytes[16] = { 0x01, 0x80, 0x00, 0xff, 0x10 }, out[16];

	REQUIRE(vmc_bitmap_init(&b, 100, &d) == VMC_OK);
	vmc_bitmap_from_bytes(&b, bytes, sizeof(bytes));
	/* bit p = byte[p/8] bit p%8 */
	CHECK(vmc_bitmap_test(&b, 0));
	CHECK(!vmc_bitmap_test(&b, 1));
	CHECK(vmc_bitmap_test(&b, 15));
	CHECK(vmc_bitmap_test(&b, 24) && vmc_bitmap_test(&b, 31));
	CHECK(vmc_bitmap_test(&b, 36));
	CHECK_EQ(vmc_bitmap_count(&b), 11);
	memset(out, 0xee, sizeof(out));
	vmc_bitmap_to_bytes(&b, out, sizeof(out));
	CHECK(memcmp(out, bytes, sizeof(out)) == 0);
	vmc_bitmap_release(&b);
}

TEST(from_bytes_masks_bits_past_nbits)
{
	struct vmc_bitmap b;
	uint8_t ones[32], out[32];

	memset(ones, 0xff, sizeof(ones));
	REQUIRE(vmc_bitmap_init(&b, 70, &d) == VMC_OK);
	vmc_bitmap_from_bytes(&b, ones, sizeof(ones));
	CHECK_EQ(vmc_bitmap_count(&b), 70);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 0), 70);
	vmc_bitmap_to_bytes(&b, out, sizeof(out));
	CHECK_EQ(out[8], 0x3f);
	CHECK_EQ(out[9], 0);
	CHECK_EQ(out[31], 0);
	vmc_bitmap_release(&b);
}

TEST(from_bytes_short_input_zero_fills)
{
	struct vmc_bitmap b;
	uint8_t two[2] = { 0xff, 0xff };

	REQUIRE(vmc_bitmap_init(&b, 256, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, 0, 256);
	vmc_bitmap_from_bytes(&b, two, sizeof(two));
	CHECK_EQ(vmc_bitmap_count(&b), 16);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 0), 16);
	vmc_bitmap_release(&b);
}

TEST(to_bytes_short_output)
{
	struct vmc_bitmap b;
	uint8_t out[4] = { 0 }, guard[4];

	REQUIRE(vmc_bitmap_init(&b, 1000, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, 0, 1000);
	memset(guard, 0xaa, sizeof(guard));
	vmc_bitmap_to_bytes(&b, out, 3);
	CHECK(out[0] == 0xff && out[1] == 0xff && out[2] == 0xff && out[3] == 0);
	CHECK(guard[0] == 0xaa);
	vmc_bitmap_release(&b);
}

#define CB VMC_BITMAP_CHUNK_BITS

/* Allocated chunks: what the memory budget counts. */
static uint64_t chunks_of(const struct vmc_bitmap *b)
{
	uint64_t n = 0;

	for (uint64_t k = 0; k < b->nchunks; k++)
		n += b->chunk[k] != NULL;
	return n;
}

/* 2^36 bits (the highest supported frame) cost a directory, not 8 GiB. */
TEST(absent_chunks_read_clear_and_cost_nothing)
{
	struct vmc_bitmap b;
	uint64_t n = 1ull << 36;

	REQUIRE(vmc_bitmap_init(&b, n, &d) == VMC_OK);
	CHECK_EQ(b.nchunks, n / CB);
	CHECK(!vmc_bitmap_test(&b, 0) && !vmc_bitmap_test(&b, n - 1));
	CHECK_EQ(vmc_bitmap_next_set(&b, 0), n);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 12345), 12345);
	CHECK_EQ(vmc_bitmap_count(&b), 0);
	CHECK_EQ(vmc_bitmap_word(&b, 999), 0);
	/* clearing an absent chunk does nothing, allocates nothing */
	vmc_bitmap_clear(&b, 77);
	vmc_bitmap_clear_range(&b, 5, 10 * CB);
	CHECK_EQ(chunks_of(&b), 0);
	/* one bit near the top: one chunk; scans from 0 skip 2^18 absent chunks */
	vmc_bitmap_set(&b, n - 2);
	CHECK_EQ(chunks_of(&b), 1);
	CHECK(vmc_bitmap_test(&b, n - 2) && !vmc_bitmap_test(&b, n - 1));
	CHECK_EQ(vmc_bitmap_next_set(&b, 0), n - 2);
	CHECK_EQ(vmc_bitmap_next_clear(&b, n - 2), n - 1);
	CHECK_EQ(vmc_bitmap_count(&b), 1);
	CHECK_EQ(vmc_bitmap_count_range(&b, 0, n - 2), 0);
	CHECK_EQ(vmc_bitmap_word(&b, (n - 2) / 64), 1ull << ((n - 2) % 64));
	CHECK(vmc_bitmap_check(&b, "test", &d) == VMC_OK);
	vmc_bitmap_release(&b);
	CHECK(!vmc_bitmap_live(&b));
}

TEST(ranges_across_chunk_edges)
{
	struct vmc_bitmap b;

	REQUIRE(vmc_bitmap_init(&b, 4 * CB + 100, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, CB - 5, 10);
	CHECK_EQ(chunks_of(&b), 2);
	CHECK_EQ(vmc_bitmap_count(&b), 10);
	CHECK_EQ(vmc_bitmap_count_range(&b, CB, 100), 5);
	CHECK_EQ(vmc_bitmap_next_set(&b, 0), CB - 5);
	CHECK_EQ(vmc_bitmap_next_clear(&b, CB - 5), CB + 5);
	/* a range over whole chunks and into the partial last one */
	vmc_bitmap_set_range(&b, 2 * CB - 1, UINT64_MAX);
	CHECK_EQ(vmc_bitmap_count(&b), 10 + 2 * CB + 101);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 2 * CB - 1), 4 * CB + 100); /* full to the end */
	CHECK_EQ(vmc_bitmap_count_range(&b, 3 * CB - 3, CB + 6), CB + 6);
	/* clearing whole chunks frees them; partial clears keep theirs */
	vmc_bitmap_clear_range(&b, 2 * CB, CB);
	CHECK_EQ(chunks_of(&b), 4);
	CHECK(!b.chunk[2]);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 2 * CB - 1), 2 * CB);
	CHECK_EQ(vmc_bitmap_next_set(&b, 2 * CB), 3 * CB);
	vmc_bitmap_clear_range(&b, 4 * CB, 100); /* the last, partial chunk, whole */
	CHECK(!b.chunk[4]);
	CHECK_EQ(vmc_bitmap_count(&b), 10 + 1 + CB);
	vmc_bitmap_release(&b);
}

TEST(next_set_and_next_clear_over_holes)
{
	struct vmc_bitmap b;
	uint64_t n = 9 * CB;

	REQUIRE(vmc_bitmap_init(&b, n, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, 0, CB);         /* chunk 0 full */
	vmc_bitmap_set(&b, 5 * CB + 63);         /* chunk 5: one bit */
	vmc_bitmap_set_range(&b, 7 * CB, 2 * CB); /* chunks 7, 8 full to the end */
	vmc_bitmap_set(&b, 3 * CB + 1);
	vmc_bitmap_clear(&b, 3 * CB + 1); /* chunk 3 allocated but empty */
	CHECK_EQ(chunks_of(&b), 5);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 0), CB);
	CHECK_EQ(vmc_bitmap_next_set(&b, 1), 1);
	CHECK_EQ(vmc_bitmap_next_set(&b, CB), 5 * CB + 63); /* past absent 1, 2, 4 and empty 3 */
	CHECK_EQ(vmc_bitmap_next_set(&b, 5 * CB + 64), 7 * CB);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 5 * CB + 63), 5 * CB + 64);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 7 * CB), n);
	CHECK_EQ(vmc_bitmap_next_set(&b, n), n);
	CHECK_EQ(vmc_bitmap_count_range(&b, CB / 2, 6 * CB), CB / 2 + 1);
	vmc_bitmap_release(&b);
}

/* Random operations clustered at chunk edges, against the reference. */
TEST(random_ops_at_chunk_edges_match_reference)
{
	uint64_t seed = 7, n = 3 * CB + 77;
	uint8_t *ref = calloc(n, 1);
	struct vmc_bitmap b;

	REQUIRE(ref && vmc_bitmap_init(&b, n, &d) == VMC_OK);
	for (int op = 0; op < 400; op++) {
		uint64_t edge = (td_rand(&seed) % 4) * CB, i = edge + td_rand(&seed) % 300 - 150;
		uint64_t c = td_rand(&seed) % 4 == 0 ? td_rand(&seed) % (2 * CB) : td_rand(&seed) % 300;
		if (i >= n + 100) /* below 0 wrapped */
			i = td_rand(&seed) % 100;
		ref_apply(&b, ref, n, (unsigned)(td_rand(&seed) % 4), i, c);
	}
	check_against(&b, ref, n);
	for (uint64_t s = 0; s < n; s += CB / 3) {
		uint64_t want = 0;
		for (uint64_t k = s; k < n && k < s + CB / 2; k++)
			want += ref[k];
		CHECK_EQ(vmc_bitmap_count_range(&b, s, CB / 2), want);
	}
	vmc_bitmap_release(&b);
	free(ref);
}

/* Loading a block at a time (as the kdump reader streams a file's bitmap) equals loading the
 * whole; zero blocks allocate nothing; to_bytes_at reads back any window. */
TEST(bytes_streamed_by_block_across_chunks)
{
	uint64_t n = 3 * CB + 13, nb = (n + 7) / 8, seed = 3;
	uint8_t *bytes = calloc(nb, 1), *out = malloc(nb);
	struct vmc_bitmap whole, part;

	REQUIRE(bytes && out);
	for (uint64_t j = CB / 8 - 40; j < CB / 8 + 40; j++) /* around the edge of chunks 0 and 1 */
		bytes[j] = (uint8_t)td_rand(&seed);
	bytes[nb - 1] = 0xff; /* bits past n in the last byte must not load */
	REQUIRE(vmc_bitmap_init(&whole, n, &d) == VMC_OK && vmc_bitmap_init(&part, n, &d) == VMC_OK);
	vmc_bitmap_from_bytes(&whole, bytes, nb);
	for (uint64_t j = 0; j < nb; j += 1000)
		vmc_bitmap_from_bytes_at(&part, j, bytes + j, nb - j < 1000 ? nb - j : 1000);
	CHECK_EQ(chunks_of(&whole), 3); /* chunk 2 is all zeros */
	CHECK_EQ(chunks_of(&part), 3);
	CHECK(!whole.chunk[2]);
	CHECK_EQ(vmc_bitmap_count(&whole), vmc_bitmap_count(&part));
	CHECK_EQ(vmc_bitmap_next_set(&whole, 3 * CB), 3 * CB + 8);
	CHECK_EQ(vmc_bitmap_count_range(&whole, 3 * CB, CB), 13 - 8);
	vmc_bitmap_to_bytes(&part, out, nb);
	bytes[nb - 1] &= (1u << (n % 8)) - 1;
	CHECK(memcmp(out, bytes, nb) == 0);
	for (uint64_t j = CB / 8 - 50; j < CB / 8 + 50; j += 7) {
		uint8_t win[13];
		vmc_bitmap_to_bytes_at(&whole, j, win, sizeof(win));
		CHECK(memcmp(win, bytes + j, sizeof(win)) == 0);
	}
	/* a zero block over an allocated chunk clears it */
	memset(out, 0, 64);
	vmc_bitmap_from_bytes_at(&part, CB / 8 - 32, out, 64);
	CHECK_EQ(vmc_bitmap_count_range(&part, CB - 256, 512), 0);
	vmc_bitmap_release(&whole);
	vmc_bitmap_release(&part);
	free(bytes);
	free(out);
}

TEST(copy_and_or)
{
	struct vmc_bitmap a, b, c;

	REQUIRE(vmc_bitmap_init(&a, 5 * CB, &d) == VMC_OK && vmc_bitmap_init(&b, 5 * CB + 9, &d) == VMC_OK);
	vmc_bitmap_set_range(&a, CB - 3, 6);
	vmc_bitmap_set(&a, 4 * CB + 1);
	REQUIRE(vmc_bitmap_copy(&c, &a, &d) == VMC_OK);
	CHECK_EQ(chunks_of(&c), 3);
	CHECK_EQ(vmc_bitmap_count(&c), 7);
	vmc_bitmap_clear(&a, CB);
	CHECK(vmc_bitmap_test(&c, CB)); /* a deep copy */
	vmc_bitmap_set(&b, 2 * CB);
	vmc_bitmap_set(&b, 5 * CB + 3); /* past c's end: not carried */
	vmc_bitmap_or(&c, &b);
	CHECK_EQ(vmc_bitmap_count(&c), 8);
	CHECK(vmc_bitmap_test(&c, 2 * CB));
	CHECK_EQ(vmc_bitmap_next_set(&c, 4 * CB + 2), 5 * CB);
	vmc_bitmap_release(&a);
	vmc_bitmap_release(&b);
	vmc_bitmap_release(&c);
}

/* A claim takes one word's share of a run: the fresh bits are those not claimed before and
 * wanted; the next word starts where the covered bits end. */
TEST(words_claim_one_word_at_a_time)
{
	uint64_t w[3] = { 0, 1ull << 5, 0 }, covered = 0, fresh;

	fresh = vmc_bitmap_words_claim(w, 60, 10, ~0ull, &covered); /* bits 60..63 of word 0 */
	CHECK_EQ(covered, 4);
	CHECK_EQ(fresh, 0xfull << 60);
	CHECK_EQ(w[0], 0xfull << 60);
	fresh = vmc_bitmap_words_claim(w, 64, 6, ~0ull, &covered); /* bit 5 was claimed already */
	CHECK_EQ(covered, 6);
	CHECK_EQ(fresh, 0x1full);
	CHECK_EQ(w[1], 0x3full);
	fresh = vmc_bitmap_words_claim(w, 62, 2, ~0ull, &covered); /* all claimed: none fresh */
	CHECK_EQ(covered, 2);
	CHECK_EQ(fresh, 0);
	fresh = vmc_bitmap_words_claim(w, 128, 64, 0xf0ull, &covered); /* only the wanted ones */
	CHECK_EQ(covered, 64);
	CHECK_EQ(fresh, 0xf0ull);
	CHECK_EQ(w[2], 0xf0ull);
	fresh = vmc_bitmap_words_claim(w, 130, 1, 0xf0ull, &covered); /* unwanted: not claimed */
	CHECK_EQ(covered, 1);
	CHECK_EQ(fresh, 0);
	CHECK_EQ(w[2], 0xf0ull);
}

/* Chunks with memory of their own (not absent, not the shared full one). */
static uint64_t owned_chunks(const struct vmc_bitmap *b)
{
	uint64_t n = 0;

	for (uint64_t k = 0; k < b->nchunks; k++)
		n += b->chunk[k] && b->chunk[k] != VMC_BITMAP_FULL;
	return n;
}

/* RAM a header claims (2^36 frames, every chunk full) costs the directory, not 8 GiB; a
 * clear copies the one chunk it touches, scans stay exact over full chunks. */
TEST(full_chunks_cost_nothing_until_cleared)
{
	struct vmc_bitmap b, c;
	uint64_t n = 1ull << 36, hole = 77 * CB + 5;

	REQUIRE(vmc_bitmap_init(&b, n, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, 0, n);
	CHECK_EQ(owned_chunks(&b), 0);
	CHECK_EQ(b.chunk[0], VMC_BITMAP_FULL);
	CHECK_EQ(vmc_bitmap_count(&b), n);
	CHECK_EQ(vmc_bitmap_count_range(&b, 3, 2 * CB), 2 * CB);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 0), n); /* 2^18 full chunks skipped */
	CHECK_EQ(vmc_bitmap_next_clear_before(&b, 5, n), n);
	CHECK_EQ(vmc_bitmap_next_set(&b, CB + 9), CB + 9);
	CHECK_EQ(vmc_bitmap_word(&b, 12345), ~0ull);
	vmc_bitmap_set(&b, 999); /* a set into the shared chunk writes nothing */
	CHECK_EQ(owned_chunks(&b), 0);
	vmc_bitmap_clear(&b, hole);
	CHECK_EQ(owned_chunks(&b), 1);
	CHECK(!vmc_bitmap_test(&b, hole) && vmc_bitmap_test(&b, hole - 1) && vmc_bitmap_test(&b, hole + 1));
	CHECK_EQ(vmc_bitmap_count(&b), n - 1);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 0), hole);
	CHECK_EQ(vmc_bitmap_next_clear(&b, hole + 1), n);
	CHECK_EQ(vmc_bitmap_next_clear_before(&b, 0, n), hole);
	/* a partial clear range copies; a whole one frees */
	vmc_bitmap_clear_range(&b, 90 * CB + 10, 20);
	CHECK_EQ(owned_chunks(&b), 2);
	CHECK_EQ(vmc_bitmap_count_range(&b, 90 * CB, CB), CB - 20);
	vmc_bitmap_clear_range(&b, 91 * CB, CB);
	CHECK(!b.chunk[91]);
	CHECK_EQ(vmc_bitmap_next_set(&b, 91 * CB), 92 * CB);
	/* setting a copied chunk whole makes it shared again */
	vmc_bitmap_set_range(&b, 77 * CB, CB);
	CHECK_EQ(owned_chunks(&b), 1);
	CHECK_EQ(b.chunk[77], VMC_BITMAP_FULL);
	/* copy shares full chunks; or of a full chunk makes the destination's full */
	REQUIRE(vmc_bitmap_copy(&c, &b, &d) == VMC_OK);
	CHECK_EQ(owned_chunks(&c), 1);
	CHECK_EQ(vmc_bitmap_count(&c), n - 20 - CB);
	vmc_bitmap_clear(&c, 5);
	CHECK(vmc_bitmap_test(&b, 5)); /* b's chunk 0 is still the shared one */
	vmc_bitmap_or(&c, &b);
	CHECK_EQ(owned_chunks(&c), 1); /* chunk 0 full again; 90 still partial in both */
	CHECK_EQ(vmc_bitmap_count(&c), n - 20 - CB);
	CHECK(vmc_bitmap_check(&b, "test", &d) == VMC_OK);
	vmc_bitmap_release(&c);
	vmc_bitmap_release(&b);
}

/* A full chunk never holds bits past nbits: the partial last chunk is a real one, and or of
 * a longer full source keeps the tail clear. Bytes: a whole chunk of 0xff loads as full. */
TEST(full_chunks_at_the_tail_and_from_bytes)
{
	struct vmc_bitmap a, b;
	uint64_t n = 2 * CB + 100, nb = (n + 7) / 8;
	uint8_t *bytes = malloc(nb), *out = malloc(nb);

	REQUIRE(bytes && out);
	REQUIRE(vmc_bitmap_init(&a, n, &d) == VMC_OK && vmc_bitmap_init(&b, 3 * CB, &d) == VMC_OK);
	vmc_bitmap_set_range(&a, 0, n);
	CHECK_EQ(a.chunk[1], VMC_BITMAP_FULL);
	CHECK(a.chunk[2] && a.chunk[2] != VMC_BITMAP_FULL);
	CHECK_EQ(vmc_bitmap_count(&a), n);
	vmc_bitmap_clear_range(&a, 0, n);
	vmc_bitmap_set_range(&b, 0, 3 * CB);
	vmc_bitmap_or(&a, &b);
	CHECK_EQ(vmc_bitmap_count(&a), n);
	CHECK_EQ(vmc_bitmap_word(&a, (n - 1) / 64), ~0ull >> (64 - n % 64));
	CHECK_EQ(owned_chunks(&a), 1);
	memset(bytes, 0xff, nb);
	bytes[CB / 8 + 3] = 0x7f; /* bit CB + 31 clear: chunk 1 is a real one */
	bytes[nb - 1] = 0x0f;     /* bits n - 4 .. n - 1 of the last byte, none past n */
	vmc_bitmap_from_bytes(&b, bytes, nb);
	CHECK_EQ(b.chunk[0], VMC_BITMAP_FULL);
	CHECK(b.chunk[1] != VMC_BITMAP_FULL && b.chunk[2] != VMC_BITMAP_FULL);
	CHECK_EQ(vmc_bitmap_next_clear(&b, 0), CB + 31);
	CHECK_EQ(vmc_bitmap_count(&b), n - 1);
	memset(out, 0, nb);
	vmc_bitmap_to_bytes(&b, out, nb);
	CHECK(memcmp(out, bytes, nb) == 0);
	/* streamed: an all-ones block onto a full chunk keeps it; a partial one copies it */
	vmc_bitmap_from_bytes_at(&b, 100, bytes, 50);
	CHECK_EQ(b.chunk[0], VMC_BITMAP_FULL);
	vmc_bitmap_from_bytes_at(&b, 100, bytes + CB / 8, 4);
	CHECK(b.chunk[0] != VMC_BITMAP_FULL);
	CHECK(!vmc_bitmap_test(&b, 800 + 31) && vmc_bitmap_test(&b, 800 + 30));
	vmc_bitmap_release(&a);
	vmc_bitmap_release(&b);
	free(bytes);
	free(out);
}

/* Whole-chunk ranges, single-bit clears into full chunks, copies and ors, against the
 * reference (every bit of a 5-chunk bitmap checked). */
TEST(random_whole_chunk_ops_match_reference)
{
	uint64_t seed = 11, n = 5 * CB + 33;
	uint8_t *ref = calloc(n, 1);
	struct vmc_bitmap b, c;

	REQUIRE(ref && vmc_bitmap_init(&b, n, &d) == VMC_OK);
	for (int op = 0; op < 120; op++) {
		uint64_t k = td_rand(&seed) % 6, i = k * CB + (td_rand(&seed) % 3 == 0 ? td_rand(&seed) % 200 : 0);
		uint64_t cnt = td_rand(&seed) % 2 ? CB : (td_rand(&seed) % 3) * CB + td_rand(&seed) % 100;
		unsigned kind = (unsigned)(td_rand(&seed) % 5);
		if (kind == 4) { /* round trip through a copy, or'ed back */
			REQUIRE(vmc_bitmap_copy(&c, &b, &d) == VMC_OK);
			vmc_bitmap_or(&c, &b);
			vmc_bitmap_release(&b);
			b = c;
			continue;
		}
		ref_apply(&b, ref, n, kind < 2 ? kind + 2 : kind - 2, i, kind < 2 ? cnt : 1);
	}
	check_against(&b, ref, n);
	vmc_bitmap_release(&b);
	free(ref);
}
