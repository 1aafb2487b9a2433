/* kvm_carve.c: the KVM carver. Guests of a Linux/KVM host dump come from two routes that
 * are cross-checked frame by frame: the hardware's view (VMCBs found by kvm_svm.c, VMCSs by
 * kvm_vmx.c, each VM's nested page tables: what the guest had mapped at crash time, often
 * only part of its RAM) and the memslot route (guest RAM as the VMM process maps it: every
 * resident page), with slots from the host kernel's struct kvm (linux_kvm.c) or, without KVM
 * symbols, inferred from the VMM's page tables (kvm_vmm_pt.c). */
#include "carver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "kvm_hw_util.h"
#include "kvm_vmm_pt.h"
#include "linux_kvm.h"
#include "notes.h"

#define EM_X86_64_ 62
#define GPN_SHIFT 12
#define MAX_SLOT_PAGES (1ull << 32) /* 16 TiB per slot: beyond that a slot is corrupt */

static bool has_note(const struct vmc_dump *host, const char *name)
{
	struct vmc_note n;
	return vmc_notes_find(host->notes, host->notes_len, name, &n);
}

static int probe(struct vmc_dump *host, const struct vmc_carve_opts *o)
{
	(void)o;
	if (host->e_machine != EM_X86_64_ || host->machine_frames)
		return 0;
	if (has_note(host, "Xen") || has_note(host, "VMCOREINFO_XEN"))
		return 0;
	/* a Linux kernel's dump; whether it runs KVM guests only the scan can tell */
	return has_note(host, "VMCOREINFO") ? 40 : 5;
}

/* --- extents: gfn -> host frame runs --- */

struct ext_list {
	struct vmc_gfn_ext *e;
	size_t n, cap;
};

static enum vmc_status ext_add(struct ext_list *l, uint64_t gfn, uint64_t hpfn, uint64_t count)
{
	struct vmc_gfn_ext *last = l->n ? &l->e[l->n - 1] : NULL;

	if (last && last->gfn + last->count == gfn && last->hpfn + last->count == hpfn) {
		last->count += count;
		return VMC_OK;
	}
	if (l->n == l->cap) {
		struct vmc_diag tmp; /* callers say "out of memory" themselves */
		if (vmc_grow(&l->e, &l->cap, l->n + 1, 1024, &tmp))
			return VMC_ERR_NOMEM;
	}
	l->e[l->n++] = (struct vmc_gfn_ext){ gfn, hpfn, count };
	return VMC_OK;
}

static int cmp_ext(const void *a, const void *b)
{
	const struct vmc_gfn_ext *x = a, *y = b;
	return x->gfn < y->gfn ? -1 : x->gfn > y->gfn;
}

/* Sort by gfn and cut overlaps (the first one wins; returns the frames dropped). */
static uint64_t ext_normalise(struct ext_list *l)
{
	size_t o = 0;
	uint64_t dropped = 0;

	if (l->n)
		qsort(l->e, l->n, sizeof(l->e[0]), cmp_ext);
	for (size_t i = 0; i < l->n; i++) {
		struct vmc_gfn_ext x = l->e[i];
		if (o) {
			uint64_t end = l->e[o - 1].gfn + l->e[o - 1].count;
			if (x.gfn + x.count <= end) {
				dropped += x.count;
				continue;
			}
			if (x.gfn < end) {
				dropped += end - x.gfn;
				x.hpfn += end - x.gfn;
				x.count -= end - x.gfn;
				x.gfn = end;
			}
		}
		l->e[o++] = x;
	}
	l->n = o;
	return dropped;
}

/* --- one VM being carved --- */

struct vm_work {
	struct vmc_hw_vm *hw;        /* VMCBs/VMCSs and the nested root (NULL: none found) */
	struct vmc_kvm_vm *lk;       /* the host kernel's struct kvm (NULL: route unavailable) */
	struct vmc_vmm_guess guess;  /* symbol-free slots */
	const struct vmc_kvm_memslot *slots;
	unsigned nslots;
	uint64_t pgd_pa;
	unsigned levels;
	struct ext_list npt, vmm;
	struct vmc_pt_stats npt_st, vmm_st;
	uint64_t key;                /* ordering: VMM pid, else nested root */
	bool want;                   /* build its map (opts->only) */
	struct vmc_guest *g;
};

struct npt_arg {
	struct ext_list *l;
	unsigned shift;
	const struct vmc_dump *host;
	uint64_t outside_ram; /* KVM's MMIO SPTEs (reserved bits set) and entries pointing past RAM */
};

static enum vmc_status npt_leaf(uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t entry, void *arg)
{
	struct npt_arg *a = arg;
	uint64_t hpfn = hpa >> a->shift, n = size >> a->shift;
	(void)entry;
	if (hpfn >= a->host->max_pfn || n > a->host->max_pfn - hpfn ||
	    vmc_bitmap_count_range(&a->host->ram, hpfn, n) != n) {
		a->outside_ram += n;
		return VMC_OK;
	}
	return ext_add(a->l, gpa >> a->shift, hpa >> a->shift, size >> a->shift) ? VMC_ERR_NOMEM : VMC_OK;
}

static enum vmc_status walk_npt(struct vmc_physmem *pm, struct vm_work *w, struct vmc_diag *d)
{
	struct vmc_pt pt = { .pm = pm, .format = w->hw->format, .levels = w->hw->levels, .root = w->hw->tdp_root,
			     .max_leaves = 1ull << 24 };
	struct npt_arg a = { &w->npt, pm->dump->page_shift, pm->dump, 0 };
	enum vmc_status rc = vmc_pt_walk(&pt, 0, 1ull << (12 + 9 * w->hw->levels), npt_leaf, &a, &w->npt_st, d);

	if (a.outside_ram)
		vmc_guest_report(w->g, "npt.outside_ram=%llu (MMIO entries or corrupt; not carved)",
				 (unsigned long long)a.outside_ram);

	if (rc == VMC_ERR_NOMEM)
		return vmc_fail(d, rc, "out of memory");
	return rc;
}

struct slot_arg {
	struct ext_list *l;
	const struct vmc_kvm_memslot *s;
	unsigned shift;
};

static enum vmc_status slot_leaf(uint64_t va, uint64_t hpa, uint64_t size, uint64_t entry, void *arg)
{
	struct slot_arg *a = arg;
	uint64_t lo = a->s->userspace_addr, hi = lo + (a->s->npages << a->shift);
	uint64_t from = va < lo ? lo : va, to = va + size > hi ? hi : va + size;
	(void)entry;

	if (from >= to) /* a huge leaf reaching into the slot from outside it */
		return VMC_OK;
	return ext_add(a->l, a->s->base_gfn + ((from - lo) >> a->shift), (hpa + (from - va)) >> a->shift,
		       (to - from) >> a->shift)
		       ? VMC_ERR_NOMEM
		       : VMC_OK;
}

static enum vmc_status walk_slots(struct vmc_physmem *pm, struct vm_work *w, struct vmc_diag *d)
{
	unsigned shift = pm->dump->page_shift;

	for (unsigned i = 0; i < w->nslots; i++) {
		const struct vmc_kvm_memslot *s = &w->slots[i];
		struct slot_arg a = { &w->vmm, s, shift };
		struct vmc_diag tmp;
		enum vmc_status rc;

		if (s->as_id != 0 || !s->npages)
			continue;
		if (s->npages > MAX_SLOT_PAGES || (s->userspace_addr & 0xfff) ||
		    s->userspace_addr + (s->npages << shift) < s->userspace_addr) {
			vmc_guest_warn(w->g, "memslot %d (gfn 0x%llx, %llu pages, hva 0x%llx) is implausible; skipped", s->id,
				       (unsigned long long)s->base_gfn, (unsigned long long)s->npages,
				       (unsigned long long)s->userspace_addr);
			continue;
		}
		vmc_diag_init(&tmp);
		rc = vmc_linux_uva_walk(pm, w->pgd_pa, w->levels, s->userspace_addr, s->userspace_addr + (s->npages << shift),
					slot_leaf, &a, &w->vmm_st, &tmp);
		if (rc == VMC_ERR_NOMEM)
			return vmc_fail(d, rc, "out of memory");
		if (rc)
			vmc_guest_warn(w->g, "VMM page tables for memslot %d (hva 0x%llx): %s", s->id,
				       (unsigned long long)s->userspace_addr, tmp.msg);
	}
	return VMC_OK;
}

/* Frame counts of the two routes compared. */
struct route_tally {
	uint64_t agree, differ, vmm_only, npt_only, first_differ, absent;
};

/* Merge the VMM's runs and the NPT's into mapped (the NPT's frame where both map a gfn). */
static enum vmc_status merge_routes(const struct vm_work *w, struct ext_list *mapped, struct route_tally *t)
{
	const struct vmc_gfn_ext *A = w->vmm.e, *B = w->npt.e;
	size_t na = w->vmm.n, nb = w->npt.n, i = 0, j = 0;
	uint64_t gfn = 0;
	enum vmc_status rc = VMC_OK;

	while (i < na || j < nb) {
		if (i < na && A[i].gfn + A[i].count <= gfn) {
			i++;
			continue;
		}
		if (j < nb && B[j].gfn + B[j].count <= gfn) {
			j++;
			continue;
		}
		uint64_t sa = i < na ? (A[i].gfn > gfn ? A[i].gfn : gfn) : UINT64_MAX;
		uint64_t sb = j < nb ? (B[j].gfn > gfn ? B[j].gfn : gfn) : UINT64_MAX;
		gfn = sa < sb ? sa : sb;
		bool ina = i < na && A[i].gfn <= gfn, inb = j < nb && B[j].gfn <= gfn;
		uint64_t end = UINT64_MAX;
		if (i < na)
			end = ina ? A[i].gfn + A[i].count : A[i].gfn;
		if (j < nb) {
			uint64_t eb = inb ? B[j].gfn + B[j].count : B[j].gfn;
			end = eb < end ? eb : end;
		}
		uint64_t len = end - gfn, ha = ina ? A[i].hpfn + (gfn - A[i].gfn) : 0, hb = inb ? B[j].hpfn + (gfn - B[j].gfn) : 0;
		if (ina && inb) {
			if (ha == hb)
				t->agree += len;
			else {
				/* count frame by frame: runs may disagree in part */
				for (uint64_t k = 0; k < len; k++)
					if (ha + k != hb + k) {
						if (!t->differ)
							t->first_differ = gfn + k;
						t->differ++;
					}
			}
			rc = ext_add(mapped, gfn, hb, len); /* the hardware's view is what the guest ran on */
		} else if (ina) {
			t->vmm_only += len;
			rc = ext_add(mapped, gfn, ha, len);
		} else {
			t->npt_only += len;
			rc = ext_add(mapped, gfn, hb, len);
		}
		if (rc)
			return rc;
		gfn = end;
	}
	return VMC_OK;
}

/* Absent: slot frames no route maps (not resident in the VMM: swapped out, never touched). */
static enum vmc_status add_absent(struct vm_work *w, const struct ext_list *mapped, uint64_t *absent,
				  struct vmc_diag *d)
{
	enum vmc_status rc;

	for (unsigned s = 0; s < w->nslots; s++) {
		const struct vmc_kvm_memslot *sl = &w->slots[s];
		uint64_t lo = sl->base_gfn, hi = sl->base_gfn + sl->npages;
		size_t k = 0;
		if (sl->as_id != 0 || sl->npages > MAX_SLOT_PAGES)
			continue;
		while (k < mapped->n && mapped->e[k].gfn + mapped->e[k].count <= lo)
			k++;
		for (uint64_t at = lo; at < hi;) {
			uint64_t next = k < mapped->n ? mapped->e[k].gfn : hi;
			if (next > hi)
				next = hi;
			if (next > at) {
				if ((rc = vmc_gmap_add_absent(&w->g->map, at, next - at, d)))
					return rc;
				*absent += next - at;
				at = next;
			}
			if (k < mapped->n && mapped->e[k].gfn <= at) {
				at = mapped->e[k].gfn + mapped->e[k].count;
				k++;
			}
		}
	}
	return VMC_OK;
}

static void report_routes(const struct vm_work *w, const struct route_tally *t)
{
	struct vmc_guest *g = w->g;

	vmc_guest_report(g, "routes.agree=%llu differ=%llu vmm_only=%llu npt_only=%llu absent=%llu",
			 (unsigned long long)t->agree, (unsigned long long)t->differ, (unsigned long long)t->vmm_only,
			 (unsigned long long)t->npt_only, (unsigned long long)t->absent);
	if (t->differ)
		vmc_guest_warn(g, "%llu guest frames map to different host frames in the NPT and in the VMM's page tables "
			       "(first: gfn 0x%llx); the NPT's frame was taken",
			       (unsigned long long)t->differ, (unsigned long long)t->first_differ);
	if (t->npt_only && w->nslots)
		vmc_guest_report(g, "routes.npt_outside_vmm=%llu", (unsigned long long)t->npt_only);
	if (t->absent)
		vmc_guest_warn(g, "%llu guest frames are in no route (not resident in the VMM, not in the NPT): written as absent",
			       (unsigned long long)t->absent);
}

/* Merge both routes into the guest's map; frames in slots that neither maps are absent. */
static enum vmc_status build_map(struct vm_work *w, struct vmc_diag *d)
{
	struct vmc_guest *g = w->g;
	struct route_tally t = { 0 };
	struct ext_list mapped = { 0 };
	enum vmc_status rc;

	if (merge_routes(w, &mapped, &t)) {
		free(mapped.e);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	rc = VMC_OK;
	for (size_t k = 0; k < mapped.n && !rc; k++)
		rc = vmc_gmap_add(&g->map, mapped.e[k].gfn, mapped.e[k].hpfn, mapped.e[k].count, d);
	if (!rc)
		rc = add_absent(w, &mapped, &t.absent, d);
	if (!rc) {
		g->pages_absent = t.absent;
		report_routes(w, &t);
	}
	free(mapped.e);
	return rc;
}

/* --- registers --- */

static const struct vmc_kvm_vcpu_state *lk_vcpu_for(const struct vmc_kvm_vm *lk, const struct vmc_hw_vcpu *c)
{
	if (!lk)
		return NULL;
	for (unsigned i = 0; i < lk->nvcpus; i++)
		if (lk->vcpus[i].vmcb_pa && lk->vcpus[i].vmcb_pa == c->state_pa)
			return &lk->vcpus[i];
	return NULL;
}

/* vcpu->arch.regs order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
static void gprs_from_kvm(struct vmc_vcpu *v, const struct vmc_kvm_vcpu_state *k, bool take_rax_rsp)
{
	if (take_rax_rsp) {
		v->rax = k->regs[0];
		v->rsp = k->regs[4];
	}
	v->rcx = k->regs[1];
	v->rdx = k->regs[2];
	v->rbx = k->regs[3];
	v->rbp = k->regs[5];
	v->rsi = k->regs[6];
	v->rdi = k->regs[7];
	v->r8 = k->regs[8];
	v->r9 = k->regs[9];
	v->r10 = k->regs[10];
	v->r11 = k->regs[11];
	v->r12 = k->regs[12];
	v->r13 = k->regs[13];
	v->r14 = k->regs[14];
	v->r15 = k->regs[15];
	v->gprs_valid = true;
}

static enum vmc_status add_vcpus(struct vm_work *w, struct vmc_diag *d)
{
	struct vmc_guest *g = w->g;
	unsigned n = w->hw ? w->hw->nvcpus : 0;

	for (unsigned i = 0; i < n; i++) {
		const struct vmc_hw_vcpu *c = &w->hw->vcpus[i];
		const struct vmc_kvm_vcpu_state *k = lk_vcpu_for(w->lk, c);
		struct vmc_vcpu *v = vmc_guest_add_vcpu(g, k ? (uint32_t)k->vcpu_id : i);
		uint32_t id;
		if (!v)
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		id = v->id;
		*v = c->regs;
		v->id = id;
		if (k) {
			gprs_from_kvm(v, k, false); /* rax/rsp/rip: the VMCB holds the current ones */
			snprintf(v->source, sizeof(v->source), "VMCB 0x%llx + kvm_vcpu", (unsigned long long)c->state_pa);
		}
	}
	/* vCPUs the host kernel lists without a VMCB we accepted: its cached registers only */
	for (unsigned i = 0; w->lk && !n && i < w->lk->nvcpus; i++) {
		const struct vmc_kvm_vcpu_state *k = &w->lk->vcpus[i];
		struct vmc_vcpu *v = vmc_guest_add_vcpu(g, (uint32_t)k->vcpu_id);
		if (!v)
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		gprs_from_kvm(v, k, true);
		v->rip = k->rip;
		v->regs_valid = (k->regs_avail & (1ull << 16)) != 0;
		v->cr[0] = k->cr0;
		v->cr[2] = k->cr2;
		v->cr[3] = k->cr3;
		v->cr[4] = k->cr4;
		v->efer = k->efer;
		snprintf(v->source, sizeof(v->source), "kvm_vcpu (no VMCB)");
	}
	if (!g->nvcpus) {
		g->no_vcpu_notes = true;
		vmc_guest_warn(g, "no vCPU state found: the output has no register notes");
	}
	return VMC_OK;
}

/* --- the scan --- */

/* With the host kernel's view, its vCPUs name their VMCBs: validate just those pages (the
 * host-side evidence a planted look-alike lacks) instead of scanning every frame. True when
 * every vCPU of every VM had a VMCB that passed. */
static bool svm_from_kvm(struct vmc_dump *host, const struct vmc_kvm_host *lk, struct vmc_hw_scan *out,
			 struct vmc_hv *hv, struct vmc_diag *d)
{
	struct vmc_physmem pm;
	bool all = lk->nvms > 0;

	if (vmc_physmem_init(&pm, host, d))
		return false;
	for (unsigned i = 0; i < lk->nvms; i++)
		for (unsigned k = 0; k < lk->vms[i].nvcpus; k++) {
			const struct vmc_kvm_vcpu_state *v = &lk->vms[i].vcpus[k];
			struct vmc_hw_vcpu c, *slot;
			struct vmc_hw_vm *vm;
			struct vmc_diag tmp;
			const uint8_t *page;
			uint8_t copy[4096]; /* the check reads the NPT root through pm: keep the VMCB apart */
			const char *why;
			uint64_t ncr3 = 0;

			if (!v->vmcb_pa) {
				all = false;
				continue;
			}
			vmc_diag_init(&tmp);
			out->candidates++;
			if (!(page = vmc_physmem_frame(&pm, v->vmcb_pa >> host->page_shift, &tmp)))
				why = "not in the dump";
			else {
				memcpy(copy, page, sizeof(copy));
				why = vmc_svm_vmcb_check(copy, v->vmcb_pa & ~0xfffull, &pm, &ncr3, &c);
			}
			if (why) {
				vmc_hv_warn(hv, "%s vCPU %d: VMCB at 0x%llx: %s", lk->vms[i].stats_id, v->vcpu_id,
					    (unsigned long long)v->vmcb_pa, why);
				out->rejected++;
				all = false;
				continue;
			}
			if (!(vm = vmc_hw_vm_get(out, ncr3, VMC_PT_X86_64, 4)) || !(slot = vmc_hw_vcpu_add(vm))) {
				all = false;
				continue;
			}
			*slot = c;
			vmc_hw_report(out, "svm.vmcb=0x%llx nested_cr3=0x%llx asid=%u (from %s vCPU %d)",
				      (unsigned long long)c.state_pa, (unsigned long long)ncr3, c.asid_or_vpid,
				      lk->vms[i].stats_id, v->vcpu_id);
		}
	vmc_physmem_fini(&pm);
	return all;
}

static int cmp_work(const void *a, const void *b)
{
	const struct vm_work *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void copy_report(struct vmc_hv *hv, const char *p)
{
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		vmc_hv_report(hv, "%.*s", (int)len, p);
		p += len + (nl != NULL);
	}
}

static void copy_hw_messages(struct vmc_hv *hv, const struct vmc_hw_scan *s)
{
	for (unsigned i = 0; i < s->nwarnings; i++)
		vmc_hv_warn(hv, "%s", s->warnings[i]);
	copy_report(hv, s->report);
}

/* Host frames two VMs both map: a diagnostic on both (corrupt tables, or shared pages). */
static enum vmc_status check_shared_frames(struct vmc_hv *hv, struct vm_work *w, unsigned nw, struct vmc_diag *d)
{
	struct vmc_ranges *sets = calloc(nw ? nw : 1, sizeof(*sets));
	enum vmc_status rc = VMC_OK;

	if (!sets)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < nw && !rc; i++) {
		const struct vmc_gmap *m = &w[i].g->map;
		for (size_t k = 0; k < m->n && !rc; k++)
			if (m->ext[k].kind == VMC_GMAP_HOST)
				rc = vmc_ranges_add(&sets[i], m->ext[k].src, m->ext[k].src + m->ext[k].count, d);
		vmc_ranges_normalise(&sets[i]);
	}
	for (unsigned i = 0; i < nw && !rc; i++)
		for (unsigned j = i + 1; j < nw; j++) {
			uint64_t first, shared = vmc_ranges_overlap(&sets[i], &sets[j], &first);
			if (!shared)
				continue;
			vmc_hv_warn(hv, "guests %s and %s both map %llu host frames (first: 0x%llx): corrupt tables or shared pages",
				    w[i].g->id, w[j].g->id, (unsigned long long)shared, (unsigned long long)first);
			vmc_guest_warn(w[i].g, "%llu of its host frames are also mapped by guest %s (first: 0x%llx)",
				       (unsigned long long)shared, w[j].g->id, (unsigned long long)first);
			vmc_guest_warn(w[j].g, "%llu of its host frames are also mapped by guest %s (first: 0x%llx)",
				       (unsigned long long)shared, w[i].g->id, (unsigned long long)first);
		}
	for (unsigned i = 0; i < nw; i++)
		vmc_ranges_release(&sets[i]);
	free(sets);
	return rc;
}

/* Say up front how much of the guest the host dump holds. */
static void account(struct vmc_dump *host, struct vmc_guest *g)
{
	uint64_t mapped = 0, stored = 0;

	for (size_t i = 0; i < g->map.n; i++) {
		const struct vmc_gmap_ext *e = &g->map.ext[i];
		if (e->kind != VMC_GMAP_HOST)
			continue;
		mapped += e->count;
		stored += vmc_bitmap_count_range(&host->stored, e->src, e->count);
	}
	vmc_guest_report(g, "pages.mapped=%llu in_host_dump=%llu absent=%llu expected=%llu", (unsigned long long)mapped,
			 (unsigned long long)stored, (unsigned long long)g->pages_absent,
			 (unsigned long long)g->pages_expected);
	if (stored < mapped)
		vmc_guest_warn(g, "only %llu of %llu mapped guest pages (%.1f%%) are in the host dump%s: "
			       "the output holds those, the others are marked excluded",
			       (unsigned long long)stored, (unsigned long long)mapped, mapped ? 100.0 * stored / mapped : 0.0,
			       host->dump_level > 0 ? " (its dumper filtered pages out)" : "");
}

/* The scan's state, phase to phase. */
struct kvm_carve {
	struct vmc_dump *host;
	const struct vmc_carve_opts *o;
	struct vmc_hv *hv;
	struct vmc_hw_scan svm, vmx;
	struct vmc_kvm_host lk;
	bool have_lk;
	struct vmc_pgd_scan *pgds;
	struct vmc_diag vmx_diag; /* why the VMCS scan failed: in the no-guests message */
	struct vm_work *w;
	unsigned nw;
	struct vmc_physmem pm;
	char why[256];
};

/* The host kernel's view first: it decides whether the symbol-free pass is needed. */
static void find_host_kernel(struct kvm_carve *c)
{
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	c->have_lk = vmc_linux_kvm_find(c->host, c->o->host_debuginfo, &c->lk, &tmp) == VMC_OK;
	if (c->have_lk)
		vmc_hv_report(c->hv, "linux_kvm.vms=%u source=%s", c->lk.nvms, c->lk.source);
	else {
		vmc_hv_report(c->hv, "linux_kvm=unavailable (%s)", tmp.msg);
		copy_report(c->hv, c->lk.report); /* what the route did find, for list -v */
		vmc_linux_kvm_free(&c->lk);
	}
	vmc_diag_init(&tmp);
	if (!c->have_lk && !(c->pgds = vmc_pgd_scan_new(c->host, &tmp)))
		vmc_hv_report(c->hv, "vmm_pt=unavailable (%s)", tmp.msg);
}

/* VMCBs (from the host kernel's vCPUs, else a frame scan), then VMCSs on a host without SVM guests. */
static enum vmc_status scan_hardware(struct kvm_carve *c, struct vmc_diag *d)
{
	struct vmc_hv *hv = c->hv;
	enum vmc_status rc;

	if (c->have_lk && svm_from_kvm(c->host, &c->lk, &c->svm, hv, d)) {
		vmc_hv_report(hv, "svm: the VMCBs the host kernel's vCPUs point at, validated; no frame scan");
	} else {
		vmc_hw_scan_free(&c->svm);
		if ((rc = vmc_svm_scan_with(c->host, &c->svm, c->pgds ? vmc_pgd_scan_frame : NULL, c->pgds, d)))
			return rc;
	}
	copy_hw_messages(hv, &c->svm);
	vmc_diag_init(&c->vmx_diag);
	if (c->svm.nvms) /* an AMD host: no VMCS to look for */
		vmc_hv_report(hv, "vmx=not scanned (SVM guests found)");
	else if (vmc_vmx_scan(c->host, c->o->vmcs_layout, &c->vmx, &c->vmx_diag) == VMC_OK)
		copy_hw_messages(hv, &c->vmx);
	else {
		vmc_hv_report(hv, "vmx=unavailable (%s)", c->vmx_diag.msg);
		/* a layout the user named must not fail silently */
		if (c->o->vmcs_layout)
			vmc_hv_warn(hv, "VMCS scan: %s", c->vmx_diag.msg);
	}
	return VMC_OK;
}

/* The host kernel's VMs, each with the VMCBs/VMCSs its vCPUs name; a VMCB none names is ignored. */
static void pair_with_host_kernel(struct kvm_carve *c)
{
	for (unsigned i = 0; i < c->lk.nvms; i++) {
		struct vm_work *x = &c->w[c->nw++];
		x->lk = &c->lk.vms[i];
		x->key = (uint64_t)(uint32_t)c->lk.vms[i].userspace_pid;
		/* the VM's VMCBs: those the host kernel's vCPUs point at, or its NPT root */
		for (unsigned s = 0; s < 2 && !x->hw; s++) {
			struct vmc_hw_scan *hs = s ? &c->vmx : &c->svm;
			for (unsigned v = 0; v < hs->nvms && !x->hw; v++)
				for (unsigned k = 0; k < x->lk->nvcpus; k++)
					if ((x->lk->vcpus[k].tdp_root_hpa && x->lk->vcpus[k].tdp_root_hpa == hs->vms[v].tdp_root) ||
					    (x->lk->vcpus[k].vmcb_pa && lk_vcpu_for(x->lk, &hs->vms[v].vcpus[0])))
						x->hw = &hs->vms[v];
		}
	}
	/* host-side evidence: a VMCB no vCPU of the host kernel points at is not used */
	for (unsigned v = 0; v < c->svm.nvms; v++) {
		bool used = false;
		for (unsigned i = 0; i < c->nw; i++)
			used |= c->w[i].hw == &c->svm.vms[v];
		if (!used)
			vmc_hv_warn(c->hv, "VMCB at 0x%llx (nested_cr3 0x%llx) belongs to no VM the host kernel lists: ignored",
				    (unsigned long long)c->svm.vms[v].vcpus[0].state_pa,
				    (unsigned long long)c->svm.vms[v].tdp_root);
	}
}

/* One work item per VM, ordered by VMM pid (else nested root). */
static enum vmc_status pair_vms(struct kvm_carve *c, struct vmc_diag *d)
{
	unsigned cap = c->svm.nvms + c->vmx.nvms + (c->have_lk ? c->lk.nvms : 0);

	if (!(c->w = calloc(cap ? cap : 1, sizeof(*c->w))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	if (c->have_lk) {
		pair_with_host_kernel(c);
	} else {
		for (unsigned v = 0; v < c->svm.nvms; v++)
			c->w[c->nw++] = (struct vm_work){ .hw = &c->svm.vms[v], .key = c->svm.vms[v].tdp_root };
		for (unsigned v = 0; v < c->vmx.nvms; v++)
			c->w[c->nw++] = (struct vm_work){ .hw = &c->vmx.vms[v], .key = c->vmx.vms[v].tdp_root };
	}
	if (!c->nw)
		return vmc_fail(d, VMC_ERR_NOTFOUND, "%s: no KVM guests found (%llu frames scanned, %llu VMCB candidates rejected%s%s)",
				c->host->name, (unsigned long long)c->svm.frames_scanned, (unsigned long long)c->svm.rejected,
				c->o->vmcs_layout ? "; VMCS scan: " : "", c->o->vmcs_layout ? c->vmx_diag.msg : "");
	qsort(c->w, c->nw, sizeof(*c->w), cmp_work);
	return VMC_OK;
}

/* Walk a wanted guest's nested page tables into x->npt, with their diagnostics. */
static enum vmc_status walk_guest_npt(struct kvm_carve *c, struct vm_work *x, struct vmc_diag *d)
{
	struct vmc_guest *g = x->g;
	struct vmc_diag tmp;
	enum vmc_status rc;

	vmc_diag_init(&tmp);
	if ((rc = walk_npt(&c->pm, x, &tmp)) == VMC_ERR_NOMEM)
		return vmc_fail(d, rc, "out of memory");
	if (rc && !x->lk) {
		/* a cut-short walk over looping or aliasing tables is not a guest's memory */
		vmc_guest_fail(g, rc, "nested page tables at 0x%llx: %s", (unsigned long long)x->hw->tdp_root, tmp.msg);
		x->npt.n = 0;
	} else if (rc) {
		vmc_guest_warn(g, "nested page tables at 0x%llx: %s; carved from the memslots only",
			       (unsigned long long)x->hw->tdp_root, tmp.msg);
		x->npt.n = 0;
	}
	if (x->npt_st.tables_absent)
		vmc_guest_warn(g, "%llu nested page tables are not in the host dump (first at 0x%llx)",
			       (unsigned long long)x->npt_st.tables_absent, (unsigned long long)x->npt_st.first_bad_table);
	if (x->npt_st.loops)
		vmc_guest_warn(g, "nested page tables loop back %llu times", (unsigned long long)x->npt_st.loops);
	if (ext_normalise(&x->npt))
		vmc_guest_warn(g, "nested page tables map some guest frames twice");
	vmc_guest_report(g, "npt.leaves_4k=%llu leaves_2m=%llu leaves_1g=%llu tables=%llu",
			 (unsigned long long)x->npt_st.leaves[0], (unsigned long long)x->npt_st.leaves[1],
			 (unsigned long long)x->npt_st.leaves[2], (unsigned long long)x->npt_st.tables);
	return VMC_OK;
}

/* A guest per VM: names, what each route found, and the nested tables of those wanted. */
static enum vmc_status open_guests(struct kvm_carve *c, struct vmc_diag *d)
{
	struct vmc_hv *hv = c->hv;
	enum vmc_status rc;

	if ((rc = vmc_physmem_init(&c->pm, c->host, d)))
		return rc;
	for (unsigned i = 0; i < c->nw; i++) /* hv->guests moves while it grows: take pointers after */
		if (!vmc_hv_add_guest(hv, c->host->page_size))
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < c->nw; i++) {
		struct vm_work *x = &c->w[i];
		struct vmc_guest *g = x->g = &hv->guests[hv->nguests - c->nw + i];

		snprintf(g->id, sizeof(g->id), "%u", i + 1);
		if (x->lk && x->lk->vmm_name[0])
			snprintf(g->name, sizeof(g->name), "%s", x->lk->vmm_name);
		else if (x->lk && x->lk->stats_id[0])
			snprintf(g->name, sizeof(g->name), "%s", x->lk->stats_id);
		snprintf(g->type, sizeof(g->type), "%s", x->hw && x->hw->format == VMC_PT_EPT ? "KVM-VMX" : "KVM-SVM");
		g->space = VMC_SPACE_GUEST_PHYS;
		x->want = vmc_guest_wanted(g, c->o->only);
		if (x->hw)
			vmc_guest_report(g, "tdp_root=0x%llx vcpus=%u", (unsigned long long)x->hw->tdp_root, x->hw->nvcpus);
		if (x->lk)
			vmc_guest_report(g, "kvm=0x%llx pid=%d pgd=0x%llx memslots=%u", (unsigned long long)x->lk->kvm_va,
					 x->lk->userspace_pid, (unsigned long long)x->lk->pgd_pa, x->lk->nslots);
		if (x->want && x->hw && (rc = walk_guest_npt(c, x, d)))
			return rc;
		if (x->lk) {
			x->slots = x->lk->slots;
			x->nslots = x->lk->nslots;
			x->pgd_pa = x->lk->pgd_pa;
			x->levels = x->lk->pgtable_levels ? x->lk->pgtable_levels : 4;
		}
	}
	return VMC_OK;
}

/* Take the symbol-free slots vmc_vmm_guess found for each VM. */
static void take_guesses(struct kvm_carve *c, const struct vmc_vmm_guess *gs)
{
	if (c->why[0])
		vmc_hv_warn(c->hv, "%s", c->why);
	for (unsigned i = 0; i < c->nw; i++) {
		struct vm_work *x = &c->w[i];
		x->guess = gs[i];
		if (!gs[i].pgd_pa)
			continue;
		x->slots = gs[i].slots;
		x->nslots = gs[i].nslots;
		x->pgd_pa = gs[i].pgd_pa;
		x->levels = gs[i].levels;
		vmc_guest_report(x->g, "vmm_pt.pgd=0x%llx matched=%llu of %llu runner_up=%llu slots=%u",
				 (unsigned long long)gs[i].pgd_pa, (unsigned long long)gs[i].pages_matched,
				 (unsigned long long)gs[i].pages_known, (unsigned long long)gs[i].runner_up, gs[i].nslots);
		if (gs[i].runner_up * 2 > gs[i].pages_matched)
			vmc_guest_warn(x->g, "two processes map this guest's frames (%llu and %llu pages); took the first",
				       (unsigned long long)gs[i].pages_matched, (unsigned long long)gs[i].runner_up);
	}
}

/* The symbol-free memslot route: one vote over every root for all wanted VMs. */
static enum vmc_status guess_vmm_slots(struct kvm_carve *c, struct vmc_diag *d)
{
	unsigned nw = c->nw;
	struct vmc_gfn_ext **ext = calloc(nw, sizeof(*ext));
	size_t *n = calloc(nw, sizeof(*n));
	struct vmc_vmm_guess *gs = calloc(nw, sizeof(*gs));
	enum vmc_status rc;

	if (!ext || !n || !gs) {
		free(ext);
		free(n);
		free(gs);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	for (unsigned i = 0; i < nw; i++) {
		ext[i] = c->w[i].want ? c->w[i].npt.e : NULL;
		n[i] = c->w[i].want ? c->w[i].npt.n : 0;
	}
	rc = vmc_vmm_guess(c->host, c->pgds, ext, n, nw, gs, c->why, sizeof(c->why), d);
	if (!rc)
		take_guesses(c, gs);
	free(ext);
	free(n);
	free(gs);
	return rc;
}

/* The guest's memslots into its expected size and report. */
static void report_slots(struct vm_work *x)
{
	struct vmc_guest *g = x->g;

	for (unsigned s = 0; s < x->nslots; s++) {
		const struct vmc_kvm_memslot *sl = &x->slots[s];
		if (sl->as_id || sl->npages > MAX_SLOT_PAGES)
			continue;
		g->pages_expected += sl->npages;
		if (sl->base_gfn + sl->npages > g->max_gfn)
			g->max_gfn = sl->base_gfn + sl->npages;
		vmc_guest_report(g, "memslot id=%d base_gfn=0x%llx npages=0x%llx hva=0x%llx flags=0x%x", sl->id,
				 (unsigned long long)sl->base_gfn, (unsigned long long)sl->npages,
				 (unsigned long long)sl->userspace_addr, sl->flags);
	}
	if (!x->lk)
		vmc_guest_report(g, "pages_expected is inferred (VMM mappings), not read from KVM's memslots");
}

/* One guest: its memslots, the map from both routes, its vCPUs. */
static enum vmc_status carve_one(struct kvm_carve *c, struct vm_work *x, struct vmc_diag *d)
{
	struct vmc_guest *g = x->g;
	const char *memroute = x->lk ? "memslots (host kernel) + VMM page tables"
			       : x->nslots ? "VMM page tables (slots inferred, no KVM symbols)"
					   : NULL;
	enum vmc_status rc;

	snprintf(g->method, sizeof(g->method), "%s%s%s", x->hw ? (x->hw->format == VMC_PT_EPT ? "VMCS/EPT" : "VMCB/NPT") : "",
		 x->hw && memroute ? " + " : "", memroute ? memroute : "");
	if (!x->hw && !memroute) {
		vmc_guest_fail(g, VMC_ERR_NOTFOUND, "neither nested page tables nor the VMM's mappings were found");
		return VMC_OK;
	}
	report_slots(x);
	if (x->want) {
		if (x->nslots && (rc = walk_slots(&c->pm, x, d)))
			return rc;
		ext_normalise(&x->vmm);
		if (!x->nslots)
			vmc_guest_warn(g, "memslot route unavailable: only the frames the nested page tables map (%llu) are carved",
				       (unsigned long long)x->npt_st.leaves[0] + (x->npt_st.leaves[1] << 9) +
					       (x->npt_st.leaves[2] << 18));
		if ((rc = build_map(x, d)))
			return rc;
	}
	if ((rc = add_vcpus(x, d)))
		return rc;
	if (x->want) {
		if ((rc = vmc_gmap_finish(&g->map, d)))
			return rc;
		if (vmc_gmap_end(&g->map) > g->max_gfn)
			g->max_gfn = vmc_gmap_end(&g->map);
		account(c->host, g);
	}
	return VMC_OK;
}

static void kvm_carve_release(struct kvm_carve *c)
{
	vmc_physmem_fini(&c->pm);
	if (c->w) {
		for (unsigned i = 0; i < c->nw; i++) {
			free(c->w[i].npt.e);
			free(c->w[i].vmm.e);
			vmc_vmm_guess_free(&c->w[i].guess);
		}
		free(c->w);
	}
	vmc_pgd_scan_free(c->pgds);
	vmc_hw_scan_free(&c->svm);
	vmc_hw_scan_free(&c->vmx);
	if (c->have_lk)
		vmc_linux_kvm_free(&c->lk);
}

static enum vmc_status scan_phases(struct kvm_carve *c, struct vmc_diag *d)
{
	enum vmc_status rc;

	find_host_kernel(c);
	if ((rc = scan_hardware(c, d)) || (rc = pair_vms(c, d)) || (rc = open_guests(c, d)))
		return rc;
	if (!c->have_lk && c->pgds && (rc = guess_vmm_slots(c, d)))
		return rc;
	for (unsigned i = 0; i < c->nw; i++)
		if ((rc = carve_one(c, &c->w[i], d)))
			return rc;
	if (c->nw > 1 && (rc = check_shared_frames(c->hv, c->w, c->nw, d)))
		return rc;
	return VMC_OK;
}

static enum vmc_status scan(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
			    struct vmc_diag *d)
{
	struct kvm_carve c = { .host = host, .o = o, .hv = hv };
	enum vmc_status rc;

	snprintf(hv->kind, sizeof(hv->kind), "kvm");
	snprintf(hv->version, sizeof(hv->version), "Linux %.57s", host->has_uts ? host->uts.release : "?");
	if (host->page_size != 4096)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: KVM carving needs 4 KiB pages", host->name);
	rc = scan_phases(&c, d);
	kvm_carve_release(&c);
	return rc;
}

const struct vmc_carver_ops vmc_carver_kvm = { .name = "kvm", .probe = probe, .scan = scan };
