/* registry.c: the only place that lists the plug-ins: readers (cheap exact-magic probes first),
 * writers, and carvers (picked by probe score). */
#include "registry.h"

#include <string.h>

static const struct vmc_reader_ops *const readers[] = {
	&vmc_reader_kdump,
	&vmc_reader_elf,
	&vmc_reader_xc_core,
};

static const struct vmc_writer_ops *const writers[] = {
	&vmc_writer_kdump,
	&vmc_writer_elf,
};

const struct vmc_reader_ops *vmc_registry_probe(const uint8_t *head, size_t len, int *score)
{
	const struct vmc_reader_ops *best = NULL;
	int best_score = 0;

	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		int s = readers[i]->probe(head, len);
		if (s > best_score) {
			best_score = s;
			best = readers[i];
		}
	}
	if (score)
		*score = best_score;
	return best;
}

const struct vmc_writer_ops *vmc_registry_writer(const char *name)
{
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
		if (strcmp(writers[i]->name, name) == 0)
			return writers[i];
	return NULL;
}

static const struct vmc_carver_ops *const carvers[] = { &vmc_carver_xen, &vmc_carver_kvm };

enum vmc_status vmc_carve_scan(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
			       struct vmc_diag *d)
{
	const struct vmc_carver_ops *best = NULL;
	int best_score = 0;
	const char *m = vmc_kinfo_machine_name(host->e_machine);

	/* the carvers walk x86 page tables and read x86 hypervisor state */
	if (host->e_machine != VMC_EM_X86_64 && host->e_machine != VMC_EM_386)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: machine %s: carving guests is supported in x86 host dumps only",
				host->name, m ? m : host->uts.machine[0] ? host->uts.machine : "unknown");
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
