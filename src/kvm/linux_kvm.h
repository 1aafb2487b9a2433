/* linux_kvm.h: KVM VMs seen through the host Linux kernel's own data structures: vm_list ->
 * struct kvm -> memslots, the VMM's mm, and the vCPUs. Symbols come from the kallsyms tables
 * the kernel exports in VMCOREINFO (Linux >= 6.0) or from host debug info; struct layouts from
 * the BTF in the dump's memory (vmlinux and module BTF) or from DWARF (--host-debuginfo). */
#ifndef VMC_LINUX_KVM_H
#define VMC_LINUX_KVM_H

#include "dump.h"
#include "pagewalk.h"

struct vmc_kvm_memslot {
	uint64_t base_gfn, npages;
	uint64_t userspace_addr; /* VMM virtual address of base_gfn */
	uint32_t flags;
	int16_t id;
	uint16_t as_id;          /* 0 = normal, 1 = SMM */
};

struct vmc_kvm_vcpu_state {
	int vcpu_id;
	uint64_t regs[16];       /* vcpu->arch.regs: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
	uint64_t rip;
	uint64_t regs_avail;     /* which of regs[] / rip are valid (VCPU_REGS_* bits) */
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint64_t vmcb_pa;        /* SVM: physical address of the current VMCB, 0 if unknown */
	uint64_t vmcs_pa;        /* VMX: physical address of the current VMCS, 0 if unknown */
	uint64_t tdp_root_hpa;   /* vcpu->arch.mmu->root.hpa (NPT/EPT root), 0 if unknown */
};

struct vmc_kvm_vm {
	uint64_t kvm_va;         /* struct kvm */
	int userspace_pid;
	char stats_id[48];       /* "kvm-<pid>" */
	char vmm_name[64];       /* QEMU's -name from the VMM's command line, "" when not found */
	uint64_t pgd_pa;         /* VMM mm->pgd, physical */
	unsigned pgtable_levels; /* 4 or 5 */
	struct vmc_kvm_memslot *slots;
	unsigned nslots;
	struct vmc_kvm_vcpu_state *vcpus;
	unsigned nvcpus;
	char error[200];         /* non-empty: this VM could not be read (memslots, mm); the others still are */
};

struct vmc_kvm_host {
	struct vmc_kvm_vm *vms;
	unsigned nvms;
	char source[96];         /* where offsets came from: "BTF in the dump", "DWARF in DIR" */
	char *report;            /* "key=value" lines: every symbol and offset used, for list -v */
	size_t report_len;
	char incomplete[200];    /* non-empty: vm_list could not be walked to its end; vms holds those before */
};

/* Find every VM. VMC_ERR_NOTFOUND/MISSING/UNSUPPORTED with a message when the route is not available
 * (no kallsyms in VMCOREINFO, no BTF, kvm not loaded, pages filtered out of the dump). */
enum vmc_status vmc_linux_kvm_find(struct vmc_dump *host, const char *debuginfo_dir, struct vmc_kvm_host *out,
				   struct vmc_diag *d);
/* The same with route restrictions, for tests that exercise one route alone. */
enum { VMC_LKVM_NO_BTF = 1, VMC_LKVM_NO_KALLSYMS = 2 };
enum vmc_status vmc_linux_kvm_find_flags(struct vmc_dump *host, const char *debuginfo_dir, unsigned flags,
					 struct vmc_kvm_host *out, struct vmc_diag *d);
void vmc_linux_kvm_free(struct vmc_kvm_host *h);

/* Walk a user address range of a process's page tables (pgd_pa): 4/5 levels, 2M/1G leaves,
 * PROT_NONE entries (pfn stored inverted) included, swap entries skipped, the SME bit
 * (VMCOREINFO NUMBER(sme_mask) of pm's dump) stripped. Leaves are clipped to
 * [uva_lo, uva_hi): cb sees only the part of a 2M/1G leaf inside the range. Tables the dump
 * does not hold are counted in st (tables_absent, first_bad_table), not errors. */
enum vmc_status vmc_linux_uva_walk(struct vmc_physmem *pm, uint64_t pgd_pa, unsigned levels, uint64_t uva_lo,
				   uint64_t uva_hi, vmc_pt_leaf_fn *cb, void *arg, struct vmc_pt_stats *st,
				   struct vmc_diag *d);

#endif
