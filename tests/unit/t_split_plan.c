/* t_split_plan.c: split-set part ranges (dump/split_plan.h) against a counting reference. */
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "harness.h"
#include "split_plan.h"

static struct vmc_diag d;

/* The parts must tile [0, max_pfn) in order, start on multiples of 64, and hold equal shares
 * of the set bits give or take the 64 frames a boundary may move. */
static void check_plan(const struct vmc_bitmap *a, const struct vmc_bitmap *b, uint64_t max_pfn, unsigned nparts)
{
	uint64_t total = 0, prev_end = 0;

	for (uint64_t i = 0; i < max_pfn; i++)
		total += vmc_bitmap_test(a, i) || (b && vmc_bitmap_test(b, i));
	for (unsigned k = 0; k < nparts; k++) {
		uint64_t s, e, n = 0;

		vmc_split_plan_range(a, b, max_pfn, nparts, k, &s, &e);
		CHECK_EQ(s, prev_end);
		CHECK(s <= e && e <= max_pfn);
		CHECK(s % 64 == 0); /* crash counts a part's pages in whole bitmap words */
		for (uint64_t i = s; i < e; i++)
			n += vmc_bitmap_test(a, i) || (b && vmc_bitmap_test(b, i));
		CHECK(n + 64 >= total / nparts && n <= total / nparts + 1 + 64);
		prev_end = e;
	}
	CHECK_EQ(prev_end, max_pfn);
}

TEST(parts_tile_and_balance)
{
	struct vmc_bitmap a, b;
	uint64_t n = 5000;

	REQUIRE(vmc_bitmap_init(&a, n, &d) == VMC_OK);
	REQUIRE(vmc_bitmap_init(&b, n, &d) == VMC_OK);
	srand(7);
	for (uint64_t i = 0; i < n; i++) {
		if (i < 3000 && rand() % 3 == 0) /* sparse low half, dense run after 4000 */
			vmc_bitmap_set(&a, i);
		if (i >= 4000 || rand() % 50 == 0)
			vmc_bitmap_set(&b, i);
	}
	for (unsigned parts = 2; parts <= 17; parts++) {
		check_plan(&a, NULL, n, parts);
		check_plan(&a, &b, n, parts);
		check_plan(&a, &b, n - 37, parts); /* max_pfn not a multiple of 64, bits beyond it */
	}
	vmc_bitmap_release(&a);
	vmc_bitmap_release(&b);
}

TEST(fewer_pages_than_parts)
{
	struct vmc_bitmap a;
	uint64_t s, e;

	REQUIRE(vmc_bitmap_init(&a, 200, &d) == VMC_OK);
	vmc_bitmap_set(&a, 70);
	vmc_bitmap_set(&a, 130);
	check_plan(&a, NULL, 200, 5); /* three parts are empty */
	vmc_split_plan_range(&a, NULL, 200, 5, 4, &s, &e);
	CHECK_EQ(e, 200);
	vmc_bitmap_clear(&a, 70);
	vmc_bitmap_clear(&a, 130);
	check_plan(&a, NULL, 200, 3); /* nothing stored at all */
	vmc_split_plan_range(&a, NULL, 200, 3, 1, &s, &e);
	CHECK_EQ(s, 192); /* max_pfn, moved down to a multiple of 64 */
	vmc_bitmap_release(&a);
}
