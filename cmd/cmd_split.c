/* cmd_split.c: `vmcarve split`: every guest of a host dump, one file each. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "carve_cli.h"

/* file names: <id>[-<name>].<ext>, with anything but [A-Za-z0-9._-] replaced */
static void file_name(char *buf, size_t n, const char *dir, const struct vmc_guest_info *g, const char *ext)
{
	char safe[64];
	size_t k = 0;

	for (const char *s = g->name; *s && k + 1 < sizeof(safe); s++)
		safe[k++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
					    *s == '.' || *s == '_' || *s == '-'
				    ? *s
				    : '_';
	safe[k] = 0;
	snprintf(buf, n, "%s/%s%s%s.%s", dir, g->id, k ? "-" : "", safe, ext);
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
	int ex = carve_cli_parse("split", argc, argv, &c, &path);

	if (ex >= 0)
		return ex;
	if (mkdir(c.out, 0777) && errno != EEXIST) {
		fprintf(stderr, "vmcarve: %s: cannot create the directory: %s\n", c.out, strerror(errno));
		return EXIT_FAIL;
	}
	cli_stale_temps(c.out);
	if ((ex = carve_cli_scan(path, &c, &host, &cv)))
		return ex;
	vmc_diag_init(&d);
	vmc_carve_get_info(cv, &hv, &d);
	/* interrupted: the outputs already finished stay, the one being written is handled as
	 * convert handles it, the rest are not started */
	for (unsigned i = 0; i < hv.nguests && !cli_interrupted; i++) {
		struct vmc_guest_info g = carve_cli_guest(cv, i);
		char out[4096];
		int r;
		file_name(out, sizeof(out), c.out, &g, !strcmp(c.w.format, "elf") ? "elf" : "kdump");
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
