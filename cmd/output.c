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
	w->keep = -1;
}

void cli_write_usage(FILE *f, const char *partial)
{
	fprintf(f,
		"  -c | -l | -p | -z  compress pages with zlib | lzo | snappy | zstd (kdump output)\n"
		"  --no-compress      store pages raw (the default for kdump is lzo)\n"
		"  --format F         kdump (default), elf, or flat (flattened kdump)\n"
		"  --threads N        compression threads (default: number of CPUs)\n"
		"  --dedup            store identical pages once (default)\n"
		"  --no-dedup         store every page, zero pages too\n"
		"  --partial          %s\n"
		"  --keep-partial     interrupted by a signal: keep a kdump file as INCOMPLETE (default)\n"
		"  --no-keep-partial  interrupted: remove it (ELF and flattened outputs always are)\n"
		"  --split N          write a split set OUT.1 .. OUT.N (makedumpfile --split), balanced\n"
		"                     by stored pages (kdump format)\n"
		"  --part K/N         write only OUT.K of that set, identical to the --split N run's\n"
		"  --dump-level N     leave out what makedumpfile -d N does (0-31; add: 1 zero, 2 cache,\n"
		"                     4 private cache, 8 user data, 16 free pages), classified by the\n"
		"                     kernel's own struct pages (a carved guest's: the guest kernel's)\n"
		"  -q, --quiet        no progress bar\n",
		partial);
}

static int split_option(const char *arg, struct cli_write *w)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*end || n < 2 || n > 1024) {
		fprintf(stderr, "vmcarve: --split wants a number of parts 2..1024, got '%s'\n", arg);
		return EXIT_USAGE;
	}
	if (w->wo.split_parts && w->wo.split_parts != (unsigned)n) {
		fprintf(stderr, "vmcarve: --split %ld and --part disagree on the number of parts\n", n);
		return EXIT_USAGE;
	}
	w->wo.split_parts = (unsigned)n;
	return 0;
}

static int part_option(const char *arg, struct cli_write *w)
{
	char *end, *end2;
	long k = strtol(arg, &end, 10), n = *end == '/' ? strtol(end + 1, &end2, 10) : 0;

	if (*end != '/' || *end2 || n < 2 || n > 1024 || k < 1 || k > n) {
		fprintf(stderr, "vmcarve: --part wants K/N with 1 <= K <= N, 2 <= N <= 1024, got '%s'\n", arg);
		return EXIT_USAGE;
	}
	if (w->wo.split_parts && w->wo.split_parts != (unsigned)n) {
		fprintf(stderr, "vmcarve: --split and --part %s disagree on the number of parts\n", arg);
		return EXIT_USAGE;
	}
	w->wo.split_parts = (unsigned)n;
	w->wo.split_part = (unsigned)k;
	return 0;
}

static int dump_level_option(const char *arg, int *level)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (!*arg || *end || n < 0 || n > 31) {
		fprintf(stderr, "vmcarve: the dump level is 0..31 (makedumpfile's -d), got '%s'\n", arg);
		return EXIT_USAGE;
	}
	*level = (int)n;
	return 0;
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
	case CLI_O_SPLIT: return split_option(arg, w);
	case CLI_O_PART: return part_option(arg, w);
	case CLI_O_DLEVEL: return dump_level_option(arg, &w->wo.dump_level);
	case CLI_O_KEEP: w->keep = 1; return 0;
	case CLI_O_NOKEEP: w->keep = 0; return 0;
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
	if (w->wo.split_parts && strcmp(w->format, "kdump")) {
		fprintf(stderr, "vmcarve: a split set (--split/--part) is kdump-compressed files; drop --format %s\n",
			w->format);
		return EXIT_USAGE;
	}
	if (out && !strcmp(out, "-") && w->wo.split_parts) {
		fprintf(stderr, "vmcarve: a split set is written to files OUT.1 .. OUT.N, not to stdout\n");
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
	o.cancel = &cli_interrupted;
	/* interrupted: a kdump file keeps what was written unless --no-keep-partial (the library
	 * removes an ELF or flattened output, which cannot be finished) */
	o.keep_partial = w->keep != 0;
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

void cli_print_filtered(const char *path, const struct cli_write *w, const struct vmc_write_stats *st)
{
	if (w->quiet || !w->wo.dump_level)
		return;
	fprintf(stderr,
		"vmcarve: %s: --dump-level %d left out %llu zero, %llu cache, %llu private cache, %llu user, %llu free, "
		"%llu hwpoison, %llu offline, %llu unmapped pages\n",
		path, w->wo.dump_level, (unsigned long long)st->filtered[VMC_FILTER_ZERO],
		(unsigned long long)st->filtered[VMC_FILTER_CACHE], (unsigned long long)st->filtered[VMC_FILTER_CACHE_PRIVATE],
		(unsigned long long)st->filtered[VMC_FILTER_USER], (unsigned long long)st->filtered[VMC_FILTER_FREE],
		(unsigned long long)st->filtered[VMC_FILTER_HWPOISON], (unsigned long long)st->filtered[VMC_FILTER_OFFLINE],
		(unsigned long long)st->filtered[VMC_FILTER_NOMAP]);
}
