/* flat_read.c: reading makedumpfile's flattened format.
 *
 *   0x0000  "makedumpfile" NUL-padded to 16 | be64 type = 1 | be64 version = 1 | zeros to 4096
 *   0x1000  { be64 offset, be64 size, size bytes }*  | { -1, -1 } end marker
 *
 * Each record means "these bytes go at this offset of the real file". Records come in any
 * order and may overwrite earlier ones (last write wins), so the index is resolved once
 * into non-overlapping extents with a sweep over the record boundaries. */
#include "flat.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

struct flat_rec {
	uint64_t voff, len, spos, seq;
};

struct flat_src {
	struct vmc_bytesrc *inner;
	struct flat_rec *ext; /* resolved extents sorted by voff; seq unused */
	size_t next;
	bool truncated;
	uint64_t cut_off; /* stream offset after the last whole record */
};

static const struct vmc_bytesrc_ops flat_ops;

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

bool vmc_flat_probe(const uint8_t *head, size_t len)
{
	static const char sig[16] = "makedumpfile";
	return len >= 32 && memcmp(head, sig, 16) == 0 && be64(head + 16) == 1;
}

bool vmc_bytesrc_is_flat(const struct vmc_bytesrc *src)
{
	return src->flattened;
}

bool vmc_flat_truncated(const struct vmc_bytesrc *src, uint64_t *cut_off)
{
	if (!src->cut_short)
		return false;
	*cut_off = src->cut_off;
	return true;
}

/* Number of extents starting at or before off: the one that may hold off is the last of them
 * (extents are disjoint and sorted). */
static size_t ext_upto(const struct flat_src *fs, uint64_t off)
{
	size_t lo = 0, hi = fs->next;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (fs->ext[mid].voff <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool vmc_flat_covered(const struct vmc_bytesrc *src, uint64_t off, uint64_t len)
{
	return vmc_bytesrc_covered(src, off, len);
}

static bool flat_covered(const struct vmc_bytesrc *src, uint64_t off, uint64_t len)
{
	const struct flat_src *fs = src->priv;

	while (len) {
		size_t k = ext_upto(fs, off);
		uint64_t n;
		if (!k || off >= fs->ext[k - 1].voff + fs->ext[k - 1].len)
			return false;
		n = fs->ext[k - 1].voff + fs->ext[k - 1].len - off;
		if (n >= len)
			return true;
		off += n;
		len -= n;
	}
	return true;
}

static int cmp_voff(const void *a, const void *b)
{
	const struct flat_rec *x = a, *y = b;
	if (x->voff != y->voff)
		return x->voff < y->voff ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* max-heap of record indices by seq */
static void heap_push(size_t *h, size_t *n, const struct flat_rec *r, size_t idx)
{
	size_t i = (*n)++;
	h[i] = idx;
	while (i && r[h[(i - 1) / 2]].seq < r[h[i]].seq) {
		size_t p = (i - 1) / 2, t = h[p];
		h[p] = h[i];
		h[i] = t;
		i = p;
	}
}

static void heap_pop(size_t *h, size_t *n, const struct flat_rec *r)
{
	size_t i = 0;
	h[0] = h[--(*n)];
	for (;;) {
		size_t l = 2 * i + 1, g = i, t;
		if (l < *n && r[h[l]].seq > r[h[g]].seq)
			g = l;
		if (l + 1 < *n && r[h[l + 1]].seq > r[h[g]].seq)
			g = l + 1;
		if (g == i)
			break;
		t = h[g];
		h[g] = h[i];
		h[i] = t;
		i = g;
	}
}

/* Resolve overlapping records (newest wins) into sorted disjoint extents. */
static enum vmc_status resolve(struct flat_rec *recs, size_t n, struct flat_rec **out, size_t *nout,
			       struct vmc_diag *d)
{
	uint64_t *pts;
	size_t *heap, nh = 0, np = 0, ri = 0, ne = 0;
	struct flat_rec *ext;
	bool overlap = false;

	if (n > 1)
		qsort(recs, n, sizeof(*recs), cmp_voff);
	for (size_t i = 1; i < n; i++)
		if (recs[i - 1].voff + recs[i - 1].len > recs[i].voff)
			overlap = true;
	if (!overlap) {
		*out = recs;
		*nout = n;
		return VMC_OK;
	}
	pts = malloc(2 * n * sizeof(*pts));
	heap = malloc(n * sizeof(*heap));
	ext = malloc(2 * n * sizeof(*ext));
	if (!pts || !heap || !ext) {
		free(pts);
		free(heap);
		free(ext);
		return vmc_fail(d, VMC_ERR_NOMEM, "flattened index of %zu records", n);
	}
	for (size_t i = 0; i < n; i++) {
		pts[np++] = recs[i].voff;
		pts[np++] = recs[i].voff + recs[i].len;
	}
	qsort(pts, np, sizeof(*pts), cmp_u64);
	for (size_t k = 0; k + 1 < np; k++) {
		uint64_t x = pts[k], nx = pts[k + 1];
		if (x == nx)
			continue;
		while (ri < n && recs[ri].voff <= x)
			heap_push(heap, &nh, recs, ri++);
		while (nh && recs[heap[0]].voff + recs[heap[0]].len <= x)
			heap_pop(heap, &nh, recs);
		if (!nh)
			continue;
		{
			const struct flat_rec *o = &recs[heap[0]];
			uint64_t spos = o->spos + (x - o->voff);
			if (ne && ext[ne - 1].voff + ext[ne - 1].len == x && ext[ne - 1].spos + ext[ne - 1].len == spos)
				ext[ne - 1].len += nx - x;
			else
				ext[ne++] = (struct flat_rec){ x, nx - x, spos, 0 };
		}
	}
	free(pts);
	free(heap);
	free(recs);
	*out = ext;
	*nout = ne;
	return VMC_OK;
}

enum vmc_status vmc_bytesrc_new_flat(struct vmc_bytesrc *inner, struct vmc_bytesrc **ret, struct vmc_diag *d)
{
	struct flat_rec *recs = NULL;
	size_t n = 0, cap = 0;
	uint64_t pos = VMC_FLAT_HEADER_SIZE, vsize = 0;
	bool truncated = true;
	struct flat_src *fs;
	struct vmc_bytesrc *src;
	enum vmc_status rc;

	while (pos + 16 <= inner->size) {
		uint8_t h[16];
		uint64_t voff, len;

		if ((rc = vmc_bytesrc_read_exact(inner, h, 16, pos, "flattened record header", d)))
			goto fail;
		voff = be64(h);
		len = be64(h + 8);
		if (voff == UINT64_MAX && len == UINT64_MAX) {
			truncated = false;
			break;
		}
		if (voff >> 62 || len >> 62) {
			rc = vmc_fail_at(d, VMC_ERR_CORRUPT, inner->name, pos,
					 "flattened record with offset 0x%llx size 0x%llx", (unsigned long long)voff,
					 (unsigned long long)len);
			goto fail;
		}
		if (len > inner->size - pos - 16)
			break; /* the stream was cut inside this record's data */
		if (len) {
			if ((rc = vmc_grow(&recs, &cap, n + 1, 1024, d))) {
				rc = vmc_wrap(d, rc, "flattened index");
				goto fail;
			}
			recs[n] = (struct flat_rec){ voff, len, pos + 16, n };
			n++;
			if (voff + len > vsize)
				vsize = voff + len;
		}
		pos += 16 + len;
	}
	fs = calloc(1, sizeof(*fs));
	src = vmc_bytesrc_alloc(&flat_ops, inner->name);
	if (!fs || !src) {
		free(fs);
		vmc_bytesrc_free(src);
		rc = vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = resolve(recs, n, &fs->ext, &fs->next, d))) {
		free(fs);
		vmc_bytesrc_free(src);
		free(recs); /* resolve() keeps recs on failure */
		return rc;
	}
	fs->inner = inner;
	fs->truncated = truncated;
	fs->cut_off = pos;
	src->priv = fs;
	src->flattened = true;
	src->cut_short = truncated;
	src->cut_off = pos;
	src->size = vsize;
	*ret = src;
	return VMC_OK;
fail:
	free(recs);
	return rc;
}

static enum vmc_status flat_pread(struct vmc_bytesrc *src, void *buf, size_t len, uint64_t off,
				  size_t *got, struct vmc_diag *d)
{
	struct flat_src *fs = src->priv;
	uint8_t *out = buf;
	size_t done = 0;

	if (off >= src->size) {
		*got = 0;
		return VMC_OK;
	}
	if (len > src->size - off)
		len = (size_t)(src->size - off);
	while (done < len) {
		uint64_t o = off + done;
		size_t lo = ext_upto(fs, o), n;
		if (lo && o < fs->ext[lo - 1].voff + fs->ext[lo - 1].len) {
			const struct flat_rec *e = &fs->ext[lo - 1];
			enum vmc_status rc;
			n = (size_t)(e->voff + e->len - o);
			if (n > len - done)
				n = len - done;
			rc = vmc_bytesrc_read_exact(fs->inner, out + done, n, e->spos + (o - e->voff), "flattened record", d);
			if (rc)
				return rc;
		} else {
			/* never written: reads as the zeros a sparse file would hold */
			uint64_t end = lo < fs->next ? fs->ext[lo].voff : src->size;
			n = (size_t)(end - o);
			if (n > len - done)
				n = len - done;
			memset(out + done, 0, n);
		}
		done += n;
	}
	*got = done;
	return VMC_OK;
}

static void flat_close(struct vmc_bytesrc *src)
{
	struct flat_src *fs = src->priv;

	if (!fs)
		return;
	vmc_bytesrc_free(fs->inner);
	free(fs->ext);
	free(fs);
}

static const struct vmc_bytesrc_ops flat_ops = { .pread = flat_pread, .close = flat_close, .covered = flat_covered };
