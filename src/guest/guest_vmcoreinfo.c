/* guest_vmcoreinfo.c: finding a guest kernel's VMCOREINFO note in its own memory. Linux keeps
 * a complete ELF note (page-aligned since 4.13) from boot on; drgn refuses a vmcore without it
 * and crash needs it (or QEMU CPU notes) for KASLR and phys_base. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "guest_dump.h"
#include "linux_info.h"
#include "notes.h"

#define NOTE_HDR VMC_GUEST_NOTE_HDR
#define PREFETCH_AHEAD 16
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

/* One search for candidate notes over a guest's frames, with buffers for one frame. */
struct search {
	struct vmc_dump *gd;
	struct vmc_guest *g;
	uint8_t *page, *vpage, *best, *cand, *run;
	void *scratch;
	size_t best_len, run_bytes;
	uint64_t best_pfn, ncand;
	bool best_valid;
};

static enum vmc_status search_init(struct search *s, struct vmc_dump *gd, struct vmc_guest *g, struct vmc_diag *d)
{
	memset(s, 0, sizeof(*s));
	s->gd = gd;
	s->g = g;
	s->page = malloc(gd->page_size);
	s->vpage = malloc(gd->page_size);
	s->best = malloc(gd->page_size);
	s->cand = malloc(gd->page_size);
	/* at least 1 MiB from bigmem: one huge page rather than 64 fresh 4 KiB ones, each ~30 us
	 * to fault in under virtualisation (issue 14); may fail: then frame by frame */
	s->run_bytes = (size_t)RUN_FRAMES << gd->page_shift;
	s->run_bytes = s->run_bytes < (size_t)1 << 20 ? (size_t)1 << 20 : s->run_bytes;
	s->run = vmc_bigmem_alloc(s->run_bytes);
	s->scratch = malloc(gd->scratch_size ? gd->scratch_size : 1);
	if (!s->page || !s->vpage || !s->best || !s->cand || !s->scratch)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	return VMC_OK;
}

static void search_release(struct search *s)
{
	vmc_bigmem_free(s->run, s->run_bytes);
	free(s->cand);
	free(s->page);
	free(s->vpage);
	free(s->best);
	free(s->scratch);
}

/* Frame f's bytes p: count a candidate; until a valid one is found, keep the first candidate,
 * replaced by the first whose init_uts_ns matches. True once that valid one is found. */
static bool search_frame(struct search *s, uint64_t f, const uint8_t *p)
{
	size_t len = vmc_guest_vmcoreinfo_note_at(p, s->gd->page_size);
	bool valid;

	if (!len)
		return false;
	s->ncand++;
	if (s->best_len && s->best_valid)
		return false;
	memcpy(s->cand, p + NOTE_HDR, len);
	valid = s->g->space == VMC_SPACE_GUEST_PHYS && validate(s->gd, s->cand, len, s->vpage, s->scratch);
	if (!s->best_len || valid) {
		memcpy(s->best, s->cand, len);
		s->best_len = len;
		s->best_pfn = f;
		s->best_valid = valid;
	}
	return valid;
}

static bool word_test(const uint64_t *w, uint64_t i)
{
	return __atomic_load_n(&w[i >> 6], __ATOMIC_RELAXED) >> (i & 63) & 1;
}

/* The first stored frame >= pfn that skip (NULL: none) does not mark. */
static uint64_t next_frame(const struct search *s, const uint64_t *skip, uint64_t pfn)
{
	for (pfn = vmc_bitmap_next_set(&s->gd->stored, pfn); skip && pfn < s->gd->max_pfn && word_test(skip, pfn);)
		pfn = vmc_bitmap_next_set(&s->gd->stored, pfn + 1);
	return pfn;
}

/* one frame into s->page (a diag is 2 KiB to clear: not one per frame of a run) */
static bool read_frame(struct search *s, uint64_t pfn)
{
	struct vmc_diag tmp;

	vmc_diag_init(&tmp);
	return s->gd->ops->read_page(s->gd, pfn, s->page, s->scratch, &tmp) == VMC_OK;
}

/* Every stored frame from `from` on that skip does not mark, in order; with stop, up to the
 * first valid candidate. Returns the frame after the last one looked at. Runs are read with
 * pread (read_run) into one buffer rather than through the host's mapping, which would fault
 * every page in (and out again when the resident window moves on). */
static uint64_t search_frames(struct search *s, uint64_t from, const uint64_t *skip, bool stop)
{
	struct vmc_dump *gd = s->gd;

	for (uint64_t pfn = next_frame(s, skip, from); pfn < gd->max_pfn;) {
		uint64_t n = vmc_bitmap_next_clear_before(&gd->stored, pfn, gd->max_pfn - pfn > RUN_FRAMES ? pfn + RUN_FRAMES : gd->max_pfn) - pfn;
		const uint8_t *base = NULL;

		for (uint64_t k = 1; skip && k < n; k++)
			if (word_test(skip, pfn + k))
				n = k;
		if (s->run && gd->ops->read_run && n > 1) {
			struct vmc_diag tmp;
			vmc_diag_init(&tmp);
			if (gd->ops->read_run(gd, pfn, n, s->run, &tmp) == VMC_OK)
				base = s->run;
		}
		if (!base)
			n = 1;
		for (uint64_t k = 0; k < n; k++) {
			if (!base && !read_frame(s, pfn + k))
				continue; /* an unreadable frame is reported by the writer, not here */
			if (search_frame(s, pfn + k, base ? base + (k << gd->page_shift) : s->page) && stop)
				return pfn + k + 1;
		}
		pfn = next_frame(s, skip, pfn + n);
	}
	return gd->max_pfn;
}

static void warn_many(struct vmc_guest *g, uint64_t ncand, uint64_t best_pfn, bool best_valid)
{
	vmc_guest_warn(g, "%llu VMCOREINFO notes in the guest's memory; using the one at frame 0x%llx%s",
		       (unsigned long long)ncand, (unsigned long long)best_pfn,
		       best_valid ? " (its init_uts_ns matches)" : "");
}

/* What the search found goes into g; with counted false the warning about several candidates
 * is left to vmc_guest_vmci_finish(). */
static enum vmc_status search_conclude(struct search *s, bool counted, struct vmc_diag *d)
{
	struct vmc_guest *g = s->g;
	enum vmc_status rc;

	if (!s->best_len) {
		vmc_guest_warn(g, "no VMCOREINFO note found in the guest's memory: drgn will not open the output, crash needs the QEMU CPU notes");
		return VMC_OK;
	}
	if (counted && s->ncand > 1)
		warn_many(g, s->ncand, s->best_pfn, s->best_valid);
	else if (g->space == VMC_SPACE_GUEST_PHYS && !s->best_valid)
		vmc_guest_warn(g, "the VMCOREINFO note at frame 0x%llx could not be checked against init_uts_ns",
			       (unsigned long long)s->best_pfn);
	if ((rc = vmc_guest_add_note(g, "VMCOREINFO", 0, s->best, s->best_len, d)))
		return rc;
	vmcoreinfo_get(s->best, s->best_len, "OSRELEASE", g->release, sizeof(g->release));
	g->vmcoreinfo_gpa = s->best_pfn << s->gd->page_shift;
	g->has_vmcoreinfo = true;
	vmc_guest_report(g, "vmcoreinfo.frame=0x%llx", (unsigned long long)s->best_pfn);
	return VMC_OK;
}

/* The count of candidate notes still to be made after a search that stopped at its choice. */
struct vmc_guest_vmci {
	uint64_t from;     /* frames below were searched */
	uint64_t ncand;    /* candidates found so far (atomic) */
	uint64_t best_pfn; /* the note chosen (its init_uts_ns matches) */
	uint64_t *checked; /* frames from `from` on whose bytes were looked at (atomic words) */
};

static enum vmc_status prepare(struct vmc_dump *host, struct vmc_guest *g, struct vmc_guest_vmci **watch,
			       struct vmc_diag *d)
{
	struct vmc_dump *gd = NULL;
	struct search s;
	uint64_t stop;
	enum vmc_status rc;

	if (g->has_vmcoreinfo || g->vmci_searched || g->status)
		return VMC_OK;
	if ((rc = vmc_guest_dump_open(host, g, &gd, d)))
		return rc;
	if ((rc = search_init(&s, gd, g, d)))
		goto out;
	stop = search_frames(&s, 0, NULL, watch != NULL);
	if (watch && stop < gd->max_pfn) {
		struct vmc_guest_vmci *w = calloc(1, sizeof(*w));
		if (!w || !(w->checked = calloc(gd->max_pfn / 64 + 1, sizeof(uint64_t)))) {
			free(w);
			search_frames(&s, stop, NULL, false); /* no memory to defer: count the rest now */
		} else {
			*w = (struct vmc_guest_vmci){ .from = stop, .ncand = s.ncand, .best_pfn = s.best_pfn, .checked = w->checked };
			*watch = w;
		}
	}
	rc = search_conclude(&s, !watch || !*watch, d);
	if (rc && watch) {
		vmc_guest_vmci_free(*watch);
		*watch = NULL;
	}
out:
	search_release(&s);
	vmc_dump_close(gd);
	return rc;
}

enum vmc_status vmc_guest_prepare(struct vmc_dump *host, struct vmc_guest *g, struct vmc_diag *d)
{
	return prepare(host, g, NULL, d);
}

enum vmc_status vmc_guest_prepare_stream(struct vmc_dump *host, struct vmc_guest *g, struct vmc_guest_vmci **watch,
					 struct vmc_diag *d)
{
	*watch = NULL;
	return prepare(host, g, watch, d);
}

/* One locked fetch_or per 64 frames, not per frame: a locked instruction keeps the loads after
 * it from starting early, and each frame's first line is a cache miss (issue 14: 3 % of an
 * extract when it was one per frame). */
void vmc_guest_vmci_seen(struct vmc_guest_vmci *w, uint64_t pfn, uint64_t count, const uint8_t *data,
			 uint32_t page_size, unsigned page_shift)
{
	uint64_t found = 0;

	for (uint64_t k = pfn < w->from ? w->from - pfn : 0; k < count;) {
		uint64_t f = pfn + k, lo = f & 63, n;
		uint64_t fresh = vmc_bitmap_words_claim(w->checked, f, count - k, ~0ull, &n);

		for (uint64_t j = 0; j < n; j++) {
			if (k + j + PREFETCH_AHEAD < count) /* the first lines are misses: overlap them */
				__builtin_prefetch(data + ((k + j + PREFETCH_AHEAD) << page_shift));
			if (fresh >> (lo + j) & 1)
				found += vmc_guest_vmcoreinfo_note_at(data + ((k + j) << page_shift), page_size) != 0;
		}
		k += n;
	}
	if (found)
		__atomic_fetch_add(&w->ncand, found, __ATOMIC_RELAXED);
}

void vmc_guest_vmci_finish(struct vmc_guest_vmci *w, struct vmc_dump *gd, struct vmc_guest *g)
{
	struct search s;
	struct vmc_diag d;

	vmc_diag_init(&d);
	if (search_init(&s, gd, g, &d) == VMC_OK) {
		s.best_len = 1; /* the choice is made: count only */
		s.best_valid = true;
		search_frames(&s, w->from, w->checked, false);
		if (w->ncand + s.ncand > 1)
			warn_many(g, w->ncand + s.ncand, w->best_pfn, true);
	} else {
		vmc_guest_warn(g, "out of memory: the guest's memory was not searched for more than one VMCOREINFO note");
	}
	search_release(&s);
}

void vmc_guest_vmci_free(struct vmc_guest_vmci *w)
{
	if (w)
		free(w->checked);
	free(w);
}
