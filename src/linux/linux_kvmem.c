/* linux_kvmem.c: host kernel virtual -> physical translation and reads for the KVM route. */
#include "linux_kvmem.h"

#include <string.h>

#include "linux_info.h"
#include "notes.h"
#include "vread.h"

#define X86_PT_ADDR_MASK 0x000ffffffffff000ull

/* pfn -> mfn through a Xen PV domain's p2m frame-list tree (list of lists -> lists -> p2m
 * pages, 512 entries each), as the "Xen" CRASH_INFO note's dom0_pfn_to_mfn_frame_list_list
 * gives it. */
static enum vmc_status pv_p2m(struct vmc_lkmem *km, uint64_t fll_mfn, uint64_t pfn, uint64_t *mfn,
			      struct vmc_diag *d)
{
	uint64_t idx[3] = { pfn >> 18, (pfn >> 9) & 511, pfn & 511 }, m = fll_mfn;
	enum vmc_status rc;

	if (idx[0] >= 512)
		return vmc_fail(d, VMC_ERR_CORRUPT, "pfn 0x%llx is beyond the p2m tree", (unsigned long long)pfn);
	for (int l = 0; l < 3; l++)
		if ((rc = vmc_physmem_read_u64(&km->pm, (m << 12) + idx[l] * 8, &m, d)))
			return rc;
	*mfn = m;
	return VMC_OK;
}

/* A Xen PV domain's page tables hold machine frames, which are this dump's frames: find the
 * machine frame of init_top_pgt through the p2m tree and walk every address from there. */
static enum vmc_status pv_root(struct vmc_lkmem *km, uint64_t pgd_va, struct vmc_diag *d)
{
	size_t pos = 0;
	struct vmc_note n;
	uint64_t fll, mfn = 0;
	enum vmc_status rc;

	while (vmc_note_next(km->dump->notes, km->dump->notes_len, &pos, &n) == VMC_OK) {
		if (!vmc_note_is(&n, "Xen") || n.type != VMC_XEN_ELFNOTE_CRASH_INFO || n.desc_len < 80)
			continue;
		memcpy(&fll, n.desc + 72, 8); /* xen_crash_info.dom0_pfn_to_mfn_frame_list_list (x86_64) */
		if ((rc = pv_p2m(km, fll, (pgd_va - VMC_X86_64_START_KERNEL_MAP + km->phys_base) >> 12, &mfn, d)))
			return vmc_wrap(d, rc, "%s: init_top_pgt through the p2m tree", km->dump->name);
		km->kpt.root = (mfn << 12) & km->kpt.addr_mask;
		km->walk_all = true;
		return VMC_OK;
	}
	return vmc_fail(d, VMC_ERR_MISSING, "%s: machine frames and no Xen CRASH_INFO note (p2m): the kernel's page tables cannot be found",
			km->dump->name);
}

enum vmc_status vmc_lkmem_init(struct vmc_lkmem *km, struct vmc_dump *dump, struct vmc_diag *d)
{
	struct vmc_note vi;
	uint64_t pgd_va = 0, v;
	enum vmc_status rc;

	memset(km, 0, sizeof(*km));
	km->dump = dump;
	if (dump->e_machine != VMC_EM_X86_64 && dump->e_machine != VMC_EM_386) {
		const char *m = vmc_kinfo_machine_name(dump->e_machine);
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: machine %s: vmcarve reads the kernel's memory in x86 dumps only",
				dump->name, m ? m : dump->uts.machine[0] ? dump->uts.machine : "unknown");
	}
	if (!vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &vi) || !vi.desc)
		return vmc_fail(d, VMC_ERR_MISSING, "%s: no VMCOREINFO note: the host kernel's symbols cannot be found",
				dump->name);
	km->vmcoreinfo = vi.desc;
	km->vmcoreinfo_len = vi.desc_len;
	/* the kernel's own value first: QEMU's kdump header carries NUMBER(phys_base) read as hex */
	if (!vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(phys_base)", 10, &km->phys_base)) {
		if (!dump->has_phys_base)
			return vmc_fail(d, VMC_ERR_MISSING, "%s: neither VMCOREINFO nor the dump header gives phys_base", dump->name);
		km->phys_base = dump->phys_base;
	}
	km->ktext_size = 1ull << 30;
	if (vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(KERNEL_IMAGE_SIZE)", 10, &v) && v && v <= (2ull << 30))
		km->ktext_size = v;
	km->max_phys = 1ull << 46;
	if (vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(MAX_PHYSMEM_BITS)", 10, &v) && v >= 32 && v <= 52)
		km->max_phys = 1ull << v;
	km->levels = 4;
	if (vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(pgtable_l5_enabled)", 10, &v) && v == 1)
		km->levels = 5;
	if (vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(sme_mask)", 10, &v))
		km->sme_mask = v;
	if (!vmcoreinfo_get_u64(vi.desc, vi.desc_len, "SYMBOL(init_top_pgt)", 16, &pgd_va) &&
	    !vmcoreinfo_get_u64(vi.desc, vi.desc_len, "SYMBOL(swapper_pg_dir)", 16, &pgd_va))
		return vmc_fail(d, VMC_ERR_MISSING, "%s: VMCOREINFO has neither SYMBOL(init_top_pgt) nor SYMBOL(swapper_pg_dir)",
				dump->name);
	if (pgd_va < VMC_X86_64_START_KERNEL_MAP || pgd_va - VMC_X86_64_START_KERNEL_MAP >= km->ktext_size)
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: VMCOREINFO: init_top_pgt 0x%llx is not in the kernel image",
				dump->name, (unsigned long long)pgd_va);
	if ((rc = vmc_physmem_init(&km->pm, dump, d)))
		return rc;
	km->kpt.pm = &km->pm;
	km->kpt.format = VMC_PT_X86_64;
	km->kpt.levels = km->levels;
	km->kpt.root = pgd_va - VMC_X86_64_START_KERNEL_MAP + km->phys_base;
	km->kpt.addr_mask = X86_PT_ADDR_MASK & ~km->sme_mask;
	if (dump->machine_frames && (rc = pv_root(km, pgd_va, d))) {
		vmc_physmem_fini(&km->pm);
		return rc;
	}
	return VMC_OK;
}

void vmc_lkmem_fini(struct vmc_lkmem *km)
{
	if (km->dump)
		vmc_physmem_fini(&km->pm);
	memset(km, 0, sizeof(*km));
}

enum vmc_status vmc_lkmem_dmap_pa(const struct vmc_lkmem *km, uint64_t va, uint64_t *pa, struct vmc_diag *d)
{
	if (!km->page_offset_base || va < km->page_offset_base || va - km->page_offset_base >= km->max_phys)
		return vmc_fail(d, VMC_ERR_CORRUPT, "0x%llx is not a direct-map address (page_offset_base 0x%llx)",
				(unsigned long long)va, (unsigned long long)km->page_offset_base);
	*pa = va - km->page_offset_base;
	return VMC_OK;
}

enum vmc_status vmc_lkmem_v2p(struct vmc_lkmem *km, uint64_t va, uint64_t *pa, struct vmc_diag *d)
{
	uint64_t page_pa;
	enum vmc_status rc;

	if (!km->walk_all && va >= VMC_X86_64_START_KERNEL_MAP && va - VMC_X86_64_START_KERNEL_MAP < km->ktext_size) {
		*pa = va - VMC_X86_64_START_KERNEL_MAP + km->phys_base;
		return VMC_OK;
	}
	if (!km->walk_all && km->page_offset_base && va >= km->page_offset_base && va - km->page_offset_base < km->max_phys) {
		*pa = va - km->page_offset_base;
		return VMC_OK;
	}
	if (km->last_valid && (va & ~0xfffull) == km->last_vpage) {
		*pa = km->last_ppage + (va & 0xfff);
		return VMC_OK;
	}
	if (va < 0xff00000000000000ull)
		return vmc_fail(d, VMC_ERR_CORRUPT, "0x%llx is not a kernel address", (unsigned long long)va);
	if ((rc = vmc_pt_translate(&km->kpt, va, &page_pa, NULL, d)))
		return rc;
	km->last_vpage = va & ~0xfffull;
	km->last_ppage = page_pa & ~0xfffull;
	km->last_valid = true;
	*pa = page_pa;
	return VMC_OK;
}

static enum vmc_status lkmem_translate(void *km, uint64_t va, uint64_t *pa, struct vmc_diag *d)
{
	return vmc_lkmem_v2p(km, va, pa, d);
}

enum vmc_status vmc_lkmem_read(struct vmc_lkmem *km, uint64_t va, void *buf, size_t len, struct vmc_diag *d)
{
	return vmc_vread(lkmem_translate, km, &km->pm, "kernel address", va, buf, len, d);
}

const void *vmc_lkmem_map(struct vmc_lkmem *km, uint64_t va, size_t len)
{
	return vmc_vmap(lkmem_translate, km, &km->pm, va, len);
}

enum vmc_status vmc_lkmem_read_u64(struct vmc_lkmem *km, uint64_t va, uint64_t *val, struct vmc_diag *d)
{
	return vmc_lkmem_read(km, va, val, 8, d);
}

enum vmc_status vmc_lkmem_read_u32(struct vmc_lkmem *km, uint64_t va, uint32_t *val, struct vmc_diag *d)
{
	return vmc_lkmem_read(km, va, val, 4, d);
}

enum vmc_status vmc_lkmem_read_str(struct vmc_lkmem *km, uint64_t va, char *buf, size_t max, struct vmc_diag *d)
{
	for (size_t i = 0; i < max; i++) {
		enum vmc_status rc = vmc_lkmem_read(km, va + i, &buf[i], 1, d);
		if (rc)
			return rc;
		if (!buf[i])
			return VMC_OK;
	}
	buf[max ? max - 1 : 0] = '\0';
	return vmc_fail(d, VMC_ERR_CORRUPT, "string at 0x%llx is longer than %zu bytes", (unsigned long long)va, max);
}
