/* filter_host.c: the dump level on a hypervisor host whose carver knows every frame's owner
 * (Xen's frame table): the hypervisor's own frames stay, free frames go with bit 16, each
 * domU's frames go with bit 8 (as makedumpfile -X) unless --keep-guests, and dom0's frames
 * are classified by dom0's own struct pages through its p2m. An unknown owner is kept. With
 * --keep-guests the frames the guests' names were read from (vmc_hv.name_frames) stay too. */
#include <string.h>

#include "api.h"
#include "filter_host.h"
#include "linux_pageclass.h"
#include "registry.h"

/* What the Xen route holds across its phases. */
struct hfilter {
	struct vmc_dump *host;
	struct vmc_carve *cv;
	const struct vmc_convert_opts *opts;
	struct vmc_bitmap *keep; /* host frames */
	uint64_t *filtered;
	uint64_t *guest_kept;
	int dom0;                /* guest index of the control domain, -1 when none */
	struct vmc_diag *d;
};

static bool owned_by(const struct vmc_hv *hv, uint64_t mfn, unsigned gi, size_t *hint)
{
	return vmc_hv_frame_owner(hv, mfn, hint) == VMC_HV_FRAME_GUEST + gi;
}

/* dom0's kept pfns (gkeep) carried to its machine frames: a frame goes only when every pfn
 * mapping it goes, and only when the frame table says dom0 owns it. */
static enum vmc_status dom0_apply(struct hfilter *f, const struct vmc_guest *g, const struct vmc_bitmap *gkeep,
				  uint64_t nomap_from)
{
	const struct vmc_hv *hv = &f->cv->hv;
	struct vmc_bitmap kept, dropped;
	enum vmc_status rc;
	size_t hint = 0;

	if ((rc = vmc_bitmap_init(&kept, f->keep->nbits, f->d)))
		return rc;
	if ((rc = vmc_bitmap_init(&dropped, f->keep->nbits, f->d))) {
		vmc_bitmap_release(&kept);
		return rc;
	}
	for (size_t k = 0; k < g->map.n; k++) {
		const struct vmc_gmap_ext *e = &g->map.ext[k];
		for (uint64_t i = 0; e->kind == VMC_GMAP_HOST && i < e->count; i++) {
			uint64_t pfn = e->pfn + i, mfn = e->src + i;
			if (mfn >= f->keep->nbits || !owned_by(hv, mfn, (unsigned)f->dom0, &hint))
				continue;
			/* past dom0's last mem_map section: makedumpfile's Xen path does not classify it */
			if (pfn >= nomap_from || pfn >= gkeep->nbits || vmc_bitmap_test(gkeep, pfn))
				vmc_bitmap_set(&kept, mfn);
			else
				vmc_bitmap_set(&dropped, mfn);
		}
	}
	for (uint64_t m = vmc_bitmap_next_set(&dropped, 0); m < dropped.nbits; m = vmc_bitmap_next_set(&dropped, m + 1))
		if (!vmc_bitmap_test(&kept, m))
			vmc_bitmap_clear(f->keep, m);
	vmc_bitmap_release(&kept);
	vmc_bitmap_release(&dropped);
	return VMC_OK;
}

/* dom0 by its own kernel: its struct pages, read through the carved guest (pfn space). */
static enum vmc_status dom0_filter(struct hfilter *f)
{
	const struct vmc_guest *g = &f->cv->hv.guests[f->dom0];
	struct vmc_dump *gd = NULL;
	struct vmc_bitmap gkeep = { 0 };
	struct vmc_pgc_counts c;
	struct vmc_lkmem km;
	struct vmc_diag d2;
	enum vmc_status rc = VMC_OK;

	vmc_diag_init(&d2);
	if (vmc_guest_open(f->cv, (unsigned)f->dom0, &gd, &d2) || gd->machine_frames || vmc_lkmem_init(&km, gd, &d2)) {
		vmc_warn(f->d, "%s: -d %d: domain %s cannot be classified by its struct pages (%s): its frames are kept",
			 f->host->name, f->opts->dump_level, g->id, d2.msg[0] ? d2.msg : "machine frames");
		vmc_dump_close(gd);
		return VMC_OK;
	}
	if (!(rc = vmc_bitmap_copy(&gkeep, &gd->stored, f->d))) {
		rc = vmc_linux_pageclass(&km, (unsigned)f->opts->dump_level, &gkeep, &c, f->d);
	}
	if (!rc) {
		for (unsigned i = VMC_PGC_CACHE; i < VMC_PGC_NOMAP; i++)
			f->filtered[i] += c.n[i];
		rc = dom0_apply(f, g, &gkeep, c.nomap_from);
	}
	vmc_bitmap_release(&gkeep);
	vmc_lkmem_fini(&km);
	vmc_dump_close(gd);
	return rc;
}

/* Frames by owner: free ones with bit 16; other domains' with bit 8 unless keep_guests. */
static void by_owner(struct hfilter *f)
{
	const struct vmc_hv *hv = &f->cv->hv;
	unsigned level = (unsigned)f->opts->dump_level;

	for (size_t i = 0; i < hv->nframe_runs; i++) {
		uint32_t o = hv->frame_runs[i].cls;
		uint64_t end = vmc_hv_frame_run_end(hv, i), *count;
		bool drop = !f->opts->keep_guests;
		if (o == VMC_HV_FRAME_FREE && (level & VMC_DL_FREE))
			count = &f->filtered[VMC_PGC_FREE], drop = true;
		else if (o >= VMC_HV_FRAME_GUEST && o != VMC_HV_FRAME_GUEST + (uint32_t)f->dom0 && (level & VMC_DL_USER))
			count = drop ? &f->filtered[VMC_PGC_USER] : f->guest_kept;
		else
			continue;
		for (uint64_t m = vmc_bitmap_next_set(f->keep, hv->frame_runs[i].mfn); m < end && m < f->keep->nbits;
		     m = vmc_bitmap_next_set(f->keep, m + 1)) {
			if (drop)
				vmc_bitmap_clear(f->keep, m);
			(*count)++;
		}
	}
}

uint64_t vmc_filter_host_keep_names(const struct vmc_hv *hv, const struct vmc_dump *host, struct vmc_bitmap *keep)
{
	uint64_t kept = 0;

	for (size_t i = 0; i < hv->nname_frames; i++) {
		uint64_t m = hv->name_frames[i];
		if (m < keep->nbits && vmc_bitmap_test(&host->stored, m) && !vmc_bitmap_test(keep, m)) {
			vmc_bitmap_set(keep, m);
			kept++;
		}
	}
	return kept;
}

enum vmc_status vmc_filter_host(struct vmc_dump *dump, const struct vmc_convert_opts *opts, struct vmc_bitmap *keep,
				uint64_t *filtered, uint64_t *guest_kept, bool *handled, struct vmc_diag *d)
{
	struct vmc_carve_options co = { .size = sizeof(co), .hypervisor = "xen" };
	struct hfilter f = { .host = dump, .opts = opts, .keep = keep, .filtered = filtered,
			    .guest_kept = guest_kept, .dom0 = -1, .d = d };
	struct vmc_diag d2;
	enum vmc_status rc = VMC_OK;

	*handled = false;
	vmc_diag_init(&d2);
	/* only Xen's carver has a frame owner table; its probe is cheap (notes, CPU page tables) */
	if (vmc_carver_xen.probe(dump, &(struct vmc_carve_opts){ 0 }) <= 0)
		return VMC_OK;
	if (vmc_carve(dump, &co, &f.cv, &d2) || !f.cv->hv.frame_runs) {
		vmc_carve_free(f.cv);
		return VMC_OK;
	}
	*handled = true;
	for (unsigned i = 0; i < f.cv->hv.nguests; i++)
		if (!strcmp(f.cv->hv.guests[i].id, "0"))
			f.dom0 = (int)i;
	if (f.dom0 >= 0 && (opts->dump_level & ~VMC_DL_ZERO))
		rc = dom0_filter(&f);
	if (!rc)
		by_owner(&f);
	/* the guests' names live in dom0 (xenstored's database, user memory): kept with them */
	if (!rc && opts->keep_guests)
		*guest_kept += vmc_filter_host_keep_names(&f.cv->hv, dump, keep);
	vmc_carve_free(f.cv);
	return rc;
}

enum vmc_status vmc_filter_host_keep_guests(struct vmc_dump *dump, struct vmc_bitmap *keep, struct vmc_diag *d)
{
	struct vmc_carve_options co = { .size = sizeof(co), .hypervisor = "xen" };
	struct vmc_carve *cv = NULL;
	struct vmc_diag d2;

	vmc_diag_init(&d2);
	if (vmc_carve(dump, &co, &cv, &d2) || !cv->hv.frame_runs) {
		vmc_warn(d, "--keep-guests: %s: no guests kept beyond the level", d2.msg);
		vmc_carve_free(cv);
		return VMC_OK;
	}
	/* every frame a domU owns, zero ones too (an ELF output's zero drop must not take them) */
	for (size_t i = 0; i < cv->hv.nframe_runs; i++) {
		uint32_t o = cv->hv.frame_runs[i].cls;
		if (o < VMC_HV_FRAME_GUEST || !strcmp(cv->hv.guests[o - VMC_HV_FRAME_GUEST].id, "0"))
			continue;
		for (uint64_t m = cv->hv.frame_runs[i].mfn; m < vmc_hv_frame_run_end(&cv->hv, i) && m < keep->nbits; m++)
			if (vmc_bitmap_test(&dump->stored, m))
				vmc_bitmap_set(keep, m);
	}
	vmc_carve_free(cv);
	return VMC_OK;
}
