/* carve_cli.c: options and steps shared by `vmcarve list`, `extract` and `split`. */
#include "carve_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "guest_dump.h"
#include "registry.h"

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
		fputs("  -c | -l | -p | -z  compress pages with zlib | lzo | snappy | zstd (kdump output)\n"
		      "  --no-compress      store pages raw (the default for kdump is lzo)\n"
		      "  --format F         kdump (default), elf, or flat (flattened kdump)\n"
		      "  --threads N        compression threads (default: number of CPUs)\n"
		      "  --no-dedup         store every page, zero pages too\n"
		      "  --partial          write a guest even when host frames are missing\n"
		      "  -q, --quiet        no progress bar\n",
		      f);
}

int carve_cli_parse(const char *cmd, int argc, char **argv, struct carve_cli *c, const char **host_path)
{
	enum { O_XENSYMS = 256, O_VMCS, O_HOSTDBG, O_HV, O_NOCOMP, O_FORMAT, O_THREADS, O_DEDUP, O_NODEDUP, O_PARTIAL, O_JSON };
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' }, { "domain", required_argument, 0, 'd' },
		{ "xen-syms", required_argument, 0, O_XENSYMS }, { "vmcs-layout", required_argument, 0, O_VMCS },
		{ "host-debuginfo", required_argument, 0, O_HOSTDBG }, { "hypervisor", required_argument, 0, O_HV },
		{ "no-compress", no_argument, 0, O_NOCOMP }, { "format", required_argument, 0, O_FORMAT },
		{ "threads", required_argument, 0, O_THREADS }, { "dedup", no_argument, 0, O_DEDUP },
		{ "no-dedup", no_argument, 0, O_NODEDUP }, { "partial", no_argument, 0, O_PARTIAL },
		{ "json", no_argument, 0, O_JSON }, { "verbose", no_argument, 0, 'v' },
		{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	bool writes = strcmp(cmd, "list") != 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int ch;

	memset(c, 0, sizeof(*c));
	c->format = "kdump";
	c->wopts.wopts.codec = VMC_CODEC_LZO;
	c->wopts.wopts.dedup = true;
	c->wopts.wopts.threads = ncpu > 0 ? (unsigned)ncpu : 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, writes ? "o:d:clpzqh" : "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': c->out = optarg; break;
		case 'd': c->domain = optarg; break;
		case 'c': c->wopts.wopts.codec = VMC_CODEC_ZLIB; c->codec_set = true; break;
		case 'l': c->wopts.wopts.codec = VMC_CODEC_LZO; c->codec_set = true; break;
		case 'p': c->wopts.wopts.codec = VMC_CODEC_SNAPPY; c->codec_set = true; break;
		case 'z': c->wopts.wopts.codec = VMC_CODEC_ZSTD; c->codec_set = true; break;
		case O_NOCOMP: c->wopts.wopts.codec = VMC_CODEC_NONE; c->codec_set = true; break;
		case O_XENSYMS: c->copts.xen_syms = optarg; break;
		case O_VMCS: c->copts.vmcs_layout = optarg; break;
		case O_HOSTDBG: c->copts.host_debuginfo = optarg; break;
		case O_HV: c->copts.force = optarg; break;
		case O_FORMAT: c->format = optarg; break;
		case O_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024) {
				fprintf(stderr, "vmcarve: --threads wants 1..1024, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			c->wopts.wopts.threads = (unsigned)n;
			break;
		}
		case O_DEDUP: c->wopts.wopts.dedup = true; break;
		case O_NODEDUP: c->wopts.wopts.dedup = false; break;
		case O_PARTIAL: c->wopts.partial = true; break;
		case O_JSON: c->json = true; break;
		case 'v': c->verbose = true; break;
		case 'q': c->quiet = true; break;
		case 'h': usage(cmd, stdout); return EXIT_OK;
		default: usage(cmd, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "vmcarve: %s needs exactly one host dump\n", cmd);
		usage(cmd, stderr);
		return EXIT_USAGE;
	}
	*host_path = argv[optind];
	if (writes && !c->out) {
		fprintf(stderr, "vmcarve: %s needs -o %s\n", cmd, strcmp(cmd, "split") ? "OUT" : "DIR");
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "extract") && !c->domain) {
		fprintf(stderr, "vmcarve: extract needs --domain ID (see 'vmcarve list')\n");
		return EXIT_USAGE;
	}
	if (strcmp(c->format, "kdump") && strcmp(c->format, "elf") && strcmp(c->format, "flat")) {
		fprintf(stderr, "vmcarve: unknown --format '%s' (kdump, elf, flat)\n", c->format);
		return EXIT_USAGE;
	}
	if (!strcmp(c->format, "elf") && c->codec_set && c->wopts.wopts.codec != VMC_CODEC_NONE) {
		fprintf(stderr, "vmcarve: ELF output stores pages uncompressed; drop -c/-l/-p/-z\n");
		return EXIT_USAGE;
	}
	if (c->out && !strcmp(c->out, "-") && (!strcmp(cmd, "split") || !strcmp(c->format, "elf"))) {
		fprintf(stderr, "vmcarve: %s\n", !strcmp(cmd, "split") ? "split writes files into a directory, not to stdout"
								     : "ELF output needs a seekable file; use --format flat for stdout");
		return EXIT_USAGE;
	}
	c->copts.only = c->domain;
	c->wopts.writer = vmc_registry_writer(!strcmp(c->format, "elf") ? "elf" : "kdump");
	return -1;
}

int carve_cli_scan(const char *host_path, const struct carve_cli *c, struct vmc_dump **host, struct vmc_hv *hv)
{
	struct vmc_diag d;
	enum vmc_status rc;

	vmc_diag_init(&d);
	memset(hv, 0, sizeof(*hv));
	if ((rc = vmc_dump_open(&host_path, 1, host, &d)))
		return cli_error(&d);
	if ((rc = vmc_carve_scan(*host, &c->copts, hv, &d))) {
		cli_warnings(&d);
		vmc_hv_free(hv);
		vmc_dump_close(*host);
		*host = NULL;
		return cli_error(&d);
	}
	cli_warnings(&d);
	return EXIT_OK;
}

void carve_cli_guest_messages(const struct vmc_guest *g)
{
	unsigned shown = g->nwarnings < 8 ? g->nwarnings : 8;

	for (unsigned i = 0; i < shown; i++)
		fprintf(stderr, "vmcarve: warning: guest %s: %s\n", g->id, g->warnings[i]);
	if (g->nwarnings > shown)
		fprintf(stderr, "vmcarve: warning: guest %s: ... and %u more (vmcarve list -v)\n", g->id,
			g->nwarnings - shown);
}

int carve_cli_write(struct vmc_dump *host, struct vmc_guest *g, const struct carve_cli *c, const char *path)
{
	struct vmc_convert_opts opts = c->wopts;
	struct vmc_dump *gd = NULL;
	struct vmc_bytesink *sink = NULL;
	struct vmc_writer_stats stats = { 0 };
	struct cli_progress *prog = NULL;
	struct vmc_diag d;
	enum vmc_status rc;
	char what[96];
	bool removable = false;

	vmc_diag_init(&d);
	if (g->status) {
		fprintf(stderr, "vmcarve: guest %s: %s\n", g->id, g->error);
		return EXIT_FAIL;
	}
	if (strcmp(path, "-") && cli_same_file(path, host->name)) {
		fprintf(stderr, "vmcarve: %s: the output is the input file; refusing to overwrite it\n", path);
		return EXIT_USAGE;
	}
	if ((rc = vmc_guest_prepare(host, g, &d)) || (rc = vmc_guest_dump_open(host, g, &gd, &d))) {
		fprintf(stderr, "vmcarve: guest %s: %s\n", g->id, d.msg);
		return EXIT_FAIL;
	}
	carve_cli_guest_messages(g);
	rc = cli_open_output(path, !strcmp(c->format, "flat"), &sink, &removable, &d);
	if (rc) {
		vmc_dump_close(gd);
		return cli_error(&d);
	}
	snprintf(what, sizeof(what), "guest %s", g->id);
	if (!c->quiet && strcmp(path, "-"))
		prog = cli_progress_new(what);
	opts.progress = prog ? cli_progress_update : NULL;
	opts.progress_arg = prog;
	rc = vmc_convert(gd, sink, &opts, &stats, &d);
	cli_progress_end(prog);
	vmc_bytesink_free(sink);
	vmc_dump_close(gd);
	cli_warnings(&d);
	if (rc) {
		fprintf(stderr, "vmcarve: guest %s: %s%s\n", g->id, d.msg,
			rc == VMC_ERR_NOSPC && removable ? " (the partial output was removed)" : "");
		return EXIT_FAIL;
	}
	if (!c->quiet)
		fprintf(stderr, "vmcarve: %s: guest %s%s%s (%s): %llu pages (%llu zero, %llu deduplicated, %llu missing), %u vCPUs%s\n",
			path, g->id, g->name[0] ? " " : "", g->name, g->type, (unsigned long long)stats.pages,
			(unsigned long long)stats.zero_pages, (unsigned long long)stats.dedup_pages,
			(unsigned long long)stats.missing_pages, g->nvcpus,
			g->has_vmcoreinfo ? ", VMCOREINFO" : ", no VMCOREINFO");
	return stats.missing_pages ? EXIT_INCOMPLETE : EXIT_OK;
}
