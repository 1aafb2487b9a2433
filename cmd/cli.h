/* cli.h: the subcommands and the helpers they share. */
#ifndef VMC_CLI_H
#define VMC_CLI_H

#include <stdio.h>

#include "vmcarve.h"

/* exit codes (README "Exit codes") */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INCOMPLETE = 3, EXIT_GUEST_FAILED = 4 };

int cmd_convert(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_split(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);

/* The options every writing command takes (convert, extract, split), as getopt_long values;
 * a command's own long options start at CLI_O_OWN. */
enum { CLI_O_NOCOMP = 256, CLI_O_FORMAT, CLI_O_THREADS, CLI_O_DEDUP, CLI_O_NODEDUP, CLI_O_PARTIAL, CLI_O_OWN };

struct cli_write {
	struct vmc_write_options wo;
	const char *format; /* kdump, elf, flat */
	bool codec_set;
	bool quiet;
};

void cli_write_init(struct cli_write *w);
/* Take option ch (optarg) if it is a write option: 0 taken, -1 not one, or an exit code. */
int cli_write_option(int ch, const char *arg, struct cli_write *w);
/* Check the format against the compression and the output; 0 or an exit code (message printed). */
int cli_write_check(const struct cli_write *w, const char *out);
/* Write dump to out, with a progress bar named `what` unless quiet or to stdout; prints the
 * warnings once the output was opened (stats->output_opened). */
enum vmc_status cli_write_dump(struct vmc_dump *dump, const char *out, const struct cli_write *w, const char *what,
			       struct vmc_write_stats *stats, struct vmc_diag *d);

/* Whether two paths are the same file; a JSON string. */
bool cli_same_file(const char *a, const char *b);
void cli_json_str(const char *s, size_t n);
void cli_json_fstr(FILE *f, const char *s, size_t n);
/* The name of a dump (its first file). */
const char *cli_dump_name(struct vmc_dump *dump);

/* Print "vmcarve: MESSAGE" on one line and return EXIT_FAIL. */
int cli_error(const struct vmc_diag *d);
void cli_warnings(const struct vmc_diag *d);

struct cli_progress;
struct cli_progress *cli_progress_new(const char *what);
void cli_progress_update(uint64_t done, uint64_t total, void *arg);
/* drawn: end the bar's line (false: nothing was written, just free it) */
void cli_progress_end(struct cli_progress *p, bool drawn);

#endif
