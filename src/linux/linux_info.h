/* linux_info.h: facts about the Linux kernel inside a dump that output headers need but the
 * input format may not carry: the full utsname (libkdumpfile requires every field) and the
 * kernel-text mapping (drgn and crash use it on ELF vmcores). */
#ifndef VMC_LINUX_INFO_H
#define VMC_LINUX_INFO_H

#include "dump.h"

/* x86_64 __START_KERNEL_map: the kernel image is mapped linearly from here to phys_base */
#define VMC_X86_64_START_KERNEL_MAP 0xffffffff80000000ull

/* Complete dump->uts from the kernel's init_uts_ns (VMCOREINFO SYMBOL(init_uts_ns)) and
 * derive dump->ktext from SYMBOL(_stext) and phys_base when the input had neither. Best
 * effort: what cannot be found is left as it was. */
void vmc_linux_info_fill(struct vmc_dump *dump);

#endif
