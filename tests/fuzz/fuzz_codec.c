/* fuzz_codec.c: byte 0 picks kdump page flags and a page size; the rest is
 *  1. decompressed as one stored page (must succeed only with exactly a page out), and
 *  2. used as page content, compressed with the codec byte 0 picks and decompressed again
 *     (must give the same page back). */
#include "codec.h"
#include "fuzz_common.h"

static const uint32_t flag_table[8] = { VMC_KDUMP_ZLIB, VMC_KDUMP_LZO, VMC_KDUMP_SNAPPY, VMC_KDUMP_ZSTD,
					VMC_KDUMP_ZLIB | VMC_KDUMP_ZSTD, 0, VMC_KDUMP_INCOMPLETE, 0x40 };
static struct vmc_codec_ctx *ctxs[VMC_CODEC_COUNT];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmc_diag d;
	size_t ps, bound;
	uint8_t *page, *back, *comp;
	enum vmc_status rc;
	int codec;

	if (size < 1)
		return 0;
	ps = data[0] & 0x80 ? 16384 : 4096;
	page = malloc(ps);
	back = malloc(ps);
	FZ_ASSERT(page && back);

	/* 1: decompress the payload */
	vmc_diag_init(&d);
	rc = vmc_codec_decompress_kdump(flag_table[data[0] & 7], data + 1, size - 1, page, ps, &d);
	FZ_ASSERT(rc == VMC_OK || rc == VMC_ERR_CORRUPT || rc == VMC_ERR_UNSUPPORTED);
	FZ_ASSERT(rc == VMC_OK || d.msg[0]);

	/* 2: round trip the payload as page content (repeated to fill the page) */
	for (size_t i = 0; i < ps; i++)
		page[i] = size > 1 ? data[1 + i % (size - 1)] : 0;
	if (data[0] & 0x40) /* mostly zeros with the payload at the start */
		memset(page + (size - 1 < ps ? size - 1 : ps), 0, ps - (size - 1 < ps ? size - 1 : ps));
	codec = ((data[0] >> 3) & 7) % VMC_CODEC_COUNT;
	if (!ctxs[codec])
		ctxs[codec] = vmc_codec_ctx_new(codec);
	FZ_ASSERT(ctxs[codec]);
	bound = vmc_codec_get(codec)->bound(ps);
	comp = malloc(bound);
	FZ_ASSERT(comp);
	{
		size_t n = vmc_codec_compress(ctxs[codec], page, ps, comp, bound);
		FZ_ASSERT(n < ps);
		if (n) {
			FZ_ASSERT(codec != VMC_CODEC_NONE);
			vmc_diag_init(&d);
			rc = vmc_codec_decompress_kdump(vmc_codec_get(codec)->kdump_flag, comp, n, back, ps, &d);
			FZ_ASSERT(rc == VMC_OK);
			FZ_ASSERT(memcmp(back, page, ps) == 0);
		}
	}
	free(comp);
	free(page);
	free(back);
	return 0;
}
