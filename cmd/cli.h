/* cli.h: the subcommands and the helpers they share. */
#ifndef VMC_CLI_H
#define VMC_CLI_H

#include <stdio.h>

#include "bytesink.h"
#include "diag.h"

/* exit codes (README "Exit codes") */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INCOMPLETE = 3, EXIT_GUEST_FAILED = 4 };

int cmd_convert(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_split(int argc, char **argv);

/* Outputs (cmd/output.c): a temporary-file sink renamed on success, flattened when asked or
 * when the target is a pipe; whether two paths are the same file; a JSON string. */
/* *is_file: the output is a regular file (removed again on failure), not a pipe */
enum vmc_status cli_open_output(const char *path, bool flat, struct vmc_bytesink **ret, bool *is_file,
				struct vmc_diag *d);
bool cli_same_file(const char *a, const char *b);
void cli_json_str(const char *s, size_t n);

/* Print "vmcarve: MESSAGE" on one line and return EXIT_FAIL. */
int cli_error(const struct vmc_diag *d);
void cli_warnings(const struct vmc_diag *d);

struct cli_progress;
struct cli_progress *cli_progress_new(const char *what);
void cli_progress_update(uint64_t done, uint64_t total, void *arg);
void cli_progress_end(struct cli_progress *p);

#endif
