/* convert.c: the core loop: the only code that drives a writer's begin/page/end. */
#include "convert.h"
#include "split_plan.h"

void vmc_dump_out_info(const struct vmc_dump *dump, bool partial, struct vmc_out_info *info)
{
	*info = (struct vmc_out_info){
		.page_size = dump->page_size,
		.max_pfn = dump->max_pfn,
		.ram = &dump->ram,
		.stored = &dump->stored,
		.missing = partial && vmc_bitmap_live(&dump->missing) ? &dump->missing : NULL,
		.notes = dump->notes,
		.notes_len = dump->notes_len,
		.uts = dump->has_uts ? &dump->uts : NULL,
		.phys_base = dump->phys_base,
		.has_phys_base = dump->has_phys_base,
		.e_machine = dump->e_machine,
		.ktext = dump->has_ktext ? &dump->ktext : NULL,
		.dump_level = dump->dump_level,
		.end_pfn = dump->max_pfn,
	};
}

/* With opts->split_parts > 1, this run writes one part: its frame range in info, balanced
 * over the frames the output stores (after any dump-level selection). */
static void split_range(const struct vmc_convert_opts *opts, struct vmc_out_info *info)
{
	if (opts->split_parts < 2)
		return;
	info->split = true;
	vmc_split_plan_range(info->stored, info->missing, info->max_pfn, opts->split_parts, opts->split_index,
			     &info->start_pfn, &info->end_pfn);
}

static bool is_cancelled(const struct vmc_convert_opts *opts)
{
	return opts->cancel && *opts->cancel;
}

/* Cancelled mid-write: keep what was written as an incomplete output when asked and the
 * writer can (kdump into a file), else leave the sink to be aborted. */
static enum vmc_status stop_early(struct vmc_writer *w, struct vmc_bytesink *sink, const struct vmc_convert_opts *opts,
				  struct vmc_writer_stats *stats, struct vmc_diag *d)
{
	enum vmc_status rc;

	if (!opts->keep_partial || !opts->writer->stop || opts->writer->stop(w) != VMC_OK)
		return vmc_fail(d, VMC_ERR_CANCELLED, "%s: interrupted", sink->name);
	if ((rc = opts->writer->end(w, stats, d)) || (rc = sink->ops->finish(sink, d)))
		return vmc_wrap(d, rc, "interrupted; finishing the partial output");
	stats->partial_kept = true;
	return vmc_fail(d, VMC_ERR_CANCELLED, "%s: interrupted; kept %llu of %llu pages, the output is marked INCOMPLETE",
			sink->name, (unsigned long long)stats->pages,
			(unsigned long long)(stats->pages + stats->missing_pages));
}

enum { FILL_MAX = 256 };

/* The next pages: read straight into the writer's own buffer where both sides can (no copy
 * of each page into a batch; left unread for a writer that reads them on its workers), else
 * one from the stream. */
static enum vmc_status next_pages(struct vmc_pagestream *ps, struct vmc_writer *w, const struct vmc_convert_opts *opts,
				  struct vmc_page *pgs, size_t *n, struct vmc_diag *d)
{
	size_t room = 0;
	uint8_t *dst = opts->writer->slots && ps->ops->fill ? opts->writer->slots(w, &room) : NULL;

	if (dst && room)
		return ps->ops->fill(ps, dst, room < FILL_MAX ? room : FILL_MAX, opts->writer->reads_unread, pgs, n, d);
	*n = 1;
	return vmc_pagestream_next(ps, pgs, d);
}

/* Every page of the stream into the writer; VMC_DONE at the end (or when the writer is full). */
static enum vmc_status write_pages(struct vmc_pagestream *ps, struct vmc_writer *w, struct vmc_bytesink *sink,
				   const struct vmc_convert_opts *opts, struct vmc_writer_stats *stats,
				   struct vmc_diag *d)
{
	uint64_t done = 0;
	struct vmc_page pgs[FILL_MAX];
	size_t n;
	enum vmc_status rc;

	for (;;) {
		/* VMC_DONE after the last page: complete, even if a signal came just now */
		if ((rc = next_pages(ps, w, opts, pgs, &n, d)))
			return rc;
		for (size_t i = 0; i < n; i++) {
			/* a volatile read per page: the cheapest way to stop within a page */
			if (is_cancelled(opts))
				return stop_early(w, sink, opts, stats, d);
			/* VMC_DONE: the writer takes no more pages (out of space; end() keeps what it has) */
			if ((rc = opts->writer->page(w, &pgs[i], d)))
				return rc;
			if (opts->progress && (++done & 4095) == 0)
				opts->progress(done, ps->total, opts->progress_arg);
		}
	}
}

enum vmc_status vmc_write_dump(struct vmc_dump *dump, struct vmc_bytesink *sink, const struct vmc_convert_opts *opts,
			       struct vmc_writer_stats *stats, struct vmc_diag *d)
{
	struct vmc_pagestream *ps = NULL;
	struct vmc_writer *w = NULL;
	struct vmc_writer_stats own = { 0 };
	struct vmc_out_info info;
	enum vmc_status rc;

	if (!stats)
		stats = &own;
	stats->partial_kept = false; /* read on every failure path below, before the writer fills stats */
	vmc_dump_out_info(dump, opts->partial, &info);
	if (opts->select)
		info.stored = opts->select;
	if (opts->dump_level > 0)
		info.dump_level = opts->dump_level;
	split_range(opts, &info);
	if (is_cancelled(opts)) {
		rc = vmc_fail(d, VMC_ERR_CANCELLED, "%s: interrupted", sink->name);
		goto out;
	}
	if ((rc = vmc_dump_pagestream_new_sel(dump, opts->select, info.start_pfn, info.end_pfn, opts->partial,
					      opts->wopts.threads, &ps, d)))
		goto out;
	if ((rc = opts->writer->new(sink, &opts->wopts, &w, d)))
		goto out;
	if ((rc = opts->writer->begin(w, &info, d)))
		goto out;
	if ((rc = write_pages(ps, w, sink, opts, stats, d)) != VMC_DONE)
		goto out;
	if ((rc = opts->writer->end(w, stats, d)))
		goto out;
	if (opts->progress)
		opts->progress(ps->total, ps->total, opts->progress_arg);
	rc = sink->ops->finish(sink, d);
out:
	/* a failed write after a signal (EPIPE after SIGPIPE, say) is the interruption */
	if (rc < 0 && rc != VMC_ERR_CANCELLED && is_cancelled(opts))
		rc = vmc_wrap(d, VMC_ERR_CANCELLED, "interrupted");
	if (opts->writer && w)
		opts->writer->free(w);
	vmc_pagestream_free(ps);
	if (rc && !stats->partial_kept && sink->ops->abort)
		sink->ops->abort(sink);
	return rc;
}

enum vmc_status vmc_dump_drop_zero(struct vmc_dump *dump, struct vmc_bitmap *select, unsigned threads,
				   uint64_t *dropped, struct vmc_diag *d)
{
	struct vmc_pagestream *ps = NULL;
	struct vmc_page pg;
	enum vmc_status rc;

	*dropped = 0;
	if ((rc = vmc_dump_pagestream_new_sel(dump, select, 0, dump->max_pfn, false, threads, &ps, d)))
		return rc;
	while ((rc = vmc_pagestream_next(ps, &pg, d)) == VMC_OK) {
		if (vmc_page_is_zero(pg.data, dump->page_size)) {
			vmc_bitmap_clear(select, pg.pfn);
			(*dropped)++;
		}
	}
	vmc_pagestream_free(ps);
	return rc == VMC_DONE ? VMC_OK : rc;
}
