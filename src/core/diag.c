/* diag.c: recording and chaining error messages (see diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vmc_status_name(enum vmc_status st)
{
	switch (st) {
	case VMC_OK: return "ok";
	case VMC_DONE: return "done";
	case VMC_ERR_NOMEM: return "out of memory";
	case VMC_ERR_IO: return "I/O error";
	case VMC_ERR_CORRUPT: return "corrupt input";
	case VMC_ERR_TRUNCATED: return "truncated input";
	case VMC_ERR_UNSUPPORTED: return "unsupported";
	case VMC_ERR_MISSING: return "page missing";
	case VMC_ERR_ARGS: return "invalid arguments";
	case VMC_ERR_NOSPC: return "no space left on device";
	case VMC_ERR_LIMIT: return "limit exceeded";
	case VMC_ERR_NOTFOUND: return "not found";
	case VMC_ERR_CANCELLED: return "cancelled";
	}
	return "unknown status";
}

void vmc_diag_init(struct vmc_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void vmc_diag_clear(struct vmc_diag *d)
{
	d->status = VMC_OK;
	d->msg[0] = '\0';
}

enum vmc_status vmc_fail(struct vmc_diag *d, enum vmc_status st, const char *fmt, ...)
{
	va_list ap;

	d->status = st;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return st;
}

enum vmc_status vmc_fail_at(struct vmc_diag *d, enum vmc_status st, const char *path, uint64_t off,
			    const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	d->status = st;
	snprintf(d->msg, sizeof(d->msg), "%s: offset 0x%llx: %s", path ? path : "?",
		 (unsigned long long)off, what);
	return st;
}

enum vmc_status vmc_wrap(struct vmc_diag *d, enum vmc_status st, const char *fmt, ...)
{
	char ctx[256], old[sizeof(d->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, d->msg, sizeof(old));
	if (old[0])
		snprintf(d->msg, sizeof(d->msg), "%s: %.*s", ctx, (int)(sizeof(d->msg) - sizeof(ctx) - 4), old);
	else
		snprintf(d->msg, sizeof(d->msg), "%s: %s", ctx, vmc_status_name(st));
	d->status = st;
	return st;
}

void vmc_warn(struct vmc_diag *d, const char *fmt, ...)
{
	va_list ap;

	if (d->nwarn < sizeof(d->warn) / sizeof(d->warn[0])) {
		va_start(ap, fmt);
		vsnprintf(d->warn[d->nwarn], sizeof(d->warn[0]), fmt, ap);
		va_end(ap);
	}
	d->nwarn++;
}
