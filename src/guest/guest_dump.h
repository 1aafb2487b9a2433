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

/* The same for a guest whose every frame is about to be read once (a writer): the search stops
 * at the note it would choose (the first whose init_uts_ns matches), and *watch (NULL when the
 * search went to the end) holds the count of candidate notes still to be made over the frames
 * after it, so that a hostile guest's extra notes are still counted and warned about: give it to
 * vmc_guest_dump_watch(). */
struct vmc_guest_vmci;
enum vmc_status vmc_guest_prepare_stream(struct vmc_dump *host, struct vmc_guest *g, struct vmc_guest_vmci **watch,
					 struct vmc_diag *d);
/* count frames (page_size each, from pfn on) just read into data; thread-safe */
void vmc_guest_vmci_seen(struct vmc_guest_vmci *w, uint64_t pfn, uint64_t count, const uint8_t *data,
			 uint32_t page_size, unsigned page_shift);
/* Reads the frames not seen, completes the count and warns in g as vmc_guest_prepare() would. */
void vmc_guest_vmci_finish(struct vmc_guest_vmci *w, struct vmc_dump *gd, struct vmc_guest *g);
void vmc_guest_vmci_free(struct vmc_guest_vmci *w);

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

/* gd (from vmc_guest_dump_open) counts the frames it reads into w, which it owns from now on;
 * vmc_dump_close(gd) finishes the count (vmc_guest_vmci_finish) before it closes. */
void vmc_guest_dump_watch(struct vmc_dump *gd, struct vmc_guest_vmci *w);
/* gd shows the host frames it reads to tap (vmc_guest_tap: the carver's fused work, e.g. Xen's
 * xenstore search over dom0), and calls tap->close when it closes. */
void vmc_guest_dump_tap(struct vmc_dump *gd, const struct vmc_guest_tap *tap);

/* Note builders (exposed for tests): size in bytes of the note; writes it when out != NULL. */
size_t vmc_note_prstatus_x86_64(const struct vmc_vcpu *v, uint8_t *out);
size_t vmc_note_qemu_cpu_x86_64(const struct vmc_vcpu *v, uint8_t *out);

#endif
