/* pagewalk.h: x86 radix page-table walks over a dump's physical memory, shared by every
 * carver: the host's and guests' long-mode tables, Xen's own tables, AMD NPT (long-mode
 * format), Intel EPT, and Xen's p2m tables. Tables come from untrusted memory: each walk is
 * bounded, and tables that reappear on their own path (loops) are skipped and counted. */
#ifndef VMC_PAGEWALK_H
#define VMC_PAGEWALK_H

#include "physmem.h"

enum vmc_pt_format {
	VMC_PT_X86_64, /* present = bit 0, large = bit 7 (L3/L2), address bits 51:12 */
	VMC_PT_EPT,    /* present = bits 2:0 != 0, large = bit 7, address bits 51:12 */
};

struct vmc_pt {
	struct vmc_physmem *pm; /* memory the tables live in (host physical) */
	enum vmc_pt_format format;
	unsigned levels;        /* 4 or 5 */
	uint64_t root;          /* physical address of the top table (low 12 bits ignored) */
	uint64_t addr_mask;     /* 0 = 0x000ffffffffff000; set it to strip e.g. the SME bit */
	/* Optional: accept or reject a leaf/table entry beyond the present test (e.g. Xen p2m type
	 * bits, Linux PROT_NONE inversion). Return false to treat the entry as not present. May
	 * rewrite *pa (the frame address the entry maps). level: 1 = PTE .. levels = top. */
	bool (*entry_ok)(uint64_t entry, unsigned level, bool leaf, uint64_t *pa, void *arg);
	void *entry_arg;
	uint64_t max_leaves;    /* walk budget in leaf entries; 0 = 2^28 */
};

struct vmc_pt_stats {
	uint64_t tables;        /* tables read */
	uint64_t leaves[3];     /* 4 KiB, 2 MiB, 1 GiB leaves visited */
	uint64_t tables_absent; /* a table the entries point at is not in the dump */
	uint64_t loops;         /* an entry pointing back at a table on its own path */
	uint64_t first_bad_table; /* physical address of the first absent table (when any) */
};

/* Translate one address. VMC_ERR_MISSING when not mapped (or a table is not in the dump). */
enum vmc_status vmc_pt_translate(const struct vmc_pt *pt, uint64_t va, uint64_t *pa, uint64_t *page_size,
				 struct vmc_diag *d);

/* Called for each mapped leaf: va..va+size maps pa..pa+size. Return VMC_OK to go on, anything
 * else to stop the walk with that status. */
typedef enum vmc_status vmc_pt_leaf_fn(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg);

/* Visit every leaf mapping addresses in [va_lo, va_hi) (va_hi 0 = the whole space), in
 * ascending va order. Canonical sign extension is applied for X86_64 (bit 47 / 56). Returns
 * VMC_ERR_LIMIT when max_leaves is exceeded. */
enum vmc_status vmc_pt_walk(const struct vmc_pt *pt, uint64_t va_lo, uint64_t va_hi, vmc_pt_leaf_fn *cb,
			    void *arg, struct vmc_pt_stats *st, struct vmc_diag *d);

#endif
