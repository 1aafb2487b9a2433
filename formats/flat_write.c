/* flat_write.c: a byte sink that emits makedumpfile's flattened format (layout in
 * flat_read.c): each positional write becomes one {be64 offset, be64 size, data} record
 * appended to an inner, append-only sink. Used for pipes, stdout and `--format flat`. */
#include <stdlib.h>
#include <string.h>

#include "bytesink.h"
#include "flat.h"

struct flat_sink {
	struct vmc_bytesink *inner;
	uint64_t pos;
	bool started;
};

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static enum vmc_status start(struct vmc_bytesink *s, struct vmc_diag *d)
{
	struct flat_sink *f = s->priv;
	uint8_t *h;
	enum vmc_status rc;

	if (f->started)
		return VMC_OK;
	h = calloc(1, VMC_FLAT_HEADER_SIZE);
	if (!h)
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	memcpy(h, "makedumpfile", 12);
	put_be64(h + 16, 1); /* TYPE_FLAT_HEADER */
	put_be64(h + 24, 1); /* VERSION_FLAT_HEADER */
	rc = f->inner->ops->pwrite(f->inner, h, VMC_FLAT_HEADER_SIZE, 0, d);
	free(h);
	if (rc)
		return rc;
	f->pos = VMC_FLAT_HEADER_SIZE;
	f->started = true;
	return VMC_OK;
}

static enum vmc_status flat_pwrite(struct vmc_bytesink *s, const void *buf, size_t len, uint64_t off,
				   struct vmc_diag *d)
{
	struct flat_sink *f = s->priv;
	uint8_t rh[16];
	enum vmc_status rc;

	if ((rc = start(s, d)))
		return rc;
	put_be64(rh, off);
	put_be64(rh + 8, len);
	if ((rc = f->inner->ops->pwrite(f->inner, rh, 16, f->pos, d)))
		return rc;
	if ((rc = f->inner->ops->pwrite(f->inner, buf, len, f->pos + 16, d)))
		return rc;
	f->pos += 16 + len;
	return VMC_OK;
}

static enum vmc_status flat_finish(struct vmc_bytesink *s, struct vmc_diag *d)
{
	struct flat_sink *f = s->priv;
	uint8_t end[16];
	enum vmc_status rc;

	if ((rc = start(s, d)))
		return rc;
	memset(end, 0xff, sizeof(end)); /* END_FLAG_FLAT_HEADER: offset -1, size -1 */
	if ((rc = f->inner->ops->pwrite(f->inner, end, 16, f->pos, d)))
		return rc;
	f->pos += 16;
	return f->inner->ops->finish(f->inner, d);
}

static void flat_abort(struct vmc_bytesink *s)
{
	struct flat_sink *f = s->priv;

	if (f->inner->ops->abort)
		f->inner->ops->abort(f->inner);
}

static void flat_free(struct vmc_bytesink *s)
{
	struct flat_sink *f = s->priv;

	if (!f)
		return;
	vmc_bytesink_free(f->inner);
	free(f);
}

static const struct vmc_bytesink_ops flat_ops = {
	.pwrite = flat_pwrite, .finish = flat_finish, .abort = flat_abort, .free = flat_free,
};

enum vmc_status vmc_bytesink_new_flat(struct vmc_bytesink *inner, struct vmc_bytesink **ret, struct vmc_diag *d)
{
	struct vmc_bytesink *s = calloc(1, sizeof(*s));
	struct flat_sink *f = calloc(1, sizeof(*f));

	if (!s || !f || !(s->name = strdup(inner->name))) {
		free(s);
		free(f);
		return vmc_fail(d, VMC_ERR_NOMEM, "out of memory");
	}
	f->inner = inner;
	s->ops = &flat_ops;
	s->priv = f;
	s->sequential = false; /* any offset can be written; the records carry it */
	*ret = s;
	return VMC_OK;
}
