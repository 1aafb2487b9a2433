/* cli.h: the subcommands and the helpers they share. */
#ifndef VMC_CLI_H
#define VMC_CLI_H

#include <signal.h>
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
int cmd_dmesg(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);

/* The options every writing command takes (convert, extract, split), as getopt_long values;
 * a command's own long options start at CLI_O_OWN. */
enum {
	CLI_O_NOCOMP = 256, CLI_O_FORMAT, CLI_O_THREADS, CLI_O_DEDUP, CLI_O_NODEDUP, CLI_O_PARTIAL, CLI_O_SPLIT,
	CLI_O_PART, CLI_O_DLEVEL, CLI_O_KEEP, CLI_O_NOKEEP, CLI_O_OWN
};
/* Their long names, for a command's struct option list. */
#define CLI_WRITE_LONGOPTS                                                                                          \
	{ "no-compress", no_argument, 0, CLI_O_NOCOMP }, { "format", required_argument, 0, CLI_O_FORMAT },          \
		{ "threads", required_argument, 0, CLI_O_THREADS }, { "dedup", no_argument, 0, CLI_O_DEDUP },       \
		{ "no-dedup", no_argument, 0, CLI_O_NODEDUP }, { "partial", no_argument, 0, CLI_O_PARTIAL },        \
		{ "split", required_argument, 0, CLI_O_SPLIT }, { "part", required_argument, 0, CLI_O_PART },       \
		{ "dump-level", required_argument, 0, CLI_O_DLEVEL }, { "keep-partial", no_argument, 0, CLI_O_KEEP }, \
		{ "no-keep-partial", no_argument, 0, CLI_O_NOKEEP }, { "quiet", no_argument, 0, 'q' }
/* Their help lines; `partial` is the command's own wording of --partial. */
void cli_write_usage(FILE *f, const char *partial);

/* The signal that interrupted the run (0: none); set by the handler of cli_signals_init(). */
extern volatile sig_atomic_t cli_interrupted;
extern bool cli_interrupt_reported; /* the line about it was printed */
void cli_signals_init(void);
const char *cli_signal_name(int sig);
/* code, or when a signal interrupted the run: end by that signal (the shell sees 128 + N). */
int cli_exit(int code);
/* Name (a warning line each) the temporary files of interrupted runs in dir / next to out. */
void cli_stale_temps(const char *dir);
void cli_stale_temps_of(const char *out);

struct cli_write {
	struct vmc_write_options wo;
	const char *format; /* kdump, elf, flat */
	bool codec_set;
	bool quiet;
	int keep; /* --keep-partial 1, --no-keep-partial 0, -1 = the default (kdump: keep) */
};

void cli_write_init(struct cli_write *w);
/* Take option ch (optarg) if it is a write option: 0 taken, -1 not one, or an exit code. */
int cli_write_option(int ch, const char *arg, struct cli_write *w);
/* Check the format against the compression and the output; 0 or an exit code (message printed). */
int cli_write_check(const struct cli_write *w, const char *out);
/* After a write with --dump-level: what each page class left out (unless quiet). */
void cli_print_filtered(const char *path, const struct cli_write *w, const struct vmc_write_stats *st);
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
