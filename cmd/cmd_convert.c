/* cmd_convert.c: `vmcarve convert`: options -> vmc_convert(). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "convert.h"
#include "registry.h"

static void usage(FILE *f)
{
	fputs("usage: vmcarve convert IN... -o OUT [options]\n"
	      "  IN...              one dump, or every file of a split set\n"
	      "  -o, --output OUT   output file; '-' writes the flattened format to stdout\n"
	      "  -c | -l | -p | -z  compress pages with zlib | lzo | snappy | zstd (kdump output)\n"
	      "  --no-compress      store pages raw (the default for kdump is lzo)\n"
	      "  --format F         kdump (default), elf, or flat (flattened kdump)\n"
	      "  --threads N        compression threads (default: number of CPUs)\n"
	      "  --dedup            store identical pages once (default)\n"
	      "  --no-dedup         store every page, zero pages too\n"
	      "  --partial          convert an incomplete input; missing frames stay missing\n"
	      "  -q, --quiet        no progress bar\n",
	      f);
}

int cmd_convert(int argc, char **argv)
{
	enum { O_NOCOMP = 256, O_FORMAT, O_THREADS, O_DEDUP, O_NODEDUP, O_PARTIAL };
	static const struct option longopts[] = {
		{ "output", required_argument, 0, 'o' }, { "no-compress", no_argument, 0, O_NOCOMP },
		{ "format", required_argument, 0, O_FORMAT }, { "threads", required_argument, 0, O_THREADS },
		{ "dedup", no_argument, 0, O_DEDUP }, { "no-dedup", no_argument, 0, O_NODEDUP },
		{ "partial", no_argument, 0, O_PARTIAL }, { "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct vmc_convert_opts opts = { 0 };
	const char *out = NULL, *format = "kdump";
	bool quiet = false, codec_set = false, removable = false;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct vmc_dump *dump = NULL;
	struct vmc_bytesink *sink = NULL;
	struct vmc_writer_stats stats = { 0 };
	struct cli_progress *prog = NULL;
	struct vmc_diag d;
	enum vmc_status rc;
	int c;

	vmc_diag_init(&d);
	opts.wopts.codec = VMC_CODEC_LZO;
	opts.wopts.dedup = true;
	opts.wopts.threads = ncpu > 0 ? (unsigned)ncpu : 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:clpzqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'c': opts.wopts.codec = VMC_CODEC_ZLIB; codec_set = true; break;
		case 'l': opts.wopts.codec = VMC_CODEC_LZO; codec_set = true; break;
		case 'p': opts.wopts.codec = VMC_CODEC_SNAPPY; codec_set = true; break;
		case 'z': opts.wopts.codec = VMC_CODEC_ZSTD; codec_set = true; break;
		case O_NOCOMP: opts.wopts.codec = VMC_CODEC_NONE; codec_set = true; break;
		case O_FORMAT: format = optarg; break;
		case O_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024) {
				fprintf(stderr, "vmcarve: --threads wants 1..1024, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			opts.wopts.threads = (unsigned)n;
			break;
		}
		case O_DEDUP: opts.wopts.dedup = true; break;
		case O_NODEDUP: opts.wopts.dedup = false; break;
		case O_PARTIAL: opts.partial = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!out || optind >= argc) {
		fprintf(stderr, "vmcarve: convert needs input files and -o OUT\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(format, "kdump") && strcmp(format, "elf") && strcmp(format, "flat")) {
		fprintf(stderr, "vmcarve: unknown --format '%s' (kdump, elf, flat)\n", format);
		return EXIT_USAGE;
	}
	if (!strcmp(format, "elf") && codec_set && opts.wopts.codec != VMC_CODEC_NONE) {
		fprintf(stderr, "vmcarve: ELF output stores pages uncompressed; drop -c/-l/-p/-z\n");
		return EXIT_USAGE;
	}
	if (!strcmp(out, "-") && !strcmp(format, "elf")) {
		fprintf(stderr, "vmcarve: ELF output needs a seekable file; use --format flat for stdout\n");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (strcmp(out, "-") && cli_same_file(out, argv[i])) {
			fprintf(stderr, "vmcarve: %s: the output is an input file; refusing to overwrite it\n", out);
			return EXIT_USAGE;
		}
	opts.writer = vmc_registry_writer(!strcmp(format, "elf") ? "elf" : "kdump");

	rc = vmc_dump_open((const char *const *)argv + optind, (unsigned)(argc - optind), &dump, &d);
	if (rc)
		return cli_error(&d);
	rc = cli_open_output(out, !strcmp(format, "flat"), &sink, &removable, &d);
	if (rc) {
		vmc_dump_close(dump);
		return cli_error(&d);
	}
	if (!quiet && strcmp(out, "-"))
		prog = cli_progress_new("converting");
	opts.progress = prog ? cli_progress_update : NULL;
	opts.progress_arg = prog;
	rc = vmc_convert(dump, sink, &opts, &stats, &d);
	cli_progress_end(prog);
	vmc_bytesink_free(sink);
	vmc_dump_close(dump);
	cli_warnings(&d);
	if (rc == VMC_ERR_NOSPC && removable) {
		/* say what became of the output, on the same line */
		size_t n = strlen(d.msg);
		snprintf(d.msg + n, sizeof(d.msg) - n, " (the partial output was removed)");
	}
	if (rc)
		return cli_error(&d);
	if (!quiet)
		fprintf(stderr, "vmcarve: %s: %llu pages (%llu zero, %llu deduplicated, %llu stored raw, %llu missing), %.1f MiB of page data\n",
			out, (unsigned long long)stats.pages, (unsigned long long)stats.zero_pages,
			(unsigned long long)stats.dedup_pages, (unsigned long long)stats.raw_pages,
			(unsigned long long)stats.missing_pages, (double)stats.bytes_out / 1048576.0);
	return stats.missing_pages ? EXIT_INCOMPLETE : EXIT_OK;
}
