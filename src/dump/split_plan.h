/* split_plan.h: where the parts of a split set (makedumpfile --split) begin and end. */
#ifndef VMC_SPLIT_PLAN_H
#define VMC_SPLIT_PLAN_H

#include "bitmap.h"

/* Part `index` (0-based) of `nparts`, as the frame range [*start_pfn, *end_pfn) of max_pfn
 * frames: the parts hold equal shares of the frames in `a` or `b` (b may be NULL), so they are
 * balanced by the pages they store, not by frame numbers; each boundary is moved down to a
 * multiple of 64 frames (what crash needs), so each share is within 64 pages of an equal one. The plan
 * depends only on the bitmaps, so separate processes given the same dump agree on it. */
void vmc_split_plan_range(const struct vmc_bitmap *a, const struct vmc_bitmap *b, uint64_t max_pfn, unsigned nparts,
			  unsigned index, uint64_t *start_pfn, uint64_t *end_pfn);

#endif
