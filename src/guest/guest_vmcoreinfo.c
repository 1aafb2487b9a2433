/* guest_vmcoreinfo.c: finding a guest kernel's VMCOREINFO note in its own memory. Linux keeps
 * a complete ELF note (page-aligned since 4.13) from boot on; drgn refuses a vmcore without it
 * and crash needs it (or QEMU CPU notes) for KASLR and phys_base. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_dump.h"
#include "linux_info.h"
#include "notes.h"

#define NOTE_HDR VMC_GUEST_NOTE_HDR
#define RUN_FRAMES 64 /* 256 KiB: a buffer that stays in cache reads faster than 2 MiB runs */

size_t vmc_guest_vmcoreinfo_note_at(const uint8_t *page, uint32_t page_size)
{
	uint32_t h[3];
	size_t n;

	memcpy(h, page, 12);
	if (h[0] != 11 || h[2] != 0 || h[1] < 10 || h[1] > page_size - NOTE_HDR ||
	    memcmp(page + 12, "VMCOREINFO\0", 11) || memcmp(page + NOTE_HDR, "OSRELEASE=", 10))
		return 0;
	n = strnlen((const char *)page + NOTE_HDR, h[1]);
	return n;
}

bool vmc_guest_vmcoreinfo_check(const uint8_t *text, size_t len, vmc_guest_kva_read_fn *read, void *arg)
{
	uint64_t sym, off = 0, phys_base = 0;
	char rel[65], want[65];

	if (!vmcoreinfo_get(text, len, "OSRELEASE", want, sizeof(want)) ||
	    !vmcoreinfo_get_u64(text, len, "SYMBOL(init_uts_ns)", 16, &sym) || sym < VMC_X86_64_START_KERNEL_MAP)
		return false;
	vmcoreinfo_get_u64(text, len, "OFFSET(uts_namespace.name)", 10, &off);
	vmcoreinfo_get_u64(text, len, "NUMBER(phys_base)", 0, &phys_base);
	if (off > 4096 || !read(arg, sym + off + 2 * 65, phys_base, rel, sizeof(rel))) /* utsname.release */
		return false;
	rel[64] = 0;
	return strcmp(rel, want) == 0;
}

/* The guest-physical output being validated, with buffers for one frame. */
struct gphys_read {
	struct vmc_dump *gd;
	void *page, *scratch;
};

static bool gphys_kva_read(void *arg, uint64_t kva, uint64_t phys_base, void *buf, size_t len)
{
	struct gphys_read *r = arg;
	struct vmc_dump *gd = r->gd;
	uint64_t pa = kva - VMC_X86_64_START_KERNEL_MAP + phys_base;
	struct vmc_diag d;

	vmc_diag_init(&d);
	if ((pa & (gd->page_size - 1)) + len > gd->page_size)
		return false; /* straddles frames: not worth the complication for a check */
	if (vmc_dump_read_page(gd, pa >> gd->page_shift, r->page, r->scratch, &d))
		return false;
	memcpy(buf, (uint8_t *)r->page + (pa & (gd->page_size - 1)), len);
	return true;
}

/* For guest-physical outputs: the note is checked against init_uts_ns in the output itself. */
static bool validate(struct vmc_dump *gd, const uint8_t *text, size_t len, void *page, void *scratch)
{
	struct gphys_read r = { .gd = gd, .page = page, .scratch = scratch };

	return vmc_guest_vmcoreinfo_check(text, len, gphys_kva_read, &r);
}

enum vmc_status vmc_guest_prepare(struct vmc_dump *host, struct vmc_guest *g, struct vmc_diag *d)
{
	struct vmc_dump *gd = NULL;
	uint8_t *page = NULL, *vpage = NULL, *best = NULL, *cand = NULL, *run = NULL;
	void *scratch = NULL;
	size_t best_len = 0;
	uint64_t best_pfn = 0, ncand = 0;
	bool best_valid = false;
	enum vmc_status rc;

	if (g->has_vmcoreinfo || g->status)
		return VMC_OK;
	if ((rc = vmc_guest_dump_open(host, g, &gd, d)))
		return rc;
	page = malloc(gd->page_size);
	vpage = malloc(gd->page_size);
	best = malloc(gd->page_size);
	cand = malloc(gd->page_size);
	run = malloc((size_t)RUN_FRAMES << gd->page_shift); /* may fail: then frame by frame */
	scratch = malloc(gd->scratch_size ? gd->scratch_size : 1);
	if (!page || !vpage || !best || !cand || !scratch) {
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* This pass touches every frame before the writer does: read runs with pread (read_run)
	 * into one buffer rather than through the host's mapping, which would fault every page
	 * in (and out again when the resident window moves on). */
	for (uint64_t pfn = vmc_bitmap_next_set(&gd->stored, 0); pfn < gd->max_pfn;) {
		uint64_t end = vmc_bitmap_next_clear(&gd->stored, pfn), n = end - pfn;
		const uint8_t *base = NULL;

		if (n > RUN_FRAMES)
			n = RUN_FRAMES;
		if (run && gd->ops->read_run && n > 1) {
			struct vmc_diag tmp;
			vmc_diag_init(&tmp);
			if (gd->ops->read_run(gd, pfn, n, run, &tmp) == VMC_OK)
				base = run;
		}
		if (!base)
			n = 1;
		for (uint64_t k = 0; k < n; k++) {
			uint64_t f = pfn + k;
			const uint8_t *p = base ? base + (k << gd->page_shift) : page;
			struct vmc_diag tmp;
			size_t len;
			bool valid;

			vmc_diag_init(&tmp);
			if (!base && gd->ops->read_page(gd, f, page, scratch, &tmp))
				continue; /* an unreadable frame is reported by the writer, not here */
			if (!(len = vmc_guest_vmcoreinfo_note_at(p, gd->page_size)))
				continue;
			ncand++;
			if (!best_len || !best_valid) {
				memcpy(cand, p + NOTE_HDR, len);
				valid = g->space == VMC_SPACE_GUEST_PHYS && validate(gd, cand, len, vpage, scratch);
				if (!best_len || valid) {
					memcpy(best, cand, len);
					best_len = len;
					best_pfn = f;
					best_valid = valid;
				}
			}
		}
		pfn = vmc_bitmap_next_set(&gd->stored, pfn + n);
	}
	if (!best_len) {
		vmc_guest_warn(g, "no VMCOREINFO note found in the guest's memory: drgn will not open the output, crash needs the QEMU CPU notes");
		goto out;
	}
	if (ncand > 1)
		vmc_guest_warn(g, "%llu VMCOREINFO notes in the guest's memory; using the one at frame 0x%llx%s",
			       (unsigned long long)ncand, (unsigned long long)best_pfn,
			       best_valid ? " (its init_uts_ns matches)" : "");
	else if (g->space == VMC_SPACE_GUEST_PHYS && !best_valid)
		vmc_guest_warn(g, "the VMCOREINFO note at frame 0x%llx could not be checked against init_uts_ns",
			       (unsigned long long)best_pfn);
	if ((rc = vmc_guest_add_note(g, "VMCOREINFO", 0, best, best_len, d)))
		goto out;
	vmcoreinfo_get(best, best_len, "OSRELEASE", g->release, sizeof(g->release));
	g->vmcoreinfo_gpa = best_pfn << gd->page_shift;
	g->has_vmcoreinfo = true;
	vmc_guest_report(g, "vmcoreinfo.frame=0x%llx", (unsigned long long)best_pfn);
out:
	free(run);
	free(cand);
	free(page);
	free(vpage);
	free(best);
	free(scratch);
	vmc_dump_close(gd);
	return rc;
}
