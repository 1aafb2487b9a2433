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

/* ELF e_machine values of the little-endian architectures vmcarve reads (all of them are
 * converted; only x86_64 is carved or walked) */
enum { VMC_EM_386 = 3, VMC_EM_PPC64 = 21, VMC_EM_X86_64 = 62, VMC_EM_AARCH64 = 183 };
/* The utsname.machine of a little-endian e_machine ("x86_64", "i686", "aarch64", "ppc64le"),
 * or NULL when vmcarve does not know it. */
const char *vmc_kinfo_machine_name(uint16_t e_machine);
/* The e_machine of a utsname.machine, 0 when unknown. */
uint16_t vmc_kinfo_machine_of_uts(const char *machine);

#endif
