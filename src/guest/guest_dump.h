/* guest_dump.h: a carved guest presented as a dump, so the unchanged pipeline (page stream,
 * writers) writes it: frames are read through the guest's map from the host dump, and the
 * notes are one "CORE" NT_PRSTATUS + one "QEMU" CPU state per vCPU, then the guest's own. */
#ifndef VMC_GUEST_DUMP_H
#define VMC_GUEST_DUMP_H

#include "dump.h"
#include "guest.h"

/* Find the guest kernel's VMCOREINFO note in its memory (validated against init_uts_ns) and
 * record it in g (notes, release, vmcoreinfo_gpa). Not finding one is a warning, not an error. */
enum vmc_status vmc_guest_prepare(struct vmc_dump *host, struct vmc_guest *g, struct vmc_diag *d);

/* The host dump must outlive the returned dump; g must not change while it is open. */
enum vmc_status vmc_guest_dump_open(struct vmc_dump *host, struct vmc_guest *g, struct vmc_dump **ret,
				    struct vmc_diag *d);

/* Note builders (exposed for tests): size in bytes of the note; writes it when out != NULL. */
size_t vmc_note_prstatus_x86_64(const struct vmc_vcpu *v, uint8_t *out);
size_t vmc_note_qemu_cpu_x86_64(const struct vmc_vcpu *v, uint8_t *out);

#endif
