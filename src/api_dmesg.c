/* api_dmesg.c: the public API on the kernel inside a dump: its log (vmc_dump_dmesg(), over
 * src/linux/linux_printk), whether it panicked (vmc_dump_kernel_state()) and why
 * (vmc_dump_crash_reason(), over src/linux/linux_crash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "linux_crash.h"
#include "linux_printk.h"
#include "linux_state.h"

enum vmc_status vmc_dump_dmesg(struct vmc_dump *dump, vmc_dmesg_write_fn *write, void *arg, struct vmc_diag *d)
{
	/* the output buffer is 4 KiB: not on the caller's stack */
	struct vmc_lprintk_out *o = malloc(sizeof(*o));
	enum vmc_status rc;

	if (!o)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if (!write)
		rc = vmc_fail(d, VMC_ERR_ARGS, "vmc_dump_dmesg: no write function");
	else {
		vmc_lprintk_out_init(o, write, arg);
		rc = vmc_lprintk_dump(dump, o, d);
	}
	free(o);
	return rc;
}

enum vmc_status vmc_dump_kernel_state(struct vmc_dump *dump, struct vmc_kernel_state *st, struct vmc_diag *d)
{
	struct vmc_kernel_state out = { .size = sizeof(out) };
	struct vmc_linux_state ls;
	enum vmc_status rc = vmc_linux_state_read(dump, &ls, d), rc2;

	out.state = vmc_linux_state_name(&ls);
	out.panic_cpu = ls.known ? ls.panic_cpu : -1;
	out.oops_in_progress = ls.oops_in_progress;
	rc2 = vmc_api_info_out(st, &out, sizeof(out), "struct vmc_kernel_state", d);
	return rc ? rc : rc2;
}

enum vmc_status vmc_dump_crash_reason(struct vmc_dump *dump, struct vmc_crash_reason *r, struct vmc_diag *d)
{
	struct vmc_crash_reason *out = calloc(1, sizeof(*out));
	struct vmc_lcrash *c = malloc(sizeof(*c));
	enum vmc_status rc;

	if (!out || !c) {
		free(out);
		free(c);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	vmc_lcrash_init(c);
	if (!(rc = vmc_dump_dmesg(dump, vmc_lcrash_write, c, d))) {
		vmc_lcrash_finish(c);
		out->size = sizeof(*out);
		memcpy(out->panic, c->panic, sizeof(out->panic));
		memcpy(out->oops, c->oops, sizeof(out->oops));
		for (unsigned i = 0; i < c->nlast; i++)
			snprintf(out->last[i], sizeof(out->last[i]), "%s", vmc_lcrash_last(c, i));
		out->nlast = c->nlast;
		out->lines = c->lines;
		rc = vmc_api_info_out(r, out, sizeof(*out), "struct vmc_crash_reason", d);
	}
	free(c);
	free(out);
	return rc;
}
