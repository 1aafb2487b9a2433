/* convert.h: the pipeline: a page stream from a dump, through a writer, into a sink. */
#ifndef VMC_CONVERT_H
#define VMC_CONVERT_H

#include <signal.h>

#include "dump.h"
#include "writer.h"

typedef void vmc_progress_fn(uint64_t done, uint64_t total, void *arg);

struct vmc_convert_opts {
	const struct vmc_writer_ops *writer;
	struct vmc_write_opts wopts;
	bool partial;             /* accept missing frames and mark the output incomplete */
	int dump_level;           /* makedumpfile -d bits to apply (0 = none); see vmc_convert */
	bool drop_zero;           /* with dump_level bit 1: leave all-zero frames out (ELF output) */
	bool keep_guests;         /* with dump_level: keep every frame carving the guests needs */
	const struct vmc_bitmap *select; /* frames to write (a subset of stored); NULL = all stored */
	vmc_progress_fn *progress;
	void *progress_arg;
	unsigned split_parts;     /* > 1: write part split_index (0-based) of a split set */
	unsigned split_index;
	volatile sig_atomic_t *cancel; /* non-zero: stop (VMC_ERR_CANCELLED); NULL = never */
	bool keep_partial;             /* when cancelled: a writer that can stop keeps an incomplete output */
};

/* A page stream over every stored (and, with partial, missing) frame of a dump. */
/* threads > 1 reads (and decompresses) ahead on that many workers. */
enum vmc_status vmc_dump_pagestream_new(struct vmc_dump *dump, bool partial, unsigned threads,
					struct vmc_pagestream **ret, struct vmc_diag *d);
/* The same over the stored frames in select only (NULL = all) within [start_pfn, end_pfn). */
enum vmc_status vmc_dump_pagestream_new_sel(struct vmc_dump *dump, const struct vmc_bitmap *select, uint64_t start_pfn,
					    uint64_t end_pfn, bool partial, unsigned threads,
					    struct vmc_pagestream **ret, struct vmc_diag *d);

/* Clear from select the frames whose data is all zero (reads each selected frame once);
 * *dropped counts them. */
enum vmc_status vmc_dump_drop_zero(struct vmc_dump *dump, struct vmc_bitmap *select, unsigned threads,
				   uint64_t *dropped, struct vmc_diag *d);

/* What a writer's begin() is told about a dump (with partial, its missing frames too). */
void vmc_dump_out_info(const struct vmc_dump *dump, bool partial, struct vmc_out_info *info);

/* Write every stored (or opts->select; with opts->partial, and missing) frame of a dump through the writer
 * into sink, as the dump describes itself (no checks, no facts added: see vmc_convert). On
 * success the sink is finished (renamed into place); on failure it is aborted, so no
 * complete-looking output remains. Cancelled (*opts->cancel set): VMC_ERR_CANCELLED, the
 * sink aborted, or with opts->keep_partial and a writer that can stop, finished as an
 * incomplete output (stats->partial_kept). */
enum vmc_status vmc_write_dump(struct vmc_dump *dump, struct vmc_bytesink *sink, const struct vmc_convert_opts *opts,
			       struct vmc_writer_stats *stats, struct vmc_diag *d);

/* Convert a whole dump into sink (src/pipeline.c): refuse missing frames unless
 * opts->partial, complete the kernel facts output headers need, then vmc_write_dump(). */
enum vmc_status vmc_convert(struct vmc_dump *dump, struct vmc_bytesink *sink, const struct vmc_convert_opts *opts,
			    struct vmc_writer_stats *stats, struct vmc_diag *d);

/* What dump level `level` would leave out of dump, per class (filtered[8], by the linux
 * pageclass order: zero, cache, private cache, user, free, hwpoison, offline, unmapped; zero
 * pages among the frames the other classes keep, as makedumpfile counts them), and how many
 * frames it keeps (*kept, zero ones not counted). Reads every kept frame for the zero test. */
enum vmc_status vmc_convert_classify(struct vmc_dump *dump, int level, unsigned threads, uint64_t *filtered,
				     uint64_t *kept, struct vmc_diag *d);

#endif
