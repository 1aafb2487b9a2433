/* kinfo.h: facts about the kernel inside a dump that both readers and writers carry: its
 * utsname and the kernel-text mapping. Kept apart from dump.h so writers never see readers. */
#ifndef VMC_KINFO_H
#define VMC_KINFO_H

#include <stdint.h>

struct vmc_uts {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

/* A kernel-text mapping found in an ELF vmcore (kexec emits one), carried to ELF output. */
struct vmc_ktext {
	uint64_t vaddr, paddr, size;
};

#endif
