/* xen_carve.c: the Xen carver: finds Xen in a host dump (its notes, or the CPUs' CR3s plus
 * --xen-syms), lists every domain on domain_list, and builds each PV domain's output "Xen-kdump
 * style" (carving.md 6.2(c)): the domain's own machine frames as the frame table assigns them,
 * a "Xen" CRASH_INFO note whose last word is the domain's frame_list_list (synthesised above the
 * host's highest frame when the guest published ~0), and the guest kernel's utsname. */
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include "array.h"
#include "guest_dump.h"
#include "linux_info.h"
#include "notes.h"
#include "xen_hvm_p2m.h"
#include "xen_pvcanon.h"
#include "xen_vmci.h"
#include "xen_xenstore.h"

#define PER_PAGE 512ull
#define CRASH_INFO_WORDS 10

static int probe(struct vmc_dump *host, const struct vmc_carve_opts *o)
{
	int s = vmc_xen_notes_probe(host);
	/* a whole-machine dump with CPU notes: Xen if the user says so with --xen-syms, or if a
	 * CPU's page tables map Xen's reserved virtual range (Linux never maps it) */
	if (!s && o->xen_syms && vmc_notes_count(host->notes, host->notes_len, "QEMU", 0))
		s = 80;
	if (!s && vmc_xen_notes_cr3_maps_xen(host))
		s = 60;
	return s;
}

static const char *owner_name(struct xen_host *x, const struct xen_domain *doms, unsigned n, uint64_t mfn,
			      char *buf, size_t sz)
{
	uint32_t o;
	if (mfn >= x->nowner)
		return mfn > x->dump->max_pfn ? "outside the host's RAM" : "beyond Xen's max_page";
	if (!(o = vmc_xen_frames_owner(x, mfn)))
		return "owned by no domain (free, or Xen's)";
	for (unsigned i = 0; i < n; i++)
		if (doms[i].pickled == XEN_OWNER_ID(o)) {
			snprintf(buf, sz, "%s of domain %u", o & XEN_OWNER_HEAP ? "a Xen-heap page" : "owned by", doms[i].domid);
			return buf;
		}
	snprintf(buf, sz, "owned by Xen-internal domain 0x%x", XEN_OWNER_ID(o));
	return buf;
}

/* The CRASH_INFO note crash reads for a PV kernel: the host's words (version, xen_phys_start)
 * with the last one pointing at this domain's frame_list_list. */
static enum vmc_status add_crash_info(struct xen_host *x, struct vmc_guest *g, uint64_t fll_mfn, struct vmc_diag *d)
{
	uint64_t w[CRASH_INFO_WORDS] = { 0 };

	if (x->has_crash_info && x->crash_info_words == CRASH_INFO_WORDS)
		memcpy(w, x->crash_info, sizeof(w));
	w[0] = x->version_major;
	w[1] = x->version_minor;
	w[8] = x->xen_phys_start;
	w[9] = fll_mfn;
	return vmc_guest_add_note(g, "Xen", VMC_XEN_ELFNOTE_CRASH_INFO, w, sizeof(w), d);
}

/* Frame-list-list and frame-list pages built from the leaf MFNs, placed at frames from base
 * on (above every frame of the output), for guests that publish ~0 (crash and makedumpfile
 * only read the tree). */
static enum vmc_status synth_tree(struct vmc_guest *g, const struct xen_p2m *p, uint64_t base, uint64_t *fll_mfn,
				  struct vmc_diag *d)
{
	uint64_t nfl = (p->nleaf + PER_PAGE - 1) / PER_PAGE, next, page[PER_PAGE], inval[PER_PAGE];
	enum vmc_status rc;

	base = (base + 0x1ff) & ~0x1ffull;
	if (nfl > PER_PAGE)
		return vmc_fail(d, VMC_ERR_LIMIT, "domain %s: p2m of %llu pages is more than one frame-list-list covers", g->id,
				(unsigned long long)p->npfn);
	*fll_mfn = base;
	next = base + 1 + nfl; /* after the fl pages: an all-invalid leaf for holes */
	memset(inval, 0xff, sizeof(inval));
	memset(page, 0, sizeof(page));
	for (uint64_t i = 0; i < nfl; i++)
		page[i] = base + 1 + i;
	if ((rc = vmc_gmap_add_synth(&g->map, base, page, d)))
		return rc;
	bool need_inval = false;
	for (uint64_t i = 0; i < nfl; i++) {
		memset(page, 0, sizeof(page));
		for (uint64_t j = 0; j < PER_PAGE && i * PER_PAGE + j < p->nleaf; j++) {
			uint64_t leaf = p->leaf[i * PER_PAGE + j];
			if (leaf == XEN_P2M_INVALID) {
				leaf = next;
				need_inval = true;
			}
			page[j] = leaf;
		}
		if ((rc = vmc_gmap_add_synth(&g->map, base + 1 + i, page, d)))
			return rc;
	}
	if (need_inval && (rc = vmc_gmap_add_synth(&g->map, next, inval, d)))
		return rc;
	vmc_guest_report(g, "p2m.synthesised_fll_mfn=0x%llx (%llu frame-list pages%s)", (unsigned long long)base,
			 (unsigned long long)nfl, need_inval ? ", one all-invalid leaf" : "");
	return VMC_OK;
}

/* The guest kernel's VMCOREINFO note: the first frame in pfn order (Linux allocates it early
 * in boot, so it sits low) that holds one validated through init_uts_ns; the search begun by
 * carve_pv (vs NULL when it could not be: vd says why) ends here. */
static void find_vmcoreinfo(struct vmc_guest *g, struct xen_vmci_search *vs, const struct vmc_diag *vd,
			    uint64_t *pfn_out)
{
	struct xen_vmci r;

	g->vmci_searched = true;
	vmc_xen_vmci_end(vs, &r);
	if (!vs) {
		vmc_guest_warn(g, "VMCOREINFO search: %s: drgn will not open the output", vd->msg);
		return;
	}
	if (!r.text) {
		vmc_guest_warn(g, "no VMCOREINFO note (checked against init_uts_ns) in the guest's memory: drgn will not open the output");
		return;
	}
	if (!vmc_guest_add_note(g, "VMCOREINFO", 0, r.text, r.len, &(struct vmc_diag){ 0 })) {
		vmcoreinfo_get(r.text, r.len, "OSRELEASE", g->release, sizeof(g->release));
		g->vmcoreinfo_gpa = r.mfn << 12;
		*pfn_out = r.pfn;
		g->has_vmcoreinfo = true;
		vmc_guest_report(g, "vmcoreinfo.pfn=0x%llx mfn=0x%llx (init_uts_ns matches; %llu candidate(s) seen before it)",
				 (unsigned long long)r.pfn, (unsigned long long)r.mfn, (unsigned long long)r.ncand - 1);
	}
	free(r.text);
}

/* The guest's utsname through its own p2m: a machine-space output cannot be followed by the
 * generic code (the kernel image is linear in pfn, not in mfn). */
static void fill_uts(struct xen_host *x, struct vmc_guest *g, const struct xen_p2m *p)
{
	struct vmc_note vi;
	uint64_t sym, off = 0, phys_base = 0;
	char uts[6][65];

	if (!vmc_notes_find(g->notes, g->notes_len, "VMCOREINFO", &vi) ||
	    !vmcoreinfo_get_u64(vi.desc, vi.desc_len, "SYMBOL(init_uts_ns)", 16, &sym))
		return;
	vmcoreinfo_get_u64(vi.desc, vi.desc_len, "OFFSET(uts_namespace.name)", 10, &off);
	vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(phys_base)", 0, &phys_base);
	if (off > 4096 || !vmc_xen_pv_kva_read(&x->pm, p, sym + off, phys_base, uts, sizeof(uts)))
		return;
	for (int i = 0; i < 5; i++)
		if (!memchr(uts[i], 0, 65) || !uts[i][0])
			return;
	uts[5][64] = 0;
	if (strcmp(uts[2], g->release)) {
		vmc_guest_warn(g, "init_uts_ns at 0x%llx holds release '%s', not the VMCOREINFO's '%s'", (unsigned long long)sym,
			       uts[2], g->release);
		return;
	}
	memcpy(g->uts, uts, sizeof(uts));
	g->has_uts = true;
	vmc_guest_report(g, "uts.nodename=%s", uts[1]);
}

/* A guest that publishes both forms: the linear list must say what the tree says. */
static void crosscheck_linear(struct xen_host *x, const struct xen_domain *dom, struct vmc_guest *g,
			      const struct xen_p2m *tree)
{
	struct xen_domain lin_dom = *dom;
	struct xen_p2m lin;
	struct vmc_diag tmp;
	uint64_t same = 0, first_diff = ~0ull;

	lin_dom.fll_mfn = ~0ull;
	vmc_diag_init(&tmp);
	if (vmc_xen_p2m_read(x, &lin_dom, &lin, &tmp)) {
		vmc_guest_warn(g, "linear p2m (p2m_cr3 0x%llx) unreadable: %s", (unsigned long long)dom->p2m_cr3, tmp.msg);
		return;
	}
	for (uint64_t pfn = 0; pfn < tree->npfn && pfn < lin.npfn; pfn++) {
		if (vmc_xen_p2m_get(tree, pfn) == vmc_xen_p2m_get(&lin, pfn))
			same++;
		else if (first_diff == ~0ull)
			first_diff = pfn;
	}
	vmc_guest_report(g, "p2m.linear_crosscheck=%llu of %llu entries agree with the tree (%llu page tables read)",
			 (unsigned long long)same, (unsigned long long)tree->npfn, (unsigned long long)lin.tables);
	if (same != tree->npfn)
		vmc_guest_warn(g, "the linear p2m disagrees with the frame-list tree from pfn 0x%llx on; the tree is used",
			       (unsigned long long)first_diff);
	vmc_xen_p2m_free(&lin);
}

/* Machine space (today's Xen-kdump form): every frame the frame table gives the domain,
 * Xen-heap pages shared with it included, at its mfn; the guest's p2m tree in the note. */
static enum vmc_status map_machine(struct xen_host *x, struct xen_domain *dom, struct vmc_guest *g,
				   const struct xen_p2m *p, struct vmc_diag *d)
{
	uint64_t fll_mfn = dom->fll_mfn, top = x->dump->max_pfn > x->max_page ? x->dump->max_pfn : x->max_page;
	enum vmc_status rc;

	g->space = VMC_SPACE_MACHINE;
	vmc_guest_report(g, "pv.space=machine (the domain's machine frames, its page tables as Xen held them: crash reads this form, drgn and gdb cannot)");
	/* the domain's runs, its Xen-heap frames with them: adjacent ones as one */
	for (size_t r = 0; r < x->nfruns; r++) {
		uint64_t mfn = x->fruns[r].mfn, end = mfn;
		for (; r < x->nfruns && x->fruns[r].owner && XEN_OWNER_ID(x->fruns[r].owner) == dom->pickled; r++)
			end = r + 1 < x->nfruns ? x->fruns[r + 1].mfn : x->nowner;
		if (end > mfn && (rc = vmc_gmap_add(&g->map, mfn, mfn, end - mfn, d)))
			return rc;
	}
	if ((!fll_mfn || fll_mfn == ~0ull || p->linear) &&
	    (rc = synth_tree(g, p, (top + 0x1ff) & ~0x1ffull, &fll_mfn, d)))
		return rc;
	if ((rc = add_crash_info(x, g, fll_mfn, d)))
		return rc;
	vmc_guest_report(g, "crash_info.p2m_mfn=0x%llx", (unsigned long long)fll_mfn);
	return VMC_OK;
}

/* The identity p2m crash's Xen-kdump path gets for a pfn-space output (it decides on Xen PV
 * from the kernel's xen_start_info, not from the dump, and then translates every physical
 * read and every PTE through the p2m): leaves p2m[pfn] = pfn for the frames the output holds
 * (~0 elsewhere, MMIO included) and their tree, all above the output's highest frame. The
 * leaves are built as the output reads them (8 bytes a pfn if held: 2 GiB for a 1 TiB guest);
 * the tree above them is held (8 bytes per 512 pfns). */
static enum vmc_status synth_identity(struct vmc_guest *g, const struct xen_pvcanon *c, uint64_t *fll_mfn,
				      struct vmc_diag *d)
{
	uint64_t base = (c->np2m + 0x1ff) & ~0x1ffull;
	struct xen_p2m id = { .nleaf = (c->np2m + PER_PAGE - 1) / PER_PAGE };
	enum vmc_status rc;

	if (!(id.leaf = malloc((id.nleaf ? id.nleaf : 1) * sizeof(*id.leaf))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (uint64_t i = 0; i < id.nleaf; i++)
		id.leaf[i] = base + i;
	rc = vmc_xen_pvcanon_add_identity(g, base, id.nleaf, d);
	if (!rc)
		rc = synth_tree(g, &id, (base + id.nleaf + 0x1ff) & ~0x1ffull, fll_mfn, d);
	if (!rc)
		vmc_guest_report(g, "p2m.identity_leaves=0x%llx (%llu pages: p2m[pfn] = pfn, for crash)", (unsigned long long)base,
				 (unsigned long long)id.nleaf);
	free(id.leaf);
	return rc;
}

/* The kernel's top-level page table as a machine frame (~0 when VMCOREINFO does not say). */
static uint64_t swapper_mfn(const struct vmc_guest *g, const struct xen_p2m *p)
{
	struct vmc_note vi;
	uint64_t sym, phys_base = 0, pfn;

	if (!vmc_notes_find(g->notes, g->notes_len, "VMCOREINFO", &vi) ||
	    !vmcoreinfo_get_u64(vi.desc, vi.desc_len, "SYMBOL(swapper_pg_dir)", 16, &sym) ||
	    sym < VMC_X86_64_START_KERNEL_MAP)
		return ~0ull;
	vmcoreinfo_get_u64(vi.desc, vi.desc_len, "NUMBER(phys_base)", 0, &phys_base);
	pfn = (sym - VMC_X86_64_START_KERNEL_MAP + phys_base) >> 12;
	if (pfn >= p->npfn || (vmc_xen_p2m_get(p, pfn) & (XEN_P2M_IDENTITY_BIT | XEN_P2M_FOREIGN_BIT)))
		return ~0ull;
	return vmc_xen_p2m_get(p, pfn);
}

static void report_canon(struct vmc_guest *g, const struct xen_pvcanon *c, const struct xen_pvcanon_stats *st)
{
	uint64_t cleared = st->xen_heap + st->foreign + st->unmapped + st->other + st->pse;

	vmc_guest_report(g, "pv.page_tables=%llu (L1 %llu, L2 %llu, L3 %llu, L4 %llu) canonicalised, %llu not in the host dump",
			 (unsigned long long)st->tables, (unsigned long long)st->by_level[1],
			 (unsigned long long)st->by_level[2], (unsigned long long)st->by_level[3],
			 (unsigned long long)st->by_level[4], (unsigned long long)st->absent_tables);
	vmc_guest_report(g, "pv.entries: translated=%llu identity=%llu xen_slots_zeroed=%llu cleared=%llu (xen_heap=%llu foreign=%llu own_unmapped=%llu other=%llu pse=%llu)",
			 (unsigned long long)st->translated, (unsigned long long)st->identity,
			 (unsigned long long)st->xen_slots, (unsigned long long)cleared, (unsigned long long)st->xen_heap,
			 (unsigned long long)st->foreign, (unsigned long long)st->unmapped, (unsigned long long)st->other,
			 (unsigned long long)st->pse);
	if (c->duplicates)
		vmc_guest_warn(g, "p2m: %llu pfns name a frame an earlier pfn already has: only the first is written",
			       (unsigned long long)c->duplicates);
	if (st->pse)
		vmc_guest_warn(g, "page tables: %llu present entries with PSE at L2..L4 (a PV guest has no superpages: corrupt); cleared",
			       (unsigned long long)st->pse);
}

/* The domain's inverse p2m, which pfn space needs and which needs no VMCOREINFO note: built
 * while the note is searched for (carve_pv), kept for map_pfn. */
struct early_inverse {
	struct xen_pvcanon c;
	bool built;
	enum vmc_status rc;
	struct vmc_diag d; /* why it failed (rc) */
};

static void inverse_early(struct xen_host *x, const struct xen_domain *dom, const struct xen_p2m *p,
			  struct early_inverse *e)
{
	uint64_t dio = 0;
	uint32_t dom_io = 0;

	vmc_diag_init(&e->d);
	if (!(e->built = x->has_ptype)) /* without page types the tables stay in machine space */
		return;
	if (x->sym_dom_io && !vmc_xen_read_u64(x, x->sym_dom_io, &dio, &(struct vmc_diag){ 0 }) && dio)
		dom_io = vmc_xen_frames_pickle(x, dio);
	e->rc = vmc_xen_pvcanon_init(&e->c, x, p, dom->pickled, dom_io, &e->d);
}

static void inverse_release(struct early_inverse *e)
{
	if (e->built && !e->rc)
		vmc_xen_pvcanon_release(&e->c);
	e->built = false;
}

/* pfn space with canonical page tables and the identity p2m note; *done stays false (machine
 * space then) when Xen's page types cannot be trusted for this domain. */
static enum vmc_status map_pfn(struct xen_host *x, struct xen_domain *dom, struct vmc_guest *g,
			       const struct xen_p2m *p, struct early_inverse *e, bool *done, struct vmc_diag *d)
{
	struct xen_pvcanon_stats st = { 0 };
	uint64_t fll_mfn;
	char why[256];
	enum vmc_status rc;

	*done = false;
	if (!vmc_xen_pvcanon_check(x, dom->pickled, swapper_mfn(g, p), why, sizeof(why))) {
		vmc_guest_warn(g, "page tables cannot be canonicalised (%s): written in machine space (crash reads it; drgn and gdb on the ELF output cannot)", why);
		return VMC_OK;
	}
	vmc_guest_report(g, "pv.type_info=@%llu (%s)", (unsigned long long)x->off_pi_type_info, why);
	if (e->rc) { /* built: the check passes only with page types */
		*d = e->d;
		return e->rc;
	}
	g->space = VMC_SPACE_GUEST_PHYS;
	if (!(rc = vmc_xen_pvcanon_map(x, &e->c, g, &st, d)) && !(rc = synth_identity(g, &e->c, &fll_mfn, d)) &&
	    !(rc = add_crash_info(x, g, fll_mfn, d))) {
		vmc_guest_report(g, "pv.space=pfn (the guest's own frames; page tables canonical, so drgn, gdb and crash all translate them)");
		vmc_guest_report(g, "crash_info.p2m_mfn=0x%llx (identity p2m)", (unsigned long long)fll_mfn);
		report_canon(g, &e->c, &st);
		*done = true;
	}
	return rc;
}

static enum vmc_status carve_pv(struct xen_host *x, struct xen_domain *doms, unsigned ndoms, struct xen_domain *dom,
				struct vmc_guest *g, struct vmc_diag *d)
{
	struct xen_p2m p;
	enum vmc_status rc;
	uint64_t refused = 0, identity = 0, invalid = 0, valid = 0, vmci_pfn = 0;
	struct xen_vmci_search *vs = NULL;
	struct early_inverse inv = { .built = false };
	struct vmc_diag vd;
	bool pfn_space = false;
	char why[96];

	if ((rc = vmc_xen_p2m_read(x, dom, &p, d)))
		return rc;
	/* the search reads up to the note, the p2m's checks below run meanwhile */
	vmc_diag_init(&vd);
	vmc_xen_vmci_begin(x, &p, dom->pickled, &vs, &vd);
	if (p.warn[0])
		vmc_guest_warn(g, "%s", p.warn);
	if (!p.linear && dom->p2m_cr3 && dom->p2m_vaddr)
		crosscheck_linear(x, dom, g, &p);
	snprintf(g->method, sizeof(g->method), "frame_table ownership + %s", p.linear ? "linear p2m (p2m_cr3/p2m_vaddr)"
											 : "p2m frame-list tree");
	/* what the guest's p2m claims that the frame table does not confirm is refused */
	for (uint64_t pfn = 0; pfn < p.npfn; pfn++) {
		uint64_t e = vmc_xen_p2m_get(&p, pfn), mfn;
		if (e == XEN_P2M_INVALID) {
			invalid++;
			continue;
		}
		if (e & XEN_P2M_IDENTITY_BIT) {
			identity++;
			continue;
		}
		mfn = e & ~XEN_P2M_FOREIGN_BIT;
		if ((e & XEN_P2M_FOREIGN_BIT) || !vmc_xen_frames_own_ram(x, mfn, dom->pickled)) {
			if (!refused++)
				vmc_guest_warn(g, "p2m: pfn 0x%llx -> mfn 0x%llx is %s: not copied", (unsigned long long)pfn,
					       (unsigned long long)mfn,
					       (e & XEN_P2M_FOREIGN_BIT) ? "a foreign (grant) frame"
									 : owner_name(x, doms, ndoms, mfn, why, sizeof(why)));
			continue;
		}
		valid++;
	}
	if (refused > 1)
		vmc_guest_warn(g, "p2m: %llu entries point at frames domain %u does not own; not copied",
			       (unsigned long long)refused, dom->domid);
	if (p.loops)
		vmc_guest_warn(g, "p2m page tables (root 0x%llx): %llu entries point back up their own path (loops); skipped",
			       (unsigned long long)dom->p2m_cr3, (unsigned long long)p.loops);
	if (!valid) {
		/* crash translates every kernel address through this p2m: without it the output is useless */
		rc = vmc_fail(d, VMC_ERR_CORRUPT, "domain %u: its %s p2m (max_pfn 0x%llx) maps no frame the domain owns%s%s%s",
			      dom->domid, p.linear ? "linear" : "frame-list", (unsigned long long)p.npfn,
			      p.loops ? " (its page tables loop)" : "", p.warn[0] ? "; " : "", p.warn);
		goto out;
	}
	g->pages_refused = refused;
	g->max_gfn = p.npfn;
	vmc_guest_report(g, "p2m.source=%s", p.linear ? "linear" : "tree");
	vmc_guest_report(g, "p2m.max_pfn=0x%llx valid=%llu identity=%llu invalid=%llu refused=%llu tables_read=%llu",
			 (unsigned long long)p.npfn, (unsigned long long)valid, (unsigned long long)identity,
			 (unsigned long long)invalid, (unsigned long long)refused, (unsigned long long)p.tables);
	inverse_early(x, dom, &p, &inv);
	find_vmcoreinfo(g, vs, &vd, &vmci_pfn);
	vs = NULL;
	fill_uts(x, g, &p);
	if ((rc = map_pfn(x, dom, g, &p, &inv, &pfn_space, d)))
		goto out;
	if (pfn_space)
		g->vmcoreinfo_gpa = vmci_pfn << 12;
	else if ((rc = map_machine(x, dom, g, &p, d)))
		goto out;
	rc = vmc_gmap_finish(&g->map, d);
out:
	vmc_xen_vmci_end(vs, NULL);
	inverse_release(&inv);
	vmc_xen_p2m_free(&p);
	return rc;
}

/* Per-vCPU registers from vcpu.arch.user_regs, where Xen saved them when the vCPU last left
 * the guest. Without them the output has no per-vCPU notes (crash then searches stacks). */
static void add_vcpus(struct xen_host *x, struct vmc_guest *g, const struct xen_domain *dom,
		      const struct xen_layout *lay)
{
	unsigned ok = 0;

	for (unsigned v = 0; v < dom->nvcpu; v++) {
		struct vmc_vcpu *c = vmc_guest_add_vcpu(g, v);
		const uint64_t *r = dom->vcpu_running[v] ? dom->vcpu_live[v] : dom->vcpu_regs[v];
		if (!c || !x->vcpu_running_known || !(dom->vcpu_running[v] ? dom->vcpu_live_ok[v] : dom->vcpu_regs_ok[v]))
			continue;
		c->r15 = r[0], c->r14 = r[1], c->r13 = r[2], c->r12 = r[3], c->rbp = r[4], c->rbx = r[5];
		c->r11 = r[6], c->r10 = r[7], c->r9 = r[8], c->r8 = r[9], c->rax = r[10], c->rcx = r[11];
		c->rdx = r[12], c->rsi = r[13], c->rdi = r[14];
		c->orig_rax = ~0ull;
		c->rip = r[16], c->cs = r[17] & 0xffff, c->rflags = r[18], c->rsp = r[19], c->ss = r[20] & 0xffff;
		c->es = r[21] & 0xffff, c->ds = r[22] & 0xffff, c->fs = r[23] & 0xffff, c->gs = r[24] & 0xffff;
		c->regs_valid = c->gprs_valid = true;
		if (dom->vcpu_running[v])
			snprintf(c->source, sizeof(c->source), "%s", dom->vcpu_live_src[v]);
		else
			snprintf(c->source, sizeof(c->source), "vcpu 0x%llx + 0x%llx", (unsigned long long)dom->vcpu_va[v],
				 (unsigned long long)lay->off_user_regs);
		vmc_guest_report(g, "vcpu%u.rip=0x%llx rsp=0x%llx (%s)", v, (unsigned long long)c->rip,
				 (unsigned long long)c->rsp, dom->vcpu_running[v] ? c->source : "saved user_regs");
		ok++;
	}
	if (!x->vcpu_running_known) {
		g->no_vcpu_notes = true;
		vmc_guest_warn(g, "no per-vCPU notes: without Xen's symbols (--xen-syms; none embedded in the dump's Xen) running vCPUs (whose saved registers are stale) cannot be told apart; crash finds active tasks by stack search");
	} else if (ok != dom->nvcpu) {
		g->no_vcpu_notes = true;
		vmc_guest_warn(g, "registers of %u of %u vCPUs found: no per-vCPU notes are written (crash finds active tasks by stack search)",
			       ok, dom->nvcpu);
	}
}

/* What scan() holds across its phases. */
struct xen_carve {
	struct xen_host *x;
	struct xen_domain *doms;
	unsigned ndoms;
	struct xen_layout lay;
	struct xen_hvm_layout hvm_lay;
	struct xen_hvm_vcpu_layout hvm_vcpu_lay;
	struct xen_syms ksyms;   /* the table embedded in Xen's image, while not taken into x->syms */
	struct xen_xs xs;        /* names and UUIDs found in xenstored's database in dom0 */
	size_t name_cap;         /* allocated entries of hv->name_frames */
	bool name_nomem;         /* a name frame could not be recorded (warned once) */
};

/* HVM or PVH, from d->arch.emulation_flags: an emulated PC platform (PIC, PIT, RTC...: a
 * device model) is HVM; LAPIC alone (domU) or LAPIC|IOAPIC|VPCI (dom0) is PVH. */
static void hvm_type(struct vmc_guest *g, const struct xen_domain *dom)
{
	if (!dom->has_emu_flags) {
		snprintf(g->type, sizeof(g->type), "HVM/PVH");
		vmc_guest_report(g, "type=HVM/PVH (d->arch.emulation_flags not found)");
		return;
	}
	snprintf(g->type, sizeof(g->type), "%s", dom->emu_flags & XEN_EMU_PIC ? "HVM" : "PVH");
	vmc_guest_report(g, "type=%s (emulation_flags=0x%x: %s)", g->type, dom->emu_flags,
			 dom->emu_flags & XEN_EMU_PIC ? "an emulated PC platform" : "no emulated PC platform, no device model");
}

/* The p2m's form: EPT (Intel) or Xen's p2m-pt page tables, which are the NPT with HAP on AMD
 * and shadow paging's p2m without it (d->options CDF_hap says which when it was found). */
static const char *p2m_form(const struct xen_domain *dom, const struct xen_hvm_layout *lay)
{
	if (lay->fmt == VMC_PT_EPT)
		return "EPT";
	if (!dom->has_options)
		return "p2m-pt: NPT or shadow";
	return dom->options & XEN_CDF_HAP ? "NPT, p2m-pt" : "p2m-pt, shadow paging";
}

/* HVM/PVH: guest-physical output from Xen's p2m, vCPU registers from struct vcpu and the
 * VMCB (xen_hvm_vcpu.c). */
static enum vmc_status carve_hvm(struct xen_carve *c, const struct xen_domain *dom, struct vmc_guest *g,
				 bool summary_only, struct vmc_diag *d)
{
	struct xen_hvm_layout *lay = &c->hvm_lay;
	enum vmc_status rc;

	hvm_type(g, dom);
	if ((rc = vmc_xen_hvm_discover(c->x, dom, lay, d)))
		return rc;
	if (!g->report || !strstr(g->report, "p2m.layout"))
		vmc_guest_report(g, "p2m.layout: OFFSET(domain.arch.p2m)=%llu OFFSET(p2m_domain.domain)=%llu OFFSET(p2m_domain.phys_table)=%llu (%s)",
				 (unsigned long long)lay->off_d_p2m, (unsigned long long)lay->off_back,
				 (unsigned long long)lay->off_root, lay->source);
	g->space = VMC_SPACE_GUEST_PHYS;
	snprintf(g->method, sizeof(g->method), "Xen p2m (%s) + frame_table ownership", p2m_form(dom, lay));
	vmc_xen_hvm_vcpus(c->x, dom, &c->lay, lay, &c->hvm_vcpu_lay, g);
	if (summary_only)
		return VMC_OK;
	if ((rc = vmc_xen_hvm_map(c->x, dom, lay, g, d)) || (rc = vmc_gmap_finish(&g->map, d)))
		return rc;
	return VMC_OK;
}

static void report_handle(struct xen_host *x, const struct xen_layout *lay)
{
	if (lay->off_handle)
		vmc_hv_report(x->hv, "OFFSET(domain.handle)=%llu (%s)", (unsigned long long)lay->off_handle,
			      lay->handle_source);
	else
		vmc_hv_report(x->hv, "OFFSET(domain.handle)=unknown (%u offsets fit)", lay->handle_candidates);
}

/* with_handle false: the handle is found later (names_late), and reported then */
static void report_layout(struct xen_host *x, const struct xen_layout *lay, bool with_handle)
{
	vmc_hv_report(x->hv, "struct_domain.source=%s", lay->source ? lay->source : "none");
	vmc_hv_report(x->hv, "OFFSET(domain.domain_id)=%llu", (unsigned long long)x->off_d_domain_id);
	vmc_hv_report(x->hv, "OFFSET(domain.next_in_list)=%llu", (unsigned long long)x->off_d_next_in_list);
	vmc_hv_report(x->hv, "OFFSET(domain.max_vcpus)=%llu", (unsigned long long)lay->off_max_vcpus);
	vmc_hv_report(x->hv, "OFFSET(domain.vcpu)=%llu", (unsigned long long)lay->off_vcpu);
	vmc_hv_report(x->hv, "OFFSET(domain.shared_info)=%llu", (unsigned long long)lay->off_shared_info);
	if (lay->off_tot_pages)
		vmc_hv_report(x->hv, "OFFSET(domain.tot_pages)=%llu (equals the frames each domain owns)",
			      (unsigned long long)lay->off_tot_pages);
	else
		vmc_hv_report(x->hv, "OFFSET(domain.tot_pages)=unknown");
	if (with_handle)
		report_handle(x, lay);
	vmc_hv_report(x->hv, "OFFSET(vcpu.vcpu_id)=0");
	vmc_hv_report(x->hv, "OFFSET(vcpu.domain)=%llu", (unsigned long long)lay->off_vcpu_domain);
	if (lay->off_user_regs)
		vmc_hv_report(x->hv, "OFFSET(vcpu.arch.user_regs)=%llu (PV kernel selectors and RIP in %u vCPUs)",
			      (unsigned long long)lay->off_user_regs, lay->user_regs_votes);
	else
		vmc_hv_report(x->hv, "OFFSET(vcpu.arch.user_regs)=unknown");
	if (lay->off_options)
		vmc_hv_report(x->hv, "OFFSET(domain.options)=%llu (CDF_hvm set exactly in the domains with Xen's p2m; %u candidate(s), the first taken)",
			      (unsigned long long)lay->off_options, lay->options_candidates);
	if (lay->off_emu_flags)
		vmc_hv_report(x->hv, "OFFSET(domain.arch.emulation_flags)=%llu (0 or PIT in PV domains, X86_EMU_* in the others; %u candidate(s), the first taken)",
			      (unsigned long long)lay->off_emu_flags, lay->emu_candidates);
	vmc_hv_report(x->hv, "SIZE(page_info)=%llu OFFSET(page_info.count_info)=%llu OFFSET(page_info._domain)=%llu",
		      (unsigned long long)x->size_page_info, (unsigned long long)x->off_pi_count_info,
		      (unsigned long long)x->off_pi_domain);
}

/* xen-syms must describe the dumped Xen: its build-id note must be where it says, and its
 * symbols must agree with VMCOREINFO_XEN. */
static enum vmc_status check_syms(struct xen_host *x, const char *path, struct vmc_diag *d)
{
	uint64_t v;

	if (x->has_vmcoreinfo && vmc_xen_syms_get(&x->syms, "domain_list", &v) && v != x->sym_domain_list)
		return vmc_fail(d, VMC_ERR_ARGS, "%s does not match %s: domain_list is 0x%llx there, 0x%llx in VMCOREINFO_XEN",
				path, x->dump->name, (unsigned long long)v, (unsigned long long)x->sym_domain_list);
	if (x->syms.build_id_len) {
		uint8_t mem[64];
		struct vmc_diag tmp;
		vmc_diag_init(&tmp);
		if (vmc_xen_read(x, x->syms.build_id_va, mem, x->syms.build_id_len, &tmp))
			return vmc_fail(d, VMC_ERR_ARGS, "%s: its build-id note at 0x%llx is not in %s: %s", path,
					(unsigned long long)x->syms.build_id_va, x->dump->name, tmp.msg);
		if (memcmp(mem, x->syms.build_id_note, x->syms.build_id_len))
			return vmc_fail(d, VMC_ERR_ARGS, "%s does not match %s: the build-id at 0x%llx differs", path,
					x->dump->name, (unsigned long long)x->syms.build_id_va);
		vmc_hv_report(x->hv, "xen_syms.build_id=matches the dump");
	}
	return VMC_OK;
}

/* --xen-syms wins over the embedded table, but only when both describe the same build: every
 * symbol of the embedded table must have its address in the file. */
static enum vmc_status crosscheck_ksyms(struct xen_host *x, const struct xen_syms *k, const char *path,
					struct vmc_diag *d)
{
	size_t same = 0, differ = 0, absent = 0;
	const struct xen_sym *first = NULL;
	uint64_t file_va = 0;

	for (size_t i = 0; i < k->n; i++) {
		uint64_t va;
		if (!vmc_xen_syms_get(&x->syms, k->v[i].name, &va))
			absent++;
		else if (va == k->v[i].va)
			same++;
		else if (!differ++)
			first = &k->v[i], file_va = va;
	}
	/* names the file keeps twice (statics of several files) may differ legitimately: a few */
	if (differ > k->n / 100 || !same)
		return vmc_fail(d, VMC_ERR_ARGS,
				"%s does not match %s: %zu of the %zu symbols in the table embedded in the dump's Xen image "
				"differ (e.g. %s: 0x%llx there, 0x%llx in the file); the file is of another Xen build "
				"(without --xen-syms the embedded table is used)",
				path, x->dump->name, differ, k->n, first ? first->name : "-",
				(unsigned long long)(first ? first->va : 0), (unsigned long long)file_va);
	vmc_hv_report(x->hv, "xen_syms.embedded_crosscheck=%zu of %zu embedded symbols agree with %s (%zu differ, %zu absent there); --xen-syms is used",
		      same, k->n, path, differ, absent);
	return VMC_OK;
}


static void xen_carve_release(struct xen_carve *c)
{
	struct xen_host *x = c->x;

	free(c->doms);
	free(c->xs.doms);
	vmc_xen_frames_release(x);
	vmc_xen_syms_free(&x->syms);
	vmc_xen_syms_free(&c->ksyms);
	vmc_physmem_fini(&x->pm);
	free(x);
}

/* The symbol table Xen keeps in its own image: used when no --xen-syms is given, and checked
 * against it when one is. */
static enum vmc_status use_embedded_syms(struct xen_carve *c, const struct vmc_carve_opts *o, struct vmc_diag *d)
{
	struct xen_host *x = c->x;
	enum vmc_status rc, krc;
	struct vmc_diag kd;

	vmc_diag_init(&kd);
	if (!(krc = vmc_xen_ksyms_load(x, &c->ksyms, &kd)) && x->has_syms &&
	    (rc = crosscheck_ksyms(x, &c->ksyms, o->xen_syms, d)))
		return rc;
	if (!krc && !x->has_syms) {
		x->syms = c->ksyms;
		memset(&c->ksyms, 0, sizeof(c->ksyms));
		x->has_syms = true;
	} else if (krc && !x->has_syms && !x->has_vmcoreinfo) {
		return vmc_fail(d, krc, "%s; give --xen-syms", kd.msg);
	} else if (krc) {
		vmc_hv_report(x->hv, "xen_syms.embedded=not used: %s", kd.msg);
	}
	return VMC_OK;
}

/* Xen itself: its symbols, notes, virtual memory, frame table and domain list. */
static enum vmc_status open_xen(struct xen_carve *c, const struct vmc_carve_opts *o, struct vmc_diag *d)
{
	struct xen_host *x = c->x;
	struct vmc_hv *hv = x->hv;
	enum vmc_status rc;

	if ((rc = vmc_physmem_init(&x->pm, x->dump, d)))
		return rc;
	if (o->xen_syms) {
		if ((rc = vmc_xen_syms_load(o->xen_syms, &x->syms, d)))
			return rc;
		x->has_syms = true;
		vmc_hv_report(hv, "xen_syms=%s (%zu symbols)", o->xen_syms, x->syms.n);
	}
	if ((rc = vmc_xen_notes_read(x, d)) || (rc = use_embedded_syms(c, o, d)) || (rc = vmc_xen_vmem_init(x, d)))
		return rc;
	if (o->xen_syms && (rc = check_syms(x, o->xen_syms, d)))
		return rc;
	if (x->has_crash_info)
		snprintf(hv->version, sizeof(hv->version), "%u.%u", x->version_major, x->version_minor);
	else
		snprintf(hv->version, sizeof(hv->version), "unknown (no CRASH_INFO note)");
	if ((rc = vmc_xen_frames_scan(x, d)) || (rc = vmc_xen_domains_read(x, &c->doms, &c->ndoms, &c->lay, d)))
		return rc;
	return VMC_OK;
}

/* A frame of dom0's holding a xenstore record for a domain Xen has, recorded in
 * hv->name_frames for the host filter to keep with the guests. */
static void xs_record_frame(struct xen_carve *c, uint64_t mfn)
{
	struct vmc_hv *hv = c->x->hv;
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if (hv->nname_frames == c->name_cap && vmc_grow(&hv->name_frames, &c->name_cap, hv->nname_frames + 1, 16, &tmp)) {
		if (!c->name_nomem)
			vmc_hv_warn(hv, "xenstore: %s: the frame of a name at mfn 0x%llx is not recorded, so a filtered dump may not keep it",
				    tmp.msg, (unsigned long long)mfn);
		c->name_nomem = true;
		return;
	}
	hv->name_frames[hv->nname_frames++] = mfn;
}

/* One of dom0's frames searched for xenstore records (frames are searched in mfn order, so
 * hv->name_frames stays ascending). */
static void xs_scan_frame(struct xen_carve *c, uint64_t mfn, const uint8_t *pg)
{
	c->xs.hit = false;
	vmc_xen_xs_scan_buf(pg, 4096, vmc_xen_xs_add, &c->xs);
	if (c->xs.hit)
		xs_record_frame(c, mfn);
}

/* The collector over the domains Xen has; dom0, or NULL when there is none to search. */
static const struct xen_domain *xs_begin(struct xen_carve *c)
{
	struct xen_host *x = c->x;
	const struct xen_domain *dom0 = NULL;

	if (!(c->xs.doms = calloc(c->ndoms ? c->ndoms : 1, sizeof(*c->xs.doms))))
		return NULL;
	c->xs.ndoms = c->ndoms;
	for (unsigned i = 0; i < c->ndoms; i++) {
		c->xs.doms[i].domid = c->doms[i].domid;
		if (c->doms[i].domid == 0)
			dom0 = &c->doms[i];
	}
	if (!dom0 || x->dump->page_size != 4096) {
		vmc_hv_report(x->hv, "xenstore=not searched (%s)", dom0 ? "page size" : "no dom0");
		return NULL;
	}
	return dom0;
}

static bool word_bit(const uint64_t *w, uint64_t i)
{
	return w && (w[i >> 6] >> (i & 63) & 1);
}

/* Every frame dom0 owns and the dump holds, but those in skip (a bit per mfn; NULL: none), is
 * searched: one pread per run of them, not per frame (a syscall each is dear here); each frame
 * is still searched on its own. Counts into *frames and *unreadable. */
static void xs_search(struct xen_carve *c, const struct xen_domain *dom0, const uint64_t *skip, uint64_t *frames,
		      uint64_t *unreadable)
{
	struct xen_host *x = c->x;
	struct vmc_physmem_window w; /* 256 KiB: stays in cache */

	vmc_physmem_window_init(&w, &x->pm);
	for (uint64_t mfn = 0; mfn < x->nowner;) {
		uint64_t n = 0, run_end;
		const struct xen_frun *r = vmc_xen_frames_run(x, mfn, &run_end);
		if (r->owner != dom0->pickled) { /* none of its run is dom0's */
			mfn = run_end;
			continue;
		}
		while (mfn + n < run_end && n < VMC_PHYSMEM_WINDOW_FRAMES && !word_bit(skip, mfn + n) &&
		       vmc_physmem_has(&x->pm, mfn + n))
			n++;
		if (!n) {
			mfn++;
			continue;
		}
		if (vmc_physmem_window_read(&w, mfn, n)) {
			for (uint64_t k = 0; k < n; k++)
				xs_scan_frame(c, mfn + k, vmc_physmem_window_get(&w, mfn + k));
			*frames += n;
			mfn += n;
			continue;
		}
		for (uint64_t end = mfn + n; mfn < end; mfn++) {
			const uint8_t *pg;
			struct vmc_diag tmp;
			vmc_diag_init(&tmp);
			if (!(pg = vmc_physmem_frame(&x->pm, mfn, &tmp))) {
				++*unreadable;
				continue;
			}
			++*frames;
			xs_scan_frame(c, mfn, pg);
		}
	}
	vmc_physmem_window_fini(&w);
}

static void xs_conclude(struct xen_carve *c, uint64_t frames, uint64_t unreadable)
{
	struct xen_host *x = c->x;

	vmc_hv_report(x->hv, "xenstore=%llu records of /local/domain/<id>/{name,vm} in %llu dom0 frames (%llu unreadable)",
		      (unsigned long long)c->xs.records, (unsigned long long)frames, (unsigned long long)unreadable);
	if (c->xs.unknown_id)
		vmc_hv_warn(x->hv, "xenstore: %llu records name a domain id Xen does not have (e.g. %s); ignored",
			    (unsigned long long)c->xs.unknown_id, c->xs.first_unknown);
	if (c->xs.bad_name)
		vmc_hv_warn(x->hv, "xenstore: %llu names refused (%s)", (unsigned long long)c->xs.bad_name,
			    c->xs.first_bad_name);
	if (c->xs.bad_vm)
		vmc_hv_warn(x->hv, "xenstore: %llu vm paths refused (%s)", (unsigned long long)c->xs.bad_vm,
			    c->xs.first_bad_vm);
}

/* xenstore as dom0's xenstored holds it: every frame dom0 owns is searched for TDB records
 * of /local/domain/<id>/name and /vm (a record that straddles two frames is not seen: the
 * heap is contiguous only in xenstored's virtual memory). Best effort: never fails the scan. */
static void read_xenstore(struct xen_carve *c)
{
	const struct xen_domain *dom0 = xs_begin(c);
	uint64_t frames = 0, unreadable = 0;

	if (!dom0)
		return;
	xs_search(c, dom0, NULL, &frames, &unreadable);
	xs_conclude(c, frames, unreadable);
}

/* The domain's name from xenstore (dom0 keeps "Domain-0" without one) and its handle. */
static void name_domain(struct xen_carve *c, const struct xen_domain *dom, struct vmc_guest *g)
{
	const struct xen_xs_dom *xd = NULL;
	char u[37];

	for (unsigned i = 0; i < c->xs.ndoms; i++)
		if (c->xs.doms[i].domid == dom->domid)
			xd = &c->xs.doms[i];
	if (xd && xd->name_conflict)
		vmc_guest_warn(g, "xenstore holds different names for domain %u (%u records); none is used", dom->domid,
			       xd->name_records);
	else if (xd && xd->has_name)
		snprintf(g->name, sizeof(g->name), "%s", xd->name);
	if (xd && xd->has_name)
		vmc_guest_report(g, "xenstore.name=%s%s (%u records)", xd->name_conflict ? "conflicting" : "",
				 xd->name_conflict ? "" : xd->name, xd->name_records);
	if (xd && xd->uuid_conflict)
		vmc_guest_warn(g, "xenstore holds different /vm paths for domain %u", dom->domid);
	if (!dom->has_handle)
		return;
	vmc_xen_xs_format_uuid(dom->handle, g->uuid);
	if (xd && xd->has_uuid && !xd->uuid_conflict && memcmp(xd->uuid, dom->handle, 16)) {
		vmc_xen_xs_format_uuid(xd->uuid, u);
		vmc_guest_warn(g, "Xen's handle %s differs from xenstore's /vm/%s", g->uuid, u);
	}
}

static void report_domain(struct vmc_guest *g, const struct xen_domain *dom)
{
	vmc_guest_report(g, "domain=0x%llx pickled=0x%x", (unsigned long long)dom->va, dom->pickled);
	vmc_guest_report(g, "owned=%llu xen_heap_shared=%llu%s", (unsigned long long)dom->owned,
			 (unsigned long long)dom->owned_heap, dom->has_tot_pages ? "" : " (tot_pages unknown)");
	vmc_guest_report(g, "max_vcpus=%u vcpus_found=%u", dom->max_vcpus, dom->nvcpu);
	for (unsigned v = 0; v < dom->nvcpu; v++)
		vmc_guest_report(g, "vcpu%u=0x%llx", v, (unsigned long long)dom->vcpu_va[v]);
	vmc_guest_report(g, "shared_info=0x%llx (mfn 0x%llx)", (unsigned long long)dom->shared_info_va,
			 (unsigned long long)dom->shared_info_mfn);
	vmc_guest_report(g, "shared_info.arch.max_pfn=0x%llx frame_list_list=0x%llx p2m_cr3=0x%llx p2m_vaddr=0x%llx p2m_generation=%llu",
			 (unsigned long long)dom->max_pfn, (unsigned long long)dom->fll_mfn,
			 (unsigned long long)dom->p2m_cr3, (unsigned long long)dom->p2m_vaddr,
			 (unsigned long long)dom->p2m_generation);
}

/* One domain as a guest: a failure to carve it is the guest's, not the scan's. */
static enum vmc_status carve_domain(struct xen_carve *c, struct xen_domain *dom, const struct vmc_carve_opts *o,
				    struct vmc_diag *d)
{
	struct xen_host *x = c->x;
	struct vmc_guest *g = vmc_hv_add_guest(x->hv, x->dump->page_size);
	struct vmc_diag gd;
	enum vmc_status rc;

	if (!g)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	snprintf(g->id, sizeof(g->id), "%u", dom->domid);
	if (dom->domid == 0)
		snprintf(g->name, sizeof(g->name), "Domain-0");
	if (!o->names_late)
		name_domain(c, dom, g);
	g->space = VMC_SPACE_MACHINE;
	g->pages_expected = dom->has_tot_pages ? dom->tot_pages : dom->owned;
	report_domain(g, dom);
	if (!dom->shared_info_mfn) {
		snprintf(g->type, sizeof(g->type), "?");
		vmc_guest_fail(g, VMC_ERR_UNSUPPORTED, "domain %u: its shared_info page was not found", dom->domid);
		return VMC_OK;
	}
	if ((!dom->fll_mfn || dom->fll_mfn == ~0ull) && !dom->p2m_cr3) {
		/* HVM/PVH: Xen keeps the p2m; a PV guest always publishes one of the two */
		vmc_diag_init(&gd);
		if ((rc = carve_hvm(c, dom, g, !vmc_guest_wanted(g, o->only), &gd)))
			vmc_guest_fail(g, rc, "%s", gd.msg);
		return VMC_OK;
	}
	snprintf(g->type, sizeof(g->type), "PV");
	add_vcpus(x, g, dom, &c->lay);
	if (!vmc_guest_wanted(g, o->only))
		return VMC_OK;
	vmc_diag_init(&gd);
	if ((rc = carve_pv(x, c->doms, c->ndoms, dom, g, &gd)))
		vmc_guest_fail(g, rc, "%s", gd.msg);
	return VMC_OK;
}

/* Each frame's owner as a guest index, for filtering the host dump (carve_domain added one
 * guest per domain, with the domid as its id). */
static enum vmc_status owners(struct xen_carve *c, struct vmc_diag *d)
{
	uint32_t *pickled = calloc(c->ndoms ? c->ndoms : 1, sizeof(*pickled));
	int *guest_of = calloc(c->ndoms ? c->ndoms : 1, sizeof(*guest_of));
	struct vmc_hv *hv = c->x->hv;
	enum vmc_status rc;

	if (!pickled || !guest_of) {
		free(pickled);
		free(guest_of);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	for (unsigned i = 0; i < c->ndoms; i++) {
		char id[32];
		pickled[i] = c->doms[i].pickled;
		guest_of[i] = -1;
		snprintf(id, sizeof(id), "%u", c->doms[i].domid);
		for (unsigned k = 0; k < hv->nguests; k++)
			if (!strcmp(hv->guests[k].id, id))
				guest_of[i] = (int)k;
	}
	rc = vmc_xen_frames_owners(c->x, pickled, guest_of, c->ndoms, d);
	free(pickled);
	free(guest_of);
	return rc;
}

/* ---- names_late: xenstore searched after the scan ---------------------------------------
 * The search reads every frame dom0 owns; with names_late it is left out of the scan and made
 * as a writer reads dom0 (a tap on dom0's stream: each frame searched as it goes by, the rest
 * read at the close), or all at once when something else needs the names first. */

/* What the scan leaves in hv->late: its whole state (the frame table, Xen's memory). */
struct xen_late {
	struct xen_carve c;
	const struct xen_domain *dom0;
	bool begun, done, tapped;
	uint64_t *want;       /* dom0's stored frames (a bit per mfn < nowner) */
	uint64_t *seen;       /* of those, the ones searched as the writer read them (atomic words) */
	uint64_t frames;      /* frames searched by the tap (atomic) */
	pthread_mutex_t lock; /* c.xs and hv->name_frames, while the tap is fed from several threads */
};

/* Warnings from `from` on moved before the others (the order the scan gives them). */
static void warnings_first(struct vmc_guest *g, unsigned from)
{
	unsigned n = g->nwarnings - from;
	char **tmp;

	if (!n || !from || !(tmp = malloc(n * sizeof(*tmp))))
		return;
	memcpy(tmp, g->warnings + from, n * sizeof(*tmp));
	memmove(g->warnings + n, g->warnings, from * sizeof(*tmp));
	memcpy(g->warnings, tmp, n * sizeof(*tmp));
	free(tmp);
}

/* The names and UUIDs applied, as the scan would have (after the search): each guest's
 * xenstore warnings first, as the scan puts them, but for the guest being closed (streamed:
 * its warnings so far are already shown, these follow them). */
static void late_apply(struct xen_late *l, unsigned closing)
{
	struct xen_carve *c = &l->c;
	struct vmc_hv *hv = c->x->hv;

	vmc_xen_domains_find_handle(c->x, c->doms, c->ndoms, &c->xs, &c->lay);
	report_handle(c->x, &c->lay);
	for (unsigned i = 0; i < c->ndoms && i < hv->nguests; i++) {
		unsigned from = hv->guests[i].nwarnings;
		name_domain(c, &c->doms[i], &hv->guests[i]);
		if (i != closing)
			warnings_first(&hv->guests[i], from);
	}
	l->done = true;
}

static const struct xen_domain *late_begin(struct xen_late *l)
{
	if (!l->begun) {
		l->begun = true;
		l->dom0 = xs_begin(&l->c);
	}
	return l->dom0;
}

static void late_resolve(struct vmc_hv *hv)
{
	struct xen_late *l = hv->late;
	uint64_t frames = 0, unreadable = 0;

	if (l->done || l->tapped)
		return;
	if (late_begin(l)) {
		xs_search(&l->c, l->dom0, NULL, &frames, &unreadable);
		xs_conclude(&l->c, frames, unreadable);
	}
	late_apply(l, ~0u);
}

/* A record found by the tap: the collector is shared by the writer's threads. */
struct late_hit {
	struct xen_late *l;
	bool hit;
};

static void late_add(void *arg, const struct xen_xs_rec *r)
{
	struct late_hit *h = arg;

	pthread_mutex_lock(&h->l->lock);
	h->l->c.xs.hit = false;
	vmc_xen_xs_add(&h->l->c.xs, r);
	h->hit |= h->l->c.xs.hit;
	pthread_mutex_unlock(&h->l->lock);
}

/* Host frames the writer just read: dom0's not searched yet are searched now (one atomic
 * fetch_or per 64 frames). */
static void late_seen(void *arg, uint64_t mfn, uint64_t count, const uint8_t *data)
{
	struct xen_late *l = arg;
	uint64_t nowner = l->c.x->nowner, searched = 0;

	for (uint64_t k = 0; k < count && mfn + k < nowner;) {
		uint64_t f = mfn + k, lo = f & 63, n, left = count - k < nowner - f ? count - k : nowner - f;
		uint64_t fresh = vmc_bitmap_words_claim(l->seen, f, left, l->want[f >> 6], &n);
		for (uint64_t j = 0; fresh && j < n; j++) {
			struct late_hit h = { .l = l };
			if (!(fresh >> (lo + j) & 1))
				continue;
			searched++;
			vmc_xen_xs_scan_buf(data + ((k + j) << 12), 4096, late_add, &h);
			if (h.hit) {
				pthread_mutex_lock(&l->lock);
				xs_record_frame(&l->c, f + j);
				pthread_mutex_unlock(&l->lock);
			}
		}
		k += n;
	}
	if (searched)
		__atomic_fetch_add(&l->frames, searched, __ATOMIC_RELAXED);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* dom0's stream closes: the frames it did not read are searched, then the names applied. */
static void late_close(void *arg)
{
	struct xen_late *l = arg;
	struct vmc_hv *hv = l->c.x->hv;
	uint64_t frames = l->frames, unreadable = 0;

	xs_search(&l->c, l->dom0, l->seen, &frames, &unreadable);
	if (hv->nname_frames) /* found in the writer's order: ascending as the scan's */
		qsort(hv->name_frames, hv->nname_frames, sizeof(*hv->name_frames), cmp_u64);
	xs_conclude(&l->c, frames, unreadable);
	vmc_hv_report(hv, "xenstore.fused=%llu of those frames searched as dom0 was written, %llu read for the search",
		      (unsigned long long)l->frames, (unsigned long long)(frames - l->frames));
	free(l->want);
	free(l->seen);
	l->want = l->seen = NULL;
	l->tapped = false;
	late_apply(l, (unsigned)(l->dom0 - l->c.doms));
}

/* The tap over dom0's stream: which frames the search wants. */
static bool late_tap_init(struct xen_late *l)
{
	struct xen_host *x = l->c.x;
	size_t words = x->nowner / 64 + 1;

	if (!late_begin(l) || !(l->want = calloc(words, 8)) || !(l->seen = calloc(words, 8))) {
		free(l->want);
		l->want = NULL;
		return false;
	}
	for (uint64_t mfn = 0; mfn < x->nowner;) {
		uint64_t run_end;
		const struct xen_frun *r = vmc_xen_frames_run(x, mfn, &run_end);
		for (; mfn < run_end; mfn++)
			if (r->owner == l->dom0->pickled && vmc_physmem_has(&x->pm, mfn))
				l->want[mfn >> 6] |= 1ull << (mfn & 63);
	}
	return true;
}

static void late_open(struct vmc_hv *hv, unsigned index, bool stream, struct vmc_guest_tap *tap)
{
	struct xen_late *l = hv->late;

	if (l->done || l->tapped)
		return;
	if (stream && index < l->c.ndoms && l->c.doms[index].domid == 0 && late_tap_init(l)) {
		*tap = (struct vmc_guest_tap){ .seen = late_seen, .close = late_close, .arg = l };
		l->tapped = true;
		return;
	}
	late_resolve(hv);
}

static void late_free(void *arg)
{
	struct xen_late *l = arg;

	if (!l)
		return;
	xen_carve_release(&l->c);
	free(l->want);
	free(l->seen);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static const struct vmc_hv_late_ops late_ops = { .open = late_open, .resolve = late_resolve, .free = late_free };

/* The scan's state handed to hv for the search to come. */
static enum vmc_status late_keep(struct xen_carve *c, struct vmc_hv *hv, struct vmc_diag *d)
{
	struct xen_late *l = calloc(1, sizeof(*l));

	if (!l || pthread_mutex_init(&l->lock, NULL)) {
		free(l);
		xen_carve_release(c);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	l->c = *c;
	hv->late = l;
	hv->late_ops = &late_ops;
	return VMC_OK;
}

static enum vmc_status scan(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
			    struct vmc_diag *d)
{
	struct xen_carve c = { .x = calloc(1, sizeof(*c.x)) };
	enum vmc_status rc;

	if (!c.x)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	c.x->dump = host;
	c.x->hv = hv;
	snprintf(hv->kind, sizeof(hv->kind), "xen");
	if ((rc = open_xen(&c, o, d))) {
		xen_carve_release(&c);
		return rc;
	}
	if (!o->names_late) {
		read_xenstore(&c);
		vmc_xen_domains_find_handle(c.x, c.doms, c.ndoms, &c.xs, &c.lay);
	}
	report_layout(c.x, &c.lay, !o->names_late);
	vmc_xen_vcpus_locate(c.x, c.doms, c.ndoms);
	for (unsigned i = 0; i < c.ndoms && !rc; i++)
		rc = carve_domain(&c, &c.doms[i], o, d);
	if (!rc)
		rc = owners(&c, d);
	if (!rc && o->names_late)
		return late_keep(&c, hv, d);
	xen_carve_release(&c);
	return rc;
}

const struct vmc_carver_ops vmc_carver_xen = { .name = "xen", .probe = probe, .scan = scan };
