/* dump_stream.c: the page stream of a dump: every stored frame in ascending order, read
 * through the dump's reader. With partial, frames the dump lacks come out as missing. */
#include <stdlib.h>

#include "convert.h"

enum { RUN_PAGES = 256 };

struct dump_stream {
	struct vmc_pagestream ps;
	struct vmc_dump *dump;
	bool partial;
	uint64_t pfn;
	uint8_t *buf, *scratch;
	uint8_t *run;               /* RUN_PAGES frames read ahead with read_run() */
	uint64_t run_pfn, run_count; /* frames [run_pfn, run_pfn + run_count) are in run */
};

/* Read ahead a run of consecutive stored frames when the reader can do it in one go. */
static bool fill_run(struct dump_stream *s, uint64_t pfn, struct vmc_diag *d)
{
	struct vmc_dump *dump = s->dump;
	uint64_t end = vmc_bitmap_next_clear(&dump->stored, pfn);

	if (!dump->ops->read_run || !s->run)
		return false;
	if (end - pfn > RUN_PAGES)
		end = pfn + RUN_PAGES;
	if (end - pfn < 2 || dump->ops->read_run(dump, pfn, end - pfn, s->run, d) != VMC_OK)
		return false;
	s->run_pfn = pfn;
	s->run_count = end - pfn;
	return true;
}

static enum vmc_status ds_next(struct vmc_pagestream *ps, struct vmc_page *pg, struct vmc_diag *d)
{
	struct dump_stream *s = (struct dump_stream *)ps;
	struct vmc_dump *dump = s->dump;
	uint64_t pfn = vmc_bitmap_next_set(&dump->stored, s->pfn);
	enum vmc_status rc;

	if (s->partial && dump->missing.words) {
		uint64_t m = vmc_bitmap_next_set(&dump->missing, s->pfn);
		if (m < pfn)
			pfn = m;
	}
	if (pfn >= dump->max_pfn)
		return VMC_DONE;
	s->pfn = pfn + 1;
	pg->pfn = pfn;
	pg->missing = false;
	pg->data = NULL;
	if (!vmc_bitmap_test(&dump->stored, pfn)) {
		pg->missing = true;
		return VMC_OK;
	}
	if (pfn >= s->run_pfn && pfn < s->run_pfn + s->run_count) {
		pg->data = s->run + ((pfn - s->run_pfn) << dump->page_shift);
		return VMC_OK;
	}
	if (fill_run(s, pfn, d)) {
		pg->data = s->run;
		return VMC_OK;
	}
	rc = dump->ops->read_page(dump, pfn, s->buf, s->scratch, d);
	if (rc == VMC_OK) {
		pg->data = s->buf;
		return VMC_OK;
	}
	if (s->partial && (rc == VMC_ERR_MISSING || rc == VMC_ERR_TRUNCATED || rc == VMC_ERR_CORRUPT)) {
		vmc_warn(d, "frame 0x%llx kept as missing: %s", (unsigned long long)pfn, d->msg);
		pg->missing = true;
		return VMC_OK;
	}
	return rc;
}

static void ds_free(struct vmc_pagestream *ps)
{
	struct dump_stream *s = (struct dump_stream *)ps;

	free(s->buf);
	free(s->scratch);
	free(s->run);
	free(s);
}

static const struct vmc_pagestream_ops ds_ops = { .next = ds_next, .free = ds_free };

enum vmc_status vmc_dump_pagestream_new(struct vmc_dump *dump, bool partial, struct vmc_pagestream **ret,
					struct vmc_diag *d)
{
	struct dump_stream *s = calloc(1, sizeof(*s));

	if (!s || !(s->buf = malloc(dump->page_size)) || !(s->scratch = malloc(dump->scratch_size ? dump->scratch_size : 1))) {
		if (s)
			free(s->buf);
		free(s);
		return vmc_fail(d, VMC_ERR_NOMEM, "page buffers");
	}
	if (dump->ops->read_run)
		s->run = malloc((size_t)RUN_PAGES << dump->page_shift); /* optional: NULL reads page by page */
	s->ps.ops = &ds_ops;
	s->dump = dump;
	s->partial = partial;
	s->ps.total = vmc_bitmap_count(&dump->stored) + (partial ? dump->nmissing : 0);
	*ret = &s->ps;
	return VMC_OK;
}
