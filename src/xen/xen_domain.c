/* xen_domain.c: the domains on Xen's domain_list, and the struct domain / struct vcpu fields
 * VMCOREINFO_XEN does not give (vcpu array, shared_info, tot_pages, vcpu.domain). Without
 * DWARF these are found by invariants each candidate must satisfy in this very dump (the
 * shared_info page is a Xen-heap page the frame table gives to this domain; each vcpu[i] has
 * vcpu_id i and points back at its domain; tot_pages equals the frames the domain owns),
 * trying the verified Xen 4.8-4.19 layout first. Every offset used is reported. */
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "xen_host.h"
#include "xen_xenstore.h"

#define MAX_DOMAINS 4096    /* domain ids are < 0x7ff0; the list is sorted by id */
#define DOMAIN_BYTES_MAX 16384
#define SHINFO_ARCH 0xc10   /* shared_info.arch: fixed public ABI (x86_64) */

static bool shared_info_ok(struct xen_host *x, uint64_t va, uint32_t pickled, uint64_t *mfn)
{
	uint64_t ma;
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if ((va & 0xfff) || !vmc_xen_is_directmap(x, va) || vmc_xen_va_to_ma(x, va, &ma, &tmp))
		return false;
	*mfn = ma >> 12;
	return *mfn < x->nowner && vmc_xen_frames_owner(x, *mfn) == (XEN_OWNER_HEAP | pickled);
}

/* vcpu[0] must have id 0 and point back at d somewhere in its first 64 bytes */
static bool vcpu_array_ok(struct xen_host *x, uint64_t arr, uint64_t dva, uint64_t *off_domain)
{
	uint64_t v0;
	uint8_t vb[64];
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	if ((arr & 7) || !vmc_xen_is_directmap(x, arr) || vmc_xen_read_u64(x, arr, &v0, &tmp) ||
	    !vmc_xen_is_directmap(x, v0) ||
	    vmc_xen_read(x, v0, vb, sizeof(vb), &tmp) || vmc_le32(vb + 0) != 0)
		return false;
	for (uint64_t off = 8; off + 8 <= sizeof(vb); off += 8)
		if (vmc_le64(vb + off) == dva) {
			*off_domain = off;
			return true;
		}
	return false;
}

static enum vmc_status discover(struct xen_host *x, const uint8_t *db, uint64_t dva, uint32_t pickled,
				struct xen_layout *lay, struct vmc_diag *d)
{
	uint64_t mfn, offd;
	uint64_t lim = x->size_domain < 1024 ? x->size_domain : 1024;

	/* Xen 4.8-4.19: domain_id, max_vcpus, vcpu, shared_info */
	if (shared_info_ok(x, vmc_le64(db + 16), pickled, &mfn) && vcpu_array_ok(x, vmc_le64(db + 8), dva, &offd)) {
		lay->off_shared_info = 16;
		lay->off_vcpu = 8;
		lay->off_max_vcpus = 4;
		lay->off_vcpu_domain = offd;
		lay->source = "Xen 4.8-4.19 layout, checked";
		return VMC_OK;
	}
	lay->off_shared_info = lay->off_vcpu = 0;
	for (uint64_t off = 8; off + 8 <= lim; off += 8) {
		if (!lay->off_shared_info && shared_info_ok(x, vmc_le64(db + off), pickled, &mfn))
			lay->off_shared_info = off;
		if (!lay->off_vcpu && vcpu_array_ok(x, vmc_le64(db + off), dva, &offd)) {
			lay->off_vcpu = off;
			lay->off_vcpu_domain = offd;
		}
	}
	if (!lay->off_shared_info || !lay->off_vcpu)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED,
				"%s: struct domain at 0x%llx: no field satisfies the %s invariant; this Xen build is not understood",
				x->dump->name, (unsigned long long)dva, !lay->off_shared_info ? "shared_info" : "vcpu array");
	/* max_vcpus: the u32 before the vcpu pointer in every layout seen; checked per domain */
	lay->off_max_vcpus = lay->off_vcpu >= 8 ? lay->off_vcpu - 4 : 4;
	lay->source = "discovered by invariants";
	return VMC_OK;
}

static void count_owned(struct xen_host *x, struct xen_domain *doms, unsigned n)
{
	for (size_t r = 0; r < x->nfruns; r++) {
		uint32_t o = x->fruns[r].owner;
		uint64_t len = (r + 1 < x->nfruns ? x->fruns[r + 1].mfn : x->nowner) - x->fruns[r].mfn;
		if (!o)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (doms[i].pickled == XEN_OWNER_ID(o)) {
				if (o & XEN_OWNER_HEAP)
					doms[i].owned_heap += len;
				else
					doms[i].owned += len;
				break;
			}
	}
}

/* tot_pages: a u32 equal to the frames each domain owns (not counting Xen-heap ones) */
static void find_tot_pages(struct xen_host *x, struct xen_domain *doms, uint8_t **dbs, unsigned n,
			   struct xen_layout *lay)
{
	uint64_t lim = x->size_domain < 1024 ? x->size_domain : 1024;

	lay->off_tot_pages = 0;
	for (uint64_t off = 24; off + 4 <= lim; off += 4) {
		bool all = n > 0;
		for (unsigned i = 0; i < n && all; i++)
			all = doms[i].owned && vmc_le32(dbs[i] + off) == doms[i].owned;
		if (all) {
			lay->off_tot_pages = off;
			break;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (lay->off_tot_pages) {
			doms[i].tot_pages = vmc_le32(dbs[i] + lay->off_tot_pages);
			doms[i].has_tot_pages = true;
		}
	(void)x;
}

bool vmc_xen_domain_is_pv(const struct xen_domain *dom)
{
	return (dom->fll_mfn && dom->fll_mfn != ~0ull) || dom->p2m_cr3;
}

/* d->options, a copy of the XEN_DOMCTL_CDF_* creation flags (Xen 4.13+): the u32 whose bit 0
 * (hvm) is set exactly in the domains with Xen's p2m, no bit beyond CDF_MAX (vpmu, bit 7),
 * hap (bit 1) only with hvm, and is_dying (the next u32) 0..2; the lowest such offset (it
 * precedes struct arch_domain). Needs a PV and an HVM-class domain to tell anything. */
static bool options_ok(const struct xen_domain *doms, uint8_t *const *dbs, unsigned n, uint64_t off)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t v = vmc_le32(dbs[i] + off), dying = vmc_le32(dbs[i] + off + 4);
		if (v > 0xff || dying > 2 || !(v & XEN_CDF_HVM) != vmc_xen_domain_is_pv(&doms[i]) ||
		    ((v & XEN_CDF_HAP) && !(v & XEN_CDF_HVM)))
			return false;
	}
	return true;
}

/* d->arch.emulation_flags (X86_EMU_*): one of the combinations Xen 4.13-4.20 accept
 * (xen/arch/x86/domain.c emulation_flags_ok): 0 or PIT for PV; LAPIC for a PVH domU,
 * LAPIC|IOAPIC|VPCI for PVH dom0, everything but VPCI (USE_PIRQ optional) for HVM. It is the
 * last member of struct arch_domain, so after options: the first such offset beyond it. */
static bool emu_value_ok(bool pv, uint32_t v)
{
	if (pv)
		return v == 0 || v == XEN_EMU_PIT;
	return v == 0x001 || v == 0x411 || v == 0x3ff || v == 0x1ff;
}

static bool emu_ok(const struct xen_domain *doms, uint8_t *const *dbs, unsigned n, uint64_t off)
{
	for (unsigned i = 0; i < n; i++)
		if (!emu_value_ok(vmc_xen_domain_is_pv(&doms[i]), vmc_le32(dbs[i] + off)))
			return false;
	return true;
}

static void find_flags(struct xen_domain *doms, uint8_t *const *dbs, unsigned n, struct xen_layout *lay,
		       uint64_t size)
{
	unsigned npv = 0;

	for (unsigned i = 0; i < n; i++)
		npv += vmc_xen_domain_is_pv(&doms[i]);
	if (!npv || npv == n)
		return; /* one class only: no field can be told from the others */
	for (uint64_t off = 24; off + 8 <= size; off += 4)
		if (options_ok(doms, dbs, n, off) && !lay->options_candidates++)
			lay->off_options = off;
	for (uint64_t off = lay->off_options + 8; lay->off_options && off + 4 <= size; off += 4)
		if (emu_ok(doms, dbs, n, off) && !lay->emu_candidates++)
			lay->off_emu_flags = off;
	for (unsigned i = 0; i < n; i++) {
		if ((doms[i].has_options = lay->off_options != 0))
			doms[i].options = vmc_le32(dbs[i] + lay->off_options);
		if ((doms[i].has_emu_flags = lay->off_emu_flags != 0))
			doms[i].emu_flags = vmc_le32(dbs[i] + lay->off_emu_flags);
	}
}

/* struct cpu_user_regs, x86_64: 15 GPRs, error_code/entry_vector, rip @128, cs @136,
 * rflags @144, rsp @152, ss @160. A PV64 guest kernel runs in ring 3 with Xen's flat
 * selectors FLAT_KERNEL_CS64 0xe033 / FLAT_KERNEL_SS64 0xe02b. */
#define UREGS_SIZE 200
#define PV_KERNEL_CS 0xe033
#define PV_KERNEL_SS 0xe02b
#define LINUX_KTEXT 0xffffffff80000000ull

static bool pv_kernel_regs(const uint8_t *p)
{
	uint64_t rip = vmc_le64(p + 128), cs = vmc_le64(p + 136), rflags = vmc_le64(p + 144), ss = vmc_le64(p + 160);
	return (cs & 0xffff) == PV_KERNEL_CS && (ss & 0xffff) == PV_KERNEL_SS && rip >= LINUX_KTEXT &&
	       rip < 0xffffffffff000000ull && (rflags & 2) && !(rflags >> 32);
}

/* vcpu.arch.user_regs: the offset in the vcpu page (struct vcpu is one Xen-heap page) at which
 * the most vCPUs hold registers of a PV kernel; each vCPU is then checked on its own. */
static void find_user_regs(struct xen_host *x, struct xen_domain *doms, unsigned n, struct xen_layout *lay)
{
	static uint16_t votes[4096 / 8];
	uint8_t *pg = malloc(4096);
	unsigned best = 0;

	if (!pg)
		return;
	memset(votes, 0, sizeof(votes));
	for (unsigned i = 0; i < n; i++)
		for (unsigned v = 0; v < doms[i].nvcpu; v++) {
			struct vmc_diag tmp;
			vmc_diag_init(&tmp);
			if (vmc_xen_read(x, doms[i].vcpu_va[v] & ~0xfffull, pg, 4096, &tmp))
				continue;
			for (unsigned off = 64; off + UREGS_SIZE <= 4096; off += 8)
				if (pv_kernel_regs(pg + off) && votes[off / 8] < 65535)
					votes[off / 8]++;
		}
	for (unsigned k = 0; k < 4096 / 8; k++)
		if (votes[k] > votes[best])
			best = k;
	lay->off_user_regs = votes[best] ? best * 8 : 0;
	lay->user_regs_votes = votes[best];
	for (unsigned i = 0; i < n && lay->off_user_regs; i++)
		for (unsigned v = 0; v < doms[i].nvcpu; v++) {
			struct vmc_diag tmp;
			uint64_t va = doms[i].vcpu_va[v] + lay->off_user_regs;
			vmc_diag_init(&tmp);
			if (!vmc_xen_read(x, va, doms[i].vcpu_regs[v], UREGS_SIZE, &tmp))
				doms[i].vcpu_regs_ok[v] = pv_kernel_regs((const uint8_t *)doms[i].vcpu_regs[v]);
		}
	free(pg);
}

/* The domains read so far: their struct domain bytes (dbs[i] for doms[i]) and the layout
 * found from the first one that satisfies the invariants. */
struct domain_walk {
	struct xen_host *x;
	struct xen_layout *lay;
	struct xen_domain *doms;
	uint8_t **dbs;
	unsigned n;
	bool have_layout;
};

static void domain_walk_release(struct domain_walk *w, bool keep_doms)
{
	for (unsigned i = 0; i < w->n; i++)
		free(w->dbs[i]);
	free(w->dbs);
	w->dbs = NULL;
	if (!keep_doms) {
		free(w->doms);
		w->doms = NULL;
	}
}

/* Append the domain at dva whose struct domain bytes are db (taken over, freed on failure). */
static enum vmc_status add_domain(struct domain_walk *w, uint64_t dva, uint8_t *db, uint16_t id, struct vmc_diag *d)
{
	struct xen_host *x = w->x;
	struct xen_domain *dm;
	void *p1 = realloc(w->doms, (w->n + 1) * sizeof(*w->doms)), *p2;

	if (p1)
		w->doms = p1;
	p2 = p1 ? realloc(w->dbs, (w->n + 1) * sizeof(*w->dbs)) : NULL;
	if (!p1 || !p2) {
		free(db);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	w->dbs = p2;
	dm = &w->doms[w->n];
	w->dbs[w->n] = db;
	memset(dm, 0, sizeof(*dm));
	dm->va = dva;
	dm->domid = id;
	dm->pickled = vmc_xen_frames_pickle(x, dva);
	w->n++;
	if (!w->have_layout) {
		struct vmc_diag tmp;
		vmc_diag_init(&tmp);
		if (!discover(x, db, dva, dm->pickled, w->lay, &tmp))
			w->have_layout = true;
		else if (!w->lay->source)
			vmc_hv_warn(x->hv, "domain %u: %s", id, tmp.msg);
	}
	return VMC_OK;
}

/* Follow next_in_list from domain_list: at most MAX_DOMAINS entries, ids strictly rising (the
 * list is sorted by id, so a repeat means a loop); an unreadable or implausible entry cuts it. */
static enum vmc_status walk_domain_list(struct domain_walk *w, struct vmc_diag *d)
{
	struct xen_host *x = w->x;
	uint64_t dva;
	int last_id = -1;
	enum vmc_status rc;

	if ((rc = vmc_xen_read_u64(x, x->sym_domain_list, &dva, d)))
		return vmc_wrap(d, rc, "reading domain_list");
	while (dva) {
		uint8_t *db;
		uint16_t id;

		if (w->n >= MAX_DOMAINS)
			return vmc_fail(d, VMC_ERR_LIMIT, "%s: domain_list has more than %u entries (a loop?)", x->dump->name,
					MAX_DOMAINS);
		if (!vmc_xen_is_directmap(x, dva) || (dva & 0xfff)) {
			vmc_hv_warn(x->hv, "domain_list entry %u: 0x%llx is not a page in Xen's direct map; the list is cut there",
				    w->n, (unsigned long long)dva);
			break;
		}
		if (!(db = malloc(x->size_domain)))
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		if ((rc = vmc_xen_read(x, dva, db, x->size_domain, d))) {
			free(db);
			vmc_hv_warn(x->hv, "domain_list entry %u at 0x%llx cannot be read (%s); the list is cut there", w->n,
				    (unsigned long long)dva, d->msg);
			vmc_diag_clear(d);
			break;
		}
		memcpy(&id, db + x->off_d_domain_id, 2);
		if ((int)id <= last_id || id >= 0x7ff0) {
			vmc_hv_warn(x->hv, "domain_list entry %u at 0x%llx has id %u after %d: not sorted (a loop?); the list is cut there",
				    w->n, (unsigned long long)dva, id, last_id);
			free(db);
			break;
		}
		last_id = id;
		if ((rc = add_domain(w, dva, db, id, d)))
			return rc;
		dva = vmc_le64(db + x->off_d_next_in_list);
	}
	return VMC_OK;
}

/* max_vcpus, the vcpu array, shared_info (and its arch part: the p2m roots) of one domain */
static void read_domain_fields(struct xen_host *x, struct xen_domain *dm, const uint8_t *db,
			       const struct xen_layout *lay)
{
	uint64_t arch[6];
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	dm->max_vcpus = vmc_le32(db + lay->off_max_vcpus);
	dm->vcpu_array_va = vmc_le64(db + lay->off_vcpu);
	dm->shared_info_va = vmc_le64(db + lay->off_shared_info);
	if (!shared_info_ok(x, dm->shared_info_va, dm->pickled, &dm->shared_info_mfn))
		dm->shared_info_mfn = 0;
	else if (!vmc_xen_read(x, dm->shared_info_va + SHINFO_ARCH, arch, sizeof(arch), &tmp)) {
		dm->max_pfn = arch[0];
		dm->fll_mfn = arch[1];
		dm->p2m_cr3 = arch[3];
		dm->p2m_vaddr = arch[4];
		dm->p2m_generation = arch[5];
	}
	for (uint32_t v = 0; v < dm->max_vcpus && v < 128 && vmc_xen_is_directmap(x, dm->vcpu_array_va); v++) {
		uint64_t vva;
		uint8_t vb[64];
		if (vmc_xen_read_u64(x, dm->vcpu_array_va + v * 8, &vva, &tmp) || !vva)
			continue;
		if (!vmc_xen_is_directmap(x, vva) || vmc_xen_read(x, vva, vb, sizeof(vb), &tmp) || vmc_le32(vb + 0) != v ||
		    vmc_le64(vb + lay->off_vcpu_domain) != dm->va)
			continue;
		dm->vcpu_va[dm->nvcpu++] = vva;
	}
}

enum vmc_status vmc_xen_domains_read(struct xen_host *x, struct xen_domain **out, unsigned *nout,
				     struct xen_layout *lay, struct vmc_diag *d)
{
	struct domain_walk w = { .x = x, .lay = lay };
	enum vmc_status rc;

	memset(lay, 0, sizeof(*lay));
	if (x->size_domain < 64 || x->size_domain > DOMAIN_BYTES_MAX || x->off_d_next_in_list + 8 > x->size_domain ||
	    x->off_d_domain_id + 2 > x->size_domain)
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: implausible struct domain layout (size %llu, next_in_list %llu)",
				x->dump->name, (unsigned long long)x->size_domain, (unsigned long long)x->off_d_next_in_list);
	if ((rc = walk_domain_list(&w, d))) {
		domain_walk_release(&w, false);
		return rc;
	}
	if (!w.n) {
		domain_walk_release(&w, false);
		return vmc_fail(d, VMC_ERR_CORRUPT, "%s: domain_list at 0x%llx is empty", x->dump->name,
				(unsigned long long)x->sym_domain_list);
	}
	count_owned(x, w.doms, w.n);
	if (w.have_layout) {
		find_tot_pages(x, w.doms, w.dbs, w.n, lay);
		for (unsigned i = 0; i < w.n; i++)
			read_domain_fields(x, &w.doms[i], w.dbs[i], lay);
		find_flags(w.doms, w.dbs, w.n, lay, x->size_domain);
	}
	domain_walk_release(&w, true);
	if (w.have_layout)
		find_user_regs(x, w.doms, w.n, lay);
	else
		vmc_hv_warn(x->hv, "struct domain fields beyond id/next_in_list could not be found; domains are listed without p2m");
	*out = w.doms;
	*nout = w.n;
	return VMC_OK;
}

/* ---- struct domain.handle ---- */

struct handle_ctx {
	struct xen_domain *doms;
	unsigned n;
	uint8_t **dbs;              /* each domain's struct domain bytes (NULL: unreadable) */
	const struct xen_xs_dom **xs; /* xenstore's UUID for doms[i], when it has one */
	uint64_t size;
};

/* dom0's handle is zero; a domain xenstore names has the UUID of its /vm path; without
 * xenstore every other domain's is a UUID as libxl generates them (RFC 4122 variant, version
 * 1-5); no two domains share one */
static bool handle_fits(const struct handle_ctx *h, uint64_t off, bool need_xs, unsigned *xs_matches)
{
	unsigned domus = 0;

	*xs_matches = 0;
	for (unsigned i = 0; i < h->n; i++) {
		const uint8_t *b = h->dbs[i] ? h->dbs[i] + off : NULL;
		if (!b)
			continue;
		if (h->doms[i].domid == 0) {
			if (!vmc_bytes_zero(b, 16))
				return false;
			continue;
		}
		if (h->xs[i]) {
			if (memcmp(b, h->xs[i]->uuid, 16))
				return false;
			++*xs_matches;
		} else if (!need_xs && (vmc_bytes_zero(b, 16) || (b[8] & 0xc0) != 0x80 || (b[6] >> 4) < 1 || (b[6] >> 4) > 5)) {
			return false; /* (with xenstore's word, a domain it does not name is not judged) */
		}
		for (unsigned j = 0; j < i && !vmc_bytes_zero(b, 16); j++)
			if (h->dbs[j] && h->doms[j].domid && !memcmp(h->dbs[j] + off, b, 16))
				return false;
		domus++;
	}
	return domus && (!need_xs || *xs_matches);
}

static void handle_pick(struct handle_ctx *h, bool need_xs, struct xen_layout *lay)
{
	uint64_t found = 0;
	unsigned m;

	lay->handle_candidates = 0;
	/* the handle follows pointers in every layout (8-byte aligned); the first 64 bytes are
	 * ids, counts and the pointers found above */
	for (uint64_t off = 64; off + 16 <= h->size; off += 8)
		if (handle_fits(h, off, need_xs, &m) && !lay->handle_candidates++)
			found = off;
	if (lay->handle_candidates == 1) {
		lay->off_handle = found;
		lay->handle_source = need_xs ? "matches xenstore's /vm/<uuid> of every domain that has one, dom0's zero"
					     : "the one offset holding distinct RFC 4122 UUIDs, dom0's zero";
	}
}

void vmc_xen_domains_find_handle(struct xen_host *x, struct xen_domain *doms, unsigned n, const struct xen_xs *xs,
				 struct xen_layout *lay)
{
	struct handle_ctx h = { .doms = doms, .n = n, .size = x->size_domain };
	bool any_xs = false;

	lay->off_handle = 0;
	lay->handle_source = NULL;
	h.dbs = calloc(n ? n : 1, sizeof(*h.dbs));
	h.xs = calloc(n ? n : 1, sizeof(*h.xs));
	for (unsigned i = 0; h.dbs && h.xs && i < n; i++) {
		struct vmc_diag tmp;
		vmc_diag_init(&tmp);
		if ((h.dbs[i] = malloc(h.size)) && vmc_xen_read(x, doms[i].va, h.dbs[i], h.size, &tmp)) {
			free(h.dbs[i]);
			h.dbs[i] = NULL;
		}
		for (unsigned k = 0; xs && k < xs->ndoms; k++)
			if (xs->doms[k].domid == doms[i].domid && doms[i].domid && xs->doms[k].has_uuid &&
			    !xs->doms[k].uuid_conflict) {
				h.xs[i] = &xs->doms[k];
				any_xs = true;
			}
	}
	if (h.dbs && h.xs && h.size >= 80 && h.size <= DOMAIN_BYTES_MAX) {
		handle_pick(&h, any_xs, lay);
		for (unsigned i = 0; i < n && lay->off_handle; i++)
			if (h.dbs[i]) {
				memcpy(doms[i].handle, h.dbs[i] + lay->off_handle, 16);
				doms[i].has_handle = true;
			}
	}
	for (unsigned i = 0; h.dbs && i < n; i++)
		free(h.dbs[i]);
	free(h.dbs);
	free(h.xs);
}
