/* cmd_list.c: `vmcarve list`: the hypervisor and every guest of a host dump; writes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carve_cli.h"

/* guest-controlled text: printable ASCII only, no spaces (a column) */
static void copy_clean(char *dst, const char *src, size_t n)
{
	size_t i = 0;

	for (; i + 1 < n && src[i]; i++)
		dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

void cli_guest_kernel(struct vmc_carve *cv, unsigned i, struct vmc_guest_info *g, struct cli_gkernel *k)
{
	struct vmc_dump *gd = NULL;
	struct vmc_dump_info in = { .size = sizeof(in) };
	struct vmc_kernel_state ks = { .size = sizeof(ks) };
	struct vmc_diag d;

	memset(k, 0, sizeof(*k));
	k->state = "unknown";
	vmc_diag_init(&d);
	if (g->status || vmc_guest_open(cv, i, &gd, &d))
		return;
	*g = carve_cli_guest(cv, i); /* with what opening found */
	vmc_dump_read_kernel_info(gd);
	if (!vmc_dump_get_info(gd, &in, &d) && in.has_uts) {
		copy_clean(k->hostname, in.nodename, sizeof(k->hostname));
		copy_clean(k->release, in.release, sizeof(k->release));
	}
	if (!k->release[0])
		copy_clean(k->release, g->release, sizeof(k->release));
	vmc_diag_init(&d);
	vmc_dump_kernel_state(gd, &ks, &d);
	k->state = ks.state ? ks.state : "unknown";
	vmc_dump_close(gd);
}

static void json_str(FILE *f, const char *s)
{
	cli_json_fstr(f, s, strlen(s));
}

static void json_lines(FILE *f, const char *key, const char *const *l, unsigned n)
{
	fprintf(f, ",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		json_str(f, l[i]);
	}
	fputc(']', f);
}

static void json_guest(FILE *f, const struct vmc_guest_info *g, const struct cli_gkernel *k, bool verbose)
{
	fprintf(f, "{\"id\":");
	json_str(f, g->id);
	fprintf(f, ",\"name\":");
	json_str(f, g->name);
	fprintf(f, ",\"uuid\":");
	json_str(f, g->uuid ? g->uuid : "");
	fprintf(f, ",\"hostname\":");
	json_str(f, k->hostname);
	fprintf(f, ",\"release\":");
	json_str(f, k->release);
	fprintf(f, ",\"state\":");
	json_str(f, k->state);
	fprintf(f, ",\"type\":");
	json_str(f, g->type);
	fprintf(f, ",\"method\":");
	json_str(f, g->method);
	fprintf(f, ",\"space\":\"%s\",\"vcpus\":%u,\"pages_expected\":%llu,\"pages_mapped\":%llu,"
	       "\"pages_present\":%llu,\"pages_absent\":%llu,\"pages_refused\":%llu,\"max_gfn\":%llu,\"ok\":%s,\"error\":",
	       g->space, g->nvcpus, (unsigned long long)g->pages_expected, (unsigned long long)g->pages_mapped,
	       (unsigned long long)g->pages_present, (unsigned long long)g->pages_absent,
	       (unsigned long long)g->pages_refused, (unsigned long long)g->max_gfn, g->status ? "false" : "true");
	json_str(f, g->error);
	json_lines(f, "warnings", g->warnings, g->nwarnings);
	if (verbose) {
		fprintf(f, ",\"report\":");
		json_str(f, g->report);
	}
	fputc('}', f);
}

void cli_list_json(FILE *f, const char *host, const struct vmc_carve_info *hv, const struct vmc_guest_info *gs,
		   const struct cli_gkernel *ks, bool verbose)
{
	fprintf(f, "{\"host\":");
	json_str(f, host);
	fprintf(f, ",\"hypervisor\":");
	json_str(f, hv->hypervisor);
	fprintf(f, ",\"version\":");
	json_str(f, hv->version);
	json_lines(f, "warnings", hv->warnings, hv->nwarnings);
	fprintf(f, ",\"guests\":[");
	for (unsigned i = 0; i < hv->nguests; i++) {
		fputs(i ? "," : "", f);
		json_guest(f, &gs[i], &ks[i], verbose);
	}
	fprintf(f, "]");
	if (verbose) {
		fprintf(f, ",\"report\":");
		json_str(f, hv->report);
	}
	fprintf(f, "}\n");
}

static void list_text(const char *host, const struct vmc_carve_info *hv, const struct vmc_guest_info *gs,
		      const struct cli_gkernel *ks, bool verbose)
{
	printf("host:       %s\nhypervisor: %s %s\n", host, hv->hypervisor, hv->version);
	printf("%-6s %-16s %-8s %-16s %-20s %-8s %5s %10s %10s %10s %10s  %s\n", "ID", "NAME", "TYPE", "HOSTNAME",
	       "RELEASE", "STATE", "VCPUS", "EXPECTED", "MAPPED", "PRESENT", "MAX-GFN", "METHOD");
	for (unsigned i = 0; i < hv->nguests; i++) {
		const struct vmc_guest_info *g = &gs[i];
		char maxg[24];
		snprintf(maxg, sizeof(maxg), "0x%llx", (unsigned long long)g->max_gfn);
		printf("%-6s %-16s %-8s %-16s %-20s %-8s %5u %10llu %10llu %10llu %10s  %s\n", g->id,
		       g->name[0] ? g->name : "-", g->type, ks[i].hostname[0] ? ks[i].hostname : "-",
		       ks[i].release[0] ? ks[i].release : "-", ks[i].state, g->nvcpus, (unsigned long long)g->pages_expected, (unsigned long long)g->pages_mapped,
		       (unsigned long long)g->pages_present, maxg, g->method);
		if (verbose && g->uuid && g->uuid[0])
			printf("       uuid %s\n", g->uuid);
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
			carve_cli_guest_messages(&gs[i], 0);
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
	struct cli_gkernel *ks;
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
	ks = calloc(hv.nguests ? hv.nguests : 1, sizeof(*ks));
	if (!gs || !ks) {
		free(gs);
		free(ks);
		vmc_carve_free(cv);
		vmc_dump_close(host);
		fprintf(stderr, "vmcarve: out of memory\n");
		return EXIT_FAIL;
	}
	for (unsigned i = 0; i < hv.nguests; i++) {
		gs[i] = carve_cli_guest(cv, i);
		cli_guest_kernel(cv, i, &gs[i], &ks[i]);
		failed += gs[i].status != VMC_OK;
	}
	if (c.json)
		cli_list_json(stdout, cli_dump_name(host), &hv, gs, ks, c.verbose);
	else
		list_text(cli_dump_name(host), &hv, gs, ks, c.verbose);
	free(gs);
	free(ks);
	vmc_carve_free(cv);
	vmc_dump_close(host);
	return failed ? EXIT_GUEST_FAILED : EXIT_OK;
}
