/* carve_cli.c: options and steps shared by `vmcarve list`, `extract` and `split`. */
#include "carve_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(const char *cmd, FILE *f)
{
	if (!strcmp(cmd, "list"))
		fputs("usage: vmcarve list HOSTDUMP [options]\n"
		      "  list the hypervisor and every guest in a host dump\n"
		      "  --json             machine-readable output\n"
		      "  -v, --verbose      every symbol and offset used, and all diagnostics\n",
		      f);
	else if (!strcmp(cmd, "extract"))
		fputs("usage: vmcarve extract HOSTDUMP --domain ID -o OUT [options]\n"
		      "  write one guest as a standalone dump\n"
		      "  -d, --domain ID    the guest (an ID from 'vmcarve list')\n"
		      "  -o, --output OUT   output file ('-': flattened kdump to stdout)\n",
		      f);
	else
		fputs("usage: vmcarve split HOSTDUMP -o DIR [options]\n"
		      "  write every guest as a standalone dump into DIR\n"
		      "  (files are named <id>-<name>.kdump / .elf)\n"
		      "  -o, --output DIR   output directory (created if needed)\n",
		      f);
	fputs("  --xen-syms FILE    Xen's xen-syms (symbol table) for the dumped hypervisor\n"
	      "  --vmcs-layout FILE Intel VMCS field offsets (see README)\n"
	      "  --host-debuginfo DIR  host vmlinux and kvm*.ko with debug info\n"
	      "  --hypervisor H     xen or kvm: do not probe\n",
	      f);
	if (strcmp(cmd, "list"))
		cli_write_usage(f, "write a guest even when host frames are missing");
}

/* The arguments after the options, and the combinations the options may not take. */
static int check_args(const char *cmd, int argc, char **argv, struct carve_cli *c, const char **host_path)
{
	bool split = !strcmp(cmd, "split");
	int ex;

	if (optind != argc - 1) {
		fprintf(stderr, "vmcarve: %s needs exactly one host dump\n", cmd);
		usage(cmd, stderr);
		return EXIT_USAGE;
	}
	*host_path = argv[optind];
	if (strcmp(cmd, "list") && !c->out) {
		fprintf(stderr, "vmcarve: %s needs -o %s\n", cmd, split ? "DIR" : "OUT");
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "extract") && !c->domain) {
		fprintf(stderr, "vmcarve: extract needs --domain ID (see 'vmcarve list')\n");
		return EXIT_USAGE;
	}
	if (split && c->domain) {
		/* the carver would build one guest's frame map and split write the others empty */
		fprintf(stderr, "vmcarve: split writes every guest; -d/--domain is extract's (the dump level is --dump-level N)\n");
		return EXIT_USAGE;
	}
	if ((ex = cli_write_check(&c->w, split ? NULL : c->out)))
		return ex;
	if (split && c->out && !strcmp(c->out, "-")) {
		fprintf(stderr, "vmcarve: split writes files into a directory, not to stdout\n");
		return EXIT_USAGE;
	}
	c->copts.only = c->domain;
	return -1;
}

int carve_cli_parse(const char *cmd, int argc, char **argv, struct carve_cli *c, const char **host_path)
{
	enum { O_XENSYMS = CLI_O_OWN, O_VMCS, O_HOSTDBG, O_HV, O_JSON };
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' }, { "domain", required_argument, 0, 'd' },
		{ "xen-syms", required_argument, 0, O_XENSYMS }, { "vmcs-layout", required_argument, 0, O_VMCS },
		{ "host-debuginfo", required_argument, 0, O_HOSTDBG }, { "hypervisor", required_argument, 0, O_HV },
		CLI_WRITE_LONGOPTS, { "json", no_argument, 0, O_JSON }, { "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	bool writes = strcmp(cmd, "list") != 0;
	int ch, ex;

	memset(c, 0, sizeof(*c));
	c->copts.size = sizeof(c->copts);
	cli_write_init(&c->w);
	optind = 1;
	while ((ch = getopt_long(argc, argv, writes ? "o:d:clpzqh" : "vh", longopts, NULL)) != -1) {
		if ((ex = cli_write_option(ch, optarg, &c->w)) >= 0) {
			if (ex)
				return ex;
			continue;
		}
		switch (ch) {
		case 'o': c->out = optarg; break;
		case 'd': c->domain = optarg; break;
		case O_XENSYMS: c->copts.xen_syms = optarg; break;
		case O_VMCS: c->copts.vmcs_layout = optarg; break;
		case O_HOSTDBG: c->copts.host_debuginfo = optarg; break;
		case O_HV: c->copts.hypervisor = optarg; break;
		case O_JSON: c->json = true; break;
		case 'v': c->verbose = true; break;
		case 'h': usage(cmd, stdout); return EXIT_OK;
		default: usage(cmd, stderr); return EXIT_USAGE;
		}
	}
	return check_args(cmd, argc, argv, c, host_path);
}

int carve_cli_scan(const char *host_path, const struct carve_cli *c, struct vmc_dump **host, struct vmc_carve **cv)
{
	struct vmc_diag d;

	vmc_diag_init(&d);
	*cv = NULL;
	if (vmc_dump_open(&host_path, 1, host, &d))
		return cli_error(&d);
	if (vmc_carve(*host, &c->copts, cv, &d)) {
		cli_warnings(&d);
		vmc_dump_close(*host);
		*host = NULL;
		return cli_error(&d);
	}
	cli_warnings(&d);
	return EXIT_OK;
}

struct vmc_guest_info carve_cli_guest(struct vmc_carve *cv, unsigned i)
{
	struct vmc_guest_info g = { .size = sizeof(g) };
	struct vmc_diag d;

	vmc_diag_init(&d);
	vmc_carve_guest_info(cv, i, &g, &d);
	return g;
}

void carve_cli_guest_messages(const struct vmc_guest_info *g, unsigned from)
{
	unsigned shown = g->nwarnings < 8 ? g->nwarnings : 8;

	for (unsigned i = from; i < shown; i++)
		fprintf(stderr, "vmcarve: warning: guest %s: %s\n", g->id, g->warnings[i]);
	if (g->nwarnings > shown && g->nwarnings > from)
		fprintf(stderr, "vmcarve: warning: guest %s: ... and %u more (vmcarve list -v)\n", g->id,
			g->nwarnings - (shown > from ? shown : from));
}

int carve_cli_write(struct vmc_dump *host, struct vmc_carve *cv, unsigned i, const struct carve_cli *c,
		    const char *path)
{
	struct vmc_guest_info g = carve_cli_guest(cv, i);
	struct vmc_dump *gd = NULL;
	struct vmc_write_stats stats;
	struct vmc_diag d;
	enum vmc_status rc;
	unsigned shown;
	char what[96];

	vmc_diag_init(&d);
	if (g.status) {
		fprintf(stderr, "vmcarve: guest %s: %s\n", g.id, g.error);
		return EXIT_FAIL;
	}
	if (strcmp(path, "-") && cli_same_file(path, cli_dump_name(host))) {
		fprintf(stderr, "vmcarve: %s: the output is the input file; refusing to overwrite it\n", path);
		return EXIT_USAGE;
	}
	if (vmc_guest_open_stream(cv, i, &gd, &d)) {
		fprintf(stderr, "vmcarve: guest %s: %s\n", g.id, d.msg);
		return EXIT_FAIL;
	}
	g = carve_cli_guest(cv, i); /* with what opening found: warnings, VMCOREINFO */
	carve_cli_guest_messages(&g, 0);
	shown = g.nwarnings;
	snprintf(what, sizeof(what), "guest %s", g.id);
	rc = cli_write_dump(gd, path, &c->w, what, &stats, &d);
	vmc_dump_close(gd);
	g = carve_cli_guest(cv, i); /* closing counted the VMCOREINFO notes in what was written */
	carve_cli_guest_messages(&g, shown);
	if (rc && !stats.output_opened)
		return cli_error(&d);
	if (rc == VMC_ERR_CANCELLED)
		return cli_error(&d);
	if (rc) {
		fprintf(stderr, "vmcarve: guest %s: %s\n", g.id, d.msg);
		return EXIT_FAIL;
	}
	if (!c->w.quiet)
		fprintf(stderr, "vmcarve: %s: guest %s%s%s (%s): %llu pages (%llu zero, %llu deduplicated, %llu missing), %u vCPUs%s\n",
			path, g.id, g.name[0] ? " " : "", g.name, g.type, (unsigned long long)stats.pages,
			(unsigned long long)stats.zero_pages, (unsigned long long)stats.dedup_pages,
			(unsigned long long)stats.missing_pages, g.nvcpus,
			g.has_vmcoreinfo ? ", VMCOREINFO" : ", no VMCOREINFO");
	cli_print_filtered(path, &c->w, &stats);
	return stats.missing_pages ? EXIT_INCOMPLETE : EXIT_OK;
}

/* file names: <id>[-<name>].<ext>, with anything but [A-Za-z0-9._-] replaced */
void carve_cli_file_name(char *buf, size_t n, const char *dir, const struct vmc_guest_info *g, const char *ext)
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
