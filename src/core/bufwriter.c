/* bufwriter.c: buffered appends to a byte sink (see bufwriter.h). */
#include "bufwriter.h"

#include "bigmem.h"

#include <string.h>

enum vmc_status vmc_bufw_init(struct vmc_bufw *w, struct vmc_bytesink *sink, uint64_t off, size_t cap,
			      struct vmc_diag *d)
{
	memset(w, 0, sizeof(*w));
	/* a big buffer on huge pages (bigmem decides what is big): it is filled through whole, a
	 * first-touch fault per 4 KiB */
	w->buf = vmc_bigmem_alloc(cap);
	if (!w->buf)
		return vmc_fail(d, VMC_ERR_NOMEM, "write buffer of %zu bytes", cap);
	w->sink = sink;
	w->cap = cap;
	w->start = off;
	return VMC_OK;
}

enum vmc_status vmc_bufw_flush(struct vmc_bufw *w, struct vmc_diag *d)
{
	enum vmc_status rc;

	if (!w->len)
		return VMC_OK;
	rc = w->sink->ops->pwrite(w->sink, w->buf, w->len, w->start, d);
	if (rc)
		return rc;
	w->start += w->len;
	w->len = 0;
	return VMC_OK;
}

enum vmc_status vmc_bufw_write(struct vmc_bufw *w, const void *data, size_t len, struct vmc_diag *d)
{
	const uint8_t *p = data;
	enum vmc_status rc;

	if (p == w->buf + w->len && len <= w->cap - w->len) {
		w->len += len; /* filled in place */
		return VMC_OK;
	}
	while (len) {
		size_t n = w->cap - w->len;
		if (n == 0) {
			if ((rc = vmc_bufw_flush(w, d)))
				return rc;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p += n;
		len -= n;
	}
	return VMC_OK;
}

enum vmc_status vmc_bufw_readback(struct vmc_bufw *w, uint64_t off, void *dst, size_t len, struct vmc_diag *d)
{
	uint8_t *out = dst;

	if (off < w->start) {
		size_t n = w->start - off < len ? (size_t)(w->start - off) : len;
		enum vmc_status rc;
		if (!w->sink->ops->pread)
			return vmc_fail(d, VMC_ERR_UNSUPPORTED, "%s: cannot read back", w->sink->name);
		rc = w->sink->ops->pread(w->sink, out, n, off, d);
		if (rc)
			return rc;
		out += n;
		off += n;
		len -= n;
	}
	if (len) {
		if (off - w->start > w->len || len > w->len - (off - w->start))
			return vmc_fail(d, VMC_ERR_IO, "%s: read back beyond written data", w->sink->name);
		memcpy(out, w->buf + (off - w->start), len);
	}
	return VMC_OK;
}

void vmc_bufw_release(struct vmc_bufw *w)
{
	vmc_bigmem_free(w->buf, w->cap);
	w->buf = NULL;
}
