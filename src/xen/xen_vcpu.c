/* xen_vcpu.c: which copy of a PV vCPU's registers is the live one. Xen saves a vCPU's
 * registers in vcpu.arch.user_regs when it switches away from it; while a vCPU is loaded on a
 * pCPU (per_cpu(curr_vcpu), also during a lazy switch to idle) its registers are in that
 * pCPU's struct cpu_info at the top of the pCPU's stack (guest_cpu_user_regs), or, when the
 * pCPU was executing the guest itself at dump time (a whole-machine dump), in the pCPU's own
 * registers (the QEMU CPU note). Finding curr_vcpu and the stacks needs Xen's symbols
 * (per_cpu__curr_vcpu, __per_cpu_offset, stack_base: --xen-syms or Xen's embedded table). */
#include <stdio.h>
#include <string.h>

#include "xen_host.h"

#define STACK_SIZE 0x8000ull /* PAGE_SIZE << STACK_ORDER (3), every Xen 4.x */
#define UREGS_SIZE 200
#define CPUINFO_SCAN 0x400   /* cpu_info (guest_cpu_user_regs first) ends at the stack top */
#define XEN_CS 0xe008        /* __HYPERVISOR_CS: a pCPU in Xen, not in a guest */

/* struct cpu_info { struct cpu_user_regs guest_cpu_user_regs; unsigned int processor_id;
 * unsigned int verw_sel; struct vcpu *current_vcpu; unsigned long per_cpu_offset; ... } at the
 * top of each pCPU's stack (xen/arch/x86/include/asm/current.h, 4.x): found whatever the
 * guest type by its processor_id and per_cpu_offset, which this pCPU's entries must hold.
 * Returns the distance of guest_cpu_user_regs from the stack top, 0 when none matches. */
static unsigned cpu_info_at(const uint8_t *top, unsigned c, uint64_t pco)
{
	for (unsigned k = UREGS_SIZE + 24; k <= CPUINFO_SCAN; k += 8) {
		const uint8_t *b = top + CPUINFO_SCAN - k;
		uint32_t id;
		uint64_t off;
		memcpy(&id, b + UREGS_SIZE, 4);
		memcpy(&off, b + UREGS_SIZE + 16, 8);
		if (id == c && off == pco)
			return k;
	}
	return 0;
}

/* An HVM/PVH vCPU loaded on pCPU c: the pCPU's own registers when a whole-machine dump caught
 * it executing the guest (not in Xen's code segment), else the GPRs Xen saved at the last
 * VM exit in cpu_info (rip/rsp/rax/rflags of that exit are in the VMCB: xen_hvm_vcpu.c). */
static void hvm_live(struct xen_host *x, struct xen_domain *dom, unsigned v, unsigned c, const uint8_t *top,
		     unsigned k)
{
	if (x->qemu_regs_valid[c] && (x->qemu_regs[c][17] & 0xffff) != XEN_CS) {
		memcpy(dom->vcpu_live[v], x->qemu_regs[c], sizeof(dom->vcpu_live[v]));
		dom->vcpu_live_ok[v] = dom->vcpu_live_in_guest[v] = true;
		snprintf(dom->vcpu_live_src[v], sizeof(dom->vcpu_live_src[v]), "pcpu%u registers (CPU note, in guest)", c);
		return;
	}
	if (!k) {
		vmc_hv_warn(x->hv, "pcpu%u runs domain %u vCPU %u but its struct cpu_info was not found at the stack top", c,
			    dom->domid, v);
		return;
	}
	memcpy(dom->vcpu_live[v], top + CPUINFO_SCAN - k, sizeof(dom->vcpu_live[v]));
	dom->vcpu_live_ok[v] = true;
	snprintf(dom->vcpu_live_src[v], sizeof(dom->vcpu_live_src[v]), "pcpu%u cpu_info (stack top - 0x%x)", c, k);
}

static bool pv_regs(const uint64_t *r)
{
	/* cs/ss: Xen's flat ring-3 selectors, which a PV64 kernel and its user space both use */
	return (r[17] & 0xffff) == 0xe033 && (r[20] & 0xffff) == 0xe02b && (r[18] & 2) && !(r[18] >> 32);
}

static struct xen_domain *owner_of(struct xen_domain *doms, unsigned n, uint64_t vcpu_va, unsigned *v)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < doms[i].nvcpu; k++)
			if (doms[i].vcpu_va[k] == vcpu_va) {
				*v = k;
				return &doms[i];
			}
	return NULL;
}

void vmc_xen_vcpus_locate(struct xen_host *x, struct xen_domain *doms, unsigned n)
{
	uint64_t sym_curr, sym_pco, sym_stacks;

	x->vcpu_running_known = false;
	if (!x->has_syms || !vmc_xen_syms_get(&x->syms, "per_cpu__curr_vcpu", &sym_curr) ||
	    !vmc_xen_syms_get(&x->syms, "__per_cpu_offset", &sym_pco) || !vmc_xen_syms_get(&x->syms, "stack_base", &sym_stacks)) {
		vmc_hv_report(x->hv, "vcpu.running=unknown (needs per_cpu__curr_vcpu, __per_cpu_offset, stack_base: --xen-syms, as the dump's Xen has no usable embedded symbol table)");
		return;
	}
	x->vcpu_running_known = true;
	for (unsigned c = 0; c < x->npcpu_cr3; c++) {
		uint64_t pco, curr, stack, r[UREGS_SIZE / 8];
		unsigned v = 0;
		struct xen_domain *dom;
		struct vmc_diag tmp;
		uint8_t top[CPUINFO_SCAN];
		unsigned k_info;

		vmc_diag_init(&tmp);
		if (vmc_xen_read_u64(x, sym_pco + 8ull * c, &pco, &tmp) || vmc_xen_read_u64(x, sym_curr + pco, &curr, &tmp)) {
			vmc_hv_warn(x->hv, "pcpu%u: curr_vcpu unreadable: %s", c, tmp.msg);
			continue;
		}
		vmc_hv_report(x->hv, "pcpu%u.curr_vcpu=0x%llx", c, (unsigned long long)curr);
		if (!(dom = owner_of(doms, n, curr, &v)))
			continue; /* the idle vCPU: no guest state loaded there */
		dom->vcpu_running[v] = true;
		if (vmc_xen_domain_is_pv(dom) && x->qemu_regs_valid[c] && (x->qemu_regs[c][17] & 3) == 3) {
			/* the pCPU was in the guest when the machine stopped */
			memcpy(dom->vcpu_live[v], x->qemu_regs[c], sizeof(dom->vcpu_live[v]));
			dom->vcpu_live_ok[v] = pv_regs(dom->vcpu_live[v]);
			snprintf(dom->vcpu_live_src[v], sizeof(dom->vcpu_live_src[v]), "pcpu%u registers (CPU note)", c);
			continue;
		}
		if (vmc_xen_read_u64(x, sym_stacks + 8ull * c, &stack, &tmp) || !vmc_xen_is_directmap(x, stack) ||
		    vmc_xen_read(x, stack + STACK_SIZE - CPUINFO_SCAN, top, sizeof(top), &tmp)) {
			vmc_hv_warn(x->hv, "pcpu%u: stack unreadable; domain %u vCPU %u registers unknown", c, dom->domid, v);
			continue;
		}
		if ((k_info = cpu_info_at(top, c, pco)))
			vmc_hv_report(x->hv, "pcpu%u.cpu_info=0x%llx (processor_id, per_cpu_offset match)", c,
				      (unsigned long long)(stack + STACK_SIZE - k_info));
		if (!vmc_xen_domain_is_pv(dom)) {
			hvm_live(x, dom, v, c, top, k_info);
			continue;
		}
		/* guest_cpu_user_regs: the block nearest the top that holds PV selectors */
		for (unsigned k = UREGS_SIZE; k <= CPUINFO_SCAN; k += 8) {
			memcpy(r, top + CPUINFO_SCAN - k, sizeof(r));
			if (pv_regs(r)) {
				memcpy(dom->vcpu_live[v], r, sizeof(r));
				dom->vcpu_live_ok[v] = true;
				snprintf(dom->vcpu_live_src[v], sizeof(dom->vcpu_live_src[v]), "pcpu%u cpu_info (stack top - 0x%x)",
					 c, k);
				break;
			}
		}
		if (!dom->vcpu_live_ok[v])
			vmc_hv_warn(x->hv, "pcpu%u runs domain %u vCPU %u but its stack top holds no guest registers", c,
				    dom->domid, v);
	}
}
