/* kvm_svm.c: AMD SVM guests in a host dump: every stored frame is tested as a VMCB against
 * the architectural invariants KVM's VMCBs satisfy (no single signature: a guest can write
 * any bytes into its own RAM), accepted VMCBs are grouped by nested CR3 (one VM per NPT
 * root), and look-alikes lying in frames some accepted VM's NPT maps as guest RAM are
 * rejected. Offsets: struct vmcb in linux arch/x86/include/asm/svm.h (carving.md 5b). */
#include "kvm_hw_util.h"
#include "le.h"
#include "vmcb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EFER_SVME VMCB_EFER_SVME
#define EFER_LMA  0x400ull
#define EFER_KNOWN 0xfd01ull /* SCE LME LMA NXE SVME LMSLE FFXSR TCE */
#define PA_LIMIT (1ull << 52)

static bool canonical48(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

static bool ram_page(const struct vmc_dump *host, uint64_t pa)
{
	uint64_t pfn = pa >> host->page_shift;
	return pa && !(pa & 0xfff) && pa < PA_LIMIT && pfn < host->max_pfn && vmc_bitmap_test(&host->ram, pfn);
}

/* The NPT root must be a page table: some entry present, none pointing outside RAM, no
 * large-page bit at the top level. */
static const char *check_npt_root(struct vmc_physmem *pm, uint64_t root)
{
	struct vmc_diag tmp;
	const uint8_t *t;
	unsigned present = 0;

	vmc_diag_init(&tmp);
	if (!(t = vmc_physmem_frame(pm, root >> pm->dump->page_shift, &tmp)))
		return "its NPT root table is not in the dump";
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = vmc_le64(t + i * 8), pa = e & 0x000ffffffffff000ull;
		if (!(e & 1))
			continue;
		if (e & 0x80)
			return "its NPT root has a large-page entry";
		if (!ram_page(pm->dump, pa))
			return "its NPT root points outside RAM";
		present++;
	}
	return present ? NULL : "its NPT root maps nothing";
}

const char *vmc_svm_vmcb_check(const uint8_t *vmcb, uint64_t vmcb_pa, struct vmc_physmem *pm, uint64_t *nested_cr3,
			       struct vmc_hw_vcpu *out)
{
	const struct vmc_dump *host = pm->dump;
	uint64_t efer = vmc_le64(vmcb + VMCB_EFER), misc = vmc_le64(vmcb + VMCB_MISC_CTL), ncr3 = vmc_le64(vmcb + VMCB_NESTED_CR3);
	uint64_t cr0 = vmc_le64(vmcb + VMCB_CR0), cr3 = vmc_le64(vmcb + VMCB_CR3), cr4 = vmc_le64(vmcb + VMCB_CR4);
	uint64_t rip = vmc_le64(vmcb + VMCB_RIP);
	uint32_t asid = vmc_le32(vmcb + VMCB_ASID);
	const char *why;

	if (!(efer & EFER_SVME) || (efer & ~EFER_KNOWN))
		return "EFER.SVME clear or reserved EFER bits set";
	if (!(vmc_le32(vmcb + VMCB_INTERCEPT_W4) & 1))
		return "VMRUN not intercepted";
	if (asid == 0 || asid >= (1u << 16))
		return "ASID 0 or out of range";
	if (!ram_page(host, vmc_le64(vmcb + VMCB_IOPM_BASE)) || !ram_page(host, vmc_le64(vmcb + VMCB_MSRPM_BASE)))
		return "IOPM/MSRPM base not a page of RAM";
	if (cr0 >> 32 || cr4 >> 32 || cr3 >= PA_LIMIT || ((cr0 & 0x80000000u) && !(cr0 & 1)))
		return "implausible CR0/CR3/CR4";
	if ((efer & EFER_LMA) ? !canonical48(rip) : rip >> 32)
		return "implausible RIP";
	if (!(misc & 1))
		return "nested paging off (shadow paging: no NPT to carve from)";
	if (misc & 6)
		return "SEV/SEV-ES guest (memory and state encrypted)";
	if (!ram_page(host, ncr3))
		return "nested_cr3 not a page of RAM";
	if ((why = check_npt_root(pm, ncr3)))
		return why;
	*nested_cr3 = ncr3;
	memset(out, 0, sizeof(*out));
	out->state_pa = vmcb_pa;
	out->asid_or_vpid = asid;
	vmc_vmcb_save_regs(vmcb, vmcb_pa, &out->regs);
	return NULL;
}

struct scan_arg {
	struct vmc_physmem *pm;
	struct vmc_hw_scan *out;
	struct vmc_diag *d;
	unsigned noted_rejects;
	uint64_t accepted;
	vmc_hw_frame_fn *also;
	void *also_arg;
};

static enum vmc_status scan_frame(uint64_t pfn, const uint8_t *page, void *arg)
{
	struct scan_arg *a = arg;
	struct vmc_hw_scan *s = a->out;
	uint64_t pa = pfn << a->pm->dump->page_shift, ncr3 = 0;
	struct vmc_hw_vcpu c;
	struct vmc_hw_vm *vm;
	const char *why;

	s->frames_scanned++;
	if (a->also) {
		enum vmc_status rc = a->also(pfn, page, a->also_arg);
		if (rc)
			return rc;
	}
	/* cheap pre-filter: EFER.SVME and the VMRUN intercept (one bit each) */
	if (!(page[VMCB_EFER + 1] & 0x10) || !(page[VMCB_INTERCEPT_W4] & 1) || (vmc_le64(page + VMCB_EFER) & ~EFER_KNOWN))
		return VMC_OK;
	if (vmc_le32(page + VMCB_ASID) == 0)
		return VMC_OK;
	s->candidates++;
	if ((why = vmc_svm_vmcb_check(page, pa, a->pm, &ncr3, &c))) {
		s->rejected++;
		if (a->noted_rejects++ < 64)
			vmc_hw_report(s, "svm.reject=0x%llx %s", (unsigned long long)pa, why);
		return VMC_OK;
	}
	if (a->accepted >= 65536) { /* bounded memory whatever the dump holds */
		if (a->accepted++ == 65536)
			vmc_hw_warn(s, "more than 65536 VMCBs; the rest are ignored");
		return VMC_OK;
	}
	vm = NULL;
	for (unsigned i = 0; i < s->nvms && !vm; i++)
		if (s->vms[i].tdp_root == ncr3)
			vm = &s->vms[i];
	if (!vm && s->nvms >= 4096)
		return vmc_fail(a->d, VMC_ERR_LIMIT, "more than 4096 distinct nested_cr3 values");
	if (!vm && !(vm = vmc_hw_vm_get(s, ncr3, VMC_PT_X86_64, 4)))
		return vmc_fail(a->d, VMC_ERR_NOMEM, "out of memory");
	if (vm->nvcpus >= 4096)
		return vmc_fail(a->d, VMC_ERR_LIMIT, "more than 4096 VMCBs share nested_cr3 0x%llx",
				(unsigned long long)ncr3);
	struct vmc_hw_vcpu *slot = vmc_hw_vcpu_add(vm);
	if (!slot)
		return vmc_fail(a->d, VMC_ERR_NOMEM, "out of memory");
	*slot = c;
	a->accepted++;
	return VMC_OK;
}

/* Reject VMCBs (and whole VMs whose NPT root is) in frames that an accepted VM maps as guest
 * RAM: a guest controls those bytes, KVM never puts its own state there. */
static enum vmc_status reject_in_guest_ram(struct vmc_physmem *pm, struct vmc_hw_scan *s, struct vmc_diag *d)
{
	struct vmc_ranges ram = { 0 };
	unsigned shift = pm->dump->page_shift;
	enum vmc_status rc = VMC_OK;

	uint64_t budget = 1ull << 26; /* leaves over all VMs: many forged roots cannot stall the scan */
	for (unsigned i = 0; i < s->nvms && !rc && budget; i++) {
		struct vmc_pt_stats st = { 0 };
		struct vmc_diag tmp;
		uint64_t used;
		vmc_diag_init(&tmp);
		if (vmc_hw_tdp_frames(pm, &s->vms[i], &ram, budget < (1ull << 24) ? budget : 1ull << 24, &st, &tmp) ==
		    VMC_ERR_NOMEM)
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		used = st.leaves[0] + st.leaves[1] + st.leaves[2];
		budget = used < budget ? budget - used : 0;
		if (!budget)
			vmc_hw_warn(s, "nested-table budget spent after %u of %u VMs: look-alike checks incomplete", i + 1,
				    s->nvms);
	}
	if (rc)
		goto out;
	vmc_ranges_normalise(&ram);
	for (unsigned i = 0; i < s->nvms;) {
		struct vmc_hw_vm *vm = &s->vms[i];
		if (vmc_ranges_find(&ram, vm->tdp_root >> shift)) {
			vmc_hw_warn(s, "VMCB look-alike at 0x%llx: its nested_cr3 0x%llx is guest RAM of another VM; ignored",
				    (unsigned long long)vm->vcpus[0].state_pa, (unsigned long long)vm->tdp_root);
			vmc_hw_report(s, "svm.reject_vm=0x%llx nested_cr3 in guest RAM", (unsigned long long)vm->tdp_root);
			s->rejected += vm->nvcpus;
			vmc_hw_vm_remove(s, i);
			continue;
		}
		for (unsigned k = 0; k < vm->nvcpus;) {
			if (vmc_ranges_find(&ram, vm->vcpus[k].state_pa >> shift)) {
				vmc_hw_warn(s, "VMCB look-alike at 0x%llx lies in guest RAM (nested_cr3 0x%llx); ignored",
					    (unsigned long long)vm->vcpus[k].state_pa, (unsigned long long)vm->tdp_root);
				vmc_hw_report(s, "svm.reject=0x%llx in guest RAM", (unsigned long long)vm->vcpus[k].state_pa);
				s->rejected++;
				memmove(&vm->vcpus[k], &vm->vcpus[k + 1], (vm->nvcpus - k - 1) * sizeof(vm->vcpus[0]));
				vm->nvcpus--;
				continue;
			}
			k++;
		}
		if (!vm->nvcpus) {
			vmc_hw_vm_remove(s, i);
			continue;
		}
		i++;
	}
out:
	vmc_ranges_release(&ram);
	return rc;
}

enum vmc_status vmc_svm_scan(struct vmc_dump *host, struct vmc_hw_scan *out, struct vmc_diag *d)
{
	return vmc_svm_scan_with(host, out, NULL, NULL, d);
}

enum vmc_status vmc_svm_scan_with(struct vmc_dump *host, struct vmc_hw_scan *out, vmc_hw_frame_fn *also, void *also_arg,
				  struct vmc_diag *d)
{
	struct vmc_physmem pm;
	struct scan_arg a;
	uint64_t unreadable = 0;
	enum vmc_status rc;

	memset(out, 0, sizeof(*out));
	if (host->page_size != 4096)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: SVM scan needs 4 KiB pages", host->name);
	if ((rc = vmc_physmem_init(&pm, host, d)))
		return rc;
	a = (struct scan_arg){ &pm, out, d, 0, 0, also, also_arg };
	rc = vmc_hw_for_each_frame(host, scan_frame, &a, &unreadable, d);
	if (!rc)
		rc = reject_in_guest_ram(&pm, out, d);
	vmc_physmem_fini(&pm);
	if (rc) {
		vmc_hw_scan_free(out);
		return rc;
	}
	if (unreadable)
		vmc_hw_warn(out, "%llu stored frames could not be read while scanning for VMCBs",
			    (unsigned long long)unreadable);
	vmc_hw_report(out, "svm.frames_scanned=%llu candidates=%llu rejected=%llu vms=%u",
		      (unsigned long long)out->frames_scanned, (unsigned long long)out->candidates,
		      (unsigned long long)out->rejected, out->nvms);
	for (unsigned i = 0; i < out->nvms; i++)
		for (unsigned k = 0; k < out->vms[i].nvcpus; k++)
			vmc_hw_report(out, "svm.vmcb=0x%llx nested_cr3=0x%llx asid=%u rip=0x%llx cr3=0x%llx",
				      (unsigned long long)out->vms[i].vcpus[k].state_pa,
				      (unsigned long long)out->vms[i].tdp_root, out->vms[i].vcpus[k].asid_or_vpid,
				      (unsigned long long)out->vms[i].vcpus[k].regs.rip,
				      (unsigned long long)out->vms[i].vcpus[k].regs.cr[3]);
	return VMC_OK;
}
