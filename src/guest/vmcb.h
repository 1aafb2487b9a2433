/* vmcb.h: AMD SVM's VMCB (struct vmcb, linux arch/x86/include/asm/svm.h; carving.md 5b): the
 * offsets both hypervisor carvers read, and the save area decoded into a vCPU. */
#ifndef VMC_VMCB_H
#define VMC_VMCB_H

#include "guest.h"

/* control area */
#define VMCB_INTERCEPT_W4   0x010 /* bit 0: VMRUN */
#define VMCB_IOPM_BASE      0x040
#define VMCB_MSRPM_BASE     0x048
#define VMCB_ASID           0x058
#define VMCB_EXIT_CODE      0x070
#define VMCB_MISC_CTL       0x090 /* bit 0 NP enable, bit 1 SEV, bit 2 SEV-ES */
#define VMCB_NESTED_CR3     0x0b0
/* save area (0x400) */
#define VMCB_SEG(i)         (0x400 + 16 * (i)) /* es cs ss ds fs gs gdtr ldtr idtr tr */
#define VMCB_EFER           0x4d0
#define VMCB_CR4            0x548
#define VMCB_CR3            0x550
#define VMCB_CR0            0x558
#define VMCB_RFLAGS         0x570
#define VMCB_RIP            0x578
#define VMCB_RSP            0x5d8
#define VMCB_RAX            0x5f8
#define VMCB_KERNEL_GS_BASE 0x620
#define VMCB_CR2            0x640

#define VMCB_EFER_SVME 0x1000ull

/* The save area as a vCPU: rax/rsp/rip/rflags, segments, descriptor tables, control
 * registers, EFER (gprs_valid stays false: the other GPRs are not in the VMCB). */
void vmc_vmcb_save_regs(const uint8_t *vmcb, uint64_t vmcb_pa, struct vmc_vcpu *v);

#endif
