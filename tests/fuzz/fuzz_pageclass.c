/* fuzz_pageclass.c: the dump-level classifier on hostile data. Input byte 0 picks the mode:
 *  0-2: a known key set (6.1, 6.6, 6.12) and the rest as a struct page array;
 *  3:   VMCOREINFO text up to a NUL, then the struct page array;
 *  4:   the rest is a dump (ELF, kdump, ...): the whole mem_section walk runs on it.
 * Byte 1 is the level. Invariants: frames are only ever cleared, the counts add up to the
 * frames cleared, and the walk ends. */
#include "fuzz_common.h"
#include "linux_pageclass.h"
#include "pgc_keysets.h"

enum { NPAGES = 2048, WINDOW = 512 };

static void classify(const char *keys, size_t klen, unsigned level, const uint8_t *pages, size_t len)
{
	struct vmc_pgc_layout l;
	struct vmc_pgc_counts c = { 0 };
	struct vmc_bitmap keep;
	struct vmc_diag d;
	char why[160];
	uint64_t n, next = 0, sum = 0;

	if (!vmc_pgc_layout_parse((const uint8_t *)keys, klen, &l, why, sizeof(why))) {
		FZ_ASSERT(why[0]);
		return;
	}
	FZ_ASSERT(l.size >= 32 && l.size <= 512);
	n = len / l.size;
	if (n > NPAGES)
		n = NPAGES;
	vmc_diag_init(&d);
	FZ_ASSERT(vmc_bitmap_init(&keep, NPAGES, &d) == VMC_OK);
	vmc_bitmap_set_range(&keep, 0, n);
	for (uint64_t w = 0; w < n; w += WINDOW) {
		uint64_t cnt = n - w < WINDOW ? n - w : WINDOW;
		next = vmc_pgc_classify(&l, level, w, pages + w * l.size, cnt, next, &keep, &c);
		FZ_ASSERT(next >= w + cnt);
	}
	for (unsigned i = 0; i < VMC_PGC_N; i++)
		sum += c.n[i];
	FZ_ASSERT(sum == n - vmc_bitmap_count(&keep));
	FZ_ASSERT(vmc_bitmap_next_set(&keep, n) >= NPAGES);
	vmc_bitmap_release(&keep);
}

static void walk(const uint8_t *data, size_t size, unsigned level)
{
	struct vmc_diag d;
	struct vmc_dump *dump = fz_open(&data, &size, 1, &d);
	struct vmc_lkmem km;
	struct vmc_bitmap keep;
	struct vmc_pgc_counts c;
	uint64_t before;

	if (!dump)
		return;
	vmc_diag_init(&d);
	if (dump->max_pfn <= (1u << 20) && vmc_lkmem_init(&km, dump, &d) == VMC_OK) {
		FZ_ASSERT(vmc_bitmap_copy(&keep, &dump->stored, &d) == VMC_OK);
		before = vmc_bitmap_count(&keep);
		if (vmc_linux_pageclass(&km, level, &keep, &c, &d) == VMC_OK) {
			uint64_t sum = 0;
			for (unsigned i = 0; i < VMC_PGC_N; i++)
				sum += c.n[i];
			FZ_ASSERT(sum == before - vmc_bitmap_count(&keep));
		}
		vmc_lkmem_fini(&km);
		vmc_bitmap_release(&keep);
	}
	vmc_dump_close(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sets[] = { PGC_KEYS_61, PGC_KEYS_66, PGC_KEYS_612 };
	unsigned level;

	if (size < 2)
		return 0;
	level = data[1] & 31;
	if (data[0] < 3) {
		classify(sets[data[0]], strlen(sets[data[0]]), level, data + 2, size - 2);
	} else if (data[0] == 3) {
		const uint8_t *nul = memchr(data + 2, 0, size - 2);
		size_t klen = nul ? (size_t)(nul - (data + 2)) : size - 2;
		const uint8_t *pages = nul ? nul + 1 : data + size;
		classify((const char *)data + 2, klen, level, pages, (size_t)(data + size - pages));
	} else if (data[0] == 4) {
		walk(data + 2, size - 2, level);
	}
	return 0;
}
