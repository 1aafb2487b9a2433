/* cmd_extract.c: `vmcarve extract`: one guest of a host dump as a standalone dump. */
#include <stdio.h>
#include <string.h>

#include "carve_cli.h"
#include "cli.h"

int cmd_extract(int argc, char **argv)
{
	struct carve_cli c;
	struct vmc_dump *host = NULL;
	struct vmc_hv hv;
	const char *path;
	struct vmc_guest *g = NULL;
	int ex = carve_cli_parse("extract", argc, argv, &c, &path);

	if (ex >= 0)
		return ex;
	if ((ex = carve_cli_scan(path, &c, &host, &hv)))
		return ex;
	for (unsigned i = 0; i < hv.nguests; i++)
		if (!strcmp(hv.guests[i].id, c.domain) || (hv.guests[i].name[0] && !strcmp(hv.guests[i].name, c.domain)))
			g = &hv.guests[i];
	if (!g) {
		fprintf(stderr, "vmcarve: %s: no guest '%s' (%u found; see 'vmcarve list')\n", path, c.domain, hv.nguests);
		ex = EXIT_FAIL;
	} else
		ex = carve_cli_write(host, g, &c, c.out);
	vmc_hv_free(&hv);
	vmc_dump_close(host);
	return ex;
}
