/* t_kvm.c: the SVM scanner and the KVM carver on a synthetic host: a real VMCB with its NPT,
 * VMCB look-alikes planted in guest RAM (same nested_cr3; own fake tables inside guest RAM),
 * an NPT root pointing outside RAM, and the carver's NPT-only map. */
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "harness.h"
#include "kvm_hw_util.h"
#include "testdump.h"

#define MiB (1ull << 20)

static uint8_t vmcb[4096], fake1[4096], fake2[4096], fake2_root[4096], bad[4096];
static uint8_t pml4[4096], pdpt[4096], pd[4096], pt[4096], bad_root[4096];

static void put64(uint8_t *p, unsigned off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

static void make_vmcb(uint8_t *p, uint64_t ncr3, uint64_t rip)
{
	memset(p, 0, 4096);
	p[0x10] = 1;                       /* VMRUN intercept */
	put64(p, 0x40, 0x200000);          /* IOPM */
	put64(p, 0x48, 0x204000);          /* MSRPM */
	put64(p, 0x58, 7);                 /* ASID */
	put64(p, 0x90, 1);                 /* NP enable */
	put64(p, 0xb0, ncr3);
	p[0x410] = 0x10;                   /* cs.sel */
	p[0x412] = 0x9b;                   /* cs.attrib: type b S P */
	p[0x413] = 0x02;                   /* L */
	put64(p, 0x488, 0xfffffe0000000000ull); /* idtr.base */
	put64(p, 0x4d0, 0x1d01);           /* EFER: SCE LME LMA NXE SVME */
	put64(p, 0x548, 0x3106f0);
	put64(p, 0x550, 0x1062000);
	put64(p, 0x558, 0x80050033);
	put64(p, 0x570, 0x202);
	put64(p, 0x578, rip);
	put64(p, 0x5d8, 0xffffffff9a003e98ull);
	put64(p, 0x5f8, 0x1234);
}

static uint8_t *elf_buf; /* backs the dump; freed by close_host() */

static struct vmc_dump *host_dump(bool with_bad)
{
	static const struct td_seg seg = { 0, 16 * MiB, 16 * MiB };
	struct td_patch patches[12];
	unsigned n = 0;
	struct td_spec s = { .segs = &seg, .nsegs = 1, .seed = 5, .vmcoreinfo = "OSRELEASE=6.1.0-test\n" };
	struct vmc_bytesrc *src;
	struct vmc_dump *dump = NULL;
	struct vmc_diag d;
	size_t len;
	uint8_t *elf;

	/* NPT: gpa 0-2M -> hpa 8M (2M leaf), gpa 2M -> hpa 12M (4K leaf) */
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	memset(pd, 0, 4096);
	memset(pt, 0, 4096);
	put64(pml4, 0, 0x301000 | 7);
	put64(pdpt, 0, 0x302000 | 7);
	put64(pd, 0, 0x800000 | 0x87);
	put64(pd, 8, 0x303000 | 7);
	put64(pt, 0, 0xc00000 | 7);
	make_vmcb(vmcb, 0x300000, 0xffffffff990592eaull);
	/* look-alike in guest RAM (gpa 0x10000 = hpa 0x810000), pointing at the real NPT */
	make_vmcb(fake1, 0x300000, 0x4141414141414141ull & 0x00007fffffffffffull);
	/* look-alike in guest RAM whose nested_cr3 is a table the guest wrote (hpa 0x830000) */
	make_vmcb(fake2, 0x830000, 0x1000);
	memset(fake2_root, 0, 4096);
	put64(fake2_root, 0, 0x301000 | 7);
	/* outside the guest, but its NPT root points past RAM */
	make_vmcb(bad, 0x400000, 0x1000);
	memset(bad_root, 0, 4096);
	put64(bad_root, 0, 0x7f00000000ull | 7);
	patches[n++] = (struct td_patch){ 0x100000, vmcb, 4096 };
	patches[n++] = (struct td_patch){ 0x300000, pml4, 4096 };
	patches[n++] = (struct td_patch){ 0x301000, pdpt, 4096 };
	patches[n++] = (struct td_patch){ 0x302000, pd, 4096 };
	patches[n++] = (struct td_patch){ 0x303000, pt, 4096 };
	patches[n++] = (struct td_patch){ 0x810000, fake1, 4096 };
	patches[n++] = (struct td_patch){ 0x820000, fake2, 4096 };
	patches[n++] = (struct td_patch){ 0x830000, fake2_root, 4096 };
	if (with_bad) {
		patches[n++] = (struct td_patch){ 0x110000, bad, 4096 };
		patches[n++] = (struct td_patch){ 0x400000, bad_root, 4096 };
	}
	s.patches = patches;
	s.npatches = n;
	elf = td_build_elf(&s, &len);
	if (!elf)
		return NULL;
	elf_buf = elf;
	vmc_diag_init(&d);
	if (vmc_bytesrc_new_mem("host.elf", elf, len, &src, &d) || vmc_dump_open_srcs(&src, 1, &dump, &d)) {
		harness_note("open: %s", d.msg);
		return NULL;
	}
	return dump;
}

static void close_host(struct vmc_dump *host)
{
	vmc_dump_close(host);
	free(elf_buf);
	elf_buf = NULL;
}

TEST(svm_scan_finds_the_vmcb_and_rejects_lookalikes)
{
	struct vmc_dump *host = host_dump(true);
	struct vmc_hw_scan s;
	struct vmc_diag d;

	REQUIRE(host != NULL);
	vmc_diag_init(&d);
	REQUIRE(vmc_svm_scan(host, &s, &d) == VMC_OK);
	CHECK_EQ(s.nvms, 1);
	REQUIRE(s.nvms == 1);
	CHECK_EQ(s.vms[0].tdp_root, 0x300000);
	CHECK_EQ(s.vms[0].nvcpus, 1);
	REQUIRE(s.vms[0].nvcpus == 1);
	const struct vmc_vcpu *v = &s.vms[0].vcpus[0].regs;
	CHECK_EQ(s.vms[0].vcpus[0].state_pa, 0x100000);
	CHECK_EQ(s.vms[0].vcpus[0].asid_or_vpid, 7);
	CHECK_EQ(v->rip, 0xffffffff990592eaull);
	CHECK_EQ(v->rsp, 0xffffffff9a003e98ull);
	CHECK_EQ(v->rax, 0x1234);
	CHECK_EQ(v->rflags, 0x202);
	CHECK_EQ(v->cr[3], 0x1062000);
	CHECK_EQ(v->cr[0], 0x80050033);
	CHECK_EQ(v->efer, 0x1d01);
	CHECK_EQ(v->cs, 0x10);
	CHECK_EQ(v->seg_cs.flags, 0x209b00); /* P S type b, L */
	CHECK_EQ(v->idt.base, 0xfffffe0000000000ull);
	CHECK(v->sregs_valid && v->regs_valid && !v->gprs_valid);
	/* both look-alikes, and the VMCB whose NPT root points past RAM */
	CHECK_EQ(s.rejected, 3);
	CHECK_EQ(s.nwarnings, 2);
	CHECK(s.report && strstr(s.report, "svm.reject=0x110000 its NPT root points outside RAM"));
	vmc_hw_scan_free(&s);
	close_host(host);
}

TEST(vmcb_check_invariants)
{
	struct vmc_dump *host = host_dump(false);
	struct vmc_physmem pm;
	struct vmc_hw_vcpu c;
	struct vmc_diag d;
	uint64_t ncr3;
	uint8_t p[4096];

	REQUIRE(host != NULL);
	vmc_diag_init(&d);
	REQUIRE(vmc_physmem_init(&pm, host, &d) == VMC_OK);
	make_vmcb(p, 0x300000, 0x1000);
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) == NULL);
	p[0x4d1] = 0; /* SVME off */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300000, 0x1000);
	p[0x10] = 0; /* no VMRUN intercept */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300000, 0x1000);
	put64(p, 0x58, 0); /* ASID 0 is the host's */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300000, 0x1000);
	put64(p, 0x40, 0x200800); /* IOPM not page aligned */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300000, 0x1000);
	put64(p, 0x48, 64 * MiB); /* MSRPM past RAM */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300000, 0x1000);
	put64(p, 0x90, 0); /* shadow paging */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300000, 0x1000);
	put64(p, 0x90, 3); /* SEV */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300008, 0x1000); /* nested_cr3 not page aligned */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300000, 0x0000900000000000ull); /* non-canonical RIP in long mode */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	make_vmcb(p, 0x300000, 0x1000);
	put64(p, 0x558, 0x80000000); /* PG without PE */
	CHECK(vmc_svm_vmcb_check(p, 0x100000, &pm, &ncr3, &c) != NULL);
	vmc_physmem_fini(&pm);
	close_host(host);
}

TEST(carver_maps_npt_frames_without_memslots)
{
	struct vmc_dump *host = host_dump(true);
	struct vmc_carve_opts o = { .force = "kvm" };
	struct vmc_hv hv;
	struct vmc_gmap_ext e;
	struct vmc_diag d;

	REQUIRE(host != NULL);
	vmc_diag_init(&d);
	REQUIRE(vmc_carve_scan(host, &o, &hv, &d) == VMC_OK);
	CHECK_EQ(hv.nguests, 1);
	REQUIRE(hv.nguests == 1);
	struct vmc_guest *g = &hv.guests[0];
	CHECK(!strcmp(g->id, "1") && !strcmp(g->type, "KVM-SVM"));
	CHECK_EQ(g->nvcpus, 1);
	CHECK(g->map.finished);
	CHECK_EQ(g->map.npages, 513);
	CHECK(vmc_gmap_lookup(&g->map, 0, &e) && e.kind == VMC_GMAP_HOST && e.src == 0x800);
	CHECK(vmc_gmap_lookup(&g->map, 511, &e) && e.src == 0x9ff);
	CHECK(vmc_gmap_lookup(&g->map, 512, &e) && e.src == 0xc00);
	CHECK(!vmc_gmap_lookup(&g->map, 513, &e));
	CHECK(g->nwarnings >= 1); /* memslot route unavailable */
	CHECK(hv.nwarnings >= 2); /* the look-alikes */
	vmc_hv_free(&hv);
	close_host(host);
}
