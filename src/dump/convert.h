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
	vmc_progress_fn *progress;
	void *progress_arg;
	volatile sig_atomic_t *cancel; /* non-zero: stop (VMC_ERR_CANCELLED); NULL = never */
	bool keep_partial;             /* when cancelled: a writer that can stop keeps an incomplete output */
};

/* A page stream over every stored (and, with partial, missing) frame of a dump. */
/* threads > 1 reads (and decompresses) ahead on that many workers. */
enum vmc_status vmc_dump_pagestream_new(struct vmc_dump *dump, bool partial, unsigned threads,
					struct vmc_pagestream **ret, struct vmc_diag *d);

/* What a writer's begin() is told about a dump (with partial, its missing frames too). */
void vmc_dump_out_info(const struct vmc_dump *dump, bool partial, struct vmc_out_info *info);

/* Write every stored (with opts->partial, and missing) frame of a dump through the writer
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

#endif
