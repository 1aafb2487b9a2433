/* xen_notes.c: the facts a Xen host dump carries in its notes: "Xen" CRASH_INFO (version,
 * xen_phys_start, dom0's frame list), CRASH_REGS (each pCPU's CR3), VMCOREINFO_XEN (symbols
 * and struct offsets); for whole-machine dumps without Xen notes, each CPU's CR3 from QEMU's
 * CPU-state notes. */
#include <string.h>

#include "notes.h"
#include "xen_host.h"

#define QEMU_CPU_CR3_OFF 416 /* QEMUCPUState: 8 + 18 GPRs + 10 segments of 24, then cr[0..4] */

int vmc_xen_notes_probe(const struct vmc_dump *dump)
{
	if (vmc_notes_count(dump->notes, dump->notes_len, "Xen", VMC_XEN_ELFNOTE_CRASH_INFO))
		return 100;
	if (vmc_notes_count(dump->notes, dump->notes_len, "VMCOREINFO_XEN", 0))
		return 90;
	return 0;
}

bool vmc_xen_notes_cr3_maps_xen(struct vmc_dump *dump)
{
	struct vmc_physmem pm;
	struct vmc_diag tmp;
	struct vmc_note n;
	size_t pos = 0;
	unsigned cpus = 0;
	bool xen = false;

	vmc_diag_init(&tmp);
	if (vmc_physmem_init(&pm, dump, &tmp))
		return false;
	while (!xen && cpus < XEN_MAX_PCPUS && vmc_note_next(dump->notes, dump->notes_len, &pos, &n) == VMC_OK) {
		uint64_t cr3, e[16];
		if (!vmc_note_is(&n, "QEMU") || n.desc_len < QEMU_CPU_CR3_OFF + 8)
			continue;
		cpus++;
		memcpy(&cr3, n.desc + QEMU_CPU_CR3_OFF, 8);
		/* PML4 slots 256-271: HYPERVISOR_VIRT_START..END of the x86-64 PV ABI */
		if (vmc_physmem_read(&pm, (cr3 & 0x000ffffffffff000ull) + 256 * 8, e, sizeof(e), &tmp))
			continue;
		for (unsigned i = 0; i < 16; i++)
			if (e[i] & 1)
				xen = true;
	}
	vmc_physmem_fini(&pm);
	return xen;
}

static void vmcoreinfo_xen(struct xen_host *x, const struct vmc_note *n)
{
	const uint8_t *t = n->desc;
	size_t len = n->desc_len;

	x->has_vmcoreinfo = true;
	vmcoreinfo_get_u64(t, len, "SYMBOL(domain_list)", 16, &x->sym_domain_list);
	vmcoreinfo_get_u64(t, len, "SYMBOL(frame_table)", 16, &x->sym_frame_table);
	vmcoreinfo_get_u64(t, len, "SYMBOL(max_page)", 16, &x->sym_max_page);
	vmcoreinfo_get_u64(t, len, "SYMBOL(pgd_l4)", 16, &x->sym_pgd_l4);
	vmcoreinfo_get_u64(t, len, "SYMBOL(dom_xen)", 16, &x->sym_dom_xen);
	vmcoreinfo_get_u64(t, len, "SYMBOL(dom_io)", 16, &x->sym_dom_io);
	vmcoreinfo_get_u64(t, len, "SIZE(page_info)", 10, &x->size_page_info);
	vmcoreinfo_get_u64(t, len, "SIZE(domain)", 10, &x->size_domain);
	vmcoreinfo_get_u64(t, len, "OFFSET(page_info.count_info)", 10, &x->off_pi_count_info);
	vmcoreinfo_get_u64(t, len, "OFFSET(page_info._domain)", 10, &x->off_pi_domain);
	vmcoreinfo_get_u64(t, len, "OFFSET(domain.domain_id)", 10, &x->off_d_domain_id);
	vmcoreinfo_get_u64(t, len, "OFFSET(domain.next_in_list)", 10, &x->off_d_next_in_list);
}

enum vmc_status vmc_xen_notes_read(struct xen_host *x, struct vmc_diag *d)
{
	const struct vmc_dump *dump = x->dump;
	struct vmc_note n;
	size_t pos = 0;
	unsigned qemu_cr3 = 0;
	uint64_t qcr3[XEN_MAX_PCPUS];

	x->off_pi_count_info = x->off_pi_domain = x->off_d_domain_id = x->off_d_next_in_list = ~0ull;
	while (vmc_note_next(dump->notes, dump->notes_len, &pos, &n) == VMC_OK) {
		if (vmc_note_is(&n, "Xen") && n.type == VMC_XEN_ELFNOTE_CRASH_INFO && n.desc_len >= 16 &&
		    !x->has_crash_info) {
			x->crash_info_words = (unsigned)(n.desc_len / 8 > 10 ? 10 : n.desc_len / 8);
			memcpy(x->crash_info, n.desc, x->crash_info_words * 8);
			x->has_crash_info = true;
		} else if (vmc_note_is(&n, "Xen") && n.type == VMC_XEN_ELFNOTE_CRASH_REGS && n.desc_len >= 32) {
			if (x->npcpu_cr3 < XEN_MAX_PCPUS)
				memcpy(&x->pcpu_cr3[x->npcpu_cr3++], n.desc + 16, 8);
		} else if (vmc_note_is(&n, "VMCOREINFO_XEN")) {
			vmcoreinfo_xen(x, &n);
		} else if (vmc_note_is(&n, "QEMU") && n.desc_len >= QEMU_CPU_CR3_OFF + 8) {
			if (qemu_cr3 < XEN_MAX_PCPUS) {
				/* QEMUCPUState: rax rbx rcx rdx rsi rdi rsp rbp r8-r15 rip rflags, then
				 * segments of 24 bytes (selector first): cs ds es fs gs ss */
				uint64_t g[18], *r = x->qemu_regs[qemu_cr3];
				uint32_t sel[6];
				memcpy(g, n.desc + 8, sizeof(g));
				for (int i = 0; i < 6; i++)
					memcpy(&sel[i], n.desc + 152 + 24 * i, 4);
				r[0] = g[15], r[1] = g[14], r[2] = g[13], r[3] = g[12], r[4] = g[7], r[5] = g[1];
				r[6] = g[11], r[7] = g[10], r[8] = g[9], r[9] = g[8], r[10] = g[0], r[11] = g[2];
				r[12] = g[3], r[13] = g[4], r[14] = g[5], r[15] = 0, r[16] = g[16], r[17] = sel[0];
				r[18] = g[17], r[19] = g[6], r[20] = sel[5], r[21] = sel[2], r[22] = sel[1];
				r[23] = sel[3], r[24] = sel[4];
				x->qemu_regs_valid[qemu_cr3] = true;
				memcpy(&qcr3[qemu_cr3++], n.desc + QEMU_CPU_CR3_OFF, 8);
			}
		}
	}
	if (x->npcpu_cr3)
		x->cr3_source = "Xen CRASH_REGS notes";
	else if (qemu_cr3) {
		memcpy(x->pcpu_cr3, qcr3, qemu_cr3 * 8);
		x->npcpu_cr3 = qemu_cr3;
		x->cr3_source = "QEMU CPU-state notes";
	}
	if (x->has_crash_info) {
		/* as crash reads it: the tail words are fixed, the middle grew over versions */
		unsigned w = x->crash_info_words;
		x->version_major = (uint32_t)x->crash_info[0];
		x->version_minor = (uint32_t)x->crash_info[1];
		if (w >= 10)
			x->xen_phys_start = x->crash_info[w - 2];
		vmc_hv_report(x->hv, "crash_info.version=%u.%u", x->version_major, x->version_minor);
		vmc_hv_report(x->hv, "crash_info.xen_phys_start=0x%llx", (unsigned long long)x->xen_phys_start);
		vmc_hv_report(x->hv, "crash_info.dom0_pfn_to_mfn_frame_list_list=0x%llx",
			      (unsigned long long)x->crash_info[w - 1]);
	}
	for (unsigned i = 0; i < x->npcpu_cr3; i++)
		vmc_hv_report(x->hv, "pcpu%u.cr3=0x%llx (%s)", i, (unsigned long long)x->pcpu_cr3[i], x->cr3_source);
	if (!x->has_crash_info && !x->has_vmcoreinfo && !x->npcpu_cr3)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED,
				"%s: no Xen notes (CRASH_INFO, VMCOREINFO_XEN) and no CPU notes with a CR3 to find Xen from",
				dump->name);
	return VMC_OK;
}
