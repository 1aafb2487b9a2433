/* dump_stream.c: the page stream of a dump: every stored frame in ascending order, read
 * through the dump's reader. With partial, frames the dump lacks come out as missing. */
#include <stdlib.h>

#include "convert.h"

struct dump_stream {
	struct vmc_pagestream ps;
	struct vmc_dump *dump;
	bool partial;
	uint64_t pfn;
	uint8_t *buf, *scratch;
};

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
	s->ps.ops = &ds_ops;
	s->dump = dump;
	s->partial = partial;
	s->ps.total = vmc_bitmap_count(&dump->stored) + (partial ? dump->nmissing : 0);
	*ret = &s->ps;
	return VMC_OK;
}
