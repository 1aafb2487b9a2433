/* fuzz_notes.c: the input as an ELF note blob (and as raw VMCOREINFO text): iterate,
 * find, count, and look keys up; every note must lie inside the blob. */
#include "fuzz_common.h"

static const char *const keys[] = { "OSRELEASE", "PAGESIZE", "NUMBER(phys_base)", "KERNELOFFSET",
				    "SYMBOL(swapper_pg_dir)", "CRASHTIME", "", "=" };

static void lookups(const uint8_t *t, size_t len)
{
	char v[32];
	uint64_t x;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		if (vmcoreinfo_get(t, len, keys[k], v, sizeof(v)))
			FZ_ASSERT(strlen(v) < sizeof(v));
		(void)vmcoreinfo_get(t, len, keys[k], v, 1);
		(void)vmcoreinfo_get(t, len, keys[k], NULL, 0);
		(void)vmcoreinfo_get_u64(t, len, keys[k], 10, &x);
		(void)vmcoreinfo_get_u64(t, len, keys[k], 16, &x);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, last = 0;
	unsigned steps = 0;
	struct vmc_note n;
	enum vmc_status rc;

	while ((rc = vmc_note_next(data, size, &pos, &n)) == VMC_OK) {
		FZ_ASSERT(pos > last && pos <= size);
		FZ_ASSERT(n.offset == last);
		FZ_ASSERT((const uint8_t *)n.name >= data && (const uint8_t *)n.name + n.name_len <= data + size);
		FZ_ASSERT(n.desc >= data && n.desc_len <= size && n.desc + n.desc_len <= data + size);
		FZ_ASSERT(n.desc == data + n.desc_offset);
		(void)vmc_note_is(&n, "CORE");
		if (vmc_note_is(&n, "VMCOREINFO"))
			lookups(n.desc, n.desc_len);
		last = pos;
		steps++;
	}
	FZ_ASSERT(rc == VMC_DONE || rc == VMC_ERR_CORRUPT);
	FZ_ASSERT(pos == last);
	FZ_ASSERT(vmc_notes_valid_len(data, size) == last);
	if (vmc_notes_find(data, size, "VMCOREINFO", &n))
		FZ_ASSERT(n.desc + n.desc_len <= data + size);
	FZ_ASSERT(vmc_notes_count(data, size, "CORE", VMC_NT_PRSTATUS) <= steps);
	lookups(data, size);
	return 0;
}
