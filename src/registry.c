/* registry.c: the only place that lists the format plug-ins. Cheap exact-magic probes first. */
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
