/* cmd_split.c: `vmcarve split`: every guest of a host dump, one file each. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "carve_cli.h"

/* The first guest's file, named before the names were known, takes its name (Xen: dom0 named
 * in xenstore otherwise than "Domain-0"). */
static void rename_named(const char *out, const char *named, bool quiet)
{
	if (rename(out, named))
		fprintf(stderr, "vmcarve: %s: cannot rename to %s: %s\n", out, named, strerror(errno));
	else if (!quiet)
		fprintf(stderr, "vmcarve: %s: renamed %s (the guest's name, found as it was written)\n", out, named);
}

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
	c.copts.names_late = true; /* dom0's names found as it is written (split writes it first) */
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
		struct vmc_guest_info g;
		const char *ext = !strcmp(c.w.format, "elf") ? "elf" : "kdump";
		char out[4096], named[4096];
		int r;
		/* names_late: the first guest (Xen's dom0) is named before its own write finds the
		 * names; the others after it (or now, when that write did not happen) */
		if (i)
			vmc_carve_names(cv, &d);
		g = carve_cli_guest(cv, i);
		carve_cli_file_name(out, sizeof(out), c.out, &g, ext);
		r = carve_cli_write(host, cv, i, &c, out);
		vmc_carve_names(cv, &d);
		g = carve_cli_guest(cv, i);
		carve_cli_file_name(named, sizeof(named), c.out, &g, ext);
		if ((r == EXIT_OK || r == EXIT_INCOMPLETE) && strcmp(out, named))
			rename_named(out, named, c.w.quiet);
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
