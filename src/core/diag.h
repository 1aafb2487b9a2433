/* diag.h: the error object. A failing function records one message at the deepest point;
 * callers may prefix context with vmc_wrap(). Nothing below cmd/ prints or exits. */
#ifndef VMC_DIAG_H
#define VMC_DIAG_H

#include "vmc.h"

/* struct vmc_diag, vmc_diag_init() and vmc_diag_clear() are public (vmcarve.h, via vmc.h) */

/* Record a failure and return st, so callers can write `return vmc_fail(d, ...)`. */
enum vmc_status vmc_fail(struct vmc_diag *d, enum vmc_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a failure located in a file: "PATH: offset 0xOFF: message". */
enum vmc_status vmc_fail_at(struct vmc_diag *d, enum vmc_status st, const char *path, uint64_t off,
			    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prefix "context: " to the recorded message; returns st. */
enum vmc_status vmc_wrap(struct vmc_diag *d, enum vmc_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void vmc_warn(struct vmc_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
