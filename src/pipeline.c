/* pipeline.c: convert = the checks and kernel facts a complete output needs, the dump level's
 * filter (which frames to write), then the format-agnostic loop of dump/convert.c. Lives at
 * the top because it reads the Linux kernel inside the dump (linux/linux_info.c,
 * linux/linux_pageclass.c). */
#include <string.h>

#include "api.h"
#include "convert.h"
#include "filter_host.h"
#include "linux_info.h"
#include "linux_pageclass.h"
#include "registry.h"
#include "notes.h"

/* Set in keep the stored frames of every guest's map and every frame the carver read. */
static void keep_guest(struct vmc_carve *cv, unsigned i, struct vmc_bitmap *keep, struct vmc_diag *d)
{
	struct vmc_dump *gd = NULL, *host = cv->host;
	struct vmc_guest *g = &cv->hv.guests[i];
	struct vmc_diag d2;

	vmc_diag_init(&d2);
	if (vmc_guest_open(cv, i, &gd, &d2)) {
		vmc_warn(d, "--keep-guests: guest %s cannot be carved (%s): only what the level keeps of it stays", g->id,
			 d2.msg);
		return;
	}
	for (size_t k = 0; k < g->map.n; k++) {
		const struct vmc_gmap_ext *e = &g->map.ext[k];
		if (!vmc_gmap_kind_host(e->kind))
			continue;
		for (uint64_t p = vmc_bitmap_next_set(&host->stored, e->src); p < e->src + e->count && p < keep->nbits;
		     p = vmc_bitmap_next_set(&host->stored, p + 1))
			vmc_bitmap_set(keep, p);
	}
	vmc_dump_close(gd);
}

/* --keep-guests: carve the host as `split` would, logging every frame read, and keep those
 * and each guest's frames, so the filtered file carves to the same guests. */
static enum vmc_status keep_guests(struct vmc_dump *dump, struct vmc_bitmap *keep, uint64_t *kept, struct vmc_diag *d)
{
	struct vmc_bitmap log;
	struct vmc_carve *cv = NULL;
	struct vmc_diag d2;
	uint64_t before = vmc_bitmap_count(keep);
	enum vmc_status rc;

	if ((rc = vmc_bitmap_init(&log, dump->stored.nbits, d)))
		return rc;
	dump->read_log = &log;
	vmc_diag_init(&d2);
	if (vmc_carve(dump, NULL, &cv, &d2)) {
		vmc_warn(d, "--keep-guests: %s: no guests kept beyond the level", d2.msg);
	} else {
		for (unsigned i = 0; i < cv->hv.nguests; i++)
			keep_guest(cv, i, keep, d);
		for (uint64_t p = vmc_bitmap_next_set(&log, 0); p < log.nbits; p = vmc_bitmap_next_set(&log, p + 1))
			if (vmc_bitmap_test(&dump->stored, p))
				vmc_bitmap_set(keep, p);
	}
	vmc_carve_free(cv);
	dump->read_log = NULL;
	vmc_bitmap_release(&log);
	*kept = vmc_bitmap_count(keep) - before;
	return VMC_OK;
}
/* The frames `level` keeps, in *keep (a copy of the stored set). Filtering never fails the
 * conversion for want of kernel facts: what cannot be classified is kept, with a warning. */
static enum vmc_status filter(struct vmc_dump *dump, const struct vmc_convert_opts *opts, struct vmc_bitmap *keep,
			      uint64_t *filtered, uint64_t *guest_kept, struct vmc_diag *d)
{
	struct vmc_pgc_counts c;
	struct vmc_lkmem km;
	struct vmc_diag d2;
	enum vmc_status rc;
	struct vmc_note vi;
	bool by_owner = false;

	if ((rc = vmc_bitmap_copy(keep, &dump->stored, d)))
		return rc;
	vmc_diag_init(&d2);
	/* a hypervisor host by frame owner: Xen's dumps carry Xen's VMCOREINFO_XEN, not a kernel's */
	if (!dump->machine_frames && !vmc_notes_find(dump->notes, dump->notes_len, "VMCOREINFO", &vi) &&
	    (rc = vmc_filter_host(dump, opts, keep, filtered, guest_kept, &by_owner, d)))
		return rc;
	if (by_owner) {
		/* a Xen host: filtered by frame owner, dom0 by its own struct pages */
	} else if (dump->machine_frames) {
		/* a Xen PV guest by machine frame: its struct pages are indexed by its own pfns */
		if (opts->dump_level & ~VMC_DL_ZERO)
			vmc_warn(d, "%s: -d %d: a PV guest in machine frames cannot be classified by its struct pages: only zero pages can be dropped",
				 dump->name, opts->dump_level);
	} else if (vmc_lkmem_init(&km, dump, &d2)) {
		if (opts->dump_level & ~VMC_DL_ZERO)
			vmc_warn(d, "%s: -d %d: %s: only zero pages can be dropped", dump->name, opts->dump_level, d2.msg);
	} else {
		rc = vmc_linux_pageclass(&km, (unsigned)opts->dump_level, keep, &c, d);
		vmc_lkmem_fini(&km);
		if (rc)
			return rc;
		for (unsigned i = 0; i < VMC_PGC_N; i++)
			filtered[i] = c.n[i];
	}
	if (opts->drop_zero && (opts->dump_level & VMC_DL_ZERO) &&
	    (rc = vmc_dump_drop_zero(dump, keep, opts->wopts.threads, &filtered[VMC_PGC_ZERO], d)))
		return rc;
	if (opts->keep_guests && by_owner) {
		uint64_t before = vmc_bitmap_count(keep);
		rc = opts->drop_zero ? vmc_filter_host_keep_guests(dump, keep, d) : VMC_OK;
		/* what comes back are the domUs' zero frames the ELF zero test dropped */
		filtered[VMC_PGC_ZERO] -= vmc_bitmap_count(keep) - before;
		*guest_kept += vmc_bitmap_count(keep) - before;
	} else if (opts->keep_guests) {
		rc = keep_guests(dump, keep, guest_kept, d);
	}
	return rc ? rc : vmc_bitmap_check(keep, "kept frames", d);
}

enum vmc_status vmc_convert(struct vmc_dump *dump, struct vmc_bytesink *sink, const struct vmc_convert_opts *opts,
			    struct vmc_writer_stats *stats, struct vmc_diag *d)
{
	struct vmc_convert_opts o = *opts;
	struct vmc_bitmap keep = { 0 };
	uint64_t filtered[8] = { 0 }, guest_kept = 0;
	enum vmc_status rc;

	/* refused before anything is written; the caller's vmc_bytesink_free() aborts the sink */
	if ((dump->nmissing || dump->incomplete_flag) && !opts->partial)
		return vmc_fail(d, VMC_ERR_MISSING, "%s%s; %llu frame(s) missing: pass --partial to convert what is there",
				dump->missing_why[0] ? dump->missing_why : dump->name,
				dump->missing_why[0] ? "" : ": the dump is incomplete", (unsigned long long)dump->nmissing);
	if (o.writer == &vmc_writer_elf && !dump->e_machine && dump->uts.machine[0])
		/* an ELF header claiming x86_64 (or nothing) would lie; kdump keeps the name */
		return vmc_fail_at(d, VMC_ERR_UNSUPPORTED, dump->name, dump->machine_off,
				   "machine '%.64s' has no ELF e_machine known to vmcarve: convert to kdump instead",
				   dump->uts.machine);
	vmc_linux_info_fill(dump);
	if (o.dump_level > 0) {
		/* an input already filtered: its level and ours, as makedumpfile */
		if (dump->dump_level > 0)
			o.dump_level |= dump->dump_level & VMC_DL_MAX;
		if ((rc = filter(dump, &o, &keep, filtered, &guest_kept, d))) {
			vmc_bitmap_release(&keep);
			return rc;
		}
		o.select = &keep;
	}
	rc = vmc_write_dump(dump, sink, &o, stats, d);
	if (stats) {
		memcpy(stats->filtered, filtered, sizeof(filtered));
		stats->guest_kept = guest_kept;
	}
	vmc_bitmap_release(&keep);
	return rc;
}

enum vmc_status vmc_convert_classify(struct vmc_dump *dump, int level, unsigned threads, uint64_t *filtered,
				     uint64_t *kept, struct vmc_diag *d)
{
	struct vmc_convert_opts o = { .dump_level = level, .drop_zero = (level & VMC_DL_ZERO) != 0 };
	struct vmc_bitmap keep = { 0 };
	uint64_t guest_kept = 0;
	enum vmc_status rc;

	o.wopts.threads = threads;
	vmc_linux_info_fill(dump);
	memset(filtered, 0, VMC_PGC_N * sizeof(*filtered));
	if (!(rc = filter(dump, &o, &keep, filtered, &guest_kept, d)))
		*kept = vmc_bitmap_count(&keep);
	vmc_bitmap_release(&keep);
	return rc;
}
