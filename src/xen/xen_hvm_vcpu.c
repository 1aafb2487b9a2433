/* xen_hvm_vcpu.c: the registers of an HVM/PVH vCPU on AMD SVM. Xen keeps them in two places
 * (xen/arch/x86/hvm/svm/): the VMCB (v->arch.hvm.svm.vmcb) holds the segments, descriptor
 * tables, control registers and EFER, and rax/rip/rsp/rflags as of the last VM exit;
 * svm_vmexit_handler copies those four into the vCPU's cpu_user_regs, which also hold every
 * other GPR and which Xen then updates (an emulated HLT advances rip, a hypercall sets rax)
 * and keeps in v->arch.user_regs while the vCPU is descheduled. So, like Xen's own
 * hvm_save_cpu_ctxt (xen-hvmctx, xl dump-core): GPRs and rip/rsp/rflags from user_regs, the
 * rest from the VMCB, CR0-4 and EFER as the guest sees them from arch.hvm.guest_cr[] /
 * guest_efer. A vCPU loaded on a pCPU has its GPRs in that pCPU's cpu_info and rip/rsp/rax/
 * rflags in the VMCB (xen_vcpu.c). Offsets in struct vcpu are found by invariants:
 * the VMCB pointer is a direct-map address followed by its machine address, whose page is a
 * VMCB (EFER.SVME, VMRUN intercepted) with nested paging on this domain's p2m root; user_regs
 * (when no PV vCPU gave it) has the VMCB's rsp and rflags and a rip at most one instruction
 * past the VMCB's. Intel VMX keeps segments in the VMCS, whose layout is not in the dump: not
 * carved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "vmcb.h"
#include "xen_hvm_p2m.h"

#define VCPU_BYTES 4096 /* struct vcpu is one Xen-heap page (alloc_vcpu_struct) */
#define UREGS_SIZE 200
#define UR_RAX 80
#define UR_RIP 128
#define UR_RFLAGS 144
#define UR_RSP 152
#define MAX_INSN 15

struct hvm_vcpu_ctx {
	struct xen_host *x;
	const struct xen_domain *dom;
	const struct xen_hvm_layout *hl;
	struct xen_hvm_vcpu_layout *vl;
	struct vmc_guest *g;
	uint8_t vcpu[VCPU_BYTES];
	uint8_t vmcb[4096];
	uint64_t vmcb_pa;
};

/* A VMCB of this domain: SVM on, VMRUN intercepted, nested paging on its p2m root. */
static bool vmcb_ok(const struct hvm_vcpu_ctx *c, const uint8_t *p)
{
	return (vmc_le64(p + VMCB_EFER) & VMCB_EFER_SVME) && (vmc_le32(p + VMCB_INTERCEPT_W4) & 1) &&
	       (vmc_le64(p + VMCB_MISC_CTL) & 1) && vmc_le64(p + VMCB_NESTED_CR3) >> 12 == c->hl->root_mfn &&
	       !(vmc_le64(p + VMCB_NESTED_CR3) & 0xfff);
}

/* The VMCB behind offset off of the vcpu page: a direct-map pointer whose machine address is
 * the next word. */
static bool vmcb_at(struct hvm_vcpu_ctx *c, uint64_t off)
{
	uint64_t va = vmc_le64(c->vcpu + off), pa = vmc_le64(c->vcpu + off + 8), ma;
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if ((va & 0xfff) || !va || (pa & 0xfff) || !vmc_xen_is_directmap(c->x, va) ||
	    vmc_xen_va_to_ma(c->x, va, &ma, &tmp) || ma != pa || vmc_physmem_read(&c->x->pm, pa, c->vmcb, 4096, &tmp))
		return false;
	c->vmcb_pa = pa;
	return vmcb_ok(c, c->vmcb);
}

static bool find_vmcb(struct hvm_vcpu_ctx *c)
{
	if (c->vl->off_vmcb)
		return vmcb_at(c, c->vl->off_vmcb);
	for (uint64_t off = 64; off + 16 <= VCPU_BYTES; off += 8)
		if (vmcb_at(c, off)) {
			c->vl->off_vmcb = off;
			return true;
		}
	return false;
}

/* cpu_user_regs saved at the VMCB's last exit: same rsp and rflags, rip at most one
 * instruction further (Xen completes emulated instructions). */
static bool uregs_match(const struct hvm_vcpu_ctx *c, uint64_t off)
{
	const uint8_t *r = c->vcpu + off;
	uint64_t rip = vmc_le64(r + UR_RIP), vrip = vmc_le64(c->vmcb + VMCB_RIP);

	return off + UREGS_SIZE <= VCPU_BYTES && vmc_le64(r + UR_RSP) == vmc_le64(c->vmcb + VMCB_RSP) &&
	       vmc_le64(r + UR_RFLAGS) == vmc_le64(c->vmcb + VMCB_RFLAGS) && rip - vrip <= MAX_INSN;
}

static bool find_user_regs(struct hvm_vcpu_ctx *c, const struct xen_layout *lay)
{
	if (c->vl->off_user_regs)
		return uregs_match(c, c->vl->off_user_regs);
	if (lay->off_user_regs && uregs_match(c, lay->off_user_regs)) {
		c->vl->off_user_regs = lay->off_user_regs;
		c->vl->regs_source = "the PV vCPUs' user_regs offset, matching the VMCB";
		return true;
	}
	for (uint64_t off = 64; off + UREGS_SIZE <= VCPU_BYTES; off += 8)
		if (off != c->vl->off_vmcb && uregs_match(c, off)) {
			c->vl->off_user_regs = off;
			c->vl->regs_source = "discovered: rsp and rflags of the VMCB";
			return true;
		}
	return false;
}

/* guest_cr[0..4] then guest_efer: CR3 as the VMCB's (HAP runs the guest's own CR3), EFER the
 * VMCB's without SVME (Xen sets that one for the hardware), CR0 in protected mode. */
static bool guest_cr_match(const struct hvm_vcpu_ctx *c, uint64_t off)
{
	const uint8_t *p = c->vcpu + off;
	return off + 48 <= VCPU_BYTES && (vmc_le64(p) & 1) && vmc_le64(p + 24) == vmc_le64(c->vmcb + VMCB_CR3) &&
	       vmc_le64(p + 40) == (vmc_le64(c->vmcb + VMCB_EFER) & ~VMCB_EFER_SVME) && vmc_le64(p + 24);
}

static void guest_cr(struct hvm_vcpu_ctx *c, struct vmc_vcpu *v)
{
	if (!c->vl->off_guest_cr)
		for (uint64_t off = 64; off + 48 <= VCPU_BYTES && !c->vl->off_guest_cr; off += 8)
			if (guest_cr_match(c, off))
				c->vl->off_guest_cr = off;
	if (!c->vl->off_guest_cr || !guest_cr_match(c, c->vl->off_guest_cr))
		return;
	for (unsigned i = 0; i < 5; i++)
		if (i != 1)
			v->cr[i] = vmc_le64(c->vcpu + c->vl->off_guest_cr + 8 * i);
	v->efer = vmc_le64(c->vcpu + c->vl->off_guest_cr + 40);
}

static void set_gprs(struct vmc_vcpu *v, const uint64_t *r, bool with_rip)
{
	v->r15 = r[0], v->r14 = r[1], v->r13 = r[2], v->r12 = r[3], v->rbp = r[4], v->rbx = r[5];
	v->r11 = r[6], v->r10 = r[7], v->r9 = r[8], v->r8 = r[9], v->rcx = r[11];
	v->rdx = r[12], v->rsi = r[13], v->rdi = r[14];
	v->orig_rax = ~0ull;
	if (with_rip)
		v->rax = r[10], v->rip = r[16], v->rflags = r[18], v->rsp = r[19];
	v->gprs_valid = true;
}

/* One vCPU: false (with a warning) when its registers cannot be had. */
static bool one_vcpu(struct hvm_vcpu_ctx *c, const struct xen_layout *lay, unsigned i, struct vmc_vcpu *v)
{
	const struct xen_domain *dom = c->dom;
	struct vmc_diag tmp;
	uint64_t ur[UREGS_SIZE / 8];

	vmc_diag_init(&tmp);
	if (vmc_xen_read(c->x, dom->vcpu_va[i], c->vcpu, VCPU_BYTES, &tmp)) {
		vmc_guest_warn(c->g, "vCPU %u: struct vcpu at 0x%llx unreadable: %s", i, (unsigned long long)dom->vcpu_va[i],
			       tmp.msg);
		return false;
	}
	if (!find_vmcb(c)) {
		vmc_guest_warn(c->g, "vCPU %u: no VMCB of this domain (nested paging on its p2m root 0x%llx) is pointed at from struct vcpu 0x%llx",
			       i, (unsigned long long)c->hl->root_mfn, (unsigned long long)dom->vcpu_va[i]);
		return false;
	}
	vmc_vmcb_save_regs(c->vmcb, c->vmcb_pa, v);
	guest_cr(c, v);
	if (dom->vcpu_running[i]) {
		if (!c->x->vcpu_running_known || !dom->vcpu_live_ok[i]) {
			vmc_guest_warn(c->g, "vCPU %u was running: its general registers are not in struct vcpu and the pCPU's were not found", i);
			return false;
		}
		/* the pCPU's: all of them when it was in the guest, else the GPRs of the last exit */
		set_gprs(v, dom->vcpu_live[i], dom->vcpu_live_in_guest[i]);
		snprintf(v->source, sizeof(v->source), "%.40s + VMCB", dom->vcpu_live_src[i]);
		return true;
	}
	if (!find_user_regs(c, lay)) {
		vmc_guest_warn(c->g, "vCPU %u: no user_regs in struct vcpu 0x%llx agree with its VMCB 0x%llx (rsp 0x%llx)", i,
			       (unsigned long long)dom->vcpu_va[i], (unsigned long long)c->vmcb_pa,
			       (unsigned long long)vmc_le64(c->vmcb + VMCB_RSP));
		return false;
	}
	memcpy(ur, c->vcpu + c->vl->off_user_regs, sizeof(ur));
	set_gprs(v, ur, true);
	snprintf(v->source, sizeof(v->source), "user_regs + VMCB 0x%llx", (unsigned long long)c->vmcb_pa);
	return true;
}

void vmc_xen_hvm_vcpus(struct xen_host *x, const struct xen_domain *dom, const struct xen_layout *lay,
		       const struct xen_hvm_layout *hl, struct xen_hvm_vcpu_layout *vl, struct vmc_guest *g)
{
	struct hvm_vcpu_ctx *c = calloc(1, sizeof(*c));
	unsigned ok = 0;

	for (unsigned i = 0; i < dom->nvcpu && g->nvcpus < dom->nvcpu; i++)
		vmc_guest_add_vcpu(g, i);
	g->no_vcpu_notes = true;
	if (hl->fmt == VMC_PT_EPT) {
		vmc_guest_warn(g, "Intel VMX: the guest's segment state is in the VMCS, whose layout the dump does not give; vCPU registers are not carved (no per-vCPU notes)");
		free(c);
		return;
	}
	if (!c) {
		vmc_guest_warn(g, "out of memory: vCPU registers are not carved");
		return;
	}
	*c = (struct hvm_vcpu_ctx){ .x = x, .dom = dom, .hl = hl, .vl = vl, .g = g };
	for (unsigned i = 0; i < g->nvcpus; i++) {
		struct vmc_vcpu *v = &g->vcpus[i];
		if (!one_vcpu(c, lay, i, v)) {
			v->regs_valid = v->gprs_valid = v->sregs_valid = false;
			continue;
		}
		vmc_guest_report(g, "vcpu%u.rip=0x%llx rsp=0x%llx (%s)", i, (unsigned long long)v->rip,
				 (unsigned long long)v->rsp, v->source);
		ok++;
	}
	if (ok && vl->off_vmcb)
		vmc_guest_report(g, "vcpu.layout: OFFSET(vcpu.arch.hvm.svm.vmcb)=%llu OFFSET(vcpu.arch.user_regs)=%llu (%s) OFFSET(vcpu.arch.hvm.guest_cr)=%llu",
				 (unsigned long long)vl->off_vmcb, (unsigned long long)vl->off_user_regs,
				 vl->regs_source ? vl->regs_source : "-", (unsigned long long)vl->off_guest_cr);
	if (ok && !x->vcpu_running_known)
		vmc_guest_warn(g, "which vCPUs were running is unknown (Xen's symbols are needed): the registers are those of each vCPU's last VM exit, older for one that ran on at the crash");
	if (ok == g->nvcpus && ok)
		g->no_vcpu_notes = false;
	else
		vmc_guest_warn(g, "registers of %u of %u vCPUs found: no per-vCPU notes are written", ok, g->nvcpus);
	free(c);
}
