/*
 * mkxenhost: an independent generator of small synthetic Xen host dumps (ELF64 vmcores in
 * machine addresses, as Xen's kdump writes them) for the Xen carver's tests. It shares no
 * code with vmcarve: it lays out Xen's structures from the published layouts (Xen 4.17:
 * CRASH_INFO, VMCOREINFO_XEN, idle_pg_table, frame_table with 4.17 PGC bits, domain_list,
 * struct domain / vcpu heads, shared_info.arch, the PV p2m as a frame-list tree and as a
 * linear list behind p2m_cr3) and writes what a correct carver must report.
 *
 * Usage: mkxenhost pv|hostile|qemu|wrongsyms|pvpt|fragunder|fragover OUTPREFIX
 *        mkxenhost bigpv|bigpvpt OUTPREFIX [GIB]
 *   writes OUTPREFIX.elf (the host dump), OUTPREFIX.expected (what `vmcarve list --json`
 *   and the extracted outputs must show) and OUTPREFIX.p2m-<domid>.txt (each carvable
 *   domain's valid pfn -> mfn entries, "R pfn mfn 1" lines).
 *
 * Machine layout (16 MiB, 4 KiB frames):
 *   0x000-0x0ff  free          0x100-0x1ff  Xen heap: struct domain, vcpu arrays, vcpus,
 *                                           shared_info pages
 *   0x200-0x3ff  domain 0 (PV, 3-level p2m tree; entries into Xen, into domain 1, outside
 *                RAM, one identity and invalid ones)
 *   0x400-0x4ff  domain 1 (PV, frame_list_list ~0, linear p2m behind p2m_cr3; its second
 *                leaf is a Xen frame and must be refused)
 *   0x500-0x57f  domain 2 (hostile: frame_list_list is a frame of domain 0)
 *   0x580-0x5ff  domain 3 (no PV p2m, and no Xen p2m either)
 *   0x600-0x7ff  domain 4 (HVM: EPT p2m behind d->arch.p2m, a 2 MiB leaf, PoD, MMIO, and an
 *                entry into domain 0)
 *   0x800-0x9ff  Xen image (xen_phys_start 0x800000): page tables, frame table, .bss
 *   0x080-0x0ff  domain 5 (hostile only: linear p2m whose page tables loop)
 *   0x040-0x05f  domain 6 (PVH on AMD: p2m-pt/NPT behind d->arch.p2m, its shared_info mapped
 *                at gfn 0x20; vCPU 0 with a VMCB (heap 0x16a) and user_regs / guest_cr in
 *                struct vcpu, registers expected in the output's notes)
 * Every domain has d->options (@316) and d->arch.emulation_flags (@1900) as Xen 4.17 sets
 * them: PV 0 / 0 (dom0: PIT), domain 4 HVM (hvm|hap, the whole PC platform), domains 3 and 6
 * PVH (hvm|hap, LAPIC only).
 * hostile also adds domains 2, 3 and 5 and closes domain_list into a loop (6 -> 1).
 * pvpt is pv plus page tables typed in the frame table (type_info @16): domain 0 has L4 0x3f4
 * -> L3 0x3f5 -> L2 0x3f6 -> L1 0x3f7 whose entries point at its own frames, domain 1's
 * frames, its Xen-heap shared_info, Xen's image, outside RAM, an identity (MMIO) pfn, and
 * hold PSE corruption and Xen's L4 slots; domain 1's L4 0x4e0 shares domain 0's L3. Both
 * domains are then written in pfn space, the tables canonical (expected entries given).
 * fragunder and fragover are pv on a machine of about 2^20 frames whose frame table, past the
 * 4096 frames above, alternates free and in-use frame by frame (every page_info page there is
 * one machine frame, mapped again and again; the RAM past 16 MiB is a p_filesz 0 PT_LOAD):
 * Xen's frame table then changes owner or state exactly 2^20 times (fragunder: carved as pv)
 * or once more (fragover: refused, the carver holds at most max(2^20, frames / 96) runs).
 * bigpv is pv on a machine of GIB GiB (default 64, at most 128) where domain 0 owns every frame
 * past the first 16 MiB (its page_info entries one page mapped again and again, as in frag) and
 * its p2m tree maps 3/4 of the machine more, pfns from 512 on to consecutive frames past its
 * p2m pages: a PV domain of tens of GiB whose RAM is not in the dump (a p_filesz 0 PT_LOAD),
 * only its frame-list and leaf pages are (8 bytes a pfn: 96 MiB of the file at 64 GiB). For
 * peak-RSS tests (issue 14): what the carver holds must not grow with the domain's pfns. It
 * writes OUTPREFIX.elf and prints "frames=N dom0_pfns=P dom0_valid=V p2m_pages=S own_stored=K"
 * (S: the pages stored past 16 MiB; K: the pfns mapping a frame domain 0 owns that the dump
 * stores: its 500 below 16 MiB and pfn 502, whose frame 0x5000 is one of its leaf pages when
 * the machine has 64 GiB or more).
 * bigpvpt is bigpv with pvpt's page tables (domain 0's in frames 0x3f4-0x3f7, below the
 * aliased page_info, so their type_info holds), domain 0 then carved in pfn space; its L1's
 * entry 6 (0x5000) is the domain's pfn 502 here, entry 8 maps its last pfn and entry 9 one of
 * its p2m leaf pages, a frame it owns that no pfn names (cleared). It also writes
 * OUTPREFIX.expected: "ptpage 0 PFN ENTRIES..." (the canonical tables), "own 0 PFN COUNT"
 * (the pfns whose identity p2m entry is the pfn itself, ~0 elsewhere) and "report 0 TEXT"
 * lines (what list -v must say).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096ull
#define NFRAMES 4096ull
#define XEN_PHYS 0x800000ull
#define XVS UINT64_C(0xffff82d040000000)   /* XEN_VIRT_START (4.14+) */
#define DIRECTMAP 0xffff830000000000ull
#define FRAMETABLE 0xffff82e000000000ull
#define PGC_ALLOCATED (1ull << 63)
#define PGC_XEN_HEAP (1ull << 62)
#define PGC_STATE_FREE (3ull << 58)   /* Xen 4.17 layout */
#define P2M_VADDR 0xffffc90000000000ull

static uint8_t *mem;

static uint64_t *q(uint64_t ma) { return (uint64_t *)(mem + ma); }
static void put16(uint64_t ma, uint16_t v) { memcpy(mem + ma, &v, 2); }
static void put32(uint64_t ma, uint32_t v) { memcpy(mem + ma, &v, 4); }
static uint64_t img(uint64_t off) { return XEN_PHYS + off; }   /* machine address in the image */
static uint64_t dmap(uint64_t mfn) { return DIRECTMAP + mfn * PAGE; }

static unsigned idx(uint64_t va, int level) { return (unsigned)((va >> (12 + 9 * (level - 1))) & 511); }

static void fill(uint64_t mfn, unsigned domid)
{
	uint64_t x = mfn * 0x9e3779b97f4a7c15ull ^ domid;
	for (unsigned i = 0; i < PAGE / 8; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		q(mfn * PAGE)[i] = x;
	}
}

static void page_info(uint64_t mfn, uint64_t count, uint32_t owner)
{
	uint64_t ma = img(0x10000) + mfn * 32;  /* frame table pages at image +0x10000 */
	*q(ma + 8) = count;
	put32(ma + 24, owner);
}

struct dom {
	unsigned id;
	uint64_t first, n;   /* owned frames */
	uint64_t dmfn;       /* struct domain */
	uint64_t shinfo;
};

static void domain(struct dom *d, uint64_t vcpu_arr_mfn, uint64_t vcpu_mfn, unsigned nvcpu)
{
	uint64_t dm = d->dmfn * PAGE;
	memset(mem + dm, 0, PAGE);
	put16(dm, (uint16_t)d->id);
	put32(dm + 4, nvcpu);
	*q(dm + 8) = dmap(vcpu_arr_mfn);
	*q(dm + 16) = dmap(d->shinfo);
	put32(dm + 88, (uint32_t)d->n);          /* tot_pages */
	for (unsigned v = 0; v < nvcpu; v++) {
		uint64_t vm = (vcpu_mfn + v) * PAGE;
		memset(mem + vm, 0, PAGE);
		q(vcpu_arr_mfn * PAGE)[v] = dmap(vcpu_mfn + v);
		put32(vm, v);
		*q(vm + 16) = dmap(d->dmfn);
	}
	memset(mem + d->shinfo * PAGE, 0, PAGE);
	for (uint64_t m = d->first; m < d->first + d->n; m++) {
		fill(m, d->id);
		page_info(m, PGC_ALLOCATED | 1, (uint32_t)d->dmfn);
	}
	page_info(d->shinfo, PGC_ALLOCATED | PGC_XEN_HEAP | 1, (uint32_t)d->dmfn);
}

#define OFF_OPTIONS 316
#define OFF_EMU 1900

static void flags(struct dom *d, uint32_t options, uint32_t emu)
{
	put32(d->dmfn * PAGE + OFF_OPTIONS, options);
	put32(d->dmfn * PAGE + OFF_EMU, emu);
}

/* domain 6: PVH on AMD SVM with nested paging. Heap: struct domain 0x160, vcpu array 0x161,
 * vcpu 0x162, shared_info 0x164, struct p2m_domain 0x165 (.domain +0x18, .phys_table +0x58),
 * p2m-pt L4 0x166 -> L3 0x167 -> L2 0x168 -> L1 0x169, VMCB 0x16a. gfn 0-31 -> 0x40-0x5f,
 * gfn 0x20 -> its shared_info, gfn 0x21 -> domain 0's frame 0x211 (refused). struct vcpu:
 * arch.user_regs @648, arch.hvm.guest_cr @1024, arch.hvm.svm.{vmcb, vmcb_pa} @1472. */
#define D6_RIP 0xffffffff81a592eaull
static void pvh_domain(struct dom *d)
{
	uint64_t vmcb = 0x16a * PAGE, v = 0x162 * PAGE, ur = v + 648, *l1 = q(0x169 * PAGE);

	memset(mem + 0x165 * PAGE, 0, 6 * PAGE);
	*q(d->dmfn * PAGE + 0x4a8) = dmap(0x165);   /* the same struct layout as domain 4's */
	*q(0x165 * PAGE + 0x18) = dmap(d->dmfn);
	*q(0x165 * PAGE + 0x58) = 0x166;
	q(0x166 * PAGE)[0] = 0x167000 | 0x67;   /* P|RW|US|A|D, as Xen's p2m-pt writes them */
	q(0x167 * PAGE)[0] = 0x168000 | 0x67;
	q(0x168 * PAGE)[0] = 0x169000 | 0x67;
	for (unsigned i = 0; i < 32; i++)
		l1[i] = ((0x40ull + i) << 12) | 0x67;   /* p2m_ram_rw: type 0 in bits 58:52 */
	l1[0x20] = d->shinfo << 12 | 0x67;
	l1[0x21] = 0x211000 | 0x67;
	/* the VMCB: control area, then the save area */
	put32(vmcb + 0x10, 1);                       /* VMRUN intercepted */
	put32(vmcb + 0x58, 1);                       /* ASID */
	*q(vmcb + 0x70) = 0x78;                      /* exit code: HLT */
	*q(vmcb + 0x90) = 1;                         /* nested paging */
	*q(vmcb + 0xb0) = 0x166000;                  /* nested CR3 = the p2m root */
	put16(vmcb + 0x410, 0x10), put16(vmcb + 0x412, 0x29b), put32(vmcb + 0x414, 0xffffffff); /* cs */
	put16(vmcb + 0x420, 0x18), put16(vmcb + 0x422, 0xc93), put32(vmcb + 0x424, 0xffffffff); /* ss */
	*q(vmcb + 0x458) = 0xffff888000800000ull;    /* gs.base */
	*q(vmcb + 0x468) = 0xfffffe0000001000ull;    /* gdtr.base */
	*q(vmcb + 0x488) = 0xfffffe0000000000ull;    /* idtr.base */
	*q(vmcb + 0x4d0) = 0x1d01;                   /* EFER: SVME LMA LME SCE NXE */
	*q(vmcb + 0x548) = 0x6f0, *q(vmcb + 0x550) = 0x3000, *q(vmcb + 0x558) = 0x8005003b;
	*q(vmcb + 0x570) = 0x246, *q(vmcb + 0x578) = D6_RIP, *q(vmcb + 0x5d8) = 0xffffffff82a03e98ull;
	*q(vmcb + 0x5f8) = 0x1111;                   /* rax at the exit: Xen's copy is newer */
	/* struct vcpu: the VMCB pointer pair, user_regs (rip one past the HLT), guest_cr */
	*q(v + 1472) = dmap(0x16a), *q(v + 1480) = 0x16a000;
	for (unsigned i = 0; i < 15; i++)
		*q(ur + 8 * i) = 0x1000 + i;             /* r15 .. rdi */
	*q(ur + 80) = 0x2222;                        /* rax */
	*q(ur + 128) = D6_RIP + 1, *q(ur + 144) = 0x246, *q(ur + 152) = 0xffffffff82a03e98ull;
	*q(v + 1024) = 0x80050033, *q(v + 1048) = 0x3000, *q(v + 1056) = 0x6f0, *q(v + 1064) = 0xd01;
}

static void arch(struct dom *d, uint64_t max_pfn, uint64_t fll, uint64_t cr3, uint64_t vaddr)
{
	uint64_t a = d->shinfo * PAGE + 0xc10;
	*q(a) = max_pfn;
	*q(a + 8) = fll;
	*q(a + 24) = cr3;
	*q(a + 32) = vaddr;
}

/* u.inuse.type_info: PGT_l<level>_page_table | PGT_validated (| PGT_pinned) */
/* ---- xenstore: xenstored 4.17 keeps its database in an in-memory TDB (tools/xenstore/
 * tdb.c, xenstored_core.c): struct list_struct {next, rec_len, key_len, data_len, full_hash,
 * magic 0x26011999}, the key (the path, no NUL), then the node: u64 generation, u32
 * num_perms, datalen, childlen, the perms {u32 perm, u32 domid} at +20, the value; data_len
 * counts the 24-byte padded node header. */
static uint32_t tdb_hash(const char *k, size_t n)
{
	uint32_t v = 0x238F13AFu * (uint32_t)n;
	for (uint32_t i = 0; i < n; i++)
		v += (uint32_t)(int)(signed char)k[i] << (i * 5 % 24);
	return 1103515243u * v + 12345u;
}

/* One record at machine address ma; returns the address after it (4-byte aligned). */
static uint64_t xs_rec(uint64_t ma, const char *key, const char *val, size_t vlen, unsigned domid, bool bad_hash)
{
	size_t kl = strlen(key), dl = 24 + 16 + vlen, rl = (kl + dl + 3) & ~(size_t)3;
	put32(ma, 0);
	put32(ma + 4, (uint32_t)rl);
	put32(ma + 8, (uint32_t)kl);
	put32(ma + 12, (uint32_t)dl);
	put32(ma + 16, tdb_hash(key, kl) ^ (bad_hash ? 1u : 0u));
	put32(ma + 20, 0x26011999u);
	memcpy(mem + ma + 24, key, kl);
	uint64_t n = ma + 24 + kl;
	memcpy(mem + n, &(uint64_t){ 0x40 + domid }, 8); /* generation (n is not 8-byte aligned) */
	put32(n + 8, 2);
	put32(n + 12, (uint32_t)vlen);
	put32(n + 16, 0);
	put32(n + 20, 0);     /* perms[0]: owner dom0, no access for others */
	put32(n + 24, 0);
	put32(n + 28, 1);     /* perms[1]: read for the domain */
	put32(n + 32, domid);
	memcpy(mem + n + 36, val, vlen);
	return ma + 24 + rl;
}

/* The frames holding a name or vm record of a domain the host has, that a carver can read
 * (whole in one frame, its hash right): what the names come from, ascending. */
static uint64_t name_frames[8];
static unsigned nname_frames;

static uint64_t xs_str(uint64_t ma, unsigned domid, const char *field, const char *val, bool bad_hash)
{
	char key[64];
	uint64_t end;
	snprintf(key, sizeof(key), "/local/domain/%u/%s", domid, field);
	end = xs_rec(ma, key, val, strlen(val), domid, bad_hash);
	if (domid != 9 && !bad_hash && (!strcmp(field, "name") || !strcmp(field, "vm")) && ma / PAGE == (end - 1) / PAGE &&
	    (!nname_frames || name_frames[nname_frames - 1] != ma / PAGE))
		name_frames[nname_frames++] = ma / PAGE;
	return end;
}

#define UUID1 "5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5"
#define UUID4 "0a1b2c3d-4e5f-1607-9819-2a3b4c5d6e7f"
#define UUID2 "11111111-2222-4333-a444-555555555555"
#define HANDLE_OFF 1928   /* struct domain.handle, Xen 4.17 (Debian's build) */

static void put_handle(const struct dom *d, const char *uuid)
{
	uint8_t *h = mem + d->dmfn * PAGE + HANDLE_OFF;
	for (unsigned i = 0, k = 0; uuid[i]; i++)
		if (uuid[i] != '-') {
			unsigned b;
			sscanf(uuid + i, "%2x", &b);
			h[k++] = (uint8_t)b;
			i++;
		}
}

/* Domain 0's xenstored heap in its frames 0x3f0-0x3f2 (between the p2m and page-table frames
 * of the scenarios); hostile adds records a carver must refuse. */
static void xenstore(bool hostile)
{
	uint64_t a = 0x3f0 * PAGE + 0x40;
	char longname[81];

	memset(mem + 0x3f0 * PAGE, 0, 3 * PAGE);
	nname_frames = 0;
	a = xs_str(a, 0, "name", "Domain-0", false);
	a = xs_str(a, 1, "name", "web-01", false);
	a = xs_str(a, 1, "vm", "/vm/" UUID1, false);
	a = xs_str(a, 4, "vm", "/vm/" UUID4, false);
	a = xs_str(a, 4, "name", "db/../x", false);
	a = xs_str(a, 4, "domid", "4", false);             /* other nodes are not names */
	a = xs_str(a, 1, "name", "web-01", false);          /* a stale copy that agrees */
	if (!hostile)
		return;
	memset(longname, 'n', 80);
	longname[80] = 0;
	a = xs_str(a, 9, "name", "ghost", false);           /* no domain 9 */
	a = xs_str(a, 2, "name", longname, false);          /* over-long */
	a = xs_str(a, 3, "name", "evil\x1b[2J", false);     /* a terminal escape */
	a = xs_str(a, 5, "name", "five", true);             /* its hash is not the key's */
	a = xs_str(0x3f1 * PAGE + 0x80, 1, "name", "web-02", false); /* conflicts with web-01 */
	/* straddles frames 0x3f1/0x3f2: only xenstored's virtual memory holds it whole */
	xs_str(0x3f2 * PAGE - 40, 3, "name", "split", false);
	(void)a;
}

static void pt_type(uint64_t mfn, unsigned level, bool pinned)
{
	*q(img(0x10000) + mfn * 32 + 16) = ((uint64_t)level << 61) | (1ull << 58) | (pinned ? 1ull << 59 : 0);
}

/* pfn of domain 0's own frame m (p2m0[i] = 0x200 + (i * 7 & 511), i < 500) */
static uint64_t d0_pfn(uint64_t m)
{
	for (uint64_t i = 0; i < 500; i++)
		if (0x200 + ((i * 7) & 511) == m)
			return i;
	return ~0ull;
}

/* pvpt: the page tables, and the canonical entries a carver must write (want[level-1]) */
static void page_tables(struct dom *d0, struct dom *d1, uint64_t want[4][512])
{
	uint64_t *l4 = q(0x3f4 * PAGE), *l3 = q(0x3f5 * PAGE), *l2 = q(0x3f6 * PAGE), *l1 = q(0x3f7 * PAGE);
	uint64_t *e4 = q(0x4e0 * PAGE);

	for (unsigned i = 0; i < 4; i++)
		memset(mem + (0x3f4 + i) * PAGE, 0, PAGE), pt_type(0x3f4 + i, 4 - i, i == 0);
	memset(want, 0, 4 * 512 * 8);
	l4[0] = 0x3f5000 | 0x67, want[3][0] = d0_pfn(0x3f5) << 12 | 0x67;
	l4[1] = 0x1234560, want[3][1] = 0x1234560;            /* not present: unchanged */
	l4[256] = 0x850000 | 0x63;                            /* Xen's slots: zeroed */
	l4[258] = 0x3f4000 | 0x63;                            /* Xen's linear self-map */
	l4[271] = 0x851000 | 0x63;
	l4[300] = 0x3f6000 | 0xe7, want[3][300] = 0xe6;      /* PSE at L4: corrupt, cleared */
	l3[0] = 0x3f6000 | 0x67, want[2][0] = d0_pfn(0x3f6) << 12 | 0x67;
	l3[1] = 0x40000000 | 0xe3, want[2][1] = 0xe2;        /* 1 GiB page: no superpages in PV */
	l2[0] = 0x3f7000 | 0x67, want[1][0] = d0_pfn(0x3f7) << 12 | 0x67;
	l2[1] = 0x4e0000 | 0x67, want[1][1] = 0x66;          /* domain 1's page table: foreign */
	l1[0] = 0x8000000000205063ull, want[0][0] = 0x8000000000000063ull | d0_pfn(0x205) << 12;
	l1[1] = 0x410000 | 0x67, want[0][1] = 0x66;          /* domain 1's frame (grant map) */
	l1[2] = d0->shinfo << 12 | 0x63, want[0][2] = 0x62;  /* Xen heap (shared_info) */
	l1[3] = 503ull << 12 | 0x73, want[0][3] = 503ull << 12 | 0x73; /* identity (MMIO) */
	l1[4] = 0x900000 | 0x63, want[0][4] = 0x62;          /* Xen's image */
	l1[5] = 0xabc000, want[0][5] = 0xabc000;             /* a swap entry */
	l1[6] = 0x5000000 | 0x63, want[0][6] = 0x62;         /* outside RAM */
	l1[7] = 0x3ff000 | 0x1e3, want[0][7] = d0_pfn(0x3ff) << 12 | 0x1e3; /* PAT bit (0x80) at L1 is not PSE */
	/* domain 1: one L4 (pinned) sharing domain 0's L3, and a frame of its own */
	memset(e4, 0, PAGE);
	pt_type(0x4e0, 4, true);
	e4[0] = 0x3f5000 | 0x67;
	e4[1] = 0x4e1000 | 0x67;
	e4[258] = 0x4e0000 | 0x63;
	(void)d1;
}

static void note(FILE *f, const char *name, uint32_t type, const void *desc, uint32_t len)
{
	uint32_t h[3] = { (uint32_t)strlen(name) + 1, len, type };
	static const uint8_t zero[8];
	fwrite(h, 12, 1, f);
	fwrite(name, h[0], 1, f);
	fwrite(zero, (4 - h[0] % 4) % 4, 1, f);
	fwrite(desc, len, 1, f);
	fwrite(zero, (4 - len % 4) % 4, 1, f);
}

static size_t note_size(const char *name, uint32_t len)
{
	size_t n = strlen(name) + 1;
	return 12 + ((n + 3) & ~3ul) + ((len + 3) & ~3ul);
}

/* A minimal xen-syms: ELF64 with the symbols a carver needs and the build-id note. */
static bool write_syms(const char *prefix, const uint8_t *bid, bool wrong)
{
	static const struct { const char *name; uint64_t off; } syms[] = {
		{ "domain_list", 0x100000 }, { "_frame_table.0", 0x100008 }, { "max_page", 0x100010 },
		{ "dom_xen", 0x100018 }, { "dom_io", 0x100020 }, { "idle_pg_table", 0x1000 },
	};
	const char shstr[] = "\0.note.gnu.build-id\0.symtab\0.strtab\0.shstrtab";
	char strtab[256] = "";
	size_t strl = 1, nsym = sizeof(syms) / sizeof(syms[0]) + 1;
	uint8_t sym[7 * 24] = { 0 }, note[36], eh[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 }, sh[5][64];
	char path[4096];
	FILE *f;

	memcpy(note, bid, 36);
	if (wrong)
		note[20] ^= 0xff;
	for (size_t i = 1; i < nsym; i++) {
		uint32_t name = (uint32_t)strl;
		uint64_t va = XVS + syms[i - 1].off;
		uint16_t shndx = 1;
		memcpy(strtab + strl, syms[i - 1].name, strlen(syms[i - 1].name) + 1);
		strl += strlen(syms[i - 1].name) + 1;
		memcpy(sym + i * 24, &name, 4);
		sym[i * 24 + 4] = 0x11; /* GLOBAL OBJECT */
		memcpy(sym + i * 24 + 6, &shndx, 2);
		memcpy(sym + i * 24 + 8, &va, 8);
	}
	/* layout: header, note @64, symtab @128, strtab, shstrtab, section headers */
	uint64_t o_note = 64, o_sym = 128, o_str = o_sym + sizeof(sym), o_shs = o_str + strl, o_sh = (o_shs + sizeof(shstr) + 7) & ~7ull;
	memset(sh, 0, sizeof(sh));
	struct { uint32_t name, type; uint64_t flags, addr, off, size; uint32_t link, info; uint64_t align, entsize; } s[5] = {
		{ 0 },
		{ 1, 7, 2, XVS + 0x7000, o_note, 36, 0, 0, 4, 0 },
		{ 20, 2, 0, 0, o_sym, sizeof(sym), 3, 1, 8, 24 },
		{ 28, 3, 0, 0, o_str, strl, 0, 0, 1, 0 },
		{ 36, 3, 0, 0, o_shs, sizeof(shstr), 0, 0, 1, 0 },
	};
	for (int i = 0; i < 5; i++) {
		memcpy(sh[i], &s[i].name, 4), memcpy(sh[i] + 4, &s[i].type, 4), memcpy(sh[i] + 8, &s[i].flags, 8);
		memcpy(sh[i] + 16, &s[i].addr, 8), memcpy(sh[i] + 24, &s[i].off, 8), memcpy(sh[i] + 32, &s[i].size, 8);
		memcpy(sh[i] + 40, &s[i].link, 4), memcpy(sh[i] + 44, &s[i].info, 4), memcpy(sh[i] + 48, &s[i].align, 8);
		memcpy(sh[i] + 56, &s[i].entsize, 8);
	}
	uint16_t h16[] = { 2 /* ET_EXEC */, 62 }, sizes[] = { 64, 0, 0, 64, 5, 4 };
	uint32_t ver = 1;
	memcpy(eh + 16, h16, 4);
	memcpy(eh + 20, &ver, 4);
	memcpy(eh + 40, &o_sh, 8);
	memcpy(eh + 52, sizes, 12);
	snprintf(path, sizeof(path), "%s.syms", prefix);
	if (!(f = fopen(path, "wb")))
		return false;
	fwrite(eh, 64, 1, f);
	fwrite(note, 36, 1, f);
	fseek(f, (long)o_sym, SEEK_SET);
	fwrite(sym, sizeof(sym), 1, f);
	fwrite(strtab, strl, 1, f);
	fwrite(shstr, sizeof(shstr), 1, f);
	fseek(f, (long)o_sh, SEEK_SET);
	fwrite(sh, sizeof(sh), 1, f);
	return fclose(f) == 0;
}

/* ---- frag: a frame table that changes owner or state at every frame past NFRAMES ---------- */
#define FRAG_RUNS (1ull << 20)  /* the runs a carver holding 12 bytes a run keeps at most here */
#define FRAG_PAGE 0x50000ull     /* image offsets: the page_info page every frame past NFRAMES */
#define FRAG_L1 0x51000ull       /* shares (free, in use, free...), and an L1 mapping only it */

/* The runs of (owner word, state) over frames 0..NFRAMES-1 as Xen's page_info says them:
 * state from count_info's PGC_state (inuse 0, free 3 unless a Xen-heap page, else other);
 * the owner only of an in-use page that is allocated or Xen-heap (the heap bit part of it). */
static uint64_t runs_below(uint64_t *last_key)
{
	uint64_t runs = 0, last = ~0ull;
	for (uint64_t m = 0; m < NFRAMES; m++) {
		uint64_t count = *q(img(0x10000) + m * 32 + 8), st = count & (3ull << 58), key;
		uint32_t raw;
		memcpy(&raw, mem + img(0x10000) + m * 32 + 24, 4);
		unsigned state = st == 0 ? 0 : st == PGC_STATE_FREE && !(count & PGC_XEN_HEAP) ? 1 : 2;
		uint64_t owner = 0;
		if (state == 0 && raw && (count & (PGC_XEN_HEAP | PGC_ALLOCATED)))
			owner = (count & PGC_XEN_HEAP ? 1ull << 31 : 0) | (raw & 0x7fffffffu);
		key = (uint64_t)state << 32 | owner;
		runs += key != last;
		last = key;
	}
	*last_key = last;
	return runs;
}

/* Map every frame-table page past the 32 real ones to FRAG_PAGE (entries alternate free and
 * in use, a free one first) and set max_page so the
 * table has FRAG_RUNS runs (over: one more). Returns the machine's frames. */
static uint64_t frag_table(uint64_t l2f, uint64_t l1f, bool over)
{
	uint64_t last, below = runs_below(&last);
	/* frame NFRAMES (free) starts a run unless frame NFRAMES - 1 is free too */
	uint64_t n = NFRAMES + FRAG_RUNS - below + (last == 1ull << 32 ? 1 : 0) + (over ? 1 : 0);
	for (unsigned i = 0; i < PAGE / 32; i++)
		*q(img(FRAG_PAGE) + i * 32 + 8) = i % 2 ? 0 : PGC_STATE_FREE;
	for (unsigned i = NFRAMES * 32 / PAGE; i < 512; i++)
		q(l1f)[i] = img(FRAG_PAGE) | 3;
	for (unsigned i = 0; i < 512; i++)
		q(img(FRAG_L1))[i] = img(FRAG_PAGE) | 3;
	for (uint64_t k = 1; k * 512 * PAGE / 32 < n; k++)   /* 2 MiB of page_info per L2 entry */
		q(l2f)[idx(FRAMETABLE, 2) + k] = img(FRAG_L1) | 3;
	*q(img(0x100010)) = n;   /* max_page */
	return n;
}

/* ---- bigpv: domain 0 owns every frame past NFRAMES and maps 3/4 of the machine ----------- */
#define BIG_PAGE 0x52000ull      /* image offsets: the page_info page of every frame past NFRAMES */
#define BIG_L1 0x53000ull        /* and an L1 mapping only it */

struct big {
	uint64_t frames;   /* the machine's */
	uint64_t pfns;     /* domain 0's pfns past its first 512 */
	uint64_t nfl;      /* frame-list pages past 0x3fe, at NFRAMES.. */
	uint64_t nleaf;    /* leaf pages past 0x3ff, after them */
};

static uint64_t big_first_mfn(const struct big *b) { return NFRAMES + b->nfl + b->nleaf; }

/* bigpvpt: domain 0's L1 (pvpt's, 0x3f7) reaching into the big region; want as page_tables */
static void big_pt(const struct big *b, uint64_t want[4][512])
{
	uint64_t *l1 = q(0x3f7 * PAGE);

	want[0][6] = 502ull << 12 | 0x63; /* 0x5000: domain 0's frame here, its pfn 502's */
	l1[8] = (big_first_mfn(b) + b->pfns - 1) << 12 | 0x67, want[0][8] = (511 + b->pfns) << 12 | 0x67;
	l1[9] = (NFRAMES + b->nfl + 1) << 12 | 0x67, want[0][9] = 0x66; /* a leaf page: no pfn names it */
}

/* bigpvpt's OUTPREFIX.expected (see the header comment) */
static bool big_expected(const char *prefix, const struct big *b, uint64_t want[4][512])
{
	char path[4096];
	FILE *e;

	snprintf(path, sizeof(path), "%s.expected", prefix);
	if (!(e = fopen(path, "w")))
		return false;
	for (unsigned l = 0; l < 4; l++) {
		fprintf(e, "ptpage 0 0x%llx", (unsigned long long)d0_pfn(0x3f7 - l));
		for (unsigned i = 0; i < 512; i++)
			fprintf(e, " %llx", (unsigned long long)want[l][i]);
		fprintf(e, "\n");
	}
	fprintf(e, "own 0 0x0 500\nown 0 0x1f6 1\nown 0 0x200 %llu\n", (unsigned long long)b->pfns);
	fprintf(e, "report 0 pv.page_tables=4 (L1 1, L2 1, L3 1, L4 1) canonicalised, 0 not in the host dump\n");
	fprintf(e,
		"report 0 pv.entries: translated=7 identity=1 xen_slots_zeroed=3 cleared=7 (xen_heap=1 foreign=2 own_unmapped=1 other=1 pse=2)\n");
	return fclose(e) == 0;
}

/* Frame table and tree pointers: every page_info past NFRAMES in use by domain 0; fll entries
 * 1.. and fl page 0x3fe's entries 1.. name the pages bigpv_page writes. */
static void big_table(struct big *b, uint64_t l2f, uint64_t l1f, uint32_t owner, uint64_t gib)
{
	b->frames = gib << 18;
	b->pfns = (b->frames * 3 / 4) & ~511ull;
	b->nleaf = b->pfns / 512;
	b->nfl = (b->nleaf + 1 + 511) / 512 - 1;   /* fl page 0x3fe holds leaf 0x3ff and 511 more */
	for (unsigned i = 0; i < PAGE / 32; i++) {
		*q(img(BIG_PAGE) + i * 32 + 8) = PGC_ALLOCATED | 1;
		put32(img(BIG_PAGE) + i * 32 + 24, owner);
	}
	for (unsigned i = NFRAMES * 32 / PAGE; i < 512; i++)
		q(l1f)[i] = img(BIG_PAGE) | 3;
	for (unsigned i = 0; i < 512; i++)
		q(img(BIG_L1))[i] = img(BIG_PAGE) | 3;
	for (uint64_t k = 1; k * 512 * PAGE / 32 < b->frames; k++)
		q(l2f)[idx(FRAMETABLE, 2) + k] = img(BIG_L1) | 3;
	*q(img(0x100010)) = b->frames;
	for (uint64_t i = 1; i <= b->nfl; i++)
		q(0x3fd * PAGE)[i] = NFRAMES + i - 1;
	for (uint64_t j = 1; j < 512 && j <= b->nleaf; j++)
		q(0x3fe * PAGE)[j] = NFRAMES + b->nfl + j - 1;
	*q(0x104 * PAGE + 0xc10) = 512 + b->pfns;   /* domain 0's shared_info.arch.max_pfn */
}

/* Page k of the stored region past NFRAMES: the frame lists, then the leaves, whose pfns
 * 512.. go to consecutive frames from big_first_mfn on. */
static void big_page(const struct big *b, uint64_t k, uint64_t *pg)
{
	memset(pg, 0, PAGE);
	if (k < b->nfl) {
		for (uint64_t j = 0; j < 512; j++) {
			uint64_t leaf = (k + 1) * 512 + j;   /* leaf index over the whole tree */
			if (leaf - 1 < b->nleaf)
				pg[j] = NFRAMES + b->nfl + leaf - 1;
		}
		return;
	}
	for (uint64_t j = 0; j < 512; j++)
		pg[j] = big_first_mfn(b) + (k - b->nfl) * 512 + j;
}

/* main, or what the unit tests call (built with MKXENHOST_NO_MAIN) */
int mkxenhost_main(int argc, char **argv);
int mkxenhost_main(int argc, char **argv)
{
	bool hostile;
	char path[4096];
	FILE *f, *e;
	struct dom d0 = { 0, 0x200, 0x200, 0x100, 0x104 }, d1 = { 1, 0x400, 0x100, 0x110, 0x114 },
		   d2 = { 2, 0x500, 0x80, 0x120, 0x124 }, d3 = { 3, 0x580, 0x80, 0x130, 0x134 },
		   d4 = { 4, 0x600, 0x200, 0x140, 0x144 }, d5 = { 5, 0x80, 0x80, 0x150, 0x154 },
		   d6 = { 6, 0x40, 0x20, 0x160, 0x164 };
	uint64_t p2m0[512];

	bool qemu, wrongsyms, pvpt, frag, fragover, bigpv;
	struct big big = { 0 };
	uint64_t nframes = NFRAMES;   /* the machine's frames (frag: ~2^20, most of them not stored) */
	static uint64_t want[4][512];
	bigpv = argc >= 3 && (!strcmp(argv[1], "bigpv") || !strcmp(argv[1], "bigpvpt"));
	uint64_t gib = bigpv && argc == 4 ? strtoull(argv[3], NULL, 0) : 64;
	if ((argc != 3 && !(bigpv && argc == 4)) || gib < 1 || gib > 128 ||
	    (strcmp(argv[1], "pv") && strcmp(argv[1], "hostile") && strcmp(argv[1], "qemu") &&
	     strcmp(argv[1], "wrongsyms") && strcmp(argv[1], "pvpt") && strcmp(argv[1], "fragunder") &&
	     strcmp(argv[1], "fragover") && !bigpv)) {
		fprintf(stderr, "usage: mkxenhost pv|hostile|qemu|wrongsyms|pvpt|fragunder|fragover OUTPREFIX\n"
				"       mkxenhost bigpv|bigpvpt OUTPREFIX [GIB]\n");
		return 2;
	}
	pvpt = !strcmp(argv[1], "pvpt") || !strcmp(argv[1], "bigpvpt");
	fragover = !strcmp(argv[1], "fragover");
	frag = fragover || !strcmp(argv[1], "fragunder");
	hostile = !strcmp(argv[1], "hostile");
	wrongsyms = !strcmp(argv[1], "wrongsyms");
	qemu = wrongsyms || !strcmp(argv[1], "qemu");
	if (!(mem = calloc(NFRAMES, PAGE)))
		return 1;
	for (uint64_t m = 0; m < 0x100; m++)
		page_info(m, PGC_STATE_FREE, 0);

	/* ---- Xen's page tables: idle_pg_table at image +0x1000 ---------------------------- */
	uint64_t l4 = img(0x1000), l3x = img(0x2000), l2x = img(0x3000), l3d = img(0x4000), l2f = img(0x5000),
		 l1f = img(0x6000);
	q(l4)[idx(XVS, 4)] = l3x | 3;
	q(l3x)[idx(XVS, 3)] = l2x | 3;
	q(l2x)[idx(XVS, 2)] = XEN_PHYS | 0x83;        /* 2 MiB: the whole image */
	q(l4)[idx(DIRECTMAP, 4)] = l3d | 3;
	q(l3d)[0] = 0 | 0x83;                          /* 1 GiB: direct map of all RAM */
	q(l3x)[idx(FRAMETABLE, 3)] = l2f | 3;          /* same PML4 slot (261) as the image */
	q(l2f)[idx(FRAMETABLE, 2)] = l1f | 3;
	for (unsigned i = 0; i < NFRAMES * 32 / PAGE; i++)
		q(l1f)[i] = img(0x10000 + i * PAGE) | 3;
	/* .bss: domain_list +0x100000, _frame_table +0x100008, max_page +0x100010 */
	*q(img(0x100000)) = dmap(d0.dmfn);
	*q(img(0x100008)) = FRAMETABLE;
	*q(img(0x100010)) = NFRAMES;

	/* ---- domains ------------------------------------------------------------------------ */
	domain(&d0, 0x101, 0x102, 2);
	domain(&d1, 0x111, 0x112, 1);
	domain(&d4, 0x141, 0x142, 1);
	domain(&d6, 0x161, 0x162, 1);
	*q(d0.dmfn * PAGE + 136) = dmap(d1.dmfn);
	*q(d1.dmfn * PAGE + 136) = dmap(d4.dmfn);
	*q(d4.dmfn * PAGE + 136) = dmap(d6.dmfn);
	pvh_domain(&d6);
	flags(&d0, 0, 0x100), flags(&d1, 0, 0), flags(&d4, 3, 0x3ff), flags(&d6, 3, 1);
	if (hostile) {
		domain(&d2, 0x121, 0x122, 1);
		domain(&d3, 0x131, 0x132, 1);
		flags(&d2, 0, 0), flags(&d3, 3, 1);
		*q(d1.dmfn * PAGE + 136) = dmap(d2.dmfn);
		*q(d2.dmfn * PAGE + 136) = dmap(d3.dmfn);
		*q(d3.dmfn * PAGE + 136) = dmap(d4.dmfn);
		domain(&d5, 0x151, 0x152, 1);
		flags(&d5, 0, 0);
		*q(d4.dmfn * PAGE + 136) = dmap(d5.dmfn);
		*q(d5.dmfn * PAGE + 136) = dmap(d6.dmfn);
		*q(d6.dmfn * PAGE + 136) = dmap(d1.dmfn);   /* the list never ends */
		/* domain 5: a linear p2m whose L3 points back at the L4 (a page-table loop) */
		memset(mem + 0xf0 * PAGE, 0, 2 * PAGE);
		q(0xf0 * PAGE)[idx(P2M_VADDR, 4)] = 0xf1000 | 0x67;
		q(0xf1 * PAGE)[idx(P2M_VADDR, 3)] = 0xf0000 | 0x67;
		arch(&d5, 256, ~0ull, 0xf0000, P2M_VADDR);
		arch(&d2, 128, 0x210 /* domain 0's frame */, 0, 0);
		arch(&d3, 0, 0, 0, 0);                      /* no PV p2m */
	}

	/* domain 0: p2m tree. fll 0x3fd, fl 0x3fe, leaf 0x3ff (pages of its own). */
	for (unsigned i = 0; i < 512; i++)
		p2m0[i] = 0x200 + ((i * 7) & 511);
	p2m0[500] = 0x850;          /* Xen's image */
	p2m0[501] = 0x410;          /* domain 1's */
	p2m0[502] = 0x5000;         /* outside RAM */
	p2m0[503] = (1ull << 62) | (pvpt ? 503 : 0x900); /* identity */
	for (unsigned i = 504; i < 512; i++)
		p2m0[i] = ~0ull;
	memset(mem + 0x3fd * PAGE, 0, 3 * PAGE);
	*q(0x3fd * PAGE) = 0x3fe;
	*q(0x3fe * PAGE) = 0x3ff;
	memcpy(mem + 0x3ff * PAGE, p2m0, sizeof(p2m0));
	arch(&d0, 512, 0x3fd, 0, 0);

	/* domain 1: linear p2m, fll ~0. L4 0x4f0 L3 0x4f1 L2 0x4f2 L1 0x4f3, leaf 0x4f4; the
	 * second leaf page is a Xen frame (0x860), which the carver must refuse */
	memset(mem + 0x4f0 * PAGE, 0, 5 * PAGE);
	q(0x4f0 * PAGE)[idx(P2M_VADDR, 4)] = 0x4f1000 | 0x67;
	q(0x4f1 * PAGE)[idx(P2M_VADDR, 3)] = 0x4f2000 | 0x67;
	q(0x4f2 * PAGE)[idx(P2M_VADDR, 2)] = 0x4f3000 | 0x67;
	q(0x4f3 * PAGE)[idx(P2M_VADDR, 1)] = 0x4f4000 | 0x67;
	q(0x4f3 * PAGE)[idx(P2M_VADDR, 1) + 1] = 0x860000 | 0x67;
	for (unsigned i = 0; i < 512; i++)
		q(0x4f4 * PAGE)[i] = i < 256 ? 0x4ff - i : ~0ull;
	arch(&d1, 1024, ~0ull, 0x4f0000, P2M_VADDR);
	xenstore(hostile);
	put_handle(&d1, UUID1);
	put_handle(&d4, UUID4);
	if (hostile)
		put_handle(&d2, UUID2);
	if (pvpt)
		page_tables(&d0, &d1, want);

	/* domain 4: HVM. d->arch.p2m (struct domain +0x4a8) -> struct p2m_domain (heap 0x145:
	 * .domain +0x18, .phys_table +0x58) -> EPT root 0x146 (L3 0x147, L2 0x148, L1 0x149).
	 * gfn 0-15: 4 KiB leaves to 0x7f0+; gfn 16: populate-on-demand; 17: domain 0's frame
	 * (refused); 18: MMIO (left out); gfn 0x200-0x3ff: one 2 MiB leaf to 0x600. */
	memset(mem + 0x145 * PAGE, 0, 5 * PAGE);
	*q(d4.dmfn * PAGE + 0x4a8) = dmap(0x145);
	*q(0x145 * PAGE + 0x18) = dmap(d4.dmfn);
	*q(0x145 * PAGE + 0x58) = 0x146;
	q(0x146 * PAGE)[0] = 0x147000 | 7;
	q(0x147 * PAGE)[0] = 0x148000 | 7;
	q(0x148 * PAGE)[0] = 0x149000 | 7;
	q(0x148 * PAGE)[1] = 0x600000 | 0x80 | 7;
	for (unsigned i = 0; i < 16; i++)
		q(0x149 * PAGE)[i] = ((0x7f0ull + i) << 12) | 7;
	q(0x149 * PAGE)[16] = 6ull << 52;
	q(0x149 * PAGE)[17] = 0x210000 | 7;
	q(0x149 * PAGE)[18] = (5ull << 52) | 0xfee000 | 3;

	if (frag)
		nframes = frag_table(l2f, l1f, fragover);
	if (bigpv) {
		big_table(&big, l2f, l1f, (uint32_t)d0.dmfn, gib);
		nframes = big.frames;
		if (pvpt)
			big_pt(&big, want);
	}

	/* ---- the ELF vmcore ------------------------------------------------------------------ */
	char vmci[1024];
	uint64_t ci[10] = { 4, 17, 0, 0, 0, 0, 0, 0, XEN_PHYS, 0x3fd };
	uint64_t regs[4] = { 0x80050033, 0, l4, 0x660 };
	int vl = snprintf(vmci, sizeof(vmci),
			  "PAGESIZE=4096\nSYMBOL(domain_list)=%" PRIx64 "\nSYMBOL(frame_table)=%" PRIx64
			  "\nSYMBOL(max_page)=%" PRIx64 "\nSIZE(page_info)=32\nSIZE(domain)=2304\n"
			  "OFFSET(page_info.count_info)=8\nOFFSET(page_info._domain)=24\nOFFSET(domain.domain_id)=0\n"
			  "OFFSET(domain.next_in_list)=136\nSYMBOL(dom_xen)=%" PRIx64 "\nSYMBOL(dom_io)=%" PRIx64
			  "\nSYMBOL(pgd_l4)=%" PRIx64 "\n",
			  (uint64_t)(XVS + 0x100000), (uint64_t)(XVS + 0x100008), (uint64_t)(XVS + 0x100010),
			  (uint64_t)(XVS + 0x100018), (uint64_t)(XVS + 0x100020), (uint64_t)(XVS + 0x1000));
	size_t notes = note_size("Xen", 32) + note_size("Xen", 80) + note_size("VMCOREINFO_XEN", (uint32_t)vl + 1);
	/* a whole-machine dump (qemu): no Xen notes, one QEMU CPU state whose CR3 is Xen's */
	uint8_t qcpu[440] = { 0 };
	uint32_t qhdr[2] = { 1, 440 }, cs = 0xe008;
	memcpy(qcpu, qhdr, 8);
	memcpy(qcpu + 152, &cs, 4);
	memcpy(qcpu + 416, &l4, 8);
	/* the image's build-id note (GNU, 20 bytes) at image +0x7000, as xen-syms describes it */
	uint8_t bid[36] = { 4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 'G', 'N', 'U', 0 };
	for (int i = 0; i < 20; i++)
		bid[16 + i] = (uint8_t)(0x51 + 7 * i);
	memcpy(mem + img(0x7000), bid, sizeof(bid));
	if (qemu)
		notes = note_size("QEMU", 440);
	snprintf(path, sizeof(path), "%s.elf", argv[2]);
	if (!(f = fopen(path, "wb")))
		return 1;
	{
		uint8_t eh[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
		uint16_t h16[] = { 4 /* ET_CORE */, 62 };
		uint16_t nph = frag ? 3 : bigpv ? 4 : 2;
		uint64_t phoff = 64, dataoff = (64 + nph * 56 + notes + PAGE - 1) & ~(PAGE - 1);
		uint32_t ver = 1;
		uint16_t sizes[] = { 64, 56, nph, 64, 0, 0 };
		memcpy(eh + 16, h16, 4);
		memcpy(eh + 20, &ver, 4);
		memcpy(eh + 32, &phoff, 8);
		memcpy(eh + 52, sizes, 12);
		fwrite(eh, 64, 1, f);
		uint32_t pn[2] = { 4, 0 }, pl[2] = { 1, 7 };
		uint64_t nrest[6] = { 64 + nph * 56, 0, 0, notes, notes, 0 };
		uint64_t lrest[6] = { dataoff, DIRECTMAP, 0, NFRAMES * PAGE, NFRAMES * PAGE, 0 };
		/* frag: the RAM above 16 MiB, in the dump's RAM but not stored */
		uint64_t hrest[6] = { dataoff + NFRAMES * PAGE, DIRECTMAP + NFRAMES * PAGE, NFRAMES * PAGE, 0,
				      (nframes - NFRAMES) * PAGE, 0 };
		/* bigpv: the p2m pages past 16 MiB stored, then the rest of the RAM not */
		uint64_t nbig = big.nfl + big.nleaf, mbig = NFRAMES + nbig;
		uint64_t brest[6] = { dataoff + NFRAMES * PAGE, DIRECTMAP + NFRAMES * PAGE, NFRAMES * PAGE, nbig * PAGE,
				      nbig * PAGE, 0 };
		uint64_t b2rest[6] = { dataoff + mbig * PAGE, DIRECTMAP + mbig * PAGE, mbig * PAGE, 0,
				       (nframes - mbig) * PAGE, 0 };
		fwrite(pn, 8, 1, f);
		fwrite(nrest, 48, 1, f);
		fwrite(pl, 8, 1, f);
		fwrite(lrest, 48, 1, f);
		if (frag) {
			fwrite(pl, 8, 1, f);
			fwrite(hrest, 48, 1, f);
		}
		if (bigpv) {
			fwrite(pl, 8, 1, f);
			fwrite(brest, 48, 1, f);
			fwrite(pl, 8, 1, f);
			fwrite(b2rest, 48, 1, f);
		}
		if (qemu) {
			note(f, "QEMU", 0, qcpu, 440);
		} else {
			note(f, "Xen", 0x1000002, regs, 32);
			note(f, "Xen", 0x1000001, ci, 80);
			note(f, "VMCOREINFO_XEN", 0, vmci, (uint32_t)vl + 1);
		}
		fseek(f, (long)dataoff, SEEK_SET);
		fwrite(mem, PAGE, NFRAMES, f);
		for (uint64_t k = 0; k < nbig; k++) {
			static uint64_t pg[PAGE / 8];
			big_page(&big, k, pg);
			fwrite(pg, PAGE, 1, f);
		}
	}
	if (fclose(f))
		return 1;
	if (bigpv) {
		/* valid: pv's 500 pfns below 500 and 502 (0x5000, domain 0's here), and the new ones */
		printf("frames=%llu dom0_pfns=%llu dom0_valid=%llu p2m_pages=%llu own_stored=%llu\n",
		       (unsigned long long)nframes, (unsigned long long)(512 + big.pfns),
		       (unsigned long long)(501 + big.pfns), (unsigned long long)(big.nfl + big.nleaf),
		       (unsigned long long)(0x5000 < big_first_mfn(&big) ? 501 : 500));
		free(mem);
		return pvpt && !big_expected(argv[2], &big, want);
	}

	/* ---- expectations ------------------------------------------------------------------- */
	snprintf(path, sizeof(path), "%s.expected", argv[2]);
	if (!(e = fopen(path, "w")))
		return 1;
	if (qemu && !write_syms(argv[2], bid, wrongsyms))
		return 1;
	fprintf(e, "exit %d\n", hostile ? 4 : wrongsyms || fragover ? 1 : 0);
	fprintf(e, "host_max_pfn 0x%llx\n", (unsigned long long)nframes);
	if (fragover) {
		/* the run past the limit starts at the last frame */
		fprintf(e, "stderr %s.elf: Xen's frame table changes owner or state more than %llu times in %llu frames (from mfn 0x%llx): too fragmented\n",
			argv[2], (unsigned long long)FRAG_RUNS, (unsigned long long)nframes, (unsigned long long)(nframes - 1));
		fclose(e);
		free(mem);
		return 0;
	}
	if (qemu)
		fprintf(e, "args --xen-syms %s.syms\n", argv[2]);
	if (wrongsyms) {
		fprintf(e, "stderr %s.syms does not match %s.elf: the build-id at 0x%llx differs\n", argv[2], argv[2],
			(unsigned long long)(XVS + 0x7000));
		fclose(e);
		free(mem);
		return 0;
	}
	/* the frames the domains' names come from (t_xen_names: a filter that keeps them) */
	fprintf(e, "nameframes");
	for (unsigned i = 0; i < nname_frames; i++)
		fprintf(e, " 0x%llx", (unsigned long long)name_frames[i]);
	fprintf(e, "\n");
	if (pvpt) {
		/* pfn space: domain 0 its 500 pfns + identity p2m (1 leaf, fl, fll at 0x200..);
		 * domain 1 its 256 pfns + 2 leaves, fl, fll at 0x400.. */
		fprintf(e, "guest 0 ok=true type=PV space=guest-physical pages_expected=512 pages_mapped=503 pages_refused=3 max_gfn=512 synth=3 name=Domain-0 uuid=00000000-0000-0000-0000-000000000000\n");
		for (uint64_t i = 0; i < 500; i++)
			if (p2m0[i] < 0x3f4 || p2m0[i] > 0x3f7)
				fprintf(e, "gmap 0 0x%llx 0x%llx 1\n", (unsigned long long)i, (unsigned long long)p2m0[i]);
		for (unsigned l = 0; l < 4; l++) {
			fprintf(e, "ptpage 0 0x%llx", (unsigned long long)d0_pfn(0x3f7 - l));
			for (unsigned i = 0; i < 512; i++)
				fprintf(e, " %llx", (unsigned long long)want[l][i]);
			fprintf(e, "\n");
		}
		fprintf(e, "report 0 pv.page_tables=4 (L1 1, L2 1, L3 1, L4 1) canonicalised\n");
		fprintf(e, "report 0 pv.entries: translated=5 identity=1 xen_slots_zeroed=3 cleared=7 (xen_heap=1 foreign=2 own_unmapped=0 other=2 pse=2)\n");
		fprintf(e, "warning 0 2 present entries with PSE\n");
		fprintf(e, "guest 1 ok=true type=PV space=guest-physical pages_expected=256 pages_mapped=260 pages_refused=0 max_gfn=1024 synth=4 name=web-01 uuid=" UUID1 "\n");
		for (uint64_t i = 0; i < 256; i++)
			if (0x4ff - i != 0x4e0)
				fprintf(e, "gmap 1 0x%llx 0x%llx 1\n", (unsigned long long)i, (unsigned long long)(0x4ff - i));
		fprintf(e, "ptpage 1 0x%x", 0x4ff - 0x4e0);
		for (unsigned i = 0; i < 512; i++)
			fprintf(e, " %llx", i == 0 ? 0x66ull : i == 1 ? (0x4ffull - 0x4e1) << 12 | 0x67 : 0ull);
		fprintf(e, "\n");
		fprintf(e, "report 1 pv.entries: translated=1 identity=0 xen_slots_zeroed=1 cleared=1 (xen_heap=0 foreign=1 own_unmapped=0 other=0 pse=0)\n");
		fclose(e);
		for (unsigned dom = 0; dom < 2; dom++) {
			snprintf(path, sizeof(path), "%s.p2m-%u.txt", argv[2], dom);
			if (!(f = fopen(path, "w")))
				return 1;
			fprintf(f, "# the identity p2m the output carries for crash (generator truth)\n");
			for (unsigned i = 0; i < (dom ? 256 : 500); i++)
				fprintf(f, "R 0x%x 0x%x 1\n", i, i);
			fclose(f);
		}
		free(mem);
		return 0;
	}
	/* domain 0: 512 own + shared_info; refused: Xen, domain 1, outside RAM */
	fprintf(e, "guest 0 ok=true type=PV pages_expected=512 pages_mapped=513 pages_refused=3 max_gfn=512 synth=0 name=Domain-0 uuid=00000000-0000-0000-0000-000000000000\n");
	fprintf(e, "frames 0 0x200+512 0x%llx+1\n", (unsigned long long)d0.shinfo);
	fprintf(e, "warning 0 pfn 0x1f4 -> mfn 0x850\n");
	/* no frame typed as a page table: written in machine space, saying why */
	fprintf(e, "warning 0 page tables cannot be canonicalised (type_info @16 gives the domain no L4 page table in use)\n");
	/* domain 1: 256 own + shared_info + synthesised fll, fl and one all-invalid leaf */
	fprintf(e, "guest 1 ok=true type=PV pages_expected=256 pages_mapped=260 pages_refused=0 max_gfn=1024 synth=3 name=%s uuid=" UUID1 "\n",
		hostile ? "" : "web-01");
	fprintf(e, "frames 1 0x400+256 0x%llx+1\n", (unsigned long long)d1.shinfo);
	fprintf(e, "warning 1 point at frames the domain does not own (first 0x860000)\n");
	/* neither PV domain has a VMCOREINFO note: said once (the carver's search through the p2m
	 * is the only one; a second over the output would read the domain again) */
	fprintf(e, "warncount 0 VMCOREINFO 1\nwarncount 1 VMCOREINFO 1\n");
	/* domain 4: 16 + 512 RAM pages and one PoD zero page, in guest-physical space */
	fprintf(e, "guest 4 ok=true type=HVM space=guest-physical pages_expected=512 pages_mapped=529 pages_refused=1 max_gfn=1024 synth=0 name=db/../x uuid=" UUID4 "\n");
	fprintf(e, "splitfile 4-db_.._x.kdump\nsplitfile 1-%s.kdump\n", hostile ? "" : "web-01");
	fprintf(e, "gmap 4 0x0 0x7f0 16\ngmap 4 0x200 0x600 512\nzero 4 0x10 1\n");
	fprintf(e, "warning 4 entries point at frames domain 4 does not own (first gfn 0x11 -> mfn 0x210)\n");
	fprintf(e, "warning 4 Intel VMX: the guest's segment state is in the VMCS\n");
	fprintf(e, "report 4 type=HVM (emulation_flags=0x3ff\n");
	fprintf(e, "method 4 Xen p2m (EPT)\n");
	/* domain 6: PVH, NPT; 32 RAM pages and its shared_info, registers from user_regs + VMCB */
	fprintf(e, "guest 6 ok=true type=PVH space=guest-physical pages_expected=32 pages_mapped=33 pages_refused=1 max_gfn=34 synth=0\n");
	fprintf(e, "gmap 6 0x0 0x40 32\ngmap 6 0x20 0x%llx 1\n", (unsigned long long)d6.shinfo);
	fprintf(e, "method 6 Xen p2m (NPT, p2m-pt)\n");
	fprintf(e, "report 6 p2m.format=p2m-pt root_mfn=0x166 ram=32 xen_heap=1 pod=0 skipped=0 refused=1\n");
	fprintf(e, "report 6 vcpu.layout: OFFSET(vcpu.arch.hvm.svm.vmcb)=1472 OFFSET(vcpu.arch.user_regs)=648 (discovered: rsp and rflags of the VMCB) OFFSET(vcpu.arch.hvm.guest_cr)=1024\n");
	fprintf(e, "regs 6 0 r15=0x1000 r14=0x1001 rbp=0x1004 rdi=0x100e rax=0x2222 rip=0x%llx rsp=0xffffffff82a03e98 rflags=0x246 cs=0x10 ss=0x18 gs_base=0xffff888000800000 cr0=0x80050033 cr3=0x3000 cr4=0x6f0 gdtr_base=0xfffffe0000001000 idtr_base=0xfffffe0000000000\n",
		(unsigned long long)(D6_RIP + 1));
	if (hostile) {
		fprintf(e, "guest 2 ok=false type=PV name= uuid=" UUID2 " error=domain 2: pfn_to_mfn_frame_list_list 0x210 is not a frame the domain owns\n");
		fprintf(e, "guest 3 ok=false type=PVH name= uuid=00000000-0000-0000-0000-000000000000 error=domain 3 publishes no PV p2m\n");
		fprintf(e, "guest 5 ok=false type=PV name= uuid=00000000-0000-0000-0000-000000000000 error=domain 5: its linear p2m (max_pfn 0x100) maps no frame the domain owns (its page tables loop)\n");
		fprintf(e, "warning 1 xenstore holds different names for domain 1\n");
		fprintf(e, "hvwarning xenstore: 1 records name a domain id Xen does not have (e.g. /local/domain/9/name)\n");
		fprintf(e, "hvwarning xenstore: 2 names refused (domain 2: name 80 bytes long (at most 63 kept))\n");
		fprintf(e, "hvwarning domain_list entry 7 at 0x%llx has id 1 after 6\n", (unsigned long long)dmap(d1.dmfn));
	}
	fclose(e);
	for (unsigned dom = 0; dom < 2; dom++) {
		snprintf(path, sizeof(path), "%s.p2m-%u.txt", argv[2], dom);
		if (!(f = fopen(path, "w")))
			return 1;
		fprintf(f, "# valid pfn -> mfn entries of domain %u (generator truth)\n", dom);
		for (unsigned i = 0; i < (dom ? 256 : 500); i++)
			fprintf(f, "R 0x%x 0x%llx 1\n", i, (unsigned long long)(dom ? 0x4ff - i : p2m0[i]));
		fclose(f);
	}
	free(mem);
	return 0;
}

#ifndef MKXENHOST_NO_MAIN
int main(int argc, char **argv)
{
	return mkxenhost_main(argc, argv);
}
#endif
