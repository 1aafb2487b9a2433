/* api.h: what the public API's files (api_*.c) share: copying size-versioned structs in and out,
 * and the carve result behind struct vmc_carve. */
#ifndef VMC_API_H
#define VMC_API_H

#include "guest.h"

struct vmc_carve {
	struct vmc_dump *host; /* the caller's; must outlive the carve */
	struct vmc_hv hv;
	bool names_on_request; /* vmc_carve_options.names_on_request (with names_late) */
};

/* Copy a caller's size-versioned struct (first field: size_t size) into a zeroed `own` of
 * own_size bytes: fields the caller's struct lacks stay 0; fields it has beyond ours must be
 * 0 (a newer caller asking for something this library cannot do). NULL = all defaults. */
enum vmc_status vmc_api_opts_in(void *own, size_t own_size, const void *theirs, const char *what,
				struct vmc_diag *d);
/* Copy a filled `own` out into the caller's size-versioned struct, as much as its size holds. */
enum vmc_status vmc_api_info_out(void *theirs, const void *own, size_t own_size, const char *what,
				 struct vmc_diag *d);

#endif
