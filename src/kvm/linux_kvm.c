/* linux_kvm.c: KVM VMs read out of the host Linux kernel's own data structures (the memslot
 * route): kvm's vm_list -> struct kvm -> memslots, the VMM's mm->pgd, the vCPUs. Symbols come
 * from the kernel's kallsyms (VMCOREINFO) and the modules' own symbol tables; every struct
 * offset comes from a linux_types.h provider: the BTF in the dump, or DWARF from
 * --host-debuginfo, and both are compared when both are there. Everything read from the dump
 * is untrusted: every list, tree and array walk is bounded. */
#include "linux_kvm.h"
#include "qemu_cmdline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_btf.h"
#include "linux_dwarf.h"
#include "linux_kallsyms.h"
#include "linux_kvmem.h"
#include "linux_modules.h"
#include "msgs.h"
#include "notes.h"

#define MAX_VMS 1024
#define MAX_SLOTS 32768     /* KVM_MEM_SLOTS_NUM is at most SHRT_MAX */
#define MAX_VCPUS 4096
#define MAX_XA_NODES 4096
#define MAX_RB_DEPTH 96     /* a red-black tree of 32768 nodes is at most ~30 deep */
#define MAX_VMLINUX_BTF (64u << 20)

/* Every layout fact the route uses; filled from one provider, compared across two. */
enum key {
	K_KVM_VM_LIST, K_KVM_MM, K_KVM_MEMSLOTS, K_KVM_MEMSLOTS_N, K_KVM_MEMSLOTS_ISPTR, K_KVM_PID, K_KVM_STATS_ID,
	K_KVM_STATS_ID_LEN, K_KVM_VCPU_ARRAY, K_KVM_VCPUS, K_KVM_VCPUS_N, K_KVM_ONLINE_VCPUS,
	K_MM_PGD, K_MM_ARG_START, K_MM_ARG_END,
	K_MS_NODE_IDX, K_MS_GFN_TREE, K_MS_USED_SLOTS, K_MS_MEMSLOTS, K_MS_MEMSLOTS_N,
	K_SLOT_SIZE, K_SLOT_GFN_NODE, K_SLOT_GFN_NODE_ESZ, K_SLOT_BASE_GFN, K_SLOT_NPAGES, K_SLOT_UADDR, K_SLOT_FLAGS,
	K_SLOT_ID, K_SLOT_AS_ID,
	K_RB_RIGHT, K_RB_LEFT,
	K_XA_HEAD, K_XAN_SHIFT, K_XAN_SLOTS, K_XAN_SLOTS_N,
	K_VCPU_ID, K_VCPU_REGS, K_VCPU_REGS_N, K_VCPU_REGS_AVAIL, K_VCPU_REGS_AVAIL_SZ, K_VCPU_CR0, K_VCPU_CR2,
	K_VCPU_CR3, K_VCPU_CR4, K_VCPU_EFER, K_VCPU_MMU, K_MMU_ROOT_HPA, K_MMU_ROOT_HPA_OLD,
	K_SVM_VCPU, K_SVM_CURRENT_VMCB, K_SVM_VMCB01_PA, K_SVM_VMCB, K_SVM_VMCB_PA_OLD, K_VMCBINFO_PA,
	K_VMX_VCPU, K_VMX_LOADED_VMCS, K_LVMCS_VMCS,
	K_N
};

struct spec {
	const char *name; /* report key */
	const char *unit, *sname, *path;
	char what;        /* 'o' offset, 'n' array elements, 'e' array element size, 's' member size, 'S' struct size, 'p' 1 if a pointer */
	bool required;
};

static const struct spec specs[K_N] = {
	[K_KVM_VM_LIST] = { "kvm.vm_list", "kvm", "kvm", "vm_list", 'o', true },
	[K_KVM_MM] = { "kvm.mm", "kvm", "kvm", "mm", 'o', true },
	[K_KVM_MEMSLOTS] = { "kvm.memslots", "kvm", "kvm", "memslots", 'o', true },
	[K_KVM_MEMSLOTS_N] = { "kvm.memslots.nelems", "kvm", "kvm", "memslots", 'n', true },
	[K_KVM_MEMSLOTS_ISPTR] = { "kvm.memslots.is_ptr", "kvm", "kvm", "memslots", 'p', true },
	[K_KVM_PID] = { "kvm.userspace_pid", "kvm", "kvm", "userspace_pid", 'o', false },
	[K_KVM_STATS_ID] = { "kvm.stats_id", "kvm", "kvm", "stats_id", 'o', false },
	[K_KVM_STATS_ID_LEN] = { "kvm.stats_id.size", "kvm", "kvm", "stats_id", 's', false },
	[K_KVM_VCPU_ARRAY] = { "kvm.vcpu_array", "kvm", "kvm", "vcpu_array", 'o', false },
	[K_KVM_VCPUS] = { "kvm.vcpus", "kvm", "kvm", "vcpus", 'o', false },
	[K_KVM_VCPUS_N] = { "kvm.vcpus.nelems", "kvm", "kvm", "vcpus", 'n', false },
	[K_KVM_ONLINE_VCPUS] = { "kvm.online_vcpus", "kvm", "kvm", "online_vcpus", 'o', false },
	[K_MM_PGD] = { "mm_struct.pgd", "vmlinux", "mm_struct", "pgd", 'o', true },
	[K_MM_ARG_START] = { "mm_struct.arg_start", "vmlinux", "mm_struct", "arg_start", 'o', false },
	[K_MM_ARG_END] = { "mm_struct.arg_end", "vmlinux", "mm_struct", "arg_end", 'o', false },
	[K_MS_NODE_IDX] = { "kvm_memslots.node_idx", "kvm", "kvm_memslots", "node_idx", 'o', false },
	[K_MS_GFN_TREE] = { "kvm_memslots.gfn_tree", "kvm", "kvm_memslots", "gfn_tree", 'o', false },
	[K_MS_USED_SLOTS] = { "kvm_memslots.used_slots", "kvm", "kvm_memslots", "used_slots", 'o', false },
	[K_MS_MEMSLOTS] = { "kvm_memslots.memslots", "kvm", "kvm_memslots", "memslots", 'o', false },
	[K_MS_MEMSLOTS_N] = { "kvm_memslots.memslots.nelems", "kvm", "kvm_memslots", "memslots", 'n', false },
	[K_SLOT_SIZE] = { "kvm_memory_slot.size", "kvm", "kvm_memory_slot", NULL, 'S', true },
	[K_SLOT_GFN_NODE] = { "kvm_memory_slot.gfn_node", "kvm", "kvm_memory_slot", "gfn_node", 'o', false },
	[K_SLOT_GFN_NODE_ESZ] = { "kvm_memory_slot.gfn_node.elem_size", "kvm", "kvm_memory_slot", "gfn_node", 'e', false },
	[K_SLOT_BASE_GFN] = { "kvm_memory_slot.base_gfn", "kvm", "kvm_memory_slot", "base_gfn", 'o', true },
	[K_SLOT_NPAGES] = { "kvm_memory_slot.npages", "kvm", "kvm_memory_slot", "npages", 'o', true },
	[K_SLOT_UADDR] = { "kvm_memory_slot.userspace_addr", "kvm", "kvm_memory_slot", "userspace_addr", 'o', true },
	[K_SLOT_FLAGS] = { "kvm_memory_slot.flags", "kvm", "kvm_memory_slot", "flags", 'o', true },
	[K_SLOT_ID] = { "kvm_memory_slot.id", "kvm", "kvm_memory_slot", "id", 'o', true },
	[K_SLOT_AS_ID] = { "kvm_memory_slot.as_id", "kvm", "kvm_memory_slot", "as_id", 'o', false },
	[K_RB_RIGHT] = { "rb_node.rb_right", "vmlinux", "rb_node", "rb_right", 'o', true },
	[K_RB_LEFT] = { "rb_node.rb_left", "vmlinux", "rb_node", "rb_left", 'o', true },
	[K_XA_HEAD] = { "xarray.xa_head", "vmlinux", "xarray", "xa_head", 'o', false },
	[K_XAN_SHIFT] = { "xa_node.shift", "vmlinux", "xa_node", "shift", 'o', false },
	[K_XAN_SLOTS] = { "xa_node.slots", "vmlinux", "xa_node", "slots", 'o', false },
	[K_XAN_SLOTS_N] = { "xa_node.slots.nelems", "vmlinux", "xa_node", "slots", 'n', false },
	[K_VCPU_ID] = { "kvm_vcpu.vcpu_id", "kvm", "kvm_vcpu", "vcpu_id", 'o', true },
	[K_VCPU_REGS] = { "kvm_vcpu.arch.regs", "kvm", "kvm_vcpu", "arch.regs", 'o', false },
	[K_VCPU_REGS_N] = { "kvm_vcpu.arch.regs.nelems", "kvm", "kvm_vcpu", "arch.regs", 'n', false },
	[K_VCPU_REGS_AVAIL] = { "kvm_vcpu.arch.regs_avail", "kvm", "kvm_vcpu", "arch.regs_avail", 'o', false },
	[K_VCPU_REGS_AVAIL_SZ] = { "kvm_vcpu.arch.regs_avail.size", "kvm", "kvm_vcpu", "arch.regs_avail", 's', false },
	[K_VCPU_CR0] = { "kvm_vcpu.arch.cr0", "kvm", "kvm_vcpu", "arch.cr0", 'o', false },
	[K_VCPU_CR2] = { "kvm_vcpu.arch.cr2", "kvm", "kvm_vcpu", "arch.cr2", 'o', false },
	[K_VCPU_CR3] = { "kvm_vcpu.arch.cr3", "kvm", "kvm_vcpu", "arch.cr3", 'o', false },
	[K_VCPU_CR4] = { "kvm_vcpu.arch.cr4", "kvm", "kvm_vcpu", "arch.cr4", 'o', false },
	[K_VCPU_EFER] = { "kvm_vcpu.arch.efer", "kvm", "kvm_vcpu", "arch.efer", 'o', false },
	[K_VCPU_MMU] = { "kvm_vcpu.arch.mmu", "kvm", "kvm_vcpu", "arch.mmu", 'o', false },
	[K_MMU_ROOT_HPA] = { "kvm_mmu.root.hpa", "kvm", "kvm_mmu", "root.hpa", 'o', false },
	[K_MMU_ROOT_HPA_OLD] = { "kvm_mmu.root_hpa", "kvm", "kvm_mmu", "root_hpa", 'o', false },
	[K_SVM_VCPU] = { "vcpu_svm.vcpu", "kvm_amd", "vcpu_svm", "vcpu", 'o', false },
	[K_SVM_CURRENT_VMCB] = { "vcpu_svm.current_vmcb", "kvm_amd", "vcpu_svm", "current_vmcb", 'o', false },
	[K_SVM_VMCB01_PA] = { "vcpu_svm.vmcb01.pa", "kvm_amd", "vcpu_svm", "vmcb01.pa", 'o', false },
	[K_SVM_VMCB] = { "vcpu_svm.vmcb", "kvm_amd", "vcpu_svm", "vmcb", 'o', false },
	[K_SVM_VMCB_PA_OLD] = { "vcpu_svm.vmcb_pa", "kvm_amd", "vcpu_svm", "vmcb_pa", 'o', false },
	[K_VMCBINFO_PA] = { "kvm_vmcb_info.pa", "kvm_amd", "kvm_vmcb_info", "pa", 'o', false },
	[K_VMX_VCPU] = { "vcpu_vmx.vcpu", "kvm_intel", "vcpu_vmx", "vcpu", 'o', false },
	[K_VMX_LOADED_VMCS] = { "vcpu_vmx.loaded_vmcs", "kvm_intel", "vcpu_vmx", "loaded_vmcs", 'o', false },
	[K_LVMCS_VMCS] = { "loaded_vmcs.vmcs", "kvm_intel", "loaded_vmcs", "vmcs", 'o', false },
};

struct offs {
	uint64_t v[K_N];
	bool have[K_N];
};

/* The report (what was found, for list -v): every line in full, unbounded (a few hundred lines). */
static const struct vmc_msgs_caps report_caps = { 0 };

static void rep(struct vmc_msgs *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rep(struct vmc_msgs *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmc_msgs_vreport(r, &report_caps, fmt, ap);
	va_end(ap);
}

/* Which vendor modules' questions to ask: skip kvm_intel on AMD and vice versa. */
static enum vmc_status fill_offs(const struct vmc_ltypes *ty, bool amd, bool intel, struct offs *o, struct vmc_diag *d)
{
	memset(o, 0, sizeof(*o));
	for (int k = 0; k < K_N; k++) {
		const struct spec *s = &specs[k];
		struct vmc_diag tmp;
		struct vmc_lmember m;
		enum vmc_status rc;

		if ((!strcmp(s->unit, "kvm_amd") && !amd) || (!strcmp(s->unit, "kvm_intel") && !intel))
			continue;
		vmc_diag_init(&tmp);
		if (s->what == 'S') {
			rc = ty->size(ty->ctx, s->unit, s->sname, &o->v[k], &tmp);
		} else {
			rc = ty->member(ty->ctx, s->unit, s->sname, s->path, &m, &tmp);
			if (!rc) {
				switch (s->what) {
				case 'o': o->v[k] = m.offset; break;
				case 'n': o->v[k] = m.nelems; break;
				case 'e': o->v[k] = m.elem_size; break;
				case 's': o->v[k] = m.size; break;
				case 'p': o->v[k] = m.is_ptr; break;
				}
			}
		}
		if (rc) {
			if (s->required)
				return vmc_fail(d, rc, "%s: %s", s->name, tmp.msg);
			continue;
		}
		o->have[k] = true;
	}
	/* the memslot container must be one of the three known layouts */
	if (!(o->have[K_MS_GFN_TREE] && o->have[K_MS_NODE_IDX] && o->have[K_SLOT_GFN_NODE] && o->have[K_SLOT_GFN_NODE_ESZ]) &&
	    !(o->have[K_MS_MEMSLOTS]))
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: struct kvm_memslots has neither gfn_tree/node_idx nor memslots[]", ty->name);
	if (!o->have[K_KVM_VCPU_ARRAY] && !o->have[K_KVM_VCPUS])
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: struct kvm has neither vcpu_array nor vcpus[]", ty->name);
	if (o->have[K_KVM_VCPU_ARRAY] && !(o->have[K_XA_HEAD] && o->have[K_XAN_SHIFT] && o->have[K_XAN_SLOTS] && o->have[K_XAN_SLOTS_N]))
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: struct xarray/xa_node layout not found", ty->name);
	return VMC_OK;
}

struct ctx {
	struct vmc_lkmem km;
	struct vmc_kallsyms ks;
	bool have_ks;
	uint64_t early_va[5];    /* early_syms[] looked up together (one walk of kallsyms, not five) */
	bool early_found[5];
	struct vmc_lmods mods;
	struct vmc_btf *vmlinux_btf, *mod_btf[3];
	struct vmc_btf_set btfset;
	struct vmc_ltypes btf_types;
	bool have_btf;
	struct vmc_ldwarf *dwarf;
	struct vmc_ltypes dwarf_types;
	struct offs o;
	bool amd, intel;
	struct vmc_msgs r; /* its report only: warnings go to the caller's diag */
	unsigned nwarn;
	struct vmc_diag *d;
};

static void warn(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rep(&c->r, "warning=%s", msg);
	vmc_warn(c->d, "%s", msg);
	c->nwarn++;
}

static uint64_t O(const struct ctx *c, enum key k)
{
	return c->o.v[k];
}

static enum vmc_status rd64(struct ctx *c, uint64_t va, uint64_t *v)
{
	return vmc_lkmem_read_u64(&c->km, va, v, c->d);
}

static enum vmc_status rd32(struct ctx *c, uint64_t va, uint32_t *v)
{
	return vmc_lkmem_read_u32(&c->km, va, v, c->d);
}

/* ---- symbols ---- */

/* The vmlinux symbols the route asks for first, resolved in one walk once kallsyms is loaded. */
static const char *const early_syms[5] = { "page_offset_base", "__start_BTF", "__stop_BTF", "modules", "btf_modules" };

static bool vmlinux_symbol(struct ctx *c, const char *name, uint64_t *va)
{
	for (int i = 0; c->have_ks && i < 5; i++)
		if (!strcmp(name, early_syms[i])) {
			if (!c->early_found[i])
				break;
			*va = c->early_va[i];
			return true;
		}
	if (c->have_ks && vmc_kallsyms_lookup(&c->ks, name, va, NULL))
		return true;
	return c->dwarf && vmc_ldwarf_symbol(c->dwarf, name, va);
}

static enum vmc_status load_page_offset_base(struct ctx *c)
{
	uint64_t va, pob;
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	/* without KASLR of the memory regions the direct map sits at its fixed base */
	pob = c->km.levels == 5 ? 0xff11000000000000ull : 0xffff888000000000ull;
	if (vmlinux_symbol(c, "page_offset_base", &va)) {
		if (vmc_lkmem_read_u64(&c->km, va, &pob, &tmp))
			return vmc_fail(c->d, tmp.status, "page_offset_base: %s", tmp.msg);
		rep(&c->r, "symbol.page_offset_base=0x%llx", (unsigned long long)va);
	}
	if (pob < 0xff00000000000000ull || (pob & ((1ull << 30) - 1)))
		return vmc_fail(c->d, VMC_ERR_CORRUPT, "page_offset_base 0x%llx is not a plausible direct-map base",
				(unsigned long long)pob);
	c->km.page_offset_base = pob;
	rep(&c->r, "page_offset_base=0x%llx", (unsigned long long)pob);
	return VMC_OK;
}

static enum vmc_status load_vmlinux_btf(struct ctx *c, struct vmc_diag *d)
{
	uint64_t start, stop;
	uint8_t *buf;
	const void *view;
	enum vmc_status rc;

	if (!vmlinux_symbol(c, "__start_BTF", &start) || !vmlinux_symbol(c, "__stop_BTF", &stop))
		return vmc_fail(d, VMC_ERR_NOTFOUND, "the kernel has no __start_BTF/__stop_BTF (CONFIG_DEBUG_INFO_BTF off?)");
	if (stop <= start || stop - start > MAX_VMLINUX_BTF)
		return vmc_fail(d, VMC_ERR_CORRUPT, "vmlinux BTF 0x%llx..0x%llx is implausible", (unsigned long long)start,
				(unsigned long long)stop);
	/* in place when the dump maps it (the BTF outlives neither c nor the dump), else a copy */
	if ((view = vmc_lkmem_map(&c->km, start, stop - start)))
		rc = vmc_btf_parse_view(view, stop - start, NULL, &c->vmlinux_btf, d);
	else if (!(buf = malloc(stop - start)))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	else if ((rc = vmc_lkmem_read(&c->km, start, buf, stop - start, d)))
		free(buf);
	else
		rc = vmc_btf_parse_owned(buf, stop - start, NULL, &c->vmlinux_btf, d); /* takes buf */
	if (rc)
		return vmc_wrap(d, rc, "vmlinux BTF at 0x%llx", (unsigned long long)start);
	rep(&c->r, "btf.vmlinux=0x%llx+0x%llx types=%u", (unsigned long long)start, (unsigned long long)(stop - start),
	    c->vmlinux_btf->ntypes);
	return VMC_OK;
}

/* ---- memslots ---- */

static enum vmc_status add_slot(struct ctx *c, struct vmc_kvm_vm *vm, uint64_t slot_va, unsigned as)
{
	struct vmc_kvm_memslot s;
	uint64_t npages;
	uint32_t flags, idw = 0, asw = as;
	enum vmc_status rc;

	memset(&s, 0, sizeof(s));
	if ((rc = rd64(c, slot_va + O(c, K_SLOT_BASE_GFN), &s.base_gfn)) || (rc = rd64(c, slot_va + O(c, K_SLOT_NPAGES), &npages)) ||
	    (rc = rd64(c, slot_va + O(c, K_SLOT_UADDR), &s.userspace_addr)) || (rc = rd32(c, slot_va + O(c, K_SLOT_FLAGS), &flags)) ||
	    (rc = rd32(c, slot_va + O(c, K_SLOT_ID), &idw)))
		return vmc_wrap(c->d, rc, "memslot at 0x%llx", (unsigned long long)slot_va);
	if (c->o.have[K_SLOT_AS_ID] && (rc = rd32(c, slot_va + O(c, K_SLOT_AS_ID), &asw)))
		return vmc_wrap(c->d, rc, "memslot at 0x%llx", (unsigned long long)slot_va);
	s.npages = npages;
	s.flags = flags;
	s.id = (int16_t)(idw & 0xffff);
	s.as_id = (uint16_t)(asw & 0xffff);
	if (!npages)
		return VMC_OK; /* an unused slot of the old fixed arrays */
	if (npages > (1ull << 40) || s.base_gfn > (1ull << 40) || (s.userspace_addr & 0xfff) ||
	    s.userspace_addr >= (1ull << 57)) {
		warn(c, "VM 0x%llx: memslot at 0x%llx is implausible (base_gfn 0x%llx npages 0x%llx hva 0x%llx): skipped",
		     (unsigned long long)vm->kvm_va, (unsigned long long)slot_va, (unsigned long long)s.base_gfn,
		     (unsigned long long)npages, (unsigned long long)s.userspace_addr);
		return VMC_OK;
	}
	if (vm->nslots >= MAX_SLOTS)
		return vmc_fail(c->d, VMC_ERR_LIMIT, "VM 0x%llx: more than %u memslots", (unsigned long long)vm->kvm_va, MAX_SLOTS);
	if ((vm->nslots & (vm->nslots - 1)) == 0) {
		struct vmc_kvm_memslot *n = realloc(vm->slots, (vm->nslots ? vm->nslots * 2 : 8) * sizeof(*n));
		if (!n)
			return vmc_fail(c->d, VMC_ERR_NOMEM, "out of memory");
		vm->slots = n;
	}
	vm->slots[vm->nslots++] = s;
	return VMC_OK;
}

/* >= 5.17: in-order walk of the gfn tree (ascending base_gfn). */
static enum vmc_status slots_tree(struct ctx *c, struct vmc_kvm_vm *vm, uint64_t ms, unsigned as)
{
	uint64_t stack[MAX_RB_DEPTH], node;
	uint32_t idx;
	unsigned sp = 0, visited = 0;
	enum vmc_status rc;

	if ((rc = rd32(c, ms + O(c, K_MS_NODE_IDX), &idx)) || (rc = rd64(c, ms + O(c, K_MS_GFN_TREE), &node)))
		return vmc_wrap(c->d, rc, "kvm_memslots at 0x%llx", (unsigned long long)ms);
	if (idx > 1)
		return vmc_fail(c->d, VMC_ERR_CORRUPT, "kvm_memslots at 0x%llx: node_idx %u", (unsigned long long)ms, idx);
	while (node || sp) {
		while (node) {
			if (sp >= MAX_RB_DEPTH)
				return vmc_fail(c->d, VMC_ERR_LIMIT, "kvm_memslots at 0x%llx: gfn tree deeper than %u (a loop?)",
						(unsigned long long)ms, MAX_RB_DEPTH);
			stack[sp++] = node;
			if ((rc = rd64(c, node + O(c, K_RB_LEFT), &node)))
				return vmc_wrap(c->d, rc, "gfn tree of kvm_memslots 0x%llx", (unsigned long long)ms);
		}
		node = stack[--sp];
		if (++visited > MAX_SLOTS)
			return vmc_fail(c->d, VMC_ERR_LIMIT, "kvm_memslots at 0x%llx: more than %u nodes in the gfn tree (a loop?)",
					(unsigned long long)ms, MAX_SLOTS);
		if ((rc = add_slot(c, vm, node - O(c, K_SLOT_GFN_NODE) - idx * O(c, K_SLOT_GFN_NODE_ESZ), as)))
			return rc;
		if ((rc = rd64(c, node + O(c, K_RB_RIGHT), &node)))
			return vmc_wrap(c->d, rc, "gfn tree of kvm_memslots 0x%llx", (unsigned long long)ms);
	}
	return VMC_OK;
}

/* before 5.17: an array of slots, with used_slots (5.x) or a fixed size (older) */
static enum vmc_status slots_array(struct ctx *c, struct vmc_kvm_vm *vm, uint64_t ms, unsigned as)
{
	uint64_t n = O(c, K_MS_MEMSLOTS_N);
	enum vmc_status rc;

	if (c->o.have[K_MS_USED_SLOTS]) {
		uint32_t used;
		if ((rc = rd32(c, ms + O(c, K_MS_USED_SLOTS), &used)))
			return vmc_wrap(c->d, rc, "kvm_memslots at 0x%llx", (unsigned long long)ms);
		n = used;
	}
	if (n > MAX_SLOTS)
		return vmc_fail(c->d, VMC_ERR_LIMIT, "kvm_memslots at 0x%llx: %llu slots", (unsigned long long)ms, (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++)
		if ((rc = add_slot(c, vm, ms + O(c, K_MS_MEMSLOTS) + i * O(c, K_SLOT_SIZE), as)))
			return rc;
	return VMC_OK;
}

static enum vmc_status read_memslots(struct ctx *c, struct vmc_kvm_vm *vm)
{
	uint64_t nas = c->o.v[K_KVM_MEMSLOTS_N] ? c->o.v[K_KVM_MEMSLOTS_N] : 1;
	enum vmc_status rc;

	if (nas > 4)
		return vmc_fail(c->d, VMC_ERR_CORRUPT, "struct kvm: %llu address spaces", (unsigned long long)nas);
	for (unsigned as = 0; as < nas; as++) {
		uint64_t ms;
		if ((rc = rd64(c, vm->kvm_va + O(c, K_KVM_MEMSLOTS) + 8ull * as, &ms)))
			return vmc_wrap(c->d, rc, "kvm->memslots[%u]", as);
		if (!ms)
			continue;
		rc = c->o.have[K_MS_GFN_TREE] ? slots_tree(c, vm, ms, as) : slots_array(c, vm, ms, as);
		if (rc)
			return vmc_wrap(c->d, rc, "kvm->memslots[%u]", as);
	}
	return VMC_OK;
}

/* ---- vCPUs ---- */

static enum vmc_status add_vcpu(struct ctx *c, struct vmc_kvm_vm *vm, uint64_t vcpu_va)
{
	struct vmc_kvm_vcpu_state s;
	uint32_t id;
	uint64_t v;
	enum vmc_status rc;
	struct vmc_diag tmp;

	memset(&s, 0, sizeof(s));
	if ((rc = rd32(c, vcpu_va + O(c, K_VCPU_ID), &id)))
		return vmc_wrap(c->d, rc, "vcpu at 0x%llx", (unsigned long long)vcpu_va);
	s.vcpu_id = (int)id;
	vmc_diag_init(&tmp);
	if (c->o.have[K_VCPU_REGS]) {
		uint64_t n = O(c, K_VCPU_REGS_N), regs[17] = { 0 };
		if (n > 17)
			n = 17;
		if (!vmc_lkmem_read(&c->km, vcpu_va + O(c, K_VCPU_REGS), regs, n * 8, &tmp)) {
			memcpy(s.regs, regs, 16 * 8);
			if (n >= 17) /* VCPU_REGS_RIP follows R15 */
				s.rip = regs[16];
		}
	}
	if (c->o.have[K_VCPU_REGS_AVAIL]) {
		uint64_t sz = O(c, K_VCPU_REGS_AVAIL_SZ);
		v = 0;
		if (!vmc_lkmem_read(&c->km, vcpu_va + O(c, K_VCPU_REGS_AVAIL), &v, sz == 4 ? 4 : 8, &tmp))
			s.regs_avail = v;
	}
	{
		static const enum key ck[5] = { K_VCPU_CR0, K_VCPU_CR2, K_VCPU_CR3, K_VCPU_CR4, K_VCPU_EFER };
		uint64_t *dst[5] = { &s.cr0, &s.cr2, &s.cr3, &s.cr4, &s.efer };
		for (int i = 0; i < 5; i++)
			if (c->o.have[ck[i]])
				vmc_lkmem_read_u64(&c->km, vcpu_va + O(c, ck[i]), dst[i], &tmp);
	}
	if (c->o.have[K_VCPU_MMU] && !vmc_lkmem_read_u64(&c->km, vcpu_va + O(c, K_VCPU_MMU), &v, &tmp) && v) {
		if (c->o.have[K_MMU_ROOT_HPA])
			vmc_lkmem_read_u64(&c->km, v + O(c, K_MMU_ROOT_HPA), &s.tdp_root_hpa, &tmp);
		else if (c->o.have[K_MMU_ROOT_HPA_OLD])
			vmc_lkmem_read_u64(&c->km, v + O(c, K_MMU_ROOT_HPA_OLD), &s.tdp_root_hpa, &tmp);
		if (s.tdp_root_hpa == ~0ull) /* INVALID_PAGE */
			s.tdp_root_hpa = 0;
	}
	if (c->amd && c->o.have[K_SVM_VCPU]) {
		uint64_t svm = vcpu_va - O(c, K_SVM_VCPU), info;
		if (c->o.have[K_SVM_CURRENT_VMCB] && c->o.have[K_VMCBINFO_PA] &&
		    !vmc_lkmem_read_u64(&c->km, svm + O(c, K_SVM_CURRENT_VMCB), &info, &tmp) && info)
			vmc_lkmem_read_u64(&c->km, info + O(c, K_VMCBINFO_PA), &s.vmcb_pa, &tmp);
		if (!s.vmcb_pa && c->o.have[K_SVM_VMCB01_PA])
			vmc_lkmem_read_u64(&c->km, svm + O(c, K_SVM_VMCB01_PA), &s.vmcb_pa, &tmp);
		if (!s.vmcb_pa && c->o.have[K_SVM_VMCB_PA_OLD]) /* before 5.12 */
			vmc_lkmem_read_u64(&c->km, svm + O(c, K_SVM_VMCB_PA_OLD), &s.vmcb_pa, &tmp);
		if (!s.vmcb_pa && c->o.have[K_SVM_VMCB] && !vmc_lkmem_read_u64(&c->km, svm + O(c, K_SVM_VMCB), &v, &tmp) && v)
			vmc_lkmem_v2p(&c->km, v, &s.vmcb_pa, &tmp);
		if (s.vmcb_pa & 0xfff) {
			warn(c, "vcpu at 0x%llx: VMCB address 0x%llx is not page aligned: ignored", (unsigned long long)vcpu_va,
			     (unsigned long long)s.vmcb_pa);
			s.vmcb_pa = 0;
		}
	}
	if (c->intel && c->o.have[K_VMX_VCPU] && c->o.have[K_VMX_LOADED_VMCS] && c->o.have[K_LVMCS_VMCS]) {
		uint64_t vmx = vcpu_va - O(c, K_VMX_VCPU), lv;
		if (!vmc_lkmem_read_u64(&c->km, vmx + O(c, K_VMX_LOADED_VMCS), &lv, &tmp) && lv &&
		    !vmc_lkmem_read_u64(&c->km, lv + O(c, K_LVMCS_VMCS), &v, &tmp) && v)
			vmc_lkmem_v2p(&c->km, v, &s.vmcs_pa, &tmp);
	}
	if (tmp.status)
		warn(c, "vcpu %d at 0x%llx: some state not readable: %s", s.vcpu_id, (unsigned long long)vcpu_va, tmp.msg);
	if (vm->nvcpus >= MAX_VCPUS)
		return vmc_fail(c->d, VMC_ERR_LIMIT, "VM 0x%llx: more than %u vCPUs", (unsigned long long)vm->kvm_va, MAX_VCPUS);
	if ((vm->nvcpus & (vm->nvcpus - 1)) == 0) {
		struct vmc_kvm_vcpu_state *n = realloc(vm->vcpus, (vm->nvcpus ? vm->nvcpus * 2 : 4) * sizeof(*n));
		if (!n)
			return vmc_fail(c->d, VMC_ERR_NOMEM, "out of memory");
		vm->vcpus = n;
	}
	vm->vcpus[vm->nvcpus++] = s;
	return VMC_OK;
}

static bool xa_is_node(uint64_t e)
{
	return (e & 3) == 2 && e > 4096;
}

static enum vmc_status xa_walk(struct ctx *c, struct vmc_kvm_vm *vm, uint64_t entry, unsigned depth, unsigned *nodes)
{
	enum vmc_status rc;

	if (!entry)
		return VMC_OK;
	if (!xa_is_node(entry)) {
		if ((entry & 3) == 2) /* another internal entry (retry, sibling, zero): no vCPU */
			return VMC_OK;
		return add_vcpu(c, vm, entry);
	}
	if (depth > 12 || ++*nodes > MAX_XA_NODES)
		return vmc_fail(c->d, VMC_ERR_LIMIT, "vcpu_array of VM 0x%llx: xarray too deep or too large (a loop?)",
				(unsigned long long)vm->kvm_va);
	{
		uint64_t node = entry - 2, n = O(c, K_XAN_SLOTS_N), slots[64];
		uint8_t shift;
		if (n > 64)
			n = 64;
		if ((rc = vmc_lkmem_read(&c->km, node + O(c, K_XAN_SHIFT), &shift, 1, c->d)) ||
		    (rc = vmc_lkmem_read(&c->km, node + O(c, K_XAN_SLOTS), slots, n * 8, c->d)))
			return vmc_wrap(c->d, rc, "xa_node 0x%llx of VM 0x%llx", (unsigned long long)node, (unsigned long long)vm->kvm_va);
		for (uint64_t i = 0; i < n; i++) {
			if (xa_is_node(slots[i]) && shift == 0)
				continue; /* a leaf node cannot point at nodes */
			if ((rc = xa_walk(c, vm, slots[i], depth + 1, nodes)))
				return rc;
		}
	}
	return VMC_OK;
}

static enum vmc_status read_vcpus(struct ctx *c, struct vmc_kvm_vm *vm)
{
	enum vmc_status rc;

	if (c->o.have[K_KVM_VCPU_ARRAY]) {
		uint64_t head;
		unsigned nodes = 0;
		if ((rc = rd64(c, vm->kvm_va + O(c, K_KVM_VCPU_ARRAY) + O(c, K_XA_HEAD), &head)))
			return vmc_wrap(c->d, rc, "kvm->vcpu_array");
		return xa_walk(c, vm, head, 0, &nodes);
	}
	for (uint64_t i = 0; i < O(c, K_KVM_VCPUS_N) && i < MAX_VCPUS; i++) {
		uint64_t p;
		if ((rc = rd64(c, vm->kvm_va + O(c, K_KVM_VCPUS) + 8 * i, &p)))
			return vmc_wrap(c->d, rc, "kvm->vcpus[%llu]", (unsigned long long)i);
		if (p && (rc = add_vcpu(c, vm, p)))
			return rc;
	}
	return VMC_OK;
}

/* ---- VMs ---- */

/* QEMU's -name from the VMM's command line (mm->arg_start..arg_end, through its own page
 * tables); best effort: without it the VM keeps the kernel's "kvm-<pid>". */
static void read_vmm_name(struct ctx *c, struct vmc_kvm_vm *vm, uint64_t mm)
{
	struct vmc_pt pt = { .pm = &c->km.pm, .format = VMC_PT_X86_64, .levels = vm->pgtable_levels,
			     .root = vm->pgd_pa, .addr_mask = c->km.kpt.addr_mask };
	uint64_t start, end;
	char args[4096];
	size_t n = 0;
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if (!c->o.have[K_MM_ARG_START] || !c->o.have[K_MM_ARG_END] ||
	    vmc_lkmem_read_u64(&c->km, mm + O(c, K_MM_ARG_START), &start, &tmp) ||
	    vmc_lkmem_read_u64(&c->km, mm + O(c, K_MM_ARG_END), &end, &tmp) || end <= start)
		return;
	if (end - start > sizeof(args))
		end = start + sizeof(args); /* -name comes early; a longer line is cut */
	while (start + n < end) {
		uint64_t va = start + n, pa;
		size_t k = 4096 - (va & 4095) < end - va ? 4096 - (va & 4095) : end - va;
		if (vmc_pt_translate(&pt, va, &pa, NULL, &tmp) || vmc_physmem_read(&c->km.pm, pa, args + n, k, &tmp))
			break;
		n += k;
	}
	if (vmc_qemu_cmdline_name(args, n, vm->vmm_name, sizeof(vm->vmm_name)))
		rep(&c->r, "vm.0x%llx.vmm_name=%s", (unsigned long long)vm->kvm_va, vm->vmm_name);
}

static enum vmc_status read_vm(struct ctx *c, struct vmc_kvm_vm *vm)
{
	uint64_t mm, pgd_va;
	enum vmc_status rc;
	struct vmc_diag tmp;

	vm->pgtable_levels = c->km.levels;
	vmc_diag_init(&tmp);
	if (c->o.have[K_KVM_PID]) {
		uint32_t pid;
		if (!vmc_lkmem_read_u32(&c->km, vm->kvm_va + O(c, K_KVM_PID), &pid, &tmp))
			vm->userspace_pid = (int)pid;
	}
	if (c->o.have[K_KVM_STATS_ID]) {
		size_t n = c->o.have[K_KVM_STATS_ID_LEN] && O(c, K_KVM_STATS_ID_LEN) < sizeof(vm->stats_id) ? O(c, K_KVM_STATS_ID_LEN)
													   : sizeof(vm->stats_id) - 1;
		if (!vmc_lkmem_read(&c->km, vm->kvm_va + O(c, K_KVM_STATS_ID), vm->stats_id, n, &tmp))
			vm->stats_id[n] = '\0';
		for (size_t i = 0; vm->stats_id[i]; i++)
			if ((unsigned char)vm->stats_id[i] < 0x20 || (unsigned char)vm->stats_id[i] >= 0x7f)
				vm->stats_id[i] = '?';
	}
	if ((rc = rd64(c, vm->kvm_va + O(c, K_KVM_MM), &mm)) || (rc = rd64(c, mm + O(c, K_MM_PGD), &pgd_va)))
		return vmc_wrap(c->d, rc, "VM 0x%llx: kvm->mm->pgd", (unsigned long long)vm->kvm_va);
	if ((rc = vmc_lkmem_v2p(&c->km, pgd_va, &vm->pgd_pa, c->d)))
		return vmc_wrap(c->d, rc, "VM 0x%llx: mm->pgd", (unsigned long long)vm->kvm_va);
	if (vm->pgd_pa & 0xfff)
		return vmc_fail(c->d, VMC_ERR_CORRUPT, "VM 0x%llx: mm->pgd 0x%llx is not page aligned", (unsigned long long)vm->kvm_va,
				(unsigned long long)pgd_va);
	read_vmm_name(c, vm, mm);
	if ((rc = read_memslots(c, vm)))
		return vmc_wrap(c->d, rc, "VM 0x%llx", (unsigned long long)vm->kvm_va);
	if ((rc = read_vcpus(c, vm))) {
		/* the memslots are the main result: keep the VM, say what is missing */
		warn(c, "VM 0x%llx (pid %d): vCPUs: %s", (unsigned long long)vm->kvm_va, vm->userspace_pid, c->d->msg);
		vmc_diag_clear(c->d);
	}
	return VMC_OK;
}

static enum vmc_status walk_vm_list(struct ctx *c, uint64_t head, struct vmc_kvm_host *out)
{
	uint64_t node;
	enum vmc_status rc;

	if ((rc = rd64(c, head, &node)))
		return vmc_wrap(c->d, rc, "vm_list at 0x%llx", (unsigned long long)head);
	for (unsigned i = 0; node != head; i++) {
		struct vmc_kvm_vm *vm;
		if (i >= MAX_VMS) {
			snprintf(out->incomplete, sizeof(out->incomplete), "vm_list at 0x%llx: more than %u VMs (a loop?)",
				 (unsigned long long)head, MAX_VMS);
			warn(c, "%s", out->incomplete);
			return VMC_OK;
		}
		if ((out->nvms & (out->nvms - 1)) == 0) {
			struct vmc_kvm_vm *n = realloc(out->vms, (out->nvms ? out->nvms * 2 : 4) * sizeof(*n));
			if (!n)
				return vmc_fail(c->d, VMC_ERR_NOMEM, "out of memory");
			out->vms = n;
		}
		for (unsigned j = 0; j < out->nvms; j++)
			if (out->vms[j].kvm_va == node - O(c, K_KVM_VM_LIST)) {
				snprintf(out->incomplete, sizeof(out->incomplete),
					 "vm_list at 0x%llx loops back to VM 0x%llx without reaching its head",
					 (unsigned long long)head, (unsigned long long)out->vms[j].kvm_va);
				warn(c, "%s", out->incomplete);
				return VMC_OK;
			}
		vm = &out->vms[out->nvms++];
		memset(vm, 0, sizeof(*vm));
		vm->kvm_va = node - O(c, K_KVM_VM_LIST);
		if ((rc = read_vm(c, vm))) {
			if (rc == VMC_ERR_NOMEM)
				return rc;
			/* one unreadable VM does not hide the others */
			snprintf(vm->error, sizeof(vm->error), "%.199s", c->d->msg);
			warn(c, "VM 0x%llx: %s", (unsigned long long)vm->kvm_va, c->d->msg);
			vmc_diag_clear(c->d);
		}
		if ((rc = rd64(c, node, &node))) {
			snprintf(out->incomplete, sizeof(out->incomplete), "vm_list broken after VM 0x%llx: %.150s",
				 (unsigned long long)vm->kvm_va, c->d->msg);
			warn(c, "%s", out->incomplete);
			vmc_diag_clear(c->d);
			return VMC_OK;
		}
	}
	return VMC_OK;
}

static void report_offs(struct ctx *c, const char *prefix, const struct offs *o)
{
	for (int k = 0; k < K_N; k++)
		if (o->have[k])
			rep(&c->r, "%s%s=0x%llx", prefix, specs[k].name, (unsigned long long)o->v[k]);
}

/* Compare the two providers' answers; returns the number of disagreements. */
static unsigned cross_check(struct ctx *c, const struct offs *a, const struct offs *b, unsigned *agree)
{
	unsigned bad = 0;

	*agree = 0;
	for (int k = 0; k < K_N; k++) {
		if (a->have[k] && b->have[k] && a->v[k] == b->v[k])
			(*agree)++;
		else if (a->have[k] != b->have[k] || a->v[k] != b->v[k]) {
			char va[32] = "absent", vb[32] = "absent";
			if (a->have[k])
				snprintf(va, sizeof(va), "0x%llx", (unsigned long long)a->v[k]);
			if (b->have[k])
				snprintf(vb, sizeof(vb), "0x%llx", (unsigned long long)b->v[k]);
			rep(&c->r, "disagree.%s=BTF:%s DWARF:%s", specs[k].name, va, vb);
			warn(c, "struct layout: BTF and DWARF disagree on %s (BTF %s, DWARF %s)", specs[k].name, va, vb);
			bad++;
		}
	}
	return bad;
}

static void ctx_free(struct ctx *c)
{
	vmc_lmods_free(&c->mods);
	for (int i = 0; i < 3; i++)
		vmc_btf_free(c->mod_btf[i]);
	vmc_btf_free(c->vmlinux_btf);
	vmc_kallsyms_free(&c->ks);
	if (c->dwarf)
		vmc_ldwarf_close(c->dwarf);
	vmc_lkmem_fini(&c->km);
}

/* The BTF route: vmlinux BTF from the image, module BTF from the module list. */
static void setup_btf(struct ctx *c)
{
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if (load_vmlinux_btf(c, &tmp)) {
		rep(&c->r, "btf.vmlinux=unavailable: %s", tmp.msg);
		return;
	}
	c->btfset.vmlinux = c->vmlinux_btf;
	vmc_btf_set_types(&c->btfset, &c->btf_types);
	c->have_btf = true;
}

static void add_module_btf(struct ctx *c)
{
	static const char *const mod_names[3] = { "kvm", "kvm_amd", "kvm_intel" };

	for (int i = 0; i < 3; i++) {
		const struct vmc_lmod *m = vmc_lmods_get(&c->mods, mod_names[i]);
		struct vmc_diag tmp;
		vmc_diag_init(&tmp);
		if (!m)
			continue;
		if (!m->btf_blob) {
			rep(&c->r, "btf.%s=unavailable: %s", m->name, m->btf_where);
			continue;
		}
		/* no copy: c->mods holds the blob as long as c->mod_btf[i] lives */
		if (vmc_btf_parse_view(m->btf_blob, m->btf_len, c->vmlinux_btf, &c->mod_btf[i], &tmp)) {
			warn(c, "module %s: BTF from %s: %s", m->name, m->btf_where, tmp.msg);
			continue;
		}
		snprintf(c->btfset.mods[c->btfset.nmods].name, sizeof(c->btfset.mods[0].name), "%s", m->name);
		c->btfset.mods[c->btfset.nmods++].btf = c->mod_btf[i];
		rep(&c->r, "btf.%s=%s types=%u", m->name, m->btf_where, c->mod_btf[i]->ntypes);
	}
}

/* kallsyms (unless a test turns it off) and DWARF from the debuginfo directory: at least one. */
static enum vmc_status load_symbols(struct ctx *c, const char *debuginfo_dir, unsigned flags, struct vmc_diag *d)
{
	struct vmc_diag tmp;
	enum vmc_status rc;

	vmc_diag_init(&tmp);
	if (flags & VMC_LKVM_NO_KALLSYMS) {
		vmc_fail(&tmp, VMC_ERR_NOTFOUND, "not used (test flag)");
		rep(&c->r, "kallsyms=not used");
	} else if (!vmc_kallsyms_load(&c->km, &c->ks, &tmp)) {
		c->have_ks = true;
		vmc_kallsyms_lookup_many(&c->ks, early_syms, 5, c->early_va, c->early_found);
		rep(&c->r, "kallsyms=%u symbols, %s addresses, %u checked against VMCOREINFO", c->ks.n,
		    c->ks.mode == VMC_KSYMS_ABS_PERCPU ? "absolute-percpu" : "relative", c->ks.checked);
	} else {
		rep(&c->r, "kallsyms=unavailable: %s", tmp.msg);
	}
	if (debuginfo_dir) {
		vmc_diag_init(&tmp);
		if ((rc = vmc_ldwarf_open(debuginfo_dir, &c->km, &c->dwarf, d)))
			return rc;
		vmc_ldwarf_types(c->dwarf, &c->dwarf_types);
		rep(&c->r, "dwarf=%s", debuginfo_dir);
	}
	if (!c->have_ks && !c->dwarf)
		return vmc_fail(d, VMC_ERR_MISSING, "no kernel symbols: %s", tmp.msg);
	return VMC_OK;
}

/* vmlinux BTF, then the module list (read with vmlinux's layouts) and kvm's vm_list. */
static enum vmc_status load_modules(struct ctx *c, struct vmc_dump *host, unsigned flags, uint64_t *vm_list,
				    struct vmc_diag *d)
{
	static const char *const want[] = { "kvm", "kvm_amd", "kvm_intel", NULL };
	const struct vmc_lmod *kvm;
	uint64_t modules_va, btf_modules_va;
	enum vmc_status rc;

	if (!(flags & VMC_LKVM_NO_BTF))
		setup_btf(c);
	if (!c->have_btf && !c->dwarf)
		return vmc_fail(d, VMC_ERR_NOTFOUND, "%s: no struct layouts: the kernel's BTF is not in the dump and no --host-debuginfo was given",
				host->name);
	/* the module list's layout is vmlinux's: BTF from the dump when there, else DWARF */
	if (!vmlinux_symbol(c, "modules", &modules_va))
		return vmc_fail(d, VMC_ERR_NOTFOUND, "%s: the kernel has no 'modules' symbol", host->name);
	if (!vmlinux_symbol(c, "btf_modules", &btf_modules_va))
		btf_modules_va = 0;
	if ((rc = vmc_lmods_load(&c->km, modules_va, btf_modules_va, c->have_btf ? &c->btf_types : &c->dwarf_types, want,
				 &c->mods, d)))
		return rc;
	rep(&c->r, "modules=%u listed", c->mods.listed);
	if (!(kvm = vmc_lmods_get(&c->mods, "kvm")))
		return vmc_fail(d, VMC_ERR_NOTFOUND, "%s: the kvm module is not loaded (%u modules listed)", host->name,
				c->mods.listed);
	c->amd = vmc_lmods_get(&c->mods, "kvm_amd") != NULL;
	c->intel = vmc_lmods_get(&c->mods, "kvm_intel") != NULL;
	for (unsigned i = 0; i < c->mods.n; i++)
		rep(&c->r, "module.%s=0x%llx symbols=%u", c->mods.mods[i].name, (unsigned long long)c->mods.mods[i].mod_va,
		    c->mods.mods[i].nsyms);
	if (!vmc_lmod_symbol(kvm, "vm_list", vm_list))
		return vmc_fail(d, VMC_ERR_NOTFOUND, "%s: module kvm has no vm_list symbol", host->name);
	rep(&c->r, "symbol.vm_list=0x%llx", (unsigned long long)*vm_list);
	return VMC_OK;
}

/* The offsets in c->o from BTF or DWARF, cross-checked when both answer; out->source says which. */
static enum vmc_status load_layouts(struct ctx *c, struct vmc_dump *host, const char *debuginfo_dir,
				    struct vmc_kvm_host *out, struct vmc_diag *d)
{
	const struct vmc_ltypes *ty = NULL;
	struct offs dwarf_offs;
	bool have_dwarf_offs = false;
	struct vmc_diag tmp;
	enum vmc_status rc;

	vmc_diag_init(&tmp);
	if (c->have_btf) {
		add_module_btf(c);
		vmc_diag_init(&tmp);
		if (!vmc_lmods_get(&c->mods, "kvm") || !c->btfset.nmods || strcmp(c->btfset.mods[0].name, "kvm"))
			rep(&c->r, "btf.route=unavailable: no BTF for module kvm");
		else if (fill_offs(&c->btf_types, c->amd, c->intel, &c->o, &tmp))
			rep(&c->r, "btf.route=unavailable: %s", tmp.msg);
		else
			ty = &c->btf_types;
	}
	if (c->dwarf) {
		vmc_diag_init(&tmp);
		if ((rc = fill_offs(&c->dwarf_types, c->amd, c->intel, &dwarf_offs, &tmp))) {
			if (!ty)
				return vmc_fail(d, rc, "DWARF in %s: %s", debuginfo_dir, tmp.msg);
			warn(c, "DWARF in %s: %s", debuginfo_dir, tmp.msg);
		} else {
			have_dwarf_offs = true;
		}
	}
	if (ty && have_dwarf_offs) {
		unsigned agree, bad = cross_check(c, &c->o, &dwarf_offs, &agree);
		snprintf(out->source, sizeof(out->source), "BTF in the dump; DWARF %s (%u agree, %u differ)",
			 bad ? "disagrees" : "agrees", agree, bad);
	} else if (ty) {
		snprintf(out->source, sizeof(out->source), "BTF in the dump");
	} else if (have_dwarf_offs) {
		c->o = dwarf_offs;
		snprintf(out->source, sizeof(out->source), "DWARF in %.80s", debuginfo_dir);
	} else {
		return vmc_fail(d, VMC_ERR_NOTFOUND, "%s: no struct layouts for kvm: %s", host->name, tmp.msg);
	}
	rep(&c->r, "source=%s", out->source);
	report_offs(c, "", &c->o);
	return VMC_OK;
}

enum vmc_status vmc_linux_kvm_find(struct vmc_dump *host, const char *debuginfo_dir, struct vmc_kvm_host *out,
				   struct vmc_diag *d)
{
	return vmc_linux_kvm_find_flags(host, debuginfo_dir, 0, out, d);
}

enum vmc_status vmc_linux_kvm_find_flags(struct vmc_dump *host, const char *debuginfo_dir, unsigned flags,
					 struct vmc_kvm_host *out, struct vmc_diag *d)
{
	struct ctx *c;
	enum vmc_status rc;
	uint64_t vm_list;

	memset(out, 0, sizeof(*out));
	if (!(c = calloc(1, sizeof(*c))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	c->d = d;
	if (!(rc = vmc_lkmem_init(&c->km, host, d)) && !(rc = load_symbols(c, debuginfo_dir, flags, d)) &&
	    !(rc = load_page_offset_base(c)) && !(rc = load_modules(c, host, flags, &vm_list, d)) &&
	    !(rc = load_layouts(c, host, debuginfo_dir, out, d)) && !(rc = walk_vm_list(c, vm_list, out)))
		rep(&c->r, "vms=%u", out->nvms);
	out->report = c->r.report;
	out->report_len = c->r.report_len;
	ctx_free(c);
	free(c);
	if (rc) {
		/* keep the report (what was found before the failure) for list -v */
		char *rpt = out->report;
		size_t rlen = out->report_len;
		out->report = NULL;
		vmc_linux_kvm_free(out);
		out->report = rpt;
		out->report_len = rlen;
	}
	return rc;
}

void vmc_linux_kvm_free(struct vmc_kvm_host *h)
{
	for (unsigned i = 0; i < h->nvms; i++) {
		free(h->vms[i].slots);
		free(h->vms[i].vcpus);
	}
	free(h->vms);
	free(h->report);
	memset(h, 0, sizeof(*h));
}

/* ---- the VMM's page tables ---- */

#define PAGE_PRESENT 0x1ull
#define PAGE_PSE 0x80ull
#define PAGE_PROTNONE 0x100ull /* _PAGE_GLOBAL reused for PROT_NONE when not present */

struct uva_arg {
	uint64_t mask;
	uint64_t lo, hi;   /* clip leaves to the range asked for */
	vmc_pt_leaf_fn *cb;
	void *arg;
};

static enum vmc_status uva_clip(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	const struct uva_arg *a = arg;
	uint64_t end = va + size;

	if (va < a->lo) {
		pa += a->lo - va;
		va = a->lo;
	}
	if (end > a->hi)
		end = a->hi;
	if (va >= end)
		return VMC_OK;
	return a->cb(va, pa, end - va, entry, a->arg);
}

/* Linux's present test: PRESENT, or PROT_NONE (and PSE on a huge PMD/PUD mid-split); a
 * non-present such entry stores its PFN inverted (L1TF mitigation, pgtable-invert.h). */
static bool uva_entry_ok(uint64_t e, unsigned level, bool leaf, uint64_t *pa, void *arg)
{
	const struct uva_arg *a = arg;
	uint64_t span = 1ull << (12 + 9 * (level - 1)), flags = PAGE_PRESENT | PAGE_PROTNONE;

	if (!leaf)
		return e & PAGE_PRESENT;
	if (level > 1)
		flags |= PAGE_PSE;
	if (!(e & flags))
		return false; /* none, or a swap/migration entry: the page is not in memory */
	if (e & PAGE_PRESENT)
		*pa = e & a->mask;
	else
		*pa = ~e & a->mask;
	*pa &= ~(span - 1); /* large leaves: bit 12 is PAT */
	return true;
}

enum vmc_status vmc_linux_uva_walk(struct vmc_physmem *pm, uint64_t pgd_pa, unsigned levels, uint64_t uva_lo,
				   uint64_t uva_hi, vmc_pt_leaf_fn *cb, void *arg, struct vmc_pt_stats *st,
				   struct vmc_diag *d)
{
	struct vmc_note vi;
	struct uva_arg a = { 0x000ffffffffff000ull, uva_lo, uva_hi, cb, arg };
	struct vmc_pt pt;
	uint64_t sme = 0, top = levels == 5 ? 1ull << 56 : 1ull << 47;

	if (levels != 4 && levels != 5)
		return vmc_fail(d, VMC_ERR_ARGS, "user page tables with %u levels", levels);
	if (vmc_notes_find(pm->dump->notes, pm->dump->notes_len, "VMCOREINFO", &vi) && vi.desc &&
	    vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(sme_mask)", 10, &sme))
		a.mask &= ~sme;
	if (uva_hi == 0 || uva_hi > top)
		uva_hi = top; /* user half only */
	if (uva_lo >= uva_hi)
		return VMC_OK;
	a.lo = uva_lo;
	a.hi = uva_hi;
	memset(&pt, 0, sizeof(pt));
	pt.pm = pm;
	pt.format = VMC_PT_X86_64;
	pt.levels = levels;
	pt.root = pgd_pa & a.mask;
	pt.addr_mask = a.mask;
	pt.entry_ok = uva_entry_ok;
	pt.entry_arg = &a;
	return vmc_pt_walk(&pt, uva_lo, uva_hi, uva_clip, &a, st, d);
}
