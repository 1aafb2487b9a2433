/* ranges.c: the range list (ranges.h). */
#include "ranges.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

enum vmc_status vmc_ranges_push(struct vmc_ranges *s, uint64_t lo, uint64_t hi, struct vmc_diag *d)
{
	enum vmc_status rc;

	if (s->n == s->cap && (rc = vmc_grow(&s->r, &s->cap, s->n + 1, 256, d)))
		return rc;
	s->r[s->n++] = (struct vmc_range){ lo, hi };
	return VMC_OK;
}

enum vmc_status vmc_ranges_add(struct vmc_ranges *s, uint64_t lo, uint64_t hi, struct vmc_diag *d)
{
	if (s->n && s->r[s->n - 1].hi == lo) {
		s->r[s->n - 1].hi = hi;
		return VMC_OK;
	}
	return vmc_ranges_push(s, lo, hi, d);
}

static int cmp_lo(const void *a, const void *b)
{
	const struct vmc_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

uint64_t vmc_ranges_normalise(struct vmc_ranges *s)
{
	uint64_t overlap = 0;
	size_t o = 0;

	if (s->n > 1)
		qsort(s->r, s->n, sizeof(s->r[0]), cmp_lo);
	for (size_t i = 0; i < s->n; i++) {
		struct vmc_range *last = o ? &s->r[o - 1] : NULL;
		if (last && s->r[i].lo <= last->hi) {
			uint64_t end = s->r[i].hi < last->hi ? s->r[i].hi : last->hi;
			overlap += end - s->r[i].lo;
			if (s->r[i].hi > last->hi)
				last->hi = s->r[i].hi;
			continue;
		}
		s->r[o++] = s->r[i];
	}
	s->n = o;
	return overlap;
}

const struct vmc_range *vmc_ranges_find(const struct vmc_ranges *s, uint64_t x)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->r[mid].hi <= x)
			lo = mid + 1;
		else if (s->r[mid].lo > x)
			hi = mid;
		else
			return &s->r[mid];
	}
	return NULL;
}

uint64_t vmc_ranges_overlap(const struct vmc_ranges *a, const struct vmc_ranges *b, uint64_t *first)
{
	uint64_t shared = 0;
	size_t i = 0, j = 0;

	*first = 0;
	while (i < a->n && j < b->n) {
		uint64_t lo = a->r[i].lo > b->r[j].lo ? a->r[i].lo : b->r[j].lo;
		uint64_t hi = a->r[i].hi < b->r[j].hi ? a->r[i].hi : b->r[j].hi;
		if (lo < hi) {
			if (!shared)
				*first = lo;
			shared += hi - lo;
		}
		if (a->r[i].hi < b->r[j].hi)
			i++;
		else
			j++;
	}
	return shared;
}

void vmc_ranges_release(struct vmc_ranges *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}
