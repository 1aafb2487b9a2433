/* cmd_convert.c: `vmcarve convert`: options -> vmc_write(). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fputs("usage: vmcarve convert IN... -o OUT [options]\n"
	      "  IN...              one dump, or every file of a split set\n"
	      "  -o, --output OUT   output file; '-' writes the flattened format to stdout\n"
	      "  -d N               short for --dump-level N\n"
	      "  --keep-guests      with --dump-level on a host dump: keep every frame its guests need\n",
	      f);
	cli_write_usage(f, "convert an incomplete input; missing frames stay missing");
}

/* The options and the files; -1 to go on, or an exit code. */
static int parse(int argc, char **argv, struct cli_write *w, const char **out)
{
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' }, CLI_WRITE_LONGOPTS, { "keep-guests", no_argument, 0, CLI_O_OWN },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c, ex;

	cli_write_init(w);
	*out = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:clpzqhd:", longopts, NULL)) != -1) {
		if ((ex = cli_write_option(c, optarg, w)) > 0)
			return ex;
		if (ex == 0)
			continue;
		switch (c) {
		case 'o': *out = optarg; break;
		case 'd': /* short for --dump-level */
			if ((ex = cli_write_option(CLI_O_DLEVEL, optarg, w)))
				return ex;
			break;
		case CLI_O_OWN: w->wo.keep_guests = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!*out || optind >= argc) {
		fprintf(stderr, "vmcarve: convert needs input files and -o OUT\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((ex = cli_write_check(w, *out)))
		return ex;
	if (w->wo.keep_guests && !w->wo.dump_level) {
		fprintf(stderr, "vmcarve: --keep-guests goes with -d N (without -d every frame is kept anyway)\n");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (strcmp(*out, "-") && cli_same_file(*out, argv[i])) {
			fprintf(stderr, "vmcarve: %s: the output is an input file; refusing to overwrite it\n", *out);
			return EXIT_USAGE;
		}
	return -1;
}

int cmd_convert(int argc, char **argv)
{
	struct cli_write w;
	const char *out;
	struct vmc_dump *dump = NULL;
	struct vmc_write_stats stats;
	struct vmc_diag d;
	enum vmc_status rc;
	int ex = parse(argc, argv, &w, &out);

	if (ex >= 0)
		return ex;
	vmc_diag_init(&d);
	cli_stale_temps_of(out);
	if (vmc_dump_open((const char *const *)argv + optind, (unsigned)(argc - optind), &dump, &d))
		return cli_error(&d);
	rc = cli_write_dump(dump, out, &w, "converting", &stats, &d);
	vmc_dump_close(dump);
	if (rc)
		return cli_error(&d);
	if (!w.quiet)
		fprintf(stderr, "vmcarve: %s: %llu pages (%llu zero, %llu deduplicated, %llu stored raw, %llu missing), %.1f MiB of page data\n",
			out, (unsigned long long)stats.pages, (unsigned long long)stats.zero_pages,
			(unsigned long long)stats.dedup_pages, (unsigned long long)stats.raw_pages,
			(unsigned long long)stats.missing_pages, (double)stats.bytes_out / 1048576.0);
	if (!w.quiet && w.wo.keep_guests)
		fprintf(stderr, "vmcarve: %s: --keep-guests kept %llu pages the level would have left out\n", out,
			(unsigned long long)stats.guest_kept);
	cli_print_filtered(out, &w, &stats);
	return stats.missing_pages ? EXIT_INCOMPLETE : EXIT_OK;
}
