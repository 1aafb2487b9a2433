/* linux_kallsyms.h: the host kernel's symbol table, decoded from the compressed kallsyms
 * tables in its memory (located through VMCOREINFO, Linux >= 6.0): names through the token
 * table, addresses from kallsyms_offsets + kallsyms_relative_base. */
#ifndef VMC_LINUX_KALLSYMS_H
#define VMC_LINUX_KALLSYMS_H

#include "linux_kvmem.h"

enum vmc_ksyms_mode {
	VMC_KSYMS_RELATIVE,     /* addr = relative_base + (u32)offset */
	VMC_KSYMS_ABS_PERCPU,   /* offset >= 0: absolute (per-cpu); < 0: relative_base - 1 - offset */
};

/* The tables as the kernel lays them out, already copied out of memory. */
struct vmc_kallsyms_raw {
	const uint8_t *names;       /* kallsyms_names: per symbol a length (1 or 2 bytes) + token ids */
	size_t names_len;
	const uint8_t *token_table; /* NUL-terminated tokens */
	size_t token_table_len;
	const uint16_t *token_index; /* 256 offsets into token_table */
	const int32_t *offsets;     /* num_syms */
	uint32_t num_syms;
	uint64_t relative_base;
};

/* The tables themselves, kept compressed: carving asks for a few dozen names out of ~10^5, so
 * a lookup walks the compressed names and expands nothing that cannot match (see lookup). */
struct vmc_kallsyms {
	uint32_t n;
	enum vmc_ksyms_mode mode;
	unsigned checked;      /* VMCOREINFO SYMBOL() values the table agreed with */
	const uint8_t *names;  /* kallsyms_names, the n entries only */
	size_t names_len;
	const uint8_t *token_table;
	size_t token_table_len;
	const int32_t *offsets; /* n */
	void *owned[3];        /* the copies among them (the rest is the dump's mapping) */
	uint64_t relative_base;
	uint16_t token_index[256];
	uint16_t token_len[256];
};

/* Check the tables (every name within KSYM_NAME_LEN, every token terminated) and keep a copy. */
enum vmc_status vmc_kallsyms_decode(const struct vmc_kallsyms_raw *raw, enum vmc_ksyms_mode mode,
				    struct vmc_kallsyms *out, struct vmc_diag *d);
/* Read and decode the tables of the dump's kernel; the address mode is the one under which
 * the SYMBOL() values VMCOREINFO also carries agree (at least two must be checked). */
enum vmc_status vmc_kallsyms_load(struct vmc_lkmem *km, struct vmc_kallsyms *out, struct vmc_diag *d);
/* First symbol of that name in table order; type may be NULL. */
bool vmc_kallsyms_lookup(const struct vmc_kallsyms *ks, const char *name, uint64_t *addr, char *type);
/* Several names, each as lookup finds it (found[j], addr[j]), in one walk of the table for
 * every 64 of them. */
void vmc_kallsyms_lookup_many(const struct vmc_kallsyms *ks, const char *const *names, unsigned n, uint64_t *addr,
			      bool *found);
void vmc_kallsyms_free(struct vmc_kallsyms *ks);

#endif
