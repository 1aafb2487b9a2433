/* linux_dwarf.h: the --host-debuginfo route: struct layouts from the DWARF of vmlinux and
 * kvm*.ko (linux-image-*-dbg), read with libdw, and vmlinux symbols (ELF symtab shifted by
 * the dump's KERNELOFFSET) for kernels whose VMCOREINFO has no kallsyms. */
#ifndef VMC_LINUX_DWARF_H
#define VMC_LINUX_DWARF_H

#include "linux_kvmem.h"
#include "linux_types.h"

struct vmc_ldwarf;

/* Find vmlinux and kvm.ko / kvm-amd.ko / kvm-intel.ko under dir and check that the vmlinux
 * is the dump's kernel (build id, _stext). */
enum vmc_status vmc_ldwarf_open(const char *dir, struct vmc_lkmem *km, struct vmc_ldwarf **out, struct vmc_diag *d);
void vmc_ldwarf_close(struct vmc_ldwarf *w);
void vmc_ldwarf_types(struct vmc_ldwarf *w, struct vmc_ltypes *out);
/* A vmlinux symbol's address in the dumped kernel (KASLR applied). */
bool vmc_ldwarf_symbol(struct vmc_ldwarf *w, const char *name, uint64_t *va);

#endif
