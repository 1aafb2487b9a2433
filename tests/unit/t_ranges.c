/* t_ranges.c: the range list (core/ranges.h) against a one-byte-per-unit reference model. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ranges.h"

static struct vmc_diag d;

TEST(add_merges_contiguous_runs)
{
	struct vmc_ranges s = { 0 };

	REQUIRE(vmc_ranges_add(&s, 10, 12, &d) == VMC_OK);
	REQUIRE(vmc_ranges_add(&s, 12, 15, &d) == VMC_OK); /* continues the last: merged */
	REQUIRE(vmc_ranges_add(&s, 20, 21, &d) == VMC_OK);
	REQUIRE(vmc_ranges_push(&s, 21, 22, &d) == VMC_OK); /* push never merges */
	CHECK_EQ(s.n, 3);
	CHECK_EQ(s.r[0].lo, 10);
	CHECK_EQ(s.r[0].hi, 15);
	CHECK_EQ(s.r[2].lo, 21);
	CHECK_EQ(vmc_ranges_normalise(&s), 0); /* touching ranges merge without overlap */
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.r[1].lo, 20);
	CHECK_EQ(s.r[1].hi, 22);
	vmc_ranges_release(&s);
	CHECK(s.r == NULL && s.n == 0 && s.cap == 0);
}

TEST(normalise_counts_overlaps_and_find)
{
	struct vmc_ranges s = { 0 };

	REQUIRE(vmc_ranges_add(&s, 100, 110, &d) == VMC_OK);
	REQUIRE(vmc_ranges_add(&s, 0, 5, &d) == VMC_OK);
	REQUIRE(vmc_ranges_add(&s, 105, 120, &d) == VMC_OK); /* 5 units twice */
	REQUIRE(vmc_ranges_add(&s, 101, 102, &d) == VMC_OK); /* inside: 1 unit twice */
	CHECK_EQ(vmc_ranges_normalise(&s), 6);
	REQUIRE(s.n == 2);
	CHECK_EQ(s.r[0].lo, 0);
	CHECK_EQ(s.r[0].hi, 5);
	CHECK_EQ(s.r[1].lo, 100);
	CHECK_EQ(s.r[1].hi, 120);
	CHECK(vmc_ranges_find(&s, 0) == &s.r[0]);
	CHECK(vmc_ranges_find(&s, 4) == &s.r[0]);
	CHECK(vmc_ranges_find(&s, 5) == NULL);
	CHECK(vmc_ranges_find(&s, 99) == NULL);
	CHECK(vmc_ranges_find(&s, 119) == &s.r[1]);
	CHECK(vmc_ranges_find(&s, 120) == NULL);
	vmc_ranges_release(&s);
	CHECK(vmc_ranges_find(&s, 0) == NULL);
	CHECK_EQ(vmc_ranges_normalise(&s), 0);
}

TEST(random_against_model)
{
	enum { N = 2048 };
	static uint8_t ref[N];
	struct vmc_ranges s = { 0 }, t = { 0 };
	uint64_t twice = 0, first = 0, shared = 0, ref_first = N;

	srand(7);
	memset(ref, 0, sizeof(ref));
	for (int i = 0; i < 300; i++) {
		uint64_t lo = (uint64_t)rand() % N, len = 1 + (uint64_t)rand() % 40;
		if (lo + len > N)
			len = N - lo;
		REQUIRE(vmc_ranges_add(&s, lo, lo + len, &d) == VMC_OK);
		for (uint64_t k = lo; k < lo + len; k++)
			twice += ref[k]++ > 0;
	}
	/* overlaps count units covered again after the first, as far as the merged cover goes:
	 * at least one per unit the model saw twice, at most every repeat */
	uint64_t over = vmc_ranges_normalise(&s);
	CHECK(over <= twice);
	for (size_t i = 0; i + 1 < s.n; i++)
		CHECK(s.r[i].hi < s.r[i + 1].lo);
	for (uint64_t k = 0; k < N; k++)
		CHECK_EQ(vmc_ranges_find(&s, k) != NULL, ref[k] > 0);
	for (uint64_t k = 0; k < N; k += 3)
		REQUIRE(vmc_ranges_add(&t, k, k + 1, &d) == VMC_OK);
	vmc_ranges_normalise(&t);
	for (uint64_t k = 0; k < N; k += 3)
		if (ref[k]) {
			shared++;
			if (ref_first == N)
				ref_first = k;
		}
	CHECK_EQ(vmc_ranges_overlap(&s, &t, &first), shared);
	if (shared)
		CHECK_EQ(first, ref_first);
	vmc_ranges_release(&s);
	vmc_ranges_release(&t);
}
