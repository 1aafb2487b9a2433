/* kvm_hw.h: guests found through the hardware's own virtualization state in host memory:
 * AMD VMCBs (src/kvm_svm.c) and Intel VMCSs (src/kvm_vmx.c, layouts from src/vmcs_layout.c),
 * each with the root of its nested page tables (NPT / EPT). src/kvm_carve.c combines these
 * with the host kernel's view (linux_kvm.h) into guests. */
#ifndef VMC_KVM_HW_H
#define VMC_KVM_HW_H

#include "guest.h"
#include "pagewalk.h"

struct vmc_hw_vcpu {
	uint64_t state_pa;     /* physical address of the VMCB / VMCS */
	uint32_t asid_or_vpid;
	struct vmc_vcpu regs;  /* what the VMCB/VMCS holds (GPRs it does not hold are 0, gprs_valid false) */
};

struct vmc_hw_vm {
	uint64_t tdp_root;     /* NPT: nested_cr3; EPT: EPTP & 0x000ffffffffff000 */
	uint64_t eptp;         /* the raw EPTP (VMX), 0 for SVM */
	enum vmc_pt_format format;
	unsigned levels;       /* 4 (NPT, EPT PWL 4) or 5 (EPT PWL 5) */
	struct vmc_hw_vcpu *vcpus;
	unsigned nvcpus;
};

struct vmc_hw_scan {
	struct vmc_hw_vm *vms;
	unsigned nvms;
	uint64_t frames_scanned, candidates, rejected; /* rejected: looked like one, failed validation */
	/* warnings, and "key=value" report lines (layout used, each accepted/rejected state page and why) */
	union {
		struct vmc_msgs msgs;
		struct {
			VMC_MSGS_MEMBERS
		};
	};
};

/* Scan every stored frame of the host dump for VMCBs; group by nested_cr3. */
enum vmc_status vmc_svm_scan(struct vmc_dump *host, struct vmc_hw_scan *out, struct vmc_diag *d);
/* Scan for VMCS regions using field offsets from (in this order) layout_file, a "VMCSINFO" note
 * in the host dump, or the built-in table for the revision id found; group by EPTP. */
enum vmc_status vmc_vmx_scan(struct vmc_dump *host, const char *layout_file, struct vmc_hw_scan *out,
			     struct vmc_diag *d);
void vmc_hw_scan_free(struct vmc_hw_scan *s);

#endif
