/* fuzz_open.c: any bytes as a one-file dump from memory (ELF, kdump, flattened, ...):
 * open it, check the model's invariants, walk the notes, complete utsname/kernel text from
 * VMCOREINFO (what vmc_convert does first), and read stored frames. */
#include "fuzz_common.h"
#include "linux_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmc_diag d;
	struct vmc_dump *dump = fz_open(&data, &size, 1, &d);

	if (!dump)
		return 0;
	fz_check_dump(dump);
	fz_touch_notes(dump);
	vmc_linux_info_fill(dump);
	fz_check_uts(dump);
	fz_read_pages(dump, FZ_MAX_PAGES);
	vmc_dump_close(dump);
	return 0;
}
