/* vmc.h: base types shared by every stage: status codes and the address vocabulary. */
#ifndef VMC_H
#define VMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* VMC_OK and VMC_DONE are control flow; every error is negative. */
enum vmc_status {
	VMC_OK = 0,
	VMC_DONE = 1,
	VMC_ERR_NOMEM = -1,
	VMC_ERR_IO = -2,        /* the OS refused a read or write */
	VMC_ERR_CORRUPT = -3,   /* the input violates its format */
	VMC_ERR_TRUNCATED = -4, /* the input ends before data it declares */
	VMC_ERR_UNSUPPORTED = -5,
	VMC_ERR_MISSING = -6, /* a page the dump should hold is not there */
	VMC_ERR_ARGS = -7,
	VMC_ERR_NOSPC = -8,
	VMC_ERR_LIMIT = -9, /* a sanity bound was exceeded */
	VMC_ERR_NOTFOUND = -10, /* a symbol, structure, note or guest looked for is not there */
};

const char *vmc_status_name(enum vmc_status st);

/* Address spaces. A variable holds an address of exactly one of these. */
enum vmc_as {
	VMC_AS_HPA,  /* host machine physical (Xen: mfn << 12) */
	VMC_AS_GPA,  /* guest physical / pseudo-physical (gfn, pfn << 12) */
	VMC_AS_GVA,  /* guest virtual */
	VMC_AS_OFF,  /* byte offset in a file */
};

#define VMC_PAGE_SIZE_MAX 262144u

#endif
