/* t_runfind.c: vmc_runfind (core/runfind.h), the search over sorted runs, against a linear
 * search: random runs with 4- and 8-byte keys, hints right, next, wrong and out of range, no
 * runs, keys below the first. */
#include <stddef.h>
#include <stdlib.h>

#include "harness.h"
#include "runfind.h"

/* the shapes of the three users: a 32-bit key with an owner, a 64-bit key with a class, and a
 * 64-bit key with a count */
struct r32 {
	uint32_t mfn, owner;
	uint8_t state;
};
struct r64 {
	uint64_t mfn;
	uint32_t cls;
};
struct r3 {
	uint64_t mfn, pfn, count;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

/* reference: the last index with key <= x, or n */
static size_t linear(const uint64_t *keys, size_t n, uint64_t x)
{
	size_t r = n;

	for (size_t i = 0; i < n && keys[i] <= x; i++)
		r = i;
	return r;
}

/* n ascending keys from first, gaps of 1..maxgap (distinct: runs never start twice) */
static void make_keys(uint64_t *keys, size_t n, uint64_t first, uint64_t maxgap, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		keys[i] = i ? keys[i - 1] + 1 + rnd(s) % maxgap : first;
}

/* every probe x around and between the keys, with each kind of hint */
static void probe(const void *base, size_t n, size_t size, size_t off, unsigned width, const uint64_t *keys, uint64_t *s)
{
	uint64_t top = n ? keys[n - 1] + 3 : 8;
	unsigned bad = 0;

	for (unsigned t = 0; t < 4000; t++) {
		uint64_t x = t < 8 ? t : t < 16 && n ? keys[rnd(s) % n] - (t & 1) : rnd(s) % (top + 1);
		size_t want = linear(keys, n, x), hints[6] = { want, want + 1, want ? want - 1 : 0, n ? rnd(s) % n : 0, n,
								SIZE_MAX };
		for (unsigned h = 0; h < 6; h++) {
			size_t hint = hints[h], before = hint;
			size_t got = vmc_runfind(base, n, size, off, width, x, &hint);
			if (got != want || (want < n ? hint != want : hint != before)) {
				if (!bad++)
					harness_note("n %zu x 0x%llx hint %zu: got %zu (hint now %zu), want %zu", n,
						     (unsigned long long)x, before, got, hint, want);
			}
		}
		CHECK_EQ(vmc_runfind_search(base, n, size, off, width, x), want);
	}
	CHECK_EQ(bad, 0);
}

TEST(runfind_u32_key_against_linear)
{
	uint64_t s = 0x9e3779b97f4a7c15ull, keys[700];
	static struct r32 r[700];

	for (size_t n = 0; n <= 700; n = n < 5 ? n + 1 : n * 3 + 1) {
		/* the frame owners start at 0; also runs starting above 0 */
		make_keys(keys, n, n & 1 ? 0 : 40, 1 + rnd(&s) % 300, &s);
		for (size_t i = 0; i < n; i++)
			r[i] = (struct r32){ .mfn = (uint32_t)keys[i], .owner = (uint32_t)i };
		probe(r, n, sizeof(*r), offsetof(struct r32, mfn), 4, keys, &s);
	}
}

TEST(runfind_u64_key_against_linear)
{
	uint64_t s = 12345, keys[700];
	static struct r64 r[700];

	for (size_t n = 0; n <= 700; n = n < 5 ? n + 1 : n * 3 + 1) {
		/* keys above 2^32 too: a 64-bit key is compared whole */
		make_keys(keys, n, n & 2 ? (1ull << 33) - 7 : 0, 1 + rnd(&s) % (1ull << 34), &s);
		for (size_t i = 0; i < n; i++)
			r[i] = (struct r64){ .mfn = keys[i], .cls = 16 };
		probe(r, n, sizeof(*r), offsetof(struct r64, mfn), 8, keys, &s);
	}
}

TEST(runfind_counted_runs)
{
	uint64_t s = 777, keys[300];
	static struct r3 r[300];

	/* mfn + count runs with gaps, as the p2m inverse (the caller checks the count) */
	for (size_t n = 1; n <= 300; n = n * 2 + 1) {
		make_keys(keys, n, 5, 64, &s);
		for (size_t i = 0; i < n; i++)
			r[i] = (struct r3){ .mfn = keys[i], .pfn = i * 1000, .count = 1 + rnd(&s) % (i + 1 < n ? keys[i + 1] - keys[i] : 9) };
		probe(r, n, sizeof(*r), offsetof(struct r3, mfn), 8, keys, &s);
	}
	/* below the first run: none, whatever the hint */
	size_t hint = 0;
	CHECK_EQ(vmc_runfind(r, 3, sizeof(*r), offsetof(struct r3, mfn), 8, 4, &hint), 3);
	CHECK_EQ(hint, 0);
	hint = 2;
	CHECK_EQ(vmc_runfind(r, 0, sizeof(*r), offsetof(struct r3, mfn), 8, 100, &hint), 0);
	CHECK_EQ(hint, 2);
}
