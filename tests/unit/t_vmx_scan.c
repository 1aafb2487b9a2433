/* t_vmx_scan.c: vmc_vmx_scan on synthetic KVM-on-Intel host dumps from testdata/gen/mkkvmhost.c:
 * exact VMs, vCPUs (order, VMCS address, registers), every gfn -> hpa of the EPT found and every
 * stored guest page's bytes; layouts from a file, a VMCSINFO note and the built-in Haswell table;
 * a wrong layout; hostile dumps (look-alikes in guest RAM, a HOST_CR3 that does not map its VMCS,
 * malformed EPTPs, a looping EPT, VMs claiming frames, mutual containment); a guest with three
 * VMCOREINFO notes, opened for a writer (vmc_guest_open_stream) however much of it is read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytesrc.h"
#include "dump.h"
#include "harness.h"
#include "kvm_hw.h"
#include "mkkvmhost.h"
#include "vmcs_layout.h"
#include "vmcarve.h"

struct fx {
	struct kh_result r;
	struct vmc_dump *dump;
	char layout_path[64];
	struct vmc_hw_scan scan;
	enum vmc_status rc;
	struct vmc_diag d;
};

static void write_tmp(char *path, const char *text)
{
	int fd;
	strcpy(path, "/tmp/vmcarve-vmx-XXXXXX");
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* Build a scenario and scan it. layout: NULL = none given, else the text to give as a file. */
static void run(struct fx *f, const char *scenario, enum kh_layout_mode mode, int which_layout)
{
	struct vmc_bytesrc *src;

	memset(f, 0, sizeof(*f));
	REQUIRE(kh_build(scenario, mode, &f->r) == 0);
	vmc_diag_init(&f->d);
	REQUIRE(vmc_bytesrc_new_mem("host.vmcore", f->r.elf, f->r.elf_len, &src, &f->d) == VMC_OK);
	REQUIRE(vmc_dump_open_srcs(&src, 1, &f->dump, &f->d) == VMC_OK);
	if (which_layout == 1)
		write_tmp(f->layout_path, f->r.layout);
	else if (which_layout == 2)
		write_tmp(f->layout_path, f->r.wrong_layout);
	f->rc = vmc_vmx_scan(f->dump, f->layout_path[0] ? f->layout_path : NULL, &f->scan, &f->d);
	if (f->rc)
		harness_note("scan: %s", f->d.msg);
}

static void done(struct fx *f)
{
	if (harness_failures()) {
		for (unsigned i = 0; i < f->scan.nwarnings; i++)
			harness_note("warning: %s", f->scan.warnings[i]);
		harness_note("report:\n%s", f->scan.report ? f->scan.report : "");
	}
	vmc_hw_scan_free(&f->scan);
	vmc_dump_close(f->dump);
	if (f->layout_path[0])
		unlink(f->layout_path);
	kh_free(&f->r);
}

static bool has_warning(const struct fx *f, const char *a, const char *b)
{
	for (unsigned i = 0; i < f->scan.nwarnings; i++)
		if (strstr(f->scan.warnings[i], a) && (!b || strstr(f->scan.warnings[i], b)))
			return true;
	return false;
}

struct walk_check {
	const struct kh_vm *vm;
	const struct kh_result *r;
	struct vmc_physmem *pm;
	uint64_t pages, mismatched_hpa, stored, content_ok, content_bad, ordinary;
};

static enum vmc_status check_leaf(uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t entry, void *arg)
{
	struct walk_check *w = arg;
	uint8_t want[4096], ord[4096];
	(void)entry;
	for (uint64_t o = 0; o < size; o += 4096) {
		uint64_t gfn = (gpa + o) >> 12, exp_hpa;
		w->pages++;
		if (!kh_translate(w->vm, gfn, &exp_hpa) || exp_hpa != hpa + o) {
			w->mismatched_hpa++;
			continue;
		}
		if (kh_host_page(w->r, exp_hpa, want)) {
			struct vmc_diag d;
			const uint8_t *p;
			vmc_diag_init(&d);
			w->stored++;
			p = vmc_physmem_frame(w->pm, (hpa + o) >> 12, &d);
			if (p && memcmp(p, want, 4096) == 0)
				w->content_ok++;
			else
				w->content_bad++;
			kh_guest_page(w->vm->id, gfn, ord);
			w->ordinary += memcmp(want, ord, 4096) == 0;
		}
	}
	return VMC_OK;
}

/* The VM the scan found equals the generator's: EPTP, levels, vCPUs, every gfn and stored page. */
static void check_vm(struct fx *f, const struct vmc_hw_vm *got, const struct kh_vm *want, bool by_vpid)
{
	struct vmc_physmem pm;
	struct vmc_diag d;
	struct kh_vcpu exp[4];
	unsigned n = want->nvcpus;

	CHECK_EQ(got->eptp, want->eptp);
	CHECK_EQ(got->tdp_root, want->eptp & 0x000ffffffffff000ull);
	CHECK_EQ(got->levels, want->levels);
	CHECK(got->format == VMC_PT_EPT);
	REQUIRE(got->nvcpus == n);
	memcpy(exp, want->vcpus, sizeof(exp));
	/* expected order: VPID when the layout has it, else VMCS address */
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			if (by_vpid ? exp[j].vpid < exp[i].vpid : exp[j].vmcs_hpa < exp[i].vmcs_hpa) {
				struct kh_vcpu t = exp[i];
				exp[i] = exp[j];
				exp[j] = t;
			}
	for (unsigned i = 0; i < n; i++) {
		const struct vmc_hw_vcpu *v = &got->vcpus[i];
		const struct kh_vcpu *e = &exp[i];
		CHECK_EQ(v->state_pa, e->vmcs_hpa);
		CHECK_EQ(v->asid_or_vpid, by_vpid ? e->vpid : 0);
		CHECK_EQ(v->regs.id, i);
		CHECK(v->regs.regs_valid);
		CHECK(!v->regs.gprs_valid);
		CHECK(v->regs.sregs_valid);
		CHECK_EQ(v->regs.rip, e->rip);
		CHECK_EQ(v->regs.rsp, e->rsp);
		CHECK_EQ(v->regs.rflags, e->rflags);
		CHECK_EQ(v->regs.cr[0], e->cr0);
		CHECK_EQ(v->regs.cr[3], e->cr3);
		CHECK_EQ(v->regs.cr[4], e->cr4);
		CHECK_EQ(v->regs.efer, e->efer);
		CHECK_EQ(v->regs.gs_base, e->base[5]);
		CHECK_EQ(v->regs.seg_gs.base, e->base[5]);
		CHECK_EQ(v->regs.tr.base, e->base[7]);
		CHECK_EQ(v->regs.tr.limit, e->limit[7]);
		CHECK_EQ(v->regs.seg_cs.limit, e->limit[1]);
		CHECK_EQ(v->regs.gdt.base, e->gdtr_base);
		CHECK_EQ(v->regs.gdt.limit, e->gdtr_limit);
		CHECK_EQ(v->regs.idt.base, e->idtr_base);
		CHECK_EQ(v->regs.idt.limit, e->idtr_limit);
		if (by_vpid) { /* the layouts with selectors and access rights */
			CHECK_EQ(v->regs.cs, e->sel[1]);
			CHECK_EQ(v->regs.ss, e->sel[2]);
			CHECK_EQ(v->regs.seg_cs.selector, e->sel[1]);
			CHECK_EQ(v->regs.seg_cs.flags, (e->ar[1] & 0xf0ff) << 8);
			CHECK_EQ(v->regs.ldt.flags, 0); /* unusable */
			CHECK_EQ(v->regs.tr.flags, 0x8b00);
		}
		char src[48];
		snprintf(src, sizeof(src), "VMCS 0x%llx", (unsigned long long)e->vmcs_hpa);
		CHECK(strcmp(v->regs.source, src) == 0);
	}
	/* the EPT the scan points at maps exactly the generator's gfns, to the generator's frames */
	vmc_diag_init(&d);
	REQUIRE(vmc_physmem_init(&pm, f->dump, &d) == VMC_OK);
	struct vmc_pt pt = { .pm = &pm, .format = VMC_PT_EPT, .levels = got->levels, .root = got->tdp_root };
	struct walk_check w = { want, &f->r, &pm, 0, 0, 0, 0, 0, 0 };
	uint64_t want_pages = 0, want_stored = 0;
	struct vmc_pt_stats st;
	memset(&st, 0, sizeof(st));
	CHECK(vmc_pt_walk(&pt, 0, 0, check_leaf, &w, &st, &d) == VMC_OK);
	for (unsigned m = 0; m < want->nmaps; m++) {
		want_pages += want->maps[m].npages;
		for (uint64_t i = 0; i < want->maps[m].npages; i++) {
			uint8_t b[4096];
			want_stored += kh_host_page(&f->r, want->maps[m].hpa + i * 4096, b);
		}
	}
	CHECK_EQ(w.pages, want_pages);
	CHECK_EQ(w.mismatched_hpa, 0);
	CHECK_EQ(w.stored, want_stored);
	CHECK_EQ(w.content_ok, want_stored);
	CHECK_EQ(w.content_bad, 0);
	CHECK(w.ordinary + 40 >= want_stored && w.ordinary > 0);
	harness_note("vm %u: %llu pages mapped, %llu stored and equal, %llu ordinary", want->id, (unsigned long long)w.pages,
		     (unsigned long long)w.content_ok, (unsigned long long)w.ordinary);
	vmc_physmem_fini(&pm);
}

static void check_basic(enum kh_layout_mode mode, int layout)
{
	struct fx f;
	run(&f, "basic", mode, layout);
	REQUIRE(f.rc == VMC_OK);
	REQUIRE(f.scan.nvms == 2);
	check_vm(&f, &f.scan.vms[0], &f.r.vms[0], mode != KH_LAYOUT_HASWELL);
	check_vm(&f, &f.scan.vms[1], &f.r.vms[1], mode != KH_LAYOUT_HASWELL);
	CHECK_EQ(f.scan.rejected, 0);
	CHECK_EQ(f.scan.candidates, 3);
	CHECK_EQ(f.scan.nwarnings, 0);
	CHECK(f.scan.frames_scanned > 1500);
	/* the 5-level VM has one EPT entry into the hole; it is mapped, just not RAM */
	CHECK(f.r.vms[1].levels == 5);
	done(&f);
}

TEST(basic_layout_file)
{
	check_basic(KH_LAYOUT_FILE, 1);
}

TEST(basic_layout_note)
{
	check_basic(KH_LAYOUT_NOTE, 0);
}

TEST(basic_builtin_haswell)
{
	check_basic(KH_LAYOUT_HASWELL, 0);
}

TEST(file_overrides_note)
{
	struct fx f;
	/* the note is right, the file is wrong: the file wins, nothing is found, and it says why */
	run(&f, "basic", KH_LAYOUT_NOTE, 2);
	CHECK(f.rc == VMC_OK);
	CHECK_EQ(f.scan.nvms, 0);
	CHECK(has_warning(&f, "carry VMCS revision id 0x4b56", "wrong layout?"));
	done(&f);
}

TEST(wrong_layout_finds_nothing)
{
	struct fx f;
	run(&f, "basic", KH_LAYOUT_FILE, 2);
	CHECK(f.rc == VMC_OK);
	CHECK_EQ(f.scan.nvms, 0);
	CHECK_EQ(f.scan.candidates, 0);
	CHECK(has_warning(&f, "host.vmcore: 3 frame(s) carry VMCS revision id 0x4b56", "wrong layout?"));
	done(&f);
	/* no layout at all: the test revision id is not built in */
	run(&f, "basic", KH_LAYOUT_FILE, 0);
	CHECK(f.rc == VMC_OK);
	CHECK_EQ(f.scan.nvms, 0);
	CHECK(f.scan.report && strstr(f.scan.report, "vmx.layout=haswell"));
	done(&f);
}

TEST(missing_layout_file)
{
	struct fx f;
	struct vmc_bytesrc *src;
	memset(&f, 0, sizeof(f));
	REQUIRE(kh_build("basic", KH_LAYOUT_FILE, &f.r) == 0);
	vmc_diag_init(&f.d);
	REQUIRE(vmc_bytesrc_new_mem("host.vmcore", f.r.elf, f.r.elf_len, &src, &f.d) == VMC_OK);
	REQUIRE(vmc_dump_open_srcs(&src, 1, &f.dump, &f.d) == VMC_OK);
	CHECK(vmc_vmx_scan(f.dump, "/nonexistent/layout.txt", &f.scan, &f.d) == VMC_ERR_IO);
	CHECK(strstr(f.d.msg, "--vmcs-layout: /nonexistent/layout.txt: ") != NULL);
	done(&f);
}

TEST(corrupt_vmcsinfo_note)
{
	struct fx f;
	struct vmc_bytesrc *src;
	memset(&f, 0, sizeof(f));
	REQUIRE(kh_build("basic", KH_LAYOUT_NOTE, &f.r) == 0);
	/* break the note's REVISION_ID line in the ELF file */
	uint8_t *p = memmem(f.r.elf, 8192, "REVISION_ID=0x", 14);
	REQUIRE(p != NULL);
	p[12] = 'q';
	vmc_diag_init(&f.d);
	REQUIRE(vmc_bytesrc_new_mem("host.vmcore", f.r.elf, f.r.elf_len, &src, &f.d) == VMC_OK);
	REQUIRE(vmc_dump_open_srcs(&src, 1, &f.dump, &f.d) == VMC_OK);
	CHECK(vmc_vmx_scan(f.dump, NULL, &f.scan, &f.d) == VMC_ERR_CORRUPT);
	CHECK(strstr(f.d.msg, "host.vmcore: VMCSINFO note: line 3: REVISION_ID must be") != NULL);
	CHECK(strstr(f.d.msg, "--vmcs-layout") != NULL);
	harness_note("%s", f.d.msg);
	done(&f);
}

static bool rejected(const struct fx *f, uint64_t hpa, const char *why)
{
	char key[64];
	snprintf(key, sizeof(key), "vmx.rejected=0x%llx ", (unsigned long long)hpa);
	const char *p = f->scan.report ? strstr(f->scan.report, key) : NULL;
	if (!p)
		return false;
	const char *e = strchr(p, '\n');
	return !why || (strstr(p, why) && strstr(p, why) < e);
}

TEST(hostile)
{
	struct fx f;
	run(&f, "hostile", KH_LAYOUT_FILE, 1);
	REQUIRE(f.rc == VMC_OK);
	REQUIRE(f.scan.nvms == 3);
	check_vm(&f, &f.scan.vms[0], &f.r.vms[0], true); /* VM 1 keeps exactly its 2 vCPUs */
	check_vm(&f, &f.scan.vms[1], &f.r.vms[1], true);
	/* VM 3: real-looking VMCS, EPT that loops and aliases: listed (the carver fails it), and said */
	CHECK_EQ(f.scan.vms[2].eptp, f.r.vms[2].eptp);
	CHECK_EQ(f.scan.vms[2].nvcpus, 1);
	CHECK(has_warning(&f, "EPT of EPTP", "more than"));
	CHECK(has_warning(&f, "point back at a table on their own path", NULL));
	REQUIRE(f.r.nfakes == 7);
	CHECK(rejected(&f, f.r.fakes[0], "guest RAM of the VM with EPTP"));   /* own EPT in VM 1's RAM */
	CHECK(rejected(&f, f.r.fakes[1], "page lies in the guest RAM"));     /* joined VM 1's group */
	CHECK(rejected(&f, f.r.fakes[2], "does not map the VMCS page"));     /* HOST_CR3 maps nothing */
	CHECK(rejected(&f, f.r.fakes[3], "guest RAM of the VM with EPTP"));   /* maps VM 1's frames */
	CHECK(rejected(&f, f.r.fakes[4], "memory type 3"));
	CHECK(rejected(&f, f.r.fakes[5], "page-walk length 2"));
	CHECK(rejected(&f, f.r.fakes[6], "is not RAM"));
	CHECK_EQ(f.scan.rejected, 7);
	CHECK_EQ(f.scan.candidates, 3 + 1 + 7);
	char w[64];
	snprintf(w, sizeof(w), "VMCS look-alike at host physical 0x%llx rejected", (unsigned long long)f.r.fakes[0]);
	CHECK(has_warning(&f, "host.vmcore: ", w));
	/* the fake that maps VM 1's frames is gone, so no "both map" warning */
	CHECK(!has_warning(&f, "both map", NULL));
	done(&f);
}

TEST(mutual_containment)
{
	struct fx f;
	run(&f, "mutual", KH_LAYOUT_FILE, 1);
	REQUIRE(f.rc == VMC_OK);
	REQUIRE(f.scan.nvms == 1);
	check_vm(&f, &f.scan.vms[0], &f.r.vms[0], true); /* VM 2 */
	CHECK(rejected(&f, f.r.vms[1].vcpus[0].vmcs_hpa, "neither can be trusted"));
	CHECK(rejected(&f, f.r.vms[1].vcpus[1].vmcs_hpa, "neither can be trusted"));
	CHECK(rejected(&f, f.r.fakes[0], "neither can be trusted"));
	done(&f);
}

TEST(shared_frames_warn)
{
	struct fx f;
	run(&f, "shared", KH_LAYOUT_FILE, 1);
	REQUIRE(f.rc == VMC_OK);
	REQUIRE(f.scan.nvms == 2);
	check_vm(&f, &f.scan.vms[0], &f.r.vms[0], true);
	check_vm(&f, &f.scan.vms[1], &f.r.vms[1], true);
	CHECK(has_warning(&f, "both map 4 host frames", "shared (KSM) or corrupt"));
	done(&f);
}

TEST(truncated_dump_does_not_crash)
{
	/* cut the dump inside low RAM: frames after the cut are missing, never misread */
	struct kh_result r;
	struct vmc_bytesrc *src;
	struct vmc_dump *dump;
	struct vmc_hw_scan s;
	struct vmc_diag d;
	REQUIRE(kh_build("hostile", KH_LAYOUT_HASWELL, &r) == 0);
	for (size_t cut = 0x3000; cut < r.elf_len; cut += r.elf_len / 7) {
		vmc_diag_init(&d);
		REQUIRE(vmc_bytesrc_new_mem("cut", r.elf, cut, &src, &d) == VMC_OK);
		if (vmc_dump_open_srcs(&src, 1, &dump, &d)) {
			vmc_bytesrc_free(src);
			continue;
		}
		CHECK(vmc_vmx_scan(dump, NULL, &s, &d) == VMC_OK);
		CHECK(s.nvms <= 3);
		vmc_hw_scan_free(&s);
		vmc_dump_close(dump);
	}
	kh_free(&r);
}

/* How often guest 1's warnings say that all three of its notes were counted, the kernel's used. */
static unsigned note_warnings(struct vmc_carve *cv)
{
	struct vmc_guest_info g = { .size = sizeof(g) };
	struct vmc_diag d;
	unsigned n = 0;

	vmc_diag_init(&d);
	REQUIRE(vmc_carve_guest_info(cv, 0, &g, &d) == VMC_OK && !strcmp(g.id, "1"));
	for (unsigned i = 0; i < g.nwarnings; i++)
		n += strstr(g.warnings[i], "VMCOREINFO notes") != NULL &&
		     strstr(g.warnings[i], "3 VMCOREINFO notes in the guest's memory; using the one at frame 0x40 "
					   "(its init_uts_ns matches)") != NULL;
	return g.has_vmcoreinfo ? n : 100;
}

/* Opened for a writer, the search stops at the kernel's note (gfn 0x40); the copy after it is
 * counted from what the caller reads, and closing reads what it did not: every = 0 reads
 * nothing, 1 every frame, 2 every other one, 3 every third from the copy's frame 0x60 on. */
static void stream_case(struct fx *f, unsigned every)
{
	struct vmc_carve_options o = { .size = sizeof(o), .vmcs_layout = f->layout_path };
	struct vmc_carve *cv = NULL;
	struct vmc_dump *gd = NULL;
	char rel[65] = "";
	uint8_t *buf;
	void *scratch;

	vmc_diag_init(&f->d);
	REQUIRE(vmc_carve(f->dump, &o, &cv, &f->d) == VMC_OK);
	REQUIRE(vmc_guest_open_stream(cv, 0, &gd, &f->d) == VMC_OK);
	CHECK(vmc_dump_vmcoreinfo(gd, "OSRELEASE", rel, sizeof(rel)) && !strcmp(rel, "6.1.0-vmxtest"));
	CHECK_EQ(note_warnings(cv), 0); /* not yet: the copy at 0x60 is past the search */
	buf = malloc(gd->page_size);
	scratch = malloc(gd->scratch_size ? gd->scratch_size : 1);
	REQUIRE(buf && scratch);
	for (uint64_t pfn = 0; every && pfn < gd->max_pfn; pfn += every)
		if (vmc_bitmap_test(&gd->stored, pfn) && (every != 3 || pfn >= 0x60))
			CHECK(vmc_dump_read_page(gd, pfn, buf, scratch, &f->d) == VMC_OK);
	free(buf);
	free(scratch);
	vmc_dump_close(gd);
	CHECK_EQ(note_warnings(cv), 1);
	vmc_carve_free(cv);
}

TEST(vmcoreinfo_notes_counted_once_read)
{
	struct fx f;
	struct vmc_carve_options o;
	struct vmc_carve *cv = NULL;
	struct vmc_dump *gd = NULL;

	run(&f, "notes", KH_LAYOUT_FILE, 1);
	REQUIRE(f.rc == VMC_OK);
	/* vmc_guest_open searches everything up front */
	o = (struct vmc_carve_options){ .size = sizeof(o), .vmcs_layout = f.layout_path };
	REQUIRE(vmc_carve(f.dump, &o, &cv, &f.d) == VMC_OK);
	REQUIRE(vmc_guest_open(cv, 0, &gd, &f.d) == VMC_OK);
	CHECK_EQ(note_warnings(cv), 1);
	vmc_dump_close(gd);
	CHECK_EQ(note_warnings(cv), 1);
	vmc_carve_free(cv);
	for (unsigned every = 0; every < 4; every++)
		stream_case(&f, every);
	done(&f);
}
