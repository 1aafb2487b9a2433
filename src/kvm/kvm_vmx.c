/* kvm_vmx.c: Intel VMX guests found through the VMCS regions in a host dump (carving.md 5a,
 * recipe R4). Every stored frame is tested against a VMCS layout (--vmcs-layout file, a
 * "VMCSINFO" note, or the built-in table for its revision id): abort indicator in {0, 5, 0xd},
 * HOST_CR4.VMXE, VMCS_LINK_POINTER == ~0. Survivors must carry a well-formed EPTP whose root is
 * in the dump, and their HOST_CR3 tables must map the VMCS page itself. They are grouped into VMs
 * by EPTP. A guest writes whatever it likes into its own RAM, VMCS look-alikes included, so the
 * EPT of every VM is walked and a VMCS page or EPT root lying in another VM's guest RAM is
 * rejected (resolution in resolve()). Registers come from the guest-state fields; KVM keeps the
 * other GPRs in vcpu->arch.regs, so gprs_valid stays false. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "kvm_hw.h"
#include "notes.h"
#include "ranges.h"
#include "vmcs_layout.h"

#define ADDR_MASK 0x000ffffffffff000ull
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_VMXE (1ull << 13)
#define EXIT_HOST_64 (1ull << 9)   /* VM-exit control "host address-space size" */
#define ENTRY_GUEST_64 (1ull << 9) /* VM-entry control "IA-32e mode guest" */
/* Bounds: a hostile guest can fill its RAM with look-alikes; each costs work, so cap them. */
#define MAX_CANDIDATES 65536u
#define MAX_GROUPS 4096u
#define MAX_WARNINGS 200u
#define MAX_REPORT_REJECTS 256u
#define HOST_WALK_LEAVES (1ull << 22)
#define HOST_WALK_TOTAL (1ull << 26)
#define MAX_RAM_RANGES (1u << 22) /* separate host ranges one EPT may map (64 MiB of ranges) */

struct cand {
	uint64_t hpa;
	const struct vmc_vmcs_layout *l;
	uint64_t eptp, host_cr3;
	unsigned levels;   /* host paging levels from HOST_CR4.LA57 */
	unsigned group;
	bool mapped;       /* HOST_CR3's tables map the VMCS page */
	bool dead;
	unsigned *in;      /* groups whose guest RAM holds this VMCS page */
	unsigned nin;
};

struct group {
	uint64_t eptp;
	unsigned *members;
	unsigned nmembers, cap;
	struct vmc_ranges ram; /* sorted, merged host physical ranges the EPT maps */
	bool ept_ok;       /* the walk finished: ram is complete */
	bool too_fragmented;
	bool dead;
	unsigned *in;      /* groups whose guest RAM holds this group's EPT root */
	unsigned nin;
};

struct ctx {
	struct vmc_dump *host;
	struct vmc_physmem pm;
	struct vmc_hw_scan *out;
	struct cand *c;
	unsigned nc;
	struct group *g;
	unsigned ng;
	uint64_t host_leaves; /* total HOST_CR3 walk budget used */
	unsigned nreject_lines;
	unsigned nwarn_dropped;
	uint64_t header_only; /* frames with a known revision id whose fields do not fit */
	uint8_t region[4096];
};

/* ---- report and warnings ---- */

/* the VMX scan's own bounds: warnings capped (the rest counted), the report not */
static const struct vmc_msgs_caps caps = { .max_warnings = MAX_WARNINGS, .max_line = 511 };

__attribute__((format(printf, 2, 3))) static void report(struct vmc_hw_scan *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmc_msgs_vreport(&o->msgs, &caps, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void warn(struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!vmc_msgs_vwarn(&x->out->msgs, &caps, fmt, ap))
		x->nwarn_dropped++;
	va_end(ap);
}

/* A rejected look-alike: one warning (it passed the signature checks, so it is rare and
 * worth seeing) and one report line. */
__attribute__((format(printf, 3, 4))) static void reject(struct ctx *x, struct cand *c, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->dead = true;
	x->out->rejected++;
	warn(x, "%s: VMCS look-alike at host physical 0x%" PRIx64 " rejected: %s", x->host->name, c->hpa, why);
	if (x->nreject_lines++ < MAX_REPORT_REJECTS)
		report(x->out, "vmx.rejected=0x%" PRIx64 " %s", c->hpa, why);
}

static bool push_u(unsigned **a, unsigned *n, unsigned v)
{
	unsigned *p = realloc(*a, (*n + 1) * sizeof(**a));
	if (!p)
		return false;
	p[(*n)++] = v;
	*a = p;
	return true;
}

/* ---- candidate checks ---- */

static const char *eptp_problem(const struct vmc_dump *h, uint64_t eptp, char *buf, size_t bufsz)
{
	uint64_t mt = eptp & 7, pwl = (eptp >> 3) & 7, root = eptp & ADDR_MASK;

	if (mt != 0 && mt != 6)
		snprintf(buf, bufsz, "EPTP 0x%" PRIx64 ": memory type %" PRIu64 " (only 0 UC and 6 WB exist)", eptp, mt);
	else if (pwl != 3 && pwl != 4)
		snprintf(buf, bufsz, "EPTP 0x%" PRIx64 ": page-walk length %" PRIu64 " (4- or 5-level only)", eptp, pwl + 1);
	else if (eptp & 0xf80)
		snprintf(buf, bufsz, "EPTP 0x%" PRIx64 ": reserved bits 11:7 set", eptp);
	else if (eptp >> 52)
		snprintf(buf, bufsz, "EPTP 0x%" PRIx64 ": bits 63:52 set", eptp);
	else if ((root >> h->page_shift) >= h->max_pfn || !vmc_bitmap_test(&h->ram, root >> h->page_shift))
		snprintf(buf, bufsz, "EPTP 0x%" PRIx64 ": root 0x%" PRIx64 " is not RAM", eptp, root);
	else if (!vmc_bitmap_test(&h->stored, root >> h->page_shift))
		snprintf(buf, bufsz, "EPTP 0x%" PRIx64 ": root 0x%" PRIx64 " is not in the dump", eptp, root);
	else
		return NULL;
	return buf;
}

bool vmc_vmx_eptp_valid(const struct vmc_dump *host, uint64_t eptp, char *why, size_t whysz)
{
	char buf[160];
	const char *p = eptp_problem(host, eptp, buf, sizeof(buf));

	if (p && why && whysz)
		snprintf(why, whysz, "%s", p);
	return p == NULL;
}

/* Signature test of one frame: returns the layout it matches or NULL; *header_only is set when
 * the revision id and abort indicator match but the fields do not (a wrong layout shows so). */
static const struct vmc_vmcs_layout *signature(const uint8_t *page, size_t len, const struct vmc_vmcs_layout *fixed,
					       bool *header_only)
{
	uint32_t hdr, abort_ind;
	uint64_t cr4, link;
	const struct vmc_vmcs_layout *l;

	memcpy(&hdr, page, 4);
	memcpy(&abort_ind, page + 4, 4);
	if (abort_ind != 0 && abort_ind != 5 && abort_ind != 0xd)
		return NULL;
	if (fixed)
		l = (hdr & 0x7fffffff) == fixed->revision_id ? fixed : NULL;
	else
		l = vmc_vmcs_builtin_for(hdr & 0x7fffffff);
	if (!l || l->size > len)
		return NULL;
	*header_only = true;
	if (!vmc_vmcs_get(l, page, len, VMCS_HOST_CR4, &cr4) || !(cr4 & CR4_VMXE))
		return NULL;
	if (!vmc_vmcs_get(l, page, len, VMCS_LINK_POINTER, &link) || link != ~0ull)
		return NULL;
	*header_only = false;
	return l;
}

static enum vmc_status scan_frames(struct ctx *x, const struct vmc_vmcs_layout *fixed, struct vmc_diag *d)
{
	struct vmc_dump *h = x->host;
	size_t cap = 0;
	bool capped = false;

	for (uint64_t pfn = vmc_bitmap_next_set(&h->stored, 0); pfn < h->max_pfn;
	     pfn = vmc_bitmap_next_set(&h->stored, pfn + 1)) {
		struct vmc_diag tmp;
		const uint8_t *p;
		const struct vmc_vmcs_layout *l;
		uint32_t hdr;
		uint64_t v;
		char why[160];

		vmc_diag_init(&tmp);
		x->out->frames_scanned++;
		if (!(p = vmc_physmem_frame(&x->pm, pfn, &tmp))) {
			if (tmp.status == VMC_ERR_NOMEM)
				return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
			continue; /* unreadable frame (corrupt compression...): not ours to report */
		}
		bool header_only = false;
		if (!(l = signature(p, h->page_size, fixed, &header_only))) {
			x->header_only += header_only;
			continue;
		}
		x->out->candidates++;
		if (x->nc >= MAX_CANDIDATES) {
			if (!capped)
				warn(x, "%s: more than %u VMCS look-alikes; the rest (from host physical 0x%" PRIx64 ") are ignored",
				     h->name, MAX_CANDIDATES, pfn << h->page_shift);
			capped = true;
			continue;
		}
		if (x->nc == cap && vmc_grow(&x->c, &cap, (size_t)x->nc + 1, 64, d))
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		struct cand *c = &x->c[x->nc++];
		memset(c, 0, sizeof(*c));
		c->hpa = pfn << h->page_shift;
		c->l = l;
		memcpy(&hdr, p, 4);
		vmc_vmcs_get(l, p, h->page_size, VMCS_EPT_POINTER, &c->eptp);
		vmc_vmcs_get(l, p, h->page_size, VMCS_HOST_CR3, &c->host_cr3);
		vmc_vmcs_get(l, p, h->page_size, VMCS_HOST_CR4, &v);
		c->levels = v & CR4_LA57 ? 5 : 4;
		if (hdr >> 31) {
			reject(x, c, "shadow VMCS (header bit 31): holds no running guest");
			continue;
		}
		if (!(v & CR4_PAE)) {
			reject(x, c, "HOST_CR4 0x%" PRIx64 " without PAE: not a 64-bit host", v);
			continue;
		}
		if (vmc_vmcs_get(l, p, h->page_size, VMCS_EXIT_CONTROLS, &v) && !(v & EXIT_HOST_64)) {
			reject(x, c, "VM_EXIT_CONTROLS 0x%" PRIx64 ": host address-space size clear (32-bit host)", v);
			continue;
		}
		if (eptp_problem(x->host, c->eptp, why, sizeof(why))) {
			reject(x, c, "%s", why);
			continue;
		}
	}
	return VMC_OK;
}

/* ---- HOST_CR3 self-mapping ---- */

struct hostwalk {
	struct ctx *x;
	unsigned *idx;  /* candidates with this HOST_CR3, sorted by hpa */
	unsigned n, left;
};

static enum vmc_status host_leaf(uint64_t va, uint64_t pa, uint64_t size, uint64_t entry, void *arg)
{
	struct hostwalk *w = arg;
	unsigned lo = 0, hi = w->n;

	(void)va;
	(void)entry;
	while (lo < hi) { /* first candidate with hpa >= pa */
		unsigned mid = (lo + hi) / 2;
		if (w->x->c[w->idx[mid]].hpa < pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (unsigned i = lo; i < w->n && w->x->c[w->idx[i]].hpa - pa < size; i++) {
		struct cand *c = &w->x->c[w->idx[i]];
		if (!c->mapped) {
			c->mapped = true;
			if (--w->left == 0)
				return VMC_DONE;
		}
	}
	return VMC_OK;
}

static int cmp_cand_cr3(const void *a, const void *b, void *arg)
{
	const struct cand *c = arg, *x = &c[*(const unsigned *)a], *y = &c[*(const unsigned *)b];
	uint64_t kx = x->host_cr3 & ADDR_MASK, ky = y->host_cr3 & ADDR_MASK;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	if (x->levels != y->levels)
		return x->levels < y->levels ? -1 : 1;
	return x->hpa < y->hpa ? -1 : x->hpa > y->hpa;
}

static enum vmc_status check_host_cr3(struct ctx *x, struct vmc_diag *d)
{
	unsigned *idx = malloc((x->nc ? x->nc : 1) * sizeof(*idx)), n = 0;

	if (!idx)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < x->nc; i++)
		if (!x->c[i].dead)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_cand_cr3, x->c);
	for (unsigned s = 0; s < n;) {
		struct cand *first = &x->c[idx[s]];
		uint64_t root = first->host_cr3 & ADDR_MASK;
		unsigned e = s;
		while (e < n && (x->c[idx[e]].host_cr3 & ADDR_MASK) == root && x->c[idx[e]].levels == first->levels)
			e++;
		struct hostwalk w = { x, idx + s, e - s, e - s };
		struct vmc_pt pt = { .pm = &x->pm, .format = VMC_PT_X86_64, .levels = first->levels, .root = root,
				     .max_leaves = HOST_WALK_LEAVES };
		struct vmc_pt_stats st;
		struct vmc_diag tmp;
		enum vmc_status rc = VMC_OK;
		const char *fail = NULL;
		char fbuf[200];
		/* the kernel half first: the VMCS page sits in the direct map there, and the user half
		 * of a VMM process maps all of guest RAM */
		uint64_t kernel_lo = first->levels == 5 ? 0xff00000000000000ull : 0xffff800000000000ull;

		if (!vmc_physmem_has(&x->pm, root >> x->host->page_shift)) {
			snprintf(fbuf, sizeof(fbuf), "HOST_CR3 0x%" PRIx64 " is not in the dump", first->host_cr3);
			fail = fbuf;
		} else if (x->host_leaves >= HOST_WALK_TOTAL) {
			snprintf(fbuf, sizeof(fbuf), "host page-table walk budget (%llu entries) used up by earlier look-alikes",
				 (unsigned long long)HOST_WALK_TOTAL);
			fail = fbuf;
		} else {
			for (int half = 0; half < 2 && w.left && rc == VMC_OK; half++) {
				memset(&st, 0, sizeof(st));
				vmc_diag_init(&tmp);
				rc = vmc_pt_walk(&pt, half ? 0 : kernel_lo, half ? kernel_lo : 0, host_leaf, &w, &st, &tmp);
				x->host_leaves += st.leaves[0] + st.leaves[1] + st.leaves[2];
			}
			if (rc == VMC_ERR_NOMEM) {
				free(idx);
				return vmc_fail(d, rc, "out of memory");
			}
			if (rc != VMC_OK && rc != VMC_DONE) {
				snprintf(fbuf, sizeof(fbuf), "HOST_CR3 0x%" PRIx64 " tables: %.150s", first->host_cr3, tmp.msg);
				fail = fbuf;
			}
		}
		for (unsigned i = s; i < e; i++) {
			struct cand *c = &x->c[idx[i]];
			if (c->mapped)
				continue;
			if (fail)
				reject(x, c, "%s", fail);
			else
				reject(x, c, "HOST_CR3 0x%" PRIx64 " does not map the VMCS page (not a host kernel VMCS)",
				       c->host_cr3);
		}
		s = e;
	}
	free(idx);
	return VMC_OK;
}

/* ---- grouping and EPT walks ---- */

static int cmp_cand_eptp(const void *a, const void *b, void *arg)
{
	const struct cand *c = arg, *x = &c[*(const unsigned *)a], *y = &c[*(const unsigned *)b];
	if (x->eptp != y->eptp)
		return x->eptp < y->eptp ? -1 : 1;
	return x->hpa < y->hpa ? -1 : x->hpa > y->hpa;
}

static int cmp_group_first(const void *a, const void *b, void *arg)
{
	const struct ctx *x = arg;
	const struct group *g = a, *h = b;
	uint64_t ka = x->c[g->members[0]].hpa, kb = x->c[h->members[0]].hpa;
	return ka < kb ? -1 : ka > kb;
}

static enum vmc_status make_groups(struct ctx *x, struct vmc_diag *d)
{
	unsigned *idx = malloc((x->nc ? x->nc : 1) * sizeof(*idx)), n = 0;
	bool capped = false;

	if (!idx)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < x->nc; i++)
		if (!x->c[i].dead)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_cand_eptp, x->c);
	for (unsigned i = 0; i < n; i++) {
		struct cand *c = &x->c[idx[i]];
		if (!x->ng || x->g[x->ng - 1].eptp != c->eptp) {
			if (x->ng >= MAX_GROUPS) {
				if (!capped)
					warn(x, "%s: more than %u distinct EPTPs; VMCSs with EPTP >= 0x%" PRIx64 " are ignored",
					     x->host->name, MAX_GROUPS, c->eptp);
				capped = true;
				c->dead = true;
				continue;
			}
			struct group *g = realloc(x->g, (x->ng + 1) * sizeof(*g));
			if (!g) {
				free(idx);
				return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
			}
			x->g = g;
			memset(&g[x->ng], 0, sizeof(*g));
			g[x->ng++].eptp = c->eptp;
		}
		if (!push_u(&x->g[x->ng - 1].members, &x->g[x->ng - 1].nmembers, idx[i])) {
			free(idx);
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		}
	}
	free(idx);
	/* VMs in the order of their first VMCS in memory: stable, independent of EPTP values */
	if (x->ng > 1)
		qsort_r(x->g, x->ng, sizeof(*x->g), cmp_group_first, x);
	for (unsigned gi = 0; gi < x->ng; gi++)
		for (unsigned m = 0; m < x->g[gi].nmembers; m++)
			x->c[x->g[gi].members[m]].group = gi;
	return VMC_OK;
}

static enum vmc_status ept_leaf(uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t entry, void *arg)
{
	struct group *g = arg;
	struct vmc_ranges *ram = &g->ram;
	struct vmc_diag tmp; /* the walk's caller says "out of memory" */

	(void)gpa;
	(void)entry;
	if (ram->n && ram->r[ram->n - 1].hi == hpa) {
		ram->r[ram->n - 1].hi += size;
		return VMC_OK;
	}
	if (ram->n == ram->cap) {
		bool grow = true;
		/* aliasing tables repeat the same ranges: merge before growing, and stop at a bound
		 * (16 bytes a range) rather than let a corrupt EPT take the memory */
		if (ram->cap >= MAX_RAM_RANGES / 4) {
			vmc_ranges_normalise(ram);
			grow = ram->n >= ram->cap / 2;
			if (grow && ram->cap >= MAX_RAM_RANGES) {
				g->too_fragmented = true;
				return VMC_ERR_LIMIT;
			}
		}
		if (grow && vmc_grow(&ram->r, &ram->cap, ram->cap + 1, 64, &tmp))
			return VMC_ERR_NOMEM;
	}
	ram->r[ram->n++] = (struct vmc_range){ hpa, hpa + size };
	return VMC_OK;
}

static enum vmc_status walk_epts(struct ctx *x, struct vmc_diag *d)
{
	/* leaves a genuine EPT can have: about one per host RAM frame (more only with KSM aliasing) */
	uint64_t budget = 4 * vmc_bitmap_count(&x->host->ram) + (1ull << 20);

	if (budget > (1ull << 25))
		budget = 1ull << 25;
	for (unsigned gi = 0; gi < x->ng; gi++) {
		struct group *g = &x->g[gi];
		struct vmc_pt pt = { .pm = &x->pm, .format = VMC_PT_EPT, .levels = ((g->eptp >> 3) & 7) + 1,
				     .root = g->eptp & ADDR_MASK, .max_leaves = budget };
		struct vmc_pt_stats st;
		struct vmc_diag tmp;
		enum vmc_status rc;

		memset(&st, 0, sizeof(st));
		vmc_diag_init(&tmp);
		rc = vmc_pt_walk(&pt, 0, 0, ept_leaf, g, &st, &tmp);
		if (rc == VMC_ERR_NOMEM)
			return vmc_fail(d, rc, "out of memory");
		g->ept_ok = rc == VMC_OK;
		if (g->too_fragmented)
			snprintf(tmp.msg, sizeof(tmp.msg), "maps more than %u separate host ranges (aliasing tables?)",
				 MAX_RAM_RANGES);
		if (!g->ept_ok)
			warn(x, "%s: EPT of EPTP 0x%" PRIx64 ": %s; its guest RAM is not used to vet other VMCSs", x->host->name,
			     g->eptp, tmp.msg[0] ? tmp.msg : vmc_status_name(rc));
		if (st.loops)
			warn(x, "%s: EPT of EPTP 0x%" PRIx64 ": %llu entries point back at a table on their own path (skipped)",
			     x->host->name, g->eptp, (unsigned long long)st.loops);
		vmc_ranges_normalise(&g->ram); /* leaves come in gpa order, not hpa order */
		report(x->out, "vmx.ept.0x%" PRIx64 "=tables %llu, leaves 4k %llu 2m %llu 1g %llu, absent tables %llu, loops %llu%s",
		       g->eptp, (unsigned long long)st.tables, (unsigned long long)st.leaves[0],
		       (unsigned long long)st.leaves[1], (unsigned long long)st.leaves[2],
		       (unsigned long long)st.tables_absent, (unsigned long long)st.loops, g->ept_ok ? "" : ", incomplete");
	}
	return VMC_OK;
}

/* ---- who lies in whose guest RAM ---- */

struct item {
	uint64_t pa;
	bool is_root;   /* a group's EPT root, else a candidate's VMCS page */
	unsigned index;
};

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static enum vmc_status containment(struct ctx *x, struct vmc_diag *d)
{
	size_t ni = 0, cap = x->ng;
	struct item *it;

	for (unsigned gi = 0; gi < x->ng; gi++)
		cap += x->g[gi].nmembers;
	if (!(it = malloc((cap ? cap : 1) * sizeof(*it))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (unsigned gi = 0; gi < x->ng; gi++) {
		it[ni++] = (struct item){ x->g[gi].eptp & ADDR_MASK, true, gi };
		for (unsigned m = 0; m < x->g[gi].nmembers; m++)
			it[ni++] = (struct item){ x->c[x->g[gi].members[m]].hpa, false, x->g[gi].members[m] };
	}
	qsort(it, ni, sizeof(*it), cmp_item);
	for (unsigned gi = 0; gi < x->ng; gi++) {
		struct group *g = &x->g[gi];
		size_t k = 0;
		if (!g->ept_ok)
			continue; /* incomplete map: no evidence either way */
		for (size_t r = 0; r < g->ram.n && k < ni; r++) {
			while (k < ni && it[k].pa < g->ram.r[r].lo)
				k++;
			for (; k < ni && it[k].pa < g->ram.r[r].hi; k++) {
				bool ok;
				if (it[k].is_root)
					ok = it[k].index == gi || push_u(&x->g[it[k].index].in, &x->g[it[k].index].nin, gi);
				else
					ok = push_u(&x->c[it[k].index].in, &x->c[it[k].index].nin, gi);
				if (!ok) {
					free(it);
					return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
				}
			}
		}
	}
	free(it);
	return VMC_OK;
}

static bool group_contained_by(const struct ctx *x, unsigned h, unsigned gi)
{
	const struct group *H = &x->g[h];
	unsigned alive = 0, inside = 0;

	if (h == gi || x->g[gi].dead)
		return false;
	for (unsigned i = 0; i < H->nin; i++)
		if (H->in[i] == gi)
			return true;
	/* every live vCPU of H lies in gi's guest RAM */
	for (unsigned m = 0; m < H->nmembers; m++) {
		const struct cand *c = &x->c[H->members[m]];
		if (c->dead)
			continue;
		alive++;
		for (unsigned i = 0; i < c->nin; i++)
			if (c->in[i] == gi) {
				inside++;
				break;
			}
	}
	return alive && inside == alive;
}

static bool group_contained(const struct ctx *x, unsigned h)
{
	for (unsigned gi = 0; gi < x->ng; gi++)
		if (group_contained_by(x, h, gi))
			return true;
	return false;
}

static void kill_group(struct ctx *x, unsigned h, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kill_group(struct ctx *x, unsigned h, const char *fmt, ...)
{
	struct group *H = &x->g[h];
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	H->dead = true;
	for (unsigned m = 0; m < H->nmembers; m++)
		if (!x->c[H->members[m]].dead)
			reject(x, &x->c[H->members[m]], "%s", why);
}

/* depth-first: can h reach target through live "contained by" edges? *work bounds the total
 * effort of a hostile tangle of look-alikes; when it runs out the answer is "yes" (distrust). */
static bool reaches(const struct ctx *x, unsigned h, unsigned target, uint8_t *seen, uint64_t *work)
{
	for (unsigned gi = 0; gi < x->ng; gi++) {
		if (!*work)
			return true;
		(*work)--;
		if (seen[gi] || !group_contained_by(x, h, gi))
			continue;
		if (gi == target)
			return true;
		seen[gi] = 1;
		if (reaches(x, gi, target, seen, work))
			return true;
	}
	return false;
}

/* Genuine VMCSs and EPT tables live in host kernel memory, never in a guest's RAM; look-alikes a
 * guest plants live in its RAM. A VM contained by an uncontained VM (one with no evidence against
 * it) is a look-alike; a vCPU whose VMCS page lies in an uncontained VM's RAM (its own included) is
 * too. A guest that also maps the real structures from its fake EPT makes the two contain each
 * other: neither can be trusted, both go (with a diagnostic), and what they contained is freed. */
static enum vmc_status resolve(struct ctx *x, struct vmc_diag *d)
{
	uint8_t *unc = calloc(x->ng ? x->ng : 1, 1), *seen = calloc(x->ng ? x->ng : 1, 1);
	bool changed = true;
	unsigned rounds = 0;
	uint64_t work = 1ull << 24;

	if (!unc || !seen) {
		free(unc);
		free(seen);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	while (changed && rounds++ < 4 * MAX_GROUPS + 8) {
		changed = false;
		for (unsigned h = 0; h < x->ng; h++)
			unc[h] = !x->g[h].dead && !group_contained(x, h);
		for (unsigned h = 0; h < x->ng; h++) {
			struct group *H = &x->g[h];
			if (H->dead)
				continue;
			for (unsigned gi = 0; gi < x->ng; gi++)
				if (unc[gi] && x->g[gi].ept_ok && group_contained_by(x, h, gi)) {
					kill_group(x, h, "its EPT root or VMCS pages lie in the guest RAM of the VM with EPTP 0x%" PRIx64
						   " (a guest-made look-alike)", x->g[gi].eptp);
					changed = true;
					break;
				}
			for (unsigned m = 0; m < H->nmembers && !H->dead; m++) {
				struct cand *c = &x->c[H->members[m]];
				if (c->dead)
					continue;
				for (unsigned i = 0; i < c->nin; i++)
					if (unc[c->in[i]] && !x->g[c->in[i]].dead) {
						reject(x, c, "the page lies in the guest RAM of the VM with EPTP 0x%" PRIx64
							     " (a guest-made look-alike)", x->g[c->in[i]].eptp);
						changed = true;
						break;
					}
			}
			unsigned alive = 0;
			for (unsigned m = 0; m < H->nmembers; m++)
				alive += !x->c[H->members[m]].dead;
			if (!alive)
				H->dead = true; /* an empty group is no evidence for anything */
		}
		if (changed)
			continue;
		/* no more evidence-based rejections: break cycles of mutual containment. Every group on
		 * a cycle goes at once (killing one first would clear the others). */
		for (unsigned h = 0; h < x->ng; h++) {
			unc[h] = 0; /* reused: 1 = on a cycle */
			if (x->g[h].dead || !group_contained(x, h))
				continue;
			memset(seen, 0, x->ng);
			unc[h] = reaches(x, h, h, seen, &work);
		}
		for (unsigned h = 0; h < x->ng; h++)
			if (unc[h]) {
				kill_group(x, h, "it and another VM map each other's VMCS/EPT pages: neither can be trusted "
						 "(a guest planting look-alikes?)");
				changed = true;
			}
	}
	/* a group whose vCPUs all went is gone too */
	for (unsigned h = 0; h < x->ng; h++) {
		unsigned alive = 0;
		for (unsigned m = 0; m < x->g[h].nmembers; m++)
			alive += !x->c[x->g[h].members[m]].dead;
		if (!alive)
			x->g[h].dead = true;
	}
	free(unc);
	free(seen);
	return VMC_OK;
}

/* Two live VMs mapping the same host frames: KSM-shared pages, or something wrong. */
static void overlaps(struct ctx *x)
{
	unsigned checked = 0;

	for (unsigned a = 0; a < x->ng && checked < 256; a++) {
		if (x->g[a].dead || !x->g[a].ram.n)
			continue;
		checked++;
		for (unsigned b = a + 1; b < x->ng; b++) {
			const struct group *A = &x->g[a], *B = &x->g[b];
			uint64_t bytes, first;
			if (B->dead)
				continue;
			bytes = vmc_ranges_overlap(&A->ram, &B->ram, &first);
			if (bytes)
				warn(x, "%s: the VMs with EPTP 0x%" PRIx64 " and 0x%" PRIx64 " both map %llu host frames (first 0x%" PRIx64
				     "): shared (KSM) or corrupt", x->host->name, A->eptp, B->eptp,
				     (unsigned long long)(bytes >> x->host->page_shift), first);
		}
	}
}

/* ---- registers ---- */

static void seg_from(const struct vmc_vmcs_layout *l, const uint8_t *r, unsigned seg, struct vmc_seg *s,
		     uint64_t *selector_out)
{
	uint64_t sel = 0, lim = 0, ar = 0, base = 0;
	bool have_ar;

	vmc_vmcs_get(l, r, l->size, vmc_vmcs_seg_field(seg, 0), &sel);
	vmc_vmcs_get(l, r, l->size, vmc_vmcs_seg_field(seg, 1), &lim);
	have_ar = vmc_vmcs_get(l, r, l->size, vmc_vmcs_seg_field(seg, 2), &ar);
	vmc_vmcs_get(l, r, l->size, vmc_vmcs_seg_field(seg, 3), &base);
	s->selector = (uint32_t)sel;
	s->limit = (uint32_t)lim;
	s->base = base;
	/* VMX access rights -> descriptor bits 8..23 as QEMU keeps them; bit 16 = unusable */
	s->flags = have_ar && !(ar & 0x10000) ? (uint32_t)((ar & 0xf0ff) << 8) : 0;
	if (selector_out)
		*selector_out = sel;
}

static void fill_regs(const struct vmc_vmcs_layout *l, const uint8_t *r, uint64_t hpa, struct vmc_vcpu *v)
{
	uint64_t ctl;
	bool rip = vmc_vmcs_get(l, r, l->size, VMCS_GUEST_RIP, &v->rip);
	bool rsp = vmc_vmcs_get(l, r, l->size, VMCS_GUEST_RSP, &v->rsp);
	bool cr3 = vmc_vmcs_get(l, r, l->size, VMCS_GUEST_CR3, &v->cr[3]);

	vmc_vmcs_get(l, r, l->size, VMCS_GUEST_RFLAGS, &v->rflags);
	vmc_vmcs_get(l, r, l->size, VMCS_GUEST_CR0, &v->cr[0]);
	vmc_vmcs_get(l, r, l->size, VMCS_GUEST_CR4, &v->cr[4]);
	vmc_vmcs_get(l, r, l->size, VMCS_GUEST_EFER, &v->efer);
	/* GUEST_IA32_EFER is only loaded with the "load IA32_EFER" entry control; without it a
	 * long-mode guest still has LME|LMA */
	if (!v->efer && vmc_vmcs_get(l, r, l->size, VMCS_ENTRY_CONTROLS, &ctl) && (ctl & ENTRY_GUEST_64))
		v->efer = 0x500;
	seg_from(l, r, 0, &v->seg_es, &v->es);
	seg_from(l, r, 1, &v->seg_cs, &v->cs);
	seg_from(l, r, 2, &v->seg_ss, &v->ss);
	seg_from(l, r, 3, &v->seg_ds, &v->ds);
	seg_from(l, r, 4, &v->seg_fs, &v->fs);
	seg_from(l, r, 5, &v->seg_gs, &v->gs);
	seg_from(l, r, 6, &v->ldt, NULL);
	seg_from(l, r, 7, &v->tr, NULL);
	v->fs_base = v->seg_fs.base;
	v->gs_base = v->seg_gs.base;
	uint64_t lim = 0;
	vmc_vmcs_get(l, r, l->size, VMCS_GUEST_GDTR_BASE, &v->gdt.base);
	if (vmc_vmcs_get(l, r, l->size, VMCS_GUEST_GDTR_LIMIT, &lim))
		v->gdt.limit = (uint32_t)lim;
	vmc_vmcs_get(l, r, l->size, VMCS_GUEST_IDTR_BASE, &v->idt.base);
	lim = 0;
	if (vmc_vmcs_get(l, r, l->size, VMCS_GUEST_IDTR_LIMIT, &lim))
		v->idt.limit = (uint32_t)lim;
	v->regs_valid = rip && rsp;
	v->gprs_valid = false;
	v->sregs_valid = cr3;
	snprintf(v->source, sizeof(v->source), "VMCS 0x%" PRIx64, hpa);
}

struct vsort {
	uint64_t key, hpa;
	unsigned cand;
};

static int cmp_vsort(const void *a, const void *b)
{
	const struct vsort *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->hpa < y->hpa ? -1 : x->hpa > y->hpa;
}

static enum vmc_status emit(struct ctx *x, struct vmc_diag *d)
{
	struct vmc_hw_scan *o = x->out;
	unsigned alive = 0;

	for (unsigned gi = 0; gi < x->ng; gi++)
		alive += !x->g[gi].dead;
	if (!alive)
		return VMC_OK;
	if (!(o->vms = calloc(alive, sizeof(*o->vms))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	for (unsigned gi = 0; gi < x->ng; gi++) {
		struct group *g = &x->g[gi];
		struct vmc_hw_vm *vm;
		struct vsort *vs;
		unsigned n = 0;
		bool vpids_ok = true;

		if (g->dead)
			continue;
		vm = &o->vms[o->nvms++];
		vm->eptp = g->eptp;
		vm->tdp_root = g->eptp & ADDR_MASK;
		vm->format = VMC_PT_EPT;
		vm->levels = ((g->eptp >> 3) & 7) + 1;
		if (!(vs = calloc(g->nmembers, sizeof(*vs))) || !(vm->vcpus = calloc(g->nmembers, sizeof(*vm->vcpus)))) {
			free(vs);
			return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		}
		/* vCPU order: by VPID when every vCPU has a distinct nonzero one (KVM allocates them in
		 * vCPU creation order), else by VMCS address */
		for (unsigned m = 0; m < g->nmembers; m++) {
			struct cand *c = &x->c[g->members[m]];
			uint64_t vpid = 0;
			const uint8_t *p;
			struct vmc_diag tmp;
			if (c->dead)
				continue;
			vmc_diag_init(&tmp);
			if ((p = vmc_physmem_frame(&x->pm, c->hpa >> x->host->page_shift, &tmp)) &&
			    vmc_vmcs_get(c->l, p, x->host->page_size, VMCS_VPID, &vpid) && vpid)
				for (unsigned k = 0; k < n; k++)
					vpids_ok &= vs[k].key != vpid;
			else
				vpids_ok = false;
			vs[n++] = (struct vsort){ vpid, c->hpa, g->members[m] };
		}
		for (unsigned k = 0; k < n; k++)
			if (!vpids_ok)
				vs[k].key = 0;
		qsort(vs, n, sizeof(*vs), cmp_vsort);
		for (unsigned k = 0; k < n; k++) {
			struct cand *c = &x->c[vs[k].cand];
			struct vmc_hw_vcpu *hv = &vm->vcpus[vm->nvcpus];
			const uint8_t *p;
			struct vmc_diag tmp;
			uint64_t vpid = 0;

			vmc_diag_init(&tmp);
			if (!(p = vmc_physmem_frame(&x->pm, c->hpa >> x->host->page_shift, &tmp)))
				continue; /* read it before: cannot vanish, but do not trust that */
			memcpy(x->region, p, c->l->size);
			hv->state_pa = c->hpa;
			vmc_vmcs_get(c->l, x->region, c->l->size, VMCS_VPID, &vpid);
			hv->asid_or_vpid = (uint32_t)vpid;
			hv->regs.id = vm->nvcpus;
			fill_regs(c->l, x->region, c->hpa, &hv->regs);
			report(o, "vmx.vm%u.vcpu%u=VMCS 0x%" PRIx64 " vpid %" PRIu64 " rip 0x%" PRIx64 " cr3 0x%" PRIx64, o->nvms,
			       vm->nvcpus, c->hpa, vpid, hv->regs.rip, hv->regs.cr[3]);
			vm->nvcpus++;
		}
		free(vs);
		report(o, "vmx.vm%u=EPTP 0x%" PRIx64 ", %u-level EPT, %u vCPU(s), vCPUs ordered by %s", o->nvms, g->eptp, vm->levels,
		       vm->nvcpus, vpids_ok ? "VPID" : "VMCS address");
	}
	return VMC_OK;
}

static void ctx_free(struct ctx *x)
{
	for (unsigned i = 0; i < x->nc; i++)
		free(x->c[i].in);
	for (unsigned gi = 0; gi < x->ng; gi++) {
		free(x->g[gi].members);
		vmc_ranges_release(&x->g[gi].ram);
		free(x->g[gi].in);
	}
	free(x->c);
	free(x->g);
	vmc_physmem_fini(&x->pm);
}

enum vmc_status vmc_vmx_scan(struct vmc_dump *host, const char *layout_file, struct vmc_hw_scan *out,
			     struct vmc_diag *d)
{
	struct vmc_vmcs_layout fixed;
	bool have_fixed = false;
	struct ctx *x;
	struct vmc_note n;
	enum vmc_status rc;

	memset(out, 0, sizeof(*out));
	if (host->page_size < 4096)
		return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: page size %u: VMCS regions need 4 KiB frames", host->name,
				host->page_size);
	if (layout_file) {
		if ((rc = vmc_vmcs_layout_load(layout_file, &fixed, d)))
			return vmc_wrap(d, rc, "--vmcs-layout");
		have_fixed = true;
	} else if (vmc_notes_find(host->notes, host->notes_len, "VMCSINFO", &n)) {
		char origin[200];
		snprintf(origin, sizeof(origin), "%s: VMCSINFO note", host->name);
		if ((rc = vmc_vmcs_layout_parse((const char *)n.desc, n.desc_len, origin, &fixed, d)))
			return vmc_wrap(d, rc, "(give --vmcs-layout FILE to override)");
		have_fixed = true;
	}
	if (!(x = calloc(1, sizeof(*x))))
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	x->host = host;
	x->out = out;
	if ((rc = vmc_physmem_init(&x->pm, host, d))) {
		free(x);
		return rc;
	}
	if (have_fixed) {
		report(out, "vmx.layout=%s, revision 0x%x, from %s (%u unused fields)", fixed.name, fixed.revision_id,
		       fixed.origin, fixed.nignored);
	} else {
		for (unsigned i = 0; i < vmc_vmcs_builtin_count(); i++)
			report(out, "vmx.layout=%s, revision 0x%x, %s", vmc_vmcs_builtin(i)->name, vmc_vmcs_builtin(i)->revision_id,
			       vmc_vmcs_builtin(i)->origin);
	}
	if (!(rc = scan_frames(x, have_fixed ? &fixed : NULL, d)) && !(rc = check_host_cr3(x, d)) &&
	    !(rc = make_groups(x, d)) && !(rc = walk_epts(x, d)) && !(rc = containment(x, d)) && !(rc = resolve(x, d))) {
		overlaps(x);
		rc = emit(x, d);
	}
	if (x->header_only)
		report(out, "vmx.header_only=%" PRIu64 " frames with a known revision id and abort indicator but no VMXE / link pointer",
		       x->header_only);
	if (rc == VMC_OK && have_fixed && !out->nvms && x->header_only)
		warn(x, "%s: %" PRIu64 " frame(s) carry VMCS revision id 0x%x but none has HOST_CR4.VMXE and VMCS_LINK_POINTER ~0 "
			"at the offsets of %s: wrong layout?", host->name, x->header_only, fixed.revision_id, fixed.origin);
	if (x->nwarn_dropped)
		report(out, "vmx.warnings_dropped=%u", x->nwarn_dropped);
	if (x->nreject_lines > MAX_REPORT_REJECTS)
		report(out, "vmx.rejected_unlisted=%u", x->nreject_lines - MAX_REPORT_REJECTS);
	report(out, "vmx.summary=%" PRIu64 " frames scanned, %" PRIu64 " VMCS look-alikes, %" PRIu64 " rejected, %u VM(s)",
	       out->frames_scanned, out->candidates, out->rejected, out->nvms);
	ctx_free(x);
	free(x);
	return rc;
}
