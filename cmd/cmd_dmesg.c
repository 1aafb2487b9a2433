/* cmd_dmesg.c: `vmcarve dmesg`: the kernel log of a Linux dump, or of guests inside a host dump. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct dmesg_cli {
	struct vmc_carve_options copts;
	const char *domain; /* NULL: the dump itself */
	const char *out;
	FILE *f;
};

static void usage(FILE *f)
{
	fputs("usage: vmcarve dmesg DUMP [--domain ID|NAME|all] [-o FILE] [options]\n"
	      "  the kernel log, from the kernel's VMCOREINFO alone (as makedumpfile --dump-dmesg)\n"
	      "  -d, --domain G     a guest of a host dump (an ID or name from 'vmcarve list'),\n"
	      "                     or 'all': every guest's log, each under a '=== guest' line\n"
	      "  -o, --output FILE  write the log to FILE (default: stdout)\n"
	      "  --xen-syms FILE    Xen's xen-syms (symbol table) for the dumped hypervisor\n"
	      "  --vmcs-layout FILE Intel VMCS field offsets (see README)\n"
	      "  --host-debuginfo DIR  host vmlinux and kvm*.ko with debug info\n"
	      "  --hypervisor H     xen or kvm: do not probe\n",
	      f);
}

static bool write_file(void *arg, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len;
}

/* A guest-controlled name in the header: printable ASCII only. */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++)
		if (isprint((unsigned char)*s) && (unsigned char)*s < 0x80)
			fputc(*s, f);
		else
			fprintf(f, "\\x%02x", (unsigned char)*s);
}

static int parse(int argc, char **argv, struct dmesg_cli *c, const char **path)
{
	enum { O_XENSYMS = CLI_O_OWN, O_VMCS, O_HOSTDBG, O_HV };
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' }, { "domain", required_argument, 0, 'd' },
		{ "xen-syms", required_argument, 0, O_XENSYMS }, { "vmcs-layout", required_argument, 0, O_VMCS },
		{ "host-debuginfo", required_argument, 0, O_HOSTDBG }, { "hypervisor", required_argument, 0, O_HV },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int ch;

	memset(c, 0, sizeof(*c));
	c->copts.size = sizeof(c->copts);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:d:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': c->out = optarg; break;
		case 'd': c->domain = optarg; break;
		case O_XENSYMS: c->copts.xen_syms = optarg; break;
		case O_VMCS: c->copts.vmcs_layout = optarg; break;
		case O_HOSTDBG: c->copts.host_debuginfo = optarg; break;
		case O_HV: c->copts.hypervisor = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "vmcarve: dmesg needs exactly one dump\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	*path = argv[optind];
	if (c->out && strcmp(c->out, "-") && cli_same_file(c->out, *path)) {
		fprintf(stderr, "vmcarve: %s: the output is the input file; refusing to overwrite it\n", c->out);
		return EXIT_USAGE;
	}
	return -1;
}

/* The log of one open dump; what the library warned about goes to stderr. */
static int dmesg_one(struct vmc_dump *dump, FILE *f)
{
	struct vmc_diag d;
	enum vmc_status rc;

	vmc_diag_init(&d);
	rc = vmc_dump_dmesg(dump, write_file, f, &d);
	cli_warnings(&d);
	return rc ? cli_error(&d) : EXIT_OK;
}

static int dmesg_guest(struct vmc_carve *cv, unsigned i, const struct vmc_guest_info *g, FILE *f)
{
	struct vmc_dump *gd = NULL;
	struct vmc_diag d;
	int ex;

	vmc_diag_init(&d);
	if (g->status) {
		fprintf(stderr, "vmcarve: guest %s: %s\n", g->id, g->error);
		return EXIT_GUEST_FAILED;
	}
	if (vmc_guest_open(cv, i, &gd, &d)) {
		fprintf(stderr, "vmcarve: guest %s: %s\n", g->id, d.msg);
		return EXIT_GUEST_FAILED;
	}
	ex = dmesg_one(gd, f);
	vmc_dump_close(gd);
	return ex ? EXIT_GUEST_FAILED : EXIT_OK;
}

static struct vmc_guest_info guest_info(struct vmc_carve *cv, unsigned i)
{
	struct vmc_guest_info g = { .size = sizeof(g) };
	struct vmc_diag d;

	vmc_diag_init(&d);
	vmc_carve_guest_info(cv, i, &g, &d);
	return g;
}

/* --domain: the guests of a host dump; all of them, or the last one whose id or name matches */
static int dmesg_guests(struct vmc_dump *host, const struct dmesg_cli *c, const char *path)
{
	struct vmc_carve *cv = NULL;
	struct vmc_carve_info hv = { .size = sizeof(hv) };
	struct vmc_diag d;
	bool all = !strcmp(c->domain, "all"), found = false;
	int ex = EXIT_OK;

	vmc_diag_init(&d);
	if (vmc_carve(host, &c->copts, &cv, &d)) {
		cli_warnings(&d);
		return cli_error(&d);
	}
	vmc_carve_get_info(cv, &hv, &d);
	for (unsigned i = 0; i < hv.nguests; i++) {
		struct vmc_guest_info g = guest_info(cv, i);
		int r;

		if (!all && strcmp(g.id, c->domain) && !(g.name[0] && !strcmp(g.name, c->domain)))
			continue;
		found = true;
		if (all) {
			fprintf(c->f, "=== guest %s ", g.id);
			put_name(c->f, g.name[0] ? g.name : "-");
			fprintf(c->f, " (%s) ===\n", g.type);
		}
		if ((r = dmesg_guest(cv, i, &g, c->f)) && !ex)
			ex = r;
	}
	if (!found) {
		fprintf(stderr, "vmcarve: %s: no guest '%s' (%u found; see 'vmcarve list')\n", path, c->domain, hv.nguests);
		ex = EXIT_FAIL;
	}
	vmc_carve_free(cv);
	return ex;
}

int cmd_dmesg(int argc, char **argv)
{
	struct dmesg_cli c;
	struct vmc_dump *dump = NULL;
	struct vmc_diag d;
	const char *path;
	char tmp[4096];
	int ex = parse(argc, argv, &c, &path);

	if (ex >= 0)
		return ex;
	vmc_diag_init(&d);
	if (vmc_dump_open(&path, 1, &dump, &d))
		return cli_error(&d);
	c.f = stdout;
	/* a file is written under a temporary name and renamed only when the log is there */
	snprintf(tmp, sizeof(tmp), "%s.tmp", c.out ? c.out : "");
	if (c.out && strcmp(c.out, "-") && !(c.f = fopen(tmp, "w"))) {
		perror(tmp);
		vmc_dump_close(dump);
		return EXIT_FAIL;
	}
	ex = c.domain ? dmesg_guests(dump, &c, path) : dmesg_one(dump, c.f);
	if ((c.f != stdout ? fclose(c.f) : fflush(c.f)) && !ex) {
		fprintf(stderr, "vmcarve: %s: write failed\n", c.out ? c.out : "stdout");
		ex = EXIT_FAIL;
	}
	if (c.f != stdout) {
		if (ex == EXIT_FAIL || ex == EXIT_USAGE)
			remove(tmp);
		else if (rename(tmp, c.out)) {
			perror(c.out);
			remove(tmp);
			ex = EXIT_FAIL;
		}
	}
	vmc_dump_close(dump);
	return ex;
}
