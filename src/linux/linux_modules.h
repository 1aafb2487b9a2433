/* linux_modules.h: the host kernel's loaded modules, found by walking its `modules` list:
 * each module's own symbol table (mod->kallsyms: symtab/strtab, kept in core memory) and its
 * BTF (mod->btf_data while loading, afterwards the copy on the kernel's btf_modules list). */
#ifndef VMC_LINUX_MODULES_H
#define VMC_LINUX_MODULES_H

#include "linux_btf.h"
#include "linux_kvmem.h"
#include "linux_types.h"

struct vmc_lmod {
	char name[64];
	uint64_t mod_va;      /* struct module */
	uint32_t nsyms;
	uint8_t *symtab;      /* Elf64_Sym[nsyms], copied */
	char *strtab;
	size_t strtab_len;
	uint8_t *btf_blob;    /* raw split BTF, NULL when not found */
	size_t btf_len;
	char btf_where[80];   /* "mod->btf_data" / "btf_modules" / why not */
};

struct vmc_lmods {
	struct vmc_lmod *mods;
	unsigned n;
	unsigned listed;      /* modules on the list */
};

/* Walk the list at modules_va (vmlinux symbol `modules`) and load the modules named in want
 * (NULL-terminated); btf_modules_va (0 when unknown) is the kernel's list of module BTFs.
 * Struct layouts (module, mod_kallsyms, btf_module, btf) come from ty's "vmlinux" unit.
 * A wanted module that is not loaded is simply absent from out. */
enum vmc_status vmc_lmods_load(struct vmc_lkmem *km, uint64_t modules_va, uint64_t btf_modules_va,
			       const struct vmc_ltypes *ty, const char *const *want, struct vmc_lmods *out,
			       struct vmc_diag *d);
const struct vmc_lmod *vmc_lmods_get(const struct vmc_lmods *ms, const char *name);
/* A defined symbol of the module. */
bool vmc_lmod_symbol(const struct vmc_lmod *m, const char *name, uint64_t *addr);
void vmc_lmods_free(struct vmc_lmods *ms);

#endif
