/* carve_cli.h: what list, extract and split share: carving options, opening and scanning the
 * host dump, and writing one guest. */
#ifndef VMC_CARVE_CLI_H
#define VMC_CARVE_CLI_H

#include "cli.h"

struct carve_cli {
	struct vmc_carve_options copts;
	struct cli_write w;
	const char *out;
	const char *domain;
	bool json, verbose;
};

/* Parse the options of `cmd` (list, extract, split); returns -1 to go on, or an exit code. */
int carve_cli_parse(const char *cmd, int argc, char **argv, struct carve_cli *c, const char **host_path);
/* Open the host dump and carve it; prints the error and returns an exit code when it fails. */
int carve_cli_scan(const char *host_path, const struct carve_cli *c, struct vmc_dump **host, struct vmc_carve **cv);
/* Guest i of the carve (its map finished); a failure is impossible for i < nguests. */
struct vmc_guest_info carve_cli_guest(struct vmc_carve *cv, unsigned i);
/* Write guest i to path: EXIT_OK, EXIT_INCOMPLETE, or EXIT_FAIL (message printed). */
int carve_cli_write(struct vmc_dump *host, struct vmc_carve *cv, unsigned i, const struct carve_cli *c,
		    const char *path);
void carve_cli_guest_messages(const struct vmc_guest_info *g, unsigned from);
/* dir/<id>[-<name>].<ext>, with anything but [A-Za-z0-9._-] in the name replaced */
void carve_cli_file_name(char *buf, size_t n, const char *dir, const struct vmc_guest_info *g, const char *ext);
/* What the guest's own kernel says (from its memory, the guest opened once): guest-controlled
 * text cleaned to printable ASCII. *g is refreshed with what opening found. */
struct cli_gkernel {
	char hostname[65], release[65];
	const char *state;
};
void cli_guest_kernel(struct vmc_carve *cv, unsigned i, struct vmc_guest_info *g, struct cli_gkernel *k);
/* What `vmcarve list --json` prints (ks: one per guest). */
void cli_list_json(FILE *f, const char *host, const struct vmc_carve_info *hv, const struct vmc_guest_info *gs,
		   const struct cli_gkernel *ks, bool verbose);

#endif
