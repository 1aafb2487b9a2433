/* carve.c: the list of carvers, and picking the one that recognises a host dump. */
#include "carver.h"

#include <string.h>

static const struct vmc_carver_ops *const carvers[] = { &vmc_carver_xen, &vmc_carver_kvm };

enum vmc_status vmc_carve_scan(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
			       struct vmc_diag *d)
{
	const struct vmc_carver_ops *best = NULL;
	int best_score = 0;

	for (size_t i = 0; i < sizeof(carvers) / sizeof(carvers[0]); i++) {
		int s;
		if (o->force) {
			if (!strcmp(o->force, carvers[i]->name))
				best = carvers[i];
			continue;
		}
		s = carvers[i]->probe(host, o);
		if (s > best_score) {
			best_score = s;
			best = carvers[i];
		}
	}
	if (!best)
		return o->force ? vmc_fail(d, VMC_ERR_ARGS, "unknown hypervisor '%s' (xen, kvm)", o->force)
				: vmc_fail(d, VMC_ERR_UNSUPPORTED,
					   "%s: no hypervisor found (no Xen notes, no KVM guest state); try --hypervisor",
					   host->name);
	memset(hv, 0, sizeof(*hv));
	return best->scan(host, o, hv, d);
}
