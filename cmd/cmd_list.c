/* cmd_list.c: `vmcarve list`: the hypervisor and every guest of a host dump; writes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carve_cli.h"

static void json_str(const char *s)
{
	cli_json_str(s, strlen(s));
}

static void json_lines(const char *key, const char *const *l, unsigned n)
{
	printf(",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			putchar(',');
		json_str(l[i]);
	}
	putchar(']');
}

static void json_guest(const struct vmc_guest_info *g, bool verbose)
{
	printf("{\"id\":");
	json_str(g->id);
	printf(",\"name\":");
	json_str(g->name);
	printf(",\"type\":");
	json_str(g->type);
	printf(",\"method\":");
	json_str(g->method);
	printf(",\"space\":\"%s\",\"vcpus\":%u,\"pages_expected\":%llu,\"pages_mapped\":%llu,"
	       "\"pages_present\":%llu,\"pages_absent\":%llu,\"pages_refused\":%llu,\"max_gfn\":%llu,\"ok\":%s,\"error\":",
	       g->space, g->nvcpus, (unsigned long long)g->pages_expected, (unsigned long long)g->pages_mapped,
	       (unsigned long long)g->pages_present, (unsigned long long)g->pages_absent,
	       (unsigned long long)g->pages_refused, (unsigned long long)g->max_gfn, g->status ? "false" : "true");
	json_str(g->error);
	json_lines("warnings", g->warnings, g->nwarnings);
	if (verbose) {
		printf(",\"report\":");
		json_str(g->report);
	}
	putchar('}');
}

static void list_json(const char *host, const struct vmc_carve_info *hv, const struct vmc_guest_info *gs, bool verbose)
{
	printf("{\"host\":");
	json_str(host);
	printf(",\"hypervisor\":");
	json_str(hv->hypervisor);
	printf(",\"version\":");
	json_str(hv->version);
	json_lines("warnings", hv->warnings, hv->nwarnings);
	printf(",\"guests\":[");
	for (unsigned i = 0; i < hv->nguests; i++) {
		printf("%s", i ? "," : "");
		json_guest(&gs[i], verbose);
	}
	printf("]");
	if (verbose) {
		printf(",\"report\":");
		json_str(hv->report);
	}
	printf("}\n");
}

static void list_text(const char *host, const struct vmc_carve_info *hv, const struct vmc_guest_info *gs, bool verbose)
{
	printf("host:       %s\nhypervisor: %s %s\n", host, hv->hypervisor, hv->version);
	printf("%-6s %-16s %-8s %5s %10s %10s %10s %10s  %s\n", "ID", "NAME", "TYPE", "VCPUS", "EXPECTED", "MAPPED",
	       "PRESENT", "MAX-GFN", "METHOD");
	for (unsigned i = 0; i < hv->nguests; i++) {
		const struct vmc_guest_info *g = &gs[i];
		char maxg[24];
		snprintf(maxg, sizeof(maxg), "0x%llx", (unsigned long long)g->max_gfn);
		printf("%-6s %-16s %-8s %5u %10llu %10llu %10llu %10s  %s\n", g->id, g->name[0] ? g->name : "-", g->type,
		       g->nvcpus, (unsigned long long)g->pages_expected, (unsigned long long)g->pages_mapped,
		       (unsigned long long)g->pages_present, maxg, g->method);
		if (g->status)
			printf("       cannot be carved: %s\n", g->error);
		if (g->pages_refused)
			printf("       %llu p2m entries refused (frames the guest does not own)\n",
			       (unsigned long long)g->pages_refused);
	}
	for (unsigned i = 0; i < hv->nwarnings; i++)
		fprintf(stderr, "vmcarve: warning: %s\n", hv->warnings[i]);
	for (unsigned i = 0; i < hv->nguests; i++)
		if (verbose) {
			for (unsigned k = 0; k < gs[i].nwarnings; k++)
				fprintf(stderr, "vmcarve: warning: guest %s: %s\n", gs[i].id, gs[i].warnings[k]);
		} else
			carve_cli_guest_messages(&gs[i]);
	if (verbose) {
		printf("\n[hypervisor]\n%s", hv->report);
		for (unsigned i = 0; i < hv->nguests; i++)
			printf("\n[guest %s]\n%s", gs[i].id, gs[i].report);
	}
}

int cmd_list(int argc, char **argv)
{
	struct carve_cli c;
	struct vmc_dump *host = NULL;
	struct vmc_carve *cv;
	struct vmc_carve_info hv = { .size = sizeof(hv) };
	struct vmc_guest_info *gs;
	struct vmc_diag d;
	const char *path;
	unsigned failed = 0;
	int ex = carve_cli_parse("list", argc, argv, &c, &path);

	if (ex >= 0)
		return ex;
	if ((ex = carve_cli_scan(path, &c, &host, &cv)))
		return ex;
	vmc_diag_init(&d);
	vmc_carve_get_info(cv, &hv, &d);
	gs = calloc(hv.nguests ? hv.nguests : 1, sizeof(*gs));
	if (!gs) {
		vmc_carve_free(cv);
		vmc_dump_close(host);
		fprintf(stderr, "vmcarve: out of memory\n");
		return EXIT_FAIL;
	}
	for (unsigned i = 0; i < hv.nguests; i++) {
		gs[i] = carve_cli_guest(cv, i);
		failed += gs[i].status != VMC_OK;
	}
	if (c.json)
		list_json(cli_dump_name(host), &hv, gs, c.verbose);
	else
		list_text(cli_dump_name(host), &hv, gs, c.verbose);
	free(gs);
	vmc_carve_free(cv);
	vmc_dump_close(host);
	return failed ? EXIT_GUEST_FAILED : EXIT_OK;
}
