/* xen_carve.c: the xen carver's entry points (being written; see issue 3). */
#include "carver.h"

static int probe(struct vmc_dump *host, const struct vmc_carve_opts *o)
{
	(void)host;
	(void)o;
	return 0;
}

static enum vmc_status scan(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
			    struct vmc_diag *d)
{
	(void)o;
	(void)hv;
	return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: xen carving is not available in this build", host->name);
}

const struct vmc_carver_ops vmc_carver_xen = { .name = "xen", .probe = probe, .scan = scan };
