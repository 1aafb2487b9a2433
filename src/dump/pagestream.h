/* pagestream.h: the one interface between stages: a producer hands out frames in ascending
 * order, each borrowed until the next call. OK = a page, DONE = no more, negative = error. */
#ifndef VMC_PAGESTREAM_H
#define VMC_PAGESTREAM_H

#include "diag.h"

/* Frames a consumer reads itself (fill() with defer): later, on any of its threads, so a
 * writer's workers read the pages they compress (in their own cache, off the ordered thread). */
struct vmc_page_reader {
	/* n consecutive frames from pfn into dst (frame i at dst + i * page size). Thread-safe.
	 * Not VMC_OK: frames from index *bad on are not read (redo() them; those before are). */
	enum vmc_status (*read)(const struct vmc_page_reader *r, uint64_t pfn, size_t n, uint8_t *dst, size_t *bad);
	/* A frame read() could not read, as next() would hand it out: read into dst, or *missing
	 * (with a warning in d) where the stream keeps unreadable frames, else the failure. On the
	 * consumer's ordered thread, in frame order. */
	enum vmc_status (*redo)(const struct vmc_page_reader *r, uint64_t pfn, uint8_t *dst, bool *missing,
				struct vmc_diag *d);
};

struct vmc_page {
	uint64_t pfn;        /* in the output's physical address space */
	const uint8_t *data; /* page_size bytes; NULL when missing */
	bool missing;        /* could not be read (kept as missing in the output) */
	bool stable;         /* data stays valid until the stream is freed (a file mapping) */
	/* set: not read yet (fill() with defer); data is where the consumer reads it to, with this */
	const struct vmc_page_reader *unread;
};

struct vmc_pagestream;

struct vmc_pagestream_ops {
	enum vmc_status (*next)(struct vmc_pagestream *ps, struct vmc_page *pg, struct vmc_diag *d);
	/* Optional: the next pages (at least 1, at most max, *n of them) into pgs; consecutive
	 * frames are read straight into dst (page i at dst + i * page size), so a consumer that
	 * offers its own buffer gets them without a copy. A page may still come from elsewhere
	 * (pgs[i].data says where), borrowed as with next(). With defer, the frames of a run are
	 * not read: they come back with pgs[i].unread set, for the consumer to read into dst. */
	enum vmc_status (*fill)(struct vmc_pagestream *ps, uint8_t *dst, size_t max, bool defer, struct vmc_page *pgs,
				size_t *n, struct vmc_diag *d);
	void (*free)(struct vmc_pagestream *ps);
};

struct vmc_pagestream {
	const struct vmc_pagestream_ops *ops;
	uint64_t total; /* pages this stream will produce, for progress */
};

static inline enum vmc_status vmc_pagestream_next(struct vmc_pagestream *ps, struct vmc_page *pg,
						  struct vmc_diag *d)
{
	return ps->ops->next(ps, pg, d);
}

/* Whether a page (len a multiple of 64) is all zero: 64 bytes ORed at a time, which the
 * compiler vectorises (two thirds of a host dump's pages are zero). */
static inline bool vmc_page_is_zero(const uint8_t *p, size_t len)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;

	for (size_t k = 0; k < len / 8; k += 8)
		if (q[k] | q[k + 1] | q[k + 2] | q[k + 3] | q[k + 4] | q[k + 5] | q[k + 6] | q[k + 7])
			return false;
	return true;
}

static inline void vmc_pagestream_free(struct vmc_pagestream *ps)
{
	if (ps)
		ps->ops->free(ps);
}

#endif
