/* api_common.c: size-versioned structs across the public API (see api.h). */
#include "api.h"

#include <string.h>

enum vmc_status vmc_api_opts_in(void *own, size_t own_size, const void *theirs, const char *what,
				struct vmc_diag *d)
{
	size_t size;

	memset(own, 0, own_size);
	if (!theirs)
		return VMC_OK;
	memcpy(&size, theirs, sizeof(size));
	if (size < sizeof(size_t))
		return vmc_fail(d, VMC_ERR_ARGS, "%s: size %zu is too small", what, size);
	for (size_t i = own_size; i < size; i++)
		if (((const uint8_t *)theirs)[i])
			return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: set fields this library (%zu bytes) does not know",
					what, own_size);
	memcpy(own, theirs, size < own_size ? size : own_size);
	return VMC_OK;
}

enum vmc_status vmc_api_info_out(void *theirs, const void *own, size_t own_size, const char *what,
				 struct vmc_diag *d)
{
	size_t size;

	if (!theirs)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: NULL", what);
	memcpy(&size, theirs, sizeof(size));
	if (size < sizeof(size_t))
		return vmc_fail(d, VMC_ERR_ARGS, "%s: size %zu is too small", what, size);
	/* the caller's size field stays as it set it */
	memcpy((uint8_t *)theirs + sizeof(size_t), (const uint8_t *)own + sizeof(size_t),
	       (size < own_size ? size : own_size) - sizeof(size_t));
	return VMC_OK;
}
