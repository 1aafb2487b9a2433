/* t_bitmap.c: dense bitmaps against a one-byte-per-bit reference model. */
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
	CHECK(b.words == NULL);
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
 * wraps, and the word loop then writes b->words[start >> 6], far out of bounds. */
TEST(set_range_start_near_u64_max_is_noop)
{
	struct vmc_bitmap b;

	REQUIRE(vmc_bitmap_init(&b, 300, &d) == VMC_OK);
	vmc_bitmap_set_range(&b, UINT64_MAX - 10, 5);
	CHECK_EQ(vmc_bitmap_count(&b), 0);
	vmc_bitmap_release(&b);
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
			switch (td_rand(&seed) % 4) {
			case 0:
				vmc_bitmap_set(&b, i);
				if (i < n)
					ref[i] = 1;
				break;
			case 1:
				vmc_bitmap_clear(&b, i);
				if (i < n)
					ref[i] = 0;
				break;
			case 2:
				vmc_bitmap_set_range(&b, i, c);
				for (uint64_t k = i; k < n && k < i + c; k++)
					ref[k] = 1;
				break;
			default:
				for (uint64_t k = i; k < n && k < i + c; k++) {
					vmc_bitmap_clear(&b, k);
					ref[k] = 0;
				}
			}
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
