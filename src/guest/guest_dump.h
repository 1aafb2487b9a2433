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

/* Reads len bytes of a guest kernel's virtual memory at kva (kernel text: phys_base gives
 * where it lies); false when they cannot be read. */
typedef bool vmc_guest_kva_read_fn(void *arg, uint64_t kva, uint64_t phys_base, void *buf, size_t len);
/* The text length of a VMCOREINFO note at the start of page (text from VMC_GUEST_NOTE_HDR on,
 * starting with OSRELEASE=), or 0. */
#define VMC_GUEST_NOTE_HDR 24 /* Elf64_Nhdr + "VMCOREINFO\0" padded to 12 */
size_t vmc_guest_vmcoreinfo_note_at(const uint8_t *page, uint32_t page_size);
/* The note text is the kernel's own when init_uts_ns, found through its SYMBOL(init_uts_ns),
 * OFFSET(uts_namespace.name) and NUMBER(phys_base), holds its OSRELEASE. */
bool vmc_guest_vmcoreinfo_check(const uint8_t *text, size_t len, vmc_guest_kva_read_fn *read, void *arg);

/* The host dump must outlive the returned dump; g must not change while it is open. */
enum vmc_status vmc_guest_dump_open(struct vmc_dump *host, struct vmc_guest *g, struct vmc_dump **ret,
				    struct vmc_diag *d);

/* Note builders (exposed for tests): size in bytes of the note; writes it when out != NULL. */
size_t vmc_note_prstatus_x86_64(const struct vmc_vcpu *v, uint8_t *out);
size_t vmc_note_qemu_cpu_x86_64(const struct vmc_vcpu *v, uint8_t *out);

#endif
