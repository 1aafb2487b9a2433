/* array.c: vmc_grow (see array.h). */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>

enum vmc_status vmc_grow_(void **arr, size_t *cap, size_t need, size_t elem_size, size_t first,
			  struct vmc_diag *d)
{
	size_t ncap = *cap;
	void *p;

	if (need <= *cap)
		return VMC_OK;
	ncap = ncap ? (ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2) : first;
	if (ncap < need)
		ncap = need;
	if (!elem_size || ncap > SIZE_MAX / elem_size)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory (%zu elements of %zu bytes)", need, elem_size);
	p = realloc(*arr, ncap * elem_size);
	if (!p)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	*arr = p;
	*cap = ncap;
	return VMC_OK;
}
