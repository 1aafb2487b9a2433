/* linux_kvmem.h: reading a host Linux kernel's virtual memory out of its dump: kernel text
 * (linear from __START_KERNEL_map to phys_base), the direct map (page_offset_base), and
 * everything else (vmalloc, modules) through the kernel's own page tables (init_top_pgt). */
#ifndef VMC_LINUX_KVMEM_H
#define VMC_LINUX_KVMEM_H

#include "pagewalk.h"

struct vmc_lkmem {
	struct vmc_dump *dump;
	struct vmc_physmem pm;
	const uint8_t *vmcoreinfo; /* the dump's VMCOREINFO text (in dump->notes) */
	size_t vmcoreinfo_len;
	uint64_t phys_base;
	uint64_t ktext_size;       /* KERNEL_IMAGE_SIZE */
	uint64_t page_offset_base; /* direct map start; 0 until known */
	uint64_t max_phys;         /* 1 << MAX_PHYSMEM_BITS */
	uint64_t sme_mask;
	unsigned levels;           /* 4 or 5 */
	struct vmc_pt kpt;         /* the kernel's page tables (init_top_pgt) */
	bool walk_all;             /* machine frames (a Xen PV domain): no linear map holds, every
				    * address goes through the page tables */
	uint64_t last_vpage, last_ppage; /* one-entry translation cache for page-table walks */
	bool last_valid;
};

/* Set up from the dump's VMCOREINFO (phys_base, init_top_pgt/swapper_pg_dir,
 * pgtable_l5_enabled, sme_mask). VMC_ERR_MISSING when there is no usable VMCOREINFO. A dump
 * of machine frames (Xen PV) is walked from init_top_pgt's machine frame, found through the
 * p2m tree its Xen CRASH_INFO note points at. */
enum vmc_status vmc_lkmem_init(struct vmc_lkmem *km, struct vmc_dump *dump, struct vmc_diag *d);
void vmc_lkmem_fini(struct vmc_lkmem *km);

/* Kernel virtual -> host physical. */
enum vmc_status vmc_lkmem_v2p(struct vmc_lkmem *km, uint64_t va, uint64_t *pa, struct vmc_diag *d);
/* Direct-map virtual -> physical without a page walk (page tables, mm->pgd). */
enum vmc_status vmc_lkmem_dmap_pa(const struct vmc_lkmem *km, uint64_t va, uint64_t *pa, struct vmc_diag *d);
enum vmc_status vmc_lkmem_read(struct vmc_lkmem *km, uint64_t va, void *buf, size_t len, struct vmc_diag *d);
/* len bytes at va in place, in the dump's mapping (valid until the dump is closed), or NULL when
 * they are not one mapped physical run (then vmc_lkmem_read). */
const void *vmc_lkmem_map(struct vmc_lkmem *km, uint64_t va, size_t len);
enum vmc_status vmc_lkmem_read_u64(struct vmc_lkmem *km, uint64_t va, uint64_t *val, struct vmc_diag *d);
enum vmc_status vmc_lkmem_read_u32(struct vmc_lkmem *km, uint64_t va, uint32_t *val, struct vmc_diag *d);
/* A NUL-terminated string of at most max-1 bytes; VMC_ERR_CORRUPT when it does not end. */
enum vmc_status vmc_lkmem_read_str(struct vmc_lkmem *km, uint64_t va, char *buf, size_t max, struct vmc_diag *d);

#endif
