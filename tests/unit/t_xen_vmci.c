/* t_xen_vmci.c: the search for a PV guest's VMCOREINFO note (src/xen/xen_vmci.c) over a host
 * dump built here: a guest of 8 search chunks whose p2m maps pfn i to mfn GUEST_MFN + i, with
 * only a few runs of its frames stored. The search, on one thread or two, must take the first
 * note in pfn order that validates through init_uts_ns, whichever thread reaches which chunk
 * first, and count the frames that began with the note's name up to it. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "harness.h"
#include "testdump.h"
#include "xen_vmci.h"

#define NPFN 16384ull	    /* 8 chunks of 2048 pfns */
#define LEAF_MFN 0x10ull    /* the p2m's 32 leaf pages */
#define GUEST_MFN 0x1000ull /* pfn i lives at mfn GUEST_MFN + i */
#define PICKLED 0x42u
#define UTS_PFN 0x10ull /* init_uts_ns at kernel address START_KERNEL_MAP + 0x10000 */
#define RELEASE "6.1.0-test"

struct note_page {
	uint8_t b[4096];
};

/* A VMCOREINFO note at the start of a frame, for a kernel of release; extra: more lines. */
static void make_note(struct note_page *pg, const char *release, const char *extra)
{
	char text[512];
	uint32_t h[3];
	int n = snprintf(text, sizeof(text),
			 "OSRELEASE=%s\nSYMBOL(init_uts_ns)=ffffffff80010000\nOFFSET(uts_namespace.name)=0\n%s",
			 release, extra);

	memset(pg->b, 0, sizeof(pg->b));
	h[0] = 11, h[1] = (uint32_t)n + 1, h[2] = 0;
	memcpy(pg->b, h, 12);
	memcpy(pg->b + 12, "VMCOREINFO", 11);
	memcpy(pg->b + 24, text, (size_t)n + 1);
}

struct host {
	uint64_t leaves[NPFN / 512][512];
	struct note_page decoy, name_only, low, high, uts;
	struct td_seg segs[8];
	struct td_patch patches[48];
	unsigned nsegs, npatches;
	uint8_t *elf;
	struct vmc_dump *dump;
};

static void patch(struct host *h, uint64_t mfn, const void *data, size_t len)
{
	h->patches[h->npatches++] = (struct td_patch){ .paddr = mfn << 12, .data = data, .len = len };
}

static void seg(struct host *h, uint64_t mfn, uint64_t count)
{
	h->segs[h->nsegs++] = (struct td_seg){ .paddr = mfn << 12, .memsz = count << 12, .filesz = count << 12 };
}

/* The host dump: leaf pages, init_uts_ns, and runs of the guest's frames holding a note with
 * the wrong release (pfn 0x120), the name alone (0x1000, a lone frame), the note (0x1804 in
 * chunk 3) and another (0x3002, chunk 6) when with_notes. */
static struct vmc_dump *build_host(struct host *h, bool with_notes)
{
	struct vmc_bytesrc *src;
	struct vmc_diag d;
	size_t len;

	memset(h, 0, sizeof(*h));
	for (uint64_t pfn = 0; pfn < NPFN; pfn++)
		h->leaves[pfn / 512][pfn % 512] = GUEST_MFN + pfn;
	for (unsigned i = 0; i < NPFN / 512; i++)
		patch(h, LEAF_MFN + i, h->leaves[i], sizeof(h->leaves[i]));
	seg(h, LEAF_MFN, NPFN / 512);
	memcpy(h->uts.b + 2 * 65, RELEASE, sizeof(RELEASE));
	patch(h, GUEST_MFN + UTS_PFN, h->uts.b, sizeof(h->uts.b));
	seg(h, GUEST_MFN + UTS_PFN, 1);
	make_note(&h->decoy, "9.9.9-other", "");
	patch(h, GUEST_MFN + 0x120, h->decoy.b, sizeof(h->decoy.b));
	seg(h, GUEST_MFN + 0x100, 64);
	memcpy(h->name_only.b + 12, "VMCOREINFO", 10);
	patch(h, GUEST_MFN + 0x1000, h->name_only.b, sizeof(h->name_only.b));
	seg(h, GUEST_MFN + 0x1000, 1);
	make_note(&h->low, RELEASE, "CRASHTIME=1\n");
	make_note(&h->high, RELEASE, "CRASHTIME=2\n");
	seg(h, GUEST_MFN + 0x1800, 8);
	seg(h, GUEST_MFN + 0x3000, 8);
	if (with_notes) {
		patch(h, GUEST_MFN + 0x1804, h->low.b, sizeof(h->low.b));
		patch(h, GUEST_MFN + 0x3002, h->high.b, sizeof(h->high.b));
	}
	h->elf = td_build_elf(
		&(struct td_spec){
			.segs = h->segs, .nsegs = h->nsegs, .seed = 7, .patches = h->patches, .npatches = h->npatches },
		&len);
	vmc_diag_init(&d);
	if (!h->elf || vmc_bytesrc_new_mem("host", h->elf, len, &src, &d))
		return NULL;
	if (vmc_dump_open_srcs(&src, 1, &h->dump, &d)) {
		harness_note("open: %s", d.msg);
		vmc_bytesrc_free(src);
		return NULL;
	}
	return h->dump;
}

static void free_host(struct host *h)
{
	vmc_dump_close(h->dump);
	free(h->elf);
}

/* One search over the host: the guest owns its frames, Xen the rest. */
static bool search(struct vmc_dump *dump, struct xen_vmci *r)
{
	struct xen_frun runs[] = { { 0, 0, XEN_PS_INUSE },
				   { GUEST_MFN, PICKLED, XEN_PS_INUSE },
				   { GUEST_MFN + NPFN, 0, XEN_PS_FREE } };
	struct xen_host x = { .dump = dump, .fruns = runs, .nfruns = 3, .nowner = GUEST_MFN + NPFN + 16 };
	uint64_t leaf[NPFN / 512];
	struct xen_p2m p = { .pm = &x.pm, .npfn = NPFN, .leaf = leaf, .nleaf = NPFN / 512 };
	struct xen_vmci_search *s = NULL;
	struct vmc_diag d;
	bool ok = true;

	vmc_diag_init(&d);
	for (unsigned i = 0; i < NPFN / 512; i++)
		leaf[i] = LEAF_MFN + i;
	if (vmc_physmem_init(&x.pm, dump, &d) || !(p.page = malloc(sizeof(*p.page))) ||
	    vmc_xen_vmci_begin(&x, &p, PICKLED, &s, &d)) {
		vmc_physmem_fini(&x.pm);
		free(p.page);
		return false;
	}
	p.page->leaf = ~0ull;
	/* the caller's own reads meanwhile, through x->pm, p's held page and x's hint: a new leaf
	 * page at nearly every step, for longer than the search takes */
	for (uint64_t k = 0; k < 64 * NPFN; k += 97) {
		uint64_t pfn = k % NPFN;
		ok = ok && vmc_xen_p2m_get(&p, pfn) == GUEST_MFN + pfn &&
		     vmc_xen_frames_own_ram(&x, GUEST_MFN + pfn, PICKLED);
	}
	vmc_xen_vmci_end(s, r);
	free(p.page);
	vmc_physmem_fini(&x.pm);
	return ok;
}

/* the CPUs this test may run on */
static int cpus(void)
{
	cpu_set_t set;
	return sched_getaffinity(0, sizeof(set), &set) ? 1 : CPU_COUNT(&set);
}

TEST(first_valid_note_in_pfn_order_on_any_thread)
{
	struct host *h = malloc(sizeof(*h));
	struct vmc_dump *dump;

	REQUIRE(h && (dump = build_host(h, true)));
	if (cpus() < 2)
		harness_note("one CPU: the search runs on one thread");
	for (int run = 0; run < 40; run++) { /* which thread takes which chunk varies */
		struct xen_vmci r;
		REQUIRE(search(dump, &r));
		REQUIRE(r.text != NULL);
		CHECK(strstr((const char *)r.text, "CRASHTIME=1") != NULL);
		CHECK_EQ(r.pfn, 0x1804);
		CHECK_EQ(r.mfn, GUEST_MFN + 0x1804);
		CHECK_EQ(r.ncand, 3); /* the wrong release, the name alone, the note */
		CHECK_EQ(r.threads, cpus() < 2 ? 1 : 2);
		free(r.text);
	}
	free_host(h);
	free(h);
}

TEST(one_thread_when_frames_read_are_logged)
{
	struct host *h = malloc(sizeof(*h));
	struct vmc_bitmap log;
	struct vmc_dump *dump;
	struct xen_vmci r;
	struct vmc_diag d;

	vmc_diag_init(&d);
	REQUIRE(h && (dump = build_host(h, true)));
	REQUIRE(vmc_bitmap_init(&log, dump->max_pfn, &d) == VMC_OK);
	dump->read_log = &log; /* what --keep-guests sets: one bitmap, so one thread */
	REQUIRE(search(dump, &r));
	REQUIRE(r.text != NULL);
	CHECK_EQ(r.threads, 1);
	CHECK_EQ(r.pfn, 0x1804);
	CHECK_EQ(r.ncand, 3);
	/* every frame looked at up to the note is logged, none past it */
	CHECK(vmc_bitmap_test(&log, GUEST_MFN + 0x120) && vmc_bitmap_test(&log, GUEST_MFN + 0x1804));
	CHECK(vmc_bitmap_test(&log, GUEST_MFN + UTS_PFN));
	CHECK(!vmc_bitmap_test(&log, GUEST_MFN + 0x3002));
	dump->read_log = NULL;
	vmc_bitmap_release(&log);
	free(r.text);
	free_host(h);
	free(h);
}

TEST(no_valid_note_counts_every_candidate)
{
	struct host *h = malloc(sizeof(*h));
	struct vmc_dump *dump;

	REQUIRE(h && (dump = build_host(h, false)));
	for (int run = 0; run < 10; run++) {
		struct xen_vmci r;
		REQUIRE(search(dump, &r));
		CHECK(r.text == NULL);
		CHECK_EQ(r.ncand, 2);
	}
	free_host(h);
	free(h);
}
