/* fuzz_split.c: the input cut into 2 or 3 files opened as a split set.
 *
 *   byte 0: number of files - 2 (low bit); then one le32 length per file but the last
 *   (clamped to what is left); then the files back to back. */
#include "fuzz_common.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *bufs[3];
	size_t lens[3], pos;
	unsigned n;
	struct vmc_diag d;
	struct vmc_dump *dump;

	if (size < 1)
		return 0;
	n = 2 + (data[0] & 1);
	pos = 1 + 4 * (n - 1);
	if (size < pos)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		size_t want = i + 1 < n ? le32(data + 1 + 4 * i) : size - pos;
		if (want > size - pos)
			want = size - pos;
		bufs[i] = data + pos;
		lens[i] = want;
		pos += want;
	}
	dump = fz_open(bufs, lens, n, &d);
	if (!dump)
		return 0;
	fz_check_dump(dump);
	FZ_ASSERT(dump->nfiles == n);
	fz_touch_notes(dump);
	fz_read_pages(dump, FZ_MAX_PAGES);
	vmc_dump_close(dump);
	return 0;
}
