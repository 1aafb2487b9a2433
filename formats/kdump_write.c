/* kdump_write.c: writer for kdump-compressed files (header v6), the layout in kdump_layout.h.
 *
 * Descriptors and page data go out through two buffered writers at fixed offsets, so memory
 * stays bounded. Pages are compressed in batches by a worker pool and retired strictly in
 * frame order, so the output is byte-identical for any thread count. Identical pages are
 * stored once: descriptors of later copies point at the first copy, after an xxh3 match and a
 * byte comparison of the stored bytes (compression is deterministic, so equal stored bytes
 * mean equal pages). Every reader follows descriptor offsets, so this stays readable.
 * With zstd and zlib a worker does not compress a page whose hash an earlier page (in frame
 * order) already had:
 * retire() then compares it with the stored copy's decompressed bytes instead, and compresses
 * it itself if they differ. That decision is the same as comparing compressed bytes, so the
 * output stays the same; the hints the workers share only decide who compresses what.
 *
 * Out of space (as makedumpfile): the descriptor table is allocated before any page data, and
 * page data always reaches the file before the descriptors that point at it. When a data
 * write fails with ENOSPC the writer stops taking pages, keeps the descriptors whose data is
 * on disk, leaves the rest all-zero (offset 0 = not saved) and sets the header's INCOMPLETE
 * flag: only writes into space already allocated, so the file ends valid and readable. A
 * cancelled run (stop()) ends the same way, after writing out the pages it was given. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "bufwriter.h"
#include "kdump_layout.h"
#include "notes.h"
#include "pagehash.h"
#include "workpool.h"
#include "writer.h"

enum { BATCH_PAGES = 128, DEDUP_BITS = 18, DATA_CHUNK = 1 << 16, PLAIN_SLOTS = 64, STORED_SLOTS = 64,
       WINDOW_MAX = 128 << 10 };

struct batch {
	struct vmc_job job; /* first: the pool hands us back this pointer */
	unsigned n;
	uint64_t pfn[BATCH_PAGES];
	uint8_t missing[BATCH_PAGES], zero[BATCH_PAGES];
	uint32_t size[BATCH_PAGES], flags[BATCH_PAGES];
	uint64_t hash[BATCH_PAGES];
	uint8_t lazy[BATCH_PAGES]; /* not compressed: a hash seen earlier, likely a duplicate */
	uint32_t seq;              /* submission number, for the hints */
	const uint8_t *page[BATCH_PAGES]; /* the page: a stable mapping or a copy in `in` */
	uint8_t *in, *out;
	/* pages the pipeline left unread in `in` (pg->unread), as runs: the worker reads them
	 * before compressing, in its own cache and off the ordered thread */
	struct unread_run {
		const struct vmc_page_reader *r;
		uint64_t pfn;
		unsigned first, n;
	} runs[BATCH_PAGES];
	unsigned nruns;
	uint8_t redo[BATCH_PAGES]; /* its run's read failed from here: retire() settles it (redo()) */
};

struct dedup_entry {
	uint64_t hash, off;
	uint32_t size, flags;
};

struct vmc_writer {
	struct vmc_bytesink *sink;
	struct vmc_write_opts opts;
	uint32_t ps;
	size_t bound;
	struct vmc_bufw desc, data;
	bool bufs_ready;
	struct batch *batches;
	unsigned nbatches;
	uint8_t *batch_mem; /* every batch's in and out buffers, plain, stored, cmpbuf: one bigmem block */
	size_t batch_mem_len;
	struct vmc_workring ring; /* the batches being compressed, retired in frame order */
	struct vmc_codec_ctx **ctx;
	unsigned nctx;
	uint64_t zero_off;
	struct dedup_entry *table;
	size_t table_len, hint_hash_len, hint_seq_len; /* bytes asked of bigmem, for its free */
	/* hints shared with the workers, indexed like table: a hash some worker saw, and in which
	 * batch; racy by design (relaxed atomics), never trusted for the output */
	_Atomic uint64_t *hint_hash;
	_Atomic uint32_t *hint_seq;
	uint32_t nsubmitted;
	struct vmc_codec_ctx *main_ctx; /* retire()'s own, for a lazy page that is no duplicate */
	uint8_t *cmpbuf;
	/* stored pages decompressed for same_bytes(), by data offset (written data never changes):
	 * the same few pages (a fill pattern) come back many times */
	uint8_t *plain;
	uint64_t plain_off[PLAIN_SLOTS];
	/* stored bytes read back for dedup(), by data offset, likewise: on the KVM bed 23.8 k
	 * compares read back 8.6 k distinct pages, one of them 4.1 k times (a read each before) */
	uint8_t *stored;
	uint64_t stored_off[STORED_SLOTS];
	/* read-back window: output bytes read back ahead, when read-backs walk it in order (on the
	 * KVM bed 15.4 k of 18 k start where the previous one ended: runs of pages stored twice) */
	uint8_t *window;
	uint64_t window_off;
	size_t window_len, window_ahead;
	bool can_readback;
	uint64_t expected, seen;
	uint64_t desc_off, ndesc_zero; /* descriptor table start; offset-0 descriptors so far */
	uint64_t data_end;             /* page data known to be in the file up to here */
	bool can_salvage, full;        /* table reserved; ran out of space */
	bool stopped;                  /* cancelled: end() keeps the pages seen so far */
	char nospc[1024];              /* the ENOSPC message, for the warning */
	uint8_t header[KDH_SIZE];
	uint32_t status;
	struct vmc_writer_stats st;
};

static void compress_page(const struct vmc_writer *w, struct vmc_codec_ctx *ctx, const uint8_t *pg, uint8_t *out,
			  uint32_t *size, uint32_t *flags)
{
	size_t n = ctx ? vmc_codec_compress(ctx, pg, w->ps, out, w->bound) : 0;

	if (n) {
		*size = (uint32_t)n;
		*flags = vmc_codec_get(w->opts.codec)->kdump_flag;
	} else {
		*size = w->ps;
		*flags = 0;
	}
}

/* Whether a page of an earlier batch, or earlier in this one, had this hash; else note it. */
static bool seen_before(struct vmc_writer *w, uint64_t hash, uint32_t seq)
{
	size_t k = hash & (((uint64_t)1 << DEDUP_BITS) - 1);

	if (atomic_load_explicit(&w->hint_hash[k], memory_order_relaxed) == hash &&
	    (int32_t)(seq - atomic_load_explicit(&w->hint_seq[k], memory_order_relaxed)) >= 0)
		return true;
	atomic_store_explicit(&w->hint_seq[k], seq, memory_order_relaxed);
	atomic_store_explicit(&w->hint_hash[k], hash, memory_order_relaxed);
	return false;
}

/* Page i of b, read: zero test, hash, and compressed unless it is zero or likely a duplicate. */
static void prepare_page(struct vmc_writer *w, struct vmc_codec_ctx *ctx, struct batch *b, unsigned i)
{
	const uint8_t *pg = b->page[i];

	if (w->opts.dedup || w->opts.zero_share) {
		if (vmc_page_is_zero(pg, w->ps)) {
			b->zero[i] = 1;
			return;
		}
		if (w->opts.dedup)
			b->hash[i] = vmc_pagehash(pg, w->ps);
		if (w->hint_hash && seen_before(w, b->hash[i], b->seq)) {
			b->lazy[i] = 1;
			return;
		}
	}
	compress_page(w, ctx, pg, b->out + (size_t)i * w->bound, &b->size[i], &b->flags[i]);
}

/* The batch's unread runs into its input buffer; where a read fails, the rest of that run is
 * left to retire() (redo(): in frame order, as the page stream would have handed it out). */
static void read_unread(const struct vmc_writer *w, struct batch *b)
{
	for (unsigned k = 0; k < b->nruns; k++) {
		const struct unread_run *u = &b->runs[k];
		size_t bad = 0;
		if (u->r->read(u->r, u->pfn, u->n, b->in + (size_t)u->first * w->ps, &bad) != VMC_OK)
			memset(b->redo + u->first + bad, 1, u->n - bad);
	}
}

static void compress_batch(struct vmc_job *job, unsigned worker, void *arg)
{
	struct vmc_writer *w = arg;
	struct batch *b = (struct batch *)job;

	read_unread(w, b);
	for (unsigned i = 0; i < b->n; i++) {
		b->zero[i] = 0;
		b->lazy[i] = 0;
		if (!b->missing[i] && !b->redo[i])
			prepare_page(w, w->ctx[worker], b, i);
	}
}

static enum vmc_status kdw_new(struct vmc_bytesink *sink, const struct vmc_write_opts *opts,
			       struct vmc_writer **ret, struct vmc_diag *d)
{
	struct vmc_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	w->sink = sink;
	w->opts = *opts;
	if (!w->opts.threads)
		w->opts.threads = 1;
	*ret = w;
	return VMC_OK;
}

static unsigned count_prstatus(const uint8_t *notes, size_t len)
{
	return vmc_notes_count(notes, len, "CORE", VMC_NT_PRSTATUS);
}

/* One bitmap (a | b) in kdump's byte order, a block at a time. Where the sink reads unwritten
 * bytes as zeros (a file, memory), all-zero blocks are skipped: RAM at a high address means
 * bitmaps of mostly zeros (1 GiB of them for RAM at 16 TiB). The last block is always
 * written, so the file reaches the end of the bitmap. */
static enum vmc_status write_bitmap(struct vmc_writer *w, const struct vmc_bitmap *a, const struct vmc_bitmap *b,
				    uint64_t max_pfn, uint64_t padded, uint64_t off, uint8_t *blk, struct vmc_diag *d)
{
	uint64_t bs = w->ps, per = 8 * bs, nblk = padded / bs;
	bool holes = w->sink->ops->pread != NULL;
	enum vmc_status rc;

	for (uint64_t i = 0; i < nblk; i++) {
		uint64_t lo = i * per, hi = lo + per < max_pfn ? lo + per : max_pfn;
		if (holes && i + 1 < nblk) {
			uint64_t na = vmc_bitmap_next_set(a, lo), nb = b ? vmc_bitmap_next_set(b, lo) : UINT64_MAX;
			uint64_t next = na < nb ? na : nb;
			if (next >= hi) {
				/* jump to the block before the one holding the next set bit */
				i = next >= max_pfn ? nblk - 2 : next / per - 1;
				continue;
			}
		}
		memset(blk, 0, bs);
		for (uint64_t j = lo / 64; j < (hi + 63) / 64; j++) {
			uint64_t v = vmc_bitmap_word(a, j) | (b ? vmc_bitmap_word(b, j) : 0);
			for (unsigned k = 0; v && k < 8; k++, v >>= 8)
				blk[(j - lo / 64) * 8 + k] = (uint8_t)v;
		}
		if ((rc = w->sink->ops->pwrite(w->sink, blk, bs, off + i * bs, d)))
			return rc;
	}
	return VMC_OK;
}

/* Where things go in the file: header and sub-header blocks, two bitmaps, the descriptor
 * table, then page data. */
struct kdw_layout {
	uint64_t bm_padded;     /* bytes of one bitmap, whole blocks */
	uint64_t sub_blocks;    /* sub-header and notes */
	uint64_t bitmap_blocks; /* both bitmaps */
	uint64_t desc_off;      /* the descriptor table */
	uint64_t nstored;       /* descriptors: stored and missing frames */
};

/* libkdumpfile ignores the whole utsname (and with it the architecture) unless sysname is
 * "Linux" and release, version and machine are not empty: fields the input did not give
 * are filled with "Linux", "unknown" and the machine of the ELF header (libkdumpfile takes the
 * architecture from it: "aarch64", "ppc64le"). Not the release:
 * libkdumpfile parses it into linux.version_code and refuses reads when it is no version
 * (a carved guest without VMCOREINFO), so an unknown release stays empty. */
static void fill_uts_gaps(uint8_t *uts, const struct vmc_out_info *info)
{
	const char *m = vmc_kinfo_machine_name(info->e_machine ? info->e_machine : VMC_EM_X86_64);
	const char *fill[5] = { "Linux", NULL, NULL, "unknown", m ? m : "unknown" };

	for (unsigned i = 0; i < 5; i++)
		if (fill[i] && !uts[i * 65])
			memcpy(uts + i * 65, fill[i], strlen(fill[i]) + 1);
}

/* The main header (kept in w->header) in block 0. */
static void fill_header(struct vmc_writer *w, const struct vmc_out_info *info, const struct kdw_layout *l)
{
	/* timestamp left 0 so libkdumpfile's 32-bit probe cannot misread it */
	memset(w->header, 0, sizeof(w->header));
	memcpy(w->header, KDUMP_SIGNATURE, 8);
	kd_put32(w->header + KDH_VERSION, 6);
	if (info->uts)
		memcpy(w->header + KDH_UTSNAME, info->uts, 6 * 65);
	fill_uts_gaps(w->header + KDH_UTSNAME, info);
	kd_put32(w->header + KDH_STATUS, w->status);
	kd_put32(w->header + KDH_BLOCK_SIZE, w->ps);
	kd_put32(w->header + KDH_SUB_HDR_SIZE, (uint32_t)l->sub_blocks);
	kd_put32(w->header + KDH_BITMAP_BLOCKS, (uint32_t)l->bitmap_blocks);
	kd_put32(w->header + KDH_MAX_MAPNR, info->max_pfn > UINT32_MAX ? UINT32_MAX : (uint32_t)info->max_pfn);
	{
		unsigned ncpu = count_prstatus(info->notes, info->notes_len);
		kd_put32(w->header + KDH_NR_CPUS, ncpu ? ncpu : 1);
	}
}

/* The sub-header, with the notes after it, at sh (block 1). */
static void fill_sub_header(uint8_t *sh, uint32_t bs, const struct vmc_out_info *info)
{
	struct vmc_note vi;

	kd_put64(sh + KSH_PHYS_BASE, info->has_phys_base ? info->phys_base : 0);
	kd_put32(sh + KSH_DUMP_LEVEL, info->dump_level > 0 ? (uint32_t)info->dump_level : 0);
	kd_put32(sh + KSH_SPLIT, info->split);
	kd_put64(sh + KSH_START_PFN, info->start_pfn);
	kd_put64(sh + KSH_END_PFN, info->end_pfn);
	if (info->notes_len) {
		kd_put64(sh + KSH_OFFSET_NOTE, (uint64_t)bs + KSH_SIZE);
		kd_put64(sh + KSH_SIZE_NOTE, info->notes_len);
		memcpy(sh + KSH_SIZE, info->notes, info->notes_len);
		if (vmc_notes_find(info->notes, info->notes_len, "VMCOREINFO", &vi)) {
			kd_put64(sh + KSH_OFFSET_VMCOREINFO, (uint64_t)bs + KSH_SIZE + vi.desc_offset);
			kd_put64(sh + KSH_SIZE_VMCOREINFO, vi.desc_len);
		}
	}
	kd_put64(sh + KSH_START_PFN_64, info->start_pfn);
	kd_put64(sh + KSH_END_PFN_64, info->end_pfn);
	kd_put64(sh + KSH_MAX_MAPNR_64, info->max_pfn);
}

/* Block 0 (main header) and the sub-header blocks. */
static enum vmc_status write_headers(struct vmc_writer *w, const struct vmc_out_info *info, const struct kdw_layout *l,
				    struct vmc_diag *d)
{
	uint32_t bs = w->ps;
	uint8_t *blk;
	enum vmc_status rc;

	fill_header(w, info, l);
	blk = calloc(1, (1 + l->sub_blocks) * bs);
	if (!blk)
		return vmc_fail(d, VMC_ERR_NOMEM, "header blocks");
	memcpy(blk, w->header, KDH_SIZE);
	fill_sub_header(blk + bs, bs, info);
	rc = w->sink->ops->pwrite(w->sink, blk, (1 + l->sub_blocks) * bs, 0, d);
	free(blk);
	return rc;
}

/* 1st bitmap = RAM, 2nd = frames with a descriptor (missing frames get incomplete, offset-0
 * descriptors, so they are in it). */
static enum vmc_status write_bitmaps(struct vmc_writer *w, const struct vmc_out_info *info, const struct kdw_layout *l,
				     struct vmc_diag *d)
{
	uint64_t off = (1 + l->sub_blocks) * w->ps;
	uint8_t *bm = malloc(w->ps);
	enum vmc_status rc;

	if (!bm)
		return vmc_fail(d, VMC_ERR_NOMEM, "bitmap block");
	rc = write_bitmap(w, info->ram, NULL, info->max_pfn, l->bm_padded, off, bm, d);
	if (!rc)
		rc = write_bitmap(w, info->stored, info->missing, info->max_pfn, l->bm_padded, off + l->bm_padded, bm, d);
	free(bm);
	return rc;
}

/* The descriptor table now, so finishing after ENOSPC needs no new space; without such a sink
 * (pipe, flattened stream) ENOSPC is a plain failure. Then the buffered writers for the table
 * and the page data after it, and the dedup table. */
static enum vmc_status reserve_descs(struct vmc_writer *w, const struct kdw_layout *l, struct vmc_diag *d)
{
	uint64_t desc_off = l->desc_off, nstored = l->nstored;
	enum vmc_status rc;

	if (w->sink->ops->reserve && nstored) {
		rc = w->sink->ops->reserve(w->sink, desc_off, KPD_BYTES * nstored, d);
		if (rc == VMC_ERR_NOSPC)
			return vmc_fail_at(d, rc, w->sink->name, desc_off, "no room for the page descriptor table (%llu bytes): %s",
					   (unsigned long long)(KPD_BYTES * nstored), strerror(ENOSPC));
		w->can_salvage = rc == VMC_OK;
	}
	w->desc_off = desc_off;
	if ((rc = vmc_bufw_init(&w->desc, w->sink, desc_off, 1 << 16, d)))
		return rc;
	if ((rc = vmc_bufw_init(&w->data, w->sink, desc_off + KPD_BYTES * nstored, 4 << 20, d)))
		return rc;
	w->data_end = w->data.start;
	w->bufs_ready = true;
	w->can_readback = w->sink->ops->pread != NULL;
	if (w->opts.dedup && !(w->table = vmc_bigmem_alloc(w->table_len = sizeof(*w->table) << DEDUP_BITS)))
		return vmc_fail(d, VMC_ERR_NOMEM, "dedup table");
	/* lazy duplicates only where retire() can compare, and where compressing costs clearly more
	 * than the decompression that compares: zstd and zlib. For lzo (and snappy) the two cost
	 * about the same on the KVM bed (its duplicates are mostly pairs, so each needs its own
	 * decompression) and the work would only move from the workers to the in-order retire. */
	if (w->opts.dedup && w->can_readback && (w->opts.codec == VMC_CODEC_ZSTD || w->opts.codec == VMC_CODEC_ZLIB)) {
		w->hint_hash = vmc_bigmem_alloc(w->hint_hash_len = sizeof(*w->hint_hash) << DEDUP_BITS);
		w->hint_seq = vmc_bigmem_alloc(w->hint_seq_len = sizeof(*w->hint_seq) << DEDUP_BITS);
		if (!w->hint_hash || !w->hint_seq)
			return vmc_fail(d, VMC_ERR_NOMEM, "dedup hints");
	}
	return VMC_OK;
}

/* Workers: one codec context each; a few batches per worker in flight. */
static enum vmc_status start_workers(struct vmc_writer *w, struct vmc_diag *d)
{
	unsigned nthreads = w->opts.threads;
	size_t slot, blob;

	w->nctx = nthreads;
	w->ctx = calloc(nthreads, sizeof(*w->ctx));
	if (!w->ctx)
		return vmc_fail(d, VMC_ERR_NOMEM, "codec contexts");
	for (unsigned i = 0; i < nthreads; i++)
		if (w->opts.codec != VMC_CODEC_NONE && !(w->ctx[i] = vmc_codec_ctx_new(w->opts.codec)))
			return vmc_fail(d, VMC_ERR_NOMEM, "%s codec context", vmc_codec_get(w->opts.codec)->name);
	/* 5 per thread, within 16 MiB of batch buffers (3 took 2-5 % longer at 2 threads, lzo and
	 * zstd on the KVM bed, once the caller helped) */
	w->nbatches = nthreads > 1 ? vmc_workring_slots(nthreads, 5 * nthreads, BATCH_PAGES * (w->ps + w->bound), 16u << 20) : 1;
	w->batches = calloc(w->nbatches, sizeof(*w->batches));
	if (!w->batches)
		return vmc_fail(d, VMC_ERR_NOMEM, "batches");
	/* one block on huge pages (bigmem): the input of every page is read into
	 * it (by the kernel's copy) and then scanned, hashed and compressed from it, and 4 KiB
	 * pages cost a TLB miss each time round and a dear fault the first time (under
	 * virtualisation); retire()'s buffers fit in what one batch leaves of 2 MiB */
	slot = ((size_t)BATCH_PAGES * (w->ps + w->bound) + 4095) / 4096 * 4096;
	blob = w->bound > w->ps ? w->bound : w->ps;
	w->batch_mem_len = (size_t)w->nbatches * slot + (1 + STORED_SLOTS) * blob + (size_t)PLAIN_SLOTS * w->ps +
			   WINDOW_MAX;
	if (!(w->batch_mem = vmc_bigmem_alloc(w->batch_mem_len)))
		return vmc_fail(d, VMC_ERR_NOMEM, "batch buffers");
	for (unsigned i = 0; i < w->nbatches; i++) {
		w->batches[i].in = w->batch_mem + i * slot;
		w->batches[i].out = w->batches[i].in + (size_t)BATCH_PAGES * w->ps;
	}
	w->plain = w->batch_mem + (size_t)w->nbatches * slot;
	w->stored = w->plain + (size_t)PLAIN_SLOTS * w->ps;
	w->cmpbuf = w->stored + STORED_SLOTS * blob;
	w->window = w->cmpbuf + blob;
	return vmc_workring_init(&w->ring, nthreads, compress_batch, w, w->batches,
				 sizeof(*w->batches), w->nbatches, d);
}

static enum vmc_status kdw_begin(struct vmc_writer *w, const struct vmc_out_info *info, struct vmc_diag *d)
{
	uint32_t bs = info->page_size;
	uint64_t bm_bytes = (info->max_pfn + 7) / 8;
	struct kdw_layout l;
	enum vmc_status rc;

	/* at least one block each, even without RAM: crash cannot mmap an empty bitmap */
	l.bm_padded = bm_bytes ? (bm_bytes + bs - 1) / bs * bs : bs;
	l.sub_blocks = (KSH_SIZE + info->notes_len + bs - 1) / bs;
	l.bitmap_blocks = 2 * l.bm_padded / bs;
	l.desc_off = (1 + l.sub_blocks + l.bitmap_blocks) * bs;
	/* descriptors: only this part's frames when it is one part of a split set */
	l.nstored = vmc_bitmap_count_range(info->stored, info->start_pfn, info->end_pfn - info->start_pfn);
	if (info->missing)
		l.nstored += vmc_bitmap_count_range(info->missing, info->start_pfn, info->end_pfn - info->start_pfn);
	if (l.bitmap_blocks > UINT32_MAX || l.sub_blocks > INT32_MAX)
		return vmc_fail(d, VMC_ERR_LIMIT, "%s: dump too large for the kdump header", w->sink->name);
	w->ps = bs;
	w->expected = l.nstored;
	w->bound = vmc_codec_get(w->opts.codec)->bound(bs);
	w->status = vmc_codec_get(w->opts.codec)->kdump_flag;
	if (info->missing && vmc_bitmap_count(info->missing))
		w->status |= VMC_KDUMP_INCOMPLETE;
	if ((rc = write_headers(w, info, &l, d)) || (rc = write_bitmaps(w, info, &l, d)) || (rc = reserve_descs(w, &l, d)))
		return rc;
	return start_workers(w, d);
}

/* Page data out in chunks, so that after ENOSPC data_end says how much of it is in the file
 * and a partly written buffer still saves its first pages. */
static enum vmc_status flush_data(struct vmc_writer *w, struct vmc_diag *d)
{
	struct vmc_bufw *b = &w->data;
	enum vmc_status rc;

	for (size_t done = 0; done < b->len; done += DATA_CHUNK) {
		size_t n = b->len - done < DATA_CHUNK ? b->len - done : DATA_CHUNK;
		if ((rc = w->sink->ops->pwrite(w->sink, b->buf + done, n, b->start + done, d)))
			return rc;
		w->data_end = b->start + done + n;
	}
	b->start += b->len;
	b->len = 0;
	return VMC_OK;
}

static enum vmc_status put_data(struct vmc_writer *w, const void *p, size_t n, struct vmc_diag *d)
{
	enum vmc_status rc;

	if (w->data.len + n > w->data.cap && (rc = flush_data(w, d)))
		return rc;
	return vmc_bufw_write(&w->data, p, n, d);
}

/* Descriptors go to the file only after the data they point at (see the top comment). */
static enum vmc_status flush_both(struct vmc_writer *w, struct vmc_diag *d)
{
	enum vmc_status rc = flush_data(w, d);
	return rc ? rc : vmc_bufw_flush(&w->desc, d);
}

static enum vmc_status put_desc(struct vmc_writer *w, uint64_t off, uint32_t size, uint32_t flags, struct vmc_diag *d)
{
	uint8_t pd[KPD_BYTES] = { 0 };
	enum vmc_status rc;

	if (w->desc.len + KPD_BYTES > w->desc.cap && (rc = flush_both(w, d)))
		return rc;
	kd_put64(pd + KPD_OFFSET, off);
	kd_put32(pd + KPD_SIZE, size);
	kd_put32(pd + KPD_FLAGS, flags);
	if (!off)
		w->ndesc_zero++;
	return vmc_bufw_write(&w->desc, pd, sizeof(pd), d);
}

/* After ENOSPC: keep the descriptors whose data reached the file, flag the header INCOMPLETE.
 * The frames after them keep the all-zero descriptors of the reserved table. */
static enum vmc_status salvage(struct vmc_writer *w, struct vmc_diag *d)
{
	uint64_t on_disk = w->data_end;
	size_t keep = 0, nbuf = w->desc.len / KPD_BYTES;
	uint64_t ndesc, nzero_dropped = 0, pages;
	enum vmc_status rc;
	uint8_t st[4];

	while (keep < nbuf) {
		const uint8_t *pd = w->desc.buf + keep * KPD_BYTES;
		uint64_t off = kd_get64(pd + KPD_OFFSET);
		if (off && off + kd_get32(pd + KPD_SIZE) > on_disk)
			break;
		keep++;
	}
	for (size_t i = keep; i < nbuf; i++)
		if (!kd_get64(w->desc.buf + i * KPD_BYTES + KPD_OFFSET))
			nzero_dropped++;
	w->desc.len = keep * KPD_BYTES;
	ndesc = (w->desc.start - w->desc_off) / KPD_BYTES + keep;
	pages = ndesc - (w->ndesc_zero - nzero_dropped);
	if ((rc = vmc_bufw_flush(&w->desc, d)))
		return vmc_wrap(d, rc, "after running out of space");
	w->status |= VMC_KDUMP_INCOMPLETE;
	kd_put32(st, w->status);
	if ((rc = w->sink->ops->pwrite(w->sink, st, 4, KDH_STATUS, d)))
		return vmc_wrap(d, rc, "after running out of space");
	w->st.pages = pages;
	w->st.missing_pages = w->expected - pages;
	w->st.bytes_out = on_disk;
	vmc_warn(d, "%s; kept %llu of %llu pages, the output is marked INCOMPLETE", w->nospc, (unsigned long long)pages,
		 (unsigned long long)w->expected);
	return VMC_OK;
}

/* rc from a write: ENOSPC on a reserved table turns into "full" (VMC_DONE: no more pages). */
static enum vmc_status check_full(struct vmc_writer *w, enum vmc_status rc, struct vmc_diag *d)
{
	if (rc != VMC_ERR_NOSPC || !w->can_salvage)
		return rc;
	w->full = true;
	snprintf(w->nospc, sizeof(w->nospc), "%s", d->msg);
	return VMC_DONE;
}

/* len bytes of page data written at off into dst. From the file, a read-back that continues the
 * window (starts in it or where it ends) reads ahead, twice as far as the last time (up to
 * WINDOW_MAX), so read-backs in order cost a pread per window rather than one each; any other
 * reads only what it needs and starts the next window afresh. */
static enum vmc_status readback(struct vmc_writer *w, uint64_t off, uint8_t *dst, size_t len, struct vmc_diag *d)
{
	uint64_t flushed = w->data.start, end = w->window_off + w->window_len;
	size_t n;
	enum vmc_status rc;

	if (off >= w->window_off && off + len <= end) {
		memcpy(dst, w->window + (off - w->window_off), len);
		return VMC_OK;
	}
	if (off + len > flushed || len > WINDOW_MAX)
		return vmc_bufw_readback(&w->data, off, dst, len, d);
	if (w->window_len && off >= w->window_off && off <= end)
		w->window_ahead = w->window_ahead ? (w->window_ahead < WINDOW_MAX ? 2 * w->window_ahead : WINDOW_MAX) : 16 << 10;
	else
		w->window_ahead = 0;
	n = len + w->window_ahead;
	if (n > WINDOW_MAX)
		n = WINDOW_MAX;
	if (n > flushed - off)
		n = (size_t)(flushed - off);
	w->window_len = 0;
	if ((rc = vmc_bufw_readback(&w->data, off, w->window, n, d)))
		return rc;
	w->window_off = off;
	w->window_len = n;
	memcpy(dst, w->window, len);
	return VMC_OK;
}

/* Whether the page stored at e holds exactly the bytes of pg (decompressed to compare). */
static enum vmc_status same_bytes(struct vmc_writer *w, const struct dedup_entry *e, const uint8_t *pg, bool *same,
				  struct vmc_diag *d)
{
	unsigned k = (unsigned)(e->hash & (PLAIN_SLOTS - 1));
	uint8_t *plain = w->plain + (size_t)k * w->ps;
	enum vmc_status rc;

	*same = false;
	if (w->plain_off[k] != e->off) {
		w->plain_off[k] = 0;
		if ((rc = readback(w, e->off, e->flags ? w->cmpbuf : plain, e->size, d)))
			return rc;
		/* our own output: a failure only means "not the same", the page is then stored */
		if (e->flags ? vmc_codec_decompress_kdump(e->flags, w->cmpbuf, e->size, plain, w->ps, &(struct vmc_diag){ 0 }) != VMC_OK
			     : e->size != w->ps)
			return VMC_OK;
		w->plain_off[k] = e->off;
	}
	*same = memcmp(plain, pg, w->ps) == 0;
	return VMC_OK;
}

/* retire()'s own codec context, made when first needed (NULL for no codec). */
static enum vmc_status main_ctx(struct vmc_writer *w, struct vmc_codec_ctx **ctx, struct vmc_diag *d)
{
	if (!w->main_ctx && w->opts.codec != VMC_CODEC_NONE && !(w->main_ctx = vmc_codec_ctx_new(w->opts.codec)))
		return vmc_fail(d, VMC_ERR_NOMEM, "%s codec context", vmc_codec_get(w->opts.codec)->name);
	*ctx = w->main_ctx;
	return VMC_OK;
}

/* The bytes stored at e (as written: compressed or raw), read back or from the cache. */
static enum vmc_status stored_bytes(struct vmc_writer *w, const struct dedup_entry *e, const uint8_t **st,
				    struct vmc_diag *d)
{
	unsigned k = (unsigned)(e->hash & (STORED_SLOTS - 1));
	uint8_t *buf = w->stored + (size_t)k * (w->bound > w->ps ? w->bound : w->ps);
	enum vmc_status rc;

	*st = buf;
	if (w->stored_off[k] == e->off)
		return VMC_OK;
	w->stored_off[k] = 0;
	if ((rc = readback(w, e->off, buf, e->size, d)))
		return rc;
	w->stored_off[k] = e->off;
	return VMC_OK;
}

/* A page the worker left uncompressed (its hash seen before): *dup when the stored copy the
 * table points at has the same bytes (what comparing compressed bytes would decide:
 * compression is deterministic and decompression a function), else compressed here. */
static enum vmc_status retire_lazy(struct vmc_writer *w, struct batch *b, unsigned i, bool *dup, struct vmc_diag *d)
{
	struct dedup_entry *e = &w->table[b->hash[i] & (((uint64_t)1 << DEDUP_BITS) - 1)];
	struct vmc_codec_ctx *ctx = NULL;
	enum vmc_status rc;

	*dup = false;
	if (e->off && e->hash == b->hash[i] && ((rc = same_bytes(w, e, b->page[i], dup, d)) || *dup))
		return rc;
	if ((rc = main_ctx(w, &ctx, d)))
		return rc;
	compress_page(w, ctx, b->page[i], b->out + (size_t)i * w->bound, &b->size[i], &b->flags[i]);
	return VMC_OK;
}

/* Page i, which the worker could not read: read again here through its run's redo(), then
 * missing (the stream keeps unreadable frames) or prepared as a worker would have. */
static enum vmc_status settle_redo(struct vmc_writer *w, struct batch *b, unsigned i, struct vmc_diag *d)
{
	const struct unread_run *u = b->runs;
	struct vmc_codec_ctx *ctx = NULL;
	bool missing;
	enum vmc_status rc;

	while (i >= u->first + u->n)
		u++;
	if ((rc = u->r->redo(u->r, b->pfn[i], b->in + (size_t)i * w->ps, &missing, d)))
		return rc;
	if (missing) {
		b->missing[i] = 1;
		return VMC_OK;
	}
	if ((rc = main_ctx(w, &ctx, d)))
		return rc;
	prepare_page(w, ctx, b, i);
	return VMC_OK;
}

/* A zero page: one shared copy of it in the data area. */
static enum vmc_status put_zero(struct vmc_writer *w, struct vmc_diag *d)
{
	enum vmc_status rc;

	if (!w->zero_off) {
		w->zero_off = vmc_bufw_pos(&w->data);
		memset(w->cmpbuf, 0, w->ps);
		if ((rc = put_data(w, w->cmpbuf, w->ps, d)))
			return rc;
	}
	w->st.zero_pages++;
	return put_desc(w, w->zero_off, w->ps, 0, d);
}

/* Page i of b against the dedup table: *dup when its descriptor now points at an earlier
 * copy; else the table remembers it (it is about to be stored). */
static enum vmc_status dedup(struct vmc_writer *w, struct batch *b, unsigned i, bool *dup, struct vmc_diag *d)
{
	struct dedup_entry *e = &w->table[b->hash[i] & (((uint64_t)1 << DEDUP_BITS) - 1)];
	uint32_t size = b->size[i], flags = b->flags[i];
	enum vmc_status rc;

	*dup = false;
	if (b->lazy[i]) {
		if ((rc = retire_lazy(w, b, i, dup, d)))
			return rc;
		size = b->size[i];
		flags = b->flags[i];
	} else if (e->off && e->hash == b->hash[i] && e->size == size && e->flags == flags) {
		const uint8_t *blob = flags ? b->out + (size_t)i * w->bound : b->page[i], *st;
		if ((rc = stored_bytes(w, e, &st, d)))
			return rc;
		*dup = memcmp(st, blob, size) == 0;
	}
	if (*dup) {
		w->st.dedup_pages++;
		return put_desc(w, e->off, e->size, e->flags, d);
	}
	*e = (struct dedup_entry){ b->hash[i], vmc_bufw_pos(&w->data), size, flags };
	return VMC_OK;
}

static enum vmc_status retire(struct vmc_writer *w, struct batch *b, struct vmc_diag *d)
{
	enum vmc_status rc;

	/* the dedup table entries its pages will look at, loaded ahead: the table (8 MiB) is hit
	 * at random, and the load of each entry was most of retire()'s own time (in this loop:
	 * GCC drops a call to a function that only prefetches) */
	for (unsigned i = 0; w->table && i < b->n; i++)
		if (!b->missing[i] && !b->zero[i] && !b->redo[i])
			__builtin_prefetch(&w->table[b->hash[i] & (((uint64_t)1 << DEDUP_BITS) - 1)]);
	for (unsigned i = 0; i < b->n; i++) {
		uint64_t off;
		bool dup = false;

		if (b->redo[i] && (rc = settle_redo(w, b, i, d)))
			return rc;
		if (b->missing[i]) {
			w->st.missing_pages++;
			w->status |= VMC_KDUMP_INCOMPLETE;
			if ((rc = put_desc(w, 0, 0, 0, d)))
				return rc;
			continue;
		}
		w->st.pages++;
		if (b->zero[i]) {
			if ((rc = put_zero(w, d)))
				return rc;
			continue;
		}
		if (w->opts.dedup && w->can_readback) {
			if ((rc = dedup(w, b, i, &dup, d)))
				return rc;
			if (dup)
				continue;
		}
		if (!b->flags[i])
			w->st.raw_pages++;
		off = vmc_bufw_pos(&w->data);
		if ((rc = put_data(w, b->flags[i] ? b->out + (size_t)i * w->bound : b->page[i], b->size[i], d)) ||
		    (rc = put_desc(w, off, b->size[i], b->flags[i], d)))
			return rc;
	}
	return VMC_OK;
}

/* Wait for the oldest batch in flight and write it out. */
static enum vmc_status retire_oldest(struct vmc_writer *w, struct vmc_diag *d)
{
	struct batch *b = vmc_workring_oldest(&w->ring);

	vmc_workring_retire(&w->ring);
	return retire(w, b, d);
}

static struct batch *current(struct vmc_writer *w)
{
	return vmc_workring_tail(&w->ring);
}

static enum vmc_status submit_current(struct vmc_writer *w, struct vmc_diag *d)
{
	struct batch *b = current(w);

	if (!b->n)
		return VMC_OK;
	b->seq = w->nsubmitted++;
	vmc_workring_submit(&w->ring);
	if (w->ring.count == w->ring.nslots)
		return retire_oldest(w, d);
	return VMC_OK;
}

/* An unread page joins the batch's last unread run when it continues it, else starts one. */
static void note_unread(struct batch *b, const struct vmc_page *pg)
{
	struct unread_run *u = b->nruns ? &b->runs[b->nruns - 1] : NULL;

	if (u && u->r == pg->unread && u->first + u->n == b->n && u->pfn + u->n == pg->pfn)
		u->n++;
	else
		b->runs[b->nruns++] = (struct unread_run){ .r = pg->unread, .pfn = pg->pfn, .first = b->n, .n = 1 };
}

static enum vmc_status kdw_page(struct vmc_writer *w, const struct vmc_page *pg, struct vmc_diag *d)
{
	struct batch *b = current(w);

	if (w->full)
		return VMC_DONE;
	if (++w->seen > w->expected)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: more pages than the bitmap announced (frame 0x%llx)", w->sink->name,
				(unsigned long long)pg->pfn);
	if (b->n == 0) {
		b->job.done = 0;
		b->nruns = 0;
	}
	b->pfn[b->n] = pg->pfn;
	b->missing[b->n] = pg->missing;
	b->redo[b->n] = 0;
	if (pg->missing) {
		b->page[b->n] = NULL;
	} else if (pg->unread) {
		if (pg->data != b->in + (size_t)b->n * w->ps)
			return vmc_fail(d, VMC_ERR_ARGS, "%s: frame 0x%llx left unread outside the writer's slots", w->sink->name,
					(unsigned long long)pg->pfn);
		note_unread(b, pg);
		b->page[b->n] = pg->data;
	} else if (pg->stable) {
		b->page[b->n] = pg->data;
	} else {
		/* already in place when the pipeline read it into slots() */
		if (pg->data != b->in + (size_t)b->n * w->ps)
			memcpy(b->in + (size_t)b->n * w->ps, pg->data, w->ps);
		b->page[b->n] = b->in + (size_t)b->n * w->ps;
	}
	if (++b->n == BATCH_PAGES) {
		enum vmc_status rc = submit_current(w, d);
		if (rc)
			return check_full(w, rc, d);
		current(w)->n = 0;
	}
	return VMC_OK;
}

/* The rest of the current batch's input buffer, for the pipeline to read pages into. */
static uint8_t *kdw_slots(struct vmc_writer *w, size_t *n)
{
	struct batch *b = current(w);

	if (w->full) {
		*n = 0;
		return NULL;
	}
	*n = BATCH_PAGES - b->n;
	return b->in + (size_t)b->n * w->ps;
}

/* Cancelled: possible only where ENOSPC could be survived, the descriptor table reserved. */
static enum vmc_status kdw_stop(struct vmc_writer *w)
{
	if (!w->can_salvage)
		return VMC_ERR_UNSUPPORTED;
	w->stopped = true;
	return VMC_OK;
}

/* After stop(): the frames never seen keep the reserved table's offset-0 descriptors. */
static void mark_stopped(struct vmc_writer *w)
{
	w->status |= VMC_KDUMP_INCOMPLETE;
	w->st.missing_pages += w->expected - w->seen;
}

static enum vmc_status kdw_end(struct vmc_writer *w, struct vmc_writer_stats *stats, struct vmc_diag *d)
{
	enum vmc_status rc = VMC_OK;

	if (!w->full)
		rc = submit_current(w, d);
	if (!rc && w->ring.count < w->ring.nslots)
		current(w)->n = 0;
	while (!rc && !w->full && w->ring.count)
		rc = retire_oldest(w, d);
	if (!rc && !w->full && w->stopped)
		mark_stopped(w);
	else if (!rc && !w->full && w->seen != w->expected)
		return vmc_fail(d, VMC_ERR_ARGS, "%s: %llu pages written, the bitmap announced %llu", w->sink->name,
				(unsigned long long)w->seen, (unsigned long long)w->expected);
	if (!rc && !w->full)
		rc = flush_both(w, d);
	if (rc && (rc = check_full(w, rc, d)) != VMC_DONE)
		return rc;
	if (w->full) {
		if ((rc = salvage(w, d)))
			return rc;
		if (stats)
			*stats = w->st;
		return VMC_OK;
	}
	if (w->status != kd_get32(w->header + KDH_STATUS)) {
		uint8_t st[4];
		kd_put32(st, w->status);
		if ((rc = w->sink->ops->pwrite(w->sink, st, 4, KDH_STATUS, d)))
			return rc;
	}
	w->st.bytes_out = vmc_bufw_pos(&w->data);
	if (stats)
		*stats = w->st;
	return VMC_OK;
}

static void kdw_free(struct vmc_writer *w)
{
	if (!w)
		return;
	vmc_workring_release(&w->ring);
	vmc_bigmem_free(w->batch_mem, w->batch_mem_len);
	free(w->batches);
	for (unsigned i = 0; w->ctx && i < w->nctx; i++)
		vmc_codec_ctx_free(w->ctx[i]);
	free(w->ctx);
	if (w->bufs_ready) {
		vmc_bufw_release(&w->desc);
		vmc_bufw_release(&w->data);
	}
	vmc_bigmem_free(w->table, w->table_len);
	vmc_bigmem_free(w->hint_hash, w->hint_hash_len);
	vmc_bigmem_free(w->hint_seq, w->hint_seq_len);
	vmc_codec_ctx_free(w->main_ctx);
	free(w);
}

const struct vmc_writer_ops vmc_writer_kdump = {
	.name = "kdump",
	.new = kdw_new,
	.begin = kdw_begin,
	.page = kdw_page,
	.slots = kdw_slots,
	.reads_unread = true,
	.stop = kdw_stop,
	.end = kdw_end,
	.free = kdw_free,
};
