/* cmd_list.c: `vmcarve list`: the hypervisor and every guest of a host dump; writes nothing. */
#include <stdio.h>
#include <string.h>

#include "carve_cli.h"
#include "cli.h"

static void json_str(const char *s)
{
	cli_json_str(s, strlen(s));
}

static void json_lines(const char *key, char **l, unsigned n)
{
	printf(",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			putchar(',');
		json_str(l[i]);
	}
	putchar(']');
}

/* frames of the map whose bytes the output will hold */
static uint64_t present_pages(const struct vmc_dump *host, const struct vmc_guest *g)
{
	uint64_t n = 0;
	for (size_t i = 0; i < g->map.n; i++) {
		const struct vmc_gmap_ext *e = &g->map.ext[i];
		if (e->kind == VMC_GMAP_HOST)
			n += vmc_bitmap_count_range(&host->stored, e->src, e->count);
		else if (e->kind != VMC_GMAP_ABSENT)
			n += e->count;
	}
	return n;
}

static uint64_t mapped_pages(const struct vmc_guest *g)
{
	uint64_t n = 0;
	for (size_t i = 0; i < g->map.n; i++)
		if (g->map.ext[i].kind != VMC_GMAP_ABSENT)
			n += g->map.ext[i].count;
	return n;
}

int cmd_list(int argc, char **argv)
{
	struct carve_cli c;
	struct vmc_dump *host = NULL;
	struct vmc_hv hv;
	const char *path;
	unsigned failed = 0;
	int ex = carve_cli_parse("list", argc, argv, &c, &path);

	if (ex >= 0)
		return ex;
	if ((ex = carve_cli_scan(path, &c, &host, &hv)))
		return ex;
	for (unsigned i = 0; i < hv.nguests; i++) {
		struct vmc_diag d;
		vmc_diag_init(&d);
		if (!hv.guests[i].map.finished)
			vmc_gmap_finish(&hv.guests[i].map, &d);
		failed += hv.guests[i].status != VMC_OK;
	}
	if (c.json) {
		printf("{\"host\":");
		json_str(host->name);
		printf(",\"hypervisor\":");
		json_str(hv.kind);
		printf(",\"version\":");
		json_str(hv.version);
		json_lines("warnings", hv.warnings, hv.nwarnings);
		printf(",\"guests\":[");
		for (unsigned i = 0; i < hv.nguests; i++) {
			struct vmc_guest *g = &hv.guests[i];
			printf("%s{\"id\":", i ? "," : "");
			json_str(g->id);
			printf(",\"name\":");
			json_str(g->name);
			printf(",\"type\":");
			json_str(g->type);
			printf(",\"method\":");
			json_str(g->method);
			printf(",\"space\":\"%s\",\"vcpus\":%u,\"pages_expected\":%llu,\"pages_mapped\":%llu,"
			       "\"pages_present\":%llu,\"pages_absent\":%llu,\"pages_refused\":%llu,\"max_gfn\":%llu,\"ok\":%s,\"error\":",
			       g->space == VMC_SPACE_MACHINE ? "machine" : "guest-physical", g->nvcpus,
			       (unsigned long long)g->pages_expected, (unsigned long long)mapped_pages(g),
			       (unsigned long long)present_pages(host, g), (unsigned long long)g->pages_absent,
			       (unsigned long long)g->pages_refused, (unsigned long long)g->max_gfn,
			       g->status ? "false" : "true");
			json_str(g->error);
			json_lines("warnings", g->warnings, g->nwarnings);
			if (c.verbose) {
				printf(",\"report\":");
				json_str(g->report ? g->report : "");
			}
			putchar('}');
		}
		printf("]");
		if (c.verbose) {
			printf(",\"report\":");
			json_str(hv.report ? hv.report : "");
		}
		printf("}\n");
	} else {
		printf("host:       %s\nhypervisor: %s %s\n", host->name, hv.kind, hv.version);
		printf("%-6s %-16s %-8s %5s %10s %10s %10s %10s  %s\n", "ID", "NAME", "TYPE", "VCPUS", "EXPECTED", "MAPPED",
		       "PRESENT", "MAX-GFN", "METHOD");
		for (unsigned i = 0; i < hv.nguests; i++) {
			struct vmc_guest *g = &hv.guests[i];
			char maxg[24];
			snprintf(maxg, sizeof(maxg), "0x%llx", (unsigned long long)g->max_gfn);
			printf("%-6s %-16s %-8s %5u %10llu %10llu %10llu %10s  %s\n", g->id, g->name[0] ? g->name : "-",
			       g->type, g->nvcpus, (unsigned long long)g->pages_expected,
			       (unsigned long long)mapped_pages(g), (unsigned long long)present_pages(host, g), maxg,
			       g->method);
			if (g->status)
				printf("       cannot be carved: %s\n", g->error);
			if (g->pages_refused)
				printf("       %llu p2m entries refused (frames the guest does not own)\n",
				       (unsigned long long)g->pages_refused);
		}
		for (unsigned i = 0; i < hv.nwarnings; i++)
			fprintf(stderr, "vmcarve: warning: %s\n", hv.warnings[i]);
		for (unsigned i = 0; i < hv.nguests; i++)
			if (c.verbose) {
				for (unsigned k = 0; k < hv.guests[i].nwarnings; k++)
					fprintf(stderr, "vmcarve: warning: guest %s: %s\n", hv.guests[i].id,
						hv.guests[i].warnings[k]);
			} else
				carve_cli_guest_messages(&hv.guests[i]);
		if (c.verbose) {
			printf("\n[hypervisor]\n%s", hv.report ? hv.report : "");
			for (unsigned i = 0; i < hv.nguests; i++)
				printf("\n[guest %s]\n%s", hv.guests[i].id, hv.guests[i].report ? hv.guests[i].report : "");
		}
	}
	vmc_hv_free(&hv);
	vmc_dump_close(host);
	return failed ? EXIT_GUEST_FAILED : EXIT_OK;
}
