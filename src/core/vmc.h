/* vmc.h: base types shared by every stage: status codes and the address vocabulary. */
#ifndef VMC_H
#define VMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* enum vmc_status and vmc_status_name(): the public header holds the one definition */
#include "vmcarve.h"

/* Address spaces. A variable holds an address of exactly one of these. */
enum vmc_as {
	VMC_AS_HPA,  /* host machine physical (Xen: mfn << 12) */
	VMC_AS_GPA,  /* guest physical / pseudo-physical (gfn, pfn << 12) */
	VMC_AS_GVA,  /* guest virtual */
	VMC_AS_OFF,  /* byte offset in a file */
};

#define VMC_PAGE_SIZE_MAX 262144u

#endif
