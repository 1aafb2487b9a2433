/* ranges.h: the one range list: [lo, hi) ranges of frames or addresses, appended in walk order
 * (contiguous ones merged), then sorted and normalised, then searched by bsearch. */
#ifndef VMC_RANGES_H
#define VMC_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct vmc_range {
	uint64_t lo, hi; /* [lo, hi) */
};

struct vmc_ranges {
	struct vmc_range *r;
	size_t n, cap;
};

/* Append [lo, hi), extending the last range when it ends at lo (walks visit ascending addresses). */
enum vmc_status vmc_ranges_add(struct vmc_ranges *s, uint64_t lo, uint64_t hi, struct vmc_diag *d);
/* Append [lo, hi) as a range of its own. */
enum vmc_status vmc_ranges_push(struct vmc_ranges *s, uint64_t lo, uint64_t hi, struct vmc_diag *d);
/* Sort by lo and merge overlapping and touching ranges; returns how many units were covered
 * more than once. */
uint64_t vmc_ranges_normalise(struct vmc_ranges *s);
/* The range holding x, or NULL (s sorted, ranges disjoint). */
const struct vmc_range *vmc_ranges_find(const struct vmc_ranges *s, uint64_t x);
/* How many units both a and b cover (both normalised); *first: the lowest such unit. */
uint64_t vmc_ranges_overlap(const struct vmc_ranges *a, const struct vmc_ranges *b, uint64_t *first);
void vmc_ranges_release(struct vmc_ranges *s);

#endif
