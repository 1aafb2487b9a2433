/* xen_vmem.c: Xen virtual -> machine addresses. Xen's text/data/bss is linear from
 * xen_phys_start; everything else (direct map, frame table, per-domain areas) is translated by
 * walking Xen's own page tables (idle_pg_table), which honours PDX compression and any layout
 * without hard-coding it. Without CRASH_INFO (a whole-machine dump), Xen is located from a CPU's
 * saved CR3: every page table a pCPU runs on maps Xen's image. */
#include <string.h>

#include "vread.h"
#include "xen_host.h"

#define GIB (1ull << 30)
#define MA_MASK 0x000ffffffffff000ull
#define FRAMETABLE_BIGMEM 0xffff830000000000ull

static void fill_from_syms(struct xen_host *x)
{
	uint64_t v;

	if (!x->has_syms)
		return;
	if (!x->sym_domain_list && vmc_xen_syms_get(&x->syms, "domain_list", &v))
		x->sym_domain_list = v;
	if (!x->sym_frame_table && vmc_xen_syms_get(&x->syms, "_frame_table.0", &v))
		x->sym_frame_table = v;
	if (!x->sym_frame_table && vmc_xen_syms_get(&x->syms, "_frame_table", &v))
		x->sym_frame_table = v;
	if (!x->sym_max_page && vmc_xen_syms_get(&x->syms, "max_page", &v))
		x->sym_max_page = v;
	if (!x->sym_pgd_l4 && vmc_xen_syms_get(&x->syms, "idle_pg_table", &v))
		x->sym_pgd_l4 = v;
	if (!x->sym_dom_xen && vmc_xen_syms_get(&x->syms, "dom_xen", &v))
		x->sym_dom_xen = v;
	if (!x->sym_dom_io && vmc_xen_syms_get(&x->syms, "dom_io", &v))
		x->sym_dom_io = v;
}

/* struct page_info and the struct domain list fields have not moved since Xen 4.x began
 * exporting them; next_in_list is the verified Debian 4.17.7 value (checked below by walking
 * the list: ids must rise and pointers stay in the direct map). */
static void builtin_offsets(struct xen_host *x)
{
	const char *src = NULL;

	if (!x->size_page_info)
		x->size_page_info = 32, src = "built-in";
	if (x->off_pi_count_info == ~0ull)
		x->off_pi_count_info = 8, src = "built-in";
	if (x->off_pi_domain == ~0ull)
		x->off_pi_domain = 24, src = "built-in";
	if (x->off_d_domain_id == ~0ull)
		x->off_d_domain_id = 0, src = "built-in";
	if (x->off_d_next_in_list == ~0ull)
		x->off_d_next_in_list = 136, src = "built-in";
	if (!x->size_domain)
		x->size_domain = 2304;
	if (src)
		vmc_hv_report(x->hv, "offsets.source=built-in table (Xen 4.17.7 Debian; no VMCOREINFO_XEN)");
	else
		vmc_hv_report(x->hv, "offsets.source=VMCOREINFO_XEN");
}

static enum vmc_status walk_ma(struct xen_host *x, uint64_t root, uint64_t va, uint64_t *ma, uint64_t *span,
			       struct vmc_diag *d)
{
	struct vmc_pt pt = x->pt;
	pt.root = root;
	return vmc_pt_translate(&pt, va, ma, span, d);
}

/* Find xen_phys_start through the CPUs' CR3s: the image is mapped linearly, so the machine
 * address of XEN_VIRT_START and of idle_pg_table must agree. */
static enum vmc_status locate_from_cr3(struct xen_host *x, struct vmc_diag *d)
{
	for (unsigned i = 0; i < x->npcpu_cr3; i++) {
		uint64_t root = x->pcpu_cr3[i] & MA_MASK, ma_start, ma_l4, ma_dl;
		struct vmc_diag tmp;
		vmc_diag_init(&tmp);
		if (walk_ma(x, root, x->sym_pgd_l4, &ma_l4, NULL, &tmp) || walk_ma(x, root, x->sym_domain_list, &ma_dl, NULL, &tmp))
			continue;
		ma_start = ma_dl - (x->sym_domain_list - x->xen_virt_start);
		if (ma_l4 - ma_start != x->sym_pgd_l4 - x->xen_virt_start || (ma_start & 0x1fffff))
			continue;
		x->xen_phys_start = ma_start;
		vmc_hv_report(x->hv, "xen_phys_start=0x%llx (from pcpu%u cr3 0x%llx, %s)", (unsigned long long)ma_start, i,
			      (unsigned long long)root, x->cr3_source);
		return VMC_OK;
	}
	return vmc_fail(d, VMC_ERR_CORRUPT,
			"%s: none of the %u saved CR3s maps Xen's image at 0x%llx consistently (wrong --xen-syms?)",
			x->dump->name, x->npcpu_cr3, (unsigned long long)x->xen_virt_start);
}

enum vmc_status vmc_xen_vmem_init(struct xen_host *x, struct vmc_diag *d)
{
	uint64_t ptr;
	enum vmc_status rc;

	fill_from_syms(x);
	builtin_offsets(x);
	if (!x->sym_domain_list || !x->sym_pgd_l4 || !x->sym_frame_table || !x->sym_max_page)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED,
				"%s: Xen's domain_list/idle_pg_table/frame_table/max_page are unknown: the dump has no "
				"VMCOREINFO_XEN note; give --xen-syms",
				x->dump->name);
	/* domain_list is in .bss, less than 1 GiB above XEN_VIRT_START (makedumpfile, crash) */
	x->xen_virt_start = x->sym_domain_list & ~(GIB - 1);
	if (x->sym_pgd_l4 < x->xen_virt_start || x->sym_pgd_l4 - x->xen_virt_start >= GIB)
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: idle_pg_table 0x%llx is not in Xen's image at 0x%llx",
				x->dump->name, (unsigned long long)x->sym_pgd_l4, (unsigned long long)x->xen_virt_start);
	x->pt.pm = &x->pm;
	x->pt.format = VMC_PT_X86_64;
	x->pt.levels = 4;
	x->pt.max_leaves = 1ull << 24;
	if (!x->has_crash_info || !x->xen_phys_start) {
		if (!x->npcpu_cr3)
			return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: xen_phys_start unknown: no CRASH_INFO and no saved CR3",
					x->dump->name);
		if ((rc = locate_from_cr3(x, d)))
			return rc;
	}
	x->root_ma = x->xen_phys_start + (x->sym_pgd_l4 - x->xen_virt_start);
	x->pt.root = x->root_ma;
	vmc_hv_report(x->hv, "xen_virt_start=0x%llx", (unsigned long long)x->xen_virt_start);
	vmc_hv_report(x->hv, "idle_pg_table=0x%llx (machine 0x%llx)", (unsigned long long)x->sym_pgd_l4,
		      (unsigned long long)x->root_ma);
	/* check the root against the image: it must map domain_list where the linear rule says */
	{
		uint64_t ma;
		if ((rc = walk_ma(x, x->root_ma, x->sym_domain_list, &ma, NULL, d)))
			return vmc_wrap(d, rc, "%s: Xen's page tables at 0x%llx do not map domain_list (xen_phys_start 0x%llx wrong?)",
					x->dump->name, (unsigned long long)x->root_ma, (unsigned long long)x->xen_phys_start);
		if (ma != x->xen_phys_start + (x->sym_domain_list - x->xen_virt_start))
			return vmc_fail(d, VMC_ERR_CORRUPT,
					"%s: Xen's page tables map domain_list 0x%llx at 0x%llx, not at xen_phys_start + offset 0x%llx",
					x->dump->name, (unsigned long long)x->sym_domain_list, (unsigned long long)ma,
					(unsigned long long)(x->xen_phys_start + (x->sym_domain_list - x->xen_virt_start)));
	}
	/* SYMBOL(frame_table) is a pointer holding FRAMETABLE_VIRT_START */
	if ((rc = vmc_xen_read_u64(x, x->sym_frame_table, &ptr, d)))
		return vmc_wrap(d, rc, "reading frame_table");
	x->frame_table_va = ptr;
	x->directmap_start = ptr == FRAMETABLE_BIGMEM ? 0xffff848000000000ull : 0xffff830000000000ull;
	if ((rc = vmc_xen_read_u64(x, x->sym_max_page, &x->max_page, d)))
		return vmc_wrap(d, rc, "reading max_page");
	vmc_hv_report(x->hv, "frame_table=0x%llx", (unsigned long long)x->frame_table_va);
	vmc_hv_report(x->hv, "directmap_start=0x%llx (from the frame table's place)", (unsigned long long)x->directmap_start);
	vmc_hv_report(x->hv, "max_page=0x%llx", (unsigned long long)x->max_page);
	if (x->has_syms) {
		uint64_t va, v;
		struct vmc_diag tmp;
		vmc_diag_init(&tmp);
		if (vmc_xen_syms_get(&x->syms, "pfn_pdx_hole_shift", &va) && !vmc_xen_read_u64(x, va, &v, &tmp) && v && v < 64) {
			uint64_t bm = 0, tm = 0;
			if (vmc_xen_syms_get(&x->syms, "pfn_pdx_bottom_mask", &va))
				vmc_xen_read_u64(x, va, &bm, &tmp);
			if (vmc_xen_syms_get(&x->syms, "pfn_top_mask", &va))
				vmc_xen_read_u64(x, va, &tm, &tmp);
			x->pdx_hole_shift = v, x->pdx_bottom_mask = bm, x->pdx_top_mask = tm;
		}
		vmc_hv_report(x->hv, "pdx.hole_shift=%llu", (unsigned long long)x->pdx_hole_shift);
	}
	return VMC_OK;
}

bool vmc_xen_is_directmap(const struct xen_host *x, uint64_t va)
{
	/* DIRECTMAP_VIRT_END is the start of PML4 slot 511 in every layout since Xen 4.0 */
	return va >= x->directmap_start && va < 0xffffff8000000000ull;
}

enum vmc_status vmc_xen_va_to_ma(struct xen_host *x, uint64_t va, uint64_t *ma, struct vmc_diag *d)
{
	uint64_t span = 4096;
	enum vmc_status rc;

	if (x->xen_phys_start && va >= x->xen_virt_start && va - x->xen_virt_start < GIB) {
		*ma = x->xen_phys_start + (va - x->xen_virt_start);
		return VMC_OK;
	}
	if (x->xlat_valid && (va & ~(x->xlat_span - 1)) == x->xlat_va) {
		*ma = x->xlat_ma + (va & (x->xlat_span - 1));
		return VMC_OK;
	}
	/* the whole leaf is kept: the frame table and the direct map sit in 2 MiB or 1 GiB pages,
	 * so reading them page by page walks the tables once per leaf, not per page */
	if ((rc = walk_ma(x, x->root_ma, va, ma, &span, d)))
		return rc;
	x->xlat_span = span >= 4096 && !(span & (span - 1)) ? span : 4096;
	x->xlat_va = va & ~(x->xlat_span - 1);
	x->xlat_ma = *ma & ~(x->xlat_span - 1);
	x->xlat_valid = true;
	return VMC_OK;
}

static enum vmc_status xen_translate(void *x, uint64_t va, uint64_t *ma, struct vmc_diag *d)
{
	enum vmc_status rc = vmc_xen_va_to_ma(x, va, ma, d);

	return rc ? vmc_wrap(d, rc, "Xen virtual 0x%llx", (unsigned long long)va) : VMC_OK;
}

enum vmc_status vmc_xen_read(struct xen_host *x, uint64_t va, void *buf, size_t len, struct vmc_diag *d)
{
	return vmc_vread(xen_translate, x, &x->pm, "Xen virtual", va, buf, len, d);
}

enum vmc_status vmc_xen_read_u64(struct xen_host *x, uint64_t va, uint64_t *v, struct vmc_diag *d)
{
	return vmc_xen_read(x, va, v, 8, d);
}
