/* kinfo.c: the architectures vmcarve names, between ELF e_machine and utsname.machine. */
#include "kinfo.h"

#include <string.h>

const char *vmc_kinfo_machine_name(uint16_t e_machine)
{
	switch (e_machine) {
	case VMC_EM_X86_64: return "x86_64";
	case VMC_EM_386: return "i686";
	case VMC_EM_AARCH64: return "aarch64";
	case VMC_EM_PPC64: return "ppc64le"; /* little-endian only: big-endian files are refused */
	default: return NULL;
	}
}

uint16_t vmc_kinfo_machine_of_uts(const char *machine)
{
	static const struct { const char *name; uint16_t em; } m[] = {
		{ "x86_64", VMC_EM_X86_64 }, { "i686", VMC_EM_386 }, { "i586", VMC_EM_386 }, { "i386", VMC_EM_386 },
		{ "aarch64", VMC_EM_AARCH64 }, { "arm64", VMC_EM_AARCH64 }, { "ppc64le", VMC_EM_PPC64 },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcmp(machine, m[i].name))
			return m[i].em;
	return 0;
}
