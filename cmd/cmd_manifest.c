/* cmd_manifest.c: `vmcarve manifest`: one line per RAM frame, "0xPFN XXH64", "excluded" or
 * "missing" — the page-level oracle the fixture tests compare. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cli.h"
#include "dump.h"

int cmd_manifest(int argc, char **argv)
{
	struct vmc_dump *dump;
	struct vmc_diag d;
	uint8_t *buf, *scratch;
	int rc = EXIT_OK;

	vmc_diag_init(&d);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs("usage: vmcarve manifest FILE...   (several files = a split set)\n", argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (vmc_dump_open((const char *const *)argv + 1, (unsigned)(argc - 1), &dump, &d))
		return cli_error(&d);
	buf = malloc(dump->page_size);
	scratch = malloc(dump->scratch_size ? dump->scratch_size : 1);
	if (!buf || !scratch) {
		vmc_fail(&d, VMC_ERR_NOMEM, "out of memory");
		rc = cli_error(&d);
		goto out;
	}
	for (uint64_t pfn = vmc_bitmap_next_set(&dump->ram, 0); pfn < dump->max_pfn;
	     pfn = vmc_bitmap_next_set(&dump->ram, pfn + 1)) {
		if (vmc_bitmap_test(&dump->stored, pfn)) {
			if (vmc_dump_read_page(dump, pfn, buf, scratch, &d)) {
				rc = cli_error(&d);
				goto out;
			}
			printf("0x%llx %016llx\n", (unsigned long long)pfn, (unsigned long long)XXH64(buf, dump->page_size, 0));
		} else if (vmc_bitmap_test(&dump->missing, pfn)) {
			printf("0x%llx missing\n", (unsigned long long)pfn);
		} else {
			printf("0x%llx excluded\n", (unsigned long long)pfn);
		}
	}
	if (fflush(stdout) != 0) {
		vmc_fail(&d, VMC_ERR_IO, "<stdout>: write error");
		rc = cli_error(&d);
	}
out:
	free(buf);
	free(scratch);
	vmc_dump_close(dump);
	return rc;
}
