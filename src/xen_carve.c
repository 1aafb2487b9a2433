/* xen_carve.c: the Xen carver: finds Xen in a host dump (its notes, or the CPUs' CR3s plus
 * --xen-syms), lists every domain on domain_list, and builds each PV domain's output "Xen-kdump
 * style" (carving.md 6.2(c)): the domain's own machine frames as the frame table assigns them,
 * a "Xen" CRASH_INFO note whose last word is the domain's frame_list_list (synthesised above the
 * host's highest frame when the guest published ~0), and the guest kernel's utsname. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_dump.h"
#include "linux_info.h"
#include "notes.h"
#include "xen_host.h"

#define PER_PAGE 512ull
#define CRASH_INFO_WORDS 10

static int probe(struct vmc_dump *host, const struct vmc_carve_opts *o)
{
	int s = xen_notes_probe(host);
	/* a whole-machine dump with CPU notes: Xen only if the user says so with --xen-syms */
	if (!s && o->xen_syms && vmc_notes_count(host->notes, host->notes_len, "QEMU", 0))
		s = 80;
	return s;
}

static const char *owner_name(const struct xen_host *x, const struct xen_domain *doms, unsigned n, uint64_t mfn,
			      char *buf, size_t sz)
{
	uint32_t o;
	if (mfn >= x->nowner)
		return mfn > x->dump->max_pfn ? "outside the host's RAM" : "beyond Xen's max_page";
	if (!(o = x->owner[mfn]))
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

/* Frame-list-list and frame-list pages built from the leaf MFNs, placed at MFNs above every
 * host frame, for guests that publish ~0 (crash and makedumpfile only read the tree). */
static enum vmc_status synth_tree(struct xen_host *x, struct vmc_guest *g, const struct xen_p2m *p, uint64_t *fll_mfn,
				  struct vmc_diag *d)
{
	uint64_t base = (x->dump->max_pfn > x->max_page ? x->dump->max_pfn : x->max_page);
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

static bool read_guest_kva(struct xen_host *x, const struct xen_p2m *p, uint64_t kva, uint64_t phys_base, void *buf,
			   size_t len)
{
	uint8_t *out = buf;
	while (len) {
		uint64_t pa = kva - VMC_X86_64_START_KERNEL_MAP + phys_base, pfn = pa >> 12, mfn;
		size_t n = 4096 - (pa & 0xfff);
		struct vmc_diag tmp;
		if (n > len)
			n = len;
		if (kva < VMC_X86_64_START_KERNEL_MAP || pfn >= p->npfn)
			return false;
		mfn = p->mfn[pfn] & ~(XEN_P2M_IDENTITY_BIT | XEN_P2M_FOREIGN_BIT);
		vmc_diag_init(&tmp);
		if (p->mfn[pfn] == XEN_P2M_INVALID || vmc_physmem_read(&x->pm, (mfn << 12) | (pa & 0xfff), out, n, &tmp))
			return false;
		out += n;
		kva += n;
		len -= n;
	}
	return true;
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
	if (off > 4096 || !read_guest_kva(x, p, sym + off, phys_base, uts, sizeof(uts)))
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

static enum vmc_status carve_pv(struct xen_host *x, struct xen_domain *doms, unsigned ndoms, struct xen_domain *dom,
				struct vmc_guest *g, struct vmc_diag *d)
{
	struct xen_p2m p;
	enum vmc_status rc;
	uint64_t refused = 0, identity = 0, invalid = 0, valid = 0, fll_mfn = dom->fll_mfn;
	char why[96];

	if ((rc = xen_p2m_read(x, dom, &p, d)))
		return rc;
	if (p.warn[0])
		vmc_guest_warn(g, "%s", p.warn);
	snprintf(g->method, sizeof(g->method), "frame_table ownership + %s", p.linear ? "linear p2m (p2m_cr3/p2m_vaddr)"
											 : "p2m frame-list tree");
	/* every frame the frame table gives the domain, Xen-heap pages shared with it included */
	for (uint64_t mfn = 0; mfn < x->nowner; mfn++) {
		uint64_t run = 0;
		while (mfn + run < x->nowner && x->owner[mfn + run] && XEN_OWNER_ID(x->owner[mfn + run]) == dom->pickled)
			run++;
		if (run && (rc = vmc_gmap_add(&g->map, mfn, mfn, run, d)))
			goto out;
		mfn += run;
	}
	/* what the guest's p2m claims that the frame table does not confirm is refused */
	for (uint64_t pfn = 0; pfn < p.npfn; pfn++) {
		uint64_t e = p.mfn[pfn], mfn;
		if (e == XEN_P2M_INVALID) {
			invalid++;
			continue;
		}
		if (e & XEN_P2M_IDENTITY_BIT) {
			identity++;
			continue;
		}
		mfn = e & ~XEN_P2M_FOREIGN_BIT;
		if ((e & XEN_P2M_FOREIGN_BIT) || !xen_frames_owned_by(x, mfn, dom->pickled) ||
		    (x->owner[mfn] & XEN_OWNER_HEAP)) {
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
	g->pages_refused = refused;
	g->max_gfn = p.npfn;
	vmc_guest_report(g, "p2m.source=%s", p.linear ? "linear" : "tree");
	vmc_guest_report(g, "p2m.max_pfn=0x%llx valid=%llu identity=%llu invalid=%llu refused=%llu tables_read=%llu",
			 (unsigned long long)p.npfn, (unsigned long long)valid, (unsigned long long)identity,
			 (unsigned long long)invalid, (unsigned long long)refused, (unsigned long long)p.tables);
	if (!fll_mfn || fll_mfn == ~0ull || p.linear) {
		if ((rc = synth_tree(x, g, &p, &fll_mfn, d)))
			goto out;
	}
	if ((rc = add_crash_info(x, g, fll_mfn, d)))
		goto out;
	vmc_guest_report(g, "crash_info.p2m_mfn=0x%llx", (unsigned long long)fll_mfn);
	if ((rc = vmc_gmap_finish(&g->map, d)))
		goto out;
	if (!(rc = vmc_guest_prepare(x->dump, g, d)))
		fill_uts(x, g, &p);
out:
	xen_p2m_free(&p);
	return rc;
}

static void report_layout(struct xen_host *x, const struct xen_layout *lay)
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
	vmc_hv_report(x->hv, "OFFSET(vcpu.vcpu_id)=0");
	vmc_hv_report(x->hv, "OFFSET(vcpu.domain)=%llu", (unsigned long long)lay->off_vcpu_domain);
	vmc_hv_report(x->hv, "SIZE(page_info)=%llu OFFSET(page_info.count_info)=%llu OFFSET(page_info._domain)=%llu",
		      (unsigned long long)x->size_page_info, (unsigned long long)x->off_pi_count_info,
		      (unsigned long long)x->off_pi_domain);
}

/* xen-syms must describe the dumped Xen: its build-id note must be where it says, and its
 * symbols must agree with VMCOREINFO_XEN. */
static enum vmc_status check_syms(struct xen_host *x, const char *path, struct vmc_diag *d)
{
	uint64_t v;

	if (x->has_vmcoreinfo && xen_syms_get(&x->syms, "domain_list", &v) && v != x->sym_domain_list)
		return vmc_fail(d, VMC_ERR_ARGS, "%s does not match %s: domain_list is 0x%llx there, 0x%llx in VMCOREINFO_XEN",
				path, x->dump->name, (unsigned long long)v, (unsigned long long)x->sym_domain_list);
	if (x->syms.build_id_len) {
		uint8_t mem[64];
		struct vmc_diag tmp;
		vmc_diag_init(&tmp);
		if (xen_read(x, x->syms.build_id_va, mem, x->syms.build_id_len, &tmp))
			return vmc_fail(d, VMC_ERR_ARGS, "%s: its build-id note at 0x%llx is not in %s: %s", path,
					(unsigned long long)x->syms.build_id_va, x->dump->name, tmp.msg);
		if (memcmp(mem, x->syms.build_id_note, x->syms.build_id_len))
			return vmc_fail(d, VMC_ERR_ARGS, "%s does not match %s: the build-id at 0x%llx differs", path,
					x->dump->name, (unsigned long long)x->syms.build_id_va);
		vmc_hv_report(x->hv, "xen_syms.build_id=matches the dump");
	}
	return VMC_OK;
}

static enum vmc_status scan(struct vmc_dump *host, const struct vmc_carve_opts *o, struct vmc_hv *hv,
			    struct vmc_diag *d)
{
	struct xen_host *x = calloc(1, sizeof(*x));
	struct xen_domain *doms = NULL;
	struct xen_layout lay;
	unsigned ndoms = 0;
	enum vmc_status rc;

	if (!x)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	x->dump = host;
	x->hv = hv;
	snprintf(hv->kind, sizeof(hv->kind), "xen");
	if ((rc = vmc_physmem_init(&x->pm, host, d)))
		goto out;
	if (o->xen_syms) {
		if ((rc = xen_syms_load(o->xen_syms, &x->syms, d)))
			goto out;
		x->has_syms = true;
		vmc_hv_report(hv, "xen_syms=%s (%zu symbols)", o->xen_syms, x->syms.n);
	}
	if ((rc = xen_notes_read(x, d)) || (rc = xen_vmem_init(x, d)))
		goto out;
	if (x->has_syms && (rc = check_syms(x, o->xen_syms, d)))
		goto out;
	if (x->has_crash_info)
		snprintf(hv->version, sizeof(hv->version), "%u.%u", x->version_major, x->version_minor);
	else
		snprintf(hv->version, sizeof(hv->version), "unknown (no CRASH_INFO note)");
	if ((rc = xen_frames_scan(x, d)) || (rc = xen_domains_read(x, &doms, &ndoms, &lay, d)))
		goto out;
	report_layout(x, &lay);
	for (unsigned i = 0; i < ndoms; i++) {
		struct xen_domain *dom = &doms[i];
		struct vmc_guest *g = vmc_hv_add_guest(hv, host->page_size);
		struct vmc_diag gd;

		if (!g) {
			rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
			goto out;
		}
		snprintf(g->id, sizeof(g->id), "%u", dom->domid);
		if (dom->domid == 0)
			snprintf(g->name, sizeof(g->name), "Domain-0");
		g->space = VMC_SPACE_MACHINE;
		g->nvcpus = 0;
		for (unsigned v = 0; v < dom->nvcpu; v++)
			vmc_guest_add_vcpu(g, v);
		g->no_vcpu_notes = true;
		g->pages_expected = dom->has_tot_pages ? dom->tot_pages : dom->owned;
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
		if (!dom->shared_info_mfn) {
			snprintf(g->type, sizeof(g->type), "?");
			vmc_guest_fail(g, VMC_ERR_UNSUPPORTED, "domain %u: its shared_info page was not found", dom->domid);
			continue;
		}
		if ((!dom->fll_mfn || dom->fll_mfn == ~0ull) && !dom->p2m_cr3) {
			/* HVM/PVH: Xen keeps the p2m; a PV guest always publishes one of the two */
			snprintf(g->type, sizeof(g->type), "HVM/PVH");
			vmc_guest_fail(g, VMC_ERR_UNSUPPORTED,
				       "domain %u publishes no PV p2m (an HVM or PVH domain): carving it needs d->arch.p2m, not supported yet",
				       dom->domid);
			continue;
		}
		snprintf(g->type, sizeof(g->type), "PV");
		if (o->only && strcmp(o->only, g->id))
			continue;
		vmc_diag_init(&gd);
		if ((rc = carve_pv(x, doms, ndoms, dom, g, &gd))) {
			vmc_guest_fail(g, rc, "%s", gd.msg);
			rc = VMC_OK;
		}
		if (!g->status)
			vmc_guest_warn(g, "vCPU registers are not carved (no per-vCPU notes); crash finds active tasks by stack search");
	}
out:
	free(doms);
	free(x->owner);
	xen_syms_free(&x->syms);
	vmc_physmem_fini(&x->pm);
	free(x);
	return rc;
}

const struct vmc_carver_ops vmc_carver_xen = { .name = "xen", .probe = probe, .scan = scan };
