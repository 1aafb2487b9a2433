/* vmcb.c: an AMD VMCB's save area decoded into a vCPU (KVM and Xen HVM/PVH on SVM). */
#include <stdio.h>

#include "le.h"
#include "vmcb.h"

/* SVM keeps segment attributes packed (type S DPL P in bits 7:0, AVL L DB G in 11:8);
 * QEMU's note wants them where the descriptor holds them (bits 15:8 and 23:20). */
static void get_seg(const uint8_t *vmcb, unsigned i, struct vmc_seg *s)
{
	uint16_t attrib = vmc_le16(vmcb + VMCB_SEG(i) + 2);

	s->selector = vmc_le16(vmcb + VMCB_SEG(i));
	s->flags = ((uint32_t)(attrib & 0xff) << 8) | ((uint32_t)(attrib & 0xf00) << 12);
	s->limit = vmc_le32(vmcb + VMCB_SEG(i) + 4);
	s->base = vmc_le64(vmcb + VMCB_SEG(i) + 8);
}

void vmc_vmcb_save_regs(const uint8_t *vmcb, uint64_t vmcb_pa, struct vmc_vcpu *v)
{
	v->regs_valid = true;
	v->gprs_valid = false;
	v->rax = vmc_le64(vmcb + VMCB_RAX);
	v->rsp = vmc_le64(vmcb + VMCB_RSP);
	v->rip = vmc_le64(vmcb + VMCB_RIP);
	v->rflags = vmc_le64(vmcb + VMCB_RFLAGS);
	get_seg(vmcb, 0, &v->seg_es);
	get_seg(vmcb, 1, &v->seg_cs);
	get_seg(vmcb, 2, &v->seg_ss);
	get_seg(vmcb, 3, &v->seg_ds);
	get_seg(vmcb, 4, &v->seg_fs);
	get_seg(vmcb, 5, &v->seg_gs);
	get_seg(vmcb, 6, &v->gdt);
	get_seg(vmcb, 7, &v->ldt);
	get_seg(vmcb, 8, &v->idt);
	get_seg(vmcb, 9, &v->tr);
	v->gdt.flags = v->idt.flags = 0;
	v->cs = v->seg_cs.selector;
	v->ss = v->seg_ss.selector;
	v->ds = v->seg_ds.selector;
	v->es = v->seg_es.selector;
	v->fs = v->seg_fs.selector;
	v->gs = v->seg_gs.selector;
	v->fs_base = v->seg_fs.base;
	v->gs_base = v->seg_gs.base;
	v->kernel_gs_base = vmc_le64(vmcb + VMCB_KERNEL_GS_BASE);
	v->cr[0] = vmc_le64(vmcb + VMCB_CR0);
	v->cr[2] = vmc_le64(vmcb + VMCB_CR2);
	v->cr[3] = vmc_le64(vmcb + VMCB_CR3);
	v->cr[4] = vmc_le64(vmcb + VMCB_CR4);
	v->efer = vmc_le64(vmcb + VMCB_EFER);
	v->sregs_valid = true;
	snprintf(v->source, sizeof(v->source), "VMCB 0x%llx", (unsigned long long)vmcb_pa);
}
