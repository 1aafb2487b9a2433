/* cmd_extract.c: `vmcarve extract`: one guest of a host dump as a standalone dump. */
#include <stdio.h>
#include <string.h>

#include "carve_cli.h"

/* Whether a guest has this name (the names found first). */
static bool named(struct vmc_carve *cv, unsigned n, const char *name)
{
	struct vmc_diag d;

	vmc_diag_init(&d);
	vmc_carve_names(cv, &d);
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(carve_cli_guest(cv, i).name, name))
			return true;
	return false;
}

int cmd_extract(int argc, char **argv)
{
	struct carve_cli c;
	struct vmc_dump *host = NULL;
	struct vmc_carve *cv;
	struct vmc_carve_info hv = { .size = sizeof(hv) };
	struct vmc_diag d;
	const char *path;
	unsigned found = 0;
	bool have = false;
	int ex = carve_cli_parse("extract", argc, argv, &c, &path);

	if (ex >= 0)
		return ex;
	cli_stale_temps_of(c.out);
	/* a number is a domain id (as xl takes it): the guests' names are not needed to find it
	 * nor to write it, so they are not searched for (on Xen that reads all of dom0) */
	c.copts.names_late = c.domain[0] && strspn(c.domain, "0123456789") == strlen(c.domain);
	c.copts.names_on_request = c.copts.names_late;
	if ((ex = carve_cli_scan(path, &c, &host, &cv)))
		return ex;
	vmc_diag_init(&d);
	vmc_carve_get_info(cv, &hv, &d);
	for (unsigned i = 0; c.copts.names_late && i < hv.nguests && !have; i++)
		if (!strcmp(carve_cli_guest(cv, i).id, c.domain))
			found = i, have = true;
	if (c.copts.names_late && !have && named(cv, hv.nguests, c.domain)) {
		/* no such id, but a guest has the number as its name: the carve needs to know that
		 * to build its map, so it is carved again with the names */
		vmc_carve_free(cv);
		vmc_dump_close(host);
		c.copts.names_late = false;
		if ((ex = carve_cli_scan(path, &c, &host, &cv)))
			return ex;
		vmc_carve_get_info(cv, &hv, &d);
	}
	for (unsigned i = 0; i < hv.nguests && !c.copts.names_late; i++) {
		struct vmc_guest_info g = carve_cli_guest(cv, i);
		if (!strcmp(g.id, c.domain) || (g.name[0] && !strcmp(g.name, c.domain))) {
			found = i; /* the last one that matches */
			have = true;
		}
	}
	if (!have) {
		fprintf(stderr, "vmcarve: %s: no guest '%s' (%u found; see 'vmcarve list')\n", path, c.domain, hv.nguests);
		ex = EXIT_FAIL;
	} else
		ex = carve_cli_write(host, cv, found, &c, c.out);
	vmc_carve_free(cv);
	vmc_dump_close(host);
	return ex;
}
