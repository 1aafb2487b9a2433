/* pipeline.c: convert = the checks and kernel facts a complete output needs, the dump level's
 * filter (which frames to write), then the format-agnostic loop of dump/convert.c. Lives at
 * the top because it reads the Linux kernel inside the dump (linux/linux_info.c,
 * linux/linux_pageclass.c). */
#include <string.h>

#include "convert.h"
#include "linux_info.h"
#include "linux_pageclass.h"

/* The frames `level` keeps, in *keep (a copy of the stored set). Filtering never fails the
 * conversion for want of kernel facts: what cannot be classified is kept, with a warning. */
static enum vmc_status filter(struct vmc_dump *dump, const struct vmc_convert_opts *opts, struct vmc_bitmap *keep,
			      uint64_t *filtered, struct vmc_diag *d)
{
	struct vmc_pgc_counts c;
	struct vmc_lkmem km;
	struct vmc_diag d2;
	enum vmc_status rc;

	if ((rc = vmc_bitmap_init(keep, dump->stored.nbits, d)))
		return rc;
	memcpy(keep->words, dump->stored.words, ((dump->stored.nbits + 63) / 64) * 8);
	vmc_diag_init(&d2);
	if (dump->machine_frames) {
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
	if (opts->drop_zero && (opts->dump_level & VMC_DL_ZERO))
		rc = vmc_dump_drop_zero(dump, keep, opts->wopts.threads, &filtered[VMC_PGC_ZERO], d);
	return rc;
}

enum vmc_status vmc_convert(struct vmc_dump *dump, struct vmc_bytesink *sink, const struct vmc_convert_opts *opts,
			    struct vmc_writer_stats *stats, struct vmc_diag *d)
{
	struct vmc_convert_opts o = *opts;
	struct vmc_bitmap keep = { 0 };
	uint64_t filtered[8] = { 0 };
	enum vmc_status rc;

	/* refused before anything is written; the caller's vmc_bytesink_free() aborts the sink */
	if ((dump->nmissing || dump->incomplete_flag) && !opts->partial)
		return vmc_fail(d, VMC_ERR_MISSING, "%s%s; %llu frame(s) missing: pass --partial to convert what is there",
				dump->missing_why[0] ? dump->missing_why : dump->name,
				dump->missing_why[0] ? "" : ": the dump is incomplete", (unsigned long long)dump->nmissing);
	vmc_linux_info_fill(dump);
	if (o.dump_level > 0) {
		/* an input already filtered: its level and ours, as makedumpfile */
		if (dump->dump_level > 0)
			o.dump_level |= dump->dump_level & VMC_DL_MAX;
		if ((rc = filter(dump, &o, &keep, filtered, d))) {
			vmc_bitmap_release(&keep);
			return rc;
		}
		o.select = &keep;
	}
	rc = vmc_write_dump(dump, sink, &o, stats, d);
	if (stats)
		memcpy(stats->filtered, filtered, sizeof(filtered));
	vmc_bitmap_release(&keep);
	return rc;
}
