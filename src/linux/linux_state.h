/* linux_state.h: whether the Linux kernel in a dump had panicked or oopsed (panic_cpu,
 * oops_in_progress, found through the kallsyms tables VMCOREINFO locates, Linux >= 6.0). */
#ifndef VMC_LINUX_STATE_H
#define VMC_LINUX_STATE_H

#include "dump.h"

struct vmc_linux_state {
	bool known;           /* panic_cpu could be read */
	int panic_cpu;        /* -1: no panic */
	int oops_in_progress; /* > 0 while an oops is printed (and after, when it panicked) */
	bool have_oops;
};

/* VMC_ERR_NOTFOUND when the kernel exports no kallsyms or lacks panic_cpu. */
enum vmc_status vmc_linux_state_read(struct vmc_dump *dump, struct vmc_linux_state *st, struct vmc_diag *d);
/* "panic", "oops", "running", or "unknown" */
const char *vmc_linux_state_name(const struct vmc_linux_state *st);

#endif
