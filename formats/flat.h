/* flat.h: makedumpfile's flattened format: read as a random-access byte source
 * (flat_read.c), written by a byte sink that turns positional writes into records (flat_write.c). */
#ifndef VMC_FLAT_H
#define VMC_FLAT_H

#include "bytesink.h"
#include "bytesrc.h"

#define VMC_FLAT_HEADER_SIZE 4096u

bool vmc_flat_probe(const uint8_t *head, size_t len);
/* Index the records of a flattened stream and present the file they describe.
 * Takes ownership of inner on success. A stream without its end marker is accepted with
 * *truncated set (via vmc_flat_truncated); the regions it never wrote read as zeros. */
enum vmc_status vmc_bytesrc_new_flat(struct vmc_bytesrc *inner, struct vmc_bytesrc **ret, struct vmc_diag *d);
/* True when the stream lacks its end marker; *cut_off is where the last whole record ends. */
bool vmc_flat_truncated(const struct vmc_bytesrc *src, uint64_t *cut_off);
bool vmc_bytesrc_is_flat(const struct vmc_bytesrc *src);
/* For a flattened source: were all bytes of [off, off+len) written by some record?
 * Always true for other sources. */
bool vmc_flat_covered(const struct vmc_bytesrc *src, uint64_t off, uint64_t len);

/* Wrap inner into a flattened-format emitter; takes ownership of inner. */
enum vmc_status vmc_bytesink_new_flat(struct vmc_bytesink *inner, struct vmc_bytesink **ret,
				      struct vmc_diag *d);

#endif
