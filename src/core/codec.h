/* codec.h: the per-page codec table (none, zlib, lzo, snappy, zstd) with kdump flag values. */
#ifndef VMC_CODEC_H
#define VMC_CODEC_H

#include "diag.h"

enum vmc_codec_id { VMC_CODEC_NONE, VMC_CODEC_ZLIB, VMC_CODEC_LZO, VMC_CODEC_SNAPPY, VMC_CODEC_ZSTD, VMC_CODEC_COUNT };

/* kdump-compressed per-page and header flags (makedumpfile diskdump_mod.h) */
enum {
	VMC_KDUMP_ZLIB = 0x01,
	VMC_KDUMP_LZO = 0x02,
	VMC_KDUMP_SNAPPY = 0x04,
	VMC_KDUMP_INCOMPLETE = 0x08,
	VMC_KDUMP_EXCLUDED_VMEMMAP = 0x10,
	VMC_KDUMP_ZSTD = 0x20,
};

struct vmc_codec_ctx; /* per-thread compression state */

struct vmc_codec {
	const char *name;
	uint32_t kdump_flag;
	size_t (*bound)(size_t len);
};

const struct vmc_codec *vmc_codec_get(enum vmc_codec_id id);

struct vmc_codec_ctx *vmc_codec_ctx_new(enum vmc_codec_id id);
void vmc_codec_ctx_free(struct vmc_codec_ctx *c);
/* Compress len bytes; returns the compressed size, or 0 when the codec failed or the
 * output would not be smaller than maxlen (callers then store the page raw). */
size_t vmc_codec_compress(struct vmc_codec_ctx *c, const void *src, size_t len, void *dst, size_t maxlen);

/* Decompress one page stored with kdump flag `flag`; succeeds only if exactly dst_len bytes
 * come out. Thread-safe (no shared state). */
enum vmc_status vmc_codec_decompress_kdump(uint32_t flag, const void *src, size_t len, void *dst,
					   size_t dst_len, struct vmc_diag *d);

/* Worst-case compressed size of a page for any codec. */
size_t vmc_codec_max_bound(size_t len);

#endif
