/* registry.h: the one list of input formats (readers) and output formats (writers). */
#ifndef VMC_REGISTRY_H
#define VMC_REGISTRY_H

#include "dump.h"
#include "writer.h"

extern const struct vmc_reader_ops vmc_reader_elf;
extern const struct vmc_reader_ops vmc_reader_kdump;
extern const struct vmc_reader_ops vmc_reader_xc_core;
extern const struct vmc_writer_ops vmc_writer_kdump;
extern const struct vmc_writer_ops vmc_writer_elf;

/* Best reader for these first bytes, or NULL. */
const struct vmc_reader_ops *vmc_registry_probe(const uint8_t *head, size_t len, int *score);
const struct vmc_writer_ops *vmc_registry_writer(const char *name);

#endif
