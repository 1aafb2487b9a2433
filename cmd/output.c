/* output.c: the options and the write step the writing commands share (convert, extract, split). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

bool cli_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void cli_write_init(struct cli_write *w)
{
	memset(w, 0, sizeof(*w));
	w->wo.size = sizeof(w->wo);
	w->format = "kdump";
}

int cli_write_option(int ch, const char *arg, struct cli_write *w)
{
	char *end;
	long n;

	switch (ch) {
	case 'c': w->wo.compression = VMC_COMPRESS_ZLIB; break;
	case 'l': w->wo.compression = VMC_COMPRESS_LZO; break;
	case 'p': w->wo.compression = VMC_COMPRESS_SNAPPY; break;
	case 'z': w->wo.compression = VMC_COMPRESS_ZSTD; break;
	case CLI_O_NOCOMP: w->wo.compression = VMC_COMPRESS_NONE; break;
	case CLI_O_FORMAT: w->format = arg; return 0;
	case CLI_O_THREADS:
		n = strtol(arg, &end, 10);
		if (*end || n < 1 || n > 1024) {
			fprintf(stderr, "vmcarve: --threads wants 1..1024, got '%s'\n", arg);
			return EXIT_USAGE;
		}
		w->wo.threads = (unsigned)n;
		return 0;
	case CLI_O_DEDUP: w->wo.no_dedup = false; return 0;
	case CLI_O_NODEDUP: w->wo.no_dedup = true; return 0;
	case CLI_O_PARTIAL: w->wo.partial = true; return 0;
	case 'q': w->quiet = true; return 0;
	default: return -1;
	}
	w->codec_set = true;
	return 0;
}

int cli_write_check(const struct cli_write *w, const char *out)
{
	if (strcmp(w->format, "kdump") && strcmp(w->format, "elf") && strcmp(w->format, "flat")) {
		fprintf(stderr, "vmcarve: unknown --format '%s' (kdump, elf, flat)\n", w->format);
		return EXIT_USAGE;
	}
	if (!strcmp(w->format, "elf") && w->codec_set && w->wo.compression != VMC_COMPRESS_NONE) {
		fprintf(stderr, "vmcarve: ELF output stores pages uncompressed; drop -c/-l/-p/-z\n");
		return EXIT_USAGE;
	}
	if (out && !strcmp(out, "-") && !strcmp(w->format, "elf")) {
		fprintf(stderr, "vmcarve: ELF output needs a seekable file; use --format flat for stdout\n");
		return EXIT_USAGE;
	}
	return 0;
}

enum vmc_status cli_write_dump(struct vmc_dump *dump, const char *out, const struct cli_write *w, const char *what,
			       struct vmc_write_stats *stats, struct vmc_diag *d)
{
	struct vmc_write_options o = w->wo;
	struct cli_progress *prog = NULL;
	enum vmc_status rc;

	o.format = !strcmp(w->format, "elf") ? VMC_FORMAT_ELF : !strcmp(w->format, "flat") ? VMC_FORMAT_FLAT
											       : VMC_FORMAT_KDUMP;
	if (!w->quiet && strcmp(out, "-"))
		prog = cli_progress_new(what);
	o.progress = prog ? cli_progress_update : NULL;
	o.progress_arg = prog;
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	rc = vmc_write(dump, out, &o, stats, d);
	cli_progress_end(prog, stats->output_opened);
	/* a failure to create the output is reported alone */
	if (stats->output_opened)
		cli_warnings(d);
	return rc;
}

const char *cli_dump_name(struct vmc_dump *dump)
{
	struct vmc_dump_info info = { .size = sizeof(info) };
	struct vmc_diag d;

	vmc_diag_init(&d);
	return vmc_dump_get_info(dump, &info, &d) ? "?" : info.name;
}

void cli_json_str(const char *s, size_t n)
{
	cli_json_fstr(stdout, s, n);
}

void cli_json_fstr(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
