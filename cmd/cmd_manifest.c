/* cmd_manifest.c: `vmcarve manifest`: one line per RAM frame, "0xPFN XXH64", "excluded" or
 * "missing" — the page-level oracle the fixture tests compare. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cli.h"

/* One line per frame of the RAM range [start, end); EXIT_OK or an exit code (message printed). */
static int manifest_range(struct vmc_dump *dump, uint64_t start, uint64_t end, uint8_t *buf, uint32_t page_size)
{
	struct vmc_diag d;

	vmc_diag_init(&d);
	for (uint64_t pfn = start; pfn < end; pfn++) {
		switch (vmc_dump_page_state(dump, pfn)) {
		case VMC_PAGE_STORED:
			if (vmc_dump_read_pfn(dump, pfn, buf, &d))
				return cli_error(&d);
			printf("0x%llx %016llx\n", (unsigned long long)pfn, (unsigned long long)XXH64(buf, page_size, 0));
			break;
		case VMC_PAGE_MISSING: printf("0x%llx missing\n", (unsigned long long)pfn); break;
		default: printf("0x%llx excluded\n", (unsigned long long)pfn); break;
		}
	}
	return EXIT_OK;
}

int cmd_manifest(int argc, char **argv)
{
	struct vmc_dump *dump;
	struct vmc_dump_info in = { .size = sizeof(in) };
	struct vmc_diag d;
	uint8_t *buf = NULL;
	uint64_t start, end;
	int rc = EXIT_OK;

	vmc_diag_init(&d);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs("usage: vmcarve manifest FILE...   (several files = a split set)\n", argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (vmc_dump_open((const char *const *)argv + 1, (unsigned)(argc - 1), &dump, &d))
		return cli_error(&d);
	if (vmc_dump_get_info(dump, &in, &d)) {
		rc = cli_error(&d);
		goto out;
	}
	if (!(buf = malloc(in.page_size))) {
		fprintf(stderr, "vmcarve: out of memory\n");
		rc = EXIT_FAIL;
		goto out;
	}
	for (start = 0; rc == EXIT_OK && vmc_dump_ram_range(dump, start, &start, &end); start = end)
		rc = manifest_range(dump, start, end, buf, in.page_size);
	if (rc == EXIT_OK && fflush(stdout) != 0) {
		fprintf(stderr, "vmcarve: <stdout>: write error\n");
		rc = EXIT_FAIL;
	}
out:
	free(buf);
	vmc_dump_close(dump);
	return rc;
}
