/* api_dmesg.c: the public API's kernel log: vmc_dump_dmesg() over src/linux/linux_printk. */
#include <stdlib.h>

#include "api.h"
#include "linux_printk.h"

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
