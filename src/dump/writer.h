/* writer.h: the output side. The pipeline calls begin() once with everything the headers
 * need, then page() for every frame of `stored` (and `missing`) in ascending order, then end().
 * Writers never see readers or carvers; they only see this description and the pages. */
#ifndef VMC_WRITER_H
#define VMC_WRITER_H

#include "bitmap.h"
#include "bytesink.h"
#include "codec.h"
#include "kinfo.h"
#include "pagestream.h"

struct vmc_out_info {
	uint32_t page_size;
	uint64_t max_pfn;
	const struct vmc_bitmap *ram;     /* frames that exist */
	const struct vmc_bitmap *stored;  /* frames whose data will be passed to page() */
	const struct vmc_bitmap *missing; /* frames that should be there but are not; may be NULL */
	const uint8_t *notes;
	size_t notes_len;
	const struct vmc_uts *uts;
	uint64_t phys_base;
	bool has_phys_base;
	uint16_t e_machine;
	const struct vmc_ktext *ktext; /* NULL when none */
	int dump_level;                /* carried into the kdump sub-header; -1 = unknown */
	/* one part of a split set (makedumpfile --split): page() gets only the frames in
	 * [start_pfn, end_pfn); the bitmaps still describe the whole dump */
	bool split;
	uint64_t start_pfn, end_pfn;
};

struct vmc_write_opts {
	enum vmc_codec_id codec;
	unsigned threads;
	bool dedup;
	bool zero_share;  /* all-zero pages share one descriptor even without dedup (kdump, -d 1) */
};

struct vmc_writer_stats {
	uint64_t pages, zero_pages, dedup_pages, raw_pages, missing_pages;
	uint64_t bytes_out;
	uint64_t filtered[8]; /* frames dropped by the dump level, per class (set by the pipeline) */
	uint64_t guest_kept;  /* frames the level would drop but --keep-guests kept */
	bool partial_kept; /* stopped early (stop()) and finished as an incomplete output */
};

struct vmc_writer;

struct vmc_writer_ops {
	const char *name;
	enum vmc_status (*new)(struct vmc_bytesink *sink, const struct vmc_write_opts *opts,
			       struct vmc_writer **ret, struct vmc_diag *d);
	enum vmc_status (*begin)(struct vmc_writer *w, const struct vmc_out_info *info, struct vmc_diag *d);
	/* pg->missing set: the frame could not be read (only with --partial). VMC_DONE: the writer
	 * takes no more pages (it ran out of space); end() then keeps what was written. */
	enum vmc_status (*page)(struct vmc_writer *w, const struct vmc_page *pg, struct vmc_diag *d);
	/* Optional: where the writer would copy the next pages to, and room for how many (*n; 0 or
	 * NULL: none now). The pipeline reads pages straight there; page() then finds a page's data
	 * already in place and skips the copy. */
	uint8_t *(*slots)(struct vmc_writer *w, size_t *n);
	/* With slots(): page() also takes pages still to be read there (pg->unread): the writer
	 * reads them itself, on its workers, before it looks at their bytes. */
	bool reads_unread;
	/* Optional: take no more pages; end() then finishes what was written as an incomplete
	 * output (the run was cancelled). VMC_ERR_UNSUPPORTED when this output cannot be. */
	enum vmc_status (*stop)(struct vmc_writer *w);
	enum vmc_status (*end)(struct vmc_writer *w, struct vmc_writer_stats *stats, struct vmc_diag *d);
	void (*free)(struct vmc_writer *w);
};

#endif
