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
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct vmc_gfn_ext *p = realloc(l->e, cap * sizeof(*p));
		if (!p)
			return VMC_ERR_NOMEM;
		l->e = p;
		l->cap = cap;
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

/* Merge both routes into the guest's map; frames in slots that neither maps are absent. */
static enum vmc_status build_map(struct vm_work *w, struct vmc_diag *d)
{
	struct vmc_guest *g = w->g;
	const struct vmc_gfn_ext *A = w->vmm.e, *B = w->npt.e;
	size_t na = w->vmm.n, nb = w->npt.n, i = 0, j = 0;
	uint64_t gfn = 0, agree = 0, differ = 0, vmm_only = 0, npt_only = 0, first_differ = 0, absent = 0;
	struct ext_list mapped = { 0 };
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
				agree += len;
			else {
				/* count frame by frame: runs may disagree in part */
				for (uint64_t k = 0; k < len; k++)
					if (ha + k != hb + k) {
						if (!differ)
							first_differ = gfn + k;
						differ++;
					}
			}
			rc = ext_add(&mapped, gfn, hb, len); /* the hardware's view is what the guest ran on */
		} else if (ina) {
			vmm_only += len;
			rc = ext_add(&mapped, gfn, ha, len);
		} else {
			npt_only += len;
			rc = ext_add(&mapped, gfn, hb, len);
		}
		if (rc)
			goto nomem;
		gfn = end;
	}
	for (size_t k = 0; k < mapped.n; k++)
		if ((rc = vmc_gmap_add(&g->map, mapped.e[k].gfn, mapped.e[k].hpfn, mapped.e[k].count, d)))
			goto out;
	/* absent: slot frames no route maps (not resident in the VMM: swapped out, never touched) */
	for (unsigned s = 0; s < w->nslots; s++) {
		const struct vmc_kvm_memslot *sl = &w->slots[s];
		uint64_t lo = sl->base_gfn, hi = sl->base_gfn + sl->npages;
		size_t k = 0;
		if (sl->as_id != 0 || sl->npages > MAX_SLOT_PAGES)
			continue;
		while (k < mapped.n && mapped.e[k].gfn + mapped.e[k].count <= lo)
			k++;
		for (uint64_t at = lo; at < hi;) {
			uint64_t next = k < mapped.n ? mapped.e[k].gfn : hi;
			if (next > hi)
				next = hi;
			if (next > at) {
				if ((rc = vmc_gmap_add_absent(&g->map, at, next - at, d)))
					goto out;
				absent += next - at;
				at = next;
			}
			if (k < mapped.n && mapped.e[k].gfn <= at) {
				at = mapped.e[k].gfn + mapped.e[k].count;
				k++;
			}
		}
	}
	g->pages_absent = absent;
	vmc_guest_report(g, "routes.agree=%llu differ=%llu vmm_only=%llu npt_only=%llu absent=%llu",
			 (unsigned long long)agree, (unsigned long long)differ, (unsigned long long)vmm_only,
			 (unsigned long long)npt_only, (unsigned long long)absent);
	if (differ)
		vmc_guest_warn(g, "%llu guest frames map to different host frames in the NPT and in the VMM's page tables "
			       "(first: gfn 0x%llx); the NPT's frame was taken",
			       (unsigned long long)differ, (unsigned long long)first_differ);
	if (npt_only && w->nslots)
		vmc_guest_report(g, "routes.npt_outside_vmm=%llu", (unsigned long long)npt_only);
	if (absent)
		vmc_guest_warn(g, "%llu guest frames are in no route (not resident in the VMM, not in the NPT): written as absent",
			       (unsigned long long)absent);
	goto out;
nomem:
	rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
out:
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
	struct vmc_hpfn_set *sets = calloc(nw ? nw : 1, sizeof(*sets));
	enum vmc_status rc = VMC_OK;

	if (!sets)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < nw && !rc; i++) {
		const struct vmc_gmap *m = &w[i].g->map;
		for (size_t k = 0; k < m->n && !rc; k++)
			if (m->ext[k].kind == VMC_GMAP_HOST)
				rc = vmc_hpfn_set_add(&sets[i], m->ext[k].src, m->ext[k].count, d);
		vmc_hpfn_set_sort(&sets[i]);
	}
	for (unsigned i = 0; i < nw && !rc; i++)
		for (unsigned j = i + 1; j < nw; j++) {
			uint64_t shared = 0, first = 0;
			size_t a = 0, b = 0;
			while (a < sets[i].n && b < sets[j].n) {
				uint64_t lo = sets[i].r[a].lo > sets[j].r[b].lo ? sets[i].r[a].lo : sets[j].r[b].lo;
				uint64_t hi = sets[i].r[a].hi < sets[j].r[b].hi ? sets[i].r[a].hi : sets[j].r[b].hi;
				if (lo < hi) {
					if (!shared)
						first = lo;
					shared += hi - lo;
				}
				if (sets[i].r[a].hi < sets[j].r[b].hi)
					a++;
				else
					b++;
			}
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
		vmc_hpfn_set_free(&sets[i]);
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

static enum vmc_status scan(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
			    struct vmc_diag *d)
{
	struct vmc_hw_scan svm = { 0 }, vmx = { 0 };
	struct vmc_kvm_host lk = { 0 };
	struct vmc_pgd_scan *pgds = NULL;
	struct vm_work *w = NULL;
	unsigned nw = 0;
	bool have_lk;
	struct vmc_physmem pm;
	struct vmc_diag tmp;
	char why[256];
	enum vmc_status rc;

	memset(&pm, 0, sizeof(pm));
	snprintf(hv->kind, sizeof(hv->kind), "kvm");
	snprintf(hv->version, sizeof(hv->version), "Linux %.57s", host->has_uts ? host->uts.release : "?");
	if (host->page_size != 4096)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: KVM carving needs 4 KiB pages", host->name);

	/* the host kernel's view first: it decides whether the symbol-free pass is needed */
	vmc_diag_init(&tmp);
	have_lk = vmc_linux_kvm_find(host, o->host_debuginfo, &lk, &tmp) == VMC_OK;
	if (have_lk)
		vmc_hv_report(hv, "linux_kvm.vms=%u source=%s", lk.nvms, lk.source);
	else {
		vmc_hv_report(hv, "linux_kvm=unavailable (%s)", tmp.msg);
		copy_report(hv, lk.report); /* what the route did find, for list -v */
		vmc_linux_kvm_free(&lk);
	}
	if (!have_lk && !(pgds = vmc_pgd_scan_new(host, why, sizeof(why))))
		vmc_hv_report(hv, "vmm_pt=unavailable (%s)", why);

	if (have_lk && svm_from_kvm(host, &lk, &svm, hv, d)) {
		vmc_hv_report(hv, "svm: the VMCBs the host kernel's vCPUs point at, validated; no frame scan");
	} else {
		vmc_hw_scan_free(&svm);
		if ((rc = vmc_svm_scan_with(host, &svm, pgds ? vmc_pgd_scan_frame : NULL, pgds, d)))
			goto out;
	}
	copy_hw_messages(hv, &svm);
	vmc_diag_init(&tmp);
	if (svm.nvms) /* an AMD host: no VMCS to look for */
		vmc_hv_report(hv, "vmx=not scanned (SVM guests found)");
	else if (vmc_vmx_scan(host, o->vmcs_layout, &vmx, &tmp) == VMC_OK)
		copy_hw_messages(hv, &vmx);
	else {
		vmc_hv_report(hv, "vmx=unavailable (%s)", tmp.msg);
		/* a layout the user named must not fail silently */
		if (o->vmcs_layout)
			vmc_hv_warn(hv, "VMCS scan: %s", tmp.msg);
	}

	/* one work item per VM */
	{
		unsigned cap = svm.nvms + vmx.nvms + (have_lk ? lk.nvms : 0);
		if (!(w = calloc(cap ? cap : 1, sizeof(*w)))) {
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (have_lk) {
		for (unsigned i = 0; i < lk.nvms; i++) {
			struct vm_work *x = &w[nw++];
			x->lk = &lk.vms[i];
			x->key = (uint64_t)(uint32_t)lk.vms[i].userspace_pid;
			/* the VM's VMCBs: those the host kernel's vCPUs point at, or its NPT root */
			for (unsigned s = 0; s < 2 && !x->hw; s++) {
				struct vmc_hw_scan *hs = s ? &vmx : &svm;
				for (unsigned v = 0; v < hs->nvms && !x->hw; v++)
					for (unsigned c = 0; c < x->lk->nvcpus; c++)
						if ((x->lk->vcpus[c].tdp_root_hpa &&
						     x->lk->vcpus[c].tdp_root_hpa == hs->vms[v].tdp_root) ||
						    (x->lk->vcpus[c].vmcb_pa && lk_vcpu_for(x->lk, &hs->vms[v].vcpus[0])))
							x->hw = &hs->vms[v];
			}
		}
		/* host-side evidence: a VMCB no vCPU of the host kernel points at is not used */
		for (unsigned v = 0; v < svm.nvms; v++) {
			bool used = false;
			for (unsigned i = 0; i < nw; i++)
				used |= w[i].hw == &svm.vms[v];
			if (!used)
				vmc_hv_warn(hv, "VMCB at 0x%llx (nested_cr3 0x%llx) belongs to no VM the host kernel lists: ignored",
					    (unsigned long long)svm.vms[v].vcpus[0].state_pa,
					    (unsigned long long)svm.vms[v].tdp_root);
		}
	} else {
		for (unsigned v = 0; v < svm.nvms; v++)
			w[nw++] = (struct vm_work){ .hw = &svm.vms[v], .key = svm.vms[v].tdp_root };
		for (unsigned v = 0; v < vmx.nvms; v++)
			w[nw++] = (struct vm_work){ .hw = &vmx.vms[v], .key = vmx.vms[v].tdp_root };
	}
	if (!nw) {
		rc = vmc_fail(d, VMC_ERR_MISSING, "%s: no KVM guests found (%llu frames scanned, %llu VMCB candidates rejected%s%s)",
			      host->name, (unsigned long long)svm.frames_scanned, (unsigned long long)svm.rejected,
			      o->vmcs_layout ? "; VMCS scan: " : "", o->vmcs_layout ? tmp.msg : "");
		goto out;
	}
	qsort(w, nw, sizeof(*w), cmp_work);

	if ((rc = vmc_physmem_init(&pm, host, d)))
		goto out;
	for (unsigned i = 0; i < nw; i++) /* hv->guests moves while it grows: take pointers after */
		if (!vmc_hv_add_guest(hv, host->page_size)) {
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
			goto out;
		}
	for (unsigned i = 0; i < nw; i++) {
		struct vm_work *x = &w[i];
		struct vmc_guest *g = x->g = &hv->guests[hv->nguests - nw + i];

		snprintf(g->id, sizeof(g->id), "%u", i + 1);
		if (x->lk && x->lk->stats_id[0])
			snprintf(g->name, sizeof(g->name), "%s", x->lk->stats_id);
		snprintf(g->type, sizeof(g->type), "%s", x->hw && x->hw->format == VMC_PT_EPT ? "KVM-VMX" : "KVM-SVM");
		g->space = VMC_SPACE_GUEST_PHYS;
		x->want = !o->only || !strcmp(o->only, g->id);
		if (x->hw)
			vmc_guest_report(g, "tdp_root=0x%llx vcpus=%u", (unsigned long long)x->hw->tdp_root, x->hw->nvcpus);
		if (x->lk)
			vmc_guest_report(g, "kvm=0x%llx pid=%d pgd=0x%llx memslots=%u", (unsigned long long)x->lk->kvm_va,
					 x->lk->userspace_pid, (unsigned long long)x->lk->pgd_pa, x->lk->nslots);
		if (x->want && x->hw) {
			vmc_diag_init(&tmp);
			if ((rc = walk_npt(&pm, x, &tmp)) == VMC_ERR_NOMEM) {
				vmc_fail(d, rc, "out of memory");
				goto out;
			}
			if (rc && !x->lk) {
				/* a cut-short walk over looping or aliasing tables is not a guest's memory */
				vmc_guest_fail(g, rc, "nested page tables at 0x%llx: %s", (unsigned long long)x->hw->tdp_root,
					       tmp.msg);
				x->npt.n = 0;
			} else if (rc) {
				vmc_guest_warn(g, "nested page tables at 0x%llx: %s; carved from the memslots only",
					       (unsigned long long)x->hw->tdp_root, tmp.msg);
				x->npt.n = 0;
			}
			rc = VMC_OK;
			if (x->npt_st.tables_absent)
				vmc_guest_warn(g, "%llu nested page tables are not in the host dump (first at 0x%llx)",
					       (unsigned long long)x->npt_st.tables_absent,
					       (unsigned long long)x->npt_st.first_bad_table);
			if (x->npt_st.loops)
				vmc_guest_warn(g, "nested page tables loop back %llu times", (unsigned long long)x->npt_st.loops);
			if (ext_normalise(&x->npt))
				vmc_guest_warn(g, "nested page tables map some guest frames twice");
			vmc_guest_report(g, "npt.leaves_4k=%llu leaves_2m=%llu leaves_1g=%llu tables=%llu",
					 (unsigned long long)x->npt_st.leaves[0], (unsigned long long)x->npt_st.leaves[1],
					 (unsigned long long)x->npt_st.leaves[2], (unsigned long long)x->npt_st.tables);
		}
		if (x->lk) {
			x->slots = x->lk->slots;
			x->nslots = x->lk->nslots;
			x->pgd_pa = x->lk->pgd_pa;
			x->levels = x->lk->pgtable_levels ? x->lk->pgtable_levels : 4;
		}
	}

	/* symbol-free memslot route: one vote over every root for all wanted VMs */
	if (!have_lk && pgds) {
		struct vmc_gfn_ext **ext = calloc(nw, sizeof(*ext));
		size_t *n = calloc(nw, sizeof(*n));
		struct vmc_vmm_guess *gs = calloc(nw, sizeof(*gs));
		if (!ext || !n || !gs) {
			free(ext);
			free(n);
			free(gs);
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (unsigned i = 0; i < nw; i++) {
			ext[i] = w[i].want ? w[i].npt.e : NULL;
			n[i] = w[i].want ? w[i].npt.n : 0;
		}
		rc = vmc_vmm_guess(host, pgds, ext, n, nw, gs, why, sizeof(why), d);
		if (!rc) {
			if (why[0])
				vmc_hv_warn(hv, "%s", why);
			for (unsigned i = 0; i < nw; i++) {
				w[i].guess = gs[i];
				if (!gs[i].pgd_pa)
					continue;
				w[i].slots = gs[i].slots;
				w[i].nslots = gs[i].nslots;
				w[i].pgd_pa = gs[i].pgd_pa;
				w[i].levels = gs[i].levels;
				vmc_guest_report(w[i].g, "vmm_pt.pgd=0x%llx matched=%llu of %llu runner_up=%llu slots=%u",
						 (unsigned long long)gs[i].pgd_pa, (unsigned long long)gs[i].pages_matched,
						 (unsigned long long)gs[i].pages_known, (unsigned long long)gs[i].runner_up,
						 gs[i].nslots);
				if (gs[i].runner_up * 2 > gs[i].pages_matched)
					vmc_guest_warn(w[i].g, "two processes map this guest's frames (%llu and %llu pages); took the first",
						       (unsigned long long)gs[i].pages_matched, (unsigned long long)gs[i].runner_up);
			}
		}
		free(ext);
		free(n);
		free(gs);
		if (rc)
			goto out;
	}

	for (unsigned i = 0; i < nw; i++) {
		struct vm_work *x = &w[i];
		struct vmc_guest *g = x->g;
		const char *memroute = x->lk ? "memslots (host kernel) + VMM page tables"
				       : x->nslots ? "VMM page tables (slots inferred, no KVM symbols)"
						   : NULL;

		snprintf(g->method, sizeof(g->method), "%s%s%s", x->hw ? (x->hw->format == VMC_PT_EPT ? "VMCS/EPT" : "VMCB/NPT") : "",
			 x->hw && memroute ? " + " : "", memroute ? memroute : "");
		if (!x->hw && !memroute) {
			vmc_guest_fail(g, VMC_ERR_MISSING, "neither nested page tables nor the VMM's mappings were found");
			continue;
		}
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
		if (x->want) {
			if (x->nslots && (rc = walk_slots(&pm, x, d)))
				goto out;
			ext_normalise(&x->vmm);
			if (!x->nslots)
				vmc_guest_warn(g, "memslot route unavailable: only the frames the nested page tables map (%llu) are carved",
					       (unsigned long long)x->npt_st.leaves[0] + (x->npt_st.leaves[1] << 9) +
						       (x->npt_st.leaves[2] << 18));
			if ((rc = build_map(x, d)))
				goto out;
		}
		if ((rc = add_vcpus(x, d)))
			goto out;
		if (x->want) {
			if ((rc = vmc_gmap_finish(&g->map, d)))
				goto out;
			if (vmc_gmap_end(&g->map) > g->max_gfn)
				g->max_gfn = vmc_gmap_end(&g->map);
			account(host, g);
		}
	}
	if (nw > 1 && (rc = check_shared_frames(hv, w, nw, d)))
		goto out;
	rc = VMC_OK;
out:
	vmc_physmem_fini(&pm);
	if (w) {
		for (unsigned i = 0; i < nw; i++) {
			free(w[i].npt.e);
			free(w[i].vmm.e);
			vmc_vmm_guess_free(&w[i].guess);
		}
		free(w);
	}
	vmc_pgd_scan_free(pgds);
	vmc_hw_scan_free(&svm);
	vmc_hw_scan_free(&vmx);
	if (have_lk)
		vmc_linux_kvm_free(&lk);
	return rc;
}

const struct vmc_carver_ops vmc_carver_kvm = { .name = "kvm", .probe = probe, .scan = scan };
