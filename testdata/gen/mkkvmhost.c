/* mkkvmhost.c: synthetic KVM-on-Intel host dumps (ELF vmcores) for the VMX carving tests, which
 * the test bed (AMD SVM) cannot produce. A host has 6 MiB of low RAM (host page tables mapping it
 * in a direct map, VMCS regions, EPT tables, guest 4 KiB pages and two 2 MiB guest pages) and a
 * 1 GiB RAM range of which only the first 64 KiB are stored (a guest's 1 GiB EPT page); the
 * range between is a hole. Each VM has VMCS regions written from an offsets table, an EPT (4 or
 * 5 levels, 4K/2M/1G leaves, holes, a non-present entry with stray bits) and guest pages whose
 * bytes derive from (vm, gfn); VM 1 has the guest kernel's VMCOREINFO note in its RAM.
 * Hostile scenarios plant VMCS look-alikes in guest RAM, EPTs pointing outside RAM or looping,
 * VMs claiming each other's frames; `notes` plants two more VMCOREINFO notes in VM 1 (a guest
 * faking its kernel's). Shares no code with vmcarve.
 *
 * Usage: mkkvmhost SCENARIO file|note|haswell OUTDIR
 *   writes OUTDIR/host.vmcore, OUTDIR/layout.txt, OUTDIR/wrong-layout.txt, OUTDIR/expect.txt
 *   (expect.txt: "vm ID eptp 0x.. levels N accepted 0|1 vcpus N vmcoreinfo_gfn 0x..",
 *   "vcpu VM IDX vmcs 0x.. vpid N rip 0x.. rsp 0x.. rflags 0x.. cr0 0x.. cr3 0x.. cr4 0x..
 *   efer 0x..", "map VM gfn 0x.. hpa 0x.. npages N", "fake 0x..").
 * Scenarios: basic, hostile, mutual, shared, notes, mini (a 56 KiB fuzz seed) (see build()). */
#include "mkkvmhost.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KB 1024ull
#define MB (1024 * KB)
#define GB (1024 * MB)
#define LOW_LEN (6 * MB)
#define HIGH_BASE (1 * GB)
#define HIGH_LEN (64 * KB)
#define HIGH_RAM (1 * GB)
#define DIRECT_MAP 0xffff888000000000ull
#define TEST_REVISION 0x4b56u

/* ---- VMCS fields the generator writes: name, width in bytes ---- */
struct fdef {
	const char *name;
	unsigned bytes;
	uint16_t haswell_word; /* Rekall HASWELL_VMCS offset / 4 (actaeon haswell.py); 0 = none */
};

enum {
	F_VPID, F_EPTP, F_LINK, F_EFER, F_ENTRY, F_EXIT,
	F_SEG0, /* 8 segments x selector, limit, ar, base */
	F_GDTR_LIMIT = F_SEG0 + 32, F_IDTR_LIMIT, F_GDTR_BASE, F_IDTR_BASE,
	F_CR0, F_CR3, F_CR4, F_RSP, F_RIP, F_RFLAGS, F_HOST_CR3, F_HOST_CR4, F_HOST_RIP, F_N
};

static struct fdef fdefs[F_N];
static const char *const segn[8] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
static char segnames[32][32];

static void fdefs_init(void)
{
	static const uint16_t hsw_lim[8] = { 0x09, 0x0d, 0x11, 0x15, 0x21, 0x25, 0x19, 0x1d };
	static const uint16_t hsw_base[8] = { 0x0a, 0x0e, 0x12, 0x16, 0x22, 0x26, 0x1a, 0x1e };
	static const char *const part[4] = { "SELECTOR", "LIMIT", "AR_BYTES", "BASE" };
	static const unsigned pbytes[4] = { 2, 4, 4, 8 };

	fdefs[F_VPID] = (struct fdef){ "VIRTUAL_PROCESSOR_ID", 2, 0 };
	fdefs[F_EPTP] = (struct fdef){ "EPT_POINTER", 8, 0x50 };
	fdefs[F_LINK] = (struct fdef){ "VMCS_LINK_POINTER", 8, 0x3e };
	fdefs[F_EFER] = (struct fdef){ "GUEST_IA32_EFER", 8, 0x44 };
	fdefs[F_ENTRY] = (struct fdef){ "VM_ENTRY_CONTROLS", 4, 0xae };
	fdefs[F_EXIT] = (struct fdef){ "VM_EXIT_CONTROLS", 4, 0x57 };
	for (unsigned s = 0; s < 8; s++)
		for (unsigned p = 0; p < 4; p++) {
			snprintf(segnames[s * 4 + p], sizeof(segnames[0]), "GUEST_%s_%s", segn[s], part[p]);
			fdefs[F_SEG0 + s * 4 + p] = (struct fdef){ segnames[s * 4 + p], pbytes[p],
								   p == 1 ? hsw_lim[s] : p == 3 ? hsw_base[s] : 0 };
		}
	fdefs[F_GDTR_LIMIT] = (struct fdef){ "GUEST_GDTR_LIMIT", 4, 0x29 };
	fdefs[F_IDTR_LIMIT] = (struct fdef){ "GUEST_IDTR_LIMIT", 4, 0x2d };
	fdefs[F_GDTR_BASE] = (struct fdef){ "GUEST_GDTR_BASE", 8, 0x2a };
	fdefs[F_IDTR_BASE] = (struct fdef){ "GUEST_IDTR_BASE", 8, 0x2e };
	fdefs[F_CR0] = (struct fdef){ "GUEST_CR0", 8, 0x82 };
	fdefs[F_CR3] = (struct fdef){ "GUEST_CR3", 8, 0x84 };
	fdefs[F_CR4] = (struct fdef){ "GUEST_CR4", 8, 0x86 };
	fdefs[F_RSP] = (struct fdef){ "GUEST_RSP", 8, 0x74 };
	fdefs[F_RIP] = (struct fdef){ "GUEST_RIP", 8, 0x76 };
	fdefs[F_RFLAGS] = (struct fdef){ "GUEST_RFLAGS", 8, 0x78 };
	fdefs[F_HOST_CR3] = (struct fdef){ "HOST_CR3", 8, 0xcc };
	fdefs[F_HOST_CR4] = (struct fdef){ "HOST_CR4", 8, 0xce };
	fdefs[F_HOST_RIP] = (struct fdef){ "HOST_RIP", 8, 0xc2 };
}

/* ---- the build state ---- */
struct gen {
	struct kh_result *r;
	enum kh_layout_mode mode;
	uint16_t off[F_N];   /* byte offsets in the layout written (0 = not written) */
	uint32_t revision;
	uint64_t host_next, host_end;   /* host-only frames: tables, VMCSs */
	uint64_t guest_next, guest_end; /* guest 4 KiB frames */
	uint64_t host_cr3[2];
};

static void w64(struct gen *g, uint64_t pa, uint64_t v)
{
	struct kh_result *r = g->r;
	if (pa + 8 <= r->low_len)
		memcpy(r->low + pa, &v, 8);
	else if (pa >= r->high_base && pa + 8 <= r->high_base + r->high_len)
		memcpy(r->high + (pa - r->high_base), &v, 8);
}

static uint64_t r64(struct gen *g, uint64_t pa)
{
	uint64_t v = 0;
	struct kh_result *r = g->r;
	if (pa + 8 <= r->low_len)
		memcpy(&v, r->low + pa, 8);
	else if (pa >= r->high_base && pa + 8 <= r->high_base + r->high_len)
		memcpy(&v, r->high + (pa - r->high_base), 8);
	return v;
}

static void wbytes(struct gen *g, uint64_t pa, const void *p, size_t n)
{
	struct kh_result *r = g->r;
	if (pa + n <= r->low_len)
		memcpy(r->low + pa, p, n);
	else if (pa >= r->high_base && pa + n <= r->high_base + r->high_len)
		memcpy(r->high + (pa - r->high_base), p, n);
}

static void zero_page(struct gen *g, uint64_t pa)
{
	uint8_t z[4096] = { 0 };
	wbytes(g, pa, z, sizeof(z));
}

static uint64_t host_frame(struct gen *g)
{
	uint64_t pa = g->host_next;
	if (pa >= g->host_end) {
		fprintf(stderr, "mkkvmhost: out of host frames\n");
		abort();
	}
	g->host_next += 4096;
	zero_page(g, pa);
	return pa;
}

static uint64_t guest_frame(struct gen *g)
{
	uint64_t pa = g->guest_next;
	if (pa >= g->guest_end) {
		fprintf(stderr, "mkkvmhost: out of guest frames\n");
		abort();
	}
	g->guest_next += 4096;
	return pa;
}

void kh_guest_page(unsigned vm, uint64_t gfn, uint8_t *buf)
{
	for (unsigned i = 0; i < 512; i++) {
		uint64_t v = 0x9e3779b97f4a7c15ull * (((uint64_t)vm << 32) + gfn * 512 + i + 1);
		memcpy(buf + 8 * i, &v, 8);
	}
}

/* Table pool: where new EPT tables come from (host frames, or guest pages for a look-alike). */
struct pool {
	struct gen *g;
	uint64_t *frames;
	unsigned n, used;
};

static uint64_t pool_take(struct pool *p)
{
	if (!p->frames)
		return host_frame(p->g);
	if (p->used >= p->n) {
		fprintf(stderr, "mkkvmhost: table pool empty\n");
		abort();
	}
	zero_page(p->g, p->frames[p->used]);
	return p->frames[p->used++];
}

/* EPT: present = RWX (7), leaf memory type WB (6 << 3), bit 7 on 2M/1G leaves. */
static void ept_map(struct pool *p, uint64_t root, unsigned levels, uint64_t gpa, uint64_t hpa, uint64_t size)
{
	uint64_t table = root;
	unsigned leaf_level = size == GB ? 3 : size == 2 * MB ? 2 : 1;

	for (unsigned level = levels; level > leaf_level; level--) {
		uint64_t ea = table + ((gpa >> (12 + 9 * (level - 1))) & 511) * 8, e = r64(p->g, ea);
		if (!(e & 7)) {
			e = pool_take(p) | 7;
			w64(p->g, ea, e);
		}
		table = e & 0x000ffffffffff000ull;
	}
	w64(p->g, table + ((gpa >> (12 + 9 * (leaf_level - 1))) & 511) * 8,
	    hpa | 7 | (6 << 3) | (leaf_level > 1 ? 0x80 : 0) | 0x300 /* accessed, dirty */);
}

/* x86-64 host tables: present|rw, bit 7 on 2M leaves. */
static void host_map(struct gen *g, uint64_t pml4, uint64_t va, uint64_t pa, uint64_t size)
{
	uint64_t table = pml4;
	unsigned leaf_level = size == 2 * MB ? 2 : 1;

	for (unsigned level = 4; level > leaf_level; level--) {
		uint64_t ea = table + ((va >> (12 + 9 * (level - 1))) & 511) * 8, e = r64(g, ea);
		if (!(e & 1)) {
			e = host_frame(g) | 3;
			w64(g, ea, e);
		}
		table = e & 0x000ffffffffff000ull;
	}
	w64(g, table + ((va >> (12 + 9 * (leaf_level - 1))) & 511) * 8, pa | 3 | (leaf_level > 1 ? 0x80 : 0));
}

static void make_host_tables(struct gen *g)
{
	/* one kernel half shared by two process page tables (two VMM processes) */
	g->host_cr3[0] = host_frame(g);
	/* the first 2 MiB with 4 KiB pages, the rest of low RAM with 2 MiB pages */
	for (uint64_t pa = 0; pa < 2 * MB && pa < g->r->low_len; pa += 4096)
		host_map(g, g->host_cr3[0], DIRECT_MAP + pa, pa, 4096);
	for (uint64_t pa = 2 * MB; pa < g->r->low_len; pa += 2 * MB)
		host_map(g, g->host_cr3[0], DIRECT_MAP + pa, pa, 2 * MB);
	/* a user-half mapping, as a VMM process has */
	if (g->r->low_len > 2 * MB)
		host_map(g, g->host_cr3[0], 0x7f0000000000ull, 0x200000, 4096);
	g->host_cr3[1] = host_frame(g);
	for (unsigned i = 256; i < 512; i++)
		w64(g, g->host_cr3[1] + 8 * i, r64(g, g->host_cr3[0] + 8 * i));
}

/* ---- VMCS regions ---- */

static void layout_init(struct gen *g)
{
	memset(g->off, 0, sizeof(g->off));
	if (g->mode == KH_LAYOUT_HASWELL) {
		g->revision = 0x12;
		for (unsigned f = 0; f < F_N; f++)
			g->off[f] = (uint16_t)(fdefs[f].haswell_word * 4);
	} else {
		g->revision = TEST_REVISION;
		/* the test layout: fields in reverse order, 8-byte slots, from 0x40 */
		for (unsigned f = 0; f < F_N; f++)
			g->off[f] = (uint16_t)(0x40 + 8 * (F_N - 1 - f));
	}
}

static void layout_text(struct gen *g, char *buf, size_t n, int shift)
{
	size_t k = (size_t)snprintf(buf, n, "# VMCS layout written by mkkvmhost\nNAME=%s\nREVISION_ID=0x%x\nSIZE=0x1000\n",
				    g->mode == KH_LAYOUT_HASWELL ? "haswell-test" : "mkkvmhost", g->revision);
	for (unsigned f = 0; f < F_N && k < n; f++)
		if (g->off[f])
			k += (size_t)snprintf(buf + k, n - k, "FIELD(%s)=0x%x\n", fdefs[f].name, g->off[f] + 8 * shift);
}

static void put_field(struct gen *g, uint64_t vmcs, unsigned f, uint64_t v)
{
	if (!g->off[f])
		return;
	wbytes(g, vmcs + g->off[f], &v, fdefs[f].bytes);
}

static void write_vmcs(struct gen *g, uint64_t vmcs, const struct kh_vcpu *c, uint64_t eptp, uint64_t host_cr3)
{
	uint32_t hdr[2] = { g->revision, 0 };

	zero_page(g, vmcs);
	wbytes(g, vmcs, hdr, 8);
	put_field(g, vmcs, F_VPID, c->vpid);
	put_field(g, vmcs, F_EPTP, eptp);
	put_field(g, vmcs, F_LINK, ~0ull);
	put_field(g, vmcs, F_EFER, c->efer);
	put_field(g, vmcs, F_ENTRY, 0x93ff | (1 << 9) | (1 << 15));
	put_field(g, vmcs, F_EXIT, 0x36dff | (1 << 9));
	for (unsigned s = 0; s < 8; s++) {
		put_field(g, vmcs, F_SEG0 + 4 * s, c->sel[s]);
		put_field(g, vmcs, F_SEG0 + 4 * s + 1, c->limit[s]);
		put_field(g, vmcs, F_SEG0 + 4 * s + 2, c->ar[s]);
		put_field(g, vmcs, F_SEG0 + 4 * s + 3, c->base[s]);
	}
	put_field(g, vmcs, F_GDTR_LIMIT, c->gdtr_limit);
	put_field(g, vmcs, F_IDTR_LIMIT, c->idtr_limit);
	put_field(g, vmcs, F_GDTR_BASE, c->gdtr_base);
	put_field(g, vmcs, F_IDTR_BASE, c->idtr_base);
	put_field(g, vmcs, F_CR0, c->cr0);
	put_field(g, vmcs, F_CR3, c->cr3);
	put_field(g, vmcs, F_CR4, c->cr4);
	put_field(g, vmcs, F_RSP, c->rsp);
	put_field(g, vmcs, F_RIP, c->rip);
	put_field(g, vmcs, F_RFLAGS, c->rflags);
	put_field(g, vmcs, F_HOST_CR3, host_cr3);
	put_field(g, vmcs, F_HOST_CR4, 0x3726f0 | (1 << 13) | (1 << 5)); /* VMXE, PAE */
	put_field(g, vmcs, F_HOST_RIP, 0xffffffffc0a81234ull);
}

static void vcpu_regs(struct kh_vcpu *c, unsigned vm, unsigned idx)
{
	static const uint32_t ar[8] = { 0xc093, 0xa09b, 0xc093, 0xc093, 0xc093, 0xc093, 0x10000, 0x8b };
	memset(c, 0, sizeof(*c));
	c->vpid = (uint16_t)(vm * 8 + idx + 1);
	c->rip = 0xffffffff81000000ull + vm * 0x10000 + idx * 0x100;
	c->rsp = 0xffffc90000004000ull + vm * 0x100000 + idx * 0x1000 - 8;
	c->rflags = 0x246;
	c->cr0 = 0x80050033;
	c->cr3 = 0x1000000ull * vm + 0x10000 * idx;
	c->cr4 = 0x3706f0;
	c->efer = 0xd01;
	for (unsigned s = 0; s < 8; s++) {
		c->sel[s] = s == 1 ? 0x10 : s == 7 ? 0x40 : s == 6 ? 0 : 0x18;
		c->limit[s] = s == 7 ? 0x4087 : 0xffffffff;
		c->ar[s] = ar[s];
	}
	c->base[5] = 0xffff888007c00000ull + idx * 0x40000; /* GS base: per-CPU area */
	c->base[7] = 0xfffffe0000003000ull + idx * 0x10000;
	c->gdtr_base = 0xfffffe0000001000ull + idx * 0x10000;
	c->gdtr_limit = 0x7f;
	c->idtr_base = 0xfffffe0000000000ull;
	c->idtr_limit = 0xfff;
}

/* ---- VMs ---- */

static void add_map(struct kh_vm *vm, uint64_t gfn, uint64_t hpa, uint64_t npages)
{
	struct kh_map *last = vm->nmaps ? &vm->maps[vm->nmaps - 1] : NULL;
	if (last && last->gfn + last->npages == gfn && last->hpa + last->npages * 4096 == hpa) {
		last->npages += npages;
		return;
	}
	if (vm->nmaps >= sizeof(vm->maps) / sizeof(vm->maps[0])) {
		fprintf(stderr, "mkkvmhost: too many maps\n");
		abort();
	}
	vm->maps[vm->nmaps++] = (struct kh_map){ gfn, hpa, npages };
}

bool kh_translate(const struct kh_vm *vm, uint64_t gfn, uint64_t *hpa)
{
	for (unsigned i = 0; i < vm->nmaps; i++)
		if (gfn >= vm->maps[i].gfn && gfn - vm->maps[i].gfn < vm->maps[i].npages) {
			*hpa = vm->maps[i].hpa + (gfn - vm->maps[i].gfn) * 4096;
			return true;
		}
	return false;
}

static void fill_guest(struct gen *g, struct kh_vm *vm, uint64_t gfn, uint64_t hpa, uint64_t npages)
{
	uint8_t buf[4096];
	for (uint64_t i = 0; i < npages; i++) {
		if (!((hpa + i * 4096 + 4096 <= g->r->low_len) ||
		      (hpa + i * 4096 >= g->r->high_base && hpa + i * 4096 + 4096 <= g->r->high_base + g->r->high_len)))
			continue;
		kh_guest_page(vm->id, gfn + i, buf);
		wbytes(g, hpa + i * 4096, buf, 4096);
	}
}

/* The guest kernel's VMCOREINFO note page (Linux: page-aligned, "VMCOREINFO" note) and the
 * init_uts_ns release it points at, as vmcarve's guest_vmcoreinfo.c validates them. */
static void plant_note(struct gen *g, struct kh_vm *vm, uint64_t note_gfn, uint64_t uts_gfn, const char *release,
		       unsigned crashtime)
{
	char text[512];
	uint8_t page[4096] = { 0 };
	uint64_t hpa, sym = 0xffffffff80000000ull + uts_gfn * 4096 + 0x100;
	int n = snprintf(text, sizeof(text),
			 "OSRELEASE=%s\nPAGESIZE=4096\nSYMBOL(init_uts_ns)=%llx\nOFFSET(uts_namespace.name)=4\n"
			 "NUMBER(phys_base)=0\nKERNELOFFSET=0\nCRASHTIME=%u\n",
			 release, (unsigned long long)sym, crashtime);
	uint32_t h[3] = { 11, (uint32_t)n, 0 };

	memcpy(page, h, 12);
	memcpy(page + 12, "VMCOREINFO\0", 11);
	memcpy(page + 24, text, (size_t)n);
	if (!kh_translate(vm, note_gfn, &hpa))
		abort();
	wbytes(g, hpa, page, sizeof(page));
}

static void plant_vmcoreinfo(struct gen *g, struct kh_vm *vm, uint64_t note_gfn, uint64_t uts_gfn)
{
	uint64_t hpa;

	plant_note(g, vm, note_gfn, uts_gfn, "6.1.0-vmxtest", 1700000000);
	if (!kh_translate(vm, uts_gfn, &hpa))
		abort();
	wbytes(g, hpa + 0x100 + 4 + 2 * 65, "6.1.0-vmxtest", 14);
	vm->vmcoreinfo_gfn = note_gfn;
}

struct vmspec {
	unsigned id, levels, nvcpus, n4k, hole_lo, hole_hi;
	uint64_t big2m_hpa;   /* 0 = no 2 MiB page; else mapped at gfn 0x200 */
	bool map1g;           /* gfns 0x40000.. -> the 1 GiB host range */
	bool outside;         /* one gfn (n4k + 2) mapped into the hole */
	unsigned host_cr3;
};

static void make_vm(struct gen *g, struct kh_vm *vm, const struct vmspec *s, uint64_t *vmcs_hpas)
{
	struct pool p = { g, NULL, 0, 0 };
	uint64_t root = host_frame(g);

	memset(vm, 0, sizeof(*vm));
	vm->id = s->id;
	vm->levels = s->levels;
	vm->eptp = root | 6 | ((uint64_t)(s->levels - 1) << 3) | (1 << 6);
	vm->accepted = true;
	for (unsigned gfn = 0; gfn < s->n4k; gfn++) {
		if (gfn >= s->hole_lo && gfn < s->hole_hi)
			continue;
		uint64_t hpa = guest_frame(g);
		ept_map(&p, root, s->levels, (uint64_t)gfn * 4096, hpa, 4096);
		add_map(vm, gfn, hpa, 1);
		fill_guest(g, vm, gfn, hpa, 1);
	}
	if (s->big2m_hpa) {
		ept_map(&p, root, s->levels, 0x200 * 4096ull, s->big2m_hpa, 2 * MB);
		add_map(vm, 0x200, s->big2m_hpa, 512);
		fill_guest(g, vm, 0x200, s->big2m_hpa, 512);
	}
	if (s->map1g) {
		ept_map(&p, root, s->levels, 0x40000 * 4096ull, HIGH_BASE, GB);
		add_map(vm, 0x40000, HIGH_BASE, GB / 4096);
		fill_guest(g, vm, 0x40000, HIGH_BASE, HIGH_LEN / 4096);
	}
	if (s->outside) {
		ept_map(&p, root, s->levels, (uint64_t)(s->n4k + 2) * 4096, 512 * MB, 4096);
		add_map(vm, s->n4k + 2, 512 * MB, 1);
	}
	vm->nvcpus = s->nvcpus;
	for (unsigned i = 0; i < s->nvcpus; i++)
		vcpu_regs(&vm->vcpus[i], s->id, i);
	/* VMCS pages: allocated in reverse vCPU order, so address order != VPID order */
	for (unsigned i = s->nvcpus; i-- > 0;) {
		vm->vcpus[i].vmcs_hpa = vmcs_hpas ? vmcs_hpas[i] : host_frame(g);
		write_vmcs(g, vm->vcpus[i].vmcs_hpa, &vm->vcpus[i], vm->eptp, g->host_cr3[s->host_cr3] | 0x1 /* PCID */);
	}
}

/* A non-present EPT entry with stray bits at a gfn in the hole (KVM's MMIO SPTEs look so). */
static void mmio_spte(struct gen *g, struct kh_vm *vm, uint64_t gfn)
{
	uint64_t table = vm->eptp & 0x000ffffffffff000ull;
	for (unsigned level = vm->levels; level > 1; level--) {
		uint64_t e = r64(g, table + ((gfn >> (9 * (level - 1))) & 511) * 8);
		if (!(e & 7) || (e & 0x80))
			return;
		table = e & 0x000ffffffffff000ull;
	}
	w64(g, table + (gfn & 511) * 8, 0x3ff0000000000000ull | 0x6000 | 0x30);
}

/* A VMCS look-alike with its own EPT, all inside guest pages of `host_vm`; its EPT maps the
 * given host frames at gfn 0... Returns the fake VMCS's hpa. */
static uint64_t plant_fake(struct gen *g, struct kh_vm *host_vm, uint64_t first_gfn, const uint64_t *targets,
			   unsigned ntargets, uint64_t host_cr3, uint64_t eptp_override)
{
	uint64_t frames[8], vmcs, root;
	struct kh_vcpu c;
	struct pool p = { g, frames + 2, 6, 0 };

	for (unsigned i = 0; i < 8; i++)
		if (!kh_translate(host_vm, first_gfn + i, &frames[i]))
			abort();
	vmcs = frames[0];
	root = frames[1];
	zero_page(g, root);
	for (unsigned i = 0; i < ntargets; i++)
		ept_map(&p, root, 4, (uint64_t)i * 4096, targets[i], 4096);
	vcpu_regs(&c, 99, 0);
	c.rip = 0x4141414141414141ull;
	write_vmcs(g, vmcs, &c, eptp_override ? eptp_override : root | 0x5e, host_cr3);
	return vmcs;
}

static int build(struct gen *g, const char *scenario)
{
	struct kh_result *r = g->r;
	struct vmspec s1 = { 1, 4, 2, 128, 100, 110, 2 * MB, true, false, 0 };
	struct vmspec s2 = { 2, 5, 1, 64, 0, 0, 4 * MB, false, true, 1 };
	bool hostile = !strcmp(scenario, "hostile"), mutual = !strcmp(scenario, "mutual"),
	     shared = !strcmp(scenario, "shared"), notes = !strcmp(scenario, "notes");

	if (!strcmp(scenario, "mini")) { /* a fuzz seed: one VM, one vCPU, two guest pages */
		struct vmspec m = { 1, 4, 1, 2, 0, 0, 0, false, false, 0 };
		make_host_tables(g);
		make_vm(g, &r->vms[0], &m, NULL);
		r->nvms = 1;
		return 0;
	}
	if (!hostile && !mutual && !shared && !notes && strcmp(scenario, "basic"))
		return -1;
	make_host_tables(g);
	make_vm(g, &r->vms[0], &s1, NULL);
	mmio_spte(g, &r->vms[0], 105);
	plant_vmcoreinfo(g, &r->vms[0], 0x40, 0x50);
	make_vm(g, &r->vms[1], &s2, NULL);
	r->nvms = 2;
	if (notes) {
		/* VM 1 plants two more VMCOREINFO notes: one before the kernel's whose init_uts_ns does
		 * not hold its release, one after it that passes the same check; the kernel's (gfn
		 * 0x40, the first that passes) is used and all three are counted in a warning */
		plant_note(g, &r->vms[0], 0x20, 0x50, "6.1.0-fake", 1700000001);
		plant_note(g, &r->vms[0], 0x60, 0x50, "6.1.0-vmxtest", 1700000002);
	}
	if (shared) {
		/* VM 2 also maps 4 of VM 1's frames at gfns 80..83 (KSM-like): both stay, with a warning */
		struct pool p = { g, NULL, 0, 0 };
		for (unsigned i = 0; i < 4; i++) {
			uint64_t hpa = 0;
			kh_translate(&r->vms[0], i, &hpa);
			ept_map(&p, r->vms[1].eptp & 0x000ffffffffff000ull, 5, (uint64_t)(80 + i) * 4096, hpa, 4096);
			add_map(&r->vms[1], 80 + i, hpa, 1);
		}
		r->shared_frames = 4;
	}
	if (hostile) {
		uint64_t t[8];
		/* F1: a whole fake VM in VM 1's RAM (gfns 20..27), real HOST_CR3 (the direct map covers
		 * guest RAM, so it is self-mapped): rejected because it lies in VM 1's RAM */
		for (unsigned i = 0; i < 4; i++)
			kh_translate(&r->vms[0], 30 + i, &t[i]);
		r->fakes[r->nfakes++] = plant_fake(g, &r->vms[0], 20, t, 4, g->host_cr3[0], 0);
		/* F2: in VM 2's RAM, claiming VM 1's EPTP: would join VM 1 as a third vCPU */
		r->fakes[r->nfakes++] = plant_fake(g, &r->vms[1], 10, t, 0, g->host_cr3[0], r->vms[0].eptp);
		/* F3: in VM 1's RAM with a HOST_CR3 (a zeroed guest page) that maps nothing */
		uint64_t zero_hpa = 0;
		kh_translate(&r->vms[0], 49, &zero_hpa);
		zero_page(g, zero_hpa);
		r->fakes[r->nfakes++] = plant_fake(g, &r->vms[0], 40, t, 1, zero_hpa, 0);
		/* F4: in VM 2's RAM, its EPT maps VM 1's frames (two VMs claiming the same frames) */
		for (unsigned i = 0; i < 6; i++)
			kh_translate(&r->vms[0], i, &t[i]);
		r->fakes[r->nfakes++] = plant_fake(g, &r->vms[1], 30, t, 6, g->host_cr3[1], 0);
		/* F5..F7: in host memory, malformed EPTPs: memory type 3, walk length 2, root in the hole */
		struct kh_vcpu c;
		vcpu_regs(&c, 98, 0);
		uint64_t bad[3] = { (r->vms[0].eptp & ~7ull) | 3, (r->vms[0].eptp & ~0x38ull) | (1 << 3),
				    (512 * MB) | 0x5e };
		for (unsigned i = 0; i < 3; i++) {
			uint64_t v = host_frame(g);
			write_vmcs(g, v, &c, bad[i], g->host_cr3[0]);
			r->fakes[r->nfakes++] = v;
		}
		/* VM 3: a genuine-looking VMCS in host memory with a looping, aliasing EPT: found, but
		 * its EPT walk cannot finish */
		struct kh_vm *vm3 = &r->vms[2];
		uint64_t pml4 = host_frame(g), pdpt = host_frame(g), pd = host_frame(g), pt = host_frame(g);
		uint64_t target = host_frame(g);
		memset(vm3, 0, sizeof(*vm3));
		vm3->id = 3;
		vm3->levels = 4;
		vm3->eptp = pml4 | 0x5e;
		vm3->accepted = true;
		vm3->ept_loops = true;
		w64(g, pml4, pdpt | 7);
		w64(g, pdpt, pml4 | 7); /* back to the top */
		for (unsigned i = 1; i < 512; i++)
			w64(g, pdpt + 8 * i, pd | 7);
		for (unsigned i = 0; i < 512; i++) {
			w64(g, pd + 8 * i, pt | 7);
			w64(g, pt + 8 * i, target | 0x37);
		}
		vm3->nvcpus = 1;
		vcpu_regs(&vm3->vcpus[0], 3, 0);
		vm3->vcpus[0].vmcs_hpa = host_frame(g);
		write_vmcs(g, vm3->vcpus[0].vmcs_hpa, &vm3->vcpus[0], vm3->eptp, g->host_cr3[0]);
		r->nvms = 3;
	}
	if (mutual) {
		/* a fake in VM 1's RAM whose EPT maps VM 1's EPT root and VMCSs and VM 2's VMCS: VM 1
		 * and the fake contain each other, neither can be trusted; VM 2 survives */
		uint64_t t[4] = { r->vms[0].eptp & 0x000ffffffffff000ull, r->vms[0].vcpus[0].vmcs_hpa,
				  r->vms[0].vcpus[1].vmcs_hpa, r->vms[1].vcpus[0].vmcs_hpa };
		r->fakes[r->nfakes++] = plant_fake(g, &r->vms[0], 20, t, 4, g->host_cr3[0], 0);
		r->vms[0].accepted = false;
		/* honest VMs first */
		struct kh_vm tmp = r->vms[0];
		r->vms[0] = r->vms[1];
		r->vms[1] = tmp;
	}
	return 0;
}

/* ---- ELF ---- */

static void add_note(uint8_t *buf, size_t *len, const char *name, uint32_t type, const void *desc, size_t dlen)
{
	uint32_t h[3] = { (uint32_t)strlen(name) + 1, (uint32_t)dlen, type };
	memcpy(buf + *len, h, 12);
	*len += 12;
	memset(buf + *len, 0, (h[0] + 3) & ~3u);
	memcpy(buf + *len, name, h[0]);
	*len += (h[0] + 3) & ~3u;
	memset(buf + *len, 0, (dlen + 3) & ~3u);
	memcpy(buf + *len, desc, dlen);
	*len += (dlen + 3) & ~3u;
}

static int write_elf(struct gen *g)
{
	struct kh_result *r = g->r;
	uint8_t notes[8192];
	size_t nlen = 0;
	const char *hostinfo = "OSRELEASE=6.1.0-host\nPAGESIZE=4096\n";
	Elf64_Ehdr eh;
	Elf64_Phdr ph[4];
	unsigned nph = r->high_len ? 4 : 2;
	size_t off;

	add_note(notes, &nlen, "VMCOREINFO", 0, hostinfo, strlen(hostinfo));
	if (g->mode == KH_LAYOUT_NOTE)
		add_note(notes, &nlen, "VMCSINFO", 0, r->layout, strlen(r->layout));
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)nph;
	memset(ph, 0, sizeof(ph));
	off = sizeof(eh) + nph * sizeof(Elf64_Phdr);
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = off;
	ph[0].p_filesz = ph[0].p_memsz = nlen;
	off = (off + nlen + 4095) & ~4095ull;
	ph[1] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W | PF_X, off, DIRECT_MAP, 0, r->low_len, r->low_len, 0 };
	off += r->low_len;
	ph[2] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W | PF_X, off, DIRECT_MAP + HIGH_BASE, HIGH_BASE, r->high_len,
			      r->high_len, 0 };
	off += r->high_len;
	/* the rest of the 1 GiB range: RAM the dumper did not store */
	ph[3] = (Elf64_Phdr){ PT_LOAD, PF_R | PF_W | PF_X, off, DIRECT_MAP + HIGH_BASE + r->high_len,
			      HIGH_BASE + r->high_len, 0, HIGH_RAM - r->high_len, 0 };
	r->elf_len = off;
	if (!(r->elf = calloc(1, r->elf_len)))
		return -1;
	memcpy(r->elf, &eh, sizeof(eh));
	memcpy(r->elf + sizeof(eh), ph, nph * sizeof(Elf64_Phdr));
	memcpy(r->elf + ph[0].p_offset, notes, nlen);
	memcpy(r->elf + ph[1].p_offset, r->low, r->low_len);
	if (nph > 2)
		memcpy(r->elf + ph[2].p_offset, r->high, r->high_len);
	r->max_paddr = nph > 2 ? HIGH_BASE + HIGH_RAM : r->low_len;
	return 0;
}

int kh_build(const char *scenario, enum kh_layout_mode mode, struct kh_result *r)
{
	struct gen g;

	memset(r, 0, sizeof(*r));
	fdefs_init();
	bool mini = !strcmp(scenario, "mini");
	memset(&g, 0, sizeof(g));
	g.r = r;
	g.mode = mode;
	r->low_len = mini ? 0xd000 : LOW_LEN;
	r->high_base = HIGH_BASE;
	r->high_len = mini ? 0 : HIGH_LEN;
	r->low = calloc(1, r->low_len);
	r->high = calloc(1, mini ? 1 : HIGH_LEN);
	if (!r->low || !r->high) {
		kh_free(r);
		return -1;
	}
	g.host_next = mini ? 0x1000 : 0x10000;
	g.host_end = mini ? 0xb000 : 0x100000;
	g.guest_next = mini ? 0xb000 : 0x100000;
	g.guest_end = mini ? 0xd000 : 0x200000;
	layout_init(&g);
	layout_text(&g, r->layout, sizeof(r->layout), 0);
	layout_text(&g, r->wrong_layout, sizeof(r->wrong_layout), 1);
	/* low RAM that nothing uses holds a pattern, so a scanner sees non-zero garbage */
	for (uint64_t pa = 0; pa < r->low_len; pa += 8)
		w64(&g, pa, 0x5a5a5a5a00000000ull | (pa >> 3));
	if (build(&g, scenario) || write_elf(&g)) {
		kh_free(r);
		return -1;
	}
	return 0;
}

void kh_free(struct kh_result *r)
{
	free(r->elf);
	free(r->low);
	free(r->high);
	memset(r, 0, sizeof(*r));
}

bool kh_host_page(const struct kh_result *r, uint64_t hpa, uint8_t *buf)
{
	hpa &= ~4095ull;
	if (hpa + 4096 <= r->low_len) {
		memcpy(buf, r->low + hpa, 4096);
		return true;
	}
	if (hpa >= r->high_base && hpa + 4096 <= r->high_base + r->high_len) {
		memcpy(buf, r->high + (hpa - r->high_base), 4096);
		return true;
	}
	return false;
}

#ifndef MKKVMHOST_NO_MAIN
static int put_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")) || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "mkkvmhost: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct kh_result r;
	enum kh_layout_mode mode;
	char *ex = NULL;
	size_t exlen = 0;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: mkkvmhost basic|hostile|mutual|shared|notes|mini file|note|haswell OUTDIR\n");
		return 2;
	}
	if (!strcmp(argv[2], "file"))
		mode = KH_LAYOUT_FILE;
	else if (!strcmp(argv[2], "note"))
		mode = KH_LAYOUT_NOTE;
	else if (!strcmp(argv[2], "haswell"))
		mode = KH_LAYOUT_HASWELL;
	else {
		fprintf(stderr, "mkkvmhost: unknown layout mode %s\n", argv[2]);
		return 2;
	}
	if (kh_build(argv[1], mode, &r)) {
		fprintf(stderr, "mkkvmhost: unknown scenario %s (or out of memory)\n", argv[1]);
		return 2;
	}
	mkdir(argv[3], 0777);
	if (!(f = open_memstream(&ex, &exlen)))
		return 1;
	for (unsigned v = 0; v < r.nvms; v++) {
		const struct kh_vm *vm = &r.vms[v];
		fprintf(f, "vm %u eptp 0x%llx levels %u accepted %d loops %d vcpus %u vmcoreinfo_gfn 0x%llx\n", vm->id,
			(unsigned long long)vm->eptp, vm->levels, vm->accepted, vm->ept_loops, vm->nvcpus,
			(unsigned long long)vm->vmcoreinfo_gfn);
		for (unsigned i = 0; i < vm->nvcpus; i++) {
			const struct kh_vcpu *c = &vm->vcpus[i];
			fprintf(f,
				"vcpu %u %u vmcs 0x%llx vpid %u rip 0x%llx rsp 0x%llx rflags 0x%llx cr0 0x%llx cr3 0x%llx cr4 0x%llx "
				"efer 0x%llx cs 0x%x ss 0x%x gs_base 0x%llx idtr_base 0x%llx\n",
				vm->id, i, (unsigned long long)c->vmcs_hpa, c->vpid, (unsigned long long)c->rip,
				(unsigned long long)c->rsp, (unsigned long long)c->rflags, (unsigned long long)c->cr0,
				(unsigned long long)c->cr3, (unsigned long long)c->cr4, (unsigned long long)c->efer, c->sel[1],
				c->sel[2], (unsigned long long)c->base[5], (unsigned long long)c->idtr_base);
		}
		for (unsigned m = 0; m < vm->nmaps; m++)
			fprintf(f, "map %u gfn 0x%llx hpa 0x%llx npages %llu\n", vm->id, (unsigned long long)vm->maps[m].gfn,
				(unsigned long long)vm->maps[m].hpa, (unsigned long long)vm->maps[m].npages);
	}
	for (unsigned i = 0; i < r.nfakes; i++)
		fprintf(f, "fake 0x%llx\n", (unsigned long long)r.fakes[i]);
	fclose(f);
	int rc = put_file(argv[3], "host.vmcore", r.elf, r.elf_len) || put_file(argv[3], "layout.txt", r.layout, strlen(r.layout)) ||
		 put_file(argv[3], "wrong-layout.txt", r.wrong_layout, strlen(r.wrong_layout)) ||
		 put_file(argv[3], "expect.txt", ex, exlen);
	free(ex);
	kh_free(&r);
	return rc ? 1 : 0;
}
#endif
