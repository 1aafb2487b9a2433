/* registry.h: the one list of plug-ins: input formats (readers), output formats (writers) and
 * carvers (src/registry.c). */
#ifndef VMC_REGISTRY_H
#define VMC_REGISTRY_H

#include "carver.h"
#include "dump.h"
#include "writer.h"

extern const struct vmc_reader_ops vmc_reader_elf;
extern const struct vmc_reader_ops vmc_reader_kdump;
extern const struct vmc_reader_ops vmc_reader_xc_core;
extern const struct vmc_writer_ops vmc_writer_kdump;
extern const struct vmc_writer_ops vmc_writer_elf;
extern const struct vmc_carver_ops vmc_carver_xen;
extern const struct vmc_carver_ops vmc_carver_kvm;

/* Probe every carver and run the best one's scan. */
enum vmc_status vmc_carve_scan(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
			       struct vmc_diag *d);

/* Best reader for these first bytes, or NULL. */
const struct vmc_reader_ops *vmc_registry_probe(const uint8_t *head, size_t len, int *score);
const struct vmc_writer_ops *vmc_registry_writer(const char *name);

#endif
