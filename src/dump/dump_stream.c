/* dump_stream.c: the page stream of a dump: every stored frame in ascending order.
 * Three ways to get the bytes, cheapest first: one read of a whole run (ELF), a pointer into
 * the mapped file, or read_page() per frame. read_page() may have to
 * decompress (kdump input), so with several threads it runs ahead in batches on a worker
 * pool; frames still come out strictly in order. With partial, frames the dump lacks, or
 * that fail to read, come out as missing. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "workpool.h"

enum { RUN_PAGES = 256, AHEAD_PAGES = 64 };

struct ahead {
	struct vmc_job job; /* first member */
	unsigned n;
	uint64_t pfn[AHEAD_PAGES];
	enum vmc_status st[AHEAD_PAGES];
	uint8_t *buf, *scratch;
	struct vmc_diag d; /* the first failure of this batch */
};

struct dump_stream {
	struct vmc_pagestream ps;
	struct vmc_dump *dump;
	const struct vmc_bitmap *sel; /* the frames to hand out: dump->stored or a subset */
	bool partial;
	uint64_t pfn;     /* next frame to consider */
	uint64_t end_pfn; /* frames from here on are not wanted */
	uint8_t *buf, *scratch;
	uint8_t *run;
	uint64_t run_pfn, run_count;
	const uint8_t *run_data;
	bool run_stable;
	/* read-ahead */
	struct ahead *batches;
	unsigned nbatches;
	struct vmc_workring ring; /* the batches being read, retired in frame order */
	unsigned pos;             /* next page within the oldest batch */
	uint64_t fill_pfn;        /* next frame to schedule */
	struct vmc_page_reader reader; /* for runs handed out unread (fill() with defer) */
};

static uint64_t next_wanted(const struct dump_stream *s, uint64_t from)
{
	const struct vmc_dump *dump = s->dump;
	uint64_t pfn = vmc_bitmap_next_set(s->sel, from);

	if (s->partial && vmc_bitmap_live(&dump->missing)) {
		uint64_t m = vmc_bitmap_next_set(&dump->missing, from);
		if (m < pfn)
			pfn = m;
	}
	return pfn < s->end_pfn ? pfn : dump->max_pfn;
}

static void ahead_job(struct vmc_job *job, unsigned worker, void *arg)
{
	struct dump_stream *s = arg;
	struct ahead *a = (struct ahead *)job;
	bool failed = false;

	for (unsigned i = 0; i < a->n; i++) {
		if (!vmc_bitmap_test(&s->dump->stored, a->pfn[i])) {
			a->st[i] = VMC_ERR_MISSING;
			continue;
		}
		a->st[i] = s->dump->ops->read_page(s->dump, a->pfn[i], a->buf + ((size_t)i << s->dump->page_shift),
						   a->scratch, failed ? &(struct vmc_diag){ 0 } : &a->d);
		if (a->st[i])
			failed = true;
	}
}

/* Schedule batches until the ring is full or the frames run out. */
static void ahead_fill(struct dump_stream *s)
{
	while (s->ring.count < s->ring.nslots) {
		struct ahead *a = vmc_workring_tail(&s->ring);
		a->n = 0;
		vmc_diag_init(&a->d);
		while (a->n < AHEAD_PAGES) {
			uint64_t pfn = next_wanted(s, s->fill_pfn);
			if (pfn >= s->dump->max_pfn)
				break;
			a->pfn[a->n++] = pfn;
			s->fill_pfn = pfn + 1;
		}
		if (!a->n)
			return;
		vmc_workring_submit(&s->ring);
	}
}

static enum vmc_status ahead_next(struct dump_stream *s, struct vmc_page *pg, struct vmc_diag *d)
{
	struct ahead *a;
	unsigned i;

	ahead_fill(s);
	if (!s->ring.count)
		return VMC_DONE;
	a = vmc_workring_oldest(&s->ring);
	i = s->pos;
	pg->pfn = a->pfn[i];
	pg->stable = false;
	pg->missing = false;
	pg->unread = NULL;
	pg->data = a->buf + ((size_t)i << s->dump->page_shift);
	if (a->st[i] == VMC_ERR_MISSING && !vmc_bitmap_test(&s->dump->stored, pg->pfn)) {
		pg->missing = true;
		pg->data = NULL;
	} else if (a->st[i]) {
		enum vmc_status st = a->st[i];
		if (!s->partial || !(st == VMC_ERR_MISSING || st == VMC_ERR_TRUNCATED || st == VMC_ERR_CORRUPT)) {
			*d = a->d;
			return st;
		}
		vmc_warn(d, "frame 0x%llx kept as missing: %s", (unsigned long long)pg->pfn, a->d.msg);
		pg->missing = true;
		pg->data = NULL;
	}
	/* the page stays valid until the next call: the batch is recycled only then */
	if (++s->pos == a->n) {
		s->pos = 0;
		vmc_workring_retire(&s->ring);
		/* the old head is refilled at the next call, when its page is no longer borrowed */
	}
	return VMC_OK;
}

/* The end of the run of consecutive wanted, stored frames from pfn, at most max of them. */
static uint64_t run_end(const struct dump_stream *s, uint64_t pfn, uint64_t max)
{
	uint64_t lim = s->end_pfn - pfn > max ? pfn + max : s->end_pfn; /* bounded: no scan to a long run's end */
	uint64_t end = vmc_bitmap_next_clear_before(&s->dump->stored, pfn, lim);

	return vmc_bitmap_next_clear_before(s->sel, pfn, end);
}

/* Read ahead a run of consecutive stored frames when the reader can do it in one go. */
static bool fill_run(struct dump_stream *s, uint64_t pfn, struct vmc_diag *d)
{
	struct vmc_dump *dump = s->dump;
	uint64_t end = run_end(s, pfn, RUN_PAGES);

	/* one pread of the run first: the kernel's copy out of the page cache costs less CPU than
	 * first touches of a mapping (faults, TLB misses under nested paging; issue 14: 0.93 s
	 * against 1.42 s of CPU for the KVM bed's kdump to lzo) */
	if (dump->ops->read_run && s->run && end - pfn >= 2 &&
	    dump->ops->read_run(dump, pfn, end - pfn, s->run, &(struct vmc_diag){ 0 }) == VMC_OK) {
		s->run_data = s->run;
		s->run_stable = false;
	} else if (dump->ops->map_run && (s->run_data = dump->ops->map_run(dump, pfn, end - pfn))) {
		s->run_stable = true;
	} else {
		return false;
	}
	s->run_pfn = pfn;
	s->run_count = end - pfn;
	return true;
}

static enum vmc_status ds_next(struct vmc_pagestream *ps, struct vmc_page *pg, struct vmc_diag *d)
{
	struct dump_stream *s = (struct dump_stream *)ps;
	struct vmc_dump *dump = s->dump;
	uint64_t pfn;
	enum vmc_status rc;

	if (s->ring.pool)
		return ahead_next(s, pg, d);
	pfn = next_wanted(s, s->pfn);
	if (pfn >= dump->max_pfn)
		return VMC_DONE;
	s->pfn = pfn + 1;
	pg->pfn = pfn;
	pg->missing = false;
	pg->stable = false;
	pg->unread = NULL;
	pg->data = NULL;
	if (!vmc_bitmap_test(&dump->stored, pfn)) {
		pg->missing = true;
		return VMC_OK;
	}
	if ((pfn >= s->run_pfn && pfn < s->run_pfn + s->run_count) || fill_run(s, pfn, d)) {
		pg->data = s->run_data + ((pfn - s->run_pfn) << dump->page_shift);
		pg->stable = s->run_stable;
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

static struct dump_stream *reader_stream(const struct vmc_page_reader *r)
{
	return (struct dump_stream *)(void *)((char *)(uintptr_t)r - offsetof(struct dump_stream, reader));
}

/* A run handed out unread, read by the consumer's worker: one read_run, else frame by frame
 * (a run across two segments); a frame that fails is left to ds_redo. */
static enum vmc_status ds_read(const struct vmc_page_reader *r, uint64_t pfn, size_t n, uint8_t *dst, size_t *bad)
{
	struct vmc_dump *dump = reader_stream(r)->dump;
	uint8_t *scratch;
	size_t i = 0;

	if (dump->ops->read_run(dump, pfn, n, dst, &(struct vmc_diag){ 0 }) == VMC_OK)
		return VMC_OK;
	if ((scratch = malloc(dump->scratch_size ? dump->scratch_size : 1)))
		for (; i < n; i++)
			if (dump->ops->read_page(dump, pfn + i, dst + (i << dump->page_shift), scratch, &(struct vmc_diag){ 0 }))
				break;
	free(scratch);
	*bad = i;
	return i == n ? VMC_OK : VMC_ERR_IO;
}

/* A frame ds_read could not read, on the ordered thread: as ds_next would hand it out. */
static enum vmc_status ds_redo(const struct vmc_page_reader *r, uint64_t pfn, uint8_t *dst, bool *missing,
			       struct vmc_diag *d)
{
	struct dump_stream *s = reader_stream(r);
	enum vmc_status rc = s->dump->ops->read_page(s->dump, pfn, dst, s->scratch, d);

	*missing = false;
	if (rc && s->partial && (rc == VMC_ERR_MISSING || rc == VMC_ERR_TRUNCATED || rc == VMC_ERR_CORRUPT)) {
		vmc_warn(d, "frame 0x%llx kept as missing: %s", (unsigned long long)pfn, d->msg);
		*missing = true;
		return VMC_OK;
	}
	return rc;
}

/* The next run of stored frames read straight into dst (one read_run, no copy), or with defer
 * left for the consumer to read there (ds_read); anything else (a frame the dump lacks, read-ahead, a failed read, what is left of the run buffer)
 * one page at a time through ds_next. */
static enum vmc_status ds_fill(struct vmc_pagestream *ps, uint8_t *dst, size_t max, bool defer, struct vmc_page *pgs,
			       size_t *n, struct vmc_diag *d)
{
	struct dump_stream *s = (struct dump_stream *)ps;
	struct vmc_dump *dump = s->dump;
	uint64_t pfn = next_wanted(s, s->pfn), end;
	enum vmc_status rc;

	*n = 0;
	if (pfn >= dump->max_pfn)
		return VMC_DONE;
	if (s->ring.pool || !dump->ops->read_run || !max || (pfn >= s->run_pfn && pfn < s->run_pfn + s->run_count) ||
	    !vmc_bitmap_test(&dump->stored, pfn))
		goto one;
	end = run_end(s, pfn, max);
	if (!defer && dump->ops->read_run(dump, pfn, end - pfn, dst, &(struct vmc_diag){ 0 }) != VMC_OK)
		goto one;
	for (uint64_t p = pfn; p < end; p++)
		pgs[p - pfn] = (struct vmc_page){ .pfn = p,
						  .data = dst + ((p - pfn) << dump->page_shift),
						  .unread = defer ? &s->reader : NULL };
	*n = end - pfn;
	s->pfn = end;
	return VMC_OK;
one:
	if ((rc = ds_next(ps, pgs, d)) == VMC_OK)
		*n = 1;
	return rc;
}

static void ds_free(struct vmc_pagestream *ps)
{
	struct dump_stream *s = (struct dump_stream *)ps;

	vmc_workring_release(&s->ring);
	for (unsigned i = 0; s->batches && i < s->nbatches; i++) {
		free(s->batches[i].buf);
		free(s->batches[i].scratch);
	}
	free(s->batches);
	free(s->buf);
	free(s->scratch);
	free(s->run);
	free(s);
}

static const struct vmc_pagestream_ops ds_ops = { .next = ds_next, .fill = ds_fill, .free = ds_free };

enum vmc_status vmc_dump_pagestream_new(struct vmc_dump *dump, bool partial, unsigned threads,
					struct vmc_pagestream **ret, struct vmc_diag *d)
{
	return vmc_dump_pagestream_new_sel(dump, NULL, 0, dump->max_pfn, partial, threads, ret, d);
}

enum vmc_status vmc_dump_pagestream_new_sel(struct vmc_dump *dump, const struct vmc_bitmap *select, uint64_t start_pfn,
					    uint64_t end_pfn, bool partial, unsigned threads,
					    struct vmc_pagestream **ret, struct vmc_diag *d)
{
	struct dump_stream *s = calloc(1, sizeof(*s));
	enum vmc_status rc;

	if (!s || !(s->buf = malloc(dump->page_size)) || !(s->scratch = malloc(dump->scratch_size ? dump->scratch_size : 1))) {
		if (s)
			free(s->buf);
		free(s);
		return vmc_fail(d, VMC_ERR_NOMEM, "page buffers");
	}
	s->ps.ops = &ds_ops;
	s->reader = (struct vmc_page_reader){ .read = ds_read, .redo = ds_redo };
	s->dump = dump;
	s->sel = select ? select : &dump->stored;
	s->partial = partial;
	s->pfn = s->fill_pfn = start_pfn;
	s->end_pfn = end_pfn < dump->max_pfn ? end_pfn : dump->max_pfn;
	s->ps.total = vmc_bitmap_count_range(s->sel, start_pfn, s->end_pfn - start_pfn) +
		      (partial && vmc_bitmap_live(&dump->missing) ? vmc_bitmap_count_range(&dump->missing, start_pfn, s->end_pfn - start_pfn)
						      : 0);
	if (dump->ops->read_run || dump->ops->map_run)
		s->run = malloc((size_t)RUN_PAGES << dump->page_shift); /* optional: NULL reads page by page */
	if (threads > 1 && !dump->ops->map_run && !dump->ops->read_run) {
		/* 2 per worker (+1), within 8 MiB of read-ahead buffers */
		s->nbatches = vmc_workring_slots(threads, 2 * threads + 1, (size_t)AHEAD_PAGES << dump->page_shift, 8u << 20);
		s->batches = calloc(s->nbatches, sizeof(*s->batches));
		if (!s->batches) {
			ds_free(&s->ps);
			return vmc_fail(d, VMC_ERR_NOMEM, "read-ahead");
		}
		for (unsigned i = 0; i < s->nbatches; i++) {
			s->batches[i].buf = malloc((size_t)AHEAD_PAGES << dump->page_shift);
			s->batches[i].scratch = malloc(dump->scratch_size ? dump->scratch_size : 1);
			if (!s->batches[i].buf || !s->batches[i].scratch) {
				ds_free(&s->ps);
				return vmc_fail(d, VMC_ERR_NOMEM, "read-ahead");
			}
		}
		if ((rc = vmc_workring_init(&s->ring, threads, ahead_job, s, s->batches, sizeof(*s->batches), s->nbatches,
					    d))) {
			ds_free(&s->ps);
			return rc;
		}
	}
	*ret = &s->ps;
	return VMC_OK;
}
