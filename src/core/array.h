/* array.h: the one growable-array helper (git's ALLOC_GROW): make room for `need` elements,
 * doubling from a first size, with overflow checks and one "out of memory" message. */
#ifndef VMC_ARRAY_H
#define VMC_ARRAY_H

#include "diag.h"

/* Ensure *arr (of *cap elements of elem_size bytes) holds at least need elements; grows to
 * max(need, 2 * *cap, first). On failure *arr and *cap are unchanged and d says why. */
enum vmc_status vmc_grow_(void **arr, size_t *cap, size_t need, size_t elem_size, size_t first,
			  struct vmc_diag *d);

#define vmc_grow(arr, cap, need, first, d) vmc_grow_((void **)(arr), (cap), (need), sizeof(**(arr)), (first), (d))

#endif
