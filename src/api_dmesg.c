/* api_dmesg.c: the public API on the kernel inside a dump: its log (vmc_dump_dmesg(), over
 * src/linux/linux_printk) and whether it panicked (vmc_dump_kernel_state()). */
#include <stdlib.h>

#include "api.h"
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
