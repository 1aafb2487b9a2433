/* linux_crash.h: why a Linux kernel died, read from its log as vmc_lprintk prints it: the
 * panic line, the first oops/BUG line, and the last lines. Fed the printed text in pieces;
 * bounded whatever the log holds. */
#ifndef VMC_LINUX_CRASH_H
#define VMC_LINUX_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMC_LCRASH_LINES 10
#define VMC_LCRASH_LINE 256 /* longer lines are kept cut, ending in "..." */

struct vmc_lcrash {
	char panic[VMC_LCRASH_LINE]; /* the last "Kernel panic - not syncing" line */
	char oops[VMC_LCRASH_LINE];  /* the first BUG / Oops / general protection fault line */
	char last[VMC_LCRASH_LINES][VMC_LCRASH_LINE];
	unsigned nlast, head;        /* ring of the last lines: head is the oldest once full */
	char cur[VMC_LCRASH_LINE];
	size_t curlen;
	bool cut;
	uint64_t lines;
};

void vmc_lcrash_init(struct vmc_lcrash *c);
/* A vmc_lprintk_write_fn: arg is the struct vmc_lcrash. Never fails. */
bool vmc_lcrash_write(void *arg, const char *buf, size_t len);
/* Takes a last line without its newline. */
void vmc_lcrash_finish(struct vmc_lcrash *c);
/* The i-th (oldest first) of the last nlast lines. */
const char *vmc_lcrash_last(const struct vmc_lcrash *c, unsigned i);

#endif
