/* bufwriter.h: a fixed-capacity buffered writer that appends to a sink from a start offset.
 * Writers use two of them for the kdump descriptor and data areas. */
#ifndef VMC_BUFWRITER_H
#define VMC_BUFWRITER_H

#include "bytesink.h"

struct vmc_bufw {
	struct vmc_bytesink *sink;
	uint8_t *buf;
	size_t cap, len;
	uint64_t start; /* sink offset of buf[0] */
};

enum vmc_status vmc_bufw_init(struct vmc_bufw *w, struct vmc_bytesink *sink, uint64_t off, size_t cap,
			      struct vmc_diag *d);
/* data may be the free space itself (vmc_bufw_space), filled in place: then nothing is copied. */
enum vmc_status vmc_bufw_write(struct vmc_bufw *w, const void *data, size_t len, struct vmc_diag *d);
/* The free space at the end of the buffer (*room bytes), to fill in place before a write. */
static inline uint8_t *vmc_bufw_space(struct vmc_bufw *w, size_t *room)
{
	*room = w->cap - w->len;
	return w->buf + w->len;
}
enum vmc_status vmc_bufw_flush(struct vmc_bufw *w, struct vmc_diag *d);
/* Read bytes written earlier, whether still buffered or already in the sink. */
enum vmc_status vmc_bufw_readback(struct vmc_bufw *w, uint64_t off, void *dst, size_t len, struct vmc_diag *d);
static inline uint64_t vmc_bufw_pos(const struct vmc_bufw *w)
{
	return w->start + w->len;
}
void vmc_bufw_release(struct vmc_bufw *w);

#endif
