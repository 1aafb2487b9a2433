/* kvm_hw_util.h: helpers shared by the VMCB/VMCS scanners (src/kvm_svm.c, src/kvm_vmx.c) and
 * the KVM carver: report/warning lines of a struct vmc_hw_scan, appending VMs and vCPUs, and
 * the set of host frames that guests' nested tables map as guest RAM (a VMCB/VMCS found in one
 * of those frames is a look-alike the guest wrote into its own memory). */
#ifndef VMC_KVM_HW_UTIL_H
#define VMC_KVM_HW_UTIL_H

#include "kvm_hw.h"
#include "ranges.h"

void vmc_hw_report(struct vmc_hw_scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vmc_hw_warn(struct vmc_hw_scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The VM whose nested root is tdp_root (created when new); NULL on allocation failure. */
struct vmc_hw_vm *vmc_hw_vm_get(struct vmc_hw_scan *s, uint64_t tdp_root, enum vmc_pt_format format,
				unsigned levels);
struct vmc_hw_vcpu *vmc_hw_vcpu_add(struct vmc_hw_vm *vm);
/* Remove VM i (its vCPUs freed), keeping the order of the others. */
void vmc_hw_vm_remove(struct vmc_hw_scan *s, unsigned i);

/* Add every host frame the nested tables of vm map (NPT/EPT leaves) to set (at most
 * max_leaves leaves; 0 = 2^24). Walk problems
 * are counted in st; VMC_ERR_LIMIT when the walk is over budget. */
enum vmc_status vmc_hw_tdp_frames(struct vmc_physmem *pm, const struct vmc_hw_vm *vm, struct vmc_ranges *set,
				  uint64_t max_leaves, struct vmc_pt_stats *st, struct vmc_diag *d);


/* Call cb for every stored frame of dump in ascending order, zero-copy where the reader maps
 * the file. cb returns VMC_OK to go on. Unreadable frames are counted in *unreadable. */
typedef enum vmc_status vmc_hw_frame_fn(uint64_t pfn, const uint8_t *page, void *arg);
enum vmc_status vmc_hw_for_each_frame(struct vmc_dump *dump, vmc_hw_frame_fn *cb, void *arg, uint64_t *unreadable,
				      struct vmc_diag *d);

/* SVM: validate one page as a VMCB (architectural invariants, see kvm_svm.c). NULL when it is
 * one (then *nested_cr3 and *out are filled), else why not. pm reads the NPT root, so vmcb
 * must not be pm's cached frame. */
const char *vmc_svm_vmcb_check(const uint8_t *vmcb, uint64_t vmcb_pa, struct vmc_physmem *pm, uint64_t *nested_cr3,
			       struct vmc_hw_vcpu *out);

/* vmc_svm_scan, also calling also(pfn, page, also_arg) on every frame (one pass for two scans). */
enum vmc_status vmc_svm_scan_with(struct vmc_dump *host, struct vmc_hw_scan *out, vmc_hw_frame_fn *also, void *also_arg,
				  struct vmc_diag *d);

#endif
