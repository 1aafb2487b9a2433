/* linux_types.h: where the KVM route gets the host kernel's struct layouts: one interface,
 * two providers (BTF found in the dump's memory: linux_btf.c; DWARF from --host-debuginfo:
 * linux_dwarf.c), so both can be asked the same questions and their answers compared. */
#ifndef VMC_LINUX_TYPES_H
#define VMC_LINUX_TYPES_H

#include "diag.h"

struct vmc_lmember {
	uint64_t offset;     /* bytes from the start of the outermost struct */
	uint32_t bit_offset; /* bitfields: first bit within the byte at offset */
	uint32_t bit_size;   /* 0 when not a bitfield */
	uint64_t size;       /* bytes of the member's type (typedefs and qualifiers resolved) */
	uint64_t nelems;     /* arrays: element count; 0 when not an array */
	uint64_t elem_size;  /* arrays: bytes per element */
	bool is_ptr;
};

struct vmc_ltypes {
	const char *name; /* "BTF", "DWARF" */
	void *ctx;
	/* unit: "vmlinux" or a module name ("kvm", "kvm_amd", "kvm_intel"), whose types include
	 * vmlinux's. path: member names separated by '.', anonymous structs/unions searched. */
	enum vmc_status (*member)(void *ctx, const char *unit, const char *sname, const char *path,
				  struct vmc_lmember *m, struct vmc_diag *d);
	enum vmc_status (*size)(void *ctx, const char *unit, const char *sname, uint64_t *size, struct vmc_diag *d);
};

#endif
