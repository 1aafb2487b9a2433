/* cmd_split.c: `vmcarve split`: every guest of a host dump, one file each. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "carve_cli.h"

int cmd_split(int argc, char **argv)
{
	struct carve_cli c;
	struct vmc_dump *host = NULL;
	struct vmc_carve *cv;
	struct vmc_carve_info hv = { .size = sizeof(hv) };
	struct vmc_diag d;
	const char *path;
	unsigned failed = 0, incomplete = 0, written = 0;
	bool created;
	int ex = carve_cli_parse("split", argc, argv, &c, &path);

	if (ex >= 0)
		return ex;
	if (!(created = !mkdir(c.out, 0777)) && errno != EEXIST) {
		fprintf(stderr, "vmcarve: %s: cannot create the directory: %s\n", c.out, strerror(errno));
		return EXIT_FAIL;
	}
	cli_stale_temps(c.out);
	if ((ex = carve_cli_scan(path, &c, &host, &cv))) {
		if (created)
			rmdir(c.out); /* nothing carved: no empty directory left to look like a result */
		return ex;
	}
	vmc_diag_init(&d);
	vmc_carve_get_info(cv, &hv, &d);
	/* interrupted: the outputs already finished stay, the one being written is handled as
	 * convert handles it, the rest are not started */
	for (unsigned i = 0; i < hv.nguests && !cli_interrupted; i++) {
		struct vmc_guest_info g = carve_cli_guest(cv, i);
		char out[4096];
		int r;
		carve_cli_file_name(out, sizeof(out), c.out, &g, !strcmp(c.w.format, "elf") ? "elf" : "kdump");
		r = carve_cli_write(host, cv, i, &c, out);
		if (r == EXIT_OK)
			written++;
		else if (r == EXIT_INCOMPLETE)
			incomplete++;
		else
			failed++;
	}
	if (!c.w.quiet)
		fprintf(stderr, "vmcarve: %s: %u guest(s) written, %u incomplete, %u failed\n", c.out, written, incomplete,
			failed);
	vmc_carve_free(cv);
	vmc_dump_close(host);
	return failed ? EXIT_GUEST_FAILED : incomplete ? EXIT_INCOMPLETE : hv.nguests ? EXIT_OK : EXIT_FAIL;
}
