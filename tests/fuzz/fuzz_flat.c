/* fuzz_flat.c: the input is the record part of a makedumpfile flattened stream (this target
 * puts the 4 KiB file header in front). Index it with vmc_bytesrc_new_flat and check every
 * read against a model that applies the records in order (last write wins, holes read as
 * zeros, a record cut short ends the stream). */
#include "flat.h"
#include "fuzz_common.h"

enum { MODEL_MAX = 1 << 20 };

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = VMC_FLAT_HEADER_SIZE + size;
	uint8_t *stream = malloc(len), *model = NULL, *got = NULL;
	struct vmc_bytesrc *inner, *flat;
	struct vmc_diag d;
	enum vmc_status rc, want_rc = VMC_OK;
	uint64_t pos = VMC_FLAT_HEADER_SIZE, vsize = 0;
	bool truncated = true;

	FZ_ASSERT(stream);
	memset(stream, 0, VMC_FLAT_HEADER_SIZE);
	memcpy(stream, "makedumpfile", 12);
	stream[16 + 7] = 1;
	stream[24 + 7] = 1;
	if (size)
		memcpy(stream + VMC_FLAT_HEADER_SIZE, data, size);
	FZ_ASSERT(vmc_flat_probe(stream, len));
	(void)vmc_flat_probe(data, size);

	/* pass 1 of the model: the size, the end marker, hostile records */
	while (pos + 16 <= len) {
		uint64_t off = be64(stream + pos), n = be64(stream + pos + 8);
		if (off == UINT64_MAX && n == UINT64_MAX) {
			truncated = false;
			break;
		}
		if (off >> 62 || n >> 62) {
			want_rc = VMC_ERR_CORRUPT;
			break;
		}
		if (n > len - pos - 16)
			break;
		if (n && off + n > vsize)
			vsize = off + n;
		pos += 16 + n;
	}

	vmc_diag_init(&d);
	FZ_ASSERT(vmc_bytesrc_new_mem("flat", stream, len, &inner, &d) == VMC_OK);
	rc = vmc_bytesrc_new_flat(inner, &flat, &d);
	FZ_ASSERT(rc == want_rc);
	if (rc) {
		vmc_bytesrc_free(inner);
		free(stream);
		return 0;
	}
	FZ_ASSERT(vmc_bytesrc_is_flat(flat));
	FZ_ASSERT(flat->size == vsize);
	{
		uint64_t cut = UINT64_MAX;
		FZ_ASSERT(vmc_flat_truncated(flat, &cut) == truncated);
		FZ_ASSERT(!truncated || cut == pos);
	}

	if (vsize <= MODEL_MAX) {
		/* pass 2: apply the records in order */
		model = calloc(1, vsize + 1);
		got = malloc(vsize + 1);
		FZ_ASSERT(model && got);
		for (pos = VMC_FLAT_HEADER_SIZE; pos + 16 <= len;) {
			uint64_t off = be64(stream + pos), n = be64(stream + pos + 8);
			if ((off == UINT64_MAX && n == UINT64_MAX) || n > len - pos - 16)
				break;
			if (n)
				memcpy(model + off, stream + pos + 16, n);
			pos += 16 + n;
		}
		{
			size_t g = 0;
			FZ_ASSERT(flat->ops->pread(flat, got, vsize, 0, &g, &d) == VMC_OK && g == vsize);
			FZ_ASSERT(memcmp(model, got, vsize) == 0);
		}
		/* a few unaligned windows */
		for (uint64_t off = size % 7; off < vsize; off += 1 + (off * 7 + size) % 4093) {
			size_t g = 0, n = (size_t)((off * 13 + size) % 9000);
			uint8_t *w = malloc(n + 1);
			FZ_ASSERT(w);
			FZ_ASSERT(flat->ops->pread(flat, w, n, off, &g, &d) == VMC_OK);
			FZ_ASSERT(g == (vsize - off < n ? vsize - off : n));
			FZ_ASSERT(memcmp(w, model + off, g) == 0);
			free(w);
		}
	} else {
		/* huge sparse files: read around the ends of the records */
		uint8_t w[64];
		for (pos = VMC_FLAT_HEADER_SIZE; pos + 16 <= len;) {
			uint64_t off = be64(stream + pos), n = be64(stream + pos + 8);
			size_t g = 0;
			if ((off == UINT64_MAX && n == UINT64_MAX) || n > len - pos - 16)
				break;
			FZ_ASSERT(flat->ops->pread(flat, w, sizeof(w), off + n >= 32 ? off + n - 32 : 0, &g, &d) == VMC_OK);
			pos += 16 + n;
		}
	}
	free(model);
	free(got);
	vmc_bytesrc_free(flat); /* frees inner */
	free(stream);
	return 0;
}
